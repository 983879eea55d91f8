"""Files of training runs (sigopt-python's ``run.log_image``): the SQL.

A file is made in two steps, as SigOpt's are: its description first (type, length,
MD5, names), with a one-time upload key whose hash is kept; then its bytes, put once
with that key. Until then it has no data and a run does not list it.
"""

from __future__ import annotations

from typing import Any

import attrs
import sqlalchemy as sa

from . import schema

F = schema.run_files
R = schema.training_runs


@attrs.frozen
class FileRecord:
    """A run's file as stored (without its bytes)."""

    id: int
    training_run_id: int
    owner_id: int
    name: str | None
    filename: str | None
    content_type: str
    content_length: int
    content_md5: str
    upload_key_hash: str
    created: int
    uploaded: int | None


_COLUMNS = (
    F.c.id,
    F.c.training_run_id,
    R.c.owner_id,
    F.c.name,
    F.c.filename,
    F.c.content_type,
    F.c.content_length,
    F.c.content_md5,
    F.c.upload_key_hash,
    F.c.created,
    F.c.uploaded,
)


def _file(row: Any) -> FileRecord:
    return FileRecord(*row)


class RunFiles:
    """Files of training runs."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn

    def create(
        self, rid: int, described: dict[str, Any], upload_key_hash: str, stamp: int
    ) -> FileRecord:
        """A file described (``name, filename, content_type, content_length,
        content_md5``), waiting for its bytes."""
        key = self.conn.execute(
            F.insert().values(
                training_run_id=rid, upload_key_hash=upload_key_hash, created=stamp, **described
            )
        ).inserted_primary_key
        assert key is not None
        found = self.get(int(key[0]))
        assert found is not None
        return found

    def get(self, fid: int) -> FileRecord | None:
        """The file, whoever owns it (the caller checks the owner or the upload key)."""
        query = sa.select(*_COLUMNS).join(R, R.c.id == F.c.training_run_id).where(F.c.id == fid)
        row = self.conn.execute(query).first()
        return None if row is None else _file(row)

    def put_data(self, fid: int, data: bytes, stamp: int) -> bool:
        """Keep the file's bytes; False if it already had them (a key works once)."""
        done = self.conn.execute(
            F.update()
            .where(F.c.id == fid, F.c.uploaded.is_(None))
            .values(data=data, uploaded=stamp)
        )
        return done.rowcount == 1

    def data(self, fid: int) -> bytes | None:
        row = self.conn.execute(sa.select(F.c.data).where(F.c.id == fid)).first()
        return None if row is None else row[0]

"""Analytics files: the plots and tables rendered for a generation of a session."""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import sqlalchemy as sa

from . import schema
from .database import Database

A = schema.analytics_files


@attrs.frozen
class FileInfo:
    """One stored file, without its bytes."""

    name: str
    gen: int
    content_type: str
    size: int


@attrs.frozen
class StoredFile:
    """One stored file with its bytes."""

    name: str
    gen: int
    content_type: str
    data: bytes


class AnalyticsStore:
    """Replace a generation's files, list them, and read one."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def replace(self, session_id: int, gen: int, files: Sequence[StoredFile], now: int) -> None:
        """Make ``files`` the files of generation ``gen`` (the old ones go)."""
        with self._db.write() as conn:
            conn.execute(sa.delete(A).where(A.c.session_id == session_id, A.c.gen == gen))
            if files:
                conn.execute(
                    sa.insert(A),
                    [
                        {
                            "session_id": session_id,
                            "gen": gen,
                            "name": f.name,
                            "content_type": f.content_type,
                            "data": f.data,
                            "created": now,
                        }
                        for f in files
                    ],
                )

    def latest_gen(self, session_id: int) -> int | None:
        """The latest generation with files, or None."""
        with self._db.read() as conn:
            return conn.execute(
                sa.select(sa.func.max(A.c.gen)).where(A.c.session_id == session_id)
            ).scalar()

    def listing(self, session_id: int, gen: int) -> list[FileInfo]:
        """The files of a generation, in the order they were made."""
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(
                    A.c.name, A.c.gen, A.c.content_type, sa.func.length(A.c.data).label("size")
                )
                .where(A.c.session_id == session_id, A.c.gen == gen)
                .order_by(A.c.id)
            ).all()
        return [FileInfo(r.name, r.gen, r.content_type, int(r.size or 0)) for r in rows]

    def file_info(self, session_id: int, name: str, gen: int | None = None) -> FileInfo | None:
        """What :meth:`file` would read, without its bytes (their size instead)."""
        size = sa.func.length(A.c.data).label("size")
        query = sa.select(A.c.name, A.c.gen, A.c.content_type, size).where(
            A.c.session_id == session_id, A.c.name == name
        )
        if gen is not None:
            query = query.where(A.c.gen == gen)
        with self._db.read() as conn:
            row = conn.execute(query.order_by(A.c.gen.desc()).limit(1)).first()
        return (
            None
            if row is None
            else FileInfo(row.name, row.gen, row.content_type, int(row.size or 0))
        )

    def file(self, session_id: int, name: str, gen: int | None = None) -> StoredFile | None:
        """The file ``name`` of generation ``gen`` (default: the latest that has it)."""
        query = sa.select(A).where(A.c.session_id == session_id, A.c.name == name)
        if gen is not None:
            query = query.where(A.c.gen == gen)
        with self._db.read() as conn:
            row = conn.execute(query.order_by(A.c.gen.desc()).limit(1)).first()
        if row is None:
            return None
        return StoredFile(row.name, row.gen, row.content_type, bytes(row.data))

"""SigOpt's project notes: the SQL. Every note is kept; SigOpt lists the latest."""

from __future__ import annotations

from typing import Any

import attrs
import sqlalchemy as sa

from . import schema

N = schema.sigopt_project_notes


@attrs.frozen
class NoteRecord:
    """A project's note as stored."""

    id: int
    project_id: int
    user_id: int
    contents: str
    created: int


def _note(row: Any) -> NoteRecord:
    return NoteRecord(row.id, row.project_id, row.user_id, row.contents, row.created)


class ProjectNotes:
    """The notes of projects (the caller checks that the project is the owner's)."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn

    def add(self, project_id: int, user_id: int, contents: str, stamp: int) -> NoteRecord:
        key = self.conn.execute(
            N.insert().values(
                project_id=project_id, user_id=user_id, contents=contents, created=stamp
            )
        ).inserted_primary_key
        assert key is not None
        row = self.conn.execute(sa.select(N).where(N.c.id == int(key[0]))).one()
        return _note(row)

    def latest(self, project_id: int) -> NoteRecord | None:
        """The project's latest note (the last one added), or None."""
        query = sa.select(N).where(N.c.project_id == project_id).order_by(N.c.id.desc()).limit(1)
        row = self.conn.execute(query).first()
        return None if row is None else _note(row)

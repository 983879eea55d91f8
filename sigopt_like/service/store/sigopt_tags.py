"""SigOpt's tags of a client (``/v1/clients/{cid}/tags``): the SQL.

A tag is a name (unique among its owner's tags) and a colour. A training run names its
tags by id in its ``fields`` document (as SigOpt keeps them in a run's data); adding and
removing them is an update of the run (:class:`~.sigopt_runs.Runs`).
"""

from __future__ import annotations

from typing import Any

import attrs
import sqlalchemy as sa

from . import schema
from .pages import Page, PageRequest, fetch_page

T = schema.sigopt_tags


@attrs.frozen
class TagRecord:
    """A tag as stored."""

    id: int
    owner_id: int
    name: str
    color: str
    created: int


def _tag(row: Any) -> TagRecord:
    return TagRecord(row.id, row.owner_id, row.name, row.color, row.created)


class Tags:
    """The tags of each owner."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn

    def get(self, owner: int, tid: int) -> TagRecord | None:
        """The owner's tag ``tid`` (None for another owner's)."""
        row = self.conn.execute(sa.select(T).where(T.c.id == tid, T.c.owner_id == owner)).first()
        return None if row is None else _tag(row)

    def create_new(self, owner: int, name: str, color: str, stamp: int) -> TagRecord | None:
        """A new tag, or None when the owner has one of that name (made by another
        transaction too: the insert runs in a savepoint, so a broken unique key leaves
        the transaction usable)."""
        taken = sa.select(T.c.id).where(T.c.owner_id == owner, T.c.name == name)
        if self.conn.execute(taken).first() is not None:
            return None
        try:
            with self.conn.begin_nested():
                key = self.conn.execute(
                    T.insert().values(owner_id=owner, name=name, color=color, created=stamp)
                ).inserted_primary_key
        except sa.exc.IntegrityError:
            if self.conn.execute(taken).first() is None:
                raise
            return None
        assert key is not None
        found = self.get(owner, int(key[0]))
        assert found is not None
        return found

    def page(self, owner: int, request: PageRequest, *, ascending: bool = False) -> Page[TagRecord]:
        """A page of the owner's tags by id, newest first unless ``ascending``."""
        query = sa.select(T).where(T.c.owner_id == owner)
        return fetch_page(self.conn, query, T.c.id, request, _tag, ascending=ascending)

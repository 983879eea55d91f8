"""Pages of a query, newest first, with id cursors (SigOpt's pagination, in SQL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import attrs
import sqlalchemy as sa

Item = TypeVar("Item")


@attrs.frozen
class PageRequest:
    """At most ``limit`` items older than ``before`` and/or newer than ``after`` (ids)."""

    limit: int
    before: int | None = None
    after: int | None = None


@attrs.frozen
class Page(Generic[Item]):
    """``count`` items in all, these ``items`` (newest first), and the cursors of the
    next page each way (None where there is nothing more)."""

    count: int
    items: list[Item]
    before: str | None
    after: str | None


def fetch_page(
    conn: sa.Connection,
    query: sa.Select,
    id_column: sa.ColumnElement,
    request: PageRequest,
    convert: Callable[[Any], Item],
) -> Page[Item]:
    """One page of ``query`` ordered by ``id_column``, newest first; ``before`` and
    ``after`` together ask for the items between them (paged like ``before``)."""
    key = str(id_column.key)
    limit = request.limit
    before, after = request.before, request.after
    count = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    if before is not None and after is not None:
        query = query.where(id_column > after)
        after = None
    rows: list[Any]
    if after is not None:
        rows = list(
            conn.execute(
                query.where(id_column > after).order_by(id_column.asc()).limit(limit + 1)
            ).all()
        )
        newer = len(rows) > limit
        rows = rows[:limit]
        rows.reverse()
        older = bool(rows) and _exists(conn, query, id_column < rows[-1]._mapping[key])
    else:
        bounded = query.where(id_column < before) if before is not None else query
        rows = list(conn.execute(bounded.order_by(id_column.desc()).limit(limit + 1)).all())
        older = len(rows) > limit
        rows = rows[:limit]
        newer = bool(rows) and _exists(conn, query, id_column > rows[0]._mapping[key])
    return Page(
        count=count,
        items=[convert(row) for row in rows],
        before=str(rows[-1]._mapping[key]) if rows and older else None,
        after=str(rows[0]._mapping[key]) if rows and newer else None,
    )


def _exists(conn: sa.Connection, query: sa.Select, condition: sa.ColumnElement) -> bool:
    return conn.execute(query.where(condition).limit(1)).first() is not None

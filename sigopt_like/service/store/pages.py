"""Pages of a query, newest first, with id cursors (SigOpt's pagination, in SQL)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import attrs
import sqlalchemy as sa

Item = TypeVar("Item")


@attrs.frozen
class PageRequest:
    """Which page: at most ``limit`` items older than ``before`` and/or newer than ``after``
    (ids; None: no bound)."""

    limit: int
    before: int | None = None
    after: int | None = None


@attrs.frozen
class Page(Generic[Item]):
    """One page: ``count`` items in all, these ``items`` (newest first), and the cursors
    of the next page each way (None where there is nothing more)."""

    count: int
    items: list[Item]
    before: str | None
    after: str | None


class UnknownCursor(ValueError):
    """A ``before`` / ``after`` cursor that names no row this listing can start from."""

    def __init__(self, name: str, cursor: int) -> None:
        super().__init__(f"{name}={cursor}")
        self.name = name
        self.cursor = cursor


def fetch_page(
    conn: sa.Connection,
    query: sa.Select,
    id_column: sa.ColumnElement,
    request: PageRequest,
    convert: Callable[[Any], Item],
    *,
    ascending: bool = False,
) -> Page[Item]:
    """One page of ``query`` ordered by ``id_column``, newest first (oldest first when
    ``ascending``).

    ``before`` asks for the items that come after it in that order (older ones, newest
    first), ``after`` for the ones before it, both for the items between them (paged like
    ``before``). ``convert`` turns each row into an item.
    """
    return fetch_sorted_page(conn, query, (id_column,), request, convert, ascending=ascending)


def fetch_sorted_page(
    conn: sa.Connection,
    query: sa.Select,
    columns: Sequence[sa.ColumnElement],
    request: PageRequest,
    convert: Callable[[Any], Item],
    *,
    ascending: bool = False,
    cursor_key: Callable[[int], tuple[Any, ...] | None] | None = None,
) -> Page[Item]:
    """One page of ``query`` in the order of ``columns`` (a keyset, compared as a tuple;
    the last column is the id, which makes it unique), largest first unless ``ascending``.

    The cursors are ids, whatever the order: ``before`` asks for the items that come
    after it in the listing (the next page, in either direction), ``after`` for the
    ones that come before it (the previous page), both for the items between them
    (paged like ``before``). ``cursor_key`` gives the key of a cursor's row (None when
    there is no such row: :class:`UnknownCursor`); without it the cursor is the key.
    The answer's ``before`` / ``after`` are the ids that page on from this page's last
    item and back from its first, None where nothing lies that way.
    """
    id_key = str(columns[-1].key)
    limit = request.limit

    def key_of(name: str, cursor: int | None) -> tuple[Any, ...] | None:
        if cursor is None:
            return None
        if cursor_key is None:
            return (cursor,)
        key = cursor_key(cursor)
        if key is None:
            raise UnknownCursor(name, cursor)
        return key

    def row_key(row: Any) -> tuple[Any, ...]:
        return tuple(row._mapping[str(c.key)] for c in columns)

    def past(key: tuple[Any, ...]) -> sa.ColumnElement[bool]:
        """Rows that come after ``key`` in the listing."""
        return _beyond(columns, key, greater=ascending)

    def short_of(key: tuple[Any, ...]) -> sa.ColumnElement[bool]:
        """Rows that come before ``key`` in the listing."""
        return _beyond(columns, key, greater=not ascending)

    forward = [c.asc() if ascending else c.desc() for c in columns]
    backward = [c.desc() if ascending else c.asc() for c in columns]
    before = key_of("before", request.before)
    after = key_of("after", request.after)
    count = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    if before is not None and after is not None:
        query = query.where(short_of(after))  # a window, paged like ``before``
        after = None
    rows: list[Any]
    if after is not None:
        rows = list(
            conn.execute(query.where(short_of(after)).order_by(*backward).limit(limit + 1)).all()
        )
        earlier = len(rows) > limit
        rows = rows[:limit]
        rows.reverse()
        later = bool(rows) and _exists(conn, query, past(row_key(rows[-1])))
    else:
        bounded = query.where(past(before)) if before is not None else query
        rows = list(conn.execute(bounded.order_by(*forward).limit(limit + 1)).all())
        later = len(rows) > limit
        rows = rows[:limit]
        earlier = bool(rows) and _exists(conn, query, short_of(row_key(rows[0])))
    return Page(
        count=count,
        items=[convert(row) for row in rows],
        before=str(rows[-1]._mapping[id_key]) if rows and later else None,
        after=str(rows[0]._mapping[id_key]) if rows and earlier else None,
    )


def fetch_recent_page(
    conn: sa.Connection,
    query: sa.Select,
    table: sa.Table,
    owner: int,
    request: PageRequest,
    convert: Callable[[Any], Item],
    *,
    ascending: bool = False,
) -> Page[Item]:
    """One page of ``query`` (rows of ``table``, ``owner``'s) by the time of their last
    update (``table``'s ``updated``), then id, largest first unless ``ascending``: a
    :func:`fetch_sorted_page` whose cursor must be one of ``owner``'s rows of ``table``
    (:class:`UnknownCursor` otherwise), the page going on from where that row stands now.
    """

    def cursor_key(rid: int) -> tuple[Any, ...] | None:
        found = conn.execute(
            sa.select(table.c.updated, table.c.id).where(
                table.c.id == rid, table.c.owner_id == owner
            )
        ).first()
        return None if found is None else (found.updated, found.id)

    return fetch_sorted_page(
        conn,
        query,
        (table.c.updated, table.c.id),
        request,
        convert,
        ascending=ascending,
        cursor_key=cursor_key,
    )


def _beyond(
    columns: Sequence[sa.ColumnElement], key: tuple[Any, ...], *, greater: bool
) -> sa.ColumnElement[bool]:
    """``tuple(columns) > key`` (``<`` unless ``greater``), spelt out column by column."""
    terms = []
    for i, column in enumerate(columns):
        equal = [columns[j] == key[j] for j in range(i)]
        step = column > key[i] if greater else column < key[i]
        terms.append(sa.and_(*equal, step) if equal else step)
    return sa.or_(*terms) if len(terms) > 1 else terms[0]


def _exists(conn: sa.Connection, query: sa.Select, condition: sa.ColumnElement) -> bool:
    return conn.execute(query.where(condition).limit(1)).first() is not None

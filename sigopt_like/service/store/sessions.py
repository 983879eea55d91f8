"""Sessions: one owner's design-of-experiments campaigns, their names unique per owner."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import sqlalchemy as sa

from . import schema
from .database import Database, PointQuery
from .errors import Conflict, NotFound
from .pages import Page, PageRequest, fetch_page
from .text_search import holds

S = schema.sessions
T = schema.tasks
#: the progress message of a task that was queued when its session was halted
HALTED_BEFORE_START = "canceled before it started: the session was halted"


@attrs.frozen
class SessionRecord:
    """A session as stored (its space and campaign are read by the campaign store)."""

    id: int
    owner_id: int
    name: str
    description: str
    status: str
    gen: int
    remaining: int | None
    completed: bool
    population_size: int | None
    replicates: int | None
    seed: int
    created: int
    updated: int
    #: the largest response measured so far (None before any)
    best_response: float | None = None
    #: Daptics' tag: a read-only identifier given at create (None without one)
    tag: str | None = None


_COLUMNS = tuple(S.c[name] for name in attrs.fields_dict(SessionRecord))


_COMPLETED = list(attrs.fields_dict(SessionRecord)).index("completed")


def _record(row: Any) -> SessionRecord:
    values = list(row)
    values[_COMPLETED] = bool(values[_COMPLETED])  # SQLite gives 0/1 on the raw path
    return SessionRecord(*values)


def _select() -> sa.Select:
    return sa.select(*_COLUMNS)


def session_row(
    conn: sa.Connection,
    session_id: int,
    owner: int | None,
    *,
    lock: bool = False,
    columns: Sequence[Any] = (S,),
) -> Any:
    """The session row of ``owner`` (any owner when None), of ``columns`` (all of its
    columns unless given); NotFound otherwise.

    ``lock`` takes a row lock (``FOR UPDATE``) where the database has them.
    """
    query = sa.select(*columns).where(S.c.id == session_id)
    if owner is not None:
        query = query.where(S.c.owner_id == owner)
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"No session with id '{session_id}'.")
    return row


class SessionStore:
    """Create, read, list, rename and halt sessions."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._owned = PointQuery(
            database,
            _select().where(S.c.id == sa.bindparam("sid"), S.c.owner_id == sa.bindparam("owner")),
        )
        self._insert = S.insert()  # built once; its values come with each execute

    def create(
        self,
        owner: int,
        name: str,
        description: str,
        seed: int,
        now: int,
        tag: str | None = None,
    ) -> SessionRecord:
        """A new active session; Conflict ``duplicate_name`` if the owner has one so named."""
        values: dict[str, Any] = {
            "owner_id": owner,
            "name": name,
            "description": description,
            "tag": tag,
            "status": "active",
            "gen": -1,
            "completed": False,
            "seed": seed,
            "created": now,
            "updated": now,
        }
        try:
            with self._db.write() as conn:
                key = conn.execute(self._insert, {"version": 0, **values}).inserted_primary_key
        except sa.exc.IntegrityError as err:
            raise self._duplicate(owner, name) from err
        assert key is not None
        return SessionRecord(
            id=int(key[0]),
            remaining=None,
            population_size=None,
            replicates=None,
            **values,
        )

    def get(self, owner: int | None, session_id: int) -> SessionRecord:
        """The session of ``owner`` (any owner when None); NotFound otherwise."""
        if owner is not None:  # the hot path: one precompiled point read
            row = self._owned.one(sid=session_id, owner=owner)
            if row is None:
                raise NotFound(f"No session with id '{session_id}'.")
            return _record(row)
        with self._db.read() as conn:
            return self._get(conn, owner, session_id)

    def page(self, owner: int, request: PageRequest, search: str | None = None) -> Page:
        """A page of the owner's sessions, newest first; ``search`` matches name,
        description or tag (substring, any case) or the id."""
        query = _select().where(S.c.owner_id == owner)
        if search:
            query = query.where(_search(search))
        with self._db.read() as conn:
            return fetch_page(conn, query, S.c.id, request, _record)

    def update(
        self,
        owner: int,
        session_id: int,
        now: int,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> SessionRecord:
        """Rename and/or describe; Conflict ``duplicate_name`` on a clash."""
        values: dict[str, Any] = {}
        if name is not None:
            values["name"] = name
        if description is not None:
            values["description"] = description
        try:
            with self._db.write() as conn:
                self._get(conn, owner, session_id)
                if values:
                    conn.execute(
                        S.update().where(S.c.id == session_id).values(updated=now, **values)
                    )
                return self._get(conn, owner, session_id)
        except sa.exc.IntegrityError as err:
            raise self._duplicate(owner, values["name"]) from err

    def halt(self, owner: int, session_id: int, now: int) -> SessionRecord:
        """Halt an active session and cancel its unfinished tasks, as a cancel does: a
        queued one at once, a running one by request; a halted or completed session is
        returned unchanged.

        A queued task was only marked ``cancel_requested``: a runner later claimed it,
        ran it on the halted session and ended it ``failed`` ("The session is halted").

        The session's row is locked first, then its unfinished tasks' rows, as every
        path that locks both does (a task's start, a task's end): no task can be queued
        on the session meanwhile, so the tasks locked are all those the halt changes.
        Before, the tasks were locked first (in a task's end's order then), then the
        session: a task queued between the two (a generate, or one chained by a task's
        end), claimed and ending, held its row and waited for the session's, while the
        halt held the session's and waited for that task's row; PostgreSQL broke the
        deadlock by failing the halt (503) or the task. Halts of one session take their
        turns at the session's row (an advisory lock took them before).
        """
        with self._db.write() as conn:
            record = self._get(conn, owner, session_id, lock=True)
            if record.status != "active":
                return record
            conn.execute(
                sa.select(T.c.id)
                .where(T.c.session_id == session_id, T.c.status.in_(("new", "running")))
                .with_for_update()
            ).all()
            conn.execute(
                S.update()
                .where(S.c.id == session_id)
                .values(status="halted", updated=now, version=S.c.version + 1)
            )
            conn.execute(
                T.update()
                .where(T.c.session_id == session_id, T.c.status == "new")
                .values(
                    status="canceled",
                    phase="canceled",
                    finished=now,
                    progress_message=HALTED_BEFORE_START,
                    params="{}",
                    version=T.c.version + 1,
                )
            )
            conn.execute(
                T.update()
                .where(T.c.session_id == session_id, T.c.status == "running")
                .values(cancel_requested=True, version=T.c.version + 1)
            )
            return self._get(conn, owner, session_id)

    def _get(
        self, conn: sa.Connection, owner: int | None, session_id: int, *, lock: bool = False
    ) -> SessionRecord:
        """The session (its row locked, ``FOR UPDATE``, with ``lock``); NotFound otherwise."""
        return _record(session_row(conn, session_id, owner, lock=lock, columns=_COLUMNS))

    def _duplicate(self, owner: int, name: str) -> Conflict:
        with self._db.read() as conn:
            existing = conn.execute(
                sa.select(S.c.id).where(S.c.owner_id == owner, S.c.name == name)
            ).scalar()
        return Conflict(
            f"A session named {name!r} already exists (id {existing}); choose another name.",
            code="duplicate_name",
            detail={"field": "name", "name": name, "existing_id": str(existing)},
        )


def _search(text: str) -> sa.ColumnElement[bool]:
    conditions = [holds(S.c.name, text), holds(S.c.description, text), holds(S.c.tag, text)]
    stripped = text.strip()
    if stripped.isascii() and stripped.isdigit() and len(stripped) <= 18:
        conditions.append(S.c.id == int(stripped))
    return sa.or_(*conditions)

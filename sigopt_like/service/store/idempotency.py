"""Idempotency keys: a request's claim, its work and its stored answer in one transaction.

:meth:`IdempotencyStore.begin` makes a unit current whose first write claims the
key (inserts its row); the request's own writes join that unit, and
:meth:`IdempotentCall.finish` stores the answer in the same transaction and
commits, or rolls everything back (a 5xx). A crash at any instant leaves all of
it or none of it: a key is never left claimed by a dead process, and work whose
answer was lost is never done twice.
"""

from __future__ import annotations

import importlib
from contextvars import Token
from typing import Any

import attrs
import sqlalchemy as sa

from . import schema
from .database import Database, PointQuery, Unit
from .errors import KeyTaken

K = schema.idempotency_keys


@attrs.frozen
class Answer:
    """What a key holds: the request it was first used for, and that request's answer
    (``status`` None: a claim an older release left unanswered)."""

    method: str
    path: str
    body_hash: str
    status: int | None
    response: str | None
    content_type: str | None
    created: int

    def same_request(self, method: str, path: str, body_hash: str) -> bool:
        """Whether a request is the one this key was first used for."""
        return (self.method, self.path, self.body_hash) == (method, path, body_hash)


@attrs.frozen
class KeyUse:
    """One use of an Idempotency-Key: whose, which, and the request it came with."""

    owner: int
    key: str
    method: str
    path: str
    body_hash: str
    now: int
    #: answers older than this many seconds are forgotten
    ttl_seconds: int


_ANSWER = (
    K.c.method,
    K.c.path,
    K.c.body_hash,
    K.c.status,
    K.c.response,
    K.c.content_type,
    K.c.created,
)


class IdempotentCall:
    """The transaction of one request with a key; see the module docstring."""

    def __init__(self, store: IdempotencyStore, use: KeyUse) -> None:
        self._store = store
        self.use = use
        self.taken: Answer | None = None
        self._claim_id: int | None = None
        self._unit: Unit
        self._token: Token[Unit | None]
        self._unit, self._token = store.database.start_unit(self._claim)

    def _claim(self, conn: sa.Connection) -> None:
        self._claim_id, self.taken = self._store.claim(conn, self.use)
        if self.taken is not None:
            raise KeyTaken(
                "This Idempotency-Key was used by another request that has been answered.",
                detail={"header": "Idempotency-Key"},
            )

    def finish(self, status: int, body: str | None, content_type: str | None) -> Answer | None:
        """End the request: commit its writes with its answer (``body`` None: an answer
        that cannot be stored, e.g. a stream; the writes commit, the key is let go),
        or roll everything back on a 5xx. Returns the stored answer of another request
        when the key turned out to be taken (the caller replays it), else None."""
        database = self._store.database
        commit = False
        try:
            if self.taken is None and status < 500:
                if self._unit.begun or body is not None:
                    conn = self._unit.connection()  # claims now if nothing was written
                    self._store.answer(conn, self._claim_id, status, body, content_type)
                commit = self.taken is None
        except KeyTaken:
            commit = False
        finally:
            database.end_unit(self._unit, self._token, commit=commit)
        return self.taken

    def abandon(self) -> None:
        """Roll back and end the unit (the request could not be answered)."""
        self._store.database.end_unit(self._unit, self._token, commit=False)


class IdempotencyStore:
    """Claims, answers, lookups and expiry of idempotency keys."""

    def __init__(self, database: Database) -> None:
        self.database = database
        # built once: every request with a key runs these (see PointQuery for why)
        self._find = PointQuery(
            database,
            sa.select(*_ANSWER).where(
                K.c.owner_id == sa.bindparam("owner"), K.c.key == sa.bindparam("key")
            ),
        )
        self._answer = (
            sa.update(K)
            .where(K.c.id == sa.bindparam("claim_id"))
            .values(
                status=sa.bindparam("new_status"),
                response=sa.bindparam("new_response"),
                content_type=sa.bindparam("new_content_type"),
            )
        )
        self._claim_insert: Any = None

    def find(self, use: KeyUse) -> Answer | None:
        """The live answer under a key (None if there is none, or it expired or was
        left unanswered: then the key is free to claim)."""
        row = self._find.one(owner=use.owner, key=use.key)
        if row is None:
            return None
        answer = Answer(*row)
        return None if _stale(answer, use) else answer

    def begin(self, use: KeyUse) -> IdempotentCall:
        """Make the request's unit current; its first write claims the key."""
        return IdempotentCall(self, use)

    def claim(self, conn: sa.Connection, use: KeyUse) -> tuple[int | None, Answer | None]:
        """Insert the key's row in the current transaction: ``(its id, None)``, or
        ``(None, the answer it already holds)``. A stale row (expired, or left
        unanswered by an older release) makes way."""
        claim_id = self._insert(conn, use)
        if claim_id is not None:
            return claim_id, None
        row = conn.execute(
            sa.select(K.c.id, *_ANSWER).where(K.c.owner_id == use.owner, K.c.key == use.key)
        ).first()
        if row is None or _stale(Answer(*row[1:]), use):
            if row is not None:
                conn.execute(sa.delete(K).where(K.c.id == row.id))
            claim_id = self._insert(conn, use)
            if claim_id is not None:
                return claim_id, None
            row = conn.execute(
                sa.select(K.c.id, *_ANSWER).where(K.c.owner_id == use.owner, K.c.key == use.key)
            ).one()
        return None, Answer(*row[1:])

    def answer(
        self,
        conn: sa.Connection,
        claim_id: int | None,
        status: int,
        body: str | None,
        content_type: str | None,
    ) -> None:
        """Store a claimed key's answer (``body`` None: let the key go instead)."""
        if claim_id is None:
            return
        if body is None:
            conn.execute(sa.delete(K).where(K.c.id == claim_id))
            return
        conn.execute(
            self._answer,
            {
                "claim_id": claim_id,
                "new_status": status,
                "new_response": body,
                "new_content_type": content_type,
            },
        )

    def purge(self, created_before: int) -> int:
        """Forget answers created before a time; how many."""
        with self.database.write() as conn:
            return conn.execute(sa.delete(K).where(K.c.created < created_before)).rowcount

    def _insert(self, conn: sa.Connection, use: KeyUse) -> int | None:
        values = {
            "owner_id": use.owner,
            "key": use.key,
            "method": use.method,
            "path": use.path,
            "body_hash": use.body_hash,
            "created": use.now,
        }
        dialect = self.database.dialect
        if dialect in ("sqlite", "postgresql"):
            if self._claim_insert is None:
                # the dialect's INSERT ... ON CONFLICT DO NOTHING (imported when first used)
                insert = importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert(K)
                self._claim_insert = insert.on_conflict_do_nothing(
                    index_elements=["owner_id", "key"]
                ).returning(K.c.id)
            return conn.execute(self._claim_insert, values).scalar()
        try:
            with conn.begin_nested():
                key = conn.execute(sa.insert(K).values(**values)).inserted_primary_key
        except sa.exc.IntegrityError:
            return None
        return int(key[0]) if key is not None else None


def _stale(answer: Answer, use: KeyUse) -> bool:
    return answer.status is None or answer.created < use.now - use.ttl_seconds

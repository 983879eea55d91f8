"""Rate limits kept in the database, so that every process of a service enforces one
limit (several ``serve`` processes, or app processes behind a load balancer).

Each (scope, key) is one row holding GCRA's "theoretical arrival time": the
generic cell rate algorithm (as in ATM networks and many API gateways) lets
``limit`` events through at once and then one every ``window / limit`` seconds,
with one number per key. Hand-written because no maintained library keeps this
state in an SQL database (``limits``, ``slowapi`` and the like use Redis or memory).
"""

from __future__ import annotations

import hashlib
import importlib

import sqlalchemy as sa

from . import schema
from .database import Database

R = schema.rate_limits
#: the longest key a row holds as it is (the column's length)
KEY_LENGTH: int = getattr(R.c.key.type, "length", None) or 400


class RateLimitStore:
    """Count events per (scope, key) against a limit per window."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def hit(self, scope: str, key: str, limit: int, window: float, now: float) -> float | None:
        """Count one event: None if it is allowed, else the seconds until one would be
        (a refused event is not counted)."""
        key = _stored_key(key)
        interval = window / limit
        with self._db.write() as conn:
            query = sa.select(R.c.tat).where(R.c.scope == scope, R.c.key == key)
            if self._db.supports_skip_locked:  # the row's lock; SQLite's write lock is the file's
                query = query.with_for_update()
            stored = conn.execute(query).scalar()
            due = (now if stored is None else max(float(stored), now)) + interval
            wait = due - window - now
            if wait > 1e-9:
                return wait
            if stored is None:
                self._insert(conn, scope, key, due)
            else:
                conn.execute(sa.update(R).where(R.c.scope == scope, R.c.key == key).values(tat=due))
        return None

    def purge(self, now: float) -> int:
        """Forget keys whose every event has left its window (their row says nothing)."""
        with self._db.write() as conn:
            return conn.execute(sa.delete(R).where(R.c.tat < now)).rowcount

    def _insert(self, conn: sa.Connection, scope: str, key: str, tat: float) -> None:
        dialect = self._db.dialect
        if dialect in ("sqlite", "postgresql"):  # two first events of a key at once
            insert = importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert(R)
            statement = insert.values(scope=scope, key=key, tat=tat)
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["scope", "key"], set_={"tat": statement.excluded.tat}
                )
            )
        else:
            conn.execute(sa.insert(R).values(scope=scope, key=key, tat=tat))


def _stored_key(key: str) -> str:
    """``key`` as its row holds it: a key longer than the column (an email of 100,000
    characters at a login) is its SHA-256, so that it is counted like any other (before,
    PostgreSQL refused the row: a 500)."""
    if len(key) <= KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()

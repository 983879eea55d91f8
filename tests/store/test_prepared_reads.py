"""On PostgreSQL a read's statements are prepared once they repeat, as its writes' are.

psycopg prepares a statement on a connection after its fifth run there, and forgets
every count and prepared statement at each ROLLBACK. The store ended each read's
transaction with a rollback (a pooled connection's close), so statements read
through the pool never became prepared: each was parsed and planned again at every
request. A read now ends with a commit on PostgreSQL (the same for a transaction that
wrote nothing)."""

from __future__ import annotations

import time

import falcon.testing
import sqlalchemy as sa

from sigopt_like.service import create_app
from sigopt_like.service.store import open_store


def _prepared(conn: sa.Connection) -> list[str]:
    rows = conn.exec_driver_sql("SELECT statement FROM pg_prepared_statements").all()
    return [str(row[0]) for row in rows]


def test_a_repeated_read_is_prepared_on_its_pooled_connection(pg_url):
    store = open_store(pg_url)
    try:
        owner = store.accounts.local_user_id()
        session = store.sessions.create(owner, "prepared", "", 1, int(time.time()))
        task = store.tasks.start(owner, session.id, "generate", {}, int(time.time()))
        for _ in range(8):  # one thread: the pool lends the same connection each time
            assert store.tasks.get(session.id, task.id).status == "new"
        with store.database.read() as conn:
            prepared = _prepared(conn)
        assert any("FROM tasks" in text for text in prepared), prepared
        # and a read still sees what was committed since, as before
        store.tasks.cancel(owner, session.id, task.id, int(time.time()))
        assert store.tasks.get(session.id, task.id).status == "canceled"
    finally:
        store.close()


def test_a_read_that_raises_is_rolled_back(pg_url):
    store = open_store(pg_url)
    try:
        try:
            with store.database.read() as conn:
                conn.exec_driver_sql("SELECT 1")
                raise LookupError("the block's own error")
        except LookupError:
            pass
        with store.database.read() as conn:
            assert conn.exec_driver_sql("SELECT 2").scalar() == 2
    finally:
        store.close()


def test_the_readiness_read_ends_as_every_read_does(pg_url):
    """/ready's ``schema_version()`` ended its read with a ROLLBACK (the pool's) when every
    other read ends with a COMMIT: psycopg forgot its prepared statements there, so the
    probe's query was parsed and planned at every probe, and the other reads of that
    pooled connection lost theirs too."""
    with create_app(database=pg_url, run_tasks=False) as service:
        client = falcon.testing.TestClient(service)
        for _ in range(8):  # one thread: the pool lends the same connection each time
            ready = client.simulate_get("/ready")
            assert ready.status_code == 200 and ready.json["schema_version"] > 0
        with service.context.store.database.read() as conn:
            prepared = _prepared(conn)
        assert any("FROM meta" in text for text in prepared), prepared

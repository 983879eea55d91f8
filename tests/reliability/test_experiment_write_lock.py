"""A SigOpt write's lock of its experiment on PostgreSQL, taken by the statement that
reads the experiment (``SELECT ... FOR UPDATE OF sigopt_experiments``).

Every SigOpt write (a suggestion, a queued one, an observation, an update) locked its
experiment's row with a SELECT of its own, then read the row with a second one: a
round trip for nothing. The lock is the same row's, taken at the same point of the
write, so the writes of one experiment still run one after the other.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from sigopt_like.service import Service, create_app
from tests.fixtures.servers import IN_THREADS
from tests.sigopt.conftest import Api

pytestmark = [pytest.mark.reliability, pytest.mark.concurrency, pytest.mark.timeout(300)]


@pytest.fixture
def service_on_pg(pg_url: str) -> Iterator[Service]:
    svc = create_app(database=pg_url, **IN_THREADS)
    try:
        yield svc
    finally:
        svc.close()


def _experiment_reads(service: Service, write: Any) -> tuple[Any, list[str]]:
    """``write()``'s answer, and the statements of it that select the experiment's row."""
    engine = service.context.store.database.engine
    seen: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        if statement.lstrip().startswith("SELECT") and "FROM sigopt_experiments" in statement:
            seen.append(" ".join(statement.split()))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        answer = write()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return answer, seen


def test_each_sigopt_write_reads_and_locks_its_experiment_in_one_statement(service_on_pg):
    api = Api(service_on_pg)
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}"
    writes = {
        "suggestion": lambda: api.post(f"{base}/suggestions", {"assignments": POINT}),
        "queued": lambda: api.post(f"{base}/queued_suggestions", {"assignments": POINT}),
        "observation": lambda: api.post(f"{base}/observations", {"assignments": POINT, "value": 1}),
        "update": lambda: api.put(base, {"name": "renamed"}),
    }
    for name, write in writes.items():
        reply, reads = _experiment_reads(service_on_pg, write)
        assert reply.status in (200, 201), (name, reply.body)
        locking = [s for s in reads if "FOR UPDATE" in s]
        # an update read its experiment again, under the lock it held, for its answer:
        # it answers from what it wrote now
        assert len(locking) == 1, (name, reads)
        if name == "update":  # and reads it no other way
            assert len(reads) == 1, (name, reads)
        for statement in locking:  # each one the read, none a lock alone
            assert "FOR UPDATE OF sigopt_experiments" in statement, (name, statement)
            assert "sigopt_experiments.parameters" in statement, (name, statement)
    assert api.get(base).body["name"] == "renamed"


def test_a_write_waits_for_the_experiments_row_lock_as_before(service_on_pg, pg_url):
    """Held from a connection of the test's own, the experiment's row lock stops an
    observation at the statement that reads the experiment, storing nothing, until
    released."""
    api = Api(service_on_pg)
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}"
    engine = sa.create_engine(pg_url)
    replies: list[Any] = []
    try:
        with engine.connect() as holder:
            holder.execute(
                sa.text("SELECT id FROM sigopt_experiments WHERE id = :id FOR UPDATE"),
                {"id": e["id"]},
            )
            writer = threading.Thread(
                target=lambda: replies.append(
                    api.post(f"{base}/observations", {"assignments": POINT, "value": 1})
                )
            )
            writer.start()
            for _ in range(600):
                if _waiting(engine, "FOR UPDATE"):
                    break
                time.sleep(0.05)
            else:
                pytest.fail("the observation never waited for the experiment's row lock")
            assert not replies
            assert api.get(f"{base}/observations").body["count"] == 0
            holder.rollback()
        writer.join(60)
        assert replies and replies[0].status == 201, replies
        assert api.get(f"{base}/observations").body["count"] == 1
    finally:
        engine.dispose()


POINT = {"x": 1.5, "n": 3, "c": "b"}


def _waiting(engine: sa.Engine, words: str) -> int:
    """Backends of the test's database waiting for a lock in a statement with ``words``."""
    with engine.connect() as conn:
        query = (
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database() AND query ILIKE :words"
        )
        return int(conn.execute(sa.text(query), {"words": f"%{words}%"}).scalar_one())

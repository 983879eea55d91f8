"""Writes of the SigOpt family answer from what they wrote, not from a read of it.

Counted on the embedded service (SQLite), the request's own thread only: an experiment's
create read its row back (with its project's key) after the INSERT, a run's create read
its row back (with its project's key and its checkpoints' count), and an experiment's
update read the experiment again, under the lock it held, for its answer. Each answer
is still what a read of the object gives.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from sigopt_like.service import Service
from tests.sigopt.conftest import PARAMETERS, Api


@pytest.fixture
def api(service: Service) -> Api:
    return Api(service)


def _statements(service: Service, call: Callable[[], Any]) -> tuple[Any, list[str]]:
    """``call()``'s answer, and its statements (of this thread), each cut to 6 words."""
    engine = service.context.store.database.engine
    here = threading.get_ident()
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if threading.get_ident() == here:
            seen.append(" ".join(statement.split()[:6]))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        return call(), seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _after(statements: list[str], words: str) -> Iterator[str]:
    """The statements after the first that starts with ``words``."""
    at = next(i for i, s in enumerate(statements) if s.startswith(words))
    yield from statements[at + 1 :]


def test_an_experiment_create_answers_without_reading_its_row_back(api: Api) -> None:
    body = {"name": "e", "parameters": PARAMETERS, "metadata": {"k": "v", "n": 2}}
    reply, statements = _statements(api.service, lambda: api.post("/v1/experiments", body))
    assert reply.status == 201, reply.body
    after = list(_after(statements, "INSERT INTO sigopt_experiments"))
    assert not [s for s in after if "sigopt_experiments" in s], statements
    assert api.get(f"/v1/experiments/{reply.body['id']}").body == reply.body


def test_an_ai_experiment_in_a_project_answers_with_its_project(api: Api) -> None:
    client = api.get("/v1/tokens/self").body["client"]
    body = {"name": "ai", "parameters": PARAMETERS[:1], "metrics": [{"name": "m"}]}
    path = f"/v1/clients/{client}/projects/p/aiexperiments"
    reply, statements = _statements(api.service, lambda: api.post(path, body))
    assert reply.status == 201, reply.body
    after = list(_after(statements, "INSERT INTO sigopt_experiments"))
    assert not [s for s in after if "sigopt_experiments" in s], statements
    assert reply.body["project"] == "p"
    assert api.get(f"/v1/aiexperiments/{reply.body['id']}").body == reply.body


def test_a_run_create_answers_without_reading_its_row_back(api: Api) -> None:
    client = api.get("/v1/tokens/self").body["client"]
    body = {"name": "ai", "parameters": PARAMETERS[:1], "metrics": [{"name": "m"}]}
    eid = api.post(f"/v1/clients/{client}/projects/p/aiexperiments", body).body["id"]
    for path, sent in (
        (f"/v1/aiexperiments/{eid}/training_runs", {"name": "looped"}),
        (f"/v1/clients/{client}/projects/p/training_runs", {"name": "r", "metadata": {"k": 1}}),
    ):
        reply, statements = _statements(api.service, lambda: api.post(path, sent))  # noqa: B023
        assert reply.status == 201, reply.body
        after = list(_after(statements, "INSERT INTO training_runs"))
        assert not [s for s in after if s.startswith("SELECT")], statements
        assert api.get(f"/v1/training_runs/{reply.body['id']}").body == reply.body


def test_an_update_reads_its_experiment_once(api: Api) -> None:
    made = api.post("/v1/experiments", {"name": "e", "parameters": PARAMETERS}).body
    base = f"/v1/experiments/{made['id']}"
    change = {"name": "renamed", "metadata": {"a": 1}, "parallel_bandwidth": 3}
    reply, statements = _statements(api.service, lambda: api.put(base, change))
    assert reply.status == 200, reply.body
    reads = [s for s in statements if s.startswith("SELECT sigopt_experiments")]
    assert len(reads) == 1, statements
    assert reply.body == api.get(base).body
    assert (reply.body["name"], reply.body["metadata"]) == ("renamed", {"a": 1})


def test_suggestion_creates_answer_without_reading_their_rows_back(api: Api) -> None:
    """A suggestion (served from the queue, given its point, or the engine's) and a
    queued suggestion read their row back after the INSERT: on PostgreSQL one of a
    queued suggestion's five round trips."""
    made = api.post("/v1/experiments", {"name": "e", "parameters": PARAMETERS}).body
    base = f"/v1/experiments/{made['id']}"
    point = {"x": 1.5, "n": 3, "c": "b"}
    calls: list[tuple[str, Callable[[], Any]]] = [
        (
            "queued_suggestions",
            lambda: api.post(f"{base}/queued_suggestions", {"assignments": point}),
        ),
        ("suggestions", lambda: api.post(f"{base}/suggestions")),  # the queued one
        ("suggestions", lambda: api.post(f"{base}/suggestions", {"assignments": point})),
        ("suggestions", lambda: api.post(f"{base}/suggestions")),  # the engine's
    ]
    for table, call in calls:
        reply, statements = _statements(api.service, call)
        assert reply.status == 201, reply.body
        after = list(_after(statements, f"INSERT INTO {table}"))
        assert not [s for s in after if s.startswith("SELECT")], (table, statements)
        assert api.get(f"{base}/{table}/{reply.body['id']}").body == reply.body


def test_a_loops_run_and_its_suggestion_are_one_transaction_without_savepoints(
    api: Api,
) -> None:
    """The suggestion and the run of ``experiment.loop()`` are one transaction (see
    test_archived_run_insert.py); its two writes were savepoints of it, a SAVEPOINT and
    a RELEASE each (round trips on PostgreSQL) for blocks whose every error undoes the
    whole request anyway."""
    client = api.get("/v1/tokens/self").body["client"]
    body = {"name": "ai", "parameters": PARAMETERS[:1], "metrics": [{"name": "m"}]}
    eid = api.post(f"/v1/clients/{client}/projects/p/aiexperiments", body).body["id"]
    path = f"/v1/aiexperiments/{eid}/training_runs"
    reply, statements = _statements(api.service, lambda: api.post(path, {}))
    assert reply.status == 201, reply.body
    assert [s for s in statements if s.startswith("BEGIN IMMEDIATE")] == ["BEGIN IMMEDIATE"]
    assert not [s for s in statements if "SAVEPOINT" in s], statements
    assert len(statements) == 13, statements  # 16 before, two transactions of writes

"""PostgreSQL refusing a connection because it has as many as it allows (its
``max_connections``: "FATAL: sorry, too many clients already"), as a crowd through
several app processes and workers, each with a pool of up to 100 connections, can make
it: a 503 ``unavailable`` with Retry-After that says so, retried by the client, nothing
stored twice or lost, and no database outage logged (the server answers)."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import sqlalchemy as sa

import sigopt_like
from sigopt_like.service import create_app
from tests.fixtures.postgres import new_database, running_postgres
from tests.fixtures.servers import ServedInstance

#: connections the test's server allows (PostgreSQL's default is 100)
MAX_CONNECTIONS = 12
OUTAGE_LOG = "sigopt_like.service.database"


@pytest.fixture
def small_postgres_url() -> Iterator[str]:
    """A fresh database on a server of its own that allows :data:`MAX_CONNECTIONS`."""
    with running_postgres(f"max_connections={MAX_CONNECTIONS}") as server:
        yield new_database(server)


def _take_every_free_connection(url: str, held: contextlib.ExitStack) -> int:
    """Open connections to ``url``'s server until it refuses one; how many were opened."""
    import psycopg

    conninfo = sa.make_url(url).set(drivername="postgresql").render_as_string(False)
    for count in range(MAX_CONNECTIONS + 1):
        try:
            held.enter_context(psycopg.connect(conninfo))
        except psycopg.OperationalError as err:
            assert "too many clients" in str(err), err
            return count
    raise AssertionError(f"the server took more than max_connections={MAX_CONNECTIONS}")


def test_a_request_the_database_has_no_connection_for_is_a_503_and_no_outage(
    small_postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Before: a 503 "The service's database does not answer (restarting or down)", and
    an outage's start and end logged at each such request (78 of 120 requests of 40
    clients, through 32 threads, on a server allowing 12 connections)."""
    url = small_postgres_url
    served = ServedInstance(
        create_app(database=url, auth_required=True, run_tasks=False), url, threads=8
    )
    sessions, headers = f"{served.url}/v1/sessions", served.headers()
    try:
        with caplog.at_level("INFO", logger="sigopt_like.service"):
            with contextlib.ExitStack() as held:
                _take_every_free_connection(url, held)
                served.service.context.store.database.dispose()  # no connection kept
                _take_every_free_connection(url, held)  # nor any left for it to make
                for answer in (
                    requests.get(sessions, headers=headers, timeout=30),
                    requests.post(sessions, json={"name": "full"}, headers=headers, timeout=30),
                ):
                    assert answer.status_code == 503, answer.text
                    assert answer.json()["code"] == "unavailable"
                    assert "max_connections" in answer.json()["message"], answer.text
                    assert int(answer.headers["Retry-After"]) >= 1
                made: list[Any] = []
                with sigopt_like.Connection(served.url, served.token) as conn:
                    during = threading.Thread(
                        target=lambda: made.append(conn.sessions.create(name="waited"))
                    )
                    during.start()
                    time.sleep(2)
                    held.close()  # connections free again: the client's retry goes through
                    during.join(60)
            assert [session.name for session in made] == ["waited"]
            listed = requests.get(sessions, headers=headers, timeout=30).json()
            assert [item["name"] for item in listed["data"]] == ["waited"], listed
        outage = [r.getMessage() for r in caplog.records if r.name == OUTAGE_LOG]
        assert outage == [], outage
        failures = [
            r.getMessage()
            for r in caplog.records
            if r.name.startswith("sigopt_like.service") and r.levelno >= logging.ERROR
        ]
        assert failures == [], failures
    finally:
        served.close()


def test_a_task_loop_the_database_has_no_connection_for_says_so_once_and_no_outage(
    small_postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Before: the task runner's claim loop, refused a connection, logged a database
    outage ("the database does not answer (claiming a task): ... too many clients
    already") and its end at the next connection, each time."""
    url = small_postgres_url
    service = create_app(database=url, task_processes=0)
    try:
        with caplog.at_level("INFO", logger="sigopt_like.service"):
            with contextlib.ExitStack() as held:
                _take_every_free_connection(url, held)
                service.context.store.database.dispose()
                _take_every_free_connection(url, held)
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and not any(
                    "max_connections" in r.getMessage() for r in caplog.records
                ):
                    time.sleep(0.1)
            time.sleep(1)  # the loop works again (connections free)
        said = [
            (r.name, r.levelname, r.getMessage())
            for r in caplog.records
            if r.name.startswith("sigopt_like.service") and r.levelno >= logging.WARNING
        ]
        refused = [m for _, _, m in said if "refuses more connections" in m]
        assert len(refused) == 1, said
        assert not [r for r in said if r[0] == OUTAGE_LOG or r[1] == "ERROR"], said
    finally:
        service.close()

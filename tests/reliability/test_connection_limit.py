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


def _hold_every_connection_once_closed(url: str, held: contextlib.ExitStack, close: Any) -> None:
    """Take every free connection, ``close()`` the service's own, and take theirs too.

    A closed connection's slot frees when its server process exits, a moment after the
    close (longer on a loaded machine): connections are taken until none has freed for a
    second, or a slot freed late would serve the request the test expects refused."""
    _take_every_free_connection(url, held)
    close()
    quiet_until = time.monotonic() + 1.0
    while time.monotonic() < quiet_until:
        if _take_every_free_connection(url, held):
            quiet_until = time.monotonic() + 1.0
        time.sleep(0.05)


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
                # no connection kept
                _hold_every_connection_once_closed(
                    url, held, served.service.context.store.database.dispose
                )
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
                _hold_every_connection_once_closed(
                    url, held, service.context.store.database.dispose
                )
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


def test_ready_at_the_connection_limit_is_a_503_that_says_so_without_a_warning_a_probe(
    small_postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Before: ``/ready`` answered "The database does not answer; the service is not
    ready." (it answers: it refuses more connections), without Retry-After, and logged a
    warning with PostgreSQL's FATAL line at every probe."""
    url = small_postgres_url
    served = ServedInstance(create_app(database=url, run_tasks=False), url, threads=4)
    try:
        assert requests.get(f"{served.url}/ready", timeout=30).status_code == 200
        with caplog.at_level("DEBUG", logger="sigopt_like.service"):
            with contextlib.ExitStack() as held:
                _hold_every_connection_once_closed(
                    url, held, served.service.context.store.database.dispose
                )
                probes = [requests.get(f"{served.url}/ready", timeout=30) for _ in range(3)]
            after = requests.get(f"{served.url}/ready", timeout=30)
        for probe in probes:
            assert probe.status_code == 503, probe.text
            body = probe.json()
            assert body["code"] == "unavailable" and body["detail"] == {"check": "database"}
            assert "refuses more connections" in body["message"], body
            assert "max_connections" in body["message"], body
            assert int(probe.headers["Retry-After"]) >= 1
        assert after.status_code == 200, after.text
        loud = [
            r.getMessage()
            for r in caplog.records
            if r.name.startswith("sigopt_like.service") and r.levelno >= logging.WARNING
        ]
        assert not [m for m in loud if "too many clients" in m or "readiness check" in m], loud
    finally:
        served.close()


def test_a_request_whose_token_is_read_but_whose_query_gets_no_connection_is_a_503(
    small_postgres_url: str,
) -> None:
    """A request can take two connections: the token's point read (a connection of its own,
    kept) and the request's queries (the pool's). With the first kept and none left for
    the second, the request is the same 503 that says why, not a 500 or a wait."""
    url = small_postgres_url
    served = ServedInstance(
        create_app(database=url, auth_required=True, run_tasks=False), url, threads=4
    )
    sessions, headers = f"{served.url}/v1/sessions", served.headers()
    try:
        assert requests.get(sessions, headers=headers, timeout=30).status_code == 200
        database = served.service.context.store.database
        assert database._idle_readers, "the token's read keeps its connection"
        with contextlib.ExitStack() as held:
            # the pool's connections only: the reader stays
            _hold_every_connection_once_closed(url, held, database.engine.dispose)
            assert database._idle_readers
            for answer in (
                requests.get(f"{served.url}/v1/tokens/self", headers=headers, timeout=30),
                requests.get(sessions, headers=headers, timeout=30),
                requests.post(sessions, json={"name": "two"}, headers=headers, timeout=30),
            ):
                if answer.url.endswith("/tokens/self"):
                    assert answer.status_code == 200, answer.text  # the reader alone
                    continue
                assert answer.status_code == 503, answer.text
                assert "max_connections" in answer.json()["message"], answer.text
        listed = requests.get(sessions, headers=headers, timeout=30).json()
        assert listed["count"] == 0, listed
    finally:
        served.close()

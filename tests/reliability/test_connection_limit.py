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

import attrs
import psycopg
import pytest
import requests
import sqlalchemy as sa

import sigopt_like
from sigopt_like.service import create_app
from sigopt_like.service.store.database import translate_errors
from sigopt_like.service.store.errors import Busy
from sigopt_like.service.store.refusals import CONNECTION_LIMIT_MESSAGE
from sigopt_like.service.task_kinds import default_handlers
from sigopt_like.service.worker import TaskRunner, _what_the_database_did
from tests.campaign.conftest import Api
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


#: what psycopg says when PostgreSQL refuses a connection at its max_connections
TOO_MANY = "connection failed: FATAL:  sorry, too many clients already"


def test_a_crowd_is_said_so_whether_the_store_translated_it_or_not() -> None:
    """A requeue's words for a crowd: the store translates one into a Busy (a 503 with
    Retry-After), which was said "was busy with other changes" (Busy was asked first)."""
    raw = psycopg.OperationalError(TOO_MANY)
    with pytest.raises(Busy) as translated, translate_errors():
        raise sa.exc.OperationalError("SELECT 1", {}, raw)
    assert translated.value.message == CONNECTION_LIMIT_MESSAGE
    crowd = "refused a connection (max_connections reached)"
    assert _what_the_database_did(translated.value) == crowd
    assert _what_the_database_did(raw) == crowd
    busy = Busy("The database is busy with other changes; retry in a moment.")
    assert _what_the_database_did(busy) == "was busy with other changes"


def test_a_point_reader_the_database_has_no_connection_for_is_the_stores_busy(
    small_postgres_url: str,
) -> None:
    """A point reader's connection is made by the pool's ``raw_connection``, whose error is
    the driver's own, not wrapped: the store asked it only whether it was a refused
    connection (credentials, CONNECT), so a crowd went up as psycopg's OperationalError,
    not the store's Busy that every caller knows."""
    with create_app(database=small_postgres_url, run_tasks=False) as service:
        database = service.context.store.database
        with contextlib.ExitStack() as held:
            _hold_every_connection_once_closed(small_postgres_url, held, database.dispose)
            with pytest.raises(Busy) as refused, database.point_reader():
                pass
        assert refused.value.message == CONNECTION_LIMIT_MESSAGE
        assert isinstance(refused.value.__cause__, psycopg.OperationalError)


def test_a_task_the_database_has_no_connection_for_during_its_run_runs_again(
    small_postgres_url: str,
) -> None:
    """Before: the store's Busy for a crowd was taken for a busy database's, so the task
    was requeued "the database was busy with other changes", and, once it had run
    ``task_max_attempts`` times, failed "the database stayed busy with other changes ...
    run it again when the database is less busy". A crowd is no busy database: it goes
    back to the queue as after an outage, saying max_connections, and runs again."""
    url = small_postgres_url
    handlers = default_handlers()
    space = handlers["space"]
    runs: list[int] = []

    def crowded(context: Any) -> Any:
        runs.append(1)
        if len(runs) == 1:  # every connection taken: the progress line gets none
            with contextlib.ExitStack() as held:
                _hold_every_connection_once_closed(url, held, database.engine.dispose)
                context.progress("checking", 0.1)
        return space(context)

    with create_app(database=url, run_tasks=False) as service:
        database = service.context.store.database
        api = Api(service)
        sid = api.session()
        task = api.queue_space(sid)
        runner = TaskRunner(
            service.context.store,
            attrs.evolve(service.settings, task_max_attempts=1),  # one run: its last
            handlers={**handlers, "space": crowded},
            threads=0,
        )
        assert runner.run_one()
        deadline = time.monotonic() + 30
        while True:  # the requeue, if the freed connections came late, from the heartbeat
            first = api.get(f"/v1/sessions/{sid}/tasks/{task['id']}").body
            if first["status"] != "running" or time.monotonic() > deadline:
                break
            with contextlib.suppress(Exception):
                runner.heartbeat()
            time.sleep(0.2)
        assert first["status"] == "new", first  # before: failed, "stayed busy"
        said = first["progress"]["message"]
        assert said == (
            "requeued: the database refused a connection (max_connections reached) during "
            "its run; it runs again"
        ), first
        assert runner.run_one()
        done = api.get(f"/v1/sessions/{sid}/tasks/{task['id']}").body
    assert done["status"] == "success", done
    assert len(runs) == 2


def test_a_run_refused_a_connection_by_a_crowd_is_given_back_not_counted(
    small_postgres_url: str,
) -> None:
    """Before: a run requeued for a crowd (max_connections) was counted, so the crowd used
    up ``task_max_attempts``: here (2 runs allowed) the run after it, meeting a busy
    database once, failed "the database stayed busy with other changes through 2 runs of
    the task", of which none had ended. A crowd's run is given back, as a clean stop's is."""
    url = small_postgres_url
    handlers = default_handlers()
    space = handlers["space"]
    runs: list[int] = []

    def crowded_then_busy(context: Any) -> Any:
        runs.append(1)
        if len(runs) == 1:  # every connection taken: the progress line gets none
            with contextlib.ExitStack() as held:
                _hold_every_connection_once_closed(url, held, database.engine.dispose)
                context.progress("checking", 0.1)
        if len(runs) == 2:  # the store's answer to a busy database (a lock it waited for)
            raise Busy("The database is busy with other changes; retry in a moment.")
        return space(context)

    with create_app(database=url, run_tasks=False) as service:
        database = service.context.store.database
        api = Api(service)
        sid = api.session()
        task = api.queue_space(sid)
        path = f"/v1/sessions/{sid}/tasks/{task['id']}"
        runner = TaskRunner(
            service.context.store,
            attrs.evolve(service.settings, task_max_attempts=2),
            handlers={**handlers, "space": crowded_then_busy},
            threads=0,
        )
        assert runner.run_one()
        deadline = time.monotonic() + 30
        while True:  # the requeue, if the freed connections came late, from the heartbeat
            first = api.get(path).body
            if first["status"] != "running" or time.monotonic() > deadline:
                break
            with contextlib.suppress(Exception):
                runner.heartbeat()
            time.sleep(0.2)
        assert first["status"] == "new", first
        assert "max_connections" in first["progress"]["message"], first
        assert first["attempts"] == 0, first  # before: 1, a run charged to the crowd
        assert runner.run_one()
        second = api.get(path).body
        assert second["status"] == "new", second  # before: failed, "stayed busy through 2"
        assert "was busy with other changes" in second["progress"]["message"], second
        assert second["attempts"] == 1, second
        assert runner.run_one()
        done = api.get(path).body
    assert done["status"] == "success", done
    assert done["attempts"] == 2 and len(runs) == 3, done

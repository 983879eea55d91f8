"""PostgreSQL drops every connection (a restart, a failover, an administrator): the
served app answers the next requests as if nothing happened, on new connections."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

import sigopt_like
from sigopt_like.service import create_app
from sigopt_like.service.worker import FAILING_POLL_SECONDS
from tests.fixtures.servers import ServedInstance

pytestmark = [pytest.mark.reliability]


def _drop_connections(url: str) -> int:
    """Terminate every other connection to the database, as a server restart does."""
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return len(
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).all()
            )
    finally:
        admin.dispose()


def test_requests_after_the_database_dropped_its_connections_are_answered(pg_url: str) -> None:
    """Before: every idle point-read connection (the token check of each request) answered
    one request 500 AdminShutdown after a PostgreSQL restart (typed against the
    docs/service.md scale-out steps: 3 of a campaign's first requests after a restart)."""
    service = create_app(database=pg_url, auth_required=True, run_tasks=False)
    served = ServedInstance(service, pg_url)
    url, headers = f"{served.url}/v1/sessions", served.headers()

    def get(_: int) -> int:
        return requests.get(url, headers=headers, timeout=30).status_code

    try:
        with ThreadPoolExecutor(8) as pool:  # several idle readers, as a busy server has
            assert set(pool.map(get, range(40))) == {200}
        assert _drop_connections(pg_url) >= 1
        assert [get(i) for i in range(3)] == [200] * 3
        assert requests.post(url, json={"name": "after"}, headers=headers, timeout=30).ok
        assert _drop_connections(pg_url) >= 1
        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(get, range(40))) == {200}
    finally:
        served.close()


def _admin(url: str, *statements: str) -> None:
    base, _, query = url.partition("?")
    server = base.rsplit("/", 1)[0] + "/postgres" + (f"?{query}" if query else "")
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for statement in statements:
                conn.execute(sa.text(statement))
    finally:
        admin.dispose()


def test_a_worker_says_a_database_outage_once_and_when_it_ends(pg_url: str) -> None:
    """Before: each thread of ``sigopt-like worker`` logged a 110-line traceback every
    0.5 s while the database was unreachable (16 in 4 s for two threads); now the first
    failure has its traceback, later ones one line a minute, and the end is said."""
    name = pg_url.split("?", 1)[0].rsplit("/", 1)[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "sigopt_like", "worker", "--db", pg_url, "--threads", "2"],
        cwd=Path(__file__).resolve().parents[2],
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stderr is not None
        assert "running 2 threads" in proc.stderr.readline()
        _admin(
            pg_url,
            f"ALTER DATABASE {name} ALLOW_CONNECTIONS false",
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'",
        )
        time.sleep(4)  # 16 polls of two threads, before
        _admin(pg_url, f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
        time.sleep(FAILING_POLL_SECONDS + 2)  # the next claim works
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        _, said = proc.communicate(timeout=30)
    logged = [line for line in said.splitlines() if " sigopt_like." in line]
    assert len(logged) <= 4, logged  # the claim's and the heartbeat's failure, and ends
    assert said.count("claiming a task failed; retrying") == 1, said[-3000:]
    assert "claiming a task works again, after" in said, said[-3000:]


def test_requests_while_the_database_is_down_are_503_and_the_client_rides_over(
    pg_url: str,
) -> None:
    """Before: 500 ``internal`` with a traceback in the log, which the client does not
    retry: a campaign's request during a PostgreSQL restart failed at once. Now 503
    ``unavailable`` with Retry-After, which it retries until the database is back."""
    name = pg_url.split("?", 1)[0].rsplit("/", 1)[1]
    service = create_app(database=pg_url, auth_required=True, run_tasks=False)
    served = ServedInstance(service, pg_url)
    url, headers = f"{served.url}/v1/sessions", served.headers()
    try:
        assert requests.get(url, headers=headers, timeout=30).status_code == 200
        _admin(
            pg_url,
            f"ALTER DATABASE {name} ALLOW_CONNECTIONS false",
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'",
        )
        for answer in (
            requests.get(url, headers=headers, timeout=30),
            requests.post(url, json={"name": "down"}, headers=headers, timeout=30),
        ):
            assert answer.status_code == 503, answer.text
            assert answer.json()["code"] == "unavailable"
            assert int(answer.headers["Retry-After"]) >= 1
        made: list[Any] = []
        with sigopt_like.Connection(served.url, served.token) as conn:
            during = threading.Thread(target=lambda: made.append(conn.sessions.create(name="x")))
            during.start()
            time.sleep(2)
            _admin(pg_url, f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
            during.join(60)
        assert [session.name for session in made] == ["x"]
    finally:
        _admin(pg_url, f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
        served.close()


def test_a_served_app_says_a_database_outage_once_while_clients_wait_on_tasks(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Before: the task watch (what a long poll on a task waits on, in an app process of
    the scale-out steps) logged a traceback every second while the database was down."""
    name = pg_url.split("?", 1)[0].rsplit("/", 1)[1]
    service = create_app(database=pg_url, auth_required=True, run_tasks=False)
    served = ServedInstance(service, pg_url)
    headers = served.headers()
    try:
        sid = requests.post(
            f"{served.url}/v1/sessions", json={"name": "w"}, headers=headers, timeout=30
        ).json()["id"]
        space = [[f"p{i}", "numerical", 0, 1, 2] for i in range(5)]
        task = requests.put(
            f"{served.url}/v1/sessions/{sid}/space",
            json={
                "space": {
                    "type": "factorial",
                    "parameters": [
                        {"name": p[0], "type": "numerical", "values": p[2:]} for p in space
                    ],
                },
                "population_size": 12,
                "replicates": 1,
            },
            headers=headers,
            timeout=30,
        ).json()
        assert task["status"] == "new", task  # no runner: it waits, watched
        waiting = threading.Thread(
            target=requests.get,
            args=(f"{served.url}/v1/sessions/{sid}/tasks/{task['id']}?wait=10",),
            kwargs={"headers": headers, "timeout": 30},
        )
        with caplog.at_level("INFO", logger="sigopt_like.service.task_watch"):
            waiting.start()
            time.sleep(1)
            _admin(
                pg_url,
                f"ALTER DATABASE {name} ALLOW_CONNECTIONS false",
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'",
            )
            time.sleep(5)
            _admin(pg_url, f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
            waiting.join(30)
            time.sleep(2)
        said = [r for r in caplog.records if r.name == "sigopt_like.service.task_watch"]
        assert 1 <= len(said) <= 2, [r.getMessage() for r in said]
        assert said[0].exc_info and said[0].getMessage() == "reading task versions failed; retrying"
    finally:
        _admin(pg_url, f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
        served.close()

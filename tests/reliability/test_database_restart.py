"""PostgreSQL drops every connection (a restart, a failover, an administrator): the
served app answers the next requests as if nothing happened, on new connections."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

import sigopt_like
from sigopt_like.service import create_app
from sigopt_like.service.worker import FAILING_POLL_SECONDS
from tests.fixtures.postgres import administrator
from tests.fixtures.servers import REPO_ROOT, ServedInstance, announced_url, wsgi_factory

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


def test_requests_after_the_database_dropped_its_connections_are_answered(
    pg_url: str, served: ServedInstance
) -> None:
    """Before: every idle point-read connection (the token check of each request) answered
    one request 500 AdminShutdown after a PostgreSQL restart (typed against the
    docs/service.md scale-out steps: 3 of a campaign's first requests after a restart)."""
    url, headers = f"{served.url}/v1/sessions", served.headers()

    def get(_: int) -> int:
        return requests.get(url, headers=headers, timeout=30).status_code

    with ThreadPoolExecutor(8) as pool:  # several idle readers, as a busy server has
        assert set(pool.map(get, range(40))) == {200}
    assert _drop_connections(pg_url) >= 1
    assert [get(i) for i in range(3)] == [200] * 3
    assert requests.post(url, json={"name": "after"}, headers=headers, timeout=30).ok
    assert _drop_connections(pg_url) >= 1
    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(get, range(40))) == {200}


def _admin(url: str, *statements: str) -> None:
    """Run ``statements`` as the administrator, on the server's ``postgres`` database (not
    ``url``'s, whose connections they close)."""
    base, _, query = url.partition("?")
    server = base.rsplit("/", 1)[0] + "/postgres" + (f"?{query}" if query else "")
    with administrator(server) as admin_says:
        admin_says(*statements)


def _allow_connections(url: str, allowed: bool) -> None:
    name = url.split("?", 1)[0].rsplit("/", 1)[1]
    _admin(url, f"ALTER DATABASE {name} ALLOW_CONNECTIONS {str(allowed).lower()}")


def _cut_off(url: str) -> None:
    """The database refuses every new connection and drops its open ones, as a PostgreSQL
    restart or stop does to this database's clients (until ``_allow_connections``)."""
    name = url.split("?", 1)[0].rsplit("/", 1)[1]
    _admin(
        url,
        f"ALTER DATABASE {name} ALLOW_CONNECTIONS false",
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'",
    )


def _outage(url: str, seconds: float) -> None:
    """The database is cut off for ``seconds`` (see :func:`_cut_off`)."""
    _cut_off(url)
    try:
        time.sleep(seconds)
    finally:
        _allow_connections(url, True)


@pytest.fixture
def served(pg_url: str) -> Iterator[ServedInstance]:
    """The app (auth on, no task runner) on ``pg_url``, served on 127.0.0.1; afterwards the
    database lets connections in again (a failed test may leave it cut off) and the
    server is closed."""
    instance = ServedInstance(
        create_app(database=pg_url, auth_required=True, run_tasks=False), pg_url
    )
    try:
        yield instance
    finally:
        _allow_connections(pg_url, True)
        instance.close()


@contextlib.contextmanager
def _running(command: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``command`` started from the project's root in a session of its own, all it says
    written to ``log``; on leaving, SIGTERM to its session and up to 30 s for its end (its
    exit code then in ``returncode``)."""
    with open(log, "w") as out:
        proc = subprocess.Popen(
            command, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


def _stop(proc: subprocess.Popen[str]) -> str:
    """SIGTERM ``proc`` (its own session) and what it wrote, standard error included."""
    os.killpg(proc.pid, signal.SIGTERM)
    said, _ = proc.communicate(timeout=30)
    return said


SERVE = (sys.executable, "-m", "sigopt_like", "serve")
OUTAGE_STARTS = "sigopt_like.service.database the database does not answer ("
OUTAGE_ENDS = "sigopt_like.service.database the database answers again, after "


def test_a_worker_says_a_database_outage_in_one_line_and_its_end_in_another(pg_url: str) -> None:
    """Before: each loop of ``sigopt-like worker`` (its claims, its heartbeat) logged the
    driver's chained traceback when it first failed, about 220 lines for a 25 s PostgreSQL
    stop (and earlier still, a traceback per thread every 0.5 s). Now the whole outage is
    two lines: its start with the error's first line, and its end."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "sigopt_like", "worker", "--db", pg_url, "--threads", "2"],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        assert "running 2 threads" in proc.stdout.readline()
        _outage(pg_url, 6)  # 12 claims of each thread, and a heartbeat, fail meanwhile
        time.sleep(FAILING_POLL_SECONDS + 2)  # the next claim works
    finally:
        said = _stop(proc)
    lines = said.strip().splitlines()
    # and the start line, read above, and the stop's own (docs/service.md)
    assert len(lines) == 3, said[-3000:]
    assert OUTAGE_STARTS in lines[0] and "; retrying until it does" in lines[0], lines
    assert "Traceback" not in said and "Background on this error" not in said, said[-3000:]
    assert OUTAGE_ENDS in lines[1], lines
    assert "stopped by SIGTERM; no task was running" in lines[2], lines


def test_serve_says_a_database_outage_in_one_line_and_its_end_in_another(
    pg_url: str, tmp_path: Path
) -> None:
    """Before: ``sigopt-like serve`` (its tasks in a worker process it starts) looked for
    queued tasks every second and logged a 45-line traceback for each look that failed:
    about 2,800 lines for a 25 s PostgreSQL stop. Now two lines, and its readiness probes
    during the outage add none."""
    log = tmp_path / "serve.log"
    with _running(
        [*SERVE, "--no-auth", "--quiet-access", "--port", "0", "--db", pg_url], log
    ) as proc:
        url = announced_url(proc, log, r"serving on (http://\S+)")
        assert requests.get(f"{url}/ready", timeout=30).status_code == 200
        probes = threading.Thread(
            target=lambda: [
                (requests.get(f"{url}/ready", timeout=30), time.sleep(0.5)) for _ in range(10)
            ]
        )
        probes.start()
        _outage(pg_url, 6)  # 6 looks for queued tasks fail, and 10 probes
        probes.join(60)
        time.sleep(3)  # the next look works
        assert requests.get(f"{url}/ready", timeout=30).status_code == 200
    lines = log.read_text().strip().splitlines()
    assert "serving on" in lines[0], lines
    assert len(lines) == 4, lines[:20]
    assert OUTAGE_STARTS in lines[1] and OUTAGE_ENDS in lines[2], lines
    assert "stopped serving" in lines[3], lines  # _stop's SIGTERM, said as it is asked


def test_requests_while_the_database_is_down_are_503_and_the_client_rides_over(
    pg_url: str,
    served: ServedInstance,
) -> None:
    """Before: 500 ``internal`` with a traceback in the log, which the client does not
    retry: a campaign's request during a PostgreSQL restart failed at once. Now 503
    ``unavailable`` with Retry-After, which it retries until the database is back."""
    url, headers = f"{served.url}/v1/sessions", served.headers()
    assert requests.get(url, headers=headers, timeout=30).status_code == 200
    _cut_off(pg_url)
    for answer in (
        requests.get(url, headers=headers, timeout=30),
        requests.post(url, json={"name": "down"}, headers=headers, timeout=30),
        requests.get(f"{served.url}/ready", timeout=30),  # before: no Retry-After
    ):
        assert answer.status_code == 503, answer.text
        assert answer.json()["code"] == "unavailable"
        assert int(answer.headers["Retry-After"]) >= 1, answer.headers
    made: list[Any] = []
    with sigopt_like.Connection(served.url, served.token) as conn:
        during = threading.Thread(target=lambda: made.append(conn.sessions.create(name="x")))
        during.start()
        time.sleep(2)
        _allow_connections(pg_url, True)
        during.join(60)
    assert [session.name for session in made] == ["x"]


def test_a_served_app_says_a_database_outage_once_while_clients_wait_on_tasks(
    pg_url: str, served: ServedInstance, caplog: pytest.LogCaptureFixture
) -> None:
    """Before: the task watch (what a long poll on a task waits on, in an app process of
    the scale-out steps) logged a traceback every second while the database was down; then
    a traceback once. Now one line, and one when it ends. The long poll reads the task
    itself each second (a revoked token ends it within a second), so the outage may be
    found first by the poll (answered 503) or by the watch; its end is said at the next
    connection, here a client's next request."""
    headers = served.headers()
    sid = requests.post(
        f"{served.url}/v1/sessions", json={"name": "w"}, headers=headers, timeout=30
    ).json()["id"]
    space = [[f"p{i}", "numerical", 0, 1, 2] for i in range(5)]
    task = requests.put(
        f"{served.url}/v1/sessions/{sid}/space",
        json={
            "space": {
                "type": "factorial",
                "parameters": [{"name": p[0], "type": "numerical", "values": p[2:]} for p in space],
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
    with caplog.at_level("INFO", logger="sigopt_like.service"):
        waiting.start()
        time.sleep(1)
        _cut_off(pg_url)
        time.sleep(5)
        _allow_connections(pg_url, True)
        waiting.join(30)
        time.sleep(2)
        again = requests.get(f"{served.url}/v1/sessions/{sid}", headers=headers, timeout=30)
        assert again.status_code == 200, again.text
    said = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("sigopt_like.service.") and r.levelno >= logging.WARNING
    ]
    said = [m for m in said if "the database does not answer on" not in m]  # requests'
    assert len(said) == 2, said
    assert said[0].startswith("the database does not answer ("), said
    assert "reading task versions" in said[0] or f"/v1/sessions/{sid}/tasks/" in said[0]
    assert said[1].startswith("the database answers again, after ")


def test_requests_failed_in_an_outage_are_said_once_and_counted(
    pg_url: str, served: ServedInstance, caplog: pytest.LogCaptureFixture
) -> None:
    """Before: each request answered 503 while the database was down logged a line of its
    own (a team's scripts retrying every 2 s: lines by the hundred a minute). Now the
    outage's first failure is said with its request (method, path, request id), and the
    others are counted in the outage's lines: here, its end."""
    url, headers = f"{served.url}/v1/sessions", served.headers()
    assert requests.get(url, headers=headers, timeout=30).status_code == 200
    with caplog.at_level("INFO", logger="sigopt_like.service"):
        _cut_off(pg_url)
        answers = [requests.get(url, headers=headers, timeout=30) for _ in range(20)]
        # the metrics are served without the database; only its gauge is left out
        metrics = requests.get(f"{served.url}/metrics", timeout=30)
        _allow_connections(pg_url, True)
        after = requests.get(f"{served.url}/metrics", timeout=30).text
        assert requests.get(f"{served.url}/ready", timeout=30).status_code == 200
    assert [a.status_code for a in answers] == [503] * 20, answers[-1].text
    said = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("sigopt_like.service")
        and r.levelno >= logging.WARNING
        and not r.getMessage().startswith("readiness: ")  # no worker: not this test's
    ]
    assert len(said) == 2, said
    first = answers[0].json()["detail"]["request_id"]
    assert said[0].startswith(
        f"the database does not answer (GET /v1/sessions, request {first}): "
    ), said
    assert said[0].endswith("; answering requests 503 until it does"), said
    assert said[1].startswith("the database answers again, after "), said
    assert "21 failed calls meanwhile, 20 of them requests answered 503" in said[1], said
    assert metrics.status_code == 200, metrics.text
    assert 'status="503"' in metrics.text
    assert "sigopt_like_task_worker_seen_age_seconds" not in metrics.text
    assert "sigopt_like_task_worker_seen_age_seconds +Inf" in after


def test_an_app_process_that_only_requests_reach_says_the_end_of_an_outage(
    pg_url: str, served: ServedInstance, caplog: pytest.LogCaptureFixture
) -> None:
    """Before: only a retrying loop or a ``/ready`` probe said an outage's end, so an app
    process with neither (``serve --no-tasks``, the WSGI factory) said its start at the
    first 503 and never its end. Now the first request answered after it says it."""
    url, headers = f"{served.url}/v1/sessions", served.headers()
    outage_log = "sigopt_like.service.database"

    def said() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == outage_log]

    with caplog.at_level(logging.INFO, logger=outage_log):
        assert requests.get(url, headers=headers, timeout=30).status_code == 200
        _cut_off(pg_url)
        assert requests.get(url, headers=headers, timeout=30).status_code == 503
        (start,) = said()
        assert start.startswith("the database does not answer (GET /v1/sessions"), start
        _allow_connections(pg_url, True)
        assert requests.get(url, headers=headers, timeout=30).status_code == 200
        assert len(said()) == 2, said()
        assert said()[1].startswith("the database answers again, after "), said()
        assert "1 of them requests answered 503" in said()[1], said()
        assert requests.get(url, headers=headers, timeout=30).status_code == 200
        assert len(said()) == 2, said()  # said once


def _answer_until(url: str, status: int, timeout: float = 60) -> requests.Response:
    """GET ``url`` until it answers ``status`` (the last answer)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            answer = requests.get(url, timeout=30)
            if answer.status_code == status:
                return answer
        except requests.ConnectionError:
            pass
        assert time.monotonic() < deadline, f"{url} never answered {status}"
        time.sleep(0.2)


@pytest.mark.parametrize("server", ["serve", "gunicorn", "gunicorn --preload"])
def test_a_server_started_before_its_database_answers_503_then_serves(
    pg_url: str, tmp_path: Path, server: str
) -> None:
    """Before: the WSGI factory raised at its start ("App failed to load": gunicorn
    stopped) and ``serve`` exited, when the PostgreSQL server refused connections: an app
    started before its database (a boot, a container platform) stayed down. Now both
    start, answer ``/health`` 200 (liveness) and ``/ready`` and the API 503 until the
    database lets them in, then serve. Under gunicorn's ``--preload`` the wait began in
    the master did not carry into its forked workers: they answered 503 for good."""
    store = sigopt_like.service.store.open_store(pg_url)  # its tables, a user and token
    token = store.accounts.issue_token(store.accounts.create_user("s@example.com").id).token
    store.close()
    _allow_connections(pg_url, False)
    log = tmp_path / f"{server.replace(' ', '')}.log"
    if server == "serve":
        command = [*SERVE, "--quiet-access", "--no-tasks", "--port", "0", "--db", pg_url]
        announced = r"serving on (http://\S+?)[;, ]"
    else:
        command = [
            *(sys.executable, "-m", "gunicorn", "-c", "python:sigopt_like.service.gunicorn_conf"),
            *("--workers", "1", "--threads", "4", "--bind", "127.0.0.1:0"),
            *server.split()[1:],
            wsgi_factory(pg_url),
        ]
        announced = r"Listening at: (http://127\.0\.0\.1:\d+)"
    with _running(command, log) as proc:
        try:
            url = announced_url(proc, log, announced)
            _answer_until(f"{url}/health", 200)
            assert requests.head(f"{url}/health", timeout=30).status_code == 200
            ready = requests.get(f"{url}/ready", timeout=30)
            assert ready.status_code == 503 and ready.json()["code"] == "unavailable", ready.text
            headers = {"Authorization": f"Bearer {token}"}
            listed = requests.get(f"{url}/v1/sessions", headers=headers, timeout=30)
            assert listed.status_code == 503 and listed.headers["Retry-After"], listed.text
            assert listed.json()["detail"] == {"check": "database"}, listed.text
            assert requests.head(f"{url}/ready", timeout=30).status_code == 503
        finally:
            _allow_connections(pg_url, True)
        assert _answer_until(f"{url}/ready", 200).json()["object"] == "ready"
        listed = requests.get(f"{url}/v1/sessions", headers=headers, timeout=30)
        assert listed.status_code == 200 and listed.json()["count"] == 0, listed.text
        made = requests.post(
            f"{url}/v1/sessions", json={"name": "late"}, headers=headers, timeout=30
        )
        assert made.status_code == 201, made.text
    text = log.read_text()
    assert "App failed to load" not in text and "Traceback" not in text, text[-3000:]
    assert "the database does not answer (service start" in text, text[-3000:]
    assert "the database answers again, after" in text, text[-3000:]


def test_a_server_started_before_its_database_refuses_a_host_not_allowed(
    pg_url: str, tmp_path: Path
) -> None:
    """Before: while ``serve --allowed-host`` waited for its PostgreSQL, its answers skipped
    the Host check (the dashboard's guard against DNS rebinding): a foreign ``Host`` got the
    waiting 200 and 503s. It now gets the running service's 403 ``host_not_allowed``, the
    same answer as once the database is up, ``/health`` included."""
    store = sigopt_like.service.store.open_store(pg_url)
    store.close()
    _allow_connections(pg_url, False)
    log = tmp_path / "hosts.log"
    command = [*SERVE, "--quiet-access", "--no-tasks", "--no-auth", "--port", "0"]
    command += ["--db", pg_url, "--allowed-host", "localhost"]
    foreign = {"Host": "rebound.example:80"}
    local = {"Host": "localhost"}

    def answers() -> list[tuple[int, str | None, str | None]]:
        said = []
        for path in ("/health", "/ready", "/v1/sessions"):
            answer = requests.get(f"{url}{path}", headers=foreign, timeout=30)
            body = answer.json()
            said.append((answer.status_code, body.get("code"), body.get("message")))
        return said

    with _running(command, log) as proc:
        try:
            url = announced_url(proc, log, r"serving on (http://\S+?)[;, ]")
            deadline = time.monotonic() + 60
            while requests.get(f"{url}/health", headers=local, timeout=30).status_code != 200:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            waiting = answers()
            assert requests.get(f"{url}/ready", headers=local, timeout=30).status_code == 503
        finally:
            _allow_connections(pg_url, True)
        deadline = time.monotonic() + 60
        while requests.get(f"{url}/ready", headers=local, timeout=30).status_code != 200:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        running = answers()
    message = "This server answers only to localhost; open it by one of those names."
    assert running == [(403, "host_not_allowed", message)] * 3, running
    assert waiting == running, waiting


def test_a_server_whose_database_takes_the_connection_and_never_answers_starts(
    tmp_path: Path,
) -> None:
    """Before: a PostgreSQL address that took the TCP connection and said nothing (a hung
    server, a proxy before a database still starting) held ``serve`` before it listened,
    for good: libpq waits without end unless told, and its timeout, when a URL gave one,
    was not taken for an outage (psycopg's ConnectionTimeout is a subclass of the
    OperationalError looked for), so the start stopped. Each attempt now gives up after
    ``connect_timeout`` (10 s unless the URL says), and the server starts and waits. The
    two servers (the default timeout, the URL's) start side by side: each waits its
    timeout out, so one after the other doubled the test's time."""
    import socket

    silent = socket.create_server(("127.0.0.1", 0))
    taken: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                taken.append(silent.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    port = silent.getsockname()[1]
    started: list[tuple[subprocess.Popen[bytes], Path]] = []
    with contextlib.ExitStack() as running:
        for name, url in (
            ("default", f"postgresql+psycopg://app@127.0.0.1:{port}/doe"),
            ("given", f"postgresql+psycopg://app@127.0.0.1:{port}/doe?connect_timeout=2"),
        ):
            command = [*SERVE, "--quiet-access", "--no-tasks", "--port", "0", "--db", url]
            log = tmp_path / f"silent-{name}.log"
            started.append((running.enter_context(_running(command, log)), log))
        for proc, log in started:
            served = announced_url(proc, log, r"serving on (http://\S+?)[;, ]", timeout=40)
            assert requests.get(f"{served}/health", timeout=30).status_code == 200
            ready = requests.get(f"{served}/ready", timeout=30)
            assert ready.status_code == 503 and ready.json()["code"] == "unavailable", ready.text
    for _, log in started:
        text = log.read_text()
        assert "connection timeout expired; retrying until it does" in text, text[-2000:]
    silent.close()
    for conn in taken:
        conn.close()


def test_a_worker_started_before_its_database_waits_then_runs(pg_url: str, tmp_path: Path) -> None:
    """Before: ``sigopt-like worker`` exited at once ("cannot use the database: ...") when
    its PostgreSQL server refused connections, where ``serve`` and the WSGI factory wait:
    a scaled-out start (app and workers before the database) kept no worker. It waits,
    says so once, runs once the database lets it in, and stops on SIGTERM while waiting."""
    sigopt_like.service.store.open_store(pg_url).close()  # its tables
    _allow_connections(pg_url, False)
    command = [sys.executable, "-m", "sigopt_like", "worker", "--db", pg_url]
    logs = []
    try:
        for allowed_later in (False, True):
            log = tmp_path / f"worker-{allowed_later}.log"
            logs.append(log)
            with _running(command, log) as proc:
                deadline = time.monotonic() + 30
                while "(worker start: no task runs until it does)" not in log.read_text():
                    assert proc.poll() is None, log.read_text()  # before: exited at once
                    assert time.monotonic() < deadline, log.read_text()
                    time.sleep(0.1)
                if allowed_later:
                    _allow_connections(pg_url, True)
                    while " running " not in log.read_text():
                        assert proc.poll() is None, log.read_text()
                        assert time.monotonic() < deadline + 30, log.read_text()
                        time.sleep(0.1)
            assert proc.returncode == 0, log.read_text()
    finally:
        _allow_connections(pg_url, True)
    assert "the database answers again, after" in logs[1].read_text()
    assert "Traceback" not in logs[0].read_text() + logs[1].read_text()


TYPO_URL = "postgresql+psycopg://app@db-typo.invalid:5432/doe"  # .invalid never resolves


def _unresolved_line(text: str, what: str) -> str:
    """The log line saying that the database's host name does not resolve, for ``what``."""
    lines = [line for line in text.splitlines() if "host name does not resolve" in line]
    assert lines, text[-3000:]
    line = lines[0]
    assert f"({what}" in line, line
    # the driver's own words, naming the host: psycopg's, or libpq's when it resolves
    assert "db-typo.invalid" in line, line
    assert "failed to resolve host" in line or "could not translate host name" in line, line
    assert "if it is mistyped, correct the database URL" in line, line
    return line


def test_a_server_whose_database_host_name_does_not_resolve_waits_saying_why(
    tmp_path: Path,
) -> None:
    """A mistyped PostgreSQL host name, or one not in DNS yet (a boot): ``serve`` starts
    and waits as for a server not up yet (DNS may come late), and says why in the driver's
    words at once, in the wait's log line and on its "serving on" line: a typo shows. Before,
    psycopg's own "failed to resolve host" (3.2 and later resolve names themselves) stopped
    the start, while libpq's "could not translate host name" was waited for, saying only
    that the database did not answer."""
    log = tmp_path / "typo.log"
    command = [*SERVE, "--quiet-access", "--no-tasks", "--port", "0", "--db", TYPO_URL]
    with _running(command, log) as proc:
        url = announced_url(proc, log, r"serving on (http://\S+?)[;, ]")
        assert _answer_until(f"{url}/health", 200).json()["object"] == "health"
        ready = requests.get(f"{url}/ready", timeout=30)
        assert ready.status_code == 503 and ready.json()["code"] == "unavailable", ready.text
        assert proc.poll() is None
    text = log.read_text()
    _unresolved_line(text, "service start")
    serving = next(line for line in text.splitlines() if "serving on" in line)
    assert "the database does not answer yet (" in serving and "db-typo.invalid" in serving
    assert "Traceback" not in text, text[-3000:]


def test_a_worker_whose_database_host_name_does_not_resolve_waits_saying_why(
    tmp_path: Path,
) -> None:
    """``sigopt-like worker`` on the same mistyped name: it waits (before: it exited at
    once), saying why in one line, and stops on SIGTERM while waiting."""
    log = tmp_path / "typo-worker.log"
    command = [sys.executable, "-m", "sigopt_like", "worker", "--db", TYPO_URL]
    with _running(command, log) as proc:
        deadline = time.monotonic() + 30
        while "host name does not resolve" not in log.read_text():
            assert proc.poll() is None, log.read_text()  # before: exited at once
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        time.sleep(1.0)  # a retry or two later, still waiting
        assert proc.poll() is None, log.read_text()
    assert proc.returncode == 0, log.read_text()
    text = log.read_text()
    _unresolved_line(text, "worker start")
    assert text.count("host name does not resolve") == 1, text  # one line, not one a try
    assert "Traceback" not in text, text[-3000:]


def test_a_starting_servers_answers_echo_the_clients_request_id(tmp_path: Path) -> None:
    """A server waiting for its database (a closed port: refused at once) answers the API
    503 and ``/health`` 200 with the ``X-Request-Id`` the client sent, when it is sane, as
    the running service does; one that is not sane gets a new one. Before, these answers
    made up their own, and a client or proxy naming its requests could not find the 503
    by its own name."""
    import re
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    log = tmp_path / "starting.log"
    url_db = f"postgresql+psycopg://app@127.0.0.1:{port}/doe"
    command = [*SERVE, "--quiet-access", "--no-tasks", "--port", "0", "--db", url_db]
    with _running(command, log) as proc:
        url = announced_url(proc, log, r"serving on (http://\S+?)[;, ]")
        _answer_until(f"{url}/health", 200)
        for path, status in (("/v1/sessions", 503), ("/ready", 503), ("/health", 200)):
            sent = {"X-Request-Id": f"client-{path.strip('/').replace('/', '.')}"}
            answer = requests.get(f"{url}{path}", headers=sent, timeout=30)
            assert answer.status_code == status, answer.text
            assert answer.headers["X-Request-Id"] == sent["X-Request-Id"], answer.headers
        refused = requests.get(f"{url}/v1/sessions", headers={"X-Request-Id": "a b"}, timeout=30)
        assert refused.status_code == 503, refused.text
        assert re.fullmatch(r"[0-9a-f]{32}", refused.headers["X-Request-Id"]), refused.headers
        assert proc.poll() is None
    assert "Traceback" not in log.read_text()

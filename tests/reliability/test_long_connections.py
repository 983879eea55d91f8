"""A client that keeps one connection for many requests, under gunicorn with the service's
settings module (``-c python:sigopt_like.service.gunicorn_conf``, as docs/service.md
says to run it).

A SigOpt loop (suggest, evaluate, observe) on one ``requests.Session`` sends every
request on one kept-alive connection. The worker's copy of each request head wrapped the
connection's reads once more at each request (gunicorn 27 calls ``conn.init()`` for every
request of a connection, not only its first): reads got slower request after request,
and at about the 985th Python's recursion limit was reached, the request was answered
gunicorn's own HTML 500 and the connection closed (readers paging observations while
clients wrote, in a run by hand over gunicorn and PostgreSQL). Real gunicorn on
127.0.0.1, one ``http.client`` connection.
"""

from __future__ import annotations

import http.client
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.fixtures.faults import env_int
from tests.fixtures.servers import announced_url, start_gunicorn, stop_gunicorn, wsgi_factory

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(300)]

#: requests on one connection: well past Python's recursion limit (1000)
REQUESTS = env_int("SIGOPT_LIKE_CONNECTION_REQUESTS", 1500)


@pytest.fixture
def gunicorn_url(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """gunicorn with the settings module, one worker of two threads, on SQLite: its URL
    and its log."""
    factory = wsgi_factory(str(tmp_path / "long.db"), auth_required=False)
    proc, log = start_gunicorn(tmp_path, factory, threads=2)
    try:
        url = announced_url(proc, log, r"Listening at: (http://127\.0\.0\.1:\d+)")
        for _ in range(600):  # until the worker has loaded the app
            try:
                if requests.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert proc.poll() is None, log.read_text()
            time.sleep(0.1)
        yield url, log
    finally:
        stop_gunicorn(proc)


def test_one_connection_serves_many_requests(gunicorn_url: tuple[str, Path]) -> None:
    url, log = gunicorn_url
    host, port = url.removeprefix("http://").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    statuses: Counter[int] = Counter()
    try:
        conn.connect()
        first = conn.sock
        for i in range(REQUESTS):
            conn.request("GET", "/v1/version")
            answer = conn.getresponse()
            answer.read()
            statuses[answer.status] += 1
            assert answer.status == 200, (i, answer.status, dict(statuses))
            # the same socket: gunicorn kept the connection (else http.client reopens one)
            assert conn.sock is first, f"the connection was closed after request {i}"
    finally:
        conn.close()
    assert statuses == {200: REQUESTS}
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


#: a body past gunicorn's drain cap (64 KiB), well under the service's 10 MiB limit
UNREAD_BODY = b'{"name": "' + b"x" * 100_000 + b'"}'


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("PATCH", "/v1/sessions", 405),  # a method the route has not
        ("POST", "/v1/no-such-route", 404),
        ("GET", "/v1/sessions?q=%00", 400),  # a query refused before the body is read
    ],
)
def test_a_large_body_answered_unread_keeps_the_connection(
    gunicorn_url: tuple[str, Path], method: str, path: str, status: int
) -> None:
    """Before: the worker had read the body whole, then gunicorn drained what the app left
    unread, gave up past 64 KiB and closed the connection its answer had said was kept
    alive: the client's next request on it got no answer ("Remote end closed connection
    without response"; a third of a hostile client's requests under load, by hand over
    gunicorn and PostgreSQL)."""
    url, log = gunicorn_url
    host, port = url.removeprefix("http://").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        conn.connect()
        first = conn.sock
        for i in range(3):
            conn.request(
                method, path, body=UNREAD_BODY, headers={"Content-Type": "application/json"}
            )
            answer = conn.getresponse()
            assert answer.status == status, (i, answer.status, answer.read()[:300])
            assert answer.getheader("Connection") != "close"
            answer.read()
            conn.request("GET", "/v1/version")
            answer = conn.getresponse()
            assert answer.status == 200, (i, answer.status)
            answer.read()
            assert conn.sock is first, f"the connection was closed after request {i}"
    finally:
        conn.close()
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]

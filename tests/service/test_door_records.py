"""A request the server refuses itself, before the app (a body over ``max_body_bytes``,
headers past the limits), is counted in ``/metrics`` and written to the access log as the
app's answers are: under gunicorn (its access log) and under waitress (the service's
``AccessLog``, ``sigopt-like serve``'s). Before, neither saw it: operators tuning
``--max-body-bytes`` by its 413s saw none. Real gunicorn and waitress on 127.0.0.1."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from sigopt_like.service import create_app
from sigopt_like.service.access_log import AccessLog
from tests.fixtures.servers import (
    IN_THREADS,
    ServedInstance,
    gunicorn_answering,
    start_gunicorn,
    stop_gunicorn,
    wsgi_factory,
)
from tests.fixtures.waiting import read_until_closed

BODY_LIMIT = 20_000
#: how long a request may take to arrive (the servers' read timeout) before its 408
READ_SECONDS = 1.0
#: one header field more than either server takes (``serving.REQUEST_FIELDS``): a 431
TOO_MANY_HEADERS = {f"X-Extra-{i}": "1" for i in range(101)}


@pytest.fixture(scope="module")
def gunicorn_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """gunicorn (the settings module) with its access log in a file: (url, access log)."""
    tmp_path = tmp_path_factory.mktemp("gunicorn-records")
    access = tmp_path / "access.log"
    factory = wsgi_factory(str(tmp_path / "r.db"), auth_required=False, max_body_bytes=BODY_LIMIT)
    proc, log = start_gunicorn(
        tmp_path,
        factory,
        threads=2,
        env={"SIGOPT_LIKE_REQUEST_READ_TIMEOUT": str(READ_SECONDS)},
        args=("--access-logfile", str(access)),
    )
    try:
        url = gunicorn_answering(proc, log)
        yield url, access
    finally:
        stop_gunicorn(proc)


@pytest.fixture
def waitress_served(tmp_path: Path) -> Iterator[ServedInstance]:
    """waitress as ``sigopt-like serve`` runs it: the service inside its access log."""
    service = create_app(
        database=str(tmp_path / "r.db"),
        auth_required=False,
        max_body_bytes=BODY_LIMIT,
        **IN_THREADS,
    )
    instance = ServedInstance(
        service, str(tmp_path / "r.db"), app=AccessLog(service), read_seconds=READ_SECONDS
    )
    try:
        yield instance
    finally:
        instance.close()


def _count(url: str, route: str, method: str, status: int) -> float:
    """``sigopt_like_http_requests_total`` of one route, method and status (0: none)."""
    text = requests.get(f"{url}/metrics", timeout=10).text
    wanted = {"route": route, "method": method, "status": str(status)}
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "sigopt_like_http_requests_total" and sample.labels == wanted
    )


def _timed(url: str, route: str, method: str) -> tuple[float, float]:
    """``sigopt_like_http_request_duration_seconds`` of one route and method: (count, sum)."""
    text = requests.get(f"{url}/metrics", timeout=10).text
    wanted = {"route": route, "method": method}
    found = {"count": 0.0, "sum": 0.0}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            for part in found:
                name = f"sigopt_like_http_request_duration_seconds_{part}"
                if sample.name == name and sample.labels == wanted:
                    found[part] = sample.value
    return found["count"], found["sum"]


def _stall_a_body(url: str) -> bytes:
    """A POST whose body stops part way; what the server answers (a 408 after
    :data:`READ_SECONDS`)."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=READ_SECONDS + 10) as sock:
        sock.sendall(
            b"POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name": "s'
        )
        return read_until_closed(sock, ends_on=(TimeoutError,))


def _check_a_408_is_counted_not_timed(url: str) -> None:
    """The 408 is in ``requests_total``; the duration histogram of the app's answers does
    not take the time the server waited for the body (it read as a request that slow)."""
    timed_before = _timed(url, "/v1/sessions", "POST")
    answer = _stall_a_body(url)
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert _count(url, "/v1/sessions", "POST", 408) == 1.0
    assert _timed(url, "/v1/sessions", "POST") == timed_before
    answered = requests.post(f"{url}/v1/sessions", json={"name": "timed"}, timeout=10)
    assert answered.status_code == 201, answered.text
    count, total = _timed(url, "/v1/sessions", "POST")
    assert count == timed_before[0] + 1 and total - timed_before[1] < READ_SECONDS


def _refuse_both(url: str) -> None:
    """A body over the limit (413) and too many headers (431), both to ``/v1/sessions``."""
    answer = requests.post(f"{url}/v1/sessions", data=b"x" * (BODY_LIMIT * 3), timeout=10)
    assert answer.status_code == 413, answer.text
    answer = requests.get(f"{url}/v1/sessions", headers=TOO_MANY_HEADERS, timeout=10)
    assert answer.status_code == 431, answer.text


def _logged(read: Callable[[], str], wanted: str) -> bool:
    """Whether ``wanted`` shows in the log ``read()`` gives, within a few seconds."""
    deadline = time.monotonic() + 5
    while wanted not in read():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_gunicorn_counts_and_logs_its_own_refusals(gunicorn_served: tuple[str, Path]) -> None:
    url, access = gunicorn_served
    _refuse_both(url)
    assert _count(url, "/v1/sessions", "POST", 413) == 1.0
    assert _count(url, "/v1/sessions", "GET", 431) == 1.0
    read = lambda: access.read_text() if access.exists() else ""  # noqa: E731
    assert _logged(read, '"POST /v1/sessions HTTP/1.1" 413 '), read()
    assert _logged(read, '"GET /v1/sessions HTTP/1.1" 431 '), read()


def test_waitress_counts_and_logs_its_own_refusals(
    waitress_served: ServedInstance, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sigopt_like.access")
    url = waitress_served.url
    _refuse_both(url)
    assert _count(url, "/v1/sessions", "POST", 413) == 1.0
    assert _count(url, "/v1/sessions", "GET", 431) == 1.0
    read = lambda: "\n".join(r.getMessage() for r in caplog.records)  # noqa: E731
    assert _logged(read, '"POST /v1/sessions HTTP/1.1" 413 '), read()
    assert _logged(read, '"GET /v1/sessions HTTP/1.1" 431 '), read()


def test_gunicorns_408_is_counted_and_not_timed_as_an_answer(
    gunicorn_served: tuple[str, Path],
) -> None:
    _check_a_408_is_counted_not_timed(gunicorn_served[0])


def test_waitresss_408_is_counted_and_not_timed_as_an_answer(
    waitress_served: ServedInstance,
) -> None:
    _check_a_408_is_counted_not_timed(waitress_served.url)

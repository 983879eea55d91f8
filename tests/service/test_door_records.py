"""A request the server refuses itself, before the app (a body over ``max_body_bytes``,
headers past the limits), is counted in ``/metrics`` and written to the access log as the
app's answers are: under gunicorn (its access log) and under waitress (the service's
``AccessLog``, ``sigopt-like serve``'s). Before, neither saw it: operators tuning
``--max-body-bytes`` by its 413s saw none. Real gunicorn and waitress on 127.0.0.1."""

from __future__ import annotations

import logging
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
)

BODY_LIMIT = 20_000
#: one header field more than either server takes (``serving.REQUEST_FIELDS``): a 431
TOO_MANY_HEADERS = {f"X-Extra-{i}": "1" for i in range(101)}


@pytest.fixture(scope="module")
def gunicorn_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """gunicorn (the settings module) with its access log in a file: (url, access log)."""
    tmp_path = tmp_path_factory.mktemp("gunicorn-records")
    access = tmp_path / "access.log"
    factory = (
        f"sigopt_like.service.wsgi:application(database={str(tmp_path / 'r.db')!r}, "
        f"auth_required=False, max_body_bytes={BODY_LIMIT})"
    )
    proc, log = start_gunicorn(tmp_path, factory, threads=2, args=("--access-logfile", str(access)))
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
    instance = ServedInstance(service, str(tmp_path / "r.db"), app=AccessLog(service))
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

"""The ``X-Request-Id`` of the refusals answered before a request's head was parsed, under
both servers (``sigopt-like serve``'s waitress and gunicorn with the service's settings
module): a head over the size limit (431) and a head still coming at the read deadline
(408) echo the id the client sent, when its line came whole; else a new one. A real
server on 127.0.0.1, raw sockets.
"""

from __future__ import annotations

import contextlib
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from sigopt_like.service import create_app
from tests.fixtures.servers import (
    ServedInstance,
    gunicorn_answering,
    start_gunicorn,
    stop_gunicorn,
    wsgi_factory,
)
from tests.fixtures.waiting import read_until_closed
from tests.service.test_slow_clients import _address

pytestmark = pytest.mark.timeout(300)

#: the servers' read deadline here, in seconds
READ_SECONDS = 2


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Both servers, each with a read deadline of :data:`READ_SECONDS`: their URLs."""
    folder = Path(tmp_path_factory.mktemp("refusal-ids"))
    database = str(folder / "serve.db")
    served = ServedInstance(
        create_app(database=database, auth_required=True), database, read_seconds=READ_SECONDS
    )
    tmp_path = Path(tmp_path_factory.mktemp("refusal-ids-gunicorn"))
    factory = wsgi_factory(str(tmp_path / "g.db"), auth_required=True)
    env = {"SIGOPT_LIKE_REQUEST_READ_TIMEOUT": str(READ_SECONDS)}
    proc, log = start_gunicorn(tmp_path, factory, threads=2, env=env)
    try:
        yield {"serve": served.url, "gunicorn": gunicorn_answering(proc, log)}
    finally:
        stop_gunicorn(proc)
        served.close()


def _answer(url: str, request: bytes) -> tuple[bytes, bytes]:
    """Send ``request`` (the rest never comes): the answer's status line and its id."""
    with socket.create_connection(_address(url), timeout=READ_SECONDS * 5) as sock:
        # the server may answer and close before all of it was sent
        with contextlib.suppress(OSError):
            sock.sendall(request)
        answer = read_until_closed(sock, ends_on=(ConnectionResetError,))
    status = answer.partition(b"\r\n")[0]
    found = re.search(rb"\r\nX-Request-Id: (\S+)\r\n", answer)
    assert found, answer[:500]
    return status, found.group(1)


@pytest.mark.parametrize("server", ["serve", "gunicorn"])
def test_a_head_too_large_echoes_the_id_it_sent(servers: dict[str, str], server: str) -> None:
    """Before, under ``serve``: a head over waitress's 256 KiB got a new id (waitress
    parsed "GET / HTTP/1.0" in its place), and its 431 said HTTP/1.0 to a 1.1 client."""
    head = (
        b"GET /v1/sessions HTTP/1.1\r\nHost: x\r\nX-Request-Id: too-large-1\r\n"
        b"X-Pad: " + b"a" * 300_000 + b"\r\n\r\n"
    )
    status, request_id = _answer(servers[server], head)
    assert status.startswith(b"HTTP/1.1 431 "), status
    assert request_id == b"too-large-1"


@pytest.mark.parametrize("server", ["serve", "gunicorn"])
def test_a_head_still_coming_at_the_deadline_echoes_its_whole_id(
    servers: dict[str, str], server: str
) -> None:
    """Before, under ``serve``: a 408 of a head still coming got a new id. An id whose
    line has not come whole cannot be known: a new one."""
    status, request_id = _answer(
        servers[server], b"GET /v1/sessions HTTP/1.1\r\nHost: x\r\nX-Request-Id: late-1\r\nX-Ot"
    )
    assert status.startswith(b"HTTP/1.1 408 "), status
    assert request_id == b"late-1"
    status, request_id = _answer(
        servers[server], b"GET /v1/sessions HTTP/1.1\r\nHost: x\r\nX-Request-Id: late-2"
    )
    assert status.startswith(b"HTTP/1.1 408 "), status
    assert re.fullmatch(rb"[0-9a-f]{32}", request_id), request_id

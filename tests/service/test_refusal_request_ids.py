"""The door's refusals, answered before the app (``wire_errors`` and ``proxy_refusals``
under ``sigopt-like serve``, ``gunicorn_worker`` under gunicorn), echo the X-Request-Id
the client or its proxy sent, under the app's rule (``request_ids``): letters, digits,
``.``, ``_`` and ``-``, 1 to 128 of them; any other gets a new id, as from the app.
Before, each refusal made up its own id: a proxy that names its requests could not find
a 400, 408 or 413 in the service's logs by its name. A real ``serve`` and a real
gunicorn on 127.0.0.1, raw sockets."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import pytest

from tests.fixtures.servers import (
    announced_url,
    gunicorn_answering,
    start_command,
    start_gunicorn,
    stop_gunicorn,
    wsgi_factory,
)
from tests.fixtures.waiting import read_until_closed
from tests.service.test_slow_clients import _address

BODY_LIMIT = 50_000
READ_SECONDS = 1.5
#: a sane id, as a proxy names its requests
SENT = "proxy-7f3a.42_Z"
#: ids the app does not echo: a space, a comma (the header twice), one too long, non-ASCII
INSANE = ["bad id", "a,b", "a" * 129, "caf\xe9"]
NEW_ID = re.compile(rb"[0-9a-f]{32}")


def _answer(url: str, request: bytes) -> bytes:
    """Send ``request``, and read the answer until the server closes."""
    with socket.create_connection(_address(url), timeout=30) as sock:
        sock.sendall(request)
        return read_until_closed(sock)


def _status_and_id(answer: bytes) -> tuple[int, bytes]:
    """An answer's status and its X-Request-Id."""
    head = answer.partition(b"\r\n\r\n")[0].split(b"\r\n")
    ids = [
        line.split(b":", 1)[1].strip() for line in head if line.lower().startswith(b"x-request-id:")
    ]
    assert len(ids) == 1, answer[:600]
    return int(head[0].split(b" ")[1]), ids[0]


def _id_header(request_id: str) -> bytes:
    if request_id == "a,b":  # the header twice: the server joins them
        return b"X-Request-Id: a\r\nX-Request-Id: b\r\n"
    return b"X-Request-Id: " + request_id.encode("latin-1") + b"\r\n"


#: requests the door refuses before the app, by name, with the status they get, under
#: both servers: a body declared past the limit, a Transfer-Encoding neither server
#: implements, a header field past the limit (431: JSON to an API client, a page to a
#: browser)
REFUSED = {
    "413": (
        413,
        b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n" % (BODY_LIMIT * 2),
    ),
    "400": (400, b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"),
    "431": (431, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n"),
    "431-page": (
        431,
        b"GET / HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\nX-Big: " + b"a" * 9000 + b"\r\n",
    ),
}


@pytest.fixture(scope="module")
def serve_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``sigopt-like serve`` trusting 127.0.0.1 as its proxy, with a small body limit."""
    tmp_path = tmp_path_factory.mktemp("serve-ids")
    argv = (
        *("serve", "--no-auth", "--quiet-access", "--no-tasks", "--port", "0"),
        *("--trusted-proxy", "127.0.0.1", "--max-body-bytes", str(BODY_LIMIT)),
        *("--request-read-timeout", str(READ_SECONDS)),
    )
    proc, log = start_command(tmp_path, "serve", str(tmp_path / "serve.db"), *argv)
    try:
        yield announced_url(proc, log, r"serving on (http://\S+?)[;, ]")
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.fixture(scope="module")
def gunicorn_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """gunicorn with the settings module and a small body limit."""
    tmp_path = tmp_path_factory.mktemp("gunicorn-ids")
    database = str(tmp_path / "gunicorn.db")
    factory = wsgi_factory(database, auth_required=False, max_body_bytes=BODY_LIMIT)
    proc, log = start_gunicorn(
        tmp_path, factory, threads=2, env={"SIGOPT_LIKE_REQUEST_READ_TIMEOUT": str(READ_SECONDS)}
    )
    try:
        yield gunicorn_answering(proc, log)
    finally:
        stop_gunicorn(proc)


@pytest.fixture(params=["serve", "gunicorn"])
def door_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.mark.parametrize("refused", sorted(REFUSED))
def test_a_refusal_echoes_the_id_sent(door_url: str, refused: str) -> None:
    """Before: a new id, not the one sent."""
    status, head = REFUSED[refused]
    answer = _answer(door_url, head + _id_header(SENT) + b"\r\n")
    assert _status_and_id(answer) == (status, SENT.encode()), answer[:600]
    page = b"Content-Type: text/html" in answer.partition(b"\r\n\r\n")[0]
    assert page == refused.endswith("-page"), answer[:600]


@pytest.mark.parametrize("refused", sorted(REFUSED))
@pytest.mark.parametrize("insane", INSANE, ids=["space", "twice", "129", "latin-1"])
def test_a_refusal_replaces_an_id_the_app_would_not_echo(
    door_url: str, refused: str, insane: str
) -> None:
    status, head = REFUSED[refused]
    answer = _answer(door_url, head + _id_header(insane) + b"\r\n")
    got_status, request_id = _status_and_id(answer)
    assert got_status == status, answer[:600]
    assert NEW_ID.fullmatch(request_id), answer[:600]
    # and the app itself does the same with it
    app = _answer(
        door_url,
        b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + _id_header(insane) + b"\r\n",
    )
    assert _status_and_id(app)[0] == 200 and NEW_ID.fullmatch(_status_and_id(app)[1]), app[:600]


def test_a_408_echoes_the_id_sent(door_url: str) -> None:
    """A body that does not come within the read deadline: its 408 names the request."""
    head = (
        b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n" + _id_header(SENT) + b"\r\n{"
    )
    answer = _answer(door_url, head)
    assert _status_and_id(answer) == (408, SENT.encode()), answer[:600]


def test_gunicorns_refusal_of_a_head_it_cannot_parse_echoes_the_id_sent(
    gunicorn_url: str,
) -> None:
    """A head gunicorn cannot parse (a space in a field's name) has no request: the id is
    read from the head's lines as they came."""
    head = b"GET /health HTTP/1.1\r\nHost: x\r\n" + _id_header(SENT) + b"Bad Name: 1\r\n\r\n"
    answer = _answer(gunicorn_url, head)
    assert _status_and_id(answer) == (400, SENT.encode()), answer[:600]


def test_an_id_on_a_folded_line_is_replaced_by_every_door(door_url: str) -> None:
    """``X-Request-Id: abc`` continued on a folded line (`` def``) is not the id ``abc``:
    serve and the app gave a new id, and gunicorn's 400 (a head it cannot parse) echoed
    ``abc``; a head still coming whose id line may go on is no whole id either."""
    head = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    answer = _answer(door_url, head + b"X-Request-Id: abc\r\n def\r\n\r\n")
    status, request_id = _status_and_id(answer)
    assert status == 400 and NEW_ID.fullmatch(request_id), answer[:600]


def test_gunicorns_408_of_a_head_whose_id_line_goes_on_gives_a_new_id(gunicorn_url: str) -> None:
    answer = _answer(gunicorn_url, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc\r\n de")
    status, request_id = _status_and_id(answer)
    assert status == 408 and NEW_ID.fullmatch(request_id), answer[:600]


@pytest.mark.parametrize(
    ("head_so_far", "echoed"),
    [
        (b"X-Request-Id: " + SENT.encode() + b"\r\n", True),
        (b"X-Request-Id: " + SENT.encode(), False),
    ],
    ids=["its-line-whole", "its-line-cut"],
)
def test_gunicorns_408_of_a_head_still_coming_echoes_an_id_whose_line_came(
    gunicorn_url: str, head_so_far: bytes, echoed: bool
) -> None:
    """A head that does not end within the read deadline: its 408 carries the id of a
    whole line; of a line cut short (the id may be too), a new one."""
    answer = _answer(gunicorn_url, b"GET /health HTTP/1.1\r\nHost: x\r\n" + head_so_far)
    status, request_id = _status_and_id(answer)
    assert status == 408, answer[:600]
    assert (request_id == SENT.encode()) is echoed, answer[:600]
    assert echoed or NEW_ID.fullmatch(request_id), answer[:600]


def test_serves_refusal_of_a_malformed_forwarded_scheme_echoes_the_id_sent(
    serve_url: str,
) -> None:
    """The trusted proxy's X-Forwarded-Proto that waitress cannot take (``proxy_refusals``):
    its 400 carries the proxy's id, as the app's answer to the same request would."""
    head = b"GET /v1/version HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Forwarded-Proto: ftp\r\n"
    answer = _answer(serve_url, head + _id_header(SENT) + b"\r\n")
    assert _status_and_id(answer) == (400, SENT.encode()), answer[:600]
    insane = _answer(serve_url, head + _id_header("bad id") + b"\r\n")
    assert NEW_ID.fullmatch(_status_and_id(insane)[1]), insane[:600]

"""Requests the app answers without their body (``service/unread_answers.py``), under both
servers: ``sigopt-like serve``'s waitress and gunicorn with the service's settings module,
each with tokens required. A real server on 127.0.0.1, raw sockets.

- A request that waits for ``100 Continue`` and whose head alone makes it a 401 (no token,
  an ``Authorization`` that cannot be read) gets the 401 at once, not ``100 Continue``
  first (then the body, then the 401).
- A client that sends the body of such a request anyway (without waiting to be told, as
  RFC 9110 allows and curl does after 1 s) reads the whole answer, every time: the server
  reads the body away before it closes, where it closed on it and reset the connection.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fixtures.raw_exchange import (
    BODY_PAST_THE_BUFFERS,
    assert_a_body_sent_anyway_is_read_away,
    exchange,
    read_one_answer,
)
from tests.fixtures.servers import (
    gunicorn_answering,
    start_gunicorn,
    stop_gunicorn,
    token_in,
    wsgi_factory,
)
from tests.service.test_slow_clients import AT_ONCE, PATIENCE, _address, _status_and_body

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def gunicorn_with_tokens(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """gunicorn with the settings module and tokens required: its URL and a valid token."""
    tmp_path = tmp_path_factory.mktemp("gunicorn-unread")
    database = str(tmp_path / "unread.db")
    factory = wsgi_factory(database, auth_required=True)
    proc, log = start_gunicorn(tmp_path, factory, threads=2)
    try:
        url = gunicorn_answering(proc, log)
        yield url, token_in(database)
    finally:
        stop_gunicorn(proc)


def _url(server: str, gunicorn_with_tokens: tuple[str, str], served: Any) -> str:
    return gunicorn_with_tokens[0] if server == "gunicorn" else str(served.url)


@pytest.mark.parametrize("server", ["gunicorn", "serve"])
@pytest.mark.parametrize(
    "credentials",
    [
        b"",
        b"Authorization: Token abc\r\n",
        b"Authorization: Basic not-base64!\r\n",
        b"Authorization: Bearer\r\n",
    ],
    ids=["none", "another-scheme", "basic-not-base64", "bearer-empty"],
)
def test_a_request_its_head_makes_a_401_is_not_told_to_continue(
    gunicorn_with_tokens: tuple[str, str], served: Any, server: str, credentials: bytes
) -> None:
    """Before: both servers said ``100 Continue``, the client sent its body (curl sends 1
    MiB and more so) and read the 401 the auth middleware gives before any body is read."""
    url = _url(server, gunicorn_with_tokens, served)
    head = (
        b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Expect: 100-continue\r\nContent-Length: 40000\r\n" + credentials + b"\r\n"
    )
    started = time.monotonic()
    answer = exchange(url, head)
    assert time.monotonic() - started < AT_ONCE, answer
    assert answer.startswith(b"HTTP/1.1 401 "), answer
    assert b"100 Continue" not in answer, answer
    assert b"\r\nconnection: close\r\n" in answer.lower(), answer
    assert b'www-authenticate: bearer realm="sigopt-like"' in answer.lower(), answer
    status, said = _status_and_body(answer)
    assert (status, said["code"]) == (401, "unauthorized"), answer


def _post_waiting(url: str, credentials: bytes) -> socket.socket:
    """A connection that sent a ``POST /v1/sessions`` head with ``credentials`` and
    ``Expect: 100-continue`` (a 2-byte body not sent yet)."""
    sock = socket.create_connection(_address(url), timeout=PATIENCE)
    sock.sendall(
        b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Expect: 100-continue\r\nContent-Length: 2\r\n" + credentials + b"\r\n"
    )
    return sock


@pytest.mark.parametrize("server", ["gunicorn", "serve"])
def test_an_unknown_token_is_judged_before_the_body_where_a_thread_reads_it(
    gunicorn_with_tokens: tuple[str, str], served: Any, server: str
) -> None:
    """Both servers judge the credentials before inviting the body: gunicorn's worker in
    the request's thread, ``serve`` by handing the held head to a request thread (its
    socket loop must not wait on a query). An unknown token's and an unknown dashboard
    session cookie's 401 come at once, without ``100 Continue``; a valid token is told to
    continue."""
    url = _url(server, gunicorn_with_tokens, served)
    token = gunicorn_with_tokens[1] if server == "gunicorn" else served.token
    for refused in (
        b"Authorization: Bearer not-a-token-of-this-service\r\n",
        b"Cookie: sigopt_like_session=whatever\r\n",
    ):
        with _post_waiting(url, refused) as sock:
            answer = read_one_answer(sock)
            assert b"100 Continue" not in answer, (refused, answer)
            status, said = _status_and_body(answer)
            assert (status, said["code"]) == (401, "unauthorized"), answer
    with _post_waiting(url, b"Authorization: Bearer %s\r\n" % token.encode()) as sock:
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"


@pytest.mark.parametrize("server", ["gunicorn", "serve"])
@pytest.mark.parametrize(
    ("line", "credentials", "status", "code"),
    [
        (b"POST /v1/no-such-route", b"", 404, "not_found"),
        (b"DELETE /health", b"", 405, "method_not_allowed"),
        (b"POST /v1/sessions", b"", 401, "unauthorized"),
    ],
    ids=["no-route", "no-such-method", "no-token"],
)
def test_a_body_sent_anyway_to_a_request_answered_unread_is_read_away(
    gunicorn_with_tokens: tuple[str, str],
    served: Any,
    server: str,
    line: bytes,
    credentials: bytes,
    status: int,
    code: str,
) -> None:
    """Before: the server answered, then closed with the body coming (``serve`` read none
    of it, gunicorn 64 KiB): the client's send was reset (a broken pipe) and a client that
    reads once it has sent (most do) never read the answer."""
    url = _url(server, gunicorn_with_tokens, served)
    size = BODY_PAST_THE_BUFFERS
    head = (
        b"%s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Expect: 100-continue\r\nContent-Length: %d\r\n%s\r\n" % (line, size, credentials)
    )
    assert_a_body_sent_anyway_is_read_away(url, head, b"x" * size, status, code)


@pytest.mark.parametrize("server", ["gunicorn", "serve"])
def test_a_chunked_body_sent_anyway_is_read_away(
    gunicorn_with_tokens: tuple[str, str], served: Any, server: str
) -> None:
    """The same for a chunked body (its length not known: read away up to the lingering
    bound)."""
    url = _url(server, gunicorn_with_tokens, served)
    head = (
        b"PUT /v1/no-such-route HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    piece = b"x" * 65536
    pieces = BODY_PAST_THE_BUFFERS // len(piece)
    body = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for _ in range(pieces)) + b"0\r\n\r\n"
    assert_a_body_sent_anyway_is_read_away(url, head, body, 404, "not_found")


@pytest.mark.parametrize("server", ["gunicorn", "serve"])
@pytest.mark.parametrize(
    ("length", "status", "code"),
    [
        (b"21474836480", 413, "payload_too_large"),  # 20 GiB: read away up to the bound
        (b"+8388608", 400, "bad_request"),  # not a number
    ],
    ids=["too-large", "length-not-a-number"],
)
def test_a_body_sent_anyway_to_a_request_refused_on_its_length_is_read_away(
    gunicorn_with_tokens: tuple[str, str],
    served: Any,
    server: str,
    length: bytes,
    status: int,
    code: str,
) -> None:
    """A request that waits for ``100 Continue`` and is refused on its Content-Length (a
    413, a 400) is not told to continue; a client that sends a body anyway (1 MiB; 8 MiB
    before, to the same effect) reads the whole refusal. Before, both servers took the
    client to send nothing more: ``serve`` closed at once and gunicorn read 64 KiB away,
    and the client's send was reset (20 times in 20) before it read the 413. What is read
    away stays bounded by ``serving.LINGER_BYTES`` (a declared 20 GiB is not waited for)."""
    url = _url(server, gunicorn_with_tokens, served)
    token = gunicorn_with_tokens[1] if server == "gunicorn" else served.token
    head = (
        b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer %s\r\nExpect: 100-continue\r\nContent-Length: %s\r\n\r\n"
        % (token.encode(), length)
    )
    body = b"x" * BODY_PAST_THE_BUFFERS
    assert_a_body_sent_anyway_is_read_away(url, head, body, status, code)

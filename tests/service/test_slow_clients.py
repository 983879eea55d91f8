"""A client that sends its request slowly ("slowloris": headers or a body a byte every few
seconds) is answered 408 and disconnected once the request has taken longer than the
server's read timeout to arrive; a large body that keeps moving is not cut. Real sockets
against real servers, with a short timeout so that the tests are quick."""

from __future__ import annotations

import json
import socket
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from sigopt_like.service import create_app
from tests.fixtures.piecewise import (
    assert_a_408_is_read_while_the_body_still_trickles,
    assert_a_408_is_read_while_the_head_still_trickles,
)
from tests.fixtures.servers import IN_THREADS, ServedInstance, ServedProcess
from tests.fixtures.waiting import read_until_closed

READ_SECONDS = 1.5
#: how long a test waits for an answer before it calls the server hung
PATIENCE = 8.0
#: how soon one slow client's 408 must come: three times its deadline and a look of the
#: server's loop (at least once a second), room for a busy machine (before, 6.5 s against
#: these 2.5 s; at 4.5 s of 8, a 408 late by 2 s passed as on time) ...
ONE_BOUND = 3 * (READ_SECONDS + 1)
#: ... and how long it goes on (it stops once answered): three times the bound, which a
#: server with no deadline takes whole
ONE_PATIENCE = 3 * ONE_BOUND
#: how soon an answer due at once (a refusal read off the first bytes) must come: three
#: times a loaded machine's 2 s pause. What tells it from an answer that waited for the
#: read deadline is what it says: the deadline's answer is a 408, and serve's (30 s) does
#: not come within :data:`PATIENCE`
AT_ONCE = 3 * 2.0


def _address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def _trickle(
    url: str, head: bytes, body: bytes = b"", every: float = 0.4, patience: float = PATIENCE
) -> tuple[bytes, float]:
    """Send ``head`` then ``body`` one byte every ``every`` s (the rest never comes) until
    the server answers or closes, or ``patience`` s pass; what it sent back and after how
    many seconds."""
    with socket.create_connection(_address(url), timeout=patience) as sock:
        sock.settimeout(every)
        started = time.monotonic()
        pending = head + body
        answer = b""
        while time.monotonic() - started < patience:
            if pending:
                try:
                    sock.sendall(pending[:1])
                except OSError:  # closed by the server
                    break
                pending = pending[1:]
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not chunk:
                break
            answer += chunk
        return answer, time.monotonic() - started


def _status_and_body(answer: bytes) -> tuple[int, dict[str, Any]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


def _post_head(token: str, length: int) -> bytes:
    return (
        f"POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


def test_serve_answers_a_slow_body_408_after_its_read_timeout(tmp_path: Path) -> None:
    """Before: waitress kept the connection for as long as bytes came (its channel_timeout
    counts idle time only), about 50 minutes for this Content-Length of 1000."""
    served = ServedProcess(tmp_path / "slow.db", "--request-read-timeout", str(READ_SECONDS))
    try:
        answer, took = _trickle(
            served.url, _post_head(served.token, 1000), b'{"name": "s', patience=ONE_PATIENCE
        )
        assert answer, f"no answer in {ONE_PATIENCE} s:\n{served.output()}"
        status, body = _status_and_body(answer)
        assert status == 408, answer
        assert body["object"] == "error" and body["code"] == "request_timeout", body
        assert "--request-read-timeout" in body["message"], body
        assert READ_SECONDS <= took < ONE_BOUND, took
        assert b"Connection: close" in answer.partition(b"\r\n\r\n")[0], answer
        # nothing was created, and the server answers everyone else
        listed = requests.get(f"{served.url}/v1/sessions", headers=served.headers(), timeout=10)
        assert listed.status_code == 200 and listed.json()["count"] == 0
        assert "answered 408 to 127.0.0.1" in served.output()
    finally:
        served.stop()


@pytest.fixture
def quick(tmp_path: Path) -> Any:
    database = str(tmp_path / f"quick-{uuid.uuid4().hex[:8]}.db")
    service = create_app(database=database, auth_required=True, **IN_THREADS)
    instance = ServedInstance(service, database, read_seconds=READ_SECONDS)
    try:
        yield instance
    finally:
        instance.close()


def test_slow_headers_are_408_too(quick: Any) -> None:
    head = f"GET /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: {'a' * 100}".encode()
    answer, took = _trickle(quick.url, head, patience=ONE_PATIENCE)
    assert _status_and_body(answer)[0] == 408, answer
    assert took < ONE_BOUND, took


def test_a_client_that_stops_mid_body_is_408(quick: Any) -> None:
    with socket.create_connection(_address(quick.url), timeout=ONE_PATIENCE) as sock:
        started = time.monotonic()
        sock.sendall(_post_head(quick.token, 100) + b'{"name"')
        answer = read_until_closed(sock)
        assert _status_and_body(answer)[0] == 408, answer
        assert time.monotonic() - started < ONE_BOUND


def test_a_408_is_read_while_the_body_still_trickles(quick: Any) -> None:
    """Before: the 408 closed the connection at once, and the next bytes of the body the
    client still sent were reset (its send failed: a broken pipe). It lingers now, as
    after a 413."""
    assert_a_408_is_read_while_the_body_still_trickles(_address(quick.url), READ_SECONDS)


def test_a_408_is_read_while_the_head_still_trickles(quick: Any) -> None:
    """A head still coming when its 408 is sent lingers too (as under gunicorn)."""
    assert_a_408_is_read_while_the_head_still_trickles(_address(quick.url), READ_SECONDS)


def test_a_large_body_that_keeps_moving_is_not_cut(quick: Any) -> None:
    """Every 500 bytes received give a second more: a 40 KB body sent over 3 s (twice the
    timeout) at about 13 KB/s is answered as usual."""
    body = b'{"name": "big"' + b" " * 40_000 + b"}"  # JSON's own white space as padding
    with socket.create_connection(_address(quick.url), timeout=PATIENCE) as sock:
        sock.sendall(_post_head(quick.token, len(body)))
        for at in range(0, len(body), 4000):
            sock.sendall(body[at : at + 4000])
            time.sleep(0.3)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    status, created = _status_and_body(answer)
    assert status == 201, answer
    assert created["name"] == "big"


def test_requests_between_pauses_on_one_connection_each_get_their_own_time(quick: Any) -> None:
    """The clock starts at a request's first byte: a keep-alive connection idle between
    requests for longer than the timeout is not answered 408."""
    with requests.Session() as session:
        for _ in range(2):
            got = session.get(f"{quick.url}/v1/sessions", headers=quick.headers(), timeout=10)
            assert got.status_code == 200
            time.sleep(READ_SECONDS + 1)


def test_https_to_the_plain_http_port_fails_at_once(served: Any) -> None:
    """Before: a TLS handshake (an https:// URL for this plain HTTP port) waited for the end
    of headers that never come: as long as the read timeout (30 s), then a 408."""
    import ssl

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    started = time.monotonic()
    with (
        socket.create_connection(_address(served.url), timeout=PATIENCE) as sock,
        pytest.raises(ssl.SSLError),
    ):
        context.wrap_socket(sock, server_hostname="127.0.0.1")  # not a timeout: a refusal
    assert time.monotonic() - started < AT_ONCE
    # what a person reading the bytes sees: the service's JSON error, saying what to do
    with socket.create_connection(_address(served.url), timeout=PATIENCE) as sock:
        sock.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(64))
        answer = read_until_closed(sock)
    status, body = _status_and_body(answer)
    assert status == 400 and "this server speaks plain HTTP" in body["message"], body


@pytest.mark.parametrize("version", ["1.1", "1.0"])
def test_a_408_says_the_clients_http_version(quick: Any, version: str) -> None:
    """Before: the 408 (and the 400 to a TLS handshake) came with the status line
    ``HTTP/1.0 408``, to an HTTP/1.1 client too: waitress's answer to a request it refused
    before reading its request line says 1.0, and the late request was a fresh one."""
    head = _post_head(quick.token, 100).replace(b"HTTP/1.1", f"HTTP/{version}".encode())
    with socket.create_connection(_address(quick.url), timeout=PATIENCE) as sock:
        sock.sendall(head + b'{"name"')  # the headers whole, the body never ends
        answer = read_until_closed(sock)
    assert answer.startswith(f"HTTP/{version} 408 ".encode()), answer[:80]
    slow_headers, _ = _trickle(quick.url, b"GET /v1/sessions HTTP/1.1\r\nX-Pad: " + b"a" * 50)
    assert slow_headers.startswith(b"HTTP/1.1 408 "), slow_headers[:80]


def test_serve_closes_a_connection_idle_past_its_keep_alive_timeout(tmp_path: Path) -> None:
    """Before: waitress kept an idle connection 120 s (its channel_timeout), and closed it
    at its next 30 s sweep; ``--keep-alive-timeout`` did not exist."""
    served = ServedProcess(tmp_path / "idle.db", "--keep-alive-timeout", "1")
    try:
        with socket.create_connection(_address(served.url), timeout=PATIENCE) as sock:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            answer = b""
            while not answer.endswith(b"}"):
                answer += sock.recv(65536)
            assert answer.startswith(b"HTTP/1.1 200"), answer
            answered = time.monotonic()
            assert sock.recv(65536) == b"", "closed, not another answer"
            # a working server closes about 1 s after (3 s on a loaded machine); the bug
            # kept it 120 s
            assert time.monotonic() - answered < 1 + 7
    finally:
        served.stop()


def test_a_request_part_way_in_is_not_closed_as_idle(tmp_path: Path) -> None:
    """The keep-alive timeout is for connections between requests: one shorter than the
    read timeout does not close a paused request silently; it is the read timeout's 408."""
    database = str(tmp_path / "paused.db")
    service = create_app(database=database, auth_required=True, **IN_THREADS)
    instance = ServedInstance(service, database, read_seconds=4, keep_alive=1)
    try:
        with socket.create_connection(_address(instance.url), timeout=PATIENCE) as sock:
            started = time.monotonic()
            sock.sendall(b"GET /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            answer = read_until_closed(sock)
            assert _status_and_body(answer)[0] == 408, answer
            assert time.monotonic() - started >= 4
    finally:
        instance.close()

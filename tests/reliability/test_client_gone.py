"""``client_gone.peer_closed`` never raises, whatever the socket and platform: before, it
used ``socket.MSG_DONTWAIT`` (absent on Windows: every long poll and event stream under
``serve`` was a 500 there) and peeked a TLS socket (gunicorn's ``--certfile``: an
``ssl.SSLSocket`` refuses ``MSG_PEEK`` with a ValueError, a 500). And what a client that
half-closes after its request gets: its wait ends early, answered (the docs say so)."""

from __future__ import annotations

import contextlib
import select
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from sigopt_like.service.client_gone import peer_closed
from tests.fixtures.servers import (
    announced_url,
    serve_in_thread,
    start_gunicorn,
    stop_gunicorn,
    token_in,
    wsgi_factory,
)
from tests.fixtures.waiting import QUEUED_SPACE, RawRequest


def _queued_task(url: str, headers: dict[str, str]) -> str:
    """The path of a task that stays new (the instance runs no tasks)."""
    sid = requests.post(f"{url}/v1/sessions", json={"name": "s"}, headers=headers, timeout=30)
    body = {"space": QUEUED_SPACE, "population_size": 3, "replicates": 0}
    put = requests.put(
        f"{url}/v1/sessions/{sid.json()['id']}/space", json=body, headers=headers, timeout=30
    )
    assert put.status_code in (200, 201, 202), put.text
    return f"/v1/sessions/{sid.json()['id']}/tasks/{put.json()['id']}"


def test_a_long_poll_is_answered_where_the_platform_has_no_msg_dontwait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As on Windows, which has no ``socket.MSG_DONTWAIT``: a ``wait=2`` long poll under
    ``serve`` peeks at its connection each second, and is answered 200 when its wait ends.
    Before, the peek raised AttributeError and the poll was a 500."""
    monkeypatch.delattr(socket, "MSG_DONTWAIT", raising=False)
    served = serve_in_thread(tmp_path, run_tasks=False)
    try:
        headers = {"Authorization": f"Bearer {served.token}"}
        path = _queued_task(served.url, headers)
        started = time.monotonic()
        polled = requests.get(f"{served.url}{path}?wait=2", headers=headers, timeout=30)
        assert polled.status_code == 200, polled.text
        assert polled.json()["status"] == "new", polled.json()
        assert time.monotonic() - started >= 1.5  # it waited: the connection was live
    finally:
        served.close()


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command to make a certificate with")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    request = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    subprocess.run(
        [*request, "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


def _tls_pair(cert: Path, key: Path, listener: socket.socket) -> tuple[ssl.SSLSocket, ...]:
    """A TLS connection over ``listener``: (server side, client side)."""
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_context.check_hostname = False
    client_context.verify_mode = ssl.CERT_NONE
    accepted: list[ssl.SSLSocket] = []

    def accept() -> None:
        conn, _ = listener.accept()
        accepted.append(server_context.wrap_socket(conn, server_side=True))

    thread = threading.Thread(target=accept)
    thread.start()
    port = listener.getsockname()[1]
    client = client_context.wrap_socket(socket.create_connection(("127.0.0.1", port)))
    thread.join(10)
    (server_side,) = accepted
    return server_side, client


def _becomes(check: Callable[[], bool], seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.mark.skipif(not hasattr(select, "POLLRDHUP"), reason="no POLLRDHUP on this platform")
def test_a_tls_socket_closed_by_its_client_is_gone(tmp_path: Path) -> None:
    """An ``ssl.SSLSocket`` (gunicorn's request socket under ``--certfile``): live, or with
    bytes waiting, it is not gone; closed by its client, abruptly or cleanly (a TLS
    close_notify alert before the end of stream: a peek would read the alert, not the
    end), it is, and its bytes and TLS state are untouched. Before, a TLS client was never
    seen gone (and before that, the peek was a ValueError, a 500)."""
    cert, key = _self_signed(tmp_path)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        for clean in (False, True):
            server_side, client = _tls_pair(cert, key, listener)
            try:
                assert isinstance(server_side, ssl.SSLSocket)
                assert peer_closed(server_side) is False
                client.sendall(b"GET / HTTP/1.1\r\n")  # a pipelined request: still there
                assert _becomes(lambda s=server_side: select.select([s], [], [], 0)[0] != [])
                assert peer_closed(server_side) is False
                assert server_side.recv(64) == b"GET / HTTP/1.1\r\n"  # nothing taken
                if clean:  # close_notify sent, then the end of stream (not waiting for
                    # the server's own close_notify, which it never sends here)
                    client.settimeout(0.2)
                    with contextlib.suppress(OSError):
                        client.unwrap()
                client.close()
                assert _becomes(lambda s=server_side: peer_closed(s)), "a closed client not seen"
            finally:
                server_side.close()
            assert peer_closed(server_side) is True  # closed under us


def test_a_tls_socket_is_not_known_to_be_gone_without_pollrdhup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where poll says no hang-up (not Linux), a TLS client is not known to be gone: False,
    and no exception."""
    monkeypatch.delattr(select, "POLLRDHUP", raising=False)
    cert, key = _self_signed(tmp_path)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        server_side, client = _tls_pair(cert, key, listener)
        try:
            client.close()
            time.sleep(0.1)
            assert peer_closed(server_side) is False
        finally:
            server_side.close()


def test_a_plain_socket_closed_by_its_peer_is_gone_and_a_live_one_is_not() -> None:
    """The peek itself, with and without ``MSG_DONTWAIT`` (as on Windows)."""
    for patched in (False, True):
        with pytest.MonkeyPatch.context() as mp:
            if patched:
                mp.delattr(socket, "MSG_DONTWAIT", raising=False)
            here, there = socket.socketpair()
            try:
                assert peer_closed(here) is False
                there.sendall(b"x")  # a pipelined byte: still there, and not taken
                assert peer_closed(here) is False
                assert here.recv(1) == b"x"
                there.close()
                assert peer_closed(here) is True
            finally:
                here.close()
            assert peer_closed(here) is True  # closed under us


def test_a_live_socket_with_a_timeout_is_not_gone_and_not_waited_on() -> None:
    """Before: a socket with a timeout set (``settimeout``) made the peek wait out that
    timeout, whose ``TimeoutError`` (an ``OSError``) read as a reset: a live client, gone
    after a second's wait. It is still there now, and the look takes no time.

    The timeout is 10 s here (a waiting request's socket had 1 s) and the look is given
    5 s: a look that waits out the timeout is still told from one that does not, and a
    busy machine has room (before, 0.5 s against 1 s)."""
    here, there = socket.socketpair()
    try:
        here.settimeout(10.0)
        started = time.monotonic()
        assert peer_closed(here) is False
        assert time.monotonic() - started < 5
        there.close()
        assert peer_closed(here) is True
    finally:
        here.close()


def test_a_client_that_half_closes_after_its_request_is_answered_early(
    tmp_path: Path,
) -> None:
    """What docs/service.md says: a half-close after the request cannot be told from a
    close, so a ``wait=20`` poll whose client shut its sending side is answered within a
    few seconds (the task as it is), not at the end of its wait; it polls again."""
    served = serve_in_thread(tmp_path, run_tasks=False)
    try:
        headers = {"Authorization": f"Bearer {served.token}"}
        path = _queued_task(served.url, headers)
        started = time.monotonic()
        poll = RawRequest(served.url, f"{path}?wait=20", headers)
        poll.sock.shutdown(socket.SHUT_WR)
        poll.read_until(None, 15)
        took = time.monotonic() - started
        assert poll.received.startswith(b"HTTP/1.1 200"), poll.received[:200]
        assert b'"object":"task"' in poll.received.replace(b" ", b""), poll.received
        assert took < 8, took
        poll.sock.close()
    finally:
        served.close()


def test_a_long_poll_under_gunicorn_with_tls_is_answered(tmp_path: Path) -> None:
    """gunicorn with ``--certfile``: a ``wait=2`` long poll over TLS is answered 200 when
    its wait ends. Before, the look at its connection peeked the ``ssl.SSLSocket``
    (ValueError) and the poll was a 500."""
    cert, key = _self_signed(tmp_path)
    database = str(tmp_path / "tls.db")
    token = token_in(database)
    factory = wsgi_factory(database, run_tasks=False)
    args = ("--certfile", str(cert), "--keyfile", str(key))
    proc, log = start_gunicorn(tmp_path, factory, threads=4, args=args)
    try:
        url = announced_url(proc, log, r"Listening at: https?://(127\.0\.0\.1:\d+)")
        url = f"https://{url.removeprefix('http://').removeprefix('https://')}"
        session = requests.Session()
        session.trust_env = False  # a CA bundle named in the environment would win
        session.verify = False  # the certificate is self-signed
        deadline = time.monotonic() + 60
        while True:
            try:
                session.get(f"{url}/health", timeout=2)
                break
            except requests.RequestException:
                assert time.monotonic() < deadline and proc.poll() is None, log.read_text()
                time.sleep(0.2)
        headers = {"Authorization": f"Bearer {token}"}
        sid = session.post(f"{url}/v1/sessions", json={"name": "s"}, headers=headers)
        body = {"space": QUEUED_SPACE, "population_size": 3, "replicates": 0}
        put = session.put(f"{url}/v1/sessions/{sid.json()['id']}/space", json=body, headers=headers)
        path = f"/v1/sessions/{sid.json()['id']}/tasks/{put.json()['id']}"
        started = time.monotonic()
        polled = session.get(f"{url}{path}?wait=2", headers=headers, timeout=30)
        assert polled.status_code == 200, polled.text
        assert polled.json()["status"] == "new", polled.json()
        assert time.monotonic() - started >= 1.5
    finally:
        stop_gunicorn(proc)


@pytest.mark.skipif(not hasattr(select, "POLLRDHUP"), reason="no POLLRDHUP on this platform")
def test_abandoned_tls_long_polls_give_their_slots_back_under_gunicorn(tmp_path: Path) -> None:
    """gunicorn with ``--certfile`` and 2 waiting slots: 2 long polls (``wait=60``) over
    TLS take them, a third client is refused its wait; the 2 clients go away (one
    abruptly, one after a TLS close_notify) and within seconds a new client's poll waits.
    Before, a TLS client was never seen gone: the slots stayed held for the whole minute
    and every client meanwhile was refused (``X-Wait-Refused: slots``)."""
    cert, key = _self_signed(tmp_path)
    database = str(tmp_path / "tls-slots.db")
    token = token_in(database)
    factory = wsgi_factory(database, run_tasks=False, max_waiting_requests=2)
    args = ("--certfile", str(cert), "--keyfile", str(key))
    proc, log = start_gunicorn(tmp_path, factory, threads=6, args=args)
    polls: list[ssl.SSLSocket] = []
    try:
        address = announced_url(proc, log, r"Listening at: https?://(127\.0\.0\.1:\d+)")
        hostport = address.removeprefix("http://").removeprefix("https://")
        url = f"https://{hostport}"
        session = requests.Session()
        session.trust_env = False
        session.verify = False  # the certificate is self-signed
        session.headers["Authorization"] = f"Bearer {token}"
        deadline = time.monotonic() + 60
        while True:
            try:
                session.get(f"{url}/health", timeout=2)
                break
            except requests.RequestException:
                assert time.monotonic() < deadline and proc.poll() is None, log.read_text()
                time.sleep(0.2)
        sid = session.post(f"{url}/v1/sessions", json={"name": "s"}, timeout=30).json()["id"]
        body = {"space": QUEUED_SPACE, "population_size": 3, "replicates": 0}
        put = session.put(f"{url}/v1/sessions/{sid}/space", json=body, timeout=30)
        path = f"/v1/sessions/{sid}/tasks/{put.json()['id']}"
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        host, _, port = hostport.partition(":")
        request = (
            f"GET {path}?wait=60 HTTP/1.1\r\nHost: {hostport}\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()
        for _ in range(2):
            poll = context.wrap_socket(socket.create_connection((host, int(port)), timeout=30))
            poll.sendall(request)
            polls.append(poll)

        def refused() -> bool:
            answer = session.get(f"{url}{path}", params={"wait": 1}, timeout=30)
            assert answer.status_code == 200, answer.text
            return answer.headers.get("X-Wait-Refused") == "slots"

        def waiting() -> bool:  # the gauge of long polls waiting, read by no long poll
            metrics = session.get(f"{url}/metrics", timeout=10).text
            return 'sigopt_like_http_streams_open{kind="long_poll"} 2.0' in metrics

        assert _becomes(waiting, 30), "the 2 long polls did not take the 2 slots"
        assert refused()
        polls[0].close()  # abruptly: no close_notify
        polls[1].settimeout(0.2)
        with contextlib.suppress(OSError):
            polls[1].unwrap()  # cleanly: close_notify, then the end of stream
        polls[1].close()
        assert _becomes(lambda: not refused(), 10), "abandoned TLS polls still hold the slots"
    finally:
        for poll in polls:
            poll.close()
        stop_gunicorn(proc)

"""Credentials only the store can judge, on a request that waits for ``100 Continue``
(``service/judged_heads.py``, ``unread_answers.refused_by_store``), under both servers:
``sigopt-like serve``'s waitress and gunicorn with the service's settings module, each
with tokens required. A real server on 127.0.0.1, raw sockets.

- A token unknown (or revoked), or a dashboard session cookie unknown or signed out, is
  answered 401 at once, with no ``100 Continue`` before it: the client is not invited to
  send a body the server throws away. Before, ``serve`` said ``100 Continue`` to every
  such request (the store was not asked before the body) and gunicorn to every cookie.
- A valid token, and a live session cookie, are told to continue, and the body then sent
  is read and answered; so is a body sent with the head, without waiting.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sigopt_like.service.dashboard.cookies import COOKIE_NAME, CSRF_HEADER
from tests.fixtures.servers import (
    ServedInstance,
    gunicorn_answering,
    serve_in_thread,
    start_gunicorn,
    stop_gunicorn,
    token_in,
    wsgi_factory,
)
from tests.fixtures.waiting import read_until_closed
from tests.service.test_slow_clients import PATIENCE, _address, _status_and_body

pytestmark = pytest.mark.timeout(300)

#: the answer to a head waiting for ``100 Continue`` is expected within this (a server
#: that waits for the body does not answer before the client gives up waiting)
ANSWER_SECONDS = 5.0


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[str, str]]]:
    """Both servers with tokens required: ``{"serve"|"gunicorn": (url, valid token)}``."""
    served = serve_in_thread(Path(tmp_path_factory.mktemp("judged-serve")))
    tmp_path = tmp_path_factory.mktemp("judged-gunicorn")
    database = str(tmp_path / "judged.db")
    factory = wsgi_factory(database, auth_required=True)
    proc, log = start_gunicorn(tmp_path, factory, threads=2)
    try:
        url = gunicorn_answering(proc, log)
        yield {"serve": (served.url, served.token), "gunicorn": (url, token_in(database))}
    finally:
        stop_gunicorn(proc)
        ServedInstance.close(served)


def _head(credentials: bytes, length: int = 2) -> bytes:
    return (
        b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Expect: 100-continue\r\nContent-Length: %d\r\n" % length + credentials + b"\r\n"
    )


def _first_answer(url: str, credentials: bytes, length: int = 2) -> tuple[socket.socket, bytes]:
    """Send a head that waits for ``100 Continue``: the open connection, and what the
    server said first (b"" if nothing within :data:`ANSWER_SECONDS`)."""
    sock = socket.create_connection(_address(url), timeout=ANSWER_SECONDS)
    sock.sendall(_head(credentials, length))
    try:
        first = sock.recv(65536)
    except TimeoutError:
        first = b""
    sock.settimeout(PATIENCE)
    return sock, first


def _session_cookie(url: str, token: str) -> tuple[str, str]:
    """A dashboard sign-in with ``token``: its cookie token and its CSRF token."""
    reply = requests.post(f"{url}/auth/sign-in", json={"token": token}, timeout=30)
    assert reply.status_code == 201, reply.text
    return reply.cookies[COOKIE_NAME], reply.json()["csrf_token"]


def _refused_at_once(url: str, credentials: bytes) -> dict[str, Any]:
    sock, first = _first_answer(url, credentials)
    with sock:
        answer = first + read_until_closed(sock, ends_on=(TimeoutError,))
    assert answer.startswith(b"HTTP/1.1 401 "), answer
    assert b"100 Continue" not in answer, answer
    assert b"\r\nconnection: close\r\n" in answer.lower(), answer
    status, said = _status_and_body(answer)
    assert (status, said["code"]) == (401, "unauthorized"), answer
    return said


@pytest.mark.parametrize("server", ["serve", "gunicorn"])
def test_an_unknown_token_is_refused_before_it_is_told_to_continue(
    servers: dict[str, tuple[str, str]], server: str
) -> None:
    url, _token = servers[server]
    said = _refused_at_once(url, b"Authorization: Bearer not-a-token-of-this-service\r\n")
    assert "unknown or was revoked" in said["message"], said


@pytest.mark.parametrize("server", ["serve", "gunicorn"])
def test_a_dashboard_session_unknown_or_signed_out_is_refused_before_continue(
    servers: dict[str, tuple[str, str]], server: str
) -> None:
    url, token = servers[server]
    said = _refused_at_once(url, b"Cookie: a=1; %s=not-a-session\r\n" % COOKIE_NAME.encode())
    assert "not valid" in said["message"], said
    # a session's own token in the header is refused there too
    cookie, csrf = _session_cookie(url, token)
    said = _refused_at_once(url, b"Authorization: Bearer %s\r\n" % cookie.encode())
    assert "dashboard sign-in" in said["message"], said
    # while it lives, it is told to continue
    live = b"Cookie: %s=%s\r\n" % (COOKIE_NAME.encode(), cookie.encode())
    sock, first = _first_answer(url, live)
    with sock:
        assert first == b"HTTP/1.1 100 Continue\r\n\r\n", first
    out = requests.post(
        f"{url}/auth/sign-out",
        headers={"Cookie": f"{COOKIE_NAME}={cookie}", CSRF_HEADER: csrf},
        timeout=30,
    )
    assert out.status_code == 200, out.text
    said = _refused_at_once(url, live)
    assert "sign in" in said["message"], said


@pytest.mark.parametrize("server", ["serve", "gunicorn"])
def test_a_valid_token_is_told_to_continue_and_its_body_is_read(
    servers: dict[str, tuple[str, str]], server: str
) -> None:
    url, token = servers[server]
    body = b'{"name": "told-to-continue-%s"}' % server.encode()
    sock, first = _first_answer(url, b"Authorization: Bearer %s\r\n" % token.encode(), len(body))
    with sock:
        assert first == b"HTTP/1.1 100 Continue\r\n\r\n", first
        sock.sendall(body)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            assert chunk, answer
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 201 "), answer


@pytest.mark.parametrize("server", ["serve", "gunicorn"])
def test_a_body_sent_with_a_valid_tokens_head_is_read_whole(
    servers: dict[str, tuple[str, str]], server: str
) -> None:
    """The client sends its body without waiting (RFC 9110 allows it): what of it came
    while the store was asked is kept, and the request answered, with no ``100 Continue``
    once the body is coming."""
    url, token = servers[server]
    # JSON's blanks make it long: more than one read of the server's
    body = b'{"name": "sent-at-once-%s"%s}' % (server.encode(), b" " * 20000)
    with socket.create_connection(_address(url), timeout=PATIENCE) as sock:
        sock.sendall(_head(b"Authorization: Bearer %s\r\n" % token.encode(), len(body)) + body)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            assert chunk, answer
            answer += chunk
    answer = answer.removeprefix(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 "), answer
    status, said = _status_and_body(answer)
    assert (status, said["name"]) == (201, f"sent-at-once-{server}"), answer


@pytest.mark.parametrize("server", ["serve", "gunicorn"])
def test_a_body_sent_anyway_behind_an_unknown_token_is_read_away(
    servers: dict[str, tuple[str, str]], server: str
) -> None:
    """The client sends 1 MiB of body without waiting: it reads its whole 401, the body
    read away before the connection closes (a close on it would reset the connection)."""
    url, _token = servers[server]
    body = b" " * (1024 * 1024)
    head = _head(b"Authorization: Bearer not-a-token-of-this-service\r\n", len(body))
    for _ in range(5):
        with socket.create_connection(_address(url), timeout=PATIENCE) as sock:
            sock.sendall(head + body)
            answer = read_until_closed(sock, ends_on=(TimeoutError,))
        assert b"100 Continue" not in answer, answer
        status, said = _status_and_body(answer)
        assert (status, said["code"]) == (401, "unauthorized"), answer


@pytest.mark.parametrize("server", ["serve", "gunicorn"])
def test_a_dashboard_session_past_its_end_is_refused_before_continue(
    tmp_path: Path, server: str
) -> None:
    """A sign-in of 6 s: told to continue while it lasts, refused at once once it ended."""
    hours = 6 / 3600
    if server == "serve":
        served = serve_in_thread(tmp_path, dashboard_session_hours=hours)
        url, token, stop = served.url, served.token, served.close
    else:
        database = str(tmp_path / "ending.db")
        factory = wsgi_factory(database, auth_required=True, dashboard_session_hours=hours)
        proc, log = start_gunicorn(tmp_path, factory, threads=2)
        url, token = gunicorn_answering(proc, log), token_in(database)

        def stop() -> None:
            stop_gunicorn(proc)

    try:
        cookie, _csrf = _session_cookie(url, token)
        signed_in = time.monotonic()
        live = b"Cookie: %s=%s\r\n" % (COOKIE_NAME.encode(), cookie.encode())
        sock, first = _first_answer(url, live)
        with sock:
            # made before its answer came: at most 5 s on, it lives 1 s more at least
            assert time.monotonic() - signed_in < 5, "too slow to see it live"
            assert first == b"HTTP/1.1 100 Continue\r\n\r\n", first
        time.sleep(max(0.0, signed_in + 7 - time.monotonic()))
        said = _refused_at_once(url, live)
        assert "expired" in said["message"], said
    finally:
        stop()


@pytest.mark.parametrize("server", ["serve", "gunicorn"])
def test_a_request_judged_behind_a_pipelined_one_is_answered_in_its_turn(
    servers: dict[str, tuple[str, str]], server: str
) -> None:
    """A ``GET /health`` and, in the same packets, a head that waits for ``100 Continue``:
    the GET's answer comes first, then the judged request's (a 401 for an unknown token;
    a 201 for a valid one whose body came with its head)."""
    url, token = servers[server]
    body = b'{"name": "behind-a-get-%s"}' % server.encode()
    for credentials, status in (
        (b"Authorization: Bearer not-a-token-of-this-service\r\n", b"401"),
        (b"Authorization: Bearer %s\r\n" % token.encode(), b"201"),
    ):
        with socket.create_connection(_address(url), timeout=PATIENCE) as sock:
            sock.sendall(
                b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                + _head(credentials + b"Connection: close\r\n", len(body))
                + (body if status == b"201" else b"")
            )
            answer = read_until_closed(sock, ends_on=(TimeoutError,))
        # gunicorn says 100 Continue to a body already coming too (RFC 9110 allows both)
        statuses = [s for s in re.findall(rb"HTTP/1\.1 (\d{3}) ", answer) if s != b"100"]
        assert statuses == [b"200", status], answer


def test_serve_applies_a_verdict_in_its_socket_loop_not_the_judging_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the store's question runs in a request thread; the 401 or the ``100 Continue``
    is written from waitress' socket loop, the thread that reads connections. Waitress
    flushes a channel with no request running without the buffers' lock, so a ``100
    Continue`` written from the judging thread could be sent twice over (seen once in a
    busy run: waitress' "Can't skip 25 bytes in buffer of 0 bytes", the 25 bytes of
    ``HTTP/1.1 100 Continue``)."""
    from sigopt_like.service.judged_heads import JudgingChannel

    threads: dict[str, set[int]] = {"reads": set(), "verdicts": set()}
    for name, kind in (
        ("received", "reads"),
        ("_let_in", "verdicts"),
        ("_answer_unread", "verdicts"),
    ):
        original = getattr(JudgingChannel, name)

        def recorded(self: Any, *args: Any, _o: Any = original, _k: str = kind) -> Any:
            threads[_k].add(threading.get_ident())
            return _o(self, *args)

        monkeypatch.setattr(JudgingChannel, name, recorded)
    served = serve_in_thread(tmp_path)
    try:
        for credentials in (
            b"Authorization: Bearer %s\r\n" % served.token.encode(),
            b"Authorization: Bearer not-a-token-of-this-service\r\n",
        ):
            sock, first = _first_answer(served.url, credentials)
            sock.close()
            assert first.startswith(b"HTTP/1.1 "), first
    finally:
        ServedInstance.close(served)
    assert len(threads["reads"]) == 1, threads  # one socket loop
    assert threads["verdicts"] == threads["reads"], threads


@pytest.mark.parametrize("server", ["serve", "gunicorn"])
def test_judged_requests_pipelined_in_one_send_are_each_answered_at_once(
    servers: dict[str, tuple[str, str]], server: str
) -> None:
    """Two requests that wait for ``100 Continue`` in one send, the first with its body
    right after its head: the second is judged too, once the first's held bytes are read.
    Before, under ``serve``, the second was never judged: a valid token's request ended in
    the read deadline's 408, an unknown token's too instead of a 401 at once."""
    url, token = servers[server]
    valid = b"Authorization: Bearer %s\r\n" % token.encode()
    for second, its_body, status in (
        (valid, True, b"201"),
        (b"Authorization: Bearer not-a-token-of-this-service\r\n", False, b"401"),
    ):
        first_body = b'{"name": "pipelined-first-%s-%s"}' % (server.encode(), status)
        second_body = b'{"name": "pipelined-second-%s-%s"}' % (server.encode(), status)
        with socket.create_connection(_address(url), timeout=ANSWER_SECONDS) as sock:
            sock.sendall(
                _head(valid, len(first_body))
                + first_body
                + _head(second + b"Connection: close\r\n", len(second_body))
                + (second_body if its_body else b"")
            )
            answer = read_until_closed(sock, ends_on=(TimeoutError,))
        statuses = [s for s in re.findall(rb"HTTP/1\.1 (\d{3}) ", answer) if s != b"100"]
        assert statuses == [b"201", status], answer
        if status == b"401":  # refused unread: not invited to send the body
            assert answer.count(b"100 Continue") == (1 if server == "gunicorn" else 0), answer


class _HeldThread:
    """A waitress task holding a request thread until released (as a long poll would)."""

    def __init__(self, release: threading.Event) -> None:
        self.release = release

    def service(self) -> None:
        self.release.wait(60)

    def cancel(self) -> None:
        self.release.set()

    def defer(self) -> None:
        pass


def test_with_every_request_thread_busy_serve_says_continue_as_before(
    tmp_path: Path,
) -> None:
    """No request thread free to ask the store in: the request is told to continue at
    once and the app judges it after its body (as before the store judged heads), not
    held until a thread frees and then blamed with a 408 for the server's own wait."""
    from sigopt_like.service import create_app
    from tests.fixtures.servers import IN_THREADS

    database = str(tmp_path / "busy.db")
    service = create_app(
        database=database, auth_required=True, max_waiting_requests=0, **IN_THREADS
    )
    served = ServedInstance(service, database, threads=1, read_seconds=2)
    release = threading.Event()
    try:
        assert len(served.server.task_dispatcher.threads) == 1
        served.server.add_task(_HeldThread(release))
        time.sleep(0.3)  # the thread took it
        for credentials, status in (
            (b"Authorization: Bearer %s\r\n" % served.token.encode(), b"201"),
            (b"Authorization: Bearer not-a-token-of-this-service\r\n", b"401"),
        ):
            body = b'{"name": "while-busy-%s"}' % status
            sock, first = _first_answer(
                served.url, credentials + b"Connection: close\r\n", len(body)
            )
            with sock:
                assert first.startswith(b"HTTP/1.1 100 Continue"), first
                release.set()  # the thread frees: the body is read and answered
                sock.sendall(body)
                answer = first + read_until_closed(sock, ends_on=(TimeoutError,))
            statuses = [s for s in re.findall(rb"HTTP/1\.1 (\d{3}) ", answer) if s != b"100"]
            assert statuses == [status], answer
            release = threading.Event()
            served.server.add_task(_HeldThread(release))
            time.sleep(0.3)
    finally:
        release.set()
        ServedInstance.close(served)


def test_serve_judges_its_free_threads_by_counts_read_under_waitress_lock(
    tmp_path: Path,
) -> None:
    """Whether a request thread is free is read under the dispatcher's lock, which waitress
    changes its counts under: a change half made (here a thread added to ``threads`` and
    not yet counted active, as ``set_thread_count`` does) is never acted on. Before, the
    counts were read without it: the one thread busy, the half-started one read as free,
    the request was held for a judgment queued behind the busy thread, and no ``100
    Continue`` came (then the read deadline's 408)."""
    from sigopt_like.service import create_app
    from tests.fixtures.servers import IN_THREADS

    database = str(tmp_path / "half.db")
    service = create_app(
        database=database, auth_required=True, max_waiting_requests=0, **IN_THREADS
    )
    served = ServedInstance(service, database, threads=1, read_seconds=2)
    release = threading.Event()
    dispatcher = served.server.task_dispatcher
    try:
        served.server.add_task(_HeldThread(release))
        time.sleep(0.3)  # the one thread took it
        credentials = b"Authorization: Bearer %s\r\nConnection: close\r\n" % (served.token.encode())
        with dispatcher.lock:
            dispatcher.threads.add(-1)  # half of a thread's start
            sock = socket.create_connection(_address(served.url), timeout=ANSWER_SECONDS)
            sock.sendall(_head(credentials))
            time.sleep(0.5)  # the socket loop reads the head meanwhile
            dispatcher.threads.discard(-1)  # the change undone: the one thread, busy
        with sock:
            try:
                first = sock.recv(65536)
            except TimeoutError:
                first = b""
            assert first.startswith(b"HTTP/1.1 100 Continue"), first
    finally:
        release.set()
        ServedInstance.close(served)


def test_a_client_that_leaves_while_judged_is_judged_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client that sends a head waiting for ``100 Continue`` and leaves at once: its
    credentials are asked of the store once, and nothing more is done for it (a verdict
    that finds the client gone must not queue the same head for judgment again, round
    and round)."""
    from sigopt_like.service import judged_heads

    asked: list[float] = []
    original = judged_heads.refused_by_store

    def counted(*args: Any, **kwargs: Any) -> bool:
        asked.append(time.monotonic())
        time.sleep(0.2)  # the client is gone before the verdict
        return bool(original(*args, **kwargs))

    monkeypatch.setattr(judged_heads, "refused_by_store", counted)
    served = serve_in_thread(tmp_path)
    try:
        for credentials in (
            b"Authorization: Bearer %s\r\n" % served.token.encode(),
            b"Authorization: Bearer not-a-token-of-this-service\r\n",
        ):
            sock = socket.create_connection(_address(served.url), timeout=ANSWER_SECONDS)
            sock.sendall(_head(credentials))
            sock.close()
        time.sleep(1.5)
        assert len(asked) == 2, asked
        health = requests.get(served.url + "/health", timeout=ANSWER_SECONDS)
        assert health.status_code == 200  # the socket loop is free
    finally:
        ServedInstance.close(served)

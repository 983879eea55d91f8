"""gunicorn with the service's settings module (``-c python:sigopt_like.service.gunicorn_conf``)
has what ``sigopt-like serve`` has at the door: slow clients are a 408 and free their thread,
a chunked body reaches the app (a 413 past the limit), and gunicorn's refusals of malformed
HTTP are the JSON error body. A real gunicorn on 127.0.0.1, raw sockets."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sigopt_like._constants import MAX_BODY_BYTES
from tests.fixtures.piecewise import (
    REFUSED_HEADS,
    assert_a_408_is_read_while_the_body_still_trickles,
    assert_a_408_is_read_while_the_head_still_trickles,
    assert_a_refused_head_is_read_while_its_body_comes,
    assert_a_stalled_refused_body_is_let_go,
    assert_health_among_more_refused_senders_than_connections,
    assert_health_among_refused_senders,
    send_in_pieces,
)
from tests.fixtures.raw_exchange import exchange
from tests.fixtures.servers import (
    announced_url,
    gunicorn_answering,
    start_gunicorn,
    stop_gunicorn,
    wsgi_factory,
)
from tests.fixtures.waiting import read_until_closed
from tests.service.test_slow_clients import (
    AT_ONCE,
    PATIENCE,
    _address,
    _status_and_body,
    _trickle,
)

READ_SECONDS = 1.5
THREADS = 2
BODY_LIMIT = 50_000
#: how soon one slow client's 408 must come: three times its deadline and a look of the
#: worker's loop (once a second), room for a loaded machine's pauses
ONE_BOUND = 3 * (READ_SECONDS + 1)
#: how soon the slow clients beyond the threads, and ``/health``, must be answered: three
#: times the two deadlines one after another that the last of them waits (before, 9 s
#: against these 5 s)
SLOW_BOUND = 3 * 2 * (READ_SECONDS + 1)
#: how long the slow clients go on (they stop once answered): three times the bounds, so
#: that a server that never answers them (the bugs) is as far over them as they are over
#: the wait of one that does (before, 20 s)
SLOW_PATIENCE = 3 * SLOW_BOUND


def _start(tmp_path: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], Path]:
    """gunicorn with the settings module, one worker of :data:`THREADS` threads."""
    database = str(tmp_path / "door.db")
    factory = wsgi_factory(database, auth_required=False, max_body_bytes=BODY_LIMIT)
    return start_gunicorn(tmp_path, factory, threads=THREADS, env=env)


@pytest.fixture(scope="module")
def gunicorn_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp_path = tmp_path_factory.mktemp("gunicorn-door")
    proc, log = _start(tmp_path, {"SIGOPT_LIKE_REQUEST_READ_TIMEOUT": str(READ_SECONDS)})
    try:
        url = gunicorn_answering(proc, log)
        yield url
    finally:
        stop_gunicorn(proc)


def test_slow_clients_are_408_and_free_their_threads(gunicorn_url: str) -> None:
    """Before: gunicorn read a request on one of its threads with no deadline, so clients
    sending a byte now and then held every thread and ``/health`` went unanswered for as
    long as they went on (here :data:`SLOW_PATIENCE`)."""
    head = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"a" * 200
    answers: list[tuple[bytes, float]] = []
    slow = [
        threading.Thread(
            target=lambda: answers.append(_trickle(gunicorn_url, head, patience=SLOW_PATIENCE))
        )
        for _ in range(THREADS + 1)
    ]
    for thread in slow:
        thread.start()
    time.sleep(0.5)  # the slow clients hold the threads
    started = time.monotonic()
    health = requests.get(f"{gunicorn_url}/health", timeout=SLOW_PATIENCE)
    took = time.monotonic() - started
    for thread in slow:
        thread.join(SLOW_PATIENCE + 2)
    assert health.status_code == 200
    # the client beyond the threads gets one once the first two are 408: its deadline
    # runs from then, and the worker looks at the clocks once a second, so its 408 and
    # /health come up to twice (READ_SECONDS + 1 s) on; the bound leaves a busy machine
    # room and is still far from SLOW_PATIENCE, which the bug took
    assert took < SLOW_BOUND, took
    assert len(answers) == THREADS + 1
    for answer, took in answers:
        status, body = _status_and_body(answer)
        assert status == 408, answer
        assert body["code"] == "request_timeout", body
        assert "SIGOPT_LIKE_REQUEST_READ_TIMEOUT" in body["message"], body
        assert took < SLOW_BOUND, took


def test_bodies_trickled_past_their_408_free_their_threads(gunicorn_url: str) -> None:
    """Before: a thread reading a body looked for its 408 only when a read waited
    ``_WAKE_SECONDS`` for a byte: clients sending a few bytes every 300 ms kept every
    thread past their 408, for as long as they went on (here :data:`SLOW_PATIENCE`, or
    until the server closes its end), and ``/health`` waited for them."""
    seen: list[Any] = []
    senders = [
        threading.Thread(
            target=lambda: seen.append(
                send_in_pieces(
                    _address(gunicorn_url),
                    900,
                    piece=5,
                    pause=0.3,
                    stop_after=SLOW_PATIENCE,
                    until_closed=True,
                    timeout=PATIENCE + 4,
                )
            )
        )
        for _ in range(THREADS + 1)
    ]
    for thread in senders:
        thread.start()
    time.sleep(0.5)  # the senders hold the threads
    started = time.monotonic()
    health = requests.get(f"{gunicorn_url}/health", timeout=SLOW_PATIENCE)
    took = time.monotonic() - started
    for thread in senders:
        thread.join(SLOW_PATIENCE + 6)
    assert health.status_code == 200
    # /health has a thread once the first two senders' are freed at their 408 (up to
    # READ_SECONDS + 1 s on); the bound leaves a busy machine room and is still far from
    # SLOW_PATIENCE, which the bug took
    assert took < SLOW_BOUND, took
    assert len(seen) == THREADS + 1
    for answer in seen:
        assert answer.send_error is None and answer.status == 408, answer


@pytest.mark.parametrize(
    "framing",
    [b'Content-Length: 100\r\n\r\n{"nam', b'Transfer-Encoding: chunked\r\n\r\n5\r\n{"nam'],
    ids=["content-length", "chunked"],
)
def test_a_body_that_stops_part_way_is_408(gunicorn_url: str, framing: bytes) -> None:
    started = time.monotonic()
    answer = exchange(
        gunicorn_url,
        b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + framing,
        patience=SLOW_PATIENCE,
    )
    assert _status_and_body(answer)[0] == 408, answer
    assert time.monotonic() - started < ONE_BOUND


def test_a_slow_body_is_408_and_a_large_one_that_keeps_moving_is_not_cut(
    gunicorn_url: str,
) -> None:
    """Before: a Content-Length body sent a byte at a time held its thread for as long as
    it came (the app read it, with no deadline). Every 500 bytes received give a second
    more, as under ``serve``."""
    head = (
        b"POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 900\r\n\r\n"
    )
    answer, took = _trickle(gunicorn_url, head, b'{"name": "s' + b" " * 880, patience=SLOW_PATIENCE)
    assert _status_and_body(answer)[0] == 408, answer
    assert took < ONE_BOUND, took
    body = b'{"name": "moving"' + b" " * 40_000 + b"}"  # 40 KB over 3 s, twice the timeout
    with socket.create_connection(_address(gunicorn_url), timeout=PATIENCE) as sock:
        sock.sendall(head.replace(b"900", str(len(body)).encode()))
        for at in range(0, len(body), 4000):
            sock.sendall(body[at : at + 4000])
            time.sleep(0.3)
        answer = b""
        while not answer.endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    status, created = _status_and_body(answer)
    assert status == 201 and created["name"] == "moving", answer


def _chunked(body: bytes, piece: int = 7) -> bytes:
    chunks = [body[at : at + piece] for at in range(0, len(body), piece)]
    return b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"


def test_a_chunked_body_reaches_the_app(gunicorn_url: str) -> None:
    """Before: the app saw no Content-Length and no body: "The request needs a JSON object
    body." (a 400), and one past the limit was that 400 too, not a 413."""
    head = (
        b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    created = exchange(gunicorn_url, head + _chunked(b'{"name": "chunked"}'))
    status, body = _status_and_body(created)
    assert status == 201, created
    assert body["name"] == "chunked"
    large = exchange(gunicorn_url, head + _chunked(b'{"name": "x"' + b" " * BODY_LIMIT + b"}"))
    status, body = _status_and_body(large)
    assert status == 413, large
    assert body["code"] == "payload_too_large" and body["detail"]["limit"] == BODY_LIMIT
    assert body["message"] == (  # the app's words, with the setting that raises it
        f"The request body is larger than the limit of {BODY_LIMIT} bytes (the service's "
        "max_body_bytes setting: Connection(max_body_bytes=...) or a command's "
        "--max-body-bytes for the embedded service, sigopt-like serve --max-body-bytes for "
        "a served one)."
    ), body


@pytest.mark.parametrize("size", [b"%x" % (BODY_LIMIT + 1), b"F" * 20], ids=["limit+1", "2**80"])
def test_a_chunk_said_past_the_limit_is_413_at_once(gunicorn_url: str, size: bytes) -> None:
    """Before: the worker waited for the chunk's bytes, and the client that said a chunk of
    2**80 bytes got a 408 once the read deadline passed ("send each request whole")."""
    request = (
        b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + size + b'\r\n{"name"'
    )
    started = time.monotonic()
    answer = exchange(gunicorn_url, request)
    status, body = _status_and_body(answer)
    assert status == 413, answer
    assert body["code"] == "payload_too_large" and body["detail"]["limit"] == BODY_LIMIT
    # at once: the 413, not the deadline's 408 (at READ_SECONDS); the bound is a loaded
    # machine's room
    assert time.monotonic() - started < AT_ONCE, answer
    assert requests.get(f"{gunicorn_url}/health", timeout=PATIENCE).status_code == 200


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_declared_too_large_is_413_while_the_client_still_sends(
    gunicorn_url: str, chunked: bool
) -> None:
    """Before: the app answered a Content-Length over the limit 413 "keep-alive", gunicorn
    drained 64 KiB of the body and closed on the rest: a client sending its 11 MB in
    pieces got a broken pipe after a few hundred KiB, not the 413 (sent chunked, the
    worker's own 413 closed on it too). The worker now answers it "close" and reads the
    body away on its loop (a lingering close) before closing."""
    declared = 2 * 1024 * 1024  # 40 times the limit, past what the sockets' buffers hold
    seen = send_in_pieces(_address(gunicorn_url), declared, timeout=PATIENCE, chunked=chunked)
    assert seen.send_error is None and seen.sent == declared, seen
    assert seen.status == 413 and b"Connection: close" in seen.head, seen
    assert seen.body is not None and seen.body["code"] == "payload_too_large", seen
    said = (
        f"{declared} bytes; the limit" if not chunked else f"larger than the limit of {BODY_LIMIT}"
    )
    assert said in seen.body["message"] and "max_body_bytes" in seen.body["message"], seen.body
    assert seen.body["detail"]["limit"] == BODY_LIMIT


def test_a_refused_body_that_stops_coming_is_not_waited_for(gunicorn_url: str) -> None:
    """Reading a refused body away is bounded: the 413 is whole at once (the server shuts
    its side), and a client that stops sending the body without closing has the
    connection closed once :data:`~.serving.LINGER_IDLE_SECONDS` pass without a byte (its
    next bytes are then reset), not after the whole :data:`~.serving.LINGER_SECONDS`."""
    assert_a_stalled_refused_body_is_let_go(_address(gunicorn_url), BODY_LIMIT)


@pytest.mark.parametrize(
    ("target", "headers", "status"),
    [c[1:] for c in REFUSED_HEADS],
    ids=[c[0] for c in REFUSED_HEADS],
)
def test_a_head_refused_while_its_body_comes_is_read_not_reset(
    gunicorn_url: str, target: str, headers: str, status: int
) -> None:
    """Before: only a 413 lingered; the worker's 431, 414, 400 and 417 closed the
    connection with the body still coming, and the client's send failed (broken pipe)
    after 128 KiB or so: a client that gives up on a failed send never read why."""
    assert_a_refused_head_is_read_while_its_body_comes(
        _address(gunicorn_url), target, headers, status
    )


def test_a_408_is_read_while_the_body_still_trickles(gunicorn_url: str) -> None:
    """Before: the worker answered 408 and shut the socket both ways to free the thread
    reading the body; the next bytes of the body were reset, and so was the client's send.
    The thread's reads now wake to see the 408, and the connection lingers."""
    assert_a_408_is_read_while_the_body_still_trickles(_address(gunicorn_url), READ_SECONDS)


def test_a_408_is_read_while_the_head_still_trickles(gunicorn_url: str) -> None:
    """Before: a head still coming when its 408 was sent had the socket shut both ways (to
    free the thread reading it), unlike every other refusal before the body: the client,
    still sending, read a reset instead of the 408. The head's reads now wake to see the
    408 too, and the connection lingers."""
    assert_a_408_is_read_while_the_head_still_trickles(_address(gunicorn_url), READ_SECONDS)


def test_clients_that_keep_their_end_open_after_a_close_stall_no_one(gunicorn_url: str) -> None:
    """Before: a connection closed after its answer ("Connection: close") was drained by
    gunicorn's ``util.close_graceful`` on the worker's loop, blocking, for up to 2 s while
    the client kept its end open: three such clients kept every other connection of the
    worker waiting 6 s. Each now reads its whole answer and the server's end of it at once.
    """
    holders = [socket.create_connection(_address(gunicorn_url), timeout=30) for _ in range(10)]
    try:
        started = time.monotonic()
        for sock in holders:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        for sock in holders:  # each keeps its end open
            answer = read_until_closed(sock)  # the answer, then the server's end of it
            assert answer.startswith(b"HTTP/1.1 200 "), answer
        took = time.monotonic() - started
        # The loop's drains, one after another and 2 s each whatever the machine's load,
        # held the n-th connection's end 2(n-1) s: the tenth came after 18 s. Here they
        # all come in tens of milliseconds; 6 s leaves a loaded machine's pauses room.
        assert took < 6.0, f"the ends of 10 closed connections came after {took:.1f} s"
        assert requests.get(f"{gunicorn_url}/health", timeout=PATIENCE).status_code == 200
    finally:
        for sock in holders:
            sock.close()


def test_refused_bodies_read_away_hold_no_thread(gunicorn_url: str) -> None:
    """Bodies refused 413 are read away on the worker's loop, not in its threads: with 20
    clients each still sending a refused 640 KiB (8 KiB every 100 ms, 8 s each), a worker
    of :data:`THREADS` threads answers ``/health`` while all of them still come, and every
    one of the 20 reads its 413. (Read away in the threads, as first tried, the two were held
    by the first two senders and ``/health`` waited 6.5 s.)"""
    assert_health_among_refused_senders(gunicorn_url, _address(gunicorn_url))


def test_refused_senders_past_the_connections_leave_health_a_connection(
    tmp_path: Path,
) -> None:
    """Before: every refused body lingered, and lingering connections count against the
    worker's ``worker_connections``: as many clients sending refused bodies held them all
    (for up to ``serving.LINGER_SECONDS``), the worker took no new connection and
    ``/health`` waited for one to end (5.6 s behind 150 senders with 100 connections;
    7 s here). At most ``serving.LINGER_SHARE`` of them linger now."""
    database = str(tmp_path / "crowded.db")
    factory = wsgi_factory(database, auth_required=False, max_body_bytes=BODY_LIMIT)
    proc, log = start_gunicorn(
        tmp_path, factory, threads=THREADS, args=("--worker-connections", "12")
    )
    try:
        url = gunicorn_answering(proc, log)
        assert_health_among_more_refused_senders_than_connections(url, _address(url), 12)
    finally:
        stop_gunicorn(proc)


@pytest.mark.parametrize(
    ("request_bytes", "status", "said"),
    [
        (b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400, "Invalid HTTP Header"),
        (b"GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: zip\r\n\r\n", 400, "zip"),
        (
            b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            400,
            "'Transfer-Encoding: chunked' alone",
        ),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "limit_request_line"),
        (
            b"GET /health HTTP/1.1\r\n" + b"X-Pad: a\r\n" * 120 + b"\r\n",
            431,
            "limit_request_fields",
        ),
        (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 400, "speaks plain HTTP"),
    ],
    ids=["nul-in-header", "unknown-coding", "gzip-chunked", "long-line", "many-headers", "tls"],
)
def test_gunicorns_refusals_are_the_json_error_body(
    gunicorn_url: str, request_bytes: bytes, status: int, said: str
) -> None:
    """Before: small HTML pages (``Invalid HTTP Header: 'X-A'``), a 501 for a coding gunicorn
    does not implement, a request labelled ``gzip, chunked`` served with its body unread,
    and a TLS handshake kept waiting."""
    started = time.monotonic()
    answer = exchange(gunicorn_url, request_bytes)
    got, body = _status_and_body(answer)
    assert got == status, answer
    assert body["object"] == "error" and said in body["message"], body
    assert b"Content-Type: application/json" in answer.partition(b"\r\n\r\n")[0]
    # answered at once: its own status, not the deadline's 408; the bound is room for load
    assert time.monotonic() - started < AT_ONCE, answer


def test_a_read_timeout_gunicorn_cannot_use_stops_it_in_one_line(tmp_path: Path) -> None:
    proc, log = _start(tmp_path, {"SIGOPT_LIKE_REQUEST_READ_TIMEOUT": "soon"})
    try:
        proc.wait(60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode != 0
    text = log.read_text()
    assert "$SIGOPT_LIKE_REQUEST_READ_TIMEOUT must be a number of seconds" in text, text


def test_a_read_timeout_in_other_digits_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: float() read Arabic-Indic digits, so the variable set to them was 5 seconds."""
    from sigopt_like.service.gunicorn_worker import read_seconds_from_env

    monkeypatch.setenv("SIGOPT_LIKE_REQUEST_READ_TIMEOUT", "\u0665")
    with pytest.raises(ValueError, match=r"must be a number.*ASCII digits: 5\)"):
        read_seconds_from_env()


def test_a_client_that_waits_for_100_continue_is_told_once(gunicorn_url: str) -> None:
    """curl sends ``Expect: 100-continue`` with a body over 1 KB and waits for the server's
    ``100 Continue`` before sending it: the body is read before the app runs, so it is said
    then (once), not after the body that never comes."""
    body = b'{"name": "expecting"' + b" " * 2000 + b"}"
    with socket.create_connection(_address(gunicorn_url), timeout=PATIENCE) as sock:
        sock.sendall(
            b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Expect: 100-continue\r\nConnection: close\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)
        )
        sock.settimeout(READ_SECONDS / 2)
        told = sock.recv(65536)
        assert told == b"HTTP/1.1 100 Continue\r\n\r\n", told
        sock.settimeout(PATIENCE)
        sock.sendall(body)
        answer = read_until_closed(sock)
    assert b"100 Continue" not in answer, answer
    status, created = _status_and_body(answer)
    assert status == 201 and created["name"] == "expecting", answer


def test_no_control_socket_shared_by_every_gunicorn_of_the_user(tmp_path: Path) -> None:
    """gunicorn 27 opened ``$XDG_RUNTIME_DIR/gunicorn.ctl`` (or ``~/.gunicorn/gunicorn.ctl``)
    for each instance: a second one took the first's over, and either removed it when it
    stopped. Off unless ``$SIGOPT_LIKE_GUNICORN_CONTROL_SOCKET`` names this instance's."""
    home, runtime = tmp_path / "home", tmp_path / "runtime"
    home.mkdir()
    runtime.mkdir()
    users = {"HOME": str(home), "XDG_RUNTIME_DIR": str(runtime)}
    plain = tmp_path / "plain"
    plain.mkdir()
    proc, log = _start(plain, users)
    try:
        url = announced_url(proc, log, r"Listening at: (http://127\.0\.0\.1:\d+)")
        assert requests.get(f"{url}/health", timeout=30).status_code == 200
        assert not (runtime / "gunicorn.ctl").exists(), log.read_text()
    finally:
        stop_gunicorn(proc)
    # the arbiter starts it right after its workers, and says so: it never did here
    assert "Control socket listening" not in log.read_text()
    assert not (home / ".gunicorn").exists(), log.read_text()

    own = tmp_path / "own"
    own.mkdir()
    path = tmp_path / "instance.ctl"
    proc, log = _start(own, {**users, "SIGOPT_LIKE_GUNICORN_CONTROL_SOCKET": str(path)})
    try:
        url = announced_url(proc, log, r"Listening at: (http://127\.0\.0\.1:\d+)")
        assert requests.get(f"{url}/health", timeout=30).status_code == 200
        deadline = time.monotonic() + 10
        while f"Control socket listening at {path}" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        assert path.is_socket()
        assert not (runtime / "gunicorn.ctl").exists()
    finally:
        stop_gunicorn(proc)


def test_a_control_socket_in_a_missing_folder_stops_gunicorn_in_one_line(tmp_path: Path) -> None:
    """Before: gunicorn made the missing folders (a mistyped path's too) and listened
    there; now the start is refused, in one line naming the variable and the path."""
    path = tmp_path / "no-such-folder" / "deeper" / "instance.ctl"
    proc, log = _start(tmp_path, {"SIGOPT_LIKE_GUNICORN_CONTROL_SOCKET": str(path)})
    try:
        proc.wait(60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode != 0
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert lines == [
        f"Error: $SIGOPT_LIKE_GUNICORN_CONTROL_SOCKET is {path}, in a folder that does not "
        "exist: create the folder first, or name a path in an existing one"
    ], lines
    assert not (tmp_path / "no-such-folder").exists()


def _request(target: bytes, *fields: bytes) -> bytes:
    head = b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    return head + b"".join(field + b"\r\n" for field in fields) + b"\r\n"


_TOO_LARGE = "header_fields_too_large"
#: a Content-Length past both servers' body limits (no body is sent)
_LARGE = b"Content-Length: %d" % (2 * MAX_BODY_BYTES)
#: (request, the status and code both servers answer; None: served, not refused)
_AT_THE_LIMITS = [
    (_request(b"/health?q=" + b"a" * 9000), 414, "uri_too_long"),
    (_request(b"/health?q=" + b"a" * 8000), None, None),
    (_request(b"/health", *[b"X-Pad-%d: a" % n for n in range(120)]), 431, _TOO_LARGE),
    (_request(b"/health", *[b"X-Pad-%d: a" % n for n in range(90)]), None, None),
    (_request(b"/health", b"X-Big: " + b"a" * 9000), 431, _TOO_LARGE),
    (_request(b"/health", b"X-Big: " + b"a" * 8000), None, None),
    (_request(b"/health", b"Expect: teapot"), 417, "expectation_failed"),
    # a body declared past the limit too: the head is refused first, by both
    (_request(b"/health?q=" + b"a" * 9000, _LARGE), 414, "uri_too_long"),
    (_request(b"/health", _LARGE, *[b"X-Pad-%d: a" % n for n in range(120)]), 431, _TOO_LARGE),
    (_request(b"/health", b"Expect: teapot", _LARGE), 417, "expectation_failed"),
]


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    _AT_THE_LIMITS,
    ids=[
        *("long-uri", "uri-in", "many-fields", "fields-in", "big-field", "field-in", "expect"),
        *("long-uri-large-body", "many-fields-large-body", "expect-large-body"),
    ],
)
def test_serve_and_gunicorn_refuse_alike_with_the_statuss_code(
    gunicorn_url: str, served: Any, request_bytes: bytes, status: int | None, code: str | None
) -> None:
    """Before: gunicorn's 414, 431 and 417 said ``"code": "bad_request"`` (waitress's 431
    too), waitress served a 9 KB URL and the ``Expect`` gunicorn refused, and gunicorn refused a
    5 KB URL waitress served. And with a body declared past the limit, waitress answered
    413 where gunicorn answered the head's 414, 431 or 417."""
    answers = [exchange(url, request_bytes) for url in (gunicorn_url, served.url)]
    statuses = [int(answer.split(b" ", 2)[1]) for answer in answers]
    assert statuses[0] == statuses[1], answers
    if status is None:
        assert statuses[0] not in (414, 417, 431), answers
        return
    for answer in answers:
        got, body = _status_and_body(answer)
        assert (got, body["code"]) == (status, code), answer
        assert b"Content-Type: application/json" in answer.partition(b"\r\n\r\n")[0]


#: what a browser sends when other applications on its host name set 9 KB of cookies
_BROWSER_COOKIES = b"; ".join(b"jupyter-%d=%s" % (n, b"x" * 1000) for n in range(9))


@pytest.mark.parametrize("server", ["gunicorn", "serve"])
def test_too_many_cookies_is_a_page_that_says_which_to_clear(
    gunicorn_url: str, served: Any, server: str
) -> None:
    """A browser sending more than 8 KB of cookies (other applications at ``localhost``
    set them) got a 431 in JSON, shown raw, that said the headers were too large without
    saying why or what to do. A browser now gets an HTML page naming the host whose
    cookies to clear, the largest cookies, and another name of this machine; an API
    client the JSON error body, its message naming the cookies. Alike on both servers."""
    url = gunicorn_url if server == "gunicorn" else served.url
    port = url.rsplit(":", 1)[1].encode()
    browser = (
        b"GET / HTTP/1.1\r\nHost: localhost:" + port + b"\r\nConnection: close\r\n"
        b"Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\n"
        b"Cookie: " + _BROWSER_COOKIES + b"; sigopt_like_session=abc\r\n\r\n"
    )
    answer = exchange(url, browser)
    head, _, page = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 "), answer[:300]
    assert b"Content-Type: text/html; charset=utf-8" in head, head
    text = page.decode()
    assert "<title>Too many cookies for localhost</title>" in text, text
    assert "9,131 bytes of cookies (10 cookies)" in text, text
    assert "clear the cookies of <strong>localhost</strong>" in text, text
    assert "<code>jupyter-0</code>: 1,010 bytes" in text, text
    assert f'<a href="http://127.0.0.1:{port.decode()}/">' in text, text
    marked = exchange(url, browser.replace(b"localhost:" + port, b"<i>x</i>"))
    assert b"&lt;i&gt;x&lt;/i&gt;" in marked and b"<i>" not in marked, marked[:300]
    with socket.create_connection(_address(url), timeout=PATIENCE) as sock:  # kept alive
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        first = b""
        while not first.endswith(b"}"):
            first += sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 "), first
        sock.sendall(browser)
        second = read_until_closed(sock)
    assert second.startswith(b"HTTP/1.1 431 ") and b"jupyter-0" in second, second[:300]
    # pipelined behind another request (no browser pipelines; a proxy or a script may):
    # before, gunicorn's refusal found no copy of this head, and it was the JSON 431
    pipelined = exchange(url, b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n" + browser)
    _, _, refused = pipelined.partition(b"}")
    assert refused.startswith(b"HTTP/1.1 431 "), pipelined[:500]
    assert b"text/html" in refused.partition(b"\r\n\r\n")[0], refused[:300]
    assert b"jupyter-0" in refused, refused[:300]
    api = exchange(url, browser.replace(b"Accept: text/html,", b"Accept: "))
    got, body = _status_and_body(api)
    assert (got, body["code"]) == (431, _TOO_LARGE), api
    assert "its Cookie header is 9,131 bytes" in body["message"], body
    assert "clear the cookies of localhost" in body["message"], body


_CHUNKED_HEAD = (
    b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n"
)
#: malformed chunked bodies: (the body, the status and code both servers answer)
_BOGUS_CHUNKS = [
    (b'zz\r\n{"name": "x"}\r\n0\r\n\r\n', 400, "bad_request"),
    (b'3\r\n{"nXX0\r\n\r\n', 400, "bad_request"),
    (b"%x\r\n{" % 2**70, 413, "payload_too_large"),
]


@pytest.mark.parametrize("server", ["gunicorn", "serve"])
@pytest.mark.parametrize(
    ("body", "status", "code"), _BOGUS_CHUNKS, ids=["non-hex-size", "unterminated", "2**70"]
)
def test_a_bogus_chunked_body_is_a_4xx_that_says_what_is_wrong(
    gunicorn_url: str, served: Any, server: str, body: bytes, status: int, code: str
) -> None:
    """Before: under ``serve`` a chunk said to be 2**70 bytes long was waited for, and the
    client got no answer until the read deadline's 408 (which blamed a slow client), where
    gunicorn answered 413 at once; and a malformed chunk's 400 told both servers' clients
    to check the request line and headers."""
    started = time.monotonic()
    answer = exchange(gunicorn_url if server == "gunicorn" else served.url, _CHUNKED_HEAD + body)
    assert answer.startswith(b"HTTP/1.1 %d " % status), answer  # not the deadline's 408
    assert time.monotonic() - started < AT_ONCE, answer
    said = _status_and_body(answer)[1]
    assert said["code"] == code, said
    if status == 400:
        assert "the chunked body is malformed" in said["message"], said
    else:
        assert "larger than the limit" in said["message"], said


@pytest.mark.parametrize("server", ["gunicorn", "serve"])
@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\nX A: b\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\nXA\r\n\r\n",
        b"GET /health HTTP/1.x\r\nHost: x\r\n\r\n",
    ],
    ids=["nul-in-header", "space-in-name", "no-colon", "bad-version"],
)
def test_a_400_answers_in_http_1_1(
    gunicorn_url: str, served: Any, server: str, request_bytes: bytes
) -> None:
    """Before: ``serve`` answered these 400s ``HTTP/1.0 400``, the version waitress's
    parser says before it reads a request's (a client reads it as an older server's,
    which keeps no connection alive); the server speaks 1.1, as gunicorn says."""
    answer = exchange(gunicorn_url if server == "gunicorn" else served.url, request_bytes)
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    assert _status_and_body(answer)[1]["code"] == "bad_request", answer


def test_an_http_1_0_request_refused_400_is_answered_in_1_0(served: Any) -> None:
    """An HTTP/1.0 client's refusal still says 1.0 under ``serve``."""
    answer = exchange(served.url, b"GET /health HTTP/1.0\r\nX-A: a\x00b\r\n\r\n")
    assert answer.startswith(b"HTTP/1.0 400 "), answer


#: a request framed two ways: both a Content-Length and chunks (RFC 9112 section 6.3)
_TWO_FRAMINGS = [
    b"Transfer-Encoding: chunked\r\nContent-Length: 14\r\n\r\n",
    b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"Content-Length: 14\r\ntransfer-encoding: gzip, chunked\r\n\r\n",
]


@pytest.mark.parametrize("server", ["gunicorn", "serve"])
@pytest.mark.parametrize("framing", _TWO_FRAMINGS, ids=["te-first", "cl-first", "gzip-chunked"])
def test_a_body_framed_both_ways_is_a_400_that_says_to_send_one(
    gunicorn_url: str, served: Any, server: str, framing: bytes
) -> None:
    """A request smuggling vector (a proxy that reads the Content-Length and a server that
    reads the chunks disagree on where the next request starts). Before: ``serve`` read the
    chunks and served the request, then the next one on the connection; gunicorn refused
    it with "Invalid HTTP Header: 'CONTENT-LENGTH'", which said nothing of what to send."""
    url = gunicorn_url if server == "gunicorn" else served.url
    head = b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    if server == "serve":  # auth on: the request would be served, were it read
        head += f"Authorization: Bearer {served.token}\r\n".encode()
    smuggled = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    body = b'e\r\n{"name": "te"}\r\n0\r\n\r\n'
    answer = exchange(url, head + framing + body + smuggled)
    got, said = _status_and_body(answer)
    assert (got, said["code"]) == (400, "bad_request"), answer
    assert "both Transfer-Encoding and Content-Length" in said["message"], said
    assert "send one of the two" in said["message"], said
    assert b"Connection: close" in answer.partition(b"\r\n\r\n")[0], answer
    assert answer.count(b"HTTP/1.1 ") == 1, "the connection closed after the 400"
    listed = requests.get(f"{url}/v1/sessions", headers=served.headers(), timeout=10)
    names = [s["name"] for s in listed.json()["data"]] if listed.ok else []
    assert "te" not in names, listed.text


@pytest.mark.parametrize("server", ["gunicorn", "serve"])
@pytest.mark.parametrize("fold", [b" ", b"\t"], ids=["space", "tab"])
@pytest.mark.parametrize("first", [False, True], ids=["later-line", "first-line"])
def test_a_header_continued_on_the_next_line_is_a_400_alike(
    gunicorn_url: str, served: Any, server: str, fold: bytes, first: bool
) -> None:
    """Obsolete line folding (RFC 9112 section 5.2). Before: ``serve`` joined the two lines
    into one value and served the request, gunicorn refused it 400 telling the client to
    check its request line and headers. And a first header line that begins with
    whitespace (continuing the request line, RFC 9112 section 2.2) was refused by both
    with that generic hint, waitress's words "Malformed header line", gunicorn's "Invalid
    HTTP header name"."""
    url = gunicorn_url if server == "gunicorn" else served.url
    request_bytes = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Note: a\r\n" + fold + b"b\r\n\r\n"
    if first:
        request_bytes = b"GET /health HTTP/1.1\r\n" + fold + b"X-Note: a\r\nHost: x\r\n\r\n"
    answer = exchange(url, request_bytes)
    got, said = _status_and_body(answer)
    assert (got, said["code"]) == (400, "bad_request"), answer
    assert "cannot be continued on the next line" in said["message"], said
    assert "x-note" in said["message"].lower(), said


@pytest.mark.parametrize("server", ["gunicorn", "serve"])
@pytest.mark.parametrize(
    ("length", "status"),
    [(b"%d" % (2 * MAX_BODY_BYTES), 413), (b"+5", 400)],
    ids=["over-the-limit", "not-a-number"],
)
def test_a_body_refused_by_its_length_is_not_told_to_continue(
    gunicorn_url: str, served: Any, server: str, length: bytes, status: int
) -> None:
    """A client that sends ``Expect: 100-continue`` waits to be told to send its body.
    Before: waitress told it "100 Continue" for a Content-Length it refused (over the
    limit, or not a number), and on sending that marked the refused request incomplete:
    the refusal never came, and the client read nothing more until the read deadline's
    408, 30 s later. The refusal now comes at once, with no 100 Continue (gunicorn's
    way already)."""
    url = gunicorn_url if server == "gunicorn" else served.url
    head = (
        b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Expect: 100-continue\r\nContent-Length: " + length + b"\r\n\r\n"
    )
    started = time.monotonic()
    answer = exchange(url, head)
    assert answer.startswith(b"HTTP/1.1 %d " % status), answer
    assert b"100 Continue" not in answer, answer
    assert time.monotonic() - started < AT_ONCE, answer


@pytest.mark.parametrize("server", ["gunicorn", "serve"])
@pytest.mark.parametrize(
    ("line", "framing", "status", "code"),
    [
        (b"POST /v1/no-such-route", b"Content-Length: 40000", 404, "not_found"),
        (b"DELETE /health", b"Content-Length: 5", 405, "method_not_allowed"),
        (b"PUT /v1/sessions/1/nothing/", b"Transfer-Encoding: chunked", 404, "not_found"),
    ],
    ids=["no-route", "no-such-method", "chunked"],
)
def test_a_request_refused_without_its_body_is_not_told_to_continue(
    gunicorn_url: str, served: Any, server: str, line: bytes, framing: bytes, status: int, code: str
) -> None:
    """A client that waits for ``100 Continue`` before sending a body the app refuses
    without reading (no route, a method its route has not) gets the refusal at once, as
    RFC 9110 section 10.1.1 allows, and the connection closes: the body is never sent.
    Before, both servers said ``100 Continue`` (they read a body before the app runs) and
    the client sent all of it (curl sends 1 MiB and more so) to read a 404."""
    url = gunicorn_url if server == "gunicorn" else served.url
    head = b"%s HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n%s\r\n\r\n" % (line, framing)
    started = time.monotonic()
    answer = exchange(url, head)
    assert time.monotonic() - started < 3.0, answer
    assert answer.startswith(b"HTTP/1.1 %d " % status), answer
    assert b"100 Continue" not in answer, answer
    assert b"\r\nconnection: close\r\n" in answer.lower(), answer
    got, said = _status_and_body(answer)
    assert (got, said["code"]) == (status, code), answer
    # a request one of the routes answers is still told to continue (its body is read);
    # with its token (``serve`` needs one: without, its head alone makes it a 401, said at
    # once, ``test_unread_answers.py``)
    with socket.create_connection(_address(url), timeout=PATIENCE) as sock:
        sock.sendall(
            b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer %s\r\n"
            b"Expect: 100-continue\r\nContent-Length: 20\r\n\r\n" % served.token.encode()
        )
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"


@pytest.mark.parametrize("server", ["gunicorn", "serve"])
@pytest.mark.parametrize(
    "head",
    [
        b"GET /health HTTP/1.1\nHost: x\n\n",
        b"GET /health HTTP/1.1\r\nHost: x\nX-A: 1\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: 1\n\r\n",
    ],
    ids=["all-lines", "a-header", "the-last-header"],
)
def test_a_head_with_bare_line_feeds_is_a_400_at_once_that_says_crlf(
    gunicorn_url: str, served: Any, server: str, head: bytes
) -> None:
    """Lines ended by LF alone (``printf 'GET / HTTP/1.1\\nHost: x\\n\\n' | nc``).
    Before: waitress looked for the head's end as CRLF CRLF only, so such a head never
    ended: the client waited 30 s for a 408 telling it to send its request without
    pausing. gunicorn refused it at once, with the hint to check for NULs and
    Content-Lengths."""
    url = gunicorn_url if server == "gunicorn" else served.url
    started = time.monotonic()
    answer = exchange(url, head)
    assert answer.startswith(b"HTTP/1.1 400 "), answer  # not the deadline's 408, or nothing
    got, said = _status_and_body(answer)
    assert (got, said["code"]) == (400, "bad_request"), answer
    assert "with CRLF" in said["message"], said
    assert time.monotonic() - started < AT_ONCE, answer


@pytest.mark.parametrize(
    ("server", "field"),
    [
        ("gunicorn", b"Content-Length: 12"),
        ("serve", b"Content-Length: 12"),
        ("gunicorn", b"Content-Type: application/json"),
        ("gunicorn", b"Host: x"),
        ("serve", b"Content-Type: application/json"),
        ("serve", b"Host: x"),
    ],
    ids=[
        *("length-gunicorn", "length-serve", "type-gunicorn", "host-gunicorn"),
        *("type-serve", "host-serve"),
    ],
)
def test_a_one_valued_header_sent_twice_is_a_400_that_says_so(
    gunicorn_url: str, served: Any, server: str, field: bytes
) -> None:
    """Before: gunicorn said "Invalid HTTP Header: 'CONTENT-TYPE'" (its refusal of a
    repeated Content-Length, Content-Type or Host), ``serve`` "Content-Length is invalid"
    (waitress joined the two into "12, 12"), each with the hint to check for NULs and a
    numeric Content-Length; ``serve`` read two Content-Types as one list, refused 415
    for what it said, and served two Hosts (RFC 9112 section 3.2: a server MUST answer
    400 to more than one Host)."""
    url = gunicorn_url if server == "gunicorn" else served.url
    head = (
        b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 12\r\n" + field + b"\r\n\r\n"
    )
    answer = exchange(url, head + b'{"name":"t"}')
    got, said = _status_and_body(answer)
    assert (got, said["code"]) == (400, "bad_request"), answer
    name = field.partition(b":")[0].decode()
    assert f"the {name} header is sent more than once" in said["message"], said
    assert f"send the {name} header once" in said["message"], said


@pytest.mark.parametrize("server", ["gunicorn", "serve"])
def test_a_body_over_the_limit_is_content_too_large_on_both(
    gunicorn_url: str, served: Any, server: str
) -> None:
    """RFC 9110's reason phrase for 413. Before: ``serve`` said "Request Entity Too
    Large" (RFC 2616's), gunicorn "Content Too Large"."""
    url = gunicorn_url if server == "gunicorn" else served.url
    head = b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    declared = exchange(url, head + _LARGE + b"\r\nConnection: close\r\n\r\n")
    assert declared.startswith(b"HTTP/1.1 413 Content Too Large\r\n"), declared[:200]
    chunked = exchange(url, _CHUNKED_HEAD + b"%x\r\n{" % 2**70)
    assert chunked.startswith(b"HTTP/1.1 413 Content Too Large\r\n"), chunked[:200]


@pytest.mark.parametrize("server", ["gunicorn", "serve"])
@pytest.mark.parametrize(
    "head",
    [
        b"GET /health HTTP/2.0\r\nHost: x\r\n\r\n",
        b"GET /health HTTP/0.9\r\nHost: x\r\n\r\n",
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        b"GET /health\r\n\r\n",
    ],
    ids=["2.0", "0.9", "h2-preface", "0.9-no-version"],
)
def test_a_major_version_other_than_1_is_a_505_that_says_to_use_1_1(
    gunicorn_url: str, served: Any, server: str, head: bytes
) -> None:
    """RFC 9110 section 15.6.6: a server answers a major version it does not speak 505.
    Before: ``serve`` answered HTTP/2.0 and HTTP/0.9 as HTTP/1.0 with a 200 (a request line
    with no version, HTTP/0.9's, too), gunicorn refused them with a 400 "Invalid HTTP
    Version: (2, 0)" (or "Invalid HTTP request line") and the hint to check for NULs."""
    url = gunicorn_url if server == "gunicorn" else served.url
    answer = exchange(url, head)
    assert answer.startswith(b"HTTP/1.1 505 HTTP Version Not Supported\r\n"), answer
    _, said = _status_and_body(answer)
    assert said["code"] == "http_version_not_supported", said
    assert "send the request as HTTP/1.1" in said["message"], said


@pytest.mark.parametrize("server", ["gunicorn", "serve"])
def test_a_later_1_x_version_is_answered_as_1_1(
    gunicorn_url: str, served: Any, server: str
) -> None:
    """RFC 9110 section 2.5: a minor version above the server's is handled as its own
    (1.1). Before: ``serve`` answered HTTP/1.2 as HTTP/1.0 (no keep-alive), gunicorn in
    "HTTP/1.2", a version no client speaks."""
    url = gunicorn_url if server == "gunicorn" else served.url
    with socket.create_connection(_address(url), timeout=PATIENCE) as sock:
        for _ in range(2):  # kept alive, as a 1.1 request is
            sock.sendall(b"GET /health HTTP/1.2\r\nHost: x\r\n\r\n")
            answer = b""
            while b"\r\n\r\n" not in answer:
                answer += sock.recv(65536)
            assert answer.startswith(b"HTTP/1.1 200 "), answer
            head, _, body = answer.partition(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            while len(body) < length:
                body += sock.recv(65536)
            assert b"connection: close" not in head.lower(), answer


@pytest.mark.parametrize("server", ["gunicorn", "serve"])
def test_options_star_says_the_methods_and_connect_says_this_is_no_proxy(
    gunicorn_url: str, served: Any, server: str
) -> None:
    """RFC 9110 section 9.3.7: ``OPTIONS *`` asks about the server; section 9.3.6:
    ``CONNECT`` asks a proxy for a tunnel. Before: both were a 404, "No route or object at
    *." and "No route or object at 443."."""
    url = gunicorn_url if server == "gunicorn" else served.url
    options = exchange(url, b"OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert options.startswith(b"HTTP/1.1 200 "), options
    head = options.partition(b"\r\n\r\n")[0].decode().lower() + "\r\n"
    assert "allow: get, head, post, put, patch, delete, options\r\n" in head, options
    connect = exchange(
        url,
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nConnection: close\r\n\r\n",
    )
    got, said = _status_and_body(connect)
    assert (got, said["code"]) == (405, "method_not_allowed"), connect
    assert "this service is not a proxy" in said["message"], said
    assert b"allow: get, head" in connect.partition(b"\r\n\r\n")[0].lower(), connect

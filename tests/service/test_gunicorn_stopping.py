"""A stopping gunicorn worker (``-c python:sigopt_like.service.gunicorn_conf``) lets go of
the connections it lingers on: a real gunicorn on 127.0.0.1, raw sockets, SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from pathlib import Path

from sigopt_like.service.serving import LINGER_IDLE_SECONDS, LINGER_SECONDS
from tests.fixtures.servers import gunicorn_answering, start_gunicorn, stop_gunicorn
from tests.fixtures.waiting import read_until_closed
from tests.service.test_slow_clients import _address

BODY_LIMIT = 50_000


def _keep_sending(sock: socket.socket, stop: threading.Event) -> None:
    """Send a byte of body more often than ``LINGER_IDLE_SECONDS`` until told to stop or
    the server closes: a refused body that keeps coming."""
    while not stop.is_set():
        try:
            sock.sendall(b"x" * 1000)
        except OSError:
            return
        stop.wait(LINGER_IDLE_SECONDS / 10)


def test_a_stopping_worker_does_not_linger_on_a_refused_body(tmp_path: Path) -> None:
    """Before: a body refused 413 (its Content-Length past the limit) was read away for up
    to ``serving.LINGER_SECONDS`` as long as it kept coming, and a worker told to stop
    waited for it (the connection counts until it closes): SIGTERM took 10 s to end
    gunicorn, up to its graceful timeout with more such clients. A stopping worker now
    closes such connections at once (what already came read away first)."""
    database = str(tmp_path / "stopping.db")
    factory = (
        f"sigopt_like.service.wsgi:application(database={database!r}, auth_required=False, "
        f"max_body_bytes={BODY_LIMIT})"
    )
    proc, log = start_gunicorn(tmp_path, factory, threads=2)
    stop = threading.Event()
    try:
        url = gunicorn_answering(proc, log)
        sock = socket.create_connection(_address(url), timeout=LINGER_SECONDS * 2)
        sock.sendall(
            b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % (100 * BODY_LIMIT) + b"x" * (2 * BODY_LIMIT)
        )
        answer = read_until_closed(sock)  # the 413, then the server's end of it
        assert answer.startswith(b"HTTP/1.1 413 "), answer
        sender = threading.Thread(target=_keep_sending, args=(sock, stop), daemon=True)
        sender.start()
        time.sleep(1.0)  # lingering: what comes is read away
        assert sender.is_alive(), "the server closed before it was told to stop"
        started = time.monotonic()
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(LINGER_SECONDS * 3)
        took = time.monotonic() - started
        assert took < LINGER_SECONDS / 2, f"gunicorn took {took:.1f} s to stop"
        sender.join(LINGER_SECONDS)
        assert not sender.is_alive(), "the connection stayed open after gunicorn stopped"
        sock.close()
    finally:
        stop.set()
        if proc.poll() is None:
            stop_gunicorn(proc)

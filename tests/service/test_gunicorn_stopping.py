"""A stopping gunicorn worker (``-c python:sigopt_like.service.gunicorn_conf``) lets go of
the connections it lingers on: a real gunicorn on 127.0.0.1, raw sockets, SIGTERM."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import threading
import time
from pathlib import Path

from gunicorn.workers.gthread import PollableMethodQueue

from sigopt_like.service import Service, create_app
from sigopt_like.service.gunicorn_worker import ServiceWorker
from sigopt_like.service.serving import LINGER_IDLE_SECONDS, LINGER_SECONDS
from tests.fixtures.servers import gunicorn_answering, start_gunicorn, stop_gunicorn, wsgi_factory
from tests.fixtures.waiting import read_until_closed
from tests.service.test_slow_clients import _address

BODY_LIMIT = 50_000
#: an orphan worker (its arbiter killed) is expected gone within this: a second or two to
#: notice, ``gunicorn_worker.ORPHAN_GRACE_SECONDS`` (3 s), and room for a busy machine
#: (4.5 s measured; the old wait was gunicorn's graceful timeout, 30 s)
ORPHAN_EXIT_SECONDS = 15.0


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
    factory = wsgi_factory(database, auth_required=False, max_body_bytes=BODY_LIMIT)
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


class _SecondSigtermMidway:
    """The app of a worker whose ``stop_waiting`` a second SIGTERM interrupts midway, as a
    signal handler runs on top of the one it interrupts: in the same thread, while
    ``threading.Event.set`` holds its lock (a lock of its own here, not reentrant either)."""

    def __init__(self, worker: ServiceWorker, service: Service) -> None:
        self.worker, self.service = worker, service
        self.held = threading.Lock()
        self.calls = 0

    def stop_waiting(self) -> None:
        self.calls += 1
        # before, the second handler called it again here and waited for the lock forever
        assert self.held.acquire(timeout=5), "stop_waiting again under the first: a hang"
        try:
            if self.calls == 1:
                self.worker.handle_exit(signal.SIGTERM, None)  # the second SIGTERM comes
            self.service.stop_waiting()
        finally:
            self.held.release()


def test_a_second_sigterm_during_the_first_does_not_hang_the_worker(tmp_path: Path) -> None:
    """Before: a kill of gunicorn's process group (as systemd's stop does) gives the worker
    two SIGTERMs, its own and the arbiter's; the second's handler, on top of the first
    while it stopped the waiting clients, waited forever for the lock the first held, and
    the worker hung until killed at its graceful timeout (the waiting clients cut off).
    The clients are stopped once now; the worker stops as gunicorn's does."""
    worker = ServiceWorker.__new__(ServiceWorker)  # its loop is not needed to take signals
    worker.alive = True
    worker.method_queue = PollableMethodQueue()
    worker.method_queue.init()
    with create_app(database=str(tmp_path / "signals.db"), run_tasks=False) as service:
        app = _SecondSigtermMidway(worker, service)
        worker.wsgi = app
        try:
            worker.handle_exit(signal.SIGTERM, None)
        finally:
            worker.method_queue.close()
        assert app.calls == 1
        assert service.context.task_watch is not None
        assert service.context.task_watch.stopping  # the clients were told
        assert worker.alive is False  # and the worker stops


def test_a_client_connecting_to_a_stopping_gunicorn_is_refused_not_queued(
    tmp_path: Path,
) -> None:
    """Once SIGTERM has stopped the arbiter's listening, the worker that still finishes a
    request (one whose head is still coming, here) no longer holds the listening socket
    open. Before: it did, until it exited, so a client connecting meanwhile was queued in
    the kernel's backlog, never accepted, and reset when the worker exited, its request
    sent (6 s here, up to the graceful timeout). Now its connect is refused at once, as by
    a server that is gone, and it may try another instance."""
    database = str(tmp_path / "backlog.db")
    factory = wsgi_factory(database, auth_required=False)
    read_seconds = 6.0
    proc, log = start_gunicorn(
        tmp_path, factory, threads=2, env={"SIGOPT_LIKE_REQUEST_READ_TIMEOUT": str(read_seconds)}
    )
    try:
        url = gunicorn_answering(proc, log)
        address = _address(url)
        with socket.create_connection(address, timeout=30) as pending:
            pending.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # the head not ended
            time.sleep(0.5)  # taken by the worker: it waits for the rest, under the clock
            os.killpg(proc.pid, signal.SIGTERM)
            time.sleep(1.0)  # the arbiter has closed its sockets; the worker still runs
            assert proc.poll() is None, "gunicorn stopped before the test could connect"
            outcome = _late_client(address)
            assert outcome == "refused", outcome
        proc.wait(read_seconds * 5)
    finally:
        if proc.poll() is None:
            stop_gunicorn(proc)


def _late_client(address: tuple[str, int]) -> str:
    """What becomes of a client that connects now and sends a whole request: "refused",
    "answered ..." or "queued, then reset"."""
    try:
        late = socket.create_connection(address, timeout=30)
    except ConnectionRefusedError:
        return "refused"
    with late:
        late.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        try:
            answer = read_until_closed(late)
        except ConnectionResetError:
            return "queued, then reset"
        return f"answered {answer[:40]!r}"


def _until_logged(log: Path, words: str, seconds: float) -> None:
    """Wait for ``words`` in gunicorn's log, ``seconds`` at most."""
    deadline = time.monotonic() + seconds
    while words not in log.read_text(errors="replace"):
        assert time.monotonic() < deadline, log.read_text(errors="replace")[-2000:]
        time.sleep(0.1)


def test_a_worker_whose_arbiter_was_killed_refuses_late_clients(tmp_path: Path) -> None:
    """The arbiter SIGKILLed (the OOM killer): its worker sees its parent gone and stops,
    finishing the request it reads (its head still coming, here). gunicorn's loop ends
    then with ``alive`` still true, and the worker kept its copy of the listening socket
    open (only a worker told to stop closed it): a client connecting meanwhile was
    queued in the kernel's backlog, never accepted, and reset when the orphan exited.
    Now its connect is refused at once."""
    database = str(tmp_path / "orphan.db")
    factory = wsgi_factory(database, auth_required=False)
    read_seconds = 12.0  # the orphan runs that long: the test connects well before
    proc, log = start_gunicorn(
        tmp_path, factory, threads=2, env={"SIGOPT_LIKE_REQUEST_READ_TIMEOUT": str(read_seconds)}
    )
    try:
        url = gunicorn_answering(proc, log)
        address = _address(url)
        (worker,) = re.findall(r"Booting worker with pid: (\d+)", log.read_text())
        with socket.create_connection(address, timeout=30) as pending:
            pending.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # the head not ended
            time.sleep(0.5)  # taken by the worker: it waits for the rest, under the clock
            started = time.monotonic()
            os.kill(proc.pid, signal.SIGKILL)  # the arbiter alone
            proc.wait(10)
            _until_logged(log, "Parent changed, shutting down", read_seconds / 2)
            time.sleep(0.5)  # its loop has ended: it no longer accepts
            os.kill(int(worker), 0)  # still running (ProcessLookupError if not)
            assert time.monotonic() - started < read_seconds / 2
            outcome = _late_client(address)
            assert outcome == "refused", outcome
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the orphan, still in the group
        if proc.poll() is None:
            proc.wait(10)


def _ended(pid: int) -> bool:
    """Whether process ``pid`` has ended (gone, or a zombie no one reaped yet)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return stat.rpartition(")")[2].split()[0] == "Z"


def test_a_worker_whose_arbiter_was_killed_exits_within_its_orphan_grace(
    tmp_path: Path,
) -> None:
    """The arbiter SIGKILLed: the orphan worker exits within ``ORPHAN_GRACE_SECONDS`` (and
    a second or two to notice), with a request whose head still comes and a kept-alive
    connection open; that request is answered 503 (its X-Request-Id echoed). Before, it
    waited for them up to its graceful timeout (30 s), the head until its read
    deadline's 408 (30 s), and no arbiter was left to kill it."""
    database = str(tmp_path / "orphan-exits.db")
    factory = wsgi_factory(database, auth_required=False)
    proc, log = start_gunicorn(tmp_path, factory, threads=2)
    try:
        url = gunicorn_answering(proc, log)
        address = _address(url)
        (worker,) = re.findall(r"Booting worker with pid: (\d+)", log.read_text())
        with (
            socket.create_connection(address, timeout=30) as kept,
            socket.create_connection(address, timeout=30) as pending,
        ):
            kept.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert kept.recv(65536).startswith(b"HTTP/1.1 200 ")
            pending.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Request-Id: orphan-1\r\n")
            time.sleep(0.5)  # taken by the worker: it waits for the rest
            started = time.monotonic()
            os.kill(proc.pid, signal.SIGKILL)  # the arbiter alone
            proc.wait(10)
            while not _ended(int(worker)):
                assert time.monotonic() - started < ORPHAN_EXIT_SECONDS, log.read_text()
                time.sleep(0.1)
            answer = read_until_closed(pending, ends_on=(ConnectionResetError,))
        assert answer.startswith(b"HTTP/1.1 503 "), answer
        assert b"X-Request-Id: orphan-1\r\n" in answer, answer
        assert b"send it again" in answer, answer
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.wait(10)

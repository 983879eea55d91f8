"""Worker processes a service starts for its tasks (``settings.worker_processes``).

Each is ``python -c "...worker.main()" --follow-stdin`` on the service's database: it
claims and runs tasks exactly as a standalone worker does. The service starts them
when a task is queued and writes a line to their standard input to wake them at
once; closing it stops them. They stop by themselves after
``task_process_idle_seconds`` without a task (their memory goes back to the
system), and when the service's process ends, however it ends (their standard input
closes with it). While none runs, a thread of the service looks for tasks that wait
for one (queued by another process, or given back by a worker that stopped) every
``WATCH_SECONDS``.

Which waiting task starts a worker here, when several processes share one database
(scripts on one SQLite file, each with its embedded service):

- a task this process queued: at once (``wake``, called as it is queued), and so does
  any waiting task for ``QUEUED_GRACE_SECONDS`` after that;
- a task held by a worker that is gone (its process ended, or its lease lapsed), or
  given back by one that stopped: at once;
- a task another process queued: once it has waited ``QUEUED_GRACE_SECONDS``
  (by its ``created`` time). That process started its own worker as it queued it,
  which takes it; before, every idle script's watch started one too, and on a small
  machine their cold starts, all at once, made the task wait for the first of them
  (six scripts starting on two loaded cores: 8.4 s and six workers, against 3.4 s and
  one, ``benchmarks/perf_scripts_one_file.py``). A process that
  queues and runs nothing (``serve --no-tasks``), or ended before its worker took the
  task, leaves it to the others: they start one after the grace.

Their standard output is a channel back: ``ready`` once they can
run tasks, then a line per task change, which wakes the service's waiting clients
at once, and one per finished task, for the service's metrics. Their standard error
is the service's: warnings and task failures reach the user, at the log level the
service's own ``sigopt_like`` loggers have.

A worker that exits before it is ready (no interpreter to run, the package not
importable) makes the service run its tasks in its own threads from then on, saying
why; one that exits later (killed) is replaced by the queue watch, and the new one
takes over the task it held (leases, :mod:`.worker`). Nothing here forks:
``subprocess`` starts a fresh interpreter the same way on Linux, macOS and Windows.

Hand-written because a process pool (``multiprocessing``, ``concurrent.futures``)
would run functions, not a claim loop on a shared queue.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .failures import DatabaseOutage, RepeatedFailures

LOG = logging.getLogger("sigopt_like.service.worker")
DATABASE_ENV = "SIGOPT_LIKE_DATABASE"  # what the worker reads when --db is not given
STOP_SECONDS = 15.0
#: how often a service with no worker running looks for tasks that wait for one
WATCH_SECONDS = 1.0
#: how long a task another process queued is left to the worker that process started:
#: longer than that worker's cold start on a busy small machine (2-3.5 s with six
#: scripts starting beside it on two cores)
QUEUED_GRACE_SECONDS = 5.0
READY = b"ready"  # the worker's first line (sigopt_like.service.worker.READY)
FINISHED = b"finished"  # "finished\t<type>\t<status>\t<seconds>": a task ended
#: written before closing a worker's input: a stop asked for (sigopt_like.service.worker.STOP);
#: an input that ends without it tells the worker this process ended (killed or crashed)
STOP = b"stop\n"
#: no console window for the workers of a windowed program (Windows; 0 elsewhere)
NO_WINDOW = getattr(subprocess, "CREATE_NO_WINDOW", 0)


class TaskProcesses:
    """Start, wake and stop a service's worker processes.

    ``waiting(grace)`` says whether a task waits for a worker: one held by a worker
    that is gone, or queued ``grace`` seconds ago or more (a store query);
    ``on_change()`` is called for each task change a worker reports, ``on_finish(type,
    status, seconds)`` for each task it finished; ``on_unavailable(reason)`` once, if a
    worker cannot start (the service then runs its tasks itself).
    """

    def __init__(
        self,
        database_url: str,
        count: int,
        threads: int,
        idle_seconds: float,
        *,
        waiting: Callable[[float], bool] | None = None,
        on_change: Callable[[], None] | None = None,
        on_finish: Callable[[str, str, float], None] | None = None,
        on_unavailable: Callable[[str], None] | None = None,
        outage: DatabaseOutage | None = None,
    ) -> None:
        level = logging.getLevelName(logging.getLogger("sigopt_like").getEffectiveLevel())
        self._command = [
            sys.executable,
            "-c",
            "import sys; from sigopt_like.service.worker import main; sys.exit(main())",
            "--threads",
            str(threads),
            "--follow-stdin",
            "--idle-exit",
            str(idle_seconds),
            "--log-level",
            str(level),
        ]
        # the children import this very sigopt_like (wherever the parent found it)
        root = str(Path(__file__).resolve().parents[2])
        path = os.environ.get("PYTHONPATH")
        # the database URL goes through the environment: a command line is readable by
        # every local user (ps), and a PostgreSQL URL may hold a password
        self._env = {
            **os.environ,
            "PYTHONPATH": root + (os.pathsep + path if path else ""),
            DATABASE_ENV: database_url,
        }
        self._count = count
        self._on_change = on_change
        self._on_finish = on_finish
        self._on_unavailable = on_unavailable
        self._procs: list[subprocess.Popen[bytes]] = []
        self._lock = threading.Lock()
        self._closed = False
        self._stop = threading.Event()
        self.unavailable: str | None = None  # why workers cannot start, once known
        self._waiting = waiting
        #: when this process last queued a task (``wake``), on the monotonic clock
        self._queued_here: float | None = None
        #: before, each failed look logged a traceback: one a second while the database was down
        self._watch_failures = RepeatedFailures("looking for queued tasks", LOG, outage)
        self._watcher: threading.Thread | None = None

    def start(self) -> TaskProcesses:
        """Start watching the queue (with ``waiting``): a worker starts if a task waits."""
        if self._waiting is not None and self._watcher is None:
            self._watcher = threading.Thread(
                target=self._watch,
                args=(self._waiting,),
                name="sigopt-like-task-queue",
                daemon=True,
            )
            self._watcher.start()
        return self

    def _watch(self, waiting: Callable[[float], bool]) -> None:
        """Start a worker when a task waits for one and none runs (checked at once, then
        every ``WATCH_SECONDS``); a running worker looks for tasks itself. A task another
        process queued waits ``QUEUED_GRACE_SECONDS`` for that process's worker first."""
        while not self._stop.is_set() and not self.unavailable:
            try:
                if not self.pids and waiting(self._grace()):
                    self._run_workers()
                self._watch_failures.worked()
            except Exception as err:  # the database hiccuped: look again later
                self._watch_failures.failed(err)
            self._stop.wait(WATCH_SECONDS)

    def _grace(self) -> float:
        """How long a queued task waits before this process starts a worker for it:
        ``QUEUED_GRACE_SECONDS``, or none for that long after this process queued one
        (its own worker may have stopped, as idle, just as it was woken)."""
        queued = self._queued_here
        if queued is not None and time.monotonic() - queued < QUEUED_GRACE_SECONDS:
            return 0.0
        return QUEUED_GRACE_SECONDS

    def wake(self) -> None:
        """Make sure the workers run, and wake them (this process queued a task)."""
        self._queued_here = time.monotonic()
        self._run_workers()

    def _run_workers(self) -> None:
        """Start the workers that do not run, and wake them all."""
        failure = None
        with self._lock:
            if self._closed or self.unavailable:
                return
            self._procs = [p for p in self._procs if p.poll() is None]
            while len(self._procs) < self._count:
                try:
                    proc = subprocess.Popen(
                        self._command,
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        env=self._env,
                        creationflags=NO_WINDOW,
                    )
                except OSError as err:
                    failure = f"{self._command[0]!r} cannot be started: {err}"
                    break
                self._procs.append(proc)
                threading.Thread(
                    target=self._listen, args=(proc,), name="sigopt-like-worker-out", daemon=True
                ).start()
            for proc in self._procs:
                try:
                    assert proc.stdin is not None
                    proc.stdin.write(b"\n")
                    proc.stdin.flush()
                except (BrokenPipeError, OSError):  # it is stopping: the next wake restarts it
                    LOG.info("a task worker process (pid %s) is gone", proc.pid)
        if failure is not None:
            self._give_up(failure)

    def _listen(self, proc: subprocess.Popen[bytes]) -> None:
        """Read what a worker says until it ends; then replace it, or give up."""
        assert proc.stdout is not None
        ready = False
        with proc.stdout:
            for line in proc.stdout:
                line = line.strip()
                if line == READY:
                    ready = True
                elif line.startswith(FINISHED):
                    self._finished(line)
                elif self._on_change is not None:
                    self._on_change()
        code = proc.wait()
        if self._closed:
            return
        if not ready:
            self._give_up(f"a task worker process exited with code {code} before it was ready")
        elif code != 0:  # killed: the queue watch starts another, which takes its task over
            LOG.warning("the task worker process %s ended with code %s", proc.pid, code)

    def _finished(self, line: bytes) -> None:
        if self._on_finish is None:
            return
        try:
            _, task_type, status, seconds = line.decode().split("\t")
            self._on_finish(task_type, status, float(seconds))
        except Exception:  # metrics must never break the service
            LOG.exception("a task worker's report could not be counted: %r", line)

    def _give_up(self, reason: str) -> None:
        with self._lock:
            if self._closed or self.unavailable:
                return
            self.unavailable = reason
        LOG.warning("%s: this process runs its tasks itself from now on", reason)
        if self._on_unavailable is not None:
            self._on_unavailable(reason)

    @property
    def pids(self) -> list[int]:
        """The process ids of the running workers."""
        with self._lock:
            return [p.pid for p in self._procs if p.poll() is None]

    def close(self) -> None:
        """Stop the workers: a running task stops at its next step, as interrupted."""
        self._stop.set()
        with self._lock:
            self._closed = True
            procs, self._procs = self._procs, []
        for proc in procs:
            if proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.write(STOP)
                    proc.stdin.flush()
                with contextlib.suppress(OSError):
                    proc.stdin.close()
        deadline = time.monotonic() + STOP_SECONDS
        for proc in procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._watcher is not None:
            self._watcher.join(STOP_SECONDS)

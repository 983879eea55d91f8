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

Which process starts a worker for a waiting task, when several share one database
(scripts on one SQLite file, each with its embedded service): the one that gets the
store's runner promise (``TaskStore.promise_runner``, one ``meta`` row, taken
atomically, to the millisecond by the database's clock) for ``START_PROMISE_SECONDS``,
renewed while its worker starts, for ``START_RENEW_SECONDS`` at most (a worker stuck in
its cold start leaves the tasks to another process then), and handed over to that worker
once it has looked for a task (``--start-promise``): replaced by its own free promise in
one transaction, or withdrawn once its every thread has claimed a task. Before, this
process withdrew it when the worker said ``ready``, before that worker had claimed
anything: another process's watch looking then found a queued task unpromised and
started a second worker. A runner with a free thread (this one once ready, or a
``sigopt-like worker`` kept warm on the file) holds it itself, for
``worker.FREE_PROMISE_SECONDS``, renewed as it nears its end (a write every 2 s or so):
it takes the queued tasks, and nobody starts a worker.

- a task this process queues (``wake``): its worker is woken if one runs; else it starts
  one if it gets the promise, and leaves the task to the holder otherwise;
- a task queued by another process, given back by a worker that stopped, or held by a
  worker that is gone (its process ended, or its lease lapsed): the queue watch of the
  first process to get the promise starts a worker, at its next look (every
  ``WATCH_SECONDS``); the others find the promise taken. So a task whose worker died,
  or queued by a process that runs none (``serve --no-tasks``), starts one worker, not
  one per idle script; and a process that queued a task and ended before its worker
  was ready leaves it to the others once its promise lapses.
- Before, every idle script's watch started a worker for such a task (three idle
  scripts: three workers), and judged "queued by another process" by a 5 s grace on
  ``tasks.created``, which holds whole seconds (4-5 s in fact): on a small machine the
  cold starts, all at once, made the task wait for the first of them (six scripts
  starting on two loaded cores: 8.4 s and six workers, against 3.4 s and one,
  ``benchmarks/perf_scripts_one_file.py``).

When this process's own worker is busy (every thread running a task), a task it queues
is left to another process: that worker's promise lapses ``FREE_PROMISE_SECONDS`` (3 s)
after its last free moment (none stands for one busy from its first moment: this
process's start promise ends once that worker's every thread has claimed a task), and
the next idle process to look (every ``WATCH_SECONDS``) starts one, plus that worker's
cold start: 4 s at most before the cold start, 1.6-1.8 s in all measured for a worker
busy from its first moment (one idle script, two cores). Before, the others waited out
the 5 s grace by the task's ``created``. Not 1 s, as for a task nobody holds: a promise
must outlive the gaps between a free runner's renewals, and a task ending then frees a
thread that takes the new one without a cold start. This process starts no second worker
itself: it runs ``count`` at most, and the busy one may run for hours.

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
#: how long the process that starts a worker holds the store's runner promise (no other
#: process starts one meanwhile): longer than that worker's cold start on a busy small
#: machine (2-3.5 s with six scripts starting beside it on two cores); once ready, the
#: worker renews the promise itself while it has a free thread
START_PROMISE_SECONDS = 5.0
#: how long the promise is renewed for a worker that is not yet ready: one stuck in its
#: cold start (stopped, swapping) leaves the queued tasks to another process once the
#: promise lapses, ``START_PROMISE_SECONDS`` later (10 s after it started, at most);
#: before, it was renewed for as long as that worker hung, and no process started one
START_RENEW_SECONDS = START_PROMISE_SECONDS
READY = b"ready"  # the worker's first line (sigopt_like.service.worker.READY)
FINISHED = b"finished"  # "finished\t<type>\t<status>\t<seconds>": a task ended
#: written before closing a worker's input: a stop asked for (sigopt_like.service.worker.STOP);
#: an input that ends without it tells the worker this process ended (killed or crashed)
STOP = b"stop\n"
#: no console window for the workers of a windowed program (Windows; 0 elsewhere)
NO_WINDOW = getattr(subprocess, "CREATE_NO_WINDOW", 0)


class TaskProcesses:
    """Start, wake and stop a service's worker processes.

    ``waiting()`` says whether a task waits for a worker: queued, or held by a worker
    that is gone (a store query); ``promise(seconds)`` takes the store's runner promise
    for this process for that long, False if another process or a free runner holds it
    (None: this process starts its workers whenever a task waits), ``withdraw()`` ends
    it as this process stops;
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
        waiting: Callable[[], bool] | None = None,
        promise: Callable[[float], bool] | None = None,
        withdraw: Callable[[], None] | None = None,
        on_change: Callable[[], None] | None = None,
        on_finish: Callable[[str, str, float], None] | None = None,
        on_unavailable: Callable[[str], None] | None = None,
        outage: DatabaseOutage | None = None,
        promise_holder: str | None = None,
        time_limit_seconds: float | None = None,
        max_attempts: int | None = None,
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
        #: the name ``promise`` takes the runner promise under: its workers take it over
        #: (``--start-promise``); without it, this process withdraws it at ``ready``
        self._promise_holder = promise_holder
        if promise_holder is not None:
            self._command += ["--start-promise", promise_holder]
        # the service's task settings, which its workers run its tasks with
        if time_limit_seconds is not None:
            self._command += ["--task-time-limit", repr(float(time_limit_seconds))]
        if max_attempts is not None:
            self._command += ["--task-max-attempts", str(max_attempts)]
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
        #: when each worker started (monotonic clock, by pid): its start promise is
        #: renewed for ``START_RENEW_SECONDS`` at most
        self._started: dict[int, float] = {}
        #: the workers that said ``ready`` (their pids)
        self._ready: set[int] = set()
        self._lock = threading.Lock()
        #: a start promise's renewal and its withdrawal at ``ready``, one at a time
        self._promise_lock = threading.Lock()
        self._closed = False
        self._stop = threading.Event()
        self.unavailable: str | None = None  # why workers cannot start, once known
        self._waiting = waiting
        self._promise = promise
        self._withdraw = withdraw
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

    def _watch(self, waiting: Callable[[], bool]) -> None:
        """Start a worker when a task waits for one, none runs here, and this process gets
        the runner promise (checked at once, then every ``WATCH_SECONDS``); a running
        worker looks for tasks itself."""
        while not self._stop.is_set() and not self.unavailable:
            try:
                pids = self.pids
                if not pids and waiting() and self._promised():
                    self._run_workers()
                else:
                    self._renew_start_promise()
                self._watch_failures.worked()
            except Exception as err:  # the database hiccuped: look again later
                self._watch_failures.failed(err)
            self._stop.wait(WATCH_SECONDS)

    def _renew_start_promise(self) -> None:
        """Renew the start promise while a worker of this process starts, for
        ``START_RENEW_SECONDS`` after it started at most; a ready worker holds none (its
        own free promise, :mod:`.worker`, says when it can take a task)."""
        with self._promise_lock:
            now = time.monotonic()
            starting = [
                pid
                for pid in self.pids
                if pid not in self._ready
                and now - self._started.get(pid, now) < START_RENEW_SECONDS
            ]
            if starting:
                self._promised()

    def _promised(self) -> bool:
        """Take the store's runner promise for ``START_PROMISE_SECONDS``: whether this
        process is the one to start a worker now."""
        return self._promise is None or self._promise(START_PROMISE_SECONDS)

    def wake(self) -> None:
        """This process queued a task: wake its workers; if none runs, start them, unless
        the runner promise is another's (a free runner, ``sigopt-like worker`` kept warm,
        or another process starting one), which takes the task; the queue watch steps in
        if that promise lapses with the task still queued."""
        if not self.pids:
            try:
                if not self._promised():
                    return
            except Exception as err:  # the store did not answer: start them, as before
                LOG.debug("could not read the runner promise (%s)", err)
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
                self._started[proc.pid] = time.monotonic()
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
                    self._now_ready(proc.pid)
                elif line.startswith(FINISHED):
                    self._finished(line)
                elif self._on_change is not None:
                    self._on_change()
        code = proc.wait()
        self._ready.discard(proc.pid)
        self._started.pop(proc.pid, None)
        if self._closed:
            return
        if not ready:
            self._give_up(f"a task worker process exited with code {code} before it was ready")
        elif code != 0:  # killed: the queue watch starts another, which takes its task over
            LOG.warning("the task worker process %s ended with code %s", proc.pid, code)

    def _now_ready(self, pid: int) -> None:
        """A worker said ``ready``: it claims the queued tasks at once, and promises to
        take more while it has a free thread (:mod:`.worker`); this process no longer
        renews its start promise, which that worker takes over once it has looked for a
        task (``promise_holder``), so that a task queued while it is busy from its first
        moment is started by another process at its next look, not after 5 s. Without a
        ``promise_holder`` the promise is withdrawn here."""
        with self._promise_lock:
            self._ready.add(pid)
            if self._promise_holder is not None:
                return
            if self._withdraw is not None and not set(self.pids) - self._ready:
                try:
                    self._withdraw()
                except Exception as err:  # it lapses by itself
                    LOG.debug("could not withdraw the runner promise (%s)", err)

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
        if self._withdraw is not None:  # a worker it was starting will not take a task
            try:
                self._withdraw()
            except Exception as err:  # it lapses by itself
                LOG.debug("could not withdraw the runner promise (%s)", err)

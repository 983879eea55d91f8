"""Worker processes a service starts for its tasks (``settings.task_processes``).

Each is ``python -m sigopt_like.service.worker --follow-stdin`` on the service's
database: it claims and runs tasks exactly as a standalone worker does. The
service starts them when a task is queued, writes a line to their standard input
to wake them at once, and closes it to stop them; they stop by themselves after
``task_process_idle_seconds`` without a task, and when the service's process
ends (their standard input closes with it). The optimizer's imports, memory and
CPU thus stay out of the process that serves requests or runs the caller's
script. Hand-written because a process pool (``multiprocessing``,
``concurrent.futures``) would run functions, not a claim loop on a shared queue.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

LOG = logging.getLogger("sigopt_like.service.worker")
DATABASE_ENV = "SIGOPT_LIKE_DATABASE"  # what the worker reads when --db is not given
STOP_SECONDS = 15.0


class TaskProcesses:
    """Start, wake and stop a service's worker processes."""

    def __init__(self, database_url: str, count: int, threads: int, idle_seconds: float) -> None:
        self._command = [
            sys.executable,
            "-c",
            "import sys; from sigopt_like.service.worker import main; sys.exit(main())",
            "--threads",
            str(threads),
            "--follow-stdin",
            "--idle-exit",
            str(idle_seconds),
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
        self._procs: list[subprocess.Popen[bytes]] = []
        self._lock = threading.Lock()
        self._closed = False

    def wake(self) -> None:
        """Make sure the workers run, and wake them (a task was queued)."""
        with self._lock:
            if self._closed:
                return
            self._procs = [p for p in self._procs if p.poll() is None]
            while len(self._procs) < self._count:
                self._procs.append(
                    subprocess.Popen(self._command, stdin=subprocess.PIPE, env=self._env)
                )
            for proc in self._procs:
                try:
                    assert proc.stdin is not None
                    proc.stdin.write(b"\n")
                    proc.stdin.flush()
                except (BrokenPipeError, OSError):  # it is stopping: the next wake restarts it
                    LOG.info("a task worker process (pid %s) is gone", proc.pid)

    @property
    def pids(self) -> list[int]:
        """The process ids of the running workers."""
        with self._lock:
            return [p.pid for p in self._procs if p.poll() is None]

    def close(self) -> None:
        """Stop the workers: a running task stops at its next step, as interrupted."""
        with self._lock:
            self._closed = True
            procs, self._procs = self._procs, []
        for proc in procs:
            if proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
        deadline = time.monotonic() + STOP_SECONDS
        for proc in procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

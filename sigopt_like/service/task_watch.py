"""Waiting for tasks without holding what everyone else needs.

Clients wait for tasks on event streams and long polls; each such request holds
a server thread while it waits. Two things keep many of them cheap:

- **one reader for all waiters**: a waiting request sleeps on its own event; one
  watcher thread reads the versions of every watched task in one query
  (``poll_seconds`` apart, and at once when this process's task runner reports
  a change) and wakes the waiters whose task changed. 200 waiting clients cost
  one small query per tick, not 200;
- **a bounded number of waiting slots** (``capacity``): a request may wait only
  while it holds a slot; without one, a long poll answers at once and an event
  stream sends the task and ends (the client then polls). The server's thread
  pool is sized as the request threads plus these slots
  (:mod:`sigopt_like.service.serving`), so waiters can never take the threads
  that answer ``/health`` and everyone else's calls.

Hand-written because waitress (like every WSGI server) gives a request one
thread for its whole life, and neither it nor Falcon has a shared change feed;
an event-loop server for streams would mean a second app. A maintained
alternative, if one appears, replaces this module alone.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping

from .failures import DatabaseOutage, RepeatedFailures

LOG = logging.getLogger("sigopt_like.service.task_watch")

#: how often the watcher reads the versions of watched tasks changed by other processes
POLL_SECONDS = 0.25

Versions = Callable[[Iterable[int]], Mapping[int, int]]


class _Waiter:
    """One waiting request: the version it has seen, and the event that wakes it."""

    __slots__ = ("event", "version")

    def __init__(self, version: int) -> None:
        self.version = version
        self.event = threading.Event()


class TaskWatch:
    """Wakes requests waiting on tasks when those tasks change; see the module.

    ``versions(ids)`` reads ``{task id: version}`` for existing tasks (a store
    call); ``local_change(timeout)`` sleeps until this process reports a task
    change or ``timeout`` passes (the task runner's ``wait_for_change``).
    """

    def __init__(
        self,
        versions: Versions,
        *,
        capacity: int,
        local_change: Callable[[float], None] | None = None,
        poll_seconds: float = POLL_SECONDS,
        outage: DatabaseOutage | None = None,
    ) -> None:
        self._versions = versions
        self._local_change = local_change
        self.capacity = capacity
        self.poll_seconds = poll_seconds
        self._failures = RepeatedFailures("reading task versions", LOG, outage)
        self._slots = threading.BoundedSemaphore(capacity) if capacity > 0 else None
        self._held = 0
        self._lock = threading.Condition()
        self._waiters: dict[int, list[_Waiter]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- slots ------------------------------------------------------------------------

    @property
    def waiting(self) -> int:
        """Slots held right now (requests that may wait)."""
        with self._lock:
            return self._held

    @property
    def stopping(self) -> bool:
        """Whether the watch was stopped: its server is stopping, so nobody waits."""
        return self._stop.is_set()

    def try_slot(self) -> bool:
        """Take a waiting slot if one is free and the watch runs (never blocks); release it
        with ``release_slot``."""
        if self._stop.is_set():
            return False
        if self._slots is None or not self._slots.acquire(blocking=False):
            return False
        with self._lock:
            self._held += 1
        return True

    def release_slot(self) -> None:
        """Give back a slot taken with ``try_slot``."""
        with self._lock:
            self._held -= 1
        assert self._slots is not None
        self._slots.release()

    @contextlib.contextmanager
    def slot(self) -> Iterator[bool]:
        """``with watch.slot() as may_wait:`` a slot for the block, if one is free."""
        held = self.try_slot()
        try:
            yield held
        finally:
            if held:
                self.release_slot()

    # -- waiting ----------------------------------------------------------------------

    def wait(self, task_id: int, version: int, timeout: float) -> None:
        """Sleep until task ``task_id`` has a version other than ``version`` (or it is
        gone), or ``timeout`` seconds pass, or the watch stops."""
        if timeout <= 0 or self._stop.is_set():
            return
        waiter = _Waiter(version)
        with self._lock:
            self._waiters.setdefault(task_id, []).append(waiter)
            self._ensure_thread()
            self._lock.notify_all()
        try:
            waiter.event.wait(timeout)
        finally:
            with self._lock:
                waiters = self._waiters.get(task_id, [])
                if waiter in waiters:
                    waiters.remove(waiter)
                if not waiters:
                    self._waiters.pop(task_id, None)

    def stop_waiting(self) -> None:
        """Wake every waiter and let nobody wait from now on (the server is stopping: a
        long poll answers the task as it is, a stream ends); never blocks."""
        self._stop.set()
        with self._lock:
            for waiters in self._waiters.values():
                for waiter in waiters:
                    waiter.event.set()
            self._lock.notify_all()

    def close(self) -> None:
        """Stop the watcher and wake every waiter."""
        self.stop_waiting()
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout=5)

    # -- the watcher ------------------------------------------------------------------

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._loop, name="sigopt-like-task-watch", daemon=True
            )
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                if not self._waiters:
                    self._lock.wait(1.0)
                    continue
                ids = list(self._waiters)
            try:
                current = self._versions(ids)
                self._failures.worked()
            except Exception as err:  # the database hiccuped: waiters time out, read again
                self._failures.failed(err)
                current = None
            if current is not None:
                self._wake(ids, current)
            self._pause()

    def _wake(self, ids: list[int], current: Mapping[int, int]) -> None:
        with self._lock:
            for task_id in ids:
                version = current.get(task_id)
                for waiter in self._waiters.get(task_id, []):
                    if version is None or version != waiter.version:
                        waiter.event.set()

    def _pause(self) -> None:
        if self._local_change is not None:
            self._local_change(self.poll_seconds)
        else:
            self._stop.wait(self.poll_seconds)

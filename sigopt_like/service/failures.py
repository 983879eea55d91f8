"""What the retrying loops of a process say when their database fails.

Two things are said differently:

- **an outage** (the database server does not answer: down, restarting, refusing
  connections; ``is_unreachable_error``): one line when the process first finds it, with
  the error's first line, one line a minute while it lasts, and one line when it ends,
  however many loops of the process retry meanwhile (:class:`DatabaseOutage`, shared by
  them). Before, each loop logged the driver's whole chained traceback (about 45 lines)
  when it first failed, and a service's queue watch did so every second: about 2,800
  lines from ``serve`` and 220 from a worker in a 25 s PostgreSQL restart;
- **any other failure** of a loop (a bug, a full disk, a lock): its first with the
  traceback, then one line a minute, then that it works again
  (:class:`RepeatedFailures`).
"""

from __future__ import annotations

import logging
import threading
import time

from ..database_targets import first_line
from .store.database import is_unreachable_error

#: a loop that still fails says so at most this often (one line, not a traceback per try)
FAILING_REPORT_SECONDS = 60.0
#: where an outage is said, whichever loop found it
OUTAGE_LOGGER = "sigopt_like.service.database"


class DatabaseOutage:
    """Whether this process's database answers, as its loops (and readiness probes) find
    it; said to ``log`` once when it stops answering, once a minute while it does not,
    and once when it answers again. One per process or service, shared by its loops."""

    def __init__(self, log: logging.Logger | None = None) -> None:
        self.log = log or logging.getLogger(OUTAGE_LOGGER)
        self._lock = threading.Lock()
        self._since: float | None = None  # when the outage began (monotonic), or None
        self._said = 0.0
        self._failures = 0

    @property
    def ongoing(self) -> bool:
        """Whether the database did not answer the last time a loop asked it."""
        return self._since is not None

    def failed(self, err: BaseException, what: str) -> None:
        """``what`` (a loop's name) found the database not answering with ``err``."""
        now = time.monotonic()
        with self._lock:
            self._failures += 1
            starts = self._since is None
            if starts:
                self._since = self._said = now
            remind = not starts and now - self._said >= FAILING_REPORT_SECONDS
            if remind:
                self._said = now
            since = self._since if self._since is not None else now
        if starts:
            self.log.error(
                "the database does not answer (%s): %s; retrying until it does",
                what,
                first_line(err),
            )
            self.log.debug("the database's error, in full", exc_info=err)
        elif remind:
            self.log.warning(
                "the database still does not answer, for %.0f s now: %s",
                now - since,
                first_line(err),
            )

    def worked(self) -> None:
        """A loop's call to the database worked: say the outage's end, if one was on."""
        if self._since is None:  # the common case, without the lock
            return
        with self._lock:
            since, self._since = self._since, None
            failures, self._failures = self._failures, 0
        if since is not None:
            self.log.warning(
                "the database answers again, after %.0f s (%d failed calls meanwhile)",
                time.monotonic() - since,
                failures,
            )


class RepeatedFailures:
    """The failures of one retrying loop (shared by its threads), said to ``log``; an
    outage of the database is said by ``outage`` instead (see the module).

    Before, such loops (a task runner's claims and heartbeat, the task watch's reads)
    logged a traceback on every try: 110 lines per thread every 0.5 s while the
    database was down.
    """

    def __init__(
        self, what: str, log: logging.Logger, outage: DatabaseOutage | None = None
    ) -> None:
        self.what = what
        self.log = log
        self.outage = outage if outage is not None else DatabaseOutage()
        self._lock = threading.Lock()
        self._count = 0
        self._since = 0.0
        self._said = 0.0
        self._told = False  # whether this loop said a failure itself (not an outage)

    def failed(self, err: BaseException) -> int:
        """Report ``err`` as the loop's latest failure; how many in a row so far."""
        now = time.monotonic()
        unreachable = is_unreachable_error(err)
        with self._lock:
            self._count += 1
            count = self._count
            if count == 1:
                self._since = now
            first = not unreachable and not self._told
            say = first or (not unreachable and now - self._said >= FAILING_REPORT_SECONDS)
            if say:
                self._said = now
                self._told = True
            since = self._since
        if unreachable:
            self.outage.failed(err, self.what)
        elif first:
            self.log.error("%s failed; retrying", self.what, exc_info=err)
        elif say:
            self.log.warning(
                "%s still fails (%d times in %.0f s): %s",
                self.what,
                count,
                now - since,
                first_line(err),
            )
        return count

    def worked(self) -> None:
        """The loop worked: say so if it had been failing."""
        self.outage.worked()
        if not self._count:  # the common case, without the lock
            return
        with self._lock:
            count, self._count = self._count, 0
            told, self._told = self._told, False
            since = self._since
        if count and told:
            self.log.warning(
                "%s works again, after %d failures in %.0f s",
                self.what,
                count,
                time.monotonic() - since,
            )

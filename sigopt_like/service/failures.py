"""What the retrying loops of a process say when their database fails.

Two things are said differently:

- **an outage** (the database server does not answer: down, restarting, refusing
  connections; ``is_unreachable_error``): one line when the process first finds it, with
  the error's first line, one line a minute while it lasts, and one line when it ends
  (said at the first connection had after it, ``Store.on_connection``: a loop's, a
  ``/ready`` probe's or a request's),
  however many loops of the process retry meanwhile (:class:`DatabaseOutage`, shared by
  them), and however many requests are answered 503 meanwhile (counted in those lines;
  the first failure, a request's too, is said with what failed). Before, each loop logged
  the driver's whole chained traceback (about 45 lines) when it first failed, and a
  service's queue watch did so every second: about 2,800 lines from ``serve`` and 220
  from a worker in a 25 s PostgreSQL restart; and each request answered 503 logged a
  line of its own;
- **any other failure** of a loop (a bug, a full disk): its first with the traceback,
  then one line a minute, then that it works again (:class:`RepeatedFailures`); a busy
  database (a lock held by another writer) the same, but its first in one WARNING line
  that says when the loop tries again, the traceback at DEBUG.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from ..database_targets import first_line
from .store.errors import Busy, DatabaseGone, Unreadable, Unwritable
from .store.refusals import (
    is_connection_limit_error,
    is_unreachable_error,
    is_unresolved_host_error,
)

#: a loop that still fails says so at most this often (one line, not a traceback per try)
FAILING_REPORT_SECONDS = 60.0
#: where an outage is said, whichever loop found it
OUTAGE_LOGGER = "sigopt_like.service.database"
#: how an outage's first line begins: the server does not answer, or its host name does
#: not resolve (waited for too: DNS may be late at boot; said apart, with the driver's
#: reason, so that a mistyped name shows at once rather than as a server not up)
_NO_ANSWER = "the database does not answer"
_NO_HOST = "the database's host name does not resolve"
_TYPO_HINT = " (the name may not be in DNS yet; if it is mistyped, correct the database URL)"


class DatabaseOutage:
    """Whether this process's database answers, as its loops (and readiness probes) find
    it; said to ``log`` once when it stops answering, once a minute while it does not,
    and once when it answers again. One per process or service, shared by its loops and
    by its requests (:meth:`request_failed`): a failed request is said only when it is
    the outage's first failure, and counted in the lines after it."""

    def __init__(
        self, log: logging.Logger | None = None, report_seconds: float = FAILING_REPORT_SECONDS
    ) -> None:
        self.log = log or logging.getLogger(OUTAGE_LOGGER)
        #: how often a line says the outage goes on; no failure for as long, and a failure
        #: is another outage's start
        self.report_seconds = report_seconds
        self._lock = threading.Lock()
        self._since: float | None = None  # when the outage began (monotonic), or None
        self._said = 0.0
        self._last = 0.0  # the latest failure (monotonic)
        self._failures = 0
        self._requests = 0  # requests failed since the last line said
        self._all_requests = 0  # requests failed in this outage

    @property
    def ongoing(self) -> bool:
        """Whether the database did not answer the last time a loop asked it."""
        return self._since is not None

    def failed(self, err: BaseException, what: str) -> None:
        """``what`` (a loop's name) found the database not answering with ``err``."""
        self._failed(err, what, request=False)

    def request_failed(self, err: BaseException, request: str) -> None:
        """A request (``request``: its method, path and id) was answered 503 because the
        database does not answer: said as the outage's start if it is its first failure,
        else counted in the next line (its own line is logged at DEBUG)."""
        self._failed(err, request, request=True)

    def _failed(self, err: BaseException, what: str, *, request: bool) -> None:
        now = time.monotonic()
        with self._lock:
            self._failures += 1
            # no failure for a while, and no call said the end (a process with no loop
            # running, which only requests reach): this is another outage
            starts = self._since is None or now - self._last > self.report_seconds
            self._last = now
            if starts:
                self._since = self._said = now
                self._failures = 1
                self._requests = self._all_requests = 0
            if request:
                self._requests += 1
                self._all_requests += 1
            remind = not starts and now - self._said >= self.report_seconds
            requests = self._requests
            if starts or remind:
                self._said = now
                self._requests = 0
            since = self._since if self._since is not None else now
        if starts:
            self.log.error(
                "%s (%s): %s; %s%s",
                _NO_HOST if is_unresolved_host_error(err) else _NO_ANSWER,
                what,
                first_line(err),
                "answering requests 503 until it does" if request else "retrying until it does",
                _TYPO_HINT if is_unresolved_host_error(err) else "",
            )
            self.log.debug("the database's error, in full", exc_info=err)
        elif remind:
            self.log.warning(
                "the database still does not answer, for %.0f s now: %s%s%s",
                now - since,
                first_line(err),
                f"; {requests} requests answered 503 since the last line" if requests else "",
                _TYPO_HINT if is_unresolved_host_error(err) else "",
            )
        if request and not starts:
            self.log.debug("the database does not answer on %s: %s", what, first_line(err))

    def worked(self) -> None:
        """A loop's call to the database worked: say the outage's end, if one was on."""
        if self._since is None:  # the common case, without the lock
            return
        with self._lock:
            since, self._since = self._since, None
            failures, self._failures = self._failures, 0
            requests, self._all_requests = self._all_requests, 0
            self._requests = 0
        if since is not None:
            self.log.warning(
                "the database answers again, after %.0f s (%d failed calls meanwhile%s)",
                time.monotonic() - since,
                failures,
                f", {requests} of them requests answered 503" if requests else "",
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

    def failed(self, err: BaseException, retry_in: Callable[[int], float] | None = None) -> int:
        """Report ``err`` as the loop's latest failure; how many in a row so far.
        ``retry_in``: how long the loop waits before its next try, from that count (said
        in the line of a busy database).

        A busy database (:class:`~.store.errors.Busy`: another writer held the lock for
        the whole busy timeout, a lock or serialisation timeout) is said in one WARNING
        line, what failed and when it is tried again, its traceback at DEBUG: it is
        another process's write, not a bug. Before, each episode logged an ERROR with the
        whole traceback, and under contention episodes come one after another."""
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
        elif first and is_connection_limit_error(err):  # a crowd, not a bug: no traceback
            self.log.warning(
                "%s failed: the database refuses more connections (max_connections "
                "reached); retrying",
                self.what,
            )
        elif first and isinstance(
            err, (DatabaseGone, Unwritable, Unreadable)
        ):  # said to a person already: no traceback
            # the refusal's sentence without its full stop: it ended ".; retrying"
            said = err.message.rstrip(".")
            self.log.warning("%s failed: %s; retrying", self.what, said)
        elif first and isinstance(err, Busy):  # another process's write, not a bug
            when = f" in {retry_in(count):.1f} s" if retry_in is not None else ""
            cause = first_line(err.__cause__ or err)
            self.log.warning(
                "%s failed: the database is busy (%s); retrying%s", self.what, cause, when
            )
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
        if isinstance(err, Busy):
            self.log.debug("%s failed (try %d): the error, in full", self.what, count, exc_info=err)
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

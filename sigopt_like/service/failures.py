"""What a loop that keeps failing says: its first failure with the traceback, then one
line a minute, then that it works again (the database down, a loop retrying it)."""

from __future__ import annotations

import logging
import threading
import time

from ..database_targets import first_line

#: a loop that still fails says so at most this often (one line, not a traceback per try)
FAILING_REPORT_SECONDS = 60.0


class RepeatedFailures:
    """The failures of one retrying loop (shared by its threads), said to ``log``.

    Before, such loops (a task runner's claims and heartbeat, the task watch's reads)
    logged a traceback on every try: 110 lines per thread every 0.5 s while the
    database was down.
    """

    def __init__(self, what: str, log: logging.Logger) -> None:
        self.what = what
        self.log = log
        self._lock = threading.Lock()
        self._count = 0
        self._since = 0.0
        self._said = 0.0

    def failed(self, err: BaseException) -> int:
        """Report ``err`` as the loop's latest failure; how many in a row so far."""
        now = time.monotonic()
        with self._lock:
            self._count += 1
            count, first = self._count, self._count == 1
            if first:
                self._since = now
            say = first or now - self._said >= FAILING_REPORT_SECONDS
            if say:
                self._said = now
            since = self._since
        if first:
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
        if not self._count:  # the common case, without the lock
            return
        with self._lock:
            count, self._count = self._count, 0
            since = self._since
        if count:
            self.log.warning(
                "%s works again, after %d failures in %.0f s",
                self.what,
                count,
                time.monotonic() - since,
            )

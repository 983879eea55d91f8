"""How long the server waits for a request to arrive: a slow client gets a 408, then the
connection is closed.

Waitress reads each request (its headers and its body) in its one socket loop before a
thread runs it, so a client that sends slowly holds no thread, but it holds a
connection, and the connections are limited (``serving.SPARE_CONNECTIONS`` beyond the
threads): a few hundred "slowloris" clients, each sending one byte every few seconds,
fill them, and then the server takes no new connection. Waitress's own limit,
``channel_timeout``, closes a connection only once it has been *idle* that long, and each
byte makes it busy again: such a client was kept for as long as it kept sending (a
Content-Length of 1000 at a byte every 3 s: 50 minutes; headers up to 256 KB: days).

:class:`ReadDeadlineChannel` gives each request ``read_seconds`` to arrive, and one
second more for every :data:`MIN_BYTES_PER_SECOND` bytes received (as Apache's
``mod_reqtimeout`` does with its ``MinRate``), so a large upload on a slow link is not
cut while it moves. Past that the request is answered ``408 Request Timeout`` (the
service's JSON error body, ``wire_errors``) and the connection is closed, once what the
client still sends of the body is read away (bounded: ``serving.LINGER_*``). The clock
runs only while the server waits on the client: from the request's first byte until
its last, paused while earlier requests of the same connection are answered. An idle
connection between requests is closed after waitress's ``channel_timeout``
(``serving.KEEP_ALIVE_SECONDS``); a request being read is the read deadline's alone.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from waitress.utilities import Error

from .serving import DEFAULT_READ_SECONDS
from .wire_errors import JsonErrorChannel

#: each this many bytes received give the request one second more
MIN_BYTES_PER_SECOND = 500

LOG = logging.getLogger("sigopt_like.service")


class RequestTimeout(Error):  # type: ignore[misc]
    """Waitress's error for a request that did not arrive in time."""

    code = 408
    reason = "Request Timeout"


class TlsOnPlainHttp(Error):  # type: ignore[misc]
    """Waitress's error for a connection that opens with a TLS handshake."""

    code = 400
    reason = "Bad Request"
    hint = (
        "this server speaks plain HTTP: use an http:// URL, or put TLS in a reverse proxy "
        "in front of it"
    )


class ReadDeadlineChannel(JsonErrorChannel):
    """A channel that answers 408 and closes once a request takes too long to arrive, and
    400 at once to a TLS handshake (``https://`` to this plain HTTP port: it waited for
    the end of headers that never come, as long as the read timeout)."""

    #: set on the subclass ``serving.channel_class`` makes
    read_seconds = DEFAULT_READ_SECONDS
    _reading_since: float | None = None  # the clock of the request being read (monotonic)
    _read_bytes = 0
    _late = False  # answered 408 (or the TLS 400): nothing more is parsed
    _spoke = False  # whether the client sent anything yet

    def received(self, data: bytes) -> bool:
        """Start the clock at a request's first byte; count its bytes."""
        if self._late:
            return False
        if not self._spoke and data:
            self._spoke = True
            if data[:2] == b"\x16\x03":  # a TLS record: handshake, version 3.x
                self._refuse(TlsOnPlainHttp("a TLS handshake came, not an HTTP request"))
                return False
        if self.request is None or self._reading_since is None:
            self._reading_since, self._read_bytes = time.monotonic(), 0
        self._read_bytes += len(data)
        return bool(super().received(data))

    def readable(self) -> bool:
        """Waitress asks this of each channel at every turn of its loop (at least once a
        second): the moment to find a request that is late, bytes or not."""
        if self.request is not None and not self._late:
            if self.requests:  # earlier requests are answered first: not the client's wait
                self._reading_since = None
            elif self._reading_since is None:
                self._reading_since, self._read_bytes = time.monotonic(), 0
            elif not (self.will_close or self.close_when_flushed):
                self._check_deadline(time.monotonic())
            # a request part way in is not an idle connection: waitress's channel_timeout
            # (the keep-alive timeout, shorter) would close it silently, with no 408
            self.last_activity = time.time()
        return bool(super().readable())

    def seconds_reading(self) -> float:
        """How long since the request being answered began to come (for the records of a
        refusal: ``door_records``)."""
        since = self._reading_since
        return 0.0 if since is None else max(0.0, time.monotonic() - since)

    def _check_deadline(self, now: float) -> None:
        assert self._reading_since is not None
        allowed = self.read_seconds + self._read_bytes / MIN_BYTES_PER_SECOND
        waited = now - self._reading_since
        if waited < allowed:
            return
        LOG.info(
            "answered 408 to %s: its request did not arrive within %.0f s (%d bytes in)",
            self.addr[0] if self.addr else "a client",
            waited,
            self._read_bytes,
        )
        self._refuse(
            RequestTimeout(
                f"the request did not arrive within {allowed:.0f} s; {self._read_bytes} "
                "bytes of it came"
            )
        )

    def _refuse(self, error: Error) -> None:
        """Answer ``error`` (in JSON) in place of the request being read, then close."""
        self._late = True
        late = self.parser_class(self.adj)
        reading: Any = getattr(self, "request", None)
        if reading is not None and getattr(reading, "first_line", None):  # its headers came
            # the answer's status line says the client's version (an HTTP/1.0 client's too)
            late.first_line, late.version = reading.first_line, reading.version
            # and its method, path and headers, for the records (metrics, access log)
            late.command, late.path, late.query = reading.command, reading.path, reading.query
            late.headers = reading.headers
        if reading is not None:  # what came of its head (its X-Request-Id, if whole)
            late.head_seen = getattr(reading, "head_seen", b"")
        late.error = error
        late.completed = True
        with self.requests_lock:
            self.request = None
            self.requests.append(late)
            if len(self.requests) == 1:
                self.server.add_task(self)

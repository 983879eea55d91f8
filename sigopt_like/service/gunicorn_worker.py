"""gunicorn's threaded worker with what ``sigopt-like serve`` (waitress) does at the door.

Run by the gunicorn settings module ``sigopt_like.service.gunicorn_conf``
(``gunicorn -c python:sigopt_like.service.gunicorn_conf ...``, docs/service.md).

gunicorn's ``gthread`` worker reads a request (its headers, then its body as the app asks
for it) in one of its ``--threads``, on a blocking socket with no deadline: a client that
sends a byte now and then held that thread for as long as it went on, and ``--threads``
such clients left a worker answering no one, ``/health`` included. A chunked body was not
read at all (the app saw no Content-Length: "The request needs a JSON object body"), and
gunicorn's own refusals of malformed HTTP were HTML pages, a 501 among them.

:class:`ServiceWorker` changes that, and only that:

- a request has ``$SIGOPT_LIKE_REQUEST_READ_TIMEOUT`` seconds (default
  :data:`~.serving.DEFAULT_READ_SECONDS`) to arrive, headers and body, plus a second for
  each :data:`~.slow_clients.MIN_BYTES_PER_SECOND` bytes of body received, as
  under ``serve``; the clock runs from the moment a thread takes the connection (bytes
  waiting) until the body's last byte. A slower client is answered 408 (the JSON error
  body) and disconnected; its thread is free at once. The worker's loop checks the clocks
  each time it turns (at least once a second).
- the body is read whole before the app runs (as waitress does), so a chunked body reaches
  the app with its length, and one over ``max_body_bytes`` is a 413 as soon as its chunks'
  sizes pass the limit, before their bytes come.
- a Content-Length over ``max_body_bytes`` is answered 413 (the app's words, the connection
  closed) before any of the body is read; the body (a chunked one refused part way too)
  is then read and thrown away on the worker's loop, not in a thread, up to
  :data:`~.serving.LINGER_BYTES`, for at most
  :data:`~.serving.LINGER_SECONDS` and :data:`~.serving.LINGER_IDLE_SECONDS` without a
  byte, before the socket closes (a lingering close, as nginx does; waitress's channel
  too). Before, the app answered it "keep-alive", gunicorn drained 64 KiB and closed with
  the rest unread: the kernel reset the connection and a client still sending its body
  saw a broken pipe, not the 413. gunicorn's own lingering (``util.close_graceful``, on
  every close) reads 64 KiB for 2 s at most, and blocks the worker's loop while it does.
  Every other refusal sent before the body is read lingers so too (400, 414, 417, 431,
  and a 408 while the head or the body still came: its thread's reads wake every
  :data:`_WAKE_SECONDS`, and look after each read, to see the 408, where the socket's
  reading side was shut, which reset the connection at the client's next bytes). At
  most ``serving.linger_slots`` of ``worker_connections`` linger at once; a refusal
  past them closes at once, and so does every lingering connection once the worker is
  stopping (SIGTERM, a restart): they count against its connections, which it waits for
  before it exits, and a client still sending a refused body held a worker's stop for
  ``LINGER_SECONDS``.
- a connection closed after an answer ("Connection: close", or a refusal with no body
  behind it) has what the client still sends read away on the worker's loop too, within
  gunicorn's own bounds (64 KiB, 2 s), before its socket closes. gunicorn's
  ``util.close_graceful`` read them there on a blocking socket: each client that kept its
  end open stalled the whole worker (accepts, answers, its heartbeat) for 2 s, and fifteen
  closed in one turn of the loop would outlast the 30 s ``timeout`` (the worker killed).
- gunicorn's refusals (a NUL in a header, a raw non-ASCII byte in the request line, a
  Transfer-Encoding it does not implement, headers past its limits) are the service's JSON
  error body, each a 4xx.
- each of these refusals (408, 413, 400, 414, 431...) is counted in the app's ``/metrics``
  and written to gunicorn's access log, as the app's answers are (``door_records``):
  they never reach the app, and were seen in neither.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import selectors
import socket
import threading
import time
from datetime import timedelta
from functools import partial
from typing import Any

from gunicorn import util
from gunicorn.http import errors as http_errors
from gunicorn.http.wsgi import Response, default_environ
from gunicorn.workers.gthread import ThreadWorker

from .. import csvio
from ..error_codes import default_code
from . import header_refusals
from .door_records import count_refusal
from .errors import body_too_large_message, error_body
from .request_ids import HEADER, answer_id
from .serving import (
    DEFAULT_READ_SECONDS,
    LINGER_BYTES,
    LINGER_IDLE_SECONDS,
    LINGER_SECONDS,
    linger_slots,
)
from .slow_clients import MIN_BYTES_PER_SECOND
from .unread_answers import answered_unread
from .wire_errors import (
    CHUNKS_HINT,
    FOLDING_HINT,
    LINE_ENDS_HINT,
    ONE_VALUED_FIELDS,
    TWO_FRAMINGS,
    TWO_FRAMINGS_HINT,
    VERSION_HINT,
    bare_line_feed,
    first_field_folded,
    repeated_field,
    repeated_message,
    unserved_version,
)

#: the read deadline under gunicorn, in seconds (``serve --request-read-timeout``'s)
READ_TIMEOUT_ENV = "SIGOPT_LIKE_REQUEST_READ_TIMEOUT"
#: bytes of body read at a time: the deadline counts a body's bytes in these steps (a
#: read returns once it has them all), so they are small: gunicorn's own socket reads
_CHUNK = 8192
#: while a request is read, its thread looks this often whether the loop answered it 408
_WAKE_SECONDS = 0.5

#: gunicorn's refusals of a request, by the status each is answered with (the others: 400)
#: (by name: an older gunicorn lacks some of them)
_STATUS = {
    "LimitRequestLine": (414, "URI Too Long"),
    "LimitRequestHeaders": (431, "Request Header Fields Too Large"),
    "ForbiddenProxyRequest": (403, "Forbidden"),
    "ExpectationFailed": (417, "Expectation Failed"),
}
#: gunicorn's refusals of a request line (one of a major version other than 1 is a 505)
_REQUEST_LINE_ERRORS = (
    http_errors.InvalidHTTPVersion,
    http_errors.InvalidRequestLine,
    http_errors.InvalidRequestMethod,
)
#: how long a worker whose arbiter is gone lets its requests finish before it exits
ORPHAN_GRACE_SECONDS = 3
_ORPHAN_MESSAGE = (
    "Service Unavailable (this server process is stopping: the gunicorn that ran it is "
    "gone, and the request had not arrived whole): send it again."
)

#: what each refusal means for the caller
_HINTS = {
    400: "the request is not valid HTTP; check its request line and headers (no NUL or "
    "other control character, non-ASCII in the URI percent-encoded, a numeric "
    "Content-Length, a Transfer-Encoding of 'chunked' alone)",
    408: f"send each request whole, without pausing (${READ_TIMEOUT_ENV} says how long "
    "the server waits)",
    414: "the request line is longer than this server accepts (gunicorn's limit_request_line)",
    431: "the request's headers are more or larger than this server accepts (gunicorn's "
    "limit_request_fields and limit_request_field_size)",
}


def _client_errors() -> tuple[type[BaseException], ...]:
    """gunicorn's exceptions for a request it cannot read: the client's fault."""
    names = [
        *("InvalidRequestLine", "InvalidRequestMethod", "InvalidHTTPVersion"),
        *("InvalidHeader", "InvalidHeaderName", "LimitRequestLine", "LimitRequestHeaders"),
        *("InvalidProxyLine", "ForbiddenProxyRequest", "InvalidSchemeHeaders"),
        *("UnsupportedTransferCoding", "ObsoleteFolding", "ExpectationFailed"),
        *("InvalidChunkSize", "ChunkMissingTerminator", "InvalidChunkExtension"),
    ]
    return tuple(getattr(http_errors, name) for name in names if hasattr(http_errors, name))


def _chunk_errors() -> tuple[type[BaseException], ...]:
    """gunicorn's exceptions for a malformed chunked body."""
    names = ("InvalidChunkSize", "ChunkMissingTerminator", "InvalidChunkExtension")
    return tuple(getattr(http_errors, name) for name in names if hasattr(http_errors, name))


def read_seconds_from_env() -> float:
    """The read deadline ``$SIGOPT_LIKE_REQUEST_READ_TIMEOUT`` gives (default: ``serve``'s);
    a ValueError that says what is wrong with it."""
    raw = os.environ.get(READ_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_READ_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if csvio.ascii_digits(raw) is not None:  # float() reads U+0661 as 1
        seconds = math.nan
    if not (math.isfinite(seconds) and 0 < seconds <= 86_400):
        raise ValueError(
            f"${READ_TIMEOUT_ENV} must be a number of seconds above 0 (at most 86400), "
            f"not {raw[:40]!r}{csvio.ascii_digits_tip(raw[:40])}"
        )
    return seconds


_TLS_MESSAGE = (
    "Bad Request (a TLS handshake came, not an HTTP request): this server speaks plain "
    "HTTP: use an http:// URL, or put TLS in a reverse proxy in front of it."
)


#: how long a new connection's first bytes are waited for, to look for a TLS handshake
#: (a TLS client sends one at once; a connection still silent goes gunicorn's usual way)
_FIRST_BYTES_SECONDS = 0.5


def _opens_with_tls(conn: Any) -> bool:
    """Whether the first bytes of a new connection are a TLS handshake record (``https://``
    to this plain HTTP port; gunicorn waited for a request line that never comes). Only
    looks: nothing is read."""
    wait = getattr(conn, "wait_for_data", None)
    if wait is not None and not wait(_FIRST_BYTES_SECONDS):
        return False
    try:
        first = conn.sock.recv(2, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except OSError:  # nothing yet, or gone: gunicorn's usual path says which
        return False
    return first == b"\x16\x03"


class _Reading:
    """The clock of the request a thread is reading."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.since = time.monotonic()
        self.body_bytes = 0
        self.late = False  # answered 408: nothing more is done with the connection
        self.req: Any = None  # the request, once its head is read
        self.head = bytearray()  # what came of its head (its request line, for the records)
        self.client: Any = None  # the client's address, as gunicorn accepted it
        self.wakes = False  # its body's reads wake to look for a 408 (``_WakingSocket``)


class _AnsweredLate(Exception):
    """The loop answered the request 408 while its thread read the body."""


class _WakingSocket:
    """A request's socket while its head and body are read (a timeout of
    :data:`_WAKE_SECONDS`): a read looks whether the loop answered the request 408
    meanwhile, once it has bytes or has waited that long, and ends
    (:class:`_AnsweredLate`) if it did, else waits on. So the loop frees the thread
    without shutting the socket's reading side, after which the kernel reset the connection
    at the next bytes of the body, before the client read its 408: a client still sending
    the body got a broken pipe. Its connection lingers instead (``finish_request``)."""

    def __init__(self, sock: socket.socket, reading: _Reading) -> None:
        self._sock = sock
        self._reading = reading

    def recv(self, size: int) -> bytes:
        # looked at after bytes too: a client sending a byte more often than the reads
        # wake never let them wait that long, and held the thread past its 408
        while not self._reading.late:
            with contextlib.suppress(TimeoutError):
                data = self._sock.recv(size)
                if not self._reading.late:
                    return data
        raise _AnsweredLate

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def _wake(conn: Any, reading: _Reading) -> None:
    """Have the reads of ``conn``'s parser wake every :data:`_WAKE_SECONDS` to look for a
    408 (:class:`_WakingSocket`), the head's as the body's: a head still coming when the
    408 was sent had its socket's reading side shut, and the client, still sending it,
    read a reset, not the 408."""
    unreader: Any = getattr(getattr(conn, "parser", None), "unreader", None)
    sock: socket.socket = conn.sock
    if unreader is None or id(getattr(unreader, "sock", None)) != id(sock):
        return  # no parser yet (or an HTTP/2 one), or waking already
    sock.settimeout(_WAKE_SECONDS)
    unreader.sock = _WakingSocket(sock, reading)
    reading.wakes = True


def _unwake(conn: Any) -> None:
    """Undo :func:`_wake`: the app's answer is written on a blocking socket."""
    unreader: Any = getattr(getattr(conn, "parser", None), "unreader", None)
    if unreader is not None and isinstance(getattr(unreader, "sock", None), _WakingSocket):
        unreader.sock = conn.sock
        with contextlib.suppress(OSError):
            conn.sock.settimeout(None)


#: what a connection closed after an answer (not a refusal) has read away of what the
#: client still sends, and for how long at most: gunicorn's own ``util.close_graceful``'s
#: bounds, on the worker's loop instead of blocking it (:meth:`ServiceWorker.finish_request`)
_CLOSE_DRAIN_BYTES = 65536
_CLOSE_DRAIN_SECONDS = 2.0


class _Lingering:
    """A refused body being read away on the worker's loop before its socket closes."""

    def __init__(self, conn: Any, left: int, seconds: float = LINGER_SECONDS) -> None:
        self.conn = conn
        self.left = left  # bytes still to throw away
        now = time.monotonic()
        self.until = now + seconds
        self.idle_until = now + LINGER_IDLE_SECONDS

    def over(self, now: float) -> bool:
        return now >= min(self.until, self.idle_until)


class ServiceWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's ``gthread`` worker with a read deadline, whole bodies and JSON refusals
    (see the module docstring)."""

    #: how long a request may take to arrive (plus a second per MIN_BYTES_PER_SECOND bytes)
    read_seconds = DEFAULT_READ_SECONDS

    def init_process(self) -> None:
        """Set up the clocks, then run (gunicorn's ``init_process`` runs the loop)."""
        self._readings: dict[int, _Reading] = {}
        self._readings_lock = threading.Lock()
        self._current = threading.local()
        self.read_seconds = read_seconds_from_env()  # the settings module checked it
        self._lingering: dict[int, _Lingering] = {}  # the loop's alone: no lock
        super().init_process()

    #: whether a SIGTERM has told the service to stop its waiting clients
    _waiters_stopped = False

    def handle_exit(self, sig: Any, frame: Any) -> None:
        """SIGTERM: stop as gunicorn does, and first answer the clients that wait (long
        polls, event streams). Before, they held the worker for its whole graceful timeout
        (30 s) and were then cut off: a restart took 30 s and every waiting client saw its
        connection reset instead of an answer.

        Once only: a second SIGTERM often comes while the first is still in here (a
        ``kill`` of the process group, as systemd's stop does, reaches the worker and the
        arbiter, which sends its own), and its handler runs on top of this one, in the
        same thread. It called ``stop_waiting`` again, which waited forever for the lock
        the first held (``threading.Event.set``'s): the worker hung until the arbiter
        killed it at the graceful timeout, its waiting clients cut off (1 stop in 10 to
        20 of the stopping test's, on a busy machine)."""
        stop_waiting = getattr(self.wsgi, "stop_waiting", None)
        if callable(stop_waiting) and not self._waiters_stopped:
            self._waiters_stopped = True  # before the call: a handler on top sees it
            stop_waiting()
        super().handle_exit(sig, frame)

    def set_accept_enabled(self, enabled: bool) -> None:
        """Accept new connections or not, as gunicorn does; once the worker is stopping,
        also close its copies of the listening sockets. Before, it kept them open while it
        finished its connections (up to its graceful timeout): once the arbiter had closed
        its own copies (a SIGTERM), a client that connected meanwhile was queued in the
        kernel's backlog, which no one would accept, and reset when the worker exited (6 s
        later, with a request still being read). Now it is refused at once, and may try
        another instance. Other workers, and the arbiter while it runs, keep their copies:
        one worker restarting closes nothing that others listen on.

        Stopping is told (SIGTERM, ``--max-requests``) by ``alive``, or the arbiter is gone
        (SIGKILL, the OOM killer): gunicorn's loop then ends with ``alive`` still true, and
        the orphan kept its copies open while it finished, a late client queued and reset
        (5 s later, with a request still being read)."""
        super().set_accept_enabled(enabled)
        if enabled or (self.alive and not self._orphaned()):
            return  # at its connection limit for now: it accepts again soon
        for listener in self.sockets:
            listener.close()  # gunicorn's closes each again at the end: a no-op then

    def _orphaned(self) -> bool:
        """Whether the arbiter that started this worker is gone (gunicorn's
        ``is_parent_alive``, without its log line): the worker stops for good."""
        return os.getppid() != self.ppid

    def is_parent_alive(self) -> bool:
        """gunicorn's check, at each turn of the loop; once the arbiter is gone (SIGKILL,
        the OOM killer), the worker stops within :data:`ORPHAN_GRACE_SECONDS`: its waiting
        clients answered at once (as on SIGTERM), its requests given that long to finish,
        and those still being read then answered 503. A request running in the app is not
        cut off: the interpreter waits for its thread at exit, so the worker exits when it
        ends (then, not within the grace). Before, it waited for them up to its
        graceful timeout (30 s), a request whose head still came until its 408: no arbiter
        is left to kill it then, and an orphan holding the port and the database that
        long delayed the restart that replaces it."""
        if super().is_parent_alive():
            return True
        if self.cfg.graceful_timeout > ORPHAN_GRACE_SECONDS:
            self.cfg.set("graceful_timeout", ORPHAN_GRACE_SECONDS)
        stop_waiting = getattr(self.wsgi, "stop_waiting", None)
        if callable(stop_waiting) and not self._waiters_stopped:
            self._waiters_stopped = True
            stop_waiting()
        return False

    def _answer_orphaned(self) -> None:
        """The orphan's grace is over: answer the requests still being read 503 and end
        their reads, so that their threads (which the interpreter waits for at exit) end."""
        with self._readings_lock:
            reading_now = [reading for reading in self._readings.values() if not reading.late]
            for reading in reading_now:
                reading.late = True
        for reading in reading_now:
            request_id = _answer_id(reading.req, bytes(reading.head))
            answer = _response(
                503, "Service Unavailable", _ORPHAN_MESSAGE, {"server": "gunicorn"}, request_id
            )
            with contextlib.suppress(OSError):
                reading.sock.send(answer)
            self._record(reading, reading.sock, 503, "Service Unavailable", answer)
            with contextlib.suppress(OSError):
                reading.sock.shutdown(socket.SHUT_RDWR)  # the thread's reads end at once

    # -- the clock ---------------------------------------------------------------------

    def handle(self, conn: Any) -> Any:
        """Read and answer one request of ``conn`` on this thread, under the clock."""
        reading = _Reading(conn.sock)
        reading.client = conn.client
        self._current.reading = reading
        self._current.conn = conn
        conn.request_head = reading.head  # this request's head, for a 431's page
        conn.request_head_whole = False
        _copy_pipelined(conn)
        if not getattr(conn, "initialized", True):
            _copy_heads(conn)
        with self._readings_lock:
            self._readings[id(conn)] = reading
        init = conn.init

        def init_and_wake() -> None:  # the head's reads wake too, once the parser is made
            init()
            _wake(conn, reading)

        conn.init = init_and_wake
        try:
            # with ``--certfile`` a handshake is what comes first: gunicorn answers it
            tls_expected = bool(getattr(self.cfg, "is_ssl", False))
            if (
                not tls_expected
                and not getattr(conn, "initialized", True)
                and _opens_with_tls(conn)
            ):
                self._refuse(
                    conn.sock, None, 400, "Bad Request", _TLS_MESSAGE, {"server": "gunicorn"}
                )
                return False
            return super().handle(conn)
        finally:
            conn.init = init
            _unwake(conn)
            with self._readings_lock:
                self._readings.pop(id(conn), None)
            self._current.reading = None
            self._current.conn = None

    def murder_keepalived(self, *args: Any, **kwargs: Any) -> None:
        """gunicorn calls this at each turn of the worker's loop: the moment to answer the
        requests that are late."""
        super().murder_keepalived(*args, **kwargs)
        now = time.monotonic()
        force = bool(kwargs.get("force", args[0] if args else False)) or not self.alive
        if force and self._orphaned():
            self._answer_orphaned()
        for lingering in [x for x in self._lingering.values() if force or x.over(now)]:
            self._stop_lingering(lingering, drain=not self.alive)
        with self._readings_lock:
            late = [
                reading
                for reading in self._readings.values()
                if not reading.late
                and now - reading.since
                >= self.read_seconds + reading.body_bytes / MIN_BYTES_PER_SECOND
            ]
            for reading in late:
                reading.late = True
        for reading in late:
            self._answer_late(reading, now)

    def _answer_late(self, reading: _Reading, now: float) -> None:
        """Answer 408 on ``reading``'s socket; its thread's read sees it and the connection
        lingers, or (read before the parser was made) the socket is shut, which ends it."""
        allowed = self.read_seconds + reading.body_bytes / MIN_BYTES_PER_SECOND
        try:
            peer = reading.sock.getpeername()[0]
        except OSError:
            peer = "a client"
        self.log.info(
            "answered 408 to %s: its request did not arrive within %.0f s (%d body bytes in)",
            peer,
            now - reading.since,
            reading.body_bytes,
        )
        message = (
            f"Request Timeout (the request did not arrive within {allowed:.0f} s; "
            f"{reading.body_bytes} bytes of its body came): {_HINTS[408]}."
        )
        request_id = _answer_id(reading.req, bytes(reading.head))
        answer = _response(408, "Request Timeout", message, {"server": "gunicorn"}, request_id)
        with contextlib.suppress(OSError):
            reading.sock.send(answer)
        self._record(reading, reading.sock, 408, "Request Timeout", answer)
        if reading.wakes:
            return  # the thread's read wakes, sees it, and the connection lingers
        with contextlib.suppress(OSError):
            reading.sock.shutdown(socket.SHUT_RDWR)  # the thread's recv returns at once

    def _is_late(self) -> bool:
        reading = getattr(self._current, "reading", None)
        return reading is not None and reading.late

    # -- the body ----------------------------------------------------------------------

    def handle_request(self, req: Any, conn: Any) -> Any:
        """Read the body whole (under the clock), then let the app answer."""
        if req.version[0] == 1 and req.version[1] > 1:
            # HTTP/1.2 to 1.9 are handled as 1.1 (RFC 9110 section 2.5): gunicorn answered
            # "HTTP/1.2 200 OK", a version no client speaks
            req.version = (1, 1)
        reading = self._current.reading
        reading.req = req
        _wake(conn, reading)  # as the head's were (``handle``)
        try:
            refusal = self._read_body(req, conn.sock)
        except _AnsweredLate:
            refusal = None
        finally:
            _unwake(conn)  # blocking again, for the app's answer
        with self._readings_lock:  # read (or refused): the clock stops before the app runs
            self._readings.pop(id(conn), None)
            late = self._is_late()  # under the lock: answered 408 already, or never
        if late:
            if reading.wakes:  # the rest of the body may still come: read it away
                conn.linger_left = _body_left(req, conn, reading.body_bytes)
            return False
        if refusal is not None:
            self._refuse(conn.sock, req, *refusal)
            # the client may still be sending the body: read it away before closing
            conn.linger_left = _body_left(req, conn)
            return False
        in_memory = isinstance(req.body, io.BytesIO)  # read whole by _read_body
        unread = getattr(req, "unread_framing", None)
        keep = super().handle_request(req, conn)
        if unread is not None:
            # answered without its body, which a client may send without waiting for
            # 100 Continue: read away before the close (it reset the connection, and a
            # client still sending saw a broken pipe, not the 404)
            chunked = unread == "chunked"
            conn.linger_left = LINGER_BYTES if chunked else _body_left(req, conn)
        if in_memory:
            # What the app left unread (a 404, a 405, a 401 answered before the body was
            # looked at) is not on the socket: nothing for gunicorn to drain. Before, it
            # drained it from memory, gave up past 64 KiB and closed the connection its
            # answer had just said was kept alive: the client's next request on it failed.
            req.body = io.BytesIO()
        return keep

    def _read_body(self, req: Any, sock: Any) -> tuple[int, str, str, dict[str, Any]] | None:
        """Read ``req``'s body into memory, and give it to the app with its length; the
        refusal to send instead, if any."""
        headers = list(req.headers)
        encodings = _encodings(req)
        if encodings and [v.strip().lower() for v in ",".join(encodings).split(",")] != ["chunked"]:
            return (
                400,
                "Bad Request",
                f"Bad Request (Transfer-Encoding {', '.join(encodings)!r}): send the body "
                "with a Content-Length, or with 'Transfer-Encoding: chunked' alone.",
                {},
            )
        limit = self._body_limit()
        length = _declared_length(req)
        if not encodings and limit is not None and length > limit:
            # refused before any of it is read, in the app's words (then read away)
            return (
                413,
                "Content Too Large",
                body_too_large_message(limit, length),
                {"limit": limit},
            )
        if not encodings and not length:
            return None  # no body
        if _expects_continue(req) and self._answered_unread(req):
            # a 404, a 405: the app answers it without the body, so it answers now, the
            # body never asked for (no 100 Continue), and the connection closes after it
            req.body = io.BytesIO()
            # what of the body may still come is read away after the answer
            req.unread_framing = "chunked" if encodings else "length"
            req._expected_100_continue = False  # gunicorn would say it still
            unsaid = ("EXPECT", "TRANSFER-ENCODING", "CONNECTION")
            req.headers = [(n, v) for n, v in req.headers if n not in unsaid]
            req.headers.append(("CONNECTION", "close"))
            req.must_close = True
            return None
        if _expects_continue(req):  # the client sends its body once told to (curl does)
            sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            req._expected_100_continue = False  # said: gunicorn would say it again
            req.headers = [(n, v) for n, v in req.headers if n != "EXPECT"]
        reading = self._current.reading
        too_large = (
            413,
            "Content Too Large",
            body_too_large_message(limit) if limit is not None else "",
            {"limit": limit},
        )
        if encodings and limit is not None:
            _refuse_chunks_past(req, limit)
        parts: list[bytes] = []
        while True:
            try:
                data = req.body.read(_CHUNK)
            except _ChunksPastLimit:
                return too_large
            if not data:
                break
            reading.body_bytes += len(data)
            parts.append(data)
            if limit is not None and reading.body_bytes > limit:
                return too_large
        body = b"".join(parts)
        if not encodings and len(body) < length:  # the client went before its body came
            raise http_errors.NoMoreData(body)
        req.body = io.BytesIO(body)
        if encodings:  # the app reads a length, as waitress gives it
            req.headers = [(n, v) for n, v in headers if n != "TRANSFER-ENCODING"]
            req.headers.append(("CONTENT-LENGTH", str(len(body))))
        return None

    def _answered_unread(self, req: Any) -> bool:
        """Whether the app answers ``req`` without reading its body (``unread_answers``),
        its path read as gunicorn gives it to the app (no ``SCRIPT_NAME``: not known)."""
        if os.environ.get("SCRIPT_NAME") or any(n == "SCRIPT_NAME" for n, _ in req.headers):
            return False
        return answered_unread(
            self.wsgi,
            str(req.method),
            util.unquote_to_wsgi_str(req.path),
            authorization=_header(req, "AUTHORIZATION"),
            cookie=_header(req, "COOKIE"),
            ask_store=True,  # in the request's thread: a query here stalls no one else
        )

    def _body_limit(self) -> int | None:
        settings = getattr(self.wsgi, "settings", None)
        limit = getattr(settings, "max_body_bytes", None)
        return int(limit) if limit is not None else None

    # -- gunicorn's refusals -----------------------------------------------------------

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        """gunicorn's refusal of a request it cannot read, in the service's JSON error body
        (nothing, once the request was answered 408); other errors as gunicorn does."""
        if self._is_late():  # answered 408 while its head came: the rest is read away
            self._linger_after_refusal(req)
            return
        if not isinstance(exc, _client_errors()):
            super().handle_error(req, client, addr, exc)
            return
        status, reason = next(
            (
                answer
                for name, answer in _STATUS.items()
                if isinstance(exc, getattr(http_errors, name, ()))
            ),
            (400, "Bad Request"),
        )
        said = str(exc) or type(exc).__name__
        hint = _HINTS.get(status, reason.lower())
        conn = getattr(self._current, "conn", None)
        line = bytes(getattr(conn, "request_head", b"")).partition(b"\r\n")[0]
        version = unserved_version(line)
        if version is not None and isinstance(exc, _REQUEST_LINE_ERRORS):
            # gunicorn's 400 "Invalid HTTP Version: (2, 0)" (HTTP/2's preface, ``PRI *
            # HTTP/2.0``: "Invalid HTTP request line"): RFC 9110's answer to a major
            # version the server does not speak is 505, and says which it does
            status, reason, said, hint = 505, "HTTP Version Not Supported", version, VERSION_HINT
        if status == 400 and not isinstance(exc, _chunk_errors()):
            fields = header_refusals.head_fields(bytes(getattr(conn, "request_head", b"")))
            if {"TRANSFER-ENCODING", "CONTENT-LENGTH"} <= fields.keys():
                # gunicorn's words were "Invalid HTTP Header: 'CONTENT-LENGTH'"
                said, hint = TWO_FRAMINGS, TWO_FRAMINGS_HINT
            elif twice := repeated_field(
                bytes(getattr(conn, "request_head", b"")), ONE_VALUED_FIELDS
            ):
                said, hint = repeated_message(twice)  # gunicorn: "Invalid HTTP Header"
            elif isinstance(exc, getattr(http_errors, "ObsoleteFolding", ())):
                hint = FOLDING_HINT
            elif bare_line_feed(bytes(getattr(conn, "request_head", b""))):
                hint = LINE_ENDS_HINT
            elif folded_first := first_field_folded(bytes(getattr(conn, "request_head", b""))):
                said, hint = folded_first, FOLDING_HINT  # gunicorn: "Invalid HTTP header name"
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], said[:200])
        if isinstance(exc, _chunk_errors()):
            hint = CHUNKS_HINT  # not the head's fault, which the 400's hint is about
        if status == 431:
            headers = header_refusals.head_fields(bytes(getattr(conn, "request_head", b"")))
            if header_refusals.wants_page(headers):  # a browser's: which cookies to clear
                page = header_refusals.page(headers)
                request_id = _answer_id(req, bytes(getattr(conn, "request_head", b"")))
                answer = _page_response(status, reason, page, request_id)
                with contextlib.suppress(OSError):
                    client.sendall(answer)
                self._record(self._reading_of(client), client, status, reason, answer, req)
                self._linger_after_refusal(req)
                return
            hint = header_refusals.hint(headers) or hint
        message = f"{reason} ({said[:200]}): {hint}."
        self._refuse(client, req, status, reason, message, {"server": "gunicorn"})
        self._linger_after_refusal(req)

    def _linger_after_refusal(self, req: Any) -> None:
        """Have the connection of a request refused before its body was read linger
        (:meth:`finish_request`): a client still sending the body reads the refusal, not a
        reset. Before, only a 413 lingered; a 431, 414, 400 or 417 closed at once on a
        body still coming, and the client's send failed (broken pipe) after 128 KiB."""
        conn = getattr(self._current, "conn", None)
        if conn is not None:
            conn.linger_left = _body_left(req, conn)

    def _refuse(
        self,
        sock: Any,
        req: Any,
        status: int,
        reason: str,
        message: str,
        detail: dict[str, Any],
    ) -> None:
        """Send the refusal (the JSON error body), then record it as the app's answers are."""
        conn = getattr(self._current, "conn", None)
        head = bytes(getattr(conn, "request_head", b""))
        answer = _response(status, reason, message, detail, _answer_id(req, head))
        with contextlib.suppress(OSError):
            sock.sendall(answer)
        self._record(self._reading_of(sock), sock, status, reason, answer, req)

    def _reading_of(self, sock: Any) -> _Reading:
        """The clock of the request this thread reads (a new one, should there be none)."""
        reading = getattr(self._current, "reading", None)
        return reading if reading is not None else _Reading(sock)

    def _record(
        self, reading: _Reading, sock: Any, status: int, reason: str, answer: bytes, req: Any = None
    ) -> None:
        """Count a refusal the worker answered itself in the app's ``/metrics`` and write it
        to gunicorn's access log (``--access-logfile``, in ``--access-logformat``), as the
        app's answers are: they never reached the app, and operators watching 413s or 408s
        to tune the limits saw none of them (``door_records``)."""
        req = req if req is not None else reading.req
        if req is None:  # refused before its head was parsed: its request line, if it came
            req = _UnparsedRequest(bytes(reading.head))
        seconds = time.monotonic() - reading.since
        count_refusal(self.wsgi, req.method, req.path, status)
        environ = default_environ(req, sock, self.cfg)
        for name, value in req.headers:  # its user agent and referer, as for the app's
            environ.setdefault(f"HTTP_{name.replace('-', '_')}", value)
        with contextlib.suppress(OSError, IndexError, TypeError):  # the client may be gone
            peer = reading.client or sock.getpeername()
            environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = str(peer[0]), str(peer[1])
        response = Response(req, sock, self.cfg)
        response.status = f"{status} {reason}"
        head, _, body = answer.partition(b"\r\n\r\n")
        response.headers = [
            tuple(line.split(": ", 1)) for line in head.decode("latin-1").split("\r\n")[1:]
        ]
        response.sent = len(body)
        whole = int(seconds * 1_000_000)
        self.log.access(response, req, environ, timedelta(microseconds=whole))

    # -- lingering after a refused body ------------------------------------------------

    def finish_request(self, conn: Any, fs: Any) -> None:
        """On the worker's loop, once a thread is done with ``conn``: a connection to close
        lingers (what the client still sends read away as it comes) instead of closing at
        once: a refused body's (its ``linger_left``), or else gunicorn's 64 KiB for 2 s.
        gunicorn's own close (``util.close_graceful``) read those on the loop with a
        blocking socket: each client that kept its end open after a "Connection: close"
        answer stalled every connection of the worker, its accepts and heartbeat included,
        for 2 s apiece."""
        if not fs.cancelled() and fs.exception() is None and fs.result() is False:
            left = getattr(conn, "linger_left", 0)
            if left > 0:
                self._linger(conn, left)
            else:
                self._linger(conn, _CLOSE_DRAIN_BYTES, _CLOSE_DRAIN_SECONDS)
            return
        super().finish_request(conn, fs)

    def _linger(self, conn: Any, left: int, seconds: float = LINGER_SECONDS) -> None:
        """Say the answer is whole (FIN), then read ``conn``'s refused body away as it
        comes, on the loop, for ``seconds`` at most; the connection still counts against
        ``worker_connections``."""
        if not self.alive or len(self._lingering) >= linger_slots(int(self.worker_connections)):
            # stopping (the connections it holds keep the worker from exiting, for up to
            # its graceful timeout), or the lingering share of the connections is taken:
            # close at once (not gunicorn's graceful close, which drains on the loop and
            # would stall it)
            self.nr_conns -= 1
            _close_at_once(conn.sock)
            return
        lingering = _Lingering(conn, left, seconds)
        try:
            conn.sock.shutdown(socket.SHUT_WR)
            conn.sock.setblocking(False)
            self.poller.register(
                conn.sock, selectors.EVENT_READ, partial(self._read_away, lingering)
            )
        except (OSError, ValueError):  # the client is gone already
            self.nr_conns -= 1
            util.close(conn.sock)
            return
        self._lingering[id(conn)] = lingering

    def _read_away(self, lingering: _Lingering, sock: Any) -> None:
        """Throw away what came of a refused body; close once all of it (or the client's
        end) came."""
        try:
            data = sock.recv(min(lingering.left, 65536))
        except BlockingIOError:
            return
        except OSError:
            data = b""
        lingering.left -= len(data)
        if not data or lingering.left <= 0:
            self._stop_lingering(lingering)
            return
        lingering.idle_until = time.monotonic() + LINGER_IDLE_SECONDS

    def _stop_lingering(self, lingering: _Lingering, *, drain: bool = False) -> None:
        """Close a lingering connection; ``drain``: read away what already came first
        (waiting for nothing), so that it is not reset (the worker is stopping)."""
        conn = lingering.conn
        if self._lingering.pop(id(conn), None) is None:
            return
        with contextlib.suppress(OSError, KeyError, ValueError):
            self.poller.unregister(conn.sock)
        self.nr_conns -= 1
        if drain:
            _drain_waiting(conn.sock, min(lingering.left, _CLOSE_DRAIN_BYTES))
        util.close(conn.sock)


def _close_at_once(sock: Any) -> None:
    """Say the answer is whole (FIN), read away what already came (waiting for nothing),
    and close: no reset for bytes the client sent before it read the answer."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)
    _drain_waiting(sock, _CLOSE_DRAIN_BYTES)
    util.close(sock)


def _drain_waiting(sock: Any, most: int) -> None:
    """Read away up to ``most`` bytes of what already came on ``sock`` (waiting for
    nothing)."""
    with contextlib.suppress(OSError):
        sock.setblocking(False)
        drained = 0
        while drained < most and (data := sock.recv(65536)):
            drained += len(data)


class _UnparsedRequest:
    """What the access log needs of a request refused before gunicorn parsed its head:
    its request line as it came (``-`` for what did not)."""

    def __init__(self, head: bytes) -> None:
        words = head.partition(b"\r\n")[0].decode("latin-1").split(" ")
        self.method = words[0] if len(words) == 3 and words[0] else "-"
        self.uri = words[1] if len(words) == 3 else "-"
        self.path, _, self.query = self.uri.partition("?")
        if self.method == "-":
            self.path = ""
        version = words[2].removeprefix("HTTP/") if len(words) == 3 else "1.1"
        self.version = tuple(version.split(".")) if "." in version else ("1", "1")
        self.headers: list[tuple[str, str]] = []
        self.body = None
        self.proxy_protocol_info = None


def _body_left(req: Any, conn: Any, read: int = 0) -> int:
    """How many bytes of a refused request's body may still come, to be read away: what
    its Content-Length says less what was ``read`` and what the parser holds; up to
    :data:`~.serving.LINGER_BYTES` when that is not known (a chunked body, or a head
    refused before it was parsed), and never more (a declared 10 GB is not read). So for a
    client that waits for ``100 Continue`` too: it is not sent one, but may send its body
    anyway (RFC 9110 section 10.1.1), and one that sent 8 MiB so read a broken pipe, not
    its 413, when the connection lingered for gunicorn's 64 KiB alone (20 times in 20)."""
    if req is None or _encodings(req):
        return LINGER_BYTES
    unreader = getattr(getattr(conn, "parser", None), "unreader", None)
    buffered = len(unreader.buf.getvalue()) if unreader is not None else 0
    return max(0, min(_declared_length(req) - read - buffered, LINGER_BYTES))


def _declared_length(req: Any) -> int:
    """``req``'s Content-Length (0 when it has none; gunicorn checked it is a number)."""
    return next((int(v) for n, v in req.headers if n == "CONTENT-LENGTH"), 0)


def _encodings(req: Any) -> list[str]:
    """``req``'s Transfer-Encoding headers' values."""
    return [value for name, value in req.headers if name == "TRANSFER-ENCODING"]


def _header(req: Any, name: str) -> str | None:
    """``req``'s ``name`` header (upper case), several joined as gunicorn gives them to the
    app; None when absent."""
    values = [value for field, value in req.headers if field == name]
    return ",".join(values) if values else None


class _ChunksPastLimit(Exception):
    """The chunk sizes said so far add up past the body limit."""


def _refuse_chunks_past(req: Any, limit: int) -> None:
    """Make ``req``'s chunked body raise :class:`_ChunksPastLimit` as soon as a chunk's size
    line takes the sizes said past ``limit``: a 413 at once, not a wait for the bytes (a
    size of 2**80 was a 408 once the read deadline passed, its message blaming a slow
    client). gunicorn's chunk reader looks its size parser up on itself at each chunk."""
    reader: Any = getattr(req.body, "reader", None)
    parse = getattr(reader, "parse_chunk_size", None)
    if reader is None or parse is None:
        return
    said = [0]

    def checked(unreader: Any, data: Any = None) -> Any:
        size, rest = parse(unreader, data)
        said[0] += size
        if said[0] > limit:
            raise _ChunksPastLimit
        return size, rest

    reader.parse_chunk_size = checked


def _expects_continue(req: Any) -> bool:
    """Whether ``req`` waits for a ``100 Continue`` before it sends its body."""
    if getattr(req, "_expected_100_continue", False):
        return True
    return any(
        name == "EXPECT" and value.strip().lower() == "100-continue" for name, value in req.headers
    ) and tuple(getattr(req, "version", (1, 1))) >= (1, 1)


#: the most of a request's head kept for a 431's page (its Host, Accept and Cookie)
HEAD_COPY_BYTES = 64 * 1024


def _copy_heads(conn: Any) -> None:
    """Keep a copy of each request head ``conn``'s parser reads, in ``conn.request_head``
    (reset by ``handle`` for each request; up to the blank line, at most
    :data:`HEAD_COPY_BYTES`): gunicorn's refusal of headers too large keeps none of
    them, and the page a browser gets names its host and cookies. The parser is made by
    ``conn.init()``, in gunicorn's ``handle``: its reads are wrapped once it is, once.
    gunicorn 27 calls ``conn.init()`` at every request of a connection: wrapped at each,
    the reads of a kept-alive connection nested one call deeper a request, and its 985th
    request hit Python's recursion limit (gunicorn's HTML 500, the connection closed)."""
    if getattr(conn, "copies_heads", False):  # a connection deferred, then handled again
        return
    conn.copies_heads = True
    init = conn.init
    copying: list[Any] = []  # the unreader whose reads are wrapped (one per parser)

    def init_and_copy() -> None:
        init()
        unreader: Any = getattr(conn.parser, "unreader", None)
        chunk = getattr(unreader, "chunk", None)
        if unreader is None or chunk is None or any(u is unreader for u in copying):
            return
        copying[:] = [unreader]

        def copied(*args: Any, **kwargs: Any) -> Any:
            data = chunk(*args, **kwargs)
            head = getattr(conn, "request_head", None)
            if head is not None and not conn.request_head_whole:
                head += data[: HEAD_COPY_BYTES - len(head)]
                # the body's reads are not searched again, nor copied
                conn.request_head_whole = len(head) >= HEAD_COPY_BYTES or b"\r\n\r\n" in head
            return data

        unreader.chunk = copied

    conn.init = init_and_copy


def _copy_pipelined(conn: Any) -> None:
    """Start ``conn.request_head`` with what the parser already holds of this request: one
    pipelined behind the last (sent in the same packets) is read from the unreader's buffer,
    not through its reads, so :func:`_copy_heads` saw none of it and a browser-like request
    refused 431 got the JSON body, not the page. (No browser pipelines: a proxy or a script
    may.)"""
    buffered = getattr(getattr(getattr(conn, "parser", None), "unreader", None), "buf", None)
    if buffered is None or not hasattr(buffered, "getvalue"):
        return
    head = buffered.getvalue()[:HEAD_COPY_BYTES]
    conn.request_head += head
    conn.request_head_whole = len(head) >= HEAD_COPY_BYTES or b"\r\n\r\n" in head


def _answer_id(req: Any, head: bytes) -> str:
    """The ``X-Request-Id`` of a refusal: the one the request sent, when sane, as the app
    echoes it (``request_ids``); ``req``'s, as gunicorn gives it to the app (repeated ones
    joined), or, with no request parsed, its head's whole lines as they came. An id whose
    line is folded (``X-Request-Id: abc`` then `` def``) is not whole there: a new one, as
    serve and the app give (before, ``abc`` was echoed)."""
    if req is not None:
        return answer_id(_header(req, "X-REQUEST-ID"))
    return answer_id(header_refusals.request_id_in_head(head))


def _page_response(status: int, reason: str, page: bytes, request_id: str) -> bytes:
    """A whole HTTP/1.1 answer with an HTML page (a browser's refusal); the connection
    closes."""
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(page)}\r\n"
        f"{HEADER}: {request_id}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("ascii") + page


def _response(
    status: int, reason: str, message: str, detail: dict[str, Any], request_id: str
) -> bytes:
    """A whole HTTP/1.1 answer with the service's JSON error body; the connection closes."""
    body = json.dumps(error_body(status, default_code(status), message, detail)).encode("utf-8")
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"{HEADER}: {request_id}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body

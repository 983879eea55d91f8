"""A fault-injecting HTTP/1.1 relay on 127.0.0.1, for the reliability tests.

It sits between a client and a served instance and, for each request, decides
from a seeded :class:`FaultSchedule` what happens to it:

``pass``          forwarded, the answer relayed as it arrives (streams included)
``reset_before``  the request is read, never forwarded, the connection reset (RST)
``reset_after``   forwarded, the whole answer read, then the connection reset: the
                  server DID act, so only an idempotent replay makes a retry safe
``reset_early``   forwarded, then the connection reset at once, while the server
                  still works (its answer is read and dropped): a retry may meet the
                  first attempt still running (``409 idempotency_in_progress``)
``status_503``    answered by the proxy itself: 503 with ``Retry-After: 0`` or ``1``
``status_429``    answered by the proxy itself: 429 with ``Retry-After: 0`` or ``1``
``stall``         forwarded, the answer read, then nothing sent until the client gives
                  up (its read timeout) or ``stall_limit`` seconds pass
``truncate``      forwarded, then the head and only half of the body sent, then closed

It parses just enough HTTP/1.1: the request line, headers and a Content-Length
body. Each client connection carries one request: the proxy sends
``Connection: close`` upstream and closes toward the client after answering, so
keep-alive never spans two decisions. Everything is bounded: a socket timeout
on every read, ``stall_limit`` on stalls, ``max_streak`` faults in a row at most
(None: no cap, so only a client that retries long enough gets through), and
``max_faults`` in all.
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence

import attrs

PASS = "pass"
RESET_BEFORE = "reset_before"
RESET_AFTER = "reset_after"
RESET_EARLY = "reset_early"
STATUS_503 = "status_503"
STATUS_429 = "status_429"
STALL = "stall"
TRUNCATE = "truncate"

FAULTS = (RESET_BEFORE, RESET_AFTER, RESET_EARLY, STATUS_503, STATUS_429, STALL, TRUNCATE)
#: the faults after which the server has acted (or is acting) on the request
FORWARDED_FAULTS = frozenset({RESET_AFTER, RESET_EARLY, STALL, TRUNCATE})

_IO_TIMEOUT = 30.0
_MAX_HEAD = 64 * 1024


@attrs.frozen
class Request:
    """One request as the proxy read it from the client."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def path(self) -> str:
        """The target without its query string."""
        return self.target.partition("?")[0]

    def header(self, name: str) -> str | None:
        """The first header named ``name`` (case-insensitive), or None."""
        lower = name.lower()
        return next((v for k, v in self.headers if k.lower() == lower), None)

    @property
    def streams(self) -> bool:
        """True for a long request by design: an event stream or a long-poll."""
        return self.path.endswith("/events") or "wait=" in self.target.partition("?")[2]


class FaultSchedule:
    """Seeded decisions: with probability ``rate`` a fault drawn from ``weights``.

    ``max_streak``: at most this many faults in a row (then one pass), so a call
    retried more than ``max_streak`` times always reaches the service; None: no cap
    (a call meets k faults in a row with probability ``rate ** k``).
    ``max_faults``: no fault after this many (a bound on the test's duration).
    ``every_kind_first``: each fault takes the first kind of ``weights`` not injected
    yet, while there is one (the draw decides only whether a fault comes), so that a
    short run still meets every kind: drawn by weight, a rare kind is missing from one
    run in tens at a few hundred requests.
    A long-poll or event stream is never stalled (the client allows it a long
    read timeout by design); it gets a reset after forwarding instead.
    """

    def __init__(
        self,
        seed: int,
        rate: float = 0.3,
        weights: dict[str, float] | None = None,
        max_streak: int | None = 2,
        max_faults: int | None = None,
        every_kind_first: bool = False,
    ) -> None:
        self.rng = random.Random(seed)
        self.rate = rate
        self.weights = dict(weights or dict.fromkeys(FAULTS, 1.0))
        self.max_streak = max_streak
        self.max_faults = max_faults
        self.not_yet = [k for k in self.weights if self.weights[k] > 0] if every_kind_first else []
        self.streak = 0
        self.faults = 0
        self._lock = threading.Lock()

    def decide(self, request: Request) -> str:
        """The fate of ``request``."""
        with self._lock:
            roll = self.rng.random()
            kinds = list(self.weights)
            kind = self.rng.choices(kinds, [self.weights[k] for k in kinds])[0]
            exhausted = self.max_faults is not None and self.faults >= self.max_faults
            capped = self.max_streak is not None and self.streak >= self.max_streak
            if roll >= self.rate or capped or exhausted:
                self.streak = 0
                return PASS
            fits = [k for k in self.not_yet if not (k == STALL and request.streams)]
            if fits:
                kind = fits[0]
            if kind == STALL and request.streams:
                kind = RESET_AFTER
            if kind in self.not_yet:
                self.not_yet.remove(kind)
            self.streak += 1
            self.faults += 1
            return kind


@attrs.define
class Event:
    """What the proxy did with one request."""

    method: str
    path: str
    fault: str
    idempotency_key: str | None
    at: float


class FaultProxy:
    """A threaded TCP relay to ``upstream`` (``host, port``) that injects faults.

    ``decide(request) -> kind`` picks each request's fate (a :class:`FaultSchedule`'s
    ``decide``, or any callable). ``counts`` has one entry per kind; ``events``
    lists every request in arrival order. Use as a context manager.
    """

    def __init__(
        self,
        upstream: tuple[str, int],
        decide: Callable[[Request], str],
        *,
        stall_limit: float = 5.0,
        retry_after: Sequence[int] = (0, 1),
        seed: int = 0,
    ) -> None:
        self.upstream = upstream
        self.decide = decide
        self.stall_limit = stall_limit
        self.retry_after = tuple(retry_after)
        self._rng = random.Random(seed ^ 0x5EED)
        self.counts: Counter[str] = Counter()
        #: statuses of the answers relayed (``pass``), with the error code of JSON errors
        self.answers: Counter[tuple[int, str | None]] = Counter()
        self.events: list[Event] = []
        self.errors: list[str] = []
        #: connections the client closed before the proxy was done with them
        self.client_gone = 0
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._threads: list[threading.Thread] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._acceptor = threading.Thread(target=self._accept_loop, name="faultproxy", daemon=True)
        self._acceptor.start()

    # -- lifecycle ------------------------------------------------------------------

    def close(self) -> None:
        """Stop accepting, wait (bounded) for connections in flight, release the port."""
        self._closing.set()
        self._acceptor.join(timeout=5)
        self._listener.close()
        for thread in list(self._threads):
            thread.join(timeout=self.stall_limit + 2)

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def faults(self) -> int:
        """Requests that got anything but a pass."""
        return sum(n for kind, n in self.counts.items() if kind != PASS)

    def kinds_by_key(self) -> dict[str, list[str]]:
        """Per Idempotency-Key, the fate of each attempt (retries of one call)."""
        out: dict[str, list[str]] = {}
        for event in self.events:
            if event.idempotency_key:
                out.setdefault(event.idempotency_key, []).append(event.fault)
        return out

    # -- relay ----------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            with self._lock:
                self._threads = [t for t in self._threads if t.is_alive()]
                self._threads.append(thread)
            thread.start()

    def _serve(self, client: socket.socket) -> None:
        client.settimeout(_IO_TIMEOUT)
        try:
            request = _read_request(client)
            if request is None:
                client.close()
                return
            kind = self.decide(request)
            with self._lock:
                self.counts[kind] += 1
                self.events.append(
                    Event(
                        request.method,
                        request.path,
                        kind,
                        request.header("Idempotency-Key"),
                        time.monotonic(),
                    )
                )
            getattr(self, "_do_" + kind)(client, request)
        except (BrokenPipeError, ConnectionResetError):
            # the client went away first (it stopped reading a stream, or timed out)
            with self._lock:
                self.client_gone += 1
            _reset(client)
        except Exception as err:  # a broken test connection must not kill the proxy
            with self._lock:
                self.errors.append(f"{type(err).__name__}: {err}")
            _reset(client)

    def _upstream(self, request: Request) -> socket.socket:
        upstream = socket.create_connection(self.upstream, timeout=_IO_TIMEOUT)
        upstream.sendall(_encode_request(request))
        return upstream

    def _do_pass(self, client: socket.socket, request: Request) -> None:
        head = b""
        with self._upstream(request) as upstream:
            while True:
                chunk = upstream.recv(65536)
                if not chunk:
                    break
                if len(head) < 4096:
                    head += chunk[:4096]
                client.sendall(chunk)
        _close(client)
        with self._lock:
            self.answers[_status_and_code(head)] += 1

    def _do_reset_before(self, client: socket.socket, request: Request) -> None:
        _reset(client)

    def _do_reset_after(self, client: socket.socket, request: Request) -> None:
        _read_all(self._upstream(request))
        _reset(client)

    def _do_reset_early(self, client: socket.socket, request: Request) -> None:
        upstream = self._upstream(request)
        _reset(client)
        _read_all(upstream)  # the server goes on; its answer is dropped

    def _do_status_503(self, client: socket.socket, request: Request) -> None:
        self._status(client, 503, "Service Unavailable", "unavailable")

    def _do_status_429(self, client: socket.socket, request: Request) -> None:
        self._status(client, 429, "Too Many Requests", "rate_limited")

    def _status(self, client: socket.socket, status: int, reason: str, code: str) -> None:
        with self._lock:
            after = self._rng.choice(self.retry_after)
        body = json.dumps(
            {
                "object": "error",
                "status": status,
                "code": code,
                "message": f"fault proxy: {reason}",
                "detail": {},
            }
        ).encode()
        head = (
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
            f"Retry-After: {after}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        client.sendall(head.encode() + body)
        _close(client)

    def _do_stall(self, client: socket.socket, request: Request) -> None:
        _read_all(self._upstream(request))
        client.settimeout(0.1)
        deadline = time.monotonic() + self.stall_limit
        while time.monotonic() < deadline and not self._closing.is_set():
            try:
                if not client.recv(1024):
                    break  # the client gave up and closed
            except TimeoutError:
                continue
            except OSError:
                break
        _reset(client)

    def _do_truncate(self, client: socket.socket, request: Request) -> None:
        raw = _read_all(self._upstream(request))
        head, sep, body = raw.partition(b"\r\n\r\n")
        if not sep or len(body) < 2 or b"content-length:" not in head.lower():
            # nothing to cut (no body, or no declared length): a reset instead
            _reset(client)
            return
        client.sendall(head + sep + body[: len(body) // 2])
        _close(client)


# -- HTTP bits ------------------------------------------------------------------------


def _read_request(sock: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
        if len(data) > _MAX_HEAD and b"\r\n\r\n" not in data:
            raise ValueError("request head too large")
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        rest += chunk
    return Request(method, target, tuple(headers), rest[:length])


def _status_and_code(head: bytes) -> tuple[int, str | None]:
    """The status of a relayed answer, and the ``"code"`` of its error body if it shows."""
    line = head.split(b"\r\n", 1)[0].split(b" ")
    status = int(line[1]) if len(line) > 1 and line[1].isdigit() else 0
    code = None
    if status >= 400 and b'"code": "' in head:
        code = head.split(b'"code": "', 1)[1].split(b'"', 1)[0].decode("latin-1")
    return status, code


_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "upgrade"}


def _encode_request(request: Request) -> bytes:
    lines = [f"{request.method} {request.target} HTTP/1.1"]
    lines += [f"{k}: {v}" for k, v in request.headers if k.lower() not in _HOP_BY_HOP]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + request.body


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    with sock:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def _reset(sock: socket.socket) -> None:
    """Close with an RST (SO_LINGER 0), as a crashed peer or a middlebox would."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)
    sock.close()

"""The requests a server is answering, so that a stopping ``serve`` closes its service last.

``serve`` stops (``graceful_stop``) by answering what it has within its grace. A request
still running past the grace (an upload waiting for SQLite's write lock, a long engine
call) used to have the service closed under it: its answer was a 500 or a cut connection,
and a request of several writes could be cut between them. Now, past the grace, a request
that arrives is refused at once (503 ``unavailable``, ``Retry-After``, ``Connection:
close``: the client retries, on another process or once this one is back), and the ones
already running are waited for, at most :data:`LATE_SECONDS`, their answers sent, before
the service and its database close.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .errors import error_body
from .request_ids import HEADER, answer_id

#: how long a stopping server waits, past its grace, for the requests still running
#: (SQLite's busy timeout, 30 s, bounds a wait for its write lock; the engine's calls
#: have their own ceilings)
LATE_SECONDS = 35.0
#: what a request refused by a stopping server is told to wait before it retries
RETRY_AFTER = "1"
STOPPING_MESSAGE = "The server is stopping; retry in a moment (another server may answer)."


class InFlightRequests:
    """A WSGI wrapper of ``app`` that counts the requests it is answering (a request ends
    once its body is closed) and, once :meth:`refuse_new` is called, answers new ones 503."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self._changed = threading.Condition()
        self._count = 0
        self._refusing = False
        self._closing = False

    @property
    def count(self) -> int:
        """How many requests are being answered now."""
        with self._changed:
            return self._count

    def close_connections(self) -> None:
        """From now on every answer closes its connection after it (``Connection: close``):
        a stopping server's clients then send their next request on a new connection (to
        another server, or refused at once while this one is down) rather than on this
        one, which the server closes, a request on it unread, when it exits."""
        with self._changed:
            self._closing = True

    def refuse_new(self) -> None:
        """From now on a new request is a 503 ``unavailable`` saying the server stops."""
        with self._changed:
            self._refusing = True

    def wait_until_idle(self, seconds: float) -> bool:
        """Wait until no request is being answered, at most ``seconds``; whether none is."""
        with self._changed:
            return self._changed.wait_for(lambda: self._count == 0, timeout=seconds)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with self._changed:
            if self._refusing:
                return _refuse(environ, start_response)
            self._count += 1
            if self._closing:
                start_response = _closing_connection(start_response)
        try:
            body = self.app(environ, start_response)
        except BaseException:
            self._ended()
            raise
        return _Counted(body, self._ended)

    def _ended(self) -> None:
        with self._changed:
            self._count -= 1
            self._changed.notify_all()


class _Counted:
    """An answer's body that says once when it is closed (the server is done with it)."""

    def __init__(self, body: Iterable[bytes], ended: Callable[[], None]) -> None:
        self._body = body
        self._ended: Callable[[], None] | None = ended

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            ended, self._ended = self._ended, None
            if ended is not None:
                ended()


def _closing_connection(start_response: Callable[..., Any]) -> Callable[..., Any]:
    """``start_response`` for an answer after which waitress closes the connection: with no
    Content-Length it sends the body chunked and says ``Connection: close`` (a hop-by-hop
    header an app may not set itself), as it does for :func:`_refuse`'s answer."""

    def without_length(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
        kept = [(name, value) for name, value in headers if name.lower() != "content-length"]
        return start_response(status, kept, *args)

    return without_length


def _refuse(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """The 503 of a request that came after the grace of a stopping server."""
    data = json.dumps(
        error_body(503, "unavailable", STOPPING_MESSAGE, {"check": "stopping"})
    ).encode("utf-8")
    # no Content-Length: waitress then closes the connection after it, saying so
    # (``Connection: close``, a hop-by-hop header an app may not set itself), and a client
    # on a kept-alive connection asks anew, of another server or of this one restarted
    start_response(
        "503 Service Unavailable",
        [
            ("Content-Type", "application/json"),
            (HEADER, answer_id(environ.get("HTTP_X_REQUEST_ID"))),  # as the app's answers do
            ("Retry-After", RETRY_AFTER),
        ],
    )
    return [] if environ.get("REQUEST_METHOD") == "HEAD" else [data]

"""An access log for a served instance: one line per request, in the combined log form.

:class:`AccessLog` wraps the WSGI app that ``sigopt-like serve`` hands to its
server and logs, on the ``sigopt_like.access`` logger at INFO, when the body
has been sent (so an event stream is logged when it ends)::

    127.0.0.1 - - [22/Nov/2026:10:00:00 +0000] "GET /v1/sessions?limit=5 HTTP/1.1" 200 512
    "-" "sigopt-like-python/0.1.0" 12ms rid=6f0c...   (one line)

Waitress writes no access log of its own, and the WSGI loggers that do
(``paste.translogger``) bring a framework along; this is the ~60 lines that
we need. Never a header but the user agent and referrer; query values whose
names look secret (token, password, key, secret, ...) are written as ``***``, and so is
anything shaped like a service token (``slk_…``) wherever it is in the line: a
script that put its token in the path, or a user agent or referrer holding one
(:mod:`.url_secrets` says which names look secret). The path is written percent-encoded
as sent, and each field is cut at :data:`MAX_LOGGED` characters with its control
characters and quotes escaped (:func:`loggable`), so that a request writes one line.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import quote

from .url_secrets import redacted_query

LOGGER = "sigopt_like.access"
#: a service token: ``slk_`` and ``secrets.token_urlsafe(32)`` (store/accounts.py)
_TOKEN_TEXT = re.compile(r"slk_[A-Za-z0-9_-]{8,}")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


#: what may not appear as itself in a log line: control characters (a CR or LF from a
#: path's ``%0d%0a`` forged whole log lines), and the quote and backslash of its fields
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\]')
#: the longest field a log line writes whole (headers may be 256 KB: a line each request)
MAX_LOGGED = 1000


def redact_tokens(text: str) -> str:
    """``text`` with every service token in it written as ``slk_***``."""
    return _TOKEN_TEXT.sub("slk_***", text)


def loggable(text: str, limit: int = MAX_LOGGED) -> str:
    """``text`` (a path, a header) as one field of one log line: tokens redacted, cut
    after ``limit`` characters (saying how many more), control characters, quotes and
    backslashes written as ``\\xNN``."""
    text = redact_tokens(text)
    if len(text) > limit:
        text = f"{text[:limit]}...({len(text) - limit} more)"
    return _UNSAFE.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


def sent_path(path: str) -> str:
    """A WSGI ``PATH_INFO`` (percent-decoded, Latin-1) percent-encoded again, as sent."""
    return quote(path.encode("latin-1", "backslashreplace"), safe="/:@!$&'()*+,;=-._~")


class AccessLog:
    """A WSGI wrapper that logs each request once its answer has been sent."""

    def __init__(self, app: WSGIApp, logger: logging.Logger | None = None) -> None:
        self.app = app
        self.logger = logger or logging.getLogger(LOGGER)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        started = time.monotonic()
        seen: dict[str, Any] = {}

        def record_start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"] = status.split(" ", 1)[0]
            seen["headers"] = headers
            return start_response(status, headers, exc_info)

        body = self.app(environ, record_start)
        return _Logged(body, lambda size: self._log(environ, seen, size, started))

    def refused(
        self,
        environ: dict[str, Any],
        status: str,
        headers: list[tuple[str, str]],
        size: int,
        seconds: float,
    ) -> None:
        """Log an answer the server gave itself, before the app saw the request (a body
        too large, headers past the limits, a request too slow to arrive: ``door_records``),
        ``seconds`` after its first byte came."""
        seen = {"status": status.split(" ", 1)[0], "headers": headers}
        self._log(environ, seen, size, time.monotonic() - seconds)

    def _log(self, environ: dict[str, Any], seen: dict[str, Any], size: int, started: float):
        if not self.logger.isEnabledFor(logging.INFO):
            return
        headers = dict((k.lower(), v) for k, v in seen.get("headers", []))
        query = redacted_query(environ.get("QUERY_STRING", ""))
        target = loggable(sent_path(environ.get("PATH_INFO", "/")) + (f"?{query}" if query else ""))
        when = time.strftime("%d/%b/%Y:%H:%M:%S %z", time.localtime())
        self.logger.info(
            '%s - - [%s] "%s %s %s" %s %s "%s" "%s" %.0fms rid=%s',
            environ.get("REMOTE_ADDR", "-"),
            when,
            environ.get("REQUEST_METHOD", "-"),
            target,
            environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            seen.get("status", "-"),
            size if size or "content-length" in headers else "-",
            loggable(environ.get("HTTP_REFERER", "-")),
            loggable(environ.get("HTTP_USER_AGENT", "-")),
            (time.monotonic() - started) * 1000,
            headers.get("x-request-id", "-"),
        )


class _Logged:
    """The app's body iterable, counting bytes, calling ``done(size)`` once on close."""

    def __init__(self, body: Iterable[bytes], done: Callable[[int], None]) -> None:
        self.body = body
        self.done = done
        self.size = 0
        self.logged = False

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.body:
            self.size += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if callable(close):
                close()
        finally:
            if not self.logged:
                self.logged = True
                self.done(self.size)

"""The embedded service behind a ``requests`` transport adapter: no socket at all.

:class:`WSGIAdapter` is mounted on a Connection's ``requests.Session`` for
:data:`~sigopt_like._constants.EMBEDDED_URL`; it turns each prepared request into a
WSGI environ, calls the app in this process, and hands back a ``requests.Response``
whose body is read lazily from the app's iterable (so event streams work).
Timeouts do not apply: there is no network to wait for.

The Connection's transport calls :meth:`WSGIAdapter.call` directly: the same
environ and the same ``requests.Response``, built from the call's parts, without
the work that only a network call needs (``requests``' session merging, request
preparation, URL parsing and quoting): about a third of an embedded call. The
transport's retries, models and errors are the same either way.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable, Iterator
from http.client import responses as REASONS
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

import requests
import requests.adapters
from requests.structures import CaseInsensitiveDict

from . import _constants as C
from .errors import ConfigError, ServiceNotInstalledError

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def require_service() -> None:
    """Raise ServiceNotInstalledError, naming the extra to install, when the service's
    dependencies are missing (before anything that would have to be undone)."""
    try:
        from .service import create_app  # noqa: F401
    except ImportError as err:
        raise ServiceNotInstalledError(
            f"The embedded service needs the 'service' extra ({err}). "
            f"Install it with: {C.SERVICE_EXTRA_HINT}, or give a host to use a remote service."
        ) from err


def start_embedded_service(
    database: str,
    *,
    task_processes: int | None = None,
    max_body_bytes: int | None = None,
    max_table_rows: int | None = None,
) -> Any:
    """Start the in-process service on ``database`` (a SQLite path); its tasks run in
    ``task_processes`` worker processes (None: the service's default, one), or in
    threads of this process (0). ``max_body_bytes``: the largest request body it takes
    (None: the service's default, 10 MiB), as ``sigopt-like serve --max-body-bytes``;
    ``max_table_rows`` the most rows of a table (None: 100,000), as ``--max-table-rows``.

    Raises ServiceNotInstalledError, naming the extra to install, when the
    service's dependencies are missing.
    """
    require_service()
    from .database_targets import UnusableDatabase, check, describe_opening_error
    from .service import create_app

    # before: SQLAlchemy's own errors (OperationalError "unable to open database file",
    # NoSuchModuleError "Can't load plugin: sqlalchemy.dialects:foo"), outside the
    # SigoptLikeError hierarchy and without the database's name
    try:
        target = (
            database
            if database in C.MEMORY_DATABASES
            else check(database, made_for_you=True, option="database=")
        )
    except UnusableDatabase as err:
        raise ConfigError(str(err)) from None
    try:
        given = {"max_body_bytes": max_body_bytes, "max_table_rows": max_table_rows}
        limits: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
        return create_app(
            database=target, auth_required=False, task_processes=task_processes, **limits
        )
    except Exception as err:
        said = describe_opening_error(err, database)
        if said is None:  # not the database: a bug, with its traceback
            raise
        raise ConfigError(said) from err


class _AppBody(io.RawIOBase):
    """A file-like view of a WSGI body iterable, read lazily, closed once."""

    def __init__(self, iterable: Iterable[bytes]) -> None:
        super().__init__()
        self._iterable = iterable
        self._chunks: Iterator[bytes] = iter(iterable)
        self._buffer = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> bytes:
        while not self._done:
            try:
                chunk = next(self._chunks)
            except StopIteration:
                self.close()
                return b""
            if chunk:
                return bytes(chunk)
        return b""

    def readinto(self, target: Any) -> int:
        if not self._buffer:
            self._buffer = self._next_chunk()
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size

    def stream(self, amt: int | None = None, decode_content: bool | None = None) -> Iterator[bytes]:
        """Chunks as the app yields them (what ``Response.iter_content`` uses)."""
        if self._buffer:
            chunk, self._buffer = self._buffer, b""
            yield chunk
        while True:
            chunk = self._next_chunk()
            if not chunk:
                return
            yield chunk

    def close(self) -> None:
        if not self._done:
            self._done = True
            close = getattr(self._iterable, "close", None)
            if callable(close):
                close()
        super().close()

    def release_conn(self) -> None:
        """Nothing to release: there is no connection."""


class WSGIAdapter(requests.adapters.BaseAdapter):
    """A ``requests`` adapter that calls a WSGI app in this process."""

    def __init__(self, app: WSGIApp) -> None:
        super().__init__()
        self.app = app

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        """Run the request through the app; the body is read lazily when ``stream``."""
        response = self._run(build_environ(request), stream)
        response.url = request.url or ""
        response.request = request
        return response

    def call(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]] | None,
        body: bytes | None,
        headers: dict[str, str],
        stream: bool = False,
    ) -> requests.Response:
        """The response of the app to one call given by its parts (no URL, no
        ``requests.Session``): what the transport uses."""
        environ = _base_environ(method, body or b"")
        environ["PATH_INFO"] = (
            path
            if path.isascii() and "%" not in path
            else unquote(requests.utils.requote_uri(path), encoding="latin-1")
        )
        environ["QUERY_STRING"] = urlencode(query) if query else ""
        _add_headers(environ, headers)
        response = self._run(environ, stream)
        response.url = C.EMBEDDED_URL + path
        return response

    def _run(self, environ: dict[str, Any], stream: bool) -> requests.Response:
        captured: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            if exc_info and captured.get("sent"):
                raise exc_info[1].with_traceback(exc_info[2])
            captured["status"] = status
            captured["headers"] = headers
            return lambda data: captured.setdefault("written", []).append(data)

        iterable = self.app(environ, start_response)
        body = _AppBody(iterable)
        if "status" not in captured:  # a lazy app calls start_response on first iteration
            first = body._next_chunk()
            body._buffer = first
        written = captured.get("written")
        if written:
            body._buffer = b"".join(written) + body._buffer
        response = requests.Response()
        status = captured.get("status", "500 Internal Server Error")
        response.status_code = int(status.split(" ", 1)[0])
        response.reason = (
            status.split(" ", 1)[1] if " " in status else REASONS.get(response.status_code, "")
        )
        response.headers = CaseInsensitiveDict(captured.get("headers", []))
        response.raw = body
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        response.connection = self  # type: ignore[assignment]
        if not stream:
            _ = response.content  # read now, and close the app's iterable
        return response

    def close(self) -> None:
        """Nothing to close: the Connection closes the service."""


def build_environ(request: requests.PreparedRequest) -> dict[str, Any]:
    """The WSGI environ of a prepared request."""
    parts = urlsplit(request.url or "/")
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    elif not isinstance(body, (bytes, bytearray)):
        body = b"".join(
            part.encode("utf-8") if isinstance(part, str) else bytes(part)
            for part in body  # type: ignore[union-attr]
        )  # a generator body
    environ = _base_environ(request.method or "GET", body)
    environ["PATH_INFO"] = unquote(parts.path or "/", encoding="latin-1")
    environ["QUERY_STRING"] = parts.query
    environ["SERVER_NAME"] = parts.hostname or "sigopt-like.embedded"
    environ["SERVER_PORT"] = str(parts.port or 80)
    environ["wsgi.url_scheme"] = parts.scheme or "http"
    _add_headers(environ, request.headers)
    return environ


def _base_environ(method: str, body: bytes) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": method.upper(),
        "SCRIPT_NAME": "",
        "SERVER_NAME": "sigopt-like.embedded",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
    }


def _add_headers(environ: dict[str, Any], headers: Any) -> None:
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
        elif key != "CONTENT_LENGTH":
            environ[f"HTTP_{key}"] = value

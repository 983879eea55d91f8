"""The client's errors: one hierarchy under :class:`SigoptLikeError`.

An HTTP error becomes an :class:`APIError` subclass chosen by its status, carrying
the service's stable ``code``, its ``message``, the ``X-Request-Id`` of the
response and the ``detail`` object; a message reads like
``409 duplicate_name: A session named 'alloy' already exists (request 3f2a...)``.
"""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

from .error_codes import default_code
from .retry_after import parse_retry_after


class SigoptLikeError(Exception):
    """Base of every error this library raises."""


class ConfigError(SigoptLikeError):
    """The configuration is missing, unreadable or inconsistent.

    ``path`` names the config file when the problem is in one.
    """

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


class ServiceNotInstalledError(ConfigError, ImportError):
    """The embedded service was asked for but its dependencies are not installed."""


#: the most characters of a path an UnusablePathError quotes
QUOTED_PATH_CHARACTERS = 300


class UnusablePathError(SigoptLikeError, OSError, ValueError):
    """A path no file can have (a NUL character, a lone UTF-16 surrogate, a name between
    its slashes longer than file systems take), given to read or
    write a file; ``filename`` is the path. A ValueError too, which Python's own "embedded
    null byte" was, and an OSError, as the other errors about a file are."""

    def __init__(self, path: str, what: str) -> None:
        shown = repr(path)
        if len(path) > QUOTED_PATH_CHARACTERS:  # a megabyte of path is not quoted whole
            shown = f"{path[:QUOTED_PATH_CHARACTERS]!r}... ({len(path):,} characters)"
        message = f"the path {shown} holds {what}, which no file name holds; type it again"
        super().__init__(message)
        self.filename = path
        self.strerror = message
        self.what = what

    def __str__(self) -> str:
        return str(self.strerror)

    def __reduce__(self):  # OSError's own would call __init__ with the message alone
        # the state too: a note added (``add_note``) or an attribute set after it was made
        return (type(self), (self.filename, self.what), dict(self.__dict__))


class RequestEncodingError(SigoptLikeError, ValueError):
    """A request body that JSON cannot carry (NaN, an infinity, an int of more digits than
    Python writes, lists or dicts nested past the encoder's recursion limit); nothing was
    sent.

    ``field`` is the path of the first such value, as the service's refusals write one
    (``value``, ``parameters[0].bounds.max``, ``values[0].value``), when it was found.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class UnencodableValueError(RequestEncodingError, TypeError):
    """A value in a request body that JSON has no form for (a date, a Decimal, bytes, an
    object), or that could not be read (a mapping whose ``keys()`` raise, an object whose
    ``__str__`` raises); ``field`` is its path (``metadata.when``); nothing was sent. A
    TypeError too, as it was before it had a type of its own."""


class APIConnectionError(SigoptLikeError, builtins.ConnectionError):
    """The service could not be reached, or the connection broke mid-response."""

    def __init__(self, message: str, *, request_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request_id = request_id


class APITimeoutError(APIConnectionError, builtins.TimeoutError):
    """The service did not answer within the timeout."""


class HostNotFoundError(APIConnectionError):
    """The host name of the service's URL does not resolve: DNS says there is no such name.

    Not retried past a moment's grace (a typo does not start resolving); attribute
    ``host``, the name that was looked up.
    """

    def __init__(self, message: str, *, host: str, request_id: str | None = None) -> None:
        super().__init__(message, request_id=request_id)
        self.host = host


class APIError(SigoptLikeError):
    """The service answered with an error status.

    Attributes: ``status`` (HTTP status), ``code`` (stable, e.g. ``duplicate_name``),
    ``message`` (the service's words), ``request_id`` (``X-Request-Id``),
    ``detail`` (dict), ``errors`` (validation items, a list of dicts), ``body``
    (the parsed body, or the raw text when it was not JSON).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        request_id: str | None = None,
        detail: dict[str, Any] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.code = code or "error"
        self.message = message
        self.request_id = request_id
        self.detail = detail or {}
        self.body = body
        self.headers = dict(headers or {})
        super().__init__(self._format())

    @property
    def errors(self) -> list[dict[str, Any]]:
        """Validation items (message, row, column, field), when the service gave some."""
        items = self.detail.get("errors") if isinstance(self.detail, dict) else None
        return list(items) if isinstance(items, list) else []

    def _format(self) -> str:
        text = f"{self.status} {self.code}: {self.message}"
        # an item that only repeats the message adds nothing: one problem of no row or
        # column, or the first problem that the message quotes with its place ("The table
        # cannot be stored: row 3, column p1: ..." was followed by "[row 3, column p1: ...]")
        items = [
            item
            for item in self.errors
            if not (
                isinstance(item, dict)
                and (
                    (
                        item.get("row") is None
                        and item.get("column") is None
                        and str(item.get("message") or "\0") in self.message
                    )
                    or _describe_item(item) in self.message
                )
            )
        ]
        if items:
            shown = "; ".join(_describe_item(item) for item in items[:5])
            more = f" (+{len(items) - 5} more)" if len(items) > 5 else ""
            text += f" [{shown}{more}]"
        if self.request_id:
            text += f" (request {self.request_id})"
        return text

    def __reduce__(self):  # keep errors picklable (multiprocessing, pytest-xdist)
        return (
            _rebuild_api_error,
            (
                type(self),
                self.message,
                self.status,
                self.code,
                self.request_id,
                self.detail,
                self.body,
                self.headers,
            ),
        )


def _rebuild_api_error(cls, message, status, code, request_id, detail, body, headers):
    return cls(
        message,
        status=status,
        code=code,
        request_id=request_id,
        detail=detail,
        body=body,
        headers=headers,
    )


def _describe_item(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    where = []
    if item.get("row") is not None:
        where.append(f"row {item['row']}")
    if item.get("column") is not None:
        where.append(f"column {item['column']}")
    if item.get("field") is not None and item.get("column") is None:
        where.append(f"field {item['field']}")
    prefix = ", ".join(where)
    message = str(item.get("message", ""))
    if not prefix:  # a problem of no row, column or field (before: an IndexError here)
        return message
    field = str(item.get("field") or "\0")
    # a space's parameter is its row: "parameter 2 ('temp'), level 1: ..." names its place
    row = item.get("row")
    named = tuple(f"parameter {row}{end}" for end in (" (", ":", ",")) if row is not None else ()
    if message.startswith((prefix, where[0], field, f"'{field}'", *named)):
        return message  # the message names its place already: say it once
    return f"{prefix}: {message}"


class InvalidRequestError(APIError):
    """The request was refused as malformed (400) or invalid (422)."""


class BadRequestError(InvalidRequestError):
    """400: the service could not read the request; also a request the server refused
    before reading it: 411 (a body without a length), 414 (a URL too long), 415 (a body
    not JSON), 417 (an ``Expect`` other than ``100-continue``), 431 (too many or too
    large headers). ``status`` and ``code`` say which."""


class ValidationError(InvalidRequestError):
    """422: the request reads fine but breaks a rule; see ``errors``."""


class AuthenticationError(APIError):
    """401: no credentials, or wrong or revoked ones."""


class PermissionDeniedError(APIError):
    """403: the caller may not do this."""


class NotFoundError(APIError):
    """404: no such route or object."""


class MethodNotAllowedError(APIError):
    """405: the route exists but not with this method."""


class ConflictError(APIError):
    """409: the request clashes with the current state (duplicate name, task running...)."""


class PayloadTooLargeError(APIError):
    """413: the body or table is larger than the service accepts."""


class RateLimitError(APIError):
    """429: too many requests; ``retry_after`` (seconds or None) says when to come back."""

    @property
    def retry_after(self) -> float | None:
        """The server's Retry-After in seconds, when it gave one."""
        return parse_retry_after(self.headers.get("Retry-After"))


class RequestTimeoutError(APIError, builtins.TimeoutError):
    """408: the request did not arrive whole within the server's read timeout (the
    service's, or a proxy's in front of it), and the connection was closed; nothing was
    done, and the same request may be sent again: the transport does so until its retry
    deadline, so this is raised when the deadline (or ``max_tries``) runs out, and at once
    when retries are off (``retries=0``, i.e. ``max_tries=1``, or a ``RetryPolicy`` whose
    ``statuses`` lack 408). A ``TimeoutError`` too, as :class:`APITimeoutError` (no answer
    in time) is."""


class ServerError(APIError):
    """5xx: the service failed (the request id identifies the failure in its logs), or
    something in front of it did: 502 ``bad_gateway`` and 504 ``gateway_timeout``, a proxy
    that could not reach the service or waited too long for it. 505
    ``http_version_not_supported``: a request line of a version the server does not speak."""


class NoAnalyticsError(SigoptLikeError, LookupError):
    """There are no analytics to download yet (none made for that generation)."""


class AnalyticsFilesExistError(SigoptLikeError, FileExistsError):
    """An analytics download would replace files that hold something else (the user's
    own, another session's download, one edited since); none was written. ``paths`` are
    those files (``filename`` the first). Pass ``overwrite=True`` to replace them."""

    def __init__(self, paths: list[Path]) -> None:
        one = len(paths) == 1
        message = (
            f"{', '.join(str(p) for p in paths)} {'exists' if one else 'exist'} and "
            f"{'holds' if one else 'hold'} something else (not an earlier analytics "
            "download of this session): nothing was written; pass overwrite=True to "
            f"replace {'it' if one else 'them'}, or download into another folder"
        )
        super().__init__(message)
        self.paths = list(paths)
        self.filename = str(paths[0]) if paths else None
        self.strerror = message

    def __str__(self) -> str:
        return str(self.strerror)

    def __reduce__(self):  # OSError's own would give __init__ the message as the paths
        # the state too: a note added (``add_note``) or an attribute set after it was made
        return (type(self), (self.paths,), dict(self.__dict__))


class VersionError(SigoptLikeError):
    """The service needs a newer client than this one."""

    def __init__(self, message: str, *, client_version: str, min_client_version: str) -> None:
        super().__init__(message)
        self.client_version = client_version
        self.min_client_version = min_client_version

    def __reduce__(self):  # picklable like the others (before: a TypeError when unpickled)
        return (_rebuild_version_error, (str(self), self.client_version, self.min_client_version))


def _rebuild_version_error(message, client_version, min_client_version):
    return VersionError(
        message, client_version=client_version, min_client_version=min_client_version
    )


class TaskError(SigoptLikeError):
    """Base of errors about a task: ``task`` is the last known state of it."""

    def __init__(self, message: str, task: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.task = task


class TaskFailedError(TaskError):
    """The task failed; ``errors`` lists its problems (message, row, column).

    A task with very many problems keeps the first ones only, after a summary (its
    ``total``, ``omitted`` and ``kinds``: how many of each), which the message shows
    first; ``total`` counts them all.
    """

    def __init__(self, message: str, task: Any = None, errors: list[Any] | None = None) -> None:
        self.errors = list(errors or [])
        #: how many problems the task found (more than ``errors`` holds when capped)
        self.total = len(self.errors)
        if self.errors:
            items = [_as_dict(item) for item in self.errors[:10]]
            problems_shown = len(items)
            counted = items[0].get("total") if isinstance(items[0], dict) else None
            if isinstance(counted, int) and not isinstance(counted, bool):
                self.total = counted  # a summary, listed first, counts them all
                problems_shown -= 1
            shown = "; ".join(_describe_item(item) for item in items)
            more = self.total - problems_shown
            message = f"{message}: {shown}" + (f" (+{more:,} more)" if more > 0 else "")
        super().__init__(message, task)


class TaskCanceledError(TaskError):
    """The task was canceled before it finished."""


class TaskTimeoutError(TaskError, builtins.TimeoutError):
    """Waiting for the task took longer than allowed; the task itself goes on."""


def _as_dict(item: Any) -> Any:
    to_dict = getattr(item, "to_dict", None)
    return to_dict() if callable(to_dict) else item


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    408: RequestTimeoutError,
    409: ConflictError,
    411: BadRequestError,
    413: PayloadTooLargeError,
    414: BadRequestError,
    415: BadRequestError,
    417: BadRequestError,
    422: ValidationError,
    429: RateLimitError,
    431: BadRequestError,
}


def error_class_for(status: int) -> type[APIError]:
    """The error class for an HTTP status."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    return APIError


def api_error(
    status: int,
    body: Any,
    *,
    request_id: str | None = None,
    headers: dict[str, str] | None = None,
    reason: str | None = None,
) -> APIError:
    """Build the typed error of a response from its status and (parsed or raw) body."""
    code = None
    detail: dict[str, Any] = {}
    message = None
    if isinstance(body, dict):
        code = body.get("code") if isinstance(body.get("code"), str) else None
        message = body.get("message") if isinstance(body.get("message"), str) else None
        raw_detail = body.get("detail")
        detail = raw_detail if isinstance(raw_detail, dict) else {}
    elif isinstance(body, str) and body.strip():
        text = " ".join(body.split())
        message = text if len(text) <= 300 else text[:300] + "..."
    if not message:
        message = reason or "the service gave no message"
    return error_class_for(status)(
        message,
        status=status,
        code=code or default_code(status),
        request_id=request_id,
        detail=detail,
        body=body,
        headers=headers,
    )


__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AnalyticsFilesExistError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigError",
    "ConflictError",
    "HostNotFoundError",
    "InvalidRequestError",
    "MethodNotAllowedError",
    "NoAnalyticsError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestEncodingError",
    "RequestTimeoutError",
    "ServerError",
    "ServiceNotInstalledError",
    "SigoptLikeError",
    "TaskCanceledError",
    "TaskError",
    "TaskFailedError",
    "TaskTimeoutError",
    "UnencodableValueError",
    "UnusablePathError",
    "ValidationError",
    "VersionError",
    "api_error",
    "error_class_for",
]

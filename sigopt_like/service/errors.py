"""Errors the service raises, and how every error becomes one JSON body.

Every error response, 404 and 405 included, has the body
``{"object": "error", "status", "code", "message", "detail"}``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import falcon

from ..csvio import clip
from ..database_targets import first_line
from ..error_codes import default_code
from .access_log import loggable, redact_tokens
from .failures import DatabaseOutage
from .sigopt_unsupported import unsupported
from .store import errors as store_errors
from .store.refusals import (
    CONNECTION_LIMIT_MESSAGE,
    is_connection_limit_error,
    is_unreachable_error,
)

LOG = logging.getLogger("sigopt_like.service")
#: the Retry-After of a request the database did not answer (a restart takes seconds)
UNREACHABLE_RETRY_AFTER = 2

#: the methods the service answers (``OPTIONS *``'s Allow header; the 400 of another)
SERVICE_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
SERVICE_METHODS_SAID = f"{', '.join(SERVICE_METHODS[:-1])} and {SERVICE_METHODS[-1]}"


class APIError(Exception):
    """An error with an HTTP status, a stable code and a message a person can act on."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        detail: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.code = code or self.code
        self.detail = detail or {}
        self.headers = headers or {}

    def to_body(self) -> dict[str, Any]:
        """The JSON body of this error."""
        return error_body(self.status, self.code, self.message, self.detail)


class BadRequest(APIError):
    """400: the request cannot be read (bad JSON, wrong types, bad query)."""

    status, code = 400, "bad_request"


class Unauthorized(APIError):
    """401: no credentials, or wrong or revoked ones."""

    status, code = 401, "unauthorized"


class Forbidden(APIError):
    """403: the caller is known but may not do this."""

    status, code = 403, "forbidden"


class NotFound(APIError):
    """404: no such object for this caller (never a hint that it exists for another)."""

    status, code = 404, "not_found"


class Conflict(APIError):
    """409: the request clashes with the current state."""

    status, code = 409, "conflict"


class PayloadTooLarge(APIError):
    """413: the body or table is larger than the service accepts."""

    status, code = 413, "payload_too_large"


class ValidationFailed(APIError):
    """422: the request reads fine but its content breaks a rule.

    ``problems`` become ``detail["errors"]``: each with message, row, column, field.
    """

    status, code = 422, "validation_failed"

    def __init__(self, message: str, problems: list[dict[str, Any]] | None = None, **kw: Any):
        detail = kw.pop("detail", None) or {}
        if problems is not None:
            detail = {**detail, "errors": problems}
        super().__init__(message, detail=detail, **kw)


class RateLimited(APIError):
    """429: too many requests; ``Retry-After`` says when to come back."""

    status, code = 429, "rate_limited"

    def __init__(self, message: str, retry_after: int, **kw: Any):
        super().__init__(message, headers={"Retry-After": str(int(retry_after))}, **kw)


class Unavailable(APIError):
    """503: the service cannot serve this now."""

    status, code = 503, "unavailable"


#: how a caller raises the body limit, said by every 413 of the service (the app's, and
#: the servers' own: waitress's under ``serve``, gunicorn's worker's for chunks)
BODY_LIMIT_SETTING = (
    "the service's max_body_bytes setting: Connection(max_body_bytes=...) or a "
    "command's --max-body-bytes for the embedded service, sigopt-like serve "
    "--max-body-bytes for a served one"
)


#: how a caller raises the table row limit, said by the 413 for a table with more rows
ROW_LIMIT_SETTING = (
    "the service's max_table_rows setting: Connection(max_table_rows=...) or a "
    "command's --max-table-rows for the embedded service, sigopt-like serve "
    "--max-table-rows for a served one"
)


def too_many_rows(rows: int, limit: int) -> PayloadTooLarge:
    """The 413 of a table of ``rows`` rows, over the ``limit`` (``max_table_rows``)."""
    return PayloadTooLarge(
        f"The table has {rows} rows; the limit is {limit} ({ROW_LIMIT_SETTING}).",
        detail={"limit_rows": limit},
    )


def body_too_large_message(limit: int, length: int | None = None) -> str:
    """What a 413 says of a body over ``limit`` bytes (``length``: its Content-Length,
    when known and over the limit), naming the setting that raises the limit."""
    said = (
        f"The request body is {length} bytes; the limit is {limit} bytes"
        if length is not None
        else f"The request body is larger than the limit of {limit} bytes"
    )
    return f"{said} ({BODY_LIMIT_SETTING})."


#: a run of this many characters with no space in an error's text is echoed input (a
#: path, an id, a field name, a value): it is shown by its ends and its length
ECHO_RUN = 300
#: the longest message an error body carries (longer ones keep their start and end)
MAX_MESSAGE = 2000
_ECHO_RUN = re.compile(rf"\S{{{ECHO_RUN},}}")


def clip_echoes(text: str) -> str:
    """``text`` with each long run of input it quotes clipped, and at most
    :data:`MAX_MESSAGE` characters: a 100 KB path came back whole in its 404, a 100 KB
    field name three times in its 422 (message, field, problems)."""
    text = _ECHO_RUN.sub(lambda found: clip(found.group(0), ECHO_RUN - 100), text)
    return clip(text, MAX_MESSAGE - 40)  # its suffix, " (1,234 characters)", fits in 40


def _clip_detail(value: Any) -> Any:
    if isinstance(value, str):
        return clip_echoes(value)
    if isinstance(value, dict):
        return {clip_echoes(str(k)): _clip_detail(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clip_detail(item) for item in value]
    return value


def error_body(status: int, code: str, message: str, detail: dict[str, Any] | None = None) -> dict:
    """The one error body shape; input it quotes is clipped (:func:`clip_echoes`), in the
    message and in the detail."""
    return {
        "object": "error",
        "status": status,
        "code": code,
        # an id or path echoed back may be a token: redacted whole, then clipped
        "message": clip_echoes(redact_tokens(message)),
        "detail": _clip_detail(detail or {}),
    }


#: THE place where store errors become HTTP: class -> status (first match wins)
STORE_STATUS: tuple[tuple[type[store_errors.StoreError], int], ...] = (
    (store_errors.NotFound, 404),
    (store_errors.Conflict, 409),
    (store_errors.KeyTaken, 409),
    (store_errors.Invalid, 422),
    (store_errors.Busy, 503),
    (store_errors.StorageFull, 507),
    (store_errors.DatabaseGone, 507),
    (store_errors.Unwritable, 507),
    # the operator's database refuses the service's role a read: no retry or change of the
    # request cures it (a 503 would be retried until the caller's deadline, a 4xx blames
    # the caller), and 507 says "cannot store"; the code and message say what to grant
    (store_errors.Unreadable, 500),
)


def from_store_error(err: store_errors.StoreError) -> APIError:
    """The HTTP error of a store error (its code, message and detail kept)."""
    status = next((code for kind, code in STORE_STATUS if isinstance(err, kind)), 500)
    headers = {}
    if isinstance(err, store_errors.Busy):
        headers["Retry-After"] = str(err.retry_after)
    return APIError(err.message, code=err.code, status=status, detail=err.detail, headers=headers)


def _http_status_code(err: falcon.HTTPError) -> int:
    return int(str(err.status).split()[0]) if not isinstance(err.status, int) else err.status


def _doubled_prefix_hint(path: str) -> str:
    """What to change when a client was given the API's URL with ``/v1`` already in it
    (sigopt-python adds ``/v1`` itself: ``SIGOPT_API_URL=http://host:8080/v1`` asked
    for ``/v1/v1/experiments``, and the 404 did not say why)."""
    if not path.startswith("/v1/v1/"):
        return ""
    return (
        " The path has /v1 twice: give the client the service's address without /v1 "
        "(SIGOPT_API_URL=http://host:port; sigopt-python and sigopt_like add /v1 themselves)."
    )


def install_error_handlers(app: falcon.App, outage: DatabaseOutage | None = None) -> None:
    """Route every error, ours, Falcon's and unexpected ones, to the one JSON body.

    A request answered 503 because the database does not answer is said through
    ``outage`` (the service's, shared with its loops): once an outage and a minute, with
    a count, rather than a line a request; without one, a line a request."""

    def handle_api_error(req: falcon.Request, resp: falcon.Response, ex: APIError, params):
        resp.status = ex.status
        resp.media = ex.to_body()
        for name, value in ex.headers.items():
            resp.set_header(name, value)

    def handle_http_error(req, resp, ex: falcon.HTTPError, params):
        status = _http_status_code(ex)
        code = default_code(status)
        headers = dict(ex.headers or {})
        reason = unsupported(req.method, req.path) if status in (404, 405) else None
        if reason is not None:  # one of SigOpt's routes not served here: say so, and what to use
            code, message = "not_supported", reason
        elif status == 404:
            message = f"No route or object at {req.path}." + _doubled_prefix_hint(req.path)
        elif status == 405:
            allowed = headers.get("Allow", "")
            message = f"{req.method} is not allowed on {req.path}" + (
                f"; allowed: {allowed}." if allowed else "."
            )
        elif status == 400 and req.method not in falcon.COMBINED_METHODS:
            # Falcon's own words for a method it does not know were "Invalid HTTP method"
            message = (
                f"{req.method[:40]} is not an HTTP method this service answers: it answers "
                f"{SERVICE_METHODS_SAID} (an OPTIONS request's Allow header lists a route's)."
            )
        else:
            message = ex.description or ex.title or code.replace("_", " ")
        resp.status = status
        resp.media = error_body(status, code, message)
        for name, value in headers.items():
            resp.set_header(name, value)

    def handle_unexpected(req, resp, ex: Exception, params):
        request_id = getattr(req.context, "request_id", None)
        if is_connection_limit_error(ex):  # one the store did not translate: no outage
            LOG.debug("the database refuses more connections: %s", first_line(ex))
            handle_api_error(
                req,
                resp,
                Unavailable(CONNECTION_LIMIT_MESSAGE, headers={"Retry-After": "1"}),
                params,
            )
            return
        if is_unreachable_error(ex):  # before: 500 internal, a traceback, no retry
            where = f"{req.method} {loggable(req.path)}, request {request_id}"
            if outage is not None:  # one line an outage (and a minute), with a count
                outage.request_failed(ex, where)
            else:
                LOG.warning("the database does not answer (%s): %s", where, first_line(ex))
            resp.status = 503
            resp.set_header("Retry-After", str(UNREACHABLE_RETRY_AFTER))
            resp.media = error_body(
                503,
                "unavailable",
                "The service's database does not answer (restarting or down); retry in a moment.",
                {"request_id": request_id} if request_id else None,
            )
            return
        path = loggable(req.path)
        LOG.exception("unhandled error on %s %s (request %s)", req.method, path, request_id)
        resp.status = 500
        resp.media = error_body(
            500,
            "internal",
            "The service failed on this request; the request id identifies it.",
            {"request_id": request_id} if request_id else None,
        )

    #: the (role, table) pairs whose refused reads were logged: once each, not a request
    refusals_said: set[tuple[Any, Any]] = set()

    def handle_store_error(req, resp, ex: store_errors.StoreError, params):
        if isinstance(ex, store_errors.Unreadable):
            refused = (ex.detail.get("role"), ex.detail.get("table"))
            if refused not in refusals_said:  # an operator's to cure: one line, no traceback
                refusals_said.add(refused)
                LOG.warning("%s (%s %s)", ex.message, req.method, loggable(req.path))
        handle_api_error(req, resp, from_store_error(ex), params)

    app.add_error_handler(Exception, handle_unexpected)
    app.add_error_handler(falcon.HTTPError, handle_http_error)
    app.add_error_handler(APIError, handle_api_error)
    app.add_error_handler(store_errors.StoreError, handle_store_error)

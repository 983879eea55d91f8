"""The stable ``code`` of an HTTP error status: one table, for the service and the client.

The service gives an error answer the code of its status when nothing more specific says
what went wrong (its servers' refusals of a request they cannot read, Falcon's own
errors); the client gives it to an error answer without the service's JSON body (a
proxy's page, a load balancer's), so that ``code`` is the same whoever answered. Before,
the two sides kept the table twice: the client knew no 505 (``internal``) and no 502 or
504 (``internal`` too, as though the service had failed on the request).

A pure module with no imports of the package: the service imports it (pyproject.toml's
``service-pure-client`` contract), and so does the client's ``errors``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

#: the code of each error status the service answers, by itself or by its servers
SERVICE_CODES: Mapping[int, str] = MappingProxyType(
    {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        408: "request_timeout",
        409: "conflict",
        411: "length_required",
        413: "payload_too_large",
        414: "uri_too_long",
        415: "unsupported_media_type",
        417: "expectation_failed",
        422: "validation_failed",
        429: "rate_limited",
        431: "header_fields_too_large",
        500: "internal",
        503: "unavailable",
        505: "http_version_not_supported",
        507: "insufficient_storage",
    }
)

#: the code of each error status only something in front of the service answers (a proxy,
#: a load balancer): the service never says 501 (its servers' 501 for a Transfer-Encoding
#: they do not implement is a 400), 502 or 504
IN_FRONT_CODES: Mapping[int, str] = MappingProxyType(
    {
        501: "not_implemented",
        502: "bad_gateway",
        504: "gateway_timeout",
    }
)

#: a SigOpt experiment's 409 when every point of its space has an open suggestion (a
#: report or a delete frees one), and a campaign's 409 when every experiment of its space
#: was designed or tested (the command line's advice is chosen by this code, never
#: by the message's wording)
SPACE_EXHAUSTED = "space_exhausted"
#: a grid search's 409 when every point of its grid has been suggested: only deleting an
#: open suggestion frees one (a report spends its point)
GRID_EXHAUSTED = "grid_exhausted"

#: the code of a client error status of neither table (a 410 or a 418 of a proxy's)
OTHER_CLIENT_ERROR = "error"
#: the code of a server error status of neither table (a 520 of a CDN's)
OTHER_SERVER_ERROR = "internal"


def default_code(status: int) -> str:
    """The stable code of an error ``status``, when the answer says no more specific one."""
    code = SERVICE_CODES.get(status) or IN_FRONT_CODES.get(status)
    if code is not None:
        return code
    return OTHER_SERVER_ERROR if status >= 500 else OTHER_CLIENT_ERROR


__all__ = [
    "GRID_EXHAUSTED",
    "IN_FRONT_CODES",
    "OTHER_CLIENT_ERROR",
    "OTHER_SERVER_ERROR",
    "SERVICE_CODES",
    "SPACE_EXHAUSTED",
    "default_code",
]

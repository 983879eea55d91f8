"""A trusted proxy's malformed ``X-Forwarded-Proto`` (``serve --trusted-proxy``): the
service's JSON error body, not waitress's plain text.

Waitress reads the scheme a trusted proxy forwards in a WSGI middleware of its own
(``waitress.proxy_headers``), around the served app, and answers a value it cannot take
(a list such as ``http, https``, a scheme other than http or https) with a plain-text
400 ("Header "X-Forwarded-Proto" malformed."), which the client could not read as the
service's error, and which reached neither the access log nor ``/metrics``.
:class:`ForwardedSchemeCheck`, around waitress's middleware, asks waitress's own reader
(``parse_proxy_headers``, on a copy of the environ) first, so that what waitress refuses
is refused here, in the error body every other answer has, counted and logged
(``door_records``); what it takes goes on to waitress's middleware unchanged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from waitress.proxy_headers import MalformedProxyHeader, parse_proxy_headers
from waitress.server import BaseWSGIServer

from ..csvio import clip
from ..error_codes import default_code
from .door_records import count_refusal, log_refusal
from .errors import error_body
from .request_ids import HEADER, answer_id

#: waitress's reader logs what it reads at debug level only: kept quiet here, as the
#: middleware after this check reads the same headers again
_QUIET = logging.getLogger("sigopt_like.service.proxy_refusals")


class ForwardedSchemeCheck:
    """A WSGI app around waitress's proxy-headers middleware (``application``) of a
    server with ``adj``'s settings: a trusted peer's proxy header that waitress would
    refuse is a JSON 400 (counted and logged in ``served_app``)."""

    def __init__(self, application: Any, adj: Any, served_app: Any) -> None:
        self.application = application
        self.adj = adj
        self.served_app = served_app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        trusted = self.adj.trusted_proxy
        if trusted and (trusted == "*" or environ.get("REMOTE_ADDR") == trusted):
            try:
                parse_proxy_headers(
                    dict(environ),  # the reader sets the scheme: waitress's does it again
                    trusted_proxy_count=self.adj.trusted_proxy_count,
                    trusted_proxy_headers=self.adj.trusted_proxy_headers,
                    logger=_QUIET,
                )
            except MalformedProxyHeader as err:
                return self._refuse(environ, start_response, err)
        return self.application(environ, start_response)  # type: ignore[no-any-return]

    def _refuse(
        self,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        err: MalformedProxyHeader,
    ) -> list[bytes]:
        header, value = str(err.header), clip(str(err.value), 100)
        message = (
            f"The {header} header the trusted proxy sent is {json.dumps(value)}, which this "
            "server cannot take: it must be one value, http or https (not a list). Check "
            "the proxy's configuration (nginx: 'proxy_set_header X-Forwarded-Proto "
            "$scheme;', which replaces what the client sent)."
        )
        detail = {"header": header, "server": "waitress", "reason": str(err.reason)}
        body = json.dumps(error_body(400, default_code(400), message, detail)).encode()
        status = "400 Bad Request"
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            (HEADER, answer_id(environ.get("HTTP_X_REQUEST_ID"))),  # as the app does
        ]
        start_response(status, headers)
        count_refusal(self.served_app, environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"), 400)
        log_refusal(self.served_app, environ, status, headers, len(body), 0.0)
        return [body]


def check_forwarded_scheme(server: Any, served_app: Any) -> Any:
    """Put :class:`ForwardedSchemeCheck` around the app of every listening server of a
    ``waitress.create_server`` result that trusts a proxy; returns ``server``."""
    socket_map = server.map if hasattr(server, "map") else server._map
    for listener in [server, *socket_map.values()]:
        if (
            isinstance(listener, BaseWSGIServer)
            and listener.adj.trusted_proxy
            and not isinstance(listener.application, ForwardedSchemeCheck)
        ):
            listener.application = ForwardedSchemeCheck(
                listener.application, listener.adj, served_app
            )
    return server

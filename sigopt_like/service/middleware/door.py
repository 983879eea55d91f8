"""The door as middleware: query strings, header values and JSON bodies checked
(``sigopt_like.service.door``) before any resource runs."""

from __future__ import annotations

from typing import Any

import falcon

from ..door import (
    QueryParameters,
    UnsupportedMediaType,
    check_content_type,
    check_path,
    check_query_parameters,
    check_query_string,
    check_text,
    declared_query_parameters,
    parse_json,
)
from ..errors import BadRequest
from ..http import body_bytes
from ..resources.lazy import path_before_body
from .routing import has_responder

#: the methods whose routes read no body (their options are query parameters)
_NO_BODY = ("GET", "HEAD", "DELETE")


def check_header_values(env: dict[str, Any]) -> None:
    """Refuse a header value holding a NUL byte (400 naming the header).

    Reads the WSGI environ's ``HTTP_*`` values (and the two headers WSGI keeps without
    the prefix) instead of ``req.headers``, which builds a dict of every header, its
    name re-cased, on each request (most of the door's cost on an embedded call).
    """
    for key, value in env.items():
        if type(value) is not str or "\x00" not in value:
            continue
        if key.startswith("HTTP_"):
            name = key[5:]
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = key
        else:
            continue
        header = name.replace("_", "-").title()
        raise BadRequest(
            f"The header '{header}' contains a NUL character.", detail={"header": header}
        )


def check_framing(env: dict[str, Any]) -> None:
    """Refuse (400) an HTTP/1.0 request that says ``Transfer-Encoding``: HTTP/1.0 has
    none, so the server read no body (RFC 9112: its framing is faulty), and the request
    would have been answered as if sent without one (a suggestion made from nothing)."""
    if "HTTP_TRANSFER_ENCODING" in env and env.get("SERVER_PROTOCOL") == "HTTP/1.0":
        raise BadRequest(
            "An HTTP/1.0 request cannot carry a Transfer-Encoding (its body was not read): "
            "send HTTP/1.1, or the body with a Content-Length.",
            detail={"header": "Transfer-Encoding"},
        )


def check_content_encoding(req: falcon.Request) -> None:
    """Refuse (415) a body with a ``Content-Encoding`` (gzip, br, ...): the service reads
    bodies as sent, so a gzipped one was "not UTF-8" and one merely labelled gzip was
    accepted, the label not honoured."""
    coding = req.env.get("HTTP_CONTENT_ENCODING", "").strip().lower()
    if coding in ("", "identity") or not req.content_length:
        return
    raise UnsupportedMediaType(
        f"The request body has 'Content-Encoding: {coding[:40]}', which this service "
        "does not decode: send the body uncompressed, without the header.",
        detail={"header": "Content-Encoding"},
    )


class DoorMiddleware:
    """Refuse a request whose query, headers or body JSON or the store cannot hold.

    Runs after routing and auth (an unknown path is still a 404, a missing token
    still a 401) and before the idempotency claim, so a refused request claims
    no key; only a path that is not UTF-8 is refused before routing (a 400 for any
    route). A checked body is kept on ``req.context.json_body`` for ``read_json``.
    """

    def __init__(self, router: Any) -> None:
        self.router = router
        #: the query parameters each route takes (and their enums), read from the OpenAPI
        #: document at the first request with a query string (no cost at start-up)
        self._query_parameters: dict[tuple[str, str], QueryParameters] | None = None

    def _declared(self, template: str | None, method: str) -> QueryParameters | None:
        """The query parameters ``method template`` takes; None for a route the
        document does not describe (nothing is checked there)."""
        if self._query_parameters is None:
            import json

            from ..resources.system import openapi_document

            document = json.loads(openapi_document())
            self._query_parameters = declared_query_parameters(document)
        return self._query_parameters.get((template or "", method))

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Check the path, before routing: one that is not UTF-8 names nothing this
        service made (a 404 or 401 would echo Falcon's reading of it, U+FFFD for each
        bad byte, as if sent)."""
        check_path(req.env.get("PATH_INFO", ""))

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: object, params: dict
    ) -> None:
        """Check the query parameters, the header values and a non-empty body."""
        if resource is None or not has_responder(self.router, req, resource):
            return  # a 404 or 405 says more than anything about the input
        # a query or body refused on a path not the caller's is the route's 404
        # (``judge_path``), as the route answers a path not the caller's whatever is sent
        judge = getattr(resource, "judge_path", None)
        if req.query_string:  # else Falcon would parse nothing into a new dict
            with path_before_body(judge, req, params):
                self._check_query(req)
        check_header_values(req.env)
        check_framing(req.env)
        with path_before_body(judge, req, params):
            check_content_encoding(req)
        if getattr(resource, "takes_bytes", False):
            return  # its body is a file (a run's image), checked by the resource itself
        raw = body_bytes(req)
        if not raw.strip():
            return
        with path_before_body(judge, req, params):
            check_content_type(req.content_type)
            doubles = bool(getattr(resource, "numbers_as_doubles", False))
            judged = bool(getattr(resource, "fields_judge_integers", False))
            req.context.json_body = parse_json(
                raw,
                numbers_as_doubles=doubles,
                fields_judge_integers=judged,
                max_table_rows=getattr(resource, "max_table_rows", None),
            )
            if req.method in _NO_BODY and req.context.json_body not in ({}, None):
                self._refuse_unread_body(req)

    def _check_query(self, req: falcon.Request) -> None:
        """Refuse a query string the store cannot hold, or a parameter (or a value of an
        enum) the route does not take."""
        check_query_string(req.query_string)
        for name, value in req.params.items():
            check_text(name, name, what="query parameter")
            for item in value if isinstance(value, list) else [value]:
                check_text(item, name, what="query parameter")
        known = self._declared(req.uri_template, req.method)
        if known is not None and req.path.startswith("/v1/"):
            check_query_parameters(req.params, req.method, req.path, known)

    def _refuse_unread_body(self, req: falcon.Request) -> None:
        """A 400 for a body sent with GET, HEAD or DELETE: no route reads one, so
        ``DELETE .../suggestions`` with ``{"state": "closed"}`` deleted the open
        suggestions as if nothing were sent. Their options are query parameters (as
        sigopt-python sends them). An empty object (or ``null``), which some HTTP clients
        send with every request, carries nothing to ignore and is let through."""
        known = self._declared(req.uri_template, req.method)
        if known:
            then = f"give its options as query parameters (it takes {', '.join(sorted(known))})"
        elif known is None:
            then = "give any options as query parameters"
        else:
            then = "send it without one (it takes no options)"
        raise BadRequest(
            f"{req.method} {req.path} takes no request body (it would not be read): {then}.",
            detail={"field": "body"},
        )

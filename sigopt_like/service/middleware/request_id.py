"""A request id on every response: the caller's ``X-Request-Id`` or a new one."""

from __future__ import annotations

import re
import uuid

import falcon

HEADER = "X-Request-Id"
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


class RequestIdMiddleware:
    """Give each request an id (kept from the caller when it is sane) and echo it."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        given = req.get_header(HEADER)
        req.context.request_id = given if given and _ACCEPTABLE.match(given) else uuid.uuid4().hex
        resp.set_header(HEADER, req.context.request_id)

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        request_id = getattr(req.context, "request_id", None)
        if request_id:
            resp.set_header(HEADER, request_id)

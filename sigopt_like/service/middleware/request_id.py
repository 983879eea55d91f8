"""A request id on every response: the caller's ``X-Request-Id`` or a new one."""

from __future__ import annotations

import os
import random

import falcon

from ..request_ids import HEADER, sent_id


class RequestIdMiddleware:
    """Give each request an id (kept from the caller when it is sane) and echo it.

    New ids are 128 random bits from a generator of this middleware seeded by the
    system's entropy: unique like a uuid4, without a system call per request (ids
    are for finding a request in logs, not secrets).
    """

    def __init__(self) -> None:
        self._random = random.Random(os.urandom(32))

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        given = sent_id(req.get_header(HEADER))  # the door's refusals echo it so too
        req.context.request_id = given or f"{self._random.getrandbits(128):032x}"
        resp.set_header(HEADER, req.context.request_id)

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        request_id = getattr(req.context, "request_id", None)
        if request_id:
            resp.set_header(HEADER, request_id)

"""The two requests about the server, not one of its resources: ``OPTIONS *`` and
``CONNECT``.

``OPTIONS *`` (RFC 9110 section 9.3.7) asks which methods the server answers at all: it is
answered 200 with an ``Allow`` header of them. ``CONNECT host:port`` (section 9.3.6) asks a
proxy to open a tunnel: the service is no proxy, and says so in a 405. Both were the
router's 404, "No route or object at *." (or at "443", what the servers made of
``host:443``), which told the client nothing it could act on.
"""

from __future__ import annotations

import falcon

from ..errors import SERVICE_METHODS, SERVICE_METHODS_SAID, APIError

#: the Allow header of ``OPTIONS *`` and of the 405 to ``CONNECT``
ALLOW = ", ".join(SERVICE_METHODS)


class ServerWideMiddleware:
    """Answers ``OPTIONS *`` and refuses ``CONNECT`` before any route is looked for."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        if req.method == "OPTIONS" and req.path == "*":
            resp.status = falcon.HTTP_200
            resp.set_header("Allow", ALLOW)
            resp.content_length = 0
            resp.complete = True
        elif req.method == "CONNECT":
            raise APIError(
                "CONNECT asks a proxy to open a tunnel, and this service is not a proxy: "
                f"send {SERVICE_METHODS_SAID} requests to its own URLs (an OPTIONS "
                "request's Allow header lists a route's).",
                code="method_not_allowed",
                status=405,
                headers={"Allow": ALLOW},
            )

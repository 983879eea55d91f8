"""Whether a routed request reaches a responder of its resource (or Falcon's 405)."""

from __future__ import annotations

import inspect
from typing import Any

import falcon


def has_responder(router: Any, req: falcon.Request, resource: object) -> bool:
    """True if ``req.method`` on this route is served by a method of ``resource``.

    Falcon routes an unsupported method to its own 405 responder; middleware that
    would do work first (auth, idempotency) asks this to let the 405 through.
    The answer is kept on ``req.context`` (the route is looked up once per request).
    """
    if resource is None or router is None:
        return resource is not None
    known = getattr(req.context, "has_responder", None)
    if known is not None:  # auth, the door and idempotency each ask: route once
        return bool(known)
    found = router.find(req.path, req)
    if found is None:
        answer = False
    else:
        found_resource, method_map, _params, _template = found
        responder = method_map.get(req.method) if method_map else None
        answer = inspect.ismethod(responder) and responder.__self__ is found_resource
    req.context.has_responder = answer
    return answer


class HeadAsGetRouter(falcon.routing.CompiledRouter):
    """Falcon's router, with HEAD served by a route's GET responder where the resource
    has no ``on_head`` (before: 405 on ``HEAD /health``, as on every route). Falcon
    itself sends no body for HEAD, and the Content-Length the GET answer would have."""

    def map_http_methods(self, resource: object, **kwargs: Any) -> Any:
        method_map: dict[str, Any] = dict(super().map_http_methods(resource, **kwargs))
        if "GET" in method_map and "HEAD" not in method_map:
            method_map["HEAD"] = method_map["GET"]
        return method_map

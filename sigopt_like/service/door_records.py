"""What a server answers itself, counted and logged as the app's answers are.

The servers refuse some requests before the app sees them: a body declared or sent past
``max_body_bytes`` (413), a Transfer-Encoding other than chunked (400), headers past the
limits (431), a request line too long (414), a request that did not arrive in time (408),
malformed HTTP (400). Those answers never passed the app's metrics middleware nor the
access log, so an operator watching ``sigopt_like_http_requests_total{status="413"}`` to
tune ``--max-body-bytes`` saw none of them. The servers call :func:`count_refusal` with
the app they serve: the refusal is counted in that app's own
:class:`~.middleware.metrics.ServiceMetrics` (its per-instance counts, as the app's own
answers), under the route template when the path is a known route and method, else under
``unmatched``, as the app counts an unknown path, but not timed (a 408 comes after the
server's read timeout; the duration histogram is of the app's answers); and
:func:`log_refusal` writes it to the service's access log (:class:`~.access_log.AccessLog`,
``sigopt-like serve``'s) when the app is wrapped in one. Under gunicorn the worker writes
gunicorn's access log itself (``gunicorn_worker``).
"""

from __future__ import annotations

from typing import Any

from .access_log import AccessLog
from .middleware.metrics import COUNTED_METHODS, OTHER_METHOD, UNMATCHED_ROUTE, ServiceMetrics


def served_service(app: Any) -> Any:
    """The :class:`~.app.Service` inside ``app`` (a WSGI wrapper such as
    :class:`~.access_log.AccessLog` holds it as ``.app``; a
    :class:`~.starting.StartingService` as ``.service`` once built), or None."""
    for _ in range(8):  # wrappers in wrappers, never a loop
        context = getattr(app, "context", None)
        if isinstance(getattr(context, "metrics", None), ServiceMetrics):
            return app
        inner = getattr(app, "app", None)
        app = inner if inner is not None else getattr(app, "service", None)
        if app is None:
            return None
    return None


def access_log_of(app: Any) -> AccessLog | None:
    """The :class:`~.access_log.AccessLog` wrapping the service in ``app``, if any."""
    for _ in range(8):
        if app is None or isinstance(app, AccessLog):
            return app
        app = getattr(app, "app", None)
    return None


def route_label(service: Any, path: str | None, method: str) -> str:
    """``path``'s route template if one of its routes answers ``method``, else
    :data:`~.middleware.metrics.UNMATCHED_ROUTE` (as the app's metrics count it)."""
    router = getattr(service.context, "router", None)
    if not path or router is None:
        return UNMATCHED_ROUTE
    try:
        found = router.find(path)
    except Exception:  # a path the router cannot take is no route
        return UNMATCHED_ROUTE
    if found is None:
        return UNMATCHED_ROUTE
    resource, method_map, _params, template = found
    responder = (method_map or {}).get(method)
    if getattr(responder, "__self__", None) is not resource or not template:
        return UNMATCHED_ROUTE
    return str(template)


def count_refusal(app: Any, method: str | None, path: str | None, status: int) -> None:
    """Count a request the server answered ``status`` itself in ``app``'s metrics (nothing
    when ``app`` holds no built service: a service still starting counts nothing); it is
    not timed (:meth:`~.middleware.metrics.ServiceMetrics.request_refused` says why)."""
    service = served_service(app)
    if service is None:
        return
    method = method or OTHER_METHOD
    counted = method if method in COUNTED_METHODS else OTHER_METHOD
    route = route_label(service, path, method)
    service.context.metrics.request_refused(route, counted, str(status))


def log_refusal(
    app: Any,
    environ: dict[str, Any],
    status: str,
    headers: list[tuple[str, str]],
    size: int,
    seconds: float,
) -> None:
    """Write a request the server answered ``status`` itself to the access log that wraps
    ``app``, if one does (``environ`` holds what came of the request)."""
    access_log = access_log_of(app)
    if access_log is not None:
        access_log.refused(environ, status, headers, size, seconds)

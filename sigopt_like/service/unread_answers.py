"""Requests the app answers without reading their body: no ``100 Continue`` for them.

A client that sends ``Expect: 100-continue`` waits for the server's go-ahead before it
sends its body. Both servers read a body whole before the app runs (so that no request
thread waits on a slow client), and so told every such client to continue, even one the
app then refused without looking at its body: a path of no route (404), a method its
route has not (405), ``CONNECT``, ``OPTIONS *``. The client sent the whole body (curl
sends 1 MiB and more so) to read a 404. RFC 9110 section 10.1.1 lets a server answer
such a request with its final status instead: the servers ask :func:`answered_unread`
when the head is read and, when it says so, run the app at once with no body and the
connection to close after the answer (the body never sent is never read), and send no
``100 Continue``. A request that reaches a responder is told to continue, as before,
whatever the responder answers (a 401 for its token is the auth middleware's, which needs
the database: not asked from a server's socket loop).
"""

from __future__ import annotations

import inspect
from typing import Any

import falcon

from .door_records import served_service


def answered_unread(app: Any, method: str, path: str) -> bool:
    """Whether the service in ``app`` answers ``method`` on ``path`` (as the WSGI
    ``PATH_INFO``: percent-decoded, in latin-1) without a responder of a route, so
    without its body. False when not known: a service still starting, a path the router
    cannot take, a method Falcon does not know."""
    if method not in falcon.COMBINED_METHODS:
        return False  # one the app may rename (sigopt-python's MERGE is served as PATCH)
    service = served_service(app)
    router = getattr(getattr(service, "context", None), "router", None)
    if router is None:
        return False
    try:  # as Falcon reads PATH_INFO: UTF-8 carried in latin-1, one trailing slash dropped
        path = (path or "/").encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return False
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    try:
        found = router.find(path)
    except Exception:  # a path the router cannot take: let the app say what it is
        return False
    if found is None:
        return True
    resource, method_map, _params, _template = found
    responder = method_map.get(method) if method_map else None
    return not (inspect.ismethod(responder) and responder.__self__ is resource)

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
``100 Continue``.

So is a request to a route that needs a token when its head alone says it will be a 401
(the auth middleware answers it before any body is read): no ``Authorization`` header
and no dashboard session cookie, or an ``Authorization`` that cannot be read (neither
Bearer nor Basic, Basic that is not base64, an email and a password). Before, the client
was told to continue, sent its body, and read a 401. A token that is there and readable
is judged by the store (unknown, revoked, a dashboard session's): gunicorn's worker asks
it in the request's thread, before the body (``ask_store``), and answers an unknown
token's 401 at once too; waitress reads every connection's head in its one socket loop,
where one query would stall them all, so under ``serve`` such a request is told to
continue, as before, and its 401 follows the body. A dashboard session cookie is told to
continue under both (its lifetime is the app's to judge).
"""

from __future__ import annotations

import inspect
from typing import Any

import falcon

from .dashboard.cookies import COOKIE_NAME, is_dashboard_token
from .door_records import served_service
from .errors import Unauthorized
from .middleware.auth import token_in_header


def answered_unread(
    app: Any,
    method: str,
    path: str,
    *,
    authorization: str | None,
    cookie: str | None,
    ask_store: bool = False,
) -> bool:
    """Whether the service in ``app`` answers ``method`` on ``path`` (as the WSGI
    ``PATH_INFO``: percent-decoded, in latin-1) without its body: without a responder of
    a route, or with the auth middleware's 401, which the request's ``authorization``
    and ``cookie`` headers (None: absent) make certain (see the module); ``ask_store``
    (a caller in a request thread, not a socket loop): a token the store does not know
    (or a dashboard session's) too. False when not known: a service still starting, a
    path the router cannot take, a method Falcon does not know, a store that fails."""
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
    if not (inspect.ismethod(responder) and responder.__self__ is resource):
        return True
    if getattr(resource, "auth_exempt", False) or not service.settings.auth_required:
        return False
    try:
        token = token_in_header(authorization)
    except Unauthorized:
        return True  # an Authorization that cannot be read
    if token is None:
        # no credential at all is a 401; a dashboard session's cookie, the store judges
        return not (cookie and COOKIE_NAME in cookie)
    return ask_store and _unknown_token(service, token)


def _unknown_token(service: Any, token: str) -> bool:
    """Whether the auth middleware refuses ``token`` whatever the request (unknown,
    revoked, a dashboard session's), as the store says; False when it cannot say."""
    try:
        owner = service.context.store.accounts.token_owner(token)
    except Exception:  # the app answers it (a 503 for a store that is down)
        return False
    return owner is None or is_dashboard_token(owner)

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
was told to continue, sent its body, and read a 401. A token that is there and readable,
and a dashboard session cookie, are judged by the store (:func:`refused_by_store`: a
token unknown, revoked or a dashboard session's; a session unknown, signed out or
ended): gunicorn's worker asks it in the request's thread, before the body
(``ask_store``); waitress reads every connection's head in its one socket loop, where one
query would stall them all, so under ``serve`` the channel asks it in a request thread
(:func:`store_judges` says when, ``judged_heads``) and holds the connection's reading
until it answers. Either way such a request's 401 comes at once, with no ``100
Continue`` before it (before, ``serve`` told it to continue, and its 401 followed the
body; a session cookie was told to continue under both).
"""

from __future__ import annotations

import inspect
import io
from typing import Any

import falcon

from .dashboard.cookies import COOKIE_NAME, cookie_owner, is_dashboard_token, session_lifetime
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
    (a caller in a request thread, not a socket loop): credentials the store refuses
    (:func:`refused_by_store`) too. False when not known: a service still starting, a
    path the router cannot take, a method Falcon does not know, a store that fails."""
    found = _route(app, method, path)
    if found is None:
        return False
    service, resource = found
    if resource is None:
        return True  # a 404, a 405
    verdict = _head_verdict(service, resource, authorization, cookie)
    if verdict is not None:
        return verdict
    return ask_store and refused_by_store(app, authorization=authorization, cookie=cookie)


def store_judges(
    app: Any, method: str, path: str, *, authorization: str | None, cookie: str | None
) -> bool:
    """Whether the head of ``method`` on ``path`` leaves it to the store to say whether
    the auth middleware answers it 401 before its body (:func:`refused_by_store`): a
    route that needs a token, with a readable token or a dashboard session cookie."""
    found = _route(app, method, path)
    if found is None or found[1] is None:
        return False
    service, resource = found
    return _head_verdict(service, resource, authorization, cookie) is None


def refused_by_store(app: Any, *, authorization: str | None, cookie: str | None) -> bool:
    """Whether the auth middleware refuses these credentials whatever the request, as the
    store says: a token unknown, revoked or a dashboard session's; with no token, a
    dashboard session cookie unknown, signed out or ended. False when it cannot say (a
    store that fails: the app answers it, a 503)."""
    service = served_service(app)
    try:
        token = token_in_header(authorization)
    except Unauthorized:
        return True
    try:
        if token is not None:
            return _unknown_token(service, token)
        return _session_refused(service, cookie or "")
    except Exception:
        return False


def _route(app: Any, method: str, path: str) -> tuple[Any, Any] | None:
    """The service in ``app`` and the resource whose responder answers ``method`` on
    ``path`` (None: no route has one, a 404 or 405); None when not known: a service still
    starting, a path the router cannot take, a method Falcon does not know."""
    if method not in falcon.COMBINED_METHODS:
        return None  # one the app may rename (sigopt-python's MERGE is served as PATCH)
    service = served_service(app)
    router = getattr(getattr(service, "context", None), "router", None)
    if router is None:
        return None
    try:  # as Falcon reads PATH_INFO: UTF-8 carried in latin-1, one trailing slash dropped
        path = (path or "/").encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return None
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    try:
        found = router.find(path)
    except Exception:  # a path the router cannot take: let the app say what it is
        return None
    if found is None:
        return service, None
    resource, method_map, _params, _template = found
    responder = method_map.get(method) if method_map else None
    if not (inspect.ismethod(responder) and responder.__self__ is resource):
        return service, None
    return service, resource


def _head_verdict(
    service: Any, resource: Any, authorization: str | None, cookie: str | None
) -> bool | None:
    """Whether the head alone says the auth middleware answers 401 (True) or lets the
    request in (False: a route open to all, a service without tokens); None: the store
    is to say."""
    if getattr(resource, "auth_exempt", False) or not service.settings.auth_required:
        return False
    try:
        token = token_in_header(authorization)
    except Unauthorized:
        return True  # an Authorization that cannot be read
    if token is None and not (cookie and COOKIE_NAME in cookie):
        return True  # no credential at all
    return None


def _unknown_token(service: Any, token: str) -> bool:
    """Whether the auth middleware refuses ``token`` whatever the request (unknown,
    revoked, a dashboard session's), as the store says; False when it cannot say."""
    try:
        owner = service.context.store.accounts.token_owner(token)
    except Exception:  # the app answers it (a 503 for a store that is down)
        return False
    return owner is None or is_dashboard_token(owner)


def _session_refused(service: Any, cookie: str) -> bool:
    """Whether the dashboard session in the ``cookie`` header is refused (absent, unknown,
    signed out, ended), by the auth middleware's own rule (``cookie_owner``)."""
    environ = {
        **{"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SERVER_NAME": "-", "SERVER_PORT": "80"},
        **{"wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": io.StringIO()},
        "HTTP_COOKIE": cookie,
    }
    lifetime = session_lifetime(service.settings)
    found = cookie_owner(service.context.store.accounts, falcon.Request(environ), lifetime)
    return found.owner is None

"""Middleware: what a browser may change.

- A request that changes something (any method but GET, HEAD, OPTIONS) and
  comes from another site is a 403 ``cross_origin``, whatever its credentials:
  the browser says so in ``Sec-Fetch-Site``, or, for browsers that do not send
  it, its ``Origin`` names another host.
- A change asked by the dashboard (a request authenticated by the session
  cookie; with auth off, a request that a browser sent) is a 403 ``read_only``
  unless the service runs with ``dashboard_actions``, and then a 403
  ``csrf_failed`` without the page's ``X-CSRF-Token``.

Scripts (``Authorization`` header, or the embedded client) are not browsers
and pass untouched. Runs after auth, which marks cookie requests.

Except under ``settings.local_dashboard`` (``sigopt-like dashboard``: no accounts, every
request is the local user's): there a change is a 403 ``read_only`` whoever sends it, a
script as much as a browser (before, a plain HTTP client with no token could create,
rename and delete the local user's work through /v1); with ``dashboard_actions`` only
the page's actions (:data:`PAGE_ACTIONS`) pass, and they need the page's CSRF token.

With ``settings.allowed_hosts`` (``sigopt-like dashboard`` on 127.0.0.1), any
request whose ``Host`` names another host is a 403 ``host_not_allowed``, before
routing: a page of another site that points its DNS name at 127.0.0.1 then
cannot read a database that has no accounts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import falcon

from ..errors import Forbidden
from ..settings import ServiceSettings
from .cookies import CSRF_HEADER, csrf_matches, presented_cookie

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FOREIGN_SITES = frozenset({"cross-site", "same-site"})
# the changes the dashboard's page makes (view-session.js): halt a session, cancel a task
PAGE_ACTIONS = frozenset(
    {("POST", "/v1/sessions/{sid}/halt"), ("POST", "/v1/sessions/{sid}/tasks/{tid}/cancel")}
)
READ_ONLY_DASHBOARD = (
    "This dashboard is read-only: restart it with 'sigopt-like dashboard --actions' to halt "
    "sessions and cancel tasks from its page, or serve the database with 'sigopt-like serve' "
    "(accounts and tokens) to change it through the API."
)
ACTIONS_ONLY_DASHBOARD = (
    "This dashboard (--actions) only halts sessions and cancels tasks from its page; to "
    "change anything else, serve the database with 'sigopt-like serve' (accounts and "
    "tokens) and use the API."
)


def is_cross_origin(req: falcon.Request) -> bool:
    """True when a browser says the request comes from another site."""
    site = req.get_header("Sec-Fetch-Site")
    if site is not None:
        return site.lower() in FOREIGN_SITES
    origin = req.get_header("Origin")
    if origin is None:
        return False
    host = (req.get_header("Host") or "").lower()
    return origin == "null" or urlsplit(origin).netloc.lower() != host


def is_browser(req: falcon.Request) -> bool:
    """True when a browser sent the request (it adds these headers; scripts do not)."""
    return any(req.get_header(name) for name in ("Origin", "Sec-Fetch-Site", "Sec-Fetch-Mode"))


def host_name(header: str) -> str:
    """The host of a ``Host`` header, without its port or IPv6 brackets, lower case."""
    text = header.strip().lower()
    if text.startswith("["):
        return text[1:].partition("]")[0]
    return text.rpartition(":")[0] if text.count(":") == 1 else text


def host_refusal(allowed: frozenset[str], header: str | None) -> Forbidden | None:
    """The 403 ``host_not_allowed`` for a ``Host`` header outside ``allowed`` (lower-case
    names; empty: any host), or None. The running service's guard and the answers of one
    still waiting for its database (``starting.StartingService``) both refuse by it."""
    if not allowed or host_name(header or "") in allowed:
        return None
    return Forbidden(
        f"This server answers only to {', '.join(sorted(allowed))}; open it by one of those names.",
        code="host_not_allowed",
    )


class BrowserGuard:
    """Keep the dashboard read-only unless actions are on, and guard them with CSRF."""

    def __init__(self, settings: ServiceSettings, local_secret: Callable[[], str]) -> None:
        self._settings = settings
        self._local_secret = local_secret  # read on first use: see ServiceContext
        self._hosts = frozenset(name.lower() for name in settings.allowed_hosts)

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Refuse a ``Host`` outside ``allowed_hosts`` (when there are any)."""
        refusal = host_refusal(self._hosts, req.get_header("Host"))
        if refusal is not None:
            raise refusal

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: object, params: dict
    ) -> None:
        """Refuse foreign or unguarded browser changes (see the module)."""
        if resource is None or req.method in SAFE_METHODS:
            return
        if is_cross_origin(req):
            raise Forbidden(
                "Changes are not accepted from pages of another site.", code="cross_origin"
            )
        by_cookie = bool(getattr(req.context, "via_cookie", False))
        if self._settings.local_dashboard:
            # a script is held to the page's rules too: a page action, with its CSRF token
            self._refuse_all_but_page_actions(req)
        else:
            if getattr(resource, "auth_exempt", False):
                return  # sign-in and sign-out guard themselves
            if not by_cookie and (self._settings.auth_required or not is_browser(req)):
                return
            if not self._settings.dashboard_actions:
                raise Forbidden(
                    "The dashboard is read-only: start the service with dashboard actions on "
                    "('--dashboard-actions') to halt sessions or cancel tasks from the "
                    "browser, or use the API with a token.",
                    code="read_only",
                )
        secret = presented_cookie(req) if by_cookie else self._local_secret()
        if secret is None or not csrf_matches(req, secret):
            raise Forbidden(
                f"This change needs the dashboard's CSRF token in {CSRF_HEADER}; reload "
                "the page and try again.",
                code="csrf_failed",
            )

    def _refuse_all_but_page_actions(self, req: falcon.Request) -> None:
        """Under ``local_dashboard``: 403 ``read_only`` for any change but a page action
        with ``dashboard_actions`` on, whether a browser or a script sends it."""
        if not self._settings.dashboard_actions:
            raise Forbidden(READ_ONLY_DASHBOARD, code="read_only")
        if (req.method, req.uri_template) not in PAGE_ACTIONS:
            raise Forbidden(ACTIONS_ONLY_DASHBOARD, code="read_only")


def guard_for(context: Any) -> BrowserGuard:
    """The guard of one service instance."""
    return BrowserGuard(context.settings, context.browser_secret)

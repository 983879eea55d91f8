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
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import falcon

from ..errors import Forbidden
from ..settings import ServiceSettings
from .cookies import CSRF_HEADER, csrf_matches, presented_cookie

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FOREIGN_SITES = frozenset({"cross-site", "same-site"})


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


class BrowserGuard:
    """Keep the dashboard read-only unless actions are on, and guard them with CSRF."""

    def __init__(self, settings: ServiceSettings, local_secret: str) -> None:
        self._settings = settings
        self._local_secret = local_secret

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
        if getattr(resource, "auth_exempt", False):
            return  # sign-in and sign-out guard themselves
        by_cookie = bool(getattr(req.context, "via_cookie", False))
        if not by_cookie and (self._settings.auth_required or not is_browser(req)):
            return
        if not self._settings.dashboard_actions:
            raise Forbidden(
                "The dashboard is read-only: start the service with dashboard actions on "
                "('--dashboard-actions') to halt sessions or cancel tasks from the browser, "
                "or use the API with a token.",
                code="read_only",
            )
        secret = presented_cookie(req) if by_cookie else self._local_secret
        if secret is None or not csrf_matches(req, secret):
            raise Forbidden(
                f"This change needs the dashboard's CSRF token in {CSRF_HEADER}; reload "
                "the page and try again.",
                code="csrf_failed",
            )


def guard_for(context: Any) -> BrowserGuard:
    """The guard of one service instance."""
    return BrowserGuard(context.settings, context.browser_secret)

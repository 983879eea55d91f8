"""The dashboard's session cookie and its CSRF token.

The cookie holds a token of its own kind, issued at sign-in (name
:data:`DASHBOARD_TOKEN_NAME`), never an API token: it is accepted only from the
cookie (an API token is accepted only from the ``Authorization`` header), it
expires ``settings.dashboard_session_hours`` after the sign-in (the hours of that
moment, kept with the token), and signing out revokes it.
The cookie is ``HttpOnly`` (scripts cannot read it), ``SameSite=Lax`` (other
sites' forms and scripts do not send it), ``Path=/``, and ``Secure`` when the
request came over TLS (``wsgi.url_scheme`` is ``https``, which a TLS proxy sets
through waitress's trusted-proxy headers).

A cookie-authenticated request that changes something must carry the header
``X-CSRF-Token``: an HMAC of the cookie's token, which only a page of this
origin can read (from ``GET /auth/me``). Nothing here is kept server-side, so
every app process of a scaled-out deployment agrees on it.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import time

import attrs
import falcon

from ..settings import ServiceSettings
from ..store.accounts import DASHBOARD_TOKEN_NAME, AccountStore, TokenOwner

COOKIE_NAME = "sigopt_like_session"
CSRF_HEADER = "X-CSRF-Token"
_CSRF_PURPOSE = b"sigopt-like dashboard csrf v1"
#: an expiry that makes a browser drop a cookie at once
THE_PAST = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


@attrs.frozen
class Resolved:
    """A session cookie read: its owner when valid, else why not (absent, invalid, expired)."""

    owner: TokenOwner | None
    token: str | None
    state: str


def session_lifetime(settings: ServiceSettings) -> int:
    """How long a dashboard sign-in lasts, in seconds."""
    return int(settings.dashboard_session_hours * 3600)


def csrf_token(secret: str) -> str:
    """The CSRF token that goes with a session token (or a local service's secret)."""
    return hmac.new(secret.encode("utf-8"), _CSRF_PURPOSE, hashlib.sha256).hexdigest()


def csrf_matches(req: falcon.Request, secret: str) -> bool:
    """True when the request's ``X-CSRF-Token`` header is the one for ``secret``."""
    presented = req.get_header(CSRF_HEADER) or ""
    return hmac.compare_digest(presented.encode("utf-8"), csrf_token(secret).encode("utf-8"))


def presented_cookie(req: falcon.Request) -> str | None:
    """The session token in the request's cookie, or None."""
    values = req.get_cookie_values(COOKIE_NAME)
    return values[0] if values else None


def is_dashboard_token(owner: TokenOwner) -> bool:
    """True for a token made by a dashboard sign-in."""
    return owner.name == DASHBOARD_TOKEN_NAME


def session_ends(owner: TokenOwner, lifetime_seconds: int) -> int:
    """When a dashboard sign-in ends: the end kept with its token, else (a sign-in made
    before its end was kept) ``lifetime_seconds`` after its making."""
    ends = owner.ends(lifetime_seconds)
    assert ends is not None  # a sign-in ends
    return ends


def is_live(owner: TokenOwner, lifetime_seconds: int, now: float | None = None) -> bool:
    """True while a dashboard token has not reached its end (:func:`session_ends`)."""
    return (now if now is not None else time.time()) < session_ends(owner, lifetime_seconds)


def set_session_cookie(
    req: falcon.Request, resp: falcon.Response, token: str, lifetime_seconds: int
) -> None:
    """Give the browser its session cookie."""
    resp.set_cookie(
        COOKIE_NAME,
        token,
        max_age=lifetime_seconds,
        path="/",
        secure=req.scheme == "https",
        http_only=True,
        same_site="Lax",
    )


def clear_session_cookie(req: falcon.Request, resp: falcon.Response) -> None:
    """Make the browser forget its session cookie."""
    resp.set_cookie(
        COOKIE_NAME,
        "",
        expires=THE_PAST,
        path="/",
        secure=req.scheme == "https",
        http_only=True,
        same_site="Lax",
    )


def cookie_owner(accounts: AccountStore, req: falcon.Request, lifetime_seconds: int) -> Resolved:
    """Who the request's session cookie belongs to, and why not when it does not."""
    token = presented_cookie(req)
    if token is None:
        return Resolved(None, None, "absent")
    owner = accounts.token_owner(token)
    if owner is None or not is_dashboard_token(owner):
        return Resolved(None, token, "invalid")
    if not is_live(owner, lifetime_seconds):
        return Resolved(None, token, "expired")
    return Resolved(owner, token, "ok")

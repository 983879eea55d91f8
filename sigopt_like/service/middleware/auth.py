"""Who is calling: a bearer token (or HTTP Basic with the token as user name) when
served, or the dashboard's session cookie (a browser signed in at ``/``); the
local user when embedded.

Resources that need no caller (health, login, version, ...) set the class
attribute ``auth_exempt = True``. Everything else gets ``req.context.user_id``
(and ``req.context.token_id`` when a token was used) or a 401;
``req.context.via_cookie`` says the session cookie was used. An API token is
accepted only in the header and a dashboard session only in its cookie, which
expires (see :mod:`sigopt_like.service.dashboard.cookies`); a token in the URL
(``?token=``) is never read, and a 401 says where it goes (:mod:`..url_secrets`).

A guest token (SigOpt's experiment token, ``POST /v1/experiments/{id}/tokens``) is
the one to share an experiment with: it reads that experiment and what is under it
(``GET /v1/experiments/{id}/...``) and its own ``/v1/tokens/self``, and every other
request made with it is a 403 that says so. It lasts ``guest_token_days`` (30, as
SigOpt's) from its making, fixed then (a later ``serve --guest-token-days`` does not
move it); then it is a 401 that says when it expired and how to make another.

An answer that goes on after its request was let in (a task's event stream) asks
``req.context.credential_live()`` while it runs, and ends once the token that let it
in is revoked or has expired (a signed-out or expired dashboard session, a guest
token's end): a revoked token stops working at once, on open streams too.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import falcon

from ..dashboard.cookies import (
    cookie_owner,
    is_dashboard_token,
    session_ends,
    session_lifetime,
)
from ..errors import Forbidden, Unauthorized
from ..http import is_id_text
from ..resources.sigopt import EXPERIMENT
from ..store.accounts import TokenOwner
from ..url_secrets import HEADER_HINT, secret_query_names
from .routing import has_responder

CHALLENGE = 'Bearer realm="sigopt-like"'
#: what a guest token may do besides reading its experiment
GUEST_ROUTES = ("/v1/tokens/self",)
GUEST_METHODS = ("GET", "HEAD")


def presented_token(req: falcon.Request) -> str | None:
    """The token in ``Authorization`` (Bearer, or Basic user name), or None if absent.

    A header that is there but cannot be read is a 401 saying so.
    """
    return token_in_header(req.get_header("Authorization"))


def token_in_header(header: str | None) -> str | None:
    """The token in an ``Authorization`` header's value (Bearer, or Basic user name), or
    None if there is none; a 401 saying so for a value that cannot be read. Needs no
    store: a server asks it of a request's head (``unread_answers``)."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value
    if scheme.lower() == "basic" and value:
        try:
            raw = base64.b64decode(value, validate=True)
        except binascii.Error as err:
            raise _unauthorized("The Basic credentials are not valid base64 of 'token:'.") from err
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError as err:  # before: "not valid base64", which it was
            raise _unauthorized(
                "The Basic credentials are valid base64, but what they decode to is not "
                "UTF-8 text; send base64 of 'token:' (an API token, then a colon)."
            ) from err
        user, _, _password = decoded.partition(":")
        if "@" in user:  # no token holds one: an email and its password, as curl -u sends
            # before: "The API token is not valid: it is unknown or was revoked."
            raise _unauthorized(
                "HTTP Basic here takes an API token as the user name and an empty "
                "password, not an email and a password: get a token with POST /v1/login "
                "(email and password) or 'sigopt-like tokens create', then send "
                "'Authorization: Bearer <token>'."
            )
        if user:
            return user
    raise _unauthorized(
        "The Authorization header must be 'Bearer <token>' or HTTP Basic with the "
        "token as the user name and an empty password."
    )


def _unauthorized(message: str, *, invalid: bool = True) -> Unauthorized:
    challenge = CHALLENGE + (', error="invalid_token"' if invalid else "")
    return Unauthorized(message, headers={"WWW-Authenticate": challenge})


class AuthMiddleware:
    """Resolve the caller of each routed request into ``req.context.user_id``."""

    def __init__(self, context: Any) -> None:
        self.context = context

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: object, params: dict
    ) -> None:
        """Authenticate after routing, so that unknown routes are plain 404s
        and unsupported methods plain 405s."""
        req.context.user_id = None
        req.context.token_id = None
        req.context.guest_experiment = None
        req.context.token_expires = None
        req.context.via_cookie = False
        req.context.credential_live = _always_live
        if resource is None or getattr(resource, "auth_exempt", False):
            return
        if not self.context.settings.auth_required:
            req.context.user_id = self.context.local_user_id
            return
        if not has_responder(self.context.router, req, resource):
            return  # Falcon answers 405; nothing to protect
        token = presented_token(req)
        if token is None:
            owner = self._cookie_owner(req)
            req.context.via_cookie = True
        else:
            owner = self.context.store.accounts.token_owner(token)
            if owner is not None and is_dashboard_token(owner):
                raise _unauthorized(
                    "This token belongs to a dashboard sign-in and works only in its "
                    "browser; use an API token ('sigopt-like tokens create' or POST /v1/login)."
                )
            if owner is None:
                raise _unauthorized("The API token is not valid: it is unknown or was revoked.")
        ends: int | None = None
        if owner.experiment_id is not None:
            ends = owner.ends(self.context.settings.guest_token_seconds)
            assert ends is not None  # a guest token ends
            req.context.token_expires = ends
            _require_live_guest(owner.experiment_id, ends)
            _require_guest_route(req, params, owner.experiment_id)
        elif req.context.via_cookie:
            ends = session_ends(owner, session_lifetime(self.context.settings))
        req.context.credential_live = self._liveness(owner.token_id, ends)
        req.context.user_id = owner.user_id
        req.context.token_id = owner.token_id
        req.context.guest_experiment = owner.experiment_id

    def _liveness(self, token_id: int, ends: int | None) -> Callable[[], bool]:
        """Whether the token that let a request in still would: not revoked, not past
        ``ends`` (a guest token's or a dashboard session's end; None: never ends)."""
        accounts = self.context.store.accounts

        def live() -> bool:
            if ends is not None and time.time() >= ends:
                return False
            return bool(accounts.token_is_live(token_id))

        return live

    def _cookie_owner(self, req: falcon.Request) -> TokenOwner:
        """The owner of a live dashboard session cookie, or a 401 that says what to do."""
        lifetime = session_lifetime(self.context.settings)
        found = cookie_owner(self.context.store.accounts, req, lifetime)
        if found.owner is not None:
            return found.owner
        if found.state == "expired":
            raise _unauthorized("Your dashboard session has expired: sign in again at /.")
        if found.state == "invalid":
            raise _unauthorized("The dashboard session is not valid (signed out?): sign in at /.")
        in_url = secret_query_names(req.query_string)
        if in_url:
            raise _unauthorized(
                "This request has no token in its 'Authorization' header; its URL has "
                f"{in_url[0][:40]!r}, which this service does not read: {HEADER_HINT}.",
                invalid=False,
            )
        raise _unauthorized(
            "This service needs an API token: send 'Authorization: Bearer <token>' "
            "(create one with 'sigopt-like tokens create' or POST /v1/login), "
            "or sign in to the dashboard at /.",
            invalid=False,
        )


def _always_live() -> bool:
    """The caller of an open route or of an embedded service: nothing to revoke."""
    return True


def _require_live_guest(experiment_id: int, expires: int) -> None:
    """A 401 once a guest token of ``experiment_id`` has outlived ``expires``."""
    if time.time() < expires:
        return
    when = datetime.fromtimestamp(expires, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    raise _unauthorized(
        f"This guest token of experiment {experiment_id} expired at {when}: its owner can "
        f"make another with conn.experiments({experiment_id}).tokens().create()."
    )


def _require_guest_route(req: falcon.Request, params: dict, experiment_id: int) -> None:
    """A 403 unless a guest token of ``experiment_id`` is reading that experiment."""
    template = req.uri_template or ""
    raw = params.get("eid", "")
    own = (
        template.startswith(EXPERIMENT)
        and isinstance(raw, str)
        and is_id_text(raw)
        and int(raw) == experiment_id
    )
    if req.method in GUEST_METHODS and (own or template in GUEST_ROUTES):
        return
    raise Forbidden(
        f"This is a guest token of experiment {experiment_id}: it reads that experiment "
        f"(GET /v1/experiments/{experiment_id} and what is under it) and nothing else.",
        detail={"experiment": str(experiment_id)},
    )

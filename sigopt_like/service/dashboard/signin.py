"""Cookie sign-in for the browser: ``/auth/sign-in``, ``/auth/sign-out``, ``/auth/me``.

Sign in with an email and a password (as ``POST /v1/login``) or with an API
token; either way the browser gets a new token of the dashboard's own kind in
an HttpOnly cookie (see :mod:`.cookies`), so the API token a person pasted
never sits in the browser. Attempts are limited as logins are. With auth off
(``sigopt-like dashboard`` on a local database) there is nobody to sign in:
``/auth/me`` says the local user is signed in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import falcon

from ..errors import BadRequest, Forbidden, Unauthorized
from ..http import field, read_json, reject_unknown, unknown_fields
from ..middleware.limits import count_attempt
from ..settings import ServiceSettings
from ..store.accounts import (
    DASHBOARD_TOKEN_NAME,
    MAX_EMAIL_LENGTH,
    AccountStore,
    User,
    normalize_email,
)
from .cookies import (
    clear_session_cookie,
    cookie_owner,
    csrf_matches,
    csrf_token,
    session_ends,
    session_lifetime,
    set_session_cookie,
)

MAX_SECRET_LENGTH = 1024


def render_session(
    settings: ServiceSettings, user: User | None, csrf: str | None, expires: int | None
) -> dict[str, Any]:
    """What the page needs to know about its visitor."""
    return {
        "object": "dashboard_session",
        "signed_in": user is not None,
        "auth_required": settings.auth_required,
        "actions": settings.dashboard_actions,
        "user": (
            {"object": "user", "id": str(user.id), "email": user.email, "created": user.created}
            if user is not None
            else None
        ),
        "csrf_token": csrf,
        "expires": expires,
    }


class Me:
    """GET /auth/me: who this browser is signed in as (200 either way)."""

    auth_exempt = True

    def __init__(self, context: Any) -> None:
        self._accounts: AccountStore = context.store.accounts
        self._settings: ServiceSettings = context.settings
        self._local_user_id: int = context.local_user_id
        self._local_secret: Callable[[], str] = context.browser_secret

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The signed-in user and the page's CSRF token, or ``signed_in: false``."""
        resp.set_header("Cache-Control", "no-store")
        if not self._settings.auth_required:
            user = self._accounts.user(self._local_user_id)
            resp.media = render_session(
                self._settings, user, csrf_token(self._local_secret()), None
            )
            return
        found = cookie_owner(self._accounts, req, session_lifetime(self._settings))
        if found.owner is None or found.token is None:
            if found.state != "absent":
                clear_session_cookie(req, resp)
            resp.media = render_session(self._settings, None, None, None)
            return
        user = self._accounts.user(found.owner.user_id)
        expires = session_ends(found.owner, session_lifetime(self._settings))
        resp.media = render_session(self._settings, user, csrf_token(found.token), expires)


class SignIn:
    """POST /auth/sign-in: ``{email, password}`` or ``{token}`` -> a session cookie."""

    auth_exempt = True
    idempotent_replay = False  # its answer sets a secret cookie: never stored

    def __init__(self, accounts: AccountStore, context: Any) -> None:
        self._accounts = accounts
        self._settings: ServiceSettings = context.settings
        self._limiter = context.login_limiter

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """201 with the session and ``Set-Cookie``; 401 for wrong credentials."""
        if not self._settings.auth_required:
            raise BadRequest(
                "This service runs without accounts (auth is off): there is nothing to sign "
                "in to; open the dashboard directly."
            )
        body = read_json(req)
        unknown = sorted(set(body) - {"email", "password", "token"})
        if unknown:
            raise unknown_fields(unknown, "send either 'email' and 'password', or 'token'.")
        address = req.remote_addr or "unknown"
        if "token" in body:
            if "email" in body or "password" in body:
                raise BadRequest("Send either 'email' and 'password', or 'token', not both.")
            user_id = self._by_token(field(body, "token", str, required=True), address)
        else:
            email = field(body, "email", str, required=True)
            password = field(body, "password", str, required=True)
            user_id = self._by_password(email, password, address)
        lifetime = session_lifetime(self._settings)
        issued = self._accounts.issue_token(user_id, dashboard_session=True, lifetime=lifetime)
        set_session_cookie(req, resp, issued.token, lifetime)
        resp.set_header("Cache-Control", "no-store")
        resp.status = falcon.HTTP_201
        resp.media = render_session(
            self._settings,
            self._accounts.user(user_id),
            csrf_token(issued.token),
            issued.created + lifetime,
        )

    def _by_password(self, email: str, password: str, address: str) -> int:
        if len(password) > MAX_SECRET_LENGTH:
            raise BadRequest(f"The password is longer than {MAX_SECRET_LENGTH} characters.")
        if len(email) > MAX_EMAIL_LENGTH:  # no user has one: before, a 500 on PostgreSQL
            raise BadRequest(f"The email is longer than {MAX_EMAIL_LENGTH} characters.")
        count_attempt(
            self._limiter, "sign-in", ("email", normalize_email(email)), ("addr", address)
        )
        user = self._accounts.check_password(email, password)
        if user is None:
            raise Unauthorized("The email or the password is wrong.")
        return user.id

    def _by_token(self, token: str, address: str) -> int:
        if len(token) > MAX_SECRET_LENGTH:
            raise BadRequest(f"The token is longer than {MAX_SECRET_LENGTH} characters.")
        count_attempt(self._limiter, "sign-in", ("addr", address))
        owner = self._accounts.token_owner(token.strip())
        if owner is None or owner.name == DASHBOARD_TOKEN_NAME:
            raise Unauthorized("The API token is not valid: it is unknown or was revoked.")
        if owner.experiment_id is not None:
            raise Unauthorized(
                f"This is a guest token of experiment {owner.experiment_id}: it reads that "
                "experiment through the API only, and signs nobody in."
            )
        return owner.user_id


class SignOut:
    """POST /auth/sign-out: revoke this browser's session and clear its cookie."""

    auth_exempt = True
    idempotent_replay = False

    def __init__(self, accounts: AccountStore, settings: ServiceSettings) -> None:
        self._accounts = accounts
        self._settings = settings

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """200; a live session needs the page's CSRF token (403 otherwise). No fields:
        a body, if any, is ``{}`` (the page sends that)."""
        reject_unknown(read_json(req, required=False), frozenset())
        found = cookie_owner(self._accounts, req, session_lifetime(self._settings))
        if found.owner is not None and found.token is not None:
            if not csrf_matches(req, found.token):
                raise Forbidden(
                    "Signing out from the dashboard needs its CSRF token (X-CSRF-Token).",
                    code="csrf_failed",
                )
            self._accounts.revoke_token(token_id=found.owner.token_id)
        clear_session_cookie(req, resp)
        resp.set_header("Cache-Control", "no-store")
        resp.media = render_session(self._settings, None, None, None)

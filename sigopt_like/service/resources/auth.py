"""Auth routes: POST /v1/login (email and password -> token), POST /v1/tokens."""

from __future__ import annotations

from typing import Any

import falcon

from ..errors import Unauthorized, ValidationFailed
from ..http import field, owner_id, read_json, reject_unknown
from ..middleware.limits import RateLimiter, count_attempt
from ..passwords import MAX_PASSWORD_LENGTH
from ..store.accounts import (
    MAX_EMAIL_LENGTH,
    AccountStore,
    IssuedToken,
    User,
    normalize_email,
    token_name_problem,
)

LOGIN_FIELDS = frozenset({"email", "password"})
TOKEN_FIELDS = frozenset({"name"})


def render_user(user: User) -> dict[str, Any]:
    """The API form of a user."""
    return {"object": "user", "id": str(user.id), "email": user.email, "created": user.created}


def render_token(issued: IssuedToken, user: User | None = None) -> dict[str, Any]:
    """The API form of a token just made: the only time its secret is shown."""
    body: dict[str, Any] = {
        "object": "token",
        "id": str(issued.id),
        "token": issued.token,
        "name": issued.name,
        "created": issued.created,
        "user": str(issued.user_id),
    }
    if user is not None:
        body["user"] = render_user(user)
    return body


class Login:
    """POST /v1/login: trade an email and a password for a new token."""

    #: the door leaves a too-wide integer in a field to the field's check ("must be a
    #: string"; ``..door``), not its own words about whole-number fields
    fields_judge_integers = True

    auth_exempt = True
    idempotent_replay = False  # its response holds a secret: never stored

    def __init__(self, accounts: AccountStore, limiter: RateLimiter) -> None:
        self._accounts = accounts
        self._limiter = limiter

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Rate-limited per email and per client address; a wrong password is a 401."""
        body = read_json(req)
        reject_unknown(body, LOGIN_FIELDS)
        email = field(body, "email", str, required=True)
        password = field(body, "password", str, required=True)
        if len(password) > MAX_PASSWORD_LENGTH:
            raise ValidationFailed(
                f"The password is longer than {MAX_PASSWORD_LENGTH} characters.",
                [{"message": "too long", "row": None, "column": None, "field": "password"}],
            )
        if len(email) > MAX_EMAIL_LENGTH:  # no user has one: before, a 500 on PostgreSQL
            raise ValidationFailed(
                f"The email is longer than {MAX_EMAIL_LENGTH} characters.",
                [{"message": "too long", "row": None, "column": None, "field": "email"}],
            )
        address = req.remote_addr or "unknown"
        count_attempt(self._limiter, "login", ("email", normalize_email(email)), ("addr", address))
        user = self._accounts.check_password(email, password)
        if user is None:
            raise Unauthorized("The email or the password is wrong.")
        issued = self._accounts.issue_token(user.id, name="login")
        resp.status = 201
        resp.media = render_token(issued, user)


class Tokens:
    """POST /v1/tokens: another token for the caller."""

    #: the door leaves a too-wide integer in a field to the field's check ("must be a
    #: string"; ``..door``), not its own words about whole-number fields
    fields_judge_integers = True

    idempotent_replay = False  # its response holds a secret: never stored

    def __init__(self, accounts: AccountStore) -> None:
        self._accounts = accounts

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Body (optional): ``{"name": "..."}``."""
        body = read_json(req, required=False)
        reject_unknown(body, TOKEN_FIELDS)
        name = field(body, "name", str)
        problem = token_name_problem(name)
        if problem is not None:
            raise ValidationFailed(
                f"Not a usable token name: {problem}.",
                [{"message": problem, "row": None, "column": None, "field": "name"}],
            )
        user_id = owner_id(req)
        issued = self._accounts.issue_token(user_id, name=name)
        user = self._accounts.user(user_id)
        resp.status = 201
        resp.media = render_token(issued, user)


def register(app: falcon.App, context: Any) -> None:
    """Add this family's routes to the app."""
    accounts = context.store.accounts
    app.add_route("/v1/login", Login(accounts, context.login_limiter))
    app.add_route("/v1/tokens", Tokens(accounts))

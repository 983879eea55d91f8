"""Users and API tokens: creation, lookup, revocation.

A token is ``"slk_" + secrets.token_urlsafe(32)``; only its SHA-256 hash is
stored, so the token itself is shown once, when it is made, and never again. The
prefix names what the secret is (secret scanners match such prefixes) and keeps a
token from starting with ``-``: ``token_urlsafe`` starts one in 64 tokens with it,
and a command line (``sigopt-like tokens revoke TOKEN``) then reads it as an option.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import time
import unicodedata

import attrs
import idna
import sqlalchemy as sa

from ..passwords import hash_password, verify_password
from . import schema
from .database import Database, PointQuery, translate_errors
from .db import LOCAL_USER_EMAIL
from .errors import Invalid

U = schema.users
TK = schema.tokens
META = schema.meta

#: the ``meta`` row holding the dashboard's CSRF secret when the service needs no token
BROWSER_SECRET_KEY = "browser_secret"
TOKEN_PREFIX = "slk_"

MAX_EMAIL_LENGTH = 320
MAX_LOCAL_PART = 64
MAX_TOKEN_NAME = 200


@attrs.frozen
class User:
    """A user of the service."""

    id: int
    email: str
    created: int


@attrs.frozen
class IssuedToken:
    """A token just made: ``token`` is the secret, shown only this once."""

    id: int
    user_id: int
    token: str
    name: str | None
    created: int
    expires: int | None = None


@attrs.frozen
class TokenOwner:
    """Who a presented token belongs to; ``experiment_id`` for a guest token, which
    reads that SigOpt experiment only."""

    token_id: int
    user_id: int
    name: str | None = None
    created: int = 0
    experiment_id: int | None = None
    expires: int | None = None

    def ends(self, lifetime: int) -> int | None:
        """When a guest token or a dashboard sign-in ends (see :func:`token_ends`)."""
        return token_ends(self.name, self.experiment_id, self.created, self.expires, lifetime)


@attrs.frozen
class TokenInfo:
    """A token as an operator sees it: never the token itself nor its hash."""

    id: int
    email: str
    name: str | None
    created: int
    revoked: bool
    experiment_id: int | None = None
    expires: int | None = None


def token_ends(
    name: str | None, experiment_id: int | None, created: int, expires: int | None, lifetime: int
) -> int | None:
    """When a token ends: as fixed at its making (a guest token's, a dashboard sign-in's),
    else, for a guest token made before revision 0010 or a sign-in made before its end was
    kept with it, ``lifetime`` seconds (its kind's lifetime now) after its making; None for
    an API token, which does not end. Before, a sign-in was judged by its making and the
    lifetime of the day alone, so one kept its end in the token list and another in use.
    An API token's row holding an end (none is made so: :meth:`Accounts.issue_token`
    refuses one) does not make it end: before, ``tokens list`` called it "(expired)" while
    the service still let it in."""
    if experiment_id is None and name != DASHBOARD_TOKEN_NAME:
        return None
    if expires is not None:
        return expires
    return created + lifetime


class AccountError(Invalid):
    """A user or token operation that cannot be done (unknown user, duplicate email)."""


def hash_token(token: str) -> str:
    """The stored form of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def email_problem(email: str) -> str | None:
    """Why ``email`` (normalised) cannot name a user, or None.

    An email here names an account and is never sent to, so the rule is only what an
    address needs to be one: a local part (at most 64 characters) and a domain that is
    a host name (labels of 1-63 letters, digits or hyphens, as IDNA encodes them; an
    internal ``lab.local`` or ``localhost`` is fine) or an address literal
    (``[192.0.2.1]``); no spaces or control characters. The last ``@`` splits them, as
    a quoted local part may hold one. ``email-validator`` refuses ``localhost`` and
    other special-use names that a lab's own network uses, hence this check.
    """
    if not email or len(email) > MAX_EMAIL_LENGTH:
        return f"an email has 1 to {MAX_EMAIL_LENGTH} characters"
    if any(unicodedata.category(ch)[0] in "CZ" for ch in email):
        return "an email has no spaces, control characters or bytes that are not UTF-8 text"
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain:
        return "an email is local-part@domain, e.g. alice@lab.example"
    if len(local) > MAX_LOCAL_PART:
        return f"the part before the @ has at most {MAX_LOCAL_PART} characters"
    if domain.startswith("[") and domain.endswith("]"):
        try:
            ipaddress.ip_address(domain[1:-1].removeprefix("ipv6:"))
        except ValueError:
            return f"{domain} is not an address literal"
        return None
    try:
        idna.encode(domain, uts46=True)
    except (idna.IDNAError, UnicodeError) as err:
        return f"{domain!r} is not a host name ({err})"
    return None


#: the name that marks a dashboard sign-in's token: it works only as the browser's cookie
#: and ends after the sign-in's hours, so no token made another way may take it
DASHBOARD_TOKEN_NAME = "dashboard session"


def token_name_problem(name: str | None) -> str | None:
    """Why ``name`` cannot label a token, or None. Before, ``tokens create --name
    "dashboard session"`` (or ``POST /v1/tokens`` so named) printed a token that every
    API call refused as a dashboard sign-in's, and that a cookie took as one."""
    if name is None:
        return None
    if name.strip().casefold() == DASHBOARD_TOKEN_NAME:
        return (
            f"{name!r} is the name of the dashboard's sign-in tokens, which work only in a "
            "browser; choose another"
        )
    if len(name) > MAX_TOKEN_NAME:
        return f"a token name has at most {MAX_TOKEN_NAME} characters"
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return "a token name has no control characters"
    return None


class AccountStore:
    """Users, their passwords and their tokens."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._token = PointQuery(
            database,
            sa.select(
                TK.c.id,
                TK.c.user_id,
                TK.c.token_hash,
                TK.c.name,
                TK.c.created,
                TK.c.experiment_id,
                TK.c.expires,
            ).where(TK.c.token_hash == sa.bindparam("digest"), TK.c.revoked.is_(False)),
        )
        self._live_token = PointQuery(
            database,
            sa.select(TK.c.id).where(TK.c.id == sa.bindparam("id"), TK.c.revoked.is_(False)),
        )

    def create_user(self, email: str, password: str | None = None) -> User:
        """Create a user; AccountError if the email is malformed or taken."""
        now = int(time.time())
        email = normalize_email(email)
        problem = email_problem(email)
        if problem is not None:
            raise AccountError(f"Not a usable email address: {email!r}: {problem}.")
        password_hash = hash_password(password) if password else None
        try:
            with self._db.write() as conn:
                key = conn.execute(
                    U.insert().values(email=email, password_hash=password_hash, created=now)
                ).inserted_primary_key
        except sa.exc.IntegrityError as err:
            raise AccountError(f"A user with email {email!r} already exists.") from err
        assert key is not None
        return User(id=int(key[0]), email=email, created=now)

    def find_user(self, email: str) -> User | None:
        """The user with this email, or None."""
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(U.c.id, U.c.email, U.c.created).where(U.c.email == normalize_email(email))
            ).first()
        return User(*row) if row is not None else None

    def user(self, user_id: int) -> User:
        """The user with this id (it must exist)."""
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(U.c.id, U.c.email, U.c.created).where(U.c.id == user_id)
            ).one()
        return User(*row)

    def local_user_id(self) -> int:
        """The id of the user that owns everything in embedded mode."""
        with self._db.read() as conn:
            return int(
                conn.execute(sa.select(U.c.id).where(U.c.email == LOCAL_USER_EMAIL)).scalar_one()
            )

    def browser_secret(self) -> str:
        """The secret of a token-less dashboard's CSRF token: made once per database and
        kept in it, so that every process on the database (gunicorn workers, ``serve``
        processes side by side) signs and checks the same token.

        Made on a connection of its own, never inside the caller's transaction (a
        rolled-back request must not take back a secret a page was already given); two
        processes making it at once both end up with the first one stored.
        """
        select = sa.select(META.c.value).where(META.c.key == BROWSER_SECRET_KEY)
        with self._db.read() as conn:
            found = conn.execute(select).scalar()
        if found is not None:
            return str(found)
        try:
            with (
                translate_errors(self._db),
                self._db.connect(write=True) as conn,
                conn.begin(),
            ):
                conn.execute(
                    META.insert().values(key=BROWSER_SECRET_KEY, value=secrets.token_urlsafe(32))
                )
        except sa.exc.IntegrityError:
            pass  # another process stored it first: use theirs
        with self._db.read() as conn:
            return str(conn.execute(select).scalar_one())

    def set_password(self, email: str, password: str) -> None:
        """Replace a user's password; AccountError if there is no such user (the local
        user, whom nobody signs in as, is none)."""
        with self._db.write() as conn:
            done = conn.execute(
                U.update()
                .where(U.c.email == normalize_email(email), U.c.email != LOCAL_USER_EMAIL)
                .values(password_hash=hash_password(password))
            ).rowcount
        if not done:
            raise AccountError(f"No user with email {email!r}.")

    def check_password(self, email: str, password: str) -> User | None:
        """The user if ``password`` is theirs, else None (same cost either way)."""
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(U.c.id, U.c.email, U.c.created, U.c.password_hash).where(
                    U.c.email == normalize_email(email)
                )
            ).first()
        stored = row.password_hash if row is not None else None
        if verify_password(password, stored) and row is not None:
            return User(row.id, row.email, row.created)
        return None

    def issue_token(
        self,
        user_id: int,
        name: str | None = None,
        *,
        experiment_id: int | None = None,
        lifetime: int | None = None,
        dashboard_session: bool = False,
    ) -> IssuedToken:
        """Make a new token for a user; its secret is in the result, only its hash is kept.
        With ``experiment_id``, a guest token: it reads that SigOpt experiment only; with
        ``lifetime`` (seconds) it ends that long after its making, whatever comes later;
        with ``dashboard_session``, a dashboard sign-in's (named
        :data:`DASHBOARD_TOKEN_NAME`, which no other token may take).
        AccountError if the name is too long, holds control characters or is that one,
        or if an API token (neither) is given a ``lifetime``: an API token does not end
        (:func:`token_ends`), and before, one was made with an end no request honoured."""
        if lifetime is not None and experiment_id is None and not dashboard_session:
            raise AccountError(
                "An API token does not end: give no lifetime (revoke it to end it), or make "
                "a guest token (experiment_id) or a dashboard sign-in."
            )
        if dashboard_session:
            name = DASHBOARD_TOKEN_NAME
        else:
            problem = token_name_problem(name)
            if problem is not None:
                raise AccountError(f"Not a usable token name: {problem}.")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = int(time.time())
        expires = None if lifetime is None else now + lifetime
        with self._db.write() as conn:
            key = conn.execute(
                TK.insert().values(
                    user_id=user_id,
                    token_hash=hash_token(token),
                    name=name,
                    created=now,
                    revoked=False,
                    experiment_id=experiment_id,
                    expires=expires,
                )
            ).inserted_primary_key
        assert key is not None
        return IssuedToken(
            id=int(key[0]), user_id=user_id, token=token, name=name, created=now, expires=expires
        )

    def token_owner(self, token: str) -> TokenOwner | None:
        """Who owns a live (not revoked) token, or None."""
        digest = hash_token(token)
        row = self._token.one(digest=digest)  # every served request: a precompiled read
        if row is None or not hmac.compare_digest(row[2], digest):
            return None
        return TokenOwner(
            token_id=int(row[0]),
            user_id=int(row[1]),
            name=row[3],
            created=int(row[4]),
            experiment_id=None if row[5] is None else int(row[5]),
            expires=None if row[6] is None else int(row[6]),
        )

    def token_is_live(self, token_id: int) -> bool:
        """True while the token with this id exists and is not revoked (a long answer,
        such as an event stream, asks again while it runs)."""
        return self._live_token.one(id=token_id) is not None

    def revoke_token(
        self,
        *,
        token: str | None = None,
        token_id: int | None = None,
        email: str | None = None,
    ) -> int:
        """Revoke a token (by secret or id) or every token of a user; the number revoked."""
        condition: sa.ColumnElement[bool]
        if token is not None:
            condition = TK.c.token_hash == hash_token(token)
        elif token_id is not None:
            condition = TK.c.id == token_id
        elif email is not None:
            user = self.find_user(email)
            if user is None:
                raise AccountError(f"No user with email {email!r}.")
            condition = TK.c.user_id == user.id
        else:
            raise AccountError("Say which token to revoke: the token, its id or the user's email.")
        with self._db.write() as conn:
            return conn.execute(
                TK.update().where(condition, TK.c.revoked.is_(False)).values(revoked=True)
            ).rowcount

    def list_users(self) -> list[User]:
        """Every user, oldest first; not the local user that owns embedded (and --no-auth) work."""
        query = (
            sa.select(U.c.id, U.c.email, U.c.created)
            .where(U.c.email != LOCAL_USER_EMAIL)
            .order_by(U.c.id)
        )
        with self._db.read() as conn:
            return [User(*row) for row in conn.execute(query).all()]

    def list_tokens(self, *, email: str | None = None) -> list[TokenInfo]:
        """Every token (or a user's), oldest first, without the secret or its hash."""
        query = (
            sa.select(
                TK.c.id,
                U.c.email,
                TK.c.name,
                TK.c.created,
                TK.c.revoked,
                TK.c.experiment_id,
                TK.c.expires,
            )
            .join(U, U.c.id == TK.c.user_id)
            .order_by(TK.c.id)
        )
        if email is not None:
            user = self.find_user(email)
            if user is None:
                raise AccountError(f"No user with email {email!r}.")
            query = query.where(TK.c.user_id == user.id)
        with self._db.read() as conn:
            rows = conn.execute(query).all()
        return [
            TokenInfo(
                id=int(r.id),
                email=r.email,
                name=r.name,
                created=int(r.created),
                revoked=bool(r.revoked),
                experiment_id=r.experiment_id,
                expires=r.expires,
            )
            for r in rows
        ]

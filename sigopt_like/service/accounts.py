"""Users and API tokens: creation, lookup, revocation.

A token is ``secrets.token_urlsafe(32)``; only its SHA-256 hash is stored, so
the token itself is shown once, when it is made, and never again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import attrs
import sqlalchemy as sa

from .passwords import hash_password, verify_password
from .store import schema

MAX_EMAIL_LENGTH = 320


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


@attrs.frozen
class TokenOwner:
    """Who a presented token belongs to."""

    token_id: int
    user_id: int


class AccountError(ValueError):
    """A user or token operation that cannot be done (unknown user, duplicate email)."""


def hash_token(token: str) -> str:
    """The stored form of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def _new_id(result: sa.CursorResult) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _user(row: sa.Row) -> User:
    return User(id=int(row.id), email=row.email, created=int(row.created))


def create_user(engine: sa.Engine, email: str, password: str | None = None) -> User:
    """Create a user; AccountError if the email is malformed or taken."""
    email = normalize_email(email)
    if not email or "@" not in email or len(email) > MAX_EMAIL_LENGTH:
        raise AccountError(f"Not a usable email address: {email!r}.")
    password_hash = hash_password(password) if password else None
    now = int(time.time())
    try:
        with engine.begin() as conn:
            uid = _new_id(
                conn.execute(
                    schema.users.insert().values(
                        email=email, password_hash=password_hash, created=now
                    )
                )
            )
    except sa.exc.IntegrityError as err:
        raise AccountError(f"A user with email {email!r} already exists.") from err
    return User(id=int(uid), email=email, created=now)


def find_user(engine: sa.Engine, email: str) -> User | None:
    """The user with this email, or None."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(schema.users).where(schema.users.c.email == normalize_email(email))
        ).first()
    return _user(row) if row is not None else None


def get_user(conn: sa.Connection, user_id: int) -> User:
    """The user with this id (it must exist)."""
    row = conn.execute(sa.select(schema.users).where(schema.users.c.id == user_id)).one()
    return _user(row)


def set_password(engine: sa.Engine, email: str, password: str) -> None:
    """Replace a user's password; AccountError if there is no such user."""
    with engine.begin() as conn:
        done = conn.execute(
            schema.users.update()
            .where(schema.users.c.email == normalize_email(email))
            .values(password_hash=hash_password(password))
        ).rowcount
    if not done:
        raise AccountError(f"No user with email {email!r}.")


def check_password(engine: sa.Engine, email: str, password: str) -> User | None:
    """The user if ``password`` is theirs, else None (same cost either way)."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(schema.users).where(schema.users.c.email == normalize_email(email))
        ).first()
    stored = row.password_hash if row is not None else None
    if verify_password(password, stored) and row is not None:
        return _user(row)
    return None


def issue_token(engine: sa.Engine, user_id: int, name: str | None = None) -> IssuedToken:
    """Make a new token for a user; its secret is in the result, only its hash is kept."""
    token = secrets.token_urlsafe(32)
    now = int(time.time())
    with engine.begin() as conn:
        tid = _new_id(
            conn.execute(
                schema.tokens.insert().values(
                    user_id=user_id,
                    token_hash=hash_token(token),
                    name=name,
                    created=now,
                    revoked=False,
                )
            )
        )
    return IssuedToken(id=int(tid), user_id=user_id, token=token, name=name, created=now)


def lookup_token(conn: sa.Connection, token: str) -> TokenOwner | None:
    """Who owns a live (not revoked) token, or None."""
    digest = hash_token(token)
    row = conn.execute(
        sa.select(schema.tokens.c.id, schema.tokens.c.user_id, schema.tokens.c.token_hash).where(
            schema.tokens.c.token_hash == digest, schema.tokens.c.revoked.is_(False)
        )
    ).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return TokenOwner(token_id=int(row.id), user_id=int(row.user_id))


def revoke_token(
    engine: sa.Engine,
    *,
    token: str | None = None,
    token_id: int | None = None,
    email: str | None = None,
) -> int:
    """Revoke a token (by secret or id) or every token of a user; the number revoked."""
    condition: sa.ColumnElement[bool]
    if token is not None:
        condition = schema.tokens.c.token_hash == hash_token(token)
    elif token_id is not None:
        condition = schema.tokens.c.id == token_id
    elif email is not None:
        user = find_user(engine, email)
        if user is None:
            raise AccountError(f"No user with email {email!r}.")
        condition = schema.tokens.c.user_id == user.id
    else:
        raise AccountError("Say which token to revoke: the token, its id or the user's email.")
    with engine.begin() as conn:
        return conn.execute(
            schema.tokens.update()
            .where(condition, schema.tokens.c.revoked.is_(False))
            .values(revoked=True)
        ).rowcount

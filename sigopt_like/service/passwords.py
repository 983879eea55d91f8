"""Password hashing: scrypt with a per-user salt, compared in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

#: the shortest password a person may choose: NIST SP 800-63B's minimum for passwords
#: people choose (8 characters). Nothing else is asked of them (no character classes):
#: the same guideline finds such rules make passwords no stronger.
MIN_PASSWORD_LENGTH = 8
#: the longest password a sign-in takes (POST /v1/login, the dashboard): a longer one set
#: with ``users create`` could never be used
MAX_PASSWORD_LENGTH = 1024

# scrypt cost: 16 MiB of memory and a few tens of milliseconds per hash.
_N, _R, _P, _DKLEN = 2**14, 8, 1, 32
_MAXMEM = 64 * 1024 * 1024
_SALT_BYTES = 16


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=dklen, maxmem=_MAXMEM
    )


def hash_password(password: str) -> str:
    """A storable hash of ``password``: ``scrypt$n$r$p$salt$hash`` (salt random per call)."""
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(password, salt, _N, _R, _P, _DKLEN)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored``; False for a missing or unreadable hash.

    Without a stored hash a dummy hash is still computed, so that the time taken
    does not tell whether the account exists.
    """
    if not stored:
        _scrypt(password, b"\0" * _SALT_BYTES, _N, _R, _P, _DKLEN)
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        actual = _scrypt(password, _unb64(salt), int(n), int(r), int(p), len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def password_problem(password: str) -> str | None:
    """What is wrong with ``password`` as one a person chooses, if something is."""
    if not password:
        return "the password is empty"
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:  # bytes of another encoding, read as lone surrogates
        return "the password is not UTF-8 text (type it in a UTF-8 terminal, or save it as UTF-8)"
    if "\x00" in password:  # no login could send it: JSON bodies with NUL are refused
        return "the password holds a NUL character, which no sign-in can send"
    if len(password) > MAX_PASSWORD_LENGTH:
        return (
            f"the password is longer than {MAX_PASSWORD_LENGTH:,} characters, the most a "
            "sign-in takes; choose a shorter one"
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        return (
            f"the password has {len(password)} characters; choose one of at least "
            f"{MIN_PASSWORD_LENGTH} (a few words are easy to remember)"
        )
    return None

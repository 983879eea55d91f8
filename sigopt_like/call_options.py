"""One call's options (``request_timeout``, ``headers``, ``idempotency_key``), checked before
anything is sent: the wrong kind is a TypeError, a value no request can carry a
RequestEncodingError or a ValueError, each naming the option.

Before, such values reached requests, urllib3 or (embedded) the service, whose errors named
neither the option nor the call (an InvalidHeader, an OverflowError, a 500).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import _constants as C
from .errors import RequestEncodingError


def check_timeout(value: Any, name: str = "timeout") -> float | tuple[float, float] | None:
    """``value`` if it is None, a number of seconds or a (connect, read) pair of them,
    each above 0 and at most ``MAX_TIMEOUT``; else a TypeError (not a number) or a
    ValueError (out of range). Before, ``request_timeout="5"``, NaN, 0 or ``2**70`` reached
    urllib3 or the socket layer (a ValueError or an OverflowError naming neither the
    argument nor the call), and an embedded Connection took them without a word."""
    if value is None:
        return None
    parts = value if isinstance(value, (tuple, list)) else (value,)
    if isinstance(value, (tuple, list)) and len(value) != 2:
        raise TypeError(
            f"{name} must be seconds or a (connect, read) pair of seconds, not {value!r}"
        )
    for part in parts:
        if isinstance(part, bool) or not isinstance(part, (int, float)):
            raise TypeError(
                f"{name} must be seconds or a (connect, read) pair of seconds, not {value!r}"
            )
        if not 0 < part <= C.MAX_TIMEOUT:  # NaN fails this too
            raise ValueError(
                f"{name} must be above 0 and at most {C.MAX_TIMEOUT:.0f} seconds (a year), "
                f"not {value!r}"
            )
    if isinstance(value, (tuple, list)):
        return (float(value[0]), float(value[1]))
    return float(value)


def check_idempotency_key(key: Any) -> str | None:
    """The caller's Idempotency-Key: None (a fresh one per call) or text a header carries.

    Before, an int, a list or a lone surrogate reached requests (its InvalidHeader or a
    UnicodeEncodeError) or, embedded, the service (a 500), and ``""`` was swapped for a
    fresh key without a word, so the call was not the replay it was meant to be.
    """
    if key is None:
        return None
    if not isinstance(key, str):
        raise TypeError(
            f"idempotency_key must be text (a str), not {type(key).__name__} {key!r}: "
            "str() it, e.g. idempotency_key=str(run_id)"
        )
    if not key.strip():
        raise ValueError(
            "idempotency_key is blank; give text that names this call (or None for a "
            "fresh key per call)"
        )
    if len(key) > C.MAX_IDEMPOTENCY_KEY_LENGTH:
        # before: sent, and the service's 400 came back naming its header, not the argument
        raise ValueError(
            f"idempotency_key has {len(key):,} characters; the service takes at most "
            f"{C.MAX_IDEMPOTENCY_KEY_LENGTH} (a hash of a longer name fits). Nothing was sent."
        )
    _check_header_text("Idempotency-Key", key, "idempotency_key")
    return key


def check_headers(headers: Any) -> dict[str, str]:
    """Extra request headers: a mapping of text to text that HTTP can carry."""
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise TypeError(
            f"headers must be a dict of header names to values, not {type(headers).__name__} "
            f"{headers!r}"
        )
    out = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError(
                f"headers must map text to text; {name!r}: {value!r} is "
                f"{type(name).__name__}: {type(value).__name__} (str() the value)"
            )
        _check_header_text(name, name, f"headers[{name!r}]")
        _check_header_text(name, value, f"headers[{name!r}]")
        out[name] = value
    return out


def _check_header_text(header: str, text: str, field: str) -> None:
    for at, ch in enumerate(text, start=1):
        if ord(ch) < 32 or ord(ch) == 127 or ord(ch) > 255:
            what = (
                "a lone UTF-16 surrogate"
                if "\ud800" <= ch <= "\udfff"
                else "a control character (a line break, a NUL, ...)"
                if ord(ch) < 32 or ord(ch) == 127
                else "a character beyond Latin-1"
            )
            raise RequestEncodingError(
                f"The header {header!r} ({field}) holds {what}, U+{ord(ch):04X} at character "
                f"{at}, which no HTTP header can carry. Nothing was sent.",
                field=field,
            )

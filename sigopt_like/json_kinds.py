"""What a decoded JSON value is, in JSON's words ("an object", "a number"), for messages
that tell a person what they sent instead of what was expected.

And what was sent, written as a JSON body writes it (:func:`json_written`).

One function for the service's SigOpt checks and the tables' readers: each had its own
copy, one saying "text" and the other "a string" of the same value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def json_kind(value: Any) -> str:
    """``"null"``, ``"a boolean"``, ``"a string"``, ``"a number"``, ``"an object"``,
    ``"a list"``, or the Python type's name for anything JSON cannot hold."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__


def json_written(value: Any) -> str:
    """``value`` as a JSON body writes it (``null``, ``true``, ``"7"``, ``{"a": 1}``), for a
    message quoting what was sent; what would not print (a line separator, a control or
    format character, a lone surrogate) as JSON's ``\\uXXXX`` escape, so that a quoted
    text cannot break the lines of whoever reads the message (Python's repr escaped
    them too, but wrote ``'7'`` and ``None``, which no JSON body writes)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escaped(char) for char in text)


def _escaped(char: str) -> str:
    """A character as JSON's escape: one ``\\uXXXX``, or two (a surrogate pair) past
    U+FFFF."""
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"

"""What a decoded JSON value is, in JSON's words ("an object", "a number"), for messages
that tell a person what they sent instead of what was expected.

And what was sent, written as a JSON body writes it (:func:`json_written`; cut, for a
refusal, by :func:`json_shown` and :func:`json_written_short`): the one way every
refusal quotes a client's name or value, a body's or a query parameter's (a query
parameter's refusal cuts the text with ``csvio.clip`` first, showing its two ends and its
length, as it did). The door had a second helper, ``json_text``, which made the text
printable with ``backslashreplace`` before JSON escaped it again (a NUL would have shown
as ``"\\\\u0000"``, not ``"\\u0000"``); the door refuses a NUL and a lone surrogate in a
query before any refusal quotes it, so its callers show the same through this one.

One function for the service's SigOpt checks and the tables' readers: each had its own
copy, one saying "text" and the other "a string" of the same value.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from typing import Any

from ._constants import MOST_DIGITS
from .csvio import clip_int, digits_shown, int_digits


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
    return escaped_unprintable(_dumped(value))


#: a run of digits longer than an int a message shows whole (``MOST_DIGITS``), in JSON text
_LONG_DIGITS = re.compile(rf"\d{{{MOST_DIGITS + 1}}}")


def _dumped(value: Any) -> str:
    """``value`` as JSON text for a message (:func:`_dumped_counted`'s text)."""
    return _dumped_counted(value)[0]


def _dumped_counted(value: Any) -> tuple[str, int | None]:
    """``value`` as JSON text for a message, whatever a Python caller put in it, and how
    many characters of JSON the value itself writes (None for one that holds itself): an
    int of more than ``MOST_DIGITS`` digits (``10**100``; ``10**5000``, more than Python
    converts) as its first digits and its count (``csvio.clip_int``, the one form of every
    message; one of 41 to 4,300 digits was cut as text, ``(101 characters of JSON)``), a
    list or an object that holds itself as ``[...]`` or ``{...}``,
    and a value JSON cannot hold as its text (``str``), or its type's name when that
    raises. Before, the first two raised Python's own ValueError ("Exceeds the limit
    (4300 digits) for integer string conversion", "Circular reference detected") from
    the refusal that quoted them, and the last the object's own error.

    The count is that of the value, not of its shortened text: ``[10**100] * 3`` writes
    309 characters of JSON, shown in 150 (a cut refusal said "150 characters of JSON")."""
    written = getattr(value, "written", None) if isinstance(value, float) else None
    if isinstance(written, str):  # the service's WideInteger: an integer the door read as a
        # double, as the body wrote it (a 5,000-digit one showed as Infinity, never sent)
        return digits_shown(written), len(written)
    if isinstance(value, int) and not isinstance(value, bool):
        # a long one in the one form of every message
        return clip_int(value), int_digits(value) + (value < 0)
    try:
        text = json.dumps(value, ensure_ascii=False, default=_text_of)
    except Exception:  # retried below, then shown by its kind
        pass
    else:
        if not _LONG_DIGITS.search(text):
            return text, len(text)  # else an int of more than MOST_DIGITS digits may be inside
    shown: dict[str, tuple[str, int | None]] = {}
    marker = f"wide-{secrets.token_hex(8)}-"
    try:
        text = json.dumps(
            _quotable(value, shown, marker, set()), ensure_ascii=False, default=_text_of
        )
    except Exception:  # nested past Python's stack, or a mapping whose items() raise
        kind = json_kind(value)
        return kind, len(kind)
    count: int | None = len(text)
    for key, (written, size) in shown.items():
        quoted = json.dumps(key)
        text = text.replace(quoted, written)
        count = None if count is None or size is None else count - len(quoted) + size
    return text, count


def _quotable(
    value: Any, shown: dict[str, tuple[str, int | None]], marker: str, path: set[int]
) -> Any:
    """``value`` with each int past ``MOST_DIGITS`` digits and each list or object inside
    itself replaced by a marker string, whose JSON ``shown`` maps to what it shows and to
    how many characters of JSON it stands for (None: a value inside itself)."""
    if isinstance(value, int) and not isinstance(value, bool):
        short = clip_int(value)  # int's own digits: an int subclass's __str__ is not run
        if "..." not in short:  # at most MOST_DIGITS digits, whole
            return value
        key = f"{marker}{len(shown)}"
        shown[key] = (short, int_digits(value) + (value < 0))
        return key
    if not isinstance(value, (Mapping, list, tuple)):
        return value
    if id(value) in path:
        key = f"{marker}{len(shown)}"
        shown[key] = ("{...}" if isinstance(value, Mapping) else "[...]", None)
        return key
    path.add(id(value))
    try:
        if isinstance(value, Mapping):
            return {
                _quotable_key(k, shown, marker): _quotable(v, shown, marker, path)
                for k, v in value.items()
            }
        return [_quotable(item, shown, marker, path) for item in value]
    finally:
        path.discard(id(value))


def _quotable_key(key: Any, shown: dict[str, tuple[str, int | None]], marker: str) -> Any:
    """An object's key as JSON can write it: a key JSON takes as it is, an int of more
    than ``MOST_DIGITS`` digits as a marker for its first digits and its count, quoted,
    and another as its text (a tuple key made ``json.dumps`` raise a TypeError). A key is
    text in JSON, so a long int's is quoted as a short one's is (``{"10000000000000000000...
    (a number of 42 digits)": 1}``); before, it was written bare, ``{10000000000000000000...
    (a number of 42 digits): 1}``, as no JSON object writes a key."""
    if key is None or isinstance(key, (str, float, bool)):
        return key
    if isinstance(key, int):
        short = clip_int(key)  # int's own digits: an int subclass's __str__ is not run
        if "..." not in short:  # at most MOST_DIGITS digits: JSON quotes it, as it is
            return key
        marked = f"{marker}{len(shown)}"
        shown[marked] = (json.dumps(short), int_digits(key) + (key < 0) + 2)
        return marked
    return _text_of(key)


def _text_of(value: Any) -> str:
    """A value JSON cannot hold, for a message: its text, or its type's name when its
    ``__str__`` raises."""
    try:
        return str(value)
    except Exception:  # a caller's object; its own error is not the refusal's
        return f"a {type(value).__name__} object"


def escaped_unprintable(text: str) -> str:
    """``text`` (JSON) with each character that would not print written as JSON's
    ``\\uXXXX`` escape: a line separator, a control or format character, a surrogate."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escaped(char) for char in text)


#: the end of a JSON text cut inside an escape (a backslash alone, ``\\u`` with fewer than
#: four digits, or the first of a surrogate pair's two), after any number of whole
#: ``\\\\`` (an escaped backslash)
_CUT_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\(?:u[0-9a-fA-F]{0,3}|u[dD][89abAB][0-9a-fA-F]{2})?$")


def json_written_short(value: Any, limit: int) -> str:
    """:func:`json_written` of ``value`` in at most ``limit`` characters, never cut inside
    an escape; only the characters that can show are escaped, so that a long value costs
    no more than a short one (escaping a megabyte of line separators, one character at a
    time, took a second a refusal).

    Cut, it says so after the value, as ``csvio.clip`` and :func:`path_key` do: a text
    keeps both its quotes around its two ends, with its length (``"nnn...nnn" (300
    characters)``); a list or an object shows its start and its closing bracket, with the
    length of its JSON (``["a", "b", ...] (5,000 characters of JSON)``). Before, a cut
    text showed its opening quote and no closing one (``"nnn...``), which read as a text
    ending in three dots."""
    text, count = _dumped_counted(value)
    shown = escaped_unprintable(text[: limit + 1])
    if len(shown) <= limit:
        return shown
    if isinstance(value, str):
        suffix = f" ({len(value):,} characters)"
        tail = '"'
        for char in reversed(value[-10:]):
            piece = escaped_unprintable(json.dumps(char, ensure_ascii=False)[1:-1])
            if len(tail) + len(piece) > 11 and len(tail) > 1:  # one character at least
                break
            tail = piece + tail
        head = _cut(shown, limit - len(suffix) - len(tail) - 3)
        return f"{head}...{tail}{suffix}"
    # the count of the value's own JSON, not of its shortened text; one inside itself
    # has none, and shows how much of it was written here
    suffix = (
        f" ({len(text):,} characters as written here)"
        if count is None
        else f" ({count:,} characters of JSON)"
    )
    close = "}" if text.startswith("{") else "]" if text.startswith("[") else ""
    return f"{_cut(shown, limit - len(suffix) - len(close) - 3)}...{close}{suffix}"


def _cut(shown: str, length: int) -> str:
    """The first ``length`` characters of JSON text, fewer when that would end inside an
    escape: twice, since cutting a pair's second escape short leaves its first alone
    (``\\udb40\\udc0`` to ``\\udb40``, half of a character)."""
    return _CUT_ESCAPE.sub(r"\1", _CUT_ESCAPE.sub(r"\1", shown[: max(length, 1)]))


#: how many characters of a client's key a field path shows (:func:`path_key`)
PATH_KEY_LIMIT = 100


def path_key(key: str) -> str:
    """A client's key as a field path shows it (the ``x`` of ``'assignments.x'``): as
    sent, but with a backslash doubled and each character that would not print (a line
    separator, a control or format character, a lone surrogate) written as JSON's
    ``\\uXXXX``, as :func:`json_written` writes them; a path in a message quoted the
    key raw (``'assignments.x<U+2028>y'`` broke the line of whoever read it, and an
    ``ESC`` or a U+202E reached their terminal). The backslash is doubled so that a key
    holding the six characters ``\\u2028`` is not shown as the one U+2028.

    A key that would show more than :data:`PATH_KEY_LIMIT` characters is shown by its
    ends and its length (``kkk...kkk (300 characters)``), cut between characters, never
    inside an escape: whole, a long key made the message pass the error layer's limit,
    which cut it in the middle of its sentence."""
    if len(key) <= PATH_KEY_LIMIT:
        shown = _path_shown(key)
        if len(shown) <= PATH_KEY_LIMIT:
            return shown
    head = _shown_within(key[: PATH_KEY_LIMIT - 20], PATH_KEY_LIMIT - 20)
    tail = _shown_within(key[-10:][::-1], 10, reverse=True)
    return f"{head}...{tail} ({len(key):,} characters)"


def _path_shown(text: str) -> str:
    return escaped_unprintable(text.replace("\\", "\\\\"))


def _shown_within(chars: str, limit: int, *, reverse: bool = False) -> str:
    """The characters ``chars`` as :func:`path_key` shows them, as many as show in
    ``limit`` characters (``reverse``: ``chars`` is an end read backwards)."""
    pieces: list[str] = []
    used = 0
    for char in chars:
        piece = _path_shown(char)
        if used + len(piece) > limit:
            break
        pieces.append(piece)
        used += len(piece)
    return "".join(reversed(pieces) if reverse else pieces)


#: how much of a value sent a refusal quotes (:func:`json_shown`)
SHOWN_LIMIT = 80


def json_shown(value: Any) -> str:
    """A value as a JSON body writes it (``null``, ``true``, ``"7"``, ``[1]``, ``{"a": 1}``),
    cut to :data:`SHOWN_LIMIT` characters: what a refusal shows of what was sent, a name
    or a value (Python's repr showed ``{'a': 1}``, ``None``, ``True``, ``'x'``, which the
    sender never wrote)."""
    return json_written_short(value, SHOWN_LIMIT)


def _escaped(char: str) -> str:
    """A character as JSON's escape: one ``\\uXXXX``, or two (a surrogate pair) past
    U+FFFF."""
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"

"""Printing results: aligned text for people, ``--json`` for programs."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import click


def plain(value: Any) -> Any:
    """A model, table or list of them as plain JSON data."""
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def echo_json(value: Any) -> None:
    """Print ``value`` as indented JSON."""
    click.echo(json.dumps(plain(value), indent=2, sort_keys=False, default=str))


def last_design_note(result: Any) -> str:
    """`` (the last: ...)`` after "generation N designed" when the design holds every
    untested experiment the space had left (``remaining`` 0), which may be fewer than
    a population (the population rule's last generation); else nothing."""
    if getattr(result, "remaining", None) == 0:
        return " (the last: every experiment the space had left)"
    return ""


#: what a terminal would act on rather than show: the bidirectional controls (a name
#: with U+202E printed the rest of its row right to left), besides every control character
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def visible(text: str, keep: str = "") -> str:
    """``text`` with what a terminal would act on written as an escape (``\\n``, ``\\x1b``,
    ``\\u202e``), except the characters in ``keep``.

    Before, a description's line break broke a table's row in two, and an escape sequence
    in a name (``\\x1b[2J``: the service keeps SigOpt names as given) cleared the screen
    of whoever listed the experiments."""
    if text.isprintable():
        return text
    return "".join(ch if ch in keep else _shown(ch) for ch in text)


def _shown(ch: str) -> str:
    if ch not in _BIDI_CONTROLS and unicodedata.category(ch) not in ("Cc", "Cs", "Zl", "Zp"):
        return ch  # a no-break space, a zero-width joiner (of an emoji) ...
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def cell(value: Any) -> str:
    """A value as a table cell: one line, what a terminal would act on escaped."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return visible(str(value))


def assignment(name: Any, value: Any) -> str:
    """``name=value`` for a ``recommended:`` line; a name or value that holds ``,`` or ``=``
    (or has spaces at its ends, or is empty) is quoted, so the line reads one way."""
    return f"{_quoted(name)}={_quoted(value)}"


def _quoted(text: Any) -> str:
    text = visible(str(text))
    if not text or "," in text or "=" in text or '"' in text or text != text.strip():
        return json.dumps(text, ensure_ascii=False)
    return text


def echo_table(rows: Iterable[Sequence[Any]], columns: Sequence[str]) -> None:
    """Print rows under their column names, aligned."""
    text = [[cell(v) for v in row] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in text)]) for i, c in enumerate(columns)]
    click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for row in text:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def echo_fields(pairs: Iterable[tuple[str, Any]]) -> None:
    """Print ``name: value`` lines (empty values left out)."""
    pairs = [(k, _field(v)) for k, v in pairs if v is not None and v != ""]
    width = max((len(k) for k, _ in pairs), default=0)
    for key, value in pairs:
        # a description's further lines under its first (before: at the left margin,
        # where they read as fields of their own)
        value = value.replace("\n", "\n" + " " * (width + 2))
        click.echo(f"{key + ':':<{width + 1}} {value}")


def _field(value: Any) -> str:
    """A value of ``echo_fields``: a cell, whose line breaks are kept (a description's)."""
    return visible(value, keep="\n") if isinstance(value, str) else cell(value)

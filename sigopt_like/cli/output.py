"""Printing results: aligned text for people, ``--json`` for programs."""

from __future__ import annotations

import json
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


def cell(value: Any) -> str:
    """A value as a table cell."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def assignment(name: Any, value: Any) -> str:
    """``name=value`` for a ``recommended:`` line; a name or value that holds ``,`` or ``=``
    (or has spaces at its ends, or is empty) is quoted, so the line reads one way."""
    return f"{_quoted(name)}={_quoted(value)}"


def _quoted(text: Any) -> str:
    text = str(text)
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
    pairs = [(k, cell(v)) for k, v in pairs if v is not None and v != ""]
    width = max((len(k) for k, _ in pairs), default=0)
    for key, value in pairs:
        click.echo(f"{key + ':':<{width + 1}} {value}")

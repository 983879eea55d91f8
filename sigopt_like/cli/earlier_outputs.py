"""Whether a file an ``-o`` would replace is the command's own earlier output: a history
export or an analytics download of the same session, from an earlier generation. Such a
file is replaced without ``--force`` (refreshing an export is a routine step); anything
else (the lab's filled-in design, a file of the user's own) is kept
(:func:`~.files.refuse_to_replace`)."""

from __future__ import annotations

import csv
import io

#: how each kind of analytics file begins, by its name's ending
_BINARY_STARTS = {".png": b"\x89PNG\r\n\x1a\n", ".pdf": b"%PDF-"}


def _rows(data: bytes) -> list[list[str]] | None:
    """The rows of a CSV, or None if ``data`` is not UTF-8 text."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    return [row for row in csv.reader(io.StringIO(text)) if row]


def _grown_from(old: list[str], new: list[str]) -> bool:
    """Whether row ``old`` is row ``new`` as it was before: the same cells, but for ones
    empty then and filled since (the responses, sent after the export)."""
    return len(old) == len(new) and all(o in ("", n) for o, n in zip(old, new, strict=True))


def is_earlier_history(held: bytes, new: bytes) -> bool:
    """Whether ``held`` is an earlier history export of the session whose history is now
    ``new``: the same header row, and each of its rows the new history's row at the same
    place (a response empty then may be filled in since). Rows it lacks are generations
    designed since; a row that differs otherwise (a response typed in) keeps it."""
    old_rows, new_rows = _rows(held), _rows(new)
    if not old_rows or not new_rows or old_rows[0] != new_rows[0]:
        return False
    if len(old_rows) > len(new_rows):
        return False
    return all(_grown_from(o, n) for o, n in zip(old_rows[1:], new_rows[1:], strict=False))


def earlier_analytics(held: dict[str, bytes], new: dict[str, bytes]) -> set[str]:
    """The names of ``held`` (the files of the names analytics writes, found in the
    folder) that are an earlier analytics download of the same session, given ``new``
    (what it downloads now). The folder's ``summary.csv`` must be this session's from the
    same or an earlier generation: the same header row, its generations the first of the
    new one's and the same number of experiments in each. Then each file is replaced that
    is of its name's kind: a CSV with the new one's header row (``parameter_summary.csv``
    of the same parameters), a PNG, a PDF. Otherwise none is."""
    summary = _rows(held.get("summary.csv", b"")) if "summary.csv" in held else None
    fresh = _rows(new.get("summary.csv", b""))
    if not summary or not fresh or summary[0] != fresh[0] or len(summary) > len(fresh):
        return set()
    counted = [row[:2] for row in summary[1:]]
    if counted != [row[:2] for row in fresh[1 : len(summary)]]:
        return set()
    return {name for name, data in held.items() if _same_kind(name, data, new.get(name))}


def _same_kind(name: str, data: bytes, new: bytes | None) -> bool:
    """Whether ``data``, held under ``name``, is of the kind ``new`` (written there) is."""
    if new is None:
        return False
    for ending, start in _BINARY_STARTS.items():
        if name.endswith(ending):
            return data.startswith(start) and new.startswith(start)
    if not name.endswith(".csv"):
        return False
    old_rows, new_rows = _rows(data), _rows(new)
    if not old_rows or not new_rows or old_rows[0] != new_rows[0]:
        return False
    if name == "parameter_summary.csv":  # the same space's parameters
        return {r[0] for r in old_rows[1:]} == {r[0] for r in new_rows[1:]}
    return True

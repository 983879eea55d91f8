"""Whether a file an ``-o`` would replace is the command's own earlier output: a history
export of the same session, from an earlier generation. Such a file is replaced without
``--force`` (refreshing an export is a routine step); anything else (the lab's filled-in
design, a file of the user's own) is kept (:func:`~.files.refuse_to_replace`). An
analytics download's rule is the Python client's (:mod:`sigopt_like.analytics_output`)."""

from __future__ import annotations

import csv
import io


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

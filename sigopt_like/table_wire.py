"""A table made ready for the JSON wire: every cell that JSON or the service cannot
hold is named by its row and column before anything is sent.

Without this, the client's encoder or the service's door refused such a table by a
JSON path ("the field 'table.rows[0][3]' contains a NUL character", "'table.rows.2.0'
is nan"), a place no spreadsheet shows, and a cell nested 5,000 lists deep was a
``RecursionError`` from the encoder. Pure: no HTTP.

What a response may be is the service's rule alone (``tables._response_problem``, asked
when the update task is started, with the session's design at hand): the client keeps
only what it must settle before sending, what JSON or the door cannot carry. An infinity
is no JSON, and NaN outside the Response column none either; text with a NUL or a lone
surrogate no store keeps; an integer past 64 bits the door refuses, so a response written
so (an int, or a CSV cell typed so, which the reader holds as a float) is sent as its
digits, as text, for the service to judge as it judges a Daptics string cell. Before, the
client judged a whole-number response past 2**53 itself, a second copy of the service's
rule, which a change to one side would have left the other to contradict.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

from sigopt_like import csvio
from sigopt_like._constants import INT64_MAX, INT64_MIN
from sigopt_like.spaces import RESPONSE, Problem
from sigopt_like.tables import Table, TableError


def sendable(table: Table) -> Table:
    """``table`` as it can be sent: an integer past 64 bits (which the service's door
    refuses) is sent as its digits, as text: a parameter's if a float equals it exactly
    (as a CSV cell typed ``1180591620717411303424`` is sent, read by the service as that
    number for a numerical level and quoted as written; one that a float would round, such
    as a uint64 ``2**63 + 5``, is refused in the door's words), a response's always, which
    the service judges by its rule for responses; a cell read from CSV as a float of another form
    (``Table.typed``) is sent as the text typed, so that the service reads the number
    typed and quotes it as typed in a problem, not as ``1.1805916207174113e+21``. Raises
    TableError naming the row and column of every cell that cannot be sent."""
    problems = _column_name_problems(table.columns)
    labels = _labels(table.columns)
    rows: list[tuple[Any, ...]] = []
    changed = False  # compared by identity: 2**70 == float(2**70)
    for i, row in enumerate(table.rows):
        cells = []
        for index, (name, value) in enumerate(zip(table.columns, row, strict=False)):
            cell, message = _cell(name, value)
            cells.append(cell)
            changed = changed or cell is not value
            if message is not None:
                problems.append(_cell_problem(table.row_number(i), labels[index], message))
        rows.append(tuple(cells))
    if problems:
        raise TableError(problems)
    for (i, index), text in (table.typed or {}).items():
        rows[i] = (*rows[i][:index], text, *rows[i][index + 1 :])
        changed = True
    if not changed:
        return table
    return Table(columns=table.columns, rows=rows, line_numbers=table.line_numbers)


def unstorable_cells(table: Mapping[str, Any]) -> list[Problem]:
    """Every cell of a table's JSON form (``{"columns", "rows"}`` or Daptics'
    ``{"colHeaders", "data"}``) that the service cannot store, named by row and column:
    a NUL character or a lone UTF-16 surrogate (in :func:`sendable`'s words, column
    names too), an integer past 64 bits, a number past a float's range (``1e400``, which
    JSON reads as an infinity). Empty if there is none.

    The service's door asks it of a table sent as plain JSON (``curl``, a script's own
    HTTP), which :func:`sendable` never saw: before, such a cell was refused by its JSON
    path ("the field 'table.rows[0][1]' contains a NUL character"). A part that is not
    shaped as a table is left to the table's own checks."""
    columns = table.get("columns", table.get("colHeaders"))
    rows = table.get("rows", table.get("data"))
    names = columns if isinstance(columns, list) else []
    problems = _column_name_problems(names)
    labels = _labels(names)
    for i, row in enumerate(rows if isinstance(rows, list) else []):
        for index, value in enumerate(row if isinstance(row, list) else []):
            message = _wire_problem(value)
            if message is not None:
                where = labels[index] if index < len(labels) else csvio.column_letter(index)
                problems.append(_cell_problem(i + 2, where, message))
    return problems


def _wire_problem(value: Any) -> str | None:
    """Why a JSON cell cannot be stored (None if it can)."""
    return wire_value_problem(value, "the cell", "table")


def wire_value_problem(value: Any, subject: str, noun: str) -> str | None:
    """Why a JSON value of a ``noun`` ("table", "space") cannot be stored, ``subject``
    ("the cell", "the level") naming it where the sentence needs to; None if it can be:
    text holding a NUL or a lone surrogate, an integer past 64 bits, JSON's ``1e400``."""
    if isinstance(value, str):
        message = text_problem(value, noun)
        return None if message is None else f"{subject} {message}"
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
        try:
            int.__repr__(value)
        except ValueError:  # more digits than Python writes (4,300): before, this error
            # escaped; said as the door says such a number over HTTP (an infinite float)
            return f"the number is beyond the numbers a {noun} holds (about +-1.8e308)"
        shown = csvio.clip_int(value)  # a long one in the one form of every message
        try:
            decimal = float(value)
        except OverflowError:
            return f"{shown} is beyond the numbers a {noun} holds (about +-1.8e308)"
        return (
            f"{shown} is beyond the integers a {noun} stores ({INT64_MIN} to {INT64_MAX}); "
            f"write it as a decimal: {decimal!r}"
        )
    if isinstance(value, float) and math.isnan(value):  # never from JSON: a client's own value
        return f"{subject} is NaN (not a number), which no {noun} holds; give a number"
    if isinstance(value, float) and not math.isfinite(value):  # JSON's 1e400
        return f"the number is beyond the numbers a {noun} holds (about +-1.8e308)"
    if isinstance(value, (set, frozenset)):  # never from JSON: before, sent as a list
        return f"{subject} holds a set; a {noun}'s cells hold one value: text or a number"
    if isinstance(value, (int, float, list, tuple, Mapping)) or not no_json_form(value):
        return None
    # never from JSON: a client's date, Decimal or object; before, the encoder's TypeError
    # by JSON path ('space.parameters.0.values.0')
    return f"{subject} {_not_json(value)}"


def _column_name_problems(columns: Sequence[Any]) -> list[Problem]:
    """A problem for each column name holding text no table stores, named by its letter."""
    problems = []
    for index, name in enumerate(columns):
        message = text_problem(name) if isinstance(name, str) else None
        if message is not None:
            letter = csvio.column_letter(index)
            problems.append(
                Problem(
                    f"row 1, column {letter}: the column name {message}",
                    row=1,
                    column=letter,
                    field="table",
                )
            )
    return problems


def _labels(columns: Sequence[Any]) -> list[str]:
    """How each column is named in a problem: its name, or its letter where the name
    cannot be shown (a NUL, a lone surrogate, not text)."""
    return [
        name if isinstance(name, str) and text_problem(name) is None else csvio.column_letter(index)
        for index, name in enumerate(columns)
    ]


def _cell_problem(line: int, column: str, message: str) -> Problem:
    return Problem(
        f"row {line}, column {column}: {message}", row=line, column=column, field="table"
    )


def _cell(name: str, value: Any) -> tuple[Any, str | None]:
    """The cell as it is sent, and why it cannot be (None if it can)."""
    kind = type(value)
    if kind is float:  # the common cells first: a 27,500-row design is 300,000 of them
        return value, None if math.isfinite(value) else _non_finite_problem(name, value)
    if (kind is int and INT64_MIN <= value <= INT64_MAX) or value is None:
        return value, None
    if kind is str and value.isascii() and "\x00" not in value:
        return value, None
    if isinstance(value, str):
        message = text_problem(value)
        return value, None if message is None else f"the cell {message}"
    if isinstance(value, bool) or value is None:
        return value, None
    if isinstance(value, numbers.Integral):
        number = int(value)
        if INT64_MIN <= number <= INT64_MAX:
            return value, None
        if name == RESPONSE:  # the door takes no such integer: its digits, for the rule
            try:
                return str(number), None
            except ValueError:  # more digits than Python writes (4,300): past any float
                return value, _beyond_floats(number)
        try:
            as_float = float(number)
        except OverflowError:
            return value, _beyond_floats(number)
        if as_float == number:  # 2**70: sent as its digits, as a CSV cell typed so is
            # (``Table.typed``): the service reads them as the number for a numerical
            # level and quotes them as written in a problem; before, sent as the float, a
            # categorical cell was "1.1805916207174113e+21 is not a level"
            return str(number), None
        # before: sent as the float next to it (a uint64 2**63 + 5 as 9223372036854775808);
        # refused as the service's door refuses the integer, in its words
        return value, wire_value_problem(number, "the cell", "table")
    if isinstance(value, numbers.Real) and (isinstance(value, float) or not no_json_form(value)):
        return value, _non_finite_problem(name, value)
    if isinstance(value, (list, tuple, set, frozenset, Mapping)):
        held = "a dict" if isinstance(value, Mapping) else f"a {type(value).__name__}"
        return value, f"the cell holds {held}; a cell holds one value: a number, text or None"
    if no_json_form(value):  # before: the encoder's TypeError, by JSON path
        # ('table.rows.0.0'), a place no spreadsheet shows
        return value, f"the cell {_not_json(value)}; a cell holds one value: a number, text or None"
    return value, None  # a numpy scalar: the encoder sends its item()


def no_json_form(value: Any) -> bool:
    """Whether the client's encoder has no JSON form for ``value``, a value that is not
    text, a number, True/False, None, a list or a dict: one without the ``to_dict``,
    ``tolist`` or ``item`` it converts (a date, a Decimal, bytes, a Fraction, an object)."""
    for method in ("to_dict", "tolist", "item"):
        try:
            if callable(getattr(value, method, None)):
                return False
        except Exception:  # a caller's object whose __getattr__ raises
            return True
    return True


def _not_json(value: Any) -> str:
    kind = type(value).__name__
    article = "an" if kind[:1].lower() in "aeiou" else "a"
    return f"holds {article} {kind}, which JSON cannot carry (str() or float() it first)"


def _beyond_floats(number: int) -> str:
    """Why an integer past a float's range cannot be sent."""
    shown = csvio.clip_int(number)  # its ends past the digits Python writes (4,300)
    return f"{shown} is beyond the numbers a table holds (about +-1.8e308)"


def _non_finite_problem(name: str, value: numbers.Real) -> str | None:
    """Why a float cannot be sent: NaN outside the Response column (there it is a
    missing response, None already), an infinity anywhere."""
    if math.isfinite(value):
        return None
    if name == RESPONSE:
        return (
            f"response {value!r} is not a finite number; leave the response None, "
            "'-' or NaN if it was not measured"
        )
    if math.isnan(value):
        return (
            f"the value is NaN; every experiment needs a value of '{name}' "
            "(NaN means not measured only in the Response column)"
        )
    return f"the value is {value!r}, which is no value of '{name}'"


def text_problem(text: str, noun: str = "table") -> str | None:
    """Why text cannot be stored in a ``noun`` ("table", "space"): a NUL character, or a
    lone UTF-16 surrogate."""
    if "\x00" in text:
        return f"holds a NUL character (U+0000), which no {noun} stores; type it again without it"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        code = ord(text[err.start])
        return (
            f"holds a lone UTF-16 surrogate (\\u{code:04x} at character {err.start}), "
            "which is not text; type it again"
        )
    return None

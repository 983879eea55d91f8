"""A space's JSON form checked for what the service cannot store, each finding named in a
space's own words: "parameter 2 ('temp'), level 1: ...".

Before, a NUL character or a lone UTF-16 surrogate in a parameter's name or level (a space
given as a dict, or sent as plain JSON with ``curl``) reached the service's door, which
named it by its JSON path ("the field 'space.parameters[1].values[0]' contains a NUL
character"), a place no space file shows. The client asks :func:`unstorable_values` before
sending, and the door asks it of a refused body's ``space``, as
:mod:`sigopt_like.table_wire` does for a table's cells. Pure: no HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sigopt_like import csvio
from sigopt_like._constants import INT64_MAX, INT64_MIN
from sigopt_like.spaces import (
    FACTORIAL,
    MAX_TOTAL_UNITS,
    MIXTURE,
    Problem,
    held_number_shown,
    name_cell_unstorable,
    name_not_text,
    not_a_cell,
    shown_count,
    unstorable_number,
    unwritten_number,
)
from sigopt_like.table_wire import text_problem, wire_value_problem

#: a parameter's fields in its JSON form, in the order they are checked, with their
#: space-table column and how a finding names them (levels are numbered instead)
_FIELDS = (("name", "Name", "the name"), ("type", "Type", "the type"))
_BOUNDS = (("min", "Min", "minimum"), ("max", "Max", "maximum"))


def unstorable_values(space: Mapping[str, Any]) -> list[Problem]:
    """Every name, type, level or bound of ``space``'s JSON form (its ``parameters``, or
    Daptics' ``table.data`` rows) that the service cannot store (text holding a NUL or a
    lone surrogate, an integer past 64 bits, JSON's ``1e400``), each named by parameter
    (its number, and its name where that can be shown) and level; empty if there is none.
    What is not shaped as a space is left to the space's own checks."""
    problems: list[Problem] = []
    kind = space.get("type")
    if isinstance(kind, str) and text_problem(kind, "space") is not None:
        message = f"the space type {text_problem(kind, 'space')}"
        problems.append(Problem(message, column="type", field="space"))
    problems.extend(_total_units_problems(space))
    parameters = space.get("parameters")
    if isinstance(parameters, list):
        for number, item in enumerate(parameters, 1):
            if isinstance(item, Mapping):
                problems.extend(_parameter_problems(number, item, names_are_text=True))
        return problems
    table = space.get("table")
    rows = table.get("data") if isinstance(table, Mapping) else None
    mixture = isinstance(kind, str) and kind.strip().lower() == MIXTURE
    headers = table.get("colHeaders") if isinstance(table, Mapping) else None
    problems.extend(_header_problems(headers if isinstance(headers, list) else [], mixture))
    for number, row in enumerate(rows if isinstance(rows, list) else [], 1):
        if isinstance(row, list):
            parameter = _as_parameter(row, mixture)
            problems.extend(_parameter_problems(number, parameter, names_are_text=False))
            problems.extend(_held_number_problems(number, row, mixture))
    return problems


def _held_number_problems(number: int, row: list[Any], mixture: bool) -> list[Problem]:
    """Each cell of Daptics' space-table row ``number`` that is a list or an object holding
    a number JSON does not write (``[1e400]``, a Python int of 5,001 digits), named as
    :meth:`Space.from_dict` names it ("row 2, column A (Name): a list holding ..."): before,
    the client's encoder refused it ("cannot be sent as JSON") and the door by its JSON path."""
    kind = MIXTURE if mixture else FACTORIAL
    return [
        not_a_cell(kind, number, at, cell)
        for at, cell in enumerate(row)
        if isinstance(cell, (list, Mapping)) and unwritten_number(cell) is not None
    ]


def _total_units_problems(space: Mapping[str, Any]) -> list[Problem]:
    """A mixture's total units (``total_units`` or Daptics' ``totalUnits``) that cannot be
    stored, named by the key it was given as (before: a 400 by JSON path, the one part of
    a space not named with the others)."""
    for key in ("total_units", "totalUnits"):
        value = space.get(key)
        if isinstance(value, str):
            message = text_problem(value, "space")
            message = None if message is None else f"the total units ('{key}') {message}"
        else:
            message = _units_problem(value, least=1)
            message = None if message is None else f"the total units ('{key}'): {message}"
        if message is not None:
            return [Problem(message, column=key, field="space")]
    return []


def _header_problems(headers: list[Any], mixture: bool) -> list[Problem]:
    """Each header of a Daptics space table (``colHeaders``) whose text cannot be stored,
    named by the space-table column it heads and its JSON place (``colHeaders[2]``).
    The headers are not read (a row's place says what it holds), but a space is stored as
    it was given."""
    problems = []
    for index, header in enumerate(headers):
        message = wire_value_problem(header, "it", "space")
        if message is None:
            continue
        column = _column_at(index, mixture)
        if isinstance(header, str):
            message = message.removeprefix("it ")
            message = f"the header of column {column} (colHeaders[{index}]) {message}"
        else:
            message = f"the header of column {column} (colHeaders[{index}]): {message}"
        problems.append(Problem(message, row=None, column=column, field="space"))
    return problems


def _column_at(index: int, mixture: bool) -> str:
    """The space-table column at ``index``: Name, Type, then Min and Max (a mixture) or
    Value.1, Value.2, ..."""
    if index < 2:
        return ("Name", "Type")[index]
    if mixture and index < 4:
        return ("Min", "Max")[index - 2]
    return f"Value.{index - (3 if mixture else 1)}"


def _as_parameter(row: list[Any], mixture: bool) -> dict[str, Any]:
    """A Daptics space-table row (name, type, levels or minimum and maximum) as the fields
    of a parameter's JSON form."""
    item: dict[str, Any] = {
        "name": row[0] if row else None,
        "type": row[1] if len(row) > 1 else None,
    }
    if mixture:
        item.update(zip(("min", "max"), row[2:4], strict=False))
        item["values"] = row[4:]  # no such cells in a mixture row; named as levels
    else:
        item["values"] = row[2:]
    return item


def _parameter_problems(
    number: int, item: Mapping[str, Any], *, names_are_text: bool
) -> list[Problem]:
    """What of parameter ``number`` cannot be stored. ``names_are_text``: its form takes
    only text as a name (a ``parameters`` item; a Daptics row's name is a cell, where a
    number is read as its text, but none past what a space stores)."""
    name = item.get("name")
    label = f"parameter {number}"
    if isinstance(name, str) and text_problem(name, "space") is None:
        label += f" ({csvio.clip_repr(name)})"
    problems: list[Problem] = []

    def add(where: str, column: str, message: str | None) -> None:
        if message is not None:
            problems.append(
                Problem(f"{where}: {message}", row=number, column=column, field="space")
            )

    if names_are_text and "name" in item and not isinstance(name, str):
        # every name that is not text, as the space's reading says it: before, one of
        # 5,001 digits was the door's "a whole-number field ... takes", as if the name
        # were a whole-number field
        problems.append(name_not_text(number, name))
    elif not names_are_text and unstorable_number(name):
        # a Daptics row's Name cell, where a number is read as its text: before, told "a
        # parameter name is text (a JSON string)", which the name 5 shows is not so there
        problems.append(name_cell_unstorable(number, name))
    for key, column, words in _FIELDS:
        value = item.get(key)
        if isinstance(value, str):
            add(label, column, _text(value, words))
        elif names_are_text and key != "name":
            add(f"{label}, {words}", column, _held(value))
    for key, column, words in _BOUNDS:
        add(f"{label}, {words}", column, _units_problem(item.get(key), least=0))
        if names_are_text:
            add(f"{label}, {words}", column, _held(item.get(key)))
    values = item.get("values")
    for index, value in enumerate(values if isinstance(values, list) else [], 1):
        add(f"{label}, level {index}", f"Value.{index}", _level(value))
        if names_are_text:  # a Daptics row's cells: _held_number_problems
            add(f"{label}, level {index}", f"Value.{index}", _held(value))
    return problems


def _held(value: Any) -> str | None:
    """A list or object holding a number JSON does not write, in a ``parameters`` item's
    type, bound or level: before, the client's encoder refused it ("cannot be sent as
    JSON") and the door by its JSON path."""
    shown = held_number_shown(value)
    return None if shown is None else f"{shown}; a space's cells are text or numbers"


def _units_problem(value: Any, least: int) -> str | None:
    """Why a number of units (a mixture's total, ``least`` 1, or a component's bound,
    ``least`` 0) cannot be stored. An integer past 64 bits is told by the mixture's rule:
    before, it was told to be written as a decimal, and the decimal sent was refused next
    ("total_units 1.18059e+21 is too large: the most is 10000"), units being whole
    numbers. It is quoted in full, as given (it was ``1.18059e+21``)."""
    if isinstance(value, bool) or not isinstance(value, int) or INT64_MIN <= value <= INT64_MAX:
        return wire_value_problem(value, "it", "space")
    try:
        float(value)
    except OverflowError:  # past a float's range: said as any number of that size
        return wire_value_problem(value, "it", "space")
    shown = shown_count(value)
    if value < 0:
        return f"{shown} is below {least}, the fewest units it may be"
    return (
        f"{shown} is more than {MAX_TOTAL_UNITS}, the most units a mixture's total may be; "
        "express the components in coarser units"
    )


def _text(value: str, words: str) -> str | None:
    message = text_problem(value, "space")
    return None if message is None else f"{words} {message}"


def _level(value: Any) -> str | None:
    return wire_value_problem(value, "the level", "space")

"""Which rows of a designed table are the design's, matched by their values, and what is
wrong when some design experiment has no row.

A spreadsheet sorted before the lab ran it holds the design's rows in its own order, and a
lab adds its own experiments where it likes (above the designed rows too). The rows are
matched to the design's experiments by their parameter values wherever they are; the
others are extra experiments. When a design experiment has no row (one deleted or
changed), that experiment, and the row that looks changed from it, are named.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import attrs

from sigopt_like import csvio
from sigopt_like.spaces import RESPONSE, Problem, Space
from sigopt_like.tables import Table, is_missing_response

Point = tuple[Any, ...]


@attrs.frozen
class DesignMatch:
    """Which rows of a designed table are the design's experiments, matched by their
    parameter values wherever they are in the table.

    ``designed`` are their row indexes in the design's order (one per design row that has
    a row: a design experiment run twice is matched to its first two rows, rows without a
    response first, since only a designed row may leave it empty); ``missing`` counts the
    design's experiments with no row; the other rows are extra experiments."""

    designed: tuple[int, ...]
    missing: Counter[Point]
    points: tuple[Point | None, ...]

    @property
    def complete(self) -> bool:
        """Whether every design row has its row in the table."""
        return not self.missing


def match_design(table: Table, space: Space, design: Sequence[Point]) -> DesignMatch:
    """The rows of ``table`` that are ``design``'s experiments (:class:`DesignMatch`); a
    row whose cells are no experiment of ``space`` (a problem told elsewhere) matches none."""
    points = tuple(_row_point(table, space, row) for row in table.rows)
    response_at = table.columns.index(RESPONSE) if RESPONSE in table.columns else None

    def measured(i: int) -> bool:
        row = table.rows[i]
        if response_at is None or response_at >= len(row):
            return False
        return not is_missing_response(row[response_at])

    left = Counter(tuple(p) for p in design)
    rows_of: dict[Point, list[int]] = {}
    for i in sorted(range(len(points)), key=lambda i: (measured(i), i)):
        point = points[i]
        if point is not None and left[point] > 0:
            left[point] -= 1
            rows_of.setdefault(point, []).append(i)
    for found in rows_of.values():
        found.sort()
    designed = tuple(rows_of[tuple(p)].pop(0) for p in design if rows_of.get(tuple(p)))
    return DesignMatch(designed=designed, missing=+left, points=points)


def _row_point(table: Table, space: Space, row: Sequence[Any]) -> Point | None:
    """A row's experiment (its parameter values as the space reads them), or None."""
    try:
        positions = [table.columns.index(name) for name in space.names]
        return tuple(p.coerce(row[k]) for p, k in zip(space.parameters, positions, strict=True))
    except (TypeError, ValueError, IndexError):
        return None


def unmatched_problems(
    table: Table, space: Space, design: Sequence[Point], gen: int
) -> list[Problem] | None:
    """Problems of ``table`` whose rows, matched by their values anywhere in it, leave
    design experiments without a row: each such experiment, paired with the row that looks
    changed from it (an extra row of no design experiment, differing in at most half the
    parameters) when there is one, else told to be added.

    None when most of the design's experiments have no row: a file that is not this
    design's, better told row by row."""
    n = len(design)
    match = match_design(table, space, design)
    if sum(match.missing.values()) * 2 >= n:
        return None
    wanted = Counter(tuple(p) for p in design)
    chosen = set(match.designed)
    spare = [
        i
        for i, point in enumerate(match.points)
        if i not in chosen and point is not None and not wanted[point]
    ]
    # with no more rows than the design, no row is an extra: any other row was changed
    reach = len(space.names) if len(table.rows) <= n else max(1, len(space.names) // 2)
    problems: list[Problem] = []
    for point in dict.fromkeys(tuple(p) for p in design):
        untold = match.missing[point]
        while untold:
            near: dict[int, int] = {}
            for i in spare:
                found = match.points[i]
                if found is not None and _differing(found, point) <= reach:
                    near[i] = _differing(found, point)
            if not near:
                break
            i = min(near, key=lambda i: (near[i], i))
            spare.remove(i)
            untold -= 1
            problems.append(_changed_problem(table, space, i, match.points[i], point, gen))
        if untold:
            has = wanted[point] - match.missing[point]
            problems.append(
                Problem(
                    f"generation {gen}'s design has {point_text(space.names, point)} "
                    f"{_times(wanted[point])}, the table {_times(has) if has else 'never'}: "
                    "add the missing row with its response",
                    field="table",
                )
            )
    return problems


def _changed_problem(
    table: Table, space: Space, i: int, point: Any, missing: Point, gen: int
) -> Problem:
    """Row ``i``, no experiment of the design, as the design's ``missing`` changed."""
    line = table.row_number(i)
    k = next(k for k, (a, b) in enumerate(zip(missing, point, strict=True)) if a != b)
    name = space.names[k]
    return Problem(
        f"row {line}, column {name}: {show(point[k])} differs from generation {gen}'s "
        f"design, which has no experiment {point_text(space.names, point)}; the design's "
        f"{point_text(space.names, missing)} has no row: was this row changed? Designed rows "
        "must be the design's rows exactly (in any order, extra rows anywhere)",
        row=line,
        column=name,
        field="table",
    )


def _differing(a: Point, b: Point) -> int:
    """How many parameters two experiments differ in."""
    return sum(x != y for x, y in zip(a, b, strict=True))


def _times(k: int) -> str:
    return "once" if k == 1 else f"{k} times"


def point_text(names: Sequence[str], point: Sequence[Any]) -> str:
    """``a=0, b=1.5, d=x``: an experiment as a person reads it in the table."""
    return ", ".join(
        f"{name}={v if isinstance(v, str) else show(v)}"
        for name, v in zip(names, point, strict=True)
    )


def show(value: Any) -> str:
    """A cell's value in a message, as the table shows it."""
    if isinstance(value, float):
        return csvio.format_cell(value)
    return repr(value) if isinstance(value, str) else str(value)

"""What is wrong with a designed table whose rows are the design's in another order.

A spreadsheet sorted before the lab ran it holds the design's rows in its own order. When
one of them was then deleted, typed twice or changed, comparing row by row with the
design said that nearly every row differed and asked whether the file was the design's
at all; here the rows are compared as a set of experiments, so that the one row that is
wrong, and the design's experiment that has no row, are named.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from sigopt_like import csvio
from sigopt_like.spaces import Problem, Space
from sigopt_like.tables import Table

Point = tuple[Any, ...]


def unordered_problems(
    table: Table, space: Space, design: Sequence[Point], gen: int
) -> list[Problem] | None:
    """Problems of ``table``'s designed rows (its first ``len(design)``) compared with
    ``design`` as experiments, in any order: each row that is no experiment of the design
    (or one more of it than the design has), each design experiment without its row.

    None when most of the design's experiments have no row: a file that is not this
    design's, better told row by row."""
    n = len(design)
    positions = [table.columns.index(name) for name in space.names]
    sent = [
        tuple(p.coerce(row[k]) for p, k in zip(space.parameters, positions, strict=True))
        for row in table.rows[:n]
    ]
    wanted = Counter(tuple(p) for p in design)
    missing = wanted - Counter(sent)
    if sum(missing.values()) * 2 >= n:
        return None
    left = Counter(wanted)
    surplus: list[int] = []
    for i, point in enumerate(sent):
        if left[point] > 0:
            left[point] -= 1
        else:
            surplus.append(i)
    lacking = [p for p in dict.fromkeys(tuple(p) for p in design) for _ in range(missing[p])]
    later: dict[Point, int] = {}
    below: Counter[Point] = Counter()
    for i in range(n, len(table.rows)):
        row = table.rows[i]
        point = tuple(p.coerce(row[k]) for p, k in zip(space.parameters, positions, strict=True))
        later.setdefault(point, table.row_number(i))
        below[point] += 1
    # Only a design experiment with no row anywhere in the table can be the one a wrong
    # designed row was changed from; one sorted below the designed rows is told where it is.
    absent = list((Counter(lacking) - below).elements())
    problems = [
        _surplus_problem(table, space, i, sent[i], wanted, lacking, absent, gen, n) for i in surplus
    ]
    for point in dict.fromkeys(lacking):
        problems.append(
            _missing_problem(space, point, wanted, missing, later.get(point), gen, len(table.rows))
        )
    return problems


def _surplus_problem(
    table: Table,
    space: Space,
    i: int,
    point: Point,
    wanted: Counter[Point],
    lacking: list[Point],
    absent: list[Point],
    gen: int,
    n: int,
) -> Problem:
    """The problem of designed row ``i``, which is no experiment of the design left to
    match; pairs it with (and takes from ``lacking`` and ``absent``) the missing experiment
    nearest it among those with no row anywhere in the table (``absent``)."""
    line = table.row_number(i)
    text = point_text(space.names, point)
    if wanted[point]:
        return Problem(
            f"row {line}: {text} is in generation {gen}'s design {_times(wanted[point])}, "
            f"and this row is one more of it among the first {n} rows (the designed rows): "
            "delete it, or move it below the designed rows as an extra experiment",
            row=line,
            field="table",
        )
    nearest = min(absent, key=lambda m: _differing(m, point), default=None)
    if nearest is None and lacking:
        return Problem(
            f"row {line}: {text} is no experiment of generation {gen}'s design: it belongs "
            f"below the designed rows (the first {n}) as an extra experiment, or delete it",
            row=line,
            field="table",
        )
    if nearest is None:
        return Problem(
            f"row {line}: {text} differs from generation {gen}'s design, which has no such "
            "experiment; designed rows must be the design's rows exactly (in any order)",
            row=line,
            field="table",
        )
    lacking.remove(nearest)
    absent.remove(nearest)
    k = next(k for k, (a, b) in enumerate(zip(nearest, point, strict=True)) if a != b)
    name = space.names[k]
    return Problem(
        f"row {line}, column {name}: {show(point[k])} differs from generation {gen}'s "
        f"design, which has no experiment {text}; the design's {point_text(space.names, nearest)} "
        "has no row: was this row changed? Designed rows must be the design's rows exactly "
        "(in any order)",
        row=line,
        column=name,
        field="table",
    )


def _missing_problem(
    space: Space,
    point: Point,
    wanted: Counter[Point],
    missing: Counter[Point],
    later: int | None,
    gen: int,
    rows: int,
) -> Problem:
    """The problem of a design experiment with fewer designed rows than the design has,
    in a table of ``rows`` rows."""
    text = point_text(space.names, point)
    has = wanted[point] - missing[point]
    n = sum(wanted.values())
    where = (
        f"; it is at row {later}, below the designed rows: move it among the first {n} rows"
        if later is not None
        else ": add the missing row with its response"
    )
    table = f"the table's designed rows (the first {n})" if rows > n else "the table"
    return Problem(
        f"generation {gen}'s design has {text} {_times(wanted[point])}, {table} "
        f"{_times(has) if has else 'never'}{where}",
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

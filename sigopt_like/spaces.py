"""Experimental spaces: parameters, CSV and JSON forms, validation, size, random experiments.

Pure: no HTTP, no database; stdlib and attrs only. Both the client and the
service use these classes, so that one definition of a space serves both.

A space file has no header row, one row per parameter::

    temp,numerical,20,40,60,,        (factorial: name, numerical|categorical, values...)
    A,unit,0,15                      (mixture: name, unit, min, max)

A point (one experiment's parameter values) is a tuple in parameter order:
float for numerical, str for categorical, int for mixture units.
"""

from __future__ import annotations

import difflib
import itertools
import json
import math
import os
import random
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Union

import attrs

from sigopt_like import compositions, csvio
from sigopt_like._constants import FLOAT_EXACT_WHOLE as FLOAT_EXACT_WHOLE  # re-exported
from sigopt_like._constants import INT64_MAX, INT64_MIN, MOST_DIGITS
from sigopt_like.errors import SigoptLikeError
from sigopt_like.json_kinds import escaped_unprintable, json_kind, json_shown
from sigopt_like.population import check_design_size as check_design_size  # re-exported
from sigopt_like.population import generations_left

if TYPE_CHECKING:
    from sigopt_like.tables import Table

FACTORIAL = "factorial"
MIXTURE = "mixture"
SPACE_TYPES = (FACTORIAL, MIXTURE)
RESPONSE = "Response"
RESERVED_NAMES = ("Name", "Type", "Value", "Response")
ENUMERATION_LIMIT = 100_000
MAX_TOTAL_UNITS = 10_000  # counting compositions costs components x total_units

HISTORY_COLUMNS = ("Seq_", "Gen_", "Designed_")  # the columns a history file adds
MAX_NAME_LENGTH = 200
# A space's size is stored and sent as a decimal integer, and Python writes none longer than
# 4,300 digits: a space of 15,000 two-level parameters failed its task "unexpectedly" with a
# ValueError. Daptics states no limit, so a factorial space is held to that one (below
# 10**4000 distinct experiments), and a mixture to the components its exact count takes in
# seconds: counting costs components x total_units steps (1,000 components of 10,000 units:
# 6 s, 1,453 digits; 5,000 would pass the digit limit).
MAX_COMPONENTS = 1_000
MAX_SIZE_DIGITS = 4_000
# The Daptics documentation states no rule for parameter names, so any text is a name
# except what breaks the tables it heads: control and invisible characters, a first
# character a spreadsheet runs as a formula, and the columns a history file adds
# (spaces at a name's ends are dropped when a space is read, as CSV readers drop them).
_FORMULA_STARTS = ("=", "+", "-", "@")
# A categorical level is any text too, except one a spreadsheet would turn into a formula
# when it opens the experiments table (Excel and LibreOffice read "=x", "@x", "+x" and "-x"
# as formulas; "+", "-", "+1" and "-2.5" stay values): the table would come back with an
# error or a result where the level was, and its rows would no longer match the space. Nor
# does a level hold a control or invisible character (a carriage return split the design's
# row when written, so the design read back was refused; "Pd" and "Pd" + a zero-width space
# were two levels that look alike), and it is at most MAX_NAME_LENGTH characters, as a
# name: a level past the 131,072 characters a CSV cell may hold was designed, and its
# design file could not be read back.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_FACTORIAL_TYPES = ("numerical", "categorical")
_MIXTURE_TYPES = ("unit",)
_ROW_SHAPE = {
    FACTORIAL: "name, numerical|categorical, value, value, ...",
    MIXTURE: "name, unit, min, max",
}


@attrs.frozen
class Problem:
    """One validation finding, with where a person finds it.

    ``row`` is 1-based as a spreadsheet shows it; ``column`` names the column
    (a table's column name, or a space table's ``Name``/``Type``/``Value.N``/
    ``Min``/``Max``); ``field`` names the request field (``space``,
    ``total_units``, ``population_size``, ``replicates``, ``table``).

    A character of ``message`` or ``column`` that would not print (a control or format
    character, a line separator, a lone surrogate) is written as JSON's ``\\uXXXX``
    (``json_kinds.escaped_unprintable``): a parameter or column name quoted as given
    (``parameter 'a<ESC>b' has no type``) carried an ESC or a U+202E to the terminal of
    whoever read the problem.
    """

    message: str = attrs.field(converter=escaped_unprintable)
    row: int | None = None
    column: str | None = attrs.field(
        default=None, converter=attrs.converters.optional(escaped_unprintable)
    )
    field: str | None = None

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"message", "row", "column", "field"}``."""
        return {
            "message": self.message,
            "row": self.row,
            "column": self.column,
            "field": self.field,
        }


class SpaceError(SigoptLikeError, ValueError):
    """A space could not be read or is invalid; ``problems`` lists every finding."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(summary("invalid space", self.problems))


#: problems one answer lists (then one line says how many more)
MAX_LISTED_PROBLEMS = 100


def capped_problems(
    problems: Sequence[Problem], field: str | None, limit: int = MAX_LISTED_PROBLEMS
) -> list[Problem]:
    """``problems`` with the first ``limit`` listed, then one on ``field`` saying how many
    more (``... and 1,234 more problems not listed``); a list of ``limit`` and that one
    line (already capped) stays as it is."""
    if len(problems) <= limit + 1:
        return list(problems)
    hidden = len(problems) - limit
    return [*problems[:limit], Problem(f"... and {hidden:,} more problems not listed", field=field)]


SUMMARY_LINES = 12  # problems a message lists; a wrong file would otherwise print one per row


def summary(what: str, problems: Sequence[Problem]) -> str:
    """One message for a list of problems: the problem itself, or a count and the first few."""
    if len(problems) == 1:
        return f"{what}: {problems[0].message}"
    shown = problems[:SUMMARY_LINES]
    lines = [f"{what}: {len(problems):,} problems"] + [f"  - {p.message}" for p in shown]
    if len(problems) > len(shown):
        lines.append(f"  ... and {len(problems) - len(shown):,} more (every one is in .problems)")
    return "\n".join(lines)


def _levels_text(values: Sequence[Any], limit: int = 10) -> str:
    shown = ", ".join(csvio.format_cell(v) for v in values[:limit])
    return shown + (", ..." if len(values) > limit else "")


def _to_float(value: Any) -> float | None:
    """A float from a number or numeric text; None for anything else (bools included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        parsed = csvio.parse_number(value)
        return None if parsed is None else float(parsed)
    return None


def _to_int(value: Any) -> int | None:
    """An int from an integral number or text such as ``"3"`` or ``"3.0"``; else None.

    Whole-number text is read as the number it says (``"9007199254740993"``, not the
    float next to it), so that a refusal quotes what was written."""
    number = _to_float(value)
    if number is None or not math.isfinite(number) or not number.is_integer():
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and csvio.is_integer_literal(value):
        return int(value.strip())
    return int(number)


def _whole(value: Any) -> bool:
    """True for an int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def _inexact_whole(cell: str, number: float) -> str | None:
    """Why a level written as a whole number (``9007199254740993``, ``2**70 + 1``) cannot
    be taken: a space's numbers are floats, and this one would silently become the float
    next to it; None if a float holds it exactly (``1180591620717411303424``, 2**70)."""
    if not csvio.is_integer_literal(cell):
        return None  # a decimal (0.1) is read as floats read it
    return inexact_whole(int(cell.strip()), "a level", "a space's numbers")


def inexact_whole(
    written: int, what: str, whose: str, *, whole_written_up_to: int | None = None
) -> str | None:
    """Why the whole number ``written`` cannot be taken as ``what`` ("a level", "a
    response"), ``whose`` numbers being floats: a float would hold the number next to it;
    None if a float holds it exactly. Where ``what`` may be written as a whole number only
    up to ``whole_written_up_to`` (a response: 2**53), the number it would become is
    advised in a float's form past it: before, ``2**63 - 1`` was told to write
    ``9223372036854775808``, which was then refused in turn. So is one past 64 bits, which
    no JSON body may hold as an integer (a level ``2**63 - 1`` sent as JSON was told to
    write ``9223372036854775808``, which the service's door refused)."""
    try:
        as_float = float(written)
    except OverflowError:
        return None  # past a float's range: refused as such
    held = int(as_float)
    if held == written:
        return None
    up_to = INT64_MAX if whole_written_up_to is None else min(whole_written_up_to, INT64_MAX)
    advice = str(held) if -up_to <= held <= up_to else repr(as_float)
    return (
        f"{csvio.clip_int(written)} cannot be {what} exactly: {whose} are floats, which hold "
        f"every whole number only up to {FLOAT_EXACT_WHOLE}, and this one would become "
        f"{csvio.clip_int(held)}; write {advice} if that is what you mean"
    )


def _number_out(value: float) -> int | float:
    """JSON form of a level: ints where integral, so that ``[0, 1, 2]`` stays that."""
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e16:
        return int(value)
    return value


# --------------------------------------------------------------------------- parameters


@attrs.frozen
class NumericalParameter:
    """A factorial parameter taking one of a list of numbers."""

    name: str = attrs.field(converter=csvio.nfc)
    values: tuple[float, ...] = attrs.field(converter=lambda vs: tuple(float(v) for v in vs))

    @property
    def type(self) -> str:
        """Always ``"numerical"``."""
        return "numerical"

    def coerce(self, value: Any) -> float:
        """The level equal to ``value``: a whole number (an int, or text written as one)
        exactly, other numbers with a 1e-9 tolerance (``0.30000000000000004`` is 0.3).

        Raises ValueError with a message a person can act on. Before, a whole number
        within the tolerance of a level was taken as that level: ``9007199254740993``
        (past 2**53, where a float holds only every other whole number) or
        ``10000000001`` was stored as the level 9007199254740992 or 1e10, unsaid.
        """
        number = _to_float(value)
        if number is None:
            raise ValueError(
                f"{_show(value)} is not a number ('{self.name}' is numerical)"
                + (csvio.decimal_comma_tip(value) or csvio.nan_tip(value, self.name))
            )
        whole = csvio.written_whole(value)
        for level in self.values:
            if whole is not None:
                if level == whole:  # an int and a float compare as the numbers they are
                    return level
            elif math.isclose(number, level, rel_tol=1e-9, abs_tol=1e-9):
                return level
        raise ValueError(
            f"{_show(value)} is not a level of '{self.name}' (levels: "
            f"{_levels_text(self.values)}){_near_level_tip(number, whole, self.values)}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON form ``{"name", "type": "numerical", "values"}``."""
        return {
            "name": self.name,
            "type": self.type,
            "values": [_number_out(v) for v in self.values],
        }


def _near_level_tip(number: float, whole: int | None, levels: Sequence[float]) -> str:
    """For a whole number within the float tolerance of a level but not equal to it,
    why that level was not taken; else empty."""
    if whole is None:
        return ""
    for level in levels:
        if math.isclose(number, level, rel_tol=1e-9, abs_tol=1e-9):
            return (
                f"; a whole number is taken only as the level it equals, and "
                f"{csvio.format_cell(level)} is another number"
            )
    return ""


@attrs.frozen
class CategoricalParameter:
    """A factorial parameter taking one of a list of labels."""

    name: str = attrs.field(converter=csvio.nfc)
    values: tuple[str, ...] = attrs.field(converter=lambda vs: tuple(csvio.nfc(str(v)) for v in vs))

    @property
    def type(self) -> str:
        """Always ``"categorical"``."""
        return "categorical"

    def coerce(self, value: Any) -> str:
        """The level equal to ``value`` (exact text; a number matches a level with its value).

        Raises ValueError with a message a person can act on.
        """
        if isinstance(value, str) and value.strip() in self.values:
            return value.strip()
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            text = csvio.format_cell(value)
            if text in self.values:
                return text
            whole = csvio.written_whole(value)
            for level in self.values:
                if whole is not None:  # exactly, as a numerical level (see its coerce)
                    level_whole = csvio.written_whole(level)
                    if (_to_float(level) if level_whole is None else level_whole) == whole:
                        return level
                    continue
                number = _to_float(level)
                if number is not None and math.isclose(number, value, rel_tol=1e-9, abs_tol=1e-9):
                    return level
        hint = ""
        if isinstance(value, str):
            folded = {level.casefold(): level for level in self.values}
            if value.strip().casefold() in folded:
                near = folded[value.strip().casefold()]
                hint = f" (did you mean '{near}'? levels are case-sensitive)"
        raise ValueError(
            f"{_show(value)} is not a level of '{self.name}' "
            f"(levels: {_levels_text(self.values)}){hint}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON form ``{"name", "type": "categorical", "values"}``."""
        return {"name": self.name, "type": self.type, "values": list(self.values)}


@attrs.frozen
class MixtureComponent:
    """A mixture component: a whole number of units between ``min`` and ``max``."""

    name: str = attrs.field(converter=csvio.nfc)
    min: int
    max: int

    @property
    def type(self) -> str:
        """Always ``"unit"``."""
        return "unit"

    @property
    def values(self) -> tuple[int, ...]:
        """Every allowed number of units, ``min`` to ``max``."""
        return tuple(range(self.min, self.max + 1))

    def coerce(self, value: Any) -> int:
        """``value`` as an int within ``[min, max]``; raises ValueError otherwise."""
        number = _to_int(value)
        if number is None:
            raise ValueError(
                f"{_show(value)} is not a whole number of units for '{self.name}'"
                + csvio.nan_tip(value, self.name)
            )
        if not self.min <= number <= self.max:
            raise ValueError(  # the value as given: 1e308's int was 309 digits here
                f"{_show(value)} is outside '{self.name}' range {self.min} to {self.max} units"
            )
        return number

    def to_dict(self) -> dict[str, Any]:
        """JSON form ``{"name", "type": "unit", "min", "max"}``."""
        return {"name": self.name, "type": self.type, "min": self.min, "max": self.max}


Parameter = Union[NumericalParameter, CategoricalParameter, MixtureComponent]  # noqa: UP007


def _show(value: Any) -> str:
    if value is None or value == "":
        return "an empty value"
    if isinstance(value, str):
        return f"'{csvio.clip(value)}'"
    return csvio.clip(csvio.format_cell(value))


# --------------------------------------------------------------------------- space


def _parameter_tuple(parameters: Iterable[Parameter]) -> tuple[Parameter, ...]:
    return tuple(parameters)


@attrs.frozen
class Space:
    """An experimental space: ``factorial`` (levels) or ``mixture`` (units summing to a total)."""

    type: str
    parameters: tuple[Parameter, ...] = attrs.field(converter=_parameter_tuple)
    total_units: int | None = None

    # ----- reading and writing

    @classmethod
    def from_csv(
        cls,
        source: csvio.CsvSource,
        type: str = FACTORIAL,
        total_units: int | None = None,
        *,
        validate: bool = True,
    ) -> Space:
        """Read a space file (no header row) from a path, an open file, bytes or CSV text.

        Raises SpaceError listing every problem: always when the text cannot be
        read, and also for rule violations unless ``validate=False``.
        """
        try:
            records = csvio.read_records(csvio.read_text(source))
        except csvio.CsvFormatError as exc:
            raise SpaceError([Problem(str(exc), row=exc.row, field="space")]) from exc
        try:
            return _build(records, type, total_units, validate)
        except SpaceError as exc:
            other = csvio.other_separator(records)
            if other is None:
                raise
            raise SpaceError([Problem(str(other), row=other.row, field="space")]) from exc

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, validate: bool = True) -> Space:
        """Build a space from its JSON form (``to_dict``) or Daptics' ``{type, totalUnits, table}``.

        Raises SpaceError as ``from_csv`` does.
        """
        if not isinstance(data, Mapping):
            raise SpaceError([Problem("a space must be a JSON object", field="space")])
        twice = named_twice(data, (("total_units", "totalUnits"), ("parameters", "table")), "space")
        if twice is not None:
            raise SpaceError([twice])
        space_type = data.get("type")
        total = data.get("total_units", data.get("totalUnits"))
        total_key = "total_units" if "total_units" in data else "totalUnits"
        if "parameters" not in data and isinstance(data.get("table"), Mapping):
            rows = data["table"].get("data") or []
            odd = _odd_cell(rows, space_type)
            if odd is not None:
                raise SpaceError([odd])
            records = [
                csvio.Record(
                    row=i,
                    cells=tuple(_cell_text(c).strip() for c in row),
                    raw=tuple(_cell_text(c) for c in row),
                )
                for i, row in enumerate(rows, 1)
                if isinstance(row, Sequence) and any(_cell_text(c).strip() for c in row)
            ]
            return _build(records, space_type, total, validate, total_key)
        parameters = data.get("parameters")
        if not isinstance(parameters, Sequence) or isinstance(parameters, (str, bytes)):
            raise SpaceError(
                [
                    Problem(
                        "a space needs a list of 'parameters'", field="space", column="parameters"
                    )
                ]
            )
        entries: list[csvio.Record | Problem] = [
            _dict_record(i, p) for i, p in enumerate(parameters, 1)
        ]
        return _build(entries, space_type, total, validate, total_key)

    def to_dict(self) -> dict[str, Any]:
        """JSON form, as in the contract (``total_units`` only for mixtures)."""
        out: dict[str, Any] = {"type": self.type}
        if self.type == MIXTURE:
            out["total_units"] = self.total_units
        out["parameters"] = [p.to_dict() for p in self.parameters]
        return out

    def to_rows(self) -> list[list[Any]]:
        """The space file's rows (no header), factorial rows padded with empty cells."""
        rows: list[list[Any]] = []
        for p in self.parameters:
            if isinstance(p, MixtureComponent):
                rows.append([p.name, p.type, p.min, p.max])
            else:
                rows.append([p.name, p.type, *p.values])
        width = max((len(r) for r in rows), default=0)
        return [r + [""] * (width - len(r)) for r in rows]

    def to_csv(self, path: str | os.PathLike[str] | None = None) -> str:
        """The space file's text (no header); also written to ``path`` when given."""
        text = csvio.write_csv(self.to_rows())
        if path is not None:
            csvio.write_text_file(path, text)
        return text

    # ----- facts

    @property
    def names(self) -> tuple[str, ...]:
        """Parameter names, in order."""
        return tuple(p.name for p in self.parameters)

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns of this space's experiments table: the names, then ``Response``."""
        return (*self.names, RESPONSE)

    def parameter(self, name: str) -> Parameter:
        """The parameter called ``name``; KeyError if there is none."""
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(name)

    def size(self) -> int:
        """Exact number of distinct experiments (may be astronomically large).

        Raises ValueError for a mixture whose total_units is above MAX_TOTAL_UNITS.
        """
        if self.type == MIXTURE:
            if not isinstance(self.total_units, int) or self.total_units < 0:
                return 0
            if self.total_units > MAX_TOTAL_UNITS:
                raise ValueError(_too_many_units(self.total_units))
            return compositions.count(*self._unit_bounds(), self.total_units or 0)
        return math.prod(len(set(p.values)) for p in self.parameters) if self.parameters else 0

    def _unit_bounds(self) -> tuple[list[int], list[int]]:
        """The mixture components' minimum and maximum units, in parameter order."""
        units = [p for p in self.parameters if isinstance(p, MixtureComponent)]
        return [p.min for p in units], [p.max for p in units]

    def remaining_generations(self, population_size: int, tested: int = 0) -> int:
        """Generations of distinct untested experiments left until the whole space is
        tried: ``ceil((size - tested) / population)``, the last one holding what is left.

        The population rule of :mod:`sigopt_like.population`; ValueError below 1.
        """
        return generations_left(self.size(), tested, population_size)

    def validate(self) -> list[Problem]:
        """Every rule violation, each with its row (parameter i is row i) and column."""
        return _rule_problems(self, range(1, len(self.parameters) + 1))

    # ----- points

    def coerce_point(self, values: Sequence[Any]) -> tuple[Any, ...]:
        """``values`` (one per parameter, in order) as a point; ValueError saying what is wrong."""
        if len(values) != len(self.parameters):
            raise ValueError(f"expected {len(self.parameters)} values, got {len(values)}")
        point: list[Any] = []
        errors: list[str] = []
        for p, value in zip(self.parameters, values, strict=True):
            try:
                point.append(p.coerce(value))
            except ValueError as exc:
                errors.append(str(exc))
        if not errors and self.type == MIXTURE and sum(point) != self.total_units:
            errors.append(f"the units add up to {sum(point)}, not total_units {self.total_units}")
        if errors:
            raise ValueError("; ".join(errors))
        return tuple(point)

    def is_valid_point(self, values: Sequence[Any]) -> bool:
        """Whether ``values`` is an experiment of this space."""
        try:
            self.coerce_point(values)
        except ValueError:
            return False
        return True

    def __contains__(self, values: object) -> bool:
        return isinstance(values, Sequence) and self.is_valid_point(values)

    def iter_points(self) -> Iterator[tuple[Any, ...]]:
        """Every experiment of the space, in a fixed order (mind ``size()`` first)."""
        if self.type == MIXTURE:
            yield from compositions.iter_compositions(*self._unit_bounds(), self.total_units or 0)
        else:
            yield from itertools.product(*(p.values for p in self.parameters))

    def sampler(self) -> Callable[[random.Random], tuple[Any, ...]]:
        """A function drawing one point uniformly at random (exactly, for mixtures too)."""
        if self.type == MIXTURE:
            return compositions.CompositionSampler(*self._unit_bounds(), self.total_units or 0)
        params = self.parameters
        return lambda rng: tuple(rng.choice(p.values) for p in params)

    def random_points(
        self,
        n: int,
        seed: int | random.Random | None = None,
        *,
        distinct: bool = False,
        exclude: Sequence[tuple[Any, ...]] = (),
    ) -> list[tuple[Any, ...]]:
        """``n`` uniformly random points; with ``distinct`` none repeats and none is in ``exclude``.

        Raises ValueError if the space has too few points left for ``distinct``.
        """
        rng = seed if isinstance(seed, random.Random) else random.Random(seed)
        if n < 0:
            raise ValueError("n must be >= 0")
        draw = self.sampler()
        if not distinct:
            return [draw(rng) for _ in range(n)]
        excluded = set(exclude)
        size = self.size()
        available = size - sum(1 for e in excluded if self.is_valid_point(e))
        if n > available:
            raise ValueError(
                f"the space has {size} distinct experiments and {size - available} are already "
                f"used: cannot draw {n} more distinct ones"
            )
        if size <= ENUMERATION_LIMIT and n * 4 > available:
            pool = [p for p in self.iter_points() if p not in excluded]
            return rng.sample(pool, n)
        points: list[tuple[Any, ...]] = []
        while len(points) < n:
            point = draw(rng)
            if point not in excluded:
                excluded.add(point)
                points.append(point)
        return points

    # ----- experiments tables (Daptics' random_* helpers)

    def experiments_template(self) -> Table:
        """An empty experiments table: the parameter columns and ``Response``."""
        from sigopt_like.tables import Table

        return Table(columns=self.columns, rows=())

    def random_experiments(
        self,
        n: int,
        seed: int | random.Random | None = None,
        max_response: float | None = None,
        *,
        distinct: bool = False,
    ) -> Table:
        """``n`` random experiments; with ``max_response``, responses uniform in [0, max_response].

        Without ``max_response`` the Response column is empty (None).
        """
        from sigopt_like.tables import Table

        rng = seed if isinstance(seed, random.Random) else random.Random(seed)
        points = self.random_points(n, rng, distinct=distinct)
        return Table(
            columns=self.columns,
            rows=tuple((*p, _random_response(rng, max_response)) for p in points),
        )

    def random_extras(
        self,
        design: Table | Mapping[str, Any],
        n: int,
        seed: int | random.Random | None = None,
        max_response: float | None = None,
    ) -> Table:
        """``n`` extra experiments, distinct from each other and from every row of ``design``
        (a Table, or its dict: ``{columns, rows}`` or Daptics' ``{colHeaders, data}``)."""
        from sigopt_like.tables import Table, coerce_experiments

        rng = seed if isinstance(seed, random.Random) else random.Random(seed)
        designed = coerce_experiments(_design_table(design), self)
        used = [tuple(row[: len(self.names)]) for row in designed.rows]
        points = self.random_points(n, rng, distinct=True, exclude=used)
        return Table(
            columns=self.columns,
            rows=tuple((*p, _random_response(rng, max_response)) for p in points),
        )

    def random_experiments_with_responses(
        self,
        design: Table | Mapping[str, Any] | None = None,
        n_extras: int = 0,
        max_response: float = 5.0,
        seed: int | random.Random | None = None,
    ) -> Table:
        """The design's rows with random responses, then ``n_extras`` random extra rows.

        As Daptics' ``random_experiments_with_responses``: ``design`` is optional (None: the
        extra rows alone) and may be the design's dict (``{colHeaders, data}``)."""
        from sigopt_like.tables import Table, coerce_experiments

        rng = seed if isinstance(seed, random.Random) else random.Random(seed)
        if design is None:
            design = self.experiments_template()
        designed = coerce_experiments(_design_table(design), self)
        rows = [(*row[:-1], _random_response(rng, max_response)) for row in designed.rows]
        extras = self.random_extras(designed, n_extras, rng, max_response)
        return Table(columns=self.columns, rows=(*rows, *extras.rows))


def _design_table(design: Any) -> Table:
    """A design given as a Table or its dict (``{columns, rows}``, ``{colHeaders, data}``)."""
    from sigopt_like.tables import Table

    if isinstance(design, Table):
        return design
    if isinstance(design, Mapping):
        return Table.from_dict(design)
    raise TypeError(
        "design must be a Table or its dict ({'columns', 'rows'} or Daptics' "
        f"{{'colHeaders', 'data'}}), not {type(design).__name__}"
    )


def _random_response(rng: random.Random, max_response: float | None) -> float | None:
    if max_response is None:
        return None
    return round(rng.uniform(0.0, float(max_response)), 4)


def named_twice(
    data: Mapping[str, Any], pairs: Sequence[tuple[str, str]], field: str
) -> Problem | None:
    """A problem if ``data`` gives both names of one of ``pairs`` (ours and Daptics', such
    as ``columns`` and ``colHeaders``): one of the two would be read and the other
    dropped unseen, so neither is taken."""
    for ours, theirs in pairs:
        if ours in data and theirs in data:
            return Problem(
                f"the {field} gives both '{ours}' and Daptics' '{theirs}', two names of one "
                "thing: send one of them",
                field=field,
                column=theirs,
            )
    return None


# --------------------------------------------------------------------------- parsing


def _dict_record(index: int, param: Any) -> csvio.Record | Problem:
    """A parameter's JSON object as the cells of its space-file row (or a Problem)."""
    if not isinstance(param, Mapping):
        return Problem(f"row {index}: a parameter must be a JSON object", row=index, field="space")
    name = param.get("name")
    if "name" in param and not isinstance(name, str):
        # before: the number 1e308 became the name '1e+308', not the name that was sent
        return name_not_text(index, name)
    ptype = param.get("type")
    if ptype == "unit" or ("min" in param and "max" in param and "values" not in param):
        # only a type left out is a unit: before, a type of "", 0 or [] was read as one
        cells = [name, "unit" if ptype is None else ptype, param.get("min"), param.get("max")]
        kind = MIXTURE
    else:
        kind = FACTORIAL
        values = param.get("values")
        if not isinstance(values, Sequence) or isinstance(values, (str, bytes)):
            return Problem(
                f"row {index}: parameter '{name}' needs a list of 'values'",
                row=index,
                column="Value.1",
                field="space",
            )
        cells = [name, ptype, *values]
    out: list[str] = []
    for at, cell in enumerate(cells):
        if not _is_cell(cell):
            # before: true, {} or [1] became the level 'True', '{}' or '[1]'
            return _not_a_cell(kind, index, at, f"parameter '{name}' has {_json_shown(cell)}")
        if isinstance(cell, int) and not _written(cell):  # before: str()'s ValueError
            return integer_past_floats(kind, index, at)
        if cell is None:
            out.append("")
        elif isinstance(cell, float):
            out.append(repr(cell) if not math.isfinite(cell) else csvio.format_cell(cell))
        else:
            # as a space file's cell is read: a level given as "\ufeffPd" was kept so, and
            # then matched no table's "Pd" (the table readers drop the mark), nor itself
            # once the space was written as a file and read back
            out.append(csvio.clean_cell(_cell_text(cell)))
    raw = tuple(_cell_text(c) for c in cells)
    return csvio.Record(row=index, cells=tuple(out), raw=raw)


def _odd_cell(rows: Any, space_type: Any) -> Problem | None:
    """The first cell of Daptics' ``table.data`` rows that is neither text nor a number,
    a Name cell holding a number no name is stored as (:func:`name_cell_unstorable`), or
    an integer of more digits than Python writes."""
    kind = MIXTURE if space_type == MIXTURE else FACTORIAL
    for row, cells in enumerate(rows if isinstance(rows, Sequence) else (), 1):
        for at, cell in enumerate(cells if isinstance(cells, Sequence) else ()):
            if not _is_cell(cell):
                return _not_a_cell(kind, row, at, _json_shown(cell))
            if at == 0 and unstorable_number(cell):
                return name_cell_unstorable(row, cell)
            if isinstance(cell, int) and not _written(cell):  # before: str()'s ValueError
                return integer_past_floats(kind, row, at)
    return None


def unstorable_number(value: Any) -> bool:
    """A number no space stores: an integer past 64 bits, one past a float's range (the
    door reads one of thousands of digits as an infinite float), JSON's ``1e400``, NaN."""
    if isinstance(value, float):
        return not math.isfinite(value)
    return type(value) is int and not INT64_MIN <= value <= INT64_MAX


def name_cell_unstorable(row: int, name: Any) -> Problem:
    """The Name cell of row ``row`` of Daptics' space table (``table.data``) holding a
    number no name is stored as (:func:`unstorable_number`), labelled as that form's other
    cells that cannot be read ("row 2, column A (Name): ..."), whichever check finds it,
    :meth:`Space.from_dict` or :mod:`sigopt_like.space_wire`. A number there is read as
    its text (``5`` is the name "5"), so "a parameter name is text (a JSON string)", what
    a ``parameters`` item is told, was not true of it."""
    where = _where(FACTORIAL, row, 0)
    if isinstance(name, float) and math.isnan(name):  # never from JSON: a client's own
        said = "NaN (not a number) is no name"
    else:
        shown = _json_shown(name)
        number = shown if shown.startswith("a number") else f"the number {shown}"
        said = f"{number} is too large to store as a name"
    return Problem(
        f"{where}: {said}; write the name as text (a JSON string)",
        row=row,
        column="Name",
        field="space",
    )


def integer_past_floats(kind: str, row: int, at: int) -> Problem:
    """The cell at ``row``, column ``at``, holding a Python int of more digits than Python
    writes (4,300), in the words the service's door gives such a level over HTTP (it reads
    one of thousands of digits as an infinite float)."""
    return Problem(
        f"{_where(kind, row, at)}: the number is beyond the numbers a space holds "
        "(about +-1.8e308)",
        row=row,
        column=_column_title(kind, at),
        field="space",
    )


def not_a_cell(kind: str, row: int, at: int, cell: Any) -> Problem:
    """The problem of a Daptics space-table cell that is neither text nor a number (a list,
    an object, not JSON at all), whichever check finds it, :meth:`Space.from_dict` or
    :mod:`sigopt_like.space_wire`."""
    return _not_a_cell(kind, row, at, _json_shown(cell))


def held_number_shown(value: Any) -> str | None:
    """A list or object ``value`` holding a number JSON does not write (``[1e400]``, a
    Python int of 5,001 digits), as a message shows it ("a list holding ..."); None if
    ``value`` is no such list or object."""
    if isinstance(value, (list, tuple, Mapping)) and unwritten_number(value) is not None:
        return _json_shown(value)
    return None


def _not_a_cell(kind: str, row: int, at: int, said: str) -> Problem:
    """The problem of a cell at ``row``, column ``at``, that is neither text nor a number."""
    return Problem(
        f"{_where(kind, row, at)}: {said}; a space's cells are text or numbers",
        row=row,
        column=_column_title(kind, at),
        field="space",
    )


def _is_cell(value: Any) -> bool:
    """Whether a JSON value can be a space file's cell: text, a number, or nothing."""
    return value is None or (isinstance(value, (str, int, float)) and not isinstance(value, bool))


def _column_title(space_type: str, index: int) -> str:
    if index == 0:
        return "Name"
    if index == 1:
        return "Type"
    if space_type == MIXTURE:
        return "Min" if index == 2 else "Max" if index == 3 else f"Extra.{index - 3}"
    return f"Value.{index - 1}"


def _where(space_type: str, row: int, index: int) -> str:
    return f"row {row}, column {csvio.column_letter(index)} ({_column_title(space_type, index)})"


def _experiments_header(record: csvio.Record | Problem) -> Problem | None:
    """A problem when the first row is an experiments table's header (it ends in Response
    and its second cell is not a parameter type: a categorical's last level may be
    "response").

    Without it, an experiments file given as a space reports one "unknown parameter
    type" per row of data, which hides the one mistake: the wrong file.
    """
    if isinstance(record, Problem):
        return None
    cells = csvio.trim_trailing(record.cells)
    if len(cells) < 2 or cells[-1].strip().casefold() != "response":
        return None
    if cells[1].strip().casefold() in (*_FACTORIAL_TYPES, *_MIXTURE_TYPES):
        return None  # a parameter row whose last level is "response"
    return Problem(
        f"row {record.row} names parameters and a Response column: this is an experiments "
        "table, not a space file (a space file has no header and one row per parameter)",
        row=record.row,
        field="space",
    )


def _other_kind(records: Sequence[csvio.Record | Problem], space_type: str) -> Problem | None:
    """One problem when every row is of the other kind of space (a mixture file read as a
    factorial one, or the reverse); before, each row said so, then "the space has no
    parameters" (and "needs at least two components") followed."""
    rows = [r for r in records if not isinstance(r, Problem)]
    other = MIXTURE if space_type == FACTORIAL else FACTORIAL
    words = _MIXTURE_TYPES if space_type == FACTORIAL else _FACTORIAL_TYPES
    kinds = {r.cells[1].strip().casefold() if len(r.cells) > 1 else "" for r in rows}
    if not rows or not kinds <= set(words):
        return None
    shown = ", ".join(f"'{word}'" for word in sorted(kinds))
    extra = " with its total_units" if other == MIXTURE else ""
    return Problem(
        f"every row has the type {shown} of a {other} space: this is a {other} space file, "
        f"not a {space_type} one; read it as a {other} space{extra}",
        row=rows[0].row,
        column="Type",
        field="space",
    )


def _looks_like_header(cells: Sequence[str]) -> bool:
    first = cells[0].casefold() if cells else ""
    second = cells[1].casefold() if len(cells) > 1 else ""
    known = (*_FACTORIAL_TYPES, *_MIXTURE_TYPES)
    return second == "type" or (first == "name" and second not in known)


def _build(
    records: Sequence[csvio.Record | Problem],
    space_type: Any,
    total_units: Any,
    validate: bool,
    total_key: str = "total_units",
) -> Space:
    problems: list[Problem] = []
    if isinstance(space_type, str) and space_type.strip().lower() in SPACE_TYPES:
        space_type = space_type.strip().lower()  # as the rows' types: 'Factorial' too
    if space_type not in SPACE_TYPES:
        raise SpaceError(
            [
                Problem(
                    f"unknown space type {_clipped(space_type)}: use 'factorial' or 'mixture'",
                    column="type",
                    field="space",
                )
            ]
        )
    total = total_units
    if total_units is not None and not isinstance(total_units, int):
        converted = _to_int(total_units)
        total = total_units if converted is None else converted
    if not records:
        problems.append(
            Problem(
                f"the space is empty: give one row per parameter ({_ROW_SHAPE[space_type]})",
                field="space",
            )
        )
        raise SpaceError(problems)
    table_header = _experiments_header(records[0])
    if table_header is not None:
        raise SpaceError([table_header])
    other_kind = _other_kind(records, space_type)
    if other_kind is not None:
        raise SpaceError([other_kind])
    parameters: list[Parameter] = []
    rows: list[int] = []
    incomplete: set[int] = set()  # rows with a value that could not be read
    unread = False  # a row left out of the space: what counts the rows cannot be judged
    for record in records:
        if isinstance(record, Problem):
            problems.append(record)
            unread = True
            continue
        before = len(problems)
        parsed = _parse_row(space_type, record, problems)
        if len(problems) > before:
            incomplete.add(record.row)
        if parsed is not None:
            parameters.append(parsed)
            rows.append(record.row)
        else:
            unread = True
    space = Space(type=space_type, parameters=tuple(parameters), total_units=total)
    # a total that is no whole number cannot be read, as a component's bound that is none
    # (both refused as the space is read; before, the total only by the space's task)
    unread_total = space_type == MIXTURE and total is not None and not _whole(total)
    if problems or validate or unread_total:
        problems.extend(_rule_problems(space, rows, incomplete, total_key, unread=unread))
    if problems:
        problems.sort(key=lambda p: (p.row is None, p.row or 0))
        raise SpaceError(problems)
    return space


def _empty_cell(sent: str) -> str:
    """What a value cell that reads as empty is: one of nothing, or (named) one of only
    characters that read as blank, such as U+2028 or U+0085 (before: "empty cell between
    values" for a cell that a person saw hold something, or could not see at all)."""
    if not sent:
        return "empty cell between values: put the values first, empty cells at the end"
    shown = ", ".join(f"U+{ord(ch):04X}" for ch in sent[:5]) + (", ..." if len(sent) > 5 else "")
    return (
        f"the cell {_clipped(sent)} holds only blank characters ({shown}: a line separator, "
        "a next-line or another space a spreadsheet shows as nothing), so it reads as an "
        "empty cell between values: a value needs a visible character; put the values "
        "first, empty cells at the end"
    )


def _parse_row(space_type: str, record: csvio.Record, problems: list[Problem]) -> Parameter | None:
    """One space-file row as a parameter; problems found are appended, None if unusable."""
    row = record.row
    cells = csvio.trim_trailing(record.cells)

    def problem(message: str, index: int | None = None) -> None:
        where = f"row {row}" if index is None else _where(space_type, row, index)
        column = None if index is None else _column_title(space_type, index)
        problems.append(Problem(f"{where}: {message}", row=row, column=column, field="space"))

    if _looks_like_header(cells):
        problems.append(
            Problem(
                f"row {row} looks like a header row; space files have no header: delete it "
                f"(each row is {_ROW_SHAPE[space_type]})",
                row=row,
                column="Name",
                field="space",
            )
        )
        return None
    name = cells[0]
    if len(cells) < 2 or not cells[1]:
        problem(f"parameter '{name}' has no type; each row is {_ROW_SHAPE[space_type]}", 1)
        return None
    word = cells[1].casefold()
    allowed = _FACTORIAL_TYPES if space_type == FACTORIAL else _MIXTURE_TYPES
    if word not in allowed:
        other = MIXTURE if space_type == FACTORIAL else FACTORIAL
        other_words = _MIXTURE_TYPES if space_type == FACTORIAL else _FACTORIAL_TYPES
        if word in other_words:
            problem(
                f"type '{cells[1]}' belongs to {other} spaces; this is a {space_type} space "
                f"(use {' or '.join(allowed)})",
                1,
            )
        else:
            close = difflib.get_close_matches(word, allowed, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else f"; use {' or '.join(allowed)}"
            # as the other cells are shown (repr): a lone NUL was written raw to the terminal
            problem(f"unknown parameter type {_clipped(cells[1])}{hint}", 1)
        return None
    if space_type == MIXTURE:
        return _parse_unit_row(name, cells, problem)
    values: list[Any] = []
    for index in range(2, len(cells)):
        cell = cells[index]
        if cell == "":
            problem(_empty_cell(record.raw[index] if index < len(record.raw) else ""), index)
            continue
        if word == "numerical":
            number = csvio.parse_number(cell)
            if number is None:
                problem(
                    f"{_clipped(cell)} is not a number (parameter '{name}' is numerical)"
                    + csvio.decimal_comma_tip(cell),
                    index,
                )
                continue
            if not math.isfinite(number):  # before: "value inf of 'temp' is not a finite..."
                problem(f"{_show(cell)} is too large: a level is at most +-1.8e308", index)
                continue
            inexact = _inexact_whole(cell, number)
            if inexact is not None:
                problem(inexact, index)
                continue
            values.append(number)
        else:
            values.append(cell)
    if word == "numerical":
        return NumericalParameter(name=name, values=tuple(values))
    return CategoricalParameter(name=name, values=tuple(values))


def _parse_unit_row(
    name: str, cells: Sequence[str], problem: Callable[[str, int | None], None]
) -> MixtureComponent | None:
    bounds: list[int | None] = []
    for index, label in ((2, "minimum"), (3, "maximum")):
        cell = cells[index] if index < len(cells) else ""
        value = _to_int(cell)
        if cell == "":
            problem(f"component '{name}' has no {label}; each row is {_ROW_SHAPE[MIXTURE]}", index)
        elif value is None:
            problem(f"{label} {_clipped(cell)} is not a whole number of units", index)
        bounds.append(value)
    for index in range(4, len(cells)):
        if cells[index]:
            problem(
                f"unexpected value {_clipped(cells[index])}: a mixture row has 4 cells "
                f"({_ROW_SHAPE[MIXTURE]})",
                index,
            )
    lo, hi = bounds
    if lo is None or hi is None:
        return None
    return MixtureComponent(name=name, min=lo, max=hi)


# --------------------------------------------------------------------------- rules


def _rule_problems(
    space: Space,
    rows: Sequence[int],
    incomplete: Collection[int] = (),
    total_key: str = "total_units",
    *,
    unread: bool = False,
) -> list[Problem]:
    """Rule violations of ``space``; parameter i is shown at ``rows[i]``.

    Rows in ``incomplete`` lost values while being read: their value count is not judged.
    ``total_key`` is the name its total units were given by (Daptics' ``totalUnits``).
    ``unread``: a row of the file could not be read as a parameter, so the rules on the
    rows together (how many, what their bounds add up to) are not judged: before, a file
    of two components, one with the maximum ``10.5``, was also told "a mixture space needs
    at least two components" and that its maximums added up to too little.
    """
    problems: list[Problem] = []
    kind = space.type

    def add(
        message: str,
        row: int | None = None,
        index: int | None = None,
        field: str = "space",
        column: str | None = None,
    ):
        column = column if index is None else _column_title(kind, index)
        where = ""
        if row is not None:
            where = f"row {row}: " if index is None else f"{_where(kind, row, index)}: "
        problems.append(Problem(where + message, row=row, column=column, field=field))

    if kind not in SPACE_TYPES:
        add(f"unknown space type {_clipped(kind)}: use 'factorial' or 'mixture'")
        return problems
    if not space.parameters:
        if not unread:
            add(f"the space has no parameters: give one row per parameter ({_ROW_SHAPE[kind]})")
    elif kind == MIXTURE and len(space.parameters) > MAX_COMPONENTS:
        add(
            f"the mixture has {len(space.parameters):,} components; the service counts at most "
            f"{MAX_COMPONENTS:,}: keep the ones the response depends on, or group minor ones"
        )
        return problems  # one problem, not one per row, and no count of the space
    seen: dict[str, int] = {}
    for param, row in zip(space.parameters, rows, strict=True):
        _name_problems(param.name, row, seen, add)
        if kind == FACTORIAL and isinstance(param, MixtureComponent):
            add(f"component '{param.name}' is a mixture unit; this is a factorial space", row, 1)
        elif kind == MIXTURE and not isinstance(param, MixtureComponent):
            add(f"parameter '{param.name}' is {param.type}; a mixture space has units only", row, 1)
        elif isinstance(param, MixtureComponent):
            _unit_problems(param, row, space.total_units, add)
        else:
            _level_problems(param, row, add, count=row not in incomplete)
    if kind == MIXTURE:
        _total_problems(space, add, total_key, unread=unread)
    elif space.total_units is not None:
        add("total_units applies to mixture spaces only; leave it out", field="total_units")
    else:
        _size_problems(space, add)
    return problems


def _size_problems(space: Space, add: Callable[..., None]) -> None:
    """A factorial space too large to count in decimal (its size is sent as an integer)."""
    levels = (
        len(set(p.values))
        for p in space.parameters
        if isinstance(p, (NumericalParameter, CategoricalParameter)) and p.values
    )
    digits = sum(math.log10(count) for count in levels)
    if digits > MAX_SIZE_DIGITS:
        add(
            f"the space has more than 10^{MAX_SIZE_DIGITS:,} distinct experiments (about "
            f"10^{int(digits):,}), more than the service counts: use fewer parameters or levels"
        )


def _name_text_problem(name: str) -> str | None:
    """Why ``name`` cannot head a column of the experiments table, or None.

    A NUL or a lone surrogate is said in the service's words (``table_wire.text_problem``),
    whichever way the space came: a space file's name was told "the invisible or control
    character U+D800" and the same name sent as a dict "a lone UTF-16 surrogate"."""
    from .table_wire import text_problem  # it imports this module

    unstorable = text_problem(name, "space")
    if unstorable is not None:
        return unstorable
    hidden = next((ch for ch in name if unicodedata.category(ch) in _INVISIBLE), None)
    if hidden is not None:
        return (
            f"holds the invisible or control character U+{ord(hidden):04X}; "
            "type the name again without it"
        )
    if name.startswith(_FORMULA_STARTS):
        return (
            f"begins with '{name[0]}', which a spreadsheet runs as a formula when it opens "
            "the experiments table; begin it with a letter, digit or bracket"
        )
    if name in HISTORY_COLUMNS:
        return "is a column that history files add; choose another name"
    if len(name) > MAX_NAME_LENGTH:
        return f"is {len(name)} characters long; use at most {MAX_NAME_LENGTH}"
    return None


def name_not_text(number: int, name: Any) -> Problem:
    """Parameter ``number``'s JSON ``name`` that is not text (a number of any size, true,
    null, a list, an object), shown as JSON writes it: one message whichever check finds
    it, the space's reading (:meth:`Space.from_dict`) or the check of what the service's
    door refuses (:mod:`sigopt_like.space_wire`). Before, the name 5 was "row 2: ... not
    5", 2**70 "parameter 2: ...", true "not True", and a name of 5,001 digits the door's
    "beyond the integers this service stores: a whole-number field ... takes"."""
    return Problem(
        f"parameter {number}: a parameter name is text (a JSON string), not {_json_shown(name)}",
        row=number,
        column="Name",
        field="space",
    )


def _cell_text(cell: Any) -> str:
    """A space's cell as text, as a table's cell is read ("" for None): a number's digits
    by int's and float's own methods, not an int or float subclass's ``__str__`` (one that
    raised crashed the reading with its own error, where the cell is said)."""
    if cell is None:
        return ""
    if isinstance(cell, int) and not isinstance(cell, bool):
        return int.__repr__(cell)
    if isinstance(cell, float):
        return float.__repr__(cell)
    return str(cell)


def _json_shown(value: Any) -> str:
    """A JSON value for a message as JSON writes it (``true``, ``null``, ``[1]``); an
    integer in full up to :data:`MOST_DIGITS` digits, else its first digits and length."""
    if isinstance(value, int) and not isinstance(value, bool):
        # int's digits, not a subclass's __str__; past the 4,300 Python writes too (they
        # were "an integer of thousands of digits")
        return csvio.clip_int(value)
    written = getattr(value, "written", None)  # the door's WideInteger: digits as sent
    if isinstance(written, str):
        return csvio.digits_shown(written)
    if isinstance(value, float) and math.isinf(value):
        return "a number beyond a float's range (about +-1.8e308; JSON's 1e400)"
    if isinstance(value, float) and math.isnan(value):  # never from JSON: a client's own
        return "NaN (not a number)"
    if isinstance(value, (list, tuple, Mapping)):
        # before: Python's repr ([inf], {'a': [True, inf]}), or a ValueError for a Python
        # int of 5,001 digits in a list
        held = unwritten_number(value)
        if held is not None:
            return f"{json_kind(value)} holding {_json_shown(held)}"
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError, RecursionError):  # not JSON (bytes, a set): as Python has it
        return _clipped(value)
    # cut to its ends and length, then escaped as every refusal quotes what was sent
    # (json_kinds): before, a lone surrogate, a direction mark or a C1 control went into
    # the message raw (printing it raised an error)
    return escaped_unprintable(csvio.clip(text))


def unwritten_number(value: Any) -> Any:
    """The first number in the list or object ``value`` (at any depth, its keys too) that
    JSON does not write: one past a float's range (the door reads ``1e400``, and an
    integer of thousands of digits, so), NaN, or a Python int of more digits than Python
    writes (4,300); None if there is none."""
    return first_held(value, lambda item: not _written(item))


def first_held(value: Any, wanted: Callable[[Any], bool]) -> Any:
    """The first item of the list, tuple, set or mapping ``value`` (at any depth, a
    mapping's keys before its values; not itself a container) for which ``wanted`` is
    true; None if there is none. A container that holds itself is walked once."""
    seen: set[int] = set()
    left: list[Any] = [value]
    while left:
        item = left.pop()
        if isinstance(item, (list, tuple, set, frozenset, Mapping)):
            if id(item) not in seen:
                seen.add(id(item))
                held = [*item.keys(), *item.values()] if isinstance(item, Mapping) else item
                left.extend(reversed(list(held)))
        elif wanted(item):
            return item
    return None


def _written(item: Any) -> bool:
    """Whether JSON writes ``item`` (not a list or an object) as it is: a finite float, a
    Python int of at most the digits Python writes (4,300), or anything not a number."""
    if isinstance(item, float):
        return math.isfinite(item)
    if isinstance(item, int) and not isinstance(item, bool):
        try:  # int's own digits: an int subclass's __str__ is not run (one that raised
            # crashed the check with its own error)
            int.__repr__(item)
        except ValueError:
            return False
    return True


def _clipped(value: Any) -> str:
    """``repr(value)`` for a message, a long text clipped (a megabyte typed as a space's
    type was quoted whole, a megabyte of message)."""
    if isinstance(value, str):
        return csvio.clip_repr(value)
    if isinstance(value, int) and not isinstance(value, bool):  # repr(-10**5000) raised,
        # and the message called the number "a int object, which is not JSON data"
        return csvio.clip_int(value)
    try:
        return csvio.clip(repr(value))
    except Exception:  # a user's object whose repr raises: before, that error escaped
        return f"a {type(value).__name__} object, which is not JSON data"


def _name_problems(name: str, row: int, seen: dict[str, int], add: Callable[..., None]) -> None:
    if not name:
        add("the parameter name is empty", row, 0)
        return
    if name.casefold() in (r.casefold() for r in RESERVED_NAMES):
        reserved = next(r for r in RESERVED_NAMES if r.casefold() == name.casefold())
        why = (
            "the experiments table's response column"
            if reserved == RESPONSE
            else "a column title of the space table"
        )
        header = " (it looks like a header row: space files have no header)" if row == 1 else ""
        add(f"'{name}' is a reserved word ({why}); choose another name{header}", row, 0)
    else:
        problem = _name_text_problem(name)
        if problem:
            add(f"parameter name {json_shown(name)} {problem}", row, 0)
    key = name.casefold()
    if key in seen:
        add(
            f"parameter name '{csvio.clip(name)}' is used already in row {seen[key]} "
            "(names ignore case)",
            row,
            0,
        )
    else:
        seen[key] = row


def _level_problems(
    param: NumericalParameter | CategoricalParameter,
    row: int,
    add: Callable[..., None],
    *,
    count: bool = True,
) -> None:
    seen: dict[Any, int] = {}
    numbers: dict[float, int] = {}  # categorical labels that read as numbers
    for index, value in enumerate(param.values, 2):
        if isinstance(value, float) and not math.isfinite(value):
            add(f"value {_clipped(value)} of '{param.name}' is not a finite number", row, index)
            continue
        if isinstance(value, str) and value.strip() in ("", "-"):
            add(
                f"'{param.name}' has the value {json_shown(value)}, which marks a missing value in "
                "experiments tables; choose another label",
                row,
                index,
            )
            continue
        if isinstance(value, str) and "\x00" in value:
            # before, the service's door refused the space as "'space.parameters[1].
            # values[0]' contains a NUL character", a place no space file shows
            add(
                f"'{param.name}' has the value {_clipped(value)}: it holds a NUL character "
                "(U+0000), which no space stores; type the value again without it",
                row,
                index,
            )
        label_problem = _level_text_problem(value) if isinstance(value, str) else None
        if label_problem is not None:
            add(f"'{param.name}' has the value {_clipped(value)}, {label_problem}", row, index)
        if isinstance(value, str) and _formula_level(value):
            add(
                f"'{param.name}' has the value {_clipped(value)}, which begins with "
                f"'{value.strip()[0]}': a spreadsheet opening the experiments table runs it "
                "as a formula; begin it with a letter, digit or bracket",
                row,
                index,
            )
            continue
        number = _to_float(value) if isinstance(value, str) else None
        if number is not None and number in numbers and value not in seen:
            add(
                f"values '{value}' and '{param.values[numbers[number] - 2]}' of '{param.name}' "
                "are the same number; experiments tables cannot tell them apart",
                row,
                index,
            )
            continue
        if number is not None:
            numbers.setdefault(number, index)
        if value in seen:
            add(
                f"value {_show(value)} of '{param.name}' is listed twice "
                f"(also column {csvio.column_letter(seen[value])})",
                row,
                index,
            )
        else:
            seen[value] = index
    if count and len(seen) < 2:
        add(
            f"parameter '{param.name}' has {len(seen)} distinct value(s); "
            "a factorial parameter needs at least two",
            row,
            2,
        )


def _level_text_problem(level: str) -> str | None:
    """Why the categorical ``level`` cannot be a cell of the experiments table, or None (a
    NUL is said where it is found; a lone surrogate in the words a name's is said in)."""
    if "\x00" not in level:
        from .table_wire import text_problem  # it imports this module

        unstorable = text_problem(level, "space")
        if unstorable is not None:
            return f"which {unstorable}"
    hidden = next(
        (ch for ch in level if ch != "\x00" and unicodedata.category(ch) in _INVISIBLE - {"Cs"}),
        None,
    )
    if hidden is not None:
        return (
            f"which holds the invisible or control character U+{ord(hidden):04X} (a line "
            "break, a tab, a zero-width or direction mark): the experiments table would "
            "split its row, or show it as another level; type the value again without it"
        )
    if len(level) > MAX_NAME_LENGTH:
        return (
            f"which is {len(level):,} characters long; a level is a label in the experiments "
            f"table's cell: use at most {MAX_NAME_LENGTH}"
        )
    return None


def _formula_level(value: str) -> bool:
    """Whether a spreadsheet reads the level ``value`` as a formula (see _FORMULA_STARTS)."""
    text = value.strip()
    if not text.startswith(_FORMULA_STARTS):
        return False
    return text[0] in "=@" or (len(text) > 1 and _to_float(text) is None)


def _unit_problems(param: MixtureComponent, row: int, total: Any, add: Callable[..., None]) -> None:
    for index, value, label in ((2, param.min, "minimum"), (3, param.max, "maximum")):
        if not isinstance(value, int) or isinstance(value, bool):
            add(
                f"{label} {_clipped(value)} of '{param.name}' is not a whole number of units",
                row,
                index,
            )
            return
    # as written when short: before, a maximum of 1e308 was quoted as its 309 digits
    low, high = shown_count(param.min), shown_count(param.max)
    if param.min < 0:
        add(f"minimum {low} of '{param.name}' is negative", row, 2)
    if param.max < 1:
        add(f"maximum {high} of '{param.name}' is not a positive number of units", row, 3)
    elif param.min > param.max:
        add(
            f"'{param.name}' has minimum {low} and maximum {high}: "
            "the minimum must not be above the maximum",
            row,
            3,
        )
    if isinstance(total, int) and not isinstance(total, bool) and total >= 1 and param.max > total:
        shown = shown_count(total)
        add(f"maximum {high} of '{param.name}' is above total_units {shown}", row, 3)


def shown_count(count: int) -> str:
    """A whole number of units for a message, as given: in full up to
    :data:`~sigopt_like._constants.MOST_DIGITS` digits (``2**70`` as
    ``1180591620717411303424``; it was ``1.18059e+21``, a number no one typed, where
    other messages quote one in full), else in float notation (a ``1e308`` sent as a
    mixture's total_units was quoted as its 309 digits); past a float's range by its
    ends and its length (``csvio.clip_int``: ``str(10**5000)`` was Python's own
    "Exceeds the limit (4300 digits)" ValueError from ``Space.validate``)."""
    if abs(count) < 10**MOST_DIGITS:
        return str(count)
    try:
        return f"{float(count):g}"
    except OverflowError:  # past a float's range: only Python callers can send one
        return csvio.clip_int(count)


def _too_many_units(total: int) -> str:
    return (
        f"total_units {shown_count(total)} is too large: the most is {MAX_TOTAL_UNITS}; "
        "express the components in coarser units"
    )


def _total_problems(
    space: Space, add: Callable[..., None], key: str, *, unread: bool = False
) -> None:
    total = space.total_units
    if isinstance(total, str):
        from .table_wire import text_problem  # it imports this module

        unreadable = text_problem(total, "space")
        if unreadable is not None:  # the service's words (space_wire), not "not '1\x00'"
            add(f"the total units ('{key}') {unreadable}", field="total_units", column=key)
            return
    if total is None:
        add(
            "a mixture space needs total_units (the units every experiment's components add up to)",
            field="total_units",
        )
        return
    if not isinstance(total, int) or isinstance(total, bool) or total < 1:
        add(
            f"total_units must be a positive whole number, not {_clipped(total)}",
            field="total_units",
        )
        return
    if total > MAX_TOTAL_UNITS:
        add(_too_many_units(total), field="total_units")
        return
    if unread:  # a component left out: the count and the sums would be of the others
        return
    units = [p for p in space.parameters if isinstance(p, MixtureComponent)]
    if len(units) < 2:
        add("a mixture space needs at least two components")
    if not units or not all(isinstance(p.min, int) and isinstance(p.max, int) for p in units):
        return
    low, high = sum(p.min for p in units), sum(p.max for p in units)
    if low > total:
        add(
            f"the minimums add up to {low}, more than total_units {total}: no experiment fits; "
            "lower some minimums or raise total_units",
            field="total_units",
        )
    elif high < total:
        add(
            f"the maximums add up to {high}, less than total_units {total}: no experiment fits; "
            "raise some maximums or lower total_units",
            field="total_units",
        )

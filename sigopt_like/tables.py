"""Experiments tables: columns and rows, CSV/JSON/pandas forms, validation against a Space.

Pure: no HTTP, no database; stdlib and attrs, pandas imported only when asked.

An experiments file HAS a header: the space's parameter names, then
``Response``. A missing response is ``-`` or an empty cell in CSV, ``null`` in
JSON, ``None`` in Python; in the Response column only, ``NA``, ``N/A``, ``#N/A``,
``NaN``, ``-nan`` and ``-nan(ind)`` (any case, as spreadsheets, R, pandas, C's and
MSVC's printf write them: :func:`sigopt_like.csvio.is_nan_text`) and a float NaN (a
DataFrame's or a list of dicts' missing number) are missing too.
Row numbers in problems are those a spreadsheet shows: the header is row 1, the
first experiment row 2.
"""

from __future__ import annotations

import math
import numbers
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Union

import attrs

from sigopt_like import csvio
from sigopt_like._constants import FLOAT_EXACT_WHOLE, INT64_MAX, MAX_GENERATION
from sigopt_like.errors import SigoptLikeError
from sigopt_like.json_kinds import json_kind
from sigopt_like.spaces import (
    HISTORY_COLUMNS as HISTORY_COLUMNS,  # re-exported: tables write and read them
)
from sigopt_like.spaces import (
    MAX_LISTED_PROBLEMS,
    MIXTURE,
    RESPONSE,
    MixtureComponent,
    Parameter,
    Problem,
    Space,
    capped_problems,
    inexact_whole,
    named_twice,
    summary,
)

MISSING_MARKS = ("", "-")
# Marks of a response not measured, in the Response column only (compared casefolded,
# blanks stripped): R's and spreadsheets' NA, Excel's #N/A, and every spelling of NaN
# (csvio.is_nan_text: pandas' NaN for a missing float, C's printf "-nan" for a NaN with
# its sign bit set, MSVC's "-nan(ind)"). In a parameter column they stay text: "NA" may
# be a level (sodium's "Na").
MISSING_RESPONSE_MARKS = ("na", "n/a", "#n/a")  # and NaN: csvio.is_nan_text
DEFAULT_MAX_PROBLEMS = MAX_LISTED_PROBLEMS

AllowMissing = Union[bool, Callable[[int], bool]]  # noqa: UP007


class TableError(SigoptLikeError, ValueError):
    """A table could not be read or is invalid; ``problems`` lists every finding."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(summary("invalid table", self.problems))


def _cell_from_text(text: str) -> Any:
    """A CSV cell's value: None if missing, a number if it reads as one, else the text.

    A number past a float's range (``1e309``) stays its text, so that the table is
    refused with that cell's row and column; as an infinity it reached the JSON encoder,
    whose message named ``table.rows.0.4`` and SigOpt's ``failed=True``.
    """
    if text in MISSING_MARKS:
        return None
    number = csvio.parse_number(text)
    if number is None or not math.isfinite(number):
        return csvio.nfc(text)
    return number


#: a whole number of more digits than this (sign included) may be past 64 bits
_WIDE_DIGITS = len(str(INT64_MAX)) - 1
#: as many digits in a row as INT64_MAX has: a text without one holds no wide number
_WIDE_RUN = re.compile(rf"[0-9]{{{_WIDE_DIGITS + 1}}}")  # csvio reads only ASCII digits


def _remember_typed(
    typed: dict[tuple[int, int], str],
    index: int,
    row: Sequence[Any],
    cells: Sequence[str],
    header: Sequence[str],
) -> None:
    """Note the text of each cell of ``row`` that was typed as a whole number and read as
    a float (past 64 bits): a parameter's is sent as typed, a response so typed is refused
    (:func:`wide_response_problem`); see :class:`Table`'s ``typed``."""
    for column, value in enumerate(row):
        if type(value) is float and csvio.is_integer_literal(cells[column]):
            typed[(index, column)] = cells[column].strip()


def _cell_from_json(value: Any) -> Any:
    if isinstance(value, str) and value.strip() in MISSING_MARKS:
        return None
    return csvio.nfc(value)


def is_missing_response(value: Any) -> bool:
    """Whether ``value`` in the Response column means "not measured": None, a float NaN
    (what pandas and numpy hold for a missing number), or one of the missing marks."""
    if value is None:
        return True
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        return math.isnan(value)  # an int (a bool, 2**2000) is never NaN: not asked
    if not isinstance(value, str):
        return False
    text = value.strip()
    return (
        text in MISSING_MARKS
        or text.casefold() in MISSING_RESPONSE_MARKS
        or csvio.is_nan_text(text)
    )


def _columns_converter(columns: Any) -> tuple[str, ...]:
    return tuple(csvio.nfc(str(c)) for c in columns)


def _rows_converter(rows: Any) -> tuple[tuple[Any, ...], ...]:
    return tuple(tuple(row) for row in rows)


@attrs.frozen
class Table:
    """An experiments table: column names and rows of values (``None`` where missing).

    ``line_numbers`` (not compared, not serialized) remembers each row's line in
    the file it was read from, so that problems point at the right line. ``typed``
    (likewise) remembers, by (row index, column index), the text of a parameter's cell
    that the CSV reader read as a float of another form (a whole number past 64 bits:
    ``1180591620717411303424`` is ``1.1805916207174113e+21``), so that it is sent, and
    quoted back in a problem, as the person typed it.
    """

    columns: tuple[str, ...] = attrs.field(converter=_columns_converter)
    rows: tuple[tuple[Any, ...], ...] = attrs.field(converter=_rows_converter, default=())
    line_numbers: tuple[int, ...] | None = attrs.field(default=None, eq=False, repr=False)
    typed: Mapping[tuple[int, int], str] | None = attrs.field(default=None, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        width = len(self.columns)
        if RESPONSE in self.columns:
            self._drop_missing_response_marks(self.columns.index(RESPONSE), width)
        problems = [
            Problem(
                f"row {self.row_number(i)} has {len(row)} values but there are {width} columns",
                row=self.row_number(i),
                field="table",
            )
            for i, row in enumerate(self.rows)
            if len(row) != width
        ]
        if problems:
            raise TableError(problems)

    def _drop_missing_response_marks(self, index: int, width: int) -> None:
        """Response cells marked not measured (``NA``, ``#N/A``, ``NaN``, a float NaN ...)
        become None.

        Done here so that every way in (CSV, JSON, rows, pandas) stores them as ``-`` is
        stored; the table is frozen, hence ``object.__setattr__``.
        """
        if not any(
            len(row) == width and row[index] is not None and is_missing_response(row[index])
            for row in self.rows
        ):
            return
        rows = tuple(
            (*row[:index], None, *row[index + 1 :])
            if len(row) == width and is_missing_response(row[index])
            else row
            for row in self.rows
        )
        object.__setattr__(self, "rows", rows)

    # ----- reading and writing

    @classmethod
    def from_csv(cls, source: csvio.CsvSource, *, allow_empty: bool = True) -> Table:
        """Read an experiments file (header row first) from a path, a file, bytes or text.

        Numbers become int/float, ``-`` and empty cells None, other cells stay text
        (but ``NA``, ``N/A``, ``#N/A`` and ``NaN`` in the Response column are None too).
        A row that repeats the header (files joined with ``cat``) is not an experiment
        (its Response cell is no response) and is skipped.
        A header-only file gives an empty table unless ``allow_empty=False``.
        Raises TableError with the row and column of every problem.
        """
        try:
            text = csvio.read_text(source)
            records = csvio.read_records(text)
        except csvio.CsvFormatError as exc:
            problem = Problem(str(exc), row=exc.row, column=exc.column, field="table")
            raise TableError([problem]) from exc
        if not records:
            raise TableError(
                [
                    Problem(
                        "the file is empty: an experiments table needs a header row "
                        "(the parameter names, then Response)",
                        field="table",
                    )
                ]
            )
        header_record, *data = records
        header = csvio.trim_trailing(header_record.cells)
        problems = _header_problems(header, header_record.row)
        problems.extend(_nul_problems(header_record, ()))
        width = len(header)
        rows: list[tuple[Any, ...]] = []
        lines: list[int] = []
        typed: dict[tuple[int, int], str] = {}
        wide = _WIDE_RUN.search(text) is not None  # one pass of the text, not of every row
        for record in data:
            cells = record.cells
            if RESPONSE in header and csvio.trim_trailing(cells) == header:
                continue  # the header again, where files were joined (cat a.csv b.csv)
            nul = _nul_problems(record, header)
            if nul:
                problems.extend(nul)
                continue
            if len(cells) < width:
                problems.append(
                    Problem(
                        f"row {record.row} has {len(cells)} cells but the header has {width} "
                        f"columns (column {csvio.column_letter(len(cells))} "
                        f"'{csvio.clip(header[len(cells)])}' onwards are missing)",
                        row=record.row,
                        column=header[len(cells)],
                        field="table",
                    )
                )
                continue
            extra = [i for i in range(width, len(cells)) if cells[i]]
            if extra:
                problems.append(
                    Problem(
                        f"row {record.row}, column {csvio.column_letter(extra[0])}: value "
                        f"'{csvio.clip(cells[extra[0]])}' is beyond the header's {width} columns"
                        + _split_decimal_tip(header, cells),
                        row=record.row,
                        column=csvio.column_letter(extra[0]),
                        field="table",
                    )
                )
                continue
            row = tuple(_cell_from_text(c) for c in cells[:width])
            if wide and max(map(len, cells[:width]), default=0) > _WIDE_DIGITS:
                _remember_typed(typed, len(rows), row, cells, header)
            rows.append(row)
            lines.append(record.row)
        if not data and not allow_empty:
            problems.append(
                Problem(
                    "the file has a header but no experiment rows",
                    row=header_record.row,
                    field="table",
                )
            )
        if problems:
            other = csvio.other_separator(records)
            if other is not None:
                raise TableError([Problem(str(other), row=other.row, field="table")])
            space_row = _space_row(header, header_record.row)
            raise TableError([space_row] if space_row is not None else problems)
        return cls(columns=header, rows=tuple(rows), line_numbers=tuple(lines), typed=typed or None)

    def to_csv(self, path: str | os.PathLike[str] | None = None) -> str:
        """CSV text with a header row (missing values empty); written to ``path`` when given."""
        text = csvio.write_csv([self.columns, *self.rows])
        if path is not None:
            csvio.write_text_file(path, text)
        return text

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Table:
        """Build from ``{"columns", "rows"}`` (or Daptics' ``{"colHeaders", "data"}``).

        ``null``, ``""`` and ``"-"`` cells become None, and in the Response column
        ``"NA"``, ``"N/A"``, ``"#N/A"`` and ``"NaN"`` (any case). Raises TableError.
        """
        if not isinstance(data, Mapping):
            raise TableError([Problem("a table must be a JSON object", field="table")])
        twice = named_twice(data, (("columns", "colHeaders"), ("rows", "data")), "table")
        if twice is not None:
            raise TableError([twice])
        # read under the keys sent, so that a refusal names them (a bad Daptics
        # 'colHeaders' was refused as "a table needs 'columns'", as if not read)
        names_key = "colHeaders" if "colHeaders" in data else "columns"
        rows_key = "data" if "data" in data else "rows"
        columns: Any = data.get(names_key)
        rows = data.get(rows_key, [])
        if rows is None:
            rows = []
        if not _is_list(columns) or not all(isinstance(c, str) for c in columns):
            needs = (
                f"a table's '{names_key}' must be a list of names (the parameters, then Response)"
                if names_key in data
                else "a table needs 'columns' (or Daptics' 'colHeaders'): a list of names"
            )
            raise TableError([Problem(needs, field="table", column=names_key)])
        if not _is_list(rows):
            raise TableError(
                [
                    Problem(
                        f"a table's '{rows_key}' must be a list of lists",
                        field="table",
                        column=rows_key,
                    )
                ]
            )
        problems = _header_problems([c.strip() for c in columns], 1)
        clean: list[tuple[Any, ...]] = []
        for i, row in enumerate(rows):
            if not _is_list(row) or len(row) != len(columns):
                if _is_list(row):
                    told = f"row {i + 2} has {len(row)} values but there are {len(columns)} columns"
                else:  # before: "row 2 has a dict", "has a int": Python's words for JSON's
                    told = (
                        f"row {i + 2} is {json_kind(row)}, not a list of its {len(columns)} "
                        "cells (one for each column, in order)"
                    )
                problems.append(Problem(told, row=i + 2, field="table"))
                continue
            clean.append(tuple(_cell_from_json(v) for v in row))
        if problems:
            raise TableError(problems)
        return cls(columns=[c.strip() for c in columns], rows=clean)

    def to_dict(self) -> dict[str, Any]:
        """JSON form ``{"columns": [...], "rows": [[...], ...]}`` (None for missing)."""
        return {"columns": list(self.columns), "rows": [list(row) for row in self.rows]}

    @classmethod
    def from_dataframe(cls, frame: Any) -> Table:
        """Build from a pandas DataFrame (NaN/NA become None, numpy scalars Python values)."""
        _require_pandas()
        rows = [tuple(_from_pandas(v) for v in row) for row in frame.itertuples(index=False)]
        return cls(columns=[str(c) for c in frame.columns], rows=rows)

    def to_dataframe(self) -> Any:
        """A pandas DataFrame of the table (None becomes NaN in numeric columns)."""
        pd = _require_pandas()
        frame = pd.DataFrame([list(r) for r in self.rows], columns=list(self.columns))
        for name in frame.columns:
            values = [v for v in frame[name] if v is not None]
            if values and all(_is_number(v) for v in values):
                frame[name] = pd.to_numeric(frame[name])
            elif not values and name == RESPONSE:
                frame[name] = frame[name].astype("float64")
        return frame

    # ----- access

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Rows as dicts ``{column: value}``."""
        for row in self.rows:
            yield dict(zip(self.columns, row, strict=True))

    def records(self) -> list[dict[str, Any]]:
        """Rows as a list of dicts ``{column: value}``."""
        return list(self)

    def column(self, name: str) -> tuple[Any, ...]:
        """The values of column ``name``; KeyError if there is none."""
        if name not in self.columns:
            raise KeyError(name)
        index = self.columns.index(name)
        return tuple(row[index] for row in self.rows)

    def responses(self) -> tuple[Any, ...]:
        """The ``Response`` column's values (KeyError if absent)."""
        return self.column(RESPONSE)

    def typed_text(self, index: int, column: int) -> str | None:
        """The text a cell was typed as in the CSV file, where its value is a float of
        another form (see ``typed``); else None."""
        return None if self.typed is None else self.typed.get((index, column))

    def row_number(self, index: int) -> int:
        """The spreadsheet row of data row ``index`` (0-based): its file line, else index + 2."""
        if self.line_numbers is not None and index < len(self.line_numbers):
            return self.line_numbers[index]
        return index + 2

    def with_responses(self, values: Sequence[Any]) -> Table:
        """A copy with ``Response`` set to ``values`` (the column is added if absent)."""
        if len(values) != len(self.rows):
            raise ValueError(f"expected {len(self.rows)} responses, got {len(values)}")
        if RESPONSE in self.columns:
            index = self.columns.index(RESPONSE)
            rows = [
                (*r[:index], v, *r[index + 1 :]) for r, v in zip(self.rows, values, strict=True)
            ]
            columns = self.columns
        else:
            rows = [(*r, v) for r, v in zip(self.rows, values, strict=True)]
            columns = (*self.columns, RESPONSE)
        return Table(columns=columns, rows=rows, line_numbers=self.line_numbers)


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _require_pandas() -> Any:
    try:
        import pandas
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "pandas is needed for DataFrame conversion: pip install pandas "
            "(or pip install 'sigopt_like[pandas]')"
        ) from exc
    return pandas


def _from_pandas(value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        import pandas

        if value is pandas.NA or value is pandas.NaT:
            return None
    except ImportError:  # pragma: no cover
        pass
    return value


def _space_row(header: Sequence[str], row: int) -> Problem | None:
    """One problem when the first row is a space file's parameter (``name,numerical,...``).

    Without it, a space file whose rows differ in width reports one "row N has 5 cells
    but the header has 7 columns" per parameter, which hides the one mistake (a file
    that reads as a table is named by ``validate_experiments``).
    """
    words = {"numerical", "categorical", "unit"}
    if len(header) < 2 or header[1].strip().casefold() not in words:
        return None
    if any(cell.strip().casefold() == "response" for cell in header):
        return None
    return Problem(
        f"row {row} reads as a parameter of a space file "
        f"('{csvio.clip(header[0])},{csvio.clip(header[1])},...'): "
        "this is a space file, not an experiments table, which starts with a header row "
        "(the parameter names, then Response)",
        row=row,
        field="table",
    )


def _nul_problems(record: csvio.Record, header: Sequence[str]) -> list[Problem]:
    """A problem for each cell of ``record`` that holds a NUL character, by row and column
    (``header`` names the columns of a data row): no text the service stores holds one,
    and before, its door refused the table as "'table.rows[0][4]' contains a NUL
    character", a place no spreadsheet shows."""
    problems: list[Problem] = []
    for index, cell in enumerate(record.cells):
        if "\x00" not in cell:
            continue
        letter = csvio.column_letter(index)
        name = header[index] if index < len(header) else None
        problems.append(
            Problem(
                f"row {record.row}, column {letter}{f' ({name})' if name else ''}: the cell "
                "holds a NUL character (U+0000), which no table stores; type the value again "
                "without it (a file full of them was saved as UTF-16: save it as CSV UTF-8)",
                row=record.row,
                column=name or letter,
                field="table",
            )
        )
    return problems


_WHOLE_DIGITS = re.compile(r"^[+-]?[0-9]+$")


def _split_decimal_tip(header: Sequence[str], cells: Sequence[str]) -> str:
    """A tip for a row one cell wider than its header whose last two cells read as a
    response written with a decimal comma (``...,1,5`` in a file saved with commas between
    the cells), else ``""``."""
    width = len(header)
    if not header or header[-1] != RESPONSE or len(csvio.trim_trailing(cells)) != width + 1:
        return ""
    whole, fraction = cells[width - 1].strip(), cells[width].strip()
    if not (_WHOLE_DIGITS.match(whole) and fraction.isascii() and fraction.isdigit()):
        return ""
    return (
        f": is the response '{whole},{fraction}', written with a comma as the decimal mark? "
        f"A comma separates the cells of a CSV file: write it as {whole}.{fraction}"
    )


def _header_problems(header: Sequence[str], row: int) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, name in enumerate(header):
        letter = csvio.column_letter(index)
        if name == "":
            problems.append(
                Problem(
                    f"row {row}, column {letter}: the header has an empty column name",
                    row=row,
                    column=letter,
                    field="table",
                )
            )
        elif name in seen:
            problems.append(
                Problem(
                    f"row {row}, column {letter}: column '{csvio.clip(name)}' appears twice "
                    f"(also column {csvio.column_letter(seen[name])})",
                    row=row,
                    column=name,
                    field="table",
                )
            )
        else:
            seen[name] = index
    return problems


# --------------------------------------------------------------------------- validation


def validate_experiments(
    table: Table,
    space: Space,
    *,
    allow_missing_response: AllowMissing = False,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
) -> list[Problem]:
    """Every problem of ``table`` as experiments of ``space``, each with its row and column.

    The header must hold the space's parameter names (any order) and
    ``Response``. Values must be levels (factorial) or units in range summing
    to ``total_units`` (mixture); responses finite numbers. A missing response
    is accepted where ``allow_missing_response`` says so: a bool for every row,
    or a function of the 0-based data row index. At most ``max_problems`` are
    listed, then one line saying how many more there are.
    """
    foreign = _foreign_header(table, space)
    if foreign is not None:
        return [foreign]  # the header is not this space's: row checks would only add noise
    problems = _columns_problems(table, space, allow_missing_response)
    positions = {name: table.columns.index(name) for name in space.names if name in table.columns}
    response_at = table.columns.index(RESPONSE) if RESPONSE in table.columns else None
    for i, row in enumerate(table.rows):
        problems.extend(
            _row_problems(table, space, i, row, positions, response_at, allow_missing_response)
        )
    return capped_problems(problems, "table", max_problems)


def _foreign_header(table: Table, space: Space) -> Problem | None:
    """One problem when row 1 is mostly not this space's header (e.g. a space file), else None."""
    expected = [*space.names, RESPONSE]
    wanted = ", ".join(expected)
    folded = {name.casefold(): name for name in expected}
    matched = [c for c in table.columns if c.casefold() in folded]
    if not matched or len(table.columns) - len(matched) > len(matched):
        shown = [csvio.clip(name) for name in table.columns[:8]]
        found = ", ".join(shown) + (", ..." if len(table.columns) > 8 else "")
        found = found or "no column names (an empty table)"  # before: "found " alone
        hint = ""
        if len(table.columns) > 1 and table.columns[1].casefold() in (
            "numerical",
            "categorical",
            "unit",
        ):
            hint = "; this looks like a space file, not an experiments table"
        message = (
            f"row 1 should be the header row {wanted} (an experiments file starts with the "
            f"parameter names, then Response); found {found}{hint}"
        )
        return Problem(message, row=1, field="table")
    return None


#: the bracket that opens a unit or note ending a column name, by the bracket closing it
_NOTE_OPENERS = {")": "(", "]": "["}


def _name_before_note(name: str) -> str | None:
    """The name of a column written with a unit or a note after it (``Response (mg)``,
    ``temp [C]``: ``Response``, ``temp``), or None. Read by hand in linear time: a pattern
    with a lazy name before a greedy note backtracked with the square of the name's length,
    and a header cell of 40,000 blanks between two letters held a request for 13 s."""
    text = name.strip()
    opener = _NOTE_OPENERS.get(text[-1:])
    at = text.find(opener, 1) if opener else -1  # the first: 'a (b) (c)' is 'a'
    if at <= 0:
        return None
    return text[:at].strip() or None


#: the name pandas gives a column whose header cell is empty (``Unnamed: 5``)
_PANDAS_UNNAMED = re.compile(r"Unnamed: \d+")


def _columns_problems(table: Table, space: Space, allow: AllowMissing) -> list[Problem]:
    problems = _header_problems(table.columns, 1)
    expected = [*space.names, RESPONSE]
    wanted = ", ".join(expected)
    folded = {name.casefold(): name for name in expected}
    annotated: set[str] = set()  # names written with a unit: 'Response (mg)'
    for index, name in enumerate(table.columns):
        if name in expected or name == "":
            continue
        letter = csvio.column_letter(index)
        before_note = _name_before_note(name)
        meant = folded.get(before_note.casefold()) if before_note else None
        if name.casefold() in folded:
            message = f"column '{name}' should be spelled '{folded[name.casefold()]}'"
        elif meant is not None and meant not in table.columns:
            annotated.add(meant.casefold())
            message = (
                f"column '{csvio.clip(name)}' should be named '{meant}': the header holds the "
                "name alone (keep the unit in the file's name or a note)"
            )
        elif name in HISTORY_COLUMNS:
            message = f"column '{name}' belongs to history files; remove Seq_, Gen_ and Designed_"
        else:
            shown = csvio.clip(name)
            message = (
                f"column '{shown}' is not a parameter of the space (the columns are: {wanted})"
            )
            if _PANDAS_UNNAMED.fullmatch(name):
                message += (
                    "; pandas names a column so where the file's header cell is empty (a "
                    "comma at the end of its lines): read the file with Table.from_csv, "
                    "which drops an empty last column, or drop it (frame.dropna(axis=1, "
                    "how='all'))"
                )
        problems.append(
            Problem(f"row 1, column {letter}: {message}", row=1, column=name, field="table")
        )
    folded_columns = {c.casefold() for c in table.columns} | annotated
    for name in space.names:
        if name not in table.columns and name.casefold() not in folded_columns:
            problems.append(
                Problem(
                    f"row 1: column '{name}' is missing (the columns are: {wanted})",
                    row=1,
                    column=name,
                    field="table",
                )
            )
    if (
        RESPONSE not in table.columns
        and RESPONSE.casefold() not in folded_columns
        and allow is not True
    ):
        problems.append(
            Problem(
                f"row 1: column 'Response' is missing (the columns are: {wanted})",
                row=1,
                column=RESPONSE,
                field="table",
            )
        )
    return problems


def _row_problems(
    table: Table,
    space: Space,
    i: int,
    row: tuple[Any, ...],
    positions: Mapping[str, int],
    response_at: int | None,
    allow: AllowMissing,
) -> list[Problem]:
    line = table.row_number(i)
    problems: list[Problem] = []

    def add(column: str | None, message: str) -> None:
        problems.append(_cell_problem(line, column, message))

    units: list[Any] = []  # coerced values; ints (units) for a mixture
    for param in space.parameters:
        if param.name not in positions:
            continue
        value = row[positions[param.name]]
        if value is None:
            add(param.name, _missing_value_message(param))
            continue
        try:
            units.append(param.coerce(value))
        except ValueError as exc:
            add(param.name, str(exc))
    complete = len(units) == len(space.parameters)
    if space.type == MIXTURE and complete and sum(units) != space.total_units:
        add(
            None,
            f"the units add up to {sum(units)}, but every experiment must add up to "
            f"total_units {space.total_units}",
        )
    if response_at is not None:
        message = _response_problem(row[response_at], _allowed(allow, i))
        if message:
            add(RESPONSE, message)
    return problems


def _missing_value_message(param: Parameter) -> str:
    """Why an empty (or ``-``) parameter cell is refused, and what to put there.

    Seed 000 lets an experiment leave only its response empty; before, the message said
    the value was missing but not what to type, and a ``-`` (a missing response's mark)
    read as missing with no word that it marks only responses."""
    if isinstance(param, MixtureComponent):
        wanted = f"a whole number of units from {param.min} to {param.max}"
    else:
        shown = ", ".join(csvio.format_cell(v) for v in param.values[:10])
        wanted = f"one of its levels ({shown}{', ...' if len(param.values) > 10 else ''})"
    return (
        f"the value is missing; every experiment needs a '{param.name}': put {wanted} "
        "there (an empty cell or '-' marks a response not measured, in the Response "
        "column only)"
    )


def _allowed(allow: AllowMissing, index: int) -> bool:
    return bool(allow(index)) if callable(allow) else bool(allow)


def _response_problem(value: Any, missing_ok: bool) -> str | None:
    """Why ``value`` is not an acceptable response, or None if it is."""
    if is_missing_response(value):
        return None if missing_ok else "the response is missing; this row needs a measured value"
    number = _response_number(value)
    tip = " (leave the cell empty, '-' or NA if it was not measured)" if missing_ok else ""
    if number is None:
        if isinstance(value, bool):  # JSON's true, as sent (before: Python's True)
            shown = "true" if value else "false"
        elif isinstance(value, str):
            shown = csvio.clip_repr(value)
        else:
            shown = csvio.clip(repr(value))
        return f"response {shown} is not a number{csvio.decimal_comma_tip(value) or tip}"
    if math.isfinite(number):
        # a whole number a float cannot hold as written: before, stored as the float next to
        # it (9007199254740993 as ...992), or as the float that equals it and came back in a
        # float's form (2**70), unseen
        whole = csvio.written_whole(value)  # an int, or text such as Daptics' string cells
        return None if whole is None else wide_response_problem(whole)
    if isinstance(value, str) and csvio.parse_number(value) is not None:
        shown = csvio.clip(value.strip())
        return f"response '{shown}' is too large: a response is at most +-1.8e308{tip}"
    # NaN is a missing response (is_missing_response): only an infinity gets here
    return f"response {value!r} is not a finite number: an infinity is refused{tip}"


def _cell_problem(line: int, column: str | None, message: str) -> Problem:
    """A problem of the cell at ``line`` (the file's row) and ``column`` (None: the row)."""
    where = f"row {line}" + (f", column {column}" if column else "")
    return Problem(f"{where}: {message}", row=line, column=column, field="table")


def wide_response_problem(written: int) -> str | None:
    """Why the whole number ``written`` cannot be a response, or None if it can.

    Responses are floats, which hold every whole number only up to 2**53; past it one
    becomes the float next to it (``9007199254740993`` -> ``...992``), or the float equal
    to it, which comes back in a float's form (``2**70`` as ``1.1805916207174113e+21``):
    either way not as it was sent, so it is refused, saying what to send instead. A
    number past a float's range is refused as such elsewhere (None here)."""
    if -FLOAT_EXACT_WHOLE <= written <= FLOAT_EXACT_WHOLE:
        return None
    inexact = inexact_whole(
        written, "a response", "responses", whole_written_up_to=FLOAT_EXACT_WHOLE
    )
    if inexact is not None:
        return inexact
    try:
        as_float = float(written)
    except OverflowError:
        return None
    return (
        f"{csvio.clip_int(written)} cannot be a response as written: responses are floats, "
        f"which hold whole numbers as written only up to {FLOAT_EXACT_WHOLE}, and this one "
        f"would come back as {as_float!r}; write {as_float!r} if that is what you mean"
    )


def _response_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            return float(value)
        except OverflowError:
            return math.inf
    if isinstance(value, str):
        text = value.strip()
        parsed = csvio.parse_number(text)
        if parsed is not None:
            return float(parsed)
        if text.casefold().lstrip("+-") in ("nan", "inf", "infinity"):
            return math.nan
    return None


def coerce_experiments(table: Table, space: Space) -> Table:
    """``table`` normalized for storage: the space's column order, then ``Response``.

    Numerical values become the matching level (float), categorical the level
    text, units ints, responses float or None (missing responses are allowed,
    and a table with no Response column gets an empty one). Raises TableError.
    """
    problems = validate_experiments(table, space, allow_missing_response=True)
    if problems:
        raise TableError(problems)
    positions = [table.columns.index(name) for name in space.names]
    response_at = table.columns.index(RESPONSE) if RESPONSE in table.columns else None
    rows = []
    for row in table.rows:
        point = [p.coerce(row[k]) for p, k in zip(space.parameters, positions, strict=True)]
        response = None if response_at is None else row[response_at]
        number = None if is_missing_response(response) else _response_number(response)
        rows.append((*point, number))
    return Table(columns=space.columns, rows=rows, line_numbers=table.line_numbers)


# --------------------------------------------------------------------------- history


def _as_table(value: Table | Mapping[str, Any]) -> Table:
    return value if isinstance(value, Table) else Table.from_dict(value)


def history_table(generations: Sequence[Mapping[str, Any]]) -> Table:
    """All generations in one table with ``Seq_``, ``Gen_`` and ``Designed_`` columns first.

    Each generation is ``{"gen": int, "table": Table | dict, "design_rows": int}``:
    its first ``design_rows`` rows were designed (``Designed_`` = ``Y``), the
    rest initial or extra experiments (``N``). ``Seq_`` counts rows from 1.
    """
    columns: tuple[str, ...] | None = None
    rows: list[tuple[Any, ...]] = []
    for generation in generations:
        table = _as_table(generation["table"])
        if columns is None:
            columns = table.columns
        elif table.columns != columns:
            raise ValueError(
                f"generation {generation.get('gen')} has columns {list(table.columns)}, "
                f"not {list(columns)}"
            )
        designed = int(generation.get("design_rows", generation.get("designRows", 0)) or 0)
        for i, row in enumerate(table.rows):
            rows.append((len(rows) + 1, generation["gen"], "Y" if i < designed else "N", *row))
    return Table(columns=(*HISTORY_COLUMNS, *(columns or ())), rows=rows)


def history_to_csv(
    generations: Sequence[Mapping[str, Any]], path: str | os.PathLike[str] | None = None
) -> str:
    """The history CSV (Daptics' ``export_experiments_history_csv`` layout)."""
    return history_table(generations).to_csv(path)


def history_from_csv(source: csvio.CsvSource) -> list[dict[str, Any]]:
    """Read a history CSV back into ``[{"gen", "table", "design_rows"}, ...]`` (gen order kept).

    ``Gen_`` is a generation number (0, 1, 2, ...); ``Designed_`` accepts Y/N, 1/0,
    true/false, yes/no. Each generation's designed rows come first in its table, as
    ``design_rows`` says (a sheet sorted by another column keeps them apart). Raises
    TableError naming the row and column of every cell that is neither.
    """
    table = Table.from_csv(source)
    missing = [c for c in HISTORY_COLUMNS if c not in table.columns]
    if missing:
        raise TableError(
            [
                Problem(f"row 1: column '{c}' is missing from the history file", row=1, column=c)
                for c in missing
            ]
        )
    keep = [i for i, c in enumerate(table.columns) if c not in HISTORY_COLUMNS]
    gen_at = table.columns.index("Gen_")
    designed_at = table.columns.index("Designed_")
    generations: dict[int, dict[str, Any]] = {}
    problems: list[Problem] = []
    for i, row in enumerate(table.rows):
        line = table.row_number(i)
        gen = _generation_number(row[gen_at])
        flag = str(row[designed_at]).strip().casefold()
        if gen is None or gen > MAX_GENERATION:
            problems.append(_generation_problem(line, row[gen_at], table.typed_text(i, gen_at)))
            gen = None
        if flag not in _DESIGNED_FLAGS:
            # clipped, as the Gen_ cell beside it is: a 100,000-character cell was quoted whole
            cell = row[designed_at]
            shown = "the cell is empty" if cell is None else _clipped_repr(cell)
            problems.append(
                Problem(
                    f"row {line}, column Designed_: {shown} is not Y or N; put Y for a "
                    "designed experiment, N for an initial or extra one",
                    row=line,
                    column="Designed_",
                )
            )
        if gen is None or flag not in _DESIGNED_FLAGS:
            continue
        entry = generations.setdefault(gen, {"gen": gen, "designed": [], "extra": []})
        designed = flag in ("y", "1", "true", "yes")
        entry["designed" if designed else "extra"].append(tuple(row[k] for k in keep))
    if problems:
        raise TableError(problems)
    columns = [table.columns[k] for k in keep]
    return [
        {
            "gen": e["gen"],
            "table": Table(columns=columns, rows=[*e["designed"], *e["extra"]]),
            "design_rows": len(e["designed"]),
        }
        for e in generations.values()
    ]


_DESIGNED_FLAGS = ("y", "n", "1", "0", "true", "false", "yes", "no")


def _generation_problem(line: int, value: Any, typed: str | None) -> Problem:
    """Why a ``Gen_`` cell is no generation number, the number as the file has it."""
    if value is None:
        shown = "empty"
    elif typed is not None:  # a whole number past 64 bits: as typed, not as its float
        shown = csvio.clip(typed)
    elif isinstance(value, float):
        shown = csvio.clip(csvio.format_cell(value))
    else:
        shown = _clipped_repr(value)
    number = _generation_number(value)
    if number is not None:  # a whole number, past what the service keeps
        why = f"is beyond the generations a session holds (0 to {MAX_GENERATION:,})"
    else:
        why = "is not a generation number"
    return Problem(
        f"row {line}, column Gen_: {shown} {why}; put the experiment's generation there "
        "(0 for initial experiments, then 1, 2, ...)",
        row=line,
        column="Gen_",
    )


def _clipped_repr(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return csvio.clip_int(value)  # a long one in the one form of every message
    return csvio.clip_repr(value) if isinstance(value, str) else csvio.clip(repr(value))


def _generation_number(value: Any) -> int | None:
    """``value`` as a generation number (an int from 0; ``2.0`` as a spreadsheet may
    write it), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    number = int(value)
    return number if number >= 0 else None

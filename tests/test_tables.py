"""Tests for sigopt_like.tables: CSV/JSON/pandas forms, validation, coercion, history CSV."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from sigopt_like.spaces import MixtureComponent, Space
from sigopt_like.tables import (
    Table,
    TableError,
    coerce_experiments,
    history_from_csv,
    history_table,
    history_to_csv,
    validate_experiments,
)

DATA = Path(__file__).parent / "data"


@pytest.fixture
def grid() -> Space:
    return Space.from_csv(DATA / "esd-factorial-4x8.csv")


@pytest.fixture
def mixed() -> Space:
    return Space.from_csv('t,numerical,0.5,1,1.5\nc,categorical,Pd,Pt,"Ni, wet"\n')


@pytest.fixture
def mix() -> Space:
    return Space.from_csv(DATA / "esd-mixture-5.csv", type="mixture", total_units=15)


def table_problems(text: str, **kwargs) -> list:
    with pytest.raises(TableError) as info:
        Table.from_csv(text, **kwargs)
    assert isinstance(info.value, ValueError)
    return info.value.problems


# --------------------------------------------------------------------------- reading


def test_reads_example_experiments(grid: Space) -> None:
    table = Table.from_csv(DATA / "experiments.csv")
    assert table.columns == ("param1", "param2", "param3", "param4", "Response")
    assert len(table) == 90
    assert table.rows[0] == (6, 6, 1, 0, 1.902)
    assert validate_experiments(table, grid) == []
    assert table.line_numbers[0] == 2


def test_tolerances_bom_crlf_whitespace_quotes_trailing_cells() -> None:
    text = '\ufefft , c ,Response,,\r\n 0.5 ,"Ni, wet", 2.5 ,,\r\n\r\n1,Pd,-,\r\n'
    table = Table.from_csv(text)
    assert table.columns == ("t", "c", "Response")
    assert table.rows == ((0.5, "Ni, wet", 2.5), (1, "Pd", None))
    assert table.line_numbers == (2, 4)
    assert Table.from_csv(text.encode("utf-8")) == table


def test_empty_file_is_an_error() -> None:
    for text in ["\n", ",,\n", b""]:
        problems = table_problems(text)
        assert "empty" in problems[0].message and "header" in problems[0].message


def test_header_only_file_is_an_empty_table(grid: Space) -> None:
    text = grid.experiments_template().to_csv()
    table = Table.from_csv(text)
    assert len(table) == 0 and table.columns == grid.columns
    problems = table_problems(text, allow_empty=False)
    assert "no experiment rows" in problems[0].message


def test_ragged_rows_reported_with_row_and_column() -> None:
    problems = table_problems("a,b,Response\n1,2,3\n1,2\n1,2,3,4\n")
    assert [(p.row, p.column) for p in problems] == [(3, "Response"), (4, "D")]
    assert "row 3 has 2 cells but the header has 3 columns" in problems[0].message
    assert "'4' is beyond the header's 3 columns" in problems[1].message


def test_a_response_typed_with_a_decimal_comma_in_a_comma_file_says_so() -> None:
    """Before: a sheet filled in by hand with ``1,5`` as a response, saved with commas
    between the cells, was told "value '5' is beyond the header's 5 columns" on every
    row, not why; a wider row that is no split response keeps the plain message."""
    problems = table_problems("a,b,Response\n1,2,1,5\n3,4,-2,25\n1,2,3,x\n")
    assert [(p.row, p.column) for p in problems] == [(2, "D"), (3, "D"), (4, "D")]
    assert problems[0].message == (
        "row 2, column D: value '5' is beyond the header's 3 columns: is the response '1,5', "
        "written with a comma as the decimal mark? A comma separates the cells of a CSV "
        "file: write it as 1.5"
    )
    assert problems[1].message.endswith(
        "is the response '-2,25', written with a comma "
        "as the decimal mark? A comma separates the cells of a CSV file: write it as -2.25"
    )
    assert problems[2].message == "row 4, column D: value 'x' is beyond the header's 3 columns"


def test_header_problems() -> None:
    problems = table_problems("a,,a,Response\n1,2,3,4\n")
    assert [(p.row, p.column) for p in problems] == [(1, "B"), (1, "a")]
    assert "appears twice" in problems[1].message


def test_cells_typed_on_read() -> None:
    table = Table.from_csv("a,b,c,Response\n3,-2.5e1,x1,\n007,1.,abc,-\n")
    assert table.rows == ((3, -25.0, "x1", None), (7, 1.0, "abc", None))


# --------------------------------------------------------------------------- writing, forms


def test_csv_round_trip_quotes_and_missing(tmp_path: Path) -> None:
    table = Table(columns=("t", "c", "Response"), rows=[(0.5, "Ni, wet", None), (1.0, "Pd", 2.0)])
    text = table.to_csv(tmp_path / "x.csv")
    assert text == 't,c,Response\n0.5,"Ni, wet",\n1,Pd,2\n'
    assert (tmp_path / "x.csv").read_text() == text
    back = Table.from_csv(tmp_path / "x.csv")
    assert back.rows == ((0.5, "Ni, wet", None), (1, "Pd", 2))


def test_dict_round_trip_and_daptics_form() -> None:
    data = {"columns": ["p1", "p2", "Response"], "rows": [[0, 1, 2.5], [1, 1, None]]}
    table = Table.from_dict(data)
    assert table.to_dict() == data
    daptics = Table.from_dict({"colHeaders": ["p1", "Response"], "data": [["1", ""], ["2", "-"]]})
    assert daptics.rows == (("1", None), ("2", None))


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"rows": []},
        {"columns": "p1", "rows": []},
        {"columns": ["p1"], "rows": "x"},
        {"columns": ["p1", "Response"], "rows": [[1]]},
        {"columns": ["p1", "Response"], "rows": [5]},
    ],
)
def test_from_dict_bad_shapes(data: object) -> None:
    with pytest.raises(TableError):
        Table.from_dict(data)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "key", "words"),
    [
        (
            {"colHeaders": ["p1", 2, "Response"], "data": []},
            "colHeaders",
            "must be a list of names",
        ),
        ({"colHeaders": "p1,Response", "data": []}, "colHeaders", "must be a list of names"),
        ({"colHeaders": ["p1", "Response"], "data": "1,2"}, "data", "must be a list of lists"),
        ({"columns": ["p1", "Response"], "rows": 5}, "rows", "must be a list of lists"),
        ({"data": [[1, 2]]}, "columns", "(or Daptics' 'colHeaders')"),
    ],
)
def test_a_bad_table_key_is_refused_by_the_name_sent(data: dict, key: str, words: str) -> None:
    """Before: a Daptics table's bad ``colHeaders`` or ``data`` was refused as "a table
    needs 'columns'" or "'rows' must be ...", keys not sent, as if they were not read."""
    with pytest.raises(TableError) as caught:
        Table.from_dict(data)
    [problem] = caught.value.problems
    assert problem.column == key and f"'{key}'" in problem.message and words in problem.message


def test_ragged_constructor_refused() -> None:
    with pytest.raises(TableError, match="row 3 has 1 values but there are 2 columns"):
        Table(columns=("a", "b"), rows=[(1, 2), (1,)])


def test_access_helpers() -> None:
    table = Table(columns=("a", "Response"), rows=[(1, None), (2, 3.0)])
    assert len(table) == 2
    assert list(table) == [{"a": 1, "Response": None}, {"a": 2, "Response": 3.0}]
    assert table.records() == list(table)
    assert table.column("a") == (1, 2)
    assert table.responses() == (None, 3.0)
    with pytest.raises(KeyError):
        table.column("b")
    filled = table.with_responses([1.5, 2.5])
    assert filled.responses() == (1.5, 2.5) and table.responses() == (None, 3.0)
    added = Table(columns=("a",), rows=[(1,)]).with_responses([4.0])
    assert added.columns == ("a", "Response") and added.rows == ((1, 4.0),)
    with pytest.raises(ValueError):
        table.with_responses([1.0])


def test_pandas_round_trip() -> None:
    pd = pytest.importorskip("pandas")
    table = Table(columns=("t", "c", "Response"), rows=[(0.5, "Pd", None), (1.0, "Pt", 2.0)])
    frame = table.to_dataframe()
    assert list(frame.columns) == ["t", "c", "Response"]
    assert frame["Response"].dtype.kind == "f"
    assert math.isnan(frame["Response"][0])
    assert Table.from_dataframe(frame) == table
    empty = Table(columns=("t", "Response"), rows=[(1, None)]).to_dataframe()
    assert empty["Response"].dtype.kind == "f"
    numpy_frame = pd.DataFrame({"a": [1, 2], "Response": [float("nan"), 2.5]})
    back = Table.from_dataframe(numpy_frame)
    assert back.rows == ((1, None), (2, 2.5))
    assert type(back.rows[0][0]) is int


def test_pandas_missing_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        Table(columns=("a",), rows=[]).to_dataframe()


# --------------------------------------------------------------------------- validation


def test_columns_in_any_order(grid: Space) -> None:
    table = Table.from_csv("Response,param4,param3,param2,param1\n1.5,0,1,2,3\n")
    assert validate_experiments(table, grid) == []
    coerced = coerce_experiments(table, grid)
    assert coerced.columns == grid.columns
    assert coerced.rows == ((3.0, 2.0, 1.0, 0.0, 1.5),)


def test_a_header_with_a_unit_says_to_name_the_column_alone(grid: Space) -> None:
    """Before: 'Response (mg)' in a lab's sheet was "not a parameter of the space", and
    'Response' then "missing": two problems, neither saying that the unit was the matter."""
    table = Table.from_csv("param1 [mm],param2,param3,param4,Response (mg)\n1,2,3,4,5\n")
    assert [p.message for p in validate_experiments(table, grid)] == [
        "row 1, column A: column 'param1 [mm]' should be named 'param1': the header holds "
        "the name alone (keep the unit in the file's name or a note)",
        "row 1, column E: column 'Response (mg)' should be named 'Response': the header "
        "holds the name alone (keep the unit in the file's name or a note)",
    ]


def test_a_long_column_name_of_blanks_is_read_in_linear_time() -> None:
    """The unit hint read a column name with a pattern (a lazy name before a greedy note)
    that backtracked with the square of the name's length: 'x', 200,000 blanks, 'y' (a
    header cell a request may carry) held the check for minutes (40,000: 13 s), in the
    request's thread and holding the GIL. Run in a child process, so the old pattern fails
    the test by its timeout (60 s) rather than hanging it; now it takes milliseconds."""
    script = (
        "from sigopt_like.spaces import Space\n"
        "from sigopt_like.tables import Table, validate_experiments\n"
        "space = Space.from_dict({'type': 'factorial', 'parameters': "
        "[{'name': 'a', 'type': 'numerical', 'values': [0, 1]}]})\n"
        "table = Table.from_dict({'columns': ['a', 'x' + ' ' * 200_000 + 'y', 'Response'], "
        "'rows': [[0, 1, 1.0]]})\n"
        "print(len(validate_experiments(table, space)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "1", done  # the one column that is not the space's


def test_header_must_match_space(grid: Space) -> None:
    table = Table.from_csv("param1,param2,Param3,extra,response\n1,2,3,4,5\n")
    problems = validate_experiments(table, grid)
    messages = [p.message for p in problems]
    assert any("'Param3' should be spelled 'param3'" in m for m in messages)
    assert any("'response' should be spelled 'Response'" in m for m in messages)
    assert any("'extra' is not a parameter of the space" in m for m in messages)
    assert any("column 'param4' is missing" in m for m in messages)
    assert all(p.row == 1 for p in problems)


def test_foreign_header_is_one_problem(grid: Space) -> None:
    table = Table.from_csv(DATA / "esd-factorial-4x8.csv")
    problems = validate_experiments(table, grid)
    assert len(problems) == 1
    assert "row 1 should be the header row param1, param2, param3, param4, Response" in (
        problems[0].message
    )
    assert "looks like a space file" in problems[0].message
    headless = Table.from_csv("1,2,3,4,5\n1,2,3,4,5\n")
    assert len(validate_experiments(headless, grid)) == 1


def test_missing_response_column(grid: Space) -> None:
    table = Table.from_csv("param1,param2,param3,param4\n1,2,3,4\n")
    problems = validate_experiments(table, grid)
    assert [p.column for p in problems] == ["Response"]
    assert validate_experiments(table, grid, allow_missing_response=True) == []
    assert coerce_experiments(table, grid).rows == ((1.0, 2.0, 3.0, 4.0, None),)


def test_values_must_be_levels(mixed: Space) -> None:
    table = Table.from_csv(
        't,c,Response\n0.5,Pd,1\n0.7,Pd,1\n1,pd,1\n1.5,"Ni, wet",1\n,Pt,1\nabc,Pt,1\n'
    )
    problems = validate_experiments(table, mixed)
    assert [(p.row, p.column) for p in problems] == [
        (3, "t"),
        (4, "c"),
        (6, "t"),
        (7, "t"),
    ]
    assert "0.7 is not a level of 't' (levels: 0.5, 1, 1.5)" in problems[0].message
    assert "did you mean 'Pd'" in problems[1].message
    assert "missing" in problems[2].message
    assert "'abc' is not a number" in problems[3].message
    assert problems[0].message.startswith("row 3, column t: ")


def test_numerical_tolerance(mixed: Space) -> None:
    table = Table(columns=("t", "c", "Response"), rows=[(1.0000000000001, "Pt", 0.0)])
    assert validate_experiments(table, mixed) == []
    assert coerce_experiments(table, mixed).rows[0][0] == 1.0


def test_a_whole_number_is_a_level_only_if_it_equals_one() -> None:
    """Before: a whole number within the 1e-9 tolerance of a level was taken as that level,
    so 2**53 + 1 (which a float cannot hold: it is read as 2**53) and 10**10 + 1 were
    stored as the levels 2**53 and 1e10, unsaid. A whole number (an int, or text written
    as one, as CSV and Daptics' string cells give it) must now equal the level; decimals
    keep the tolerance."""
    wide = 2**53
    space = Space.from_dict(
        {
            "type": "factorial",
            "parameters": [
                {"name": "n", "type": "numerical", "values": [0, wide, 10**10]},
                {"name": "k", "type": "categorical", "values": [str(wide), "x"]},
            ],
        }
    )
    sent = [
        (wide + 1, "x", 1.0),
        (str(wide + 2), "x", 1.0),
        (2**62 + 1, "x", 1.0),
        (10**10 + 1, "x", 1.0),
        (0, wide + 1, 1.0),
    ]
    problems = validate_experiments(Table(columns=("n", "k", "Response"), rows=sent), space)
    assert [(p.row, p.column) for p in problems] == [
        (2, "n"),
        (3, "n"),
        (4, "n"),
        (5, "n"),
        (6, "k"),
    ]
    assert f"{wide + 1} is not a level of 'n'" in problems[0].message
    assert f"{wide} is another number" in problems[0].message
    assert f"'{wide + 2}' is not a level of 'n'" in problems[1].message
    assert f"{wide + 1} is not a level of 'k'" in problems[4].message
    read = Table.from_csv(f"n,k,Response\n{wide + 1},x,1\n")
    assert [p.column for p in validate_experiments(read, space)] == ["n"]
    # the levels themselves, as ints, text, floats and CSV cells, are taken exactly
    exact = Table.from_csv(f"n,k,Response\n{wide},{wide},1\n10000000000,x,2\n")
    assert coerce_experiments(exact, space).rows == (
        (float(wide), str(wide), 1.0),
        (1e10, "x", 2.0),
    )
    # text of more digits than int() reads is no level either (was its ValueError's words)
    huge = Table(columns=("n", "k", "Response"), rows=[("1" + "0" * 5000, "x", 1.0)])
    [problem] = validate_experiments(huge, space)
    assert "is not a level of 'n'" in problem.message, problem.message
    typed = Table(
        columns=("n", "k", "Response"), rows=[(str(wide), wide, 1), (1e10 + 1e-6, "x", 2)]
    )
    assert coerce_experiments(typed, space).rows == (
        (float(wide), str(wide), 1.0),
        (1e10, "x", 2.0),
    )


def test_mixture_rows(mix: Space) -> None:
    text = (
        "param1,param2,param3,param4,param5,Response\n"
        "5,5,1,1,3,1\n"
        "5,5,1,1,1,1\n"
        "6,5,1,1,2,1\n"
        "2.5,5,1,1,5.5,1\n"
    )
    problems = validate_experiments(Table.from_csv(text), mix)
    assert [(p.row, p.column) for p in problems] == [
        (3, None),
        (4, "param1"),
        (5, "param1"),
        (5, "param5"),
    ]
    assert "add up to 13" in problems[0].message and "total_units 15" in problems[0].message
    assert "outside 'param1' range 0 to 5" in problems[1].message
    coerced = coerce_experiments(Table.from_csv(text.splitlines()[0] + "\n5.0,5,1,1,3,\n"), mix)
    assert coerced.rows == ((5, 5, 1, 1, 3, None),)
    assert all(type(v) is int for v in coerced.rows[0][:5])


@pytest.mark.parametrize(
    ("cell", "needle"),
    [
        ("NaN", "missing"),  # pandas' missing float: not measured, as NA and '-'
        ("NA", "missing"),
        ("-nan", "missing"),  # C's printf of a NaN with its sign bit set: NaN too
        ("-NaN", "missing"),
        ("+nan", "missing"),
        ("Infinity", "not a finite number"),
        ("-inf", "not a finite number"),
        ("1e400", "is too large: a response is at most +-1.8e308"),
        ("abc", "is not a number"),
        ("nan(", "is not a number"),  # no NaN's spelling: refused as any text is
        ("1.#INF", "is not a number"),
        ("", "missing"),
        ("-", "missing"),
    ],
)
def test_bad_responses(grid: Space, cell: str, needle: str) -> None:
    table = Table.from_csv(f"param1,param2,param3,param4,Response\n1,2,3,4,{cell}\n")
    problems = validate_experiments(table, grid)
    assert len(problems) == 1
    assert (problems[0].row, problems[0].column) == (2, "Response")
    assert needle in problems[0].message
    assert "NaN" not in problems[0].message  # NaN is a missing response, never refused


def test_python_non_finite_and_bool_responses(grid: Space) -> None:
    for value in [math.nan, math.inf, True, "x"]:
        table = Table(columns=grid.columns, rows=[(1, 2, 3, 4, value)])
        assert len(validate_experiments(table, grid)) == 1


def test_huge_finite_response_is_fine(grid: Space) -> None:
    table = Table.from_csv("param1,param2,param3,param4,Response\n1,2,3,4,1e300\n")
    assert validate_experiments(table, grid) == []
    assert Table(columns=grid.columns, rows=[(1, 2, 3, 4, 10**400)]).rows  # big int
    assert validate_experiments(Table(columns=grid.columns, rows=[(1, 2, 3, 4, 10**400)]), grid)


def test_missing_response_policies(grid: Space) -> None:
    rows = [(1, 2, 3, 4, 1.0), (1, 2, 3, 5, None), (1, 2, 3, 6, None)]
    table = Table(columns=grid.columns, rows=rows)
    assert [p.row for p in validate_experiments(table, grid)] == [3, 4]
    assert validate_experiments(table, grid, allow_missing_response=True) == []
    only_last = validate_experiments(table, grid, allow_missing_response=lambda i: i >= 2)
    assert [p.row for p in only_last] == [3]
    tip = validate_experiments(
        Table(columns=grid.columns, rows=[(1, 2, 3, 4, "x")]), grid, allow_missing_response=True
    )
    assert "leave the cell empty, '-' or NA" in tip[0].message


@pytest.mark.parametrize(
    "mark",
    [
        *("NA", "N/A", "n/a", "na", " NA ", "#N/A", "NaN", "nan", "-nan", "-NaN", math.nan),
        *("-nan(ind)", "nan(IND)", "-nan(snan)", "nan(0x7ff8)", "-1.#IND", "1.#QNAN0"),  # MSVC
    ],
)
def test_na_marks_are_missing_responses_in_csv_json_and_rows(mixed: Space, mark: object) -> None:
    """Before: ``NA`` (R, spreadsheets), ``#N/A`` (Excel), ``NaN`` (pandas' CSV) were
    refused as "not a number"; they mean "not measured", as ``-`` does."""
    csv_text = f't,c,Response\n0.5,Pd,"{mark}"\n1,Pt,-\n'
    from_csv = Table.from_csv(csv_text)
    from_json = Table.from_dict({"columns": ["t", "c", "Response"], "rows": [[0.5, "Pd", mark]]})
    from_rows = Table(columns=["t", "c", "Response"], rows=[(0.5, "Pd", mark)])
    for table in (from_csv, from_json, from_rows):
        assert table.rows[0] == (0.5, "Pd", None)
        assert validate_experiments(table, mixed, allow_missing_response=True) == []
        refused = validate_experiments(table, mixed)
        assert [(p.row, p.column) for p in refused][:1] == [(2, "Response")]
        assert "the response is missing" in refused[0].message
    assert from_csv.with_responses([mark, 1.0]).responses() == (None, 1.0)


@pytest.mark.parametrize("cell", ["nan", "-nan(ind)", "NaN(snan)", "-1.#IND00"])
def test_nan_in_a_parameter_column_is_refused_by_row_and_column(
    mixed: Space, mix: Space, cell: str
) -> None:
    """NaN means not measured only in the Response column: in a numerical or a units
    column it is refused, saying so; in a categorical one it is not a level."""
    where = "NaN means not measured only in the Response column: every experiment needs"
    table = Table.from_csv(f"t,c,Response\n{cell},Pd,1\n1,{cell},2\n")
    problems = validate_experiments(table, mixed)
    assert [(p.row, p.column) for p in problems] == [(2, "t"), (3, "c")]
    assert problems[0].message.endswith(f"{where} a value of 't'")
    assert f"'{cell}' is not a level of 'c'" in problems[1].message
    units = Table.from_csv(f"param1,param2,param3,param4,param5,Response\n{cell},5,5,4,1,1\n")
    problems = validate_experiments(units, mix)
    assert [(p.row, p.column) for p in problems] == [(2, "param1")]
    assert problems[0].message.endswith(f"{where} a value of 'param1'")


def test_na_in_a_parameter_column_stays_a_level() -> None:
    """A categorical level "NA" or "Na" (sodium) is a level, never a missing value."""
    space = Space.from_csv("ion,categorical,NA,Na,K\n")
    table = Table.from_csv("ion,Response\nNA,1\nNa,NA\n n/a ,2\n")
    assert table.rows == (("NA", 1), ("Na", None), ("n/a", 2))
    problems = validate_experiments(table, space, allow_missing_response=True)
    assert [(p.row, p.column) for p in problems] == [(4, "ion")]
    json_table = Table.from_dict({"columns": ["ion", "Response"], "rows": [["NA", 1], ["Na", 2]]})
    assert json_table.rows == (("NA", 1), ("Na", 2))
    assert validate_experiments(json_table, space) == []
    assert coerce_experiments(json_table, space).rows == (("NA", 1.0), ("Na", 2.0))


def test_row_numbers_follow_the_file(grid: Space) -> None:
    text = "param1,param2,param3,param4,Response\n\n1,2,3,4,1\n\n\n1,2,3,9,1\n"
    problems = validate_experiments(Table.from_csv(text), grid)
    assert [(p.row, p.column) for p in problems] == [(6, "param4")]


def test_problem_cap(grid: Space) -> None:
    table = Table(columns=grid.columns, rows=[(9, 9, 9, 9, "x")] * 50)
    problems = validate_experiments(table, grid, max_problems=10)
    assert len(problems) == 11
    assert "240 more problems" in problems[-1].message


def test_coerce_refuses_invalid(grid: Space) -> None:
    with pytest.raises(TableError) as info:
        coerce_experiments(Table(columns=grid.columns, rows=[(9, 2, 3, 4, 1)]), grid)
    assert info.value.problems[0].column == "param1"


def test_coerce_categorical_and_response_text(mixed: Space) -> None:
    table = Table.from_dict({"columns": ["c", "t", "Response"], "rows": [["Pd", "1.5", "2.25"]]})
    assert coerce_experiments(table, mixed).rows == ((1.5, "Pd", 2.25),)


def test_mixture_component_table_from_space() -> None:
    space = Space("mixture", [MixtureComponent("a", 0, 3), MixtureComponent("b", 0, 3)], 3)
    table = space.random_experiments(20, seed=1, max_response=1.0)
    assert validate_experiments(table, space) == []


# --------------------------------------------------------------------------- history


def _generations(grid: Space) -> list[dict]:
    first = grid.random_experiments(3, seed=1, max_response=5.0)
    second = grid.random_experiments(4, seed=2, max_response=5.0)
    return [
        {"gen": 0, "table": first, "design_rows": 0},
        {"gen": 1, "table": second.to_dict(), "design_rows": 3},
    ]


def test_history_table_columns_and_flags(grid: Space) -> None:
    history = history_table(_generations(grid))
    assert history.columns[:3] == ("Seq_", "Gen_", "Designed_")
    assert history.columns[3:] == grid.columns
    assert history.column("Seq_") == (1, 2, 3, 4, 5, 6, 7)
    assert history.column("Gen_") == (0, 0, 0, 1, 1, 1, 1)
    assert history.column("Designed_") == ("N", "N", "N", "Y", "Y", "Y", "N")


def test_history_csv_round_trip(grid: Space, tmp_path: Path) -> None:
    generations = _generations(grid)
    text = history_to_csv(generations, tmp_path / "h.csv")
    assert text.splitlines()[0] == "Seq_,Gen_,Designed_,param1,param2,param3,param4,Response"
    back = history_from_csv(tmp_path / "h.csv")
    assert [g["gen"] for g in back] == [0, 1]
    assert [g["design_rows"] for g in back] == [0, 3]
    for original, read in zip(generations, back, strict=True):
        original_table = original["table"]
        if isinstance(original_table, dict):
            original_table = Table.from_dict(original_table)
        assert coerce_experiments(read["table"], grid) == coerce_experiments(original_table, grid)


def test_history_accepts_numeric_flags_and_refuses_junk() -> None:
    back = history_from_csv("Seq_,Gen_,Designed_,a,Response\n1,1,1,5,\n2,1,0,6,1\n")
    assert back[0]["design_rows"] == 1
    with pytest.raises(TableError, match="not Y or N"):
        history_from_csv("Seq_,Gen_,Designed_,a,Response\n1,1,maybe,5,\n")
    with pytest.raises(TableError, match="'Seq_' is missing"):
        history_from_csv("Gen_,Designed_,a,Response\n1,Y,5,\n")
    # a long flag is clipped, as a Gen_ cell is: before, 100,000 characters quoted whole
    with pytest.raises(TableError) as refused:
        history_from_csv("Seq_,Gen_,Designed_,a,Response\n1,1," + "x" * 100_000 + ",5,\n")
    message = str(refused.value)
    assert "Designed_: 'xxxx" in message and "xxx' (100,000 characters) is not Y or N" in message
    assert len(message) < 300, len(message)


def test_history_reading_names_bad_generations_and_keeps_designed_rows_first() -> None:
    """Before: a Gen_ of 'x', 1.5, -1 or an empty cell was read as a generation of that
    name, and a sheet sorted so that an extra row came before a designed one was read
    with design_rows=1 counting the extra row as the designed one."""
    head = "Seq_,Gen_,Designed_,a,Response\n"
    with pytest.raises(TableError) as caught:
        history_from_csv(head + "1,,Y,5,\n2,x,Y,5,\n3,1.5,N,5,\n4,-1,Y,5,\n5,1,,6,\n6,1,Y,7,\n")
    where = [(p.row, p.column) for p in caught.value.problems]
    assert where == [(2, "Gen_"), (3, "Gen_"), (4, "Gen_"), (5, "Gen_"), (6, "Designed_")]
    assert "put the experiment's generation there" in caught.value.problems[0].message
    assert "the cell is empty is not Y or N; put Y" in caught.value.problems[4].message
    back = history_from_csv(head + "1,1,N,5,1\n2,1,Y,6,\n3,2.0,Y,7,\n4,1,Y,8,2\n")
    assert [(g["gen"], g["design_rows"]) for g in back] == [(1, 2), (2, 1)]
    assert back[0]["table"].rows == ((6, None), (8, 2), (5, 1))


def test_history_reading_refuses_generations_past_what_a_session_holds() -> None:
    """Before: a Gen_ of 1e308 was read as a generation of 309 digits, and 2**70 as one of
    22: whole numbers, but no session holds them (a generation is a 32-bit column)."""
    head = "Seq_,Gen_,Designed_,a,Response\n"
    big = str(2**70)
    with pytest.raises(TableError) as caught:
        history_from_csv(head + f"1,1e308,Y,5,\n2,{big},N,5,\n3,2147483648,Y,5,\n4,1,Y,5,\n")
    beyond = "is beyond the generations a session holds (0 to 2,147,483,647); put the "
    assert [p.message for p in caught.value.problems] == [
        f"row {row}, column Gen_: {shown} {beyond}experiment's generation there (0 for "
        "initial experiments, then 1, 2, ...)"
        for row, shown in ((2, "1e+308"), (3, big), (4, "2147483648"))
    ]
    back = history_from_csv(head + "1,2147483647,Y,5,\n")
    assert [(g["gen"], g["design_rows"]) for g in back] == [(2**31 - 1, 1)]


def test_history_file_uploaded_as_experiments(grid: Space) -> None:
    text = history_to_csv(_generations(grid))
    problems = validate_experiments(Table.from_csv(text), grid)
    assert len(problems) == 3
    assert all("belongs to history files" in p.message for p in problems)


def test_history_refuses_mixed_columns(grid: Space) -> None:
    other = Table(columns=("x", "Response"), rows=[(1, 2)])
    generations = [*_generations(grid), {"gen": 2, "table": other, "design_rows": 0}]
    with pytest.raises(ValueError, match="generation 2 has columns"):
        history_table(generations)


def test_empty_history() -> None:
    assert history_to_csv([]) == "Seq_,Gen_,Designed_\n"


def test_pure_modules_import_no_heavy_dependencies() -> None:
    import subprocess

    code = (
        "import sys; import sigopt_like.spaces, sigopt_like.tables, sigopt_like.exports, "
        "sigopt_like.data; heavy = {'pandas', 'numpy', 'falcon', 'sqlalchemy'}; "
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent.parent,
    )
    assert out.stdout.strip() == "[]"


def test_table_and_space_errors_are_library_errors():
    """A script that catches the library's base error also catches bad files."""
    import sigopt_like

    with pytest.raises(sigopt_like.SigoptLikeError) as info:
        Table.from_csv("a,b,Response\n1,2\n")
    assert isinstance(info.value, ValueError) and info.value.problems
    with pytest.raises(sigopt_like.SigoptLikeError):
        sigopt_like.Space.from_csv("Name,Type,Value\n", type="factorial")


@pytest.mark.parametrize(("separator", "name"), [(";", "semicolons"), ("\t", "tabs")])
def test_a_file_separated_by_semicolons_or_tabs_is_one_problem_that_says_so(
    separator: str, name: str
) -> None:
    """Excel saves "CSV" with semicolons where the decimal mark is a comma. Before: read
    with commas, each row was one cell: a space file got one "parameter
    'temp;numerical;20;40' has no type" per row, a table "no Response column"."""
    from sigopt_like import SpaceError

    def rows(*cells: tuple[str, ...]) -> str:
        return "".join(separator.join(row) + "\n" for row in cells)

    space = rows(("temp", "numerical", "20", "40"), ("x", "categorical", "a", "b"))
    table = rows(("temp", "x", "Response"), ("20", "a", "1.5"))
    for read, text, error in (
        (lambda t: Space.from_csv(t, type="factorial"), space, SpaceError),
        (Table.from_csv, table, TableError),
    ):
        with pytest.raises(error) as caught:
            read(text)
        problems = caught.value.problems
        assert len(problems) == 1, problems
        assert f"separated by {name}, not commas" in str(caught.value)
    one_column = Table.from_csv("Response\n1.5\n2.5\n")  # one column is still a table
    assert list(one_column.columns) == ["Response"]


@pytest.mark.parametrize(("separator", "name"), [(";", "semicolons"), ("\t", "tabs")])
def test_a_file_separated_by_semicolons_with_decimal_commas_says_so(
    separator: str, name: str
) -> None:
    """Excel where the decimal mark is a comma writes 0,5 in a file separated by
    semicolons. Before: each decimal comma split a row in two, so the problems were
    "row 2, column B: value '5;1;2' is beyond the header's 1 columns" and "unknown
    parameter type '5;1'", not what was wrong with the file."""
    from sigopt_like import SpaceError

    def rows(*cells: tuple[str, ...]) -> str:
        return "".join(separator.join(row) + "\n" for row in cells)

    space = rows(("temp", "numerical", "0,5", "1,5"), ("x", "categorical", "a", "b"))
    table = rows(("temp", "x", "Response"), ("0,5", "a", "1"), ("1,5", "b", "2,5"))
    for read, text, error in (
        (lambda t: Space.from_csv(t, type="factorial"), space, SpaceError),
        (Table.from_csv, table, TableError),
    ):
        with pytest.raises(error) as caught:
            read(text)
        assert [p.row for p in caught.value.problems] == [1]
        assert f"separated by {name}, not commas" in str(caught.value)
    # a comma file that reads right is never refused for its look: names with semicolons
    named = Space.from_csv("a;b,numerical,0,5\nc;d,numerical,1,2\n", type="factorial")
    assert named.names == ("a;b", "c;d")


def test_accents_typed_one_way_match_accents_exported_another():
    """Before: a space with ``café`` (one code point for é) and a table exported with
    ``cafe`` + a combining accent said "column 'café' is not a parameter" and "column
    'café' is missing", two names that look the same; so did a level ``crème``."""
    space = Space.from_csv("caf\u00e9,numerical,1,2\nb,categorical,cr\u00e8me,y\n")
    decomposed = "cafe\u0301,b,Response\n1,cre\u0300me,0.5\n"
    for table in (
        Table.from_csv(decomposed),
        Table.from_dict(
            {"columns": ["cafe\u0301", "b", "Response"], "rows": [[1, "cre\u0300me", 0.5]]}
        ),
    ):
        assert validate_experiments(table, space) == []
        assert table.columns[0] == "caf\u00e9" and table.rows[0][1] == "cr\u00e8me"

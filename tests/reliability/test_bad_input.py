"""Bad input, by hand: CSV files and tables that a lab script really produces.

- well-formed oddities parse right: a UTF-8 BOM, CRLF line ends, quoted commas,
  unicode categorical levels and session names;
- broken ones (ragged rows, empty files, a header row in a space file, non-numeric
  responses, NaN/Infinity, levels not in the space, invisible characters in parameter names) get
  a typed error whose problems name the row and the column;
- sent to the service, a bad table fails with the row and the column named, and
  the stored state is unchanged afterwards; NaN in the JSON is a 400;
- request limits: a body over the limit (declared or chunked) and a table over the
  row limit are a 413 whose message says the limit; nothing is stored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

import sigopt_like
from sigopt_like.errors import (
    APIError,
    PayloadTooLargeError,
    SigoptLikeError,
    TaskFailedError,
    ValidationError,
)
from sigopt_like.spaces import Space, SpaceError
from sigopt_like.tables import Table, TableError, validate_experiments

pytestmark = pytest.mark.reliability

SPACE_CSV = (
    "temp,numerical,40,50,60,70,80,90\n"
    'cat,categorical,"Pd, fine",Pt,Ni\n'
    "x,numerical,1,2,3,4,5,6,7,8,9,10\n"
)
COLUMNS = ("temp", "cat", "x", "Response")


def _problems(err: TableError | SpaceError) -> list[tuple[int | None, str | None]]:
    return [(p.row, p.column) for p in err.problems]


# -- the pure readers ------------------------------------------------------------------


def test_bom_crlf_and_quoted_commas_parse_right() -> None:
    plain = Space.from_csv(SPACE_CSV)
    odd = Space.from_csv(("\ufeff" + SPACE_CSV.replace("\n", "\r\n")).encode("utf-8"))
    assert odd == plain
    assert plain.parameters[1].values == ("Pd, fine", "Pt", "Ni")
    table = Table.from_csv('\ufefftemp,cat,x,Response\r\n40,"Pd, fine",3,1.5\r\n50,Ni,1,-\r\n')
    assert table.columns == COLUMNS
    assert table.rows == ((40, "Pd, fine", 3, 1.5), (50, "Ni", 1, None))
    assert validate_experiments(table, plain, allow_missing_response=True) == []


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("temp,cat,x,Response\n40,Pt,1,1.5\n50,Pt\n", (3, "x")),  # short row: first missing
        ("temp,cat,x,Response\n40,Pt,1,1.5,9\n", (2, "E")),  # long row: the extra cell
    ],
)
def test_ragged_rows_name_row_and_column(text: str, where: tuple[int, str]) -> None:
    with pytest.raises(TableError) as caught:
        Table.from_csv(text)
    assert where in _problems(caught.value), caught.value.problems


@pytest.mark.parametrize("text", [b"", "\ufeff".encode(), b"\r\n\r\n"])
def test_empty_files_say_so(text: bytes) -> None:
    with pytest.raises(TableError) as table_error:
        Table.from_csv(text, allow_empty=False)
    assert "empty" in str(table_error.value.problems[0].message)
    with pytest.raises(SpaceError) as space_error:
        Space.from_csv(text)
    assert "empty" in str(space_error.value.problems[0].message)


def test_header_row_in_a_space_file_is_named() -> None:
    with pytest.raises(SpaceError) as caught:
        Space.from_csv("name,type,v1,v2,v3\n" + SPACE_CSV)
    first = caught.value.problems[0]
    assert first.row == 1 and first.column and "header" in first.message


def test_unicode_parameter_names_are_names_and_invisible_characters_are_refused() -> None:
    space = Space.from_csv("température,numerical,40,50\n催化剂,categorical,a,b\n")
    assert [p.name for p in space.parameters] == ["température", "催化剂"]
    with pytest.raises(SpaceError) as caught:
        Space.from_csv("temp\u200b,numerical,40,50\ncat\u0000,categorical,a,b\n")
    assert _problems(caught.value) == [(1, "Name"), (2, "Name")]


@pytest.mark.parametrize(
    ("response", "word"),
    [
        ("abc", "not a number"),
        (float("nan"), "the response is missing"),  # a missing float: not measured
        ("-nan", "the response is missing"),  # C's printf of a NaN
        ("Infinity", "finite"),
        ("-inf", "finite"),
        ("1e999", "too large: a response is at most"),  # a number past a float's range
    ],
)
def test_bad_responses_name_row_and_column(response: Any, word: str) -> None:
    space = Space.from_csv(SPACE_CSV)
    table = Table(columns=COLUMNS, rows=[[40, "Pt", 1, 1.0], [50, "Ni", 2, response]])
    problems = validate_experiments(table, space)
    assert [(p.row, p.column) for p in problems] == [(3, "Response")]
    assert word in problems[0].message


def test_huge_finite_values_are_numbers() -> None:
    space = Space.from_csv(SPACE_CSV)
    table = Table(columns=COLUMNS, rows=[[40, "Pt", 1, 1.7e308], [50, "Ni", 2, -1.7e308]])
    assert validate_experiments(table, space) == []


# -- through the service ------------------------------------------------------------------


@pytest.fixture
def campaign(embedded_conn: sigopt_like.Connection) -> Any:
    session = embedded_conn.sessions.create(name="bad-input ✓ Ünïcode 试验")
    assert session.name == "bad-input ✓ Ünïcode 试验"
    c = embedded_conn.sessions(session.id)
    c.space.put(space=Space.from_csv(SPACE_CSV), population_size=10, replicates=0, wait=True)
    c.sid = str(session.id)
    return c


def _state(c: Any) -> Any:
    history = c.history.fetch()
    tasks = [(t.type, t.status) for t in c.tasks.list(limit=1000) if t.status == "success"]
    return [(g.gen, g.table.rows) for g in history.generations], sorted(tasks)


@pytest.mark.parametrize(
    ("rows", "columns", "where"),
    [
        ([[40, "Pt", 1, "abc"]], COLUMNS, (2, "Response")),
        ([[40, "Pt", 1, 1.0], [40, "Pt", 2, "Infinity"]], COLUMNS, (3, "Response")),
        ([[40, "Pt", 1, "NaN"]], COLUMNS, (2, "Response")),
        ([[45, "Pt", 1, 1.0]], COLUMNS, (2, "temp")),
        ([[40, "Pt", 1, 1.0], [40, "Pd", 1, 2.0]], COLUMNS, (3, "cat")),
        ([[40, "Pt", 1, 1.0]], ("temp", "kät", "x", "Response"), (1, "kät")),
    ],
)
def test_service_refuses_bad_tables_and_keeps_its_state(
    campaign: Any, rows: list, columns: tuple, where: tuple[int, str]
) -> None:
    before = _state(campaign)
    with pytest.raises((TaskFailedError, APIError)) as caught:
        campaign.experiments.put(
            type="initial", table={"columns": columns, "rows": rows}, wait=True
        )
    err = caught.value
    items = [e if isinstance(e, dict) else attr_dict(e) for e in err.errors]
    assert any((i.get("row"), i.get("column")) == where for i in items), items
    assert _state(campaign) == before


def attr_dict(item: Any) -> dict:
    return {k: getattr(item, k, None) for k in ("message", "row", "column", "field")}


def test_files_joined_with_their_byte_order_marks_read_right(campaign: Any, tmp_path: Path) -> None:
    """``cat a.csv b.csv`` of two files saved as CSV UTF-8 puts a byte order mark at the
    start of b's first line, mixed line endings too. Before: "row 3, column temp:
    '\ufeff50' is not a number", which a terminal shows as "'50' is not a number"."""
    first = "\ufefftemp,cat,x,Response\r\n40,Pt,1,1.5\r\n".encode()
    second = "\ufeff50,Ni,2,2.5\n60,Pt,3,-\r".encode()
    joined = tmp_path / "joined.csv"
    joined.write_bytes(first + second)
    table = Table.from_csv(joined)
    assert table.rows == ((40, "Pt", 1, 1.5), (50, "Ni", 2, 2.5), (60, "Pt", 3, None))
    with pytest.raises(ValidationError) as caught:  # the extra row's response is missing
        campaign.experiments.put(type="initial", table=joined, wait=True)
    assert [(e["row"], e["column"]) for e in caught.value.errors] == [(4, "Response")]
    joined.write_bytes(first + second[: second.index(b"60")])
    assert campaign.experiments.put(type="initial", table=joined, wait=True).succeeded
    stored = campaign.history.fetch().generations[0].table.rows
    assert [tuple(row) for row in stored] == [(40, "Pt", 1, 1.5), (50, "Ni", 2, 2.5)]


DATA = Path(__file__).resolve().parents[1] / "data"


def _saved_as(text: str, how: str) -> bytes:
    """``text`` (CSV, LF line ends) as a spreadsheet or a script saves it."""
    lines = text.splitlines()
    if how == "excel sep= line":
        return ("sep=,\r\n" + "\r\n".join(lines) + "\r\n").encode()
    if how == "UTF-16 with its byte order mark":
        return ("\r\n".join(lines) + "\r\n").encode("utf-16")
    if how == "CR line ends":
        return ("\r".join(lines) + "\r").encode()
    assert how == "header repeated (cat a.csv b.csv)"
    if "Response" not in lines[0]:  # a space file has no header row to repeat
        return text.encode()
    return "\n".join([*lines[:31], lines[0], *lines[31:]]).encode() + b"\n"


@pytest.mark.parametrize(
    "how",
    [
        "excel sep= line",
        "UTF-16 with its byte order mark",
        "CR line ends",
        "header repeated (cat a.csv b.csv)",
    ],
)
def test_the_example_files_as_spreadsheets_save_them_go_through_the_docs_workflow(
    embedded_conn: Any, tmp_path: Path, how: str
) -> None:
    """The example space and experiments (docs/tutorial.md's calls, verbatim) saved as
    Excel and scripts save them. Before: Excel's ``sep=,`` first line made the space's
    row 1 "parameter 'sep=' has no type" and the table 91 problems ("value 'param2' is
    beyond the header's 1 columns"); a UTF-16 file (Excel's "Unicode Text") was "not
    UTF-8 text (byte 0)"; a header repeated where two files were joined was five
    problems "'param1' is not a number". Each is read as the plain file is, and stored so."""
    plain_space = Space.from_csv(str(DATA / "esd-factorial-4x8.csv"), type="factorial")
    plain_table = Table.from_csv(DATA / "experiments.csv")
    space_file, table_file = tmp_path / "space.csv", tmp_path / "experiments.csv"
    space_file.write_bytes(_saved_as((DATA / "esd-factorial-4x8.csv").read_text(), how))
    table_file.write_bytes(_saved_as((DATA / "experiments.csv").read_text(), how))

    space = sigopt_like.Space.from_csv(str(space_file), type="factorial")
    assert space == plain_space
    session = embedded_conn.sessions.create(name=f"saved as: {how}")
    campaign = embedded_conn.sessions(session.id)
    task = campaign.space.put(space=space, population_size=30, replicates=2, wait=True)
    assert task.succeeded
    assert campaign.experiments.put(type="initial", table=str(table_file), wait=True).succeeded
    stored = campaign.history.fetch().generations[0].table
    assert stored.rows == plain_table.rows and len(stored.rows) == 90


def test_an_empty_last_column_read_by_pandas_says_what_it_is(
    embedded_conn: Any, tmp_path: Path
) -> None:
    """A file whose lines end with a comma: ``Table.from_csv`` drops the empty last
    column; pandas names it ``Unnamed: 5``. Before: "column 'Unnamed: 5' is not a
    parameter of the space", with no word of where it came from."""
    pandas = pytest.importorskip("pandas")
    lines = (DATA / "experiments.csv").read_text().splitlines()
    path = tmp_path / "experiments.csv"
    path.write_text("".join(f"{line},\n" for line in lines))
    session = embedded_conn.sessions.create(name="trailing commas")
    campaign = embedded_conn.sessions(session.id)
    space = Space.from_csv(str(DATA / "esd-factorial-4x8.csv"), type="factorial")
    campaign.space.put(space=space, population_size=30, replicates=2, wait=True)
    with pytest.raises(ValidationError) as caught:
        campaign.experiments.put(type="initial", table=pandas.read_csv(path), wait=True)
    assert [(e["row"], e["column"]) for e in caught.value.errors] == [(1, "Unnamed: 5")]
    assert "pandas names a column so where the file's header cell is empty" in str(caught.value)
    assert campaign.history.fetch().generations[0].table.rows == ()
    assert campaign.experiments.put(type="initial", table=path, wait=True).succeeded
    assert len(campaign.history.fetch().generations[0].table.rows) == 90


def test_units_out_of_range_are_shown_as_given(embedded_conn: Any, tmp_path: Path) -> None:
    """Before: ``1e308`` in a units column of the example mixture was refused as "1000...
    is outside 'param1' range 0 to 5 units", its integer written out in 309 digits."""
    space = Space.from_csv(str(DATA / "esd-mixture-5.csv"), type="mixture", total_units=15)
    session = embedded_conn.sessions.create(name="units")
    campaign = embedded_conn.sessions(session.id)
    campaign.space.put(space=space, population_size=30, replicates=2, wait=True)
    path = tmp_path / "units.csv"
    path.write_text(
        'param1,param2,param3,param4,param5,Response\n1e308,5,1,2,2,1\n"1e5",5,1,2,2,1\n'
    )
    with pytest.raises(ValidationError) as caught:
        campaign.experiments.put(type="initial", table=path, wait=True)
    assert [(e["row"], e["column"], e["message"]) for e in caught.value.errors] == [
        (2, "param1", "row 2, column param1: 1e+308 is outside 'param1' range 0 to 5 units"),
        (3, "param1", "row 3, column param1: 100000 is outside 'param1' range 0 to 5 units"),
    ]
    assert campaign.history.fetch().generations[0].table.rows == ()


def test_a_whole_number_past_64_bits_is_quoted_as_typed(embedded_conn: Any, tmp_path: Path) -> None:
    """Before: 2**70 in a numerical column of a CSV table was refused as
    "1.1805916207174113e+21 is not a level of 't'", the float the CSV reader made of it,
    not what the file says. Now as typed; and the same text where it is a level is taken
    as that level. (A response is a float: written so, it is read as a number; written as a
    whole number past 2**53 the service refuses it, tests/client/test_wide_responses.py.)"""
    big = str(2**70)
    decimal = repr(float(2**70))
    session = embedded_conn.sessions.create(name="wide")
    campaign = embedded_conn.sessions(session.id)
    space = {
        "type": "factorial",
        "parameters": [
            {"name": "t", "type": "numerical", "values": [0, 1, 2, float(2**70)]},
            {"name": "c", "type": "categorical", "values": ["a", big]},
        ],
    }
    campaign.space.put(space=space, population_size=2, replicates=0, wait=True)
    path = tmp_path / "wide.csv"
    path.write_text(f"t,c,Response\n1{big},a,1\n-{big},{big},{decimal}\n{big},{big},{decimal}\n")
    with pytest.raises(ValidationError) as caught:
        campaign.experiments.put(type="initial", table=path, wait=True)
    assert [e["message"] for e in caught.value.errors] == [
        f"row 2, column t: '1{big}' is not a level of 't' (levels: 0, 1, 2, "
        "1.1805916207174113e+21)",
        f"row 3, column t: '-{big}' is not a level of 't' (levels: 0, 1, 2, "
        "1.1805916207174113e+21)",
    ]
    assert campaign.history.fetch().generations[0].table.rows == ()
    path.write_text(f"t,c,Response\n{big},{big},{decimal}\n1,a,2\n")
    assert campaign.experiments.put(type="initial", table=path, wait=True).succeeded
    stored = campaign.experiments.fetch(gen=0)
    assert stored.rows == ((float(2**70), big, float(2**70)), (1, "a", 2))


def test_a_python_integer_past_64_bits_is_quoted_as_written(embedded_conn: Any) -> None:
    """Before: 2**70 in a categorical cell of a Python table was refused as
    "1.1805916207174113e+21 is not a level of 'c'", the float the client sent for it, not
    the integer given; a CSV cell typed so was quoted as written. Now the same: and where
    it is a numerical level, it is taken as that level, as before."""
    big = str(2**70)
    session = embedded_conn.sessions.create(name="wide")
    campaign = embedded_conn.sessions(session.id)
    space = {
        "type": "factorial",
        "parameters": [
            {"name": "t", "type": "numerical", "values": [0, 1, float(2**70)]},
            {"name": "c", "type": "categorical", "values": ["a", "b"]},
        ],
    }
    campaign.space.put(space=space, population_size=2, replicates=0, wait=True)
    rows = [{"t": 1, "c": 2**70, "Response": 1}, {"t": 2**70 + 2**20, "c": "a", "Response": 2}]
    with pytest.raises(ValidationError) as caught:
        campaign.experiments.put(type="initial", table=rows, wait=True)
    assert [e["message"] for e in caught.value.errors] == [
        f"row 2, column c: '{big}' is not a level of 'c' (levels: a, b)",
        f"row 3, column t: '{2**70 + 2**20}' is not a level of 't' (levels: 0, 1, "
        "1.1805916207174113e+21); a whole number is taken only as the level it equals, and "
        "1.1805916207174113e+21 is another number",
    ]
    assert campaign.history.fetch().generations[0].table.rows == ()
    rows = [{"t": 2**70, "c": "b", "Response": 1}]
    assert campaign.experiments.put(type="initial", table=rows, wait=True).succeeded
    assert campaign.experiments.fetch(gen=0).rows == ((float(2**70), "b", 1),)


def test_a_sep_line_naming_another_separator_is_refused_at_row_1(
    campaign: Any, tmp_path: Path
) -> None:
    """Excel's ``sep=;`` (or ``sep=|``) line says the values are not comma separated:
    refused as such at row 1, for a table and a space, nothing stored."""
    before = _state(campaign)
    for separator, words in ((";", "separated by semicolons"), ("|", "separated by '|'")):
        path = tmp_path / "experiments.csv"
        path.write_text(f"sep={separator}\ntemp,cat,x,Response\n40,Pt,1,1.5\n")
        with pytest.raises(TableError, match=words) as caught:
            campaign.experiments.put(type="initial", table=path, wait=True)
        assert [p.row for p in caught.value.problems] == [1]
        with pytest.raises(SpaceError, match=words):
            Space.from_csv(f"sep={separator}\n{SPACE_CSV}")
    with pytest.raises(TableError, match="separated by tabs"):  # Excel's "Unicode Text"
        Table.from_csv("temp\tcat\tx\tResponse\r\n40\tPt\t1\t1.5\r\n".encode("utf-16"))
    assert _state(campaign) == before


def test_a_file_in_another_encoding_is_refused_at_the_row_and_column_of_its_byte(
    campaign: Any, tmp_path: Path
) -> None:
    """Excel's plain "CSV (Comma delimited)" saves in the computer's code page (cp1252's
    0xe9 for é). Before: "the file is not UTF-8 text (byte 61)", a place no spreadsheet
    shows. Now the byte's row and column as the file reads (a quoted comma is no column,
    a blank line is a row), for a table and a space; nothing stored."""
    before = _state(campaign)
    path = tmp_path / "experiments.csv"
    text = 'temp,cat,x,Response\r\n40,Pt,1,1.5\r\n\r\n50,"Pd, fine",2,2.5 café\r\n'
    path.write_bytes(text.encode("cp1252"))
    with pytest.raises(TableError) as caught:
        campaign.experiments.put(type="initial", table=path, wait=True)
    assert _problems(caught.value) == [(4, "D")]
    assert str(caught.value.problems[0].message) == (
        "row 4, column D: byte 0xe9 is not UTF-8 text; save it as 'CSV UTF-8 (Comma "
        "delimited)' (Excel's plain 'CSV' saves in the computer's own encoding)"
    )
    with pytest.raises(SpaceError, match=r"row 2, column C: byte 0xe9 is not UTF-8 text"):
        Space.from_csv("temp,numerical,40,50\ncat,categorical,café,Pt\n".encode("cp1252"))
    with pytest.raises(TableError, match="looks like UTF-16 without its byte order mark"):
        Table.from_csv("temp,cat,Response\n40,café,1\n".encode("utf-16-le"))
    assert _state(campaign) == before


def test_a_workbook_given_for_a_csv_file_is_named_as_one(campaign: Any, tmp_path: Path) -> None:
    """A lab's most likely wrong file is the Excel workbook the design was filled in. Before:
    "row 1, column A: byte 0xa5 is not UTF-8 text; the file looks like UTF-16 without its
    byte order mark", an encoding hunt for a file that is no text at all. Now it says what
    the file is and to save it as CSV; nothing stored."""
    import zipfile

    before = _state(campaign)
    workbook = tmp_path / "gen1.xlsx"
    with zipfile.ZipFile(workbook, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<?xml version='1.0'?><Types/>" * 20)
        archive.writestr("xl/workbook.xml", "<workbook/>" * 50)
    with pytest.raises(TableError) as caught:
        campaign.experiments.put(type="initial", table=workbook, wait=True)
    assert str(caught.value.problems[0].message) == (
        "the file is a zip archive (an Excel .xlsx or LibreOffice .ods workbook is one), not "
        "CSV text: open it in Excel (or LibreOffice) and save it as 'CSV UTF-8 (Comma "
        "delimited)'"
    )
    with pytest.raises(SpaceError, match=r"is an Excel 97-2003 workbook \(\.xls\), not CSV"):
        Space.from_csv(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 4)
    with pytest.raises(TableError, match="is a PDF document, not CSV text: give the CSV file"):
        Table.from_csv(b"%PDF-1.4\n\xe2\xe3\xcf\xd3\n")
    assert _state(campaign) == before


def test_a_huge_column_name_is_quoted_short_in_every_problem(campaign: Any) -> None:
    """Before: a 1,000,000-character column name (a cell pasted into the header) was
    quoted whole: each problem of the task was a megabyte, stored and printed."""
    before = _state(campaign)
    huge = "q" * 1_000_000
    for columns in (
        ["temp", huge, "x", "Response"],  # one name wrong
        [huge, huge + "r", "x", "Response"],  # the header is mostly not the space's
        ["temp", "cat", "x", "Response", huge, huge],  # named twice, beyond the space
    ):
        table = {"columns": columns, "rows": [[40, "Pt", 1, 1.0, *[""] * (len(columns) - 4)]]}
        with pytest.raises((ValidationError, TableError)) as caught:  # the service's, the client's
            campaign.experiments.put(type="initial", table=table, wait=True)
        err = caught.value
        messages = (
            [p.message for p in err.problems]
            if isinstance(err, TableError)
            else [e["message"] for e in err.errors]
        )
        assert messages and all(len(m) < 600 for m in messages), [len(m) for m in messages]
        assert any("(1,000,000 characters)" in m for m in messages), messages
    with pytest.raises(TableError) as refused:
        Table.from_csv(f"temp,cat,x,Response,{huge}\n40,Pt\n")
    assert [len(p.message) < 600 for p in refused.value.problems] == [True]
    assert _state(campaign) == before


def test_a_huge_space_name_type_or_value_is_quoted_short(embedded_conn: Any) -> None:
    """Before: a megabyte typed as a space's type, a parameter's type or name was quoted
    whole in the problem: a megabyte of message, stored with the task and printed."""
    huge = "n" * 1_000_000
    session = embedded_conn.sessions.create(name="huge-space")
    node = embedded_conn.sessions(session.id)
    numbers = {"name": "t", "type": "numerical", "values": [1, 2]}
    for space in (
        {"type": huge, "parameters": [numbers]},
        {"type": "factorial", "parameters": [{**numbers, "type": huge}]},
        {"type": "factorial", "parameters": [{**numbers, "name": huge}]},
        {"type": "factorial", "parameters": [{**numbers, "name": huge + "\u200b"}, numbers]},
        {"type": "factorial", "parameters": [{**numbers, "values": [huge, 2]}]},
    ):
        with pytest.raises(SigoptLikeError) as caught:
            node.space.put(space=space, population_size=2, replicates=0, wait=True)
        err = caught.value
        found = getattr(err, "errors", None) or getattr(err, "problems", None) or [err]
        messages = [getattr(e, "message", None) or str(e) for e in found]
        assert all(len(m) < 600 for m in messages), [len(m) for m in messages]
        assert any(",000 characters)" in m or ",001 characters)" in m for m in messages), messages
    assert embedded_conn.sessions(session.id).fetch().gen == -1  # still no space


def test_a_level_given_with_a_byte_order_mark_is_read_as_a_files_cell(
    embedded_conn: Any,
) -> None:
    """Before: a space given as a dict kept a level "\ufeffPd" (a mark pasted with it) that
    a space file's cell loses: the same space written as a file and read back was another
    space, and the experiments file's "Pd" matched no level ("'Pd' is not a level of 'cat'
    (levels: Pd, Pt)", the mark invisible)."""
    given = {
        "type": "factorial",
        "parameters": [
            {"name": "temp", "type": "numerical", "values": [40, 50]},
            {"name": "cat", "type": "categorical", "values": ["\ufeffPd", "Pt", " \ufeffNi"]},
        ],
    }
    space = Space.from_dict(given)
    assert space.parameters[1].values == ("Pd", "Pt", "Ni")
    assert Space.from_csv(space.to_csv()) == space
    session = embedded_conn.sessions.create(name="bom-level")
    node = embedded_conn.sessions(session.id)
    node.space.put(space=given, population_size=2, replicates=0, wait=True)
    assert node.space.fetch().parameters[1].values == ("Pd", "Pt", "Ni")
    table = "temp,cat,Response\n40,Pd,1.5\n50,Ni,2.5\n"
    assert node.experiments.put(type="initial", table=table, wait=True).status == "success"


def test_a_huge_total_units_bound_or_level_is_quoted_short(embedded_conn: Any) -> None:
    """Before: a megabyte sent as a mixture's total_units or a component's minimum, a
    level that holds a NUL or begins like a formula, or a parameter name that is not text
    was quoted whole: a megabyte of problem, stored with the task (twice in its answer);
    and a total_units of 1e308 was quoted as its 309 digits. Checked by the client's own
    Space and by the service (the body sent as it is), nothing stored either way."""
    huge = "u" * 1_000_000
    units = [{"name": n, "type": "unit", "min": 0, "max": 10} for n in ("a", "b")]
    level = {"name": "c", "type": "categorical", "values": ["x", "y"]}
    session = embedded_conn.sessions.create(name="huge-units")
    for space in (
        {"type": "mixture", "total_units": huge, "parameters": units},
        {"type": "mixture", "total_units": 10, "parameters": [{**units[0], "min": huge}, units[1]]},
        {"type": "factorial", "parameters": [{**level, "values": ["=" + huge, "y"]}]},
        {"type": "factorial", "parameters": [{**level, "name": [huge]}, level]},
    ):
        with pytest.raises(SpaceError) as local:
            Space.from_dict(space)
        with pytest.raises((TaskFailedError, ValidationError)) as served:  # in its task, or at once
            task = embedded_conn.transport.request_json(
                "PUT",
                f"/v1/sessions/{session.id}/space",
                json={"space": space, "population_size": 2, "replicates": 0},
            )
            embedded_conn.sessions(session.id).tasks(task["id"]).wait(timeout=60)
        for messages in (
            [p.message for p in local.value.problems],
            [getattr(e, "message", None) or e["message"] for e in served.value.errors],
        ):
            assert messages and all(len(m) < 600 for m in messages), [len(m) for m in messages]
            assert any(" characters)" in m for m in messages), messages
    mixture = {"type": "mixture", "total_units": 1e308, "parameters": units}
    with pytest.raises(SpaceError, match=r"total_units 1e\+308 is too large: the most is"):
        Space.from_dict(mixture)
    assert embedded_conn.sessions(session.id).fetch().gen == -1  # still no space


def test_quoted_decimal_commas_say_to_write_a_point(campaign: Any, tmp_path: Path) -> None:
    """A sheet whose decimal mark is a comma, saved with commas between values, quotes
    "1,5". Before: "response '1,5' is not a number (leave the cell empty ...)", a tip
    for a missing response; and a 100,000-character response was quoted whole. The
    responses and the parameter cell are refused when the table is sent (a 422, no task),
    all in one answer."""
    before = _state(campaign)
    tasks = [t.id for t in campaign.tasks.list(limit=1000)]
    path = tmp_path / "comma.csv"
    huge = "z" * 100_000
    rows = '40,Pt,"1,0","1,5"\n50,Ni,2,{huge}\n60,Ni,3,"1,500"\n70,Ni,4,"1,234,567"\n'
    rows += '40,Ni,1,"1,234.5"\n50,Ni,2,"1.234,5"\n'  # thousands and a decimal mark
    rows += '60,Ni,3,"1\u00a0234,5"\n70,Ni,4,1 234\n'  # thousands grouped by spaces
    path.write_text("temp,cat,x,Response\n" + rows.replace("{huge}", huge), encoding="utf-8")
    with pytest.raises(ValidationError) as refused:
        campaign.experiments.put(type="initial", table=path, wait=True)
    assert refused.value.status == 422
    errors = {(e["row"], e["column"]): e["message"] for e in refused.value.errors}
    assert list(errors) == [(2, "x"), *((row, "Response") for row in range(2, 10))]
    assert [t.id for t in campaign.tasks.list(limit=1000)] == tasks  # no task queued
    assert errors[(2, "Response")].endswith("(write it with '.' as the decimal mark: 1.5)")
    assert len(errors[(3, "Response")]) < 300 and "(100,000 characters)" in errors[(3, "Response")]
    # "1,500" is 1.5 or 1500: the tip "1.500" alone stored a thousandth of the latter
    assert errors[(4, "Response")].endswith(
        "(write it with '.' as the decimal mark and no thousands separator: 1.500 if the "
        "comma is the decimal mark, 1500 if it separates thousands)"
    )
    assert errors[(5, "Response")].endswith("(write it without thousands separators: 1234567)")
    # before: "(leave the cell empty, '-' or NA if it was not measured)", a tip for no number
    assert errors[(6, "Response")].endswith("(write it without thousands separators: 1234.5)")
    assert errors[(7, "Response")].endswith(
        "(write it with '.' as the decimal mark and no thousands separator: 1234.5)"
    )
    assert errors[(8, "Response")].endswith(
        "(write it with '.' as the decimal mark and no thousands separator: 1234.5)"
    )
    assert errors[(9, "Response")].endswith(
        "(write it with '.' as the decimal mark and no thousands separator: 1234)"
    )
    assert _state(campaign) == before
    assert errors[(2, "x")].endswith("(write it with '.' as the decimal mark: 1.0)")
    assert _state(campaign) == before


def test_ragged_json_table_is_refused_before_storing(campaign: Any, embedded_conn: Any) -> None:
    before = _state(campaign)
    table = {"columns": list(COLUMNS), "rows": [[40, "Pt", 1, 1.0], [50, "Ni", 2]]}
    # the client refuses it before sending (a typed TableError naming the row) ...
    with pytest.raises((TableError, SigoptLikeError)) as caught:
        campaign.experiments.put(type="initial", table=table, wait=True)
    assert "row 3" in str(caught.value) or "row 2" in str(caught.value)
    # ... and the service refuses it too when it is sent raw
    response = _raw(
        embedded_conn,
        "POST",
        f"/v1/sessions/{_sid(campaign)}/experiments",
        json.dumps({"type": "initial", "table": table}).encode(),
    )
    assert response.status_code in (400, 422), response.text
    body = response.json()
    assert body["object"] == "error"
    rows = [e.get("row") for e in body.get("detail", {}).get("errors", [])]
    assert rows and set(rows) & {2, 3}, body
    assert _state(campaign) == before


def _sid(c: Any) -> str:
    return c.sid


def _raw(
    conn: sigopt_like.Connection, method: str, path: str, data: Any, headers: dict | None = None
) -> requests.Response:
    return conn.transport.session.request(
        method,
        conn.transport.url(path),
        data=data,
        headers={"Content-Type": "application/json", **(headers or {})},
        timeout=60,
    )


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_json_are_a_400(
    campaign: Any, embedded_conn: Any, literal: str
) -> None:
    before = _state(campaign)
    body = (
        '{"type":"initial","table":{"columns":["temp","cat","x","Response"],'
        f'"rows":[[40,"Pt",1,{literal}]]}}}}'
    )
    response = _raw(
        embedded_conn, "POST", f"/v1/sessions/{_sid(campaign)}/experiments", body.encode()
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_json"
    assert literal.lstrip("-") in response.json()["message"]
    tip = "write null where a value is missing" if literal == "NaN" else "a finite number"
    assert tip in response.json()["message"]
    assert _state(campaign) == before


def test_request_limits_answer_413_saying_the_limit(tmp_path: Path, clean_env: Any) -> None:
    limit = 1024 * 1024
    with sigopt_like.Connection(database=tmp_path / "limits.db") as conn:
        service = conn.service
        max_rows = service.settings.max_table_rows
        assert service.settings.max_body_bytes == 10 * 1024 * 1024  # the default: 10 MB
        session = conn.sessions.create(name="limits")
        c = conn.sessions(session.id)
        c.space.put(space=Space.from_csv(SPACE_CSV), population_size=10, replicates=0, wait=True)
        before = _state(c)
        path = f"/v1/sessions/{session.id}/experiments"
        # 1. a body over the default limit of 10 MB, declared by Content-Length
        big = b'{"type":"initial","table":{"columns":[],"rows":[' + b"[1]," * (3 * 1024 * 1024)
        big = big[:-1] + b"]}}"
        assert len(big) > 10 * 1024 * 1024
        response = _raw(conn, "POST", path, big)
        assert response.status_code == 413, response.text[:300]
        assert response.json()["code"] == "payload_too_large"
        assert str(10 * 1024 * 1024) in response.json()["message"]
        # 2. the same, chunked (no Content-Length): refused while reading
        response = _raw(
            conn, "POST", path, iter([big[i : i + 65536] for i in range(0, len(big), 65536)])
        )
        assert response.status_code == 413, response.text[:300]
        # 3. a table with more rows than the limit, through the client: a typed 413
        rows = [[40, "Pt", 1, 1.0]] * (max_rows + 1)
        with pytest.raises(PayloadTooLargeError) as caught:
            c.experiments.put(type="initial", table={"columns": COLUMNS, "rows": rows})
        assert str(max_rows) in str(caught.value)
        assert _state(c) == before
    # 4. a smaller configured limit is the one the message gives
    from sigopt_like.service import create_app

    with create_app(database=str(tmp_path / "small.db"), max_body_bytes=limit) as small:
        import falcon.testing

        client = falcon.testing.TestClient(small)
        result = client.simulate_post(
            "/v1/sessions",
            body=b"{" + b" " * limit + b"}",
            headers={"Content-Type": "application/json"},
        )
        assert result.status_code == 413 and str(limit) in result.json["message"]


def test_a_folder_given_as_a_table_is_a_table_error(embedded_conn: Any, tmp_path: Path) -> None:
    """``table=Path(a_folder)`` raised a bare IsADirectoryError from deep in the reader.
    Now a TableError naming the folder and the CSV files in it; nothing is sent."""
    space = Space.from_csv(str(DATA / "esd-factorial-4x8.csv"), type="factorial")
    session = embedded_conn.sessions.create(name="folder")
    campaign = embedded_conn.sessions(session.id)
    campaign.space.put(space=space, population_size=30, replicates=2, wait=True)
    (tmp_path / "experiments.csv").write_text((DATA / "experiments.csv").read_text())
    with pytest.raises(TableError) as caught:
        campaign.experiments.put(type="initial", table=tmp_path, wait=True)
    message = str(caught.value)
    assert f"{str(tmp_path)!r} is a folder, not a CSV file" in message, message
    assert "'experiments.csv'" in message, message
    assert campaign.history.fetch().generations[0].table.rows == ()
    with pytest.raises(SpaceError, match="is a folder, not a CSV file"):
        Space.from_csv(tmp_path, type="factorial")


def test_a_long_list_of_problems_is_counted_with_a_thousands_separator() -> None:
    """The message said "1100 problems ... and 1088 more" where the capped list says
    "1,088 more problems not listed": one way to write a count."""
    with pytest.raises(TableError) as caught:
        Table.from_csv("a,Response\n" + "1,2,3\n" * 1_100)
    message = str(caught.value)
    assert message.startswith("invalid table: 1,100 problems\n"), message[:80]
    assert message.endswith("... and 1,088 more (every one is in .problems)"), message[-80:]


def test_a_binary_file_given_for_a_csv_file_is_named_no_text(campaign: Any, tmp_path: Path) -> None:
    """A program (an ELF header) or random bytes, given for a space or an experiments file,
    were told "the file looks like UTF-16 without its byte order mark". They are named no
    text, with their first bytes; UTF-16 without its mark is still recognised; nothing
    stored."""
    import random

    before = _state(campaign)
    elf = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + bytes(40)
    program = tmp_path / "a.out.csv"
    program.write_bytes(elf + random.Random(0).randbytes(2000))
    with pytest.raises(TableError) as caught:
        campaign.experiments.put(type="initial", table=program, wait=True)
    message = str(caught.value.problems[0].message)
    assert message == (
        "the file is not text (its first bytes are 7f 45 4c 46 02 01 01 00), so it is no CSV "
        "file: give the CSV file itself, or open it in Excel (or LibreOffice) and save it as "
        "'CSV UTF-8 (Comma delimited)'"
    )
    for seed in range(3):
        noise = random.Random(seed).randbytes(3000)
        with pytest.raises(SpaceError, match=r"the file is not text \(its first bytes are ") as e:
            Space.from_csv(noise)
        assert "UTF-16" not in str(e.value)
    for encoding in ("utf-16-le", "utf-16-be"):
        with pytest.raises(TableError, match="looks like UTF-16 without its byte order mark"):
            Table.from_csv("temp,cat,Response\n40,café,1\n".encode(encoding))
        with pytest.raises(SpaceError, match="it is UTF-16 or UTF-32 text, not UTF-8"):
            Space.from_csv("temp,numerical,40,50\n".encode(encoding))
    assert _state(campaign) == before


def test_text_with_control_characters_is_no_binary_file() -> None:
    """UTF-8 text whose cells hold control characters (an ANSI colour code in each row, a
    terminal's copy) is read as text, and a UTF-16 file of CJK text without its mark (NULs
    only beside its ASCII) is not named "not text": the binary-file check took both for a
    program once 2% of the first bytes were control bytes."""
    coloured = "temp,label,Response\n" + "".join(
        f"{i},\x1b[32mok\x1b[0m,{i / 2}\n" for i in range(1, 40)
    )
    table = Table.from_csv(coloured.encode())
    assert len(table.rows) == 39 and table.rows[0][1] == "\x1b[32mok\x1b[0m"
    japanese = "温度,収率,備考\n" + "".join(f"{i},{i},高温で反応した試料{i}\n" for i in range(60))
    with pytest.raises(TableError) as caught:
        Table.from_csv(japanese.encode("utf-16-le"))
    assert "not text" not in str(caught.value)

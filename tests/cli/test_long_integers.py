"""Integers beyond 64 bits in CSV files are numbers, read as a spreadsheet reads them
(a level; a response, a float, is written as one: a whole number past 2**53 is refused).

Before: a response cell ``1180591620717411303424`` (a count of 1.18e21) or a level of that
size was read as a Python int, and the service refused the whole table: "The field
'table.rows[3][4]' is 1180591620717411303424, beyond the integers this service stores".
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from sigopt_like.csvio import parse_number

from .test_errors import one_line

BIG = "1180591620717411303424"  # 2**70


def test_a_long_integer_reads_as_a_float_and_a_64_bit_one_stays_exact() -> None:
    assert parse_number(BIG) == 2.0**70 and isinstance(parse_number(BIG), float)
    assert parse_number("9223372036854775807") == 2**63 - 1  # exact, an int
    assert parse_number("-9223372036854775808") == -(2**63)
    assert parse_number("1" + "0" * 400) == float("inf")  # then refused as too large
    assert parse_number("1" + "0" * 5000) == float("inf")  # past int()'s 4,300 digits
    assert parse_number("-" + "0" * 6000 + "5") == -5  # leading zeros count there too


def test_a_campaign_with_a_long_level_and_a_long_response(run, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "long.db"))
    space = tmp_path / "space.csv"
    space.write_text(f"t,numerical,1,2,{BIG}\nc,categorical,a,b,c\n")
    assert run("sessions", "create", "long").code == 0
    put = run(
        "space",
        "put",
        "1",
        space,
        "--type",
        "factorial",
        "--population",
        "3",
        "--replicates",
        "0",
        "-q",
    )
    assert put.code == 0, put.err
    design = tmp_path / "design.csv"
    assert run("generate", "1", "-o", design, "-q").code == 0
    rows = list(csv.reader(design.open()))
    rows[1][-1] = BIG
    for row in rows[2:]:
        row[-1] = "1.5"
    measured = tmp_path / "measured.csv"
    with measured.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    # a response is a float: as a whole number past 2**53 it would come back in another
    # form (1.1805916207174113e+21), so it is refused, saying how to write it
    refused = run("experiments", "put", "1", measured, "--type", "designed", "-q")
    assert refused.code == 1, refused.err
    assert f"row 2, column Response: {BIG} cannot be a response as written" in refused.err
    assert "write 1.1805916207174113e+21 if that is what you mean" in refused.err
    rows[1][-1] = repr(2.0**70)
    with measured.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    stored = run("experiments", "put", "1", measured, "--type", "designed", "-q")
    assert stored.code == 0, stored.err
    best = run("best", "1", "--json")
    assert best.code == 0, best.err
    assert best.json()["observed_mean"] == 2.0**70


def _session_with_a_design(run, tmp_path: Path) -> Path:
    space = tmp_path / "space.csv"
    space.write_text("t,numerical,1,2,3\nc,categorical,a,b,c\n")
    assert run("sessions", "create", "huge").code == 0
    put = run(
        "space", "put", "1", space, "--type", "factorial", "--population", "3",
        "--replicates", "0", "-q",
    )  # fmt: skip
    assert put.code == 0, put.err
    design = tmp_path / "design.csv"
    assert run("generate", "1", "-o", design, "-q").code == 0
    return design


def test_a_number_past_every_range_in_a_file_is_one_line_and_stores_nothing(
    run, tmp_path: Path, monkeypatch
) -> None:
    """Before: a level or a cell of more than 4,300 digits was a ValueError traceback
    (``int()``'s limit), and a response of ``1e309`` (or 400 digits) was refused before
    sending with "The field 'table.rows.0.4' is inf, ... reported with failed=True"."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "huge.db"))
    design = _session_with_a_design(run, tmp_path)
    huge = "1" + "0" * 5000
    space = tmp_path / "huge-space.csv"
    space.write_text(f"t,numerical,1,{huge}\nc,categorical,a,b\n")
    assert run("sessions", "create", "other").code == 0
    line = one_line(
        run("space", "put", "2", space, "--type", "factorial", "--population", "2",
            "--replicates", "0", "-q")
    )  # fmt: skip
    assert "row 1, column D (Value.2)" in line and "too large" in line
    assert "5,001 characters" in line and len(line) < 200
    assert run("sessions", "show", "2", "--json").json()["gen"] == -1

    before = run("history", "1", "-o", "-").out
    rows = list(csv.reader(design.open()))
    for value in (huge, "1e309", "-1" + "0" * 400):
        for row in rows[1:]:
            row[-1] = value
        measured = tmp_path / "measured.csv"
        with measured.open("w", newline="") as handle:
            csv.writer(handle).writerows(rows)
        put = run("experiments", "put", "1", measured, "--type", "designed", "-q")
        assert put.code == 1 and "Traceback" not in put.err, put.err
        assert "row 2, column Response: response" in put.err, put.err
        assert "is too large: a response is at most +-1.8e308" in put.err
        assert "failed=True" not in put.err and "table.rows" not in put.err
        assert run("history", "1", "-o", "-").out == before


@pytest.fixture(params=["embedded", "served"])
def where(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch) -> str:
    """The command line on an embedded database, then on a real served instance."""
    if request.param == "embedded":
        monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "wide.db"))
    else:
        served = request.getfixturevalue("served")
        monkeypatch.setenv("SIGOPT_LIKE_HOST", served.url)
        monkeypatch.setenv("SIGOPT_LIKE_TOKEN", served.token)
    return str(request.param)


def test_a_whole_response_past_2_53_in_a_file_says_what_to_write(run, tmp_path: Path, where):
    """A CSV response cell of a whole number a float cannot hold is refused before
    anything is sent, saying what to write; and what it says is taken. Before, 2**63 - 1
    was told to "write 9223372036854775808", which was refused in turn (as written past
    2**53)."""
    design = _session_with_a_design(run, tmp_path)
    rows = list(csv.reader(design.open()))
    measured = tmp_path / "measured.csv"

    def put(response: str) -> Any:
        for row in rows[1:]:
            row[-1] = "1.5"
        rows[1][-1] = response
        with measured.open("w", newline="") as handle:
            csv.writer(handle).writerows(rows)
        return run("experiments", "put", "1", measured, "--type", "designed", "-q")

    before = run("history", "1", "-o", "-").out, run("tasks", "list", "1", "--json").json()
    for written, advice in ((2**53 + 1, "9007199254740992"), (2**63 - 1, "9.223372036854776e+18")):
        line = one_line(put(str(written)))
        assert f"row 2, column Response: {written} cannot be a response exactly" in line
        assert f"write {advice} if that is what you mean" in line
        after = run("history", "1", "-o", "-").out, run("tasks", "list", "1", "--json").json()
        assert after == before  # nothing sent: no task, nothing stored
    for response in ("9.223372036854776e+18", str(2**53), "1.2e21"):
        stored = put(response)
        assert stored.code == 0, stored.err
        history = list(csv.DictReader(run("history", "1", "-o", "-").out.splitlines()))
        assert {float(r["Response"]) for r in history} == {1.5, float(response)}

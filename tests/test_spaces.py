"""Tests for sigopt_like.spaces: reading, rules, size, design size, random experiments."""

from __future__ import annotations

import io
import itertools
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from sigopt_like.space_wire import unstorable_values
from sigopt_like.spaces import (
    CategoricalParameter,
    MixtureComponent,
    NumericalParameter,
    Problem,
    Space,
    SpaceError,
    check_design_size,
)
from sigopt_like.tables import Table, validate_experiments

DATA = Path(__file__).parent / "data"


def problems_of(text: str, **kwargs) -> list[Problem]:
    with pytest.raises(SpaceError) as info:
        Space.from_csv(text, **kwargs)
    assert isinstance(info.value, ValueError)
    return info.value.problems


def one_problem(text: str, **kwargs) -> Problem:
    problems = problems_of(text, **kwargs)
    assert len(problems) == 1, problems
    return problems[0]


def brute_force_size(space: Space) -> int:
    ranges = [range(p.min, p.max + 1) for p in space.parameters]
    return sum(1 for xs in itertools.product(*ranges) if sum(xs) == space.total_units)


def mixture(total: int, *bounds: tuple[int, int]) -> Space:
    comps = [MixtureComponent(f"c{i}", lo, hi) for i, (lo, hi) in enumerate(bounds)]
    return Space(type="mixture", parameters=comps, total_units=total)


# --------------------------------------------------------------------------- reading


@pytest.mark.parametrize(
    ("name", "size"),
    [("3x5", 125), ("4x8", 4096), ("8x5", 390625), ("9x5", 1953125)],
)
def test_factorial_example_sizes(name: str, size: int) -> None:
    space = Space.from_csv(DATA / f"esd-factorial-{name}.csv")
    assert space.type == "factorial"
    assert space.size() == size
    assert all(p.type == "numerical" for p in space.parameters)


def test_mixture_example_size_matches_brute_force() -> None:
    space = Space.from_csv(DATA / "esd-mixture-5.csv", type="mixture", total_units=15)
    assert space.names == ("param1", "param2", "param3", "param4", "param5")
    assert space.parameters[2] == MixtureComponent("param3", 1, 5)
    assert space.parameters[0].type == "unit"
    assert space.size() == brute_force_size(space) == 486


def test_mixture_size_brute_force_many_small_cases() -> None:
    rng = random.Random(7)
    for _ in range(200):
        n = rng.randint(2, 5)
        bounds = []
        for _ in range(n):
            lo = rng.randint(0, 4)
            bounds.append((lo, lo + rng.randint(1, 5)))
        total = rng.randint(1, 20)
        space = mixture(total, *bounds)
        assert space.size() == brute_force_size(space)
        assert len(list(space.iter_points())) == space.size()


def test_mixture_size_is_exact_for_astronomical_spaces() -> None:
    space = mixture(1000, *[(0, 1000)] * 30)
    # compositions of 1000 into 30 non-negative parts (no upper bound binds): C(1029, 29)
    from math import comb

    assert space.size() == comb(1029, 29)
    assert space.size() > 2**64


def test_factorial_size_big_is_python_int() -> None:
    params = [NumericalParameter(f"p{i}", range(10)) for i in range(30)]
    assert Space("factorial", params).size() == 10**30


def test_sources_path_str_file_bytes_text() -> None:
    path = DATA / "esd-factorial-4x8.csv"
    expected = Space.from_csv(path)
    assert Space.from_csv(str(path)) == expected
    assert Space.from_csv(path.read_text()) == expected
    assert Space.from_csv(path.read_bytes()) == expected
    with open(path, encoding="utf-8") as handle:
        assert Space.from_csv(handle) == expected
    with open(path, "rb") as handle:
        assert Space.from_csv(handle) == expected
    assert Space.from_csv(io.StringIO(path.read_text())) == expected


def test_missing_file_raises_file_not_found() -> None:
    with pytest.raises(FileNotFoundError):
        Space.from_csv(DATA / "nope.csv")
    with pytest.raises(FileNotFoundError):
        Space.from_csv("no such dir/a,b.csv")
    with pytest.raises(FileNotFoundError):
        Space.from_csv("space")


def test_one_line_text_is_text_not_a_path() -> None:
    assert Space.from_csv("a,numerical,1,2").names == ("a",)


def test_tolerates_crlf_bom_blank_lines_whitespace_and_padding() -> None:
    text = (
        "\ufeff temp , Numerical , 1 , 2 ,3,,\r\n"
        "\r\n"
        '  cat,categorical,"red, dark",blue,,,\r\n'
        ",,,,\r\n"
    )
    space = Space.from_csv(text)
    assert space.parameters == (
        NumericalParameter("temp", (1.0, 2.0, 3.0)),
        CategoricalParameter("cat", ("red, dark", "blue")),
    )
    assert Space.from_csv(text.encode("utf-8")) == space
    assert Space.from_csv(b"\xef\xbb\xbf" + text.lstrip("\ufeff").encode()) == space


def test_crlf_example_files_read() -> None:
    raw = (DATA / "esd-factorial-4x8.csv").read_bytes()
    crlf = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    assert Space.from_csv(crlf).size() == 4096


def test_number_forms() -> None:
    space = Space.from_csv("x,numerical,-1.5,+2,1e3,.5,3.")
    assert space.parameters[0].values == (-1.5, 2.0, 1000.0, 0.5, 3.0)


# --------------------------------------------------------------------------- round trips


def test_factorial_csv_round_trip_pads_rows() -> None:
    space = Space.from_csv('a,numerical,0,0.25,1\nb,categorical,"x,y",z\n')
    text = space.to_csv()
    assert text == 'a,numerical,0,0.25,1\nb,categorical,"x,y",z,\n'
    assert Space.from_csv(text) == space


def test_mixture_csv_round_trip(tmp_path: Path) -> None:
    space = Space.from_csv(DATA / "esd-mixture-5.csv", type="mixture", total_units=15)
    target = tmp_path / "sub" / "space.csv"
    text = space.to_csv(target)
    assert target.read_text() == text
    assert text.splitlines()[0] == "param1,unit,0,5"
    assert Space.from_csv(target, type="mixture", total_units=15) == space


def test_dict_round_trip_and_shape() -> None:
    space = Space.from_csv("p1,numerical,0,1,2.5\nc,categorical,a,b\n")
    data = space.to_dict()
    assert data == {
        "type": "factorial",
        "parameters": [
            {"name": "p1", "type": "numerical", "values": [0, 1, 2.5]},
            {"name": "c", "type": "categorical", "values": ["a", "b"]},
        ],
    }
    assert isinstance(data["parameters"][0]["values"][0], int)
    assert Space.from_dict(data) == space
    mix = mixture(25, (0, 15), (0, 15))
    assert mix.to_dict()["total_units"] == 25
    assert mix.to_dict()["parameters"][0] == {"name": "c0", "type": "unit", "min": 0, "max": 15}
    assert Space.from_dict(mix.to_dict()) == mix


def test_from_dict_accepts_daptics_table_form() -> None:
    data = {
        "type": "mixture",
        "totalUnits": 25,
        "table": {
            "colHeaders": ["Name", "Type", "Min", "Max"],
            "data": [
                ["param1", "unit", "1", "10"],
                ["param2", "unit", "2", "10"],
                ["param3", "unit", "4", "8"],
                ["param4", "unit", "2", "5"],
            ],
        },
    }
    space = Space.from_dict(data)
    assert space.total_units == 25
    assert space.size() == brute_force_size(space)


def test_from_dict_string_numbers_and_problems() -> None:
    space = Space.from_dict(
        {
            "type": "factorial",
            "parameters": [{"name": "a", "type": "numerical", "values": ["1", 2]}],
        }
    )
    assert space.parameters[0].values == (1.0, 2.0)
    with pytest.raises(SpaceError) as info:
        Space.from_dict({"type": "factorial", "parameters": [{"name": "a", "type": "numerical"}]})
    assert "needs a list of 'values'" in info.value.problems[0].message
    with pytest.raises(SpaceError):
        Space.from_dict({"type": "factorial"})
    with pytest.raises(SpaceError):
        Space.from_dict(["not", "a", "dict"])  # type: ignore[arg-type]
    with pytest.raises(SpaceError) as info:
        Space.from_dict(
            {
                "type": "factorial",
                "parameters": [{"name": "a", "type": "numerical", "values": [1, float("nan")]}],
            }
        )
    assert "'nan' is not a number" in info.value.problems[0].message


def test_validate_false_keeps_rule_violations_for_later() -> None:
    data = {
        "type": "factorial",
        "parameters": [{"name": "Response", "type": "numerical", "values": [1]}],
    }
    space = Space.from_dict(data, validate=False)
    problems = space.validate()
    assert len(problems) == 2
    assert all(p.row == 1 for p in problems)
    lazy = Space.from_csv("a,numerical,1", validate=False)
    assert lazy.validate()[0].column == "Value.1"
    with pytest.raises(SpaceError):  # unreadable stays an error
        Space.from_csv("a,numerical,x,1", validate=False)


# --------------------------------------------------------------------------- rules


def test_header_row_is_named_as_such() -> None:
    problem = one_problem("Name,Type,Value.1,Value.2\na,numerical,1,2\n")
    assert problem.row == 1
    assert "row 1 looks like a header row; space files have no header" in problem.message
    mix = one_problem("name,type,min,max\na,unit,0,5\nb,unit,0,5\n", type="mixture", total_units=5)
    assert "looks like a header row" in mix.message


def test_an_experiments_table_given_as_a_space_is_named_once() -> None:
    """Before: one "unknown parameter type" per data row (92 for the seed's experiments file)."""
    table = "param1,param2,param3,Response\n" + "".join(f"{i},1,2,0.5\n" for i in range(90))
    problem = one_problem(table)
    assert problem.row == 1
    assert "this is an experiments table, not a space file" in problem.message


def test_a_long_list_of_problems_is_summarised() -> None:
    text = "".join(f"p{i},numeric,1,2\n" for i in range(40))
    with pytest.raises(SpaceError) as caught:
        Space.from_csv(text)
    assert len(caught.value.problems) == 40  # every row (not "the space has no parameters")
    lines = str(caught.value).splitlines()
    assert lines[0] == "invalid space: 40 problems"
    assert lines[-1] == "  ... and 28 more (every one is in .problems)"
    assert len(lines) == 14


def test_unknown_type_word_reports_row_and_suggestion() -> None:
    problem = one_problem("a,numerical,1,2\nb,numeric,1,2\n")
    assert (problem.row, problem.column) == (2, "Type")
    assert "unknown parameter type 'numeric'" in problem.message
    assert "did you mean 'numerical'" in problem.message
    assert "row 2, column B" in problem.message
    other = one_problem("a,numerical,1,2\nb,float,1,2\n")
    assert "use numerical or categorical" in other.message


def test_type_words_are_case_insensitive() -> None:
    space = Space.from_csv("a,NUMERICAL,1,2\nb,Categorical,x,y\n")
    assert [p.type for p in space.parameters] == ["numerical", "categorical"]


def test_type_of_the_other_space_kind() -> None:
    problem = one_problem("a,unit,0,5\nb,numerical,1,2\n")
    assert problem.row == 1 and "belongs to mixture spaces" in problem.message
    mix = problems_of("a,unit,0,5\nb,numerical,1,2\n", type="mixture", total_units=5)
    assert any(p.row == 2 and "belongs to factorial spaces" in p.message for p in mix)


def test_missing_type() -> None:
    problem = one_problem("a\nb,numerical,1,2\n")
    assert problem.row == 1 and "has no type" in problem.message


def test_non_numeric_value_names_row_and_column() -> None:
    problem = one_problem("a,numerical,1,2\nb,numerical,1,two,3\n")
    assert (problem.row, problem.column) == (2, "Value.2")
    assert "row 2, column D (Value.2): 'two' is not a number" in problem.message


@pytest.mark.parametrize("word", ["nan", "inf", "Infinity", "1,5"])
def test_non_finite_or_odd_numbers_refused(word: str) -> None:
    problems = problems_of(f'a,numerical,1,"{word}"\n')
    assert problems[0].row == 1


def test_a_level_with_a_decimal_comma_says_how_to_write_it() -> None:
    """As a table's cell says it (before: only "'1,5' is not a number"), for a sheet saved
    where the comma is the decimal mark, its numbers quoted."""
    problem = problems_of('a,numerical,1,"1,5"\n')[0]
    assert "'1,5' is not a number" in problem.message
    assert "(write it with '.' as the decimal mark: 1.5)" in problem.message
    assert problems_of('a,numerical,1,"two"\n')[0].message.endswith("is numerical)")


def test_overflowing_number_is_too_large() -> None:
    """Said with the cell as typed (before: "value inf of 'a' is not a finite number")."""
    problem = problems_of("a,numerical,1,1e400\n")[0]
    assert "'1e400' is too large" in problem.message and problem.column == "Value.2"


def test_at_least_two_distinct_values() -> None:
    problem = one_problem("a,numerical,1,2\nb,categorical,only\n")
    assert problem.row == 2 and "at least two" in problem.message
    dup = problems_of("a,numerical,1,1.0\n")
    assert any("listed twice" in p.message for p in dup)
    assert any("at least two" in p.message for p in dup)


def test_duplicate_levels_reported() -> None:
    problem = one_problem("a,categorical,x,y,x\n")
    assert (problem.row, problem.column) == (1, "Value.3")
    assert "listed twice (also column C)" in problem.message


def test_categorical_labels_experiments_tables_cannot_tell_apart() -> None:
    problem = one_problem("a,categorical,1,1.0,x\n")
    assert (problem.row, problem.column) == (1, "Value.2")
    assert "same number" in problem.message
    dash = one_problem("a,categorical,x,-,y\n")
    assert dash.column == "Value.2" and "missing value" in dash.message


def test_empty_cell_between_values() -> None:
    problem = one_problem("a,numerical,1,,2\n")
    assert (problem.row, problem.column) == (1, "Value.2")
    assert "empty cell between values" in problem.message


@pytest.mark.parametrize(("blank", "code"), [("\u2028", "U+2028"), ("\x85", "U+0085")])
def test_a_level_of_only_a_blank_character_is_named(blank: str, code: str) -> None:
    """Before: a level of just U+2028 or U+0085 (stripped as blank) was told "empty cell
    between values", which did not name the character a person had put there."""
    texts = [f"a,categorical,x,{blank},y\n"]
    for text in texts:
        problem = one_problem(text)
        assert (problem.row, problem.column) == (1, "Value.2")
        assert repr(blank) in problem.message and code in problem.message, problem.message
        assert "reads as an empty cell" in problem.message, problem.message
    for data in (
        {"type": "factorial", "table": {"data": [["a", "categorical", "x", blank, "y"]]}},
        {
            "type": "factorial",
            "parameters": [{"name": "a", "type": "categorical", "values": ["x", blank, "y"]}],
        },
    ):
        with pytest.raises(SpaceError) as info:
            Space.from_dict(data)
        messages = [p.message for p in info.value.problems]
        assert any(code in m and repr(blank) in m for m in messages), messages


@pytest.mark.parametrize("word", ["Name", "TYPE", "value", "Response", "response"])
def test_reserved_words_refused_with_reason(word: str) -> None:
    problems = problems_of(f"a,numerical,1,2\n{word},numerical,1,2\n")
    assert len(problems) == 1
    assert problems[0].row == 2 and problems[0].column == "Name"
    assert "reserved word" in problems[0].message
    assert ("response column" in problems[0].message) == (word.lower() == "response")


def test_reserved_response_in_row_one_hints_header() -> None:
    problem = one_problem("Response,numerical,1,2\n")
    assert "reserved word" in problem.message and "header" in problem.message


@pytest.mark.parametrize(
    "name", ["1abc", "a_b", "2-propanol", "temp °C", "température", "_x", "NaCl (mM)", "a,b", 'q"t']
)
def test_names_a_lab_writes_are_accepted(name: str) -> None:
    """Before: only ASCII letters and digits, a rule no seed states ("temp_C" and "pH 7"
    were refused). A name is any text that can head a column of the experiments table."""
    quoted = name.replace('"', '""')
    space = Space.from_csv(f'"{quoted}",numerical,1,2\nb,categorical,x,y\n')
    assert space.parameters[0].name == name
    table = Table(columns=(*space.columns,), rows=((1, "x", 0.5),))
    assert Table.from_csv(table.to_csv()).columns == table.columns


def name_problems(name: str) -> list[Problem]:
    parameters = [{"name": name, "type": "numerical", "values": [1, 2]}]
    with pytest.raises(SpaceError) as info:
        Space.from_dict({"type": "factorial", "parameters": parameters})
    return info.value.problems


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("a\x00b", "U+0000"),
        ("a\u200bb", "U+200B"),
        ("a\tb", "U+0009"),
        ("=HYPERLINK(1)", "formula"),
        ("+x", "formula"),
        ("@sum", "formula"),
        ("-x", "formula"),
        ("Gen_", "history files"),
        ("x" * 201, "at most 200"),
    ],
)
def test_names_that_break_a_table_are_refused(name: str, said: str) -> None:
    problems = name_problems(name)
    assert len(problems) == 1 and problems[0].row == 1 and said in problems[0].message


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("a\ud800", "holds a lone UTF-16 surrogate (\\ud800 at character 1), which is not text"),
        ("a\x00", "holds a NUL character (U+0000), which no space stores"),
    ],
)
def test_a_name_no_space_stores_is_said_alike_from_a_file_and_a_dict(name: str, said: str) -> None:
    """Before, a lone surrogate in a space file's name was "the invisible or control
    character U+D800", and the same name sent as a dict "a lone UTF-16 surrogate" (the
    service's check, ``space_wire``): one wording now, the more precise."""
    with pytest.raises(SpaceError) as info:
        Space.from_csv(f"{name},numerical,1,2\nb,numerical,1,2\n")
    from_file = info.value.problems
    assert len(from_file) == 1 and said in from_file[0].message
    assert said in name_problems(name)[0].message
    parameters = [{"name": name, "type": "numerical", "values": [1, 2]}]
    wire = unstorable_values({"type": "factorial", "parameters": parameters})
    assert len(wire) == 1 and said in wire[0].message


NOT_TEXT = "parameter 2: a parameter name is text (a JSON string), not "
PAST_A_FLOAT = "a number beyond a float's range (about +-1.8e308; JSON's 1e400)"


def _name_cell_table(name: object) -> dict[str, Any]:
    """A factorial space in Daptics' table form whose second row's Name cell is ``name``."""
    return {
        "type": "factorial",
        "table": {"data": [["a", "numerical", 0, 1], [name, "numerical", 0, 1]]},
    }


def _only_the_name_cell_refused(space: dict[str, Any], message: str) -> None:
    """``Space.from_dict`` and the client's check before sending both find one problem in
    ``space``: its row 2 Name cell, saying ``message``."""
    with pytest.raises(SpaceError) as info:
        Space.from_dict(space)
    assert [(p.message, p.row, p.column) for p in info.value.problems] == [(message, 2, "Name")]
    wire = unstorable_values(space)
    assert [(p.message, p.row, p.column) for p in wire] == [(message, 2, "Name")]


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        (["\ud800"], '["\\ud800"]'),
        (["\u202eabc"], '["\\u202eabc"]'),
        (["\x9b31mred"], '["\\u009b31mred"]'),
        ({"caf\u00e9": 1}, '{"caf\u00e9": 1}'),
        ([10**5000], "a list holding 10000000000000000000... (a number of 5,001 digits)"),
        ({"a": [True, float("inf")]}, f"an object holding {PAST_A_FLOAT}"),
        ([float("-inf")], f"a list holding {PAST_A_FLOAT}"),
        (float("nan"), "NaN (not a number)"),
    ],
    ids=["surrogate", "bidi", "c1", "accent", "digits", "inf-in-object", "inf", "nan"],
)
def test_a_name_that_is_not_text_is_shown_escaped_in_json_never_pythons_repr(
    name: object, shown: str
) -> None:
    """Before: a lone surrogate, a direction mark or a C1 control in a list given as a
    name went into the message raw (printing the error raised UnicodeEncodeError); a
    number past a float's range in a list was Python's ``[inf]``; and ``[10**5000]`` was
    an uncaught ValueError ("Exceeds the limit (4300 digits)") from ``Space.from_dict``
    and from the client's check before sending."""
    parameters = [
        {"name": "a", "type": "numerical", "values": [0, 1]},
        {"name": name, "type": "numerical", "values": [0, 1]},
    ]
    space = {"type": "factorial", "parameters": parameters}
    with pytest.raises(SpaceError) as info:
        Space.from_dict(space)
    assert [p.message for p in info.value.problems] == [NOT_TEXT + shown]
    str(info.value).encode("utf-8")  # prints: no raw lone surrogate
    assert [p.message for p in unstorable_values(space)] == [NOT_TEXT + shown]


@pytest.mark.parametrize(
    ("name", "said"),
    [
        (2**70, "the number 1180591620717411303424 is too large to store as a name"),
        (
            10**5000,
            "the number 10000000000000000000... (a number of 5,001 digits) is too large to "
            "store as a name",
        ),
        (float("inf"), f"{PAST_A_FLOAT} is too large to store as a name"),
        (float("nan"), "NaN (not a number) is no name"),
    ],
    ids=["2**70", "digits", "inf", "nan"],
)
def test_a_daptics_name_cell_no_name_is_stored_as_is_one_problem_of_that_cell(
    name: object, said: str
) -> None:
    """A Name cell of Daptics' table form that is a number is read as its text (5 is the
    name "5"). Before, ``Space.from_dict`` took 2**70 as a name, 1e400 as "inf" and NaN as
    "nan", and ended in an uncaught ValueError on a Python int of 5,001 digits; the
    client's check before sending said "a parameter name is text (a JSON string)", untrue
    of this form, labelled "parameter 2:" where its other cells are "row 2, column A"."""
    space = _name_cell_table(name)
    message = f"row 2, column A (Name): {said}; write the name as text (a JSON string)"
    _only_the_name_cell_refused(space, message)
    space["table"]["data"][1][0] = 5
    assert Space.from_dict(space).parameters[1].name == "5"
    assert unstorable_values(space) == []


class _LoudInt(int):
    """An int subclass (a client's own number type) whose text methods raise."""

    def __str__(self) -> str:
        raise RuntimeError("a number type of the caller's")

    __repr__ = __str__


def test_an_int_subclass_is_written_by_ints_own_digits_never_its_methods() -> None:
    """Before: a name ``[BadInt(5)]`` (or ``BadInt(5)``, or such a Name cell or level)
    whose ``__str__`` raises crashed ``Space.from_dict`` and the client's check before
    sending with that RuntimeError; int's own digits are written, as JSON would."""
    loud = _LoudInt(5)

    def named(name: object) -> dict[str, object]:
        parameters = [
            {"name": "a", "type": "numerical", "values": [_LoudInt(0), 1]},
            {"name": name, "type": "numerical", "values": [0, 1]},
        ]
        return {"type": "factorial", "parameters": parameters}

    for name, shown in (([loud], "[5]"), (loud, "5")):
        with pytest.raises(SpaceError) as info:
            Space.from_dict(named(name))
        assert [p.message for p in info.value.problems] == [NOT_TEXT + shown]
        assert [p.message for p in unstorable_values(named(name))] == [NOT_TEXT + shown]
    rows = [["a", "numerical", _LoudInt(0), 1], [loud, "numerical", 0, 1]]
    space = Space.from_dict({"type": "factorial", "table": {"data": rows}})
    assert [p.name for p in space.parameters] == ["a", "5"]


def test_units_past_a_floats_digits_are_quoted_in_full() -> None:
    """A mixture bound of ``2**70`` was quoted ``1.18059e+21``, a number no one typed,
    where other messages quote a whole number in full."""
    with pytest.raises(SpaceError) as info:
        Space.from_csv(f"a,unit,0,{2**70}\nb,unit,{-(2**70)},10\n", "mixture", 10)
    messages = " ".join(p.message for p in info.value.problems)
    assert "maximum 1180591620717411303424 of 'a' is above total_units 10" in messages
    assert "minimum -1180591620717411303424 of 'b' is negative" in messages
    assert "e+21" not in messages


def test_spaces_at_a_names_ends_are_dropped() -> None:
    space = Space.from_dict(
        {
            "type": "factorial",
            "parameters": [{"name": " temp ", "type": "numerical", "values": [1, 2]}],
        }
    )
    assert space.parameters[0].name == "temp"


def test_duplicate_names_compare_composed_and_decomposed_letters() -> None:
    problem = one_problem("caf\u00e9,numerical,1,2\ncafe\u0301,numerical,1,2\n")
    assert problem.row == 2 and "used already in row 1" in problem.message


def test_duplicate_names_ignore_case() -> None:
    problem = one_problem("temp,numerical,1,2\n\nTemp,numerical,1,2\n")
    assert problem.row == 3
    assert "used already in row 1" in problem.message


def test_row_numbers_count_blank_lines() -> None:
    problem = one_problem("\n\na,numerical,1,2\n\nb,numerical,1,x\n")
    assert problem.row == 5
    assert problem.message.startswith("row 5,")


def test_empty_space_file() -> None:
    for text in ["", "\n\n", ",,,\n"]:
        problem = one_problem(text) if text else problems_of(io.StringIO(text))[0]
        assert "empty" in problem.message


def test_unreadable_bytes() -> None:
    problem = one_problem(b"a,numerical,1,\xff\xfe\n")
    assert "not UTF-8" in problem.message


def test_unknown_space_type() -> None:
    problem = one_problem("a,numerical,1,2\n", type="fractional")
    assert "unknown space type 'fractional'" in problem.message


def test_every_problem_reported_at_once() -> None:
    problems = problems_of(
        "a,numerical,x,2\nb,bogus,1\nc,categorical,z\n=d,numerical,1,2\nxx,categorical,q,q\n",
        total_units=3,
    )
    # sorted by row; the whole-space finding (total_units) last; no cascade for row 1
    assert [p.row for p in problems] == [1, 2, 3, 4, 5, 5, None]


# ----- mixture rules


def test_mixture_needs_total_units() -> None:
    problem = one_problem("a,unit,0,5\nb,unit,0,5\n", type="mixture")
    assert problem.field == "total_units" and "needs total_units" in problem.message


def test_total_units_only_for_mixtures() -> None:
    problem = one_problem("a,numerical,1,2\n", total_units=5)
    assert problem.field == "total_units"


def test_total_units_accepts_integral_text_and_refuses_junk() -> None:
    assert (
        Space.from_csv("a,unit,0,5\nb,unit,0,5", type="mixture", total_units="5").total_units == 5
    )
    problem = one_problem("a,unit,0,5\nb,unit,0,5", type="mixture", total_units="five")
    assert "positive whole number" in problem.message


@pytest.mark.parametrize(
    ("row", "column", "needle"),
    [
        ("b,unit,1.5,3", "Min", "not a whole number"),
        ("b,unit,0,x", "Max", "not a whole number"),
        ("b,unit,0,0", "Max", "not a positive number of units"),
        ("b,unit,4,2", "Max", "must not be above the maximum"),
        ("b,unit,-1,3", "Min", "negative"),
        ("b,unit,0,11", "Max", "above total_units 10"),
        ("b,unit,0", "Max", "has no maximum"),
        ("b,unit,0,3,7", "Extra.1", "a mixture row has 4 cells"),
    ],
)
def test_mixture_row_rules(row: str, column: str, needle: str) -> None:
    problems = problems_of(f"a,unit,0,10\n{row}\nc,unit,0,10\n", type="mixture", total_units=10)
    hits = [p for p in problems if needle in p.message]
    assert hits, problems
    assert hits[0].row == 2 and hits[0].column == column


def test_mixture_integral_decimals_accepted() -> None:
    space = Space.from_csv("a,unit,0.0,5\nb,unit,0,5.0", type="mixture", total_units=5)
    assert space.parameters[0] == MixtureComponent("a", 0, 5)


def test_mixture_totals_must_be_reachable() -> None:
    low = one_problem("a,unit,3,5\nb,unit,3,5", type="mixture", total_units=5)
    assert "minimums add up to 6, more than total_units 5" in low.message
    high = one_problem("a,unit,0,2\nb,unit,0,2", type="mixture", total_units=5)
    assert "maximums add up to 4, less than total_units 5" in high.message


def test_mixture_total_units_capped() -> None:
    problem = one_problem("a,unit,0,5\nb,unit,0,5", type="mixture", total_units=10**9)
    assert "too large" in problem.message and problem.field == "total_units"
    space = Space.from_csv(
        "a,unit,0,5\nb,unit,0,5", type="mixture", total_units=10**9, validate=False
    )
    with pytest.raises(ValueError, match="too large"):
        space.size()
    assert "too large" in check_design_size(space, 10, 0)[0].message


def test_mixture_needs_two_components() -> None:
    problem = one_problem("a,unit,0,5", type="mixture", total_units=5)
    assert "at least two components" in problem.message


def test_parameter_kinds_checked_in_validate() -> None:
    bad = Space("mixture", [NumericalParameter("a", (1, 2)), MixtureComponent("b", 0, 5)], 5)
    assert any("mixture space has units only" in p.message for p in bad.validate())
    bad2 = Space("factorial", [MixtureComponent("b", 0, 5), NumericalParameter("a", (1, 2))])
    assert any("mixture unit" in p.message for p in bad2.validate())


def test_valid_spaces_have_no_problems() -> None:
    for name in ["3x5", "4x8", "8x5", "9x5"]:
        assert Space.from_csv(DATA / f"esd-factorial-{name}.csv").validate() == []


def test_problem_to_dict_and_error_text() -> None:
    problem = Problem("boom", row=3, column="Value.1", field="space")
    assert problem.to_dict() == {"message": "boom", "row": 3, "column": "Value.1", "field": "space"}
    assert str(problem) == "boom"
    error = SpaceError([problem, Problem("bang")])
    assert "2 problems" in str(error) and "boom" in str(error)


# --------------------------------------------------------------------------- design size


def test_design_size_accepts_any_population_the_space_can_fill() -> None:
    space = Space.from_csv(DATA / "esd-factorial-3x5.csv")  # 125 experiments
    assert check_design_size(space, 20, 2) == []
    assert check_design_size(space, 1, 0) == []
    assert check_design_size(space, 125, 0) == []
    [problem] = check_design_size(space, 126, 2)
    assert problem.field == "population_size"
    assert "125 distinct experiments, fewer than population_size 126" in problem.message
    assert "use a population of at most 125" in problem.message
    assert "add levels or parameters" in problem.message


def test_design_size_suggests_a_population_the_other_cap_takes_too() -> None:
    """A space of 4,096 given 5,000: the fix offered is 2,500, the most a generation holds
    (before: "at most 4096", which the next check then refused)."""
    levels = ["1", "2", "3", "4"]
    space = Space(
        type="factorial",
        parameters=[NumericalParameter(name=f"p{i}", values=levels) for i in range(6)],
    )
    [problem] = check_design_size(space, 5000, 0)
    assert "4096 distinct experiments, fewer than population_size 5000" in problem.message
    assert "use a population of at most 2500" in problem.message
    assert check_design_size(space, 2500, 0) == []


def test_design_size_refuses_a_mixture_population_it_cannot_fill() -> None:
    space = Space.from_csv(DATA / "esd-mixture-5.csv", type="mixture", total_units=15)
    assert space.size() == 486
    assert check_design_size(space, 486, 0) == []
    [problem] = check_design_size(space, 487, 0)
    assert "at most 486" in problem.message and "widen the components' ranges" in problem.message


def test_design_size_bounds() -> None:
    big = Space.from_csv(DATA / "esd-factorial-9x5.csv")
    assert check_design_size(big, 2500, 10) == []
    assert "at most 2500 experiments per generation" in check_design_size(big, 2501, 0)[0].message
    for population in (0, -3):
        [problem] = check_design_size(big, population, 0)
        assert "not a positive whole number" in problem.message
        assert "use 1 or more" in problem.message
    screening = Space("factorial", [NumericalParameter(f"p{i}", (0, 1)) for i in range(33)])
    assert check_design_size(screening, 30, 0) == []
    assert check_design_size(screening, 1, 0) == []


@pytest.mark.parametrize("replicates", [-1, 916, 2.0, "2", True, None])
def test_design_size_replicates(replicates: object) -> None:
    space = Space.from_csv(DATA / "esd-factorial-4x8.csv")
    problems = check_design_size(space, 30, replicates)
    assert len(problems) == 1 and problems[0].field == "replicates"


@pytest.mark.parametrize("population", [30.0, "30", None, True])
def test_design_size_population_type(population: object) -> None:
    space = Space.from_csv(DATA / "esd-factorial-4x8.csv")
    problems = check_design_size(space, population, 2)
    assert problems[0].field == "population_size" and "whole number" in problems[0].message


def test_remaining_generations() -> None:
    space = Space.from_csv(DATA / "esd-factorial-4x8.csv")
    assert space.remaining_generations(30) == 137  # 136 of 30, the last of the 16 left
    assert space.remaining_generations(30, tested=4000) == 4  # 96 left: 30, 30, 30, 6
    assert space.remaining_generations(30, tested=4096 - 30) == 1
    assert space.remaining_generations(30, tested=5000) == 0
    assert space.remaining_generations(1, tested=4095) == 1
    with pytest.raises(ValueError, match="positive"):
        space.remaining_generations(0)


# --------------------------------------------------------------------------- points


def test_coerce_point_and_membership() -> None:
    space = Space.from_csv("t,numerical,0.1,0.2\nc,categorical,Pd,Pt\n")
    assert space.coerce_point([0.1000000000001, "Pd"]) == (0.1, "Pd")
    assert space.coerce_point(["0.2", "Pt"]) == (0.2, "Pt")
    assert (0.1, "Pt") in space
    assert (0.3, "Pt") not in space
    with pytest.raises(ValueError, match="did you mean 'Pd'"):
        space.coerce_point([0.1, "pd"])
    with pytest.raises(ValueError, match="expected 2 values"):
        space.coerce_point([0.1])
    with pytest.raises(ValueError, match="is not a number"):
        space.coerce_point([True, "Pd"])


def test_categorical_numbers_match_text_levels() -> None:
    param = CategoricalParameter("c", ("1", "2.5", "007"))
    assert param.coerce(1) == "1"
    assert param.coerce(2.5) == "2.5"
    assert param.coerce(7) == "007"


def test_mixture_point_must_sum() -> None:
    space = mixture(5, (0, 5), (0, 5))
    assert space.coerce_point([2, "3"]) == (2, 3)
    assert not space.is_valid_point([2, 2])
    with pytest.raises(ValueError, match="add up to 4"):
        space.coerce_point([2, 2])
    with pytest.raises(ValueError, match="outside"):
        space.coerce_point([6, -1])


def test_iter_points_factorial_and_mixture() -> None:
    space = Space.from_csv("a,numerical,1,2\nb,categorical,x,y,z\n")
    points = list(space.iter_points())
    assert len(points) == 6 == space.size()
    assert all(p in space for p in points)
    mix = mixture(6, (0, 3), (1, 4), (0, 2))
    assert sorted(mix.iter_points()) == sorted(
        xs for xs in itertools.product(range(4), range(1, 5), range(3)) if sum(xs) == 6
    )


# --------------------------------------------------------------------------- random experiments


def test_random_experiments_valid_for_every_type() -> None:
    space = Space.from_csv(
        't,numerical,1,2,3\nc,categorical,red,"dark, blue"\nd,categorical,a,b,c\n'
    )
    table = space.random_experiments(200, seed=1)
    assert isinstance(table, Table)
    assert table.columns == ("t", "c", "d", "Response")
    assert len(table) == 200
    assert validate_experiments(table, space, allow_missing_response=True) == []
    assert set(table.column("c")) == {"red", "dark, blue"}
    assert all(r is None for r in table.responses())


def test_random_experiments_seeded_and_responses_in_range() -> None:
    space = Space.from_csv(DATA / "esd-mixture-5.csv", type="mixture", total_units=15)
    first = space.random_experiments(50, seed=3, max_response=5.0)
    assert first == space.random_experiments(50, seed=3, max_response=5.0)
    assert first != space.random_experiments(50, seed=4, max_response=5.0)
    assert validate_experiments(first, space) == []
    assert all(0.0 <= r <= 5.0 for r in first.responses())
    assert all(sum(row[:5]) == 15 for row in first.rows)


def test_random_experiments_distinct() -> None:
    space = Space.from_csv(DATA / "esd-factorial-3x5.csv")
    table = space.random_experiments(125, seed=0, distinct=True)
    assert len(set(table.rows)) == 125
    with pytest.raises(ValueError, match="cannot draw 126"):
        space.random_experiments(126, seed=0, distinct=True)


def test_random_extras_do_not_duplicate_design() -> None:
    space = Space.from_csv("a,numerical,1,2,3\nb,categorical,x,y\n")  # 6 points
    design = space.random_experiments(4, seed=2, distinct=True)
    extras = space.random_extras(design, 2, seed=5, max_response=1.0)
    design_points = {row[:2] for row in design.rows}
    extra_points = [row[:2] for row in extras.rows]
    assert len(set(extra_points)) == 2
    assert not design_points & set(extra_points)
    with pytest.raises(ValueError):
        space.random_extras(design, 3, seed=5)


def test_random_extras_accepts_text_design() -> None:
    space = Space.from_csv(DATA / "esd-factorial-4x8.csv")
    design = Table.from_csv(DATA / "experiments.csv")
    extras = space.random_extras(design, 10, seed=1)
    used = {tuple(float(v) for v in row[:4]) for row in design.rows}
    assert not used & {row[:4] for row in extras.rows}


def test_random_experiments_with_responses() -> None:
    space = Space.from_csv(DATA / "esd-factorial-4x8.csv")
    design = space.random_experiments(5, seed=1, distinct=True)
    table = space.random_experiments_with_responses(design, n_extras=3, max_response=2.0, seed=9)
    assert len(table) == 8
    assert [row[:4] for row in table.rows[:5]] == [row[:4] for row in design.rows]
    assert all(0 <= r <= 2.0 for r in table.responses())


def test_random_experiments_with_responses_takes_daptics_optional_design() -> None:
    """Daptics' random_experiments_with_responses(space, design, num_extras,
    max_response_value): "design (dict, optional): If supplied, a Python dict that defines
    the currently generated design as a table ... colHeaders and data". Before, no design
    and a design dict were AttributeErrors ('NoneType' / 'dict' has no 'columns')."""
    space = Space.from_csv(DATA / "esd-factorial-4x8.csv")
    design = space.random_experiments(5, seed=1, distinct=True)
    as_dict = {"colHeaders": list(design.columns), "data": [list(r) for r in design.rows]}
    table = space.random_experiments_with_responses(as_dict, n_extras=3, seed=9)
    assert table == space.random_experiments_with_responses(design, n_extras=3, seed=9)
    assert [row[:4] for row in table.rows[:5]] == [row[:4] for row in design.rows]
    extras = space.random_experiments_with_responses(n_extras=4, seed=2)
    assert len(extras) == 4 and len({row[:4] for row in extras.rows}) == 4
    assert all(0 <= r <= 5.0 for r in extras.responses())  # Daptics' default maximum
    assert len(space.random_extras(as_dict, 2, seed=3)) == 2
    with pytest.raises(TypeError, match="design must be a Table or its dict"):
        space.random_experiments_with_responses([["1", "2"]], n_extras=1)


def test_experiments_template() -> None:
    space = Space.from_csv(DATA / "esd-factorial-4x8.csv")
    template = space.experiments_template()
    assert template.columns == ("param1", "param2", "param3", "param4", "Response")
    assert len(template) == 0
    assert template.to_csv() == "param1,param2,param3,param4,Response\n"


def test_mixture_sampling_is_an_exact_bijection_of_ranks() -> None:
    """Each rank in [0, size) unranks to a different composition: uniform ranks, uniform points."""
    space = mixture(7, (0, 3), (1, 4), (0, 5), (2, 3))

    class Ranks(random.Random):
        def __init__(self) -> None:
            super().__init__(0)
            self.next_rank = 0

        def randrange(self, stop, *args, **kwargs):  # type: ignore[override]
            rank = self.next_rank
            self.next_rank += 1
            assert rank < stop
            return rank

    sampler = space.sampler()
    ranks = Ranks()
    points = [sampler(ranks) for _ in range(space.size())]
    assert sorted(points) == sorted(space.iter_points())
    assert len(set(points)) == space.size()


def test_mixture_sampling_uniform_chi_square() -> None:
    stats = pytest.importorskip("scipy.stats")
    space = mixture(6, (0, 4), (1, 3), (0, 5))
    size = space.size()
    draws = 30 * size * 20
    table = space.random_experiments(draws, seed=11)
    counts = Counter(row[:3] for row in table.rows)
    assert set(counts) == set(space.iter_points())
    observed = [counts[p] for p in space.iter_points()]
    result = stats.chisquare(observed)
    assert result.pvalue > 0.001, (size, observed)


def test_factorial_sampling_uniform_chi_square() -> None:
    stats = pytest.importorskip("scipy.stats")
    space = Space.from_csv("a,categorical,x,y,z\nb,numerical,0,1\n")
    table = space.random_experiments(6000, seed=5)
    counts = Counter(row[:2] for row in table.rows)
    observed = [counts[p] for p in space.iter_points()]
    assert stats.chisquare(observed).pvalue > 0.001


# --------------------------------------------------------------------------- properties

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies

_names = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,8}", fullmatch=True).filter(
    lambda n: n.casefold() not in {"name", "type", "value", "response"}
)
_numbers = st.one_of(
    st.integers(-(10**6), 10**6).map(float),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)
_labels = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=8
).filter(lambda label: label.lstrip("\ufeff") == label)  # a file's cell loses a leading mark


@st.composite
def factorial_spaces(draw) -> Space:
    names = draw(st.lists(_names, min_size=1, max_size=5, unique_by=str.casefold))
    params = []
    for name in names:
        if draw(st.booleans()):
            values = draw(st.lists(_numbers, min_size=2, max_size=6, unique=True))
            params.append(NumericalParameter(name, values))
        else:
            values = draw(st.lists(_labels, min_size=2, max_size=6, unique=True))
            params.append(CategoricalParameter(name, values))
    return Space("factorial", params)


@hypothesis.given(factorial_spaces())
@hypothesis.settings(max_examples=150, deadline=None)
def test_factorial_round_trips_property(space: Space) -> None:
    hypothesis.assume(space.validate() == [])
    assert Space.from_csv(space.to_csv()) == space
    assert Space.from_dict(space.to_dict()) == space
    table = space.random_experiments(5, seed=0, max_response=1.0)
    assert validate_experiments(Table.from_csv(table.to_csv()), space) == []


@hypothesis.given(
    st.lists(st.tuples(st.integers(0, 4), st.integers(1, 5)), min_size=2, max_size=4),
    st.integers(1, 16),
)
@hypothesis.settings(max_examples=150, deadline=None)
def test_mixture_size_property(bounds: list[tuple[int, int]], total: int) -> None:
    space = mixture(total, *[(lo, lo + width) for lo, width in bounds])
    assert space.size() == brute_force_size(space)
    if space.size():
        table = space.random_experiments(10, seed=1)
        assert validate_experiments(table, space, allow_missing_response=True) == []


@pytest.mark.parametrize("level", ["=1+1", "@sum", "-ctrl", "+x", " =x"])
def test_levels_a_spreadsheet_runs_as_formulas_are_refused(level: str) -> None:
    parameters = [{"name": "p", "type": "categorical", "values": ["a", "b", level]}]
    with pytest.raises(SpaceError) as info:
        Space.from_dict({"type": "factorial", "parameters": parameters})
    problem = info.value.problems[0]
    assert problem.row == 1 and "runs it as a formula" in problem.message
    assert f"begins with '{level.strip()[0]}'" in problem.message


@pytest.mark.parametrize(
    ("level", "said"),
    [
        ("a\rb", "the invisible or control character U+000D"),
        ("a\tb", "the invisible or control character U+0009"),
        ("Pd\u200b", "the invisible or control character U+200B"),
        ("ab\u202ecd", "the invisible or control character U+202E"),
        ("a\ud800", "a lone UTF-16 surrogate (\\ud800 at character 1)"),
        ("x" * 201, "201 characters long; a level is a label"),
    ],
)
def test_levels_that_break_a_table_are_refused_as_names_are(level: str, said: str) -> None:
    """Before, each was a level: "a\rb" split the design's row when written, so the design
    read back was refused; "Pd" + a zero-width space was a second "Pd"; a level past the
    131,072 characters of a CSV cell was designed, and its design file could not be read."""
    parameters = [{"name": "p", "type": "categorical", "values": ["Pd", "Pt", level]}]
    with pytest.raises(SpaceError) as info:
        Space.from_dict({"type": "factorial", "parameters": parameters})
    [problem] = info.value.problems
    assert problem.row == 1 and problem.column == "Value.3" and said in problem.message, problem
    assert Space.from_dict(
        {"type": "factorial", "parameters": [{**parameters[0], "values": ["Pd", "x" * 200]}]}
    )


@pytest.mark.parametrize("level", ["+", "-1", "+2.5", "a=b", "a-b", "(-)"])
def test_signs_and_signed_numbers_are_levels(level: str) -> None:
    parameters = [{"name": "p", "type": "categorical", "values": ["a", level]}]
    space = Space.from_dict({"type": "factorial", "parameters": parameters})
    assert len(space.parameters[0].values) == 2


def test_a_level_named_response_round_trips() -> None:
    """Before: a space whose first parameter's last level was "response" was written to CSV
    and read back as an experiments table's header (found by the round-trip property)."""
    space = Space(
        "factorial",
        [CategoricalParameter("mode", ["baseline", "response"]), NumericalParameter("q", [1, 2])],
    )
    assert Space.from_csv(space.to_csv()) == space


def test_a_whole_number_a_float_cannot_hold_is_refused_by_its_cell_not_rounded():
    """A space file's level 9007199254740993 (2**53 + 1) became 9007199254740992, and
    2**70 + 1 became 2**70, without a word: a space's numbers are floats. Each is refused
    by its row and column, saying what it would become; a whole number a float holds
    exactly (2**70) and a decimal are read as before."""
    text = f"a,numerical,1,{2**53 + 1},3\nb,numerical,0,{2**70 + 1},5\nc,numerical,0.1,{2**70}\n"
    found = problems_of(text, type="factorial")
    assert [(p.row, p.column) for p in found] == [(1, "Value.2"), (2, "Value.2")]
    assert found[0].message == (
        "row 1, column D (Value.2): 9007199254740993 cannot be a level exactly: a space's "
        "numbers are floats, which hold every whole number only up to 9007199254740992, and "
        "this one would become 9007199254740992; write 9007199254740992 if that is what you "
        "mean"
    )
    assert f"would become {2**70};" in found[1].message
    kept = Space.from_csv(f"c,numerical,0.1,{2**70}\n", type="factorial")
    assert kept.parameters[0].values == (0.1, float(2**70)) and float(2**70) == 2**70
    # a mixture's bound is quoted as written, not as the float next to it
    (bound,) = problems_of(f"a,unit,0,{2**53 + 1}\nb,unit,0,10\n", type="mixture", total_units=10)
    assert f"maximum {2**53 + 1} of 'a'" in bound.message, bound.message


@pytest.mark.parametrize(
    ("text", "kind", "said"),
    [
        ("a,numerical,1\x000,2\n", "factorial", "'1\\x000' is not a number"),
        ("a,unit,0,1\x000\nb,unit,0,10\n", "mixture", "maximum '1\\x000' is not a whole number"),
        ("a,unit,0,5,\x00\nb,unit,0,10\n", "mixture", "unexpected value '\\x00': a mixture"),
    ],
)
def test_a_nul_in_a_space_files_number_cell_is_shown_escaped(text, kind, said):
    """Before: the cell was quoted raw, "'1 0' is not a number" on a terminal (a NUL
    written to it), which no one could find in the file; shown escaped as a level's is."""
    with pytest.raises(SpaceError) as refused:
        Space.from_csv(text, kind, 10 if kind == "mixture" else None)
    assert said in str(refused.value) and "\x00" not in str(refused.value)


BEYOND = "the number is beyond the numbers a space holds (about +-1.8e308)"


@pytest.mark.parametrize("form", ["parameters", "table"])
def test_a_level_of_more_digits_than_python_writes_is_a_space_error(form: str) -> None:
    """Before: a Python int of 5,001 digits as a level was an uncaught ValueError
    ("Exceeds the limit (4300 digits) for integer string conversion") from
    ``Space.from_dict`` (``str(cell)``) and from the client's check before sending. Now
    both say it in the words the service's door gives such a level over HTTP."""
    if form == "parameters":
        space: dict[str, Any] = {
            "type": "factorial",
            "parameters": [{"name": "a", "type": "numerical", "values": [0, 10**5000]}],
        }
    else:
        space = {"type": "factorial", "table": {"data": [["a", "numerical", 0, 10**5000]]}}
    with pytest.raises(SpaceError) as info:
        Space.from_dict(space)
    assert [(p.message, p.row, p.column) for p in info.value.problems] == [
        (f"row 1, column D (Value.2): {BEYOND}", 1, "Value.2")
    ]
    assert [p.message for p in unstorable_values(space)] == [
        f"parameter 1 ('a'), level 2: {BEYOND}"
    ]


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ([10**5000], "a list holding 10000000000000000000... (a number of 5,001 digits)"),
        ([float("inf")], f"a list holding {PAST_A_FLOAT}"),
        ({"a": [float("-inf")]}, f"an object holding {PAST_A_FLOAT}"),
    ],
    ids=["digits", "inf", "object"],
)
def test_a_daptics_name_cell_holding_a_number_json_cannot_write_is_found_before_sending(
    name: object, said: str
) -> None:
    """Before: the client's check before sending found nothing in a Name cell ``[1e400]``
    or ``[10**5000]`` of Daptics' table form, so the encoder refused it ("cannot be sent as
    JSON") and the door by its JSON path, where ``Space.from_dict`` named its cell."""
    message = f"row 2, column A (Name): {said}; a space's cells are text or numbers"
    _only_the_name_cell_refused(_name_cell_table(name), message)


class _ReprRaises:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def test_a_name_object_whose_repr_raises_is_refused_as_not_json() -> None:
    """Before: the object's own RuntimeError escaped ``Space.from_dict`` and the client's
    check before sending, the message being built with its repr."""
    space = {
        "type": "factorial",
        "parameters": [
            {"name": "a", "type": "numerical", "values": [0, 1]},
            {"name": _ReprRaises(), "type": "numerical", "values": [0, 1]},
        ],
    }
    said = NOT_TEXT + "a _ReprRaises object, which is not JSON data"
    with pytest.raises(SpaceError) as info:
        Space.from_dict(space)
    assert [p.message for p in info.value.problems] == [said]
    assert [p.message for p in unstorable_values(space)] == [said]
    for cell in (_ReprRaises(), [_ReprRaises()]):
        table = {"type": "factorial", "table": {"data": [[cell, "numerical", 0, 1]]}}
        with pytest.raises(SpaceError) as info:
            Space.from_dict(table)
        assert "which is not JSON data; a space's cells are text or numbers" in str(info.value)


@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("values", [0, [float("inf")]], f"level 2: a list holding {PAST_A_FLOAT}"),
        (
            "values",
            [0, {"a": [10**5000]}],
            "level 2: an object holding 10000000000000000000... (a number of 5,001 digits)",
        ),
        (
            "type",
            [10**5000],
            "the type: a list holding 10000000000000000000... (a number of 5,001 digits)",
        ),
    ],
    ids=["level-inf", "level-digits", "type"],
)
def test_a_parameters_field_holding_a_number_json_cannot_write_is_found_before_sending(
    field: str, value: object, where: str
) -> None:
    """Before: the client's check before sending found nothing in a level or type
    ``[1e400]`` of a ``parameters`` item, left to the encoder ("cannot be sent as JSON")
    and the door's 400 by JSON path."""
    item: dict[str, Any] = {"name": "a", "type": "numerical", "values": [0, 1], field: value}
    [problem] = unstorable_values({"type": "factorial", "parameters": [item]})
    said = f"parameter 1 ('a'), {where}; a space's cells are text or numbers"
    assert (problem.message, problem.row) == (said, 1)

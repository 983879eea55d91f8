"""The space task: rules, exact size, refusals that change nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sigopt_like.spaces import Space
from sigopt_like.tables import Table

from .conftest import Api, small_space, space_json


def test_factorial_space_validates_to_gen_zero(api):
    sid = api.session()
    task = api.put_space(sid, space_json("esd-factorial-4x8"), population_size=20, replicates=2)
    assert task["status"] == "success", task
    assert task["type"] == "space"
    result = task["result"]
    assert result["space_size"] == 4096
    assert result["gen"] == 0
    assert result["remaining"] == 205  # 204 of 20, the last of the 16 left
    assert result["population_size"] == 20 and result["replicates"] == 2
    assert task["progress"]["fraction"] == 1.0
    assert task["started"] is not None and task["finished"] is not None
    session = api.get(f"/v1/sessions/{sid}").body
    assert session["gen"] == 0 and session["remaining"] == 205 and session["completed"] is False
    assert session["population_size"] == 20 and session["replicates"] == 2
    got = api.get(f"/v1/sessions/{sid}/space").body
    assert got["object"] == "space"
    assert got["space"] == space_json("esd-factorial-4x8")
    assert got["space_size"] == 4096


def test_mixture_space_size_is_exact(api):
    sid = api.session()
    space = space_json("esd-mixture-5", total_units=15)
    task = api.put_space(sid, space, population_size=10, replicates=0)
    assert task["status"] == "success", task
    assert task["result"]["space_size"] == 486
    assert task["result"]["remaining"] == 49  # 48 of 10, the last of 6


def test_3x5_space_is_refused_only_for_a_population_it_cannot_fill(api):
    """A factorial's size is a product of level counts: a population it cannot fill is
    refused at the request, a 422 in the population rule's words (before: a space task
    that failed), no task queued and nothing stored."""
    sid = api.session()
    space = space_json("esd-factorial-3x5")
    errors = api.refused_space(
        sid, space, population_size=126, replicates=2, lead="The design size is not valid"
    )
    [error] = errors
    assert error["field"] == "population_size"
    assert error["message"] == (
        "the space has 125 distinct experiments, fewer than population_size 126: a "
        "generation needs 126 distinct experiments; use a population of at most 125, or "
        "add levels or parameters"
    )
    assert api.get(f"/v1/sessions/{sid}/space").status == 404
    assert api.get(f"/v1/sessions/{sid}/tasks").body["data"] == []
    # the space can fill 125: accepted, and a population it cannot fill is then refused
    # without touching the space stored
    assert api.put_space(sid, space, population_size=125, replicates=0)["status"] == "success"
    api.refused_space(
        sid, space, population_size=126, replicates=0, lead="The design size is not valid"
    )
    # Daptics' populationSize is named as sent, and a simulation given a space is judged
    # by the same rule at once
    other = api.session()
    before = api.snapshot(other)
    body = {"space": space, "populationSize": 126, "replicates": 0}
    refused = api.put(f"/v1/sessions/{other}/space", body)
    assert refused.status == 422 and refused.body["detail"]["errors"][0]["field"] == (
        "populationSize"
    ), refused
    assert "fewer than populationSize 126" in refused.body["message"], refused
    simulate = api.post(f"/v1/sessions/{other}/simulate", {"ngens": 1, **body})
    assert simulate.status == 422 and "at most 125" in simulate.body["message"], simulate
    assert api.snapshot(other) == before


def large_mixture() -> dict[str, object]:
    """A mixture too large to count at the request (6 components x 10,001 units = 60,006
    cells, more than MAX_COUNTED_CELLS) that holds only 15 experiments."""
    return {
        "type": "mixture",
        "total_units": 10_000,
        "parameters": [
            {"name": f"c{i}", "type": "unit", "min": 1666, "max": 1667} for i in range(6)
        ],
    }


def test_a_mixture_design_size_stays_the_task_s(api):
    """A mixture's count is a table of components x (total units + 1) (seconds for a large
    one): past MAX_COUNTED_CELLS, a population it cannot fill is the space task's failure,
    nothing stored."""
    sid = api.session()
    before = api.snapshot(sid)
    task = api.put_space(sid, large_mixture(), population_size=16, replicates=0)
    assert task["status"] == "failed"
    [error] = task["errors"]
    assert error["field"] == "population_size" and "at most 15" in error["message"], error
    assert api.get(f"/v1/sessions/{sid}").body == before["session"]


def test_a_small_mixture_design_size_is_judged_at_the_request(api):
    """Before, a 5-component mixture of 15 units (96 cells to count, microseconds) was
    accepted at the request and its space task failed. Now a population it cannot fill is
    refused at once, a 422 in the task's own words, no task and nothing stored; Daptics'
    populationSize is named as sent, and a simulation given the space is judged alike."""
    sid = api.session()
    space = space_json("esd-mixture-5", total_units=15)
    [error] = api.refused_space(
        sid, space, population_size=487, replicates=0, lead="The design size is not valid"
    )
    assert error["field"] == "population_size"
    assert error["message"] == (
        "the space has 486 distinct experiments, fewer than population_size 487: a "
        "generation needs 487 distinct experiments; use a population of at most 486, or "
        "widen the components' ranges"
    )
    assert api.get(f"/v1/sessions/{sid}/tasks").body["data"] == []
    before = api.snapshot(sid)
    body = {"space": space, "populationSize": 487, "replicates": 0}
    refused = api.put(f"/v1/sessions/{sid}/space", body)
    assert refused.status == 422, refused
    assert refused.body["detail"]["errors"][0]["field"] == "populationSize", refused
    assert "fewer than populationSize 487" in refused.body["message"], refused
    simulate = api.post(f"/v1/sessions/{sid}/simulate", {"ngens": 1, **body})
    assert simulate.status == 422 and "at most 486" in simulate.body["message"], simulate
    assert api.snapshot(sid) == before
    # the population it can fill is accepted, as the task accepted it
    assert api.put_space(sid, space, population_size=486, replicates=0)["status"] == "success"


def test_population_and_replicate_bounds(api):
    sid = api.session()
    space = space_json("esd-factorial-4x8")
    # past the service's own range (population 1 to 2500, replicates 0 to 27499): a 422 at
    # once (a 400 before, where a SigOpt field's was a 422), no task; within it, the
    # population rule judges them against the space (a factorial's at once too, a 422)
    for population, replicates, said in (
        (0, 0, "'population_size' is 0, outside its range: it takes a whole number from 1 to"),
        (2501, 0, "'population_size' is 2501, outside its range"),
        (10, -1, "'replicates' is -1, outside its range: it takes a whole number from 0 to"),
    ):
        body = {"space": space, "population_size": population, "replicates": replicates}
        refused = api.put(f"/v1/sessions/{sid}/space", body)
        assert refused.status == 422 and said in refused.body["message"], refused
        assert refused.body["code"] == "validation_failed", refused
    too_many = api.refused_space(
        sid, space, population_size=10, replicates=2750, lead="The design size is not valid"
    )
    assert too_many[0]["field"] == "replicates"
    assert "use at most 2749 replicates" in too_many[0]["message"]
    # the Daptics documentation: replicates is "a non-negative integer"; no cap of 10 is stated
    assert api.put_space(sid, space, population_size=10, replicates=100)["status"] == "success"
    wide = {
        "type": "factorial",
        "parameters": [{"name": f"p{i}", "type": "numerical", "values": [0, 1]} for i in range(12)],
    }
    assert api.put_space(sid, wide, population_size=1, replicates=0)["status"] == "success"
    assert api.put_space(sid, wide, population_size=12, replicates=10)["status"] == "success"
    nine = space_json("esd-factorial-9x5")
    assert api.put_space(sid, nine, population_size=2500, replicates=10)["status"] == "success"


def test_rule_problems_carry_row_and_column(api):
    sid = api.session()
    space = {
        "type": "mixture",
        "total_units": 10,
        "parameters": [
            {"name": "A", "type": "unit", "min": 5, "max": 3},
            {"name": "B", "type": "unit", "min": 0, "max": 12},
        ],
    }
    # refused at once, as the same space read from a file is (before: a task that failed)
    errors = api.refused_space(sid, space, population_size=10, replicates=0)
    where = {(e["row"], e["column"]) for e in errors}
    assert (1, "Max") in where
    assert (2, "Max") in where
    from_file = Space.from_csv("A,unit,5,3\nB,unit,0,12\n", "mixture", 10, validate=False)
    assert [e["message"] for e in errors] == [p.message for p in from_file.validate()]
    assert api.get(f"/v1/sessions/{sid}").body["gen"] == -1


def test_unreadable_space_is_refused_at_once(api):
    sid = api.session()
    before = api.snapshot(sid)
    bad_word = {
        "type": "factorial",
        "parameters": [{"name": "a", "type": "numeric", "values": [1, 2]}],
    }
    r = api.put(
        f"/v1/sessions/{sid}/space", {"space": bad_word, "population_size": 10, "replicates": 0}
    )
    assert r.status == 422, r
    assert r.body["code"] == "validation_failed"
    assert "numerical" in r.body["message"]
    assert r.body["detail"]["errors"][0]["row"] == 1
    r = api.put(
        f"/v1/sessions/{sid}/space",
        {"space": small_space(), "population_size": "ten", "replicates": 0},
    )
    assert r.status == 400 and r.body["detail"]["field"] == "population_size"
    r = api.put(
        f"/v1/sessions/{sid}/space",
        {"space": {"type": "cubic", "parameters": []}, "population_size": 10, "replicates": 0},
    )
    assert r.status == 422
    r = api.put(f"/v1/sessions/{sid}/space", {"space": small_space(), "population_size": 10})
    assert r.status == 400
    r = api.put(f"/v1/sessions/{sid}/space", {"space": [], "population_size": 10, "replicates": 0})
    assert r.status == 400
    assert api.snapshot(sid) == before


def test_space_can_be_replaced_only_before_the_first_design(api):
    sid = api.session()
    assert api.put_space(sid, space_json("esd-factorial-4x8"), 10, 0)["status"] == "success"
    task = api.put_space(sid, small_space(), 12, 1)
    assert task["status"] == "success"
    assert api.get(f"/v1/sessions/{sid}/space").body["space_size"] == 192
    api.generate(sid)
    before = api.snapshot(sid)
    r = api.put(
        f"/v1/sessions/{sid}/space",
        {"space": small_space(), "population_size": 12, "replicates": 1},
    )
    assert r.status == 409, r
    assert r.body["code"] == "space_locked"
    assert "before the first design" in r.body["message"]
    assert api.snapshot(sid) == before


def _initial(api, sid, columns, rows):
    return api.put_experiments(sid, "initial", {"columns": columns, "rows": rows})


def test_a_space_put_again_keeps_the_initial_experiments_that_fit_it(api):
    """Before: putting the space again to change only the population dropped every
    initial experiment (measurements) without a word."""
    sid = api.session()
    assert api.put_space(sid, small_space(), 12, 1)["status"] == "success"
    measured = [[0, 1, 1.5, "x", 0.25], [2, 3, 4.5, "w", 0.75]]
    assert _initial(api, sid, ["a", "b", "c", "d", "Response"], measured)["status"] == "success"

    task = api.put_space(sid, small_space(), 10, 0)  # another population and replicates
    assert task["status"] == "success", task
    assert task["result"]["remaining"] == (192 - 2) // 10
    gen0 = api.get(f"/v1/sessions/{sid}/experiments", gen=0).body["table"]
    assert gen0["rows"] == measured

    wider = small_space()  # the parameters in another order, a level added
    wider["parameters"] = [wider["parameters"][3], *wider["parameters"][:3]]
    wider["parameters"][0]["values"] = ["x", "y", "z", "w", "v"]
    assert api.put_space(sid, wider, 10, 0)["status"] == "success"
    gen0 = api.get(f"/v1/sessions/{sid}/experiments", gen=0).body["table"]
    assert gen0["columns"] == ["d", "a", "b", "c", "Response"]
    assert gen0["rows"] == [[r[3], *r[:3], r[4]] for r in measured]
    design = api.generate(sid)["result"]["experiments"]["rows"]
    assert not {tuple(r[:-1]) for r in design} & {tuple(r[:-1]) for r in gen0["rows"]}


def test_a_space_the_initial_experiments_do_not_fit_is_refused(api):
    sid = api.session()
    assert api.put_space(sid, small_space(), 12, 1)["status"] == "success"
    measured = [[0, 1, 1.5, "x", 0.25], [2, 3, 4.5, "w", 0.75]]
    assert _initial(api, sid, ["a", "b", "c", "d", "Response"], measured)["status"] == "success"
    before = api.snapshot(sid)
    narrower = small_space()
    narrower["parameters"][0]["values"] = [0, 1]  # a = 2 is no longer a level
    # refused at once, nothing stored (before: a task that failed)
    r = api.put(
        f"/v1/sessions/{sid}/space", {"space": narrower, "population_size": 12, "replicates": 1}
    )
    assert r.status == 409 and r.body["code"] == "initial_experiments_stored", r
    assert r.body["message"].startswith("2 initial experiments are stored")
    assert "put an empty table of initial experiments with replace=True" in r.body["message"]
    assert api.snapshot(sid) == before
    # dropped on purpose, the narrower space is taken (without replace, nothing is dropped)
    errors = api.refused_experiments(
        sid, "initial", {"columns": ["a", "b", "c", "d", "Response"], "rows": []}
    )
    assert len(errors) == 2 and "is not in this table" in errors[0]["message"]
    dropped = api.run(
        "POST",
        f"/v1/sessions/{sid}/experiments",
        {
            "type": "initial",
            "table": {"columns": ["a", "b", "c", "d", "Response"], "rows": []},
            "replace": True,
        },
    )
    assert dropped["status"] == "success"
    assert api.put_space(sid, narrower, 12, 1)["status"] == "success"


def test_unknown_session_is_404(api):
    r = api.put(
        "/v1/sessions/999/space", {"space": small_space(), "population_size": 12, "replicates": 1}
    )
    assert r.status == 404
    assert api.get("/v1/sessions/999/history").status == 404


def test_an_integral_float_beyond_the_store_is_a_422_and_nothing_is_stored(api):
    """Before: ``"replicates": 1e308`` (an integer to JSON, as 3.0 is 3) became a 309-digit
    int and a task was started; 2**70 was already refused. Both say the field's range, in
    a 422 (a 400 before, where a SigOpt field's was a 422)."""
    sid = api.session()
    for field in ("replicates", "population_size"):
        body = {"space": small_space(), "population_size": 12, "replicates": 0, field: 1e308}
        r = api.call("PUT", f"/v1/sessions/{sid}/space", body)
        assert r.status == 422 and "outside its range" in r.body["message"], r
    assert api.get(f"/v1/sessions/{sid}/space").status == 404
    assert api.get(f"/v1/sessions/{sid}/tasks").body["data"] == []


def test_a_parameter_name_that_is_not_text_is_refused(api):
    """Before: the JSON number 1e308 as a name was taken as the name '1e+308'."""
    sid = api.session()
    space = small_space()
    space["parameters"][0]["name"] = 1e308
    r = api.call(
        "PUT", f"/v1/sessions/{sid}/space", {"space": space, "population_size": 12, "replicates": 0}
    )
    assert r.status == 422 and "a parameter name is text" in r.body["message"], r
    assert api.get(f"/v1/sessions/{sid}/space").status == 404


def test_a_parameter_name_past_64_bits_is_refused_as_a_name_not_as_a_whole_number(api):
    """Before: ``2**70`` as a name was the door's 400 "beyond the integers this service
    stores: a whole-number field (a seed, a count, a budget) takes ...", as if a name
    were a whole-number field, where the name 5 is "a parameter name is text"."""
    sid = api.session()
    space = small_space()
    space["parameters"][0]["name"] = 2**70
    r = api.call(
        "PUT", f"/v1/sessions/{sid}/space", {"space": space, "population_size": 12, "replicates": 0}
    )
    assert r.status == 422, r
    assert r.body["message"] == (
        "The space cannot be read: parameter 1: a parameter name is text (a JSON string), "
        "not 1180591620717411303424"
    ), r.body
    assert api.get(f"/v1/sessions/{sid}/space").status == 404


NAME_PLACEHOLDER = '"__NAME__"'


def _put_raw_space(api: Api, sid: str, text: str) -> Any:
    """The answer to ``text`` (JSON, sent as it is) PUT as the session's space."""
    headers = {"Content-Type": "application/json"}
    return api.call("PUT", f"/v1/sessions/{sid}/space", data=text, headers=headers)


def _sent_in_place_refused(api: Api, sid: str, body: dict[str, Any], sent: str) -> Any:
    """The 422 answer to ``body`` PUT as the space with its one ``"__NAME__"`` replaced by
    the raw JSON ``sent``; the session's stored state untouched."""
    text = json.dumps(body)
    assert text.count(NAME_PLACEHOLDER) == 1
    before = api.snapshot(sid)
    r = _put_raw_space(api, sid, text.replace(NAME_PLACEHOLDER, sent))
    assert r.status == 422, r
    assert api.snapshot(sid) == before
    return r


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("5", "5"),
        (str(2**70), "1180591620717411303424"),
        ("9" * 5001, "99999999999999999999... (a number of 5,001 digits)"),
        ("-" + "1" * 4400, "-1111111111111111111... (a number of 4,400 digits)"),
        ("1e308", "1e+308"),
        ("1e400", "a number beyond a float's range (about +-1.8e308; JSON's 1e400)"),
        ("true", "true"),
        ("null", "null"),
        ('[1, "x"]', '[1, "x"]'),
        ('{"a": false}', '{"a": false}'),
        # before: the raw character in the message (printing it raised UnicodeEncodeError)
        ('["\\ud800"]', '["\\ud800"]'),
        ('["\\u202eabc"]', '["\\u202eabc"]'),
        ('["\\u009b31mred"]', '["\\u009b31mred"]'),
        # before: Python's repr, [inf] and {'a': [True, inf]}
        (
            "[" + "9" * 5001 + "]",
            "a list holding 99999999999999999999... (a number of 5,001 digits)",
        ),
        (
            "[1e400]",
            "a list holding a number beyond a float's range (about +-1.8e308; JSON's 1e400)",
        ),
        (
            '{"a": [true, 1e400]}',
            "an object holding a number beyond a float's range (about +-1.8e308; JSON's 1e400)",
        ),
    ],
    ids=lambda given: given[:12],
)
def test_every_parameter_name_that_is_not_text_is_told_one_way(api, sent, shown):
    """Before, over raw HTTP: a name of 5,001 digits was the door's 400 "beyond the
    integers this service stores: a whole-number field (a seed, a count, a budget)
    takes ...", as if the name were a whole-number field (2**70 was told right); the
    name 5 was labelled "row 2:" where 2**70 was "parameter 2:"; true was shown as
    Python's "True", an object as {'a': False}, and null was "the parameter name is
    empty". Now each is a 422 in the words of a space, the stored state untouched."""
    sid = api.session()
    space = small_space()
    space["parameters"][1]["name"] = "__NAME__"
    body = {"space": space, "population_size": 12, "replicates": 0}
    r = _sent_in_place_refused(api, sid, body, sent)
    assert r.body["message"] == (
        "The space cannot be read: parameter 2: a parameter name is text (a JSON string), "
        f"not {shown}"
    ), r.body
    assert [(e["row"], e["column"]) for e in r.body["detail"]["errors"]] == [(2, "Name")], r
    assert api.get(f"/v1/sessions/{sid}/space").status == 404


NAME_CELL = "The space cannot be read: row 2, column A (Name): "
TOO_LARGE = " is too large to store as a name; write the name as text (a JSON string)"
TEXT_OR_NUMBERS = "; a space's cells are text or numbers"
PAST_A_FLOAT_NAME = "a number beyond a float's range (about +-1.8e308; JSON's 1e400)"


@pytest.mark.parametrize(
    ("sent", "said"),
    [
        (str(2**70), f"the number 1180591620717411303424{TOO_LARGE}"),
        ("9" * 5001, f"the number 99999999999999999999... (a number of 5,001 digits){TOO_LARGE}"),
        ("1e400", f"a number beyond a float's range (about +-1.8e308; JSON's 1e400){TOO_LARGE}"),
        ("true", f"true{TEXT_OR_NUMBERS}"),
        ("[1]", f"[1]{TEXT_OR_NUMBERS}"),
        # before: the door's 400 by JSON path ("The field 'space.table.data[1][0][0]' ...")
        ("[1e400]", f"a list holding {PAST_A_FLOAT_NAME}{TEXT_OR_NUMBERS}"),
        (
            "[" + "9" * 5001 + "]",
            "a list holding 99999999999999999999... (a number of 5,001 digits)" + TEXT_OR_NUMBERS,
        ),
    ],
    ids=lambda given: given[:12],
)
def test_a_daptics_name_cell_no_name_is_stored_as_is_told_as_that_forms_cells(api, sent, said):
    """In Daptics' table form a Name cell that is a number is read as its text (5 is the
    name "5"). Before, 2**70, 1e400 and a number of 5,001 digits there were told "a
    parameter name is text (a JSON string), not ...", untrue of this form, labelled
    "parameter 2:" where true and [1] in the same cell were "row 2, column A (Name): ..."."""
    sid = api.session()
    space = {
        "type": "factorial",
        "table": {"data": [["a", "Numerical", 0, 1, 2], ["__NAME__", "Numerical", 0, 1, 2]]},
    }
    body = {"space": space, "population_size": 2, "replicates": 0}
    r = _sent_in_place_refused(api, sid, body, sent)
    assert r.body["message"] == NAME_CELL + said, r.body
    assert [(e["row"], e["column"]) for e in r.body["detail"]["errors"]] == [(2, "Name")], r
    five = json.dumps(body).replace(NAME_PLACEHOLDER, "5")  # a name cell takes 5, as its text
    assert _put_raw_space(api, sid, five).status == 202


def test_a_level_holding_a_number_past_a_float_is_named_by_its_level(api):
    """Before: a level ``[1e400]`` of a ``parameters`` item was the door's 400 by JSON path
    ("The field 'space.parameters[0].values[1][0]' ..."), a place no space file shows."""
    sid = api.session()
    space = {"type": "factorial", "parameters": [{"name": "a", "type": "numerical"}]}
    space["parameters"][0]["values"] = [0, "__NAME__"]
    body = {"space": space, "population_size": 2, "replicates": 0}
    r = _sent_in_place_refused(api, sid, body, "[1e400]")
    assert r.body["message"] == (
        "The space cannot be read: parameter 1 ('a'), level 2: a list holding "
        f"{PAST_A_FLOAT_NAME}{TEXT_OR_NUMBERS}"
    ), r.body


def test_a_level_a_spreadsheet_would_run_as_a_formula_is_refused(api):
    """Before: ``=HYPERLINK(...)`` or ``-cmd|...`` was stored as a level and written into the
    experiments table, where a spreadsheet opening it runs it (and saves back its result)."""
    sid = api.session()
    before = api.snapshot(sid)
    for level in ('=HYPERLINK("http://x.example","y")', "@SUM(A1)", "-cmd|' /C calc'!A0", "+x"):
        space = small_space()
        space["parameters"][3]["values"] = ["x", level, "z"]
        [error] = api.refused_space(sid, space, population_size=12, replicates=0)
        assert repr(level) in error["message"] and "runs it as a formula" in error["message"]
    assert api.get(f"/v1/sessions/{sid}/space").status == 404
    after = api.snapshot(sid)
    assert after["session"] == before["session"] and after["history"] == before["history"]
    # signs and signed numbers stay values, and so does a level with "=" inside
    space = small_space()
    space["parameters"][3]["values"] = ["+", "-1", "+2.5", "a=b"]
    assert api.put_space(sid, space, population_size=12, replicates=0)["status"] == "success"


def test_a_level_that_would_break_the_design_file_is_refused(api):
    """Before, each was stored as a level and designed: a carriage return split the design's
    row when written (``Table.from_csv`` of it: "row 5 has 2 cells but the header has 3
    columns"), a zero-width space made a second "y" that looks like the first, and a level
    of a million characters was past what a CSV cell may hold: the lab could not send the
    design back. A level holds what a name may, in at most 200 characters."""
    sid = api.session()
    for level, said in (
        ("y\rz", "U+000D"),
        ("y\u200b", "U+200B"),
        ("y\u202ez", "U+202E"),
        ("x" * 1_000_000, "1,000,000 characters long"),
    ):
        space = small_space()
        space["parameters"][3]["values"] = ["x", "y", level]
        errors = api.refused_space(sid, space, population_size=12, replicates=0)
        assert len(errors) == 1 and said in errors[0]["message"], errors
        assert errors[0]["row"] == 4 and errors[0]["column"] == "Value.3", errors
    assert api.get(f"/v1/sessions/{sid}/space").status == 404
    # at the limit, a level designs and its design file reads back as it was written
    space = small_space()
    space["parameters"][3]["values"] = ["x", "y", "z" * 200, "crème brûlée (5 %)"]
    assert api.put_space(sid, space, population_size=12, replicates=0)["status"] == "success"
    design = api.generate(sid)["result"]["experiments"]
    table = Table.from_dict(design)
    assert Table.from_csv(table.to_csv()) == table


def test_a_cell_that_is_neither_text_nor_a_number_is_refused(api):
    """Before: a level sent as ``true``, ``{}`` or ``[[1]]`` was stored as the level 'True',
    '{}' or '[[1]]', and a unit's type sent as ``""``, ``0`` or ``[]`` was read as ``unit``."""
    sid = api.session()
    before = api.snapshot(sid)
    for level in (True, {}, [[1]], ["a"]):
        space = small_space()
        space["parameters"][3]["values"] = ["x", level, "z"]
        body = {"space": space, "population_size": 12, "replicates": 0}
        r = api.call("PUT", f"/v1/sessions/{sid}/space", body)
        assert r.status == 422 and "a space's cells are text or numbers" in r.body["message"], r
        assert r.body["detail"]["errors"][0]["column"] == "Value.2", r
    daptics = {"type": "factorial", "table": {"data": [["c", "categorical", "Pd", False]]}}
    body = {"space": daptics, "population_size": 1, "replicates": 0}
    r = api.call("PUT", f"/v1/sessions/{sid}/space", body)
    assert r.status == 422 and "false; a space's cells" in r.body["message"], r
    for unit_type in ("", 0, [], -0.0):
        mixture = {
            "type": "mixture",
            "total_units": 4,
            "parameters": [
                {"name": "a", "type": unit_type, "min": 0, "max": 4},
                {"name": "b", "type": "unit", "min": 0, "max": 4},
            ],
        }
        body = {"space": mixture, "population_size": 2, "replicates": 0}
        r = api.call("PUT", f"/v1/sessions/{sid}/space", body)
        if r.status == 202:  # refused by the space task, as the same row of a space file is
            task = api.wait(sid, r.body["id"])
            assert task["status"] == "failed" and "column B (Type)" in str(task["errors"]), task
        else:
            assert r.status == 422 and "column B (Type)" in r.body["message"], r
    assert api.get(f"/v1/sessions/{sid}/space").status == 404
    after = api.snapshot(sid)
    assert after["session"] == before["session"] and after["history"] == before["history"]


def test_a_number_in_digits_other_than_ascii_is_text_not_the_number(api):
    """Before: a level written in Arabic-Indic (U+0661) or fullwidth (U+FF11) digits was
    read as the number 1, as Python's ``float()`` reads it, while ``?gen=`` so written
    was refused. Such a cell is text: a categorical level as written, and a numerical
    level or a response refused, naming the cell."""
    sid = api.session()
    before = api.snapshot(sid)
    for digit in ("\u0661", "\uff11"):
        daptics = {"type": "factorial", "table": {"data": [["x", "numerical", digit, "2"]]}}
        body = {"space": daptics, "population_size": 1, "replicates": 0}
        r = api.call("PUT", f"/v1/sessions/{sid}/space", body)
        if r.status == 202:  # refused by the space task, as the same row of a space file is
            task = api.wait(sid, r.body["id"])
            assert task["status"] == "failed", task
            message = task["errors"][0]["message"]
        else:
            assert r.status == 422, r
            message = r.body["message"]
        assert f"column C (Value.1): '{digit}' is not a number" in message, message
        assert message.endswith("(write it in ASCII digits: 1)"), message
    assert api.get(f"/v1/sessions/{sid}/space").status == 404
    after = api.snapshot(sid)
    assert after["session"] == before["session"] and after["history"] == before["history"]
    space = small_space()
    space["parameters"][3]["values"] = ["x", "\uff11", "1", "w"]
    assert api.put_space(sid, space, population_size=12, replicates=0)["status"] == "success"
    levels = api.get(f"/v1/sessions/{sid}/space").body["space"]["parameters"][3]["values"]
    assert levels == ["x", "\uff11", "1", "w"]
    table = {"columns": ["a", "b", "c", "d", "Response"], "rows": [[0, 0, 1.5, "x", "\u0663"]]}
    errors = api.refused_experiments(sid, "initial", table)
    assert [(e["row"], e["column"]) for e in errors] == [(2, "Response")], errors
    assert errors[0]["message"].endswith("(write it in ASCII digits: 3)"), errors

"""Experiments (the update task), designs (the generate task), history and the state machine."""

from __future__ import annotations

import csv
import io

import pytest

from sigopt_like.tables import Table

from .conftest import small_space

POP, REPS = 12, 1


@pytest.fixture
def ready(api):
    """A session at gen 0 on the small space (population 12, 1 replicate)."""
    sid = api.session()
    assert api.put_space(sid, small_space(), POP, REPS)["status"] == "success"
    return sid


def _rows(table):
    return [tuple(r[:-1]) for r in table["rows"]]


def test_generate_before_a_space_is_409(api):
    sid = api.session()
    before = api.snapshot(sid)
    r = api.post(f"/v1/sessions/{sid}/generate")
    assert r.status == 409 and r.body["code"] == "space_required"
    assert "set one first" in r.body["message"]
    r = api.post(
        f"/v1/sessions/{sid}/experiments", {"type": "initial", "table": {"columns": [], "rows": []}}
    )
    assert r.status == 409
    assert api.snapshot(sid) == before


def test_generate_designs_distinct_replicated_shuffled(api, ready):
    sid = ready
    task = api.generate(sid)
    result = task["result"]
    assert result["gen"] == 1
    table = result["experiments"]
    assert table["columns"] == ["a", "b", "c", "d", "Response"]
    assert len(table["rows"]) == POP * (REPS + 1)
    assert all(row[-1] is None for row in table["rows"])
    points = _rows(table)
    assert len(set(points)) == POP
    assert all(points.count(p) == REPS + 1 for p in set(points))
    assert points != sorted(points, key=repr)  # shuffled, not grouped
    session = api.get(f"/v1/sessions/{sid}").body
    assert session["gen"] == 1 and session["remaining"] == 192 // POP - 1
    assert result["remaining"] == session["remaining"]
    design = api.get(f"/v1/sessions/{sid}/design").body
    assert design["gen"] == 1 and design["table"] == table
    phases = {t["phase"] for t in [task]}
    assert phases == {"success"}


def test_design_pending_is_409_saying_what_to_do(api, ready):
    sid = ready
    api.generate(sid)
    before = api.snapshot(sid)
    r = api.post(f"/v1/sessions/{sid}/generate")
    assert r.status == 409 and r.body["code"] == "design_pending"
    assert "generation 1" in r.body["message"]
    assert "experiments.put(type='designed')" in r.body["message"]
    assert api.snapshot(sid) == before


def test_initial_experiments_empty_and_with_rows(api, ready):
    sid = ready
    empty = api.put_experiments(
        sid, "initial", {"columns": ["a", "b", "c", "d", "Response"], "rows": []}
    )
    assert empty["status"] == "success", empty
    assert empty["result"]["rows"] == 0 and empty["result"]["gen"] == 0
    rows = [[0, 0, 1.5, "x", 1.0], [2, 3, "4.5", "w", "2.5"]]
    task = api.put_experiments(
        sid,
        "initial",
        {"columns": ["d", "a", "b", "c", "Response"], "rows": [[r[3], *r[:3], r[4]] for r in rows]},
    )
    assert task["status"] == "success", task
    gen0 = api.get(f"/v1/sessions/{sid}/experiments", gen=0).body
    assert gen0["validated"] and gen0["has_responses"] and gen0["design_rows"] == 0
    assert gen0["table"]["rows"] == [[0, 0, 1.5, "x", 1.0], [2, 3, 4.5, "w", 2.5]]
    design = api.generate(sid)["result"]["experiments"]
    assert not set(_rows(design)) & {(0, 0, 1.5, "x"), (2, 3, 4.5, "w")}
    r = api.post(f"/v1/sessions/{sid}/experiments", {"type": "initial", "table": design})
    assert r.status == 409


def test_every_bad_value_is_reported_with_row_and_column(api, ready):
    sid = ready
    before = api.snapshot(sid)
    table = {
        "columns": ["a", "b", "c", "d", "Response"],
        "rows": [
            [0, 0, 1.5, "x", 1.0],
            [7, 0, 1.5, "x", 1.0],
            [0, 0, 1.5, "X", 1.0],
            [0, 0, 1.5, "x", "high"],
            [0, 0, 1.5, "x", None],
        ],
    }
    # every bad cell in one answer, parameters and responses alike (a 422, no task);
    # before, the responses were refused first, and the task then failed on the rest
    errors = api.refused_experiments(sid, "initial", table)
    where = [(e["row"], e["column"]) for e in errors]
    assert where == [(3, "a"), (4, "d"), (5, "Response"), (6, "Response")]
    assert all(e["field"] == "table" for e in errors)
    assert api.snapshot(sid) == before
    columns = api.refused_experiments(
        sid, "initial", {"columns": ["a", "b", "c", "Response"], "rows": []}
    )
    assert columns[0]["column"] == "d"


def test_designed_rows_must_match_the_design_exactly(api, ready):
    sid = ready
    design = api.generate(sid)["result"]["experiments"]
    filled = api.simulated(sid, design)
    before = api.snapshot(sid)
    # rows of the design in another order are taken (test_designed_rows_may_come_back_sorted
    # in tests/client/test_campaign.py); one of them twice and another missing is not
    swapped = {
        "columns": filled["columns"],
        "rows": [filled["rows"][1], filled["rows"][1], *filled["rows"][2:]],
    }
    if swapped["rows"][0][:-1] != filled["rows"][0][:-1]:
        errors = api.refused_experiments(sid, "designed", swapped)
        assert errors[0]["row"] == 2
        assert "differs from generation" in errors[0]["message"]
    short = {"columns": filled["columns"], "rows": filled["rows"][:-1]}
    errors = api.refused_experiments(sid, "designed", short)
    assert "give every designed row first" in errors[0]["message"]
    after = api.snapshot(sid)
    assert after["session"] == before["session"] and after["history"] == before["history"]


def test_designed_responses_may_be_missing_extras_may_not(api, ready):
    sid = ready
    design = api.generate(sid)["result"]["experiments"]
    filled = api.simulated(sid, design)
    rows = [list(r) for r in filled["rows"]]
    rows[0][-1] = None
    rows[1][-1] = "-"
    rows[2][-1] = ""
    # extras the design did not draw (a row with a design's values is matched to it,
    # wherever it is: a designed row whose response may be missing)
    designed = set(_rows(design))
    untested = [(a, b, 1.5, "x") for a in (0, 1, 2) for b in (0, 1, 2, 3)]
    untested = [r for r in untested if r not in designed]
    extra_ok = [*untested[0], 0.25]
    extra_missing = [*untested[1], None]
    errors = api.refused_experiments(
        sid, "designed", {"columns": filled["columns"], "rows": [*rows, extra_ok, extra_missing]}
    )
    assert [(e["row"], e["column"]) for e in errors] == [(len(rows) + 3, "Response")]
    task = api.put_experiments(
        sid, "designed", {"columns": filled["columns"], "rows": [*rows, extra_ok]}
    )
    assert task["status"] == "success", task
    assert task["result"]["rows"] == len(rows) + 1
    gen1 = api.get(f"/v1/sessions/{sid}/experiments", gen=1).body
    assert gen1["design_rows"] == len(rows) and len(gen1["table"]["rows"]) == len(rows) + 1
    assert gen1["table"]["rows"][0][-1] is None and gen1["table"]["rows"][1][-1] is None
    only = api.get(f"/v1/sessions/{sid}/experiments", gen=1, design_only="true").body
    assert len(only["table"]["rows"]) == len(rows)
    second = api.generate(sid)["result"]["experiments"]
    tested = set(_rows(design)) | {tuple(extra_ok[:-1])}
    assert not set(_rows(second)) & tested


def test_design_only_is_the_design_without_responses(api, ready):
    """Daptics' get_experiments(design_only=True, gen): "only return the designed
    experiments (without responses)". Before, the designed rows came with the responses
    put for them, and has_responses said True."""
    sid = ready
    design = api.generate(sid)["result"]["experiments"]
    filled = api.simulated(sid, design)
    extra = [0, 0, 1.5, "x", 0.25]
    task = api.put_experiments(
        sid, "designed", {"columns": filled["columns"], "rows": [*filled["rows"], extra]}
    )
    assert task["status"] == "success", task
    full = api.get(f"/v1/sessions/{sid}/experiments", gen=1).body
    assert full["has_responses"] and all(r[-1] is not None for r in full["table"]["rows"])
    only = api.get(f"/v1/sessions/{sid}/experiments", gen=1, design_only="true").body
    assert (only["gen"], only["design_rows"], only["has_responses"]) == (1, POP * (REPS + 1), False)
    assert only["table"]["columns"] == full["table"]["columns"]
    assert only["table"]["rows"] == [[*r[:-1], None] for r in full["table"]["rows"][:-1]]
    assert only["table"] == api.get(f"/v1/sessions/{sid}/design", gen=1).body["table"]


def test_na_responses_are_stored_missing_as_dash_is(api, ready):
    """Before: NA (R, spreadsheets), #N/A (Excel) and nan (pandas' CSV) in the Response
    column were refused as "not a number"; they mean not measured, exactly as '-'."""
    sid = ready
    design = api.generate(sid)["result"]["experiments"]
    filled = api.simulated(sid, design)
    rows = [list(r) for r in filled["rows"]]
    marks = ["NA", "N/A", "#N/A", "nan", " na ", "NaN", "-"]
    for row, mark in zip(rows[: len(marks)], marks, strict=True):
        row[-1] = mark
    extra_na = [1, 1, 1.5, "x", "NA"]
    errors = api.refused_experiments(
        sid, "designed", {"columns": filled["columns"], "rows": [*rows, extra_na]}
    )
    assert [(e["row"], e["column"]) for e in errors] == [(len(rows) + 2, "Response")]
    assert "the response is missing" in errors[0]["message"]

    lab_file = io.StringIO()  # as a lab's spreadsheet or R writes it
    csv.writer(lab_file).writerows([filled["columns"], *rows])
    csv_text = lab_file.getvalue()
    assert ",NA\r\n" in csv_text and ",#N/A\r\n" in csv_text
    task = api.put_experiments(sid, "designed", Table.from_csv(csv_text).to_dict())
    assert task["status"] == "success", task
    history = api.get(f"/v1/sessions/{sid}/history").body
    stored = history["generations"][1]["table"]["rows"]
    assert [r[-1] for r in stored[: len(marks)]] == [None] * len(marks)
    assert stored[len(marks) :] == filled["rows"][len(marks) :]
    assert history["generations"][1]["has_responses"] is True
    exported = api.get(f"/v1/sessions/{sid}/history", format="csv")
    lines = list(csv.reader(io.StringIO(exported.text)))[1 : 1 + len(marks)]
    assert [line[-1] for line in lines] == [""] * len(marks)
    task = api.put_experiments(sid, "designed", {"columns": filled["columns"], "rows": rows})
    assert task["status"] == "success", task  # the JSON path stores the same
    assert api.get(f"/v1/sessions/{sid}/history").body["generations"][1]["table"]["rows"] == stored
    assert api.generate(sid)["result"]["gen"] == 2  # the next design does not trip on them


def test_an_empty_parameter_cell_says_what_to_put_there(api, ready):
    """Seed 000 lets an experiment leave only its response empty, so an empty middle cell
    (or '-') in a parameter column stays refused; before, the message did not say what
    belongs there, nor that '-' marks a missing response only."""
    sid = ready
    table = Table.from_csv("a,b,c,d,Response\n0,,1.5,x,1\n1,1,2.5,-,2\n")
    errors = api.refused_experiments(sid, "initial", table.to_dict())
    assert [(e["row"], e["column"]) for e in errors] == [(2, "b"), (3, "d")]
    first, second = (e["message"] for e in errors)
    assert first.startswith("row 2, column b: the value is missing")
    assert "put one of its levels (0, 1, 2, 3) there" in first
    assert "put one of its levels (x, y, z, w) there" in second
    assert "'-' marks a response not measured, in the Response column only" in second


def test_a_huge_response_is_named_short_in_a_message(api, ready):
    """Before: a stored response of -1e308 was named by its 309 digits ("response
    -1000000000000000010979063629440455417404923096773118463368106829..."), the int of an
    integral float, in the problem of a table sent again without its row."""
    sid = ready
    columns = ["a", "b", "c", "d", "Response"]
    rows = [[0, 0, 1.5, "x", 1e308], [1, 0, 1.5, "x", -1e308]]
    assert api.put_experiments(sid, "initial", {"columns": columns, "rows": rows})["status"] == (
        "success"
    )
    before = api.snapshot(sid)["history"]
    errors = api.refused_experiments(sid, "initial", {"columns": columns, "rows": rows[:1]})
    (problem,) = errors
    assert "the experiment a=1, b=0, c=1.5, d=x (response -1e+308)" in problem["message"]
    assert api.snapshot(sid)["history"] == before


def test_a_categorical_level_na_stays_a_level(api):
    """ "NA" and "Na" (sodium) as levels of a parameter are values, never missing ones."""
    sid = api.session()
    space = {
        "type": "factorial",
        "parameters": [
            {"name": "a", "type": "numerical", "values": [0, 1, 2, 3]},
            {"name": "ion", "type": "categorical", "values": ["NA", "Na", "K", "Li"]},
        ],
    }
    assert api.put_space(sid, space, 4, 1)["status"] == "success"
    table = Table.from_csv("a,ion,Response\n0,NA,1.5\n1,Na,NA\n2,K,2\n")
    errors = api.refused_experiments(sid, "initial", table.to_dict())
    # the NA response of an extra row is missing
    assert [(e["row"], e["column"]) for e in errors] == [(3, "Response")]
    rows = [[0, "NA", 1.5], [1, "Na", 0.5], [2, "na", 2.0]]
    errors = api.refused_experiments(
        sid, "initial", {"columns": ["a", "ion", "Response"], "rows": rows}
    )
    # "na" is not a level: the levels are case-sensitive
    assert [(e["row"], e["column"]) for e in errors] == [(4, "ion")]
    task = api.put_experiments(
        sid, "initial", {"columns": ["a", "ion", "Response"], "rows": rows[:2]}
    )
    assert task["status"] == "success", task
    gen0 = api.get(f"/v1/sessions/{sid}/experiments", gen=0).body
    assert gen0["table"]["rows"] == [[0, "NA", 1.5], [1, "Na", 0.5]]
    design = api.generate(sid)["result"]["experiments"]
    assert {r[1] for r in design["rows"]} <= {"NA", "Na", "K", "Li"}


def test_a_table_sent_again_corrects_responses_but_never_blanks_them(api, ready):
    """Before: the design's file sent after the measured one (every Response empty)
    was stored, erasing every measurement of the generation with only a note."""
    sid = ready
    design = api.generate(sid)["result"]["experiments"]
    filled = api.simulated(sid, design)
    assert api.put_experiments(sid, "designed", filled)["status"] == "success"
    before = api.snapshot(sid)["history"]

    errors = api.refused_experiments(sid, "designed", design)  # the design's file by mistake
    first, *rows = errors
    assert "would be erased by empty ones" in first["message"]
    assert "is this the design's file" in first["message"]
    assert [(e["row"], e["column"]) for e in rows] == [
        (i + 2, "Response") for i in range(len(design["rows"]))
    ]
    one_blank = [list(r) for r in filled["rows"]]
    one_blank[4][-1] = None  # the morning's file, one result not in yet
    errors = api.refused_experiments(
        sid, "designed", {"columns": filled["columns"], "rows": one_blank}
    )
    assert [(e["row"], e["column"]) for e in errors] == [(6, "Response")]
    assert f"the response {filled['rows'][4][-1]}" in errors[0]["message"]
    assert api.snapshot(sid)["history"] == before  # nothing erased

    corrected = [list(r) for r in filled["rows"]]
    corrected[4][-1] = 0.125  # a corrected measurement is taken
    task = api.put_experiments(sid, "designed", {"columns": filled["columns"], "rows": corrected})
    assert task["status"] == "success", task
    gen1 = api.get(f"/v1/sessions/{sid}/experiments", gen=1).body
    assert [r[-1] for r in gen1["table"]["rows"]] == [r[-1] for r in corrected]


def test_a_table_sent_again_keeps_the_extras_put_before_unless_told_to_drop_them(api, ready):
    """Before: the measured file sent again without its extra rows (say, the design's
    file with one response corrected) deleted those extras and their measurements,
    without a word. Now refused, each named; ``replace`` drops them on purpose."""
    sid = ready
    design = api.generate(sid)["result"]["experiments"]
    filled = api.simulated(sid, design)
    columns, rows = filled["columns"], [list(r) for r in filled["rows"]]
    extras = [[0, 0, 1.5, "x", 9.5], [2, 3, 4.5, "w", 8.5]]
    assert (
        api.put_experiments(sid, "designed", {"columns": columns, "rows": rows + extras})["status"]
        == "success"
    )
    before = api.snapshot(sid)

    errors = api.refused_experiments(sid, "designed", {"columns": columns, "rows": rows})
    said = [e["message"] for e in errors]
    assert len(said) == 2 and "a=0, b=0, c=1.5, d=x (response 9.5)" in said[0]
    assert "a=2, b=3, c=4.5, d=w (response 8.5)" in said[1]
    assert all("replace=True" in m and "--replace" in m for m in said)
    after = api.snapshot(sid)  # nothing dropped, nothing else changed either
    assert after["history"] == before["history"] and after["session"] == before["session"]

    corrected = [[2, 3, 4.5, "w", 8.25], extras[0]]  # in another order, one corrected
    task = api.put_experiments(sid, "designed", {"columns": columns, "rows": rows + corrected})
    assert task["status"] == "success", task
    stored = api.get(f"/v1/sessions/{sid}/experiments", gen=1).body["table"]["rows"]
    assert stored[len(rows) :] == corrected

    task = api.run(
        "POST",
        f"/v1/sessions/{sid}/experiments",
        {"type": "designed", "table": {"columns": columns, "rows": rows}, "replace": True},
    )
    assert task["status"] == "success", task
    stored = api.get(f"/v1/sessions/{sid}/experiments", gen=1).body["table"]["rows"]
    assert len(stored) == len(rows)  # dropped, as asked

    bad = api.post(
        f"/v1/sessions/{sid}/experiments",
        {"type": "designed", "table": {"columns": columns, "rows": rows}, "replace": "yes"},
    )
    assert bad.status == 400 and "replace" in bad.body["message"]


def test_initial_experiments_sent_again_keep_what_they_leave_out(api, ready):
    sid = ready
    columns = ["a", "b", "c", "d", "Response"]
    first = [[0, 1, 1.5, "x", 0.25], [2, 3, 4.5, "w", 0.75]]
    assert (
        api.put_experiments(sid, "initial", {"columns": columns, "rows": first})["status"]
        == "success"
    )
    fixed = [[0, 1, 1.5, "x", 0.5], [2, 3, 4.5, "z", 0.75]]  # the second row's d corrected
    errors = api.refused_experiments(sid, "initial", {"columns": columns, "rows": fixed})
    [error] = errors
    assert "a=2, b=3, c=4.5, d=w (response 0.75), put before in generation 0" in error["message"]
    task = api.run(
        "POST",
        f"/v1/sessions/{sid}/experiments",
        {"type": "initial", "table": {"columns": columns, "rows": fixed}, "replace": True},
    )
    assert task["status"] == "success", task
    assert api.get(f"/v1/sessions/{sid}/experiments", gen=0).body["table"]["rows"] == fixed


def test_the_daptics_names_of_the_experiment_types_are_taken(api, ready):
    """The Daptics client names the types INITIAL_EXTRAS_ONLY, DESIGNED_WITH_OPTIONAL_EXTRAS
    and FINAL_EXTRAS_ONLY (DapticsExperimentsType, seed 000); they were a 422."""
    sid = ready
    columns = ["a", "b", "c", "d", "Response"]
    initial = {"columns": columns, "rows": [[0, 1, 1.5, "x", 0.25]]}
    task = api.put_experiments(sid, "INITIAL_EXTRAS_ONLY", initial)
    assert task["status"] == "success" and task["result"]["type"] == "initial", task
    design = api.generate(sid)["result"]["experiments"]
    task = api.put_experiments(sid, "DESIGNED_WITH_OPTIONAL_EXTRAS", api.simulated(sid, design))
    assert task["status"] == "success" and task["result"]["type"] == "designed", task
    final = {"columns": columns, "rows": [[2, 3, 4.5, "w", 0.5]]}
    task = api.put_experiments(sid, "FINAL_EXTRAS_ONLY", final)
    assert task["status"] == "success" and task["result"]["type"] == "final", task
    assert api.get(f"/v1/sessions/{sid}").body["completed"] is True
    other = api.session()
    r = api.post(f"/v1/sessions/{other}/experiments", {"type": "measured", "table": initial})
    assert r.status == 422 and "DESIGNED_WITH_OPTIONAL_EXTRAS" in r.body["message"]


def test_a_table_in_both_shapes_at_once_is_refused(api, ready):
    """Before: ``columns``/``rows`` and Daptics' ``colHeaders``/``data`` in one table were
    both accepted, and the Daptics ones dropped unseen."""
    sid = ready
    before = api.snapshot(sid)["history"]
    both = {
        "columns": ["a", "b", "c", "d", "Response"],
        "rows": [[0, 1, 1.5, "x", 0.25]],
        "colHeaders": ["a", "b", "c", "d", "Response"],
        "data": [[2, 3, 4.5, "w", 0.75]],
    }
    r = api.post(f"/v1/sessions/{sid}/experiments", {"type": "initial", "table": both})
    assert r.status == 422, r.body
    assert "both 'columns' and Daptics' 'colHeaders'" in r.body["message"]
    del both["colHeaders"]
    r = api.post(f"/v1/sessions/{sid}/experiments", {"type": "initial", "table": both})
    assert r.status == 422 and "both 'rows' and Daptics' 'data'" in r.body["message"]
    assert api.snapshot(sid)["history"] == before


def test_generate_next_chains_the_next_design(api, ready):
    sid = ready
    design = api.generate(sid)["result"]["experiments"]
    task = api.put_experiments(sid, "designed", api.simulated(sid, design), generate_next=True)
    assert task["status"] == "success", task
    next_id = task["result"]["next_task"]
    assert next_id
    chained = api.wait(sid, next_id)
    assert chained["type"] == "generate" and chained["status"] == "success", chained
    assert chained["result"]["gen"] == 2
    assert api.get(f"/v1/sessions/{sid}").body["gen"] == 2


def test_final_experiments_complete_the_campaign(api, ready):
    sid = ready
    api.generate(sid)
    task = api.put_experiments(
        sid, "final", {"columns": ["a", "b", "c", "d", "Response"], "rows": [[1, 2, 2.5, "y", 3.0]]}
    )
    assert task["status"] == "success", task
    # remaining is how many more generations can be performed (seed 000): before, the
    # space's count (2) was kept after final experiments, which end the campaign
    assert task["result"]["remaining"] == 0 and task["result"]["completed"] is True
    session = api.get(f"/v1/sessions/{sid}").body
    assert session["completed"] is True and session["status"] == "completed"
    assert session["remaining"] == 0
    assert api.get(f"/v1/sessions/{sid}/space").body["remaining"] == 0
    r = api.post(f"/v1/sessions/{sid}/generate")
    assert r.status == 409 and r.body["code"] == "campaign_completed"
    gen1 = api.get(f"/v1/sessions/{sid}/experiments", gen=1).body
    assert gen1["design_rows"] == POP * (REPS + 1)
    assert gen1["table"]["rows"][-1] == [1, 2, 2.5, "y", 3.0]


def test_final_experiments_with_generate_next_say_why_no_design_follows(api, ready):
    """``generate_next`` with final experiments (as the client sends it when
    auto_generate_next_design is set): before, taken and silently not done; now the
    result says why no design follows, as for a campaign completed otherwise."""
    sid = ready
    api.generate(sid)
    row = {"columns": ["a", "b", "c", "d", "Response"], "rows": [[1, 2, 2.5, "y", 3.0]]}
    task = api.put_experiments(sid, "final", row, generate_next=True)
    assert task["status"] == "success", task
    assert task["result"]["next_task"] is None
    assert "campaign is completed" in task["result"]["next_task_skipped"], task["result"]
    assert [t["type"] for t in api.get(f"/v1/sessions/{sid}/tasks").body["data"]].count(
        "generate"
    ) == 1


def test_replace_with_final_experiments_is_refused_naming_it(api, ready):
    """Final experiments are added to the last generation: ``replace`` with them was taken
    and did nothing. A 400 naming it, nothing stored, no task started."""
    sid = ready
    api.generate(sid)
    before = api.snapshot(sid)
    tasks = api.get(f"/v1/sessions/{sid}/tasks").body["data"]
    row = {"columns": ["a", "b", "c", "d", "Response"], "rows": [[1, 2, 2.5, "y", 3.0]]}
    body = {"type": "final", "table": row, "replace": True}
    r = api.post(f"/v1/sessions/{sid}/experiments", body)
    assert r.status == 400 and r.body["detail"]["field"] == "replace", r.body
    assert "final experiments are added to the last generation" in r.body["message"]
    assert api.snapshot(sid) == before
    assert api.get(f"/v1/sessions/{sid}/tasks").body["data"] == tasks
    task = api.put_experiments(sid, "final", row)  # without it: taken
    assert task["status"] == "success", task


def test_history_json_and_csv(api, ready):
    sid = ready
    api.put_experiments(
        sid,
        "initial",
        {"columns": ["a", "b", "c", "d", "Response"], "rows": [[0, 0, 1.5, "x", 1.0]]},
    )
    for _ in range(2):
        design = api.generate(sid)["result"]["experiments"]
        assert (
            api.put_experiments(sid, "designed", api.simulated(sid, design))["status"] == "success"
        )
    history = api.get(f"/v1/sessions/{sid}/history").body
    assert history["object"] == "history"
    gens = history["generations"]
    assert [g["gen"] for g in gens] == [0, 1, 2]
    assert gens[0]["design_rows"] == 0 and len(gens[0]["table"]["rows"]) == 1
    assert all(g["validated"] and g["has_responses"] for g in gens)
    assert gens[1]["design_rows"] == POP * (REPS + 1)
    r = api.get(f"/v1/sessions/{sid}/history", format="csv")
    assert r.status == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["Seq_", "Gen_", "Designed_", "a", "b", "c", "d", "Response"]
    assert rows[1][:3] == ["1", "0", "N"]
    assert rows[2][:3] == ["2", "1", "Y"]
    assert len(rows) == 1 + 1 + 2 * POP * (REPS + 1)


def test_every_history_csv_ends_its_lines_with_lf(api):
    """Before: the history CSV of a session without a space was its header row ended by
    CRLF, where every other CSV of the library (history, designs, analytics) ends its lines
    with LF alone."""
    sid = api.session()
    r = api.get(f"/v1/sessions/{sid}/history", format="csv")
    assert r.status == 200 and r.text == "Seq_,Gen_,Designed_\n"
    assert api.put_space(sid, small_space(), POP, REPS)["status"] == "success"
    r = api.get(f"/v1/sessions/{sid}/history", format="csv")
    assert r.text == "Seq_,Gen_,Designed_,a,b,c,d,Response\n"
    api.generate(sid)
    text = api.get(f"/v1/sessions/{sid}/history", format="csv").text
    assert "\r" not in text and text.count("\n") == 1 + POP * (REPS + 1)


def test_the_design_as_csv_is_the_file_the_library_writes(api):
    """``design?format=csv`` (the dashboard's download): the bytes ``Table.to_csv`` writes
    of the design's JSON, LF line ends; another format is a 400 naming it."""
    sid = api.session()
    assert api.put_space(sid, small_space(), POP, REPS)["status"] == "success"
    api.generate(sid)
    design = api.get(f"/v1/sessions/{sid}/design").body
    r = api.get(f"/v1/sessions/{sid}/design", format="csv")
    assert r.status == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.text == Table.from_dict(design["table"]).to_csv()
    assert "\r" not in r.text and r.text.count("\n") == 1 + design["design_rows"]
    assert Table.from_csv(r.text).to_dict() == design["table"]
    assert api.get(f"/v1/sessions/{sid}/design", format="json").body == design
    refused = api.get(f"/v1/sessions/{sid}/design", format="xlsx")
    assert refused.status == 400 and refused.body["detail"]["field"] == "format"


def test_gen_zero_history_before_any_experiment(api, ready):
    history = api.get(f"/v1/sessions/{ready}/history").body
    assert history["generations"][0]["gen"] == 0
    assert history["generations"][0]["validated"] is False
    assert api.get(f"/v1/sessions/{ready}/design").status == 409
    assert api.get(f"/v1/sessions/{ready}/experiments", gen=5).status == 404


def test_exhausted_space_completes_the_campaign(api):
    sid = api.session()
    tiny = {
        "type": "factorial",
        "parameters": [
            {"name": "a", "type": "numerical", "values": list(range(10))},
            {"name": "b", "type": "numerical", "values": list(range(16))},
        ],
    }
    assert api.put_space(sid, tiny, 10, 0)["status"] == "success"
    assert api.get(f"/v1/sessions/{sid}").body["remaining"] == 16
    tested = set()
    for gen in range(1, 17):
        design = api.generate(sid)["result"]["experiments"]
        points = set(_rows(design))
        assert not points & tested
        tested |= points
        assert (
            api.put_experiments(sid, "designed", api.simulated(sid, design))["status"] == "success"
        )
        if gen in (1, 2):
            continue
        if gen == 3:  # jump ahead: the rest goes through simulate
            break
    task = api.run("POST", f"/v1/sessions/{sid}/simulate", {"ngens": 20})
    assert task["status"] == "success", task
    assert task["result"]["completed"] is True
    assert "exhausted" in task["result"]["stopped"] or task["result"]["stopped"]
    session = api.get(f"/v1/sessions/{sid}").body
    assert session["completed"] is True and session["remaining"] == 0 and session["gen"] == 16
    r = api.post(f"/v1/sessions/{sid}/generate")
    assert r.status == 409


def test_an_earlier_generations_design_put_again_is_named_as_such(api, ready):
    """Before: generation 1's file put again after generation 2 was designed listed every
    row as differing from the design; now one message names the file's generation."""
    sid = ready
    first = api.simulated(sid, api.generate(sid)["result"]["experiments"])
    assert api.put_experiments(sid, "designed", first)["status"] == "success"
    api.generate(sid)
    before = api.snapshot(sid)
    shuffled = {"columns": first["columns"], "rows": list(reversed(first["rows"]))}
    for table in (first, shuffled):
        errors = api.refused_experiments(sid, "designed", table)
        [error] = errors
        assert error["message"].startswith(
            "this is generation 1's design, already put; the current design is generation 2"
        )
    after = api.snapshot(sid)
    assert after["session"] == before["session"] and after["history"] == before["history"]
    assert after["generations"] == before["generations"]


def test_a_whole_number_near_a_level_is_refused_not_snapped(api):
    """Before: a Daptics table's cell of 2**53 + 1 for a numerical parameter whose level is
    2**53 (JSON int and Daptics' string cell alike) was stored as that level, unsaid,
    its precision lost through a float. It is refused as any value that is not a level is,
    by row and column, and nothing is stored."""
    wide = 2**53
    space = {
        "type": "factorial",
        "parameters": [
            {"name": "n", "type": "numerical", "values": [0, wide, 2]},
            {"name": "d", "type": "categorical", "values": ["x", "y"]},
        ],
    }
    sid = api.session()
    assert api.put_space(sid, space, 2, 0)["status"] == "success"
    before = api.snapshot(sid)
    for cell in (wide + 1, str(wide + 1), 2**62 + 1):
        table = {"colHeaders": ["d", "n", "Response"], "data": [["y", cell, 1.5]]}
        [error] = api.refused_experiments(sid, "initial", table)
        assert (error["row"], error["column"]) == (2, "n"), error
        assert (
            f"{cell if isinstance(cell, int) else repr(cell)} is not a level of 'n'"
            in (error["message"])
        ), error
    after = api.snapshot(sid)
    assert after["history"] == before["history"]
    assert after["generations"] == before["generations"]
    ok = {"colHeaders": ["d", "n", "Response"], "data": [["y", wide, 1.5], ["x", str(wide), 2]]}
    assert api.put_experiments(sid, "initial", ok)["status"] == "success"
    stored = api.get(f"/v1/sessions/{sid}/experiments?gen=0").body["table"]["rows"]
    assert stored == [[wide, "y", 1.5], [wide, "x", 2.0]]


def test_a_daptics_tables_colheaders_are_read_by_name_or_refused_naming_them(api, ready):
    """A Daptics table's ``colHeaders`` are read, not ignored: in another order than the
    space's parameters each cell goes to the parameter its header names; a header that
    names no parameter is refused naming it (a 422), nothing stored. Before, ``colHeaders``
    that were not a list of names were refused as "a table needs 'columns'", as if the key
    sent had not been read: the refusal names ``colHeaders`` (and ``data``) now."""
    reordered = {
        "colHeaders": ["Response", "d", "c", "b", "a"],
        "data": [["3.25", "y", "2.5", "3", "1"], [1.5, "w", 4.5, 0, 2]],
    }
    assert api.put_experiments(ready, "initial", reordered)["status"] == "success"
    stored = api.get(f"/v1/sessions/{ready}/experiments?gen=0").body["table"]
    assert stored == {
        "columns": ["a", "b", "c", "d", "Response"],
        "rows": [[1, 3, 2.5, "y", 3.25], [2, 0, 4.5, "w", 1.5]],
    }
    before = api.snapshot(ready)["history"]
    unknown = {
        "colHeaders": ["a", "b", "c", "d", "e", "Response"],
        "data": [[1, 3, 2.5, "y", 0, 1]],
    }
    errors = api.refused_experiments(ready, "initial", unknown)  # a 422, no task
    assert [(e["row"], e["column"]) for e in errors] == [(1, "e")], errors
    assert "column 'e' is not a parameter of the space" in errors[0]["message"]
    for bad, key in (
        ({"colHeaders": ["a", 2, "Response"], "data": []}, "colHeaders"),
        ({"colHeaders": "a,b,c,d,Response", "data": []}, "colHeaders"),
        ({"colHeaders": ["a", "b", "c", "d", "Response"], "data": "1,3,2.5,y,1"}, "data"),
    ):
        r = api.post(f"/v1/sessions/{ready}/experiments", {"type": "initial", "table": bad})
        assert r.status == 422, r
        assert f"'{key}' must be a list" in r.body["message"], r.body
        assert "'columns'" not in r.body["message"] and "'rows'" not in r.body["message"]
        assert [e["column"] for e in r.body["detail"]["errors"]] == [key], r.body
    assert api.snapshot(ready)["history"] == before


def test_a_design_sent_back_with_every_response_empty_is_taken_and_the_next_explores(api, ready):
    """Daptics' documents allow it: an experiments set's ``hasResponses`` is "True if any
    of the experiments in this set were submitted with responses", and a design is
    generated from "empty" initial experiments too. So a designed table sent back with
    every Response empty (a run whose experiments all failed) is taken, and the next
    design is new points of the space, none of the earlier
    design's, as generation 1 is from no data (see docs/daptics.md)."""
    sid = ready
    design = api.generate(sid)["result"]["experiments"]
    assert all(row[-1] is None for row in design["rows"])
    task = api.put_experiments(sid, "designed", design)
    assert task["status"] == "success", task
    gen1 = api.get(f"/v1/sessions/{sid}/experiments", gen=1).body
    assert gen1["validated"] and gen1["has_responses"] is False, gen1
    nxt = api.generate(sid)["result"]
    assert nxt["gen"] == 2 and len(nxt["experiments"]["rows"]) == POP * (REPS + 1), nxt
    assert not set(_rows(nxt["experiments"])) & set(_rows(design))

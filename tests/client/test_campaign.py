"""A Daptics-style campaign through the client: space, designs, results, analytics."""

from __future__ import annotations

import json
import os

import pytest

from sigopt_like import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    Recommendation,
    Space,
    SpaceError,
    SpaceTemplate,
    Table,
    TableError,
    Task,
    UnusablePathError,
    ValidationError,
)

SPACE = Space.from_dict(
    {
        "type": "factorial",
        "parameters": [
            {"name": "p1", "type": "numerical", "values": list(range(20))},
            {"name": "c", "type": "categorical", "values": list("abcdefgh")},
        ],
    }
)


@pytest.fixture
def session(conn):
    created = conn.sessions.create(name="campaign")
    node = conn.sessions(created.id)
    node.space.put(space=SPACE, population_size=10, replicates=1, wait=True)
    return node


def test_design_experiments_best_and_tasks(session, tmp_path):
    generated = session.generate(wait=True)
    design = generated.result.experiments
    assert isinstance(design, Table) and design.columns == ("p1", "c", "Response")
    assert session.design.fetch().to_dict() == design.to_dict()
    csv = tmp_path / "measured.csv"
    session.responses.simulate(design).to_csv(csv)
    done = session.experiments.put(type="designed", table=csv, wait=True)
    assert done.type == "update" and done.result.rows == len(design) and done.result.gen == 1
    stored = session.experiments.fetch(gen=1)
    assert len(stored) == len(design) and all(v is not None for v in stored.responses())
    best = session.best.fetch()
    assert isinstance(best, Recommendation) and set(best.experiment) >= {"p1", "c"}
    tasks = list(session.tasks.list())
    assert [t.type for t in tasks] == ["update", "generate", "space"]
    assert all(isinstance(t, Task) and t.succeeded for t in tasks)
    assert session.tasks(tasks[0].id).fetch().id == tasks[0].id
    assert session.tasks(tasks[0].id).wait().succeeded


def test_simulated_responses_default_to_the_current_design(session):
    """Daptics' simulate_experiment_responses(None): the current design, measured; an
    error while there is no design yet."""
    with pytest.raises(ConflictError, match="No design to simulate"):
        session.responses.simulate()
    design = session.generate(wait=True).result.experiments
    measured = session.responses.simulate()
    assert measured.columns == design.columns and len(measured) == len(design)
    assert [row[:-1] for row in measured.rows] == [row[:-1] for row in design.rows]
    assert measured.to_dict() == session.responses.simulate(design).to_dict()
    assert all(isinstance(y, float) for y in measured.responses())


def test_a_mixture_component_of_fixed_units_is_designed_around(conn):
    """Seed 000 asks a mixture row for a minimum (0 or more) and a maximum (1 or more, at
    most totalUnits), not minimum < maximum: a component always at 3 units (a buffer) is a
    space, and every design keeps it at 3."""
    space = Space.from_csv(
        "buffer,unit,3,3\nsalt,unit,0,10\nacid,unit,1,10\nbase,unit,0,5\n",
        type="mixture",
        total_units=12,
    )
    created = conn.sessions.create(name="buffered")
    node = conn.sessions(created.id)
    assert node.space.put(space=space, population_size=6, replicates=1, wait=True).succeeded
    for gen in (1, 2):
        design = node.generate(wait=True).result.experiments
        assert len(design) == 12 and {row[0] for row in design.rows} == {3}
        assert all(sum(row[:4]) == 12 for row in design.rows)
        done = node.experiments.put(
            type="designed", table=node.responses.simulate(design), wait=True
        )
        assert done.result.gen == gen
    assert node.best.fetch().experiment["buffer"] == 3


def test_one_analytics_file_downloads_by_file_name_or_url(session, tmp_path):
    """Daptics' download_analytics_file(url, fname): one file, not the whole set."""
    design = session.generate(wait=True).result.experiments
    session.experiments.put(type="designed", table=session.responses.simulate(design), wait=True)
    session.analytics.create(wait=True)
    files = {f.name: f for f in session.analytics.files()}
    pdf = files["responses_by_generation.pdf"]
    by_file = session.analytics.download_file(pdf, tmp_path / "plot.pdf")
    assert by_file == tmp_path / "plot.pdf" and by_file.read_bytes().startswith(b"%PDF")
    assert by_file.stat().st_size == pdf.size
    folder = tmp_path / "plots"
    folder.mkdir()
    by_url = session.analytics.download_file(files["summary.csv"].url, folder)
    assert by_url == folder / "summary.csv" and by_url.stat().st_size == files["summary.csv"].size
    by_name = session.analytics.download_file("summary.csv", tmp_path / "s.csv")
    assert by_name.read_bytes() == by_url.read_bytes()
    with pytest.raises(ValueError, match="not the URL of an analytics file"):
        session.analytics.download_file("/v1/sessions/999/analytics/files/summary.csv")
    # before: the Arabic-Indic one was read as 1 and generation 1's file downloaded, a
    # superscript two was a bare ValueError from int(), and "abc" got the latest file
    plain = files["summary.csv"].url.split("?")[0]
    tips = {"\u0661": " (write it in ASCII digits: 1)", "\u00b2": "", "abc": "", "": ""}
    for written, tip in tips.items():
        with pytest.raises(BadRequestError) as refused:
            session.analytics.download_file(f"{plain}?gen={written}", tmp_path / "o.csv")
        assert "The query parameter 'gen' must be a whole number" in refused.value.message
        assert refused.value.message.endswith(
            f"not {json.dumps(written, ensure_ascii=False)}{tip}."
        )
    assert not (tmp_path / "o.csv").exists()
    with pytest.raises(NotFoundError):
        session.analytics.download_file("nothing.pdf", tmp_path / "n.pdf")
    assert not (tmp_path / "n.pdf").exists()


def test_a_path_no_file_can_have_is_a_typed_error_naming_it(session, tmp_path):
    """Before: Python's ValueError "embedded null byte" (a UnicodeEncodeError for a lone
    surrogate), naming no path, from Space.from_csv, to_csv and the downloads; now the
    library's UnusablePathError (an OSError, and a ValueError as before) naming the path."""
    design = session.generate(wait=True).result.experiments
    session.experiments.put(type="designed", table=session.responses.simulate(design), wait=True)
    session.analytics.create(wait=True)
    before = sorted(tmp_path.iterdir())
    nul, lone = str(tmp_path / "sp\x00ace.csv"), str(tmp_path / "sp\ud800ace.csv")
    calls = {
        "Space.from_csv": lambda path: Space.from_csv(path),
        "Space.to_csv": lambda path: SPACE.to_csv(path),
        "Table.to_csv": lambda path: design.to_csv(path),
        "analytics.download": lambda path: session.analytics.download(path),
        "analytics.download_file": lambda path: session.analytics.download_file(
            "summary.csv", path
        ),
        "history.csv": lambda path: session.history.csv(path),
    }
    for name, call in calls.items():
        for path, what in ((nul, "a NUL character (U+0000)"), (lone, "a lone UTF-16 surrogate")):
            with pytest.raises(UnusablePathError) as caught:
                call(path)
            shown = str(caught.value)
            assert shown.startswith(f"the path {path!r}"[:-1]), (name, shown)  # a folder's: +file
            assert what in shown, (name, shown)
            assert isinstance(caught.value, (OSError, ValueError))
            assert caught.value.filename.startswith(str(tmp_path)), name
    assert sorted(tmp_path.iterdir()) == before


def test_text_too_long_for_a_file_name_is_a_typed_error_quoting_it_short(session, tmp_path):
    """Before: a megabyte of text given as a table (a str with no comma is a file's path)
    was Python's OSError "[Errno 36] File name too long" with the megabyte in its message,
    from experiments.put, Table.from_csv, Space.from_csv and to_csv alike."""
    design = session.generate(wait=True).result.experiments
    before = (session.history.fetch(), session.fetch().gen, len(list(session.tasks.list())))
    text = "x" * 1_000_000
    out = tmp_path / "out"
    out.mkdir()
    calls = {
        "experiments.put": lambda: session.experiments.put(type="designed", table=text),
        "responses.simulate": lambda: session.responses.simulate(text),
        "Table.from_csv": lambda: Table.from_csv(text),
        "Space.from_csv": lambda: Space.from_csv(text),
        "Table.to_csv": lambda: design.to_csv(out / ("y" * 256) / "design.csv"),
    }
    for name, call in calls.items():
        with pytest.raises(UnusablePathError) as caught:
            call()
        shown = str(caught.value)
        assert len(shown) < 600, (name, len(shown))
        assert "bytes between its slashes (file systems take at most 255)" in shown, shown
        assert isinstance(caught.value, OSError), name
    # short names, a path past 4,095 bytes (dates, one line): each name fits, the whole
    # does not; and a backslash is a letter of a name here, not a separator
    dates = " ".join(f"2024/{m:02d}/{d:02d}" for m in range(1, 13) for d in range(1, 29))
    for text, said in (
        (dates * 300, "bytes in all (file systems take at most 4,095)"),
        ("x/" * 3000, "bytes in all (file systems take at most 4,095)"),
        ("a" * 200 + "\\" + "b" * 100, "a name of 301 bytes between its slashes"),
    ):
        for name, call in (
            ("experiments.put", lambda t: session.experiments.put(type="designed", table=t)),
            ("Table.from_csv", Table.from_csv),
            ("Space.from_csv", Space.from_csv),
        ):
            with pytest.raises(UnusablePathError) as caught:
                call(text)
            assert said in str(caught.value) and len(str(caught.value)) < 600, (name, caught)
    # at the bound: 4,096 bytes is one past what Linux takes (its PATH_MAX counts the NUL)
    edge = ("2024/01/02 " * 400)[:4096]
    with pytest.raises(UnusablePathError, match="4,096 bytes in all"):
        Table.from_csv(edge)
    with pytest.raises(FileNotFoundError):  # 4,095: a path, of no file
        Table.from_csv(edge[:4095])
    after = (session.history.fetch(), session.fetch().gen, len(list(session.tasks.list())))
    assert after == before and list(out.iterdir()) == []
    # a name of 255 bytes is a name
    design.to_csv(out / ("é" * 127 + "y"))
    assert Table.from_csv(out / ("é" * 127 + "y")) == design


def test_downloading_into_a_file_names_the_file_before_anything_is_fetched(session, tmp_path):
    """Before: NotADirectoryError "Not a directory: 'notes.txt/responses_by_generation.png'",
    a path the caller never gave, raised after every file had been fetched."""
    design = session.generate(wait=True).result.experiments
    session.experiments.put(type="designed", table=session.responses.simulate(design), wait=True)
    session.analytics.create(wait=True)
    notes = tmp_path / "notes.txt"
    notes.write_text("mine\n")
    before = sorted(tmp_path.iterdir())
    for directory in (notes, notes / "plots"):
        with pytest.raises(NotADirectoryError) as caught:
            session.analytics.download(directory)
        assert caught.value.filename == str(notes), caught.value
        assert "a file, not a folder: name a folder to download" in str(caught.value)
    assert notes.read_text() == "mine\n" and sorted(tmp_path.iterdir()) == before
    assert [p.name for p in session.analytics.download(tmp_path / "plots")]  # a folder: fine


def test_auto_export_writes_the_pdf_analytics_files_as_daptics_does(session, tmp_path):
    """Daptics' auto_export_path: "the set of all available PDF analytics files for the
    generation will be downloaded", named auto_genN_. Before, the PNG images and the CSV
    summaries were written there too; they stay one call away (analytics.download)."""
    design = session.generate(wait=True).result.experiments
    session.experiments.put(type="designed", table=session.responses.simulate(design), wait=True)
    out = tmp_path / "auto"
    task = session.analytics.create(wait=True, export_dir=out)
    listed = {f.name: f.content_type for f in task.result.files}
    pdfs = {name for name, kind in listed.items() if kind == "application/pdf"}
    assert pdfs and len(pdfs) < len(listed)  # the generation has other files too
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(f"auto_gen1_{name}" for name in pdfs)
    assert all((out / name).read_bytes().startswith(b"%PDF") for name in written)
    everything = session.analytics.download(tmp_path / "all")
    assert sorted(p.name for p in everything) == sorted(listed)


def test_daptics_type_names_are_taken_in_any_case(session):
    """DapticsTaskType.GENERATE and DapticsExperimentsType names, as a Daptics script
    spells them (upper case), filter tasks and type experiments like ours."""
    template = session.space.fetch().experiments_template()
    for kind in ("Initial", "initial_extras_only", "INITIAL"):
        assert session.experiments.put(type=kind, table=template, wait=True).succeeded
    design = session.generate(wait=True).result.experiments
    measured = session.responses.simulate(design)
    done = session.experiments.put(type="designed_with_optional_extras", table=measured, wait=True)
    assert done.result.gen == 1
    assert [t.type for t in session.tasks.list(type="GENERATE")] == ["generate"]
    assert len(list(session.tasks.list(type="Update", status="SUCCESS"))) == 4
    with pytest.raises(ValidationError, match='Unknown experiments type "measured"'):
        session.experiments.put(type="measured", table=measured)


def test_a_space_type_is_taken_in_any_case_as_its_rows_types_are(conn):
    """'Factorial' / 'MIXTURE' (the row types 'Numerical', 'Unit' already were): a
    Daptics params dict typed by hand was refused as an unknown space type."""
    for space, size in (
        ({"type": "Factorial", "table": {"data": [["a", "Numerical", "1", "2", "3"]]}}, 3),
        (
            {
                "type": "MIXTURE",
                "totalUnits": 4,
                "table": {"data": [["x", "unit", "0", "4"], ["y", "Unit", "0", "4"]]},
            },
            5,
        ),
    ):
        node = conn.sessions(conn.sessions.create(name=space["type"]).id)
        task = node.space.put(space=space, population_size=1, replicates=0, wait=True)
        assert task.succeeded and node.space.fetch().type == space["type"].lower()
        assert node.space.fetch().size() == size


def test_designed_rows_may_come_back_sorted(session):
    """Seed 000 asks the designed rows to match the design exactly, not to keep its order:
    a spreadsheet sorted before the lab ran it was refused ('8 of the 10 designed rows
    differ'). Each response stays with its experiment; a row not of the design still fails."""
    design = session.generate(wait=True).result.experiments
    measured = session.responses.simulate(design)
    response_of = {tuple(row[:-1]): row[-1] for row in measured.rows}
    rows = sorted(measured.rows, key=lambda row: (row[1], -row[0]))
    assert [r[:-1] for r in rows] != [r[:-1] for r in design.rows]
    designed = {tuple(row[:-1]) for row in design.rows}
    outside = next((p, c) for p in range(19, -1, -1) for c in "hgfedcba" if (p, c) not in designed)
    wrong = Table(columns=measured.columns, rows=[(*outside, 1.0), *rows[1:]])
    before = session.history.fetch().to_dict()
    with pytest.raises(ValidationError, match="differs from generation 1's design"):
        session.experiments.put(type="designed", table=wrong, wait=True)
    assert session.history.fetch().to_dict() == before
    assert [t.type for t in session.tasks.list()] == ["generate", "space"]  # none started
    extra = (0, "a", 0.5)
    table = Table(columns=measured.columns, rows=[*rows, extra])
    done = session.experiments.put(type="designed", table=table, wait=True)
    assert done.result.rows == len(design) + 1
    stored = session.experiments.fetch(gen=1)
    assert [r[:-1] for r in stored.rows[: len(design)]] == [r[:-1] for r in design.rows]
    assert all(r[-1] == response_of[tuple(r[:-1])] for r in stored.rows[: len(design)])
    assert tuple(stored.rows[-1]) == extra
    blanked = Table(columns=measured.columns, rows=[(*rows[0][:-1], None), *rows[1:], extra])
    before = session.history.fetch().to_dict()
    with pytest.raises(ValidationError, match="row 2, column Response: empty"):
        session.experiments.put(type="designed", table=blanked, wait=True)
    assert session.history.fetch().to_dict() == before


def test_a_sorted_sheet_with_one_wrong_row_names_that_row(session, tmp_path):
    """Before: a sheet sorted before the lab ran it, then with one row deleted, typed
    twice or changed, was told "19 of the 20 designed rows differ from generation 1's
    design: is this that design's file?" and a line per row (each compared with the
    design's row at its place); now the one wrong row and the experiment without its row."""
    design = session.generate(wait=True).result.experiments
    measured = session.responses.simulate(design)
    rows = sorted(measured.rows, key=lambda row: (row[1], -row[0]))
    assert [r[:-1] for r in rows] != [r[:-1] for r in design.rows]
    sheet = tmp_path / "measured.csv"

    def refused(sent):
        Table(columns=measured.columns, rows=sent).to_csv(sheet)
        with pytest.raises(ValidationError) as caught:
            session.experiments.put(type="designed", table=Table.from_csv(sheet), wait=True)
        assert session.history.fetch().to_dict() == before
        return [e["message"] for e in caught.value.errors]

    def said(row):
        return ", ".join(f"{n}={v}" for n, v in zip(("p1", "c"), row[:2], strict=True))

    before = session.history.fetch().to_dict()
    assert refused([*rows[:5], *rows[6:]]) == [
        "the table has 19 rows but the design of generation 1 has 20: give every designed "
        "row first (in any order), then any extra rows",
        f"generation 1's design has {said(rows[5])} 2 times, the table once: add the missing "
        "row with its response",
    ]
    assert refused([*rows[:6], rows[5], *rows[6:]]) == [
        f"row 8: {said(rows[5])} is in generation 1's design 2 times, and this row is one "
        "more of it among the first 20 rows (the designed rows): delete it, or move it below "
        "the designed rows as an extra experiment",
        f"generation 1's design has {said(rows[-1])} 2 times, the table's designed rows (the "
        f"first 20) once; it is at row 22, below the designed rows: move it among the first "
        "20 rows",
    ]
    designed = {tuple(r[:2]) for r in rows}
    level = next(c for c in "abcdefgh" if (rows[5][0], c) not in designed)
    changed = (rows[5][0], level, rows[5][2])  # a level, but no experiment of the design
    assert refused([*rows[:5], changed, *rows[6:]]) == [
        f"row 7, column c: {changed[1]!r} differs from generation 1's design, which has no "
        f"experiment {said(changed)}; the design's {said(rows[5])} has no row: was this row "
        "changed? Designed rows must be the design's rows exactly (in any order)"
    ]
    assert [t.type for t in session.tasks.list()] == ["generate", "space"]  # none started


def test_a_sorted_sheet_with_an_extra_row_among_the_designed_rows_says_where_each_is(
    session, tmp_path
):
    """Before: a whole sheet sorted with one extra experiment that sorted in among the
    designed rows (pushing a design experiment to row 22) was told "row 2, column p1: ...
    the design's p1=9, c=a has no row: was this row changed?", though that experiment is
    at row 22. Now row 2 is named as no experiment of the design, to go below the designed
    rows, and the pushed experiment as at row 22, to go among the first 20."""
    design = session.generate(wait=True).result.experiments
    measured = session.responses.simulate(design)
    designed = {tuple(r[:2]) for r in measured.rows}
    extra = next((p, c) for p in range(20) for c in "abcdefgh" if (p, c) not in designed)
    rows = sorted([*measured.rows, (*extra, 1.5)], key=lambda row: (row[0], row[1]))
    n = len(design.rows)
    line = rows.index((*extra, 1.5)) + 2
    assert line < n + 2  # among the designed rows: a design experiment is pushed below
    pushed = rows[n][:2]
    sheet = tmp_path / "measured.csv"
    Table(columns=measured.columns, rows=rows).to_csv(sheet)
    before = session.history.fetch().to_dict()
    with pytest.raises(ValidationError) as caught:
        session.experiments.put(type="designed", table=Table.from_csv(sheet), wait=True)
    assert session.history.fetch().to_dict() == before
    said = [e["message"] for e in caught.value.errors]
    assert said[0] == (
        f"row {line}: p1={extra[0]}, c={extra[1]} is no experiment of generation 1's design: "
        f"it belongs below the designed rows (the first {n}) as an extra experiment, or "
        "delete it"
    ), said
    assert len(said) == 2, said
    assert said[1].startswith(f"generation 1's design has p1={pushed[0]}, c={pushed[1]} "), said
    assert said[1].endswith(
        f"; it is at row {n + 2}, below the designed rows: move it among the first {n} rows"
    ), said
    assert not any("has no row" in s for s in said), said
    assert [t.type for t in session.tasks.list()] == ["generate", "space"]  # none started


@pytest.mark.parametrize(
    ("bounds", "said"),
    [
        ({"a": (0, 12), "b": (0, 10)}, "column D (Max): maximum 12 of 'a' is above total_units 10"),
        ({"a": (5, 3), "b": (0, 10)}, "column D (Max): 'a' has minimum 5 and maximum 3"),
    ],
)  # fmt: skip
def test_a_space_dict_breaking_a_rule_is_refused_at_once(conn, bounds, said):
    """Before: a space sent as a dict whose mixture maximum was above the total, or a
    minimum above a maximum, started a task that failed (TaskFailedError), while the same
    space as a file was refused at once. Now a 422 (ValidationError) in the file's words,
    no task started, nothing stored."""
    rows = [[name, "unit", low, high] for name, (low, high) in bounds.items()]
    space = {"type": "mixture", "totalUnits": 10, "table": {"data": rows}}
    text = "".join(f"{name},unit,{low},{high}\n" for name, (low, high) in bounds.items())
    with pytest.raises(SpaceError) as from_file:
        Space.from_csv(text, "mixture", 10)
    sid = conn.sessions.create(name="blend").id
    node = conn.sessions(sid)
    with pytest.raises(ValidationError) as refused:
        node.space.put(space=space, population_size=1, replicates=0, wait=True)
    assert refused.value.status == 422 and said in str(refused.value)
    assert said in from_file.value.problems[0].message
    assert list(node.tasks.list()) == []
    with pytest.raises(NotFoundError):
        node.space.fetch()
    with pytest.raises(ValidationError) as refused:
        node.simulate(ngens=1, space=space, population_size=1, replicates=0)
    assert said in str(refused.value)
    assert list(node.tasks.list()) == []


def test_a_float_nan_response_is_sent_as_not_measured(session):
    """Before: a float NaN in the Response column (a DataFrame's or a list of dicts'
    missing number) was refused before sending as "the field 'table.rows.0.2' is nan,
    which JSON cannot carry", and C's "-nan" text as "not a finite number"; both mean
    not measured, as NA does. In a parameter column NaN stays refused, by row and column."""
    pandas = pytest.importorskip("pandas")
    design = session.generate(wait=True).result.experiments
    measured = session.responses.simulate(design)
    rows = measured.records()
    rows[0]["Response"] = float("nan")
    rows[1]["Response"] = "-nan"
    rows[2]["Response"] = " -NaN "
    wrong = [dict(row) for row in rows]
    wrong[3]["p1"] = float("nan")
    before = session.history.fetch().to_dict()
    with pytest.raises(TableError) as refused:
        session.experiments.put(type="designed", table=wrong, wait=True)
    assert [(p.row, p.column) for p in refused.value.problems] == [(5, "p1")]
    assert "NaN means not measured only in the Response column" in str(refused.value)
    infinite = [dict(row) for row in rows]
    infinite[3]["Response"] = float("inf")
    with pytest.raises(TableError, match="row 5, column Response: response inf is not a finite"):
        session.experiments.put(type="designed", table=infinite, wait=True)
    assert session.history.fetch().to_dict() == before

    for table in (rows, pandas.DataFrame(rows)):
        done = session.experiments.put(type="designed", table=table, wait=True)
        assert done.succeeded
        stored = session.experiments.fetch(gen=1).responses()
        assert stored[:3] == (None, None, None)
        assert stored[3:] == measured.responses()[3:]


def test_nan_as_windows_lab_software_writes_it_is_a_response_not_measured(conn, session, tmp_path):
    """Before: MSVC's printf spellings of NaN (``-nan(ind)``, ``nan(snan)``; older:
    ``-1.#IND00``, ``1.#QNAN``), which Windows lab software writes, were refused in the
    Response column as "response '-nan(ind)' is not a number", though ``nan`` and
    ``-nan`` read as not measured. In a parameter column they stay refused, by row and
    column, with a word on where NaN means not measured."""
    design = session.generate(wait=True).result.experiments
    measured = session.responses.simulate(design)
    spellings = ["-nan(ind)", "NAN(IND)", "nan(snan)", "-1.#IND00", "1.#QNAN"]
    rows = [list(row) for row in measured.rows]
    for row, text in zip(rows, spellings, strict=False):
        row[-1] = text
    lines = [",".join(measured.columns)] + [",".join(map(str, row)) for row in rows]
    path = tmp_path / "lab.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    before = session.history.fetch().to_dict()

    wrong = tmp_path / "wrong.csv"
    wrong_lines = list(lines)  # the third experiment (file row 4) with NaN as its p1
    wrong_lines[3] = ",".join(["-nan(ind)", *map(str, rows[2][1:])])
    wrong.write_text("\r\n".join(wrong_lines) + "\r\n")
    with pytest.raises(ValidationError) as refused:  # a 422 when sent: no task
        session.experiments.put(type="designed", table=wrong, wait=True)
    assert [(e["row"], e["column"]) for e in refused.value.errors] == [(4, "p1")]
    assert "'-nan(ind)' is not a number ('p1' is numerical); NaN means not measured only in " in (
        str(refused.value)
    )
    assert session.history.fetch().to_dict() == before

    assert session.experiments.put(type="designed", table=path, wait=True).succeeded
    stored = session.experiments.fetch(gen=1).responses()
    assert stored[:5] == (None,) * 5
    assert stored[5:] == measured.responses()[5:]
    # the service reads them so too, in JSON sent as it is (no client table in between)
    raw = {"columns": list(measured.columns), "rows": [list(row) for row in rows]}
    sid = session.fetch().id
    body = {"type": "designed", "table": raw, "replace": True}
    task = conn.transport.request_json("POST", f"/v1/sessions/{sid}/experiments", json=body)
    assert session.tasks(task["id"]).wait().succeeded
    assert session.experiments.fetch(gen=1).responses() == stored


def test_csv_text_is_a_table_and_an_empty_one_says_so(session):
    """Before: CSV text passed as ``table=`` was taken for a file's name ("No such file or
    directory: 'p1,c,Response\\n...'"), though ``Table.from_csv`` reads text; and an empty
    list of dicts was refused as "found " with nothing after it."""
    before = session.history.fetch().to_dict()
    with pytest.raises(ValidationError, match=r"found no column names \(an empty table\)"):
        session.experiments.put(type="initial", table=[], wait=True)
    assert session.history.fetch().to_dict() == before
    text = "p1,c,Response\r\n3,a,1.5\r\n4,b,2.5\r\n"
    assert session.experiments.put(type="initial", table=text, wait=True).succeeded
    assert session.experiments.fetch(gen=0).rows == ((3, "a", 1.5), (4, "b", 2.5))


def test_cells_no_table_holds_are_named_by_row_and_column_before_sending(session):
    """Before: a NUL or a lone surrogate in a cell came back from the service as "the
    field 'table.rows[0][1]' contains ...", a JSON path; a cell nested 5,000 lists deep
    was a RecursionError; a count of 2**70 was refused in the door's words (then taken as
    the float equal to it, which came back in another form: now refused by row and column,
    test_a_response_past_2_53_comes_back_as_sent_or_is_refused; as a float it is taken)."""
    design = session.generate(wait=True).result.experiments
    measured = session.responses.simulate(design)
    before = session.history.fetch().to_dict()
    deep = "a"
    for _ in range(5000):
        deep = [deep]
    for column, value, words in (
        ("c", "a\x00", "NUL character"),
        ("c", "a\ud800", "lone UTF-16 surrogate"),
        ("c", deep, "the cell holds a list"),
    ):
        rows = measured.records()
        rows[2][column] = value
        with pytest.raises(TableError) as refused:
            session.experiments.put(type="designed", table=rows, wait=True)
        assert [(p.row, p.column) for p in refused.value.problems] == [(4, column)]
        assert words in str(refused.value)
    assert session.history.fetch().to_dict() == before
    rows = measured.records()
    rows[0]["Response"] = 2**70  # sent as its digits; the service's rule refuses it
    with pytest.raises(ValidationError, match=f"row 2, column Response: {2**70} cannot be a "):
        session.experiments.put(type="designed", table=rows, wait=True)
    rows[0]["Response"] = float(2**70)
    assert session.experiments.put(type="designed", table=rows, wait=True).succeeded
    assert session.experiments.fetch(gen=1).responses()[0] == float(2**70)


def test_space_text_no_space_stores_is_named_by_parameter_and_level_before_sending(session):
    """Before: a NUL or a lone surrogate in a parameter's name or level of a space given as
    a dict was sent, and came back from the service's door as "The field
    'space.parameters[1].values[0]' contains a NUL character", a JSON path no space file
    shows. Now the client names it by parameter and level and sends nothing."""

    def space(name: str = "temp", level: object = "x") -> dict:
        return {
            "type": "factorial",
            "parameters": [
                {"name": "a", "type": "numerical", "values": [0, 1]},
                {"name": name, "type": "categorical", "values": [level, "y"]},
            ],
        }

    daptics = {
        "type": "factorial",
        "table": {
            "colHeaders": [],
            "data": [["a", "numerical", 0, 1], ["b\x00", "numerical", 0, 1]],
        },
    }
    unchecked = Space.from_dict(space(level="x\udfff"), validate=False)
    before = (session.space.fetch().to_dict(), [t.id for t in session.tasks.list()])
    for sent, place, words in (
        (space(name="te\x00mp"), (2, "Name"), "parameter 2: the name holds a NUL character"),
        (
            space(level="x\udfff"),
            (2, "Value.1"),
            "parameter 2 ('temp'), level 1: the level holds "
            "a lone UTF-16 surrogate (\\udfff at character 1), which is not text; type it again",
        ),
        (unchecked, (2, "Value.1"), "parameter 2 ('temp'), level 1: the level holds a lone"),
        (
            daptics,
            (2, "Name"),
            "parameter 2: the name holds a NUL character (U+0000), which no "
            "space stores; type it again without it",
        ),
        (  # before: the door's 400 "beyond the integers this service stores", as if a
            # name were a whole-number field, where the name 5 is "a parameter name is text"
            space(name=2**70),
            (2, "Name"),
            "parameter 2: a parameter name is text (a JSON string), not 1180591620717411303424",
        ),
        (  # before: sent, and the service's "row 2: ... not True", Python's word
            space(name=True),  # type: ignore[arg-type]
            (2, "Name"),
            "parameter 2: a parameter name is text (a JSON string), not true",
        ),
        (
            space(level=2**70),
            (2, "Value.1"),
            "parameter 2 ('temp'), level 1: "
            "1180591620717411303424 is beyond the integers a space stores",
        ),
        (  # before: "The field 'space.parameters.1.values.0' is nan, which JSON cannot carry"
            space(level=float("nan")),
            (2, "Value.1"),
            "parameter 2 ('temp'), level 1: the level is NaN (not a number), which no space "
            "holds; give a number",
        ),
    ):
        for route in ("space.put", "simulate"):
            with pytest.raises(SpaceError) as refused:
                if route == "space.put":
                    session.space.put(space=sent, population_size=4, replicates=0, wait=True)
                else:
                    session.simulate(ngens=1, space=sent, population_size=4, replicates=0)
            assert [(p.row, p.column) for p in refused.value.problems] == [place]
            assert str(refused.value).startswith(f"invalid space: {words}")
    assert (session.space.fetch().to_dict(), [t.id for t in session.tasks.list()]) == before


def test_a_daptics_spaces_header_or_total_units_no_space_stores_is_refused_before_sending(
    session,
):
    """Before: sent, and refused by the service's door by JSON path alone (a 400, "The
    field 'space.table.colHeaders[2]' contains a NUL character"), where the space's
    other values are a SpaceError before anything is sent."""
    rows = [["a", "unit", 0, 10], ["b", "unit", 0, 10]]
    headers = ["Name", "Type", "Min", "Max"]
    before = (session.space.fetch().to_dict(), [t.id for t in session.tasks.list()])
    for sent, place, words in (
        (
            {
                "type": "mixture",
                "totalUnits": "1\x00",
                "table": {"colHeaders": headers, "data": rows},
            },
            (None, "totalUnits"),
            "the total units ('totalUnits') holds a NUL character (U+0000)",
        ),
        (
            {
                "type": "mixture",
                "totalUnits": 10,
                "table": {"colHeaders": [*headers[:3], "Max\udc80"], "data": rows},
            },
            (None, "Max"),
            "the header of column Max (colHeaders[3]) holds a lone UTF-16 surrogate",
        ),
    ):
        with pytest.raises(SpaceError) as refused:
            session.space.put(space=sent, population_size=4, replicates=0, wait=True)
        assert [(p.row, p.column) for p in refused.value.problems] == [place]
        assert str(refused.value).startswith(f"invalid space: {words}")
    assert (session.space.fetch().to_dict(), [t.id for t in session.tasks.list()]) == before


def test_space_from_dict_names_total_units_no_space_stores_as_space_put_does(session):
    """Before: ``Space.from_dict`` said "total_units must be a positive whole number, not
    '1\\x00'" of a text total holding a NUL, where ``space.put`` of the same dict named the
    NUL ("the total units ('totalUnits') holds a NUL character ..."). Both say the same."""
    rows = [["a", "unit", 0, 10], ["b", "unit", 0, 10]]
    for key, total in (
        ("totalUnits", "1\x00"),
        ("total_units", "1\x00"),
        ("totalUnits", "1\ud800"),
    ):
        sent = {
            "type": "mixture",
            key: total,
            "table": {"colHeaders": ["Name", "Type", "Min", "Max"], "data": rows},
        }
        with pytest.raises(SpaceError) as put:
            session.space.put(space=sent, population_size=4, replicates=0, wait=True)
        with pytest.raises(SpaceError) as read:
            Space.from_dict(sent)
        said = [(p.message, p.column) for p in put.value.problems]
        assert [(p.message, p.column) for p in read.value.problems] == said, key
        assert said[0][0].startswith(f"the total units ('{key}') holds a "), said


class _ReprRaises:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def test_a_space_json_cannot_carry_is_a_space_error_before_sending(session):
    """Before: a level of 5,001 digits was an uncaught ValueError from ``space.put``; a
    Daptics Name cell ``[10**5000]`` or ``[inf]`` a RequestEncodingError from the
    transport ("cannot be sent as JSON"); a name whose repr raises, that error. Each is
    now a SpaceError naming its cell, nothing stored."""
    before = (session.space.fetch().to_dict(), [t.id for t in session.tasks.list()])
    beyond = "the number is beyond the numbers a space holds (about +-1.8e308)"
    cases = [
        (
            {"parameters": [{"name": "a", "type": "numerical", "values": [0, 10**5000]}]},
            f"parameter 1 ('a'), level 2: {beyond}",
        ),
        (
            {"table": {"data": [["a", "numerical", 0, 10**5000]]}},
            f"parameter 1 ('a'), level 2: {beyond}",
        ),
        (
            {"table": {"data": [[[10**5000], "numerical", 0, 1]]}},
            "row 1, column A (Name): a list holding 10000000000000000000... (a number of "
            "5,001 digits); a space's cells are text or numbers",
        ),
        (
            {"table": {"data": [[[float("inf")], "numerical", 0, 1]]}},
            "row 1, column A (Name): a list holding a number beyond a float's range "
            "(about +-1.8e308; JSON's 1e400); a space's cells are text or numbers",
        ),
        (
            {"parameters": [{"name": "a", "type": "numerical", "values": [0, [float("inf")]]}]},
            "parameter 1 ('a'), level 2: a list holding a number beyond a float's range "
            "(about +-1.8e308; JSON's 1e400); a space's cells are text or numbers",
        ),
        (
            {"parameters": [{"name": _ReprRaises(), "type": "numerical", "values": [0, 1]}]},
            "parameter 1: a parameter name is text (a JSON string), "
            "not a _ReprRaises object, which is not JSON data",
        ),
    ]
    for part, said in cases:
        space = {"type": "factorial", **part}
        with pytest.raises(SpaceError) as put:
            session.space.put(space=space, population_size=4, replicates=0, wait=True)
        assert [p.message for p in put.value.problems] == [said]
    assert (session.space.fetch().to_dict(), [t.id for t in session.tasks.list()]) == before


def test_a_whole_level_a_float_cannot_hold_is_refused_not_rounded(session):
    """A level 9007199254740993 (2**53 + 1) in a space given as a dict was taken as
    9007199254740992 by the service (a space's numbers are floats): now a 422 naming the
    parameter and level, and what it would become, nothing stored."""
    before = (session.space.fetch().to_dict(), [t.id for t in session.tasks.list()])
    space = {
        "type": "factorial",
        "parameters": [
            {"name": "a", "type": "numerical", "values": [0, 1]},
            {"name": "big", "type": "numerical", "values": [0, 2**53 + 1]},
        ],
    }
    with pytest.raises(ValidationError) as refused:
        session.space.put(space=space, population_size=4, replicates=0, wait=True)
    message = str(refused.value)
    assert "9007199254740993 cannot be a level exactly" in message, message
    assert "would become 9007199254740992" in message, message
    assert (session.space.fetch().to_dict(), [t.id for t in session.tasks.list()]) == before


def test_a_tables_wide_integers_are_refused_by_their_cell_not_rounded(conn, tmp_path):
    """A DataFrame's uint64 2**63 + 5 was sent as the float 2**63 (a value no one typed),
    and a response 9007199254740993 (2**53 + 1, an object column's int) was stored as
    9007199254740992. The first, which no JSON body may hold, is refused by its row and
    column before anything is sent; the second is sent, and refused by the service (a
    422, no task), the one judge of a response; each in the words the service uses for
    the same cell sent as plain JSON."""
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    sid = conn.sessions.create(name="wide").id
    session = conn.sessions(sid)
    session.space.put(space=SPACE, population_size=10, replicates=1, wait=True)
    before = session.history.fetch().to_dict()
    wide = pd.DataFrame(
        {"p1": np.array([1, 2**63 + 5], dtype=np.uint64), "c": ["a", "b"], "Response": [1.0, 2.0]}
    )
    odd = pd.DataFrame(
        {"p1": [1, 2], "c": ["a", "b"], "Response": pd.Series([1, 2**53 + 1], dtype=object)}
    )
    beyond = (
        "9223372036854775813 is beyond the integers a table stores (-9223372036854775808 to "
        "9223372036854775807); write it as a decimal: 9.223372036854776e+18"
    )
    inexact = (
        "9007199254740993 cannot be a response exactly: responses are floats, which hold every "
        "whole number only up to 9007199254740992, and this one would become "
        "9007199254740992; write 9007199254740992 if that is what you mean"
    )
    with pytest.raises(TableError) as refused:
        session.experiments.put(type="initial", table=wide, wait=True)
    assert [(p.row, p.column) for p in refused.value.problems] == [(3, "p1")]
    assert refused.value.problems[0].message == f"row 3, column p1: {beyond}"
    with pytest.raises(ValidationError) as judged:
        session.experiments.put(type="initial", table=odd, wait=True)
    assert [(e["row"], e["column"]) for e in judged.value.errors] == [(3, "Response")]
    assert judged.value.errors[0]["message"] == f"row 3, column Response: {inexact}"
    for frame, place, words in ((wide, (3, "p1"), beyond), (odd, (3, "Response"), inexact)):
        # the same cell sent as plain JSON: the service's own refusal, in the same words,
        # at once (before, the response past 2**53 was accepted, and its task failed)
        row = [[1, "a", 1.0], [int(frame["p1"][1]), "b", frame["Response"][1]]]
        body = {"type": "initial", "table": {"columns": ["p1", "c", "Response"], "rows": row}}
        with pytest.raises(ValidationError) as said:
            conn.transport.request_json("POST", f"/v1/sessions/{sid}/experiments", json=body)
        assert f"row {place[0]}, column {place[1]}: {words}" in str(said.value), said.value
    # a CSV file's response past 64 bits was read as the float next to it, and sent so
    typed = tmp_path / "measured.csv"
    typed.write_text(f"p1,c,Response\n1,a,2\n2,b,{2**70 + 1}\n")
    with pytest.raises(ValidationError) as judged:
        session.experiments.put(type="initial", table=typed, wait=True)
    assert [(e["row"], e["column"]) for e in judged.value.errors] == [(3, "Response")]
    assert f"{2**70 + 1} cannot be a response exactly" in str(judged.value)
    assert f"would become {2**70};" in str(judged.value)
    assert session.history.fetch().to_dict() == before


def test_a_space_refused_by_parameter_says_its_place_once(conn):
    """The service's words for a space sent past the client's check (``conn.transport``:
    plain JSON) are shown once: before, the error's text repeated each problem's place in
    another form, "row 2, column Name: parameter 2: the name holds ..."."""
    space = {
        "type": "factorial",
        "parameters": [
            {"name": "a", "type": "numerical", "values": [0, 1]},
            {"name": "b\x00", "type": "categorical", "values": ["x", "y\x00"]},
        ],
    }
    body = {"space": space, "population_size": 2, "replicates": 0}
    sid = conn.sessions.create(name="once").id
    with pytest.raises(ValidationError) as refused:
        conn.transport.request("PUT", f"/v1/sessions/{sid}/space", json=body)
    text = str(refused.value)
    first = (
        "parameter 2: the name holds a NUL character (U+0000), which no space stores; type "
        "it again without it"
    )
    assert text.count(first) == 1  # the message quotes it: not listed again after it
    shown = text[text.index(" [") + 2 : text.index("] (request")]
    assert shown == (
        "parameter 2, level 2: the level holds a NUL character (U+0000), which no space "
        "stores; type it again without it"
    )


def test_analytics_files_download_and_auto_export(session, tmp_path):
    design = session.generate(wait=True).result.experiments
    session.experiments.put(type="designed", table=session.responses.simulate(design), wait=True)
    task = session.analytics.create(wait=True, export_dir=tmp_path / "auto")
    assert task.result.files
    files = session.analytics.files()
    assert {f.name for f in files} == {f.name for f in task.result.files}
    titles = {f.name: f.title for f in files}  # seed 000: title (caption), filename, url
    assert titles["responses_by_generation.pdf"] == "Responses by generation (PDF)"
    assert titles["summary.csv"] == "Statistics of each generation (table)"
    assert {f.title for f in task.result.files} == set(titles.values())
    assert len(set(titles.values())) == len(files)
    paths = session.analytics.download(tmp_path / "dl")
    assert sorted(p.name for p in paths) == sorted(f.name for f in files)
    sizes = {f.name: f.size for f in files}
    assert all(p.stat().st_size == sizes[p.name] for p in paths)
    auto = sorted(p.name for p in (tmp_path / "auto").iterdir())  # the PDF files, as Daptics'
    pdfs = [f.name for f in files if f.content_type == "application/pdf"]
    assert auto == sorted(f"auto_gen{task.result.gen}_{name}" for name in pdfs)


def test_analytics_download_keeps_files_that_hold_something_else(conn, session, tmp_path):
    """Before: analytics.download(dir) and download_file replaced any file of the same
    name without a word (a second session's download over the first's, the user's own
    notes). ``sigopt-like analytics -o``'s rule now: a file that holds something else is
    kept and none is written (AnalyticsFilesExistError naming it), unless overwrite=True
    or it is this session's own earlier download, of any generation (the folder's record)."""
    from sigopt_like import AnalyticsFilesExistError
    from sigopt_like.analytics_output import RECORD_FILE

    session.analytics.create(wait=True)  # generation 0: the space alone
    plots = tmp_path / "plots"
    first = session.analytics.download(plots)
    session.simulate(ngens=1, wait=True)
    session.analytics.create(wait=True)
    again = session.analytics.download(plots)  # its own earlier download: replaced
    assert again == first and (plots / RECORD_FILE).is_file()
    session.analytics.download(plots, gen=0)  # an earlier generation over a later one
    ours = {p.name: p.read_bytes() for p in plots.iterdir()}

    other = conn.sessions(conn.sessions.create(name="other").id)
    other.space.put(space=SPACE, population_size=10, replicates=1, wait=True)
    other.simulate(ngens=1, wait=True)
    other.analytics.create(wait=True)
    with pytest.raises(AnalyticsFilesExistError) as refused:
        other.analytics.download(plots)
    assert refused.value.paths == first
    assert "pass overwrite=True" in str(refused.value)
    assert isinstance(refused.value, FileExistsError)
    with pytest.raises(AnalyticsFilesExistError) as refused:
        other.analytics.download_file("summary.csv", plots)
    assert refused.value.paths == [plots / "summary.csv"]
    assert {p.name: p.read_bytes() for p in plots.iterdir()} == ours  # nothing written

    (plots / "summary.csv").write_text("my notes\n")  # edited since: not ours any more
    with pytest.raises(AnalyticsFilesExistError) as refused:
        session.analytics.download(plots)
    assert refused.value.paths == [plots / "summary.csv"]
    assert (plots / "summary.csv").read_text() == "my notes\n"
    written = other.analytics.download(plots, overwrite=True)
    assert (plots / "summary.csv").read_bytes() == other.analytics.download_file(
        "summary.csv", tmp_path / "s.csv"
    ).read_bytes()
    assert other.analytics.download(plots) == written  # now the other session's own
    # a device (or a link to one) is written as asked, and gets no record beside it
    device = tmp_path / "out" / "to-null.csv"
    device.parent.mkdir()
    device.symlink_to(os.devnull)
    assert other.analytics.download_file("summary.csv", device) == device
    assert not (device.parent / RECORD_FILE).exists() and device.is_symlink()


def test_analytics_download_through_links_is_judged_where_it_lands(session, tmp_path):
    """Before: a file of the folder that is a symbolic link was left out of the record
    but judged by what it points to, so a download over links to this session's own
    earlier download (with its record) was refused naming every file, and one over links
    to empty placeholders went once, unrecorded, then was refused at every later run.
    A link is now judged and recorded where its bytes land (the target and its folder's
    record); a rerun over its own earlier output, of any generation, goes through."""
    from sigopt_like.analytics_output import RECORD_FILE

    session.analytics.create(wait=True)
    real, plots, blanks, linked = (tmp_path / n for n in ("real", "plots", "blanks", "linked"))
    names = [p.name for p in session.analytics.download(real)]
    for folder in (plots, blanks, linked):
        folder.mkdir()
    for name in names:
        (plots / name).symlink_to(real / name)
        (blanks / name).touch()
        (linked / name).symlink_to(blanks / name)
    session.analytics.download(linked)  # over empty placeholders, through the links
    session.simulate(ngens=1, wait=True)
    session.analytics.create(wait=True)
    fresh = {p.name: p.read_bytes() for p in session.analytics.download(tmp_path / "fresh")}
    for folder in (plots, linked):
        assert [p.name for p in session.analytics.download(folder)] == names
        assert all((folder / n).is_symlink() for n in names)
        assert {n: (folder / n).read_bytes() for n in names} == fresh
    assert {p.name: p.read_bytes() for p in session.analytics.download(real)} == fresh
    session.analytics.download(linked, gen=0)  # an earlier generation too
    session.analytics.download(plots, gen=0)
    assert not (plots / RECORD_FILE).exists() and (blanks / RECORD_FILE).is_file()


def test_analytics_download_before_any_analytics_says_how_to_make_them(session, tmp_path):
    """Before: analytics.download() with no analytics made returned [] without a word."""
    from sigopt_like import NoAnalyticsError

    for gen in (None, 0):
        with pytest.raises(NoAnalyticsError) as refused:
            session.analytics.download(tmp_path / "dl", gen=gen)
        assert "no analytics of" in str(refused.value)
        assert "campaign.analytics.create(wait=True)" in str(refused.value)
    assert not (tmp_path / "dl").exists()


def test_connection_export_dir_writes_the_validated_space(clean_env, tmp_path):
    from sigopt_like import Connection

    with Connection(database=tmp_path / "exp.db", export_dir=tmp_path / "exports") as exporting:
        sid = exporting.sessions.create(name="exporting").id
        exporting.sessions(sid).space.put(space=SPACE, population_size=10, replicates=1, wait=True)
    text = (tmp_path / "exports" / "auto_validated_space.csv").read_text()
    assert Space.from_csv(text, type="factorial").to_dict() == SPACE.to_dict()


def test_space_templates(conn):
    templates = list(conn.space_templates.list())
    assert templates and all(isinstance(t, SpaceTemplate) for t in templates)
    assert all(isinstance(t.space, Space) for t in templates)


def test_simulate_runs_generations_and_exports_history(conn, tmp_path):
    sid = conn.sessions.create(name="simulated").id
    task = conn.sessions(sid).simulate(
        ngens=2,
        space=SPACE,
        population_size=10,
        replicates=1,
        wait=True,
        export_dir=tmp_path / "sim",
    )
    assert task.type == "simulate" and task.succeeded
    gens = [g.gen for g in task.result.history.generations if g.table is not None]
    assert len(gens) >= 2
    history_csv = (tmp_path / "sim" / "auto_history.csv").read_text()
    assert history_csv.splitlines()[0].startswith("Seq_,Gen_,Designed_")
    assert history_csv == task.result.history.to_csv()


def test_an_export_folder_that_cannot_be_used_is_refused_before_the_task(clean_env, tmp_path):
    """Before: the task ran and succeeded, then the export failed with the system's
    NotADirectoryError (or FileNotFoundError), which did not say the campaign had moved
    on; a retry of the call was then a 409."""
    from sigopt_like import ConfigError, Connection

    a_file = tmp_path / "notes.txt"
    a_file.write_text("x\n")
    with Connection(database=tmp_path / "exp.db", export_dir=a_file) as conn:
        sid = conn.sessions.create(name="exporting").id
        campaign = conn.sessions(sid)
        with pytest.raises(ConfigError, match=f"{a_file} is a file, not a folder; nothing was"):
            campaign.space.put(space=SPACE, population_size=10, replicates=1, wait=True)
        for where, said in (
            (a_file / "sub", f"{a_file} is a file, not a folder"),
            ("/proc/sigopt-like-exports", "cannot be made"),
        ):
            with pytest.raises(ConfigError, match=said):
                campaign.space.put(
                    space=SPACE, population_size=10, replicates=1, wait=True, export_dir=where
                )
        assert list(campaign.tasks.list()) == [] and campaign.fetch().gen == -1
        task = campaign.space.put(space=SPACE, population_size=10, replicates=1, wait=False)
        assert task.status in ("new", "running", "success")  # no wait: nothing to export
    assert a_file.read_text() == "x\n"


def test_a_response_past_2_53_comes_back_as_sent_or_is_refused(conn):
    """Before: a response of 2**70 (an int) was sent as the float equal to it and came back
    as 1.1805916207174113e+21 in the history's ``to_dict`` and ``to_csv``, a form not sent.
    A whole-number response past 2**53 is now refused by row and column by the service,
    sent by the client or as plain JSON (a Daptics string cell too), in the same words; sent
    as a float, it comes back as that float, in ``to_dict``, ``to_csv`` and the CSV read
    back alike."""
    sid = conn.sessions.create(name="wide-response").id
    session = conn.sessions(sid)
    session.space.put(space=SPACE, population_size=10, replicates=1, wait=True)
    before = session.history.fetch().to_dict()
    words = f"{2**70} cannot be a response as written"
    with pytest.raises(ValidationError, match=f"row 3, column Response: {words}"):
        session.experiments.put(
            type="initial", table=Table(["p1", "c", "Response"], [[1, "a", 1], [2, "b", 2**70]])
        )
    for cell in (2**60, str(2**70), str(2**53 + 2)):
        rows = [[1, "a", 1.0], [2, "b", cell]]
        body = {"type": "initial", "table": {"colHeaders": ["p1", "c", "Response"], "data": rows}}
        with pytest.raises(ValidationError) as refused:  # at once: before, its task failed
            conn.transport.request_json("POST", f"/v1/sessions/{sid}/experiments", json=body)
        assert f"row 3, column Response: {int(cell)} cannot be a response as written" in str(
            refused.value
        ), refused.value
    assert session.history.fetch().to_dict() == before
    assert [t.type for t in session.tasks.list()] == ["space"]
    sent = Table(["p1", "c", "Response"], [[1, "a", float(2**70)], [2, "b", 2.0**53 + 2]])
    session.experiments.put(type="initial", table=sent, wait=True)
    stored = session.history.fetch().generations[0].table
    assert stored.to_dict()["rows"] == [[1, "a", float(2**70)], [2, "b", 2.0**53 + 2]]
    assert stored.to_csv().splitlines()[1:] == [
        "1,a,1.1805916207174113e+21",
        "2,b,9007199254740994.0",
    ]
    assert Table.from_csv(stored.to_csv()) == stored
    session.experiments.put(type="initial", table=stored.to_csv(), wait=True)  # read back


def test_an_empty_text_table_is_said_empty(session):
    """Before: table="" was read as the path "" (the current folder), and refused as
    "'.' is a folder, not a CSV file", which no one had named."""
    with pytest.raises(TableError, match="empty: an experiments table needs a header row"):
        session.experiments.put(type="initial", table="", wait=True)
    assert [t.type for t in session.tasks.list()] == ["space"]

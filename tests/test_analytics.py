"""Analytics rendering: files, signatures, CSV numbers, missing responses, determinism."""

from __future__ import annotations

import csv
import io
import statistics

import pytest

from sigopt_like.service.analytics import (
    PARAMETER_SUMMARY_COLUMNS,
    SUMMARY_COLUMNS,
    AnalyticsFile,
    read_observations,
    render_analytics,
    summarize_generations,
)
from sigopt_like.spaces import Space

pytest.importorskip("matplotlib")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PDF_SIGNATURE = b"%PDF-"
EXPECTED_NAMES = [
    "responses_by_generation.png",
    "responses_by_generation.pdf",
    "response_vs_parameters.png",
    "response_vs_parameters.pdf",
    "summary.csv",
    "parameter_summary.csv",
]


@pytest.fixture
def factorial() -> Space:
    return Space.from_csv("temp,numerical,20,40,60\ncat,categorical,Pd,Pt\n", type="factorial")


@pytest.fixture
def mixture() -> Space:
    return Space.from_csv("A,unit,0,10\nB,unit,0,10\nC,unit,0,10\n", type="mixture", total_units=10)


def generation(gen: int, rows: list[list], columns=("temp", "cat", "Response")) -> dict:
    return {"gen": gen, "table": {"columns": list(columns), "rows": rows}, "design_rows": len(rows)}


@pytest.fixture
def history() -> list[dict]:
    return [
        generation(1, [[20, "Pd", 1.0], [40, "Pt", 3.0], [60, "Pd", None], [20, "Pt", 2.0]]),
        generation(2, [[40, "Pd", 2.5], [60, "Pt", "-"], [60, "Pd", 1.5]]),
        generation(3, [[20, "Pd", 5.0], [40, "Pt", 4.0]]),
    ]


def by_name(files: list[AnalyticsFile]) -> dict[str, AnalyticsFile]:
    return {f.name: f for f in files}


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def test_every_file_is_rendered_with_its_signature(factorial, history):
    files = render_analytics(factorial, history, 3)
    assert [f.name for f in files] == EXPECTED_NAMES
    for f in files:
        assert f.data, f.name
        if f.name.endswith(".png"):
            assert f.content_type == "image/png"
            assert f.data.startswith(PNG_SIGNATURE)
        elif f.name.endswith(".pdf"):
            assert f.content_type == "application/pdf"
            assert f.data.startswith(PDF_SIGNATURE)
        else:
            assert f.content_type == "text/csv"


def test_summary_numbers(factorial, history):
    rows = read_csv(by_name(render_analytics(factorial, history, 3))["summary.csv"].data)
    assert list(rows[0]) == list(SUMMARY_COLUMNS)
    assert [r["gen"] for r in rows] == ["1", "2", "3"]
    first, second, third = rows
    assert (first["n"], first["n_with_response"]) == ("4", "3")
    assert float(first["best"]) == 3.0
    assert float(first["mean"]) == pytest.approx(2.0)
    assert float(first["sd"]) == pytest.approx(1.0)
    assert float(first["best_so_far"]) == 3.0
    assert (second["n"], second["n_with_response"]) == ("3", "2")
    assert float(second["best"]) == 2.5
    assert float(second["mean"]) == pytest.approx(2.0)
    assert float(second["sd"]) == pytest.approx(statistics.stdev([2.5, 1.5]), rel=1e-5)
    assert float(second["best_so_far"]) == 3.0
    assert float(third["best"]) == 5.0
    assert float(third["best_so_far"]) == 5.0


def test_gen_limits_the_generations(factorial, history):
    rows = read_csv(by_name(render_analytics(factorial, history, 2))["summary.csv"].data)
    assert [r["gen"] for r in rows] == ["1", "2"]
    rows = read_csv(by_name(render_analytics(factorial, history, None))["summary.csv"].data)
    assert [r["gen"] for r in rows] == ["1", "2", "3"]


def test_parameter_summary(factorial, history):
    rows = read_csv(by_name(render_analytics(factorial, history, 3))["parameter_summary.csv"].data)
    assert list(rows[0]) == list(PARAMETER_SUMMARY_COLUMNS)
    table = {(r["parameter"], r["level"]): r for r in rows}
    assert [k for k in table if k[0] == "temp"] == [("temp", "20"), ("temp", "40"), ("temp", "60")]
    assert table[("temp", "20")]["n"] == "3"
    assert float(table[("temp", "20")]["mean"]) == pytest.approx((1.0 + 2.0 + 5.0) / 3, rel=1e-5)
    assert float(table[("temp", "20")]["best"]) == 5.0
    assert table[("temp", "60")]["n_with_response"] == "1"
    assert table[("cat", "Pt")]["n"] == "4"
    assert float(table[("cat", "Pt")]["best"]) == 4.0


def test_no_responses_and_a_single_generation(factorial):
    history = [generation(1, [[20, "Pd", None], [40, "Pt", None]])]
    files = by_name(render_analytics(factorial, history, 1))
    assert files["responses_by_generation.png"].data.startswith(PNG_SIGNATURE)
    rows = read_csv(files["summary.csv"].data)
    assert rows == [
        {
            "gen": "1",
            "n": "2",
            "n_with_response": "0",
            "best": "",
            "mean": "",
            "sd": "",
            "best_so_far": "",
        }
    ]


def test_empty_history_still_renders(factorial):
    files = by_name(render_analytics(factorial, [], 0))
    assert set(files) == set(EXPECTED_NAMES)
    assert read_csv(files["summary.csv"].data) == []


def test_mixture_space(mixture):
    history = [
        {
            "gen": 1,
            "table": {
                "columns": ["A", "B", "C", "Response"],
                "rows": [[5, 5, 0, 0.5], [0, 0, 10, 0.9], [2, 3, 5, None]],
            },
            "design_rows": 3,
        }
    ]
    files = by_name(render_analytics(mixture, history, 1))
    assert files["response_vs_parameters.pdf"].data.startswith(PDF_SIGNATURE)
    table = {(r["parameter"], r["level"]): r for r in read_csv(files["parameter_summary.csv"].data)}
    assert table[("C", "10")]["best"] == "0.9"
    assert table[("A", "2")]["n_with_response"] == "0"


def test_single_response_has_no_sd(factorial):
    summaries = summarize_generations(
        read_observations(factorial, [generation(4, [[20, "Pd", 7.0]])])
    )
    assert len(summaries) == 1
    assert summaries[0].best == summaries[0].mean == summaries[0].best_so_far == 7.0
    assert summaries[0].sd is None


def test_output_is_deterministic(factorial, history):
    first = render_analytics(factorial, history, 3)
    second = render_analytics(factorial, history, 3)
    for a, b in zip(first, second, strict=True):
        assert a.data == b.data, a.name


def test_pdf_has_no_creation_date(factorial, history):
    pdf = by_name(render_analytics(factorial, history, 3))["responses_by_generation.pdf"].data
    assert b"CreationDate" not in pdf


# ------------------------------------------------------------ plots a report can use


def figures(space, history, **labels):
    from sigopt_like.service import analytics as A

    observations = read_observations(space, history, None)
    summaries = summarize_generations(observations)
    names = A._Labels(session=labels.get("session"), metric=labels.get("metric", "Response"), gen=3)
    return (
        A._by_generation_figure(summaries, observations, names),
        A._vs_parameters_figure(space, observations, names),
    )


def test_every_panel_has_a_labelled_x_axis(factorial, history):
    """Before: factorial panels had no x-axis label (only a title)."""
    _, panels = figures(factorial, history)
    visible = [ax for ax in panels.axes if ax.get_visible()]
    assert [ax.get_xlabel() for ax in visible] == ["temp", "cat"]
    assert all(ax.get_ylabel() in ("Response", "") for ax in visible)
    assert [t.get_text() for t in visible[1].get_xticklabels()] == ["Pd", "Pt"]


def test_titles_name_the_metric_the_session_and_the_generation(factorial, history):
    """Before: no metric name, session or generation in the titles."""
    by_gen, panels = figures(factorial, history, session="session 7 'alloy'", metric="Yield")
    title = by_gen.axes[0].get_title()
    assert "Yield by generation" in title and "session 7 'alloy'" in title
    assert "generation 3" in title and by_gen.axes[0].get_ylabel() == "Yield"
    suptitle = panels.get_suptitle()
    assert "Yield against each parameter" in suptitle and "session 7 'alloy'" in suptitle


def test_the_best_points_star_sits_on_its_level(factorial, history):
    """Before: the star was drawn at the best point's jittered x, off its level."""
    _, panels = figures(factorial, history)
    temp, cat = [ax for ax in panels.axes if ax.get_visible()]
    stars = [c for c in temp.collections if c.get_offsets().shape[0] == 1]
    assert stars, "no star drawn"
    (x, y) = stars[-1].get_offsets()[0]
    assert (x, y) == (20.0, 5.0)  # the best: temp 20, response 5.0
    ((x, _),) = [c for c in cat.collections if c.get_offsets().shape[0] == 1][-1].get_offsets()
    assert x == 0.0  # "Pd" is the first level


def test_mixture_panels_say_units(mixture):
    history = [generation(1, [[2, 3, 5, 1.0], [5, 5, 0, 2.0]], columns=("A", "B", "C", "Response"))]
    _, panels = figures(mixture, history)
    assert [ax.get_xlabel() for ax in panels.axes if ax.get_visible()] == [
        "A (units)",
        "B (units)",
        "C (units)",
    ]


def test_responses_at_the_float_limit_are_plotted_and_summarised(factorial):
    """Before: Matplotlib failed on an axis spanning 3.4e308 ("arange: cannot compute
    length"), the mean of 1.7e308 twice overflowed, and 1e308 was written as 309 digits."""
    big = 1.7e308
    history = [
        generation(1, [[20, "Pd", big], [40, "Pt", -big], [60, "Pd", 1.0]]),
        generation(2, [[20, "Pt", big], [40, "Pd", big], [60, "Pt", 1e20]]),
    ]
    files = by_name(render_analytics(factorial, history))
    assert files["responses_by_generation.png"].data.startswith(PNG_SIGNATURE)
    assert files["response_vs_parameters.pdf"].data.startswith(PDF_SIGNATURE)
    first, second = read_csv(files["summary.csv"].data)
    assert first["best"] == "1.7e+308" and float(first["mean"]) == pytest.approx(1 / 3)
    assert float(second["mean"]) == pytest.approx(big / 3 * 2, rel=1e-5)  # 6 digits in the file
    assert float(second["sd"]) == pytest.approx(big / 3**0.5, rel=1e-5)
    temp = {r["level"]: r for r in read_csv(files["parameter_summary.csv"].data)}
    assert temp["40"]["mean"] == "0" and temp["60"]["best"] == "1e+20"


def test_dollar_signs_in_names_levels_and_labels_are_drawn_as_written():
    """Before: a level ``$\\frac{$`` (or a session or metric named with ``$...$``) was read by
    Matplotlib as math, and the analytics task failed "unexpectedly" with a parse error."""
    space = Space.from_csv("temp,numerical,20,40\nprice,categorical,$5,$\\frac{$,x^2$\n")
    rows = [[20, "$5", 1.0], [40, "$\\frac{$", 2.0], [20, "x^2$", 3.0]]
    history = [generation(1, rows, columns=("temp", "price", "Response"))]
    files = by_name(render_analytics(space, history, session="run $\\x$", metric="cost $\\frac$"))
    assert files["response_vs_parameters.png"].data.startswith(PNG_SIGNATURE)
    assert files["responses_by_generation.pdf"].data.startswith(PDF_SIGNATURE)


def test_a_categorical_of_many_levels_names_forty_of_them():
    """Before: one tick label per level; a 50,000-level categorical kept the analytics task
    drawing labels for minutes."""
    levels = [f"L{i}" for i in range(2_000)]
    space = Space.from_dict(
        {
            "type": "factorial",
            "parameters": [{"name": "c", "type": "categorical", "values": levels}],
        }
    )
    history = [generation(1, [["L5", 1.0], ["L1999", 2.0]], columns=("c", "Response"))]
    _, panels = figures(space, history)
    labels = [t.get_text() for t in panels.axes[0].get_xticklabels()]
    assert len(labels) == 40 and labels[0] == "L0" and labels[-1] == "L1999"
    assert panels.axes[0].get_xlim() == (-0.6, 1999.6)


def test_a_long_level_is_named_by_its_first_characters():
    """Before: a level of 100,000 characters was drawn whole under its axis: the task took
    21 s and the axes collapsed to nothing. (A space stored before levels were held to 200
    characters may still have one: it is read back as stored, unvalidated.)"""
    space = Space.from_dict(
        {
            "type": "factorial",
            "parameters": [{"name": "c", "type": "categorical", "values": ["x" * 100_000, "y"]}],
        },
        validate=False,
    )
    history = [generation(1, [["y", 1.0], ["x" * 100_000, 2.0]], columns=("c", "Response"))]
    _, panels = figures(space, history)
    labels = [t.get_text() for t in panels.axes[0].get_xticklabels()]
    assert labels == ["x" * 23 + "\u2026", "y"]

"""Unit tests of the dashboard's pure JavaScript functions, run in headless Chromium.

The modules are the ones the service serves (``/assets/*.js``), imported by the page of a
real served instance: no Node, no copy of the code. Each test hands the browser its cases
and checks what the functions give back.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator
from typing import Any

import pytest

from sigopt_like._constants import MAX_REMAINING
from tests.dashboard.conftest import Site
from tests.dashboard.numbers import shown_number, tick_text

#: call `name` of the served module `module` with `args` (a JSON list)
CALL = """async ([module, name, args]) => (await import(`/assets/${module}`))[name](...args)"""

#: the least distance of two labelled levels' centres (plots.js, PLATE_ROW)
PLATE_ROW = 18


@pytest.fixture(scope="module")
def page(chromium: Any, dashboard_site: Site) -> Iterator[Any]:
    """A page of the served dashboard, to import its modules from."""
    context = chromium.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(dashboard_site.url + "/")
    try:
        yield page
    finally:
        context.close()
    assert errors == []


def call(page: Any, module: str, name: str, *args: Any) -> Any:
    """What ``name(*args)`` of the served ``module`` gives, run in the browser."""
    return page.evaluate(CALL, [module, name, list(args)])


def many(page: Any, module: str, name: str, cases: list[list[Any]]) -> list[Any]:
    """``name`` of ``module`` called on each list of arguments, in one trip."""
    return page.evaluate(
        """async ([module, name, cases]) => {
          const f = (await import(`/assets/${module}`))[name];
          return cases.map((args) => f(...args));
        }""",
        [module, name, cases],
    )


NICE_CASES: list[list[Any]] = [
    [0, 10, 5],
    [0.3, 9.7, 5],
    [-3.2, 7.9, 4],
    [0.1, 0.30000000000000004, 5],
    [1e-9, 3e-9, 5],
    [-1e6, -999_000, 6],
    [123_456, 123_457, 5],
    [0.397887, 55.6, 4],
    [-1.7e308, 1.7e308, 5],
    [-8e307, 8e307, 6],
    [1.79e308, 1.7976931348623157e308, 5],
    [2, 3, 1],
    [0, 1e-300, 5],
]


def test_nice_axis_holds_its_range_between_two_labelled_ends(page: Any) -> None:
    """niceAxis: a domain holding [lo, hi], its two ends among the ticks, the ticks finite,
    rising and round between the ends, and about `count` of them."""
    results = many(page, "plots.js", "niceAxis", NICE_CASES)
    for (lo, hi, count), axis in zip(NICE_CASES, results, strict=True):
        d0, d1 = axis["domain"]
        ticks = axis["ticks"]
        assert d0 <= lo and hi <= d1, (lo, hi, axis)
        assert ticks[0] == d0 and ticks[-1] == d1, (lo, hi, axis)
        assert all(math.isfinite(v) for v in ticks), (lo, hi, axis)
        assert all(a < b for a, b in itertools.pairwise(ticks)), (lo, hi, axis)
        assert 2 <= len(ticks) <= 2 * count + 3, (lo, hi, axis)
    assert results[0] == {"domain": [0, 10], "ticks": [0, 2, 4, 6, 8, 10]}
    assert results[1]["domain"] == [0, 10]


def test_nice_axis_of_one_value_or_none(page: Any) -> None:
    assert call(page, "plots.js", "niceAxis", 4, 4) == {"domain": [4, 4], "ticks": [4]}
    nan = call(page, "plots.js", "niceAxis", math.nan, 1)
    assert nan == {"domain": [0, 1], "ticks": [0, 1]}
    assert call(page, "plots.js", "niceAxis", 0, math.inf) == nan


def test_an_axis_of_counts_about_zero_labels_zero(page: Any) -> None:
    """Ticks added up step by step came to -5.55e-17 for 0 (steps of 0.2 from -1), which
    an axis of whole numbers left out: a campaign of generation 0 alone (its initial
    experiments) had its generation axis labelled -1 and 1, or not at all."""
    assert call(page, "plots.js", "niceAxis", -1, 1, 6)["ticks"] == [
        -1,
        -0.8,
        -0.6,
        -0.4,
        -0.2,
        0,
        0.2,
        0.4,
        0.6,
        0.8,
        1,
    ]
    found = many(page, "plots.js", "bottomAxis", [[[-1, 1], 500, True], [[-0.5, 0.5], 500, True]])
    assert [axis["ticks"] for axis in found] == [[0, 1], [0]]  # a count: never "-1"


def test_tick_text_and_numbers(page: Any) -> None:
    assert many(page, "plots.js", "tickText", [[8e307], [-8e307], [0.1 + 0.2], [2.5], [1e-7]]) == [
        "8e+307",
        "-8e+307",
        "0.3",
        "2.5",
        "1e-7",
    ]
    assert many(page, "format.js", "num", [[None], [1e300], [123456.789], [42], [2.5e-7, 2]]) == [
        "—",
        "1e+300",
        "123500",
        "42",
        "2.5e-7",
    ]
    assert many(
        page, "format.js", "cell", [[None], ["<b>x</b>"], [1 / 3], [123456789], [1e300]]
    ) == [
        "—",
        "<b>x</b>",
        "0.333333",
        "123456789",  # an integer whole: "1.23457e+8" was another experiment
        "1e+300",
    ]


def test_tick_labels_past_a_thousand_are_grouped(page: Any) -> None:
    """A tick of 5000 read "5000" beside counts that read "5,000": past a thousand either
    way a tick label is grouped as a count is, in exponent notation as it was."""
    cases = [[999], [1000], [-1000], [5000], [-12500], [250000], [999999], [1.5e6], [-2e9], [0.5]]
    assert many(page, "plots.js", "tickText", cases) == [
        "999",
        "1,000",
        "-1,000",
        "5,000",
        "-12,500",
        "250,000",
        "999,999",
        "1.5e+6",
        "-2e+9",
        "0.5",
    ]
    texts = ["12345", "-1250.5", "1.5e+6", "-2.5e-7", "999", "—", "Infinity"]
    assert many(page, "format.js", "grouped", [[t] for t in texts]) == [
        "12,345",
        "-1,250.5",
        "1.5e+6",
        "-2.5e-7",
        "999",
        "—",
        "Infinity",
    ]


def _every_size_of_number() -> list[float]:
    """Values of every size and sign, ties of the rounding and the edges of num()'s rules."""
    rng = random.Random(20261207)
    values = [0.0, 1e-3, 999999.0, 1e6, 999999.5, 9.9996, 0.00099996, 1234500.0, 12345.0]
    values += [5e-324, 1.7976931348623157e308, 0.125, 2.5, 1e21, 1e-7, 12350.0, 0.00012345]
    for _ in range(400):
        values.append(rng.uniform(1, 10) * 10.0 ** rng.randint(-12, 12))
    values.append(math.inf)
    return values + [-v for v in values]


def test_the_python_restatement_of_num_writes_what_the_page_writes(page: Any) -> None:
    """tests/dashboard/numbers.py, which tests compare a page's numbers with, writes every
    number as num() and tickText() do (Python's "{:.4g}" wrote "1.235e+04" where the page
    read "12350")."""
    values = _every_size_of_number()
    for digits in (3, 4, 6):
        found = many(page, "format.js", "num", [[v, digits] for v in values])
        assert found == [shown_number(v, digits) for v in values], digits
    assert many(page, "plots.js", "tickText", [[v] for v in values]) == [
        tick_text(v) for v in values
    ]


def test_generations_left_at_the_cap_is_a_lower_bound(page: Any) -> None:
    """The service's cap on ``remaining`` (an INTEGER column) is shown as what it is."""
    cases = [[None], [0], [3], [MAX_REMAINING - 1], [MAX_REMAINING]]
    assert many(page, "format.js", "generationsLeft", cases) == [
        "—",
        "0",
        "3",
        "2,147,483,646",  # a count, as every count of the dashboard (format.js, count)
        "2,147,483,647 or more",
    ]
    constant = page.evaluate("async () => (await import('/assets/format.js')).MAX_REMAINING")
    assert constant == MAX_REMAINING  # the page's copy of the service's cap


def test_a_count_has_its_thousands_separators(page: Any) -> None:
    """Every count the dashboard shows goes through one formatter: "2,500", not "2500"."""
    cases = [[None], [0], [999], [2500], [1234567]]
    assert many(page, "format.js", "count", cases) == ["—", "0", "999", "2,500", "1,234,567"]


def test_an_id_is_shown_with_the_separators_of_a_count(page: Any) -> None:
    """A task's "#12345" stood beside counts that read "12,345": an id of digits is shown
    as a count is, every digit kept past 2**53 (a Number would round the last ones); any
    other id as it is."""
    cases = [["7"], [12345], ["12345"], ["9007199254740993"], ["task-12345"], ["1e5"]]
    assert many(page, "format.js", "shownId", cases) == [
        "7",
        "12,345",
        "12,345",
        "9,007,199,254,740,993",
        "task-12345",
        "1e5",
    ]


def test_file_stem_makes_any_name_safe(page: Any) -> None:
    names = [["<script>alert(1)</script>"], ["../../etc"], [""], ["x" * 200]]
    stems = many(page, "format.js", "fileStem", names)
    assert stems == ["script-alert-1-script", "..-..-etc", "session", "x" * 80]


def test_finite_range_of_very_many_values(page: Any) -> None:
    """More values than a spread's arguments (past about 125,000 Chromium throws)."""
    found = page.evaluate(
        """async () => {
          const { finiteRange } = await import('/assets/plots.js');
          const values = Array.from({ length: 300000 }, (_, k) => k % 7 === 0 ? NaN : k);
          values.push(Infinity, -Infinity);
          return [finiteRange(values), finiteRange([NaN, Infinity]), finiteRange([])];
        }"""
    )
    assert found == [[1, 299_998], None, None]


@pytest.mark.parametrize("span", [328, 1080])
def test_labelled_levels_keep_plates_apart_and_label_as_many_as_fit(page: Any, span: int) -> None:
    """labelledLevels: two labelled levels stand a plate and a gap apart or more, and no
    more levels are skipped than that needs (a label on every level that can have one)."""
    counts = [1, 2, 5, 18, 19, 30, 60, 61, 150, 200, 1000, 5000]
    found = many(page, "plots.js", "labelledLevels", [[n, span] for n in counts])
    for n, placed in zip(counts, found, strict=True):
        step, every = placed["step"], placed["every"]
        assert step == pytest.approx(span / n)
        assert every >= 1
        assert every * step >= PLATE_ROW - 1e-9, (n, placed)
        assert every == 1 or (every - 1) * step < PLATE_ROW, (n, placed)
        labels = math.ceil(n / every)
        assert labels >= min(n, span // PLATE_ROW // 2), (n, placed)


def test_bottom_axis_labels_fit_side_by_side(page: Any) -> None:
    """bottomAxis: fewer ticks on a narrow chart, never two labels (7 px a character,
    centred on their tick) nearer than 8 px; whole numbers only on an axis of counts."""
    cases = [
        [[0, 1], 576, False],
        [[0, 1], 60, False],
        [[-8e307, 8e307], 200, False],
        [[0.000123, 987654.321], 220, False],
        [[1, 10000], 150, True],
        [[1, 3], 576, True],
    ]
    found = many(page, "plots.js", "bottomAxis", cases)
    texts = many(page, "plots.js", "tickText", [[v] for axis in found for v in axis["ticks"]])
    at = 0
    for (span, width, integer), axis in zip(cases, found, strict=True):
        ticks = axis["ticks"]
        labels = texts[at : at + len(ticks)]
        at += len(ticks)
        d0, d1 = axis["domain"]
        x = [(v / 2 - d0 / 2) / (d1 / 2 - d0 / 2) * width for v in ticks]
        assert d0 <= span[0] and span[1] <= d1, (span, axis)
        if integer:
            assert all(float(v).is_integer() for v in ticks), axis
        if len(ticks) > 1:
            for k in range(len(ticks) - 1):
                room = x[k + 1] - x[k]
                assert room >= 7 * (len(labels[k]) + len(labels[k + 1])) / 2 + 8, (span, axis)
    assert len(found[0]["ticks"]) > len(found[1]["ticks"]) >= 2


def test_fitted_cuts_a_label_to_its_room(page: Any) -> None:
    found = page.evaluate(
        """async () => {
          const { fitted } = await import('/assets/plots.js');
          const seven = (text) => text.length * 7;
          return [
            fitted("short", 12, 200, seven),
            fitted("a name longer than twelve", 12, 500, seven),
            fitted("a name longer than twelve", 12, 50, seven),
            fitted("WW", 12, 1, seven),
          ];
        }"""
    )
    assert found == ["short", "a name long…", "a name…", "…"]


def test_fitted_cuts_between_letters_as_a_reader_sees_them(page: Any) -> None:
    """Cut between UTF-16 code units, an emoji's name drew half its emoji (a lone
    surrogate) and a letter lost its combining accent."""
    found = page.evaluate(
        """async () => {
          const { fitted } = await import('/assets/plots.js');
          const seven = (text) => [...text].length * 7;
          return [
            fitted("\\u{1F469}\\u200D\\u{1F52C}".repeat(3), 2, 500, seven),
            fitted("e\\u0301".repeat(3), 2, 500, seven),
            fitted("\\u{1F1EB}\\u{1F1F7}".repeat(4), 12, 40, seven),
          ];
        }"""
    )
    assert found == ["\U0001f469\u200d\U0001f52c…", "e\u0301…", "\U0001f1eb\U0001f1f7" * 2 + "…"]


def test_stepped_to_moves_the_keyboard_within_the_points(page: Any) -> None:
    cases = [
        ["ArrowRight", -1, 5],
        ["ArrowRight", 4, 5],
        ["ArrowLeft", 0, 5],
        ["ArrowUp", 3, 5],
        ["Home", 3, 5],
        ["End", 0, 5],
        ["ArrowRight", -1, 0],
        ["a", 1, 5],
    ]
    found = many(page, "plots.js", "steppedTo", cases)
    assert found == [0, 4, 0, 2, 0, 4, None, None]


def test_chart_width_follows_a_narrow_window(page: Any) -> None:
    widths = many(page, "plots.js", "chartWidth", [[1280], [861], [860], [390], [200]])
    assert widths == [640, 640, 640, 338, 280]


def test_ramp_clamps_and_ends_at_the_palette(page: Any) -> None:
    colours = many(page, "plots.js", "ramp", [[0], [1], [-5], [7], [None]])
    low, high = "rgb(68,1,84)", "rgb(138,109,0)"  # the ramp's ends: 3:1 or more on white
    assert colours == [low, high, low, high, low]


def test_names_in_a_line_are_isolated(page: Any) -> None:
    """A name holding a right-to-left override reordered the rest of its line: written
    into a longer line, each name and value is set apart (U+2068 ... U+2069)."""
    override = "\u202eevil"
    text = call(page, "sigopt.js", "assignmentsText", {"c": override, "d": 1})
    assert text == f"\u2068c\u2069 = \u2068{override}\u2069, \u2068d\u2069 = \u20681\u2069"
    values = {"values": [{"name": override, "value": 1}, {"name": "cost", "value": 2}]}
    assert call(page, "sigopt.js", "valuesText", values) == (
        f"\u2068{override}\u2069 1 · \u2068cost\u2069 2"
    )
    # drawn, the text after the name stays in reading order: "d = 1" right of "c = "
    order = page.evaluate(
        """(text) => {
          const p = document.createElement('p');
          p.textContent = text;
          document.body.append(p);
          const at = (needle) => {
            const range = document.createRange();
            const i = p.textContent.indexOf(needle);
            range.setStart(p.firstChild, i);
            range.setEnd(p.firstChild, i + needle.length);
            return range.getBoundingClientRect().left;
          };
          const found = [at('c'), at('evil'), at('d')];
          p.remove();
          return found;
        }""",
        text,
    )
    assert order[0] < order[1] < order[2], order


def test_nearest_line_is_the_one_under_the_pointer(page: Any) -> None:
    """nearestLine: square distance to the segment between the axes around the pointer,
    within the reach; the later of two as near (drawn above); a broken line only at its
    end; nothing past the outer axes' reach."""
    xs = [0, 100, 200]
    lines = [[10, 10, 10], [50, 50, 50], [0, 100, 0], [50, 50, None], [10, 10, 10]]
    cases = [
        [{"x": 50, "y": 12}],  # 2 from the flat lines 0 and 4: the later
        [{"x": 50, "y": 50}],  # on lines 1, 2 and 3: the last of them
        [{"x": 110, "y": 52}],  # line 3 has no value on the last axis: line 1
        [{"x": 50, "y": 30}],  # 20 below lines 1 to 3 (square to line 2: 14): none
        [{"x": 50, "y": 45}],  # 5 from lines 1 and 3; square to line 2, 5 / sqrt(2)
        [{"x": 250, "y": 10}],  # past the last axis
    ]
    found = page.evaluate(
        """async ([xs, lines, cases]) => {
          const { nearestLine } = await import('/assets/plots.js');
          return cases.map(([at]) => nearestLine(xs, lines, at, 4.5));
        }""",
        [xs, lines, cases],
    )
    assert found == [4, 3, 1, -1, 2, -1]


def test_a_campaign_read_out_isolates_its_factor_names(page: Any) -> None:
    """A factor named with a right-to-left override read "5 = rotcaf" in a campaign's
    read-out: the name and the value are set apart."""
    lines = call(page, "view-session.js", "pointLines", ["\u202efactor", "Response"], [5, 1])
    assert lines == ["\u2068\u202efactor\u2069 = \u20685\u2069"]

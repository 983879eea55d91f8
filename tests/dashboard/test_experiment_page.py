"""An experiment's page while it polls, in a real browser (headless Chromium).

It reads only what is new since its last read (the API's ``after`` cursor), a keyboard
user's place in a chart outlasts the redraw a new observation brings, and the names of a
categorical axis in parallel coordinates are readable, not drawn on the lines.
"""

from __future__ import annotations

import io
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.dashboard import site
from tests.dashboard.conftest import Site, Tab


def _reads(asked: list[str], what: str) -> list[dict[str, list[str]]]:
    """The query of each request in ``asked`` for an experiment's list ``what``."""
    return [parse_qs(urlsplit(u).query) for u in asked if urlsplit(u).path.endswith(f"/{what}")]


def test_the_poll_reads_only_what_is_new(tab: Tab, dashboard_site: Site) -> None:
    """A new observation made the page read every observation again (5,000 of them every
    3 s on a busy experiment) and every open suggestion: now it reads those after the
    newest it holds, and everything again only when something was deleted."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    eid = site.branin_experiment(conn, f"Polled {uuid.uuid4().hex[:6]}", rounds=3)
    exp = conn.experiments(eid)
    newest = exp.observations().fetch().data[0].id
    open_id = exp.suggestions().fetch(state="open").data[0].id
    tab.sign_in(dashboard_site.alice)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    page.goto(f"{dashboard_site.url}/#/experiments/{eid}")
    headings = page.locator(".card h2")
    observations = page.locator('table[aria-label="Observations"] td[data-label="Values"]')
    expect(headings.filter(has_text="Observations (")).to_have_text("Observations (3)")
    first_load = len(asked)
    assert [q.get("after") for q in _reads(asked, "observations")] == [None]

    s = exp.suggestions().create()
    exp.observations().create(suggestion=open_id, value=1.25)
    expect(headings.filter(has_text="Observations (")).to_have_text(
        "Observations (4)", timeout=15_000
    )
    expect(observations.first).to_have_text("1.25")
    expect(headings.filter(has_text="Open suggestions")).to_have_text("Open suggestions (1)")
    expect(page.locator('table[aria-label="Open suggestions"] tbody td').first).to_have_text(s.id)
    later = asked[first_load:]
    reads = _reads(later, "observations")
    assert reads and all(q.get("after") == [newest] for q in reads), later
    suggestion_reads = _reads(later, "suggestions")
    assert all(q.get("after") or q.get("limit") == ["1"] for q in suggestion_reads), later
    assert any(q.get("after") == [open_id] for q in suggestion_reads), later

    # a deletion is not an addition: the page reads the list again and shows it as it is
    deleted = exp.observations().fetch().data[1].id
    exp.observations(deleted).delete()
    expect(headings.filter(has_text="Observations (")).to_have_text(
        "Observations (3)", timeout=15_000
    )
    ids = page.locator('table[aria-label="Observations"] td[data-label="Id"]').all_inner_texts()
    assert deleted not in ids and len(ids) == 3, ids
    assert tab.errors == [] and tab.dialogs == []


FOCUSED_CHART = """(label) => {
  const e = document.activeElement;
  return e.matches('svg.plot-svg') && e.getAttribute('aria-label').startsWith(label)
    && !e.__beforeRedraw;
}"""


def test_a_redraw_keeps_the_keyboard_on_the_chart(tab: Tab, dashboard_site: Site) -> None:
    """A keyboard user who tabbed to a chart, and stepped to a point in it, was sent back
    to the page's start each time the page drew a new observation: the chart they were on
    was replaced, and with it the focus."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    eid = site.branin_experiment(conn, f"Kept {uuid.uuid4().hex[:6]}", rounds=3)
    exp = conn.experiments(eid)
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/experiments/{eid}")
    count = page.locator(".card h2").filter(has_text="Observations (")
    expect(count).to_have_text("Observations (3)")
    chart = page.locator('.plot-svg[aria-label^="Observation history"]')
    for _ in range(12):  # Tab, from the breadcrumb, to the chart
        page.keyboard.press("Tab")
        if chart.evaluate("(svg) => svg === document.activeElement"):
            break
    expect(chart).to_be_focused()
    page.keyboard.press("Home")
    tip = page.locator(".plot-tip").first
    expect(tip).to_contain_text("observation 1 (")
    page.evaluate("document.activeElement.__beforeRedraw = true")
    s = exp.suggestions().create()
    exp.observations().create(suggestion=s.id, value=0.5)
    expect(count).to_have_text("Observations (4)", timeout=15_000)
    assert page.evaluate(FOCUSED_CHART, "Observation history"), page.evaluate(
        "document.activeElement.outerHTML.slice(0, 200)"
    )
    expect(tip).to_contain_text("observation 1 (")  # the same point
    kept = tip.inner_text()
    page.keyboard.press("ArrowRight")  # and the keys go on from it
    expect(tip).not_to_have_text(kept)
    expect(tip).to_contain_text("after 1 observations")

    # parallel coordinates: the same line, the best first
    parallel = page.locator(".plot-scroll .plot-svg")
    parallel.focus()
    page.keyboard.press("Home")
    lines_tip = page.locator(".plot-tip").nth(1)
    expect(lines_tip).to_contain_text("observation ")
    line = lines_tip.inner_text().splitlines()[0]
    page.evaluate("document.activeElement.__beforeRedraw = true")
    s = exp.suggestions().create()
    exp.observations().create(suggestion=s.id, value=300.0)  # worse than all: not first
    expect(count).to_have_text("Observations (5)", timeout=15_000)
    assert page.evaluate(FOCUSED_CHART, "Parameters against")
    expect(lines_tip).to_contain_text(line)
    expect(page.locator(".pc-line.active")).to_have_count(1)
    assert tab.errors == [] and tab.dialogs == []


def test_a_redraw_keeps_hidden_series_and_the_keyboard_on_the_legend(
    tab: Tab, dashboard_site: Site
) -> None:
    """A series the reader hid from a chart's legend came back each time the page drew a
    new observation, and a keyboard user on a legend button fell back to the page's start."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    eid = site.branin_experiment(conn, f"Legend {uuid.uuid4().hex[:6]}", rounds=3)
    exp = conn.experiments(eid)
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/experiments/{eid}")
    count = page.locator(".card h2").filter(has_text="Observations (")
    expect(count).to_have_text("Observations (3)")
    history = page.locator("figure.plot").filter(
        has=page.locator('.plot-svg[aria-label^="Observation history"]')
    )
    button = history.locator(".legend-item", has_text="observations")
    markers = history.locator('g.series[data-series="observations"] circle')
    expect(markers).to_have_count(3)
    button.focus()
    page.keyboard.press("Space")  # hide the observations
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(markers).to_have_count(0)
    page.evaluate("document.activeElement.__beforeRedraw = true")
    s = exp.suggestions().create()
    exp.observations().create(suggestion=s.id, value=0.5)
    expect(count).to_have_text("Observations (4)", timeout=15_000)
    # a new chart (the old one had the mark), the series still hidden
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(markers).to_have_count(0)
    expect(history.locator('g.series[data-series^="best so far"] path')).to_have_count(1)
    # and the keyboard still on the same button of the new legend
    assert page.evaluate(
        "() => document.activeElement.matches('.legend-item')"
        " && document.activeElement.textContent === 'observations'"
        " && !document.activeElement.__beforeRedraw"
    ), page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
    page.keyboard.press("Space")  # the keys go on from there: show them again
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(markers).to_have_count(4)
    assert tab.errors == [] and tab.dialogs == []


#: for each tick label (a category's name, a number) in parallel coordinates whose text is
#: one of ``names``: its box, the axis line's, the chart's, and how many points of its box
#: have a line right under the label
TICK_LABELS = """(names) => {
  const svg = document.querySelector('.plot-scroll .plot-svg');
  const chart = svg.getBoundingClientRect();
  const out = [];
  for (const text of svg.querySelectorAll('.pc-axis text')) {
    if (!names.includes(text.textContent)) continue;
    const box = text.getBoundingClientRect();
    const axis = text.closest('.pc-axis').querySelector('line.axis').getBoundingClientRect();
    let onLines = 0;
    for (let fx = 0.05; fx < 1; fx += 0.1) {
      for (let fy = 0.15; fy < 1; fy += 0.175) {
        const x = box.left + fx * box.width;
        const y = box.top + fy * box.height;
        const under = document.elementsFromPoint(x, y)
          .filter((e) => e !== text && !text.contains(e));
        if (under.length && under[0].matches('.pc-line, .pc-hit')) onLines += 1;
      }
    }
    const rect = (r) => ({ left: r.left, right: r.right, top: r.top, bottom: r.bottom });
    const name = text.textContent;
    out.push({ name, box: rect(box), axis: rect(axis), chart: rect(chart), onLines });
  }
  return out;
}"""


def _assert_clear_of_the_lines(page: Any, labels: list[dict[str, Any]]) -> None:
    """Each label (from ``TICK_LABELS``) stands beside its axis, inside the chart, with no
    line under it, and its pixels hold no line's colour."""
    from PIL import Image

    for label in labels:
        box, axis, chart = label["box"], label["axis"], label["chart"]
        assert box["right"] < axis["left"], label  # beside the axis, not across it
        assert box["left"] >= chart["left"], label  # not cut at the chart's edge
        assert label["onLines"] == 0, label  # no line drawn over or right under the label
        # and in the picture: only the label's grey and the ground, no line's colour
        shot = page.screenshot(
            clip={
                "x": box["left"],
                "y": box["top"],
                "width": box["right"] - box["left"],
                "height": box["bottom"] - box["top"],
            }
        )
        image = Image.open(io.BytesIO(shot)).convert("RGB")
        pixels = [image.getpixel((x, y)) for x in range(image.width) for y in range(image.height)]
        coloured = [p for p in pixels if max(p) - min(p) > 35]
        assert not coloured, (label["name"], coloured[:5])


def test_category_names_stand_clear_of_the_lines(tab: Tab, dashboard_site: Site) -> None:
    """In parallel coordinates, a categorical axis's names were drawn where all the lines
    of that category meet the axis: on the lines, unreadable. Each now stands left of its
    axis on a plate of the page's ground, above the lines, inside the chart (the first
    axis's too)."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    e = conn.experiments.create(
        name=f"Categories {uuid.uuid4().hex[:6]}",
        parameters=[
            {
                "name": "solvent",
                "type": "categorical",
                "categorical_values": ["water", "dimethylformamide"],
            },
            {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}},
            {"name": "catalyst", "type": "categorical", "categorical_values": ["Pd", "Ni", "Pt"]},
        ],
        metrics=[{"name": "yield", "objective": "maximize"}],
        observation_budget=40,
    )
    exp = conn.experiments(e.id)
    for i in range(24):
        s = exp.suggestions().create()
        exp.observations().create(suggestion=s.id, value=s.assignments["x"] + i / 100)
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/experiments/{e.id}")
    expect(page.locator(".pc-line")).to_have_count(24)
    page.locator(".plot-scroll .plot-svg").evaluate(
        '(svg) => svg.scrollIntoView({ block: "center" })'
    )
    labels = page.evaluate(TICK_LABELS, ["water", "dimethylfor…", "Pd", "Ni", "Pt"])
    assert len(labels) == 5, labels
    _assert_clear_of_the_lines(page, labels)
    assert tab.errors == [] and tab.dialogs == []


def test_numeric_ticks_stand_clear_of_the_lines(tab: Tab, dashboard_site: Site) -> None:
    """In parallel coordinates, a numeric axis's tick labels stood left of the axis where
    the lines from the axis before arrive, with only a white halo: the lines ran through
    the numbers. Each now stands on a plate above the lines, as a category's name does."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    e = conn.experiments.create(
        name=f"Numeric ticks {uuid.uuid4().hex[:6]}",
        parameters=[
            {"name": "x1", "type": "double", "bounds": {"min": -5, "max": 10}},
            {"name": "x2", "type": "double", "bounds": {"min": 0, "max": 15}},
            {"name": "k", "type": "int", "bounds": {"min": -200000, "max": 200000}},
        ],
        metrics=[{"name": "loss", "objective": "minimize"}],
        observation_budget=60,
    )
    exp = conn.experiments(e.id)
    for _ in range(40):
        s = exp.suggestions().create()
        a = s.assignments
        exp.observations().create(suggestion=s.id, value=site.branin(a["x1"], a["x2"]))
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/experiments/{e.id}")
    expect(page.locator(".pc-line")).to_have_count(40)
    page.locator(".plot-scroll .plot-svg").evaluate(
        '(svg) => svg.scrollIntoView({ block: "center" })'
    )
    ticks = page.locator(".plot-scroll .pc-axis .pc-tick").all_text_contents()
    assert len(ticks) >= 12, ticks  # three or more on each of the four axes
    labels = page.evaluate(TICK_LABELS, sorted(set(ticks)))
    assert len(labels) == len(ticks), (ticks, labels)
    _assert_clear_of_the_lines(page, labels)
    assert tab.errors == [] and tab.dialogs == []


#: every label of parallel coordinates that may meet another: each tick label's plate
#: (with its text's box, its full name and its axis's name) and each axis's name
PLATES = """() => {
  const svg = document.querySelector('.plot-scroll .plot-svg');
  const rect = (r) => ({ left: r.left, right: r.right, top: r.top, bottom: r.bottom });
  const plates = [...svg.querySelectorAll('.pc-tick-label')].map((g) => ({
    axis: g.closest('.pc-axis').querySelector('.axis-label title').textContent,
    full: (g.querySelector('title') || g.querySelector('text')).textContent,
    text: g.querySelector('text').textContent,
    box: rect(g.querySelector('rect').getBoundingClientRect()),
    textBox: rect(g.querySelector('text').getBoundingClientRect()),
  }));
  const names = [...svg.querySelectorAll('.pc-axis > .axis-label')].map((t) => ({
    full: t.querySelector('title').textContent,
    box: rect(t.getBoundingClientRect()),
  }));
  return { plates, names };
}"""


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    """Whether two boxes share more than a hair (half a pixel) of area."""
    return (
        min(a["right"], b["right"]) - max(a["left"], b["left"]) > 0.5
        and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 0.5
    )


def _assert_apart(boxes: list[tuple[str, dict[str, float]]]) -> None:
    """No two of the named boxes overlap."""
    for i, (name_a, a) in enumerate(boxes):
        for name_b, b in boxes[i + 1 :]:
            assert not _overlap(a, b), (name_a, a, name_b, b)


def test_many_categories_with_long_names_do_not_overlap(tab: Tab, dashboard_site: Site) -> None:
    """A categorical parameter of many levels stacked its names' plates 16 pixels tall at
    steps of 328 / levels: at 30 levels they overlapped, long names too. The chart grows
    taller for them (at 60 levels and more, every so many levels are labelled), every label
    fits beside its axis, and a name cut short tells its whole self in the plate's title."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    solvents = [f"Solvent {k:02d}: a long trade name, grade W" for k in range(30)]
    catalysts = [f"catalyst-{k}" for k in range(12)]
    ligands = [f"L{k}" for k in range(150)]
    wide = "WWWWWWWWWWWWWWWWWWWWWWWW"  # the widest letters: the name must be cut to fit
    e = conn.experiments.create(
        name=f"Many categories {uuid.uuid4().hex[:6]}",
        parameters=[
            {"name": "solvent", "type": "categorical", "categorical_values": solvents},
            {"name": wide, "type": "categorical", "categorical_values": [wide, "M" * 30]},
            {"name": "catalyst", "type": "categorical", "categorical_values": catalysts},
            {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}},
            {"name": "ligand", "type": "categorical", "categorical_values": ligands},
        ],
        metrics=[{"name": "yield", "objective": "maximize"}],
        observation_budget=40,
    )
    exp = conn.experiments(e.id)
    for i in range(6):
        s = exp.suggestions().create()
        exp.observations().create(suggestion=s.id, value=s.assignments["x"] + i / 10)
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/experiments/{e.id}")
    expect(page.locator(".pc-line")).to_have_count(6)
    found = page.evaluate(PLATES)
    plates, names = found["plates"], found["names"]
    _assert_apart([(p["full"], p["box"]) for p in plates] + [(n["full"], n["box"]) for n in names])
    by_axis: dict[str, list[dict[str, Any]]] = {}
    for plate in plates:
        by_axis.setdefault(plate["axis"], []).append(plate)
    # every level labelled up to 60 levels; past them, a label every few levels
    assert [p["full"] for p in by_axis["solvent"]] == solvents
    assert [p["full"] for p in by_axis["catalyst"]] == catalysts
    assert [p["full"] for p in by_axis[wide]] == [wide, "M" * 30]
    assert 20 <= len(by_axis["ligand"]) < len(ligands), len(by_axis["ligand"])
    assert {p["full"] for p in by_axis["ligand"]} <= set(ligands)
    for plate in plates:
        # a label is its name, or the name's start and "…" (the whole name in the title)
        text, full = plate["text"], plate["full"]
        assert text == full or (text.endswith("…") and full.startswith(text[:-1])), plate
        box, inner = plate["box"], plate["textBox"]
        assert box["left"] <= inner["left"] and inner["right"] <= box["right"], plate
    assert any(p["text"] != p["full"] for p in by_axis["solvent"])
    assert tab.errors == [] and tab.dialogs == []


#: the ticks of the experiment page's first chart (the observation history): each label's
#: value, box and place on its axis; the axes' lines; the markers' centres
CHART_TICKS = """() => {
  const svg = document.querySelector('.plot-svg');
  const rect = (r) => ({ left: r.left, right: r.right, top: r.top, bottom: r.bottom });
  const ticks = [...svg.querySelectorAll('.axes text.tick')].map((t) => ({
    value: Number(t.textContent),
    axis: t.getAttribute('text-anchor') === 'end' ? 'y' : 'x',
    at: t.getAttribute('text-anchor') === 'end'
      ? Number(t.getAttribute('y')) - 4 : Number(t.getAttribute('x')),
    box: rect(t.getBoundingClientRect()),
  }));
  const line = [...svg.querySelectorAll('.axes line.axis')].pop();
  const xAxis = ['x1', 'x2', 'y1'].map((k) => Number(line.getAttribute(k)));
  const markers = [...svg.querySelectorAll('circle.marker')].map(
    (c) => [Number(c.getAttribute('cx')), Number(c.getAttribute('cy'))]);
  return { ticks, xAxis, markers };
}"""

#: each numeric axis of parallel coordinates: its line's two ends and its tick labels'
#: heights and texts
PC_NUMERIC_AXES = """() => [...document.querySelectorAll('.plot-scroll .pc-axis')].map((g) => {
  const line = g.querySelector('line.axis');
  return {
    name: g.querySelector('.axis-label title').textContent,
    ends: [Number(line.getAttribute('y1')), Number(line.getAttribute('y2'))],
    ticks: [...g.querySelectorAll('.pc-tick-label')].map((l) => ({
      text: l.querySelector('text').textContent,
      y: Number(l.querySelector('rect').getAttribute('y')) + 8,
    })),
  };
})"""


def _assert_ends_labelled(tab: Tab, dashboard_site: Site) -> None:
    page = tab.page
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/experiments/{dashboard_site.alice_experiment}")
    expect(page.locator(".pc-line").first).to_be_attached()
    page.wait_for_selector(".plot-svg circle.marker")
    found = page.evaluate(CHART_TICKS)
    x_ticks = [t for t in found["ticks"] if t["axis"] == "x"]
    y_ticks = [t for t in found["ticks"] if t["axis"] == "y"]
    left, right, bottom = found["xAxis"]
    # the axis under the chart starts and ends at a labelled tick
    assert abs(x_ticks[0]["at"] - left) < 0.01, (x_ticks, left)
    assert abs(x_ticks[-1]["at"] - right) < 0.01, (x_ticks, right)
    # so does the vertical axis: its least tick on the axis below, its greatest above
    # every marker
    low = max(y_ticks, key=lambda t: t["at"])
    high = min(y_ticks, key=lambda t: t["at"])
    assert abs(low["at"] - bottom) < 0.01, (y_ticks, bottom)
    assert all(high["at"] <= y <= low["at"] for _, y in found["markers"]), (y_ticks,)
    assert all(x_ticks[0]["at"] <= x <= x_ticks[-1]["at"] for x, _ in found["markers"])
    _assert_apart([(str(t["value"]), t["box"]) for t in x_ticks])
    _assert_apart([(str(t["value"]), t["box"]) for t in y_ticks])
    # and each numeric axis of parallel coordinates has a label at its top and its bottom
    for axis in page.evaluate(PC_NUMERIC_AXES):
        if axis["name"] == "solvent":
            continue
        heights = [t["y"] for t in axis["ticks"]]
        assert any(abs(y - axis["ends"][0]) < 0.01 for y in heights), axis
        assert any(abs(y - axis["ends"][1]) < 0.01 for y in heights), axis
    assert tab.errors == [] and tab.dialogs == []


def test_the_ends_of_a_numeric_axis_are_labelled(tab: Tab, dashboard_site: Site) -> None:
    """A numeric axis showed only the round ticks inside its range: where it started and
    ended (the observations' range, padded) could not be read. Its ends are now round
    ticks, labelled like the others, the labels apart."""
    _assert_ends_labelled(tab, dashboard_site)


def test_the_ends_of_a_numeric_axis_are_labelled_on_a_phone(
    narrow_tab: Tab, dashboard_site: Site
) -> None:
    """The same on a narrow screen, where fewer ticks fit under the chart."""
    _assert_ends_labelled(narrow_tab, dashboard_site)


#: the size in CSS pixels at which parallel coordinates draw each axis's name and each
#: tick label (the drawing's scale times the text's font size)
PC_TEXT_PIXELS = """() => {
  const svg = document.querySelector('.plot-scroll .pc-stack > .plot-svg');
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  const size = (el) => scale * parseFloat(getComputedStyle(el).fontSize);
  return { names: [...svg.querySelectorAll('.pc-axis .axis-label')].map(size),
           ticks: [...svg.querySelectorAll('.pc-axis .pc-tick')].map(size) };
}"""


@pytest.mark.parametrize("parameters", [3, 5])
def test_parallel_coordinates_are_readable_on_a_phone(
    narrow_tab: Tab, dashboard_site: Site, parameters: int
) -> None:
    """On a 390-pixel screen, parallel coordinates of 4 to 6 axes (a 1000-unit drawing kept
    at 560 to 720 pixels) drew their axes' names at 7 to 9 px and their tick labels at 6
    to 7 px, too small to read: each is drawn at 11 px or more now, the chart scrolling
    sideways in its card, not the page."""
    page = narrow_tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    names = [f"dose {i}" for i in range(parameters - 1)]
    e = conn.experiments.create(
        name=f"Phone {uuid.uuid4().hex[:6]}",
        parameters=[
            *({"name": n, "type": "double", "bounds": {"min": 0, "max": 1}} for n in names),
            {"name": "buffer", "type": "categorical", "categorical_values": ["tris", "hepes"]},
        ],
        metrics=[{"name": "yield", "objective": "maximize"}],
    )
    conn.experiments(e.id).observations().create_batch(
        observations=[
            {
                "assignments": {**{n: (i + k) % 5 / 5 for k, n in enumerate(names)}, "buffer": b},
                "value": i,
            }
            for i, b in enumerate(["tris", "hepes", "tris", "hepes"])
        ]
    )
    narrow_tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/experiments/{e.id}")
    expect(page.locator(".plot-scroll .pc-lines .pc-line")).to_have_count(4)
    sizes = page.evaluate(PC_TEXT_PIXELS)
    assert len(sizes["names"]) == parameters + 1, sizes
    assert sizes["ticks"] and min(sizes["names"] + sizes["ticks"]) >= 11, sizes
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert narrow_tab.errors == [] and narrow_tab.dialogs == []


#: each level band of a categorical axis: its level's name (its title) and its box
BANDS = """() => [...document.querySelectorAll('.plot-scroll .pc-level')].map((r) => {
  const b = r.getBoundingClientRect();
  const name = r.querySelector('title').textContent;
  return { name, x: b.left + b.width / 2, y: b.top + b.height / 2 };
})"""


@pytest.mark.parametrize("count", [61, 200, 1000])
def test_an_axis_of_very_many_levels_names_some_and_tells_every_one(
    tab: Tab, dashboard_site: Site, count: int
) -> None:
    """Past 60 levels an axis labels every so many levels, their plates apart; a level
    without a label was read only by hovering a line through it. Every level's band now
    names it on hover (its title and the read-out), and a list under the chart holds every
    level for the keyboard."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    levels = [f"<i>{k}</i>" for k in range(count)]
    e = conn.experiments.create(
        name=f"{count} levels {uuid.uuid4().hex[:6]}",
        type="random",  # more than 200 levels: random search only
        parameters=[
            {"name": "reagent", "type": "categorical", "categorical_values": levels},
            {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}},
        ],
        metrics=[{"name": "yield", "objective": "maximize"}],
        observation_budget=40,
    )
    exp = conn.experiments(e.id)
    for i in range(3):
        s = exp.suggestions().create()
        exp.observations().create(suggestion=s.id, value=s.assignments["x"] + i / 10)
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/experiments/{e.id}")
    expect(page.locator(".pc-line")).to_have_count(3)
    found = page.evaluate(PLATES)
    plates = [p for p in found["plates"] if p["axis"] == "reagent"]
    _assert_apart([(p["full"], p["box"]) for p in found["plates"]])
    assert len(plates) >= 20, len(plates)
    assert {p["full"] for p in plates} <= set(levels)
    assert all(p["text"] == p["full"] for p in plates)  # short names: shown whole
    # every level has a band that names it, from the bottom of the axis up
    bands = page.evaluate(BANDS)
    assert [b["name"] for b in bands] == levels
    assert all(b["y"] > bands[k + 1]["y"] for k, b in enumerate(bands[:-1]))
    # hovering an unlabelled level's band reads its name out
    unlabelled = next(k for k in range(count) if levels[k] not in {p["full"] for p in plates})
    page.locator(".pc-level").nth(unlabelled).scroll_into_view_if_needed()
    band = page.evaluate(BANDS)[unlabelled]
    page.mouse.move(band["x"], band["y"])
    tip = page.locator(".plot-scroll ~ .plot-tip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text(levels[unlabelled])
    # and the keyboard opens the list of every level
    summary = page.locator(".pc-level-list summary")
    expect(summary).to_have_text(f"All {count:,} levels of reagent (the axis names every few)")
    summary.focus()
    page.keyboard.press("Enter")
    items = page.locator(".pc-level-list[open] li")
    expect(items).to_have_count(count)
    assert items.all_text_contents() == levels
    assert tab.errors == [] and tab.dialogs == []


#: the line (its observation's id) marked over the chart, and how far it passes from the
#: point (x, y) of the page, in the chart's units
MARKED = """([x, y]) => {
  const svg = document.querySelector('.plot-scroll .plot-svg');
  const marked = document.querySelector('.pc-overlay .pc-line.active');
  const line = [...svg.querySelectorAll('.pc-lines .pc-line')]
    .find((l) => l.getAttribute('d') === marked.getAttribute('d'));
  const at = new DOMPoint(x, y).matrixTransform(svg.getScreenCTM().inverse());
  const p = line.getAttribute('d').match(/-?[\\d.]+/g).map(Number);
  let near = Infinity;
  for (let i = 0; i + 3 < p.length; i += 2) {
    const [x0, y0, x1, y1] = p.slice(i, i + 4);
    const t = Math.max(0, Math.min(1, ((at.x - x0) * (x1 - x0) + (at.y - y0) * (y1 - y0)) /
      ((x1 - x0) ** 2 + (y1 - y0) ** 2)));
    near = Math.min(near, Math.hypot(at.x - x0 - t * (x1 - x0), at.y - y0 - t * (y1 - y0)));
  }
  return { key: line.dataset.key, near };
}"""


def test_thousands_of_lines_read_by_the_pointer_without_drawing_them_again(
    tab: Tab, dashboard_site: Site
) -> None:
    """Each of 5,000 lines had a hit path of its own, and reading one marked it among the
    others: each move of the pointer repainted all of them (0.3 s a move). The pointer now
    reads the line nearest to it, marked in a drawing laid over the chart: the chart's own
    lines are not touched, and the read-out is that line's."""
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    e = conn.experiments.create(
        name=f"Thousands of lines {uuid.uuid4().hex[:6]}",
        type="random",
        parameters=[
            {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}},
            {"name": "k", "type": "categorical", "categorical_values": ["a", "b", "c"]},
        ],
        metrics=[{"name": "y", "objective": "minimize"}],
        observation_budget=6000,
    )
    observations = conn.experiments(e.id).observations()
    for start in range(0, 5000, 1000):
        batch = [
            {"assignments": {"x": (i % 997) / 997, "k": "abc"[i % 3]}, "value": (i * 7919) % 5003}
            for i in range(start, start + 1000)
        ]
        observations.create_batch(observations=batch)
    page = tab.page
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/experiments/{e.id}")
    expect(page.locator(".pc-lines .pc-line")).to_have_count(5000, timeout=60_000)
    chart = page.locator(".plot-scroll .plot-svg")
    chart.scroll_into_view_if_needed()
    # the chart's drawing is not touched while the pointer reads its lines
    page.evaluate(
        """() => {
          window.__touched = 0;
          new MutationObserver((m) => { window.__touched += m.length; }).observe(
            document.querySelector('.plot-scroll .plot-svg'),
            { subtree: true, attributes: true, childList: true });
        }"""
    )
    box = chart.bounding_box()
    assert box is not None
    for k in range(12):
        page.mouse.move(box["x"] + 40 + k * 60, box["y"] + box["height"] * (0.2 + k / 20))
    assert page.evaluate("window.__touched") == 0
    # the read-out is the line under the pointer, marked above the others
    x, y = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5
    page.mouse.move(x, y)
    tip = page.locator(".plot-scroll ~ .plot-tip")
    expect(tip).to_be_visible()
    expect(page.locator(".pc-overlay .pc-line.active")).to_have_count(1)
    marked = page.evaluate(MARKED, [x, y])
    assert marked["near"] <= 4.6, marked
    expect(tip.locator(".tip-head")).to_contain_text(f"observation {marked['key']}:")
    assert page.evaluate("window.__touched") == 0
    page.mouse.move(box["x"] + 2, box["y"] + 2)  # off every line
    expect(tip).to_be_hidden()
    expect(page.locator(".pc-line.active")).to_have_count(0)
    assert tab.errors == [] and tab.dialogs == []

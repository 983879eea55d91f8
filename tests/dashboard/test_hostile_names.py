"""Names as long and as hostile as the API takes, in a real browser (headless Chromium).

An experiment's name of 500 characters (markup and all), a metric's and parameters' names
of a few hundred: each is shown as text (never markup), cut to a few lines or to its axis
with its whole self in a title, and nothing runs past the page, the cards or the charts, on
a desktop's window and a phone's alike.
"""

from __future__ import annotations

import re
import uuid
from html.parser import HTMLParser
from typing import Any

from playwright.sync_api import expect

from tests.dashboard import site
from tests.dashboard.conftest import Site, Tab

MARKUP = "<img src=x onerror=alert(1)><script>alert(2)</script>"

#: the boxes of what shows a name on an experiment's page
BOXES = """() => {
  const box = (el) => { const r = el.getBoundingClientRect();
    return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, height: r.height }; };
  const lineHeight = (el) => parseFloat(getComputedStyle(el).lineHeight);
  const shown = (el) => ({ box: box(el), line: lineHeight(el), title: el.title });
  const h1 = document.querySelector('#experiment-name');
  const stats = [...document.querySelectorAll('.stats dd')];
  const charts = [...document.querySelectorAll('.plot-svg')].map((svg) => ({
    svg: box(svg),
    names: [...svg.querySelectorAll('.axis-label')].map((t) => ({
      box: box(t),
      text: [...t.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join(''),
      title: t.querySelector('title')?.textContent ?? null })),
  }));
  return {
    width: document.documentElement.clientWidth,
    scrollWidth: document.documentElement.scrollWidth,
    h1: { box: box(h1), line: lineHeight(h1), title: h1.title, text: h1.textContent },
    stats: stats.map((dd) => ({ box: box(dd), line: lineHeight(dd), title: dd.title })),
    headings: [...document.querySelectorAll('.card > h2')].map(shown),
    legends: [...document.querySelectorAll('.plot-legend .muted')].map(shown),
    charts,
  };
}"""


def _long_named_experiment(dashboard_site: Site) -> tuple[str, str, str]:
    """An experiment whose own, metric's and parameters' names are long markup; its id,
    name and metric's name."""
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    tag = uuid.uuid4().hex[:6]
    name = (MARKUP + tag + "N" * 500)[:500]
    metric = MARKUP + "m" * 200
    levels = [MARKUP, "L" * 300]
    e = conn.experiments.create(
        name=name,
        parameters=[
            {"name": MARKUP + "x" * 100, "type": "double", "bounds": {"min": 0, "max": 1}},
            {"name": "c" + MARKUP, "type": "categorical", "categorical_values": levels},
        ],
        metrics=[{"name": metric, "objective": "maximize"}],
        observation_budget=30,
    )
    exp = conn.experiments(e.id)
    for i in range(4):
        s = exp.suggestions().create()
        exp.observations().create(suggestion=s.id, value=i * 0.3)
    return str(e.id), name, metric


def _inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (
        inner["left"] >= outer["left"] - 1
        and inner["right"] <= outer["right"] + 1
        and inner["top"] >= outer["top"] - 1
        and inner["bottom"] <= outer["bottom"] + 1
    )


def _check_page(tab: Tab, dashboard_site: Site) -> None:
    page = tab.page
    eid, name, metric = _long_named_experiment(dashboard_site)
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/experiments/{eid}")
    expect(page.locator(".pc-line")).to_have_count(4)
    found: dict[str, Any] = page.evaluate(BOXES)
    assert found["scrollWidth"] <= found["width"], found["scrollWidth"]
    # the page's name: text, at most 3 lines, whole in its title
    h1 = found["h1"]
    assert h1["text"] == name and h1["title"] == name
    assert h1["box"]["height"] <= 3 * h1["line"] + 1, h1
    # the metric's name in the stats: at most 3 lines (it stretched every card of its row)
    named = [s for s in found["stats"] if MARKUP in s["title"]]
    assert named, found["stats"]
    for stat in found["stats"]:
        assert stat["box"]["height"] <= 3 * stat["line"] + 1, stat
    for heading in found["headings"]:
        assert heading["box"]["height"] <= 2 * heading["line"] + 1, heading
    assert any(h["title"].endswith(f"{metric}\u2069") for h in found["headings"])
    for legend in found["legends"]:
        assert legend["box"]["height"] <= legend["line"] + 1, legend
    # every axis name within its chart, cut with "…" where it must be, whole in its title
    titled = 0
    for chart in found["charts"]:
        for label in chart["names"]:
            assert _inside(label["box"], chart["svg"]), (label, chart["svg"])
            if label["title"] is not None:
                titled += 1
                text, full = label["text"], label["title"]
                assert text == full or (text.endswith("…") and full.startswith(text[:-1])), label
    assert titled >= 2 + 3  # the history's two axes, parallel coordinates' three
    assert page.locator("img[src=x], script:not([src])").count() == 0
    assert tab.errors == [] and tab.dialogs == []


def test_long_hostile_names_on_a_desktop(tab: Tab, dashboard_site: Site) -> None:
    _check_page(tab, dashboard_site)


def test_long_hostile_names_on_a_phone(narrow_tab: Tab, dashboard_site: Site) -> None:
    _check_page(narrow_tab, dashboard_site)


#: each named link of a list: its height, its line height, its title and its text
LIST = """(selector) => [...document.querySelectorAll(selector + ' a.name')].map((a) => {
  const r = a.getBoundingClientRect();
  return { height: r.height, line: parseFloat(getComputedStyle(a).lineHeight), title: a.title,
    text: a.textContent };
})"""


def _check_lists(tab: Tab, dashboard_site: Site) -> None:
    page = tab.page
    _, name, _ = _long_named_experiment(dashboard_site)
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    campaign = (MARKUP + uuid.uuid4().hex[:6] + "N" * 200)[:200]
    conn.sessions.create(name=campaign)
    tab.sign_in(dashboard_site.alice)
    for address, selector, full in (
        ("#/experiments", "#experiments-table", name),
        ("#/", "#sessions-table", campaign),
    ):
        page.goto(f"{dashboard_site.url}/{address}")
        expect(page.locator(f"{selector} a.name").first).to_be_visible()
        links = page.evaluate(LIST, selector)
        mine = [link for link in links if link["text"] == full]
        assert len(mine) == 1 and mine[0]["title"] == full, links
        for link in links:
            assert link["height"] <= 3 * link["line"] + 1, link
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], width
    assert tab.errors == [] and tab.dialogs == []


def test_long_names_in_the_lists_on_a_desktop(tab: Tab, dashboard_site: Site) -> None:
    _check_lists(tab, dashboard_site)


def test_long_names_in_the_lists_on_a_phone(narrow_tab: Tab, dashboard_site: Site) -> None:
    _check_lists(narrow_tab, dashboard_site)


LEVELS = [f"l{i}" for i in range(70)]  # more than an axis names: a list of them
OVERRIDE = "\u202emetric"  # a right-to-left override: "metric (max)" read ")xam( cirtem"

#: the texts that show `name` in a longer line: those where it is set apart (an element of
#: its own that the browser isolates, or U+2068 ... U+2069 in a chart's drawn text), and
#: those where it is not
LINES_WITH = """(name) => {
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const apart = [];
  const bare = [];
  // an element's own text, without its children's (an SVG text's title)
  const own = (el) => [...el.childNodes].filter((n) => n.nodeType === 3)
    .map((n) => n.textContent).join('');
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    const text = node.textContent;
    if (!text.includes(name)) continue;
    const parent = node.parentElement;
    const line = parent.closest('p, li, dd, td, h2, summary, span, div, text').textContent;
    if (text === name && getComputedStyle(parent).unicodeBidi === 'isolate') {
      if (parent.parentElement.textContent !== name) apart.push(line);
    } else if (text.split(name).length - 1 === text.split(`\u2068${name}\u2069`).length - 1) {
      if (text !== `\u2068${name}\u2069`) apart.push(text);
    } else if (text !== name || own(parent) !== name) {
      bare.push(text);
    }
  }
  return { apart, bare };
}"""

#: whether the text `after` is drawn left to right inside `selector`'s first element
IN_ORDER = """([selector, after]) => {
  const el = document.querySelector(selector);
  const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    const at = node.textContent.indexOf(after);
    if (at < 0) continue;
    const left = (i) => { const r = document.createRange();
      r.setStart(node, i); r.setEnd(node, i + 1); return r.getBoundingClientRect().left; };
    return left(at) < left(at + after.length - 1);
  }
  return null;
}"""


def test_a_right_to_left_override_stays_in_its_name(tab: Tab, dashboard_site: Site) -> None:
    """A metric's or a parameter's name holding U+202E, written into a longer line (the
    list's Metrics cell, a card's heading, a chart's legend, the list of an axis' levels),
    turned the rest of that line around: each is now set apart (a <bdi> element in the
    page, U+2068 ... U+2069 in a chart's drawn text)."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    tag = uuid.uuid4().hex[:6]
    axis = "\u202eaxis"
    e = conn.experiments.create(
        name=f"Override {tag}",
        parameters=[
            {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}},
            {"name": axis, "type": "categorical", "categorical_values": LEVELS},
        ],
        metrics=[{"name": OVERRIDE, "objective": "maximize"}],
        observation_budget=30,
    )
    exp = conn.experiments(e.id)
    for i in range(3):
        s = exp.suggestions().create()
        exp.observations().create(suggestion=s.id, value=i * 0.5)
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/experiments")
    cell = page.locator("#experiments-table tr", has_text=f"Override {tag}").locator(
        'td[data-label="Metrics"]'
    )
    expect(cell).to_contain_text("(max)")
    assert page.evaluate(IN_ORDER, ['#experiments-table td[data-label="Metrics"]', "(max)"])
    expect(cell).to_have_text(f"{OVERRIDE} (max)")
    expect(cell.locator("bdi")).to_have_text(OVERRIDE)

    page.goto(f"{dashboard_site.url}/#/experiments/{e.id}")
    expect(page.locator(".pc-level-list summary")).to_have_count(1)
    found = [page.evaluate(LINES_WITH, name) for name in (OVERRIDE, axis)]
    assert [f["bare"] for f in found] == [[], []], found
    # the stats, two headings, the legend, the levels' list
    assert sum(len(f["apart"]) for f in found) >= 4, found
    assert page.evaluate(IN_ORDER, [".pc-level-list summary", "(the axis names every few)"])
    assert tab.errors == [] and tab.dialogs == []


def test_a_long_metric_value_does_not_widen_the_list(tab: Tab, dashboard_site: Site) -> None:
    """A metric's name of a few hundred characters, drawn whole in the list's Metrics
    cell, widened the table past a desktop's window: it is cut to 3 lines, whole in its
    title."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    metric = "m" * 300
    e = conn.experiments.create(
        name=f"Wide {uuid.uuid4().hex[:6]}",
        parameters=[{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
        metrics=[{"name": metric, "objective": "minimize"}, {"name": "n" * 300}],
    )
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/experiments")
    row = page.locator("#experiments-table tr", has_text=e.name)
    expect(row).to_be_visible()
    wrap = page.locator("#experiments-table .table-wrap")
    assert wrap.evaluate("(w) => w.scrollWidth <= w.clientWidth"), wrap.evaluate(
        "(w) => [w.scrollWidth, w.clientWidth]"
    )
    cell = row.locator('td[data-label="Metrics"] .cut')
    expect(cell).to_have_attribute("title", re.compile(metric))
    box = cell.bounding_box()
    line = cell.evaluate("(c) => parseFloat(getComputedStyle(c).lineHeight)")
    assert box is not None and box["height"] <= 3 * line + 1, (box, line)
    assert tab.errors == [] and tab.dialogs == []


def test_a_long_description_is_cut_and_shown_whole_on_demand(
    tab: Tab, dashboard_site: Site
) -> None:
    """A campaign's description of thousands of characters was drawn whole, pushing the
    page a few screens down: it is cut to 4 lines, whole in its title and behind a "Show
    all" button; a short one has no button."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    long_text = "A description that goes on. " * 300
    long_id = conn.sessions.create(name=f"Long {uuid.uuid4().hex[:6]}", description=long_text).id
    short_id = conn.sessions.create(name=f"Short {uuid.uuid4().hex[:6]}", description="Brief.").id
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/sessions/{long_id}")
    text = page.locator("#session-description")
    expect(text).to_have_attribute("title", long_text)
    line = text.evaluate("(p) => parseFloat(getComputedStyle(p).lineHeight)")
    box = text.bounding_box()
    assert box is not None and box["height"] <= 4 * line + 1, (box, line)
    button = page.locator(".expandable button")
    expect(button).to_have_text("Show all")
    button.click()
    expect(button).to_have_text("Show less")
    box = text.bounding_box()
    assert box is not None and box["height"] > 10 * line, box
    # the page draws itself again when the campaign changes (here read again as a tab
    # shown again reads it): the text stays whole
    conn.sessions(long_id).update(name=f"Renamed {uuid.uuid4().hex[:6]}")
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(page.locator("#session-name")).to_contain_text("Renamed", timeout=15_000)
    expect(button).to_have_text("Show less")
    box = text.bounding_box()
    assert box is not None and box["height"] > 10 * line, box
    page.goto(f"{dashboard_site.url}/#/sessions/{short_id}")
    expect(page.locator("#session-description")).to_have_text("Brief.")
    expect(page.locator(".expandable button")).to_be_hidden()
    assert tab.errors == [] and tab.dialogs == []


#: the letters (grapheme clusters) of a long metric's name: a right-to-left override, then
#: emoji of three code points and letters with a combining accent
SPOKEN_LETTERS = ["\u202e", "R", "T", "L", " "] + ["\U0001f469\u200d\U0001f52c", "e\u0301"] * 40


def test_a_chart_speaks_a_long_or_reversed_name_cut_and_set_apart(
    tab: Tab, dashboard_site: Site
) -> None:
    """A chart's accessible name said a metric's name bare: its right-to-left override
    turned the rest of the label around where a braille display or a screen reader's text
    view shows it, and 500 characters were read before what the chart is. The name is cut
    to 60 letters (never inside an emoji or an accent) and set apart, and the accessible
    description has it whole."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    metric = "".join(SPOKEN_LETTERS)
    short = "\u202eshort"
    e = conn.experiments.create(
        name=f"Spoken {uuid.uuid4().hex[:6]}",
        parameters=[{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
        metrics=[{"name": metric, "objective": "maximize"}, {"name": short}],
        observation_budget=10,
    )
    exp = conn.experiments(e.id)
    for i in range(3):
        s = exp.suggestions().create()
        values = [{"name": metric, "value": i * 0.5}, {"name": short, "value": 1 - i * 0.3}]
        exp.observations().create(suggestion=s.id, values=values)
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/experiments/{e.id}")
    cut = "".join(SPOKEN_LETTERS[:59]) + "…"
    spoken, whole = f"\u2068{cut}\u2069", f"\u2068{metric}\u2069"
    pareto = page.get_by_role("img", name=f"Pareto front of {spoken} and \u2068{short}\u2069")
    expect(pareto).to_have_attribute(
        "aria-label",
        f"Pareto front of {spoken} and \u2068{short}\u2069 (arrow keys read the points one by one)",
    )
    expect(pareto).to_have_accessible_description(f"Whole names: {whole}, \u2068{short}\u2069")
    lines = page.get_by_role("img", name=f"Parameters against {spoken}")
    expect(lines).to_have_attribute(
        "aria-label",
        f"Parameters against {spoken} (arrow keys read the lines one by one, the best first)",
    )
    expect(lines).to_have_accessible_description(f"Whole name: {whole}")
    assert tab.errors == [] and tab.dialogs == []


def test_an_analytics_file_line_sets_its_name_apart(tab: Tab, dashboard_site: Site) -> None:
    """Each analytics file's line names the file, then its type and size: the name is set
    apart (a <bdi> element) as every name written into a longer line is, so that the
    line reads name, type, size whatever letters a name holds."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    sid = site.simulated_campaign(conn, f"Analytics {uuid.uuid4().hex[:6]}", gens=1)
    files = conn.sessions(sid).analytics.create(wait=True).result.files
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/sessions/{sid}")
    lines = page.locator("ul.files li")
    expect(lines).to_have_count(len(files))
    shown = lines.evaluate_all("(items) => items.map((li) => li.textContent)")
    links = page.locator("ul.files li a").evaluate_all("(links) => links.map((a) => a.textContent)")
    assert links == [f.name for f in files], links
    assert page.locator("ul.files li a bdi").all_text_contents() == links
    for line, file in zip(shown, files, strict=True):
        kib = -(-file.size // 1024)
        assert line == f"{file.name} {file.content_type}, {kib} KiB", line
    assert page.evaluate(IN_ORDER, ["ul.files li", "KiB"])
    assert tab.errors == [] and tab.dialogs == []


#: the text of `selector`'s first element, selected whole
COPIED = """async (selector) => {
  const range = document.createRange();
  range.selectNodeContents(document.querySelector(selector));
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  return selection.toString();
}"""

#: what the keyboard copied: the clipboard's plain text and HTML
CLIPBOARD = """async () => {
  const [item] = await navigator.clipboard.read();
  return { text: await navigator.clipboard.readText(),
           html: await (await item.getType('text/html')).text() };
}"""

#: how each metric's name is set apart in `selector`'s first element: its element's
#: computed unicode-bidi and its text
ISOLATES = """(selector) => [...document.querySelector(selector).querySelectorAll('bdi')]
  .map((b) => [getComputedStyle(b).unicodeBidi, b.textContent])"""


def _cells(html: str) -> list[str]:
    """The text of each cell of copied HTML, as a spreadsheet pastes it."""
    cells: list[str] = []

    class Cells(HTMLParser):
        depth = 0

        def handle_starttag(self, tag: str, attrs: Any) -> None:
            if tag in ("td", "th"):
                self.depth += 1
                cells.append("")

        def handle_endtag(self, tag: str) -> None:
            if tag in ("td", "th"):
                self.depth -= 1

        def handle_data(self, data: str) -> None:
            if self.depth:
                cells[-1] += data

    Cells().feed(html)
    return cells


def test_a_copied_table_has_no_isolation_marks(tab: Tab, dashboard_site: Site) -> None:
    """A table of several metrics, copied, had U+2068 and U+2069 around every metric's name
    (the marks that set them apart were characters of the page): pasted into a spreadsheet,
    its cells held invisible characters. The names are set apart by <bdi> elements now:
    copied, the text and the HTML have no marks and the names whole, and a right-to-left
    name still leaves the rest of its line in order."""
    page = tab.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    name = f"Copied {uuid.uuid4().hex[:6]}"
    rtl = "\u05ea\u05e9\u05d5\u05d0\u05d4"  # Hebrew letters
    e = conn.experiments.create(
        name=name,
        parameters=[{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
        metrics=[{"name": OVERRIDE, "objective": "maximize"}, {"name": rtl}],
        observation_budget=10,
    )
    exp = conn.experiments(e.id)
    for i in range(2):
        s = exp.suggestions().create()
        values = [{"name": OVERRIDE, "value": i + 0.5}, {"name": rtl, "value": 2 - i}]
        exp.observations().create(suggestion=s.id, values=values)
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/experiments")
    metrics = f"{OVERRIDE} (max), {rtl} (max)"
    cell = page.locator("#experiments-table tr", has_text=name).locator('td[data-label="Metrics"]')
    expect(cell).to_have_text(metrics)
    page.goto(f"{dashboard_site.url}/#/experiments/{e.id}")
    observations = 'table[aria-label="Observations"]'
    expect(page.locator(f"{observations} tbody tr")).to_have_count(2)
    for address, selector, texts in (
        (f"#/experiments/{e.id}", observations, [f"{OVERRIDE} 1.5 · {rtl} 1"]),
        ("#/experiments", "#experiments-table table", [metrics]),
    ):
        page.goto(f"{dashboard_site.url}/{address}")
        page.wait_for_selector(f"{selector} bdi")
        selected = page.evaluate(COPIED, selector)
        page.keyboard.press("Control+C")
        copied = page.evaluate(CLIPBOARD)
        cells = "\t".join(_cells(copied["html"]))
        for text in (selected, copied["text"], cells):
            assert "\u2068" not in text and "\u2069" not in text, (selector, text)
            for line in texts:
                assert line in text, (selector, line, text)
        assert f">{OVERRIDE}<" in copied["html"] and f">{rtl}<" in copied["html"]
        # shown, each name is still set apart: "(max)" after the override reads in order
        isolates = page.evaluate(ISOLATES, selector)
        assert isolates and {style for style, _ in isolates} == {"isolate"}, isolates
        assert {OVERRIDE, rtl} <= {text for _, text in isolates}, isolates
    assert page.evaluate(IN_ORDER, ['#experiments-table td[data-label="Metrics"]', "(max),"])
    assert tab.errors == [] and tab.dialogs == []

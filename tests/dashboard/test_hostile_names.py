"""Names as long and as hostile as the API takes, in a real browser (headless Chromium).

An experiment's name of 500 characters (markup and all), a metric's and parameters' names
of a few hundred: each is shown as text (never markup), cut to a few lines or to its axis
with its whole self in a title, and nothing runs past the page, the cards or the charts, on
a desktop's window and a phone's alike.
"""

from __future__ import annotations

import uuid
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
    assert any(h["title"].endswith(metric) for h in found["headings"])
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

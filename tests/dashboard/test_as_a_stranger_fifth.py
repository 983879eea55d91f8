"""The dashboard tried a fifth time as a stranger would, in a real browser (headless
Chromium): after a link the keyboard's focus is on the new page's heading (it fell to
<body>, and a screen reader said nothing), a "Skip to content" link is the first Tab stop,
every count has its thousands separators, and the stats cards of a row are equally wide.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.dashboard import site
from tests.dashboard.conftest import Site, Tab, _open_tab
from tests.dashboard.test_browser import HUGE_SPACE

#: the focused element: its tag, id and text
FOCUSED = """() => {
  const e = document.activeElement;
  return { tag: e.tagName, id: e.id, text: e.textContent.trim().slice(0, 80) };
}"""


def _focused(page: Any) -> dict[str, str]:
    return dict(page.evaluate(FOCUSED))


def test_a_link_leads_the_focus_to_the_new_pages_heading(tab: Tab, dashboard_site: Site) -> None:
    """A link followed inside the dashboard (a campaign's name in the list, the breadcrumb
    back, the navigation, the browser's Back) leaves the focus on the new page's h1, which
    a screen reader then reads; and a redraw of that page (a new observation) keeps it there."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    name = f"focused {uuid.uuid4().hex[:6]}"
    sid = conn.sessions.create(name=name).id
    kept = f"Focus kept {uuid.uuid4().hex[:6]}"
    eid = site.branin_experiment(conn, kept, rounds=2)
    tab.sign_in(dashboard_site.alice)
    page.fill("#session-search", name)
    link = page.locator("#sessions-table a.name", has_text=name)
    link.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#session-name")).to_be_focused()
    assert page.url.endswith(f"#/sessions/{sid}")
    page.keyboard.press("Tab")  # and the next Tab goes on in the page
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")
    page.locator(".crumbs a", has_text="Campaigns").click()
    expect(page.locator("main h1")).to_have_text("Campaigns")
    expect(page.locator("main h1")).to_be_focused()
    page.go_back()
    expect(page.locator("#session-name")).to_be_focused()
    page.locator("nav a", has_text="SigOpt experiments").click()
    expect(page.locator("main h1")).to_have_text("SigOpt experiments")
    expect(page.locator("main h1")).to_be_focused()

    # an experiment's page redraws when an observation comes: the heading keeps the focus
    page.fill("#experiment-filter", kept)
    page.locator("#experiments-table a", has_text=kept).click()
    heading = page.locator("#experiment-name")
    expect(heading).to_be_focused()
    page.evaluate("document.activeElement.__beforeRedraw = true")
    count = page.locator(".card h2").filter(has_text="Observations (")
    expect(count).to_have_text("Observations (2)")
    exp = conn.experiments(eid)
    s = exp.suggestions().create()
    exp.observations().create(suggestion=s.id, value=0.5)
    expect(count).to_have_text("Observations (3)", timeout=15_000)
    expect(heading).to_be_focused()
    assert page.evaluate("() => !document.activeElement.__beforeRedraw")  # a new heading
    assert tab.errors == [] and tab.dialogs == []


#: a campaign's link in the list, by its whole name (its title), not the one marked before
LINK_REDRAWN = """(name) => {
  const links = [...document.querySelectorAll("#sessions-table a.name")];
  const link = links.find((a) => a.title === name);
  return link !== undefined && !link.__beforeRedraw;
}"""


def test_the_campaigns_refresh_keeps_the_focus_on_its_link(tab: Tab, dashboard_site: Site) -> None:
    """The campaigns' list is drawn again every 10 s and at each search: the focused
    campaign's link was replaced, the focus fell to <body> and the reader's next Enter
    opened nothing (a search, then Enter on the link listed before it answered, lost the
    Enter 3 times in 20 on a 4x slower CPU). The same campaign's new link keeps the focus."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    name = f"refreshed {uuid.uuid4().hex[:6]}"
    sid = conn.sessions.create(name=name).id
    page.clock.install()  # runs on in real time; run_for moves it on at once
    tab.sign_in(dashboard_site.alice)
    link = page.locator("#sessions-table a.name", has_text=name)
    link.focus()
    link.evaluate("(a) => { a.__beforeRedraw = true; }")
    page.clock.run_for(10_000)  # view-sessions.js's REFRESH_MS
    page.wait_for_function(LINK_REDRAWN, arg=name)
    expect(link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#session-name")).to_have_text(name)
    assert page.url.endswith(f"#/sessions/{sid}")
    assert tab.errors == [] and tab.dialogs == []


def test_skip_to_content_is_the_first_tab_stop(tab: Tab, dashboard_site: Site) -> None:
    """The first Tab stop of a page is "Skip to content", shown when focused; it takes the
    focus past the top bar to the page's heading, and leaves the address as it was."""
    page = tab.page
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/experiments")
    page.reload()
    expect(page.locator("main h1")).to_have_text("SigOpt experiments")
    page.keyboard.press("Tab")
    skip = page.locator("#skip")
    expect(skip).to_be_focused()
    expect(skip).to_have_text("Skip to content")
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0, box  # shown, not off the screen
    page.keyboard.press("Enter")
    expect(page.locator("main h1")).to_be_focused()
    assert page.url.endswith("#/experiments")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")
    assert tab.errors == [] and tab.dialogs == []


def test_every_count_has_its_thousands_separators(tab: Tab, dashboard_site: Site) -> None:
    """A generation's summary, the latest design and the Population card read "2500"
    beside cards that read "2,147,483,647 or more"; an experiment's budget read "0 of
    12345". Every count now has its separators; a value (a parameter's, a response's)
    is shown as it was."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    session = conn.sessions.create(name=f"Separated {uuid.uuid4().hex[:6]}")
    campaign = conn.sessions(session.id)
    space = {
        "type": "factorial",
        "parameters": [
            {"name": f"p{i}", "type": "numerical", "values": list(range(10))} for i in range(5)
        ],
    }
    campaign.space.put(space=space, population_size=2500, replicates=0, wait=True)
    campaign.simulate(ngens=1, wait=True)
    e = conn.experiments.create(
        name=f"Budgeted {uuid.uuid4().hex[:6]}",
        parameters=[{"name": "seconds", "type": "int", "bounds": {"min": 0, "max": 10**9}}],
        observation_budget=12345,
    )
    conn.experiments(e.id).observations().create(assignments={"seconds": 123456789}, value=1.5)
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/sessions/{session.id}")
    fact = page.locator(".stats div", has=page.locator("dt", has_text="Population"))
    expect(fact.locator("dd")).to_have_text("2,500 (+0 replicates)")
    summary = page.locator('details.generation[data-gen="1"] summary')
    expect(summary).to_contain_text("Generation 1 · 2,500 experiments · best ")
    page.goto(f"{dashboard_site.url}/#/")
    page.fill("#session-search", session.name)
    row = page.locator("#sessions-table tbody tr", has_text=session.name)
    times = "\N{MULTIPLICATION SIGN}"
    population = row.locator(f'td[data-label="Population {times} runs"]')
    expect(population).to_have_text(f"2,500 {times} 1")

    page.goto(f"{dashboard_site.url}/#/experiments/{e.id}")
    fact = page.locator(".stats div", has=page.locator("dt", has_text="Observations"))
    expect(fact.locator("dd")).to_have_text("1 of 12,345")
    value = page.locator('table[aria-label="Observations"] td[data-label="seconds"]')
    expect(value).to_have_text("123456789")  # a value, whole
    page.goto(f"{dashboard_site.url}/#/experiments")
    page.fill("#experiment-filter", e.name)
    listed = page.locator("#experiments-table tbody tr", has_text=e.name)
    expect(listed.locator('td[data-label="Observations"]')).to_have_text("1 / 12,345")
    assert tab.errors == [] and tab.dialogs == []


#: the width of each stats card, and the top of its row
CARDS = """() => [...document.querySelectorAll('.stats > div')].map((d) => {
  const b = d.getBoundingClientRect();
  return { width: b.width, top: Math.round(b.top) };
})"""


@pytest.mark.parametrize("width", [700, 820, 1000, 1280])
def test_the_stats_cards_are_equally_wide(chromium: Any, dashboard_site: Site, width: int) -> None:
    """On a desktop whose window wraps the cards (a campaign's 6 of them, one with
    "2,147,483,647 or more"; an experiment's), the cards of the last row were wider than
    the others, stretched to fill it: every card is now as wide as the others, and more
    than one shares a row where they fit."""
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    session = conn.sessions.create(name=f"equal {uuid.uuid4().hex[:6]}")
    conn.sessions(session.id).space.put(
        space=HUGE_SPACE, population_size=1, replicates=0, wait=True
    )
    for tab in _open_tab(chromium, dashboard_site, viewport={"width": width, "height": 900}):
        page = tab.page
        tab.sign_in(dashboard_site.alice)
        for address in (
            f"#/sessions/{session.id}",
            f"#/experiments/{dashboard_site.alice_experiment}",
        ):
            page.goto(f"{dashboard_site.url}/{address}")
            page.wait_for_selector(".stats dd")
            cards = page.evaluate(CARDS)
            widths = [c["width"] for c in cards]
            assert max(widths) - min(widths) < 1, (address, cards)
            rows = [c["top"] for c in cards]
            assert len(set(rows)) < len(rows), (address, cards)  # some share a row
        assert tab.errors == [] and tab.dialogs == []

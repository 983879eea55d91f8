"""The dashboard tried a fifth time as a stranger would, in a real browser (headless
Chromium): after a link the keyboard's focus is on the new page's heading (it fell to
<body>, and a screen reader said nothing), a "Skip to content" link is the first Tab stop,
every count has its thousands separators, and the stats cards of a row are equally wide.
"""

from __future__ import annotations

import uuid
from typing import Any

from playwright.sync_api import expect

from tests.dashboard import site
from tests.dashboard.conftest import Site, Tab

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

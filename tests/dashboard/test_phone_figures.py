"""The figures of the stats cards on a phone (320 and 375 CSS pixels wide), in a real
browser (headless Chromium): each figure on one line, inside its card.

The cards' values wrapped anywhere (``.stats dd``, overflow-wrap: anywhere), so that a
campaign's "Generations left 2,147,483,647 or more" broke its number across two lines on a
phone; a card may wrap between words, never inside a number.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.dashboard import site
from tests.dashboard.conftest import Site, Tab, _open_tab
from tests.dashboard.test_browser import HUGE_SPACE

#: every run of digits (and the marks inside a number: 1,234.5e-7) in each stats card's
#: value: the rectangles of its text, and the box of its card
FIGURES = r"""(selector) => {
  const out = [];
  for (const dd of document.querySelectorAll(selector)) {
    const card = (dd.closest('.stats > div, tr') || dd).getBoundingClientRect();
    const walker = document.createTreeWalker(dd, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.textContent.matchAll(/[-+]?\d[\d.,]*(e[-+]?\d+)?/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const rects = [...range.getClientRects()].filter((r) => r.width > 0);
        out.push({
          figure: match[0],
          fact: dd.previousElementSibling?.textContent ?? dd.dataset.label,
          tops: [...new Set(rects.map((r) => Math.round(r.top)))],
          left: Math.min(...rects.map((r) => r.left)),
          right: Math.max(...rects.map((r) => r.right)),
          card: { left: card.left, right: card.right },
        });
      }
    }
  }
  return out;
}"""


@pytest.fixture(params=[320, 375], ids=lambda w: f"{w}px")
def phone_tab(request: pytest.FixtureRequest, chromium: Any, dashboard_site: Site) -> Iterator[Tab]:
    """A fresh phone-sized tab, 320 or 375 CSS pixels wide."""
    yield from _open_tab(
        chromium,
        dashboard_site,
        viewport={"width": request.param, "height": 740},
        is_mobile=True,
    )


def _figures_whole(page: Any, selector: str = ".stats dd") -> list[dict[str, Any]]:
    figures = page.evaluate(FIGURES, selector)
    assert figures, "no figure in the stats cards"
    return figures


def _broken(figures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        f
        for f in figures
        if len(f["tops"]) != 1
        or f["left"] < f["card"]["left"] - 0.5
        or f["right"] > f["card"]["right"] + 0.5
    ]


def test_a_campaigns_figures_stay_whole_on_a_phone(phone_tab: Tab, dashboard_site: Site) -> None:
    """A campaign of 10**20 experiments at population 1 (its generations left at the
    service's cap, "2,147,483,647 or more"): every figure of its cards, and of its row in
    the campaigns list, on one line and inside its card."""
    page = phone_tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    session = conn.sessions.create(name=f"figures {uuid.uuid4().hex[:6]}")
    conn.sessions(session.id).space.put(
        space=HUGE_SPACE, population_size=1, replicates=0, wait=True
    )
    phone_tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/sessions/{session.id}")
    fact = page.locator(".stats div", has=page.locator("dt", has_text="Generations left"))
    expect(fact.locator("dd")).to_have_text("2,147,483,647 or more")
    figures = _figures_whole(page)
    assert any(f["figure"] == "2,147,483,647" for f in figures), figures
    assert _broken(figures) == []
    # the campaigns list, a card a campaign on a phone: its figures as whole
    page.goto(f"{dashboard_site.url}/#/")
    page.fill("#session-search", session.name)
    row = page.locator("#sessions-table tbody tr", has_text=session.name)
    expect(row.locator('td[data-label="Generations left"]')).to_have_text("2,147,483,647 or more")
    listed = _figures_whole(page, "#sessions-table tbody td")
    assert any(f["figure"] == "2,147,483,647" for f in listed), listed
    assert _broken(listed) == []
    assert phone_tab.errors == [] and phone_tab.dialogs == []


def test_an_experiments_figures_stay_whole_on_a_phone(phone_tab: Tab, dashboard_site: Site) -> None:
    """An experiment's cards (observations, budget, best value): each figure on one line."""
    page = phone_tab.page
    phone_tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/experiments/{dashboard_site.alice_experiment}")
    page.wait_for_selector(".stats dd")
    assert _broken(_figures_whole(page)) == []
    assert phone_tab.errors == [] and phone_tab.dialogs == []


#: the page's own stats() (dom.js) drawn in the view with `figure` in most of its cards;
#: for each card: how far its text's content runs past its box, where the figure's text
#: ends past the card's text, its lines, and its font's size against the card's
LONGEST = r"""async (figure) => {
  const { stats } = await import('/assets/dom.js');
  const list = stats([["Generations left", figure], ["Status", "active"], ["Best so far", figure],
    ["Population", figure], ["Generation", figure], ["Updated", "just now"], ["Failed", figure]]);
  document.querySelector('#view').replaceChildren(list);
  return [...list.querySelectorAll('dd')].map((dd) => {
    const span = dd.querySelector('.figure');
    const box = dd.getBoundingClientRect();
    const rects = span ? [...span.getClientRects()] : [];
    return {
      over: dd.scrollWidth - dd.clientWidth,
      past: span ? Math.max(...rects.map((r) => r.right)) - box.right : 0,
      lines: new Set(rects.map((r) => Math.round(r.top))).size,
      size: span ? [getComputedStyle(span).fontSize, getComputedStyle(dd).fontSize] : null,
    };
  });
}"""


@pytest.mark.parametrize("figure", ["8" * 24, "888,888,888,888,888,888", "2,147,483,647 or more"])
def test_the_longest_figure_stays_in_its_card(tab: Tab, dashboard_site: Site, figure: str) -> None:
    """The cards' columns are as wide as the longest figure's characters (--figure-chars),
    an estimate: a figure of 24 wide digits (the longest kept on one line) stood 1px past
    its card's text at 648 and 957 pixels wide, and 4px at 320 (24px at 300), where one
    card a row has no room for it. The estimate is a character's width now, not a little
    under it, and where a card has no room the figures shrink to fit it. Where it has room
    (648 pixels and more), they keep their size."""
    page = tab.page
    tab.sign_in(dashboard_site.alice)
    for width in (300, 320, 648, 957, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        cards = page.evaluate(LONGEST, figure)
        figures = [c for c in cards if c["size"]]
        assert len(figures) == 5, cards
        assert [c for c in cards if c["over"] > 0 or c["past"] > 0.5] == [], (width, cards)
        assert all(c["lines"] == 1 for c in figures), (width, cards)
        if width >= 648:  # room for the figure at its size
            assert all(c["size"][0] == c["size"][1] for c in figures), (width, cards)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert tab.errors == [] and tab.dialogs == []

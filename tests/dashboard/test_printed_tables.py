"""Tables of 8, 9, 20 and 60 columns on paper, in a real browser (headless Chromium, print
media at a Letter page's width, and inside its margins): every cell within the page, at a
readable size, named by its column when the table prints a row a block, and no figure
broken across two lines.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.dashboard import site
from tests.dashboard.conftest import Site, Tab

#: a Letter page in CSS pixels, whole (page.pdf's default) and inside 0.4 in margins
PAGE_WIDTHS = (816, 740)
#: the smallest text a printed cell may have, in CSS pixels (8 pt)
READABLE_PX = 10.5

#: a table's cells as printed: how many, those past the page's width, the smallest font,
#: the column each names (its printed "column: " label, "none" when a grid), and the
#: figures whose text is on more than one line
PRINTED = r"""(selector) => {
  const cells = [...document.querySelectorAll(selector + ' tbody td')];
  const width = document.documentElement.clientWidth;
  const broken = [];
  for (const td of cells) {
    const walker = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.textContent.matchAll(/[-+]?\d[\d.,]*(e[-+]?\d+)?/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const rects = [...range.getClientRects()].filter((r) => r.width > 0);
        const tops = new Set(rects.map((r) => Math.round(r.top)));
        if (tops.size > 1) broken.push(m[0]);
      }
    }
  }
  return {
    count: cells.length,
    past: cells.filter((td) => { const r = td.getBoundingClientRect();
      return r.width === 0 || r.left < 0 || r.right > width + 1; }).length,
    scrolled: document.documentElement.scrollWidth > width,
    smallest: Math.min(...cells.map((td) => parseFloat(getComputedStyle(td).fontSize))),
    labels: [...new Set(cells.map((td) => getComputedStyle(td, '::before').content))],
    broken,
  };
}"""


def _wide_design(conn: Any, columns: int) -> str:
    """A campaign whose latest design has ``columns`` factors of long figures; its id."""
    session = conn.sessions.create(name=f"{columns} columns {uuid.uuid4().hex[:6]}")
    campaign = conn.sessions(session.id)
    space = {
        "type": "factorial",
        "parameters": [
            {"name": f"solvent_{i:02d}", "type": "numerical", "values": [-0.000123456, 123456.7]}
            for i in range(columns)
        ],
    }
    campaign.space.put(space=space, population_size=4, replicates=1, wait=True)
    campaign.generate(wait=True)
    return str(session.id)


@pytest.mark.parametrize("columns", [8, 9, 20, 60])
def test_a_printed_design_is_whole_and_readable(
    tab: Tab, dashboard_site: Site, columns: int
) -> None:
    """Printed, a design of 8 factors broke its figures ("-1.23456" on one line, "e-4" on
    the next): each figure is whole now. Of 9, 20 and 60 (printed a row a block): every cell
    on the page, named by its column. Each at a readable size."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    sid = _wide_design(conn, columns)
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/sessions/{sid}")
    design = 'table[aria-label="Latest design"]'
    expect(page.locator(f"{design} tbody tr").first).to_be_visible()
    rows = page.locator(f"{design} tbody tr").count()
    page.emulate_media(media="print")
    for width in PAGE_WIDTHS:
        page.set_viewport_size({"width": width, "height": 1056})
        printed = page.evaluate(PRINTED, design)
        assert printed["count"] == rows * columns, (width, printed)
        assert printed["past"] == 0 and not printed["scrolled"], (width, printed)
        assert printed["smallest"] >= READABLE_PX, (width, printed)
        assert printed["broken"] == [], (width, printed["broken"][:5])
        if columns > 8:
            labels = [f'"solvent_{i:02d}: "' for i in range(columns)]
            assert printed["labels"] == labels, (width, printed["labels"][:3])
    assert page.pdf()[:5] == b"%PDF-"
    assert tab.errors == [] and tab.dialogs == []

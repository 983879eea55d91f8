"""The dashboard tried a third time as a stranger would, in a real browser (headless Chromium).

An axis of counts labels no negative count; the notice of a service that does not answer
says so once and offers to try again; "Show more" that fails keeps the list; a page with
nothing running says when it can no longer be refreshed.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import expect

from tests.dashboard import site
from tests.dashboard.conftest import Site, Tab

#: the browser's own console line for a request refused on purpose (page.route)
REFUSED = "Failed to load resource"


def _own_errors(tab: Tab) -> list[str]:
    """The console errors but the browser's line for each request refused on purpose."""
    return [e for e in tab.errors if REFUSED not in e]


def _refuse(page: Any, pattern: re.Pattern[str]) -> None:
    page.route(pattern, lambda route: route.abort("connectionrefused"))


def _bad_cursor(route: Any) -> None:
    """The request sent on with a cursor this service never gave out: its real 400."""
    route.continue_(url=re.sub(r"before=[^&]*", "before=x", route.request.url))


def test_a_lone_generation_labels_no_negative_generation(tab: Tab, dashboard_site: Site) -> None:
    """A campaign of generation 0 alone (its initial experiments measured) had its
    generation axis widened to -1 ... 1 about 0, and "-1" labelled under the best so far:
    a count is never negative."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    # points of the space: a design of another campaign of the same space
    other = conn.sessions(site.simulated_campaign(conn, "Points", gens=0))
    design = other.generate(wait=True).result.experiments
    sid = site.simulated_campaign(conn, f"Generation 0 {uuid.uuid4().hex[:6]}", gens=0)
    rows = [[*row[:-1], float(i)] for i, row in enumerate(design.rows)]  # measured
    conn.sessions(sid).experiments.put(
        type="initial", table={"columns": list(design.columns), "rows": rows}, wait=True
    )
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/sessions/{sid}")
    page.wait_for_selector(".plot-svg .series")
    charts = page.locator("figure.plot svg.plot-svg")
    expect(charts).to_have_count(2)
    for i in range(2):
        labels = charts.nth(i).locator('.axes text.tick[text-anchor="middle"]').all_text_contents()
        assert labels, i
        assert all(re.fullmatch(r"\d+", t) for t in labels), labels  # no "-1", no "0.5"
        assert "0" in labels, labels
    assert tab.errors == [] and tab.dialogs == []


def test_no_answer_at_start_is_said_once_and_can_be_tried_again(
    tab: Tab, dashboard_site: Site
) -> None:
    """The first page of a service that did not answer read "The service cannot be reached:
    no answer from the service at ... (stopped, ...)": the same thing twice, and only a
    reload tried again."""
    page = tab.page
    me = re.compile(r"/auth/me$")
    _refuse(page, me)
    page.goto(dashboard_site.url + "/")
    host = dashboard_site.url.removeprefix("http://")
    said = page.locator("#view .notice.error")
    expect(said).to_have_text(
        f"No answer from the service at {host}: it is stopped, restarting, or the network is down."
    )
    assert page.inner_text("#view").lower().count("answer") == 1
    page.unroute(me)
    page.get_by_role("button", name="Try again").click()
    expect(page.locator("#signin-email")).to_be_visible()
    assert _own_errors(tab) == [] and tab.dialogs == []

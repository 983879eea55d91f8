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


def test_show_more_that_fails_keeps_the_campaigns(tab: Tab, dashboard_site: Site) -> None:
    """ "Show more" that was refused (here a cursor the service never gave out: its 400)
    replaced the 50 campaigns shown with the error; it now keeps them, says the trouble
    above them, and the button tries again."""
    page = tab.page
    person = site.make_person(dashboard_site.served, "fifty-one")
    conn = site.connect(dashboard_site.served, person)
    for i in range(51):
        conn.sessions.create(name=f"campaign {i:02d}")
    tab.sign_in(person)
    rows = page.locator("#sessions-table tbody tr")
    expect(rows).to_have_count(50)
    more = re.compile(r"/v1/sessions\?.*before=")
    page.route(more, _bad_cursor)
    page.get_by_role("button", name="Show more").click()
    trouble = page.locator(".page-trouble")
    expect(trouble).to_contain_text("Could not load more campaigns (The cursor 'before'")
    expect(trouble).to_contain_text("“Show more” tries again")
    expect(rows).to_have_count(50)
    page.unroute(more)
    _refuse(page, more)  # no answer at all: the same
    page.get_by_role("button", name="Show more").click()
    expect(trouble).to_contain_text("Could not load more campaigns (no answer from the service")
    expect(rows).to_have_count(50)
    page.unroute(more)
    page.get_by_role("button", name="Show more").click()
    expect(rows).to_have_count(51)
    expect(trouble).to_be_empty()
    expect(page.get_by_role("button", name="Show more")).to_be_hidden()
    assert _own_errors(tab) == [] and tab.dialogs == []


def test_show_more_that_fails_keeps_the_experiments(tab: Tab, dashboard_site: Site) -> None:
    """The same for the SigOpt experiments: a refused "Show more" replaced the 1,000 shown
    with the error."""
    page = tab.page
    person = site.make_person(dashboard_site.served, "thousand-one")
    conn = site.connect(dashboard_site.served, person)
    parameters = [{"name": "x", "type": "int", "bounds": {"min": 0, "max": 3}}]
    for i in range(1001):
        conn.experiments.create(name=f"screen {i:04d}", parameters=parameters)
    tab.sign_in(person)
    page.click("nav >> text=SigOpt experiments")
    rows = page.locator("#experiments-table tbody tr")
    expect(rows).to_have_count(1000)
    more = re.compile(r"/v1/experiments\?.*before=")
    page.route(more, _bad_cursor)
    page.click("#more-experiments")
    trouble = page.locator(".page-trouble")
    expect(trouble).to_contain_text("Could not load more experiments (The cursor 'before'")
    expect(rows).to_have_count(1000)
    page.unroute(more)
    page.click("#more-experiments")
    expect(rows).to_have_count(1001)
    expect(trouble).to_be_empty()
    assert _own_errors(tab) == [] and tab.dialogs == []


def test_a_campaign_page_says_when_it_goes_stale(tab: Tab, dashboard_site: Site) -> None:
    """A campaign with no task running: once the service stopped answering, its page went
    on showing what it had read, as if current, with no word (its look at the tasks every
    3 s failed in silence). It now says so within a look, with the time of its last read,
    and clears the word when the service answers again."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    sid = site.simulated_campaign(conn, f"Stale {uuid.uuid4().hex[:6]}", gens=1)
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/sessions/{sid}")
    page.wait_for_selector(".plot-svg .series")
    every = re.compile(r"/v1/")
    _refuse(page, every)
    trouble = page.locator(".page-trouble")
    expect(trouble).to_contain_text("Could not refresh (no answer from the service", timeout=8_000)
    expect(trouble).to_contain_text("what is shown was read at")
    expect(page.locator(".plot-svg .series").first).to_be_visible()  # still shown
    page.unroute(every)
    expect(trouble).to_be_empty(timeout=10_000)
    assert _own_errors(tab) == [] and tab.dialogs == []


def test_an_experiment_page_says_when_it_goes_stale(tab: Tab, dashboard_site: Site) -> None:
    """The same for an experiment's page: its look every 3 s failed in silence."""
    page = tab.page
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/experiments/{dashboard_site.alice_experiment}")
    page.wait_for_selector("#experiment-name")
    every = re.compile(r"/v1/")
    _refuse(page, every)
    trouble = page.locator(".page-trouble")
    expect(trouble).to_contain_text("Could not refresh (no answer from the service", timeout=8_000)
    expect(trouble).to_contain_text("what is shown was read at")
    page.unroute(every)
    expect(trouble).to_be_empty(timeout=10_000)
    assert _own_errors(tab) == [] and tab.dialogs == []

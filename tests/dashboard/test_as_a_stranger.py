"""The dashboard tried as a stranger would, in a real browser (headless Chromium).

Deleted (archived) SigOpt experiments can be found from the list; tick labels of huge
values stay inside their chart; the dashboard, its sign-in tabs and charts included, works
by keyboard alone and says which page is shown; a session that expires, or is signed out
in another tab, while a page is open says so on the sign-in form; muted text keeps its
contrast on the page's ground; charts can be read on a phone; a page outlasts a 429 (or a
lost connection) and loads again.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import requests
from playwright.sync_api import expect

from tests.dashboard import site
from tests.dashboard.conftest import Site, Tab
from tests.fixtures.servers import serve_in_thread

#: WCAG 2 AA: normal text needs a contrast ratio of at least 4.5:1
CONTRAST = """(el) => {
  const lum = (c) => {
    const [r, g, b] = c.match(/[\\d.]+/g).slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  let ground = el;
  const clear = (e) => getComputedStyle(e).backgroundColor.endsWith(", 0)");
  while (ground && clear(ground)) ground = ground.parentElement;
  const a = lum(getComputedStyle(el).color);
  const b = lum(getComputedStyle(ground || document.body).backgroundColor);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def test_deleted_experiments_can_be_found(tab: Tab, dashboard_site: Site) -> None:
    """The list asked the API for its default (active experiments only): a deleted
    (archived) experiment was nowhere on the dashboard, reachable only by its address."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    name = f"Archived <em>run</em> {uuid.uuid4().hex[:6]}"
    gone = conn.experiments.create(
        name=name, parameters=[{"name": "x", "type": "int", "bounds": {"min": 0, "max": 5}}]
    )
    conn.experiments(gone.id).delete()
    tab.sign_in(dashboard_site.alice)
    page.click("nav >> text=SigOpt experiments")
    page.wait_for_selector("#experiments-table table")
    link = page.locator("#experiments-table a.name", has_text=name)
    assert link.count() == 0  # hidden by default
    expect(page.locator(".page-head .muted")).to_contain_text("deleted")
    page.get_by_label("Show deleted experiments").check()  # a labelled control
    expect(link).to_have_count(1)
    page.reload()  # the choice is in the address
    expect(link).to_have_count(1)
    link.click()
    expect(page.locator("#experiment-name")).to_have_text(name)
    expect(page.locator(".badge-deleted")).to_be_visible()
    expect(page.locator(".page")).to_contain_text("No values yet.")
    page.go_back()
    expect(link).to_have_count(1)
    assert tab.errors == [] and tab.dialogs == []


def test_an_experiment_of_the_runs_api_is_listed(tab: Tab, dashboard_site: Site) -> None:
    """The README's ``sigopt.create_experiment(...)`` and ``experiment.loop()`` (the runs
    API) made an AI experiment that the list never showed ("every experiment", its docs
    said): the page asked the API without ``include_ai``."""
    page = tab.page
    bearer = {"Authorization": f"Bearer {dashboard_site.alice.token}"}
    url = dashboard_site.url
    client = requests.get(f"{url}/v1/tokens/self", headers=bearer, timeout=30).json()["client"]
    project = f"runs-{uuid.uuid4().hex[:6]}"
    made = requests.post(
        f"{url}/v1/clients/{client}/projects", json={"id": project}, headers=bearer, timeout=30
    )
    assert made.status_code == 201, made.text
    name = f"Runs API {uuid.uuid4().hex[:6]}"
    ai = requests.post(
        f"{url}/v1/clients/{client}/projects/{project}/aiexperiments",
        json={
            "name": name,
            "parameters": [{"name": "x", "type": "int", "bounds": {"min": 0, "max": 5}}],
            "metrics": [{"name": "score", "objective": "maximize"}],
            "budget": 7,
        },
        headers=bearer,
        timeout=30,
    )
    assert ai.status_code == 201, ai.text
    run = requests.post(f"{url}/v1/aiexperiments/{ai.json()['id']}/training_runs", headers=bearer)
    assert run.status_code == 201, run.text
    done = requests.put(
        f"{url}/v1/training_runs/{run.json()['id']}",
        json={"state": "completed", "values": {"score": {"value": 3}}},
        headers=bearer,
        timeout=30,
    )
    assert done.status_code == 200, done.text
    tab.sign_in(dashboard_site.alice)
    page.click("nav >> text=SigOpt experiments")
    link = page.locator("#experiments-table a.name", has_text=name)
    expect(link).to_have_count(1)
    row = page.locator("#experiments-table tr", has=page.locator("a.name", has_text=name))
    expect(row).to_contain_text("1 / 7")  # its finished runs against its budget
    # its progress has no best observation: "—" under Best, as docs/dashboard.md says
    expect(row.locator("td").nth(3)).to_have_text("—")
    link.click()
    expect(page.locator("#experiment-name")).to_have_text(name)
    assert tab.errors == [] and tab.dialogs == []


#: where a chart's tick labels are (text, left, right), its own left edge, and the right
#: edge of its rotated y-axis name (None for parallel coordinates)
PLACES = """(svg) => {
  const box = svg.getBoundingClientRect();
  const ticks = [...svg.querySelectorAll('.tick')].map((t) => {
    const r = t.getBoundingClientRect();
    return [t.textContent, r.left, r.right];
  });
  const name = svg.querySelector('.axis-label[transform]');
  return { left: box.left, ticks, yName: name ? name.getBoundingClientRect().right : null };
}"""


def test_tick_labels_of_huge_values_stay_in_the_chart(tab: Tab, dashboard_site: Site) -> None:
    """Ticks of -8e307 and 8e307 read "8.00e+307" from a fixed 64-unit margin: the
    label ran past the SVG's left edge and its minus sign was cut off, over the axis name."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    e = conn.experiments.create(
        name=f"huge values {uuid.uuid4().hex[:6]}",
        parameters=[{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
        metrics=[{"name": "gain"}],
    )
    values = [-9e307, 8.5e307, 1.0, -3e307]
    conn.experiments(e.id).observations().create_batch(
        observations=[{"assignments": {"x": i / 10}, "value": v} for i, v in enumerate(values)]
    )
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/experiments/{e.id}")
    page.wait_for_selector(".plot-svg .tick", state="attached")
    for chart in page.locator(".plot-svg").all():
        placed = chart.evaluate(PLACES)
        assert placed["ticks"], placed
        for text, left, right in placed["ticks"]:
            assert left >= placed["left"] - 0.5, (text, placed)  # inside the chart
            assert placed["yName"] is None or right < placed["yName"] or left > placed["yName"]
    texts = page.eval_on_selector_all(".plot-svg .tick", "els => els.map((e) => e.textContent)")
    assert any(t.startswith("-") and "e+307" in t for t in texts), texts
    assert tab.errors == [] and tab.dialogs == []


def _focused(page: Any) -> str:
    return str(
        page.evaluate(
            "() => { const e = document.activeElement; return e.closest('main') ? 'main' : "
            "e.closest('header') ? 'header' : e.tagName; }"
        )
    )


def test_keyboard_alone_and_the_current_page(tab: Tab, dashboard_site: Site) -> None:
    """Sign in, search, follow a link and go back with the keyboard alone: each Tab after
    a new page lands in the page, not back in the top bar. The navigation said which page
    was shown only by its colour (no `aria-current`), and the whole page was a live region
    (a screen reader re-read the campaign page at each redraw)."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    name = f"keyboard {uuid.uuid4().hex[:6]}"
    sid = conn.sessions.create(name=name).id
    page.goto(dashboard_site.url + "/")
    page.focus("#signin-email")
    page.keyboard.type(dashboard_site.alice.email)
    page.keyboard.press("Tab")
    page.keyboard.type(dashboard_site.alice.password)
    page.keyboard.press("Enter")
    page.wait_for_selector("#sessions-summary:not(:empty)")
    expect(page.locator('nav a[aria-current="page"]')).to_have_text("Campaigns")
    assert page.get_attribute("main", "aria-live") is None
    page.keyboard.press("Tab")
    assert _focused(page) == "main"  # the search box, not the brand link
    page.fill("#session-search", name)
    link = page.locator("#sessions-table a.name", has_text=name)
    expect(link).to_have_count(1)
    link.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#session-name")).to_have_text(name)
    assert page.url.endswith(f"#/sessions/{sid}")
    page.keyboard.press("Tab")
    assert _focused(page) == "main"
    page.go_back()
    page.wait_for_selector("#sessions-summary:not(:empty)")
    page.keyboard.press("Tab")
    assert _focused(page) == "main"
    page.goto(f"{dashboard_site.url}/#/experiments")
    expect(page.locator('nav a[aria-current="page"]')).to_have_text("SigOpt experiments")
    assert page.locator("nav a[aria-current]").count() == 1
    assert tab.errors == [] and tab.dialogs == []


def test_a_chart_is_read_by_keyboard(tab: Tab, dashboard_site: Site) -> None:
    """A chart's points, and the lines of parallel coordinates, were read by hovering
    them only: a keyboard could not reach a plot, and its read-outs (which experiment,
    which value) were the mouse's alone."""
    page = tab.page
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/experiments/{dashboard_site.alice_experiment}")
    page.wait_for_selector("#experiment-name")
    chart = page.locator(".plot-svg").first
    for _ in range(12):  # Tab, from the breadcrumb, to the chart
        page.keyboard.press("Tab")
        if chart.evaluate("(svg) => svg === document.activeElement"):
            break
    expect(chart).to_be_focused()
    tip = page.locator(".plot-tip").first
    page.keyboard.press("Home")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("observation 1 (")
    first = tip.inner_text()
    page.keyboard.press("End")
    expect(tip).not_to_have_text(first)
    expect(tip).to_contain_text("12")
    page.keyboard.press("ArrowLeft")
    expect(tip).to_be_visible()
    page.keyboard.press("Escape")
    expect(tip).to_be_hidden()
    # parallel coordinates: a line at a time, the best first
    parallel = page.locator(".plot-scroll .plot-svg")
    parallel.focus()
    expect(parallel).to_be_focused()
    page.keyboard.press("Home")
    lines_tip = page.locator(".plot-tip").nth(1)
    best = page.locator('table[aria-label="Best assignments"] tbody td').first.inner_text()
    expect(lines_tip).to_contain_text(f": {best}")
    expect(page.locator(".pc-line.active")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    expect(lines_tip).not_to_contain_text(f": {best}")
    assert tab.errors == [] and tab.dialogs == []


def test_sign_in_with_a_token_by_keyboard(tab: Tab, dashboard_site: Site) -> None:
    """The sign-in page's two tabs were buttons marked `role=tab` and nothing more: the
    arrow keys did nothing, both sat in the Tab order, and no tab named its form."""
    page = tab.page
    page.goto(dashboard_site.url + "/")
    page.wait_for_selector("#signin-email")
    first = page.get_by_role("tab", name="Email and password")
    second = page.get_by_role("tab", name="API token")
    assert first.get_attribute("aria-controls") == "signin-password-form"
    expect(page.get_by_role("tabpanel")).to_have_attribute("id", "signin-password-form")
    page.focus("#signin-email")
    page.keyboard.press("Shift+Tab")
    expect(first).to_be_focused()  # the selected tab; the other is not in the Tab order
    page.keyboard.press("ArrowRight")
    expect(second).to_be_focused()
    expect(second).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel")).to_have_attribute("id", "signin-token-form")
    page.keyboard.press("Tab")
    expect(page.locator("#signin-token")).to_be_focused()
    page.keyboard.type(dashboard_site.alice.token)
    page.keyboard.press("Enter")
    page.wait_for_selector("#sessions-summary:not(:empty)")
    assert tab.errors == [] and tab.dialogs == []


def test_an_expired_session_says_so(chromium: Any, tmp_path: Path) -> None:
    """A session that ran out while its page was open sent the person to a blank
    sign-in form: the API's 401 ("Your dashboard session has expired") was dropped, and
    the page seemed to have signed itself out. Signing in again returns to the page."""
    served = serve_in_thread(tmp_path, dashboard_session_hours=12 / 3600)  # a loaded CI is slow
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        person = site.make_person(served, "late")
        sid = site.connect(served, person).sessions.create(name="Runs out").id
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{served.url}/#/sessions/{sid}")
        page.fill("#signin-email", person.email)
        page.fill("#signin-password", person.password)
        started = time.monotonic()
        page.click("#signin-password-form button[type=submit]")
        expect(page.locator("#session-name")).to_have_text("Runs out")
        assert time.monotonic() - started < 12, "signed in too slowly to see the page"
        # the page polls its tasks every 3 s: the first poll after 12 s is refused
        expect(page.locator("#signin-password-form")).to_be_visible(timeout=25_000)
        expect(page.locator(".form-message")).to_contain_text("expired")
        page.fill("#signin-email", person.email)
        page.fill("#signin-password", person.password)
        page.click("#signin-password-form button[type=submit]")
        expect(page.locator("#session-name")).to_have_text("Runs out")
        assert errors == []
    finally:
        context.close()
        served.close()


def test_signed_out_in_another_tab(tab: Tab, dashboard_site: Site) -> None:
    """Signing out in one tab left the other on a form that said, for scripts, "This
    service needs an API token: send 'Authorization: Bearer <token>' ..."."""
    page = tab.page
    tab.sign_in(dashboard_site.alice)
    sid = (
        site.connect(dashboard_site.served, dashboard_site.alice)
        .sessions.create(name=f"two tabs {uuid.uuid4().hex[:6]}")
        .id
    )
    other = page.context.new_page()
    other.goto(f"{dashboard_site.url}/#/sessions/{sid}")
    other.wait_for_selector("#session-name")
    page.click("#sign-out")
    page.wait_for_selector("#signin-email")
    expect(other.locator("#signin-password-form")).to_be_visible(timeout=15_000)
    expect(other.locator(".form-message")).to_contain_text("You were signed out")
    expect(other.locator(".form-message")).not_to_contain_text("Bearer")
    # the browser logs the refused request itself ("Failed to load resource: ... 401")
    assert all("401" in error for error in tab.errors), tab.errors
    assert tab.dialogs == []


def test_muted_text_is_readable_on_the_ground(tab: Tab, dashboard_site: Site) -> None:
    """Grey text straight on the page's ground (counts, breadcrumbs, "no responses yet")
    was #6b7280 on #f4f6f8: 4.46:1, under the 4.5:1 that normal text needs."""
    page = tab.page
    tab.sign_in(dashboard_site.alice)
    for selector in ("#sessions-summary", ".crumbs"):
        if selector == ".crumbs":
            page.goto(f"{dashboard_site.url}/#/experiments/{dashboard_site.alice_experiment}")
        element = page.locator(selector).first
        element.wait_for()
        assert element.evaluate(CONTRAST) >= 4.5, selector
    assert tab.errors == [] and tab.dialogs == []


#: the size in CSS pixels at which each chart's tick labels are drawn
TICK_PIXELS = """(svgs) => svgs.map((svg) => {
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return scale * parseFloat(getComputedStyle(svg.querySelector('.tick')).fontSize);
})"""


def test_charts_are_readable_on_a_phone(narrow_tab: Tab, dashboard_site: Site) -> None:
    """On a 390-pixel screen a chart's 640-unit drawing was shrunk into a 330-pixel card:
    its 11 px tick labels were drawn at 5.7 px, too small to read."""
    page = narrow_tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    sid = site.simulated_campaign(conn, f"phone charts {uuid.uuid4().hex[:6]}", gens=2)
    narrow_tab.sign_in(dashboard_site.alice)
    for address in (f"#/sessions/{sid}", f"#/experiments/{dashboard_site.alice_experiment}"):
        page.goto(f"{dashboard_site.url}/{address}")
        page.wait_for_selector(".plot-svg:not(.plot-scroll .plot-svg) .tick", state="attached")
        sizes = page.eval_on_selector_all(".plot-svg:not(.plot-scroll .plot-svg)", TICK_PIXELS)
        assert sizes and min(sizes) >= 10, (address, sizes)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert narrow_tab.errors == [] and narrow_tab.dialogs == []


def test_a_campaign_page_outlasts_too_many_requests(chromium: Any, tmp_path: Path) -> None:
    """Under a request limit (`serve --requests-per-minute`), a campaign page whose load
    got a 429 gave up for good: "Campaign not available: Too many requests ...", and no
    more polls, though the limit let it in again seconds later; so did an experiment's
    page, and so did both after a lost connection. They now say they could not load and
    try again."""
    served = serve_in_thread(tmp_path, requests_per_minute=40, rate_limit_window_seconds=6)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        person = site.make_person(served, "busy")
        conn = site.connect(served, person)
        sid = site.simulated_campaign(conn, "Busy lab", gens=1)
        eid = site.branin_experiment(conn, "Busy bench", rounds=3)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(served.url + "/")
        page.fill("#signin-email", person.email)
        page.fill("#signin-password", person.password)
        page.click("#signin-password-form button[type=submit]")
        page.wait_for_selector("#sessions-summary:not(:empty)")
        cookie = {c["name"]: c["value"] for c in context.cookies()}

        def spend_the_budget() -> None:  # as another of the browser's requests would
            for _ in range(200):
                reply = requests.get(f"{served.url}/v1/sessions", cookies=cookie, timeout=30)
                if reply.status_code == 429:
                    return
            raise AssertionError("no 429")

        spend_the_budget()
        page.evaluate(f"window.location.hash = '#/sessions/{sid}'")
        expect(page.locator(".page-trouble")).to_contain_text("Could not refresh")
        expect(page.locator("#session-name")).to_have_text("Busy lab", timeout=20_000)
        expect(page.locator(".page-trouble")).to_be_empty()
        assert page.locator("[data-refused]").count() == 0
        spend_the_budget()
        page.evaluate(f"window.location.hash = '#/experiments/{eid}'")
        expect(page.locator(".page-trouble")).to_contain_text("Could not load")
        expect(page.locator("#experiment-name")).to_have_text("Busy bench", timeout=20_000)
        assert page.locator("[data-refused]").count() == 0
        assert errors == []
    finally:
        context.close()
        served.close()

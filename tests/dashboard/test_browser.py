"""The dashboard in a real browser (headless Chromium, Playwright).

A person signs in, finds a campaign, watches a script run it to its end (the
task's progress moves live, from the event stream), sees the plots, downloads
the design; opens SigOpt experiments; is refused another person's data; uses
a phone-sized screen; acts (halt, cancel) through the API's own checks; signs
out. The console stays free of errors throughout.
"""

from __future__ import annotations

import csv
import io
import random
import sqlite3
import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from sigopt_like._constants import MAX_REMAINING
from sigopt_like.exports import export_design, export_history
from sigopt_like.tables import Table, history_from_csv
from tests.dashboard import site
from tests.dashboard.conftest import Site, Tab
from tests.dashboard.held_tasks import hold
from tests.dashboard.numbers import shown_number
from tests.fixtures.servers import serve_in_thread

#: 4 x 4 x 3 = 48 experiments; 6 a generation: the campaign ends after 8 generations
SMALL_SPACE = {
    "type": "factorial",
    "parameters": [
        {"name": "temperature", "type": "numerical", "values": [40, 50, 60, 70]},
        {"name": "pH", "type": "numerical", "values": [5, 6, 7, 8]},
        {"name": "catalyst", "type": "categorical", "values": ["Pd", "Ni", "Pt"]},
    ],
}
#: a name that would run script if a page put it in HTML
HOSTILE = '<img src=x onerror="alert(1)"> Résine époxy ☃ 催化剂 «lot»'

#: records every value each task's progress bar takes, from the first page load on
PROGRESS_RECORDER = """
window.__progress = [];
new MutationObserver(() => {
  for (const bar of document.querySelectorAll('.task progress')) {
    const id = bar.closest('.task').dataset.task;
    const value = Number(bar.value);
    const seen = window.__progress.filter((e) => e[0] === id);
    if (!seen.length || seen[seen.length - 1][1] !== value) window.__progress.push([id, value]);
  }
}).observe(document, {
  subtree: true, childList: true, attributes: true, attributeFilter: ['value'],
});
"""


def _small_campaign(conn: object, name: str) -> str:
    session = conn.sessions.create(name=name)  # type: ignore[attr-defined]
    conn.sessions(session.id).space.put(  # type: ignore[attr-defined]
        space=SMALL_SPACE, population_size=6, replicates=1, wait=True
    )
    return str(session.id)


def test_a_campaign_followed_to_its_end(tab: Tab, dashboard_site: Site, monkeypatch: Any) -> None:
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    name = f"{HOSTILE} {uuid.uuid4().hex[:6]}"
    sid = _small_campaign(conn, name)
    page.add_init_script(PROGRESS_RECORDER)
    tab.sign_in(dashboard_site.alice)

    page.fill("#session-search", "Résine époxy")
    link = page.locator("#sessions-table a.name", has_text="Résine époxy")
    link.wait_for()
    assert link.inner_text() == name  # shown as text, not as markup
    assert page.locator("#sessions-table img").count() == 0

    release = hold(monkeypatch, dashboard_site.served)
    task = conn.sessions(sid).simulate(ngens=100)  # a script runs the campaign
    link.click()
    page.wait_for_selector("#session-name")
    assert page.inner_text("#session-name") == name
    # the page shows the task under way before it may go on (and end)
    page.wait_for_function(
        "(id) => window.__progress.some((e) => e[0] === id && e[1] < 1)", arg=str(task.id)
    )
    release.set()
    page.wait_for_selector(f'.task[data-task="{task.id}"][data-status="success"]', timeout=90_000)
    seen = [value for tid, value in page.evaluate("window.__progress") if tid == str(task.id)]
    assert any(value < 1 for value in seen) and seen[-1] == 1, seen  # it moved, live

    page.wait_for_selector(".stats .badge-completed")
    session = conn.sessions(sid).fetch()
    assert session.completed and session.remaining == 0
    stats = page.inner_text(".stats")
    # as num() writes it: Python's "{:.4g}" wrote "1.235e+04" where the page reads "12350"
    assert shown_number(session.best_response) in stats.replace("\n", " ")
    markers = page.locator(".plot-svg circle.marker")
    assert markers.count() > 8 * 6  # every response of 8 generations, and the best-so-far line
    box = markers.first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector(".plot-tip:not([hidden])")
    assert "generation" in page.inner_text(".plot-tip:not([hidden])")
    toggle = page.locator(".legend-item", has_text="best of each generation")
    series = '.series[data-series="best of each generation"]'
    assert page.locator(series).count() == 1
    toggle.click()  # the legend hides a series, and shows it again
    assert toggle.get_attribute("aria-pressed") == "false" and page.locator(series).count() == 0
    toggle.click()
    assert page.locator(series).count() == 1
    assert page.inner_text("#predicted-response") not in ("", "—")

    with page.expect_download() as info:
        page.click("#download-design")
    download = info.value
    assert download.suggested_filename.endswith("-design.csv")
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    design = conn.sessions(sid).design.fetch()
    assert rows[0] == list(design.columns)  # Response included, empty: to fill in the lab
    assert len(rows) - 1 == len(design.rows)
    assert [float(v) for v in rows[1][:2]] == [float(v) for v in design.rows[0][:2]]
    assert rows[1][2] == design.rows[0][2] and rows[1][3] == ""

    page.click(f'details[data-gen="{session.gen}"] summary')
    # a <details> element's "toggle" event (which fills the table) fires after the click
    # returns: wait for the rows rather than count them at once
    expect(page.locator(f'details[data-gen="{session.gen}"] tbody tr')).to_have_count(12)
    assert tab.errors == [] and tab.dialogs == []


def test_sigopt_experiments(tab: Tab, dashboard_site: Site) -> None:
    page = tab.page
    tab.sign_in(dashboard_site.alice)
    page.click("nav >> text=SigOpt experiments")
    link = page.locator("#experiments-table a.name", has_text="with")
    link.wait_for()
    assert link.inner_text() == "Branin <b>with</b> a solvent"
    link.click()
    page.wait_for_selector(".plot-svg")
    assert page.locator(".plot-svg circle.marker").count() == 12  # one per observation
    assert page.locator(".pc-line").count() == 12  # parallel coordinates, one line each
    open_rows = page.locator('table[aria-label="Open suggestions"] tbody tr')
    assert open_rows.count() == 1
    assert page.locator('table[aria-label="Best assignments"] tbody tr').count() == 1

    page.goto(f"{dashboard_site.url}/#/experiments/{dashboard_site.alice_pareto}")
    page.wait_for_selector("text=Pareto front (best assignments)")
    front = page.locator('.series[data-series="Pareto front (best assignments)"] circle')
    best = site.connect(dashboard_site.served, dashboard_site.alice)
    expected = list(best.experiments(dashboard_site.alice_pareto).best_assignments.fetch())
    assert front.count() == len(expected) > 0
    assert "yield" in page.inner_text(".plot") and "cost" in page.inner_text(".plot")
    assert tab.errors == [] and tab.dialogs == []


def test_another_persons_data_is_refused(tab: Tab, dashboard_site: Site) -> None:
    page = tab.page
    alice = site.connect(dashboard_site.served, dashboard_site.alice)
    secret = f"Alice's secret {uuid.uuid4().hex[:6]}"
    sid = alice.sessions.create(name=secret).id
    page.goto(dashboard_site.url + "/")
    page.wait_for_selector("#signin-password-form")
    assert page.is_hidden("#signin-token-form") and page.is_hidden("#nav")  # one form at a time
    page.click("text=API token")
    assert page.is_hidden("#signin-password-form") and page.is_visible("#signin-token-form")
    page.fill("#signin-token", dashboard_site.bob.token)
    page.click("#signin-token-form button[type=submit]")
    page.wait_for_selector("#sessions-summary:not(:empty)")
    assert "Bob's own campaign" in page.inner_text("#sessions-table")
    assert secret not in page.content()

    for path, noun, back in (
        (f"#/sessions/{sid}", "campaign", "Campaigns"),
        (f"#/experiments/{dashboard_site.alice_experiment}", "experiment", "SigOpt experiments"),
    ):
        page.goto(f"{dashboard_site.url}/{path}")
        page.wait_for_selector("[data-refused]")
        assert page.get_attribute("[data-refused]", "data-refused") == "404"
        assert page.inner_text("h1") == f"{noun.capitalize()} not available"
        said = page.inner_text("[data-refused] .notice.error")
        assert said == f"There is no {noun} with this id that you can see."
        assert page.inner_text("[data-refused] .crumbs") == back
    assert secret not in page.content()
    status = page.evaluate(f"fetch('/v1/sessions/{sid}').then((r) => r.status)")
    assert status == 404
    # the only console errors are the browser's notes on those 404 answers
    assert tab.errors and all("404" in error for error in tab.errors), tab.errors


def test_a_narrow_screen(narrow_tab: Tab, dashboard_site: Site) -> None:
    page = narrow_tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    sid = site.simulated_campaign(conn, f"Phone view {uuid.uuid4().hex[:6]}", gens=1)
    narrow_tab.sign_in(dashboard_site.alice)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    page.goto(f"{dashboard_site.url}/#/sessions/{sid}")
    page.wait_for_selector(".plot-svg")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    plot = page.locator(".plot-svg").first.bounding_box()
    assert plot["width"] <= 390 and plot["width"] > 250
    assert narrow_tab.errors == []


def test_actions_go_through_the_api(tab: Tab, dashboard_site: Site, monkeypatch: Any) -> None:
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    # a long task (about 40 generations of 90 experiments), canceled after its first step:
    # held there (never released), since on a fast machine it could end before the page
    # showed it, and the Cancel button clicked was gone
    sid = site.simulated_campaign(conn, f"To cancel {uuid.uuid4().hex[:6]}", gens=0)
    hold(monkeypatch, dashboard_site.served)
    tab.sign_in(dashboard_site.alice)
    task = conn.sessions(sid).simulate(ngens=100)
    page.goto(f"{dashboard_site.url}/#/sessions/{sid}")
    cancel = page.locator(f'.task[data-task="{task.id}"] button', has_text="Cancel")
    cancel.click()
    page.wait_for_selector(f'.task[data-task="{task.id}"][data-status="canceled"]', timeout=60_000)
    assert conn.sessions(sid).tasks(task.id).fetch().status == "canceled"

    page.click("#halt")
    page.wait_for_selector("#halt >> text=Click again to halt")
    assert conn.sessions(sid).fetch().status == "active"  # the first click only arms it
    page.click("#halt")
    page.wait_for_selector(".stats .badge-halted")
    assert conn.sessions(sid).fetch().status == "halted"
    assert tab.errors == [] and tab.dialogs == []


def test_sign_out(tab: Tab, dashboard_site: Site) -> None:
    page = tab.page
    tab.sign_in(dashboard_site.alice)
    cookie = next(c for c in page.context.cookies() if c["name"] == "sigopt_like_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie") == ""  # scripts cannot read it
    page.click("#sign-out")
    page.wait_for_selector("#signin-email")
    status = page.evaluate("fetch('/v1/sessions').then((r) => r.status)")
    assert status == 401
    assert all("401" in error for error in tab.errors), tab.errors


def test_responses_at_the_float_limit_are_plotted(tab: Tab, dashboard_site: Site) -> None:
    """Responses of 1.7e308 and -1.7e308 (finite, so valid): the axis' span overflowed
    to Infinity, every marker was placed at NaN and the axis had no ticks; with the span
    in halves, the tick loop's end was Infinity and the page died ("Invalid array
    length"). The span is taken in halves and the ticks end at the largest number."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    sid = _small_campaign(conn, f"float limit {uuid.uuid4().hex[:6]}")
    campaign = conn.sessions(sid)
    campaign.generate(wait=True)
    design = campaign.design.fetch()
    big = 1.7e308
    rows = [[*r[:-1], (big, -big, 1.0)[i % 3]] for i, r in enumerate(design.rows)]
    campaign.experiments.put(
        type="designed", table={"columns": list(design.columns), "rows": rows}, wait=True
    )
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.served.url}/#/sessions/{sid}")
    page.wait_for_selector(".plot-svg circle.marker", state="attached")
    places = page.eval_on_selector_all(
        ".plot-svg circle.marker",
        "els => els.map((e) => [e.getAttribute('cx'), e.getAttribute('cy')])",
    )
    assert places and all(
        value not in (None, "NaN") and abs(float(value)) < 1e4
        for place in places
        for value in place
    ), places
    heights = {float(cy) for _, cy in places}
    assert len(heights) >= 2  # +1.7e308 and -1.7e308 apart, not on one line
    assert page.locator(".plot-svg .tick").count() > 0
    assert tab.errors == [] and tab.dialogs == []


#: levels whose text a browser writes otherwise than Python (1e-7 for 1e-07), a level with
#: a comma, a quote and non-ASCII letters, a whole float (12.0 is written 12)
AWKWARD_SPACE = {
    "type": "factorial",
    "parameters": [
        {"name": "dose", "type": "numerical", "values": [1e-07, 2.5e-05, 0.1, 12.0]},
        {"name": "solvent", "type": "categorical", "values": ['Ét,"OH"', "水", "plain"]},
    ],
}


def test_the_design_download_is_the_file_the_library_writes(
    tab: Tab, dashboard_site: Site, tmp_path: Path
) -> None:
    """Before: the page wrote the design's CSV itself from its JSON, with CRLF line ends
    (the library writes LF: history, exports, ``Table.to_csv``) and a browser's numbers
    ("1e-7" where the library writes "1e-07"). The download is now the service's
    ``design?format=csv``, the library's own writer: byte for byte the file
    ``design.fetch().to_csv()`` and ``export_design`` write, read back unchanged, as the
    history CSV is."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    session = conn.sessions.create(name=f"awkward levels {uuid.uuid4().hex[:6]}")
    campaign = conn.sessions(session.id)
    campaign.space.put(space=AWKWARD_SPACE, population_size=8, replicates=0, wait=True)
    campaign.generate(wait=True)
    design = campaign.design.fetch()
    expected = design.to_csv().encode("utf-8")
    assert b"\r" not in expected and expected.endswith(b"\n") and b"1e-07" in expected

    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/sessions/{session.id}")
    page.wait_for_selector("#download-design")
    with page.expect_download() as info:
        page.click("#download-design")
    downloaded = Path(info.value.path()).read_bytes()
    assert downloaded == expected
    assert export_design(tmp_path, 1, design).read_bytes() == expected
    assert Table.from_csv(downloaded).to_dict() == design.to_dict()  # read back unchanged

    history = campaign.history.csv().encode("utf-8")  # the service's history CSV
    assert b"\r" not in history and history.endswith(b"\n")
    assert campaign.history.fetch().to_csv().encode("utf-8") == history  # the client's own
    generations = history_from_csv(history)
    assert export_history(tmp_path, generations).read_bytes() == history
    assert [g["table"].to_dict() for g in generations][-1] == design.to_dict()
    assert tab.errors == [] and tab.dialogs == []


def test_a_refused_sign_in_says_why(tab: Tab, dashboard_site: Site) -> None:
    """A wrong password or token is a 401, which also meant "your cookie went": the page
    drew the sign-in form again, erasing the form's message, so a mistyped password
    looked like a button that did nothing. The message stays now, and signing in works."""
    page = tab.page
    page.goto(dashboard_site.url + "/")
    page.fill("#signin-email", dashboard_site.alice.email)
    page.fill("#signin-password", "not the password")
    page.click("#signin-password-form button[type=submit]")
    expect(page.locator(".form-message .notice.error")).to_contain_text("password")
    assert page.input_value("#signin-email") == dashboard_site.alice.email  # kept, to retry

    page.click("button[role=tab] >> text=API token")
    page.fill("#signin-token", "slk_" + "x" * 43)
    page.click("#signin-token-form button[type=submit]")
    expect(page.locator(".form-message .notice.error")).not_to_be_empty()
    assert page.is_visible("#signin-token-form")  # still the form that was used

    page.click("button[role=tab] >> text=Email and password")
    page.fill("#signin-password", dashboard_site.alice.password)
    page.click("#signin-password-form button[type=submit]")
    page.wait_for_selector("#sessions-summary:not(:empty)")
    # the browser's notes on the two refusals are the only console errors
    assert tab.errors and all("401" in error for error in tab.errors), tab.errors


def test_an_address_that_is_no_page(tab: Tab, dashboard_site: Site) -> None:
    """A hash that is not valid percent-encoding threw an uncaught URIError, leaving the
    previous page (and its title) on screen; refusals and "Not found" kept the previous
    page's title too."""
    page = tab.page
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/experiments/{dashboard_site.alice_experiment}")
    page.wait_for_selector("#experiment-name")
    assert page.title().startswith("Branin")
    for address in ("#/sessions/%E0%A4%A", "#/experiments/%", "#/no-such-page"):
        page.goto(f"{dashboard_site.url}/{address}")
        expect(page.locator("h1")).to_have_text("Not found")
        assert page.title() == "Not found · sigopt-like", address
    page.goto(f"{dashboard_site.url}/#/sessions/{dashboard_site.bob_session}")  # Bob's
    page.wait_for_selector("[data-refused]")
    assert page.title() == "Campaign not available · sigopt-like"
    assert not [e for e in tab.errors if "404" not in e], tab.errors


def test_long_names_on_a_narrow_screen(narrow_tab: Tab, dashboard_site: Site) -> None:
    """Names as long as the API takes, with no space to break at (a session's 200
    characters, an experiment's 500, a metric's 100), pushed the lists, a card's title
    and a plot's legend past the screen: the page scrolled sideways (2,151 and 5,403
    pixels wide on a 390-pixel screen)."""
    page = narrow_tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    tag = uuid.uuid4().hex[:6]
    conn.sessions.create(name=tag + "S" * 194)
    experiment = conn.experiments.create(
        name=tag + "E" * 494,
        parameters=[{"name": "p" * 100, "type": "double", "bounds": {"min": 0, "max": 1}}],
        metrics=[{"name": "m" * 100, "objective": "maximize"}],
    )
    for value in (0.1, 0.7, 0.3):
        suggestion = conn.experiments(experiment.id).suggestions().create()
        conn.experiments(experiment.id).observations().create(suggestion=suggestion.id, value=value)
    narrow_tab.sign_in(dashboard_site.alice)
    for address, ready in (
        ("#/", f'#sessions-table a.name:has-text("{tag}")'),
        ("#/experiments", f'#experiments-table a.name:has-text("{tag}")'),
        (f"#/experiments/{experiment.id}", ".pc-line"),
    ):
        page.goto(f"{dashboard_site.url}/{address}")
        page.wait_for_selector(ready, state="attached")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (address, width)
    assert narrow_tab.errors == []


def test_more_observations_than_the_page_reads(tab: Tab, dashboard_site: Site) -> None:
    """The page reads the latest 5,000 observations. Past that, the 5,050th was drawn as
    the 5,000th, the best so far started from the 51st as if it were the first, and the
    table said "The latest 100 of 5000" of 5,050 observations."""
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    experiment = conn.experiments.create(
        name=f"Many observations {uuid.uuid4().hex[:6]}",
        parameters=[{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
        metrics=[{"name": "y", "objective": "maximize"}],
        observation_budget=6000,
    )
    observations = conn.experiments(experiment.id).observations()
    for start in range(0, 5050, 1010):
        batch = [
            {"assignments": {"x": (i % 97) / 97}, "value": float(i)}
            for i in range(start, start + 1010)
        ]
        observations.create_batch(observations=batch)
    page = tab.page
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/experiments/{experiment.id}")
    page.wait_for_selector(".plot-svg", timeout=60_000)
    text = page.inner_text("#view")
    assert "The latest 5,000 of 5,050 observations are drawn, from observation 51 on." in text
    assert "The latest 100 of 5,050 shown." in text
    assert page.locator(".legend-item", has_text="best so far since observation 51").count()
    last = page.locator('.series[data-series="observations"] circle.marker').last
    box = last.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator(".plot-tip:not([hidden])")).to_contain_text("observation 5,050")
    assert tab.errors == [] and tab.dialogs == []


def test_a_campaign_of_130_000_responses(chromium: Any, tmp_path: Path) -> None:
    """Past about 125,000 responses, Math.max(...values) threw "Maximum call stack size
    exceeded" and the campaign's page said only that. It draws now, with a sample of
    the markers that says it is one (each generation's best and worst among them)."""
    served = serve_in_thread(tmp_path, max_table_rows=150_000)
    try:
        person = site.make_person(served, "many")
        campaign = site.connect(served, person).sessions
        session = campaign.create(name="130,000 responses")
        names = [f"p{i}" for i in range(6)]
        space = {
            "type": "factorial",
            "parameters": [
                {"name": n, "type": "numerical", "values": list(range(10))} for n in names
            ],
        }
        campaign(session.id).space.put(space=space, population_size=20, replicates=0, wait=True)
        rng = random.Random(7)
        points = rng.sample(range(10**6), 130_000)
        rows = [[int(d) for d in f"{p:06d}"] + [rng.random()] for p in points]
        rows[4321][-1] = 2.5  # the best, which the sample must keep
        campaign(session.id).experiments.put(
            type="initial", table={"columns": [*names, "Response"], "rows": rows}, wait=True
        )
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        try:
            tab = Tab(page=context.new_page(), url=served.url)
            tab.page.on("pageerror", lambda e: tab.errors.append(f"uncaught: {e}"))
            tab.page.on(
                "console", lambda m: tab.errors.append(m.text) if m.type == "error" else None
            )
            tab.page.set_default_timeout(120_000)  # /best on 130,000 responses is slow
            tab.sign_in(person)
            tab.page.goto(f"{served.url}/#/sessions/{session.id}")
            tab.page.wait_for_selector("#session-name")
            assert tab.page.inner_text("#best-so-far") == "2.5"
            markers = tab.page.locator('.series[data-series="responses"] circle.marker')
            assert 4000 <= markers.count() <= 5000
            assert "of 130,000 responses drawn" in tab.page.inner_text("#view")
            assert tab.errors == []
        finally:
            context.close()
    finally:
        served.close()


#: what a browser does to a tab another one covers (headless tabs are all "visible")
HIDE_TAB = """() => {
  Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});
  Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
  document.dispatchEvent(new Event('visibilitychange'));
}"""
SHOW_TAB = """() => {
  delete document.hidden;
  delete document.visibilityState;
  document.dispatchEvent(new Event('visibilitychange'));
}"""


def test_many_tabs_on_running_tasks(tab: Tab, dashboard_site: Site, monkeypatch: Any) -> None:
    """Each campaign page followed its running task with an event stream, one connection
    held for as long as the task ran; a browser opens at most 6 connections to a host, so
    with six such tabs open a seventh stayed blank ("Loading…") and the six stopped
    answering clicks. A tab another covers holds no stream now, and follows the task
    again, live, when it is shown."""
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    sid = _small_campaign(conn, f"Many tabs {uuid.uuid4().hex[:6]}")
    release = hold(monkeypatch, dashboard_site.served)
    task = conn.sessions(sid).simulate(ngens=100)
    tab.sign_in(dashboard_site.alice)
    pages = []
    try:
        for _ in range(8):
            page = tab.page.context.new_page()
            page.on("pageerror", lambda e: tab.errors.append(f"uncaught: {e}"))
            page.set_default_timeout(20_000)
            page.add_init_script(PROGRESS_RECORDER)
            page.goto(f"{dashboard_site.url}/#/sessions/{sid}")
            page.wait_for_selector(f'.task[data-task="{task.id}"]')
            page.wait_for_function(
                "(id) => window.__progress.some((e) => e[0] === id && e[1] < 1)",
                arg=str(task.id),
            )
            page.evaluate(HIDE_TAB)  # the next tab covers it
            pages.append(page)
        shown = pages[0]
        shown.evaluate(SHOW_TAB)
        release.set()
        shown.wait_for_selector(
            f'.task[data-task="{task.id}"][data-status="success"]', timeout=90_000
        )
        assert tab.page.evaluate("fetch('/v1/sessions').then((r) => r.status)") == 200
    finally:
        release.set()
        for page in pages:
            page.close()


def test_the_tasks_card_lists_tasks_without_their_results(tab: Tab, dashboard_site: Site) -> None:
    """The session page loads and polls its tasks with ``result=omit``: no results moved.

    Before, it listed 20 tasks with their results every 3 s: a simulate task's result
    is the campaign's whole history, 4.9 MB a poll for a 130,000-response campaign.
    """
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    sid = site.simulated_campaign(conn, f"Listing {uuid.uuid4().hex[:6]}", gens=2)
    listings: list[Any] = []
    page.on(
        "response",
        lambda r: listings.append(r) if r.url.split("?")[0].endswith(f"/{sid}/tasks") else None,
    )
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/sessions/{sid}")
    page.wait_for_selector('.task[data-status="success"] >> text=simulate')
    # one poll at least, after the first load: waited for, not timed (3.5 s of a busy
    # machine's browser may hold no poll)
    if len(listings) < 2:
        page.wait_for_event("response", lambda r: r.url.split("?")[0].endswith(f"/{sid}/tasks"))
    assert len(listings) >= 2, [r.url for r in listings]
    for response in listings:
        assert "result=omit" in response.url, response.url
        tasks = response.json()["data"]
        assert tasks and all("result" not in t for t in tasks)
    assert tab.errors == [] and tab.dialogs == []


def test_a_lone_surrogate_stored_by_an_older_release(chromium: Any, tmp_path: Path) -> None:
    """Releases before the door refused lone UTF-16 surrogates stored them (JSON-escaped
    in metadata and parameter names). Read back, UTF-8 could not encode them: the
    experiment and the owner's whole list were 500s, and the dashboard's SigOpt page said
    only "The service answered HTTP 500". Both show now, the character as stored."""
    served = serve_in_thread(tmp_path)
    try:
        owner = site.make_person(served, "older")
        person = site.connect(served, owner)
        person.experiments.create(
            name="Plain experiment",
            parameters=[{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
        )
        old = person.experiments.create(
            name="Written by 0.1",
            parameters=[{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
        )
        database = sqlite3.connect(served.database, timeout=30)
        with database:  # what an older release stored: JSON escapes of lone surrogates
            parameters = database.execute(
                "SELECT parameters FROM sigopt_experiments WHERE id = ?", (int(old.id),)
            ).fetchone()[0]
            database.execute(
                "UPDATE sigopt_experiments SET metadata = ?, parameters = ? WHERE id = ?",
                (
                    '{"note": "lot \\udc80 of 2025"}',
                    parameters.replace('"x"', '"x\\ud800"'),
                    int(old.id),
                ),
            )
        database.close()
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        try:
            tab = Tab(page=context.new_page(), url=served.url)
            tab.page.on("pageerror", lambda e: tab.errors.append(f"uncaught: {e}"))
            tab.page.on(
                "console", lambda m: tab.errors.append(m.text) if m.type == "error" else None
            )
            tab.sign_in(owner)
            tab.page.goto(f"{served.url}/#/experiments")
            tab.page.wait_for_selector("#experiments-table table")
            listed = tab.page.inner_text("#experiments-table")
            assert "Plain experiment" in listed and "Written by 0.1" in listed
            tab.page.goto(f"{served.url}/#/experiments/{old.id}")
            expect(tab.page.locator("#experiment-name")).to_have_text("Written by 0.1")
            assert tab.page.locator(".notice.error").count() == 0
            assert tab.errors == []
        finally:
            context.close()
        fetched = person.experiments(old.id).fetch()
        assert fetched.metadata == {"note": "lot \udc80 of 2025"}
    finally:
        served.close()


def test_too_many_cookies_from_other_applications(tab: Tab, dashboard_site: Site) -> None:
    """More than 8 KB of cookies for the dashboard's host name (set by other applications
    opened there, any port) was a 431 whose JSON error the browser showed raw, saying
    only that the headers were too large. The page now names the host whose cookies to
    clear and another name of this machine; cleared, the dashboard opens."""
    page = tab.page
    crumbs = [
        {"name": f"jupyter-{n}", "value": "x" * 1000, "url": dashboard_site.url} for n in range(9)
    ]
    page.context.add_cookies(crumbs)
    reply = page.goto(f"{dashboard_site.url}/")
    assert reply is not None and reply.status == 431
    expect(page.locator("h1")).to_have_text("Too many cookies for 127.0.0.1")
    expect(page.locator("body")).to_contain_text("clear the cookies of 127.0.0.1")
    port = dashboard_site.url.rsplit(":", 1)[1]
    expect(page.locator(f'a[href="http://localhost:{port}/"]')).to_be_visible()
    page.context.clear_cookies()
    tab.sign_in(dashboard_site.alice)
    # the dashboard's own cookie is one short token: never the cause
    (own,) = page.context.cookies()
    assert len(own["name"]) + len(own["value"]) < 100, own


#: 20 ten-level parameters: 10**20 experiments, at population 1 far more generations than
#: the service's INTEGER column holds
HUGE_SPACE = {
    "type": "factorial",
    "parameters": [
        {"name": f"p{i}", "type": "numerical", "values": list(range(10))} for i in range(20)
    ],
}


def test_generations_left_past_the_cap_read_as_a_lower_bound(
    tab: Tab, dashboard_site: Site
) -> None:
    """A space of 10**20 experiments at population 1: the service keeps ``remaining`` at its
    cap, 2**31 - 1, and the page said "Generations left 2147483647", a count that read as
    exact. Both the campaign's page and the list now say "2,147,483,647 or more"."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    name = f"huge {uuid.uuid4().hex[:6]}"
    session = conn.sessions.create(name=name)
    conn.sessions(session.id).space.put(
        space=HUGE_SPACE, population_size=1, replicates=0, wait=True
    )
    assert conn.sessions(session.id).fetch().remaining == MAX_REMAINING  # the API's integer
    shown = f"{MAX_REMAINING:,} or more"
    tab.sign_in(dashboard_site.alice)
    page.fill("#session-search", name)
    left = page.locator("#sessions-table tr", has_text=name).locator(
        'td[data-label="Generations left"]'
    )
    expect(left).to_have_text(shown)
    page.goto(f"{dashboard_site.url}/#/sessions/{session.id}")
    fact = page.locator(".stats div", has=page.locator("dt", has_text="Generations left"))
    expect(fact.locator("dd")).to_have_text(shown)
    assert tab.errors == [] and tab.dialogs == []

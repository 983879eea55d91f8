"""The dashboard tried again as a stranger would, in a real browser (headless Chromium).

A failed or canceled task's bar says where it stopped, styled as its end, with the
reason; an experiment's page follows new observations and suggestions while it is open;
the experiments list says how many of how many it shows and reads the rest on demand;
tables show numbers without the zeros a rounded value ends with.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from sigopt_like.errors import TaskFailedError
from tests.dashboard import site
from tests.dashboard.conftest import Site, Tab
from tests.dashboard.held_tasks import hold

ACCENT = "(el) => getComputedStyle(el).accentColor"


def test_a_stopped_task_says_where_it_stopped(
    tab: Tab, dashboard_site: Site, monkeypatch: Any
) -> None:
    """A failed task's bar stayed at 40% (a canceled one's at 5%) beside its badge, drawn
    as a running task's: nothing said it would go no further, nor why."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    sid = site.simulated_campaign(conn, f"Stops {uuid.uuid4().hex[:6]}", gens=0)
    campaign = conn.sessions(sid)
    # a population a mixture cannot fill: the space task's own check, which counts a
    # mixture too large to count at the request (6 components x 10,001 units; a factorial's
    # and a small mixture's are refused at the request, 422, as a table that does not
    # match the design is, and start no task); it holds 15 experiments
    space = {
        "type": "mixture",
        "total_units": 10_000,
        "parameters": [
            {"name": f"c{i}", "type": "unit", "min": 1666, "max": 1667} for i in range(6)
        ],
    }
    with pytest.raises(TaskFailedError, match="fewer than population_size 16"):
        campaign.space.put(space=space, population_size=16, replicates=0, wait=True)
    failed = next(t for t in campaign.tasks.list().data if t.status == "failed")
    campaign.generate(wait=True)
    # held after its first step until canceled: a fast machine ran the 100 generations to
    # their end before the cancel, and the task was never "canceled"
    hold(monkeypatch, dashboard_site.served)
    long = campaign.simulate(ngens=100)
    deadline = time.monotonic() + 60
    while campaign.tasks(long.id).fetch().progress.fraction <= 0:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    campaign.tasks(long.id).cancel()
    while (canceled := campaign.tasks(long.id).fetch()).status != "canceled":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/sessions/{sid}")
    running = page.locator(".task[data-status=success] progress").first.evaluate(ACCENT)
    for task, how in ((failed, "Failed"), (canceled, "Canceled")):
        row = page.locator(f'.task[data-task="{task.id}"]')
        percent = f"{round(task.progress.fraction * 100)}%"
        expect(row.locator(".task-percent")).to_have_text(f"stopped at {percent}")
        bar = row.locator("progress")
        label = f"Task {task.id} stopped at {percent} ({task.status})"
        expect(bar).to_have_attribute("aria-label", label)
        reason = task.errors[0].message if task.errors else task.progress.message
        expect(row.locator(".task-message")).to_have_text(f"{how} at {percent}: {reason}")
        assert bar.evaluate(ACCENT) != running, how  # not drawn as a bar on its way
    assert tab.errors == [] and tab.dialogs == []


def test_table_numbers_drop_trailing_zeros(tab: Tab, dashboard_site: Site) -> None:
    """Tables showed "1.00000e+300" and "2.50000e-7" (the tick labels already read "1e+300"),
    and an observation's value kept 4 significant digits where a parameter's kept 6. Now
    both are like the command line's `{:.6g}`: 6 significant digits, no trailing zeros."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    e = conn.experiments.create(
        name=f"tiny and huge {uuid.uuid4().hex[:6]}",
        parameters=[{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
    )
    conn.experiments(e.id).observations().create_batch(
        observations=[
            {"assignments": {"x": 2.5e-7}, "value": 1e300},
            {"assignments": {"x": 0.123456789}, "value": 1.234567e300},
            {"assignments": {"x": 0.5}, "value": 0.934170},
        ]
    )
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/experiments/{e.id}")
    observations = page.locator('table[aria-label="Observations"]')
    values = observations.locator('td[data-label="Values"]')
    expect(values).to_have_text(["0.93417", "1.23457e+300", "1e+300"])
    expect(observations.locator('td[data-label="x"]')).to_have_text(["0.5", "0.123457", "2.5e-7"])
    texts = page.eval_on_selector_all("td", "els => els.map((e) => e.textContent)")
    assert not [t for t in texts if "0e" in t], texts
    assert tab.errors == [] and tab.dialogs == []


def test_an_experiment_page_follows_new_observations(tab: Tab, dashboard_site: Site) -> None:
    """An experiment's page was read once: observations and suggestions made by a script
    while it was open never showed (a campaign's page follows its tasks), until a reload."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    eid = site.branin_experiment(conn, f"Followed {uuid.uuid4().hex[:6]}", rounds=2)
    exp = conn.experiments(eid)
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/experiments/{eid}")
    headings = page.locator(".card h2")
    expect(headings.filter(has_text="Observations (")).to_have_text("Observations (2)")
    expect(headings.filter(has_text="Open suggestions")).to_have_text("Open suggestions (1)")
    page.evaluate("window.notReloaded = true")
    s = exp.suggestions().create()
    expect(headings.filter(has_text="Open suggestions")).to_have_text(
        "Open suggestions (2)", timeout=15_000
    )
    exp.observations().create(suggestion=s.id, value=1.25)
    expect(headings.filter(has_text="Observations (")).to_have_text(
        "Observations (3)", timeout=15_000
    )
    expect(
        page.locator('table[aria-label="Observations"] td[data-label="Values"]').first
    ).to_have_text("1.25")
    assert page.evaluate("window.notReloaded") is True
    # while nothing changes, the page looks (the experiment, one open suggestion) but does
    # not read the observations again
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    page.wait_for_timeout(7_000)
    assert any(u.endswith(f"/v1/experiments/{eid}") for u in asked), asked
    assert not [u for u in asked if "/observations" in u], asked
    assert tab.errors == [] and tab.dialogs == []


def test_more_than_a_page_of_experiments(tab: Tab, dashboard_site: Site) -> None:
    """The list read at most 1,000 experiments and said "1000 experiments" of 1,005: the
    five oldest were nowhere, and nothing said so. It now says "Showing the newest 1,000
    of 1,005", reads the rest on "Show more", and a filter searches them all."""
    page = tab.page
    person = site.make_person(dashboard_site.served, "many")
    conn = site.connect(dashboard_site.served, person)
    parameters = [{"name": "x", "type": "int", "bounds": {"min": 0, "max": 3}}]
    oldest = conn.experiments.create(name="The very first screen", parameters=parameters)
    for i in range(1004):
        conn.experiments.create(name=f"bulk {i:04d}", parameters=parameters)
    tab.sign_in(person)
    page.click("nav >> text=SigOpt experiments")
    summary = page.locator(".page-head p.muted")
    expect(summary).to_contain_text("Showing the newest 1,000 of 1,005 experiments")
    rows = page.locator("#experiments-table tbody tr")
    expect(rows).to_have_count(1000)
    first = page.locator("#experiments-table a.name", has_text="The very first screen")
    expect(first).to_have_count(0)
    page.fill("#experiment-filter", "very first")  # not read yet: the service searches
    expect(first).to_have_count(1)
    expect(rows).to_have_count(1)
    page.fill("#experiment-filter", "")
    expect(rows).to_have_count(1000)
    page.click("#more-experiments")
    expect(rows).to_have_count(1005)
    expect(summary).to_have_text("1,005 experiments")
    expect(page.locator("#more-experiments")).to_be_hidden()
    first.click()
    expect(page.locator("#experiment-name")).to_have_text("The very first screen")
    assert page.url.endswith(f"#/experiments/{oldest.id}")
    assert tab.errors == [] and tab.dialogs == []


def test_the_lists_say_the_service_gave_no_answer_and_try_again(
    tab: Tab, dashboard_site: Site
) -> None:
    """With the service stopped (no answer at all: the browser's requests are refused),
    the experiments list said only fetch's own "Failed to fetch" in place of the list, and
    stayed so until the page was reloaded; the campaigns list said the same on a first
    load, and nothing on a refresh. Both now say no answer came from the service and read
    the list again by themselves when it answers. The page's clock is Playwright's, moved
    on past each list's wait (5 s, 10 s) instead of waiting it out."""
    page = tab.page
    site.connect(dashboard_site.served, dashboard_site.alice).sessions.create(
        name=f"Unanswered {uuid.uuid4().hex[:6]}"
    )
    page.clock.install()  # runs on in real time; run_for moves it on at once
    tab.sign_in(dashboard_site.alice)
    host = dashboard_site.url.removeprefix("http://")
    experiments = re.compile(r"/v1/experiments\?")
    page.route(experiments, lambda route: route.abort("connectionrefused"))
    page.goto(f"{dashboard_site.url}/#/experiments")
    trouble = page.locator(".page-trouble")
    expect(trouble).to_contain_text(
        f"Could not load the experiments (no answer from the service at {host}"
    )
    expect(trouble).to_contain_text("trying again in a few seconds")
    assert "Failed to fetch" not in page.inner_text("#view")
    page.unroute(experiments)
    page.clock.run_for(5_000)  # view-experiments.js's RETRY_MS
    expect(page.locator("#experiments-table a.name").first).to_be_visible(timeout=15_000)
    expect(trouble).to_be_empty()

    sessions = re.compile(r"/v1/sessions\?")
    page.route(sessions, lambda route: route.abort("connectionrefused"))
    page.goto(f"{dashboard_site.url}/#/")
    expect(trouble).to_contain_text(
        f"Could not load the campaigns (no answer from the service at {host}"
    )
    assert "Failed to fetch" not in page.inner_text("#view")
    page.unroute(sessions)
    page.clock.run_for(10_000)  # view-sessions.js's REFRESH_MS
    expect(page.locator("#sessions-table a.name").first).to_be_visible(timeout=20_000)
    expect(trouble).to_be_empty()
    # the browser's own line for each refused request, and nothing else
    assert [e for e in tab.errors if "Failed to load resource" not in e] == []
    assert tab.dialogs == []

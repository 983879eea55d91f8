"""Numbers past a thousand written as every count of the dashboard is ("1,234"), in a
real browser (headless Chromium).
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.dashboard import site
from tests.dashboard.conftest import Site, Tab
from tests.dashboard.numbers import tick_text
from tests.fixtures.servers import serve_in_thread


def test_numbers_past_a_thousand_have_separators(chromium: Any, tmp_path: Path) -> None:
    """Generation numbers, task ids and an experiment's "after N observations" read
    "1234" and "12345" beside counts that read "2,147,483,647". They are written as every
    count is now. (A campaign's generations and its tasks' ids are moved past a thousand
    in the store: a thousand generations would take minutes to run.)"""
    served = serve_in_thread(tmp_path)
    try:
        person = site.make_person(served, "thousands")
        conn = site.connect(served, person)
        sid = site.simulated_campaign(conn, "Past a thousand", gens=1)
        database = sqlite3.connect(served.database, timeout=30)
        try:
            with database:
                for statement in (
                    "UPDATE tasks SET id = id + 12344 WHERE session_id = ?",
                    "UPDATE generations SET gen = gen + 1233 WHERE session_id = ?",
                    "UPDATE sessions SET gen = gen + 1233 WHERE id = ?",
                ):
                    database.execute(statement, (int(sid),))
        finally:
            database.close()
        campaign = conn.sessions(sid)
        gen = campaign.fetch().gen
        tasks = list(campaign.tasks.list().data)
        assert gen >= 1000 and tasks and all(int(t.id) > 12_000 for t in tasks), (gen, tasks)
        experiment = conn.experiments.create(
            name="A thousand observations",
            parameters=[{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
            metrics=[{"name": "y", "objective": "maximize"}],
            observation_budget=2000,
        )
        conn.experiments(experiment.id).observations().create_batch(
            observations=[
                {"assignments": {"x": (i % 97) / 97}, "value": float(i)} for i in range(1000)
            ]
        )

        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        try:
            tab = Tab(page=context.new_page(), url=served.url)
            page = tab.page
            page.set_default_timeout(30_000)
            page.on("pageerror", lambda e: tab.errors.append(f"uncaught: {e}"))
            tab.sign_in(person)
            listed = page.locator('#sessions-table td[data-label="Generation"]')
            expect(listed).to_have_text(f"{gen:,}")
            page.goto(f"{served.url}/#/sessions/{sid}")
            page.wait_for_selector("#session-name")  # the page's default timeout, not expect's
            head = page.locator(".stats > div", has_text="Generation").first
            expect(head.locator("dd")).to_have_text(f"{gen:,}")
            for task in tasks:
                row = page.locator(f'.task[data-task="{task.id}"]')
                expect(row.locator("strong")).to_have_text(f"#{int(task.id):,} {task.type}")
                label = f"Task {int(task.id):,} progress"
                expect(row.locator("progress")).to_have_attribute("aria-label", label)
            summary = page.locator(f'details[data-gen="{gen}"] summary')
            expect(summary).to_contain_text(f"Generation {gen:,} · ")
            expect(page.locator(".card h2", has_text="Latest design")).to_have_text(
                f"Latest design · generation {gen:,}"
            )

            page.goto(f"{served.url}/#/experiments/{experiment.id}")
            chart = page.locator('.plot-svg[aria-label^="Observation history"]')
            chart.wait_for()
            chart.focus()
            page.keyboard.press("End")
            tip = page.locator(".plot-tip:not([hidden])")
            expect(tip).to_contain_text("after 1,000 observations")  # the best so far's
            page.keyboard.press("ArrowLeft")
            expect(tip).to_contain_text("observation 1,000 (id ")  # the observation's
            assert tab.errors == []
        finally:
            context.close()
    finally:
        served.close()


#: a tick label as the page's counts are written: digits grouped by thousands ("12,500"),
#: or a number in exponent notation ("1.5e+6")
GROUPED = re.compile(r"-?\d{1,3}(,\d{3})*(\.\d+)?|-?\d(\.\d+)?e[+-]\d+")


def test_tick_labels_past_a_thousand_have_separators(tab: Tab, dashboard_site: Site) -> None:
    """The charts' tick labels read "5000" and "10000" (num() unchanged) beside counts that
    read "5,000": an axis past a thousand, a metric's values and a parameter's bounds, is
    labelled as the page's counts are, in the observation history and in parallel
    coordinates alike."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    experiment = conn.experiments.create(
        name=f"Thousands on the axes {uuid.uuid4().hex[:6]}",
        parameters=[{"name": "flow", "type": "double", "bounds": {"min": 0, "max": 5000}}],
        metrics=[{"name": "output", "objective": "maximize"}],
    )
    values = [1500.0, 2500.0, 7250.0, 9800.0, 4200.0]
    conn.experiments(experiment.id).observations().create_batch(
        observations=[
            {"assignments": {"flow": 1000.0 * i + 250}, "value": v} for i, v in enumerate(values)
        ]
    )
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/experiments/{experiment.id}")
    history = page.locator('.plot-svg[aria-label^="Observation history"]')
    history.wait_for()
    page.wait_for_selector(".pc-axis .pc-tick", state="attached")
    charts = {
        "history": history.locator('.axes text.tick[text-anchor="end"]'),  # its values
        "parallel": page.locator(".pc-axis .pc-tick"),  # the bounds' and the values' axes
    }
    for chart, ticks in charts.items():
        labels = ticks.all_text_contents()
        assert labels, chart
        past = [t for t in labels if abs(float(t.replace(",", ""))) >= 1000]
        assert past and all("," in t for t in past), (chart, labels)  # "5,000", not "5000"
        for text in labels:
            assert GROUPED.fullmatch(text), (chart, labels)
            assert tick_text(float(text.replace(",", ""))) == text, (chart, labels)
    assert tab.errors == [] and tab.dialogs == []

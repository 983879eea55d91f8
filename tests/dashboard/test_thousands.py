"""Numbers past a thousand written as every count of the dashboard is ("1,234"), in a
real browser (headless Chromium).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.dashboard import site
from tests.dashboard.conftest import Tab
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

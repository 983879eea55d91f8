"""A campaign's tasks said to a screen reader, in a real browser (headless Chromium)."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from playwright.sync_api import expect

from tests.dashboard import site
from tests.dashboard.conftest import Site, Tab
from tests.dashboard.held_tasks import hold


def test_a_task_s_progress_is_said_in_one_live_region(
    tab: Tab, dashboard_site: Site, monkeypatch: Any
) -> None:
    """A task's bar and badge moved in silence: a screen reader said nothing of a task's
    progress or its end until its reader went looking. One polite live region (not one a
    row) now says each task's change as its event arrives."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    sid = site.simulated_campaign(conn, f"Said {uuid.uuid4().hex[:6]}", gens=0)
    release = hold(monkeypatch, dashboard_site.served)
    task = conn.sessions(sid).simulate(ngens=2)
    deadline = time.monotonic() + 60
    while conn.sessions(sid).tasks(task.id).fetch().progress.fraction <= 0:  # now held
        assert time.monotonic() < deadline
        time.sleep(0.1)
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/sessions/{sid}")
    row = page.locator(f'.task[data-task="{task.id}"]')
    row.wait_for()  # the page's default timeout (20 s), not expect's 5 s
    expect(row).to_have_attribute("data-status", "running")  # held after its first step
    news = page.locator("[aria-live]")
    expect(news).to_have_count(1)  # one region for the page, none a row
    assert news.get_attribute("aria-live") == "polite"
    assert page.locator(".tasks [aria-live]").count() == 0
    expect(news).to_have_text("")  # what the page first shows is not said again
    release.set()
    expect(row).to_have_attribute("data-status", "success", timeout=60_000)
    expect(news).to_have_text(re.compile(rf"^Task #{task.id} simulate success, 100%"))
    expect(page.locator("[aria-live]")).to_have_count(1)  # the same one, after the redraw
    assert tab.errors == [] and tab.dialogs == []

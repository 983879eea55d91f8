"""The dashboard tried as a stranger would, in a real browser (headless Chromium).

Deleted (archived) SigOpt experiments can be found from the list.
"""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.dashboard import site
from tests.dashboard.conftest import Site, Tab


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

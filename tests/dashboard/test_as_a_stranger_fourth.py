"""The dashboard tried a fourth time as a stranger would, in a real browser (headless
Chromium): an integer parameter's large value is shown whole, as the experiment is to be
run.
"""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.dashboard import site
from tests.dashboard.conftest import Site, Tab


def test_an_integer_parameters_value_is_shown_whole(tab: Tab, dashboard_site: Site) -> None:
    """An integer parameter's value of 123456789 (in its bounds of 0 to 10**9) read
    "1.23457e+8" in the observations and best assignments, and so in an open suggestion's
    row, the experiment a person is to run: it is whole now, as the command line shows it."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    e = conn.experiments.create(
        name=f"Large integers {uuid.uuid4().hex[:6]}",
        parameters=[{"name": "seconds", "type": "int", "bounds": {"min": 0, "max": 10**9}}],
    )
    experiment = conn.experiments(e.id)
    experiment.observations().create(assignments={"seconds": 123456789}, value=1.5)
    suggestion = experiment.suggestions().create(assignments={"seconds": 987654321})
    assert suggestion.assignments["seconds"] == 987654321
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/experiments/{e.id}")
    for label, shown in (
        ("Observations", "123456789"),
        ("Best assignments", "123456789"),
        ("Open suggestions", "987654321"),
    ):
        value = page.locator(f'table[aria-label="{label}"] td[data-label="seconds"]')
        expect(value).to_have_text(shown)
    assert tab.errors == [] and tab.dialogs == []

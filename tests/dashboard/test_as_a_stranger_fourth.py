"""The dashboard tried a fourth time as a stranger would, in a real browser (headless
Chromium): an integer parameter's large value is shown whole, as the experiment is to be
run, and a generation of 2,500 experiments offers a download of every row.
"""

from __future__ import annotations

import uuid
from pathlib import Path

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


def test_a_generation_of_2500_experiments_offers_every_row(tab: Tab, dashboard_site: Site) -> None:
    """A generation of 2,500 experiments showed its first 500 rows and said "download the
    CSV for all", with no download near it (the latest design's, the only one, has no
    responses). It offers the history CSV now, which holds every row of it."""
    page = tab.page
    conn = site.connect(dashboard_site.served, dashboard_site.alice)
    session = conn.sessions.create(name=f"Large generations {uuid.uuid4().hex[:6]}")
    campaign = conn.sessions(session.id)
    space = {
        "type": "factorial",
        "parameters": [
            {"name": f"p{i}", "type": "numerical", "values": list(range(10))} for i in range(5)
        ],
    }
    campaign.space.put(space=space, population_size=2500, replicates=0, wait=True)
    campaign.simulate(ngens=1, wait=True)
    tab.sign_in(dashboard_site.alice)
    page.goto(f"{dashboard_site.url}/#/sessions/{session.id}")
    generation = page.locator('details.generation[data-gen="1"]')
    generation.locator("summary").click()
    expect(generation.locator("tbody tr")).to_have_count(500)
    expect(generation.locator(".notice")).to_have_text(
        "First 500 of 2,500 rows shown; every row is in the history CSV."
    )
    with page.expect_download() as downloading:
        generation.get_by_role("button", name="Download the history CSV").click()
    lines = Path(downloading.value.path()).read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    gens = [line.split(",")[header.index("Gen_")] for line in lines[1:]]
    assert gens.count("1") == 2500, (header, gens[:3])
    assert tab.errors == [] and tab.dialogs == []

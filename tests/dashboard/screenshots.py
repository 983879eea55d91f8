"""Screenshots of every dashboard page for the README: ``python -m tests.dashboard.screenshots``.

Serves a fresh instance on a temporary database, fills it through the real
client, signs in with a real browser and writes ``docs/images/dashboard-*.png``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.dashboard import site
from tests.dashboard.browser import launch
from tests.fixtures.servers import serve_in_thread

OUT = Path(__file__).resolve().parents[2] / "docs" / "images"


def main() -> int:
    """Write the screenshots; print any console error (there should be none)."""
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        served = serve_in_thread(Path(tmp), dashboard_actions=True)
        try:
            person = site.make_person(served, "ada")
            conn = site.connect(served, person)
            site.simulated_campaign(
                conn, "Coating mixture, 5 components", gens=3, template_name="coating-mixture"
            )
            # names as people write them: accents, Greek, dashes (any Unicode is fine)
            site.simulated_campaign(conn, "Résine époxy \u2013 lot 7", gens=1)
            site.simulated_campaign(conn, "Catalyst screen \u03b1\u2013\u03b2, 25 °C", gens=0)
            sid = site.simulated_campaign(conn, "Formulation screen, pH 5\u20138", gens=6)
            conn.sessions(sid).analytics.create(wait=True)
            eid = site.branin_experiment(conn, "Branin with a solvent", rounds=30)
            mid = site.two_metric_experiment(conn, "Yield against cost", rounds=24)
            errors: list[str] = []
            with sync_playwright() as p:
                browser = launch(p)
                for name, size in (("", (1280, 900)), ("-narrow", (390, 844))):
                    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
                    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
                    page.on("pageerror", lambda e: errors.append(str(e)))
                    page.goto(served.url + "/")
                    if not name:
                        page.screenshot(path=OUT / "dashboard-sign-in.png")
                    page.fill("#signin-email", person.email)
                    page.fill("#signin-password", person.password)
                    page.click("#signin-password-form button[type=submit]")
                    page.wait_for_selector("#sessions-table table")
                    page.screenshot(path=OUT / f"dashboard-sessions{name}.png", full_page=True)
                    page.goto(f"{served.url}/#/sessions/{sid}")
                    page.wait_for_selector(".plot-svg")
                    page.wait_for_timeout(500)
                    page.screenshot(path=OUT / f"dashboard-session{name}.png", full_page=True)
                    if name:
                        page.close()
                        continue
                    page.goto(f"{served.url}/#/experiments")
                    page.wait_for_selector("#experiments-table table")
                    page.screenshot(path=OUT / "dashboard-experiments.png", full_page=True)
                    page.goto(f"{served.url}/#/experiments/{eid}")
                    page.wait_for_selector(".plot-svg")
                    page.screenshot(path=OUT / "dashboard-experiment.png", full_page=True)
                    page.goto(f"{served.url}/#/experiments/{mid}")
                    page.wait_for_selector(".plot-svg")
                    page.screenshot(path=OUT / "dashboard-experiment-pareto.png", full_page=True)
                    page.close()
                browser.close()
        finally:
            served.close()
    for error in errors:
        print("console error:", error, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

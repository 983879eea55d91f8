"""Screenshots of every dashboard page for the README: ``python -m tests.dashboard.screenshots``.

Serves a fresh instance on a temporary database, fills it through the real
client, signs in with a real browser and writes ``docs/images/dashboard-*.png``:
all of them, or only those named (``python -m tests.dashboard.screenshots experiment
experiment-pareto``), so that a change to one page does not rewrite the others. The data
come from ``--seed`` (campaigns' seeds, the experiments' points, the person's email), so
that the same seed draws the same pages.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from tests.dashboard import site
from tests.dashboard.browser import launch
from tests.fixtures.servers import serve_in_thread

OUT = Path(__file__).resolve().parents[2] / "docs" / "images"

#: every image, by its name in ``dashboard-NAME.png``
NAMES = (
    "sign-in",
    "sessions",
    "session",
    "experiments",
    "experiment",
    "experiment-pareto",
    "sessions-narrow",
    "session-narrow",
)
DEFAULT_SEED = 7


def _image_name(text: str) -> str:
    """An image's name from NAME, dashboard-NAME or dashboard-NAME.png."""
    name = text.removesuffix(".png").removeprefix("dashboard-")
    if name not in NAMES:
        raise argparse.ArgumentTypeError(f"no image {text!r}: the images are {', '.join(NAMES)}")
    return name


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The images to write (default: all), the seed and the folder."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.dashboard.screenshots",
        description="Write the dashboard's screenshots (docs/images/dashboard-NAME.png).",
    )
    parser.add_argument(
        "names",
        nargs="*",
        type=_image_name,
        metavar="NAME",
        help=f"the images to write, of {', '.join(NAMES)} (default: all)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help=f"seed of the pages' data (default: {DEFAULT_SEED})",
    )
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder (default: {OUT})")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Write the screenshots asked for; print any console error (there should be none)."""
    args = parse_args(argv)
    wanted = set(args.names or NAMES)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)

    def shoot(page: Any, name: str) -> None:
        if name in wanted:
            page.evaluate("document.fonts.ready")  # text in its own font, not a fallback
            page.screenshot(path=out / f"dashboard-{name}.png", full_page=name != "sign-in")

    with tempfile.TemporaryDirectory() as tmp:
        served = serve_in_thread(Path(tmp), dashboard_actions=True)
        try:
            # all the data, whichever images are asked for: the ids, counts and names on one
            # page depend on what was made before
            person = site.make_person(served, "ada", email=f"ada-{args.seed}@lab.example")
            conn = site.connect(served, person)

            def seed() -> int:
                return rng.randrange(2**31)

            site.simulated_campaign(
                conn,
                "Coating mixture, 5 components",
                gens=3,
                template_name="coating-mixture",
                seed=seed(),
            )
            # names as people write them: accents, Greek, dashes (any Unicode is fine)
            site.simulated_campaign(conn, "Résine époxy \u2013 lot 7", gens=1, seed=seed())
            site.simulated_campaign(
                conn, "Catalyst screen \u03b1\u2013\u03b2, 25 °C", gens=0, seed=seed()
            )
            sid = site.simulated_campaign(
                conn, "Formulation screen, pH 5\u20138", gens=6, seed=seed()
            )
            conn.sessions(sid).analytics.create(wait=True)
            branin, pareto = "Branin with a solvent", "Yield against cost"
            eid = site.branin_experiment(conn, branin, rounds=30, points=rng)
            mid = site.two_metric_experiment(conn, pareto, rounds=24, points=rng)
            errors: list[str] = []
            with sync_playwright() as p:
                browser = launch(p)
                for suffix, size in (("", (1280, 900)), ("-narrow", (390, 844))):
                    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
                    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
                    page.on("pageerror", lambda e: errors.append(str(e)))
                    page.goto(served.url + "/")
                    # the form is drawn once /auth/me answers, after the page's load event:
                    # shot at once, the image was sometimes the empty page (13% of its
                    # pixels differed between two runs in CI)
                    page.wait_for_selector("#signin-email")
                    if not suffix:
                        shoot(page, "sign-in")
                    page.fill("#signin-email", person.email)
                    page.fill("#signin-password", person.password)
                    page.click("#signin-password-form button[type=submit]")
                    page.wait_for_selector("#sessions-table table")
                    shoot(page, f"sessions{suffix}")
                    page.goto(f"{served.url}/#/sessions/{sid}")
                    page.wait_for_selector(".plot-svg")
                    page.wait_for_timeout(500)
                    shoot(page, f"session{suffix}")
                    if suffix:
                        page.close()
                        continue
                    page.goto(f"{served.url}/#/experiments")
                    page.wait_for_selector("#experiments-table table")
                    shoot(page, "experiments")
                    # each experiment's own heading first: ".plot-svg" alone would also
                    # match the page before it, were it still shown
                    for name, exp_id, image in (
                        (branin, eid, "experiment"),
                        (pareto, mid, "experiment-pareto"),
                    ):
                        page.goto(f"{served.url}/#/experiments/{exp_id}")
                        page.locator("#experiment-name", has_text=name).wait_for()
                        page.wait_for_selector(".plot-svg")
                        shoot(page, image)
                    page.close()
                browser.close()
        finally:
            served.close()
    for error in errors:
        print("console error:", error, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

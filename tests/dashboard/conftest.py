"""One served instance and one headless Chromium shared by the dashboard's browser tests.

The server runs with dashboard actions on (halt, cancel); each test gets a
fresh browser context (no cookies) whose console errors and uncaught
exceptions are collected in ``tab.errors``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from tests.dashboard import site
from tests.dashboard.browser import launch
from tests.fixtures.servers import ServedInstance, serve_in_thread


@attrs.frozen
class Site:
    """The shared instance, its two people, and what Alice has."""

    served: ServedInstance
    alice: site.Person
    bob: site.Person
    alice_experiment: str
    alice_pareto: str
    bob_session: str

    @property
    def url(self) -> str:
        return self.served.url


@attrs.define
class Tab:
    """A page of a fresh browser context, with what went wrong in its console."""

    page: Any
    url: str
    errors: list[str] = attrs.field(factory=list)
    dialogs: list[str] = attrs.field(factory=list)

    def sign_in(self, person: site.Person) -> None:
        """Sign in with an email and a password, and wait for the campaigns page."""
        self.page.goto(self.url + "/")
        self.page.fill("#signin-email", person.email)
        self.page.fill("#signin-password", person.password)
        self.page.click("#signin-password-form button[type=submit]")
        self.page.wait_for_selector("#sessions-summary:not(:empty)")


@pytest.fixture(scope="session")
def dashboard_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A served instance (auth on, dashboard actions on) with two people and some data."""
    # every test signs in from 127.0.0.1, some of them twice or with a wrong password: the
    # default login limit (10 a minute per address) refused the later ones of a full run
    # (test_cookie_auth.py tests the limit itself)
    served = serve_in_thread(
        Path(tmp_path_factory.mktemp("dashboard")),
        dashboard_actions=True,
        login_attempts_per_minute=1000,
    )
    try:
        alice = site.make_person(served, "alice")
        bob = site.make_person(served, "bob")
        conn = site.connect(served, alice)
        experiment = site.branin_experiment(conn, "Branin <b>with</b> a solvent", rounds=12)
        pareto = site.two_metric_experiment(conn, "Yield against cost", rounds=8)
        bob_session = site.connect(served, bob).sessions.create(name="Bob's own campaign").id
        yield Site(served, alice, bob, experiment, pareto, str(bob_session))
    finally:
        served.close()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Chromium for the whole run."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()


def _open_tab(chromium: Any, dashboard_site: Site, **context_options: Any) -> Iterator[Tab]:
    context = chromium.new_context(accept_downloads=True, **context_options)
    page = context.new_page()
    page.set_default_timeout(20_000)
    tab = Tab(page=page, url=dashboard_site.url)
    page.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: tab.errors.append(f"uncaught: {e}"))

    def _dialog(dialog: Any) -> None:
        tab.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", _dialog)
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def tab(chromium: Any, dashboard_site: Site) -> Iterator[Tab]:
    """A fresh desktop-sized browser tab, signed in as nobody."""
    yield from _open_tab(chromium, dashboard_site, viewport={"width": 1280, "height": 900})


@pytest.fixture
def narrow_tab(chromium: Any, dashboard_site: Site) -> Iterator[Tab]:
    """A fresh phone-sized browser tab (390 x 844 CSS pixels)."""
    yield from _open_tab(
        chromium, dashboard_site, viewport={"width": 390, "height": 844}, is_mobile=True
    )

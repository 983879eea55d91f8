"""``sigopt-like dashboard --db PATH``: a local database in the browser, as a person runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

import sigopt_like
from sigopt_like.service import create_app
from tests.campaign.conftest import small_space
from tests.fixtures.api import ServiceApi
from tests.fixtures.servers import REPO_ROOT, announced_url


def _started(database: Path, log: Path, *options: str) -> tuple[subprocess.Popen, str]:
    """``sigopt-like dashboard --db DATABASE OPTIONS`` on a free port, answering: its URL."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"}
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "sigopt_like.cli", "dashboard", "--db", str(database),
             "--port", "0", *options],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    try:
        # the line a person follows; with --port 0 it said port 0 (printed before the bind)
        url = announced_url(process, log, r"open (http://127\.0\.0\.1:\d+)/ in your browser")
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if requests.get(f"{url}/health", timeout=1).ok:
                    break
            except requests.RequestException:  # refused, or a slow first answer
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
    except BaseException:
        process.terminate()
        process.wait(timeout=10)
        raise
    return process, url


@pytest.fixture
def local_dashboard(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``sigopt-like dashboard`` on a database that an embedded script filled first."""
    database = tmp_path / "lab.sqlite3"
    with sigopt_like.Connection(database=str(database)) as conn:
        conn.sessions.create(name="Bench screen <b>7</b>", description="on my laptop")
    log = tmp_path / "dashboard.log"
    process, url = _started(database, log)
    try:
        yield url, log
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_local_dashboard(local_dashboard: tuple[str, Path], chromium: Any) -> None:
    url, log = local_dashboard
    me = requests.get(f"{url}/auth/me", timeout=10).json()
    assert me["signed_in"] and not me["auth_required"] and not me["actions"]
    rebound = requests.get(f"{url}/v1/sessions", headers={"Host": "evil.example"}, timeout=10)
    assert rebound.status_code == 403 and rebound.json()["code"] == "host_not_allowed"
    browser_post = requests.post(
        f"{url}/v1/sessions",
        json={"name": "from a page"},
        headers={"Origin": url, "Sec-Fetch-Site": "same-origin", "X-CSRF-Token": me["csrf_token"]},
        timeout=10,
    )
    assert browser_post.status_code == 403 and browser_post.json()["code"] == "read_only"

    context = chromium.new_context()
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(url + "/")
        link = page.locator("#sessions-table a.name")
        link.wait_for()
        assert link.inner_text() == "Bench screen <b>7</b>"
        assert page.is_hidden("#sign-out") or page.locator("#sign-out").count() == 0
        assert "local database" in page.inner_text("#who")
        assert errors == []
    finally:
        context.close()
    assert f"serving on {url} (auth OFF)" in log.read_text()


def test_the_local_dashboard_is_read_only_for_scripts_too(
    local_dashboard: tuple[str, Path],
) -> None:
    """Before, "read-only" held for browsers only: a plain HTTP client (curl, requests, the
    project's own client) with no token created, renamed and deleted the local user's
    sessions and experiments. Now every change is a 403 read_only that says what to do,
    and the database is as before."""
    url, _ = local_dashboard
    before = requests.get(f"{url}/v1/sessions", timeout=10).json()["data"]
    sid = before[0]["id"]
    experiment = {
        "name": "e",
        "parameters": [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
    }
    for method, path, body in (
        ("POST", "/v1/sessions", {"name": "from a script"}),
        ("PUT", f"/v1/sessions/{sid}", {"name": "renamed"}),
        ("DELETE", f"/v1/sessions/{sid}", None),
        ("POST", f"/v1/sessions/{sid}/halt", {}),
        ("POST", "/v1/experiments", experiment),
    ):
        refused = requests.request(method, url + path, json=body, timeout=10)
        assert refused.status_code == 403, (method, path, refused.text)
        assert refused.json()["code"] == "read_only", refused.text
        message = refused.json()["message"]
        assert "This dashboard is read-only" in message
        assert "'sigopt-like dashboard --actions'" in message and "'sigopt-like serve'" in message
    assert requests.get(f"{url}/v1/sessions", timeout=10).json()["data"] == before
    assert requests.get(f"{url}/v1/experiments", timeout=10).json()["data"] == []


def test_with_actions_the_page_halts_and_cancels_and_nothing_else_passes(
    tmp_path: Path, chromium: Any
) -> None:
    """``--actions`` lets the page cancel a task and halt a campaign (a queued task that
    nobody runs: the dashboard runs none); any other change, and a script's halt without
    the page's CSRF token, is still refused."""
    database = tmp_path / "lab.sqlite3"
    with create_app(database=str(database), run_tasks=False) as service:
        api = ServiceApi(service)
        made = api.post("/v1/sessions", {"name": "To act on"})
        assert made.status == 201, made
        sid = made.body["id"]
        queued = api.put(
            f"/v1/sessions/{sid}/space",
            {"space": small_space(), "population_size": 12, "replicates": 1},
        )
        assert queued.status == 202, queued
        tid = queued.body["id"]
    log = tmp_path / "dashboard.log"
    process, url = _started(database, log, "--actions")
    try:
        assert requests.get(f"{url}/auth/me", timeout=10).json()["actions"] is True
        for method, path, body in (
            ("POST", "/v1/sessions", {"name": "from a script"}),
            ("PUT", f"/v1/sessions/{sid}", {"name": "renamed"}),
            ("DELETE", f"/v1/sessions/{sid}", None),
        ):
            refused = requests.request(method, url + path, json=body, timeout=10)
            assert refused.status_code == 403, (method, path, refused.text)
            assert refused.json()["code"] == "read_only", refused.text
            assert "only halts sessions and cancels tasks" in refused.json()["message"]
        no_token = requests.post(f"{url}/v1/sessions/{sid}/halt", json={}, timeout=10)
        assert no_token.status_code == 403 and no_token.json()["code"] == "csrf_failed"

        context = chromium.new_context()
        try:
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("dialog", lambda dialog: dialog.accept())
            page.goto(f"{url}/#/sessions/{sid}")
            cancel = page.locator(f'.task[data-task="{tid}"] button', has_text="Cancel")
            cancel.click()
            page.wait_for_selector(f'.task[data-task="{tid}"][data-status="canceled"]')
            page.click("#halt")
            page.wait_for_selector("#halt >> text=Click again to halt")
            page.click("#halt")
            page.wait_for_selector(".stats .badge-halted")
            assert errors == []
        finally:
            context.close()
        task = requests.get(f"{url}/v1/sessions/{sid}/tasks/{tid}", timeout=10).json()
        assert task["status"] == "canceled", task
        sessions = requests.get(f"{url}/v1/sessions", timeout=10).json()["data"]
        assert [(s["name"], s["status"]) for s in sessions] == [("To act on", "halted")]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_local_dashboard_does_not_send_people_to_start_a_worker(
    local_dashboard: tuple[str, Path],
) -> None:
    """Before: its start line ended "tasks run only by 'sigopt-like worker --db ...'", as
    if the scripts on the database needed one; they run their own tasks, and the dashboard
    queues none."""
    url, log = local_dashboard
    said = log.read_text()
    assert f"serving on {url} (auth OFF), database " in said, said
    assert "worker" not in said, said


def test_a_dashboard_on_every_network_warns_once_it_listens(tmp_path: Path) -> None:
    """The warning that anyone reaching the port reads every campaign is said once the
    server listens (before, it came first, also before "cannot listen on" an address
    this machine does not have: a warning of something never served)."""
    database = tmp_path / "lab.sqlite3"
    with sigopt_like.Connection(database=str(database)) as conn:
        conn.sessions.create(name="open")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"}
    log = tmp_path / "dashboard.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "sigopt_like.cli", "dashboard", "--db", str(database),
             "--host", "0.0.0.0", "--port", "0"],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    try:
        announced_url(process, log, r"serving on (http://\S+)")
        said = log.read_text()
        assert "warning: serving 0.0.0.0 without accounts" in said, said
        assert said.index("open http://") > said.index("warning"), said
    finally:
        process.terminate()
        process.wait(timeout=10)

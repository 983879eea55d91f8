"""The served views judge a lease by the clock it is written by: the database's.

A task's heartbeat and a runner's beat are written by the database's clock (PostgreSQL's,
for hosts whose clocks disagree); the task view, its listing, its long poll and ``/ready``
judge them by it too. Real parts: a SQLite file or a real PostgreSQL, the service in
process, task runners whose host's clock is skewed (their ``clock``), and a web host's
clock skewed by replacing the ``time`` the task routes read. The lease is shortened
(``LEASE_SECONDS``) so that a lapse takes seconds.
"""

from __future__ import annotations

import time
import types
from collections.abc import Callable, Iterator

import pytest

from sigopt_like.service import create_app, worker
from sigopt_like.service.resources import tasks as task_resources
from sigopt_like.service.worker import TaskRunner

from .conftest import Api

LEASE = 3
SKEW = 60.0


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "clock.db")
    return str(request.getfixturevalue("pg_url"))


def _web_host_clock(monkeypatch: pytest.MonkeyPatch, skew: float) -> None:
    """The task routes' host's clock ``skew`` seconds off the database's."""
    fake = types.SimpleNamespace(
        time=lambda: time.time() + skew, monotonic=time.monotonic, sleep=time.sleep
    )
    monkeypatch.setattr(task_resources, "time", fake)


def _views(api: Api, sid: str, task_id: int, version: int) -> Iterator[tuple[str, dict]]:
    """The task as each view serves it: the item, the listing, a long poll."""
    url = f"/v1/sessions/{sid}/tasks/{task_id}"
    yield "item", api.get(url).body
    [listed] = [
        t for t in api.get(f"/v1/sessions/{sid}/tasks").body["data"] if t["id"] == str(task_id)
    ]
    yield "listing", listed
    yield "long poll", api.get(url, wait=1, version=version).body


@pytest.mark.parametrize("skew", [SKEW, -SKEW])
def test_the_task_views_judge_a_lease_by_the_database_s_clock(
    database: str, skew: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The web host's clock a minute ahead: a live worker's task is not said to be gone
    (before: "its lease lapsed ... takes the task over", false, and a long poll given
    the version answered at once); a minute behind: a worker that stopped beating is said
    gone once its lease lapses (before: never, for a minute)."""
    monkeypatch.setattr(worker, "LEASE_SECONDS", LEASE)
    with create_app(database=database, run_tasks=False) as service:
        api = Api(service)
        sid = api.session()
        task_id = int(api.queue_space(sid)["id"])
        live = TaskRunner(service.context.store, service.settings, threads=0)
        assert live.claim() == task_id
        live.heartbeat()
        _web_host_clock(monkeypatch, skew)
        version = int(api.get(f"/v1/sessions/{sid}/tasks/{task_id}").body["version"])
        for view, task in _views(api, sid, task_id, version):
            assert task["status"] == "running" and task["warnings"] == [], (view, task)
        time.sleep(LEASE + 1.5)  # it stops beating: its lease lapses
        for view, task in _views(api, sid, task_id, version):
            assert task["status"] == "running", (view, task)
            [gone] = task["warnings"]
            assert "lease lapsed" in gone or "is gone" in gone, (view, gone)


@pytest.mark.parametrize("skew", [-SKEW, SKEW])
def test_ready_judges_a_runner_s_beat_by_the_database_s_clock(
    database: str, skew: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker on a host a minute behind (or ahead) beats: /ready says a worker is
    seen (before, behind: "degraded", no task worker for 60 s), and once it stops
    beating, that none is (before, ahead: "seen" for a minute more)."""
    monkeypatch.setattr(worker, "LEASE_SECONDS", LEASE)
    with create_app(database=database, run_tasks=False) as service:
        api = Api(service)
        clock: Callable[[], float] = lambda: time.time() + skew  # noqa: E731
        TaskRunner(service.context.store, service.settings, threads=0, clock=clock).heartbeat()
        ready = api.get("/ready")
        assert ready.status == 200 and ready.body["task_workers"] == "seen", ready.body
        assert ready.body["status"] == "ok", ready.body
        time.sleep(LEASE + 1.5)
        ready = api.get("/ready")
        assert ready.status == 200 and ready.body["task_workers"] == "none", ready.body
        [warning] = ready.body["warnings"]
        assert "no task worker has run on this database for" in warning["message"], warning

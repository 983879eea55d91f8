"""The served views judge a lease by the clock it is written by: the database's.

A task's heartbeat and a runner's beat are written by the database's clock (PostgreSQL's,
for hosts whose clocks disagree); the task view, its listing, its long poll, its event
stream and ``/ready`` judge them by it too. Real parts: a SQLite file or a real
PostgreSQL, the service in process, task runners whose host's clock is skewed (their
``clock``), and a web host's clock skewed by replacing the ``time`` the task routes read.
The lease is shortened (``LEASE_SECONDS``) so that a lapse takes seconds.
"""

from __future__ import annotations

import inspect
import json
import time
import types
from collections.abc import Callable, Iterator

import falcon.testing
import pytest

from sigopt_like.service import Service, create_app, worker
from sigopt_like.service.resources import tasks as task_resources
from sigopt_like.service.worker import TaskRunner

from .conftest import Api

LEASE = 3
SKEW = 60.0


@pytest.fixture
def database(either_database: str) -> str:
    return either_database


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


def _a_live_workers_task(service: Service) -> tuple[Api, str, int, TaskRunner]:
    """A session's space task, claimed by a runner of no threads that has just beaten:
    the API, the session's id, the task's id and the runner."""
    api = Api(service)
    sid = api.session()
    task_id = int(api.queue_space(sid)["id"])
    live = TaskRunner(service.context.store, service.settings, threads=0)
    assert live.claim() == task_id
    live.heartbeat()
    return api, sid, task_id, live


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
        api, sid, task_id, _live = _a_live_workers_task(service)
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


def test_a_task_is_rendered_only_with_a_clock_given() -> None:
    """``render_task`` has no clock of its own: before, ``now`` left out was this host's
    clock (the database's on SQLite only), so a call that forgot it judged leases by the
    wrong clock on PostgreSQL and passed every SQLite test; now it is a TypeError (and
    mypy's error) to forget it."""
    now = inspect.signature(task_resources.render_task).parameters["now"]
    assert now.default is inspect.Parameter.empty and now.kind is now.KEYWORD_ONLY


def _stream(service: Service, sid: str, task_id: int) -> Iterator[dict]:
    """The task's event stream as the WSGI app sends it, one task JSON per event."""
    path = f"/v1/sessions/{sid}/tasks/{task_id}/events"
    body = service.app(falcon.testing.create_environ(path=path), lambda *_: None)
    try:
        for chunk in body:
            for event in chunk.decode().split("\n\n"):
                data = [line[5:] for line in event.split("\n") if line.startswith("data:")]
                if data or event.startswith(":"):
                    yield json.loads(data[0]) if data else {}  # {}: a keep-alive
    finally:
        getattr(body, "close", lambda: None)()


@pytest.mark.parametrize("skew", [SKEW, -SKEW])
def test_the_event_stream_judges_a_lease_by_the_database_s_clock(
    database: str, skew: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The event stream's host's clock a minute ahead: its first event of a live worker's
    task has no warning (before: "lease lapsed", false); either way, once the worker stops
    beating, an event with the warning comes within seconds of the lapse (before, a
    minute behind: a minute late)."""
    monkeypatch.setattr(worker, "LEASE_SECONDS", LEASE)
    monkeypatch.setattr(task_resources, "HEARTBEAT_SECONDS", 0.5)  # a keep-alive: a look
    with create_app(database=database, run_tasks=False) as service:
        _api, sid, task_id, _live = _a_live_workers_task(service)
        _web_host_clock(monkeypatch, skew)
        events = _stream(service, sid, task_id)
        first = next(events)
        assert first["status"] == "running" and first["warnings"] == [], first
        # it stops beating: its lease lapses LEASE s after its last beat, and the event
        # comes at the stream's next look (HEARTBEAT_SECONDS): about 3 s. LEASE + 5 left a
        # busy machine (a shared CI runner, PostgreSQL's commits) less than 3x that; a skew
        # of a minute is what this test catches, so 30 s is room, not a blind spot. The
        # loop ends at the event: a pass takes no longer.
        deadline = time.monotonic() + 10 * LEASE
        for task in events:
            if task:
                assert task["status"] == "running", task
                [gone] = task["warnings"]
                assert "lease lapsed" in gone or "is gone" in gone, gone
                break
            assert time.monotonic() < deadline, "no event told of the lapsed lease"
        events.close()

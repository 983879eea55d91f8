"""``/ready`` tells whether anything runs the tasks: a service that runs none itself
(``serve --no-tasks``, the WSGI factory) said "ok" with no worker anywhere, and every
task queued there waited for ever."""

from __future__ import annotations

import math
import os
import re
import signal
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from sigopt_like.service import create_app
from sigopt_like.service.store import open_store
from sigopt_like.service.store.schema import meta
from sigopt_like.service.store.tasks import RUNNER_SEEN_KEY
from sigopt_like.service.worker import HEARTBEAT_SECONDS, LEASE_SECONDS, TaskRunner
from tests.fixtures.servers import (
    ServedInstance,
    announced_url,
    serve_in_thread,
    start_command,
)


def _ready(url: str) -> tuple[int, dict[str, Any]]:
    answer = requests.get(f"{url}/ready", timeout=30)
    return answer.status_code, answer.json()


def _stop(proc: Any) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def _age_runner_seen(database: str, when: int) -> None:
    """What a stopped worker leaves once ``now - when`` seconds have passed (a runner only
    moves the row forward, so the test writes it as the passing time would leave it)."""
    engine = sa.create_engine(database if "://" in database else f"sqlite:///{database}")
    try:
        with engine.begin() as conn:
            conn.execute(meta.update().where(meta.c.key == RUNNER_SEEN_KEY).values(value=str(when)))
    finally:
        engine.dispose()


def test_a_scaled_out_pair_is_degraded_without_its_worker_and_ok_with_it(
    pg_url: str, tmp_path: Path
) -> None:
    """The scale-out steps of docs/service.md on a real PostgreSQL: ``serve --no-tasks``
    alone is degraded (still a 200, see readiness.py); with a worker started, ok within a
    moment and ok at every probe across a lease and more of heartbeats (no flapping);
    with the worker gone past its lease, degraded again."""
    serve = ("serve", "--no-auth", "--no-tasks", "--port", "0")
    app, app_log = start_command(tmp_path, "app", pg_url, *serve)
    worker = None
    try:
        url = announced_url(app, app_log, r"serving on (http://\S+)")
        status, body = _ready(url)
        assert status == 200 and body["status"] == "degraded", body
        assert body["task_workers"] == "none" and "task_worker_seen" not in body, body
        (warning,) = body["warnings"]
        assert warning["check"] == "task_workers"
        assert "no task worker has ever run on this database" in warning["message"]
        assert "sigopt-like worker" in warning["message"]

        worker, worker_log = start_command(tmp_path, "worker", pg_url, "worker", "--threads", "1")
        deadline = time.monotonic() + 60
        while _ready(url)[1]["status"] != "ok":
            assert worker.poll() is None, worker_log.read_text()
            assert time.monotonic() < deadline, worker_log.read_text()
            time.sleep(0.2)
        seen = []
        until = time.monotonic() + LEASE_SECONDS + HEARTBEAT_SECONDS
        while time.monotonic() < until:  # a lease and a beat: every probe ok
            status, body = _ready(url)
            assert status == 200 and body["status"] == "ok", body
            assert body["task_workers"] == "seen" and "warnings" not in body, body
            seen.append(body["task_worker_seen"])
            time.sleep(1)
        assert len(set(seen)) >= 3, seen  # renewed by the heartbeats, not only at start

        _stop(worker)
        _age_runner_seen(pg_url, int(time.time()) - LEASE_SECONDS - 10)
        status, body = _ready(url)
        assert status == 200 and body["status"] == "degraded", body
        assert "no task worker has run on this database for 3" in str(body["warnings"])
    finally:
        if worker is not None:
            _stop(worker)
        _stop(app)
    said = app_log.read_text()
    assert said.count("readiness: no task worker has") == 2, said  # once each time
    assert said.count("readiness: a task worker runs on the database again") == 1, said


def test_services_that_run_their_own_tasks_are_ready_with_no_worker_running(
    tmp_path: Path,
) -> None:
    """Embedded and single-server modes: their worker process starts when a task is
    queued (none runs while idle), or their threads run the tasks; both are ready."""
    for settings in ({}, {"task_processes": 0}, {"task_processes": 1}):
        served = serve_in_thread(tmp_path, **settings)
        try:
            if served.service.task_processes is not None:
                assert served.service.task_processes.pids == []  # idle: no worker process
            status, body = _ready(served.url)
            assert status == 200, body
            assert body["status"] == "ok" and body["task_workers"] == "in_process", body
            assert "warnings" not in body and "task_worker_seen" not in body, body
        finally:
            served.close()


def test_the_wsgi_apps_readiness_follows_a_task_runner_on_its_database(tmp_path: Path) -> None:
    """What gunicorn serves (``run_tasks=False``) on SQLite, with a runner on the file."""
    database = str(tmp_path / "shared.db")
    served = ServedInstance(create_app(database=database, run_tasks=False), database)
    runner = None
    try:
        assert _ready(served.url)[1]["status"] == "degraded"
        store = open_store(database)
        runner = TaskRunner(store, served.service.settings, threads=1).start()
        status, body = _ready(served.url)  # a runner says it runs as it starts
        assert status == 200 and body["status"] == "ok", body
        assert body["task_workers"] == "seen", body
        assert abs(body["task_worker_seen"] - time.time()) < 30, body
    finally:
        if runner is not None:
            runner.shutdown()
            runner.store.close()
        served.close()


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_the_runner_seen_row_keeps_the_latest_time_said(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A runner's beat that waited for the write lock while another runner said a later
    time must not move the row back: an app would call a running worker gone (or, near
    the lease's end, flap between ok and degraded)."""
    database = (
        request.getfixturevalue("pg_url") if engine == "postgresql" else str(tmp_path / "s.db")
    )
    store = open_store(database)
    try:
        now = int(time.time())
        store.tasks.runner_seen(now)
        store.tasks.runner_seen(now - LEASE_SECONDS - 10)  # the late write of an earlier beat
        assert store.tasks.runner_last_seen() == now
        store.tasks.runner_seen(now + 3)
        assert store.tasks.runner_last_seen() == now + 3
        store.tasks.runner_seen(now + 3)
        assert store.tasks.runner_last_seen() == now + 3
        # across a change in the number of digits, both ways
        store.tasks.runner_seen(99_999_999_999)
        store.tasks.runner_seen(now)
        assert store.tasks.runner_last_seen() == 99_999_999_999
        store.tasks.runner_seen(100_000_000_000)
        assert store.tasks.runner_last_seen() == 100_000_000_000
    finally:
        store.close()


def _worker_seen_age(url: str) -> float | None:
    """``sigopt_like_task_worker_seen_age_seconds`` in the service's /metrics, or None."""
    text = requests.get(f"{url}/metrics", timeout=30).text
    found = re.findall(r"^sigopt_like_task_worker_seen_age_seconds (\S+)$", text, re.M)
    assert len(found) <= 1, text
    return float(found[0]) if found else None


def test_metrics_say_how_long_ago_a_task_worker_was_seen(tmp_path: Path) -> None:
    """What an operator alerts on (``/ready`` says "degraded" in a body a probe must
    match): on a service that runs no tasks, the seconds since a task worker last said it
    runs, +Inf when none ever did; no such series where the service runs its own."""
    database = str(tmp_path / "shared.db")
    served = ServedInstance(create_app(database=database, run_tasks=False), database)
    runner = None
    try:
        assert _worker_seen_age(served.url) == math.inf
        runner = TaskRunner(open_store(database), served.service.settings, threads=1).start()
        age = _worker_seen_age(served.url)
        assert age is not None and 0 <= age <= HEARTBEAT_SECONDS + 1, age
        runner.shutdown()
        runner.store.close()
        runner = None
        _age_runner_seen(database, int(time.time()) - LEASE_SECONDS - 25)
        age = _worker_seen_age(served.url)
        assert age is not None and LEASE_SECONDS + 25 <= age < LEASE_SECONDS + 60, age
        assert _ready(served.url)[1]["status"] == "degraded"
    finally:
        if runner is not None:
            runner.shutdown()
            runner.store.close()
        served.close()
    own = serve_in_thread(tmp_path)
    try:
        assert _worker_seen_age(own.url) is None
        assert "sigopt_like_http_requests_total" in requests.get(f"{own.url}/metrics").text
    finally:
        own.close()

"""Scaled-out mode on PostgreSQL: app processes queue, runners claim with SKIP LOCKED.

The server is ``tests/fixtures/postgres.py``'s (skipped without PostgreSQL, except
under CI, where a skip fails).
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa

import sigopt_like
from sigopt_like.service import create_app
from sigopt_like.service.task_kinds import default_handlers
from sigopt_like.service.worker import TaskRunner
from tests.fixtures.postgres import administrator
from tests.fixtures.servers import ServedInstance

from .conftest import Api, check_standalone_worker, small_space


def test_two_runners_claim_each_task_once(pg_url: str):
    with create_app(database=pg_url, run_tasks=False) as service:
        api = Api(service)
        sessions = [api.session() for _ in range(6)]
        tasks = [api.queue_space(sid) for sid in sessions]
        assert all(t["status"] == "new" for t in tasks)
        ran: list[str] = []
        lock = threading.Lock()

        def counted(task_type: str, status: str, seconds: float) -> None:
            with lock:
                ran.append(status)

        runners = [
            TaskRunner(
                service.context.store,
                service.settings,
                threads=0,
                recover_new=False,
                on_finish=counted,
            )
            for _ in range(2)
        ]

        def drain(runner: TaskRunner) -> None:
            while runner.run_one():
                pass

        threads = [threading.Thread(target=drain, args=(r,)) for r in runners]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert ran == ["success"] * 6
        for sid, task in zip(sessions, tasks, strict=True):
            done = api.get(f"/v1/sessions/{sid}/tasks/{task['id']}").body
            assert done["status"] == "success", done
            assert api.get(f"/v1/sessions/{sid}").body["gen"] == 0


def test_a_campaign_on_postgres(pg_url: str):
    with create_app(database=pg_url) as service:
        api = Api(service)
        sid = api.session()
        task = api.run(
            "POST",
            f"/v1/sessions/{sid}/simulate",
            {"ngens": 2, "space": small_space(), "population_size": 12, "replicates": 1},
        )
        assert task["status"] == "success", task
        assert api.run("POST", f"/v1/sessions/{sid}/analytics")["status"] == "success"
        listing = api.get(f"/v1/sessions/{sid}/analytics").body
        assert all(f["size"] > 0 for f in listing["files"])
        assert api.get(f"/v1/sessions/{sid}/best").status == 200


def test_standalone_worker_on_postgres(pg_url: str):
    check_standalone_worker(pg_url)


def _connections(url: str, allowed: bool) -> None:
    """Let the database take connections or not; when not, drop the ones it has (what a
    restart does, for as long as it lasts)."""
    name = url.split("?", 1)[0].rsplit("/", 1)[1]
    base, _, query = url.partition("?")
    server = base.rsplit("/", 1)[0] + "/postgres" + (f"?{query}" if query else "")
    with administrator(server) as admin_says:
        admin_says(f"ALTER DATABASE {name} ALLOW_CONNECTIONS {str(allowed).lower()}")
        if not allowed:
            admin_says(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
            )


def test_a_task_whose_database_went_away_runs_again_when_it_is_back(pg_url: str):
    """Before: a task whose run met a database outage (PostgreSQL restarting) could not
    record its end and stayed ``running`` for good, its lease renewed by its live runner
    (found restarting PostgreSQL under the docs' scale-out workers). Now its runner puts
    it back in the queue once the database answers, and it runs again."""
    handlers = default_handlers()
    space = handlers["space"]
    runs: list[int] = []

    def cut_off(context: Any) -> Any:
        runs.append(1)
        outcome = space(context)
        if len(runs) == 1:  # the database goes away before the result is stored
            _connections(pg_url, allowed=False)
            threading.Timer(2.0, _connections, args=(pg_url, True)).start()
        return outcome

    with create_app(database=pg_url, run_tasks=False) as service:
        api = Api(service)
        sid = api.session()
        task = api.queue_space(sid)
        runner = TaskRunner(
            service.context.store,
            service.settings,
            handlers={**handlers, "space": cut_off},
            threads=1,
        ).start()
        try:
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline:  # before: running, for good
                time.sleep(0.5)
                with contextlib.suppress(Exception):  # the database is away for 2 s
                    row = service.context.store.tasks.find(int(task["id"]))
                    if row is not None and row.status == "success":
                        break
        finally:
            runner.shutdown()
        done = api.get(f"/v1/sessions/{sid}/tasks/{task['id']}").body
        assert done["status"] == "success", done
        assert len(runs) == 2 and done["attempts"] == 2


def test_a_wait_on_a_task_no_worker_takes_says_to_start_one(pg_url: str):
    """Before: a script against 'serve --no-tasks' with no 'sigopt-like worker' running
    timed out with "it is still new (it was not canceled)", and nothing said why."""
    served = ServedInstance(
        create_app(database=pg_url, run_tasks=False, auth_required=True), pg_url
    )
    try:
        with sigopt_like.Connection(served.url, served.token) as conn:
            session = conn.sessions.create(name="no-worker")
            with pytest.raises(sigopt_like.TaskTimeoutError) as info:
                conn.sessions(session.id).space.put(
                    space=small_space(), population_size=4, replicates=1, wait=True, timeout=1.0
                )
    finally:
        served.close()
    assert info.value.task.status == "new"
    assert "no worker has started it" in str(info.value)
    assert "'sigopt-like worker'" in str(info.value)


def test_a_task_that_meets_a_busy_database_runs_again(pg_url: str):
    """Before: a task whose progress line (or any write) found the database busy (a lock
    held past ``lock_timeout`` here; on SQLite, writers of other processes holding the file
    past its busy timeout, as 32 embedded clients on one file did) failed "the task failed
    unexpectedly: Busy: The database is busy with other changes; retry in a moment". Now
    it goes back to the queue and runs again."""
    base, _, query = pg_url.partition("?")
    name = base.rsplit("/", 1)[1]
    server = base.rsplit("/", 1)[0] + "/postgres" + (f"?{query}" if query else "")
    with administrator(server) as admin_says:
        admin_says(f"ALTER DATABASE {name} SET lock_timeout = '300ms'")
    handlers = default_handlers()
    space = handlers["space"]
    runs: list[int] = []
    other = sa.create_engine(pg_url)

    def locked_out(context: Any) -> Any:
        runs.append(1)
        if len(runs) == 1:  # another transaction holds the task's row meanwhile
            with other.begin() as conn:
                conn.execute(
                    sa.text("SELECT id FROM tasks WHERE id = :id FOR UPDATE"),
                    {"id": context.task_id},
                )
                context.progress("checking", 0.1)
        return space(context)

    try:
        with create_app(database=pg_url, run_tasks=False) as service:
            api = Api(service)
            sid = api.session()
            task = api.queue_space(sid)
            runner = TaskRunner(
                service.context.store,
                service.settings,
                handlers={**handlers, "space": locked_out},
                threads=0,
            )
            assert runner.run_one()
            first = api.get(f"/v1/sessions/{sid}/tasks/{task['id']}").body
            assert first["status"] == "new", first  # before: failed, "unexpectedly: Busy"
            assert runner.run_one()
            done = api.get(f"/v1/sessions/{sid}/tasks/{task['id']}").body
    finally:
        other.dispose()
    assert done["status"] == "success", done
    assert len(runs) == 2 and done["attempts"] == 2

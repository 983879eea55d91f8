"""Scaled-out mode on PostgreSQL: app processes queue, runners claim with SKIP LOCKED.

The server is ``tests/fixtures/postgres.py``'s (skipped without PostgreSQL, except
under CI, where a skip fails).
"""

from __future__ import annotations

import threading

from sigopt_like.service import create_app
from sigopt_like.service.worker import TaskRunner

from .conftest import Api, check_standalone_worker, small_space


def test_two_runners_claim_each_task_once(pg_url: str):
    with create_app(database=pg_url, run_tasks=False) as service:
        api = Api(service)
        sessions = [api.session() for _ in range(6)]
        tasks = [
            api.put(
                f"/v1/sessions/{sid}/space",
                {"space": small_space(), "population_size": 12, "replicates": 1},
            ).body
            for sid in sessions
        ]
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

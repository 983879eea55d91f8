"""``sigopt-like serve --task-time-limit SECONDS --task-max-attempts N``: the limits of the
tasks a served process runs, in its own threads (``--task-processes 0``) or in the worker
processes it starts (the default), as ``sigopt-like worker`` takes them. Before, serve
had neither option: a team serving with its own task runner had the defaults (3600 s, 3
runs) whatever it needed.

Real parts: ``sigopt-like serve`` in a subprocess on 127.0.0.1, called over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sigopt_like.data import load_templates
from sigopt_like.service.store import schema
from tests.campaign.conftest import Api
from tests.fixtures.servers import ServedProcess

#: where the served process runs its tasks: its threads, or the worker processes it starts
WHERE = pytest.mark.parametrize(
    "where", [["--task-processes", "0"], []], ids=["threads", "worker-processes"]
)


def _long_simulation(api: Api) -> tuple[str, str]:
    """A session and its simulate task, queued: 100 generations of 60 experiments on a
    1,200-point space, several seconds of work (40 generations, all the space has room
    for: 6 s on two loaded cores); ``(session id, task id)``."""
    template = next(t for t in load_templates() if t["name"] == "formulation-screen")
    sid = api.session()
    body = {
        "ngens": 100,
        "space": template["space"],
        "population_size": template["population_size"],
        "replicates": template["replicates"],
    }
    r = api.post(f"/v1/sessions/{sid}/simulate", body)
    assert r.status == 202, r
    return sid, r.body["id"]


def _worker_pid(database: Path, task_id: str) -> int | None:
    """The process id in the task's ``worker`` (None while no worker holds it)."""
    engine = sa.create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            worker = conn.execute(
                sa.select(schema.tasks.c.worker).where(schema.tasks.c.id == int(task_id))
            ).scalar_one()
    finally:
        engine.dispose()
    return int(worker.split(":")[1]) if worker else None


def _under_way(api: Api, sid: str, tid: str, timeout: float = 60) -> dict[str, Any]:
    """The task once it has finished a step of its run (its first generation)."""
    deadline = time.monotonic() + timeout
    while True:
        task = api.get(f"/v1/sessions/{sid}/tasks/{tid}").body
        assert task["status"] in ("new", "running"), task  # not ended before it is cut off
        if task["status"] == "running" and task["progress"]["fraction"] > 0:
            return task
        assert time.monotonic() < deadline, task
        time.sleep(0.05)


@WHERE
def test_serve_fails_a_task_past_its_time_limit(tmp_path: Path, where: list[str]) -> None:
    """A task that outlives ``--task-time-limit 1`` fails as a worker's does, saying the
    limit, and keeps nothing; run by the served process's threads or by its workers."""
    database = tmp_path / "limit.db"
    served = ServedProcess(database, "--task-time-limit", "1", *where)
    try:
        api = Api(None, served.url, served.token)
        sid, tid = _long_simulation(api)
        began = time.monotonic()
        task = api.wait(sid, tid, timeout=60)
        took = time.monotonic() - began
        assert task["status"] == "failed", (task, served.output())
        assert [e["message"] for e in task["errors"]] == [
            "the task ran longer than the limit of 1 s"
        ], task
        assert took < 30, took  # cut off, not run to its end
        assert api.get(f"/v1/sessions/{sid}/history").body["generations"] == [], sid
        pid = _worker_pid(database, tid)
        assert pid is not None and (pid == served.process.pid) == (where != []), where
    finally:
        served.stop()


def test_serve_gives_a_task_the_runs_of_its_max_attempts_in_its_threads(tmp_path: Path) -> None:
    """``--task-max-attempts 1``: the task whose process was killed mid-run is not run again
    once serve is back on its database (with the default 3 it was run again, and ended
    well), it fails saying so."""
    database = tmp_path / "attempts.db"
    served = ServedProcess(database, "--task-processes", "0", "--task-max-attempts", "1")
    try:
        api = Api(None, served.url, served.token)
        sid, tid = _long_simulation(api)
        _under_way(api, sid, tid)
        served.restart()  # SIGKILL mid-run, then serve again with the same options
        task = api.wait(sid, tid, timeout=60)
        assert task["status"] == "failed", (task, served.output())
        assert "interrupted 1 times" in task["errors"][0]["message"], task
        assert api.get(f"/v1/sessions/{sid}/history").body["generations"] == [], sid
    finally:
        served.stop()


def test_serve_gives_a_task_the_runs_of_its_max_attempts_in_its_workers(tmp_path: Path) -> None:
    """As above, with the task run by a worker process the served process started, the
    worker killed mid-run: the next worker it starts gives the task up."""
    database = tmp_path / "attempts.db"
    served = ServedProcess(database, "--task-max-attempts", "1")
    try:
        api = Api(None, served.url, served.token)
        sid, tid = _long_simulation(api)
        _under_way(api, sid, tid)
        pid = _worker_pid(database, tid)
        assert pid is not None and pid != served.process.pid
        os.kill(pid, signal.SIGKILL)
        task = api.wait(sid, tid, timeout=60)
        assert task["status"] == "failed", (task, served.output())
        assert "interrupted 1 times" in task["errors"][0]["message"], task
        assert served.process.poll() is None  # the service served on
    finally:
        served.stop()


@pytest.mark.parametrize(
    ("flag", "value", "advice"),
    [
        (
            "--task-max-attempts",
            "2",
            "; give it to the workers that run them ('sigopt-like worker --task-max-attempts 2')",
        ),
        # before, these two were taken and ignored (only --task-processes from 1 was refused)
        (
            "--task-threads",
            "4",
            "; give it to the workers that run them ('sigopt-like worker --threads 4')",
        ),
        ("--task-processes", "0", ""),
        ("--task-processes", "2", ""),
    ],
)
def test_serve_refuses_a_task_option_where_it_runs_no_task(
    run: Any, tmp_path: Path, flag: str, value: str, advice: str
) -> None:
    """``--no-tasks``: no task runs here, so an option of the task runner would be taken
    and ignored; a usage error names the workers' option where there is one, and no
    database is made. (On a port already taken: a serve that took the option stops
    there, exit 1, rather than serving for ever.)"""
    database = tmp_path / "none.db"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        done = run("serve", "--port", port, "--db", str(database), "--no-tasks", flag, value)
    assert done.code == 2 and done.out == "", done
    said = f"--no-tasks runs no tasks here: it cannot go with {flag}{advice}"
    assert f"Error: {said}\n" in done.err, done
    assert not database.exists()


def test_serve_without_tasks_takes_the_workers_time_limit(run: Any, tmp_path: Path) -> None:
    """``--no-tasks --task-time-limit``: a process that runs no task still bounds a task's
    event stream by it (the limit + 60 s), as ``application(run_tasks=False,
    task_time_limit_seconds=...)`` does, so it is given the workers' limit; it was
    refused as if taken and ignored. (On a port already taken: the option taken, serve
    stops at the port, exit 1, not 2.)"""
    database = tmp_path / "app.db"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        done = run(
            "serve", "--port", port, "--db", database, "--no-tasks", "--task-time-limit", "7200"
        )
    assert done.code == 1 and "--task-time-limit" not in done.err, done
    assert f"port {port} on 127.0.0.1 is already in use" in done.err, done


@pytest.mark.parametrize(
    ("flag", "value", "said"),
    [
        ("--task-max-attempts", "0", "0 is not 1 to 1000 runs"),
        ("--task-max-attempts", "1001", "1001 is not 1 to 1000 runs"),
        ("--task-time-limit", "nan", "'nan' is not a number of seconds from 0 to"),
        ("--task-time-limit", "-1", "'-1' is not a number of seconds from 0 to"),
    ],
)
def test_serve_refuses_a_task_limit_out_of_range_as_the_worker_does(
    run: Any, tmp_path: Path, flag: str, value: str, said: str
) -> None:
    """In the worker's own words (one option, read by the worker module's parser)."""
    database = tmp_path / "none.db"
    for command in (["serve", "--port", "0"], ["worker"]):
        done = run(*command, "--db", str(database), flag, value)
        assert done.code == 2 and done.out == "", done
        assert f"Invalid value for '{flag}': {said}" in done.err, done
    assert not database.exists()

"""Tasks in worker processes the service starts (``task_processes``): the optimizer's
memory and CPU stay out of the process serving requests or running the script."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sigopt_like.service import create_app
from sigopt_like.service.store import schema
from sigopt_like.service.worker import pid_alive, time_limit_passed

from .conftest import FINISHED, Api, small_space, space_json

REPO = Path(__file__).resolve().parents[2]


def _worker_pid(service, task_id: str) -> int:
    with service.context.store.database.engine.connect() as conn:
        worker = conn.execute(
            sa.select(schema.tasks.c.worker).where(schema.tasks.c.id == int(task_id))
        ).scalar_one()
    return int(worker.split(":")[1])


def _worker_pid_or_none(service, task_id: str) -> int | None:
    """The process id of the worker running the task; None while none does."""
    with service.context.store.database.engine.connect() as conn:
        worker = conn.execute(
            sa.select(schema.tasks.c.worker).where(schema.tasks.c.id == int(task_id))
        ).scalar_one()
    return int(worker.split(":")[1]) if worker else None


def _gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_tasks_run_in_a_worker_process_that_stops_with_the_service(tmp_path: Path) -> None:
    with create_app(database=str(tmp_path / "p.db"), task_processes=1) as service:
        assert service.task_processes is not None and service.task_processes.pids == []
        api = Api(service)
        sid = api.session()
        space = api.put_space(sid, small_space(), 12, 1)
        assert space["status"] == "success", space
        generated = api.generate(sid)
        assert generated["status"] == "success", generated
        pid = _worker_pid(service, generated["id"])
        assert pid != os.getpid() and service.task_processes.pids == [pid]
        assert _worker_pid(service, space["id"]) == pid  # the same worker ran both
    assert _gone(pid, 20)


def test_a_worker_process_runs_tasks_with_the_services_task_settings(tmp_path: Path) -> None:
    """Before: the workers a service started ran each task with the defaults (a limit of
    3600 s, 3 runs), whatever ``task_time_limit_seconds`` or ``task_max_attempts`` the
    service was given: taken and ignored, where threads of the service honoured them."""
    settings = {"task_processes": 1, "task_time_limit_seconds": 1e-6, "task_max_attempts": 7}
    with create_app(database=str(tmp_path / "limit.db"), **settings) as service:
        api = Api(service)
        sid = api.session()
        space = api.put_space(sid, small_space(), 12, 1)
        assert _worker_pid(service, space["id"]) != os.getpid()  # a worker process ran it
        assert space["status"] == "failed", space
        assert [e["message"] for e in space["errors"]] == [
            "the task ran longer than the limit of 1e-06 s"
        ], space
        assert service.task_processes is not None
        command = service.task_processes._command
        assert command[command.index("--task-max-attempts") + 1] == "7", command


def test_a_time_limit_is_said_in_the_seconds_it_was_given() -> None:
    """Before: the default limit (3600.0, a float setting) failed a task with "the task ran
    longer than the limit of 3600.0 s"; a whole limit is said whole, another as given."""
    assert time_limit_passed(3600.0) == "the task ran longer than the limit of 3600 s"
    assert time_limit_passed(3600) == "the task ran longer than the limit of 3600 s"
    assert time_limit_passed(3_155_760_000.0).endswith(" of 3155760000 s")
    assert time_limit_passed(0.5).endswith(" of 0.5 s")
    assert time_limit_passed(1e-6).endswith(" of 1e-06 s")


def test_an_idle_worker_process_stops_and_comes_back(tmp_path: Path) -> None:
    settings = {"task_processes": 1, "task_process_idle_seconds": 0.5}
    with create_app(database=str(tmp_path / "idle.db"), **settings) as service:
        api = Api(service)
        sid = api.session()
        first = api.put_space(sid, small_space(), 12, 1)
        pid = _worker_pid(service, first["id"])
        deadline = time.monotonic() + 20
        while service.task_processes.pids:  # idle: it stops by itself
            assert time.monotonic() < deadline
            time.sleep(0.1)
        again = api.generate(sid)
        assert again["status"] == "success"
        assert _worker_pid(service, again["id"]) not in (pid, os.getpid())


def test_a_task_longer_than_the_idle_time_is_not_stopped_as_idle(tmp_path: Path) -> None:
    """A worker process stops after ``task_process_idle_seconds`` *without a task*: one
    running longer than that is work. (It was stopped as idle mid-run, given back and
    started again by the next worker, which stopped it again: it never finished.)"""
    settings = {"task_processes": 1, "task_process_idle_seconds": 0.01}
    with create_app(database=str(tmp_path / "long.db"), **settings) as service:
        api = Api(service)
        sid = api.session()
        body = {"ngens": 8, "space": small_space(), "population_size": 12, "replicates": 0}
        task = api.post(f"/v1/sessions/{sid}/simulate", body).body
        seen = []
        while task["status"] not in ("success", "failed", "canceled"):
            task = api.get(
                f"/v1/sessions/{sid}/tasks/{task['id']}", wait=10, version=task["version"]
            ).body
            seen.append((task["status"], task["progress"]["message"]))
            assert "requeued" not in (task["progress"]["message"] or ""), seen
        assert task["status"] == "success" and task["attempts"] == 1, task


def test_a_runner_is_not_idle_while_its_task_runs(tmp_path: Path) -> None:
    """``stop_if_idle`` (what a worker process asks every half second) says no while a
    task runs, however long ago it started, and stops the runner once none runs."""
    import threading

    from sigopt_like.service.task_kinds import run_space

    release, started = threading.Event(), threading.Event()

    def held(ctx):
        started.set()
        while not release.wait(0.05):
            ctx.check()
        return run_space(ctx)

    with create_app(database=str(tmp_path / "held.db"), task_processes=0) as service:
        runner = service.context.runner
        runner.handlers["space"] = held
        api = Api(service)
        sid = api.session()
        body = {"space": small_space(), "population_size": 12, "replicates": 1}
        task = api.put(f"/v1/sessions/{sid}/space", body).body
        assert started.wait(30)
        assert runner.stop_if_idle(0.0) is False and not runner.stopping
        release.set()
        assert api.wait(sid, task)["status"] == "success"
        deadline = time.monotonic() + 30  # its threads may be looking for a next task
        while not runner.stop_if_idle(-1.0):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert runner.stopping


SCRIPT = textwrap.dedent(
    """
    import json, os, sys, time
    from sigopt_like.service import create_app
    service = create_app(database=sys.argv[1], task_processes=1)
    import falcon.testing
    client = falcon.testing.TestClient(service)
    sid = client.simulate_post("/v1/sessions", json={"name": "bye"}).json["id"]
    space = json.loads(sys.argv[2])
    client.simulate_put(f"/v1/sessions/{sid}/space",
                        json={"space": space, "population_size": 12, "replicates": 1})
    deadline = time.monotonic() + 60
    while not service.task_processes.pids and time.monotonic() < deadline:
        time.sleep(0.05)
    print(service.task_processes.pids[0], flush=True)
    os._exit(0)  # no close(): the process just ends
    """
)


def test_a_worker_process_stops_when_its_service_process_ends(tmp_path: Path) -> None:
    import json

    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "bye.db"), json.dumps(small_space())],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    pid = int(out.stdout.strip().splitlines()[-1])
    assert _gone(pid, 30), "the worker outlived the process that started it"


def test_an_embedded_connection_can_keep_its_tasks_out_of_the_script(
    tmp_path: Path, clean_env: Path
) -> None:
    """``Connection(task_processes=1)``: the script's process serves the calls, a worker
    process runs the tasks; with a host the option is refused (a remote service runs
    its own tasks)."""
    import pytest

    import sigopt_like

    with sigopt_like.Connection(database=str(tmp_path / "c.db"), task_processes=1) as conn:
        session = conn.sessions.create(name="light")
        space = sigopt_like.Space.from_dict(small_space())
        task = conn.sessions(session.id).space.put(
            space=space, population_size=12, replicates=1, wait=True
        )
        assert task.status == "success"
        assert _worker_pid(conn.service, task.id) != os.getpid()
    with pytest.raises(sigopt_like.ConfigError, match="task_processes"):
        sigopt_like.Connection("http://127.0.0.1:9", "t", task_processes=1)


def test_a_worker_processs_command_line_holds_no_database_url(tmp_path: Path) -> None:
    """A command line is readable by every local user (ps), and a PostgreSQL URL may hold a
    password: the service hands its workers the URL through their environment."""
    database = str(tmp_path / "secret-name.db")
    with create_app(database=database, task_processes=1) as service:
        api = Api(service)
        sid = api.session()
        assert api.put_space(sid, small_space(), 12, 1)["status"] == "success"
        (pid,) = service.task_processes.pids
        command = Path(f"/proc/{pid}/cmdline").read_bytes().decode()
        environment = Path(f"/proc/{pid}/environ").read_bytes().decode()
    assert "secret-name" not in command
    assert "secret-name.db" in environment


DEFAULT_SCRIPT = textwrap.dedent(
    """
    import json, logging, os, sys
    import sigopt_like
    if sys.argv[3:] == ["info"]:
        logging.basicConfig(level=logging.INFO)
    with sigopt_like.Connection(database=sys.argv[1]) as conn:  # the default, as typed
        c = conn.sessions(conn.sessions.create(name="default").id)
        space = sigopt_like.Space.from_dict(json.loads(sys.argv[2]))
        c.space.put(space=space, population_size=12, replicates=1, wait=True)
        task = c.generate(wait=True)
        print(json.dumps({
            "status": task.status, "task": task.id, "pid": os.getpid(),
            "loaded": [m for m in ("scipy", "sklearn") if m in sys.modules],
        }))
    """
)


def _script(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", *args],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_an_embedded_connection_runs_its_tasks_in_a_worker_process_by_default(
    tmp_path: Path,
) -> None:
    """``Connection()`` as the README types it: the tasks run in a worker process, so the
    script never imports the optimizer's scipy and scikit-learn. The worker logs to the
    script's stderr at the script's level: nothing by default (warnings only), its INFO
    lines once the script asks for INFO."""
    import json

    database = str(tmp_path / "default.db")
    out = _script(DEFAULT_SCRIPT, database, json.dumps(small_space()))
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["status"] == "success" and report["loaded"] == []
    with create_app(database=database, run_tasks=False) as service:
        assert _worker_pid(service, report["task"]) != report["pid"]
    assert out.stderr == ""
    told = _script(DEFAULT_SCRIPT, str(tmp_path / "info.db"), json.dumps(small_space()), "info")
    assert told.returncode == 0, told.stderr
    assert "sigopt_like.service.worker worker" in told.stderr and "running" in told.stderr


def test_a_memory_database_or_task_processes_0_keeps_the_tasks_in_threads(
    tmp_path: Path, clean_env: Path
) -> None:
    import pytest

    import sigopt_like

    space = sigopt_like.Space.from_dict(small_space())
    for database, processes in ((":memory:", None), (str(tmp_path / "t.db"), 0)):
        with sigopt_like.Connection(database=database, task_processes=processes) as conn:
            assert conn.service.task_processes is None
            session = conn.sessions.create(name="threads")
            task = conn.sessions(session.id).space.put(
                space=space, population_size=12, replicates=1, wait=True
            )
            assert task.status == "success"
            assert _worker_pid(conn.service, task.id) == os.getpid()
    from sigopt_like.service import ServiceSettings

    file_settings = ServiceSettings(database=str(tmp_path / "f.db"))
    assert file_settings.worker_processes == 1
    with pytest.MonkeyPatch.context() as patch:  # PyInstaller: sys.executable is the app
        patch.setattr(sys, "frozen", True, raising=False)
        assert file_settings.worker_processes == 0
    for wrong in (-1, True, 1.5):
        with pytest.raises(sigopt_like.ConfigError, match="task_processes"):
            sigopt_like.Connection(database=str(tmp_path / "w.db"), task_processes=wrong)
    with pytest.raises(sigopt_like.ConfigError, match="task_processes"):
        sigopt_like.Connection("http://127.0.0.1:9", "t", task_processes=0)


def test_serve_runs_its_tasks_in_a_worker_process_unless_told_0(tmp_path: Path) -> None:
    """``sigopt-like serve`` (the real command): a worker process by default;
    ``--task-processes 0``: threads of the server; with ``--no-tasks`` it is refused."""
    import requests

    from tests.fixtures.servers import ServedProcess

    for extra, same_process in (((), False), (("--task-processes", "0"), True)):
        served = ServedProcess(tmp_path / f"serve{len(extra)}.db", *extra)
        try:
            url, headers = served.url, served.headers()
            sid = requests.post(
                f"{url}/v1/sessions", json={"name": "s"}, headers=headers, timeout=10
            ).json()["id"]
            body = {"space": small_space(), "population_size": 12, "replicates": 1}
            task = requests.put(
                f"{url}/v1/sessions/{sid}/space", json=body, headers=headers, timeout=10
            ).json()
            deadline = time.monotonic() + 60
            while task["status"] not in ("success", "failed") and time.monotonic() < deadline:
                task = requests.get(
                    f"{url}/v1/sessions/{sid}/tasks/{task['id']}",
                    params={"wait": 5},
                    headers=headers,
                    timeout=30,
                ).json()
            assert task["status"] == "success", task
            with create_app(database=served.database, run_tasks=False) as service:
                pid = _worker_pid(service, task["id"])
            assert (pid == served.process.pid) is same_process
        finally:
            served.stop()
    refused = subprocess.run(
        [sys.executable, "-m", "sigopt_like", "serve", "--no-tasks", "--task-processes", "1"],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2 and "--task-processes" in refused.stderr


def test_a_worker_process_wakes_waiting_clients_and_counts_its_tasks(tmp_path: Path) -> None:
    """A worker process reports each task change at once (the long poll ends when the
    task does, not on the service's next poll of the database), and each finished task
    (the service's /metrics count them)."""
    with create_app(database=str(tmp_path / "w.db"), task_processes=1) as service:
        api = Api(service)
        sid = api.session()
        assert api.put_space(sid, small_space(), 12, 1)["status"] == "success"
        assert service.context.task_watch is not None
        service.context.task_watch.poll_seconds = 60.0
        time.sleep(0.5)  # the watch's current pause ends
        task = api.post(f"/v1/sessions/{sid}/generate").body
        started = time.monotonic()
        while task["status"] not in FINISHED:
            path = f"/v1/sessions/{sid}/tasks/{task['id']}"
            task = api.get(path, wait=60, version=task["version"]).body
        assert task["status"] == "success", task
        assert time.monotonic() - started < 30  # woken at each change, not after 60 s
        # The count comes on the worker's line after its final commit: a client woken by an
        # earlier change can read the task's success first (seen once in CI, under load).
        counted = 'sigopt_like_tasks_total{status="success",type="generate"} 1.0'
        deadline = time.monotonic() + 30
        text = service.context.metrics.render().decode()
        while counted not in text and time.monotonic() < deadline:
            time.sleep(0.05)
            text = service.context.metrics.render().decode()
    assert 'sigopt_like_tasks_total{status="success",type="space"} 1.0' in text
    assert counted in text


def test_a_service_whose_worker_cannot_start_runs_its_tasks_itself(
    tmp_path: Path, monkeypatch, caplog
) -> None:
    """No interpreter to start (a program that embeds Python), or one that fails before it
    is ready: the service says why and runs its tasks in its own threads."""
    broken = tmp_path / "broken-python"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    for executable, reason in ((str(broken), "code 3"), (str(tmp_path / "none"), "cannot")):
        monkeypatch.setattr(sys, "executable", executable)
        with create_app(database=str(tmp_path / f"b{len(reason)}.db"), task_processes=1) as app:
            api = Api(app)
            sid = api.session()
            task = api.put_space(sid, small_space(), 12, 1)
            assert task["status"] == "success", task
            assert _worker_pid(app, task["id"]) == os.getpid()
            assert app.task_processes is not None and reason in str(app.task_processes.unavailable)
        assert "runs its tasks itself" in caplog.text


def test_a_killed_worker_process_is_replaced_and_its_task_taken_over(tmp_path: Path) -> None:
    import signal

    with create_app(database=str(tmp_path / "k.db"), task_processes=1) as service:
        api = Api(service)
        sid = api.session()
        body = {"ngens": 100, "space": small_space(), "population_size": 12, "replicates": 0}
        task = api.post(f"/v1/sessions/{sid}/simulate", body).body
        deadline = time.monotonic() + 60
        state = task
        while not (state["status"] == "running" and state["progress"]["fraction"] > 0.05):
            assert time.monotonic() < deadline, state
            time.sleep(0.1)
            state = api.get(f"/v1/sessions/{sid}/tasks/{task['id']}").body
        killed = _worker_pid(service, task["id"])
        os.kill(killed, signal.SIGKILL)
        done = api.wait(sid, task, timeout=180)
        assert done["status"] == "success" and done["attempts"] == 2, done
        assert _worker_pid(service, task["id"]) not in (killed, os.getpid())


LEAVE_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import sigopt_like
    conn = sigopt_like.Connection(database=sys.argv[1])
    c = conn.sessions(conn.sessions.create(name="leaves").id)
    space = sigopt_like.Space.from_dict(json.loads(sys.argv[2]))
    c.space.put(space=space, population_size=12, replicates=1, wait=True)
    task = c.generate(wait=False)
    print(json.dumps({"task": task.id, "sid": task.session,
                      "workers": conn.service.task_processes.pids}))
    # no close(): the script just ends, its task queued or running
    """
)


def test_a_script_that_ends_right_after_starting_a_task_leaves_no_worker_and_no_lost_task(
    tmp_path: Path, clean_env: Path
) -> None:
    import json

    import sigopt_like

    database = str(tmp_path / "leave.db")
    out = _script(LEAVE_SCRIPT, database, json.dumps(small_space()))
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    for pid in report["workers"]:
        assert _gone(pid, 30), "the worker outlived the script that started it"
    assert report["workers"], "a worker process was started for the task"
    with sigopt_like.Connection(database=database) as conn:  # the next script on the file
        task = conn.sessions(report["sid"]).tasks(report["task"]).wait(timeout=120)
        assert task.status == "success"
        assert conn.sessions(report["sid"]).fetch().gen == 1


def _kept_after_cancel(session: Any, task_id: str, before: Any) -> int:
    """The generations a simulate of 100 canceled in a worker process kept, each outcome
    checked whole: none (the task has no result, the session is as it was), or some (the
    finished ones, ``task_kinds.simulate``: the session at the last of them, each one
    measured, the task's result and message saying how many)."""
    done = session.tasks(task_id).fetch()
    assert done.status == "canceled", done
    after = session.fetch()
    if done.result is None:
        assert after == before, (before, after)
        return 0
    kept = done.result.generations_run
    assert kept is not None and 0 < kept < 100, done
    assert done.result.gen == kept == after.gen, (done, after)
    said = done.progress.message
    assert said.startswith(f"canceled after {kept} of 100 generations; the {kept} finished"), said
    history = session.history.fetch().generations
    assert [g.gen for g in history] == list(range(kept + 1)), history
    assert all(g.has_responses and g.design_rows == 10 for g in history[1:]), history
    return kept


class _ProgressWatcher:
    """A ``progress=`` callable of the cancel tests: records ``(status, fraction,
    message)`` of each update in ``seen``, sets ``reached`` once ``when(task)`` holds of
    the running task (the moment to cancel it), and ``ended`` once the task ends."""

    def __init__(self, when: Callable[[Any], bool]) -> None:
        self.when = when
        self.seen: list[tuple[str, float, str]] = []
        self.reached, self.ended = threading.Event(), threading.Event()

    def __call__(self, task: Any) -> bool:
        self.seen.append((task.status, task.progress.fraction, task.progress.message or ""))
        if task.status == "running" and self.when(task):
            self.reached.set()
        if task.status in ("success", "failed", "canceled"):
            self.ended.set()
        return True


def test_progress_run_tasks_async_and_cancel_reach_a_task_in_a_worker_process(
    tmp_path: Path, clean_env: Path
) -> None:
    """Through the public client, default Connection: ``run_tasks_async`` follows the
    task in the background, ``progress=`` sees it run in the worker, and a cancel
    stops it there. The cancel comes once the task's progress passes 5%: during its first
    generation (the session is left as it was) or, on a loaded machine, after it (the
    finished generations are kept): :func:`_kept_after_cancel` checks either whole.
    (Before, the second read ``result.get``, which a ``SimulateResult`` does not have.)
    The space has room for far more than 100 generations: the task cannot end before the
    cancel comes."""
    import sigopt_like

    watcher = _ProgressWatcher(lambda task: task.progress.fraction > 0.05)
    seen, running, ended = watcher.seen, watcher.reached, watcher.ended

    database = str(tmp_path / "async.db")
    with sigopt_like.Connection(database=database, run_tasks_async=True) as conn:
        assert conn.service.task_processes is not None
        session = conn.sessions(conn.sessions.create(name="async").id)
        before = session.fetch()
        space = sigopt_like.Space.from_dict(space_json("esd-factorial-4x8"))
        task = session.simulate(
            ngens=100, space=space, population_size=10, replicates=0, progress=watcher
        )
        assert task.status in ("new", "running")  # returned at once
        assert running.wait(120), seen
        session.tasks(task.id).cancel()
        assert ended.wait(60), seen
        assert seen[-1][0] == "canceled"
        _kept_after_cancel(session, task.id, before)
        assert _worker_pid(conn.service, task.id) != os.getpid()


def test_a_simulate_canceled_in_a_worker_process_keeps_the_generations_it_finished(
    tmp_path: Path, clean_env: Path
) -> None:
    """The cancel comes once the task's progress names generation 3 (or a later one): two
    are finished at least, so the task, canceled in its worker process, keeps them, and
    the session holds exactly those its result names."""
    import re

    import sigopt_like

    def past_the_third(task: sigopt_like.models.Task) -> bool:
        under_way = re.match(r"generation (\d+)", task.progress.message or "")
        return under_way is not None and int(under_way.group(1)) >= 3

    watcher = _ProgressWatcher(past_the_third)
    seen, third, ended = watcher.seen, watcher.reached, watcher.ended

    database = str(tmp_path / "kept.db")
    with sigopt_like.Connection(database=database, run_tasks_async=True) as conn:
        assert conn.service.task_processes is not None
        session = conn.sessions(conn.sessions.create(name="kept").id)
        before = session.fetch()
        space = sigopt_like.Space.from_dict(space_json("esd-factorial-4x8"))
        task = session.simulate(
            ngens=100, space=space, population_size=10, replicates=0, progress=watcher
        )
        assert third.wait(180), seen
        session.tasks(task.id).cancel()
        assert ended.wait(60), seen
        kept = _kept_after_cancel(session, task.id, before)
        assert kept >= 2, seen  # the branch this test forces
        assert _worker_pid(conn.service, task.id) != os.getpid()


def test_a_simulate_in_a_worker_process_shows_its_progress_to_its_last_generation(
    tmp_path: Path, clean_env: Path
) -> None:
    """``simulate(ngens=100, progress=...)`` on a space with room for 16 generations: the
    progress a watcher sees goes through them to past 90% (before, it was spread over
    100 generations: it read 19% when the task ended)."""
    import sigopt_like

    fractions: list[float] = []

    def on_update(task: sigopt_like.models.Task) -> bool:
        if task.status == "running":
            fractions.append(task.progress.fraction)
        return True

    with sigopt_like.Connection(database=str(tmp_path / "progress.db")) as conn:
        assert conn.service.task_processes is not None
        session = conn.sessions(conn.sessions.create(name="progress").id)
        space = sigopt_like.Space.from_dict(small_space())
        task = session.simulate(
            ngens=100,
            space=space,
            population_size=12,
            replicates=0,
            progress=on_update,
            wait=True,
        )
        assert task.status == "success" and task.result.generations_run == 16, task
        assert _worker_pid(conn.service, task.id) != os.getpid()
    assert fractions == sorted(fractions) and max(fractions) > 0.5, fractions


def test_a_relative_database_path_is_the_same_file_for_the_worker_after_a_chdir(
    tmp_path: Path, monkeypatch
) -> None:
    """The worker starts at the first task, maybe after the caller changed its working
    folder: it opens the file the caller named, not one of the same name elsewhere."""
    monkeypatch.chdir(tmp_path)
    with create_app(database="rel.db", task_processes=1) as service:
        api = Api(service)
        sid = api.session()
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        monkeypatch.chdir(elsewhere)
        assert api.put_space(sid, small_space(), 12, 1)["status"] == "success"
    assert not (elsewhere / "rel.db").exists()


def test_a_file_name_a_url_would_read_otherwise_is_the_file_named(tmp_path: Path) -> None:
    """Before: ``database="results%20v2.db"`` opened ``results v2.db``, and ``run?1.db``
    opened ``run`` (SQLAlchemy reads the path in a URL: ``%`` escapes, ``?`` a query); a
    name that is not UTF-8 (as Python reads it from a command line) stopped the service at
    its start, when it handed the database to its worker process."""
    not_utf8 = os.fsdecode(b"lat\xe9.db")
    for name in ("results%20v2.db", "run?1.db", "take#2.db", not_utf8):
        folder = tmp_path / str(len(list(tmp_path.iterdir())))
        folder.mkdir()
        with create_app(database=str(folder / name), task_processes=1) as service:
            api = Api(service)
            sid = api.session()
            space = api.put_space(sid, small_space(), 12, 1)  # run by the worker process
            assert space["status"] == "success", (name, space)
            assert _worker_pid(service, space["id"]) != os.getpid()
        assert sorted(p.name for p in folder.iterdir() if p.suffix == ".db") == [name]


def test_a_service_that_closes_gives_its_running_task_back_as_stopped_not_crashed(
    tmp_path: Path,
) -> None:
    """A service that closes tells its worker process to stop (a line before its input
    ends): the task it ran goes back saying its worker was stopped, not that the process
    running it was killed or crashed (which an input ending without that line means)."""
    big = {
        "type": "factorial",
        "parameters": [
            {"name": f"p{i}", "type": "numerical", "values": list(range(10))} for i in range(6)
        ],
    }
    database = str(tmp_path / "closing.db")
    with create_app(database=database, task_processes=1) as service:
        api = Api(service)
        sid = api.session()
        assert api.put_space(sid, big, 2500, 0)["status"] == "success"
        started = api.post(f"/v1/sessions/{sid}/generate")
        assert started.status == 202, started
        tid = started.body["id"]
        deadline = time.monotonic() + 60
        while api.get(f"/v1/sessions/{sid}/tasks/{tid}").body["status"] == "new":
            assert time.monotonic() < deadline
            time.sleep(0.005)
    with create_app(database=database, run_tasks=False) as reader:
        task = Api(reader).get(f"/v1/sessions/{sid}/tasks/{tid}").body
    said = task["progress"]["message"]
    assert task["status"] == "new", task
    assert said.startswith("requeued: its worker was stopped before finishing it"), said
    assert "killed or crashed" not in said, said


def test_a_numpy_integer_count_of_task_processes_is_taken_as_an_int(
    tmp_path: Path, clean_env: Path
) -> None:
    """Before: ``task_processes=np.int64(2)`` was a ConfigError "must be a whole number",
    while ``max_body_bytes`` and ``max_table_rows`` took numpy integers; any integer type
    is taken, as an int, and honoured (0: the task runs in this process's threads)."""
    import pytest

    import sigopt_like

    np = pytest.importorskip("numpy")
    with sigopt_like.Connection(
        database=str(tmp_path / "two.db"), task_processes=np.int64(2)
    ) as conn:
        settings = conn.service.settings
        assert settings.task_processes == 2 and type(settings.task_processes) is int
        assert settings.worker_processes == 2
    with sigopt_like.Connection(
        database=str(tmp_path / "zero.db"), task_processes=np.uint8(0)
    ) as conn:
        assert conn.service.task_processes is None
        session = conn.sessions.create(name="threads")
        task = conn.sessions(session.id).space.put(
            space=sigopt_like.Space.from_dict(small_space()),
            population_size=12,
            replicates=1,
            wait=True,
        )
        assert task.status == "success"
        assert _worker_pid(conn.service, task.id) == os.getpid()
    for wrong in (np.float64(2.0), np.bool_(True), np.int64(-1)):
        with pytest.raises(sigopt_like.ConfigError, match="'task_processes' must be a whole"):
            sigopt_like.Connection(database=str(tmp_path / "w.db"), task_processes=wrong)


def test_a_generations_design_in_a_worker_process_tells_its_steps(
    tmp_path: Path, clean_env: Path
) -> None:
    """A simulate of 2 generations in a worker process (its first model fit, scikit-learn's
    import with it, takes seconds): the watcher sees generation 2's design say that it
    fits the model (while it does) and then that it scores the candidates with the model
    fitted, its fraction rising within the generation's share and never past it. Before,
    "scoring candidate experiments" was written before the fit began, overwriting "fitting
    the model" at once, and stood, frozen, through the fit, the scoring and the choice."""
    import sigopt_like

    watcher = _ProgressWatcher(lambda task: False)
    with sigopt_like.Connection(database=str(tmp_path / "steps.db"), run_tasks_async=True) as conn:
        session = conn.sessions(conn.sessions.create(name="steps").id)
        space = sigopt_like.Space.from_dict(space_json("esd-factorial-4x8"))
        task = session.simulate(
            ngens=2, space=space, population_size=30, replicates=0, progress=watcher, wait=True
        )
        assert task.status == "success", watcher.seen
    said = [message for _, _, message in watcher.seen]
    low, top = 0.05 + 0.9 / 2, 0.05 + 0.9 / 2 + 0.45 * 0.8  # generation 2's design share
    assert "fitting the model to 30 responses" in said, watcher.seen
    fitting = said.index("fitting the model to 30 responses")
    # the design ends at the first update that is none of its steps: the watcher follows
    # the task's events, which may pass over a short state (generation 2's "simulating
    # responses" was once not seen at all), so no one later message is waited for
    steps = ("fitting the model", "scoring candidate", "choosing ", "chose ")
    ended = next(
        (at for at in range(fitting, len(said)) if not said[at].startswith(steps)), len(said)
    )
    design = watcher.seen[fitting:ended]
    assert ended < len(said), watcher.seen  # something after the design was seen
    assert design[0][1] == pytest.approx(low), watcher.seen
    scoring = [
        fraction
        for _, fraction, message in design
        if message == "scoring candidate experiments with the model fitted to 30 experiments"
    ]
    assert scoring and low < scoring[0] <= top, watcher.seen
    fractions = [fraction for _, fraction, _ in design]
    assert fractions == sorted(fractions) and max(fractions) <= top + 1e-9, watcher.seen


IDLE_SCRIPT = textwrap.dedent(
    """
    import sys
    import sigopt_like
    with sigopt_like.Connection(database=sys.argv[1]) as conn:
        conn.sessions.list()  # its service runs, and watches the queue
        print("ready", flush=True)
        sys.stdin.read()  # idle until the test closes its input
    """
)


def _workers_started_by(parents: set[int]) -> set[int]:
    """The task worker processes (``sigopt_like.service.worker``) whose parent is one of
    ``parents`` (Linux's ``/proc``)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rpartition(")")[2].split()[1])
        if parent in parents and b"sigopt_like.service.worker" in command:
            found.add(int(entry.name))
    return found


class _IdleScripts:
    """``count`` scripts, each with an embedded Connection on ``database``, doing nothing."""

    def __init__(self, database: str, count: int) -> None:
        self.procs = [
            subprocess.Popen(
                [sys.executable, "-c", IDLE_SCRIPT, database],
                env={**os.environ, "PYTHONPATH": str(REPO)},
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(count)
        ]

    def __enter__(self) -> _IdleScripts:
        for proc in self.procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        return self

    @property
    def pids(self) -> set[int]:
        return {proc.pid for proc in self.procs}

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs:
            assert proc.stdin is not None
            proc.stdin.close()
        for proc in self.procs:
            proc.wait(60)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="counts processes in /proc")
def test_idle_scripts_on_one_file_leave_a_task_to_the_worker_of_the_script_that_queued_it(
    tmp_path: Path, clean_env: Path
) -> None:
    """5 idle scripts on one SQLite file, and a task queued by another process (this
    one): one worker process starts, that process's. Before, every idle script's
    service started one too (its queue watch saw the task waiting): six cold starts at
    once, on a small machine, made the task wait for the first of them to be ready."""
    database = str(tmp_path / "shared.db")
    with create_app(database=database, task_processes=1) as service:
        api = Api(service)
        sid = api.session()
        with _IdleScripts(database, 5) as idle:
            time.sleep(1.5)  # every idle script's watch has looked at the queue once
            space = api.put_space(sid, small_space(), 12, 1)
            assert space["status"] == "success", space
            mine = _worker_pid(service, space["id"])
            time.sleep(1.5)  # a watch that saw the task waiting has started its worker
            theirs = _workers_started_by(idle.pids)
            assert theirs == set(), f"{len(theirs)} idle scripts started a worker too"
            assert service.task_processes is not None
            assert service.task_processes.pids == [mine] and mine != os.getpid()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="counts processes in /proc")
def test_idle_scripts_take_over_at_once_a_task_whose_worker_died(
    tmp_path: Path, clean_env: Path
) -> None:
    """The task of a worker killed mid-run (its script killed with it): one of the idle
    scripts on the file starts a worker for it at once (a dead worker's task is nobody's
    to wait for), which takes it over, and only one: the others find the store's runner
    promise taken. Before, each of the three started one."""
    import signal

    database = str(tmp_path / "died.db")
    with create_app(database=database, run_tasks=False) as reader:
        api = Api(reader)
        sid = api.session()
        wide = {  # room for the 100 generations: the task runs while its worker is killed
            "type": "factorial",
            "parameters": [
                {"name": f"p{i}", "type": "numerical", "values": list(range(10))} for i in range(4)
            ],
        }
        body = {"ngens": 100, "space": wide, "population_size": 12, "replicates": 0}
        runner = subprocess.Popen(  # a script whose worker takes the task, killed with it
            [sys.executable, "-c", IDLE_SCRIPT, database],
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            assert runner.stdout is not None and runner.stdout.readline().strip() == "ready"
            posted = api.post(f"/v1/sessions/{sid}/simulate", body)
            assert posted.status == 202, posted
            task = state = posted.body
            deadline = time.monotonic() + 60
            while not (state["status"] == "running" and state["progress"]["fraction"] > 0.02):
                assert time.monotonic() < deadline, state
                time.sleep(0.1)
                state = api.get(f"/v1/sessions/{sid}/tasks/{task['id']}").body
            with _IdleScripts(database, 3) as idle:
                time.sleep(1.5)  # their watches see a task running under a live worker
                assert _workers_started_by(idle.pids) == set()
                killed = _worker_pid(reader, task["id"])
                os.killpg(runner.pid, signal.SIGKILL)
                runner.wait(30)
                state = api.get(f"/v1/sessions/{sid}/tasks/{task['id']}").body
                assert state["status"] == "running", state  # killed mid-run
                killed_at = time.monotonic()
                while not _workers_started_by(idle.pids):  # their watches start one at once
                    assert time.monotonic() - killed_at < 4, "no worker started for the task"
                    time.sleep(0.05)
                taker: int | None = killed
                # not yet taken over; None: back in the queue, not yet claimed again (the
                # taker's recover and its first claim are two transactions: a look between
                # them saw None, and the test failed as if no started worker had taken it)
                while taker in (killed, None):
                    assert time.monotonic() - killed_at < 60, "not taken over"
                    time.sleep(0.1)
                    taker = _worker_pid_or_none(reader, task["id"])
                time.sleep(1.5)  # every watch has looked again, the task running again
                started = _workers_started_by(idle.pids)
                assert taker in started, (taker, started, killed)
                assert len(started) == 1, f"{len(started)} idle scripts started a worker"
        finally:
            if runner.poll() is None:
                os.killpg(runner.pid, signal.SIGKILL)
                runner.wait(30)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="counts processes in /proc")
def test_a_task_queued_by_a_process_that_runs_none_starts_one_worker_among_idle_scripts(
    tmp_path: Path, clean_env: Path
) -> None:
    """A task queued by a service that runs no tasks (``run_tasks=False``, as ``serve
    --no-tasks``), three idle scripts on the file: one of them starts a worker for it,
    which runs it. Before, each of them did, once the task had waited 5 s (a pile-up of
    cold starts on a small machine)."""
    database = str(tmp_path / "nobody.db")
    with create_app(database=database, run_tasks=False) as reader:
        api = Api(reader)
        sid = api.session()
        with _IdleScripts(database, 3) as idle:
            task = api.queue_space(sid)
            done = api.wait(sid, task, timeout=60)
            assert done["status"] == "success", done
            time.sleep(1.5)  # every idle script's watch has looked again
            started = _workers_started_by(idle.pids)
            assert _worker_pid(reader, done["id"]) in started
            assert len(started) == 1, f"{len(started)} idle scripts started a worker"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="counts processes in /proc")
def test_a_script_leaves_its_task_to_a_warm_worker_on_the_file(
    tmp_path: Path, clean_env: Path
) -> None:
    """``sigopt-like worker`` kept running on the file, idle: a script (an embedded
    ``Connection``, whose calls carry an Idempotency-Key) that queues a task starts no
    worker of its own (the warm worker's promise stands in the store) and the warm worker
    runs it. Before, the script started one anyway, a cold start for nothing; and the
    first cut of the promise, written from the queuing request's after-commit callback,
    joined that request's finished unit, was refused as a reused Idempotency-Key, and
    started one all the same."""
    import sigopt_like

    database = str(tmp_path / "warm.db")
    warm = subprocess.Popen(
        [sys.executable, "-m", "sigopt_like", "worker"],
        env={**os.environ, "PYTHONPATH": str(REPO), "SIGOPT_LIKE_DATABASE": database},
        stderr=subprocess.DEVNULL,
    )
    try:
        with sigopt_like.Connection(database=database, task_processes=1) as conn:
            service = conn.service
            store = service.context.store
            deadline = time.monotonic() + 60
            while store.tasks.runner_last_seen() is None:  # the warm worker has started
                assert warm.poll() is None and time.monotonic() < deadline, "no warm worker"
                time.sleep(0.1)
            time.sleep(1.0)  # and looked for a task: it is idle
            session = conn.sessions.create(name="warm")
            space = sigopt_like.Space.from_dict(small_space())
            task = conn.sessions(session.id).space.put(
                space=space, population_size=12, replicates=1, wait=True
            )
            assert task.status == "success", task
            assert _worker_pid(service, task.id) == warm.pid
            assert service.task_processes is not None and service.task_processes.pids == []
    finally:
        warm.terminate()
        warm.wait(30)


def test_the_queue_watch_sees_a_queued_task_and_one_whose_worker_is_gone(
    tmp_path: Path,
) -> None:
    """What a service's queue watch asks the store (``unattended(store)``): a task queued,
    at once (which process starts a worker for it is the runner promise's to say, not a
    grace by its ``created`` time, which holds whole seconds), or held by a worker whose
    process is gone; not one held by a live worker."""
    from sigopt_like.service.worker import unattended, worker_identity

    with create_app(database=str(tmp_path / "seen.db"), run_tasks=False) as service:
        store = service.context.store
        api = Api(service)
        assert not unattended(store)
        task = api.queue_space(api.session())
        created = store.tasks.find(int(task["id"])).created
        assert unattended(store, now=created)
        me = worker_identity()
        assert store.tasks.claim(me, created).id == int(task["id"])
        assert not unattended(store, now=created + 1)  # this process runs it
        assert store.tasks.requeue(int(task["id"]), me, "back", counted=False)
        assert unattended(store, now=created + 1)  # given back: queued again
        gone = f"{socket.gethostname()}:999999999:gone:1"
        assert store.tasks.claim(gone, created + 1).id == int(task["id"])
        assert unattended(store, now=created + 1)  # its worker's process is gone


WIDE_SPACE = {  # room for 100 generations: a task that runs a good while
    "type": "factorial",
    "parameters": [
        {"name": f"p{i}", "type": "numerical", "values": list(range(10))} for i in range(4)
    ],
}


@pytest.mark.skipif(not hasattr(os, "kill") or sys.platform == "win32", reason="SIGSTOP")
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="counts processes in /proc")
def test_a_worker_stuck_in_its_cold_start_leaves_the_task_to_another_process(
    tmp_path: Path, clean_env: Path
) -> None:
    """A script queues a task and its worker hangs before it is ready (stopped here: a
    stand-in for one stuck in its cold start); an idle script on the file starts a worker
    once the start promise, renewed for ``START_RENEW_SECONDS`` at most, lapses (10-12 s
    in all with that worker's cold start), and it runs the task. Before, the promise was
    renewed while the stuck worker hung, and no process ever started another."""
    import signal

    from sigopt_like.service.task_processes import START_PROMISE_SECONDS, START_RENEW_SECONDS

    database = str(tmp_path / "stuck.db")
    with (
        _IdleScripts(database, 1) as idle,
        create_app(database=database, task_processes=1) as service,
    ):
        api = Api(service)
        sid = api.session()
        assert service.task_processes is not None
        task = api.queue_space(sid)
        queued = time.monotonic()
        while not service.task_processes.pids:
            assert time.monotonic() - queued < 10, "no worker started"
            time.sleep(0.001)
        stuck = service.task_processes.pids[0]
        os.kill(stuck, signal.SIGSTOP)
        try:
            time.sleep(1.5)  # the promise stands: the idle script starts none yet
            assert _workers_started_by(idle.pids) == set()
            limit = 3 * (START_RENEW_SECONDS + START_PROMISE_SECONDS + 2 * 1.0)
            while not _workers_started_by(idle.pids):
                assert time.monotonic() - queued < limit, "nobody took over the task"
                time.sleep(0.1)
            done = api.wait(sid, task, timeout=60)
            assert done["status"] == "success", done
            assert _worker_pid(service, done["id"]) in _workers_started_by(idle.pids)
        finally:
            os.kill(stuck, signal.SIGKILL)


def test_a_promise_left_far_ahead_by_a_clock_stepped_back_keeps_no_task_waiting(
    tmp_path: Path, clean_env: Path
) -> None:
    """A runner promise whose end lies an hour ahead, its holder gone (written before the
    clock was stepped back): a script that queues a task starts its worker at once, and
    the task runs. Before, the task waited for the clock to reach that end: an hour."""
    import sigopt_like

    database = str(tmp_path / "stepped.db")
    with sigopt_like.Connection(database=database, task_processes=1) as conn:
        store = conn.service.context.store
        with store.database.write() as c:
            value = f"{time.time() + 3600:.3f}\t{socket.gethostname()}:999999999:gone:1"
            c.execute(schema.meta.insert().values(key="task_runner_promise", value=value))
        session = conn.sessions.create(name="stepped")
        space = sigopt_like.Space.from_dict(small_space())
        task = conn.sessions(session.id).space.put(
            space=space, population_size=12, replicates=1, wait=False
        )
        queued = time.monotonic()
        while store.tasks.find(int(task.id)).status == "new":
            assert time.monotonic() - queued < 30, "the task waited for the stale promise"
            time.sleep(0.1)
        assert conn.service.task_processes is not None and conn.service.task_processes.pids


def test_a_workers_ready_ends_its_scripts_start_promise(tmp_path: Path, clean_env: Path) -> None:
    """A script's only worker, one thread, busy from its first moment: once it is ready
    (it claims the task at once) the script's start promise no longer stands, so that a
    task queued next is started at once by another process on the file. Before, that
    promise, renewed until ``ready``, stood 4-5 s more: a task queued then waited for it
    (and another process's cold start), not 1-2 s as the docs said."""
    database = str(tmp_path / "busy.db")
    with create_app(database=database, task_processes=1, task_threads=1) as service:
        store = service.context.store
        api = Api(service)
        sid = api.session()
        body = {"ngens": 100, "space": WIDE_SPACE, "population_size": 12, "replicates": 0}
        posted = api.post(f"/v1/sessions/{sid}/simulate", body)
        assert posted.status == 202, posted
        task_id = int(posted.body["id"])
        deadline = time.monotonic() + 60
        while store.tasks.find(task_id).status == "new":
            assert time.monotonic() < deadline, "the worker took no task"
            time.sleep(0.005)
        claimed = time.monotonic()
        while not store.tasks.promise_runner("another-script", 0.1):
            # before: 4-5 s (the 5 s promise last renewed within a second of ready)
            assert time.monotonic() - claimed < 1.2, "the start promise still stands"
            time.sleep(0.05)
        assert store.tasks.find(task_id).status == "running"  # busy: no free promise


@pytest.mark.parametrize("threads", [1, 2])
def test_no_moment_between_a_workers_ready_and_its_claim_leaves_the_task_unpromised(
    tmp_path: Path, clean_env: Path, threads: int
) -> None:
    """What another process's queue watch reads (one snapshot: a task queued, and the
    runner promise), looked at without pause from the script's start promise until its
    worker runs the task: never a queued task that nobody has promised to take. Before,
    the script withdrew its start promise when its worker said ``ready``, before that
    worker had claimed anything (its claim comes after its start-up): a watch looking
    then took the promise and started a second worker for a task already taken care of
    (154 and 392 such looks in two runs of three, one thread). Now the worker takes the
    promise over: withdrawn once its one thread has claimed the task, replaced by its own
    free promise (in one transaction) once a thread found none."""
    database = str(tmp_path / "handover.db")
    snapshot = sa.text(
        "SELECT (SELECT count(*) FROM tasks WHERE status = 'new'), "
        "(SELECT value FROM meta WHERE key = 'task_runner_promise')"
    )
    with create_app(database=database, task_processes=1, task_threads=threads) as service:
        store = service.context.store
        api = Api(service)
        sid = api.session()
        engine = sa.create_engine(f"sqlite:///{database}")
        unpromised: list[str] = []
        promised = threading.Event()
        done = threading.Event()

        def watch() -> None:  # another process's queue watch, without its 1 s pause
            with engine.connect() as conn:
                while not done.is_set():
                    queued, value = conn.execute(snapshot).one()
                    conn.rollback()
                    until = float((value or "0").partition("\t")[0] or 0)
                    if queued and until > time.time():
                        promised.set()
                    elif queued and promised.is_set():
                        unpromised.append(value or "no promise")

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        body = {"ngens": 100, "space": WIDE_SPACE, "population_size": 12, "replicates": 0}
        try:
            posted = api.post(f"/v1/sessions/{sid}/simulate", body)
            assert posted.status == 202, posted
            task_id = int(posted.body["id"])
            deadline = time.monotonic() + 60
            while store.tasks.find(task_id).status == "new":
                assert time.monotonic() < deadline, "the worker took no task"
                time.sleep(0.01)
            time.sleep(0.2)
        finally:
            done.set()
            watcher.join(30)
            engine.dispose()
        assert promised.is_set()  # the watch saw the task queued under the start promise
        assert unpromised == [], f"{len(unpromised)} looks found the queued task unpromised"

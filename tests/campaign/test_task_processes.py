"""Tasks in worker processes the service starts (``task_processes``): the optimizer's
memory and CPU stay out of the process serving requests or running the script."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import sqlalchemy as sa

from sigopt_like.service import create_app
from sigopt_like.service.store import schema
from sigopt_like.service.worker import pid_alive

from .conftest import Api, small_space

REPO = Path(__file__).resolve().parents[2]


def _worker_pid(service, task_id: str) -> int:
    with service.context.store.database.engine.connect() as conn:
        worker = conn.execute(
            sa.select(schema.tasks.c.worker).where(schema.tasks.c.id == int(task_id))
        ).scalar_one()
    return int(worker.split(":")[1])


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

"""Scaled-out mode on PostgreSQL: app processes queue, runners claim with SKIP LOCKED.

Skipped unless PostgreSQL's server binaries and the ``psycopg`` driver (the
``postgres`` extra) are installed. The server runs in a temporary folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from sigopt_like.service import create_app
from sigopt_like.service.worker import TaskRunner

from .conftest import Api, check_standalone_worker, small_space

pytest.importorskip("psycopg")
if not shutil.which("initdb") or not shutil.which("pg_ctl"):
    pytest.skip("PostgreSQL server binaries are not installed", allow_module_level=True)

PORT = 55433


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:  # postgres refuses to run as root
        return ["runuser", "-u", "nobody", "--", *cmd]
    return cmd


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    """A throw-away PostgreSQL server; yields its base URL (no database name)."""
    root = Path(tempfile.mkdtemp(prefix="sigopt-like-pg-"))  # reachable by the server's user
    if os.geteuid() == 0:
        shutil.chown(root, "nobody")
    data = root / "data"
    run = subprocess.run
    init = run(
        _as_server_user(["initdb", "-D", str(data), "-A", "trust", "-U", "postgres"]),
        capture_output=True,
        text=True,
    )
    if init.returncode != 0:
        pytest.skip(f"initdb failed: {init.stderr[-500:]}")
    options = f"-k {root} -p {PORT} -c listen_addresses=''"
    start = run(
        _as_server_user(
            ["pg_ctl", "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"]
        ),
        capture_output=True,
        text=True,
    )
    if start.returncode != 0:
        pytest.skip(f"pg_ctl start failed: {start.stderr[-500:]}")
    try:
        yield f"postgresql+psycopg://postgres@/{{db}}?host={root}&port={PORT}"
    finally:
        run(
            _as_server_user(["pg_ctl", "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )


@pytest.fixture
def pg_url(postgres: str) -> str:
    """A fresh database on the server."""
    name = f"t{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres.format(db="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return postgres.format(db=name)


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

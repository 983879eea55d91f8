"""Task throughput with 1, 2 and 4 worker processes on PostgreSQL (and on SQLite).

    python benchmarks/perf_tasks.py --pg 'postgresql+psycopg://postgres@/postgres?host=/run/pg&port=5432'
        [--tasks 48] [--population 20]

The scaled-out shape: ``sigopt-like worker`` processes (one thread each) claim
tasks from one database (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's
write lock). ``--tasks`` sessions each queue one generate task (a first design of
``--population`` experiments on a 4 x 4 x 4 x 4 factorial space); the workers are
warmed first (each has run a task, so imports are behind them). Tasks per second
with 2 and 4 workers are printed against 1 worker measured in the same run. On a
machine with C cores, more than C busy workers cannot add throughput.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import falcon.testing
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from perf_common import REPO, Figure, env_with_path, report

from sigopt_like.service import create_app
from sigopt_like.service.store import schema

SPACE = {
    "type": "factorial",
    "parameters": [
        {"name": f"p{i}", "type": "numerical", "values": [0, 1, 2, 3]} for i in range(4)
    ],
}


def _fresh_pg_database(admin_url: str) -> str:
    name = f"perf_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = sa.engine.make_url(admin_url).set(database=name)
    return url.render_as_string(hide_password=False)


def _queue(service, client, sessions: list[str], population: int) -> None:
    for sid in sessions:
        r = client.simulate_post(f"/v1/sessions/{sid}/generate", json={})
        assert r.status_code == 202, r.json


def _done(service) -> int:
    with service.context.store.database.engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count())
            .select_from(schema.tasks)
            .where(schema.tasks.c.type == "generate", schema.tasks.c.status.in_(("success",)))
        ).scalar_one()


def _failed(service) -> int:
    with service.context.store.database.engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count())
            .select_from(schema.tasks)
            .where(schema.tasks.c.status.in_(("failed", "canceled")))
        ).scalar_one()


def throughput(database: str, workers: int, tasks: int, population: int) -> float:
    """Tasks per second of ``workers`` worker processes on a fresh queue."""
    with create_app(database=database, run_tasks=False) as service:
        client = falcon.testing.TestClient(service)
        warm = workers * 2
        sessions = []
        for i in range(warm + tasks):
            sid = client.simulate_post("/v1/sessions", json={"name": f"s{i}-{uuid.uuid4().hex}"})
            sid = sid.json["id"]
            r = client.simulate_put(
                f"/v1/sessions/{sid}/space",
                json={"space": SPACE, "population_size": population, "replicates": 0},
            )
            assert r.status_code == 202
            sessions.append(sid)
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "sigopt_like.service.worker",
                    "--db",
                    database,
                    "--threads",
                    "1",
                ],
                env=env_with_path(REPO),
                cwd=REPO,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        try:
            _wait(service, lambda: _space_done(service) == len(sessions), 600)
            _queue(service, client, sessions[:warm], population)  # imports, then timing
            _wait(service, lambda: _done(service) >= warm, 600)
            start = time.perf_counter()
            _queue(service, client, sessions[warm:], population)
            _wait(service, lambda: _done(service) >= warm + tasks, 1800)
            elapsed = time.perf_counter() - start
            if _failed(service):
                raise SystemExit("some tasks failed")
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(30)
    return tasks / elapsed


def _space_done(service) -> int:
    with service.context.store.database.engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count())
            .select_from(schema.tasks)
            .where(schema.tasks.c.type == "space", schema.tasks.c.status == "success")
        ).scalar_one()


def _wait(service, condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for the workers")
        time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", required=True, help="an admin URL of a PostgreSQL server")
    parser.add_argument("--tasks", type=int, default=48)
    parser.add_argument("--population", type=int, default=20)
    args = parser.parse_args(argv)
    figures = []
    with tempfile.TemporaryDirectory(prefix="perf-tasks-") as tmp:
        for label, make in (
            ("PostgreSQL", lambda: _fresh_pg_database(args.pg)),
            ("SQLite", lambda: str(Path(tmp) / f"{uuid.uuid4().hex}.db")),
        ):
            rates = {n: throughput(make(), n, args.tasks, args.population) for n in (1, 2, 4)}
            for n in (1, 2, 4):
                figures.append(
                    Figure(
                        f"tasks/s with {n} worker process(es) on {label} vs 1 worker",
                        rates[n],
                        rates[1],
                        "t/s",
                        "-",
                    )
                )
    report("task throughput, scaled out (higher is better)", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

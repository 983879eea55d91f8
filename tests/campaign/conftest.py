"""Calling the campaign routes embedded (falcon TestClient) or served (requests + token)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sigopt_like.service import Service
from sigopt_like.service.store import schema
from sigopt_like.spaces import Space
from tests.fixtures.api import ServiceApi

DATA = Path(__file__).resolve().parent.parent / "data"
FINISHED = ("success", "failed", "canceled")


def space_json(name: str, **kw: Any) -> dict[str, Any]:
    """A space of tests/data as its JSON form (``esd-factorial-4x8`` ...)."""
    kind = "mixture" if "mixture" in name else "factorial"
    return Space.from_csv(DATA / f"{name}.csv", type=kind, **kw).to_dict()


def small_space() -> dict[str, Any]:
    """A 3 x 4 x 4 x 4 = 192-point factorial space (room for a population of 12)."""
    return {
        "type": "factorial",
        "parameters": [
            {"name": "a", "type": "numerical", "values": [0, 1, 2]},
            {"name": "b", "type": "numerical", "values": [0, 1, 2, 3]},
            {"name": "c", "type": "numerical", "values": [1.5, 2.5, 3.5, 4.5]},
            {"name": "d", "type": "categorical", "values": ["x", "y", "z", "w"]},
        ],
    }


class Api(ServiceApi):
    """The service, embedded or over a socket, with campaign shortcuts."""

    # ----- campaign shortcuts

    def session(self) -> str:
        """A new session's id."""
        r = self.post("/v1/sessions", {"name": f"s-{uuid.uuid4().hex[:10]}"})
        assert r.status == 201, r
        return r.body["id"]

    def wait(self, sid: str, task: dict[str, Any] | str, timeout: float = 60) -> dict[str, Any]:
        """The task once finished (long polls)."""
        tid = task if isinstance(task, str) else task["id"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.get(f"/v1/sessions/{sid}/tasks/{tid}", wait=10)
            assert r.status == 200, r
            if r.body["status"] in FINISHED:
                return r.body
        raise AssertionError(f"task {tid} did not finish in {timeout} s")

    def run(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        """Start a task (202 expected) and wait for it."""
        r = self.call(method, path, body)
        assert r.status == 202, r
        sid = r.body["session"]
        return self.wait(sid, r.body)

    def queue_space(self, sid: str) -> dict[str, Any]:
        """Put the small space without waiting: the queued task (202 expected)."""
        r = self.put(
            f"/v1/sessions/{sid}/space",
            {"space": small_space(), "population_size": 12, "replicates": 1},
        )
        assert r.status == 202, r
        return r.body

    def put_space(
        self, sid: str, space: dict[str, Any], population_size: int = 12, replicates: int = 1
    ) -> dict[str, Any]:
        """Put a space and wait for its task."""
        return self.run(
            "PUT",
            f"/v1/sessions/{sid}/space",
            {"space": space, "population_size": population_size, "replicates": replicates},
        )

    def generate(self, sid: str) -> dict[str, Any]:
        """Generate and wait; asserts success."""
        task = self.run("POST", f"/v1/sessions/{sid}/generate")
        assert task["status"] == "success", task
        return task

    def simulated(self, sid: str, table: dict[str, Any]) -> dict[str, Any]:
        """``table`` with simulated responses."""
        r = self.post(f"/v1/sessions/{sid}/responses/simulate", {"table": table})
        assert r.status == 200, r
        return {"columns": r.body["columns"], "rows": r.body["rows"]}

    def refused_experiments(self, sid: str, kind: str, table: dict[str, Any]) -> list[Any]:
        """Put experiments that are refused as the task is started (422 expected, no
        task queued, nothing stored): the problems the answer lists."""
        before = self.snapshot(sid)
        r = self.post(f"/v1/sessions/{sid}/experiments", {"type": kind, "table": table})
        assert r.status == 422, r
        assert self.snapshot(sid) == before
        errors: list[Any] = r.body["detail"]["errors"]
        assert r.body["message"] == f"The table cannot be stored: {errors[0]['message']}"
        return errors

    def refused_space(
        self,
        sid: str,
        space: dict[str, Any],
        population_size: int = 12,
        replicates: int = 1,
        lead: str = "The space is not valid",
    ) -> list[Any]:
        """Put a space that is refused as its task is started (422 expected, no task
        queued, nothing stored): the problems the answer lists, the first after ``lead``
        ("The design size is not valid" when the population rule refuses it)."""
        before = self.snapshot(sid)
        body = {"space": space, "population_size": population_size, "replicates": replicates}
        r = self.put(f"/v1/sessions/{sid}/space", body)
        assert r.status == 422, r
        assert r.body["code"] == "validation_failed", r
        assert self.snapshot(sid) == before
        errors: list[Any] = r.body["detail"]["errors"]
        assert r.body["message"] == f"{lead}: {errors[0]['message']}"
        return errors

    def put_experiments(
        self, sid: str, kind: str, table: dict[str, Any], generate_next: bool = False
    ) -> dict[str, Any]:
        """Put experiments and wait for the update task."""
        return self.run(
            "POST",
            f"/v1/sessions/{sid}/experiments",
            {"type": kind, "table": table, "generate_next": generate_next},
        )

    def snapshot(self, sid: str) -> dict[str, Any]:
        """Everything a refusal must leave as it was: session, history, tasks, generations."""
        session = self.get(f"/v1/sessions/{sid}").body
        history = self.get(f"/v1/sessions/{sid}/history").body
        tasks = self.get(f"/v1/sessions/{sid}/tasks").body
        with self.service.context.store.database.engine.connect() as conn:
            gens = conn.execute(
                sa.select(schema.generations).where(schema.generations.c.session_id == int(sid))
            ).all()
        return {
            "session": session,
            "history": history,
            "tasks": tasks,
            "generations": [tuple(g) for g in gens],
        }


@pytest.fixture(params=["embedded", "served"])
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    """The service, once embedded and once over a socket (auth on)."""
    if request.param == "embedded":
        yield Api(request.getfixturevalue("service"))
    else:
        served = request.getfixturevalue("served")
        yield Api(served.service, served.url, served.token)


@pytest.fixture
def embedded(service: Service) -> Api:
    """The embedded service only."""
    return Api(service)


def check_standalone_worker(database: str) -> None:
    """The scaled-out shape on ``database``: an app without a runner queues a space task,
    ``python -m sigopt_like.service.worker`` (a separate process) claims and runs it, and
    stops cleanly when asked."""
    import os
    import subprocess
    import sys

    from sigopt_like.service import create_app

    root = Path(__file__).resolve().parents[2]
    with create_app(database=database, run_tasks=False) as service:
        api = Api(service)
        sid = api.session()
        task = api.queue_space(sid)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sigopt_like.service.worker",
                "--db",
                database,
                "--threads",
                "1",
            ],
            env={**os.environ, "PYTHONPATH": str(root)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            done = api.wait(sid, task, timeout=60)
            assert done["status"] == "success", done
            with service.context.store.database.engine.connect() as conn:
                worker = conn.execute(
                    sa.select(schema.tasks.c.worker).where(schema.tasks.c.id == int(task["id"]))
                ).scalar_one()
            assert worker.split(":")[1] == str(proc.pid)
        finally:
            proc.terminate()
            output = proc.communicate(timeout=20)[0]
        assert proc.returncode == 0, output.decode() if output else ""

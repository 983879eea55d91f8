"""The task model: one at a time, cancel, long poll, event stream, failures, recovery."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from sigopt_like.service import create_app
from sigopt_like.service.domain.tasks import (
    MAX_TASK_ERRORS,
    VALIDATION,
    TaskError,
    capped_errors,
)
from sigopt_like.service.store import schema
from sigopt_like.service.task_kinds import run_generate
from sigopt_like.service.worker import (
    LEASE_SECONDS,
    Outcome,
    TaskFailure,
    TaskRunner,
    worker_alive,
)
from tests.fixtures.servers import ServedProcess

from .conftest import FINISHED, Api, check_standalone_worker, small_space


class Gate:
    """A handler that reports progress until released (or canceled).

    With ``steps``, it reports that many steps, each only once the test has seen the
    one before (``step_seen()``; at most 30 s each): a loaded machine can then not
    run them all before a client starts listening, or between two of its reads.
    """

    def __init__(self, inner=None, steps: int = 0) -> None:
        self.release = threading.Event()
        self.started = threading.Event()
        self.inner = inner
        self.steps = steps
        self._seen = threading.Semaphore(0)

    def step_seen(self) -> None:
        """The test saw a step: the next one may come."""
        self._seen.release()

    def __call__(self, ctx):
        self.started.set()
        outcome = self.inner(ctx) if self.inner else Outcome(result={"done": True})
        for i in range(self.steps):
            ctx.progress("stepping", i / max(self.steps, 1), f"step {i + 1} of {self.steps}")
            self._seen.acquire(timeout=30)
        while not self.release.wait(0.05):
            ctx.check()
        return outcome


@pytest.fixture
def ready(api):
    sid = api.session()
    assert api.put_space(sid, small_space(), 12, 1)["status"] == "success"
    return sid


def _hold(api: Api, gate: Gate, kind: str = "generate") -> None:
    api.service.context.runner.handlers[kind] = gate


def test_one_mutating_task_at_a_time(api, ready):
    sid = ready
    gate = Gate()
    _hold(api, gate)
    r = api.post(f"/v1/sessions/{sid}/generate")
    assert r.status == 202 and r.body["status"] == "new"
    first = r.body["id"]
    assert gate.started.wait(10)
    before = api.snapshot(sid)
    for method, path, body in (
        ("POST", "generate", None),
        ("PUT", "space", {"space": small_space(), "population_size": 12, "replicates": 1}),
        ("POST", "experiments", {"type": "initial", "table": {"columns": [], "rows": []}}),
        ("POST", "simulate", {"ngens": 1}),
        ("POST", "analytics", None),
    ):
        r = api.call(method, f"/v1/sessions/{sid}/{path}", body)
        assert r.status == 409, (path, r)
        assert r.body["code"] == "task_running"
        assert r.body["detail"]["task"] == first and r.body["detail"]["type"] == "generate"
        assert first in r.body["message"] and "generate" in r.body["message"]
    assert api.snapshot(sid)["tasks"]["count"] == before["tasks"]["count"]
    gate.release.set()
    assert api.wait(sid, first)["status"] == "success"


def test_cancel_a_running_task_leaves_the_session_unchanged(api, ready):
    sid = ready
    gate = Gate(inner=run_generate)
    _hold(api, gate)
    before = api.snapshot(sid)
    task = api.post(f"/v1/sessions/{sid}/generate").body
    assert gate.started.wait(10)
    r = api.post(f"/v1/sessions/{sid}/tasks/{task['id']}/cancel")
    assert r.status == 200, r
    assert r.body["cancel_requested"] is True
    done = api.wait(sid, task)
    assert done["status"] == "canceled"
    assert done["result"] is None
    after = api.snapshot(sid)
    assert after["session"] == before["session"]
    assert after["history"] == before["history"]
    r = api.post(f"/v1/sessions/{sid}/tasks/{task['id']}/cancel")
    assert r.status == 409 and "already finished" in r.body["message"]
    gate.release.set()
    assert api.generate(sid)["result"]["gen"] == 1  # nothing blocks the next task


def test_cancel_a_new_task_at_once(tmp_path):
    with create_app(database=str(tmp_path / "queued.db"), run_tasks=False) as service:
        api = Api(service)
        sid = api.session()
        r = api.put(
            f"/v1/sessions/{sid}/space",
            {"space": small_space(), "population_size": 12, "replicates": 1},
        )
        assert r.status == 202 and r.body["status"] == "new"
        time.sleep(0.3)
        assert api.get(f"/v1/sessions/{sid}/tasks/{r.body['id']}").body["status"] == "new"
        c = api.post(f"/v1/sessions/{sid}/tasks/{r.body['id']}/cancel")
        assert c.status == 200 and c.body["status"] == "canceled" and c.body["finished"]
        assert api.get(f"/v1/sessions/{sid}").body["gen"] == -1


def test_a_queued_task_in_the_way_is_called_queued(tmp_path):
    """The 409 for a task queued on the session said "Task 1 (space) is new on this
    session": "new" is the task's status word, not English for "waiting to run" (a
    script restarted after a kill meets it for the task its last run queued)."""
    with create_app(database=str(tmp_path / "queued.db"), run_tasks=False) as service:
        api = Api(service)
        sid = api.session()
        r = api.put(
            f"/v1/sessions/{sid}/space",
            {"space": small_space(), "population_size": 12, "replicates": 1},
        )
        again = api.post(f"/v1/sessions/{sid}/generate")
        assert again.status == 409 and again.body["code"] == "task_running"
        said = again.body["message"]
        assert f"Task {r.body['id']} (space) is queued on this session" in said, said
        assert again.body["detail"]["status"] == "new"


def test_failed_task_reports_execution_errors(api, ready):
    sid = ready

    def broken(ctx):
        raise RuntimeError("the optimizer blew up")

    _hold(api, broken)
    task = api.run("POST", f"/v1/sessions/{sid}/generate")
    assert task["status"] == "failed"
    [error] = task["errors"]
    assert error["category"] == "execution" and "blew up" in error["message"]
    assert api.get(f"/v1/sessions/{sid}").body["gen"] == 0


def test_any_failed_tasks_errors_are_capped_once(api, ready):
    """Past MAX_TASK_ERRORS, a failed task keeps a summary and the first ones, whatever
    failed it (here a handler's own TaskFailure), not only the validation of a table;
    errors already capped so are stored as they are (no summary of a summary)."""
    sid = ready
    errors = [TaskError(f"row {i}: out of range", VALIDATION, row=i) for i in range(450)]
    stored = []
    for given in (errors, capped_errors(errors)):

        def failing(ctx, given=given):
            raise TaskFailure(list(given))

        _hold(api, failing)
        task = api.run("POST", f"/v1/sessions/{sid}/generate")
        assert task["status"] == "failed"
        assert len(task["errors"]) == MAX_TASK_ERRORS + 1, len(task["errors"])
        summary = task["errors"][0]
        assert summary["total"] == 450 and summary["omitted"] == 450 - MAX_TASK_ERRORS
        assert [k["count"] for k in summary["kinds"]] == [450]
        assert task["errors"][1]["message"] == "row 0: out of range"
        stored.append(task["errors"])
        listed = api.get(f"/v1/sessions/{sid}/tasks", status="failed").body["data"]
        assert len(listed[0]["errors"]) == MAX_TASK_ERRORS + 1
    assert stored[0] == stored[1]


def test_long_poll_returns_on_change_or_after_wait(api, ready):
    sid = ready
    gate = Gate()
    _hold(api, gate)
    task = api.post(f"/v1/sessions/{sid}/generate").body
    assert gate.started.wait(10)
    current = api.get(f"/v1/sessions/{sid}/tasks/{task['id']}").body
    started = time.monotonic()
    r = api.get(f"/v1/sessions/{sid}/tasks/{task['id']}", wait=1)
    assert 0.8 <= time.monotonic() - started < 25  # its 1 s (the bound: a loaded machine)
    assert r.body["status"] == "running" and r.body["version"] == current["version"]
    threading.Timer(0.5, gate.release.set).start()
    started = time.monotonic()
    r = api.get(f"/v1/sessions/{sid}/tasks/{task['id']}", wait=30, version=current["version"])
    assert time.monotonic() - started < 25  # woken by the change, not at its 30 s
    assert r.body["version"] > current["version"]
    assert api.wait(sid, task)["status"] == "success"
    r = api.get(f"/v1/sessions/{sid}/tasks/{task['id']}", wait=61)
    assert r.status == 400


def test_event_stream_delivers_progress_and_ends(served):
    api = Api(served.service, served.url, served.token)
    sid = api.session()
    assert api.put_space(sid, small_space(), 12, 1)["status"] == "success"
    gate = Gate(steps=6)
    gate.release.set()
    _hold(api, gate)
    task = api.post(f"/v1/sessions/{sid}/generate").body
    events, arrival = [], []
    started = time.monotonic()
    with requests.get(
        f"{served.url}/v1/sessions/{sid}/tasks/{task['id']}/events",
        headers={**served.headers(), "Accept": "text/event-stream"},
        stream=True,
        timeout=30,
    ) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        kind = None
        for line in r.iter_lines(decode_unicode=True):
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                assert kind == "task"
                events.append(json.loads(line[5:]))
                arrival.append(time.monotonic() - started)
                if events[-1]["phase"] == "stepping":
                    gate.step_seen()
    assert events[-1]["status"] == "success"
    fractions = [e["progress"]["fraction"] for e in events if e["phase"] == "stepping"]
    assert fractions == [i / 6 for i in range(6)], fractions
    versions = [e["version"] for e in events]
    assert versions == sorted(set(versions))
    assert arrival[0] < arrival[-1]  # streamed as it happened, not all at the end


def _read_answer(sock: socket.socket, already: bytes = b"") -> tuple[bytes, bytes]:
    """One answer's headers (to its blank line), and what came after them."""
    data = already
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def test_head_on_the_event_stream_is_its_headers_alone_on_a_reusable_connection(served):
    """Before: waitress wrote the chunked framing's last chunk, ``0\\r\\n\\r\\n``, after
    the HEAD's headers (a client read it as the next answer's status line) and closed the
    connection."""
    api = Api(served.service, served.url, served.token)
    sid = api.session()
    task = api.queue_space(sid)
    api.wait(sid, task)
    events = f"/v1/sessions/{sid}/tasks/{task['id']}/events"
    host, port = served.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        auth = f"Authorization: Bearer {served.token}"
        sock.sendall(f"HEAD {events} HTTP/1.1\r\nHost: x\r\n{auth}\r\n\r\n".encode())
        head, rest = _read_answer(sock)
        assert head.startswith(b"HTTP/1.1 200 "), head
        assert b"text/event-stream" in head and b"Connection: close" not in head, head
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")  # the same connection
        health, _ = _read_answer(sock, rest)
        assert health.startswith(b"HTTP/1.1 200 "), (rest, health)  # nothing came between


def test_event_stream_embedded(embedded):
    api = embedded
    sid = api.session()
    task = api.queue_space(sid)
    r = api.get(f"/v1/sessions/{sid}/tasks/{task['id']}/events")
    assert r.status == 200
    datas = [json.loads(line[5:]) for line in r.text.splitlines() if line.startswith("data:")]
    assert datas[-1]["status"] == "success"
    assert r.text.endswith("\n\n")


def test_task_list_is_paginated(api, ready):
    sid = ready
    api.generate(sid)
    page = api.get(f"/v1/sessions/{sid}/tasks", limit=1).body
    assert page["object"] == "pagination" and page["count"] == 2
    assert [t["type"] for t in page["data"]] == ["generate"]
    nxt = api.get(f"/v1/sessions/{sid}/tasks", limit=1, before=page["paging"]["before"]).body
    assert [t["type"] for t in nxt["data"]] == ["space"]
    assert api.get(f"/v1/sessions/{sid}/tasks/999").status == 404


def test_the_task_list_takes_the_task_type_in_any_case(api, ready):
    """Daptics spells task types SPACE, GENERATE…; the listing's ``?type=`` takes them
    as written, and any other case, and still refuses a type that is none of them."""
    sid = ready
    api.generate(sid)
    for spelled in ("SPACE", "space", "Space"):
        page = api.get(f"/v1/sessions/{sid}/tasks", type=spelled)
        assert page.status == 200, page
        assert [t["type"] for t in page.body["data"]] == ["space"]
    assert [
        t["type"] for t in api.get(f"/v1/sessions/{sid}/tasks", type="GENERATE").body["data"]
    ] == ["generate"]
    refused = api.get(f"/v1/sessions/{sid}/tasks", type="SPACES")
    assert refused.status == 400 and 'not "SPACES".' in refused.body["message"]


def _dead_pid() -> int:
    """The id of a process that has ended (999999 may be a live process where pid_max is
    4194304, as on most Linux hosts)."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", ""])
    child.wait()
    return child.pid


def _insert_task(
    engine, sid: int, status: str, worker: str | None, heartbeat: int | None, attempts: int = 1
):
    with engine.begin() as conn:
        return conn.execute(
            sa.insert(schema.tasks).values(
                session_id=sid,
                owner_id=1,
                type="generate",
                status=status,
                phase="fitting model",
                progress_fraction=0.3,
                progress_message="",
                params="{}",
                errors="[]",
                cancel_requested=False,
                version=3,
                worker=worker,
                heartbeat=heartbeat,
                attempts=attempts,
                created=int(time.time()) - 100,
                started=int(time.time()) - 100,
            )
        ).inserted_primary_key[0]


def test_restart_takes_over_tasks_of_stopped_workers(tmp_path):
    """A running task whose worker's process is gone, or whose lease lapsed, is run
    again by the next runner; one whose worker stopped during its last allowed run is
    failed, saying so, and leaves the session as it was."""
    db = str(tmp_path / "crash.db")
    host = socket.gethostname()
    dead = _dead_pid()
    with create_app(database=db) as service:
        api = Api(service)
        sessions = [api.session() for _ in range(3)]
        for sid in sessions:
            assert api.put_space(sid, small_space(), 12, 1)["status"] == "success"
        before = api.snapshot(sessions[2])
        engine = service.context.store.database.engine
        dead_pid = _insert_task(
            engine, int(sessions[0]), "running", f"{host}:{dead}:dead", int(time.time())
        )
        lapsed = _insert_task(
            engine, int(sessions[1]), "running", "elsewhere:1:beef", int(time.time()) - 600
        )
        spent = _insert_task(
            engine,
            int(sessions[2]),
            "running",
            f"{host}:{dead}:dead",
            int(time.time()),
            attempts=service.settings.task_max_attempts,
        )
    with create_app(database=db) as service:
        api = Api(service)
        for sid, tid in ((sessions[0], dead_pid), (sessions[1], lapsed)):
            task = api.wait(sid, str(tid), timeout=60)
            assert task["status"] == "success", task
            assert task["attempts"] == 2
            assert api.get(f"/v1/sessions/{sid}").body["gen"] == 1
        task = api.wait(sessions[2], str(spent), timeout=10)
        assert task["status"] == "failed"
        [error] = task["errors"]
        assert error["category"] == "system"
        assert error["message"].startswith("interrupted 3 times"), error
        after = api.snapshot(sessions[2])
        assert after["session"] == before["session"] and after["history"] == before["history"]
        assert api.generate(sessions[2])["status"] == "success"


def test_a_queued_task_left_by_a_stopped_process_is_resumed(tmp_path):
    """A task still ``new`` when its process stopped is run by the next runner on the
    file (two embedded scripts share one queue), never failed behind its back."""
    db = str(tmp_path / "queued.db")
    with create_app(database=db) as service:
        api = Api(service)
        sid = api.session()
        assert api.put_space(sid, small_space(), 12, 1)["status"] == "success"
    with create_app(database=db, run_tasks=False) as service:  # a process with no runner
        queued = _insert_task(service.context.store.database.engine, int(sid), "new", None, None)
    with create_app(database=db) as service:
        api = Api(service)
        task = api.wait(sid, str(queued), timeout=10)
        assert task["status"] == "success"
        assert api.get(f"/v1/sessions/{sid}").body["gen"] == 1


def test_worker_liveness():
    now = time.time()
    host = socket.gethostname()
    assert worker_alive(f"{host}:{os.getpid()}:x", int(now))
    assert not worker_alive(f"{host}:{_dead_pid()}:x", int(now))
    assert not worker_alive(f"{host}:{os.getpid()}:x", int(now) - 600)
    assert worker_alive("other-host:1:x", int(now))
    assert not worker_alive(None, int(now))


def test_claim_loop_runs_tasks_of_an_app_without_runner(tmp_path):
    """Scaled-out shape on SQLite: the app queues, a separate runner claims and runs."""
    db = str(tmp_path / "split.db")
    with create_app(database=db, run_tasks=False) as service:
        api = Api(service)
        sid = api.session()
        task = api.queue_space(sid)
        runner = TaskRunner(service.context.store, service.settings, threads=0, recover_new=False)
        assert runner.run_one() is True
        assert runner.run_one() is False
        assert api.get(f"/v1/sessions/{sid}/tasks/{task['id']}").body["status"] == "success"
        assert api.get(f"/v1/sessions/{sid}").body["gen"] == 0


def test_standalone_worker_process(tmp_path):
    check_standalone_worker(str(tmp_path / "worker.db"))


def test_task_metrics_are_counted(embedded):
    """The count follows the task's commit (a waiter that polls the database may see the
    success a moment before the worker thread counts it: seen once on a loaded machine)."""
    api = embedded
    sid = api.session()
    assert api.put_space(sid, small_space(), 12, 1)["status"] == "success"
    counted = 'sigopt_like_tasks_total{status="success",type="space"} 1.0'
    deadline = time.monotonic() + 10
    while counted not in api.service.context.metrics.render().decode():
        assert time.monotonic() < deadline, api.service.context.metrics.render().decode()
        time.sleep(0.01)


@pytest.mark.parametrize(("where", "attempts"), [("processes", 1), ("threads", 2)])
def test_killed_server_task_is_finished_after_restart(tmp_path, where, attempts):
    """A real crash: SIGKILL mid-task, restart on the same database: the restarted
    server runs the task again and finishes it once. Its worker process (``serve``'s
    default) sees the server gone and gives the task back, not counted as a run; with
    ``--task-processes 0`` the task's thread dies with the server, and the restarted
    server takes the task over (its worker's process is gone), counting the lost run."""
    extra = ["--task-processes", "0"] if where == "threads" else []
    served_process = ServedProcess(tmp_path / "served.db", *extra)
    try:
        _kill_and_restart_mid_task(served_process, attempts)
    finally:
        served_process.stop()


def _kill_and_restart_mid_task(served_process, attempts):
    url, headers = served_process.url, served_process.headers()
    sid = requests.post(
        f"{url}/v1/sessions", json={"name": "crash"}, headers=headers, timeout=10
    ).json()["id"]
    body = {"ngens": 100, "space": small_space(), "population_size": 12, "replicates": 0}
    task = requests.post(
        f"{url}/v1/sessions/{sid}/simulate", json=body, headers=headers, timeout=10
    ).json()
    # 100 generations take minutes: a loaded machine may take long to start it, never to end it
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = requests.get(
            f"{url}/v1/sessions/{sid}/tasks/{task['id']}", headers=headers, timeout=10
        ).json()
        if state["status"] == "running" and state["progress"]["fraction"] > 0.05:
            break
        time.sleep(0.1)
    assert state["status"] == "running", state
    served_process.restart()
    deadline = time.monotonic() + 180
    done = state
    while done["status"] not in FINISHED and time.monotonic() < deadline:
        done = requests.get(
            f"{url}/v1/sessions/{sid}/tasks/{task['id']}",
            params={"wait": 10},
            headers=headers,
            timeout=30,
        ).json()
    assert done["status"] == "success" and done["attempts"] == attempts, done
    session = requests.get(f"{url}/v1/sessions/{sid}", headers=headers, timeout=10).json()
    ran = done["result"]["generations_run"]
    assert session["gen"] == ran > 0
    history = requests.get(f"{url}/v1/sessions/{sid}/history", headers=headers, timeout=10)
    gens = [(g["gen"], len(g["table"]["rows"])) for g in history.json()["generations"]]
    assert gens == [(0, 0)] + [(g, 12) for g in range(1, ran + 1)]  # each generation once


@contextlib.contextmanager
def _one_queued_task(tmp_path) -> Iterator[tuple[Any, Api, str, int]]:
    """A service that runs no tasks, with one session whose space task is queued: the
    service, its API, the task's URL and id."""
    with create_app(database=str(tmp_path / "one-task.db"), run_tasks=False) as service:
        api = Api(service)
        sid = api.session()
        task = api.queue_space(sid)
        yield service, api, f"/v1/sessions/{sid}/tasks/{task['id']}", int(task["id"])


def test_a_task_whose_thread_outlasts_the_runners_stop_is_given_back_uncounted(tmp_path):
    """A runner stopping cleanly waits ``timeout`` (10 s by default) for its threads; a
    task whose step outlasts it (a long engine step, a heavily loaded machine: an orphaned
    worker process of ``test_killed_server_task_is_finished_after_restart`` on a machine
    at a load of 10-13) stayed ``running`` under the runner, and once its process ended it
    was taken over as interrupted, its run counted. It is given back at once, uncounted,
    and the thread's later end changes nothing. The step is the one thing here that is
    not real: a handler that waits for the test before it checks in."""
    with _one_queued_task(tmp_path) as (service, api, url, _):
        started, release = threading.Event(), threading.Event()

        def long_step(context):
            started.set()
            release.wait(30)
            context.check()

        runner = TaskRunner(service.context.store, service.settings, threads=1, recover_new=False)
        runner.handlers = {**runner.handlers, "space": long_step}
        runner.start()
        try:
            assert started.wait(30)
            assert api.get(url).body["status"] == "running"
            runner.shutdown(timeout=0.2)
            given_back = api.get(url).body
            assert given_back["status"] == "new", given_back
            assert given_back["attempts"] == 0, given_back
        finally:
            release.set()
        for thread in runner._threads:
            thread.join(30)
        after = api.get(url).body
        assert after["status"] == "new" and after["attempts"] == 0, after


def test_a_task_that_cannot_be_read_after_its_claim_goes_back_to_the_queue(tmp_path, monkeypatch):
    """The database fails between a runner's claim and its reading of the task (a fault
    injected at that instant, the one thing here that is not real). Before, the error went
    up to the claim loop and the task stayed ``running`` under a live runner, whose
    heartbeat renewed its lease: nobody ran it. It is given back, uncounted, and runs."""
    with _one_queued_task(tmp_path) as (service, api, url, _):
        tasks = service.context.store.tasks
        read = tasks.find
        failures = iter([sa.exc.OperationalError("SELECT", {}, Exception("disk I/O error"))])

        def find_after_a_hiccup(task_id: int):
            failure = next(failures, None)
            if failure is not None:
                raise failure
            return read(task_id)

        monkeypatch.setattr(tasks, "find", find_after_a_hiccup)
        runner = TaskRunner(service.context.store, service.settings, threads=0, recover_new=False)
        assert runner.run_one() is True  # claimed, not read, given back
        given_back = api.get(url).body
        assert given_back["status"] == "new", given_back
        assert given_back["attempts"] == 0
        assert runner.run_one() is True
        done = api.get(url).body
        assert done["status"] == "success", done
        assert done["attempts"] == 1
        assert api.get(url.split("/tasks/")[0]).body["gen"] == 0  # the session unchanged


def test_a_claim_whose_answer_is_lost_is_given_back_once_its_lease_lapses(tmp_path, monkeypatch):
    """The claim's commit goes through but its answer never reaches the runner (the
    connection fails at that instant: injected, the one thing here that is not real). The
    task is then ``running`` under a live runner that no thread runs. Before, the heartbeat
    renewed every task under the runner's name, so it stayed so for as long as the runner
    lived. Now only the tasks its threads run are renewed: the lost one's lease lapses, the
    next beat gives it back (its run not counted), and it runs."""
    with _one_queued_task(tmp_path) as (service, api, url, task_id):
        lost = sa.exc.OperationalError("COMMIT", {}, Exception("server closed the connection"))
        failures = iter([lost])
        runner = TaskRunner(service.context.store, service.settings, threads=0, recover_new=False)
        transaction = runner.transaction

        @contextlib.contextmanager
        def claim_whose_answer_is_lost(**kw: Any) -> Iterator[Any]:
            with transaction(**kw) as unit:  # the runner's first: its claim's, committed
                yield unit
            failure = next(failures, None)
            if failure is not None:
                raise failure

        monkeypatch.setattr(runner, "transaction", claim_whose_answer_is_lost)
        with pytest.raises(sa.exc.OperationalError):
            runner.run_one()
        orphan = api.get(url).body
        assert orphan["status"] == "running" and orphan["attempts"] == 1, orphan
        assert runner.heartbeat() == []  # its lease is fresh: nobody takes it yet
        assert api.get(url).body["status"] == "running"
        # as if LEASE_SECONDS had passed since its last renewal
        with service.context.store.database.write() as conn:
            conn.execute(
                sa.update(schema.tasks)
                .where(schema.tasks.c.id == task_id)
                .values(heartbeat=schema.tasks.c.heartbeat - LEASE_SECONDS - 1)
            )
        assert runner.heartbeat() == [task_id]
        given_back = api.get(url).body
        assert given_back["status"] == "new", given_back
        assert given_back["attempts"] == 0
        assert runner.run_one() is True
        done = api.get(url).body
        assert done["status"] == "success" and done["attempts"] == 1, done


def test_a_live_runner_whose_lease_lapsed_does_not_use_up_an_attempt(tmp_path):
    """A runner alive and running its task, whose heartbeats the database kept out for a
    lease (SQLite busy with other writers: found with 32 embedded Connections in 6
    processes on one file). Before, another runner took the task over as if its worker had
    stopped, counting the run: in its last allowed run the task was failed, "interrupted 3
    times: its worker stopped", though no worker had. Now a take-over whose worker's
    process still runs on this host gives the run back: the task runs again, not given up,
    and the live run, taken over, applies nothing."""
    with (
        _one_queued_task(tmp_path) as (service, api, url, task_id),
        _a_live_process() as alive,
    ):
        store, settings = service.context.store, service.settings
        live = TaskRunner(store, settings, threads=0, recover_new=False)
        live.worker_id = f"{socket.gethostname()}:{alive}:{live.worker_id.rsplit(':', 1)[1]}"
        assert live.claim() == task_id  # running under a live worker (its process: alive)
        limit = _lapse_in_its_last_run(service, task_id)
        other = TaskRunner(store, settings, threads=0, recover_new=False)
        assert other.heartbeat() == [task_id]
        taken = api.get(url).body
        assert taken["status"] == "new", taken
        assert taken["attempts"] == limit - 1
        assert "its worker's process still runs" in taken["progress"]["message"], taken
        live.execute(task_id)  # the live run goes on, finds it taken over: applies nothing
        assert api.get(url).body["status"] == "new"
        assert other.run_one() is True
        done = api.get(url).body
        assert done["status"] == "success" and done["attempts"] == limit, done


def test_a_lapsed_lease_under_this_process_s_id_is_an_earlier_process_that_stopped(tmp_path):
    """A worker that ran under this process's id but is not this runner was an earlier
    process (a container restarted keeps its host name and gives its first process the
    same id): it stopped. Its take-over counts, and in the task's last run gives it up;
    counted as a live worker's, a task that crashes its worker there would run for ever."""
    with _one_queued_task(tmp_path) as (service, api, url, task_id):
        store, settings = service.context.store, service.settings
        earlier = TaskRunner(store, settings, threads=0, recover_new=False)
        assert earlier.claim() == task_id
        limit = _lapse_in_its_last_run(service, task_id)
        restarted = TaskRunner(store, settings, threads=0, recover_new=False)
        assert restarted.heartbeat() == [task_id]
        given_up = api.get(url).body
        assert given_up["status"] == "failed", given_up
        assert f"interrupted {limit} times" in given_up["progress"]["message"], given_up


def _lapse_in_its_last_run(service: Any, task_id: int) -> int:
    """Make a running task's run its last allowed one, its lease lapsed; the limit."""
    limit = int(service.settings.task_max_attempts)
    with service.context.store.database.write() as conn:
        conn.execute(
            sa.update(schema.tasks)
            .where(schema.tasks.c.id == task_id)
            .values(attempts=limit, heartbeat=schema.tasks.c.heartbeat - LEASE_SECONDS - 1)
        )
    return limit


@contextlib.contextmanager
def _a_live_process() -> Iterator[int]:
    """The id of a process that runs while the block does (a live worker's, as a runner
    of another process on this host would have)."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        yield child.pid
    finally:
        child.kill()
        child.wait()


def test_a_not_yet_answer_names_the_task_that_is_making_it(api, ready):
    """Before: a design asked for while the first generate ran was told "generate the
    first design", and doing that was a 409 task_running; a space read while the space
    task ran was told to "set one first"."""
    sid = ready
    gate = Gate(inner=run_generate)
    _hold(api, gate)
    task = api.post(f"/v1/sessions/{sid}/generate").body
    assert gate.started.wait(10)
    for path, code in (("design", "no_design"), ("best", "no_responses")):
        r = api.get(f"/v1/sessions/{sid}/{path}")
        assert r.status == 409 and r.body["code"] == code, r
        said = r.body["message"]
        assert f"task {task['id']} (generate) is running on this session" in said, said
        assert f"sigopt-like tasks list {sid} shows it" in said, said
        assert "generate the first design" not in said and "put experiments" not in said
        assert r.body["detail"]["task"] == task["id"]
    gate.release.set()
    assert api.wait(sid, task)["status"] == "success"
    r = api.get(f"/v1/sessions/{sid}/design")
    assert r.status == 200  # and with no task under way, the plain answer again:
    r = api.get(f"/v1/sessions/{sid}/best")
    assert r.status == 409 and r.body["message"].endswith("put experiments with responses first.")

    other = api.session()
    space = _hold_space(api)
    queued = api.put(
        f"/v1/sessions/{other}/space",
        {"space": small_space(), "population_size": 12, "replicates": 1},
    ).body
    assert space.started.wait(10)
    for path, status in (("space", 404), ("design", 409), ("experiments", 409)):
        r = api.get(f"/v1/sessions/{other}/{path}")
        assert r.status == status, r
        assert f"task {queued['id']} (space) is running" in r.body["message"], r.body
        assert "set one first" not in r.body["message"]
    space.release.set()
    assert api.wait(other, queued)["status"] == "success"


def _hold_space(api: Api) -> Gate:
    from sigopt_like.service.task_kinds import default_handlers

    gate = Gate(inner=default_handlers()["space"])
    _hold(api, gate, "space")
    return gate


def test_a_not_yet_answer_names_a_queued_task_as_queued(tmp_path):
    with create_app(database=str(tmp_path / "queued.db"), run_tasks=False) as service:
        api = Api(service)
        sid = api.session()
        task = api.put(
            f"/v1/sessions/{sid}/space",
            {"space": small_space(), "population_size": 12, "replicates": 1},
        ).body
        r = api.get(f"/v1/sessions/{sid}/design")
        assert r.status == 409 and r.body["code"] == "space_required", r
        assert f"task {task['id']} (space) is queued on this session" in r.body["message"]
        api.post(f"/v1/sessions/{sid}/tasks/{task['id']}/cancel")
        r = api.get(f"/v1/sessions/{sid}/design")  # nothing under way: the plain answer
        assert r.status == 409 and "set one first" in r.body["message"], r


def test_a_tasks_status_is_one_point_read(embedded):
    """``GET /v1/sessions/{sid}/tasks/{tid}``, what clients poll, took a transaction of
    two reads (the session's row, whole, then the task's); it is one precompiled point
    read of the task joined to its session, outside SQLAlchemy's pipeline. What it cannot
    answer goes the old way: a missing session or task (each said as before), and a
    generate task's design, read from the campaign."""
    api = embedded
    sid = api.session()
    task = api.put_space(sid, small_space(), 12, 1)
    path = f"/v1/sessions/{sid}/tasks/{task['id']}"
    engine = api.service.context.store.database.engine
    began: list[object] = []
    # this thread's transactions only (the in-process requests run here): the service's
    # own threads (the task watch reading versions after the space task's change) may
    # begin one meanwhile, and did, in a CI run
    here = threading.get_ident()

    def begin(conn) -> None:
        if threading.get_ident() == here:
            began.append(conn)

    sa.event.listen(engine, "begin", begin)
    try:
        whole = api.get(path)
        omitted = api.get(path, result="omit")
    finally:
        sa.event.remove(engine, "begin", begin)
    assert began == []
    assert whole.status == 200 and whole.body == task
    assert omitted.status == 200
    assert omitted.body == {key: value for key, value in task.items() if key != "result"}
    missing_task = api.get(f"/v1/sessions/{sid}/tasks/999999")
    assert missing_task.status == 404 and "No task with id '999999'" in missing_task.body["message"]
    missing_session = api.get(f"/v1/sessions/999999/tasks/{task['id']}")
    assert missing_session.status == 404
    assert "No session with id '999999'" in missing_session.body["message"]
    generated = api.generate(sid)
    shown = api.get(f"/v1/sessions/{sid}/tasks/{generated['id']}").body
    assert shown == generated and shown["result"]["experiments"]["rows"]

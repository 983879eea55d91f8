"""Crashes and restarts: SIGKILL a served process mid-task and mid-write, and a script
that exits (``os._exit``) while its embedded service runs a task.

After each, on the same SQLite file:

- ``PRAGMA integrity_check`` is ok;
- the session and every experiment or observation the service had accepted are
  intact (nothing half-written: a task applies its result in one transaction);
- the interrupted task is taken over when the service comes back (its worker's
  process is gone) and finishes, its work applied once;
- a client waiting on it with short retries got a typed error, not a hang; one
  with the default retries (a deadline) rode over the restart and got the
  finished task;
- the next generate works.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

import sigopt_like
from sigopt_like.errors import ConflictError, SigoptLikeError
from sigopt_like.spaces import Space
from sigopt_like.transport import RetryPolicy

pytestmark = [pytest.mark.reliability, pytest.mark.crash, pytest.mark.timeout(300)]

#: 10^6 points and a population of 2500: a generate that runs for about a second
SPACE = Space.from_csv(
    "".join(f"p{i},numerical,{','.join(str(v) for v in range(10))}\n" for i in range(6))
)
POPULATION = 2500


def _client(url: str, token: str) -> sigopt_like.Connection:
    return sigopt_like.Connection(
        url,
        token,
        timeout=(2.0, 10.0),
        retries=RetryPolicy(max_tries=3, max_time=4.0, base=0.1, cap=0.5),
    )


REPO = Path(__file__).resolve().parents[2]


def script_env() -> dict[str, str]:
    """The environment of a child script: this checkout importable from anywhere."""
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": str(REPO) + (os.pathsep + path if path else "")}


def integrity(path: str) -> str:
    with sqlite3.connect(path) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


def _running(campaign: Any, task_id: str, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while True:
        status = campaign.tasks(task_id).fetch().status
        if status == "running":
            return
        assert status == "new", f"the task finished before the crash ({status})"
        assert time.monotonic() < deadline
        time.sleep(0.005)


def _state(campaign: Any) -> Any:
    history = campaign.history.fetch()
    return [(g.gen, g.design_rows, g.table.rows) for g in history.generations]


def _measured(campaign: Any) -> int:
    """Rows of the session's history that have a response."""
    return sum(
        1
        for g in campaign.history.fetch().generations
        for row in g.table.rows
        if row[-1] is not None
    )


def test_sigkill_during_generate(served_process: Any, figures: Any) -> None:
    url, token = served_process.url, served_process.token
    with _client(url, token) as conn:
        session = conn.sessions.create(name="crash-generate", seed=11)
        campaign = conn.sessions(session.id)
        campaign.space.put(space=SPACE, population_size=POPULATION, replicates=0, wait=True)
        design = campaign.generate(wait=True).result.experiments
        campaign.experiments.put(
            type="designed", table=campaign.responses.simulate(design), wait=True
        )
        before = _state(campaign)
        assert sum(len(g[2]) for g in before) == POPULATION

        task = campaign.generate(wait=False)
        outcome: dict[str, Any] = {}
        patient: dict[str, Any] = {}

        def wait_on_it(client: sigopt_like.Connection, out: dict[str, Any]) -> None:
            with client as waiter:
                try:
                    out["task"] = waiter.sessions(session.id).tasks(task.id).wait()
                except SigoptLikeError as err:
                    out["error"] = err
                except Exception as err:  # anything untyped is a failure of the test
                    out["untyped"] = err

        thread = threading.Thread(target=wait_on_it, args=(_client(url, token), outcome))
        default = threading.Thread(
            target=wait_on_it, args=(sigopt_like.Connection(url, token), patient)
        )
        for waiting in (thread, default):
            waiting.daemon = True
            waiting.start()
        _running(campaign, task.id)
        served_process.kill()
        killed_at = time.monotonic()
        thread.join(timeout=60)
        assert not thread.is_alive(), "the waiting client hangs"
        waited = time.monotonic() - killed_at
        assert "error" in outcome, outcome
        assert integrity(served_process.database) == "ok"

        served_process.start()  # same port, same database: the task is taken over
        default.join(timeout=240)
        assert not default.is_alive(), "the patient waiting client hangs"
        assert "task" in patient, patient
        done = patient["task"]
        # serve's task worker process saw its server gone and gave the task back (a run
        # not counted: it saw its service end, killed); the restart ran it again
        assert done.status == "success" and done.attempts == 1 and done.result.gen == 2
        after = _state(campaign)
        assert after[: len(before)] == before  # the session and every accepted experiment
        assert [g[0] for g in after] == [0, 1, 2] and after[2][1] == POPULATION  # once
        assert campaign.fetch().name == "crash-generate"
    figures(
        waiter_error=type(outcome["error"]).__name__,
        waiter_seconds=round(waited, 1),
        patient_waiter="got the finished task after the restart",
        task_runs=done.attempts,
        accepted_rows_kept=POPULATION,
    )


def test_sigkill_while_a_generation_is_stored(served_process: Any, figures: Any) -> None:
    """A kill during the update task that stores 2500 measured experiments: after the
    restart the task is taken over and stores all of them (never a part, never
    twice), and sending the same table again stores it once."""
    url, token = served_process.url, served_process.token
    with _client(url, token) as conn:
        session = conn.sessions.create(name="crash-update", seed=12)
        campaign = conn.sessions(session.id)
        campaign.space.put(space=SPACE, population_size=POPULATION, replicates=0, wait=True)
        design = campaign.generate(wait=True).result.experiments
        measured = campaign.responses.simulate(design)
        task = campaign.experiments.put(type="designed", table=measured, wait=False)
        deadline = time.monotonic() + 30
        while campaign.tasks(task.id).fetch().status == "new":
            assert time.monotonic() < deadline
            time.sleep(0.002)
        served_process.kill()
        assert integrity(served_process.database) == "ok"
        served_process.start()  # the task is taken over and finishes (or had finished)
        after = conn.sessions(session.id).tasks(task.id).wait(timeout=240)
        measured_rows = _measured(campaign)
        assert after.status == "success" and measured_rows == POPULATION
        assert after.attempts in (1, 2)  # 1: it finished in the instant before the kill
        again = campaign.experiments.put(type="designed", table=measured, wait=True)
        assert again.status == "success"
        assert _measured(campaign) == POPULATION
        assert sum(len(g[2]) for g in _state(campaign)) == POPULATION  # each row once
        assert campaign.generate(wait=True).result.gen == 2
    figures(update_task_runs=after.attempts, measured_rows_after_restart=measured_rows)


def test_sigkill_while_experiments_are_written(served_process: Any, figures: Any) -> None:
    """Three writers report observations, each call with its own Idempotency-Key, when
    the service is killed. After the restart every accepted observation is there, and
    each call cut short by the kill, sent again with its key, is stored exactly once:
    replayed if it had been stored, done now if it had not."""
    url, token = served_process.url, served_process.token
    with _client(url, token) as conn:
        experiment = conn.experiments.create(
            name="crash-writes",
            type="random",
            observation_budget=10_000,
            parameters=[{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
        )
        accepted: dict[str, str] = {}  # idempotency key -> observation id
        cut_short: list[tuple[str, dict]] = []  # (key, body) of calls the kill interrupted
        errors: list[BaseException] = []
        stop = threading.Event()

        def write(k: int) -> None:
            with sigopt_like.Connection(url, token, retries=1, timeout=(2.0, 5.0)) as writer:
                exp = writer.experiments(experiment.id)
                i = 0
                while not stop.is_set():
                    i += 1
                    key = f"writer{k}-{i}-{uuid.uuid4().hex}"
                    body = {"assignments": {"x": (i % 997) / 997}, "value": float(k * 1000 + i)}
                    try:
                        obs = exp.observations().create(**body, idempotency_key=key)
                    except BaseException as err:
                        errors.append(err)
                        cut_short.append((key, body))
                        return
                    accepted[key] = str(obs.id)

        writers = [threading.Thread(target=write, args=(k,), daemon=True) for k in range(3)]
        for thread in writers:
            thread.start()
        deadline = time.monotonic() + 30
        while len(accepted) < 60 and time.monotonic() < deadline:
            time.sleep(0.01)
        served_process.kill()
        stop.set()
        for thread in writers:
            thread.join(timeout=30)
            assert not thread.is_alive()
        assert errors and all(isinstance(e, SigoptLikeError) for e in errors), errors
        assert integrity(served_process.database) == "ok"

        served_process.start()
        observations = conn.experiments(experiment.id).observations()
        stored = {str(o.id) for o in observations.list(limit=1000)}
        assert set(accepted.values()) <= stored, "an accepted observation was lost"
        committed_without_answer = len(stored) - len(accepted)
        # the interrupted calls, sent again with the same keys: each ends up stored once,
        # replayed, done now, or (stored but its answer lost in the crash) refused with a
        # 409 that says it was done
        answer_lost = 0
        for key, body in cut_short:
            try:
                obs = observations.create(**body, idempotency_key=key)
            except ConflictError as err:
                assert err.code == "idempotency_answer_lost", err
                answer_lost += 1
                continue
            accepted[key] = str(obs.id)
        final = list(observations.list(limit=1000))
        values = [o.value for o in final]
        assert len(values) == len(set(values)), "a write was stored twice"
        assert len(values) == len(accepted) + answer_lost, "a write was lost"
        assert set(accepted.values()) <= {str(o.id) for o in final}
    figures(
        accepted_before_kill=len(accepted) - len(cut_short),
        cut_short=len(cut_short),
        committed_without_answer=committed_without_answer,
        answers_lost_in_the_crash=answer_lost,
        lost=0,
        duplicates=0,
    )


def _handling(url: str) -> bool:
    """Whether the service is handling a request besides the ``/metrics`` one asking."""
    import requests

    text = requests.get(f"{url}/metrics", timeout=5).text
    for line in text.splitlines():
        if line.startswith("sigopt_like_http_requests_in_flight "):
            return float(line.split()[1]) >= 2
    return False


def test_a_key_cut_short_by_a_crash_can_be_retried(served_process: Any) -> None:
    """A mutating request killed while its handler runs: its claim of the
    Idempotency-Key and its writes are one transaction, so nothing of it remains. After
    the restart, the retry with that key runs the request at once (it once waited on a
    claim whose process was gone: a 409 ``idempotency_in_progress`` for five minutes)."""
    url, token = served_process.url, served_process.token
    with _client(url, token) as conn:
        session = conn.sessions.create(name="crash-claim", seed=13)
        campaign = conn.sessions(session.id)
        campaign.space.put(space=SPACE, population_size=POPULATION, replicates=0, wait=True)
        table = SPACE.random_experiments(100_000, seed=1, max_response=1.0)
        body = {"type": "initial", "table": table.to_dict()}
        key = "cut-short-" + uuid.uuid4().hex

        def send() -> None:
            with contextlib.suppress(SigoptLikeError):
                conn.transport.request(
                    "POST",
                    f"/v1/sessions/{session.id}/experiments",
                    json=body,
                    idempotency_key=key,
                    timeout=(2.0, 30.0),
                )

        sent = threading.Thread(target=send, daemon=True)
        sent.start()
        deadline = time.monotonic() + 30
        while not _handling(url):  # the request is in the service
            assert time.monotonic() < deadline and sent.is_alive()
            time.sleep(0.005)
        served_process.kill()  # while the 100,000-row table is being read
        sent.join(timeout=30)
        served_process.start()
        before = [t.id for t in campaign.tasks.list(limit=100)]
        started = time.monotonic()
        task = conn.transport.request_json(
            "POST",
            f"/v1/sessions/{session.id}/experiments",
            json=body,
            idempotency_key=key,
            timeout=(2.0, 60.0),
        )
        assert task["object"] == "task" and task["type"] == "update"
        assert time.monotonic() - started < 30
        assert [t.id for t in campaign.tasks.list(limit=100)] == [task["id"], *before]


def test_a_crash_between_the_work_and_its_answer_leaves_neither(tmp_path: Path) -> None:
    """The instant a retry could once duplicate: the request's writes done, the process
    dying before its answer is stored. The writes and the answer are one transaction,
    so the crash (the transaction never commits) leaves neither, and the retry with the
    same key does the work exactly once."""
    import falcon.testing

    from sigopt_like.service import create_app
    from sigopt_like.service.middleware import idempotency

    database = str(tmp_path / "lost.db")
    body = {"name": "made once"}
    headers = {"Idempotency-Key": "answer-lost-1", "Content-Type": "application/json"}

    def die_before_answering(self: Any, req: Any, resp: Any, *args: Any) -> None:
        req.context.idempotent_call.abandon()  # the connection goes with the process

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(idempotency.IdempotencyMiddleware, "process_response", die_before_answering)
        with create_app(database=database) as dying:
            first = falcon.testing.TestClient(dying).simulate_post(
                "/v1/sessions", json=body, headers=headers
            )
    assert first.status_code == 201  # what the handler rendered; it never reached a client
    with create_app(database=database) as restarted:
        client = falcon.testing.TestClient(restarted)
        assert client.simulate_get("/v1/sessions").json["count"] == 0
        retry = client.simulate_post("/v1/sessions", json=body, headers=headers)
        assert retry.status_code == 201 and "Idempotent-Replayed" not in retry.headers
        again = client.simulate_post("/v1/sessions", json=body, headers=headers)
        assert again.headers["Idempotent-Replayed"] == "true" and again.json == retry.json
        listed = client.simulate_get("/v1/sessions").json
        assert [s["name"] for s in listed["data"]] == ["made once"]


SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    import sigopt_like
    from sigopt_like.spaces import Space
    space = Space.from_csv(sys.argv[2])
    conn = sigopt_like.Connection(database=sys.argv[1])
    session = conn.sessions.create(name="script", seed=5)
    campaign = conn.sessions(session.id)
    campaign.space.put(space=space, population_size=2500, replicates=0, wait=True)
    task = campaign.generate(wait=False)
    while campaign.tasks(task.id).fetch().status == "new":
        time.sleep(0.002)
    print(session.id, task.id, campaign.tasks(task.id).fetch().status, flush=True)
    os._exit(0)
    """
)


def test_embedded_script_exiting_mid_task(tmp_path: Path, clean_env: Any) -> None:
    database = tmp_path / "script.db"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(database), SPACE.to_csv()],
        capture_output=True,
        text=True,
        timeout=120,
        env=script_env(),
    )
    assert done.returncode == 0, done.stderr
    session_id, task_id, status = done.stdout.split()
    assert status == "running", "the task was not running when the script exited"
    assert integrity(str(database)) == "ok"
    with sigopt_like.Connection(database=database) as conn:  # the next script on the file
        campaign = conn.sessions(session_id)
        task = campaign.tasks(task_id).wait(timeout=240)  # taken over and finished
        # the script's task worker process saw the script gone and gave the task back
        # (not counted); the next script's worker ran it
        assert task.status == "success" and task.attempts == 1 and task.result.gen == 1
        assert campaign.fetch().name == "script" and campaign.fetch().gen == 1
        assert campaign.space.fetch() == SPACE
        assert [g.gen for g in campaign.history.fetch().generations] == [0, 1]
    assert integrity(str(database)) == "ok"


KILLED_SCRIPT = textwrap.dedent(
    """
    import sys, time
    import sigopt_like
    from sigopt_like.spaces import Space
    space = Space.from_csv(sys.argv[2])
    conn = sigopt_like.Connection(database=sys.argv[1])  # tasks in a worker process
    session = conn.sessions.create(name="killed", seed=5)
    campaign = conn.sessions(session.id)
    campaign.space.put(space=space, population_size=2500, replicates=0, wait=True)
    task = campaign.generate(wait=False)
    while campaign.tasks(task.id).fetch().status == "new":
        time.sleep(0.002)
    print(session.id, task.id, campaign.tasks(task.id).fetch().status, flush=True)
    time.sleep(600)  # until kill -9
    """
)


def test_a_task_whose_script_is_killed_says_so_not_that_its_worker_stopped_cleanly(
    tmp_path: Path, clean_env: Any
) -> None:
    """kill -9 of a script whose embedded service's worker process runs a task: the
    worker sees its service gone and gives the task back. Before, the task then said
    "requeued: its worker stopped cleanly", which nobody did; now it says the process
    running it ended without finishing it (killed or crashed) and what to do."""
    import falcon.testing

    from sigopt_like.service import create_app

    database = tmp_path / "killed.db"
    script = subprocess.Popen(
        [sys.executable, "-c", KILLED_SCRIPT, str(database), SPACE.to_csv()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=script_env(),
    )
    try:
        assert script.stdout is not None
        session_id, task_id, status = script.stdout.readline().split()
        assert status == "running"
        os.kill(script.pid, 9)
    finally:
        script.kill()
        script.wait(30)
    # a reader only: this service runs no task, so the task stays as the worker left it
    with create_app(database=str(database), run_tasks=False) as reader:
        client = falcon.testing.TestClient(reader)
        deadline = time.monotonic() + 60
        while True:
            task = client.simulate_get(f"/v1/sessions/{session_id}/tasks/{task_id}").json
            if task["status"] != "running":
                break
            assert time.monotonic() < deadline, "the worker never gave the task back"
            time.sleep(0.05)
    said = task["progress"]["message"]
    assert task["status"] == "new", task  # back in the queue, its run not counted
    assert "stopped cleanly" not in said, said
    assert f"the process running it (pid {script.pid}) ended without finishing it" in said
    assert "killed or crashed" in said and "re-run your script" in said, said
    assert integrity(str(database)) == "ok"

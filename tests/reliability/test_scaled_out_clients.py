"""Many clients at once against the scaled-out deployment of docs/service.md: two
``serve --no-tasks`` processes and two ``sigopt-like worker`` processes on one real
PostgreSQL (``tests/fixtures/postgres.py``; under CI a skip fails).

Half the SigOpt clients are ours, half the official sigopt-python, which retries only a
429: a 503 is an error to its user. Run by hand with 40 clients of 10 rounds, the pool's
15 connections (fewer than the apps' threads) made some wait past its 30 s and answered
503 (see ``store/db.py``'s ``POOL_CONNECTIONS``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

import sigopt_like
from sigopt_like.service.store import open_store
from tests.fixtures.faults import env_int
from tests.fixtures.servers import announced_url, start_command

#: clients at once, and suggest-observe rounds each (SIGOPT_LIKE_SCALED_CLIENTS=40
#: SIGOPT_LIKE_SCALED_ROUNDS=10 is the run by hand that found the pool's 503s)
CLIENTS = env_int("SIGOPT_LIKE_SCALED_CLIENTS", 10)
ROUNDS = env_int("SIGOPT_LIKE_SCALED_ROUNDS", 3)
PARAMETERS = [
    {"name": "x", "type": "double", "bounds": {"min": -5.0, "max": 10.0}},
    {"name": "n", "type": "int", "bounds": {"min": 0, "max": 15}},
    {"name": "c", "type": "categorical", "categorical_values": ["a", "b", "c"]},
]


class ScaledOut:
    """Two app processes and two workers on one database; ``urls``, ``token``."""

    def __init__(self, tmp_path: Path, database: str) -> None:
        store = open_store(database)  # makes the tables, as the first app would
        try:
            user = store.accounts.create_user("many@example.com")
            self.token = store.accounts.issue_token(user.id, name="test").token
        finally:
            store.close()
        self.processes: list[Any] = []
        self.logs: list[Path] = []
        self.urls: list[str] = []
        serve = ("serve", "--no-tasks", "--quiet-access", "--port", "0", "--threads", "24")
        for i in range(2):
            proc, log = start_command(tmp_path, f"app{i}", database, *serve)
            self.processes.append(proc)
            self.logs.append(log)
        for i in range(2):
            proc, log = start_command(tmp_path, f"worker{i}", database, "worker", "--threads", "2")
            self.processes.append(proc)
            self.logs.append(log)
        for proc, log in zip(self.processes[:2], self.logs[:2], strict=True):
            self.urls.append(announced_url(proc, log, r"serving on (http://\S+)"))

    def output(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in self.logs)

    def close(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.processes:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


@pytest.fixture
def scaled_out(tmp_path: Path, pg_url: str) -> Iterator[ScaledOut]:
    deployment = ScaledOut(tmp_path, pg_url)
    try:
        yield deployment
    finally:
        deployment.close()


def _value(a: dict[str, Any]) -> float:
    return -((a["x"] - 2) ** 2) - (a["n"] - 4) ** 2 + (1.0 if a["c"] == "b" else 0.0)


class Ledger:
    """What the clients were handed and sent, and what went wrong, across threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.suggested: list[tuple[str, tuple]] = []
        self.observed: list[tuple[str, str, float]] = []  # (observation, suggestion, value)
        self.open_now: dict[str, tuple] = {}
        self.open_twins: list[tuple] = []
        self.errors: list[str] = []

    def handed(self, sid: str, point: tuple) -> None:
        with self.lock:
            self.suggested.append((sid, point))
            if point in self.open_now.values():
                self.open_twins.append(point)
            self.open_now[sid] = point

    def reported(self, oid: str, sid: str, value: float) -> None:
        with self.lock:
            self.open_now.pop(sid, None)
            self.observed.append((oid, sid, value))


def _point(assignments: Any) -> tuple:
    return tuple(sorted((k, assignments[k]) for k in ("x", "n", "c")))


def _our_client(url: str, token: str, eid: str, ledger: Ledger) -> None:
    conn = sigopt_like.Connection(url, token)
    try:
        for _ in range(ROUNDS):
            s = conn.experiments(eid).suggestions.create()
            a = dict(s.assignments)
            ledger.handed(s.id, _point(a))
            o = conn.experiments(eid).observations.create(suggestion=s.id, value=_value(a))
            ledger.reported(o.id, s.id, _value(a))
    except Exception as exc:  # every failure is a finding, said at the end
        ledger.errors.append(f"ours: {type(exc).__name__}: {str(exc)[:300]}")
    finally:
        conn.close()


def _official_client(url: str, token: str, eid: str, ledger: Ledger) -> None:
    import sigopt

    conn = sigopt.Connection(client_token=token)
    conn.set_api_url(url)
    try:
        for _ in range(ROUNDS):
            s = conn.experiments(eid).suggestions().create()
            a = dict(s.assignments)
            ledger.handed(s.id, _point(a))
            o = conn.experiments(eid).observations().create(suggestion=s.id, value=_value(a))
            ledger.reported(o.id, s.id, _value(a))
    except Exception as exc:
        ledger.errors.append(f"sigopt: {type(exc).__name__}: {str(exc)[:300]}")


def test_many_clients_work_one_experiment_through_two_apps(scaled_out: ScaledOut) -> None:
    pytest.importorskip("sigopt")
    http = requests.Session()
    http.auth = (scaled_out.token, "")
    created = http.post(
        f"{scaled_out.urls[0]}/v1/experiments",
        json={
            "name": "many clients",
            "parameters": PARAMETERS,
            "metrics": [{"name": "v", "objective": "maximize"}],
            "parallel_bandwidth": CLIENTS,
            "observation_budget": CLIENTS * ROUNDS,
        },
        timeout=30,
    )
    assert created.status_code == 201, created.text
    eid = created.json()["id"]
    ledger = Ledger()
    threads = [
        threading.Thread(
            target=_our_client if i % 2 else _official_client,
            args=(scaled_out.urls[i % 2], scaled_out.token, eid, ledger),
        )
        for i in range(CLIENTS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not ledger.errors, (ledger.errors[:5], scaled_out.output())
    total = CLIENTS * ROUNDS
    assert len(ledger.suggested) == len({s for s, _ in ledger.suggested}) == total
    assert not ledger.open_twins, ledger.open_twins[:3]
    assert len({o for o, _, _ in ledger.observed}) == total
    for url in scaled_out.urls:
        e = http.get(f"{url}/v1/experiments/{eid}", timeout=30).json()
        assert e["progress"]["observation_count"] == total, e["progress"]
        listed = []
        page = http.get(f"{url}/v1/experiments/{eid}/observations", params={"limit": 1000}).json()
        listed = [(o["id"], o["suggestion"]) for o in page["data"]]
        assert len(listed) == total and len(set(listed)) == total, Counter(listed).most_common(2)
        assert sorted(listed) == sorted((o, s) for o, s, _ in ledger.observed)
        best = max(v for _, _, v in ledger.observed)
        assert e["progress"]["best_observation"]["values"][0]["value"] == pytest.approx(best)
        open_left = http.get(
            f"{url}/v1/experiments/{eid}/suggestions", params={"state": "open"}
        ).json()
        assert open_left["count"] == 0, open_left
    for log in scaled_out.logs:
        text = log.read_text()
        assert "Traceback" not in text and " 500 " not in text, text[-3000:]


#: a task's statuses in the order they may follow one another
_ORDER = {"new": 0, "running": 1, "success": 2, "failed": 2, "canceled": 2}
_FINISHED = ("success", "failed", "canceled")
SMALL_SPACE = {
    "type": "factorial",
    "parameters": [
        {"name": "a", "type": "numerical", "values": [0, 1, 2]},
        {"name": "b", "type": "numerical", "values": [0, 1, 2, 3]},
        {"name": "c", "type": "categorical", "values": ["x", "y", "z", "w"]},
    ],
}


class Watch:
    """What the watchers saw of the session's tasks, across threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: dict[str, list[tuple[int, str]]] = {}  # task -> [(version, status)]
        self.final: dict[str, dict[str, Any]] = {}  # task -> its finished form, as sent
        self.problems: list[str] = []
        self.streams = 0

    def saw(self, task: dict[str, Any], how: str) -> None:
        with self.lock:
            self.seen.setdefault(task["id"], []).append((task["version"], task["status"]))
            if task["status"] in _FINISHED:
                known = self.final.setdefault(task["id"], task)
                if (known["status"], known["version"]) != (task["status"], task["version"]):
                    self.problems.append(f"{how}: task {task['id']} finished twice: {task}")


def _watch(url: str, token: str, sid: str, done: threading.Event, watch: Watch) -> None:
    """Poll the session's tasks and follow the newest one's event stream, until ``done``."""
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    base = f"{url}/v1/sessions/{sid}"
    while not done.is_set():
        listed = http.get(f"{base}/tasks", params={"limit": 5}, timeout=60)
        if listed.status_code != 200:
            watch.problems.append(f"list: {listed.status_code} {listed.text[:200]}")
            return
        tasks = listed.json()["data"]
        if not tasks:
            continue
        newest = tasks[0]
        one = http.get(f"{base}/tasks/{newest['id']}", params={"wait": 1}, timeout=60)
        if one.status_code != 200:
            watch.problems.append(f"task: {one.status_code} {one.text[:200]}")
            return
        watch.saw(one.json(), "poll")
        if one.json()["status"] in _FINISHED:
            continue
        stream = f"{base}/tasks/{newest['id']}/events"
        with http.get(stream, params={"result": "omit"}, stream=True, timeout=60) as events:
            if events.status_code != 200:
                watch.problems.append(f"events: {events.status_code} {events.text[:200]}")
                return
            with watch.lock:
                watch.streams += 1
            last = None
            for line in events.iter_lines(decode_unicode=True):
                if line.startswith("data: "):
                    last = json.loads(line.removeprefix("data: "))
                    watch.saw(last, "stream")
            if last is None:
                watch.problems.append(f"a stream of task {newest['id']} sent no task")


def _run(http: requests.Session, url: str, method: str, path: str, body: Any) -> dict[str, Any]:
    """Start a task and wait for it (long polls); its finished form."""
    started = http.request(method, f"{url}{path}", json=body, timeout=60)
    assert started.status_code == 202, started.text
    task = started.json()
    while task["status"] not in _FINISHED:
        polled = http.get(
            f"{url}/v1/sessions/{task['session']}/tasks/{task['id']}",
            params={"wait": 10},
            timeout=60,
        )
        assert polled.status_code == 200, polled.text
        task = polled.json()
    assert task["status"] == "success", task
    return task


def test_watchers_follow_a_campaign_driven_through_the_other_app(scaled_out: ScaledOut) -> None:
    """One client generates and puts experiments through one app while 10 poll the
    session's tasks and follow their event streams through either: every answer a 200,
    each task's statuses never go back, and a finished task is the same wherever seen."""
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {scaled_out.token}"
    url = scaled_out.urls[0]
    sid = http.post(f"{url}/v1/sessions", json={"name": "watched"}, timeout=30).json()["id"]
    done = threading.Event()
    watch = Watch()
    watchers = [
        threading.Thread(
            target=_watch, args=(scaled_out.urls[i % 2], scaled_out.token, sid, done, watch)
        )
        for i in range(10)
    ]
    for t in watchers:
        t.start()
    try:
        body = {"space": SMALL_SPACE, "population_size": 8, "replicates": 1}
        _run(http, url, "PUT", f"/v1/sessions/{sid}/space", body)
        for _ in range(3):
            design = _run(http, url, "POST", f"/v1/sessions/{sid}/generate", None)
            table = design["result"]["experiments"]
            filled = http.post(
                f"{url}/v1/sessions/{sid}/responses/simulate", json={"table": table}, timeout=60
            )
            assert filled.status_code == 200, filled.text
            rows = {"columns": filled.json()["columns"], "rows": filled.json()["rows"]}
            _run(
                http,
                url,
                "POST",
                f"/v1/sessions/{sid}/experiments",
                {"type": "designed", "table": rows},
            )
    finally:
        done.set()
        for t in watchers:
            t.join(timeout=120)
    assert not watch.problems, (watch.problems[:5], scaled_out.output())
    listed = http.get(f"{url}/v1/sessions/{sid}/tasks", params={"limit": 100}, timeout=30).json()
    assert listed["count"] == 7 and all(t["status"] == "success" for t in listed["data"])
    for task in listed["data"]:
        seen = watch.seen.get(task["id"], [])
        by_version = sorted(seen)
        assert [_ORDER[s] for _, s in by_version] == sorted(_ORDER[s] for _, s in by_version)
        if task["id"] in watch.final:
            assert watch.final[task["id"]]["version"] == task["version"], task
    assert watch.streams > 0 and len(watch.seen) >= 3, (watch.streams, len(watch.seen))
    session = http.get(f"{url}/v1/sessions/{sid}", timeout=30).json()
    assert session["gen"] == 3, session
    for log in scaled_out.logs:
        text = log.read_text()
        assert "Traceback" not in text, text[-3000:]

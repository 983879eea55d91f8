"""Concurrency: threads sharing one Connection, processes sharing one SQLite file,
and clients racing on one session.

- 8 threads x 125 mixed calls on ONE Connection (served, and embedded): no error,
  and every thread gets back its own objects (names, ids, values), never another's;
- 3 processes x 50 session creations on one SQLite file (embedded users running
  scripts side by side): 150 sessions, no "database is locked" escaping;
- two clients racing to generate, or to put experiments, on one session: exactly one
  wins each race, the other gets a 409 ``task_running`` naming the running task.

Sizes: ``SIGOPT_LIKE_THREAD_CALLS`` (per thread), ``SIGOPT_LIKE_PROCESS_WRITES``
(per process), ``SIGOPT_LIKE_RACES``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import sigopt_like
from sigopt_like.data import sample_space
from sigopt_like.errors import ConflictError
from tests.fixtures.faults import env_int
from tests.reliability.test_crash_restart import script_env

pytestmark = [pytest.mark.reliability, pytest.mark.concurrency, pytest.mark.timeout(300)]

THREADS = 8
CALLS_PER_THREAD = env_int("SIGOPT_LIKE_THREAD_CALLS", 125)
PROCESSES = 3
WRITES_PER_PROCESS = env_int("SIGOPT_LIKE_PROCESS_WRITES", 50)
RACES = env_int("SIGOPT_LIKE_RACES", 4)


def _worker(conn: sigopt_like.Connection, k: int, calls: int, counts: Counter) -> None:
    """Mixed calls of thread ``k``; each answer is checked to be this thread's own."""
    prefix = f"thread{k}-"
    experiment = conn.experiments.create(
        name=f"{prefix}exp",
        type="random",
        observation_budget=1000,
        parameters=[{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
    )
    exp = conn.experiments(experiment.id)
    mine: dict[str, str] = {}
    made = 1
    i = 0
    while made < calls:
        i += 1
        kind = i % 6
        if kind == 0 or not mine:
            session = conn.sessions.create(name=f"{prefix}{i}", description=f"{k}:{i}")
            assert session.name == f"{prefix}{i}"
            mine[str(session.id)] = session.name
            counts["sessions"] += 1
        elif kind == 1:
            sid = list(mine)[i % len(mine)]
            got = conn.sessions(sid).fetch()
            assert (str(got.id), got.name) == (sid, mine[sid])
        elif kind == 2:
            sid = list(mine)[i % len(mine)]
            got = conn.sessions(sid).update(description=f"{k}:{i}:updated")
            assert (str(got.id), got.description) == (sid, f"{k}:{i}:updated")
        elif kind == 3:
            page = conn.sessions.list(q=prefix, limit=5)
            assert all(s.name.startswith(prefix) for s in page)
        elif kind == 4:
            sug = exp.suggestions().create()
            obs = exp.observations().create(suggestion=sug.id, value=float(k * 1000 + i))
            made += 1
            assert str(obs.suggestion) == str(sug.id) and obs.value == float(k * 1000 + i)
        else:
            got = conn.experiments(experiment.id).fetch()
            assert (str(got.id), got.name) == (str(experiment.id), f"{prefix}exp")
        made += 1
        counts[kind] += 1


def _run_threads(conn: sigopt_like.Connection) -> tuple[list[BaseException], Counter]:
    errors: list[BaseException] = []
    counts: Counter = Counter()
    lock = threading.Lock()

    def run(k: int) -> None:
        local: Counter = Counter()
        try:
            _worker(conn, k, CALLS_PER_THREAD, local)
        except BaseException as err:
            errors.append(err)
        with lock:
            counts.update(local)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
        assert not thread.is_alive()
    return errors, counts


@pytest.mark.parametrize("mode", ["served", "embedded"])
def test_one_connection_shared_by_threads(mode: str, request: Any, figures: Any) -> None:
    if mode == "served":
        served = request.getfixturevalue("served")
        conn = sigopt_like.Connection(served.url, served.token)
    else:
        conn = request.getfixturevalue("embedded_conn")
    with conn:
        errors, counts = _run_threads(conn)
        assert errors == [], errors[:3]
        sessions = list(conn.sessions.list(limit=1000))
        names = [s.name for s in sessions]
        assert len(names) == len(set(names)) == counts["sessions"]
    figures(
        mode=mode, threads=THREADS, calls=THREADS * CALLS_PER_THREAD, errors=len(errors), crossed=0
    )


SCRIPT = textwrap.dedent(
    """
    import sys
    import sigopt_like
    database, tag, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    made = 0
    with sigopt_like.Connection(database=database) as conn:
        for i in range(count):
            conn.sessions.create(name=f"{tag}-{i}", description="from " + tag)
            made += 1
        conn.sessions.list(limit=5)
    print(made)
    """
)


def test_processes_share_one_sqlite_file(tmp_path: Path, clean_env: Any, figures: Any) -> None:
    database = tmp_path / "shared.db"
    with sigopt_like.Connection(database=database) as conn:  # the schema exists first
        conn.sessions.list()
    children = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT, str(database), f"proc{p}", str(WRITES_PER_PROCESS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=script_env(),
        )
        for p in range(PROCESSES)
    ]
    outputs = [child.communicate(timeout=240) for child in children]
    for child, (out, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err[-2000:]
        assert "database is locked" not in err
        assert out.strip() == str(WRITES_PER_PROCESS)
    with sigopt_like.Connection(database=database) as conn:
        names = [s.name for s in conn.sessions.list(limit=1000)]
    expected = {f"proc{p}-{i}" for p in range(PROCESSES) for i in range(WRITES_PER_PROCESS)}
    assert len(names) == len(set(names)) == PROCESSES * WRITES_PER_PROCESS
    assert set(names) == expected
    figures(
        processes=PROCESSES,
        writes=PROCESSES * WRITES_PER_PROCESS,
        stored=len(names),
        lost=0,
        duplicates=0,
    )


def _race(calls: list) -> tuple[list, list[ConflictError]]:
    barrier = threading.Barrier(len(calls))
    wins: list = []
    conflicts: list[ConflictError] = []
    others: list[BaseException] = []

    def run(call: Any) -> None:
        barrier.wait()
        try:
            wins.append(call())
        except ConflictError as err:
            conflicts.append(err)
        except BaseException as err:
            others.append(err)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert others == [], others
    return wins, conflicts


def test_racing_clients_one_wins_the_other_gets_409(served: Any, figures: Any) -> None:
    """Generate races: one 202, one 409: ``task_running`` naming the winner's task, or,
    when the loser comes after that task ended, ``design_pending`` naming its generation.
    A put of experiments is stored so fast that the loser may come after the winner's
    task ended, and then it is a plain (idempotent) second put of the same table: each
    put race is run until the two overlap, and the store must hold every row once."""
    a = sigopt_like.Connection(served.url, served.token)
    b = sigopt_like.Connection(served.url, served.token)
    conflicts_seen = sequential_puts = late_losers = 0
    with a, b:
        session = a.sessions.create(name="race", seed=2)
        ca, cb = a.sessions(session.id), b.sessions(session.id)
        ca.space.put(
            space=sample_space("formulation-screen"), population_size=12, replicates=0, wait=True
        )
        for _ in range(RACES):
            wins, conflicts = _race(
                [lambda: ca.generate(wait=False), lambda: cb.generate(wait=False)]
            )
            assert len(wins) == 1 and len(conflicts) == 1, (wins, conflicts)
            err = conflicts[0]
            done = ca.tasks(wins[0].id).wait()
            assert err.status == 409 and err.code in ("task_running", "design_pending"), err
            if err.code == "task_running":  # the winner's task was still running
                assert f"Task {wins[0].id} (generate)" in err.message
                assert err.detail.get("task") == str(wins[0].id)
            else:  # it had finished: its design now waits for responses
                assert f"generation {done.result.gen} " in err.message
                late_losers += 1
            conflicts_seen += 1
            design = done.result.experiments
            measured = ca.responses.simulate(design)
            puts = [
                lambda c=c, t=measured: c.experiments.put(type="designed", table=t, wait=False)
                for c in (ca, cb)
            ]
            for _attempt in range(20):
                wins, conflicts = _race(puts)
                for task in wins:
                    assert ca.tasks(task.id).wait().status == "success"
                if conflicts:
                    assert len(wins) == 1 and len(conflicts) == 1, (wins, conflicts)
                    assert conflicts[0].code == "task_running"
                    assert f"Task {wins[0].id} (update)" in conflicts[0].message
                    conflicts_seen += 1
                    break
                sequential_puts += 1
            else:
                pytest.fail("20 put races in a row never overlapped")
        history = ca.history.fetch()
        designed = [g for g in history.generations if g.gen > 0]
        assert len(designed) == RACES  # each generation once, its experiments once
        assert all(len(g.table.rows) == 12 for g in designed)
    figures(
        races=2 * RACES,
        conflicts_409=conflicts_seen,
        generate_losers_after_the_task=late_losers,
        puts_not_overlapping=sequential_puts,
    )


def _walk_grid(url: str, token: str, eid: str) -> tuple[list[tuple], list[int]]:
    """One sigopt-python-style worker: suggest, observe, until the grid answers 409."""
    import requests

    http = requests.Session()
    http.auth = (token, "")  # the token as HTTP Basic user name, as sigopt-python sends it
    points: list[tuple] = []
    statuses: list[int] = []
    base = f"{url}/v1/experiments/{eid}"
    for _ in range(100):
        s = http.post(f"{base}/suggestions", json={}, timeout=60)
        statuses.append(s.status_code)
        if s.status_code != 201:
            break
        points.append(tuple(sorted(s.json()["assignments"].items())))
        o = http.post(f"{base}/observations", json={"suggestion": s.json()["id"], "value": 1.0})
        statuses.append(o.status_code)
    return points, statuses


def test_grid_search_workers_never_repeat_a_point(served: Any, figures: Any) -> None:
    """6 workers (threads, each its own HTTP session) walk one 20-point grid search,
    suggesting and observing until it answers 409: exactly 20 suggestions, each point
    once. A point suggested and observed by one worker while another's suggestion was
    being chosen was suggested again (the last check looked only at open suggestions),
    so 6 workers made up to 34 suggestions on 20 points."""
    import requests

    http = requests.Session()
    http.auth = (served.token, "")
    grid = {
        "name": "grid race",
        "type": "grid",
        "parameters": [
            {"name": "a", "type": "int", "bounds": {"min": 1, "max": 5}},
            {"name": "c", "type": "categorical", "categorical_values": ["p", "q", "r", "s"]},
        ],
    }
    repeats = 0
    for round_ in range(RACES):
        eid = http.post(f"{served.url}/v1/experiments", json={**grid, "seed": round_}).json()["id"]
        results: list[tuple[list[tuple], list[int]]] = []
        workers = [
            threading.Thread(
                target=lambda out=results, e=eid: out.append(
                    _walk_grid(served.url, served.token, e)
                )
            )
            for _ in range(6)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        points = [p for r in results for p in r[0]]
        statuses = Counter(s for r in results for s in r[1])
        repeats += len(points) - len(set(points))
        assert len(results) == 6 and set(statuses) <= {201, 409}, statuses
        assert len(points) == len(set(points)) == 20, Counter(points).most_common(3)
        assert statuses[409] == 6  # each worker ends on the exhausted grid
        count = http.get(f"{served.url}/v1/experiments/{eid}").json()["progress"]
        assert count["observation_count"] == 20
    figures(grid_rounds=RACES, workers=6, repeated_points=repeats)


@pytest.fixture
def served_on(either_database: str) -> Any:
    """A served instance (auth on, 16 request threads) on SQLite, then on PostgreSQL."""
    from sigopt_like.service import create_app
    from tests.fixtures.servers import IN_THREADS, ServedInstance

    database = either_database
    served = ServedInstance(
        create_app(database=database, auth_required=True, **IN_THREADS), database, threads=16
    )
    try:
        yield served
    finally:
        served.close()


def _at_once(count: int, call: Any) -> list[Any]:
    """``call()`` from ``count`` threads released together; their results."""
    barrier = threading.Barrier(count)
    results: list[Any] = []

    def run() -> None:
        barrier.wait()
        results.append(call())

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_one_experiments_writes_never_cross_on_either_store(served_on: Any) -> None:
    """8 clients at once: observing one suggestion stores ONE observation (the others
    409), and suggesting on a 6-point space gives 6 different points (the others 409).
    On PostgreSQL both checks read rows another transaction was writing: 8 observations
    of one suggestion stored up to 5, and 8 suggestions held as few as 3 points. Each
    experiment's writes now lock its row; SQLite's write transaction already did."""
    import requests

    def session() -> requests.Session:
        http = requests.Session()
        http.auth = (served_on.token, "")
        return http

    http, url = session(), f"{served_on.url}/v1/experiments"
    for round_ in range(RACES):
        e = http.post(
            url,
            json={
                "name": "race",
                "parameters": [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
                "seed": round_,
            },
        ).json()
        s = http.post(f"{url}/{e['id']}/suggestions", json={}).json()
        codes = _at_once(
            8,
            lambda e=e, s=s: (
                session()
                .post(f"{url}/{e['id']}/observations", json={"suggestion": s["id"], "value": 1.0})
                .status_code
            ),
        )
        assert sorted(codes) == [201] + [409] * 7, codes
        assert http.get(f"{url}/{e['id']}").json()["progress"]["observation_count"] == 1
        small = {
            "name": "race",
            "seed": round_,
            "parameters": [
                {"name": "a", "type": "int", "bounds": {"min": 1, "max": 3}},
                {"name": "c", "type": "categorical", "categorical_values": ["p", "q"]},
            ],
        }
        e = http.post(url, json=small).json()
        replies = _at_once(8, lambda e=e: session().post(f"{url}/{e['id']}/suggestions", json={}))
        made = [
            tuple(sorted(r.json()["assignments"].items())) for r in replies if r.status_code == 201
        ]
        assert sorted(r.status_code for r in replies) == [201] * 6 + [409] * 2
        assert len(set(made)) == 6, made


def test_concurrent_updates_of_one_run_all_merge(served_on: Any) -> None:
    """8 clients logging into one run at once (sigopt-python sends one MERGE per metric
    or metadata key): every key is kept, on SQLite and PostgreSQL."""
    import requests

    def session() -> requests.Session:
        http = requests.Session()
        http.auth = (served_on.token, "")
        return http

    http = session()
    client = http.get(f"{served_on.url}/v1/tokens/self").json()["client"]
    for _ in range(RACES):
        run = http.post(
            f"{served_on.url}/v1/clients/{client}/projects/race/training_runs", json={"name": "r"}
        ).json()
        path = f"{served_on.url}/v1/training_runs/{run['id']}"
        keys = iter(range(8))
        lock = threading.Lock()

        def log(keys: Any = keys, lock: Any = lock, path: str = path) -> int:
            with lock:
                i = next(keys)
            body = {"metadata": {f"k{i}": i}, "values": {f"m{i}": {"value": i}}}
            return session().request("MERGE", path, json=body).status_code

        assert _at_once(8, log) == [200] * 8
        merged = http.get(path).json()
        assert merged["metadata"] == {f"k{i}": i for i in range(8)}
        assert sorted(merged["values"]) == [f"m{i}" for i in range(8)]


def test_clients_starting_together_on_a_new_project(served_on: Any) -> None:
    """Processes started together with one new ``SIGOPT_PROJECT`` each GET it first
    (created on first use), then create AI experiments and runs in it; and 8 clients
    POST the same new project id. On PostgreSQL the losers of the project's insert broke
    its unique key: 500s on all three. Now the GETs all answer the one project, the
    creates all succeed in it, and the POSTs are one 201 and seven 409."""
    import requests

    def session() -> requests.Session:
        http = requests.Session()
        http.auth = (served_on.token, "")
        return http

    client = session().get(f"{served_on.url}/v1/tokens/self").json()["client"]
    base = f"{served_on.url}/v1/clients/{client}/projects"
    ai = {
        "name": "a",
        "parameters": [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
        "metrics": [{"name": "m"}],
    }
    for round_ in range(RACES):
        got = _at_once(8, lambda r=round_: session().get(f"{base}/get-{r}"))
        assert [g.status_code for g in got] == [200] * 8
        assert {g.json()["id"] for g in got} == {f"get-{round_}"}
        made = _at_once(8, lambda r=round_: session().post(f"{base}/ai-{r}/aiexperiments", json=ai))
        assert [m.status_code for m in made] == [201] * 8
        runs = _at_once(
            8, lambda r=round_: session().post(f"{base}/run-{r}/training_runs", json={"name": "r"})
        )
        assert [r.status_code for r in runs] == [201] * 8
        posted = _at_once(
            8, lambda r=round_: session().post(base, json={"id": f"new-{r}"}).status_code
        )
        assert sorted(posted) == [201] + [409] * 7
    listed = session().get(base, params={"limit": 1000}).json()
    assert listed["count"] == 4 * RACES  # each project once

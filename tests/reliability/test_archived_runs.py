"""An AI experiment archived with its runs (``DELETE …?include_runs=true``) while its
workers end their runs, on PostgreSQL behind a real server.

Ending a run locks the run's row, then its experiment's (it reports an observation);
the archive locked the experiment, then its runs: with a run ending meanwhile, the two
deadlocked and PostgreSQL failed one, a 503 "The database is busy" that sigopt-python
does not retry (31 of 180 run ends and 4 of 15 archives, 12 workers ending their runs
as the experiment was archived, in a run by hand over gunicorn). The archive then locked
the runs first, in the order a run's end did; that still deadlocked with the update of
a run made after the archive had locked the runs (the second test). Every write that
locks both now locks the experiment first: a run's end and update too.

To make the crossing certain, the first test holds the oldest run's row lock from a
connection of its own: the archive then stops at that run (the experiment locked),
and another run's end, sent meanwhile, waits for the experiment.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from sigopt_like.service import create_app
from tests.fixtures.faults import env_int
from tests.fixtures.servers import IN_THREADS, ServedInstance

pytestmark = [pytest.mark.reliability, pytest.mark.concurrency, pytest.mark.timeout(300)]


def _waiting(engine: sa.Engine, words: str) -> int:
    """Backends of the test's database waiting for a lock in a statement with ``words``."""
    with engine.connect() as conn:
        query = (
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database() AND query ILIKE :words"
        )
        return int(conn.execute(sa.text(query), {"words": f"%{words}%"}).scalar_one())


def _until(check: Any, what: str) -> None:
    for _ in range(600):
        if check():
            return
        time.sleep(0.05)
    pytest.fail(f"never: {what}")


def test_archiving_with_runs_while_a_run_ends(pg_url: str) -> None:
    app = create_app(database=pg_url, auth_required=True, **IN_THREADS)
    served = ServedInstance(app, pg_url, threads=8)
    engine = sa.create_engine(pg_url)
    try:
        http = requests.Session()
        http.auth = (served.token, "")
        url = served.url
        client = http.get(f"{url}/v1/tokens/self", timeout=30).json()["client"]
        definition = {
            "name": "archived",
            "parameters": [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
            "metrics": [{"name": "m"}],
            "parallel_bandwidth": 2,
        }
        made = http.post(
            f"{url}/v1/clients/{client}/projects/p/aiexperiments", json=definition, timeout=30
        )
        eid = made.json()["id"]
        oldest, ending = (
            http.post(f"{url}/v1/aiexperiments/{eid}/training_runs", json={}, timeout=60).json()
            for _ in range(2)
        )
        # the run to end is changed last: its row's newest version is the last one an
        # archive's scan meets, after the oldest run's (held below)
        merged = http.request(
            "MERGE", f"{url}/v1/training_runs/{ending['id']}", json={"metadata": {"k": 1}}
        )
        assert merged.status_code == 200, merged.text
        answers: dict[str, requests.Response] = {}

        def call(name: str, method: str, path: str, **kw: Any) -> threading.Thread:
            session = requests.Session()
            session.auth = (served.token, "")
            thread = threading.Thread(
                target=lambda: answers.setdefault(
                    name, session.request(method, f"{url}{path}", timeout=120, **kw)
                )
            )
            thread.start()
            return thread

        with engine.connect() as holder:
            holder.execute(
                sa.text("SELECT id FROM training_runs WHERE id = :id FOR UPDATE"),
                {"id": int(oldest["id"])},
            )
            archive = call(
                "archive", "DELETE", f"/v1/aiexperiments/{eid}", params={"include_runs": "true"}
            )
            _until(lambda: _waiting(engine, "training_runs"), "the archive waits for the run")
            end = call(
                "end",
                "PUT",
                f"/v1/training_runs/{ending['id']}",
                json={"state": "completed", "values": {"m": {"value": 1.0}}},
            )
            _until(
                lambda: "end" in answers or _waiting(engine, "SELECT sigopt_experiments.id"),
                "the run's end is answered, or waits for its experiment",
            )
            holder.rollback()
        archive.join(timeout=120)
        end.join(timeout=120)
        assert answers["archive"].status_code == 204, answers["archive"].text
        assert answers["end"].status_code == 200, answers["end"].text
        runs = [
            http.get(f"{url}/v1/training_runs/{run['id']}", timeout=30).json()
            for run in (oldest, ending)
        ]
        assert [run["deleted"] for run in runs] == [True, True], runs
        assert runs[1]["state"] == "completed", runs[1]
    finally:
        engine.dispose()
        served.close()


#: experiments archived, each while its clients make, update and end runs
ROUNDS = env_int("SIGOPT_LIKE_ARCHIVE_ROUNDS", 12)
#: clients per experiment, each making a run, then updating and ending it, in a loop
RUN_CLIENTS = env_int("SIGOPT_LIKE_ARCHIVE_CLIENTS", 8)


def test_archiving_with_runs_while_clients_make_update_and_end_runs(pg_url: str) -> None:
    """Many clients make runs of an AI experiment, update each at once (PUT), end it, and
    checkpoint and tag runs, while the experiment is archived with its runs; round after
    round. No answer is a 5xx; every archive is a 204 and archives every run made before
    it was asked for.

    A run made after an archive had locked the runs (it locked them first, then the
    experiment) was still archived by it, and the run's update, holding the run and
    waiting for the experiment, deadlocked with the archive: PostgreSQL failed one, a 503
    "The database is busy" (before the fix this test failed in 5 runs of 5, each on an
    archive answered 503; a run by hand of 16 clients mixing every run and experiment
    write for 60 s had 35 503s, among run updates and ends, archives, experiment
    updates, new runs and observations). Every write that locks both now locks the
    experiment first."""
    app = create_app(database=pg_url, auth_required=True, **IN_THREADS)
    served = ServedInstance(app, pg_url, threads=RUN_CLIENTS + 8)
    url = served.url
    failures: list[str] = []
    made: list[tuple[str, str, float]] = []  # (experiment, run, when it was answered)
    lock = threading.Lock()

    def session() -> requests.Session:
        http = requests.Session()
        http.auth = (served.token, "")
        return http

    def answered(name: str, answer: requests.Response) -> requests.Response:
        if answer.status_code >= 500:
            with lock:
                failures.append(f"{name}: {answer.status_code} {answer.text[:200]}")
        return answer

    try:
        http = session()
        client = http.get(f"{url}/v1/tokens/self", timeout=30).json()["client"]
        tag = http.post(
            f"{url}/v1/clients/{client}/tags", json={"name": "t", "color": "#AABBCC"}, timeout=30
        ).json()["id"]
        definition = {
            "parameters": [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
            "metrics": [{"name": "m"}],
            "parallel_bandwidth": 1000,
        }

        def runs_of(eid: str, stop: threading.Event) -> None:
            http = session()
            while not stop.is_set():
                new = answered(
                    "new run",
                    http.post(f"{url}/v1/aiexperiments/{eid}/training_runs", json={}, timeout=120),
                )
                if new.status_code != 201:
                    continue
                rid = new.json()["id"]
                with lock:
                    made.append((eid, rid, time.monotonic()))
                run = f"{url}/v1/training_runs/{rid}"
                answered("update", http.put(run, json={"metadata": {"k": 1}}, timeout=120))
                answered(
                    "checkpoint",
                    http.post(
                        f"{run}/checkpoints",
                        json={"values": [{"name": "m", "value": 0.5}]},
                        timeout=120,
                    ),
                )
                answered("tag", http.post(f"{run}/tags", json={"id": tag}, timeout=120))
                answered(
                    "end",
                    http.put(
                        run,
                        json={"state": "completed", "values": {"m": {"value": 1.0}}},
                        timeout=120,
                    ),
                )

        for number in range(ROUNDS):
            eid = http.post(
                f"{url}/v1/clients/{client}/projects/p/aiexperiments",
                json={**definition, "name": f"archived {number}"},
                timeout=60,
            ).json()["id"]
            stop = threading.Event()
            clients = [
                threading.Thread(target=runs_of, args=(eid, stop)) for _ in range(RUN_CLIENTS)
            ]
            for thread in clients:
                thread.start()
            time.sleep(0.5)
            asked = time.monotonic()
            archive = answered(
                "archive",
                http.delete(
                    f"{url}/v1/aiexperiments/{eid}", params={"include_runs": "true"}, timeout=120
                ),
            )
            stop.set()
            for thread in clients:
                thread.join(timeout=120)
            assert archive.status_code == 204, (number, archive.text)
            before = [rid for e, rid, when in made if e == eid and when < asked]
            assert before, "no run was made before the archive"
            for rid in before:
                run = http.get(f"{url}/v1/training_runs/{rid}", timeout=30).json()
                assert run["deleted"] is True, run
    finally:
        served.close()
    assert not failures, failures

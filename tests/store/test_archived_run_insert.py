"""A training run of an AI experiment made while the experiment is archived, on SQLite
and on PostgreSQL behind a real server.

``POST /v1/aiexperiments/{id}/training_runs`` stored its suggestion in one transaction
and its run in a second: an archive (``DELETE ...?include_runs=true``) answered between
the two left the run stored un-archived inside the archived experiment, where the
archive had promised every run archived. The suggestion and its run are now one
transaction, which holds the experiment's lock (its row's on PostgreSQL, the write
lock on SQLite) from the suggestion to the run: a run is made wholly before an archive
(and archived by it) or after it (refused, 409, as a new suggestion is).

To make the crossing certain, the test holds the run's request twice from the
engine's events, in its own thread only: right after its suggestion is inserted
(until the archive has been asked for), then before any transaction it would begin
after that suggestion (until the archive has answered). Before the fix the second
hold met the run's own transaction, and the archive answered in between.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from tests.fixtures.servers import ServedInstance

pytestmark = [pytest.mark.concurrency, pytest.mark.timeout(300)]

DEFINITION = {
    "parameters": [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
    "metrics": [{"name": "m"}],
    "parallel_bandwidth": 100,
}


class Holds:
    """Holds the request that inserts the next suggestion (in whichever server thread
    serves it) right after that insert, then at its first statement after a commit
    (before the BEGIN IMMEDIATE of SQLite, the first statement of PostgreSQL's
    implicit transaction: holding no lock)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.thread: int | None = None
        self.suggested = threading.Event()  # the suggestion is inserted (not committed)
        self.go_on = threading.Event()  # the archive has been asked for
        self.committed = threading.Event()  # the thread committed after the suggestion
        self.begun_after = threading.Event()  # then went on to a new transaction
        self.archived = threading.Event()  # the archive has answered

    def _mine(self) -> bool:
        return self.thread is not None and threading.get_ident() == self.thread

    def _executed(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self.thread is None and statement.startswith("INSERT INTO suggestions"):
            self.thread = threading.get_ident()
            self.suggested.set()
            self.go_on.wait(60)

    def _commit(self, conn: Any) -> None:
        if self._mine():
            self.committed.set()

    def _executing(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self._mine() and self.committed.is_set() and not self.begun_after.is_set():
            self.begun_after.set()
            self.archived.wait(60)

    def __enter__(self) -> Holds:
        sa.event.listen(self.engine, "after_cursor_execute", self._executed)
        sa.event.listen(self.engine, "commit", self._commit)
        sa.event.listen(self.engine, "before_cursor_execute", self._executing)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.go_on.set()
        self.archived.set()


def _session(served: ServedInstance) -> requests.Session:
    http = requests.Session()
    http.auth = (served.token, "")
    return http


def _runs(served: ServedInstance, eid: str) -> dict[int, bool]:
    """The experiment's runs as stored: archived (deleted) or not, by id."""
    with served.service.context.store.database.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT id, deleted FROM training_runs WHERE experiment_id = :e"),
            {"e": int(eid)},
        )
        return {int(rid): bool(deleted) for rid, deleted in rows}


def test_a_run_made_as_its_experiment_is_archived_is_archived_with_it(
    served_on_either: ServedInstance,
) -> None:
    served = served_on_either
    url, http = served.url, _session(served)
    client = http.get(f"{url}/v1/tokens/self", timeout=30).json()["client"]
    made = http.post(
        f"{url}/v1/clients/{client}/projects/p/aiexperiments",
        json={**DEFINITION, "name": "archived"},
        timeout=60,
    )
    assert made.status_code == 201, made.text
    eid = made.json()["id"]
    earlier = http.post(f"{url}/v1/aiexperiments/{eid}/training_runs", json={}, timeout=60)
    assert earlier.status_code == 201, earlier.text
    answers: dict[str, requests.Response] = {}

    def call(name: str, method: str, path: str, **kw: Any) -> threading.Thread:
        thread = threading.Thread(
            target=lambda: answers.setdefault(
                name, _session(served).request(method, f"{url}{path}", timeout=120, **kw)
            )
        )
        thread.start()
        return thread

    with Holds(served.service.context.store.database.engine) as holds:
        runner = call("run", "POST", f"/v1/aiexperiments/{eid}/training_runs", json={})
        assert holds.suggested.wait(60), "the run's suggestion was never inserted"
        archiver = call("archive", "DELETE", f"/v1/aiexperiments/{eid}?include_runs=true")
        time.sleep(0.5)  # the archive is asked for (and waits for the lock, if it must)
        holds.go_on.set()
        for _ in range(600):  # the run is answered, or held before a transaction of its own
            if "run" in answers or holds.begun_after.is_set():
                break
            time.sleep(0.05)
        if holds.begun_after.is_set():
            archiver.join(timeout=120)  # the archive answers between the two transactions
        holds.archived.set()
        runner.join(timeout=120)
        archiver.join(timeout=120)
    assert answers["archive"].status_code == 204, answers["archive"].text
    run = answers["run"]
    assert run.status_code in (201, 409), run.text
    runs = _runs(served, eid)
    assert all(runs.values()), f"a run was left un-archived in the archived experiment: {runs}"
    if run.status_code == 409:  # refused: nothing of it is left (no open suggestion)
        assert "archived" in run.json()["message"], run.json()
        assert set(runs) == {int(earlier.json()["id"])}, runs
    else:
        assert set(runs) == {int(earlier.json()["id"]), int(run.json()["id"])}, runs
    with served.service.context.store.database.engine.connect() as conn:
        open_ones = conn.execute(
            sa.text(
                "SELECT count(*) FROM suggestions s WHERE s.experiment_id = :e AND "
                "s.state = 'open' AND s.deleted = :no AND NOT EXISTS "
                "(SELECT 1 FROM training_runs r WHERE r.suggestion_id = s.id)"
            ),
            {"e": int(eid), "no": False},
        ).scalar_one()
    assert open_ones == 0, "a suggestion was left without its run"


def test_clients_making_runs_as_the_experiment_is_archived_leave_none_unarchived(
    served_on_either: ServedInstance,
) -> None:
    """Clients make runs without pause while the experiment is archived with its runs:
    each run is a 201 (and archived) or a 409 saying the experiment is archived; none
    is a 5xx, and none is left un-archived."""
    served = served_on_either
    url, http = served.url, _session(served)
    client = http.get(f"{url}/v1/tokens/self", timeout=30).json()["client"]
    eid = http.post(
        f"{url}/v1/clients/{client}/projects/p/aiexperiments",
        json={**DEFINITION, "name": "crowd"},
        timeout=60,
    ).json()["id"]
    stop = threading.Event()
    statuses: list[int] = []
    lock = threading.Lock()

    def runs() -> None:
        own = _session(served)
        while not stop.is_set():
            reply = own.post(f"{url}/v1/aiexperiments/{eid}/training_runs", json={}, timeout=120)
            with lock:
                statuses.append(reply.status_code)
            if reply.status_code == 409:
                assert "archived" in reply.json()["message"], reply.text
                return

    clients = [threading.Thread(target=runs) for _ in range(6)]
    for thread in clients:
        thread.start()
    time.sleep(0.5)
    archive = http.delete(
        f"{url}/v1/aiexperiments/{eid}", params={"include_runs": "true"}, timeout=120
    )
    time.sleep(0.2)
    stop.set()
    for thread in clients:
        thread.join(timeout=120)
    assert archive.status_code == 204, archive.text
    assert set(statuses) <= {201, 409}, statuses
    stored = _runs(served, eid)
    assert stored and all(stored.values()), stored
    assert len(stored) == statuses.count(201), (stored, statuses)

"""A task runner's own transactions on PostgreSQL are ended by the server once they sit
idle past ``worker.IDLE_IN_TRANSACTION_SECONDS``, so that a frozen runner (stopped,
swapped out, its host gone) gives back its task's row lock; before, it held it until its
connection dropped, and a cancel or a take-over of the task waited as long. Requests'
transactions get no such limit: an Idempotency-Key makes a request one transaction, which
may legitimately pause (a suggestion's engine, a large table checked).

The server is ``tests/fixtures/postgres.py``'s (a real PostgreSQL).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import sigopt_like
from sigopt_like.service import worker
from sigopt_like.service.resources.sigopt import suggestions
from sigopt_like.service.settings import ServiceSettings
from sigopt_like.service.store import open_store
from sigopt_like.service.store.database import is_unreachable_error
from sigopt_like.service.worker import Outcome, TaskRunner

#: the runner's timeout in these tests (the service's is a minute)
SHORT_SECONDS = 1.0


def test_a_frozen_runners_task_lock_is_released_after_the_timeout(pg_url, monkeypatch):
    """The runner's final transaction (``_complete``: the task's row locked, the result
    applied) freezes after locking the row; a cancel of the task goes through once the
    server ends that transaction, not when the frozen process wakes."""
    monkeypatch.setattr(worker, "IDLE_IN_TRANSACTION_SECONDS", SHORT_SECONDS)
    holder, writer = open_store(pg_url), open_store(pg_url)
    try:
        runner = TaskRunner(holder, ServiceSettings(database=pg_url), threads=0)
        owner = writer.accounts.local_user_id()
        session = writer.sessions.create(owner, "frozen", "", 1, int(time.time()))
        task = writer.tasks.start(owner, session.id, "generate", {}, int(time.time()))
        assert runner.claim() == task.id
        locked, failed = threading.Event(), []

        def frozen_apply(_result: dict[str, Any]) -> None:  # the process stops here
            locked.set()
            time.sleep(5 * SHORT_SECONDS)

        def complete() -> None:
            try:
                runner._complete(task.id, Outcome(result={}, apply=frozen_apply))
            except Exception as err:
                failed.append(err)

        frozen = threading.Thread(target=complete, daemon=True)
        frozen.start()
        assert locked.wait(30)
        started = time.monotonic()
        canceled = threading.Thread(
            target=writer.tasks.cancel,
            args=(owner, session.id, task.id, int(time.time())),
            daemon=True,
        )
        canceled.start()
        canceled.join(3.5 * SHORT_SECONDS)
        waited = time.monotonic() - started
        assert not canceled.is_alive(), "the cancel still waits for the frozen runner's lock"
        assert waited >= SHORT_SECONDS * 0.5, waited  # it did wait for the lock first
        shown = writer.tasks.get(session.id, task.id)
        assert shown.cancel_requested and shown.status == "running", shown
        frozen.join(30)
        # the frozen transaction is gone, nothing of it applied, and its runner is told
        # so as a lost connection (its task goes back to the queue), not as a bug
        assert len(failed) == 1 and is_unreachable_error(failed[0]), failed
    finally:
        holder.close()
        writer.close()


def test_the_runners_transactions_carry_the_timeout_and_others_none(pg_url, monkeypatch):
    monkeypatch.setattr(worker, "IDLE_IN_TRANSACTION_SECONDS", SHORT_SECONDS)
    store = open_store(pg_url)
    try:
        runner = TaskRunner(store, ServiceSettings(database=pg_url), threads=0)
        show = "SHOW idle_in_transaction_session_timeout"
        with runner.transaction() as unit:
            assert unit.connection().exec_driver_sql(show).scalar() == "1s"
        with store.atomic() as unit:
            assert unit.connection().exec_driver_sql(show).scalar() == "0"
        with store.database.read() as conn:  # SET LOCAL: the pooled connection keeps none
            assert conn.exec_driver_sql(show).scalar() == "0"
    finally:
        store.close()


def test_a_request_transaction_that_pauses_is_not_cut(pg_url, monkeypatch):
    """A store unit (what a request with an Idempotency-Key is) that pauses past the
    runner's timeout between two writes commits, and so does a suggestion request (the
    client sends an Idempotency-Key) whose engine takes as long; the runner's tasks run as
    before. A timeout on every connection (an earlier attempt) failed the unit's part."""
    monkeypatch.setattr(worker, "IDLE_IN_TRANSACTION_SECONDS", SHORT_SECONDS)
    engine = suggestions.suggester.choose_several

    def slow_engine(*args: Any, **kw: Any) -> Any:
        time.sleep(2.5 * SHORT_SECONDS)
        return engine(*args, **kw)

    monkeypatch.setattr(suggestions.suggester, "choose_several", slow_engine)
    conn = sigopt_like.Connection(database=pg_url, task_processes=0)
    try:
        store = conn.service.context.store
        e = conn.experiments.create(
            name="slow",
            parameters=[{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
            metrics=[{"name": "y"}],
            observation_budget=4,
        )
        for i in range(2):
            suggestion = conn.experiments(e.id).suggestions().create()
            conn.experiments(e.id).observations().create(suggestion=suggestion.id, value=i)
        assert conn.experiments(e.id).fetch().progress.observation_count == 2
        owner = store.accounts.local_user_id()
        with store.atomic():
            session = store.sessions.create(owner, "paused", "", 1, int(time.time()))
            time.sleep(2.5 * SHORT_SECONDS)  # idle inside the transaction, past the timeout
            store.sessions.create(owner, "paused-2", "", 1, int(time.time()))
        assert store.sessions.get(owner, session.id).name == "paused"
        space = sigopt_like.Space.from_dict(
            {
                "type": "factorial",
                "parameters": [
                    {"name": f"f{i}", "type": "numerical", "values": [0, 1, 2]} for i in range(3)
                ],
            }
        )
        s = conn.sessions.create(name="short")
        conn.sessions(s.id).space.put(space=space, population_size=6, replicates=1, wait=True)
        assert conn.sessions(s.id).simulate(ngens=2, wait=True).status == "success"
    finally:
        conn.close()

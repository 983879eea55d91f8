"""Transactions on PostgreSQL are ended by the server once they sit idle past their
limit, so that a frozen process (stopped, swapped out, its host gone) gives back its row
locks; before, it held them until its connection dropped, and every writer of those rows
waited as long. A task runner's own transactions have ``worker.IDLE_IN_TRANSACTION_SECONDS``;
every other transaction (a request's: with an Idempotency-Key the whole request is one)
its connection's, ``db.IDLE_IN_TRANSACTION_TIMEOUT_MS``: a minute each.

The server is ``tests/fixtures/postgres.py``'s (a real PostgreSQL).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

import sigopt_like
from sigopt_like.service import worker
from sigopt_like.service.resources.sigopt import suggestions
from sigopt_like.service.settings import ServiceSettings
from sigopt_like.service.store import open_store
from sigopt_like.service.store.refusals import is_unreachable_error
from sigopt_like.service.worker import Outcome, TaskRunner
from tests.fixtures.postgres import administrator

#: the runner's timeout in these tests (the service's is a minute)
SHORT_SECONDS = 1.0


def cancel_after_the_frozen_lock(writer: Any, owner: int, session_id: int, task_id: int) -> None:
    """Cancel the task from another thread: the cancel waits for the frozen transaction's
    row lock (at least half the shortened limit), then goes through once the server ends
    that transaction, within a few limits (not when the frozen process wakes)."""
    started = time.monotonic()
    canceled = threading.Thread(
        target=writer.tasks.cancel,
        args=(owner, session_id, task_id, int(time.time())),
        daemon=True,
    )
    canceled.start()
    canceled.join(3.5 * SHORT_SECONDS)
    waited = time.monotonic() - started
    assert not canceled.is_alive(), "the cancel still waits for the frozen transaction's lock"
    assert waited >= SHORT_SECONDS * 0.5, waited  # it did wait for the lock first


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
        cancel_after_the_frozen_lock(writer, owner, session.id, task.id)
        shown = writer.tasks.get(session.id, task.id)
        assert shown.cancel_requested and shown.status == "running", shown
        frozen.join(30)
        # the frozen transaction is gone, nothing of it applied, and its runner is told
        # so as a lost connection (its task goes back to the queue), not as a bug
        assert len(failed) == 1 and is_unreachable_error(failed[0]), failed
    finally:
        holder.close()
        writer.close()


def test_the_runners_transactions_carry_their_timeout_and_the_others_a_minute(pg_url, monkeypatch):
    monkeypatch.setattr(worker, "IDLE_IN_TRANSACTION_SECONDS", SHORT_SECONDS)
    store = open_store(pg_url)
    try:
        runner = TaskRunner(store, ServiceSettings(database=pg_url), threads=0)
        show = "SHOW idle_in_transaction_session_timeout"
        with runner.transaction() as unit:
            assert unit.connection().exec_driver_sql(show).scalar() == "1s"
        with store.atomic() as unit:
            assert unit.connection().exec_driver_sql(show).scalar() == "1min"
        with store.database.read() as conn:  # SET LOCAL: the pooled connection keeps its own
            assert conn.exec_driver_sql(show).scalar() == "1min"
    finally:
        store.close()


def test_a_request_transaction_that_pauses_is_not_cut(pg_url, monkeypatch):
    """A store unit (what a request with an Idempotency-Key is) that pauses past the
    runner's timeout between two writes commits (its own limit is a minute), and so does
    a suggestion request (the client sends an Idempotency-Key) whose engine takes as long;
    the runner's tasks run as before. A one-second timeout on every connection (an earlier
    attempt) failed the unit's part."""
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


#: a request's transaction in a process of its own: its first write (the Idempotency-Key's
#: claim, then a cancel of a task) locks rows, then it says so and waits to be frozen
_REQUEST_HOLDER = """
import sys, time
from sigopt_like.service.store import db, open_store
from sigopt_like.service.store.idempotency import KeyUse
db.IDLE_IN_TRANSACTION_TIMEOUT_MS = round(float(sys.argv[2]) * 1000)
store = open_store(sys.argv[1])
owner, session_id, task_id = map(int, sys.argv[3:6])
now = int(time.time())
store.idempotency.begin(KeyUse(owner, "frozen", "POST", "/v1/x", "0", now, 3600))
store.tasks.cancel(owner, session_id, task_id, now)
print("locked", flush=True)
time.sleep(600)
"""


def test_a_frozen_app_process_gives_its_request_locks_back(pg_url):
    """An app process stopped (SIGSTOP) inside a request's transaction, with the rows it
    wrote locked: another process's write of those rows waits, then goes on once the server
    ends the frozen session (its connection's idle limit, shortened here), not never. Before, a
    request's transaction had no limit, and the write waited as long as the process slept."""
    writer = open_store(pg_url)
    holder = None
    try:
        owner = writer.accounts.local_user_id()
        session = writer.sessions.create(owner, "frozen", "", 1, int(time.time()))
        task = writer.tasks.start(owner, session.id, "generate", {}, int(time.time()))
        argv = [pg_url, str(SHORT_SECONDS), str(owner), str(session.id), str(task.id)]
        holder = subprocess.Popen(
            [sys.executable, "-c", _REQUEST_HOLDER, *argv],
            cwd=Path(__file__).resolve().parents[2],  # this checkout's package
            stdout=subprocess.PIPE,
            text=True,
        )
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        os.kill(holder.pid, signal.SIGSTOP)  # frozen inside its transaction
        cancel_after_the_frozen_lock(writer, owner, session.id, task.id)
        assert writer.tasks.get(session.id, task.id).status == "canceled"
    finally:
        if holder is not None:
            holder.kill()  # a stopped process ends on SIGKILL too
            holder.wait(30)
        writer.close()


def test_a_timeout_the_database_sets_is_kept(pg_url):
    """A DBA's own figure (here the database's) is kept: the service's minute goes only
    where none is set."""
    name = sa.engine.make_url(pg_url).database
    with administrator(pg_url) as admin_says:
        admin_says(f"ALTER DATABASE {name} SET idle_in_transaction_session_timeout = '5min'")
    store = open_store(pg_url)
    try:
        with store.atomic() as unit:
            show = "SHOW idle_in_transaction_session_timeout"
            assert unit.connection().exec_driver_sql(show).scalar() == "5min"
    finally:
        store.close()


def test_a_migration_that_pauses_is_not_cut(pg_url, monkeypatch):
    """A schema migration's data steps work in Python between statements for as long as
    the data takes: it turns the connection's limit off for its own transaction, which,
    cut, would roll back and begin again at every start."""
    from sigopt_like.service.store import db, migrate

    engine = sa.create_engine(pg_url)
    with engine.connect() as conn, conn.begin():  # a database at the first revision
        migrate.upgrade(conn, "0001")
        conn.execute(sa.text("INSERT INTO meta (key, value) VALUES ('schema_version', '1')"))
    engine.dispose()
    upgrade = migrate.upgrade

    def slow_upgrade(conn: sa.Connection, *args: Any) -> None:  # a long data step
        time.sleep(2.5 * SHORT_SECONDS)
        upgrade(conn, *args)

    monkeypatch.setattr(db, "IDLE_IN_TRANSACTION_TIMEOUT_MS", round(SHORT_SECONDS * 1000))
    monkeypatch.setattr(migrate, "upgrade", slow_upgrade)
    store = open_store(pg_url)
    try:
        with store.database.read() as conn:
            assert migrate.current_revision(conn) == migrate.HEAD
    finally:
        store.close()


def test_a_request_whose_session_was_ended_while_it_idled_is_a_503_the_client_retries(
    pg_url, monkeypatch
):
    """A request's transaction idle past the limit (a process frozen, then woken) finds its
    session ended when it stores its answer with its Idempotency-Key: a 503 with
    Retry-After, which the client retries with the same key, as after a database restart.
    Before, that last step was a 500 "internal" and a traceback, which no client retries."""
    from sigopt_like.service.store import db
    from sigopt_like.service.store.sessions import SessionStore

    monkeypatch.setattr(db, "IDLE_IN_TRANSACTION_TIMEOUT_MS", round(SHORT_SECONDS * 1000))
    create = SessionStore.create
    frozen = []

    def create_then_freeze(self: SessionStore, *args: Any, **kw: Any) -> Any:
        made = create(self, *args, **kw)
        if not frozen:  # the first attempt only: the process stops after its write
            frozen.append(made.id)
            time.sleep(2.5 * SHORT_SECONDS)
        return made

    monkeypatch.setattr(SessionStore, "create", create_then_freeze)
    conn = sigopt_like.Connection(database=pg_url, task_processes=0)
    try:
        made = conn.sessions.create(name="woken")
        assert frozen and made.name == "woken"
        assert [s.name for s in conn.sessions.list()] == ["woken"]  # once, not twice
    finally:
        conn.close()


def test_requests_whose_sessions_ended_are_said_as_one_outage(pg_url, monkeypatch, caplog):
    """Three requests with an Idempotency-Key whose sessions the server ended while they
    idled (a process frozen, then woken) are three 503s said in one line, as the service's
    other 503s for a database that does not answer (its outage: once, with a count after).
    Before, a WARNING line a request: hundreds for one database restart under load."""
    import logging
    import uuid

    import requests

    from sigopt_like.service import create_app
    from sigopt_like.service.store import db
    from sigopt_like.service.store.sessions import SessionStore
    from tests.fixtures.servers import ServedInstance

    monkeypatch.setattr(db, "IDLE_IN_TRANSACTION_TIMEOUT_MS", round(SHORT_SECONDS * 1000))
    create = SessionStore.create

    def create_then_freeze(self: SessionStore, *args: Any, **kw: Any) -> Any:
        made = create(self, *args, **kw)
        time.sleep(2.5 * SHORT_SECONDS)  # the process stops after its write
        return made

    served = ServedInstance(
        create_app(database=pg_url, auth_required=True, run_tasks=False), pg_url
    )
    monkeypatch.setattr(SessionStore, "create", create_then_freeze)
    answers: list[requests.Response] = []

    def post(name: str) -> None:
        headers = {**served.headers(), "Idempotency-Key": uuid.uuid4().hex}
        url = f"{served.url}/v1/sessions"
        answers.append(requests.post(url, json={"name": name}, headers=headers, timeout=30))

    try:
        with caplog.at_level(logging.DEBUG, logger="sigopt_like"):
            posts = [threading.Thread(target=post, args=(f"frozen-{i}",)) for i in range(3)]
            for thread in posts:
                thread.start()
            for thread in posts:
                thread.join(30)
        assert [a.status_code for a in answers] == [503] * 3, [a.text for a in answers]
        said = [
            r.getMessage()
            for r in caplog.records
            if r.levelno >= logging.WARNING and "does not answer" in r.getMessage()
        ]
        assert len(said) == 1, said
        assert "(storing POST /v1/sessions's answer, request " in said[0], said
        assert said[0].endswith("; answering requests 503 until it does"), said
    finally:
        served.close()

"""A live worker keeps its task while the database is write-locked by another process.

Real parts: a SQLite file, the service's task runners, and a second connection to the
file (as another process's long write) holding the write lock for longer than a lease.
The lease is shortened (``LEASE_SECONDS``) so that the tests take seconds, not minutes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
import sqlalchemy as sa

from sigopt_like.service import create_app, worker
from sigopt_like.service.resources.tasks import lease_lapse_in, render_task
from sigopt_like.service.store import schema
from sigopt_like.service.worker import TaskRunner

from .conftest import Api

LEASE = 3


@contextlib.contextmanager
def _claimed(tmp_path, monkeypatch) -> Iterator[tuple[Any, Api, str, int, TaskRunner, str]]:
    """A service that runs no tasks of its own, one space task claimed by a runner (the
    live worker, which runs nothing but its heartbeat here): the service, its API, the
    task's URL and id, that runner and the database file."""
    monkeypatch.setattr(worker, "LEASE_SECONDS", LEASE)
    path = str(tmp_path / "lease.db")
    with create_app(database=path, run_tasks=False) as service:
        api = Api(service)
        sid = api.session()
        task = api.queue_space(sid)
        live = TaskRunner(service.context.store, service.settings, threads=0)
        assert live.claim() == int(task["id"])
        yield service, api, f"/v1/sessions/{sid}/tasks/{task['id']}", int(task["id"]), live, path


@contextlib.contextmanager
def _write_lock(path: str) -> Iterator[sqlite3.Connection]:
    """Another writer's transaction on the file, holding its write lock for the block."""
    other = sqlite3.connect(path, isolation_level=None, timeout=60)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield other
        other.execute("COMMIT")
    finally:
        other.close()


def _in_thread(call: Any) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(call()), daemon=True)
    thread.start()
    return thread, out


def _heartbeat_of(service: Any, task_id: int) -> int:
    with service.context.store.database.read() as conn:
        query = sa.select(schema.tasks.c.heartbeat).where(schema.tasks.c.id == task_id)
        return int(conn.execute(query).scalar_one())


def test_a_beat_that_waited_for_the_lock_writes_when_it_got_it(tmp_path, monkeypatch):
    """The worker's beat waits for another writer longer than a lease. Before, it wrote
    the time it began waiting: its lease was lapsed the moment it was renewed, and the
    next runner to look took the live worker's task over."""
    with _claimed(tmp_path, monkeypatch) as (service, api, url, task_id, live, path):
        with _write_lock(path):
            beat, _ = _in_thread(live.heartbeat)
            time.sleep(LEASE + 1.5)
            released = time.time()
        beat.join(30)
        assert _heartbeat_of(service, task_id) >= int(released) - 1
        other = TaskRunner(service.context.store, service.settings, threads=0)
        assert other.heartbeat() == []
        assert api.get(url).body["status"] == "running"


def test_a_lease_that_lapsed_while_the_judge_waited_is_judged_at_its_next_beat(
    tmp_path, monkeypatch
):
    """Another runner's beat waits for the same lock; once it is free, that runner's next
    beat may come before the worker's (whichever gets the lock first). Before, it judged
    the worker's lease at that moment, lapsed while both waited, and took the task of the
    live worker over. Now it judges it at its next beat, by when the worker has renewed
    it; a worker that did not renew it (stopped) is taken over then, one beat later."""
    with _claimed(tmp_path, monkeypatch) as (service, api, url, task_id, live, path):
        other = TaskRunner(service.context.store, service.settings, threads=0)
        with _write_lock(path):
            time.sleep(0.5)
            judge, _ = _in_thread(other.heartbeat)  # reads, then waits to say it runs
            time.sleep(LEASE + 1.5)
        judge.join(30)
        assert other.heartbeat() == [], api.get(url).body  # before the worker's beat
        assert api.get(url).body["status"] == "running"
        live.heartbeat()
        assert other.heartbeat() == []
        # the worker stops beating (stopped): its lease lapses and it is taken over
        time.sleep(LEASE + 1.5)
        assert other.heartbeat() == [task_id]
        assert api.get(url).body["status"] == "new"


def test_a_take_over_waiting_for_the_lock_applies_nothing_once_the_lease_is_renewed(
    tmp_path, monkeypatch
):
    """A runner judges a lease lapsed, then its take-over waits for the write lock, which
    the worker gets first and renews its lease with. Before, the take-over applied all
    the same: the live worker lost its task to a decision made on a stale read."""
    with _claimed(tmp_path, monkeypatch) as (service, api, url, task_id, live, path):
        lapsed = int(time.time()) - LEASE - 2
        with service.context.store.database.write() as conn:
            conn.execute(
                sa.update(schema.tasks).where(schema.tasks.c.id == task_id).values(heartbeat=lapsed)
            )
        other = TaskRunner(service.context.store, service.settings, threads=0)
        with _write_lock(path) as lock:
            judge, taken = _in_thread(other.recover)  # reads, judges, waits for the lock
            time.sleep(1.0)
            # the worker's beat, in the transaction that had the lock first
            lock.execute("UPDATE tasks SET heartbeat = ? WHERE id = ?", (int(time.time()), task_id))
        judge.join(30)
        assert taken == [[]], api.get(url).body
        task = api.get(url).body
        assert task["status"] == "running" and task["attempts"] == 1, task
        assert live.heartbeat() == []


def test_a_lapsed_lease_whose_worker_still_runs_says_so(tmp_path, monkeypatch, caplog):
    """A task whose worker's lease lapsed while its process still runs on this host (a
    real process: the worker id names it). Before, the task's ``warnings`` said its worker
    "is gone (its lease lapsed, or its process ended)", and the runner that took it over
    logged "took over the tasks of stopped workers": neither true of a running worker.
    Now both say the lease lapsed though the process still runs, and what becomes of the
    task; a worker whose process ended still "is gone"."""
    with _claimed(tmp_path, monkeypatch) as (service, api, url, task_id, _, _):
        alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        try:
            host = socket.gethostname()
            with service.context.store.database.write() as conn:
                conn.execute(
                    sa.update(schema.tasks)
                    .where(schema.tasks.c.id == task_id)
                    .values(worker=f"{host}:{alive.pid}:x", heartbeat=int(time.time()) - 10)
                )
            [warning] = api.get(url).body["warnings"]
            assert "is gone" not in warning, warning
            # the lease in force, not the figure imported at start (it said "20 s")
            assert f"its {LEASE} s lease lapsed" in warning, warning
            assert f"though its process (pid {alive.pid} on this host) still runs" in warning
            assert "this run not counted" in warning, warning
            caplog.set_level(logging.WARNING, logger="sigopt_like.service.worker")
            other = TaskRunner(service.context.store, service.settings, threads=0)
            assert other.heartbeat() == [task_id]
            [said] = [r.getMessage() for r in caplog.records if "took over" in r.getMessage()]
            assert f"tasks [{task_id}]: their worker's lease lapsed though its process " in said
            assert "stopped workers" not in said, said
        finally:
            alive.kill()
            alive.wait()
        assert other.run_one() is True  # the task runs; then, as if a worker that ended ran it:
        assert api.get(url).body["status"] == "success"
        ended = attrs.evolve(
            service.context.store.tasks.find(task_id),
            status="running",
            worker=f"{host}:{alive.pid}:x",
            heartbeat=int(time.time()),
        )
        [gone] = render_task(ended, now=service.context.store.tasks.lease_now())["warnings"]
        assert f"is gone: its process (pid {alive.pid} on this host) has ended" in gone, gone


def test_a_dead_worker_s_process_id_given_to_another_process_is_not_taken_for_it(
    tmp_path, monkeypatch
):
    """A worker's process ended and its id was given to an unrelated process (a real one
    here: the id is this child's, the start time in the name another's, as a reused id
    would have). Before, only the id was asked: the dead worker passed for alive, its
    task was left running until its lease lapsed and then requeued as a live worker's,
    its run not counted (a task that crashes its worker could run for ever). A worker's
    name now says when its process started, and the take-over counts the run at once."""
    assert worker.process_start(os.getpid()) is not None, "needs Linux's /proc"
    with _claimed(tmp_path, monkeypatch) as (service, api, url, task_id, live, _):
        assert live.worker_id.split(":")[3] == str(worker.process_start(os.getpid()))
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        try:
            started = worker.process_start(child.pid)
            assert started is not None
            host = socket.gethostname()
            itself, reused = (f"{host}:{child.pid}:x:{at}" for at in (started, started + 1))
            assert worker.worker_alive(itself, int(time.time()))
            assert not worker.worker_alive(reused, int(time.time()))
            assert worker.worker_alive(f"{host}:{child.pid}:x", int(time.time()))  # older
            with service.context.store.database.write() as conn:
                conn.execute(
                    sa.update(schema.tasks)
                    .where(schema.tasks.c.id == task_id)
                    .values(worker=reused, heartbeat=int(time.time()))
                )
            other = TaskRunner(service.context.store, service.settings, threads=0)
            assert other.heartbeat() == [task_id]  # at once: its lease is fresh
            task = api.get(url).body
            assert task["status"] == "new" and "ended during run 1" in task["progress"]["message"]
        finally:
            child.kill()
            child.wait()


def test_a_waiting_client_waits_for_the_lease_in_force(tmp_path, monkeypatch):
    """A long poll or an event stream waits until a running task's lease lapses: the
    lease in force (shortened here), not the 20 s read when the module was imported,
    which kept a waiting client 17 s past the moment its task's warnings appeared."""
    with _claimed(tmp_path, monkeypatch) as (service, _, _, task_id, _, _):
        now = time.time()
        running = attrs.evolve(service.context.store.tasks.find(task_id), heartbeat=int(now))
        wait = lease_lapse_in(running, now)
        assert wait is not None and wait <= LEASE + 2, wait


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_worker_whose_clock_is_skewed_keeps_its_task(engine, tmp_path, monkeypatch, request):
    """A worker whose host's clock is a minute behind (a runner with its clock skewed, here
    in one process) claims a task and beats; runners judging by clocks right and a minute
    ahead take nothing over, and once that worker stops beating its lease lapses as any
    does. Before, a lease was written by the worker's clock and judged by the judge's:
    skewed by more than the lease, the live worker lost its task at the judge's first
    beat (on PostgreSQL, workers on several hosts)."""
    monkeypatch.setattr(worker, "LEASE_SECONDS", LEASE)
    database = (
        str(tmp_path / "skew.db") if engine == "sqlite" else request.getfixturevalue("pg_url")
    )
    with create_app(database=database, run_tasks=False) as service:
        store, settings = service.context.store, service.settings
        api = Api(service)
        sid = api.session()
        task_id = int(api.queue_space(sid)["id"])
        url = f"/v1/sessions/{sid}/tasks/{task_id}"
        behind = TaskRunner(store, settings, threads=0, clock=lambda: time.time() - 60)
        assert behind.claim() == task_id
        judge = TaskRunner(store, settings, threads=0)
        ahead = TaskRunner(store, settings, threads=0, clock=lambda: time.time() + 60)
        for _ in range(2):
            assert judge.heartbeat() == [], api.get(url).body  # before: [task_id]
            assert ahead.heartbeat() == [], api.get(url).body
            behind.heartbeat()
            time.sleep(1.0)
        task = api.get(url).body
        assert task["status"] == "running" and task["attempts"] == 1, task
        time.sleep(LEASE + 1.5)  # it stops beating: its lease lapses, and only then
        assert judge.heartbeat() == [task_id]
        assert api.get(url).body["status"] == "new"

"""The runner promise (``TaskStore.promise_runner``): which process starts a worker for
the tasks waiting on a database shared by several (scripts on one file), and whether a
runner with a free thread takes them instead."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from sigopt_like.service.store import Store, open_store
from sigopt_like.service.store.tasks import TaskStore


@pytest.fixture
def tasks(store: Store) -> TaskStore:
    """The task store of ``store``: on SQLite, then on PostgreSQL (tests/store/conftest.py)."""
    return store.tasks


def test_one_process_holds_the_promise_until_it_lapses(tasks) -> None:
    assert tasks.promise_runner("script-a", 0.5)
    assert not tasks.promise_runner("script-b", 5.0)  # a's stands: b starts no worker
    assert tasks.promise_runner("script-a", 0.5)  # a renews its own
    time.sleep(0.8)  # lapsed, to the millisecond (tasks.created holds whole seconds)
    assert tasks.promise_runner("script-b", 5.0)
    assert not tasks.promise_runner("script-a", 5.0)


def test_a_free_runners_promise_stands_over_a_starting_processs(tasks) -> None:
    assert tasks.promise_runner("script-a", 0.3)
    assert tasks.promise_runner("warm-worker", 3.0, free=True)  # reaches further: taken
    assert not tasks.promise_runner("script-a", 5.0)  # a finds it taken: starts none
    # a shorter free promise leaves a longer one standing (both runners are free)
    assert tasks.promise_runner("other-worker", 0.1, free=True)
    time.sleep(0.3)
    assert not tasks.promise_runner("script-b", 5.0)  # the 3 s one stood, not the 0.1 s


def test_of_many_processes_asking_at_once_one_gets_the_promise(tasks) -> None:
    """Eight threads, each as a process's queue watch seeing a task wait: one starts a
    worker. Before the promise, each did (three idle scripts: three workers)."""
    start = threading.Barrier(8)
    got: list[str] = []
    errors: list[BaseException] = []

    def ask(name: str) -> None:
        try:
            start.wait(10)
            if tasks.promise_runner(name, 5.0):
                got.append(name)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=ask, args=(f"script-{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert len(got) == 1, got


def test_a_holder_that_stops_withdraws_its_promise_and_no_other(tasks) -> None:
    """A runner or process that stops ends its own promise: a task queued next starts a
    worker at once rather than waiting for the promise to lapse."""
    assert tasks.promise_runner("warm-worker:1", 5.0, free=True)
    tasks.withdraw_runner_promise("warm-worker")  # another holder: its name's end only
    tasks.withdraw_runner_promise("script-a")
    assert not tasks.promise_runner("script-a", 5.0)
    tasks.withdraw_runner_promise("warm-worker:1")
    assert tasks.promise_runner("script-a", 5.0)


def test_a_promise_reaching_further_than_any_is_made_counts_as_lapsed(tasks) -> None:
    """A promise whose end lies far ahead, its holder gone (written before the clock
    was stepped back, or by a PostgreSQL primary whose clock ran ahead of the one failed
    over to): it counts as lapsed. Before, it was honoured until the clock reached it,
    and the queued tasks waited as long (an hour, for an hour)."""
    import sqlalchemy as sa

    from sigopt_like.service.store.tasks import LONGEST_RUNNER_PROMISE_SECONDS, META
    from sigopt_like.service.task_processes import START_PROMISE_SECONDS
    from sigopt_like.service.worker import FREE_PROMISE_SECONDS

    # every promise made stands in full: the bound lies past the longest of them
    assert max(START_PROMISE_SECONDS, FREE_PROMISE_SECONDS) < LONGEST_RUNNER_PROMISE_SECONDS

    def write(seconds_ahead: float) -> None:
        with tasks._db.write() as conn:
            conn.execute(sa.delete(META).where(META.c.key == "task_runner_promise"))
            value = f"{time.time() + seconds_ahead:.3f}\tgone-host:999999:gone:1"
            conn.execute(META.insert().values(key="task_runner_promise", value=value))

    write(3600.0)
    assert tasks.promise_runner("script-a", 5.0)  # before: refused for an hour
    write(3600.0)
    assert tasks.promise_runner("warm-worker", 3.0, free=True)  # written, not left standing
    assert not tasks.promise_runner("script-a", 5.0)  # the warm worker's stands now
    write(START_PROMISE_SECONDS)  # one as long as is made stands
    assert not tasks.promise_runner("script-a", 5.0)


@pytest.mark.parametrize("seconds", [0.0, -1.0, 3600.0, float("nan")])
def test_a_promise_longer_than_any_is_made_is_refused(tasks, seconds: float) -> None:
    with pytest.raises(ValueError, match="runner promise lasts"):
        tasks.promise_runner("script-a", seconds)
    assert tasks.promise_runner("script-b", 5.0)  # nothing was written


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_an_idle_runner_writes_its_promise_only_as_it_nears_its_end(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A runner with nothing to run (a ``sigopt-like worker`` kept warm): over 6 s its free
    promise stands the whole while, written about every 2 s (as it nears its end), not
    once a second as before (one write a second per idle process, on SQLite each one the
    file's write lock, taken from the users' writes). The writes counted are the store's
    own statements on the promise's row."""
    import sqlalchemy as sa

    from sigopt_like.service.settings import ServiceSettings
    from sigopt_like.service.store.tasks import RUNNER_PROMISE_KEY
    from sigopt_like.service.worker import FREE_PROMISE_SECONDS, TaskRunner

    database = (
        str(tmp_path / "idle.db") if engine == "sqlite" else request.getfixturevalue("pg_url")
    )
    store = open_store(database)
    writes: list[float] = []

    def count(conn, cursor, statement: str, parameters, context, many) -> None:
        written = statement.lstrip().upper().startswith(("UPDATE", "INSERT"))
        if written and "meta" in statement and RUNNER_PROMISE_KEY in repr(parameters):
            writes.append(time.monotonic())

    sa.event.listen(store.database.engine, "before_cursor_execute", count)
    runner = TaskRunner(store, ServiceSettings(database=database), handlers={}, threads=1)
    try:
        runner.start()
        deadline = time.monotonic() + 10
        while store.tasks.runner_promise_holder() != runner.worker_id:
            assert time.monotonic() < deadline, "the idle runner made no promise"
            time.sleep(0.02)
        first = len(writes)
        watched = time.monotonic()
        while time.monotonic() - watched < 6.0:  # it stands all the while
            assert store.tasks.runner_promise_holder() == runner.worker_id
            time.sleep(0.05)
        renewals = len(writes) - first
        # before: 6 (one a second); as it nears its end: every 2 s, 3 (4 on a slow beat)
        assert 6.0 / FREE_PROMISE_SECONDS <= renewals <= 4, renewals
    finally:
        runner.shutdown()
        sa.event.remove(store.database.engine, "before_cursor_execute", count)
        store.close()


def test_a_worker_takes_over_its_services_start_promise_in_one_step(tasks) -> None:
    """A worker process, free, takes over the start promise its service took for it
    (``replacing``): its own stands where that one stood, written in one transaction.
    Without ``replacing`` a free runner leaves a start promise reaching further standing,
    and its holder's withdrawal would leave nothing standing; another holder's promise is
    not replaced."""
    assert tasks.promise_runner("script-a", 5.0)
    assert tasks.promise_runner("worker-1", 3.0, free=True)  # a's reaches further: stands
    assert tasks.runner_promise_holder() == "script-a"
    assert tasks.promise_runner("worker-1", 3.0, free=True, replacing="script-b")
    assert tasks.runner_promise_holder() == "script-a"  # not b's: a's stands
    assert tasks.promise_runner("worker-1", 3.0, free=True, replacing="script-a")
    assert tasks.runner_promise_holder() == "worker-1"
    tasks.withdraw_runner_promise("script-a")  # the script closing: nothing of its own
    assert tasks.runner_promise_holder() == "worker-1"
    assert not tasks.promise_runner("script-c", 5.0)  # the worker takes the tasks

"""The task runner: threads that claim ``new`` tasks from the database and run them.

One claim loop serves both deployments: inside a service process (a thread
pool of ``settings.task_threads``) and standalone for a scaled-out deployment::

    SIGOPT_LIKE_DATABASE='postgresql+psycopg://...' python -m sigopt_like.service.worker

Claiming is a transaction that turns the oldest ``new`` task into ``running``
(``SELECT ... FOR UPDATE SKIP LOCKED`` where the database has it; SQLite's
``BEGIN IMMEDIATE`` serializes writers). A handler computes its result without
touching the session, reporting progress and checking for cancellation between
steps; the runner then applies the result and marks the task ``success`` in one
final transaction, so a failed, canceled or interrupted task changes nothing (but
for what a canceled task's handler keeps of its finished work: a simulate task's
finished generations, applied the same way).

Leases: a running task names its ``worker`` (``host:pid:uuid:start``) and holds a lease
that the worker renews with a ``heartbeat`` every ``HEARTBEAT_SECONDS``. A task
whose worker is gone (its process no longer exists on this host, or its lease is
older than ``LEASE_SECONDS``, written and judged by the database's clock, so that hosts
whose clocks disagree judge it alike) is taken over: put back in the queue, to be run again
from its start by whichever runner claims it (another worker, or the restarted
one). Every write of a run is fenced by its worker: progress, and the final
transaction that applies the result, only happen while the task is still
``running`` *by that worker*, so a run that was taken over (its worker only
seemed dead) applies nothing, and nothing is applied twice. A task is run at
most ``settings.task_max_attempts`` times; when its worker stops during the last
one, it is failed, saying how often it was interrupted. A lease that lapsed while
its worker's process still runs on this host (its heartbeats kept out by a busy
database) is taken over too, but that run is not counted: nothing stopped. A
runner that shuts down cleanly gives its tasks back to the queue without using up
an attempt.
The heartbeat renews only the tasks the runner's threads run, so that a task
claimed under its name whose claim's answer was lost lapses and is given back.

A runner with a free thread (its claim found no task) says so in the store's runner
promise (``TaskStore.promise_runner``) for ``FREE_PROMISE_SECONDS``, renewed as it nears its end: a
process on the same database that queues a task then leaves it to this runner instead
of starting a worker process of its own (:mod:`.task_processes`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from .. import csvio
from ..database_targets import (
    UnusableDatabase,
    check,
    describe_opening_error,
    first_line,
    redact_database_url,
    shared,
)
from .domain.tasks import (
    GIVEN_BACK_MESSAGE,
    INTERRUPTED_MESSAGE,
    SYSTEM,
    TaskError,
    given_up_message,
    lapsed_message,
    orphaned_message,
    requeued_message,
)
from .failures import DatabaseOutage, RepeatedFailures
from .log_redaction import redact_handlers
from .settings import ServiceSettings
from .store import Store
from .store.database import Unit
from .store.errors import Busy, Conflict, DatabaseGone, StorageFull, Unreadable, Unwritable
from .store.refusals import (
    connection_refused,
    is_connection_limit_error,
    is_unreachable_error,
)
from .store.schema import tasks as tasks_table
from .store.tasks import TaskRecord

if TYPE_CHECKING:
    import argparse

LOG = logging.getLogger("sigopt_like.service.worker")

#: how often a runner renews the leases of its tasks (and looks for stopped workers)
HEARTBEAT_SECONDS = 5.0
#: a lease not renewed for this long means the worker is gone (another host: no pid to ask)
LEASE_SECONDS = 20
POLL_SECONDS = 0.5
#: how long a runner with a free thread promises to take the queued tasks (the store's
#: runner promise: a process that queues one then starts no worker of its own,
#: :mod:`.task_processes`), renewed while it has one: a runner that became busy, or
#: stopped, holds the tasks queued meanwhile this long at most
FREE_PROMISE_SECONDS = 3.0
#: a free runner renews its promise once it ends within this long (it looks at each empty
#: claim, every :data:`POLL_SECONDS`): one write every 2 s or so while idle. Before, it
#: wrote every :data:`FREE_RENEW_SECONDS`, one write a second per idle runner for nothing
FREE_RENEW_MARGIN_SECONDS = 1.0
#: how soon a free runner tries again after its promise was not written (a hiccup)
FREE_RENEW_SECONDS = 1.0
#: how long a runner's own transaction (a claim, progress, a heartbeat, a task's end) may
#: sit idle between two statements on PostgreSQL before the server ends its session:
#: they never pause (their longest gap measured with a real worker: milliseconds), so
#: only a frozen runner (stopped, swapped out, its host gone) reaches it, and then its
#: row locks go with it instead of holding every cancel and take-over of the task until
#: its connection drops. Three leases: by then the runner is taken for gone anyway.
#: Every other transaction (a request's) has its connection's minute
#: (``store.db.IDLE_IN_TRANSACTION_TIMEOUT_MS``)
IDLE_IN_TRANSACTION_SECONDS = 3.0 * LEASE_SECONDS
JOIN_SECONDS = 10.0
#: the longest worker name the ``tasks.worker`` column holds
WORKER_NAME_CHARS: int = tasks_table.c.worker.type.length  # type: ignore[attr-defined]
#: a beat that took longer than this waited for the database (its writes take
#: milliseconds): the leases that lapsed meanwhile are judged at the next beat
WAITED_SECONDS = 1.0
#: while the database keeps failing, a runner waits up to this long between claims
FAILING_POLL_SECONDS = 5.0


def time_limit_passed(limit: float) -> str:
    """A task's failure past its time limit, the limit in whole seconds as written
    (``3600``, not ``3600.0`` as a setting given as a float, the default included, read)."""
    shown = str(int(limit)) if float(limit).is_integer() else repr(float(limit))
    return f"the task ran longer than the limit of {shown} s"


def lease_seconds() -> int:
    """The lease length in force, read at each call: words and waits elsewhere that said
    an imported copy of :data:`LEASE_SECONDS` kept saying 20 s once it was shortened (as
    the lease tests do), where the judgement of a lease (:func:`worker_alive`) used the
    shorter one."""
    return LEASE_SECONDS


class TaskCanceled(Exception):
    """Raised inside a handler when its task was asked to stop.

    ``kept``: what of the work done before the cancel the task keeps (an
    :class:`Outcome` with ``canceled=True``, applied in the final transaction as a
    success's would be), or None: the session stays as it was."""

    def __init__(self, kept: Outcome | None = None) -> None:
        super().__init__("canceled")
        self.kept = kept


class TaskInterrupted(Exception):
    """Raised inside a handler when the runner shuts down."""


class TaskTakenOver(Exception):
    """Raised inside a handler whose task another runner took over (this run's lease
    lapsed): this run stops and records nothing."""


class TaskFailure(Exception):
    """Raised by a handler to fail its task with these errors."""

    def __init__(self, errors: list[TaskError]) -> None:
        super().__init__(errors[0].message if errors else "the task failed")
        self.errors = errors


@attrs.define
class Outcome:
    """What a handler hands back: the task's result, and how to apply it.

    ``apply(result)`` runs inside the final transaction (with the task still
    running, and not canceled unless this outcome is what a canceled task keeps): the
    store calls it makes join that transaction.
    It writes the session's new state and may return entries to add to the
    result (e.g. ``next_task``); a store Conflict from it fails the task.
    """

    result: dict[str, Any]
    apply: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None
    message: str = "done"
    #: this outcome ends the task ``canceled`` (work kept from before a cancel), not
    #: ``success``
    canceled: bool = False
    #: what to keep if the cancel comes after the handler returned (before the final
    #: transaction): an outcome with ``canceled=True``, or None to keep nothing
    on_cancel: Outcome | None = None


Handler = Callable[["TaskContext"], Outcome]


class TaskContext:
    """What a handler gets: its task's inputs, progress reporting and cancellation checks."""

    def __init__(self, runner: TaskRunner, task: TaskRecord) -> None:
        self.runner = runner
        self.store = runner.store
        self.settings = runner.settings
        self.task_id: int = task.id
        self.session_id: int = task.session_id
        self.owner_id: int = task.owner_id
        self.type: str = task.type
        self.params: dict[str, Any] = runner.store.tasks.params(task.id)
        self._started = time.monotonic()

    def check(self) -> None:
        """Stop here if the task was canceled, the runner stops, or time ran out."""
        if self.runner.stopping:
            raise TaskInterrupted()
        limit = self.settings.task_time_limit_seconds
        if limit and time.monotonic() - self._started > limit:
            raise TaskFailure([TaskError(time_limit_passed(limit), "execution")])
        state = self.store.tasks.run_state(self.task_id)
        if state is not None and (state[1] != "running" or state[2] != self.runner.worker_id):
            raise TaskTakenOver()
        if state is None or state[0]:
            raise TaskCanceled()

    def progress(self, phase: str, fraction: float, message: str = "") -> None:
        """Report a phase and a fraction done (0..1); also a cancellation check."""
        self.check()
        with self.runner.transaction():
            self.store.tasks.progress(
                self.task_id,
                self.runner.worker_id,
                phase,
                max(0.0, min(1.0, float(fraction))),
                message or phase,
            )
        self.runner.notify_change()


def worker_identity() -> str:
    """``host:pid:uuid:start`` naming this runner: ``start`` is when its process started
    (:func:`process_start`), so that a later process given the same id is not taken for
    it (:func:`local_worker_runs`); left out where it is not known (not Linux), or where
    it would make the name longer than the ``tasks.worker`` column holds."""
    pid = os.getpid()
    name = f"{socket.gethostname()}:{pid}:{uuid.uuid4().hex[:12]}"
    started = process_start(pid)
    full = f"{name}:{started}" if started is not None else name
    return full if len(full) <= WORKER_NAME_CHARS else name


def _what_the_database_did(err: BaseException) -> str:
    """What a task's requeue says the database did (``"requeued: the database ..."``):
    busy with other writers, refusing a connection for want of one (max_connections), or
    not answering (down, restarting). A refused read is said with its own words.

    A crowd is asked first: the store translates one into :class:`~.store.errors.Busy`
    (a 503 with Retry-After), so asked second it was said "was busy with other changes"."""
    if is_connection_limit_error(err):
        return "refused a connection (max_connections reached)"
    if isinstance(err, Busy):
        return "was busy with other changes"
    return "did not answer"


def _refused_a_connection(refused: Unreadable) -> bool:
    """Whether a refusal is of a new connection (the role's credentials or CONNECT, or
    its database gone), not of a read."""
    return connection_refused(refused.__cause__ or refused, None) is not None


class TaskRunner:
    """Claims and runs tasks with a pool of threads; recovers tasks of dead workers.

    ``handlers`` maps task types to functions ``handler(TaskContext) -> Outcome``
    (default: :func:`sigopt_like.service.task_kinds.default_handlers`).
    ``recover_new``: also fail ``new`` tasks left from before this runner
    started. Off by default: runners on one database share one queue (two
    embedded scripts on one file, or app processes and standalone workers), so
    a task still ``new`` is simply run by whichever runner claims it.
    """

    def __init__(
        self,
        store: Store,
        settings: ServiceSettings,
        *,
        handlers: Mapping[str, Handler] | None = None,
        threads: int | None = None,
        recover_new: bool = False,
        on_finish: Callable[[str, str, float], None] | None = None,
        on_submit: Callable[[], None] | None = None,
        on_change: Callable[[], None] | None = None,
        outage: DatabaseOutage | None = None,
        clock: Callable[[], float] = time.time,
        start_promise: str | None = None,
    ) -> None:
        if handlers is None:
            from .task_kinds import default_handlers

            handlers = default_handlers()
        self.store = store
        self.settings = settings
        self.handlers = dict(handlers)
        self.threads = settings.task_threads if threads is None else threads
        self.recover_new = recover_new
        #: this host's clock, for the times a task shows (its start, its end): a lease is
        #: written and judged by the database's (``TaskStore.lease_now``), never by it
        self.clock = clock
        self.on_finish = on_finish
        #: called by submit() too: wakes the worker processes of a service that has them
        self.on_submit = on_submit
        #: called by notify_change() too: a worker process tells its service (task_processes)
        self.on_change = on_change
        #: when a task last ended or was asked for (``stop_if_idle``)
        self.last_active = time.monotonic()
        self._running = 0  # threads claiming or running a task
        #: the tasks this runner's threads run: the only leases its heartbeat renews
        self._mine: set[int] = set()
        self._active = threading.Lock()
        self.worker_id = worker_identity()
        self.started_at = int(self.clock())
        self._stop = threading.Event()
        self._wake = threading.Event()
        #: an event, not a condition: a change reported while the task watch reads
        #: versions is kept for its next wait (a condition's notify found no one
        #: waiting and was lost: the watch slept its whole poll interval)
        self._changed = threading.Event()
        self._threads: list[threading.Thread] = []
        self._starting = threading.Lock()
        #: said once for all of this runner's loops (and its service's, which hands it in)
        self.outage = outage if outage is not None else DatabaseOutage()
        self._claim_failures = RepeatedFailures("claiming a task", LOG, self.outage)
        self._beat_failures = RepeatedFailures("heartbeat", LOG, self.outage)
        #: ends of tasks the database did not take (it was down): written by the heartbeat
        #: once it answers, before it renews the leases that would hold them forever
        self._unrecorded: dict[int, Callable[[], Any]] = {}
        self._unrecorded_lock = threading.Lock()
        #: what a task this runner gives back as it stops says (``shutdown(reason=)``)
        self._give_back_message = GIVEN_BACK_MESSAGE
        #: when the last beat began, if it waited for the database (see :meth:`heartbeat`)
        self._waited_from: float | None = None
        #: when this runner last tried to promise to take the queued tasks, and until when
        #: a promise reaching as far as its own stands (monotonic clock)
        self._promised_at: float | None = None
        self._promise_stands_until = 0.0
        #: the holder of the runner promise its service took to start this worker
        #: (:mod:`.task_processes`), until this runner takes it over: its first free
        #: promise replaces it, or, every thread having claimed a task, it is withdrawn
        self._start_promise = start_promise

    # ----- lifecycle

    @property
    def stopping(self) -> bool:
        """Whether ``shutdown`` was called."""
        return self._stop.is_set()

    def start(self) -> TaskRunner:
        """Take over the tasks of stopped workers, then start the worker and heartbeat threads.

        A runner without threads (an app process of a scaled-out deployment)
        only signals changes; it neither recovers nor runs tasks.
        """
        if not self.threads:
            return self
        self.recover(include_new=self.recover_new)
        try:  # at once, so that a scaled-out service's /ready need not wait for a beat
            with self.transaction():
                self.store.tasks.runner_seen()  # by the database's clock
        except Unwritable as err:
            # a read-only database: reads still work and each write says it to whoever
            # asked (an embedded command's one line); a runner that lives on is told again
            # by its heartbeat. Before, every embedded command printed this line first.
            LOG.debug("could not say this runner runs (%s)", first_line(err))
        except Exception as err:  # the heartbeat says it again in HEARTBEAT_SECONDS
            LOG.warning("could not say this runner runs (%s)", first_line(err))
        for i in range(self.threads):
            thread = threading.Thread(
                target=self._work_loop, name=f"sigopt-like-task-{i}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        if self.threads:
            beat = threading.Thread(
                target=self._heartbeat_loop, name="sigopt-like-beat", daemon=True
            )
            beat.start()
            self._threads.append(beat)
        return self

    def start_threads(self, threads: int) -> None:
        """Run tasks in this process from now on, in ``threads`` threads (a service whose
        worker processes could not start); nothing if it already does or is stopping."""
        with self._starting:
            if self._threads or self.stopping or threads <= 0:
                return
            self.threads = threads
            self.start()
        self._wake.set()

    def running_tasks(self) -> list[Any]:
        """The records of the tasks this runner's threads run now (those a stop would
        interrupt), by id; an empty list if the database cannot be read."""
        with self._active:
            mine = sorted(self._mine)
        found = []
        for task_id in mine:
            try:
                row = self.store.tasks.find(task_id)
            except Exception:  # the database is gone: the stop is said without them
                continue
            if row is not None:
                found.append(row)
        return found

    def stopping_because(self, message: str) -> None:
        """What a task this runner gives back as it stops will say (before
        :meth:`shutdown`; by default, that its worker was stopped)."""
        self._give_back_message = message

    def shutdown(self, timeout: float = JOIN_SECONDS) -> None:
        """Stop the threads; a running task stops at its next check as interrupted.

        A task whose thread has not reached that check within ``timeout`` (a long step of
        its engine, a loaded machine) is given back all the same, its run not counted:
        its thread's later writes find it no longer this runner's and apply nothing.
        Before, it stayed ``running`` under this runner, and once the process ended (a
        worker process exits right after) it was taken over as interrupted, its lost run
        counted, although the worker had stopped cleanly."""
        self._stop.set()
        self._wake.set()
        self.notify_change()
        if self._promised_at is not None:  # a task queued from now on is not left to it
            try:
                with self.transaction():
                    self.store.tasks.withdraw_runner_promise(self.worker_id)
            except Exception as err:  # it lapses by itself
                LOG.debug("could not withdraw this runner's promise (%s)", first_line(err))
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads = [t for t in self._threads if t.is_alive()]
        if self._threads:
            with self._active:
                still_running = sorted(self._mine)
            for task_id in still_running:
                self._give_back(task_id)

    # ----- signals between threads

    def submit(self) -> None:
        """Wake the workers: a task was created (by this process, or by the service of a
        worker process, which writes a line to its standard input)."""
        with self._active:
            self.last_active = time.monotonic()
        self._wake.set()
        if self.on_submit is not None:
            self.on_submit()

    def notify_change(self) -> None:
        """Wake whoever waits for a task change (long polls, event streams)."""
        self._changed.set()
        if self.on_change is not None:
            self.on_change()

    def wait_for_change(self, timeout: float) -> None:
        """Sleep until a task of this process changes or ``timeout`` passes; a change
        reported since this last returned ends it at once. One caller (the service's
        task watch), which reads the tasks after this returns: the change is cleared
        before that read, so none reported meanwhile is missed."""
        if self._changed.wait(timeout):
            self._changed.clear()

    # ----- claiming and running

    def transaction(self, *, savepoints: bool = False) -> contextlib.AbstractContextManager[Unit]:
        """One of this runner's own transactions: on PostgreSQL, ended by the server (its
        row locks released) if it idles for :data:`IDLE_IN_TRANSACTION_SECONDS`. Without
        ``savepoints`` (a block of one write, whose error ends it anyway) each write costs
        no SAVEPOINT and RELEASE round trips, as a write outside a unit did."""
        return self.store.bounded(IDLE_IN_TRANSACTION_SECONDS, savepoints=savepoints)

    def claim(self) -> int | None:
        """Turn the oldest ``new`` task into ``running`` for this worker; its id or None."""
        with self.transaction():
            task = self.store.tasks.claim(self.worker_id, int(self.clock()))
        if task is None:
            return None
        with self._active:
            self._mine.add(task.id)
            busy = len(self._mine) >= self.threads
            handed = self._start_promise if busy else None
            if handed is not None:
                self._start_promise = None
        if handed is not None:  # busy from its first moment: another process starts one
            self._withdraw_start_promise(handed)
        self.notify_change()
        return task.id

    def _withdraw_start_promise(self, holder: str) -> None:
        """End the start promise its service took for this worker, now that every thread
        runs a task (claimed: no longer queued, so nobody finds it unpromised)."""
        try:
            with self.transaction():
                self.store.tasks.withdraw_runner_promise(holder)
        except Exception as err:  # it lapses by itself
            LOG.debug("could not withdraw the start promise (%s)", first_line(err))

    def run_one(self) -> bool:
        """Claim and run one task in this thread; False if there was none (or the runner
        stops)."""
        with self._active:
            if self._stop.is_set():
                return False
            self._running += 1
        ran = False
        try:
            task_id = self.claim()
            if task_id is None:
                return False
            ran = True
            try:
                self.execute(task_id)
            finally:
                with self._active:
                    self._mine.discard(task_id)
            return True
        finally:
            with self._active:
                self._running -= 1
                if ran:
                    self.last_active = time.monotonic()

    def stop_if_idle(self, seconds: float) -> bool:
        """Stop (claim nothing more) if no task ran, was claimed or was asked for in the
        last ``seconds``; False, and nothing changes, otherwise. A task that runs longer
        than ``seconds`` keeps its runner: it is work, not idleness."""
        with self._active:
            if self._running or time.monotonic() - self.last_active <= seconds:
                return False
            self._stop.set()
        self._wake.set()
        return True

    def execute(self, task_id: int) -> None:
        """Run a claimed task to its end (success, failed or canceled)."""
        try:
            row = self.store.tasks.find(task_id)
        except Exception as err:
            # claimed, then not read (the database failed in between): back to the queue.
            # Before, the error went up to the claim loop and the task stayed ``running``
            # under this runner, whose heartbeat kept renewing its lease: nobody ran it
            # while this runner lived.
            # Its message says why: a read refused (the role, the table, the GRANT) or a
            # busy database was "did not answer" before, which sent its reader to look
            # for an outage.
            LOG.warning(
                "task %s could not be read after its claim (%s); it goes back to the queue",
                task_id,
                first_line(err),
            )
            what = _what_the_database_did(err)
            unread = err if isinstance(err, Unreadable) else None
            self._record(
                task_id,
                lambda: self._requeue_after_outage(
                    task_id, during_run=False, what=what, refused=unread
                ),
            )
            return
        if row is None:
            return
        started = time.monotonic()
        status = "failed"
        try:
            context = TaskContext(self, row)
            handler = self.handlers.get(row.type)
            if handler is None:
                raise TaskFailure([TaskError(f"no handler for task type '{row.type}'", SYSTEM)])
            status = self._complete(task_id, self._outcome(handler, context))
        except TaskCanceled:
            status = "canceled"
            self._finish(task_id, "canceled", message="canceled; the session is unchanged")
        except TaskInterrupted:
            status = "requeued"
            self._give_back(task_id)
        except TaskTakenOver:
            status = "taken over"
            LOG.warning("task %s was taken over by another runner; this run stops", task_id)
        except TaskFailure as failure:
            self._finish(task_id, "failed", errors=failure.errors, message=str(failure))
        except (DatabaseGone, Unwritable) as gone:
            # not a bug, and nothing can be written: one line, no traceback
            status = "stopped"
            LOG.warning("task %s (%s) stops: %s", task_id, row.type, gone.message)
        except Unreadable as refused:
            # the service's PostgreSQL role was refused a read (its SELECT, or USAGE on its
            # schema, revoked): not a bug and not the task's fault, so one WARNING line
            # naming the GRANT, and the task goes back to the queue (up to
            # ``task_max_attempts`` runs), to run again once its administrator grants it.
            # Before, it failed "unexpectedly: Unreadable" with a traceback in the log.
            LOG.warning("task %s (%s) stops: %s", task_id, row.type, refused.message)
            if row.attempts < self.settings.task_max_attempts:
                status = "requeued"
                unread = refused
                self._record(task_id, lambda: self._requeue_after_outage(task_id, refused=unread))
                return
            # a connection refused (credentials, CONNECT, the database gone) is no read
            # refused: "refused it a read" sent its reader to the role's SELECT
            what = "refused it" if _refused_a_connection(refused) else "refused it a read"
            message = (
                f"{row.type} could not run: the service's database {what} through "
                f"{row.attempts} runs, and the session is unchanged. {refused.message}"
            )
            self._finish(task_id, "failed", errors=[TaskError(message, SYSTEM)], message=message)
        except StorageFull:
            # not a bug: say what to do (it read "failed unexpectedly: StorageFull: ...
            # nothing of this request was stored ... send it again")
            LOG.warning("task %s (%s): the database has no room left", task_id, row.type)
            message = (
                f"{row.type} could not store its result: the service's database has no "
                "room left (its disk or quota is full), and the session is unchanged. Free "
                "space where the database is kept, then run it again."
            )
            self._finish(task_id, "failed", errors=[TaskError(message, SYSTEM)], message=message)
        except Busy as busy:
            if is_connection_limit_error(busy):  # a crowd (max_connections): as an outage
                status = "requeued"
                self._requeue_for_database(task_id, row.type, busy)
                return
            # other writers held the database past its busy timeout (SQLite), or a lock or
            # serialisation timeout (PostgreSQL): not the task's fault, so it runs again, up
            # to ``task_max_attempts`` runs. Before, it failed "unexpectedly: Busy" (found
            # with 32 embedded clients in separate processes on one SQLite file).
            if row.attempts < self.settings.task_max_attempts:
                status = "requeued"
                LOG.warning(
                    "task %s (%s): the database was busy during its run (%s); it goes back "
                    "to the queue",
                    task_id,
                    row.type,
                    busy.message,
                )
                what = _what_the_database_did(busy)
                self._record(task_id, lambda: self._requeue_after_outage(task_id, what=what))
                return
            message = (
                f"{row.type} could not be stored: the database stayed busy with other "
                f"changes through {row.attempts} runs of the task, and the session is "
                "unchanged. Run it again when the database is less busy."
            )
            LOG.warning("task %s (%s): %s", task_id, row.type, message)
            self._finish(task_id, "failed", errors=[TaskError(message, SYSTEM)], message=message)
        except Exception as exc:
            crowded = is_connection_limit_error(exc)  # max_connections: not an outage
            if crowded or is_unreachable_error(exc):  # not the task's fault: it runs again
                status = "requeued"
                self._requeue_for_database(task_id, row.type, exc)
                return
            # a bug or an unexpected condition: report, never hang
            LOG.exception("task %s (%s) failed", task_id, row.type)
            message = f"the task failed unexpectedly: {type(exc).__name__}: {exc}"
            self._finish(
                task_id, "failed", errors=[TaskError(message, "execution")], message=message
            )
        finally:
            # counted before its waiters are woken, who may look (one that polls the
            # database can see the task's end a moment before: the count follows its commit)
            if self.on_finish is not None:
                try:
                    self.on_finish(row.type, status, time.monotonic() - started)
                except Exception:  # metrics must never break a task
                    LOG.exception("task metrics failed")
            self.notify_change()
            self._wake.set()  # a chained task may be waiting

    @staticmethod
    def _outcome(handler: Handler, context: TaskContext) -> Outcome:
        """The handler's outcome; on a cancel, what the task keeps of its work (a handler
        may keep some: a simulate task its finished generations), else TaskCanceled; a
        task asked to cancel that fails is canceled too."""
        try:
            outcome = handler(context)
        except TaskCanceled as canceled:
            if canceled.kept is None:
                raise
            return canceled.kept
        except TaskFailure:
            # asked to cancel while it ran: it ends canceled, whatever stopped it (a halt
            # that came between its claim and its reading of the session failed it with
            # "The session is halted", a validation error, before)
            context.check()
            raise
        try:
            context.check()
        except TaskCanceled:
            if outcome.on_cancel is None:
                raise
            return outcome.on_cancel
        return outcome

    def _complete(self, task_id: int, outcome: Outcome) -> str:
        tasks = self.store.tasks
        try:
            with self.transaction(savepoints=True):  # as store.atomic()
                row = tasks.lock_running(task_id)
                if row is None or row.status != "running" or row.worker != self.worker_id:
                    return "taken over"  # another runner has it now: apply nothing
                if row.cancel_requested and not outcome.canceled:
                    if outcome.on_cancel is None:
                        tasks.finish(
                            task_id,
                            "canceled",
                            int(self.clock()),
                            message="canceled; the session is unchanged",
                        )
                        return "canceled"
                    outcome = outcome.on_cancel
                status = "canceled" if outcome.canceled else "success"
                result = dict(outcome.result)
                if outcome.apply is not None:
                    result.update(outcome.apply(result) or {})
                tasks.finish(
                    task_id, status, int(self.clock()), result=result, message=outcome.message
                )
        except Conflict as conflict:  # the session changed while the task ran
            raise TaskFailure([TaskError(conflict.message, "execution")]) from conflict
        return status

    def _finish(self, task_id: int, status: str, **kw: Any) -> None:
        ended = int(self.clock())
        self._record(
            task_id,
            lambda: self.store.tasks.finish(task_id, status, ended, worker=self.worker_id, **kw),
        )

    def _requeue_for_database(self, task_id: int, kind: str, err: BaseException) -> None:
        """Back to the queue after the database did not answer, or refused a connection for
        want of one (max_connections), during the task's run: not the task's fault, so
        it runs again, whatever its runs so far. A crowd translated by the store is a
        :class:`~.store.errors.Busy`: before, it was counted as a busy database's, and the
        task failed after ``task_max_attempts`` runs "the database stayed busy with other
        changes ... run it again when the database is less busy".

        A crowd's run is given back, not counted: the server refused a connection for load
        alone, so a task requeued so was charged a run each time, and a later busy moment,
        refused read or lost worker then failed it "through N runs" of which it ran none
        to its end (``task_max_attempts`` used up by other clients' connections)."""
        what = _what_the_database_did(err)
        LOG.warning(
            "task %s (%s): the database %s during its run; it goes back to the queue",
            task_id,
            kind,
            what,
        )
        counted = not is_connection_limit_error(err)
        self._record(
            task_id, lambda: self._requeue_after_outage(task_id, what=what, counted=counted)
        )

    def _requeue_after_outage(
        self,
        task_id: int,
        *,
        during_run: bool = True,
        what: str = "did not answer",
        refused: Unreadable | None = None,
        counted: bool | None = None,
    ) -> None:
        """Back to the queue after the database failed during the task's run (the run
        counted, unless ``counted`` is False), or as it began, between its claim and its
        reading (not counted).

        ``what`` the database did is said in the task's progress message (see
        :func:`_what_the_database_did`); where it ``refused`` the service's role a read or
        a connection, the message says so and ends with that refusal's own (the role, the
        table and the GRANT, or what to do of a password)."""
        when = "during its run" if during_run else "as its run began"
        message = f"requeued: the database {what} {when}; it runs again"
        if refused is not None:
            message = (
                f"requeued: the database refused the service's role {when}; it runs again "
                f"once that is mended. {refused.message}"
            )
        with self.transaction():
            counts = during_run if counted is None else counted
            self.store.tasks.requeue(task_id, self.worker_id, message, counted=counts)

    def _record(self, task_id: int, write: Callable[[], Any]) -> None:
        """Write a task's end now, or, if the database does not take it, from the
        heartbeat once it does. Before, the task stayed ``running`` for good: this
        runner, alive, renewed its lease, so no other runner took it over."""
        try:
            with self.transaction():
                write()
        except Exception as err:
            LOG.warning(
                "could not record the end of task %s (%s); retrying with the heartbeat",
                task_id,
                first_line(err),
            )
            with self._unrecorded_lock:
                self._unrecorded[task_id] = write

    def _record_pending(self) -> None:
        """Write the ends the database did not take (see :meth:`_record`); raises if it
        still does not, so the heartbeat does not renew their leases meanwhile."""
        with self._unrecorded_lock:
            pending = list(self._unrecorded.items())
        for task_id, write in pending:
            with self.transaction():
                write()
            with self._unrecorded_lock:
                self._unrecorded.pop(task_id, None)
            LOG.info("recorded the end of task %s", task_id)

    def _give_back(self, task_id: int) -> None:
        """This runner stops: its task goes back to the queue, its run not counted."""
        message = self._give_back_message
        try:
            with self.transaction():
                self.store.tasks.requeue(task_id, self.worker_id, message, counted=False)
        except Exception:  # the database went away: the lease lapses and it is taken over
            LOG.exception("could not give task %s back to the queue", task_id)

    def _work_loop(self) -> None:
        while not self._stop.is_set():
            wait = POLL_SECONDS
            try:
                ran = self.run_one()
                self._claim_failures.worked()
                if not ran and not self._stop.is_set():  # this thread is free
                    self._promise_to_take()
            except Exception as err:  # a database hiccup, or outage: wait and try again
                wait = _claim_retry_wait(self._claim_failures.failed(err, _claim_retry_wait))
                ran = False
            if not ran:
                self._wake.wait(wait)
                if not self._stop.is_set():
                    self._wake.clear()

    def _promise_to_take(self) -> None:
        """This runner has a free thread (it found no task): say so in the store, so that a
        process that queues a task leaves it to this runner instead of starting a worker
        (``sigopt-like worker`` kept warm).

        Written only when the promise that stands (its own, or another free runner's that
        reaches as far) ends within :data:`FREE_RENEW_MARGIN_SECONDS`: a promise the store
        took stands at least :data:`FREE_PROMISE_SECONDS` from the moment it was asked
        (nobody shortens it; its holder alone withdraws it), so nothing need be asked
        before then. Before, it was written every second: one write a second per idle
        runner, on SQLite each one the file's write lock, taken from the users' writes."""
        with self._active:
            now = time.monotonic()
            if now < self._promise_stands_until - FREE_RENEW_MARGIN_SECONDS:
                return
            if self._promised_at is not None and now - self._promised_at < FREE_RENEW_SECONDS:
                return
            self._promised_at = now
            replacing = self._start_promise
        try:
            with self.transaction():
                taken = self.store.tasks.promise_runner(
                    self.worker_id, FREE_PROMISE_SECONDS, free=True, replacing=replacing
                )
        except Exception as err:  # a read-only file, or a hiccup: processes start a worker
            LOG.debug("could not promise to take the queued tasks (%s)", first_line(err))
            return
        if not taken:
            return
        if replacing is not None:  # its service's start promise is this runner's now
            with self._active:
                if self._start_promise == replacing:
                    self._start_promise = None
        try:  # its own: it stands the whole while; another's (reaching further) is asked again
            own = self.store.tasks.runner_promise_holder() == self.worker_id
        except Exception as err:
            LOG.debug("could not read the runner promise (%s)", first_line(err))
            return
        if own:
            with self._active:
                self._promise_stands_until = now + FREE_PROMISE_SECONDS

    # ----- liveness

    def _heartbeat_loop(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                self.heartbeat()
                self._beat_failures.worked()
            except Exception as err:
                self._beat_failures.failed(err, lambda _: HEARTBEAT_SECONDS)

    def heartbeat(self) -> list[int]:
        """One beat: write the ends the database did not take, renew the leases of the
        tasks this runner's threads run, take over the tasks of stopped workers, and say
        that a runner runs on the database (what ``/ready`` of a service that runs no
        tasks reads: ``readiness.py``); the ids taken over.

        Only the tasks its threads run: a claim whose commit went through but whose answer
        was lost (the connection failed at that instant) leaves a task ``running`` under
        this runner that no thread runs. Renewing every task under its name held that
        one forever; now its lease lapses and :meth:`recover` gives it back.

        A lease that lapsed while this runner's own writes waited for the database (a beat
        that took over :data:`WAITED_SECONDS`) is judged at the next beat, not this one: the
        worker's own heartbeat waited for the same lock, and is written as soon as that
        lock is free. Before, the first of the two to get it decided: a live worker lost
        its task to another process's long write. A stopped worker's task waits one beat
        longer then, and only then: its lease could not be taken over while the database
        took no write anyway.
        """
        began = time.monotonic()
        waited_from, self._waited_from = self._waited_from, None
        started: float | None = None
        try:
            # by the database's clock, as leases are written: this host's may be skewed
            # from the worker's (before, a worker whose clock was behind lost its task)
            started = self.store.tasks.lease_now()
            # leases are judged as of this beat's start, or of the last beat's if that one
            # waited for the database: a lease that lapsed while this runner waited for the
            # write lock lapsed while its worker, most likely, waited for it too
            judged_at = min(started, waited_from) if waited_from else started
            self._record_pending()
            with self._active:
                mine = sorted(self._mine)
            with self.transaction():
                self.store.tasks.beat(self.worker_id, mine)
            taken = self.recover(include_new=False, judged_at=judged_at)
            with self.transaction():
                self.store.tasks.runner_seen()  # by the database's clock
        finally:
            if started is not None and time.monotonic() - began > WAITED_SECONDS:
                self._waited_from = started
        return taken

    def recover(self, *, include_new: bool = False, judged_at: float | None = None) -> list[int]:
        """Take over the tasks of stopped workers: back to the queue, or failed after
        ``settings.task_max_attempts`` runs (and, if asked, fail ``new`` tasks older than
        this runner); the ids of the tasks taken over. A task whose row another
        transaction locks (its worker frozen inside a write) is left for a later beat,
        not waited for: this runs in the heartbeat loop. Leases are judged at ``judged_at``
        (default: now, by the database's clock, as they are written), and a take-over
        applies only if the task's heartbeat is still the one judged (``unrenewed``): its
        worker may renew it while the take-over waits for the write lock."""
        taken: list[int] = []
        stalled: list[int] = []  # of those, the ones whose worker's process still runs here
        tasks = self.store.tasks
        limit = max(1, int(self.settings.task_max_attempts))
        now = int(self.clock())  # the time a task failed here shows
        judged = self.store.tasks.lease_now() if judged_at is None else judged_at
        with self._active:
            mine = set(self._mine)
        for row in tasks.unfinished(new_before=self.started_at if include_new else None):
            if row.status == "running" and (
                row.id in mine or worker_alive(row.worker, row.heartbeat, judged)
            ):
                continue
            kept = row.heartbeat  # the lease judged: none of these applies once it is renewed
            still_runs = False
            with self.transaction():  # each take-over its own
                if row.status == "running" and row.worker == self.worker_id:
                    # claimed here, but the claim's answer was lost: no thread runs it
                    message = "requeued: its claim was never answered to its worker; it runs again"
                    done = tasks.requeue(
                        row.id, row.worker, message, counted=False, if_unlocked=True, unrenewed=kept
                    )
                elif row.status == "new":  # left from before this runner, and asked to fail it
                    done = tasks.finish(
                        row.id,
                        "failed",
                        now,
                        errors=[TaskError(INTERRUPTED_MESSAGE, SYSTEM)],
                        message=INTERRUPTED_MESSAGE,
                        if_unlocked=True,
                        unrenewed=kept,
                    )
                elif row.cancel_requested:
                    done = tasks.finish(
                        row.id,
                        "canceled",
                        now,
                        message="canceled; the session is unchanged",
                        if_unlocked=True,
                        unrenewed=kept,
                    )
                elif still_runs := lapsed_worker_still_runs(row.worker):
                    # its lease lapsed while its process runs on: the database kept its
                    # heartbeats out (SQLite busy with other writers), or it stalled. Not
                    # an interruption: before, it was counted, and in the task's last run
                    # failed it "interrupted 3 times: its worker stopped" though none had
                    # (found with 32 embedded Connections in 6 processes on one file)
                    message = lapsed_message(row.worker, row.attempts)
                    done = tasks.requeue(
                        row.id, row.worker, message, counted=False, if_unlocked=True, unrenewed=kept
                    )
                elif row.attempts >= limit:
                    message = given_up_message(row.worker, row.attempts)
                    done = tasks.finish(
                        row.id,
                        "failed",
                        now,
                        errors=[TaskError(message, SYSTEM)],
                        message=message,
                        worker=row.worker,
                        if_unlocked=True,
                        unrenewed=kept,
                    )
                else:
                    message = requeued_message(row.worker, row.attempts)
                    done = tasks.requeue(
                        row.id, row.worker, message, counted=True, if_unlocked=True, unrenewed=kept
                    )
            if done:
                taken.append(row.id)
                if still_runs:
                    stalled.append(row.id)
        if taken:
            _say_taken_over([i for i in taken if i not in stalled], stalled)
            self._wake.set()
            self.notify_change()
        return taken


def _say_taken_over(stopped: list[int], stalled: list[int]) -> None:
    """One line for the tasks of stopped workers a runner took over, one for those whose
    worker's process still runs on this host (its lease lapsed: it stalled, or its
    heartbeats were kept out). Before, both were "the tasks of stopped workers (or whose
    leases lapsed)", which told an operator nothing of a worker still running."""
    if stopped:
        LOG.warning(
            "took over tasks %s of stopped workers (their process ended, or their lease "
            "lapsed on another host): each one's progress message says what became of it",
            stopped,
        )
    if stalled:
        LOG.warning(
            "took over tasks %s: their worker's lease lapsed though its process still runs "
            "on this host (stalled, or its heartbeats kept out by a database busy with "
            "other writes); back in the queue, the run not counted, and the stalled run "
            "applies nothing if it goes on",
            stalled,
        )


def _claim_retry_wait(failures: int) -> float:
    """How long a claim loop waits after ``failures`` failed claims in a row."""
    return min(POLL_SECONDS * 2 ** min(failures - 1, 4), FAILING_POLL_SECONDS)


def runner_for(context: Any, on_submit: Callable[[], None] | None = None) -> TaskRunner:
    """The runner of a service instance, not yet started (no threads when ``run_tasks``
    is off).

    Task counts and durations go to ``context.metrics`` when it has them.
    """
    metrics = getattr(context, "metrics", None)
    on_finish = getattr(metrics, "task_finished", None)

    settings = context.settings
    in_process = settings.run_tasks and not settings.worker_processes
    threads = settings.task_threads if in_process else 0
    return TaskRunner(
        context.store,
        settings,
        threads=threads,
        on_finish=on_finish,
        on_submit=on_submit,
        outage=getattr(context, "outage", None),
    )


def worker_alive(worker: str | None, heartbeat: int | None, now: float | None = None) -> bool:
    """Whether the worker ``host:pid:uuid`` may still be running its task.

    Dead if its heartbeat (lease) is older than ``LEASE_SECONDS``, or if it ran on
    this host under a process id that no longer exists.
    """
    if not worker:
        return False
    now = time.time() if now is None else now
    if heartbeat is None or now - heartbeat > LEASE_SECONDS:
        return False
    runs = local_worker_runs(worker)
    return runs if runs is not None else True


def lapsed_worker_still_runs(worker: str | None) -> bool:
    """Whether the worker ``host:pid:uuid`` ran on this host under a process id that still
    exists and is not this process's (False for a worker of another host: no pid to ask).
    A worker under this process's own id that is not its runner (:meth:`TaskRunner.recover`
    takes its own runner's tasks first) was an earlier process with the same id, now gone:
    a container restarted keeps its host name and gives its first process the same id
    (pid 1); counted as alive, a task that crashes its worker there would run for ever."""
    local = local_worker_pid(worker)
    return local is not None and local != os.getpid() and bool(local_worker_runs(worker))


def local_worker_runs(worker: str | None) -> bool | None:
    """Whether the process of the worker ``host:pid:uuid[:start]`` still runs, if it ran on
    this host (None if not: another host's processes cannot be asked). Its process id
    must exist and, where its name says when it started, belong to a process that started
    then: a process id is given again once its process ends, and before, an unrelated
    process given a dead worker's id kept that worker "alive" (its task not taken over
    until its lease lapsed, and then its run not counted)."""
    pid = local_worker_pid(worker)
    if pid is None:
        return None
    if not pid_alive(pid):
        return False
    recorded = (worker or "").split(":")[3:4]
    if not recorded or not recorded[0].isdigit():  # named by an earlier release
        return True
    now = process_start(pid)
    return now is None or now == int(recorded[0])


def process_start(pid: int) -> int | None:
    """When the process ``pid`` started, in clock ticks since the host booted (Linux's
    ``/proc/PID/stat``, its 22nd field): what a later process given the same id does not
    share. None where it cannot be read (another system, or the process is gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return None
    fields = text.rpartition(")")[2].split()  # the name, in parentheses, may hold spaces
    return int(fields[19]) if len(fields) > 19 and fields[19].isdigit() else None


def local_worker_pid(worker: str | None) -> int | None:
    """The process id of the worker ``host:pid:uuid`` if it ran on this host, else None."""
    host, _, rest = (worker or "").partition(":")
    pid_text = rest.partition(":")[0]
    if host == socket.gethostname() and pid_text.isdigit():
        return int(pid_text)
    return None


def unattended(store: Store, now: float | None = None) -> bool:
    """Whether a task waits for a runner: queued (or given back by a worker), or running
    under a worker that is gone (a runner that starts takes it over). Which process then
    starts one is the store's runner promise's to say (:mod:`.task_processes`). Leases
    are judged by the database's clock (``now``: a time by it), as they are written."""
    now = store.tasks.lease_now() if now is None else now
    return store.tasks.queued() or any(
        not worker_alive(row.worker, row.heartbeat, now) for row in store.tasks.unfinished()
    )


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this host: one that has ended and waits only
    for its parent to reap it (a zombie) has not, though ``kill(pid, 0)`` still finds it."""
    if pid <= 0:
        return False
    if sys.platform == "win32":  # there os.kill(pid, 0) sends CTRL_C_EVENT: it asks nothing
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return not _ended(pid)


def _ended(pid: int) -> bool:
    """Whether the process ``pid`` has ended and is only left to be reaped (Linux's
    ``/proc/PID/stat`` state ``Z`` or ``X``); False where that cannot be read."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return False
    state = text.rpartition(")")[2].split()[:1]  # the name, in parentheses, may hold spaces
    return state in (["Z"], ["X"])


def _windows_pid_alive(pid: int) -> bool:
    """``pid_alive`` on Windows: open the process and read whether it has an exit code."""
    if sys.platform == "win32":
        import ctypes
        from ctypes import wintypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # its own function objects
        kernel32.OpenProcess.restype = wintypes.HANDLE
        kernel32.OpenProcess.argtypes = (wintypes.DWORD, wintypes.BOOL, wintypes.DWORD)
        kernel32.GetExitCodeProcess.argtypes = (wintypes.HANDLE, ctypes.POINTER(wintypes.DWORD))
        kernel32.CloseHandle.argtypes = (wintypes.HANDLE,)
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.get_last_error() == 5  # ERROR_ACCESS_DENIED: it exists
        try:
            code = wintypes.DWORD()
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return True
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    return True


def _thread_count(text: str) -> int:
    """``--threads``: a whole number from 1 to MAX_TASK_THREADS (a usage error otherwise)."""
    import argparse

    from .settings import MAX_TASK_THREADS

    try:
        value = csvio.ascii_number(text, int, "a whole number")
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    if not 1 <= value <= MAX_TASK_THREADS:
        raise argparse.ArgumentTypeError(f"{value} is not 1 to {MAX_TASK_THREADS} threads")
    return value


def seconds_argument(text: str) -> float:
    """``--idle-exit`` and ``--task-time-limit`` (here and in ``sigopt-like worker``): a
    finite number of seconds from 0 (stop as soon as idle; no limit) to
    :data:`~.settings.LONGEST_SECONDS`, the range of ``task_process_idle_seconds`` and
    ``task_time_limit_seconds`` that a service passes here; ASCII digits only, as every
    number a person types is read.

    Before, ``float`` read it: U+0662 was two seconds, ``nan`` a worker that never
    stopped idle (every comparison with NaN is false), ``inf`` and ``-1`` were taken too,
    and ``abc`` was argparse's "invalid float value"."""
    import argparse
    import math

    from .settings import LONGEST_SECONDS

    try:
        value = csvio.ascii_number(text, float, "a number of seconds")
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    if not (math.isfinite(value) and 0 <= value <= LONGEST_SECONDS):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of seconds from 0 to {LONGEST_SECONDS:,.0f} (100 years)"
        )
    return value


def attempts_argument(text: str) -> int:
    """``--task-max-attempts`` (here and in ``sigopt-like worker``): a whole number from 1
    to MAX_TASK_ATTEMPTS, the range of ``task_max_attempts`` that a service passes here (a
    usage error otherwise)."""
    import argparse

    from .settings import MAX_TASK_ATTEMPTS

    try:
        value = csvio.ascii_number(text, int, "a whole number")
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    if not 1 <= value <= MAX_TASK_ATTEMPTS:
        raise argparse.ArgumentTypeError(f"{value} is not 1 to {MAX_TASK_ATTEMPTS} runs")
    return value


def main(argv: list[str] | None = None) -> int:
    """Run only the task runner against a database, until SIGINT or SIGTERM."""
    return _run(_arguments(argv))


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    """The command line's arguments; its database checked (UnusableDatabase if not)."""
    import argparse  # the command line's alone: a service importing this never parses one

    parser = argparse.ArgumentParser(
        prog="python -m sigopt_like.service.worker",
        description="Run sigopt_like tasks from a shared database (scaled-out mode).",
    )
    parser.add_argument(
        "--db",
        default=os.environ.get("SIGOPT_LIKE_DATABASE") or None,
        required="SIGOPT_LIKE_DATABASE" not in os.environ,
        help="database URL or SQLite path (default: $SIGOPT_LIKE_DATABASE)",
    )
    parser.add_argument("--threads", type=_thread_count, default=None, help="worker threads")
    parser.add_argument(
        "--follow-stdin",
        action="store_true",
        help="started by a service: a line on standard input wakes the runner (a task was "
        "queued), its end stops the worker (the service is gone)",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        help="the lowest level logged to standard error (a service passes its own)",
    )
    parser.add_argument(
        "--start-promise",
        default=None,
        help="started by a service: the holder of the runner promise it took to start this "
        "worker, which this worker takes over once it has looked for a task",
    )
    parser.add_argument(
        "--idle-exit",
        type=seconds_argument,
        default=None,
        help="stop after this many seconds with no task to run (the service starts it again)",
    )
    # a service's own settings, passed to the workers it starts: before, its workers ran
    # each task with the defaults (3600 s, 3 runs), whatever the service was given
    parser.add_argument(
        "--task-time-limit",
        type=seconds_argument,
        default=None,
        help="a task's run fails past this many seconds (0: no limit; default: 3600)",
    )
    parser.add_argument(
        "--task-max-attempts",
        type=attempts_argument,
        default=None,
        help="runs a task is given when its worker stops, before it fails (default: 3)",
    )
    args = parser.parse_args(argv)
    if not args.follow_stdin:  # a person's command (a service checked its own database)
        args.db = shared(check(args.db, made_for_you=False), what="a worker")
    return args


def _run(args: argparse.Namespace) -> int:
    """:func:`main` with its arguments parsed."""
    from .store import open_store

    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    redact_handlers()  # a task's failure may quote what a user sent, a token included
    # started by a service: standard output carries a line per task change to it, and
    # whatever else would be printed goes to standard error (which the user sees)
    changes = _ChangeChannel.take_stdout() if args.follow_stdin else None
    service_pid = os.getppid()  # read now: once that process is gone, it is another's
    settings = ServiceSettings(database=args.db, run_tasks=True)
    if args.threads is not None:
        settings = attrs.evolve(settings, task_threads=args.threads)
    if args.task_time_limit is not None:
        settings = attrs.evolve(settings, task_time_limit_seconds=args.task_time_limit)
    if args.task_max_attempts is not None:
        settings = attrs.evolve(settings, task_max_attempts=args.task_max_attempts)
    stop = threading.Event()
    stopped_by: list[str] = []  # the signal that stopped it, for its last log line

    def _on_signal(signum: int, frame: object) -> None:
        stopped_by.append(signal.Signals(signum).name)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _on_signal)
    if args.follow_stdin:
        # a terminal's Ctrl-C reaches every process of its group, this one too: the
        # service decides (a command cancels its task, which keeps what it finished, and
        # then closes this worker's input). Before, the worker stopped at once, its task
        # given back and its finished work lost, while the command was still canceling it
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    # a person's worker waits for a PostgreSQL server not up yet, as serve does (a service
    # starts its own workers on a database it has opened)
    waits = changes is None
    store = _open_when_up(settings.database, stop) if waits else open_store(settings.database)
    if store is None:  # stopped while waiting: before, it exited 0 without a word
        LOG.info(
            "worker stopped by %s while waiting for the database %s to answer; no task ran",
            stopped_by[0] if stopped_by else "a stop",
            redact_database_url(settings.database),
        )
        return 0
    if changes is None:
        # a person's worker refuses a database it cannot write (a read-only file): before,
        # it started, and its heartbeat failed and was retried for ever (a service's own
        # workers run on the database it has opened, and say each failed write)
        try:
            store.check_writes()
        except Exception:
            store.close()
            raise
    runner = TaskRunner(store, settings, recover_new=False, start_promise=args.start_promise)
    if changes is not None:
        runner.on_change = changes.send
        runner.on_finish = changes.finished
        changes.send(READY)
        threading.Thread(
            target=_follow_stdin,
            args=(runner, stop, service_pid),
            name="sigopt-like-stdin",
            daemon=True,
        ).start()
    runner.start()
    # the URL's password stays out of the log (before: it was written in clear)
    shown = redact_database_url(args.db)
    LOG.info("worker %s running %d threads on %s", runner.worker_id, runner.threads, shown)
    while not stop.wait(0.5):
        if args.idle_exit is not None and runner.stop_if_idle(args.idle_exit):
            LOG.info("worker %s idle for %s s: stopping", runner.worker_id, args.idle_exit)
            break
    running = runner.running_tasks() if stopped_by else []
    runner.shutdown()
    if stopped_by:  # before: a worker stopped by SIGTERM said nothing, whatever it ran
        _log_stop(runner.worker_id, stopped_by[0], running)
    store.close()
    if changes is not None:
        # a service may be waiting for this exit (its close()): skip the interpreter's
        # teardown of numpy, scipy and scikit-learn (0.04 s instead of about 1.5 s on a
        # loaded machine); the tasks are given back and the database closed by now
        logging.shutdown()
        sys.stderr.flush()
        os._exit(0)
    return 0


def _log_stop(worker_id: str, signal_name: str, running: list[Any]) -> None:
    """One line: the worker stopped, on which signal, and the tasks it interrupted (each
    goes back to the queue, to run again from its start, its run not counted)."""
    if not running:
        LOG.info("worker %s stopped by %s; no task was running", worker_id, signal_name)
        return
    tasks = ", ".join(f"task {row.id} ({row.type}, session {row.session_id})" for row in running)
    LOG.warning(
        "worker %s stopped by %s, interrupting %s: back in the queue, to run again from "
        "its start (here or on another worker)",
        worker_id,
        signal_name,
        tasks,
    )


def _open_when_up(database: str, stop: threading.Event) -> Store | None:
    """The store of ``database``, once its PostgreSQL server is up: while it is not
    (``is_not_up_error``: refused, starting, not answering) the open is tried again after
    0.5, 1, 2 s, then every 5 s, the wait said in one log line and its end in another.
    Before, the worker exited at once where ``serve`` and the WSGI factory wait, so a
    scaled-out start (app and workers before the database) kept no worker. None if
    ``stop`` is set while waiting; any other error is raised."""
    from .starting import FIRST_RETRY_SECONDS, MAX_RETRY_SECONDS
    from .store import open_store
    from .store.refusals import is_not_up_error

    outage: DatabaseOutage | None = None
    wait = FIRST_RETRY_SECONDS
    while True:
        try:
            store = open_store(database)
        except Exception as err:
            if not is_not_up_error(err):
                raise
            outage = outage or DatabaseOutage()
            outage.failed(err, "worker start: no task runs until it does")
            if stop.wait(wait):
                return None
            wait = min(MAX_RETRY_SECONDS, wait * 2)
            continue
        if outage is not None:
            outage.worked()
        return store


#: what a worker process started by a service says once it can run tasks, and when one ends
READY = b"ready"
FINISHED = b"finished"
#: what a service writes to its worker process's standard input as it closes: stop now.
#: Its input ending without it means the service's process ended without closing
STOP = "stop"


class _ChangeChannel:
    """A worker process's line to its service: ``ready`` once, then an empty line per
    task change (the service wakes its waiting clients at once rather than on its next
    poll of the database)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    @classmethod
    def take_stdout(cls) -> _ChangeChannel:
        """Keep standard output for the channel; point ``print`` and fd 1 at stderr."""
        stream = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
        sys.stdout = sys.stderr
        return cls(stream)

    def finished(self, task_type: str, status: str, seconds: float) -> None:
        """A task ended: for the service's metrics."""
        self.send(b"\t".join([FINISHED, task_type.encode(), status.encode(), b"%.6f" % seconds]))

    def send(self, line: bytes = b"") -> None:
        """Write one line; nothing if the service is gone (the worker stops anyway)."""
        with self._lock, contextlib.suppress(OSError, ValueError):
            self._stream.write(line + b"\n")


def _follow_stdin(runner: TaskRunner, stop: threading.Event, service_pid: int) -> None:
    """Wake the runner on each line of standard input; stop when the service says so
    (``STOP``: it closes), or when the input ends without it: the service's process ended
    (killed or crashed), and a task running here goes back to the queue saying so (it
    said its worker "stopped cleanly")."""
    for line in sys.stdin:
        if line.strip() == STOP:
            stop.set()
            return
        runner.submit()
    runner.stopping_because(orphaned_message(service_pid))
    stop.set()


def command(argv: list[str] | None = None) -> int:
    """``python -m sigopt_like.service.worker``: :func:`main`, with a database it cannot
    use said in one line and exit 1, as ``sigopt-like worker`` says it (before: a
    traceback for an unknown host, and a missing SQLite file or folder was "running 2
    threads" while every claim failed)."""
    try:
        args = _arguments(argv)
    except UnusableDatabase as err:
        return _refuse(str(err))
    try:
        return _run(args)
    except Exception as err:
        # named, as ``sigopt-like worker`` names it: before, its hints said "this role"
        # and "<role>" of a URL that names the role; a write refused at the start
        # (``Store.check_writes``) is said as ``sigopt-like worker`` says it: it was a
        # traceback
        cause = err.__cause__ if isinstance(err, Unwritable) else None
        said = describe_opening_error(cause or err, args.db)
        if said is None:  # not a mistake in the database named: a bug, with its traceback
            raise
    return _refuse(said)


def _refuse(said: str) -> int:
    """Say ``said`` in one line on standard error; exit status 1."""
    print(f"python -m sigopt_like.service.worker: error: {said}", file=sys.stderr)
    return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(command())

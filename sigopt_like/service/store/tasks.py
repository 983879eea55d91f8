"""Task rows: starting, reading, claiming, progress and finishing them.

Every visible change bumps the row's ``version``, which long polls and event
streams watch. Only one task at a time may be ``new`` or ``running`` per
session; :meth:`TaskStore.start` enforces it while holding the session row.
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable, Iterable
from typing import Any, Literal

import attrs
import sqlalchemy as sa

from ..domain.campaign import Campaign, CampaignConflict
from ..domain.tasks import ACTIVE, FINISHED, TaskError, capped_errors
from . import schema
from .campaigns import design_table, history_through, load_campaign
from .database import Database, PointQuery
from .errors import Conflict, NotFound
from .pages import Page, PageRequest, fetch_page
from .sessions import session_row

T = schema.tasks
SESSIONS = schema.sessions
META = schema.meta
#: the ``meta`` row holding when a task runner last said it runs on this database (unix
#: seconds); one row for every runner, so it never grows with workers that come and go
RUNNER_SEEN_KEY = "task_runner_seen"
#: the ``meta`` row holding the promise that a runner takes the queued tasks: until when
#: (unix seconds, to the millisecond, by the database's clock) and who made it
#: (:meth:`TaskStore.promise_runner`); one row, whoever holds it
RUNNER_PROMISE_KEY = "task_runner_promise"
#: the longest a runner promise is made for (a process starting a worker: 5 s, a free
#: runner: 3 s; :mod:`..task_processes`, :mod:`..worker`), plus a margin: a promise that
#: reaches further past now was written by a clock ahead of this one (the clock stepped
#: back since, or a PostgreSQL failover to a server whose clock is behind) and counts as
#: lapsed; honoured, it made tasks wait until the clock caught up (an hour, for an hour)
LONGEST_RUNNER_PROMISE_SECONDS = 6.0

Precheck = Callable[[Campaign], None]
#: a take-over's lease as read when it was judged lapsed (:meth:`TaskStore.requeue`'s
#: ``unrenewed``), or ``"any"``: applied whatever the heartbeat is now
Unrenewed = int | None | Literal["any"]


@attrs.frozen
class TaskRecord:
    """A task as stored, without its input (``TaskStore.params`` reads that)."""

    id: int
    session_id: int
    owner_id: int
    type: str
    status: str
    phase: str
    progress_fraction: float
    progress_message: str
    errors: list[dict[str, Any]]
    result: dict[str, Any] | None
    cancel_requested: bool
    version: int
    worker: str | None
    heartbeat: int | None
    attempts: int
    created: int
    started: int | None
    finished: int | None

    @property
    def active(self) -> bool:
        """Whether the task is new or running."""
        return self.status in ACTIVE

    @property
    def done(self) -> bool:
        """Whether the task finished (success, failed or canceled)."""
        return self.status in FINISHED


_COLUMNS = tuple(T.c[name] for name in attrs.fields_dict(TaskRecord))


def _record(row: Any) -> TaskRecord:
    return _record_of(row._mapping)


def _record_of(m: Any) -> TaskRecord:
    """A task from a mapping of its columns (a row's ``_mapping``, or a point read's)."""
    return TaskRecord(
        **{
            **m,
            "errors": json.loads(m["errors"] or "[]"),
            "result": json.loads(m["result"]) if m["result"] else None,
            "cancel_requested": bool(m["cancel_requested"]),
        }
    )


def _select(*, with_result: bool = True) -> sa.Select:
    if with_result:
        return sa.select(*_COLUMNS)
    return sa.select(*(c for c in _COLUMNS if c.name != "result"), sa.null().label("result"))


class TaskStore:
    """Tasks of sessions: what the routes start and read, and what runners claim and finish."""

    def __init__(self, database: Database) -> None:
        self._db = database
        #: a task of an owner's session, one precompiled statement, with and without its
        #: result: a task's status is what clients poll (see PointQuery for why)
        self._owned = {
            with_result: PointQuery(
                database,
                _select(with_result=with_result)
                .select_from(T.join(SESSIONS, SESSIONS.c.id == T.c.session_id))
                .where(
                    T.c.id == sa.bindparam("tid"),
                    T.c.session_id == sa.bindparam("sid"),
                    SESSIONS.c.owner_id == sa.bindparam("owner"),
                ),
            )
            for with_result in (True, False)
        }
        #: the names of those statements' columns, in their order
        self._owned_names = {
            with_result: tuple(c.key for c in _select(with_result=with_result).selected_columns)
            for with_result in (True, False)
        }

    # ----- the routes

    def start(
        self,
        owner: int,
        session_id: int,
        task_type: str,
        params: dict[str, Any],
        now: int,
        precheck: Precheck | None = None,
    ) -> TaskRecord:
        """A new task on a session of ``owner``: NotFound if it is not theirs, Conflict
        ``task_running`` if one is active, Conflict with the domain's code if
        ``precheck`` refuses the campaign's state."""
        with self._db.write() as conn:
            session_row(conn, session_id, owner, lock=True)
            self._ensure_none_active(conn, session_id)
            if precheck is not None:
                try:
                    precheck(load_campaign(conn, session_id, owner))
                except CampaignConflict as exc:
                    raise Conflict(exc.message, code=exc.code) from exc
            task_id = self._insert(conn, session_id, owner, task_type, params, now)
            return self._get(conn, session_id, task_id)

    def create_next(
        self,
        session_id: int,
        owner: int,
        task_type: str,
        params: dict[str, Any],
        now: int,
        *,
        besides: int,
    ) -> int:
        """Queue a follow-up task (``besides``, the task queuing it, may still be running)."""
        with self._db.write() as conn:
            self._ensure_none_active(conn, session_id, besides=besides)
            return self._insert(conn, session_id, owner, task_type, params, now)

    def get(self, session_id: int, task_id: int, *, with_result: bool = True) -> TaskRecord:
        """Task ``task_id`` of session ``session_id``; NotFound otherwise.
        ``with_result=False`` leaves its result out (None): neither read nor built."""
        with self._db.read() as conn:
            return self._get_shown(conn, session_id, task_id, with_result)

    def get_owned(
        self, owner: int, session_id: int, task_id: int, *, with_result: bool = True
    ) -> TaskRecord:
        """Task ``task_id`` of the owner's session ``session_id``; NotFound otherwise.
        ``with_result=False`` leaves its result out (None): neither read nor built.

        One point read (the task joined to its session), where it was a transaction of
        two reads; the transaction remains for what the point read does not answer: a
        missing task or session (which of them is missing, the message says) and a
        result shown from the campaign's generations (:func:`_shown`)."""
        row = self._owned[with_result].one(tid=task_id, sid=session_id, owner=owner)
        if row is not None:
            task = _record_of(dict(zip(self._owned_names[with_result], row, strict=True)))
            if not with_result or _campaign_part(task) is None:
                return task
        with self._db.read() as conn:
            session_row(conn, session_id, owner)
            return self._get_shown(conn, session_id, task_id, with_result)

    def page(
        self,
        owner: int,
        session_id: int,
        request: PageRequest,
        *,
        status: str | None = None,
        task_type: str | None = None,
        with_result: bool = True,
    ) -> Page[TaskRecord]:
        """A page of the owner's session's tasks, newest first, optionally filtered.

        ``with_result=False`` leaves each task's result out (None): neither read nor
        built (a simulate task's result is the campaign's whole history)."""
        query = _select(with_result=with_result).where(T.c.session_id == session_id)
        if status:
            query = query.where(T.c.status == status)
        if task_type:
            query = query.where(T.c.type == task_type)
        with self._db.read() as conn:
            session_row(conn, session_id, owner)
            if not with_result:
                return fetch_page(conn, query, T.c.id, request, _record)
            return fetch_page(conn, query, T.c.id, request, lambda row: _shown(conn, _record(row)))

    def cancel(self, owner: int, session_id: int, task_id: int, now: int) -> TaskRecord:
        """Cancel: a new task at once, a running one by request; Conflict if it finished."""
        with self._db.write() as conn:
            session_row(conn, session_id, owner)
            task = self._get(conn, session_id, task_id)
            if task.done:
                raise Conflict(
                    f"Task {task_id} already finished with status '{task.status}'; "
                    "nothing to cancel.",
                    detail={"task": str(task_id), "status": task.status},
                )
            canceled_new = task.status == "new" and _change(
                conn,
                task_id,
                where=T.c.status == "new",
                status="canceled",
                phase="canceled",
                finished=now,
                progress_message="canceled before it started",
                params="{}",
            )
            if not canceled_new:
                _change(
                    conn,
                    task_id,
                    where=T.c.status == "running",
                    cancel_requested=True,
                    progress_message="cancel requested",
                )
            return self._get(conn, session_id, task_id)

    def underway(self, session_id: int) -> TaskRecord | None:
        """The session's task that is new or running (without its result), or None."""
        query = _select(with_result=False).where(
            T.c.session_id == session_id, T.c.status.in_(ACTIVE)
        )
        with self._db.read() as conn:
            row = conn.execute(query.order_by(T.c.id).limit(1)).first()
        return _record(row) if row is not None else None

    # ----- the runners

    def find(self, task_id: int) -> TaskRecord | None:
        """The task ``task_id``, or None."""
        with self._db.read() as conn:
            row = conn.execute(_select().where(T.c.id == task_id)).first()
        return _record(row) if row is not None else None

    def queued(self, *, before: int | None = None) -> bool:
        """Whether any task waits for a worker (with ``before``: one queued no later than
        that time, unix seconds, or given back by a worker that ran it)."""
        condition: sa.ColumnElement[bool] = T.c.status == "new"
        if before is not None:
            ran = T.c.started.is_not(None)  # a requeue keeps its start (and its creation)
            condition = sa.and_(condition, sa.or_(T.c.created <= before, ran))
        with self._db.read() as conn:
            return conn.execute(sa.select(T.c.id).where(condition).limit(1)).first() is not None

    def params(self, task_id: int) -> dict[str, Any]:
        """The input of a task (``{}`` if it has none or is gone)."""
        with self._db.read() as conn:
            text = conn.execute(sa.select(T.c.params).where(T.c.id == task_id)).scalar()
        return json.loads(text or "{}")

    def claim(self, worker: str, now: int) -> TaskRecord | None:
        """Turn the oldest ``new`` task into ``running`` for ``worker``; None if there is none.
        ``now`` is its start as shown; its lease runs from the database's clock
        (:meth:`lease_now`).

        ``FOR UPDATE SKIP LOCKED`` where the database has it, so that runners on
        PostgreSQL never wait for each other; SQLite's write lock serialises them.

        Looked for first in a read, which takes no write lock: an idle runner's threads
        claim every half second, and on SQLite each claim took the file's write lock
        (``BEGIN IMMEDIATE``), 4 times a second for an idle runner of two threads, away
        from the users' writes, with no task queued.
        """
        with self._db.read() as conn:
            queued = sa.select(T.c.id).where(T.c.status == "new").limit(1)
            if conn.execute(queued).first() is None:
                return None
        with self._db.write() as conn:
            query = sa.select(T.c.id).where(T.c.status == "new").order_by(T.c.id).limit(1)
            if self._db.supports_skip_locked:
                query = query.with_for_update(skip_locked=True)
            task_id = conn.execute(query).scalar()
            if task_id is None:
                return None
            claimed = _change(
                conn,
                task_id,
                where=T.c.status == "new",
                status="running",
                phase="starting",
                progress_fraction=0.0,
                progress_message="started",
                worker=worker,
                heartbeat=self._lease_clock(),
                started=now,
                attempts=T.c.attempts + 1,
            )
            if not claimed:
                return None
            row = conn.execute(_select().where(T.c.id == task_id)).one()
            return _record(row)

    def versions(self, task_ids: Iterable[int]) -> dict[int, int]:
        """``{task id: version}`` of those of ``task_ids`` that exist (one query)."""
        ids = list(task_ids)
        if not ids:
            return {}
        with self._db.read() as conn:
            rows = conn.execute(sa.select(T.c.id, T.c.version).where(T.c.id.in_(ids))).all()
        return {int(row.id): int(row.version) for row in rows}

    def run_state(self, task_id: int) -> tuple[bool, str, str | None] | None:
        """``(cancel_requested, status, worker)`` of a task, or None if it is gone."""
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(T.c.cancel_requested, T.c.status, T.c.worker).where(T.c.id == task_id)
            ).first()
        if row is None:
            return None
        return bool(row.cancel_requested), row.status, row.worker

    def progress(
        self,
        task_id: int,
        worker: str,
        phase: str,
        fraction: float,
        message: str,
    ) -> bool:
        """Record the phase and fraction done of a task ``worker`` runs, a sign of life too
        (its lease renewed by the database's clock); False if it does not (any more)."""
        with self._db.write() as conn:
            return _change(
                conn,
                task_id,
                where=(T.c.status == "running") & (T.c.worker == worker),
                phase=phase,
                progress_fraction=fraction,
                progress_message=message,
                heartbeat=self._lease_clock(),
            )

    def lock_running(self, task_id: int) -> TaskRecord | None:
        """The task, its session's row and then its own locked for the rest of the
        current unit (PostgreSQL; SQLite's write transaction holds the whole file); None
        if it is gone.

        A session's row before its tasks' rows, as a halt and a task's start lock them:
        the task's row first deadlocked with a halt that held the session's row and
        came to a task queued after it had locked the session's tasks (PostgreSQL broke
        it by failing the halt, a 503, or the task, given back to the queue)."""
        query = _select().where(T.c.id == task_id)
        with self._db.write() as conn:
            if self._db.supports_skip_locked:
                session = sa.select(T.c.session_id).where(T.c.id == task_id).scalar_subquery()
                conn.execute(
                    sa.select(SESSIONS.c.id).where(SESSIONS.c.id == session).with_for_update()
                ).all()
                query = query.with_for_update()
            row = conn.execute(query).first()
        return _record(row) if row is not None else None

    def finish(
        self,
        task_id: int,
        status: str,
        now: int,
        *,
        result: dict[str, Any] | None = None,
        errors: Iterable[TaskError] = (),
        message: str = "",
        worker: str | None = None,
        if_unlocked: bool = False,
        unrenewed: Unrenewed = "any",
    ) -> bool:
        """Mark an active task finished (success, failed or canceled); False if it was not
        active (or, with ``worker``, not run by that worker; or, with ``if_unlocked``,
        its row is locked by another transaction; or, with ``unrenewed``, its heartbeat
        is no longer that one: see :meth:`requeue`). ``errors`` are kept as
        :func:`~..domain.tasks.capped_errors` keeps them, whatever failed the task."""
        values: dict[str, Any] = {
            "status": status,
            "phase": status,
            "finished": now,
            "progress_message": message or status,
            "params": "{}",  # the input was used up; what it made is in the session
        }
        if status == "success":
            values["progress_fraction"] = 1.0
        if result is not None:
            values["result"] = json.dumps(result)
        error_list = [e.to_dict() for e in capped_errors(list(errors))]
        if error_list:
            values["errors"] = json.dumps(error_list)
        where: sa.ColumnElement[bool] = T.c.status.in_(ACTIVE)
        if worker is not None:
            where = sa.and_(T.c.status == "running", T.c.worker == worker)
        where = sa.and_(where, _unrenewed(unrenewed))
        with self._db.write() as conn:
            if if_unlocked and not self._lock_if_free(conn, task_id):
                return False
            return _change(conn, task_id, where=where, **values)

    def requeue(
        self,
        task_id: int,
        worker: str | None,
        message: str,
        *,
        counted: bool,
        if_unlocked: bool = False,
        unrenewed: Unrenewed = "any",
    ) -> bool:
        """Put a task run by ``worker`` back in the queue, to be run again from its start;
        False if that worker no longer runs it (or, with ``if_unlocked``, its row is
        locked by another transaction). ``counted=False`` (its worker stopped cleanly)
        gives the run back: it does not count toward the attempts.

        ``unrenewed``: the heartbeat the task had when its lease was judged lapsed; False
        if it has another now. A take-over decided on a read, then waiting for the write
        lock, applied whatever happened meanwhile: a live worker whose heartbeat had
        waited for that lock too, and got it first, lost its task all the same."""
        values: dict[str, Any] = {
            "status": "new",
            "phase": "queued",
            "progress_fraction": 0.0,
            "progress_message": message,
            "worker": None,
            "heartbeat": None,
        }
        if not counted:
            values["attempts"] = sa.case((T.c.attempts > 0, T.c.attempts - 1), else_=0)
        worker_is = T.c.worker.is_(None) if worker is None else T.c.worker == worker
        with self._db.write() as conn:
            if if_unlocked and not self._lock_if_free(conn, task_id):
                return False
            where = sa.and_(T.c.status == "running", worker_is, _unrenewed(unrenewed))
            return _change(conn, task_id, where=where, **values)

    def _lock_if_free(self, conn: sa.Connection, task_id: int) -> bool:
        """Lock the task's row unless another transaction holds it (PostgreSQL; SQLite's
        write transaction holds the whole file): False if one does, or the task is gone.

        A take-over waited for such a lock: a worker frozen inside a write (stopped, its
        host cut off) held its task's row, and the runner taking its tasks over waited in
        its heartbeat loop for as long, its own tasks' leases lapsing meanwhile."""
        query = sa.select(T.c.id).where(T.c.id == task_id)
        if self._db.supports_skip_locked:
            query = query.with_for_update(skip_locked=True)
        return conn.execute(query).first() is not None

    def beat(self, worker: str, task_ids: Iterable[int]) -> None:
        """A sign of life for the tasks ``task_ids`` that ``worker`` runs, at the database's
        time (:meth:`lease_now`) once the write lock is held (SQLite's is taken as the
        transaction begins; PostgreSQL's row locks before the row is written). Before, the
        time was read before waiting for the lock: a beat that waited for other writers
        wrote a lease already that much older, and a live worker could lose its task to a
        wait for the database it had no part in."""
        ids = list(task_ids)
        if not ids:
            return
        with self._db.write() as conn:
            conn.execute(
                sa.update(T)
                .where(T.c.worker == worker, T.c.status == "running", T.c.id.in_(ids))
                .values(heartbeat=self._lease_clock())
            )

    def lease_now(self) -> float:
        """Now by the clock leases are written and judged by (unix seconds): the
        database's. PostgreSQL's, for workers on several hosts: a lease written by one
        host's clock and judged by another's lapsed early by their skew (a worker whose
        clock was 20 s behind lost its task at once to a runner on another host); on SQLite
        every process is on the file's host, whose clock it is."""
        if self._db.dialect != "postgresql":
            return time.time()
        with self._db.read() as conn:
            return self._clock(conn)

    def _lease_clock(self) -> Any:
        """A lease's time as written (whole seconds by :meth:`lease_now`'s clock): on
        PostgreSQL an expression the server evaluates as it writes the row (no round trip
        of its own, and the time once any lock waited for is held)."""
        if self._db.dialect == "postgresql":
            epoch = sa.extract("epoch", sa.func.clock_timestamp())
            return sa.cast(sa.func.floor(epoch), sa.BigInteger)
        return int(time.time())

    def runner_seen(self, now: int | None = None) -> None:
        """A task runner runs on this database at ``now`` (its heartbeat): what the
        readiness of a service that runs no tasks of its own reads. ``now`` None (what a
        runner says) is the database's clock once the write lock is held, the one leases
        are written and judged by: written by a worker host's own clock a minute behind,
        a live worker read as gone. The row keeps the latest time said: a runner's write
        that waited for the lock while another said a later time does not move it back."""
        with self._db.write() as conn:
            value = str(int(self._clock(conn) if now is None else now))
            # the stored text is a count of seconds without leading zeros: the shorter is
            # the earlier, and at one length the text's order is the number's
            earlier = sa.or_(
                sa.func.length(META.c.value) < len(value),
                sa.and_(sa.func.length(META.c.value) == len(value), META.c.value < value),
            )
            dialect = self._db.dialect
            if dialect in ("sqlite", "postgresql"):  # two runners' first beats at once
                insert = importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert(META)
                statement = insert.values(key=RUNNER_SEEN_KEY, value=value)
                conn.execute(
                    statement.on_conflict_do_update(
                        index_elements=["key"], set_={"value": value}, where=earlier
                    )
                )
            elif not conn.execute(
                sa.select(META.c.key).where(META.c.key == RUNNER_SEEN_KEY)
            ).first():
                conn.execute(META.insert().values(key=RUNNER_SEEN_KEY, value=value))
            else:
                conn.execute(
                    META.update().where(META.c.key == RUNNER_SEEN_KEY, earlier).values(value=value)
                )

    def promise_runner(
        self, holder: str, seconds: float, *, free: bool = False, replacing: str | None = None
    ) -> bool:
        """Promise, for ``seconds``, that a runner takes the queued tasks: ``holder`` (a
        process) is starting a worker, or (``free``) is a runner with a free thread; False,
        and nothing written, if another holder's promise still stands.

        Atomic, so that of several processes that see a task wait for a runner (scripts
        on one file) one starts a worker, not each. A free runner's promise stands over a
        process's: it takes the tasks itself, no worker need start; it is written only if
        it reaches later than the promise that stands. Measured by the database's clock
        (PostgreSQL's, for processes on several hosts; on SQLite every process is on the
        file's host), in milliseconds: ``tasks.created`` holds whole seconds only. A promise
        reaching more than :data:`LONGEST_RUNNER_PROMISE_SECONDS` past now counts as lapsed
        (its clock was ahead); ``seconds`` longer than that is refused (ValueError).

        ``replacing``: the holder whose promise this one takes over (a worker process
        taking over the start promise its service made for it): that one counts as lapsed,
        so that in one transaction this holder's promise stands where it stood, with no
        moment between the two when another process finds the queued tasks unpromised."""
        if not 0 < seconds <= LONGEST_RUNNER_PROMISE_SECONDS:
            raise ValueError(
                f"a runner promise lasts more than 0 and at most "
                f"{LONGEST_RUNNER_PROMISE_SECONDS:g} seconds, not {seconds!r}"
            )
        with self._db.write() as conn:
            now = self._clock(conn)
            row = conn.execute(
                sa.select(META.c.value).where(META.c.key == RUNNER_PROMISE_KEY).with_for_update()
            ).first()
            until, promised_by = _promise(row[0] if row is not None else None)
            if until > now + LONGEST_RUNNER_PROMISE_SECONDS:  # written by a clock ahead
                until = 0.0
            if replacing is not None and promised_by == replacing:
                until = 0.0
            mine = promised_by == holder
            if free and not mine and until >= now + seconds:
                return True  # a promise reaching as far stands (a runner free as well)
            if not free and not mine and until > now:
                return False
            value = f"{now + seconds:.3f}\t{holder}"
            if row is None:
                dialect = self._db.dialect
                if dialect not in ("sqlite", "postgresql"):
                    conn.execute(META.insert().values(key=RUNNER_PROMISE_KEY, value=value))
                    return True
                insert = importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert(META)
                # another's first promise at once: the row is new, nothing to lock before
                done = conn.execute(
                    insert.values(key=RUNNER_PROMISE_KEY, value=value)
                    .on_conflict_do_nothing()
                    .returning(META.c.key)
                )
                return done.first() is not None
            conn.execute(META.update().where(META.c.key == RUNNER_PROMISE_KEY).values(value=value))
        return True

    def runner_promise_holder(self) -> str | None:
        """Who holds the runner promise that stands now (by the database's clock, as
        :meth:`promise_runner` judges it), or None if none does. A read: it takes no write
        lock."""
        with self._db.read() as conn:
            now = self._clock(conn)
            text = conn.execute(
                sa.select(META.c.value).where(META.c.key == RUNNER_PROMISE_KEY)
            ).scalar()
        until, holder = _promise(text)
        if not now < until <= now + LONGEST_RUNNER_PROMISE_SECONDS:
            return None
        return holder or None

    def withdraw_runner_promise(self, holder: str) -> None:
        """``holder`` stops (a runner, or a process whose worker was starting): its promise,
        if it still stands, ends now, so that a task queued next starts a worker at once
        instead of waiting for it to lapse."""
        with self._db.write() as conn:
            conn.execute(
                META.update()
                .where(
                    META.c.key == RUNNER_PROMISE_KEY,
                    META.c.value.endswith("\t" + holder, autoescape=True),
                )
                .values(value="0\t")
            )

    def _clock(self, conn: sa.Connection) -> float:
        """Now, in unix seconds: PostgreSQL's clock, else this host's."""
        if self._db.dialect == "postgresql":
            now = conn.execute(sa.text("SELECT extract(epoch FROM clock_timestamp())")).scalar()
            return float(now or 0)
        return time.time()

    def runner_last_seen(self) -> int | None:
        """When a task runner last said it runs on this database (unix seconds), or None if
        none ever did."""
        with self._db.read() as conn:
            text = conn.execute(
                sa.select(META.c.value).where(META.c.key == RUNNER_SEEN_KEY)
            ).scalar()
        return int(text) if text is not None and str(text).isdigit() else None

    def unfinished(self, *, new_before: int | None = None) -> list[TaskRecord]:
        """Running tasks, and (with ``new_before``) new ones created no later than it."""
        condition: sa.ColumnElement[bool] = T.c.status == "running"
        if new_before is not None:
            condition = sa.or_(condition, sa.and_(T.c.status == "new", T.c.created <= new_before))
        with self._db.read() as conn:
            return [_record(row) for row in conn.execute(_select().where(condition))]

    # ----- helpers

    def _get(
        self, conn: sa.Connection, session_id: int, task_id: int, *, with_result: bool = True
    ) -> TaskRecord:
        """The task as stored (``with_result=False``: without its result, None)."""
        query = _select(with_result=with_result)
        row = conn.execute(query.where(T.c.id == task_id, T.c.session_id == session_id)).first()
        if row is None:
            raise NotFound(f"No task with id '{task_id}' in session '{session_id}'.")
        return _record(row)

    def _get_shown(
        self, conn: sa.Connection, session_id: int, task_id: int, with_result: bool
    ) -> TaskRecord:
        """The task as the routes show it (:func:`_shown`), or without its result."""
        task = self._get(conn, session_id, task_id, with_result=with_result)
        return _shown(conn, task) if with_result else task

    def _ensure_none_active(
        self, conn: sa.Connection, session_id: int, *, besides: int | None = None
    ) -> None:
        query = sa.select(T.c.id, T.c.type, T.c.status).where(
            T.c.session_id == session_id, T.c.status.in_(ACTIVE)
        )
        if besides is not None:
            query = query.where(T.c.id != besides)
        running = conn.execute(query.order_by(T.c.id).limit(1)).first()
        if running is not None:
            state = "queued" if running.status == "new" else running.status
            raise Conflict(
                f"Task {running.id} ({running.type}) is {state} on this session; wait "
                "for it to finish or cancel it before starting another.",
                code="task_running",
                detail={"task": str(running.id), "type": running.type, "status": running.status},
            )

    def _insert(
        self,
        conn: sa.Connection,
        session_id: int,
        owner: int,
        task_type: str,
        params: dict[str, Any],
        now: int,
    ) -> int:
        key = conn.execute(
            sa.insert(T).values(
                session_id=session_id,
                owner_id=owner,
                type=task_type,
                status="new",
                phase="queued",
                progress_fraction=0.0,
                progress_message="waiting for a worker",
                params=json.dumps(params),
                errors="[]",
                cancel_requested=False,
                version=1,
                created=now,
            )
        ).inserted_primary_key
        assert key is not None
        return int(key[0])


def _campaign_part(task: TaskRecord) -> str | None:
    """What :func:`_shown` reads from the campaign for this task's result: ``"design"``,
    ``"history"`` or nothing (None)."""
    result = task.result
    # a canceled task has a result when it kept some of its work (simulate: the
    # generations finished before the cancel)
    if task.status not in ("success", "canceled") or result is None or "gen" not in result:
        return None
    if task.type == "generate" and "experiments" not in result:
        return "design"
    if task.type == "simulate" and "history" not in result:
        return "history"
    return None


def _shown(conn: sa.Connection, task: TaskRecord) -> TaskRecord:
    """A finished task as shown: a generate task's design and a simulate task's history
    are not stored in its result (they are the campaign's, stored once) but read from
    the campaign's generations."""
    part = _campaign_part(task)
    if part is None or task.result is None:
        return task
    result = task.result
    if part == "design":
        table = design_table(conn, task.session_id, int(result["gen"]))
        return attrs.evolve(task, result={**result, "experiments": table})
    history = history_through(conn, task.session_id, int(result["gen"]))
    shown = {"history": {"object": "history", "generations": history}, **result}
    return attrs.evolve(task, result=shown)


def _unrenewed(heartbeat: Unrenewed) -> sa.ColumnElement[bool]:
    """The task's heartbeat is still ``heartbeat`` (any, for ``"any"``)."""
    if heartbeat == "any":
        return sa.true()
    if heartbeat is None:
        return T.c.heartbeat.is_(None)
    return T.c.heartbeat == heartbeat


def _change(conn: sa.Connection, task_id: int, *, where: Any = None, **values: Any) -> bool:
    """Update a task and bump its version; False if no row matched."""
    query = sa.update(T).where(T.c.id == task_id)
    if where is not None:
        query = query.where(where)
    return conn.execute(query.values(version=T.c.version + 1, **values)).rowcount == 1


def _promise(text: str | None) -> tuple[float, str]:
    """A runner promise's end (unix seconds) and holder; ``(0.0, "")`` for none."""
    until, _, holder = (text or "").partition("\t")
    try:
        return float(until), holder
    except ValueError:
        return 0.0, ""

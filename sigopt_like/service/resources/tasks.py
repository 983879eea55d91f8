"""Task routes: list, fetch (with a long poll), cancel, and a server-sent event stream.

:class:`TaskStarter` is how the campaign and analytics routes start a task: the
store refuses a second active task (409 ``task_running``) and runs the route's
state check while holding the session row; the answer is 202 with the task (its URL
in ``Location``), and the runner is woken once the task is committed.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import falcon

from ...json_kinds import json_written_short
from ..client_gone import gone_check
from ..domain.tasks import ACTIVE, FINISHED, TASK_TYPES
from ..errors import APIError, BadRequest, Unauthorized
from ..event_ids import LAST_EVENT_ID, event_id, seen_by_client
from ..http import (
    INT32_MAX,
    QUERY_SHOWN,
    WholeRange,
    is_id_text,
    now,
    owner_id,
    page_request,
    parse_id,
    query_int,
    read_json,
    reject_unknown,
    render_page,
)
from ..middleware.auth import CHALLENGE
from ..middleware.metrics import EVENT_STREAM, LONG_POLL, ServiceMetrics
from ..store import Store
from ..store.sessions import SessionStore
from ..store.tasks import Precheck, TaskRecord, TaskStore
from ..task_links import LOCATION, task_url
from ..task_watch import TaskWatch
from ..worker import (
    TaskRunner,
    lease_seconds,
    local_worker_pid,
    local_worker_runs,
    worker_alive,
)
from .lazy import OwnedSession, path_before_body

MAX_WAIT_SECONDS = 60
#: the whole numbers each task query parameter takes, in one place: a number past its
#: range is a 400 giving it (``http.query_int``)
WAIT_SECONDS: WholeRange = (0, MAX_WAIT_SECONDS)
#: a task's versions count up from 0 (an INTEGER column, 32 bits on PostgreSQL)
TASK_VERSIONS: WholeRange = (0, INT32_MAX)
HEARTBEAT_SECONDS = 10.0
#: how often an event stream asks whether the token that opened it is still valid
CREDENTIAL_CHECK_SECONDS = 1.0
#: how long past the lease's last second a waiter reads the task again
LAPSE_MARGIN_SECONDS = 0.1


#: ``?result=`` of a task listing, a task and its event stream: each task with its result
#: (the default), or without
RESULT_CHOICES = ("include", "omit")
#: the codes of "not yet" answers that a task under way may be about to change
NOT_YET = frozenset({"space_required", "no_design", "no_responses"})


def render_task(task: TaskRecord, *, now: float, with_result: bool = True) -> dict[str, Any]:
    """A task as the contract's Task JSON; ``with_result=False`` leaves ``result`` out.

    ``worker_seen`` and ``warnings`` are read from the stored lease at ``now``, writing
    nothing: a running task whose worker is gone says so. ``now`` is
    ``TaskStore.lease_now()``, the database's clock, which leases are written by (judged
    by a web host's clock a minute ahead, a live worker read as gone). It has no default:
    before, one left out was this host's clock, the database's on SQLite only, and a call
    that forgot it was right in every SQLite test and wrong on PostgreSQL."""
    out = {
        "object": "task",
        "id": str(task.id),
        "session": str(task.session_id),
        "type": task.type,
        "status": task.status,
        "phase": task.phase,
        "progress": {"fraction": task.progress_fraction, "message": task.progress_message},
        "errors": task.errors,
        "result": task.result,
        "cancel_requested": task.cancel_requested,
        "attempts": task.attempts,
        "version": task.version,
        "created": task.created,
        "started": task.started,
        "finished": task.finished,
        "worker_seen": task.heartbeat,
        "warnings": lease_warnings(task, now),
    }
    if not with_result:
        del out["result"]
    return out


def lease_warnings(task: TaskRecord, now: float) -> list[str]:
    """What a running task whose worker is gone (its lease lapsed, or its process ended on
    this host) must say: before, it showed ``running`` and its last progress for as long
    as no worker ran, and only /ready said "degraded".

    Which of them, as far as this host can tell: its process ended (here); its lease
    lapsed though its process still runs here (stalled, or its heartbeats kept out by a
    busy database: before, it read "is gone" all the same); or its lease lapsed on
    another host, whose process cannot be asked."""
    if task.status != "running" or worker_alive(task.worker, task.heartbeat, now):
        return []
    seen = (
        "never"
        if task.heartbeat is None
        else f"{max(0, int(now - task.heartbeat))} s ago (at {task.heartbeat})"
    )
    takes_over = (
        "A 'sigopt-like worker' (or a service that runs tasks) on this database takes the "
        "task over and runs it again from the start"
    )
    pid, runs = local_worker_pid(task.worker), local_worker_runs(task.worker)
    if runs is False:
        return [
            f"its worker was last heard from {seen} and is gone: its process (pid {pid} on "
            "this host) has ended. The task is not running now, and its progress is as "
            f"that worker last wrote it. {takes_over}"
        ]
    if runs:
        return [
            f"its worker was last heard from {seen}: its {lease_seconds()} s lease lapsed, "
            f"though its process (pid {pid} on this host) still runs: it stalled, or its "
            "heartbeat could not be written (the database busy with other writes). "
            f"{takes_over}, this run not counted as an attempt; the stalled run applies "
            "nothing if it goes on"
        ]
    host = (task.worker or "").partition(":")[0] or "an unknown host"
    return [
        f"its worker was last heard from {seen}: its {lease_seconds()} s lease lapsed, so "
        f"it stopped, stalled or cannot reach the database (it ran on {host}, whose "
        "processes this host cannot ask). Its progress is as that worker last wrote it. "
        f"{takes_over}; if that worker still runs it, its run applies nothing"
    ]


def lease_lapse_in(task: TaskRecord, now: float) -> float | None:
    """Seconds from ``now`` until a running task's lease lapses (and its ``warnings`` appear),
    or None when nothing would change with time alone (not running, or already gone).

    A long poll and an event stream wait no longer than this: a dead worker writes
    nothing, so the task's version never changes and only a read at that moment shows it.
    """
    if task.status != "running" or task.heartbeat is None or lease_warnings(task, now):
        return None
    # gone once ``now - heartbeat > LEASE_SECONDS``: just past that moment
    return max(0.0, task.heartbeat + lease_seconds() + LAPSE_MARGIN_SECONDS - now)


def watched(task: TaskRecord, now: float) -> tuple[int, bool]:
    """What a waiting client is told of: the task's version, and whether its worker is gone
    (``warnings``; their "s ago" counts up every second, so the words are not compared)."""
    return task.version, bool(lease_warnings(task, now))


class TaskStarter:
    """Starts a task on a session for a route, and wakes the runner once it is committed."""

    def __init__(self, store: Store, runner: TaskRunner) -> None:
        self._store = store
        self._runner = runner
        #: its routes' ``judge_path``: a 404 unless the session is the caller's
        self.owned_session = OwnedSession(store.sessions)

    def start(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        raw_sid: str,
        task_type: str,
        params: dict[str, Any],
        precheck: Precheck | None = None,
    ) -> None:
        """Start a task of ``task_type``; the response is 202 with the task, and its URL
        in ``Location`` (where to follow it: RFC 9110's status monitor)."""
        task = self._store.tasks.start(
            owner_id(req), parse_id(raw_sid, "session"), task_type, params, now(), precheck
        )
        self._store.after_commit(self._wake)
        resp.status = falcon.HTTP_202
        resp.set_header(LOCATION, task_url(req.prefix, task.session_id, task.id))
        # a new task is queued, so no lease is judged; the clock is the one all the same
        resp.media = render_task(task, now=self._store.tasks.lease_now())

    def require_session(self, req: falcon.Request, raw_sid: str) -> None:
        """404 unless session ``raw_sid`` is the caller's: a route calls it before judging
        its body, so that a foreign or unknown id answers as it does with a body it takes
        (before: a 400 or 422 on the body told the caller the id was somebody's). One
        precompiled point read (``SessionStore.get``)."""
        self.owned_session(req, {"sid": raw_sid})

    @contextlib.contextmanager
    def explained(self, raw_sid: str) -> Iterator[None]:
        """Add to a "not yet" error (no space, no design, no responses) the task that is
        making it now (:meth:`explain`)."""
        try:
            yield
        except APIError as err:
            if err.code not in NOT_YET:
                raise
            raise self.explain(err, raw_sid) from None

    def explain(self, err: APIError, raw_sid: str) -> APIError:
        """``err``, a "not yet" answer about session ``raw_sid`` (its owner's: the route
        read it first), naming the task under way on it, if there is one. Before, a
        design asked for while the first generate ran was told "generate the first
        design", and doing so was a 409 ``task_running``."""
        task = self._store.tasks.underway(int(raw_sid)) if is_id_text(raw_sid) else None
        if task is not None:
            state = "queued" if task.status == "new" else task.status
            err.message = (
                f"{err.message.split(':', 1)[0]}: task {task.id} ({task.type}) is {state} "
                f"on this session; ask again when it has finished (tasks({task.id}).wait() "
                f"in Python; sigopt-like tasks list {task.session_id} shows it)."
            )
            err.detail = {**err.detail, "task": str(task.id), "type": task.type}
        return err

    def _wake(self) -> None:
        self._runner.submit()
        self._runner.notify_change()


def _choice(
    req: falcon.Request, name: str, choices: tuple[str, ...], *, any_case: bool = False
) -> str | None:
    """A query parameter that must be one of ``choices`` (empty or absent: None); else 400.

    ``any_case`` reads it in any letter case (the task type: Daptics' documents spell it
    ``SPACE``, ``UPDATE``…, and an experiment's ``type`` field takes any case too)."""
    value = req.get_param(name)
    if not value:
        return None
    if any_case and value.lower() in choices:
        return value.lower()
    if value not in choices:
        raise BadRequest(
            f"The query parameter '{name}' must be one of {', '.join(choices)}, not "
            f"{json_written_short(value, QUERY_SHOWN)}.",
            detail={"field": name},
        )
    return value


def _with_result(req: falcon.Request) -> bool:
    """``?result=``: include (the default) or omit the task's result; another value, 400."""
    return _choice(req, "result", RESULT_CHOICES) != "omit"


class TaskList:
    """GET /v1/sessions/{sid}/tasks: the session's tasks, newest first, paginated."""

    def __init__(self, tasks: TaskStore, sessions: SessionStore) -> None:
        self._tasks = tasks
        #: a foreign or unknown session is a 404 whatever is sent (``lazy.path_before_body``)
        self.judge_path = OwnedSession(sessions)

    def on_get(self, req: falcon.Request, resp: falcon.Response, sid: str) -> None:
        """One page of tasks (``?status=`` and ``?type=`` filter).

        ``?result=omit`` lists them without their results (the key is left out): a
        simulate task's result is the campaign's whole history, megabytes that a
        listing polled for statuses (the dashboard's) need not move.
        """
        # a query refused on a session not the caller's is its 404 (read on refusal only)
        with path_before_body(self.judge_path, req, {"sid": sid}):
            with_result = _with_result(req)
            asked = page_request(req)
            status = _choice(req, "status", ACTIVE + FINISHED)
            task_type = _choice(req, "type", TASK_TYPES, any_case=True)
        page = self._tasks.page(
            owner_id(req),
            parse_id(sid, "session"),
            asked,
            status=status,
            task_type=task_type,
            with_result=with_result,
        )
        now = self._tasks.lease_now()  # one read of the database's clock for the page
        resp.media = render_page(
            page, lambda task: render_task(task, with_result=with_result, now=now)
        )


class TaskItem:
    """GET /v1/sessions/{sid}/tasks/{tid} (``?wait=S``), POST …/cancel, GET …/events.

    Waiting (a long poll, an event stream) goes through the instance's task watch:
    one reader wakes every waiter when its task changes, and a bounded number of
    waiting slots keeps waiters off the threads others need (see task_watch.py).
    ``metrics`` counts the waiters (``sigopt_like_http_streams_open``).
    """

    #: the door leaves a too-wide integer in a body's field to the route's own check
    #: (the cancel takes no field: "Unknown field(s)"), not its words on whole numbers
    fields_judge_integers = True

    def __init__(
        self,
        store: Store,
        runner: TaskRunner,
        watch: TaskWatch,
        time_limit_seconds: float,
        metrics: ServiceMetrics,
    ) -> None:
        self._store = store
        self._tasks = store.tasks
        self._runner = runner
        self._watch = watch
        self._metrics = metrics
        self._stream_seconds = float(time_limit_seconds) + 60.0

    def _owned(
        self, req: falcon.Request, sid: str, tid: str, *, with_result: bool = True
    ) -> TaskRecord:
        return self._tasks.get_owned(
            owner_id(req),
            parse_id(sid, "session"),
            parse_id(tid, "task"),
            with_result=with_result,
        )

    def judge_path(self, req: falcon.Request, params: dict[str, Any]) -> None:
        """404 unless the task is the caller's, on a body the door refuses
        (``lazy.path_before_body``): a foreign or unknown id is a 404 whatever the body."""
        self._owned(req, params["sid"], params["tid"], with_result=False)

    def on_get(self, req: falcon.Request, resp: falcon.Response, sid: str, tid: str) -> None:
        """The task; with ``wait=S`` (up to 60) the answer waits until it changes or finishes.

        "Changes" means its version differs from ``version`` (a query parameter,
        default: the version when the request came in), or its worker is found gone
        (``warnings`` appear: read again when its lease would lapse): with ``version``,
        gone already when the request came in answers at once too (the client's task of
        that version had no warning); without, only gone while it waits.
        The request waits only while it holds one of the instance's waiting slots;
        when all are taken it answers at once, with ``X-Wait-Refused: slots``, and the
        client polls; while the server stops (nobody waits then) it answers at once with
        ``X-Wait-Refused: stopping``. A token revoked (or a session signed out) while it waited gets
        the 401, not the task.
        ``?result=omit`` answers the task without its result, as a listing does.
        """
        with_result = _with_result(req)
        task = self._owned(req, sid, tid, with_result=with_result)
        wait = query_int(req, "wait", 0, within=WAIT_SECONDS) or 0
        given = query_int(req, "version", None, within=TASK_VERSIONS)
        # leases are judged by the database's clock (they are written by it), once per read
        first = self._tasks.lease_now()
        # what the client has: ``version`` given, that version with its worker not gone
        # (the warning comes with no new version: a poll asked just after the worker went,
        # with the version of an answer from just before, waited out its whole wait); not
        # given, the task as it is now (a client that has seen the warning waits for the
        # next change, the take-over, without an answer at once)
        seen, gone = watched(task, first) if given is None else (given, False)
        read_at = first
        if wait and task.status not in FINISHED and watched(task, first) == (seen, gone):
            with (
                self._watch.slot() as may_wait,
                self._metrics.waiting(LONG_POLL) if may_wait else contextlib.nullcontext(),
            ):
                if not may_wait:  # a stopping server gives no slot either: say which
                    refused = "stopping" if self._watch.stopping else "slots"
                    resp.set_header("X-Wait-Refused", refused)
                deadline = time.monotonic() + (wait if may_wait else 0)
                client_gone = gone_check(req.env)
                live = True
                # a worker gone (its lease lapsed, its process ended) while it waits answers
                # too: it writes nothing, so the version alone never changed
                while task.status not in FINISHED and watched(task, read_at) == (seen, gone):
                    left = deadline - time.monotonic()
                    if left <= 0 or self._watch.stopping:  # the server is stopping
                        break
                    # a second at a time: a token revoked meanwhile ends the wait (and
                    # frees its slot) within a second, not at the end of ``wait``; and
                    # no later than the moment the lease would lapse
                    pause = min(left, CREDENTIAL_CHECK_SECONDS)
                    lapse = lease_lapse_in(task, read_at)
                    if lapse is not None:
                        pause = min(pause, lapse)
                    self._watch.wait(task.id, task.version, max(pause, 0.01))
                    live = req.context.credential_live()
                    if not live:
                        break
                    if client_gone():  # its client closed the connection: the slot back
                        break
                    task = self._tasks.get(task.session_id, task.id, with_result=with_result)
                    read_at = self._tasks.lease_now()
            if not live or not req.context.credential_live():
                raise Unauthorized(
                    "The token of this request was revoked, or its sign-in ended, while it "
                    "waited: use a valid API token, or sign in again at /.",
                    headers={"WWW-Authenticate": CHALLENGE + ', error="invalid_token"'},
                )
        resp.media = render_task(task, with_result=with_result, now=read_at)

    def on_post_cancel(self, req: falcon.Request, resp: falcon.Response, sid: str, tid: str):
        """Cancel: a new task at once; a running one stops at its next step; 409 if finished.

        It takes no body fields: one given is refused (it was read by no one, and the
        task cancelled all the same), as a session's halt refuses them."""
        owner, session_id, task_id = owner_id(req), parse_id(sid, "session"), parse_id(tid, "task")
        # 404 before looking at the body (a foreign task's id is no one's to the caller)
        self._tasks.get_owned(owner, session_id, task_id, with_result=False)
        reject_unknown(read_json(req, required=False), frozenset())
        task = self._tasks.cancel(owner, session_id, task_id, now())
        self._store.after_commit(self._runner.notify_change)
        resp.media = render_task(task, now=self._tasks.lease_now())

    def on_get_events(self, req: falcon.Request, resp: falcon.Response, sid: str, tid: str):
        """``text/event-stream``: ``event: task`` with the task JSON on every change (a
        new version, or its worker found gone: the same version, with ``warnings``).

        A comment line every 10 s keeps the connection open; the stream ends
        after the finished task is sent, or after the task time limit, or as soon as
        the token that opened it is revoked or expires (checked before what it sends,
        at most a second apart; the next request is then a 401). It waits
        only while it holds a waiting slot: when all are taken, it sends the task
        once and ends (the client then long-polls). ``?result=omit`` sends every task
        without its result, as a listing does.

        Each event's ``id`` is the task's version (``-gone`` added when it tells of its
        worker gone, see event_ids.py). A client reconnecting with ``Last-Event-ID`` (as
        EventSource does) is sent nothing it has: the id of the task as it is now waits
        for the next change (an older one gets the task at once); of a finished task,
        the answer is 204, which tells EventSource to stop reconnecting. A malformed id
        is ignored, as if not sent.
        """
        with_result = _with_result(req)
        task = self._owned(req, sid, tid, with_result=False)
        resumed = seen_by_client(req.get_header(LAST_EVENT_ID))
        if (
            resumed is not None
            and task.status in FINISHED
            and resumed == watched(task, self._tasks.lease_now())
        ):
            # it has the task's last state, and nothing more will come: 204 No Content
            # is the SSE spec's "stop reconnecting" (a stream that merely ended is
            # reconnected to a second later, by EventSource, for ever)
            resp.status = falcon.HTTP_204
            return
        resp.content_type = "text/event-stream"
        resp.set_header("Cache-Control", "no-cache")
        resp.set_header("X-Accel-Buffering", "no")
        resp.stream = self._events(
            task.session_id,
            task.id,
            req.context.credential_live,
            with_result,
            gone_check(req.env),
            resumed,
        )

    def _events(
        self,
        session_id: int,
        task_id: int,
        credential_live: Callable[[], bool],
        with_result: bool,
        client_gone: Callable[[], bool],
        resumed: tuple[int, bool] | None = None,
    ) -> Iterator[bytes]:
        # the slot is taken when the server starts sending, and given back when the
        # stream ends or the client goes away (the server closes the generator); the
        # stream is counted open for as long
        with self._metrics.waiting(EVENT_STREAM), self._watch.slot() as may_wait:
            deadline = time.monotonic() + self._stream_seconds
            # what the client has: with a Last-Event-ID, the task of that id (the same
            # task as now is not sent again); else nothing yet
            last_seen: tuple[int, bool] | None = resumed
            last_sent = checked = time.monotonic()
            yield b"retry: 1000\n\n"
            while True:
                if time.monotonic() - checked >= CREDENTIAL_CHECK_SECONDS:
                    if not credential_live():
                        return  # revoked or expired meanwhile: not one event more
                    checked = time.monotonic()
                task = self._tasks.get(session_id, task_id, with_result=with_result)
                read_at = self._tasks.lease_now()  # the clock leases are written by
                read_mono = time.monotonic()
                # a worker gone (lease lapsed, process ended) is sent too: it writes
                # nothing, so the version alone never changed
                now_seen = watched(task, read_at)
                if now_seen != last_seen:
                    last_seen = now_seen
                    last_sent = time.monotonic()
                    shown = render_task(task, with_result=with_result, now=read_at)
                    data = json.dumps(shown, separators=(",", ":"))
                    ident = event_id(*now_seen)
                    yield f"event: task\nid: {ident}\ndata: {data}\n\n".encode()
                if not may_wait or task.status in FINISHED or time.monotonic() > deadline:
                    return
                if self._watch.stopping:  # the server is stopping: the client reconnects
                    return
                if client_gone():  # seen at once, not at the next keep-alive's write
                    return
                if time.monotonic() - last_sent >= HEARTBEAT_SECONDS:
                    last_sent = time.monotonic()
                    yield b": keep-alive\n\n"
                quiet = HEARTBEAT_SECONDS - (time.monotonic() - last_sent)
                # never past the next credential check: a stream of a task that does not
                # change (queued, waiting for a worker) ended at its next keep-alive, up
                # to 10 s after its token was revoked
                recheck = CREDENTIAL_CHECK_SECONDS - (time.monotonic() - checked)
                left = min(quiet, deadline - time.monotonic(), recheck)
                # the database's time of the read, and what this host's monotonic clock
                # counted since (a slow client's write): no second read of its clock
                lapse = lease_lapse_in(task, read_at + time.monotonic() - read_mono)
                if lapse is not None:  # read again the moment its lease would lapse
                    left = min(left, lapse)
                self._watch.wait(task_id, task.version, max(left, 0.01))


def register(app: falcon.App, context: Any) -> None:
    """Add the task routes."""
    item = TaskItem(
        context.store,
        context.runner,
        context.task_watch,
        context.settings.task_time_limit_seconds,
        context.metrics,
    )
    app.add_route("/v1/sessions/{sid}/tasks", TaskList(context.store.tasks, context.store.sessions))
    app.add_route("/v1/sessions/{sid}/tasks/{tid}", item)
    app.add_route("/v1/sessions/{sid}/tasks/{tid}/cancel", item, suffix="cancel")
    app.add_route("/v1/sessions/{sid}/tasks/{tid}/events", item, suffix="events")

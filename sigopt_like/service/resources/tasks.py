"""Task routes: list, fetch (with a long poll), cancel, and a server-sent event stream.

``start_task`` is how the campaign and analytics routes start a task: in one
transaction holding the session row it refuses a second active task (409
``task_running``), runs the route's state check and inserts the task; the
answer is 202 with the task.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import falcon
import sqlalchemy as sa

from ..campaign_store import load_campaign, session_row
from ..domain.campaign import Campaign, CampaignConflict
from ..errors import Conflict
from ..http import owner_id, paginate, parse_id, query_int
from ..store import schema
from ..task_store import FINISHED, cancel, create_task, ensure_no_active_task, render_task, task_row

T = schema.tasks

MAX_WAIT_SECONDS = 60
POLL_SECONDS = 0.15
HEARTBEAT_SECONDS = 10.0


def conflict_from(exc: CampaignConflict) -> Conflict:
    """The HTTP 409 for a refused campaign step (its code and message kept)."""
    return Conflict(exc.message, code=exc.code)


def start_task(
    context: Any,
    req: falcon.Request,
    resp: falcon.Response,
    raw_sid: str,
    task_type: str,
    params: dict[str, Any],
    precheck: Callable[[Campaign], None] | None = None,
) -> None:
    """Start a task of ``task_type`` on a session; the response is 202 with the task."""
    sid = parse_id(raw_sid, "session")
    owner = owner_id(req)
    with context.engine.begin() as conn:
        session_row(conn, sid, owner, lock=True)
        ensure_no_active_task(conn, sid)
        if precheck is not None:
            try:
                precheck(load_campaign(conn, sid, owner))
            except CampaignConflict as exc:
                raise conflict_from(exc) from exc
        task_id = create_task(conn, sid, owner, task_type, params)
        row = task_row(conn, sid, task_id)
    if context.runner is not None:
        context.runner.submit()
        context.runner.notify_change()
    resp.status = falcon.HTTP_202
    resp.media = render_task(row)


def _wait_change(context: Any, seconds: float) -> None:
    runner = context.runner
    if runner is not None:
        runner.wait_for_change(seconds)
    else:
        time.sleep(seconds)


def _read(context: Any, sid: int, tid: int) -> Any:
    with context.engine.connect() as conn:
        return task_row(conn, sid, tid)


class TaskList:
    """GET /v1/sessions/{sid}/tasks: the session's tasks, newest first, paginated."""

    def __init__(self, context: Any) -> None:
        self.context = context

    def on_get(self, req: falcon.Request, resp: falcon.Response, sid: str) -> None:
        """One page of tasks (``?status=`` filters)."""
        session_id = parse_id(sid, "session")
        with self.context.engine.connect() as conn:
            session_row(conn, session_id, owner_id(req))
            query = sa.select(T).where(T.c.session_id == session_id)
            status = req.get_param("status")
            if status:
                query = query.where(T.c.status == status)
            if req.get_param("type"):
                query = query.where(T.c.type == req.get_param("type"))
            resp.media = paginate(conn, query, T.c.id, req, render_task)


class TaskItem:
    """GET /v1/sessions/{sid}/tasks/{tid} (``?wait=S``), POST …/cancel, GET …/events."""

    def __init__(self, context: Any) -> None:
        self.context = context

    def _ids(self, req: falcon.Request, sid: str, tid: str) -> tuple[int, int]:
        session_id = parse_id(sid, "session")
        task_id = parse_id(tid, "task")
        with self.context.engine.connect() as conn:
            session_row(conn, session_id, owner_id(req))
            task_row(conn, session_id, task_id)
        return session_id, task_id

    def on_get(self, req: falcon.Request, resp: falcon.Response, sid: str, tid: str) -> None:
        """The task; with ``wait=S`` (up to 60) the answer waits until it changes or finishes.

        "Changes" means its version differs from ``version`` (a query parameter,
        default: the version when the request came in).
        """
        session_id, task_id = self._ids(req, sid, tid)
        wait = query_int(req, "wait", 0, minimum=0, maximum=MAX_WAIT_SECONDS) or 0
        row = _read(self.context, session_id, task_id)
        seen = query_int(req, "version", row.version)
        deadline = time.monotonic() + wait
        while row.status not in FINISHED and row.version == seen:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            _wait_change(self.context, min(POLL_SECONDS, left))
            row = _read(self.context, session_id, task_id)
        resp.media = render_task(row)

    def on_post_cancel(self, req: falcon.Request, resp: falcon.Response, sid: str, tid: str):
        """Cancel: a new task at once; a running one stops at its next step; 409 if finished."""
        session_id, task_id = self._ids(req, sid, tid)
        with self.context.engine.begin() as conn:
            row = cancel(conn, session_id, task_id)
        if self.context.runner is not None:
            self.context.runner.notify_change()
        resp.media = render_task(row)

    def on_get_events(self, req: falcon.Request, resp: falcon.Response, sid: str, tid: str):
        """``text/event-stream``: ``event: task`` with the task JSON on every change.

        A comment line every 10 s keeps the connection open; the stream ends
        after the finished task is sent, or after the task time limit.
        """
        session_id, task_id = self._ids(req, sid, tid)
        resp.content_type = "text/event-stream"
        resp.set_header("Cache-Control", "no-cache")
        resp.set_header("X-Accel-Buffering", "no")
        resp.stream = self._events(session_id, task_id)

    def _events(self, session_id: int, task_id: int) -> Iterator[bytes]:
        limit = float(self.context.settings.task_time_limit_seconds) + 60.0
        deadline = time.monotonic() + limit
        last_version = None
        last_sent = time.monotonic()
        yield b"retry: 1000\n\n"
        while True:
            row = _read(self.context, session_id, task_id)
            if row.version != last_version:
                last_version = row.version
                last_sent = time.monotonic()
                data = json.dumps(render_task(row), separators=(",", ":"))
                yield f"event: task\nid: {row.version}\ndata: {data}\n\n".encode()
            if row.status in FINISHED or time.monotonic() > deadline:
                return
            if time.monotonic() - last_sent >= HEARTBEAT_SECONDS:
                last_sent = time.monotonic()
                yield b": keep-alive\n\n"
            _wait_change(self.context, POLL_SECONDS)


def register(app: falcon.App, context: Any) -> None:
    """Add the task routes."""
    item = TaskItem(context)
    app.add_route("/v1/sessions/{sid}/tasks", TaskList(context))
    app.add_route("/v1/sessions/{sid}/tasks/{tid}", item)
    app.add_route("/v1/sessions/{sid}/tasks/{tid}/cancel", item, suffix="cancel")
    app.add_route("/v1/sessions/{sid}/tasks/{tid}/events", item, suffix="events")

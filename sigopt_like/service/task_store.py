"""Task rows: creating, reading, rendering and changing them (SQLAlchemy Core).

Every visible change bumps the row's ``version``, which long polls and event
streams watch. Only one task at a time may be ``new`` or ``running`` per
session; ``create_task`` enforces it while holding the session row.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
import sqlalchemy as sa

from .errors import Conflict, NotFound
from .http import now
from .store import schema

T = schema.tasks

TASK_TYPES = ("space", "update", "generate", "simulate", "analytics")
ACTIVE = ("new", "running")
FINISHED = ("success", "failed", "canceled")
VALIDATION, EXECUTION, SYSTEM = "validation", "execution", "system"

INTERRUPTED_MESSAGE = "interrupted: the service stopped while this task was running; start it again"


@attrs.frozen
class TaskError:
    """One error of a failed task: message, category, and where in the input it applies."""

    message: str
    category: str = EXECUTION
    row: int | None = None
    column: str | None = None
    field: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form ``{"message", "category", "row", "column", "field"}``."""
        return attrs.asdict(self)


def render_task(row: Any) -> dict[str, Any]:
    """A task row as the contract's Task JSON."""
    return {
        "object": "task",
        "id": str(row.id),
        "session": str(row.session_id),
        "type": row.type,
        "status": row.status,
        "phase": row.phase,
        "progress": {"fraction": row.progress_fraction, "message": row.progress_message},
        "errors": json.loads(row.errors or "[]"),
        "result": json.loads(row.result) if row.result else None,
        "cancel_requested": bool(row.cancel_requested),
        "version": row.version,
        "created": row.created,
        "started": row.started,
        "finished": row.finished,
    }


def active_task(conn: sa.Connection, session_id: int) -> Any:
    """The session's new or running task, or None."""
    return conn.execute(
        sa.select(T)
        .where(T.c.session_id == session_id, T.c.status.in_(ACTIVE))
        .order_by(T.c.id)
        .limit(1)
    ).first()


def ensure_no_active_task(conn: sa.Connection, session_id: int, *, besides: int | None = None):
    """Raise a 409 ``task_running`` naming the session's new or running task, if any."""
    query = sa.select(T).where(T.c.session_id == session_id, T.c.status.in_(ACTIVE))
    if besides is not None:
        query = query.where(T.c.id != besides)
    running = conn.execute(query.order_by(T.c.id).limit(1)).first()
    if running is not None:
        raise Conflict(
            f"Task {running.id} ({running.type}) is {running.status} on this session; wait for "
            "it to finish or cancel it before starting another.",
            code="task_running",
            detail={"task": str(running.id), "type": running.type, "status": running.status},
        )


def create_task(
    conn: sa.Connection,
    session_id: int,
    owner_id: int,
    task_type: str,
    params: dict[str, Any],
    *,
    besides: int | None = None,
) -> int:
    """Insert a ``new`` task (inside the caller's transaction, session row held); its id."""
    ensure_no_active_task(conn, session_id, besides=besides)
    inserted = conn.execute(
        sa.insert(T).values(
            session_id=session_id,
            owner_id=owner_id,
            type=task_type,
            status="new",
            phase="queued",
            progress_fraction=0.0,
            progress_message="waiting for a worker",
            params=json.dumps(params),
            errors="[]",
            cancel_requested=False,
            version=1,
            created=now(),
        )
    ).inserted_primary_key
    assert inserted is not None
    return int(inserted[0])


def task_row(conn: sa.Connection, session_id: int, task_id: int) -> Any:
    """The task ``task_id`` of session ``session_id``; NotFound otherwise."""
    row = conn.execute(sa.select(T).where(T.c.id == task_id, T.c.session_id == session_id)).first()
    if row is None:
        raise NotFound(f"No task with id '{task_id}' in session '{session_id}'.")
    return row


def task_by_id(conn: sa.Connection, task_id: int) -> Any:
    """The task ``task_id`` or None."""
    return conn.execute(sa.select(T).where(T.c.id == task_id)).first()


def change(conn: sa.Connection, task_id: int, *, where: Any = None, **values: Any) -> bool:
    """Update a task and bump its version; False if no row matched."""
    query = sa.update(T).where(T.c.id == task_id)
    if where is not None:
        query = query.where(where)
    result = conn.execute(query.values(version=T.c.version + 1, **values))
    return result.rowcount == 1


def finish(
    conn: sa.Connection,
    task_id: int,
    status: str,
    *,
    result: dict[str, Any] | None = None,
    errors: list[TaskError] | None = None,
    message: str = "",
) -> bool:
    """Mark an active task finished (success, failed or canceled); False if it was not active."""
    values: dict[str, Any] = {
        "status": status,
        "phase": status,
        "finished": now(),
        "progress_message": message or status,
    }
    if status == "success":
        values["progress_fraction"] = 1.0
    if result is not None:
        values["result"] = json.dumps(result)
    if errors:
        values["errors"] = json.dumps([e.to_dict() for e in errors])
    return change(conn, task_id, where=T.c.status.in_(ACTIVE), **values)


def cancel(conn: sa.Connection, session_id: int, task_id: int) -> Any:
    """Cancel a task: a new one at once, a running one by request; 409 if it finished."""
    row = task_row(conn, session_id, task_id)
    if row.status in FINISHED:
        raise Conflict(
            f"Task {task_id} already finished with status '{row.status}'; nothing to cancel.",
            code="conflict",
            detail={"task": str(task_id), "status": row.status},
        )
    canceled_new = row.status == "new" and change(
        conn,
        task_id,
        where=T.c.status == "new",
        status="canceled",
        phase="canceled",
        finished=now(),
        progress_message="canceled before it started",
    )
    if not canceled_new:
        change(
            conn,
            task_id,
            where=T.c.status == "running",
            cancel_requested=True,
            progress_message="cancel requested",
        )
    return task_row(conn, session_id, task_id)

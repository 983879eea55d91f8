"""Where a started task is followed: the ``Location`` of every ``202 Accepted``.

A route that starts a task answers 202 with the task; RFC 9110 (15.3.3) says such an
answer should point at a status monitor, so it names the task's own URL (GET it, long-poll
it with ``?wait=``, or add ``/events`` for its stream). The URL is absolute, built from
the request's scheme, host and mount point (``req.prefix``), as a SigOpt file's ``url``
is. A repeat of the request with its ``Idempotency-Key`` replays the stored body, not its
headers, so the replay reads the task from that body (:func:`replayed_location`).
"""

from __future__ import annotations

import json

#: the header, and the status it goes with
LOCATION = "Location"
ACCEPTED = 202


def task_url(prefix: str, session_id: int | str, task_id: int | str) -> str:
    """The absolute URL of task ``task_id`` of session ``session_id`` under ``prefix``
    (a request's ``scheme://host`` and mount point)."""
    return f"{prefix}/v1/sessions/{session_id}/tasks/{task_id}"


def replayed_location(prefix: str, status: int, body: str | None) -> str | None:
    """The ``Location`` of a stored answer replayed: a 202's body is the task it started
    (``session`` and ``id``); another answer, or a body that is no task, has none."""
    if status != ACCEPTED or not body:
        return None
    try:
        task = json.loads(body)
    except ValueError:
        return None
    if not isinstance(task, dict) or task.get("object") != "task":
        return None
    session_id, task_id = task.get("session"), task.get("id")
    if not isinstance(session_id, str) or not isinstance(task_id, str):
        return None
    if not (session_id.isdigit() and task_id.isdigit()):
        return None
    return task_url(prefix, session_id, task_id)

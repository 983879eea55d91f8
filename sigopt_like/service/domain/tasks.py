"""Tasks, in the domain's words: types, states, and how a task's errors read.

Only one task at a time may be ``new`` or ``running`` per session.
"""

from __future__ import annotations

from typing import Any

import attrs

TASK_TYPES = ("space", "update", "generate", "simulate", "analytics")
ACTIVE = ("new", "running")
FINISHED = ("success", "failed", "canceled")
VALIDATION, EXECUTION, SYSTEM = "validation", "execution", "system"

INTERRUPTED_MESSAGE = "interrupted: the service stopped while this task was running; start it again"


def requeued_message(worker: str | None, attempt: int) -> str:
    """What a task taken over from a stopped worker says while it waits to run again."""
    return (
        f"requeued: its worker ({worker or 'unknown'}) stopped during run {attempt}; "
        "another worker will run it again from the start"
    )


def given_up_message(worker: str | None, attempts: int) -> str:
    """Why a task whose workers kept stopping was failed."""
    return (
        f"interrupted {attempts} times: its worker stopped during each of its {attempts} runs "
        f"(the last was {worker or 'unknown'}); it was given up. Start it again, and look "
        "at why the workers stop (memory, time limits, restarts)"
    )


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

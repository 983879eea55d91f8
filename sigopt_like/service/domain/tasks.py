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

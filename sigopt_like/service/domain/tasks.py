"""Tasks, in the domain's words: types, states, and how a task's errors read.

Only one task at a time may be ``new`` or ``running`` per session.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

TASK_TYPES = ("space", "update", "generate", "simulate", "analytics")
ACTIVE = ("new", "running")
FINISHED = ("success", "failed", "canceled")
VALIDATION, EXECUTION, SYSTEM = "validation", "execution", "system"

#: the errors a failed task keeps in full; past these, one summary error (listed first)
#: tells how many there were, of which kinds, and how many were left out
MAX_TASK_ERRORS = 200
#: the kinds a summary names (one per category, field and column: a table's columns)
MAX_SUMMARY_KINDS = 50
#: how much of a kind's first message a summary quotes
EXAMPLE_CHARS = 300

INTERRUPTED_MESSAGE = "interrupted: the service stopped while this task was running; start it again"


#: what a task given back by a runner that was asked to stop (SIGTERM, its service
#: closing) says while it waits to run again
GIVEN_BACK_MESSAGE = (
    "requeued: its worker was stopped before finishing it; another worker will run it"
)


def orphaned_message(parent: int | None) -> str:
    """What a task says when the process whose worker ran it ended without stopping it
    (a script with its embedded service, or ``serve``, killed or crashed): its worker
    process saw it gone and gave the task back. Before, it said the worker "stopped
    cleanly"."""
    who = f" (pid {parent})" if parent else ""
    return (
        f"requeued: the process running it{who} ended without finishing it (killed or "
        "crashed), and nothing of it was applied. It runs again from the start once a "
        "service or worker runs on this database: re-run your script (or start "
        "`sigopt-like serve`), or cancel this task and start it again"
    )


def requeued_message(worker: str | None, attempt: int) -> str:
    """What a task taken over from a stopped worker says while it waits to run again."""
    return (
        f"requeued: its worker ({worker or 'unknown'}) ended during run {attempt} without "
        "finishing it (killed or crashed); another worker will run it again from the start"
    )


def lapsed_message(worker: str | None, attempt: int) -> str:
    """What a task taken over from a worker whose lease lapsed while its process still
    runs says while it waits to run again (its run not counted: nothing stopped)."""
    return (
        f"requeued: the lease of its worker ({worker or 'unknown'}) lapsed during run "
        f"{attempt}, though its worker's process still runs (its heartbeat could not be "
        "written: the database busy with other changes, or the worker stalled); another "
        "worker will run it again from the start, and this run is not counted as interrupted"
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


@attrs.frozen
class ErrorSummary(TaskError):
    """The first error of a task whose errors were capped: how many, and of which kinds.

    ``total`` counts every error found, ``omitted`` those not kept; ``kinds`` has one
    entry per (category, field, column), first seen first: ``{"category", "field",
    "column", "count", "first_row", "last_row", "example"}``.
    """

    total: int = 0
    omitted: int = 0
    kinds: tuple[dict[str, Any], ...] = ()


def capped_errors(errors: Sequence[TaskError], limit: int = MAX_TASK_ERRORS) -> list[TaskError]:
    """``errors`` as a failed task keeps them: all of them up to ``limit``; past it, a
    summary (total, what was left out, a count per kind) then the first ``limit``.

    One table can make an error per row: a re-sent 40,000-row table that left out
    77,478 experiments put before made a 30 MB task, sent whole in every task listing.
    A list already capped (a summary first) stays as it is: the summary counted them all.
    """
    if errors and isinstance(errors[0], ErrorSummary):
        summary, kept = errors[0], list(errors[1:])
        if len(kept) > limit:
            summary = attrs.evolve(summary, omitted=summary.omitted + len(kept) - limit)
        return [summary, *kept[:limit]]
    if len(errors) <= limit:
        return list(errors)
    kinds: dict[tuple[str, str | None, str | None], dict[str, Any]] = {}
    for error in errors:
        key = (error.category, error.field, error.column)
        kind = kinds.get(key)
        if kind is None:
            kind = kinds[key] = {
                "category": error.category,
                "field": error.field,
                "column": error.column,
                "count": 0,
                "first_row": None,
                "last_row": None,
                "example": _clip(error.message),
            }
        kind["count"] += 1
        if error.row is not None:
            first, last = kind["first_row"], kind["last_row"]
            kind["first_row"] = error.row if first is None else min(first, error.row)
            kind["last_row"] = error.row if last is None else max(last, error.row)
    shown = list(kinds.values())[:MAX_SUMMARY_KINDS]
    left = len(kinds) - len(shown)
    omitted = len(errors) - limit
    message = (
        f"{len(errors):,} problems; the first {limit:,} follow and {omitted:,} are left out "
        f"of this list. By kind: {'; '.join(_kind_text(k) for k in shown)}"
        + (f"; and {left:,} kinds more" if left else "")
    )
    first = errors[0]
    summary = ErrorSummary(
        message,
        first.category if all(e.category == first.category for e in errors) else EXECUTION,
        field="errors",
        total=len(errors),
        omitted=omitted,
        kinds=tuple(shown),
    )
    return [summary, *errors[:limit]]


def _kind_text(kind: dict[str, Any]) -> str:
    where = [f"{kind['count']:,} {kind['category']}"]
    if kind["column"] is not None:
        where.append(f"in column {kind['column']}")
    elif kind["field"] is not None:
        where.append(f"in {kind['field']}")
    if kind["first_row"] is not None:
        where.append(f"(rows {kind['first_row']}-{kind['last_row']})")
    return f"{' '.join(where)}, such as: {kind['example']}"


def _clip(message: str) -> str:
    return message if len(message) <= EXAMPLE_CHARS else message[: EXAMPLE_CHARS - 1] + "…"

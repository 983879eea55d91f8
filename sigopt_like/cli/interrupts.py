"""Ctrl-C on a command that waits for a task cancels the task it started.

Before, a command stopped with Ctrl-C left its task to run on: on the embedded service
the process that ran it was gone, so the task sat "running" until its lease ran out,
and every later command of the session was answered "task_running: ... cancel it"
(``sigopt-like tasks cancel`` is the way out of that; this makes it rarely needed).

A session runs one task at a time, so the task to cancel is the session's unfinished
task of the command's type that was not there before the command began: the ids of the
unfinished tasks are read first (one listing), and only a task outside them is canceled.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..interface import Connection

UNFINISHED = ("new", "running")


def _unfinished(conn: Connection, sid: str, task_types: tuple[str, ...]) -> list[tuple[str, str]]:
    """(id, type) of the session's tasks of ``task_types`` that have not finished."""
    tasks = conn.sessions(sid).tasks
    return [
        (str(task.id), str(task.type))
        for status in UNFINISHED
        for task in tasks.list(status=status, result="omit")
        if task.type in task_types
    ]


@contextlib.contextmanager
def canceled_on_interrupt(conn: Connection, sid: str, *task_types: str) -> Iterator[None]:
    """Run the body; on Ctrl-C, cancel the task of ``task_types`` it started, say so on
    standard error, and let the interrupt go on (the command exits 130)."""
    before = {tid for tid, _ in _unfinished(conn, sid, task_types)}
    try:
        yield
    except KeyboardInterrupt:
        try:
            started = [t for t in _unfinished(conn, sid, task_types) if t[0] not in before]
            for tid, kind in started:
                conn.sessions(sid).tasks(tid).cancel()
                click.echo(f"sigopt-like: canceled task {tid} ({kind}) of session {sid}", err=True)
        except Exception as err:  # the interrupt is what the user asked for: keep it
            click.echo(
                f"sigopt-like: could not cancel the task this command started ({err}); "
                f"see 'sigopt-like tasks list {sid}' and 'sigopt-like tasks cancel'",
                err=True,
            )
        raise

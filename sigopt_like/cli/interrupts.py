"""Ctrl-C on a command that waits for a task cancels the task it started.

Before, a command stopped with Ctrl-C left its task to run on: on the embedded service
the process that ran it was gone, so the task sat "running" until its lease ran out,
and every later command of the session was answered "task_running: ... cancel it"
(``sigopt-like tasks cancel`` is the way out of that; this makes it rarely needed).

A session runs one task at a time, so the task to cancel is the session's unfinished
task of the command's type that was not there before the command began: the ids of the
unfinished tasks are read first (one listing), and only a task outside them is canceled.

A running task stops at its next step, and may keep what it finished (a simulate task
its finished generations): the command waits for that (at most ``STOP_WAIT_SECONDS``; a
second Ctrl-C leaves it) and says how the task ended. Before, it exited at once, and on
the embedded service its worker process went with it, the finished work lost.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..interface import Connection

UNFINISHED = ("new", "running")
#: how long a command waits for the task it canceled to stop (it stops at its next step)
STOP_WAIT_SECONDS = 60.0
POLL_SECONDS = 0.2


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
                task = conn.sessions(sid).tasks(tid).cancel()
                click.echo(f"sigopt-like: canceled task {tid} ({kind}) of session {sid}", err=True)
                if task.status in UNFINISHED:
                    _await_stop(conn, sid, tid)
        except Exception as err:  # the interrupt is what the user asked for: keep it
            click.echo(
                f"sigopt-like: could not cancel the task this command started ({err}); "
                f"see 'sigopt-like tasks list {sid}' and 'sigopt-like tasks cancel'",
                err=True,
            )
        raise


def _await_stop(conn: Connection, sid: str, tid: str) -> None:
    """Wait for the canceled running task ``tid`` to stop, then say how it ended (its
    message says what it kept); a second Ctrl-C or ``STOP_WAIT_SECONDS`` leave it."""
    click.echo(
        f"sigopt-like: waiting for task {tid} to stop at its next step (Ctrl-C again to leave it)",
        err=True,
    )
    deadline = time.monotonic() + STOP_WAIT_SECONDS
    item = conn.sessions(sid).tasks(tid)
    try:
        task = item.fetch(result="omit")
        while task.status in UNFINISHED and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            task = item.fetch(result="omit")
    except KeyboardInterrupt:
        click.echo(f"sigopt-like: left task {tid} stopping", err=True)
        return
    if task.status in UNFINISHED:
        click.echo(
            f"sigopt-like: task {tid} is still stopping after {STOP_WAIT_SECONDS:g} s; "
            f"see 'sigopt-like tasks list {sid}'",
            err=True,
        )
        return
    message = task.progress.message if task.progress is not None else None
    click.echo(f"sigopt-like: task {tid} {task.status}: {message or 'no message'}", err=True)

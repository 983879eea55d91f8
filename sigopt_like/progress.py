"""Showing a task's progress while a call waits for it.

``progress=`` on a call that starts a task (and on ``tasks(tid).wait()``) takes:

- ``True``: a progress bar on standard error (tqdm, when it is installed: the
  ``progress`` extra), else one INFO log line per change on the
  ``sigopt_like.tasks`` logger (on standard error when logging would not show it);
- a callable ``fn(task)``, or an ``async def`` one: called with each new state
  of the :class:`~sigopt_like.models.Task` from when it runs (a queued task's ``new``
  state is not passed, as Daptics' callback is for running tasks). Returning ``False`` (as a Daptics
  ``task_updated_coroutine`` does when it has seen enough) stops the updates for
  that task; any other return value is ignored;
- ``None`` or ``False``: nothing.

:func:`reporter` turns that argument into a :class:`Reporter`; the waiter calls
``update`` on every change and ``close`` when it stops, however it stops.
"""

from __future__ import annotations

import inspect
import logging
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from .models import Task

#: what ``progress=`` accepts.
ProgressArg = bool | Callable[[Task], Any] | None

LOGGER = "sigopt_like.tasks"


class Reporter(Protocol):
    """Something told about each new state of a task."""

    def update(self, task: Task) -> None:
        """A new state of the task."""

    def close(self) -> None:
        """The wait is over (done, failed, or timed out)."""


def reporter(progress: ProgressArg) -> Reporter | None:
    """The reporter for a ``progress=`` argument (None: report nothing).

    Raises TypeError for anything but a bool, None or a callable, before the
    wait starts.
    """
    if progress is None or progress is False:
        return None
    if progress is True:
        return bar_or_log()
    if callable(progress):
        return CallbackReporter(progress)
    raise TypeError(
        "progress= takes True (a progress bar), a callable (or async callable) that gets "
        f"each Task, or None; not {type(progress).__name__}"
    )


def check_progress(progress: Any) -> None:
    """Raise TypeError now for a ``progress=`` that :func:`reporter` would refuse."""
    if progress is not None and not isinstance(progress, bool) and not callable(progress):
        reporter(progress)


def bar_or_log() -> Reporter:
    """A tqdm bar when tqdm is installed, else log lines."""
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return LogReporter()
    return BarReporter()


def describe(task: Task) -> str:
    """One line about a task's state: ``generate task 7: running (optimizing) 40% message``,
    then each of its ``warnings`` (``(warning: its worker ... is gone ...)``)."""
    words = [f"{task.type or 'task'} task {task.id}: {task.status or '?'}"]
    if task.phase and task.phase != task.status:
        words.append(f"({task.phase})")
    fraction = _fraction(task)
    if fraction is not None:
        words.append(f"{fraction:.0%}")
    message = getattr(task.progress, "message", None)
    if message:
        words.append(str(message))
    # a running task whose worker is gone says so (before, only "running" and the
    # progress that worker last wrote were shown, for as long as no worker ran)
    words += [f"(warning: {warning})" for warning in getattr(task, "warnings", None) or []]
    return " ".join(words)


def _fraction(task: Task) -> float | None:
    value = getattr(task.progress, "fraction", None)
    if value is None:
        return 1.0 if task.succeeded else None
    try:
        return min(1.0, max(0.0, float(value)))
    except (TypeError, ValueError):
        return None


class LogReporter:
    """One INFO line per change, on the ``sigopt_like.tasks`` logger; on standard error
    instead when logging would not show it (none set up, or above INFO there)."""

    def __init__(self, logger: logging.Logger | None = None, file: Any = None) -> None:
        self.logger = logger or logging.getLogger(LOGGER)
        self.file = file

    def update(self, task: Task) -> None:
        """Log the new state, or write it where it is seen."""
        if self.logger.isEnabledFor(logging.INFO) and self.logger.hasHandlers():
            self.logger.info("%s", describe(task))
            return
        # before: with tqdm not installed (the README's install) and no logging set up,
        # progress=True showed nothing at all, its INFO lines dropped
        print(describe(task), file=self.file or sys.stderr, flush=True)

    def close(self) -> None:
        """Nothing to release."""


class BarReporter:
    """A tqdm bar in percent, its description the task and phase, its postfix the message."""

    def __init__(self, file: Any = None) -> None:
        self.file = file
        self._bar: Any = None

    def update(self, task: Task) -> None:
        """Move the bar to the task's fraction; show its phase and message."""
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(
                total=100,
                file=self.file if self.file is not None else sys.stderr,
                leave=True,
                bar_format="{desc} {percentage:3.0f}%|{bar:20}| {elapsed}{postfix}",
                desc=self._label(task),
            )
        bar = self._bar
        bar.set_description_str(self._label(task), False)
        message = getattr(task.progress, "message", None)
        warned = [f"(warning: {w})" for w in getattr(task, "warnings", None) or []]
        bar.set_postfix_str(" ".join([str(message or ""), *warned]).strip(), False)
        fraction = _fraction(task)
        if fraction is not None:
            bar.n = round(fraction * 100)
        bar.refresh()

    @staticmethod
    def _label(task: Task) -> str:
        return f"{task.type or 'task'} {task.id}: {task.phase or task.status or ''}".rstrip()

    def close(self) -> None:
        """Close the bar (it stays on the screen)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class CallbackReporter:
    """Calls ``fn(task)``, awaiting it when it is async, until it returns False."""

    def __init__(self, fn: Callable[[Task], Any]) -> None:
        self.fn = fn
        self.active = True

    def update(self, task: Task) -> None:
        """Call the callable with the new state (unless it asked to stop), once the task
        runs: a queued task (status ``new``) is not passed, as Daptics' callback is for
        running tasks and its example stops on any status but ``running``, "meaning that
        the task has completed or failed" (seed 000)."""
        if not self.active or task.status == "new":
            return
        result = self.fn(task)
        if inspect.isawaitable(result):
            result = run_awaitable(result)
        if result is False:
            self.active = False

    def close(self) -> None:
        """Nothing to release."""


def run_awaitable(awaitable: Awaitable[Any]) -> Any:
    """Run an awaitable to completion from synchronous code and return its result.

    With no event loop running in this thread it runs on a fresh one; inside a
    running loop (a synchronous wait called from async code) it runs on a fresh
    loop in a helper thread, since the caller's loop is blocked by the wait.
    """

    import asyncio  # only for async callbacks: it weighs as much as requests to import

    async def whole() -> Any:
        return await awaitable

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(whole())
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = asyncio.run(whole())
        except BaseException as err:  # handed to the caller's thread below
            box["error"] = err

    thread = threading.Thread(target=run, name="sigopt-like-progress")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")

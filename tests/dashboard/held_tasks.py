"""A served instance's task kind held after its first progress report, for browser tests
that must see a task under way (or cancel it) before it can end.

Without the hold, such a test raced the task: a campaign's 100 simulated generations can
end before a slow browser shows the task, and its Cancel button is gone when clicked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

#: how long a held task waits for its release at most (it still stops when canceled)
HOLD_SECONDS = 60
_STEP_SECONDS = 0.05


def held_after_first_step(inner: Callable[[Any], Any], release: threading.Event) -> Any:
    """The task handler ``inner``, whose first progress report then waits until ``release``
    (at most HOLD_SECONDS; cancellation still stops it): the page follows the task before
    it can end, however slow the browser. (The 8 generations take under a second: a page
    that opened late saw only the finished task's 1, on a busy machine.)"""

    def handler(ctx: Any) -> Any:
        report, held = ctx.progress, [False]

        def progress(phase: str, fraction: float, message: str = "") -> None:
            report(phase, fraction, message)
            if not held[0]:
                held[0] = True
                for _ in range(int(HOLD_SECONDS / _STEP_SECONDS)):
                    if release.wait(_STEP_SECONDS):
                        break
                    ctx.check()

        ctx.progress = progress
        return inner(ctx)

    return handler


def hold(monkeypatch: Any, served: Any, kind: str = "simulate") -> threading.Event:
    """Hold each task of ``kind`` the served instance runs after its first progress report
    (see held_after_first_step), for the rest of the test; the event releases them."""
    handlers = served.service.context.runner.handlers
    release = threading.Event()
    monkeypatch.setitem(handlers, kind, held_after_first_step(handlers[kind], release))
    return release

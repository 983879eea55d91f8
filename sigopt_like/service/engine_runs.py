"""Seeded experiments' engine calls that outlast their request, kept for its retry.

A seeded experiment's suggestion has no time budget (its point must not depend on the
machine's load), but its request has a ceiling (``seeded_suggestion_ceiling_seconds``):
past it the request is a 503 with Retry-After, and the engine's call goes on in its
thread. A retry with the same inputs (the same definition, observations, open
suggestions, seed and number of requests waiting together) waits for that same call
instead of starting another, and is served its point: the one an unhurried request
would have got. Inputs that differ start a call of their own.

One instance per service (``ServiceContext.engine_runs``): a call is found again by a
retry that reaches the same process (one embedded service, or one app process).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

MAX_RUNS = 32
"""Calls kept at once; past it the oldest is forgotten (its thread ends on its own)."""


class StillRunning(Exception):
    """The engine's call did not end within the ceiling; it goes on for a retry."""


class _Run:
    def __init__(self, work: Callable[[], Any]) -> None:
        self.value: Any = None
        self.thread = threading.Thread(target=self._run, args=(work,), name="sigopt-seeded")
        self.thread.daemon = True

    def _run(self, work: Callable[[], Any]) -> None:
        self.value = work()


class EngineRuns:
    """The engine calls of one service's seeded requests, by a fingerprint of inputs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: OrderedDict[str, _Run] = OrderedDict()

    @staticmethod
    def key(*inputs: Any) -> str:
        """A fingerprint of an engine call's inputs (their ``repr``)."""
        return hashlib.sha256(repr(inputs).encode("utf-8")).hexdigest()

    def result(self, key: str, work: Callable[[], Any], ceiling: float) -> Any:
        """What ``work`` returns, run in a thread of its own unless a call of ``key`` is
        under way (or ended, not yet served): then that call's. Raises
        :class:`StillRunning` when it has not ended within ``ceiling`` seconds; the call
        goes on, and the next ``result`` of ``key`` waits for it again."""
        with self._lock:
            run = self._runs.get(key)
            if run is None:
                run = self._runs[key] = _Run(work)
                run.thread.start()
                while len(self._runs) > MAX_RUNS:
                    self._runs.popitem(last=False)
        run.thread.join(ceiling)
        if run.thread.is_alive():
            raise StillRunning
        with self._lock:
            if self._runs.get(key) is run:
                del self._runs[key]  # served: the next request's inputs differ
        return run.value

    def under_way(self) -> int:
        """How many calls are kept (running, or ended and not yet served)."""
        with self._lock:
            return len(self._runs)

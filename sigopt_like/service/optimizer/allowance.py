"""How long an engine call may still take, and the optional work it did.

A suggestion request gives the engine a time budget; past it the service serves a random
point instead. Most of the engine's time is the objective's hyperparameter fit: a first
fit, then a refit from its result and from ``sequential_choice.FIT_RESTARTS`` random
starts, which are optional (the first fit already gives a model). An :class:`Allowance`
says whether another start still fits before the deadline, so that a loaded machine gets
a model point from fewer starts rather than a random one, and counts the starts fitted
and skipped (what tests read: a count of work units, not a timing).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import attrs


@attrs.define
class Allowance:
    """``deadline`` in ``clock`` seconds (None: no limit); the objective fit's starts
    ``fitted``, and ``skipped`` for want of time."""

    deadline: float | None = None
    clock: Callable[[], float] = time.monotonic
    fitted: int = 0
    skipped: int = 0

    @classmethod
    def within(cls, seconds: float, clock: Callable[[], float] = time.monotonic) -> Allowance:
        """An allowance ending ``seconds`` from now."""
        return cls(clock() + seconds, clock)

    def affords(self, seconds: float) -> bool:
        """Whether work of about ``seconds`` ends before the deadline."""
        return self.deadline is None or self.clock() + seconds <= self.deadline

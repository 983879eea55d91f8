"""How long an engine call may still take, and the optional work it did.

A suggestion request gives the engine a time budget; past it the service serves a random
point instead. Most of the engine's time is the objective's hyperparameter fit: a first
fit, then a refit from its result and from ``sequential_choice.FIT_RESTARTS`` random
starts, which are optional (the first fit already gives a model). An :class:`Allowance`
says whether another start still fits before the deadline, so that a loaded machine gets
a model point from fewer starts rather than a random one, and counts the starts fitted
and skipped (what tests read: a count of work units, not a timing).

The first fits (the objective's, then each constraint's) are not optional, but their
optimizer's iterations are: past ``fits_until`` (:data:`FIRST_FITS_SHARE` of the span)
each stops before its next evaluation of the likelihood, at the best hyperparameters it
evaluated (a fit that begins past it evaluates none and keeps its starting ones); each
fit stopped so is counted in ``cut``. On a machine loaded sixfold the first fit alone
outlasted the budget at 140 observations of 20 doubles; looked at only after each
iteration, the cut let every fit run its first one (an evaluation and a line search's),
and the widest benchmark space (75 parameters, a constraint metric) still went past the
budget at a load of 10. A refit that was afforded stops the same way at the deadline.

Choosing the point after the fits scores the candidate pool in chunks of
:data:`CHOICE_CHUNK` rows: past ``choice_until`` the rest of the pool is left unscored
(its rows counted in ``unscored``) and the best scored candidate is taken; the first
chunk is always scored, so the answer is still a model point. On a machine loaded
fivefold the scoring of the widest benchmark spaces took the request past its budget.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import attrs

FIRST_FITS_SHARE = 0.5
"""The share of an allowance's span by which the first fits stop evaluating: the rest is
for the restarts, when affordable, and for choosing the point (on a loaded machine about
a fifth of the engine's CPU, times the load)."""
CHOICE_CHUNK = 256
"""Candidates scored between two looks at ``choice_until``: on 75 features about 0.01 s
of CPU (a pool has some 2000)."""


@attrs.frozen
class FitStop:
    """A hyperparameter fit's stop (``surrogate.fit_hyperparameters``): ``ask`` before
    each evaluation of the likelihood with the seconds the one before took, measured on
    ``clock``: the allowance's, so that a test's pinned clock pins those seconds too
    (measured on the process's own clock, they leaked real time into a decision made on
    the pinned one)."""

    ask: Callable[[float], bool]
    clock: Callable[[], float] = time.perf_counter


@attrs.define
class Allowance:
    """``deadline`` in ``clock`` seconds (None: no limit), ``fits_until`` when the first
    fits stop evaluating and ``choice_until`` when the candidate pool's scoring stops
    (None: no limit); the objective fit's starts ``fitted``, and ``skipped`` for want
    of time; the fits ``cut`` short; the candidates left ``unscored``."""

    deadline: float | None = None
    clock: Callable[[], float] = time.monotonic
    fitted: int = 0
    skipped: int = 0
    fits_until: float | None = None
    cut: int = 0
    choice_until: float | None = None
    unscored: int = 0

    @classmethod
    def within(
        cls,
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
        choice_seconds: float | None = None,
    ) -> Allowance:
        """An allowance ending ``seconds`` from now, its first fits iterating for
        ``FIRST_FITS_SHARE`` of them, the pool's scoring for ``choice_seconds`` from
        now (None: until the deadline)."""
        now = clock()
        choice = seconds if choice_seconds is None else choice_seconds
        return cls(
            now + seconds,
            clock,
            fits_until=now + seconds * FIRST_FITS_SHARE,
            choice_until=now + choice,
        )

    def stops_fit(self, seconds: float = 0.0) -> bool:
        """Whether a first hyperparameter fit stops now, before its next evaluation of the
        likelihood: one of ``seconds`` (as long as its last) would not end before
        ``fits_until`` (counted in ``cut``)."""
        return self._cuts(self.fits_until, seconds)

    def stops_refit(self, seconds: float = 0.0) -> bool:
        """Whether a refit of the objective (a start :meth:`affords` let begin) stops now:
        its next evaluation, of ``seconds``, would not end before the deadline (counted
        in ``cut``)."""
        return self._cuts(self.deadline, seconds)

    def fit_stop(self) -> FitStop:
        """The first fits' stop: :meth:`stops_fit`, on this allowance's clock."""
        return FitStop(self.stops_fit, self.clock)

    def refit_stop(self) -> FitStop:
        """The refits' stop: :meth:`stops_refit`, on this allowance's clock."""
        return FitStop(self.stops_refit, self.clock)

    def _cuts(self, until: float | None, seconds: float) -> bool:
        if until is None or self.clock() + seconds < until:
            return False
        self.cut += 1
        return True

    def choice_pass(self, passes: int) -> float | None:
        """When a scoring of the candidate pool, the first of ``passes`` left, stops:
        an equal share of what is left until ``choice_until`` (None: no limit)."""
        if self.choice_until is None:
            return None
        now = self.clock()
        return now + max(self.choice_until - now, 0.0) / max(passes, 1)

    def stops_choice(self, until: float | None = None, seconds: float = 0.0) -> bool:
        """Whether the candidate pool's scoring stops now: a chunk of ``seconds`` (as
        long as the last) would not end before ``until`` (None: ``choice_until``); the
        caller counts what is left in ``unscored``."""
        limit = self.choice_until if until is None else until
        return limit is not None and self.clock() + seconds >= limit

    def affords(self, seconds: float) -> bool:
        """Whether work of about ``seconds`` ends before the deadline."""
        return self.deadline is None or self.clock() + seconds <= self.deadline

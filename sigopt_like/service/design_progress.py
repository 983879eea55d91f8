"""A generation's design, told as progress: its steps (fitting or spreading, scoring the
candidates, choosing the batch, chosen) mapped into the share of a task's progress that
the generation has, monotonic, and written no oftener than a watcher needs.

Before, a generation said "scoring candidates" before its model was even fitted, then
nothing until its batch was chosen: the model's fit (scikit-learn's import with it, the
first time in a worker), the candidates' scoring and the choice all under one line, a
progress bar frozen for seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sigopt_like.wording import counted

#: the share of a generation's design at which each step begins
SCORING_SHARE = 0.3
CHOOSING_SHARE = 0.7
CHOSEN_SHARE = 0.9
#: a step within a design is written only this long after the design's last write: a
#: design that runs in less tells nothing more (a simulate of many small generations
#: writes no more than before); one that stalls tells each step as it begins
STEP_INTERVAL_SECONDS = 0.25

Report = Callable[[str, float, str], None]
"""``report(phase, fraction, message)``: the task's progress (one store write)."""


class DesignProgress:
    """The progress of one generation's design between ``low`` and ``high`` of its task,
    told to ``report``. ``clock``: seconds, monotonic (the tests' own)."""

    def __init__(
        self,
        report: Report,
        low: float,
        high: float,
        batch_size: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._report, self._low, self._span = report, low, max(0.0, high - low)
        self._batch_size = batch_size
        self._clock = clock
        self._at = low
        self._written: float | None = None

    def begin(self, phase: str, message: str) -> None:
        """The design's first step (fitting the model, or spreading the experiments)."""
        self._write(phase, 0.0, message)

    def step(self, step: str, count: int) -> None:
        """A step of a batch begins (the optimizer's ``on_step``: a model-based batch's
        scoring and choosing, a spread batch's maximin choosing): written when the
        design has told nothing for :data:`STEP_INTERVAL_SECONDS`."""
        now = self._clock()
        if self._written is not None and now - self._written < STEP_INTERVAL_SECONDS:
            return
        if step == "scoring":
            self._write(
                "scoring candidates",
                SCORING_SHARE,
                f"scoring candidate experiments with the model fitted to {count:,} experiments",
            )
        elif step == "choosing":
            self._write(
                "choosing batch",
                CHOOSING_SHARE,
                f"choosing {self._batch_size:,} of {count:,} candidate experiments",
            )

    def chosen(self, count: int) -> None:
        """The design's end: ``count`` experiments chosen."""
        self._write("choosing batch", CHOSEN_SHARE, f"chose {counted(count, 'experiment')}")

    def _write(self, phase: str, share: float, message: str) -> None:
        self._at = max(self._at, self._low + self._span * share)
        self._report(phase, self._at, message)
        self._written = self._clock()

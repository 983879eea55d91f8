"""Small shared type aliases of the engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

import numpy as np

ScoreFn = Callable[[np.ndarray], np.ndarray]
"""Maps encoded features (n, d) to a score per row, larger is better."""

DesignSteps = Callable[[str, int], None]
"""Told each step of a batch as it begins, so that a watcher sees the design move:
``("scoring", n)`` once the model is fitted to ``n`` scored points (the candidate pool is
then made and scored), ``("choosing", n)`` once that pool holds ``n`` candidates (the
batch is then chosen from it). A batch spread without a model (a first generation) tells
``("choosing", n)`` when its Latin-hypercube draw leaves it short and a maximin pool of
``n`` candidates completes it. It must not touch the design's random draws."""


@runtime_checkable
class Rankable(Protocol):
    """A view whose points are numbered ``0 .. size - 1`` (factorial and mixture spaces)."""

    n_params: int

    def unrank(self, ranks: np.ndarray) -> np.ndarray:
        """The codes of the points numbered ``ranks`` (each in ``[0, size)``, below 2**62)."""
        ...

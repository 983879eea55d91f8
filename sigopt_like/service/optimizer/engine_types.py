"""Small shared type aliases of the engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

import numpy as np

ScoreFn = Callable[[np.ndarray], np.ndarray]
"""Maps encoded features (n, d) to a score per row, larger is better."""


@runtime_checkable
class Rankable(Protocol):
    """A view whose points are numbered ``0 .. size - 1`` (factorial and mixture spaces)."""

    n_params: int

    def unrank(self, ranks: np.ndarray) -> np.ndarray:
        """The codes of the points numbered ``ranks`` (each in ``[0, size)``, below 2**62)."""
        ...

"""Small shared type aliases of the engine."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

ScoreFn = Callable[[np.ndarray], np.ndarray]
"""Maps encoded features (n, d) to a score per row, larger is better."""

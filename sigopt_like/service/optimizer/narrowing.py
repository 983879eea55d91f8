"""Categoricals of many levels, narrowed for one design to the levels that can matter.

A factorial view encodes a categorical as one one-hot column per level, so every model,
distance and candidate of the engine costs in proportion to its number of levels: one
categorical of 50,000 levels made a 50,000 x 50,000 matrix of its enumerated candidates
(20 GB: the worker was killed) and a 10,000-level one took a minute a generation. Yet
one-hot levels are all at the same distance from each other, so the levels no experiment
has tested are all alike to the model (same features but for which column is set, and a
column that is zero in every tested row weighs nothing in the fit): any few of them stand
for all of them. A design therefore sees, of such a categorical, every level its history
holds and a random sample of the others (enough for a whole batch), and its choices are
mapped back to the full space. A point of the narrowed space is untested exactly when it
is untested in the full one, and whenever the full space holds a batch of untested
points the narrowed one does too. Spaces without such a categorical are not touched.
"""

from __future__ import annotations

from types import SimpleNamespace

import attrs
import numpy as np

from .history import History
from .views import FactorialView, View

NARROW_ABOVE = 1_000
"""A categorical with more levels than this is narrowed (below, designs are as before)."""
UNTESTED_KEPT = 500
"""Untested levels a narrowed categorical keeps (more when the batch is larger)."""


@attrs.frozen
class Narrowed:
    """A factorial view with its wide categoricals narrowed, and the way back.

    ``kept[j]`` holds, in order, the full-space level index of each level parameter ``j``
    keeps (None: every level, the parameter is not narrowed)."""

    view: FactorialView
    kept: tuple[np.ndarray | None, ...]

    def narrow(self, codes: np.ndarray) -> np.ndarray:
        """Full-space codes (of kept levels only) as codes of the narrowed view."""
        out = np.array(codes, dtype=float, copy=True).reshape(-1, len(self.kept))
        for j, levels in enumerate(self.kept):
            if levels is not None:
                out[:, j] = np.searchsorted(levels, out[:, j].astype(np.int64))
        return out

    def widen(self, codes: np.ndarray) -> np.ndarray:
        """Codes of the narrowed view as codes of the full space."""
        out = np.array(codes, dtype=float, copy=True).reshape(-1, len(self.kept))
        for j, levels in enumerate(self.kept):
            if levels is not None:
                out[:, j] = levels[out[:, j].astype(np.int64)]
        return out

    def history(self, hist: History) -> History:
        """``hist`` in the narrowed view's codes."""
        return attrs.evolve(hist, codes=self.narrow(hist.codes))


def narrowed(
    view: View, tested: np.ndarray, untested: int, rng: np.random.Generator
) -> Narrowed | None:
    """``view`` narrowed to the levels of ``tested`` (codes) and, of each wide categorical,
    ``untested`` random others (every other one when it has fewer), or None when ``view``
    has no categorical of more than ``NARROW_ABOVE`` levels."""
    if not isinstance(view, FactorialView):
        return None
    wide = [
        j
        for j, (kind, values) in enumerate(zip(view.kinds, view.values, strict=True))
        if kind == "categorical" and len(values) > NARROW_ABOVE
    ]
    if not wide:
        return None
    tested = np.asarray(tested, dtype=float).reshape(-1, view.n_params)
    kept: list[np.ndarray | None] = [None] * view.n_params
    params = []
    for j, (kind, values) in enumerate(zip(view.kinds, view.values, strict=True)):
        if j in wide:
            seen = np.unique(tested[:, j].astype(np.int64))
            others = np.setdiff1d(np.arange(len(values), dtype=np.int64), seen, assume_unique=True)
            take = min(len(others), untested)
            sample = rng.choice(others, size=take, replace=False) if take else others[:0]
            levels = np.union1d(seen, sample)
            kept[j] = levels
            values = tuple(values[int(i)] for i in levels)
        params.append(SimpleNamespace(type=kind, values=values))
    return Narrowed(FactorialView(SimpleNamespace(parameters=params)), tuple(kept))

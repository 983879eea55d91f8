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
points the narrowed one does too. Many categoricals add up the same way (50 of 200
levels, 10,000 columns, took 44 s a generation): past ``MOST_COLUMNS`` levels in all,
each keeps its tested levels and its share of untested ones. Other spaces are not touched.
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
MOST_COLUMNS = 2_000
"""Past this many levels in all categoricals together, every categorical is narrowed
(50 categoricals of 200 levels took 44 s a generation)."""
LEAST_UNTESTED = 8
"""Fewest untested levels a categorical narrowed for its share of ``MOST_COLUMNS`` keeps."""


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
    """``view`` narrowed to the levels of ``tested`` (codes) and, of each narrowed
    categorical, ``untested`` random others (every other one when it has fewer), or None
    when nothing is narrowed. A categorical of more than ``NARROW_ABOVE`` levels is
    narrowed; when the categoricals' levels add up to more than ``MOST_COLUMNS``, each
    categorical is, keeping at most its share of ``MOST_COLUMNS`` untested levels (at least
    ``LEAST_UNTESTED``)."""
    if not isinstance(view, FactorialView):
        return None
    categorical = [j for j, kind in enumerate(view.kinds) if kind == "categorical"]
    width = sum(len(view.values[j]) for j in categorical)
    share = untested
    if width > MOST_COLUMNS:
        share = min(untested, max(LEAST_UNTESTED, MOST_COLUMNS // len(categorical)))
    chosen = {
        j: share if width > MOST_COLUMNS else untested
        for j in categorical
        if width > MOST_COLUMNS or len(view.values[j]) > NARROW_ABOVE
    }
    if not chosen:
        return None
    tested = np.asarray(tested, dtype=float).reshape(-1, view.n_params)
    kept: list[np.ndarray | None] = [None] * view.n_params
    params = []
    for j, (kind, values) in enumerate(zip(view.kinds, view.values, strict=True)):
        if j in chosen:
            seen = np.unique(tested[:, j].astype(np.int64))
            others = np.setdiff1d(np.arange(len(values), dtype=np.int64), seen, assume_unique=True)
            take = min(len(others), chosen[j])
            sample = rng.choice(others, size=take, replace=False) if take else others[:0]
            levels = np.union1d(seen, sample)
            kept[j] = levels
            values = tuple(values[int(i)] for i in levels)
        params.append(SimpleNamespace(type=kind, values=values))
    return Narrowed(FactorialView(SimpleNamespace(parameters=params)), tuple(kept))

"""Coverage of the space's low-dimensional projections by the tested points.

A peak that is narrow in two or three parameters is seen only from points near
it in *those* parameters; which ones is unknown until something reads high
there. Full-dimensional distance (maximin, the explore role's short length
scales) spreads points in the whole space, where every untested point is far
from the data, and says little about the projections. ``ProjectionCover`` scores
a candidate by how far it lies from the tested points in every projection on
``order`` parameters (each projection's nearest tested point, the distance
capped at ``reach``), summed over the projections: a point that opens new
ground in many projections at once scores high.
"""

from __future__ import annotations

import itertools

import numpy as np

from .views import View, feature_groups

COVER_ORDER = 3
"""Projections on this many parameters (fewer when the space has fewer)."""
COVER_REACH = 0.5
"""Distances (unit features) beyond this count as this much: two levels of a
five-level parameter; farther does not open more ground."""
MAX_PROJECTIONS = 40
"""At most this many projections (drawn at random beyond): cost is linear in them."""


class ProjectionCover:
    """Per projection, the squared distance of each candidate to its nearest tested point."""

    def __init__(
        self,
        view: View,
        feats: np.ndarray,
        tested: np.ndarray,
        rng: np.random.Generator,
        order: int = COVER_ORDER,
        reach: float = COVER_REACH,
    ) -> None:
        groups = feature_groups(view)
        k = min(order, len(groups))
        subsets = list(itertools.combinations(range(len(groups)), k))
        if len(subsets) > MAX_PROJECTIONS:
            picks = rng.choice(len(subsets), size=MAX_PROJECTIONS, replace=False)
            subsets = [subsets[i] for i in np.sort(picks)]
        self.columns = [np.concatenate([groups[g] for g in s]) for s in subsets]
        self.feats = feats
        self.reach2 = reach**2
        self.nearest = np.full((len(self.columns), len(feats)), self.reach2)
        for chunk in np.array_split(tested, max(1, len(tested) // 256)):
            for s, cols in enumerate(self.columns):
                a = feats[:, cols]
                b = chunk[:, cols]
                d = (a**2).sum(axis=1)[:, None] + (b**2).sum(axis=1)[None, :] - 2.0 * a @ b.T
                self.nearest[s] = np.minimum(self.nearest[s], np.maximum(d.min(axis=1), 0.0))

    @property
    def score(self) -> np.ndarray:
        """Sum over projections of the (capped) distance to the nearest tested point."""
        return np.sqrt(self.nearest).sum(axis=0)

    def add(self, i: int) -> None:
        """Count candidate ``i`` as tested (it was put in the batch)."""
        for s, cols in enumerate(self.columns):
            d = ((self.feats[:, cols] - self.feats[i, cols]) ** 2).sum(axis=1)
            self.nearest[s] = np.minimum(self.nearest[s], d)

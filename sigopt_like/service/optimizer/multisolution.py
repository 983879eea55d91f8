"""What makes two points different solutions of a multisolution experiment.

One definition for both sides: the engine, which spends suggestions improving each of
``num_solutions`` solutions away from the better ones, and the best assignments, which
report them. Two points are *distinct* when they are at least ``distinct_radius`` apart
in the engine's features (parameters scaled to [0, 1], categoricals one-hot).
"""

from __future__ import annotations

import math

import numpy as np

DISTINCT_SHARE = 0.3
"""Distinct solutions are at least this share of the typical distance between two random
points of the feature cube (``sqrt(d / 6)``) apart: 0.12 of the range of one parameter.
The same share as the reach of the engine's novelty (``sequential_choice._log_novelty``)."""


def distinct_radius(n_features: int) -> float:
    """How far apart two distinct solutions are, at the least (features in [0, 1])."""
    return DISTINCT_SHARE * math.sqrt(max(n_features, 1) / 6.0)


def spread(feats: np.ndarray, radius: float, k: int) -> list[int]:
    """Rows taken in order (best first), each at least ``radius`` from those taken
    before, up to k."""
    picked: list[int] = []
    nearest = np.full(len(feats), np.inf)  # distance to the nearest row taken
    start = 0
    while len(picked) < k:
        far = np.flatnonzero(nearest[start:] >= radius)
        if len(far) == 0:
            break
        i = start + int(far[0])
        picked.append(i)
        nearest = np.minimum(nearest, np.sqrt(((feats - feats[i]) ** 2).sum(axis=1)))
        start = i + 1
    return picked


def solutions(feats: np.ndarray, k: int, top: int | None = None) -> list[int]:
    """The rows of k solutions among ``feats`` (rows ordered best first): the best ones
    at least ``distinct_radius`` apart; when fewer than k are that far apart, the best of
    the first ``top`` rows (all by default) at the largest radius that yields k."""
    if len(feats) <= k:
        return list(range(len(feats)))
    far = spread(feats, distinct_radius(feats.shape[1]), k)
    if len(far) == k:
        return far
    near = feats[: max(k, len(feats) if top is None else top)]
    d = np.sqrt(((near[:, None, :] - near[None, :, :]) ** 2).sum(axis=2))
    radii = np.unique(d)  # spread's own distances: the same sums, so the same radii
    low, high = 0, len(radii) - 1  # radius 0 always yields k; find the largest that does
    while low < high:
        mid = (low + high + 1) // 2
        if len(spread(near, float(radii[mid]), k)) == k:
            low = mid
        else:
            high = mid - 1
    return spread(near, float(radii[low]), k)

"""Seeded synthetic response surfaces for campaigns, demos and the benchmark.

A ``Surface`` is a sum of Gaussian peaks of different heights at random places
in a unit cube built from the space:

* numerical factorial levels map linearly to [0, 1];
* each categorical level gets a random position in [0, 1] and a small additive
  offset (so a categorical acts like a shuffled numerical one plus main effects);
* mixture components use their units scaled to [0, 1] over ``min..max``; peak
  centres are random feasible compositions, so every peak can be reached.

Each dimension gets a random relevance weight, the global peak has height 1 and
the others 0.45-0.9, so there is a single global optimum and tempting lower
peaks. ``optimum(space)`` finds the best point by enumeration (chunked) where
the space has at most a few million points, else by a multi-start local search.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from .optimizer.compositions import Compositions
from .optimizer.finite import half_range

ENUMERATE_LIMIT = 5_000_000


@attrs.frozen(eq=False)
class Surface:
    """A seeded multi-peak function of the points of one space."""

    space: Any
    centres: np.ndarray
    heights: np.ndarray
    widths: np.ndarray
    relevance: np.ndarray
    positions: tuple[dict[str, float], ...]
    offsets: tuple[dict[str, float], ...]
    scale: float = 1.0

    @classmethod
    def for_space(cls, space: Any, seed: int, n_peaks: int | None = None) -> Surface:
        """The surface of ``space`` for ``seed`` (same seed, same surface)."""
        rng = np.random.default_rng(seed)
        params = list(space.parameters)
        d = len(params)
        n_peaks = n_peaks or int(rng.integers(4, 8))
        positions, offsets = [], []
        for p in params:
            if getattr(p, "type", "") == "categorical":
                positions.append({str(v): float(rng.random()) for v in p.values})
                offsets.append({str(v): float(rng.uniform(-0.06, 0.06)) for v in p.values})
            else:
                positions.append({})
                offsets.append({})
        if space.type == "mixture":
            comp = Compositions([p.min for p in params], [p.max for p in params], space.total_units)
            lo = np.array([p.min for p in params], float)
            span = np.maximum(np.array([p.max for p in params], float) - lo, 1.0)
            raw = comp.sample(n_peaks, rng).astype(float)
            centres = (raw + rng.uniform(-0.5, 0.5, raw.shape) - lo) / span
        else:
            centres = rng.random((n_peaks, d))
        heights = np.concatenate([[1.0], rng.uniform(0.45, 0.9, n_peaks - 1)])
        widths = rng.uniform(0.11, 0.2, n_peaks) * (1.0 if space.type == "factorial" else 0.8)
        relevance = rng.uniform(0.4, 1.6, d)
        relevance /= relevance.mean()
        return cls(
            space=space,
            centres=centres,
            heights=heights,
            widths=widths,
            relevance=relevance,
            positions=tuple(positions),
            offsets=tuple(offsets),
        )

    def coordinates(self, points: Sequence[Sequence[Any]]) -> tuple[np.ndarray, np.ndarray]:
        """Unit-cube coordinates of points, and their additive categorical offsets."""
        params = list(self.space.parameters)
        n = len(points)
        x = np.empty((n, len(params)))
        off = np.zeros(n)
        for j, p in enumerate(params):
            col = [row[j] for row in points]
            if getattr(p, "type", "") == "categorical":
                x[:, j] = [self.positions[j][str(v)] for v in col]
                off += [self.offsets[j][str(v)] for v in col]
            elif self.space.type == "mixture":
                x[:, j] = (np.asarray(col, float) - p.min) / max(p.max - p.min, 1)
            else:
                low, span = half_range(p.values)  # in halves: levels +-1e308 apart
                x[:, j] = (np.asarray(col, float) / 2.0 - low) / (span or 0.5)
        return x, off

    def values(self, points: Sequence[Sequence[Any]]) -> np.ndarray:
        """Noise-free responses of many points at once."""
        x, off = self.coordinates(points)
        return self._from_coordinates(x) + off

    def _from_coordinates(self, x: np.ndarray) -> np.ndarray:
        d = x.shape[1]
        diff = (x[:, None, :] - self.centres[None, :, :]) * np.sqrt(self.relevance)
        r2 = (diff**2).sum(axis=2) / d
        return self.scale * (self.heights * np.exp(-r2 / (2 * self.widths**2))).sum(axis=1)

    def value(self, point: Sequence[Any]) -> float:
        """Noise-free response of one point."""
        return float(self.values([point])[0])

    def noisy(self, point: Sequence[Any], rng: np.random.Generator, sd: float) -> float:
        """Response with Gaussian noise of standard deviation ``sd``."""
        return self.value(point) + (float(rng.normal(0.0, sd)) if sd > 0 else 0.0)


def all_points(space: Any) -> list[tuple] | None:
    """Every point of ``space`` when there are at most ENUMERATE_LIMIT, else None."""
    if space.type == "mixture":
        params = list(space.parameters)
        comp = Compositions([p.min for p in params], [p.max for p in params], space.total_units)
        if comp.count > ENUMERATE_LIMIT:
            return None
        return [tuple(int(v) for v in row) for row in comp.enumerate()]
    sizes = [len(p.values) for p in space.parameters]
    if math.prod(sizes) > ENUMERATE_LIMIT:
        return None
    grid = np.indices(sizes).reshape(len(sizes), -1).T
    return [tuple(p.values[i] for p, i in zip(space.parameters, row, strict=True)) for row in grid]


def optimum(space: Any, surface: Surface) -> tuple[tuple, float]:
    """The best point of ``surface`` over ``space`` and its value (enumerated, chunked)."""
    points = all_points(space)
    if points is None:
        return _local_search_optimum(space, surface)
    best_val, best_pt = -np.inf, None
    for start in range(0, len(points), 200_000):
        chunk = points[start : start + 200_000]
        vals = surface.values(chunk)
        i = int(np.argmax(vals))
        if vals[i] > best_val:
            best_val, best_pt = float(vals[i]), chunk[i]
    assert best_pt is not None
    return best_pt, best_val


def _local_search_optimum(space: Any, surface: Surface) -> tuple[tuple, float]:
    """Best of many hill climbs (used only for spaces too large to enumerate)."""
    from .optimizer.views import view_for

    view = view_for(space)
    rng = np.random.default_rng(0)
    codes = view.sample(400, rng)
    vals = surface.values(view.from_codes(codes))
    for _ in range(300):
        cand = view.mutate(codes, rng, 1.0)
        cv = surface.values(view.from_codes(cand))
        better = cv > vals
        codes[better], vals[better] = cand[better], cv[better]
    i = int(np.argmax(vals))
    return view.from_codes(codes[i : i + 1])[0], float(vals[i])

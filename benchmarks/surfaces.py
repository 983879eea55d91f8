"""Response surfaces for the benchmark, generated here, independent of the library.

``sigopt_like.service.simulator`` is the engine's home ground; nothing here
comes from it. A family draws a surface from a seed over a :class:`Grid` (every
point of the space); values are then scaled so that the space's worst point
is 0 and its best is 1, so ``best / optimum`` reads as "share of the way from the
worst experiment to the best one" and cannot be flattered by an offset.

Families (``FAMILIES``):

* ``peaks``: 4-8 Gaussian peaks, narrow and broad, each relevant in a few
  dimensions only; the global one is narrow half the time.
* ``edges``: the same, with every peak on the space's boundary (factorial:
  coordinates at their end levels; mixture: components at their bounds), the
  global one on a corner.
* ``additive``: main effects plus a few two-way interactions (mixture: a
  Scheffe special-cubic blending model).
* ``needle``: a broad plateau holding a narrow needle that is the optimum.
* ``categorical``: one categorical parameter decides where the peak is and how
  high; another hardly matters (factorial spaces with two or more categoricals).
* ``bowl_in`` / ``bowl_bound``: a curved bowl (a concave quadratic with random
  axes) whose top is inside the space / beyond a bound, so the optimum lies on it.
* ``noisy``: ``peaks`` measured with Gaussian noise (sd 0.05 of the range),
  each experiment run three times (replicates 2).

Categorical levels always add an effect (some large, some tiny) in every family.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import numpy as np

from .spaces import Grid

FAMILIES = (
    "peaks",
    "edges",
    "additive",
    "needle",
    "categorical",
    "bowl_in",
    "bowl_bound",
    "noisy",
)
NOISE_SD = 0.05
NOISY_REPLICATES = 2


@attrs.frozen
class Surface:
    """True values of every grid point (scaled to [0, 1]) and how they are measured."""

    values: np.ndarray
    noise_sd: float = 0.0
    replicates: int = 0

    @property
    def optimum(self) -> float:
        return float(self.values.max())


def applies(family: str, grid: Grid) -> bool:
    """Whether ``family`` makes sense on ``grid`` (categorical needs two categoricals)."""
    if family == "categorical":
        return grid.cats.shape[1] >= 2
    return True


def make_surface(family: str, grid: Grid, seed: int) -> Surface:
    """The surface of ``family`` drawn with ``seed`` on ``grid``."""
    rng = np.random.default_rng([seed, FAMILIES.index(family)])
    maker: Callable[[Grid, np.random.Generator], np.ndarray] = {
        "peaks": _peaks,
        "edges": _edges,
        "additive": _additive,
        "needle": _needle,
        "categorical": _categorical,
        "bowl_in": _bowl_in,
        "bowl_bound": _bowl_bound,
        "noisy": _peaks,
    }[family]
    raw = maker(grid, rng)
    raw = raw + _category_effects(grid, rng, scale=0.08 if family != "categorical" else 0.0)
    lo, hi = float(raw.min()), float(raw.max())
    values = (raw - lo) / (hi - lo)
    if family == "noisy":
        return Surface(values, NOISE_SD, NOISY_REPLICATES)
    return Surface(values)


# --------------------------------------------------------------------------- pieces


def _coords(grid: Grid) -> np.ndarray:
    """Numeric coordinates of the surface: unit scale (factorial) or proportions (mixture)."""
    if grid.space.type == "mixture":
        return grid.share / max(float(grid.share.max()), 1e-9)
    return grid.unit


def _peak(x: np.ndarray, centre: np.ndarray, widths: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * (((x - centre) / widths) ** 2).sum(axis=1))


def _widths(d: int, narrow: bool, rng: np.random.Generator) -> np.ndarray:
    """Per-dimension widths: a peak is sharp in 2-3 dimensions and broad in the others."""
    widths = rng.uniform(0.5, 1.2, size=d)
    active = rng.choice(d, size=min(d, int(rng.integers(2, 4))), replace=False)
    low, high = (0.18, 0.25) if narrow else (0.3, 0.5)
    widths[active] = rng.uniform(low, high, size=len(active))
    return widths


def _peak_mixture(
    x: np.ndarray, centres: np.ndarray, rng: np.random.Generator, narrow_global: bool
) -> np.ndarray:
    d = x.shape[1]
    out = np.zeros(len(x))
    for i, centre in enumerate(centres):
        height = 1.0 if i == 0 else rng.uniform(0.45, 0.85)
        narrow = narrow_global if i == 0 else bool(rng.random() < 0.5)
        out = np.maximum(out, height * _peak(x, centre, _widths(d, narrow, rng)))
    return out


def _peaks(grid: Grid, rng: np.random.Generator) -> np.ndarray:
    x = _coords(grid)
    n_peaks = int(rng.integers(4, 9))
    centres = x[rng.choice(len(x), size=n_peaks, replace=False)]
    trend = 0.15 * x @ rng.normal(size=x.shape[1]) / np.sqrt(x.shape[1])
    return _peak_mixture(x, centres, rng, bool(rng.random() < 0.5)) + trend


def _edges(grid: Grid, rng: np.random.Generator) -> np.ndarray:
    x = _coords(grid)
    at_bound = ((grid.unit <= 1e-9) | (grid.unit >= 1 - 1e-9)).sum(axis=1)
    need = grid.unit.shape[1] - (1 if grid.space.type == "mixture" else 0)
    corners = np.nonzero(at_bound >= need)[0]
    if len(corners) == 0:
        corners = np.argsort(-at_bound)[:50]
    edges = np.nonzero(at_bound >= max(1, need - 2))[0]
    n_peaks = int(rng.integers(4, 8))
    picks = [int(rng.choice(corners))]
    picks += [int(i) for i in rng.choice(edges, size=n_peaks - 1, replace=False)]
    return _peak_mixture(x, x[picks], rng, bool(rng.random() < 0.5))


def _additive(grid: Grid, rng: np.random.Generator) -> np.ndarray:
    if grid.space.type == "mixture":
        return _scheffe(grid, rng)
    x = grid.unit
    d = x.shape[1]
    weights = rng.uniform(0.05, 1.0, size=d) ** 2
    out = np.zeros(len(x))
    for j in range(d):
        a, b, c = rng.normal(size=3)
        phase = rng.uniform(0, 2 * np.pi)
        xj = x[:, j]
        effect = a * xj + b * (xj - 0.5) ** 2 * 2 + 0.5 * c * np.sin(2 * np.pi * xj + phase)
        out += weights[j] * effect
    for _ in range(int(rng.integers(2, 5))):
        i, j = rng.choice(d, size=2, replace=False)
        out += rng.normal(0, 0.8) * (x[:, i] - rng.random()) * (x[:, j] - rng.random())
    return out


def _scheffe(grid: Grid, rng: np.random.Generator) -> np.ndarray:
    """Scheffe special cubic: linear blending, binary synergies and ternary terms."""
    p = grid.share
    k = p.shape[1]
    out = p @ rng.normal(0, 1, size=k)
    for i in range(k):
        for j in range(i + 1, k):
            if rng.random() < 0.5:
                out += rng.normal(0, 3.0) * p[:, i] * p[:, j]
    for _ in range(int(rng.integers(1, 4))):
        i, j, m = rng.choice(k, size=3, replace=False)
        out += rng.normal(0, 15.0) * p[:, i] * p[:, j] * p[:, m]
    return out


def _needle(grid: Grid, rng: np.random.Generator) -> np.ndarray:
    x = _coords(grid)
    d = x.shape[1]
    centre = x[rng.integers(len(x))]
    radius = np.sqrt(d) * rng.uniform(0.35, 0.5)
    dist = np.sqrt(((x - centre) ** 2).sum(axis=1))
    plateau = 0.8 / (1.0 + np.exp((dist - radius) / 0.04))
    inside = np.nonzero(dist < 0.8 * radius)[0]
    tip = x[int(rng.choice(inside))] if len(inside) else centre
    widths = np.full(d, 2.0)
    active = rng.choice(d, size=min(d, 2), replace=False)
    widths[active] = rng.uniform(0.15, 0.2, size=len(active))
    return plateau + 0.2 * _peak(x, tip, widths)


def _categorical(grid: Grid, rng: np.random.Generator) -> np.ndarray:
    x = _coords(grid)
    d = x.shape[1]
    strong = grid.cats[:, 0]
    weak = grid.cats[:, 1]
    n_strong = int(strong.max()) + 1
    heights = rng.uniform(0.35, 0.8, size=n_strong)
    heights[rng.integers(n_strong)] = 1.0
    out = np.zeros(len(x))
    for level in range(n_strong):
        centre = rng.random(d)
        widths = rng.uniform(0.25, 0.6, size=d)
        on = strong == level
        out[on] = heights[level] * _peak(x[on], centre, widths)
    n_weak = int(weak.max()) + 1
    out += rng.uniform(-0.01, 0.01, size=n_weak)[weak]
    for j in range(2, grid.cats.shape[1]):
        out += rng.uniform(-0.01, 0.01, size=int(grid.cats[:, j].max()) + 1)[grid.cats[:, j]]
    return out


def _bowl(grid: Grid, rng: np.random.Generator, top: np.ndarray) -> np.ndarray:
    x = _coords(grid)
    d = x.shape[1]
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    scales = rng.uniform(0.5, 3.0, size=d) ** 2
    diff = (x - top) @ q
    return -(diff**2 * scales).sum(axis=1)


def _bowl_in(grid: Grid, rng: np.random.Generator) -> np.ndarray:
    x = _coords(grid)
    inner = np.nonzero(((grid.unit > 0.15) & (grid.unit < 0.85)).all(axis=1))[0]
    pool = inner if len(inner) else np.arange(len(x))
    top = x[int(rng.choice(pool))] + rng.normal(0, 0.03, size=x.shape[1])
    return _bowl(grid, rng, top)


def _bowl_bound(grid: Grid, rng: np.random.Generator) -> np.ndarray:
    x = _coords(grid)
    top = x[int(rng.integers(len(x)))].copy()
    j = int(rng.integers(x.shape[1]))
    lo, hi = float(x[:, j].min()), float(x[:, j].max())
    top[j] = hi + 0.3 * (hi - lo) if rng.random() < 0.5 else lo - 0.3 * (hi - lo)
    return _bowl(grid, rng, top)


def _category_effects(grid: Grid, rng: np.random.Generator, scale: float) -> np.ndarray:
    """Per-level offsets: the first categorical matters (up to ``scale``), the rest hardly."""
    out = np.zeros(len(grid.cats))
    for j in range(grid.cats.shape[1]):
        size = scale if j == 0 else scale * 0.05
        levels = int(grid.cats[:, j].max()) + 1
        out += rng.uniform(-size, size, size=levels)[grid.cats[:, j]]
    return out

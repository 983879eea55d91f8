"""Views of a design space for the engine: codes, features, sampling and moves.

The engine never touches points directly. A view turns points into *codes*
(one float row per point: level index for factorial parameters, units for
mixture components, the value itself for SigOpt doubles and ints) and codes
into *features* in the unit cube for the surrogate (numerical levels scaled,
categorical levels one-hot, mixture units as fractions of their range). Every
move a view makes (sampling, mutation, crossover) returns feasible codes only,
so feasibility holds by construction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from .compositions import Compositions
from .finite import half_range

ENUMERATION_LIMIT = 60_000
"""Spaces with at most this many points are enumerated in full."""

_ONE_HOT = 1.0 / math.sqrt(2.0)  # two different levels are at distance 1, like a numeric range


class View(Protocol):
    """What the engine needs from a space."""

    dim: int
    n_params: int

    def size(self) -> int | None: ...
    def to_code(self, point: Sequence[Any]) -> np.ndarray | None: ...
    def to_codes(self, points: Sequence[Sequence[Any]]) -> tuple[np.ndarray, np.ndarray]: ...
    def from_codes(self, codes: np.ndarray) -> list[tuple]: ...
    def encode(self, codes: np.ndarray) -> np.ndarray: ...
    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray: ...
    def enumerate(self) -> np.ndarray | None: ...
    def mutate(self, codes: np.ndarray, rng: np.random.Generator, scale: float) -> np.ndarray: ...
    def crossover(self, a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray: ...
    def initial_design(self, n: int, rng: np.random.Generator) -> np.ndarray: ...


def code_key(row: np.ndarray) -> tuple:
    """Hashable identity of one code row."""
    return tuple(np.asarray(row, dtype=float).tolist())


def codes_one_by_one(view: View, points: Sequence[Sequence[Any]]) -> tuple[np.ndarray, np.ndarray]:
    """``view.to_codes`` by ``view.to_code`` of each point: the codes (a row of zeros for
    a point not in the space) and the mask of the points in the space."""
    codes = np.zeros((len(points), view.n_params))
    ok = np.zeros(len(points), dtype=bool)
    for i, point in enumerate(points):
        code = view.to_code(point)
        if code is not None:
            codes[i], ok[i] = code, True
    return codes, ok


_PLAIN_NUMBERS = frozenset((float, int))
_PLAIN_LEVELS = frozenset((str, float, int))
TABLE_CELLS = 1 << 22
"""``FactorialView.encode`` looks all numerical parameters up in one table of at most this
many cells (parameters times the most levels of one)."""
NEAREST_CELLS = 1 << 20
"""``to_codes`` compares at most this many (value, level) pairs at once."""


def _param_kind(param: Any) -> str:
    kind = getattr(param, "type", None)
    if kind in ("numerical", "categorical", "unit"):
        return kind
    if hasattr(param, "min") and hasattr(param, "max") and not hasattr(param, "values"):
        return "unit"
    values = tuple(param.values)
    return "categorical" if any(isinstance(v, str) for v in values) else "numerical"


class FactorialView:
    """Factorial space: each parameter takes one of its listed levels."""

    def __init__(self, space: Any) -> None:
        self.kinds: list[str] = []
        self.values: list[tuple] = []
        for param in space.parameters:
            kind = _param_kind(param)
            self.kinds.append(kind)
            if kind == "numerical":
                self.values.append(tuple(float(v) for v in param.values))
            else:
                self.values.append(tuple(str(v) for v in param.values))
        self.levels = np.array([len(v) for v in self.values], dtype=np.int64)
        # a numerical's levels as an array once, not at every point read
        self._levels: list[np.ndarray | tuple] = [
            np.asarray(v) if k == "numerical" else v
            for k, v in zip(self.kinds, self.values, strict=True)
        ]
        self.n_params = len(self.values)
        self.numeric = np.array([k == "numerical" for k in self.kinds])
        self._scaled: list[np.ndarray | None] = []  # None: one-hot, built row by row
        for kind, vals in zip(self.kinds, self.values, strict=True):
            if kind == "numerical":
                arr = np.asarray(vals, dtype=float)
                low, span = half_range(arr)  # in halves: levels +-1e308 apart stay finite
                self._scaled.append(
                    (arr / 2.0 - low) / span if span > 0 else np.full(len(arr), 0.5)
                )
            else:
                # np.eye(levels) was a levels x levels matrix: 20 GB for 50,000 values
                self._scaled.append(None)
        # the scaled levels of every parameter in one table (rows padded) when all are
        # numerical and the table is small: encode then looks a whole pool up at once
        widest = max((len(v) for v in self.values), default=0)
        self._table: np.ndarray | None = None
        if all(t is not None for t in self._scaled) and len(self.values) * widest <= TABLE_CELLS:
            self._table = np.zeros((len(self.values), widest))
            for j, table in enumerate(self._scaled):
                assert table is not None
                self._table[j, : len(table)] = table
        self.dim = sum(
            1 if k == "numerical" else len(v) for k, v in zip(self.kinds, self.values, strict=True)
        )

    def size(self) -> int:
        return int(math.prod(int(n) for n in self.levels))

    def to_code(self, point: Sequence[Any]) -> np.ndarray | None:
        if len(point) != len(self.values):
            return None
        code = np.empty(len(self.values))
        with np.errstate(over="ignore"):  # levels 2e308 away: inf, far enough
            for j, (vals, v) in enumerate(zip(self._levels, point, strict=True)):
                if isinstance(vals, np.ndarray):
                    try:
                        x = float(v)
                    except (TypeError, ValueError):
                        return None
                    dist = np.abs(vals - x)
                    i = int(dist.argmin())
                    if dist[i] > 1e-9 * max(1.0, abs(x)):
                        return None
                    code[j] = i
                else:
                    try:
                        code[j] = vals.index(str(v))
                    except ValueError:
                        return None
        return code

    def to_codes(self, points: Sequence[Sequence[Any]]) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`to_code` of many points at once, a parameter's values as one column: the
        codes (a row of zeros for a point not in the space) and the mask of the points in
        the space. Reading 2,500 points of 200 parameters one value at a time took a fifth
        of a generation. Values other than plain numbers (and, for a categorical, strings)
        are read one point at a time by :meth:`to_code`, so that every value reads as it
        does there."""
        n, p = len(points), self.n_params
        if any(len(point) != p for point in points):
            codes, ok = codes_one_by_one(self, points)
            return codes, ok
        columns = list(zip(*points, strict=True)) if n else [() for _ in range(p)]
        for levels, column in zip(self._levels, columns, strict=True):
            plain = _PLAIN_NUMBERS if isinstance(levels, np.ndarray) else _PLAIN_LEVELS
            if not set(map(type, column)) <= plain:
                codes, ok = codes_one_by_one(self, points)
                return codes, ok
        codes = np.zeros((n, p))
        ok = np.ones(n, dtype=bool)
        for j, (levels, column) in enumerate(zip(self._levels, columns, strict=True)):
            if isinstance(levels, np.ndarray):
                codes[:, j], fits = _nearest_levels(levels, np.array(column, dtype=float))
                ok &= fits
            else:
                first = {level: i for i, level in reversed(list(enumerate(levels)))}
                index = np.array([_level_index(first, v) for v in column], dtype=float)
                ok &= index >= 0
                codes[:, j] = np.maximum(index, 0.0)
        codes[~ok] = 0.0
        return codes, ok

    def from_codes(self, codes: np.ndarray) -> list[tuple]:
        return [
            tuple(self.values[j][int(c)] for j, c in enumerate(row)) for row in np.asarray(codes)
        ]

    def encode(self, codes: np.ndarray) -> np.ndarray:
        codes = np.asarray(codes, dtype=np.int64).reshape(-1, len(self.values))
        if self._table is not None:  # every parameter numerical: one lookup, no column loop
            return self._table[np.arange(len(self.values)), codes]
        cols = []
        rows = np.arange(len(codes))
        for j, table in enumerate(self._scaled):
            if table is None:
                block = np.zeros((len(codes), int(self.levels[j])))
                block[rows, codes[:, j]] = _ONE_HOT
                cols.append(block)
            else:
                cols.append(table[codes[:, j]][:, None])
        return np.hstack(cols) if cols else np.zeros((len(codes), 0))

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.integers(0, self.levels, size=(n, len(self.levels))).astype(float)

    def enumerate(self) -> np.ndarray | None:
        if self.size() > ENUMERATION_LIMIT:
            return None
        grids = np.indices(tuple(int(n) for n in self.levels)).reshape(len(self.levels), -1)
        return grids.T.astype(float)

    def unrank(self, ranks: np.ndarray) -> np.ndarray:
        """The codes of points numbered in :meth:`enumerate`'s order (last parameter fastest)."""
        rest = np.asarray(ranks, dtype=np.int64).copy()
        out = np.empty((len(rest), len(self.levels)))
        for j in range(len(self.levels) - 1, -1, -1):
            out[:, j] = rest % self.levels[j]
            rest //= self.levels[j]
        return out

    def mutate(self, codes: np.ndarray, rng: np.random.Generator, scale: float) -> np.ndarray:
        """Change 1-3 parameters per row: a one-level step, or a jump to another level."""
        out = np.array(codes, dtype=float, copy=True)
        n: int
        p: int
        n, p = out.shape
        if p == 0:
            return out
        n_changes = 1 + (rng.random(n) < 0.35 * scale) + (rng.random(n) < 0.12 * scale)
        for step in range(3):
            rows = np.nonzero(n_changes > step)[0]
            cols = rng.integers(0, p, size=len(rows))
            levels = self.levels[cols]
            jump = rng.integers(1, np.maximum(levels, 2), size=len(rows))
            new = (out[rows, cols] + jump) % levels  # any other level
            local = self.numeric[cols] & (rng.random(len(rows)) < 0.7)
            step_dir = np.where(rng.random(len(rows)) < 0.5, -1, 1)
            stepped = out[rows, cols] + step_dir
            stepped = np.where(
                (stepped < 0) | (stepped >= levels), out[rows, cols] - step_dir, stepped
            )
            new = np.where(local, np.clip(stepped, 0, levels - 1), new)
            out[rows, cols] = new
        return out

    def crossover(self, a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        mask = rng.random(a.shape) < 0.5
        return np.where(mask, a, b).astype(float)

    def initial_design(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Best (maximin) of several Latin-hypercube-like designs over the levels."""
        best, best_score = None, -np.inf
        for _ in range(40 if n <= 100 else 3):
            cols = []
            for levels in self.levels:
                cols.append(rng.permutation(_spread_levels(int(levels), n, rng)))
            codes = np.stack(cols, axis=1).astype(float) if cols else np.zeros((n, 0))
            feats = self.encode(codes)
            d = _pairwise(feats)
            np.fill_diagonal(d, np.inf)
            score = d.min() + 1e-3 * d.min(axis=1).mean()
            if score > best_score:
                best, best_score = codes, score
        assert best is not None
        return best


def _spread_levels(levels: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """n level codes for one column of a first design, spread over all its levels.

    With at least as many rows as levels, every level appears, in turn (as before).
    With fewer rows than levels, row i takes one level at random from the i-th of n
    equal strata, so three rows over eight levels span low, middle and high, not
    always the three lowest levels.
    """
    if n >= levels:
        return np.tile(np.arange(levels), math.ceil(n / levels))[:n]
    width = levels / n
    starts = np.arange(n) * width
    picked = np.floor(starts + rng.random(n) * width).astype(int)
    return np.minimum(picked, levels - 1)


class MixtureView:
    """Mixture space: integer units per component, bounded, summing to total_units."""

    def __init__(self, space: Any) -> None:
        self.lo = np.array([int(p.min) for p in space.parameters], dtype=np.int64)
        self.hi = np.array([int(p.max) for p in space.parameters], dtype=np.int64)
        self.total = int(space.total_units)
        self.comp = Compositions(self.lo.tolist(), self.hi.tolist(), self.total)
        span = (self.hi - self.lo).astype(float)
        self._span = np.where(span > 0, span, 1.0)
        self.dim = len(self.lo)
        self.n_params = len(self.lo)

    def size(self) -> int:
        return int(self.comp.count)

    def to_code(self, point: Sequence[Any]) -> np.ndarray | None:
        try:
            arr = np.array([float(v) for v in point])
        except (TypeError, ValueError):
            return None
        if not self.comp.contains(arr.tolist()):
            return None
        return arr

    def to_codes(self, points: Sequence[Sequence[Any]]) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`to_code` of each point (as ``FactorialView.to_codes`` returns them)."""
        return codes_one_by_one(self, points)

    def from_codes(self, codes: np.ndarray) -> list[tuple]:
        return [tuple(int(v) for v in row) for row in np.asarray(codes)]

    def encode(self, codes: np.ndarray) -> np.ndarray:
        return (np.asarray(codes, dtype=float) - self.lo) / self._span

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.comp.sample(n, rng).astype(float)

    def enumerate(self) -> np.ndarray | None:
        if self.size() > ENUMERATION_LIMIT:
            return None
        return self.comp.enumerate().astype(float)

    def unrank(self, ranks: np.ndarray) -> np.ndarray:
        """The codes of points numbered in :meth:`enumerate`'s order."""
        return self.comp.unrank(np.asarray(ranks, dtype=np.int64)).astype(float)

    def mutate(self, codes: np.ndarray, rng: np.random.Generator, scale: float) -> np.ndarray:
        """Move one unit from a component to another (1-4 times), within bounds."""
        out = np.array(codes, dtype=float, copy=True)
        n = len(out)
        moves = 1 + (rng.random(n) < 0.5 * scale) + (rng.random(n) < 0.25 * scale)
        moves += rng.random(n) < 0.1 * scale
        for step in range(4):
            rows = np.nonzero(moves > step)[0]
            if len(rows) == 0:
                break
            x = out[rows]
            donors = (x - self.lo) >= 1
            takers = (self.hi - x) >= 1
            i = _random_true(donors, rng)
            takers[np.arange(len(rows)), np.where(i >= 0, i, 0)] &= i < 0
            j = _random_true(takers, rng)
            ok = (i >= 0) & (j >= 0)
            out[rows[ok], i[ok]] -= 1
            out[rows[ok], j[ok]] += 1
        return out

    def crossover(self, a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A random point between the parents, rounded and repaired to the total."""
        lam = rng.random((len(a), 1))
        child = np.floor(a + lam * (b - a) + rng.random(a.shape))
        low = np.maximum(np.minimum(a, b), self.lo)
        high = np.minimum(np.maximum(a, b), self.hi)
        child = np.clip(child, low, high)
        for _ in range(4 * self.total + 4):
            diff = self.total - child.sum(axis=1)
            if not np.any(diff):
                break
            up = (diff > 0)[:, None] & (child < high)
            down = (diff < 0)[:, None] & (child > low)
            i = _random_true(up | down, rng)
            rows = np.nonzero(i >= 0)[0]
            child[rows, i[rows]] += np.sign(diff[rows])
        bad = child.sum(axis=1) != self.total
        child[bad] = a[bad]
        return child

    def initial_design(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Centroidal design: k-means centres of exact-uniform compositions, snapped to points.

        Unlike a plain maximin design it is not pulled to the vertices of the simplex.
        """
        if n > 150:  # k-means with many clusters is slow; maximin from a pool instead
            pool = _unique_rows(self.sample(3 * n, rng))
            return pool[greedy_maximin(self.encode(pool), n, rng)]
        pool = _unique_rows(self.sample(max(30 * n, 300), rng))
        return pool[centroidal(self.encode(pool), n, rng)]


def _level_index(first: dict[str, int], value: Any) -> int:
    """The index of a categorical's level ``str(value)``, -1 if it is none of them."""
    try:
        return first.get(str(value), -1)
    except ValueError:  # str() of an int of more digits than Python prints
        return -1


def _nearest_levels(levels: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each value of ``x``, the index of the nearest of ``levels`` (the first of equals)
    and whether it is that level, within ``FactorialView.to_code``'s tolerance (the same
    arithmetic, a column at a time)."""
    index = np.zeros(len(x))
    fits = np.zeros(len(x), dtype=bool)
    step = max(1, NEAREST_CELLS // max(1, len(levels)))
    with np.errstate(over="ignore"):  # levels 2e308 away: inf, far enough
        for start in range(0, len(x), step):
            part = x[start : start + step]
            dist = np.abs(levels[None, :] - part[:, None])
            i = dist.argmin(axis=1)
            near = dist[np.arange(len(part)), i]
            index[start : start + step] = i
            fits[start : start + step] = ~(near > 1e-9 * np.maximum(1.0, np.abs(part)))
    return index, fits


def _random_true(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per row, the column of a uniformly chosen True entry, or -1 if none."""
    score = np.where(mask, rng.random(mask.shape), -1.0)
    idx = score.argmax(axis=1)
    return np.where(mask.any(axis=1), idx, -1)


def feature_groups(view: View) -> list[np.ndarray]:
    """The feature columns of each parameter (a categorical's one-hot block is one group)."""
    kinds = getattr(view, "kinds", None)
    values = getattr(view, "values", None)
    if kinds is None or values is None:
        return [np.array([j]) for j in range(view.dim)]
    groups, start = [], 0
    for kind, vals in zip(kinds, values, strict=True):
        width = 1 if kind == "numerical" else len(vals)
        groups.append(np.arange(start, start + width))
        start += width
    return groups


def _pairwise(feats: np.ndarray) -> np.ndarray:
    sq = (feats**2).sum(axis=1)
    return np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * feats @ feats.T, 0.0))


#: above this many (row, other) pairs in at most TREE_MAX_FEATURES dimensions, a k-d tree
#: finds the nearest rows: the pairwise scan's cost grows with the history (44,000
#: untested points of an enumerated space against 2,800 tested ones took 1.3 of a
#: generation's 2 CPU seconds); below it, the scan is as fast and results stay as before
TREE_MIN_PAIRS = 20_000_000
TREE_MAX_FEATURES = 16  # beyond, a k-d tree's pruning no longer pays


def nearest_sq_distance(feats: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Squared distance from each row of ``feats`` to its nearest row of ``others``."""
    out = np.full(len(feats), np.inf)
    if len(others) == 0:
        return out
    if len(feats) * len(others) > TREE_MIN_PAIRS and feats.shape[1] <= TREE_MAX_FEATURES:
        from scipy.spatial import cKDTree

        distance, _ = cKDTree(others).query(feats, k=1)
        return np.asarray(distance, dtype=float) ** 2
    sq = (feats**2).sum(axis=1)
    twice = 2.0 * feats  # once, not at every chunk (``2.0 * feats @ chunk.T`` doubled feats)
    for chunk in np.array_split(others, max(1, len(others) // 512)):
        d = sq[:, None] + (chunk**2).sum(axis=1)[None, :]
        np.subtract(d, twice @ chunk.T, out=d)
        out = np.minimum(out, d.min(axis=1))
    return np.maximum(out, 0.0)


def _unique_rows(codes: np.ndarray) -> np.ndarray:
    _, idx = np.unique(codes, axis=0, return_index=True)
    return codes[np.sort(idx)]


def greedy_maximin(
    feats: np.ndarray,
    n: int,
    rng: np.random.Generator,
    existing: np.ndarray | None = None,
) -> np.ndarray:
    """Indices of ``n`` rows of ``feats`` chosen greedily to maximise the minimum distance."""
    n = min(n, len(feats))
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    mind = np.full(len(feats), np.inf)
    if existing is not None and len(existing):
        mind = nearest_sq_distance(feats, existing)
        first = int(np.argmax(mind + 1e-9 * rng.random(len(feats))))
    else:
        first = int(rng.integers(len(feats)))
    chosen = [first]
    mind = np.minimum(mind, ((feats - feats[first]) ** 2).sum(axis=1))
    mind[first] = -1.0
    for _ in range(n - 1):
        k = int(np.argmax(mind + 1e-9 * rng.random(len(feats))))
        chosen.append(k)
        mind = np.minimum(mind, ((feats - feats[k]) ** 2).sum(axis=1))
        mind[chosen] = -1.0
    return np.array(chosen, dtype=np.int64)


def centroidal(feats: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``n`` distinct rows of ``feats`` nearest to k-means centres of all rows."""
    from sklearn.cluster import KMeans

    n = min(n, len(feats))
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    km = KMeans(n_clusters=n, n_init=1, max_iter=50, random_state=int(rng.integers(2**31 - 1)))
    km.fit(feats)
    d = ((feats[:, None, :] - km.cluster_centers_[None, :, :]) ** 2).sum(axis=2)
    chosen: list[int] = []
    taken = np.zeros(len(feats), dtype=bool)
    for c in range(n):
        order = np.argsort(d[:, c])
        i = int(next(i for i in order if not taken[i]))
        taken[i] = True
        chosen.append(i)
    return np.array(chosen, dtype=np.int64)


def view_for(space: Any) -> FactorialView | MixtureView:
    """The view for a Space (factorial or mixture)."""
    if getattr(space, "type", "factorial") == "mixture":
        return MixtureView(space)
    return FactorialView(space)

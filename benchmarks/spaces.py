"""The benchmark's spaces: four to tune on, the issue's two held out for validation.

Each space is enumerated here with numpy (independent of the engine's views),
so that a surface's optimum and minimum are exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from sigopt_like.spaces import CategoricalParameter, MixtureComponent, NumericalParameter, Space


@attrs.frozen
class Grid:
    """Every point of a space as arrays: numeric coordinates in [0, 1] and categorical indices.

    ``unit`` (n, d) holds numerical levels scaled to [0, 1] (factorial) or each
    component's units scaled over its min..max (mixture); ``share`` (n, d) the
    mixture proportions (units / total; factorial: same as ``unit``);
    ``cats`` (n, c) categorical level indices; ``codes`` (n, p) level indices
    (factorial) or units (mixture), in parameter order.
    """

    space: Space
    codes: np.ndarray
    unit: np.ndarray
    share: np.ndarray
    cats: np.ndarray
    n_levels: tuple[int, ...]

    def points(self, rows: np.ndarray) -> list[tuple[Any, ...]]:
        """The space's points (tuples as the API takes them) of grid rows ``rows``."""
        out = []
        for code in self.codes[rows]:
            point = []
            for param, c in zip(self.space.parameters, code, strict=True):
                if isinstance(param, MixtureComponent):
                    point.append(int(c))
                else:
                    point.append(param.values[int(c)])
            out.append(tuple(point))
        return out

    def index_of(self) -> dict[tuple[Any, ...], int]:
        """Point -> grid row."""
        return {p: i for i, p in enumerate(self.points(np.arange(len(self.codes))))}

    def rows_of(self, points: Sequence[Sequence[Any]]) -> np.ndarray:
        """Grid rows of ``points`` (mixed-radix keys of their codes, found by binary search)."""
        codes = np.array([self._code(p) for p in points], dtype=np.int64)
        radix = self.codes.max(axis=0) + 1
        mult = np.concatenate([np.cumprod(radix[::-1])[::-1][1:], [1]])
        keys = self.codes @ mult
        order = np.argsort(keys)
        return order[np.searchsorted(keys[order], codes @ mult)]

    def _code(self, point: Sequence[Any]) -> list[int]:
        out = []
        for param, v in zip(self.space.parameters, point, strict=True):
            if isinstance(param, MixtureComponent):
                out.append(int(v))
            else:
                out.append(param.values.index(param.coerce(v)))
        return out


LEVELS5 = (0.0, 0.25, 0.5, 0.75, 1.0)


def _with_deciding_categorical(levels: Sequence[tuple[float, ...]]) -> Space:
    """Numerical parameters of ``levels``, then a categorical of 4 levels (the surfaces'
    categorical family makes it decide) and one of 2: TUNE's c7 and c8."""
    params: list[Any] = [NumericalParameter(f"x{i}", v) for i, v in enumerate(levels)]
    params.append(CategoricalParameter("k", ("p", "q", "r", "s")))
    params.append(CategoricalParameter("w", ("y", "z")))
    return Space("factorial", params)


def make_space(name: str) -> Space:
    """A benchmark space by name (see ``SPACES``)."""
    if name == "f6":  # tune: 6 numerical x 5 levels = 15,625 points
        return Space("factorial", [NumericalParameter(f"x{i}", LEVELS5) for i in range(6)])
    if name == "c6":  # tune: 2 numerical x 5 levels, 3 x 4 + 1 x 3 categorical = 4,800 points
        params: list[Any] = [NumericalParameter(f"x{i}", LEVELS5) for i in range(2)]
        params += [CategoricalParameter(f"c{i}", ("a", "b", "c", "d")) for i in range(3)]
        params.append(CategoricalParameter("c3", ("u", "v", "w")))
        return Space("factorial", params)
    if name == "c7":  # tune: 5 numerical (4-6 levels) + 2 categorical (4, 2) = 12,288 points:
        # f7's shape (a categorical of few levels deciding over 1,536 numerical points)
        levels7: list[tuple[float, ...]] = [
            (0.0, 1 / 3, 2 / 3, 1.0),
            (0.0, 0.2, 0.4, 0.6, 0.8, 1.0),
            (0.0, 0.1, 0.4, 1.0),
            (0.0, 0.5, 0.75, 1.0),
            (0.0, 1 / 3, 2 / 3, 1.0),
        ]
        return _with_deciding_categorical(levels7)
    if name == "c8":  # tune: 6 numerical (4-5 levels, two unevenly spaced) + 2 categorical (4, 2)
        # = 40,960 points: shaped like f7 (a categorical of few levels deciding over many
        # numerical points), with other counts; c6's deciding categorical has 25 points a level
        levels8: list[tuple[float, ...]] = [
            (0.0, 1 / 3, 2 / 3, 1.0),
            (0.0, 0.25, 0.5, 0.75, 1.0),
            (0.0, 0.1, 0.4, 1.0),
            (0.0, 1 / 3, 2 / 3, 1.0),
            (0.0, 0.5, 0.75, 1.0),
            (0.0, 1 / 3, 2 / 3, 1.0),
        ]
        return _with_deciding_categorical(levels8)
    if name == "m5":  # tune: 5 components, 25 units, 0..15 each = 20,176 points
        return Space("mixture", [MixtureComponent(f"m{i}", 0, 15) for i in range(5)], 25)
    if name == "f7":  # held out: 5 numerical (5,4,3,5,4 levels) + 2 categorical (3, 2) = 7,200
        levels = [LEVELS5, (10, 20, 30, 40), (1, 2, 4), (0, 5, 10, 15, 20), (0.1, 0.2, 0.4, 0.8)]
        params = [NumericalParameter(f"n{i}", v) for i, v in enumerate(levels)]
        params.append(CategoricalParameter("cat", ("Pd", "Pt", "Ni")))
        params.append(CategoricalParameter("solv", ("water", "ethanol")))
        return Space("factorial", params)
    if name == "m7":  # held out: 7 components, 25 units, unequal bounds
        bounds = [(0, 10), (0, 10), (1, 8), (0, 12), (2, 9), (0, 6), (0, 15)]
        comps = [MixtureComponent(f"c{i}", lo, hi) for i, (lo, hi) in enumerate(bounds)]
        return Space("mixture", comps, 25)
    raise ValueError(f"unknown benchmark space {name!r}")


TUNE_SPACES = ("f6", "c6", "m5", "c7", "c8")
VALIDATION_SPACES = ("f7", "m7")


def grid(space: Space) -> Grid:
    """Enumerate ``space`` (factorial: mixed radix; mixture: bounded compositions)."""
    if space.type == "mixture":
        return _mixture_grid(space)
    n_levels = tuple(len(p.values) for p in space.parameters)
    codes = np.indices(n_levels).reshape(len(n_levels), -1).T
    unit_cols, cat_cols = [], []
    for j, param in enumerate(space.parameters):
        if isinstance(param, NumericalParameter):
            vals = np.asarray(param.values, dtype=float)
            scaled = (vals - vals.min()) / (vals.max() - vals.min())
            unit_cols.append(scaled[codes[:, j]])
        else:
            cat_cols.append(codes[:, j])
    unit = np.stack(unit_cols, axis=1) if unit_cols else np.zeros((len(codes), 0))
    cats = np.stack(cat_cols, axis=1) if cat_cols else np.zeros((len(codes), 0), dtype=int)
    return Grid(space, codes, unit, unit, cats, n_levels)


def _mixture_grid(space: Space) -> Grid:
    lo = np.array([p.min for p in space.parameters])
    hi = np.array([p.max for p in space.parameters])
    total = int(space.total_units or 0)
    rows = _compositions(lo, hi, total)
    unit = (rows - lo) / np.where(hi > lo, hi - lo, 1)
    share = rows / float(total)
    cats = np.zeros((len(rows), 0), dtype=int)
    return Grid(space, rows, unit, share, cats, ())


def _compositions(lo: np.ndarray, hi: np.ndarray, total: int) -> np.ndarray:
    """Every integer vector with lo <= x <= hi summing to total, built column by column."""
    partial = np.zeros((1, 0), dtype=np.int64)
    sums = np.zeros(1, dtype=np.int64)
    k = len(lo)
    for i in range(k):
        rest_lo = int(lo[i + 1 :].sum())
        rest_hi = int(hi[i + 1 :].sum())
        blocks, block_sums = [], []
        for v in range(int(lo[i]), int(hi[i]) + 1):
            s = sums + v
            ok = (s + rest_lo <= total) & (s + rest_hi >= total)
            if i == k - 1:
                ok &= s == total
            if ok.any():
                blocks.append(np.hstack([partial[ok], np.full((int(ok.sum()), 1), v)]))
                block_sums.append(s[ok])
        partial = np.vstack(blocks)
        sums = np.concatenate(block_sums)
    return partial

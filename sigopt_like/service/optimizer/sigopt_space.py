"""The search space of a SigOpt experiment as the engine sees it.

One column per parameter, then one per conditional. A row of codes is a point:

* ``double``: the value, or its base-10 logarithm for ``transformation: "log"``
  (so the engine explores decades evenly);
* ``int``: the value;
* ``grid`` (a double or int with ``grid`` values): the index in the sorted grid;
* ``categorical`` and conditionals: the index of the value.

Features (what the surrogate sees) scale every numeric column to [0, 1] (grid
values by their possibly-log value, so uneven grids keep their distances) and
one-hot categorical ones. A parameter whose ``conditions`` do not hold is
inactive: its code is pinned to a canonical value and its feature to a
constant, so it neither tells the model anything nor makes two points differ,
and it is left out of the assignments. Linear constraints (see ``polytope``)
hold for every point this view makes: sampling, mutation and crossover all end
in a feasibility step.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from .finite import half_range
from .polytope import LinearConstraints
from .priors import Prior
from .views import ENUMERATION_LIMIT, greedy_maximin

_ONE_HOT = 1.0 / math.sqrt(2.0)
INACTIVE_FEATURE = 0.5


@attrs.frozen
class Dim:
    """One column: a parameter or a conditional."""

    name: str
    kind: str  # double | int | grid | categorical | conditional
    lo: float
    hi: float
    values: tuple[Any, ...] = ()  # categorical names, grid values, or a double's bounds
    log: bool = False
    prior: Prior | None = None
    #: (column of a conditional, allowed value indices) pairs; all must hold
    conditions: tuple[tuple[int, frozenset[int]], ...] = ()

    @property
    def discrete(self) -> bool:
        return self.kind != "double"

    @property
    def levels(self) -> int:
        return int(self.hi - self.lo) + 1


class SearchSpace:
    """Codes, features, sampling and moves over a SigOpt experiment's parameters."""

    def __init__(
        self,
        parameters: Sequence[Mapping[str, Any]],
        conditionals: Sequence[Mapping[str, Any]] = (),
        linear_constraints: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        cond_index = {c["name"]: len(parameters) + i for i, c in enumerate(conditionals)}
        cond_values = {c["name"]: [str(v) for v in c["values"]] for c in conditionals}
        dims = [_dim(p, cond_index, cond_values) for p in parameters]
        dims += [
            Dim(str(c["name"]), "conditional", 0.0, float(len(c["values"]) - 1), tuple(c["values"]))
            for c in conditionals
        ]
        self.dims: tuple[Dim, ...] = tuple(dims)
        self.n_params = len(dims)
        self.n_parameters = len(parameters)
        self.lo = np.array([d.lo for d in dims], dtype=float)
        self.hi = np.array([d.hi for d in dims], dtype=float)
        self.kind = [d.kind for d in dims]
        self.is_double = np.array([d.kind == "double" for d in dims])
        self.is_onehot = np.array([d.kind in ("categorical", "conditional") for d in dims])
        self.is_integral = ~self.is_double
        self.conditional = any(d.conditions for d in dims)
        self.has_priors = any(d.prior is not None for d in dims)
        self.dim = sum(d.levels if d.kind in ("categorical", "conditional") else 1 for d in dims)
        self._grid_feature = [_grid_features(d) for d in dims]
        names = {d.name: j for j, d in enumerate(dims)}
        rows = [
            (
                [(names[t["name"]], float(t["weight"])) for t in c["terms"]],
                str(c["type"]),
                float(c["threshold"]),
            )
            for c in linear_constraints
        ]
        self.constraints: LinearConstraints | None = (
            LinearConstraints.build(rows, self.lo, self.hi, self.is_integral) if rows else None
        )
        #: :meth:`enumerate`'s answer once computed (a one-item tuple: None is an answer)
        self._enumerated: tuple[np.ndarray | None] | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.dims)

    # ------------------------------------------------------------ activity

    def active(self, codes: np.ndarray) -> np.ndarray:
        """(n, columns) booleans: which parameters are active in each row."""
        codes = np.atleast_2d(codes)
        out = np.ones(codes.shape, dtype=bool)
        if not self.conditional:
            return out
        for j, d in enumerate(self.dims):
            for column, allowed in d.conditions:
                out[:, j] &= np.isin(np.round(codes[:, column]).astype(int), list(allowed))
        return out

    def canonical(self, codes: np.ndarray) -> np.ndarray:
        """Codes with inactive parameters pinned to their lowest code."""
        codes = np.array(codes, dtype=float, copy=True, ndmin=2)
        if self.conditional:
            codes = np.where(self.active(codes), codes, self.lo)
        return codes

    # ------------------------------------------------------------ conversions

    def to_code(self, assignments: Mapping[str, Any]) -> np.ndarray | None:
        """Codes of checked assignments (None when an active parameter is missing or
        a value is not one of this space's)."""
        code = self.lo.copy()
        for j, d in enumerate(self.dims):
            if d.name not in assignments:
                continue
            value = _code_of(d, assignments[d.name])
            if value is None:
                return None
            code[j] = value
        active = self.active(code)[0]
        for j, d in enumerate(self.dims):
            if active[j] and d.name not in assignments:
                return None
        return self.canonical(code)[0]

    def to_codes(self, points: Sequence[Mapping[str, Any]]) -> tuple[np.ndarray, list[int]]:
        """:meth:`to_code` of many assignments at once: the rows of those that have a
        code, and their indices in ``points``. The same codes as one call each, with the
        activity and canonical steps done once for all rows: a random search's
        suggestion encoded each observed point on its own (a quarter of the request at
        300 observations)."""
        n = len(points)
        codes = np.tile(self.lo, (n, 1))
        given = np.zeros((n, self.n_params), dtype=bool)
        refused = np.zeros(n, dtype=bool)
        for j, d in enumerate(self.dims):
            name, plain = d.name, d.kind == "double" and not d.log
            rows: list[int] = []  # a plain double's float values: coded in one step below
            floats: list[float] = []
            for i, assignments in enumerate(points):
                if name not in assignments:
                    continue
                raw = assignments[name]
                if plain and type(raw) is float:
                    rows.append(i)
                    floats.append(raw)
                    continue
                value = _code_of(d, raw)
                if value is None:
                    refused[i] = True
                else:
                    codes[i, j] = value
                    given[i, j] = True
            if rows:
                column, ok = _double_codes(d, np.array(floats))
                codes[rows, j] = column
                given[rows, j] = ok
                refused[rows] |= ~ok
        missing = (self.active(codes) & ~given).any(axis=1)
        kept = np.flatnonzero(~refused & ~missing)
        return self.canonical(codes[kept]).reshape(len(kept), self.n_params), kept.tolist()

    def to_assignments(self, code: np.ndarray) -> dict[str, Any]:
        """The assignments of one code row: active parameters and the conditionals."""
        code = np.asarray(code, dtype=float)
        active = self.active(code)[0]
        out: dict[str, Any] = {}
        for j, d in enumerate(self.dims):
            if active[j]:
                out[d.name] = _value_of(d, float(code[j]))
        return out

    def encode(self, codes: np.ndarray) -> np.ndarray:
        """Features in the unit cube (one-hot for categoricals and conditionals)."""
        codes = np.asarray(codes, dtype=float).reshape(-1, self.n_params)
        active = self.active(codes)
        cols = []
        for j, d in enumerate(self.dims):
            c = codes[:, j]
            if d.kind in ("categorical", "conditional"):
                # rows of np.eye(levels) were a levels x levels matrix first: 800 MB for
                # 10,000 values, a MemoryError on every suggestion for 100,000
                block = np.zeros((len(c), d.levels))
                block[np.arange(len(c)), np.round(c).astype(int)] = _ONE_HOT
                block[~active[:, j]] = 0.0
                cols.append(block)
                continue
            if d.kind == "grid":
                f = self._grid_feature[j][np.round(c).astype(int)]
            else:
                f = (c - d.lo) / (d.hi - d.lo) if d.hi > d.lo else np.zeros(len(c))
            cols.append(np.where(active[:, j], f, INACTIVE_FEATURE)[:, None])
        return np.hstack(cols)

    # ------------------------------------------------------------ sampling

    def size(self) -> int | None:
        """Number of points of the box when every column is discrete, else None: before
        linear constraints and conditionals (an upper bound; :meth:`enumerate` counts the
        feasible points, also when the box is too large to walk but the constraints leave
        few)."""
        if self.is_double.any():
            return None
        return int(math.prod(d.levels for d in self.dims))

    def _from_unit(self, u: np.ndarray, use_priors: bool) -> np.ndarray:
        codes = self.lo + u * (self.hi - self.lo)
        discrete = self.is_integral
        stepped = np.floor(self.lo + u * (self.hi - self.lo + 1))
        codes[:, discrete] = np.minimum(stepped[:, discrete], self.hi[discrete])
        if use_priors:
            for j, d in enumerate(self.dims):
                if d.prior is not None:
                    codes[:, j] = d.prior.quantile(u[:, j])
        return codes

    def sample(self, n: int, rng: np.random.Generator, use_priors: bool = False) -> np.ndarray:
        """``n`` feasible points, uniform (log-uniform for log parameters), or drawn from
        the priors; fewer only when the constraints leave no room."""
        if n <= 0:
            return np.zeros((0, self.n_params))
        codes = self.canonical(self._from_unit(rng.random((n, self.n_params)), use_priors))
        return self._feasible(codes, rng)

    def _feasible(self, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if self.constraints is None or len(codes) == 0:
            return codes
        return self.constraints.fill(codes, rng)

    def enumerate(self) -> np.ndarray | None:
        """Every distinct feasible point when the space is discrete and small, else None.

        Small means at most ``ENUMERATION_LIMIT`` feasible points: a box too large to
        walk whose linear constraints leave few points (ints ``a+b+c+d <= 4`` over
        0..20) is enumerated through its constrained columns' lattice points, so that a
        random or grid search finds the last untested ones and the engine's pool is the
        whole space, as for a small box. Memoised: the definition does not change."""
        if self._enumerated is None:
            self._enumerated = (self._feasible_points(),)
        return self._enumerated[0]

    def _feasible_points(self) -> np.ndarray | None:
        size = self.size()
        if size is None:
            return None
        if size <= ENUMERATION_LIMIT:
            codes = _mesh([np.arange(d.lo, d.hi + 1) for d in self.dims])
        else:
            if self.constraints is None:
                return None
            cols = self.constraints.columns
            free = [j for j in range(self.n_params) if j not in set(cols.tolist())]
            rest = math.prod(self.dims[j].levels for j in free)
            if rest > ENUMERATION_LIMIT:
                return None
            lattice = self.constraints.lattice_points(ENUMERATION_LIMIT // rest)
            if lattice is None:
                return None
            others = _mesh([np.arange(self.dims[j].lo, self.dims[j].hi + 1) for j in free])
            codes = np.zeros((len(lattice) * len(others), self.n_params))
            codes[:, cols] = np.repeat(lattice, len(others), axis=0)
            codes[:, free] = np.tile(others, (len(lattice), 1))
        codes = np.unique(self.canonical(codes), axis=0)
        if self.constraints is not None:
            codes = codes[self.constraints.satisfied(codes)]
        return codes

    def initial_design(
        self,
        n: int,
        rng: np.random.Generator,
        existing: np.ndarray | None = None,
    ) -> np.ndarray:
        """``n`` points spread out (greedy maximin) in the priors' measure, away from
        ``existing`` codes."""
        pool_size = max(30 * n, 300)
        u = rng.random((pool_size, self.n_params))
        codes = self.canonical(self._from_unit(u, True))
        if self.constraints is not None:
            ok = self.constraints.satisfied(codes)
            codes, u = codes[ok], u[ok]
            if len(codes) < n:
                extra = self.sample(pool_size, rng, use_priors=True)
                codes = np.vstack([codes, extra])
                u = np.vstack([u, self._unit_of(extra)])
        if len(codes) == 0:
            return codes
        feats = self._design_features(codes, u)
        old = None
        if existing is not None and len(existing):
            old = self._design_features(existing, self._unit_of(existing))
        return codes[greedy_maximin(feats, n, rng, old)]

    def _unit_of(self, codes: np.ndarray) -> np.ndarray:
        """Where codes sit in each column's sampling measure (prior CDF or uniform)."""
        codes = np.atleast_2d(codes)
        span = np.where(self.hi > self.lo, self.hi - self.lo, 1.0)
        u = (codes - self.lo) / span
        for j, d in enumerate(self.dims):
            if d.prior is not None:
                u[:, j] = d.prior.cdf(codes[:, j])
        return u

    def _design_features(self, codes: np.ndarray, u: np.ndarray) -> np.ndarray:
        feats = self.encode(codes)
        if not self.has_priors:
            return feats
        col = 0
        out = feats.copy()
        for j, d in enumerate(self.dims):
            width = d.levels if d.kind in ("categorical", "conditional") else 1
            if d.prior is not None:
                out[:, col] = u[:, j]
            col += width
        return out

    def prior_weight(self, codes: np.ndarray) -> np.ndarray:
        """The product of the priors' relative densities at each row (1 without priors)."""
        codes = np.atleast_2d(codes)
        weight = np.ones(len(codes))
        for j, d in enumerate(self.dims):
            if d.prior is not None:
                weight *= d.prior.relative_density(codes[:, j])
        return weight

    # ------------------------------------------------------------ moves

    def mutate(self, codes: np.ndarray, rng: np.random.Generator, scale: float) -> np.ndarray:
        """Gaussian steps on numbers (rounded for ints and grid indices), another level
        for categoricals; newly activated parameters get random values."""
        parents = np.asarray(codes, dtype=float)
        out = parents.copy()
        n, p = out.shape
        if n == 0:
            return out
        change = rng.random((n, p)) < min(1.0, (1.5 * scale) / p)
        none = ~change.any(axis=1)
        change[none, rng.integers(0, p, size=int(none.sum()))] = True
        span = self.hi - self.lo
        # Near the float limit (bounds -8e307 to 8e307) a step past a bound can overflow
        # to infinity: clipped, that is the bound it passed, as any step past it is.
        with np.errstate(over="ignore"):
            step = rng.normal(0.0, 0.08 * scale, size=(n, p)) * span
            num = np.clip(out + step, self.lo, self.hi)
        ints = np.round(num)
        same = ints == out
        bump = np.where(rng.random((n, p)) < 0.5, -1.0, 1.0)
        ints = np.where(same, np.clip(out + bump, self.lo, self.hi), ints)
        num = np.where(self.is_integral, ints, num)
        # Only one-hot columns jump to another level; elsewhere (a double's span may be
        # 1e308, beyond int64) the count stays 2 so nothing huge is cast to an integer.
        levels = np.where(self.is_onehot, self.hi - self.lo + 1, 2.0)
        other = self.lo + (
            (out - self.lo + rng.integers(1, np.maximum(levels, 2).astype(np.int64), size=(n, p)))
            % levels
        )
        num = np.where(self.is_onehot, other, num)
        moved = np.where(change, num, out)
        return self._settle(parents, moved, rng)

    def crossover(self, a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Uniform crossover; constraints pull children back towards parent ``a``."""
        mask = rng.random(a.shape) < 0.5
        return self._settle(np.asarray(a, dtype=float), np.where(mask, a, b), rng)

    def _settle(self, parents: np.ndarray, moved: np.ndarray, rng: np.random.Generator):
        if self.conditional:
            was = self.active(parents)
            now = self.active(moved)
            fresh = now & ~was
            if fresh.any():
                random_codes = self._from_unit(rng.random(moved.shape), False)
                moved = np.where(fresh, random_codes, moved)
            moved = self.canonical(moved)
        if self.constraints is not None:
            moved = self.constraints.pull_back(parents, moved)
        return moved


# ---------------------------------------------------------------- columns


def _dim(
    param: Mapping[str, Any], cond_index: Mapping[str, int], cond_values: Mapping[str, list[str]]
) -> Dim:
    name = str(param["name"])
    conditions = tuple(
        (
            cond_index[cname],
            frozenset(cond_values[cname].index(str(v)) for v in _as_list(allowed)),
        )
        for cname, allowed in (param.get("conditions") or {}).items()
    )
    kind = param["type"]
    log = param.get("transformation") == "log"
    if kind == "categorical":
        values = tuple(str(v) for v in param["categorical_values"])
        return Dim(name, "categorical", 0.0, float(len(values) - 1), values, conditions=conditions)
    if param.get("grid"):
        grid = tuple(sorted(int(v) if kind == "int" else float(v) for v in param["grid"]))
        return Dim(name, "grid", 0.0, float(len(grid) - 1), grid, log=log, conditions=conditions)
    lo, hi = float(param["bounds"]["min"]), float(param["bounds"]["max"])
    if kind == "int":
        return Dim(name, "int", float(math.ceil(lo)), float(math.floor(hi)), conditions=conditions)
    prior = Prior.from_json(param["prior"], lo, hi) if param.get("prior") else None
    bounds = (lo, hi)
    if log:
        lo, hi = math.log10(lo), math.log10(hi)
    return Dim(name, "double", lo, hi, bounds, log=log, prior=prior, conditions=conditions)


def _mesh(axes: Sequence[np.ndarray]) -> np.ndarray:
    """Every combination of the axes' values, one row each (one empty row for none)."""
    if not axes:
        return np.zeros((1, 0))
    grids = np.meshgrid(*axes, indexing="ij")
    return np.stack([g.ravel() for g in grids], axis=1).astype(float)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _grid_features(d: Dim) -> np.ndarray:
    if d.kind != "grid":
        return np.zeros(0)
    values = np.array(d.values, dtype=float)
    if d.log:
        values = np.log10(values)
    low, span = half_range(values)  # a grid from -1e308 to 1e308: a span beyond floats
    return (values / 2.0 - low) / (span or 1.0)


def _code_of(d: Dim, value: Any) -> float | None:
    if d.kind in ("categorical", "conditional"):
        names = [str(v) for v in d.values]
        return float(names.index(str(value))) if str(value) in names else None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(x):
        return None
    if d.kind == "grid":
        for i, g in enumerate(d.values):
            if math.isclose(x, float(g), rel_tol=1e-12, abs_tol=1e-15):
                return float(i)
        return None
    if d.kind == "double" and d.log:
        if x <= 0:
            return None
        x = math.log10(x)
    if d.kind == "int" and x != round(x):
        return None
    tolerance = 1e-9 * max(1.0, abs(d.hi - d.lo))
    if not (d.lo - tolerance <= x <= d.hi + tolerance):
        return None
    return min(max(x, d.lo), d.hi)


def _double_codes(d: Dim, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_code_of` of a plain (not log) double's float values at once: the codes
    and whether each has one."""
    tolerance = 1e-9 * max(1.0, abs(d.hi - d.lo))
    ok = np.isfinite(x) & (d.lo - tolerance <= x) & (x <= d.hi + tolerance)
    return np.where(ok, np.minimum(np.maximum(x, d.lo), d.hi), d.lo), ok


def _value_of(d: Dim, code: float) -> Any:
    if d.kind in ("categorical", "conditional"):
        return d.values[round(code)]
    if d.kind == "grid":
        return d.values[round(code)]
    if d.kind == "int":
        return round(code)
    value = float(10.0**code) if d.log else float(code)
    return min(max(value, float(d.values[0])), float(d.values[1]))

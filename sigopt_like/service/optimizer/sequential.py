"""SigOpt sequential suggestions over double, int and categorical parameters."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from .engine import Settings, fill_maximin, propose
from .history import gather
from .threads import single_threaded
from .views import ENUMERATION_LIMIT, greedy_maximin

SUGGEST_SETTINGS = Settings(pool_size=1500, gp_max_points=120)
"""Suggestions are served while the caller waits: smaller pool, trees sooner."""


@attrs.frozen
class DomainParameter:
    """One SigOpt parameter: ``double`` / ``int`` with bounds, or ``categorical``."""

    name: str
    type: str
    min: float = 0.0
    max: float = 0.0
    values: tuple[str, ...] = ()


@attrs.frozen
class Domain:
    """The parameters of a SigOpt experiment, in order."""

    parameters: tuple[DomainParameter, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)


def from_sigopt_parameters(parameters: Sequence[Mapping[str, Any]]) -> Domain:
    """Build a Domain from SigOpt JSON parameters.

    ``{"name", "type": "double"|"int"|"categorical", "bounds": {"min", "max"},
    "categorical_values": [{"name": ...} | str]}``. Raises ValueError on a bad one.
    """
    out = []
    for raw in parameters:
        name = str(raw.get("name", ""))
        kind = raw.get("type")
        if not name:
            raise ValueError("parameter without a name")
        if kind in ("double", "int"):
            bounds = raw.get("bounds") or {}
            try:
                lo, hi = float(bounds["min"]), float(bounds["max"])
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"parameter {name!r} needs numeric bounds min and max") from exc
            if kind == "int":
                lo, hi = float(math.ceil(lo)), float(math.floor(hi))
            if not lo <= hi:
                raise ValueError(f"parameter {name!r}: bounds.min must not exceed bounds.max")
            out.append(DomainParameter(name=name, type=kind, min=lo, max=hi))
        elif kind == "categorical":
            values = tuple(
                str(v["name"]) if isinstance(v, Mapping) else str(v)
                for v in raw.get("categorical_values") or ()
            )
            if len(values) < 1 or len(set(values)) != len(values):
                raise ValueError(f"parameter {name!r} needs distinct categorical_values")
            out.append(DomainParameter(name=name, type=kind, values=values))
        else:
            raise ValueError(f"parameter {name!r}: unknown type {kind!r}")
    if not out:
        raise ValueError("an experiment needs at least one parameter")
    return Domain(parameters=tuple(out))


class DomainView:
    """Engine view of a Domain: codes are values (doubles, ints) and level indices."""

    def __init__(self, domain: Domain) -> None:
        self.params = domain.parameters
        self.n_params = len(self.params)
        self.kind = [p.type for p in self.params]
        self.lo = np.array([p.min if p.type != "categorical" else 0 for p in self.params], float)
        self.hi = np.array(
            [p.max if p.type != "categorical" else len(p.values) - 1 for p in self.params], float
        )
        self.is_cat = np.array([k == "categorical" for k in self.kind])
        self.is_int = np.array([k == "int" for k in self.kind])
        self.is_double = np.array([k == "double" for k in self.kind])
        span = self.hi - self.lo
        self._span = np.where(span > 0, span, 1.0)
        self.dim = sum(len(p.values) if p.type == "categorical" else 1 for p in self.params)

    def size(self) -> int | None:
        if self.is_double.any():
            return None
        return int(math.prod(int(h - lo) + 1 for lo, h in zip(self.lo, self.hi, strict=True)))

    def to_code(self, point: Sequence[Any]) -> np.ndarray | None:
        if len(point) != self.n_params:
            return None
        code = np.empty(self.n_params)
        for j, (param, v) in enumerate(zip(self.params, point, strict=True)):
            if param.type == "categorical":
                if str(v) not in param.values:
                    return None
                code[j] = param.values.index(str(v))
                continue
            try:
                x = float(v)
            except (TypeError, ValueError):
                return None
            if not (param.min <= x <= param.max) or not math.isfinite(x):
                return None
            if param.type == "int" and x != round(x):
                return None
            code[j] = x
        return code

    def from_codes(self, codes: np.ndarray) -> list[tuple]:
        out = []
        for row in np.asarray(codes):
            point: list[Any] = []
            for param, c in zip(self.params, row, strict=True):
                if param.type == "categorical":
                    point.append(param.values[int(c)])
                elif param.type == "int":
                    point.append(round(c))
                else:
                    point.append(float(c))
            out.append(tuple(point))
        return out

    def encode(self, codes: np.ndarray) -> np.ndarray:
        codes = np.asarray(codes, dtype=float).reshape(-1, self.n_params)
        cols = []
        for j, param in enumerate(self.params):
            if param.type == "categorical":
                cols.append(np.eye(len(param.values))[codes[:, j].astype(int)] / math.sqrt(2))
            else:
                cols.append(((codes[:, j] - self.lo[j]) / self._span[j])[:, None])
        return np.hstack(cols)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        u = rng.random((n, self.n_params))
        vals = self.lo + u * (self.hi - self.lo)
        discrete = self.is_cat | self.is_int
        rounded = np.floor(self.lo + u * (self.hi - self.lo + 1))
        vals[:, discrete] = np.minimum(rounded[:, discrete], self.hi[discrete])
        return vals

    def enumerate(self) -> np.ndarray | None:
        size = self.size()
        if size is None or size > ENUMERATION_LIMIT:
            return None
        axes = [np.arange(lo, hi + 1) for lo, hi in zip(self.lo, self.hi, strict=True)]
        grid = np.meshgrid(*axes, indexing="ij")
        return np.stack([g.ravel() for g in grid], axis=1).astype(float)

    def mutate(self, codes: np.ndarray, rng: np.random.Generator, scale: float) -> np.ndarray:
        """Gaussian steps on numbers (rounded for ints), another level for categoricals."""
        out = np.array(codes, dtype=float, copy=True)
        n, p = out.shape
        change = rng.random((n, p)) < min(1.0, (1.5 * scale) / p)
        none = ~change.any(axis=1)
        change[none, rng.integers(0, p, size=int(none.sum()))] = True
        step = rng.normal(0.0, 0.08 * scale, size=(n, p)) * (self.hi - self.lo)
        num = np.clip(out + step, self.lo, self.hi)
        ints = np.round(num)
        same = ints == out
        bump = np.where(rng.random((n, p)) < 0.5, -1.0, 1.0)
        ints = np.where(same, np.clip(out + bump, self.lo, self.hi), ints)
        num = np.where(self.is_int, ints, num)
        levels = self.hi - self.lo + 1
        other = (out + rng.integers(1, np.maximum(levels, 2).astype(int), size=(n, p))) % levels
        num = np.where(self.is_cat, other, num)
        return np.where(change, num, out)

    def crossover(self, a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        mask = rng.random(a.shape) < 0.5
        return np.where(mask, a, b)

    def initial_design(self, n: int, rng: np.random.Generator) -> np.ndarray:
        pool = self.sample(max(20 * n, 200), rng)
        return pool[greedy_maximin(self.encode(pool), n, rng)]


def _point(domain: Domain, assignments: Mapping[str, Any]) -> tuple:
    return tuple(assignments.get(p.name) for p in domain.parameters)


@single_threaded
def suggest(
    domain: Domain,
    observations: Sequence[tuple[Mapping[str, Any], float | None]],
    *,
    pending: Sequence[Mapping[str, Any]] = (),
    seed: int,
) -> dict[str, Any]:
    """One assignments dict, different from every pending one, within bounds.

    ``observations`` are ``(assignments, value)`` with larger values better and
    ``None`` for a failed run. Open suggestions in ``pending`` are treated as
    fantasies at the model's mean (kriging believer), so concurrent workers get
    different, still promising, points.
    """
    view = DomainView(domain)
    points = [(_point(domain, a), v) for a, v in observations]
    pending_points = [_point(domain, a) for a in pending]
    hist = gather(view, points, exclude=pending_points)
    rng = np.random.default_rng(seed)
    pending_codes = [c for c in (view.to_code(p) for p in pending_points) if c is not None]
    pending_arr = np.array(pending_codes).reshape(len(pending_codes), view.n_params)
    codes = propose(view, hist, 1, rng, SUGGEST_SETTINGS, pending_arr)
    if len(codes) == 0:  # every discrete point tested: repeat the best or a random one
        codes = fill_maximin(view, hist, codes, 1, rng, None)
    if len(codes) == 0:
        codes = view.sample(1, rng)
    return dict(zip(domain.names, view.from_codes(codes[:1])[0], strict=True))

"""What a SigOpt experiment asks the engine to do with its metrics.

From the metric definitions and the observed values this builds the targets of
one suggestion: an objective to maximise (one optimized metric, oriented; or,
with two, a random Chebyshev scalarisation of both, as in ParEGO, so that
successive suggestions spread along the Pareto front), and the constraints
that must hold (constraint metrics, and thresholds of optimized metrics), each
as a value that must be >= 0. An experiment whose metrics are all constraints
(SigOpt's "all-constraint" search) has no objective: it looks for many
different feasible points. A multisolution experiment (``num_solutions`` k)
gives each suggestion to one of its k solutions, drawn at random: the best
value, or the best value away from the better solutions
(``optimizer.multisolution``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from .sentinels import rein_in


@attrs.frozen
class MetricSpec:
    """One metric of an experiment."""

    name: str | None
    objective: str = "maximize"
    strategy: str = "optimize"
    threshold: float | None = None

    @property
    def sign(self) -> float:
        return 1.0 if self.objective == "maximize" else -1.0

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> MetricSpec:
        return cls(
            name=raw.get("name"),
            objective=raw.get("objective") or "maximize",
            strategy=raw.get("strategy") or "optimize",
            threshold=raw.get("threshold"),
        )


@attrs.frozen
class Targets:
    """Per observation (rows of ``values``): ``objective`` (None in a pure search),
    ``constraints`` (columns that must be >= 0), and whether to seek diversity."""

    objective: np.ndarray | None
    constraints: np.ndarray
    diverse: bool
    #: known noise variances (value_stddev squared) of the objective and of each
    #: constraint column; None: none reported (a scalarised objective's is carried
    #: through the scalarisation, ``_chebyshev``)
    objective_noise: np.ndarray | None = None
    constraint_noise: np.ndarray | None = None
    #: which solution of a multisolution experiment to improve: 0 the best, j > 0 the
    #: best at least the distinct radius from the j better ones (kept away from them)
    solution: int = 0


#: a reported value_stddev beyond this counts as this (its square must be a finite float)
MAX_STDDEV = 1e150


def variances_matrix(
    metrics: Sequence[MetricSpec], stddevs: Sequence[Mapping[str | None, float | None] | None]
) -> np.ndarray:
    """Known noise variances: one row per observation, one column per metric, 0 where
    no ``value_stddev`` was reported."""
    out = np.zeros((len(stddevs), len(metrics)))
    for i, row in enumerate(stddevs):
        for j, m in enumerate(metrics):
            sd = (row or {}).get(m.name)
            if sd is not None and np.isfinite(sd) and sd > 0:
                # capped so that its square is finite: 1e308 squared overflowed, and
                # every later suggestion failed over to the fallback
                out[i, j] = min(float(sd), MAX_STDDEV) ** 2
    return out


def values_matrix(
    metrics: Sequence[MetricSpec], outcomes: Sequence[Mapping[str | None, float] | None]
) -> tuple[np.ndarray, np.ndarray]:
    """``(values, failed)``: one row per outcome, one column per metric (NaN when
    missing); ``failed`` marks outcomes that are None."""
    values = np.full((len(outcomes), len(metrics)), np.nan)
    failed = np.zeros(len(outcomes), dtype=bool)
    for i, outcome in enumerate(outcomes):
        if outcome is None:
            failed[i] = True
            continue
        for j, m in enumerate(metrics):
            v = outcome.get(m.name)
            if v is not None and np.isfinite(v):
                values[i, j] = float(v)
    return values, failed


def _distance(values: np.ndarray, threshold: float) -> np.ndarray:
    """``values - threshold``, kept finite: a threshold of 1e308 and a value of -1e308
    are 2e308 apart, beyond the largest float (it became NaN in the model)."""
    with np.errstate(over="ignore"):
        gap = values - threshold
    return np.clip(gap, -np.finfo(float).max, np.finfo(float).max)


def feasible_rows(metrics: Sequence[MetricSpec], values: np.ndarray) -> np.ndarray:
    """Rows whose every thresholded metric is on the right side of its threshold."""
    ok = np.ones(len(values), dtype=bool)
    for j, m in enumerate(metrics):
        if m.threshold is None or m.strategy == "store":
            continue
        ok &= np.nan_to_num(m.sign * _distance(values[:, j], m.threshold), nan=-1.0) >= 0
    return ok


def targets(
    metrics: Sequence[MetricSpec],
    values: np.ndarray,
    num_solutions: int,
    rng: np.random.Generator,
    variances: np.ndarray | None = None,
) -> Targets:
    """The targets of one suggestion (rows: non-failed observations' values;
    ``variances``: their known noise variances, as ``variances_matrix``)."""
    var = np.zeros_like(values) if variances is None else variances
    optimized = [j for j, m in enumerate(metrics) if m.strategy == "optimize"]
    thresholded = [
        j
        for j, m in enumerate(metrics)
        if m.threshold is not None and m.strategy in ("constraint", "optimize")
    ]
    cons = [
        rein_in(
            metrics[j].sign * _distance(values[:, j], float(metrics[j].threshold)),  # type: ignore[arg-type]
            keep_sign=True,
        )
        for j in thresholded
    ]
    constraints = np.column_stack(cons) if cons else np.zeros((len(values), 0))
    cons_noise = var[:, thresholded] if thresholded else np.zeros((len(values), 0))
    if not optimized:
        return Targets(None, constraints, True, None, cons_noise)
    if len(optimized) == 1:
        j = optimized[0]
        objective = rein_in(metrics[j].sign * values[:, j])
        solution = 0
        if num_solutions > 1 and len(objective) >= 4:
            # half the suggestions once improved the best value and half searched for
            # points above the upper quartile far from those: once one peak was found,
            # the quartile was that peak's level, and both kinds stayed on it
            solution = int(rng.integers(num_solutions))
        return Targets(objective, constraints, False, var[:, j], cons_noise, solution)
    objective, noise = _chebyshev(metrics, values, optimized, rng, var)
    return Targets(objective, constraints, False, noise, cons_noise)


def _chebyshev(
    metrics: Sequence[MetricSpec],
    values: np.ndarray,
    optimized: Sequence[int],
    rng: np.random.Generator,
    variances: np.ndarray,
) -> tuple[np.ndarray, np.ndarray | None]:
    """ParEGO's augmented Chebyshev scalarisation with random weights (larger is better),
    and its noise variances when any ``value_stddev`` of an optimized metric was reported
    (None otherwise): each metric's variance carried through the scalarisation to first
    order (its weight and scale, on the term that is the row's minimum and on the 0.05
    sum). Before, the scalarised objective had no noise at all, so a value_stddev of a
    two-metric experiment was stored and ignored: one lucky noisy reading drew the
    suggestions as if it were exact."""
    oriented = np.column_stack([rein_in(metrics[j].sign * values[:, j]) for j in optimized])
    # scaled in halves (exact, so ordinary values scale bit for bit as before): values of
    # -1e308 and 1e308 span 2e308, and the ptp overflowed to inf, a RuntimeWarning, and
    # inf / inf made the scalarised targets NaN
    half = oriented / 2.0
    low = half.min(axis=0)
    spread = half.max(axis=0) - low
    unit = (half - low) / np.where(spread > 0, spread, 1.0)
    weights = rng.dirichlet(np.ones(len(optimized)))
    weighted = weights * unit
    scalarised = weighted.min(axis=1) + 0.05 * weighted.sum(axis=1)
    reported = variances[:, list(optimized)]
    if not np.any(reported > 0):
        return scalarised, None
    # d unit / d value: a half over the spread of halves (a half where all are equal)
    slope = weights * 0.5 / np.where(spread > 0, spread, 1.0)
    on_min = np.zeros_like(weighted)
    on_min[np.arange(len(weighted)), np.argmin(np.nan_to_num(weighted, nan=np.inf), axis=1)] = 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        noise = (((on_min + 0.05) * slope) ** 2 * reported).sum(axis=1)
    # capped as a reported stddev is (MAX_STDDEV): the model then weighs the row as nothing
    return scalarised, np.clip(np.nan_to_num(noise, nan=0.0), 0.0, MAX_STDDEV**2)

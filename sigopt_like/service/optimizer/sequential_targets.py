"""What a SigOpt experiment asks the engine to do with its metrics.

From the metric definitions and the observed values this builds the targets of
one suggestion: an objective to maximise (one optimized metric, oriented; or,
with two, a random Chebyshev scalarisation of both, as in ParEGO, so that
successive suggestions spread along the Pareto front), and the constraints
that must hold (constraint metrics, and thresholds of optimized metrics), each
as a value that must be >= 0. An experiment whose metrics are all constraints
(SigOpt's "all-constraint" search) has no objective: it looks for many
different feasible points. A multisolution experiment alternates between
improving the best value and searching, with the upper quartile as a
threshold, for good points far from the ones already found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

SEARCH_QUANTILE = 0.75
"""Multisolution search: points above this quantile of the objective count as good."""
SENTINEL_GAP = 2.0
"""Values lower than all the others by more than this many times the others' range are
sentinels to the models (see ``rein_in``)."""
FENCE_MIN_VALUES = 5
"""The others must be at least this many, and more than the sentinels."""


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
    #: constraint column; None: not known (a scalarised objective's is not)
    objective_noise: np.ndarray | None = None
    constraint_noise: np.ndarray | None = None


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


@attrs.frozen
class _Split:
    """The ``sentinels`` lowest values sit below the rest, whose range is ``spread``."""

    sentinels: int
    rest_low: float
    spread: float


def _sentinel_split(ordered: np.ndarray) -> _Split | None:
    """The bottom of ``ordered`` (ascending, finite) that sits apart: walking up from
    the lowest value, each distinct value farther below the next than ``SENTINEL_GAP``
    times the range from the next to the top. The walk stops at the first that is not
    (a continuum of bad values is not a sentinel), and before the sentinels would be
    half of the values or leave fewer than ``FENCE_MIN_VALUES``."""
    n = len(ordered)
    levels = np.unique(ordered)
    found = None
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(len(levels) - 1):
            low, rest_low = levels[i], levels[i + 1]
            below = int(np.searchsorted(ordered, rest_low))
            spread = ordered[-1] - rest_low
            if 2 * below >= n or n - below < FENCE_MIN_VALUES:
                break
            if not (spread > 0 and np.isfinite(spread) and rest_low - low > SENTINEL_GAP * spread):
                break
            found = _Split(below, float(rest_low), float(spread))
    return found


def rein_in(column: np.ndarray, *, keep_sign: bool = False) -> np.ndarray:
    """``column`` (larger is better) with its sentinel values raised to a fence, for the
    models only (the stored values, the best and the incumbent are untouched).

    Users report failures as sentinels (``-1e9``, a loss of ``1e308``) as often as with
    ``failed``. One such value made every other observation look the same to the
    Gaussian process (its standardised range was taken by the sentinel), and the
    suggestions stopped converging. A sentinel here is a value lower than all the
    others by more than ``SENTINEL_GAP`` times their range (their range, not their
    spread: a search that converges crowds its values, and a spread-based fence then
    moved its own early, honestly bad values); it is modelled as one range below the
    others, still the worst. An honest value that far below the rest (a heavy tail in
    the first few observations) is reined in the same way, which only keeps it from
    taking the model's whole range. The good side is never moved. ``keep_sign``
    (constraint columns, met when ``>= 0``) keeps a fenced value below zero, so it
    stays unmet. NaN stays NaN.
    """
    finite = np.isfinite(column)
    ordered = np.sort(column[finite])
    split = _sentinel_split(ordered)
    if split is None:
        return column
    cut = float(ordered[split.sentinels - 1])
    fence = split.rest_low - split.spread
    if keep_sign and cut < 0 <= fence:
        fence = -split.spread
    return np.where(finite & (column <= cut), fence, column)


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
        if num_solutions > 1 and len(objective) >= 4 and rng.random() < 0.5:
            good = objective - float(np.quantile(objective, SEARCH_QUANTILE))
            return Targets(
                None,
                np.column_stack([constraints, good]),
                True,
                None,
                np.column_stack([cons_noise, var[:, j]]),
            )
        return Targets(objective, constraints, False, var[:, j], cons_noise)
    return Targets(
        _chebyshev(metrics, values, optimized, rng), constraints, False, None, cons_noise
    )


def _chebyshev(
    metrics: Sequence[MetricSpec],
    values: np.ndarray,
    optimized: Sequence[int],
    rng: np.random.Generator,
) -> np.ndarray:
    """ParEGO's augmented Chebyshev scalarisation with random weights (larger is better)."""
    oriented = np.column_stack([rein_in(metrics[j].sign * values[:, j]) for j in optimized])
    low = oriented.min(axis=0)
    span = np.where(np.ptp(oriented, axis=0) > 0, np.ptp(oriented, axis=0), 1.0)
    unit = (oriented - low) / span
    weights = rng.dirichlet(np.ones(len(optimized)))
    weighted = weights * unit
    return weighted.min(axis=1) + 0.05 * weighted.sum(axis=1)

"""The methods compared, each behind one small interface: ask a generation, tell its readings.

* ``engine``: sigopt_like through its public API, a real embedded
  ``sigopt_like.Connection`` campaign (space.put, generate, experiments.put,
  best.fetch), so the benchmark measures what users get;
* ``random``: uniform random untested points (exactly uniform over a mixture's
  compositions);
* ``tpe``: Optuna's TPESampler (multivariate, constant liar), batch by ask/tell;
* ``gp``: Optuna's GPSampler (batch-aware through its running trials);
* ``baybe``: BayBE's default recommender, batch = population: on a factorial
  space over a discrete search space built from the feasible points; on a
  mixture over continuous components with BayBE's sum constraint (a discrete
  table of m7's 219,430 compositions is out of reach), the recommendations
  rounded to whole units.

Peers are imported lazily: they are benchmark-only dependencies (``pip install
-e .[bench]``), never imported by the library. Optuna's numerical parameters are
ordered level indices and categoricals are categorical; a mixture's first k-1
components are suggested and the last takes the rest, repaired into bounds (the
usual way to put a sum constraint to Optuna).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .spaces import Grid

Point = tuple[Any, ...]


class Method(Protocol):
    """One campaign of one method."""

    def ask(self) -> list[Point]:
        """The rows of the next generation (each distinct point repeated per replicate)."""
        ...

    def tell(self, rows: Sequence[Point], readings: Sequence[float]) -> None:
        """The measured response of each row of the last ``ask``."""
        ...

    def recommend(self) -> Point:
        """The experiment the method would recommend now."""
        ...


class ObservedBest:
    """Recommendation by best observed replicate mean (what a peer's user would pick)."""

    def __init__(self) -> None:
        self.readings: dict[Point, list[float]] = {}

    def add(self, rows: Sequence[Point], readings: Sequence[float]) -> None:
        for p, y in zip(rows, readings, strict=True):
            self.readings.setdefault(p, []).append(float(y))

    def best(self) -> Point:
        return max(self.readings, key=lambda p: float(np.mean(self.readings[p])))


# --------------------------------------------------------------------------- engine


class EngineCampaign:
    """sigopt_like's own campaign on an embedded service (a fresh SQLite file)."""

    def __init__(self, grid: Grid, seed: int, batch: int, replicates: int) -> None:
        import sigopt_like

        self._tmp = tempfile.TemporaryDirectory(prefix="bench-")
        self.conn = sigopt_like.Connection(database=Path(self._tmp.name) / "bench.db")
        created = self.conn.sessions.create(name=f"bench-{seed}", seed=seed)
        self.session = self.conn.sessions(created.id)
        self.session.space.put(
            space=grid.space, population_size=batch, replicates=replicates, wait=True
        )
        self.space = grid.space
        self._design: Any = None

    def ask(self) -> list[Point]:
        self._design = self.session.generate(wait=True).result.experiments
        n = len(self.space.parameters)
        return [self.space.coerce_point(row[:n]) for row in self._design.rows]

    def tell(self, rows: Sequence[Point], readings: Sequence[float]) -> None:
        table = self._design.with_responses(list(readings))
        self.session.experiments.put(type="designed", table=table, wait=True)

    def recommend(self) -> Point:
        best = self.session.best.fetch()
        experiment = best.experiment
        values = [experiment[name] for name in self.space.names]
        return self.space.coerce_point(values)

    def close(self) -> None:
        self.conn.close()
        self._tmp.cleanup()


class EngineDirect:
    """The same engine called in-process (``design_batch``), for quick tuning runs only.

    Same seeds as the API campaign (``design_seed``); reported figures use ``engine``.
    """

    def __init__(self, grid: Grid, seed: int, batch: int, replicates: int) -> None:
        self.space = grid.space
        self.seed = seed
        self.batch = batch
        self.replicates = replicates
        self.gen = 0
        self.observations: list[tuple[Point, float]] = []

    def ask(self) -> list[Point]:
        from sigopt_like.service.domain.campaign import design_seed
        from sigopt_like.service.optimizer import design_batch

        self.gen += 1
        used = {p for p, _ in self.observations}
        points = design_batch(
            self.space,
            self.observations,
            batch_size=self.batch,
            seed=design_seed(self.seed, self.gen),
            exclude=sorted(used, key=repr),
        )
        return [tuple(p) for p in points for _ in range(self.replicates + 1)]

    def tell(self, rows: Sequence[Point], readings: Sequence[float]) -> None:
        self.observations += list(zip(rows, readings, strict=True))

    def recommend(self) -> Point:
        from sigopt_like.service.optimizer import recommend

        return tuple(recommend(self.space, self.observations)[0])

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------- random


RANDOM_STREAM = 1000
"""Random search's stream key: ``[seed, RANDOM_STREAM]``. Surfaces are drawn from
``[seed, family index 0-7]`` and the noise from ``[seed, 99]``; random search used
``[seed, 7]``, the `noisy` family's own stream, so its draws landed on that surface's peak
centres (random search on `f7 noisy` reached 0.900 at generation 2, 0.751 on an
independent stream)."""


class RandomSearch:
    """Uniform random untested points, after the engine's own first generation.

    Sharing generation 1 (a non-adaptive design) pairs the two exactly there, so
    that "never below random" tests what the model adds, not the luck of one
    draw; a uniform first batch scores the same in expectation.
    """

    def __init__(
        self, grid: Grid, seed: int, batch: int, replicates: int, share_start: bool = True
    ) -> None:
        self.grid = grid
        self.batch = batch
        self.replicates = replicates
        self.seed = seed
        self.share_start = share_start
        self.rng = np.random.default_rng([seed, RANDOM_STREAM])
        self.untested = np.ones(len(grid.codes), dtype=bool)
        self.observed = ObservedBest()

    def ask(self) -> list[Point]:
        if self.untested.all() and self.share_start:
            points = first_design(self.grid, self.seed, self.batch)
            self.untested[self.grid.rows_of(points)] = False
            return [p for p in points for _ in range(self.replicates + 1)]
        free = np.nonzero(self.untested)[0]
        rows = self.rng.choice(free, size=min(self.batch, len(free)), replace=False)
        self.untested[rows] = False
        return [p for p in self.grid.points(rows) for _ in range(self.replicates + 1)]

    def tell(self, rows: Sequence[Point], readings: Sequence[float]) -> None:
        self.observed.add(rows, readings)

    def recommend(self) -> Point:
        return self.observed.best()

    def close(self) -> None:
        pass


def first_design(grid: Grid, seed: int, batch: int) -> list[Point]:
    """The engine's generation 1 for a session seeded ``seed`` (as the API designs it)."""
    from sigopt_like.service.domain.campaign import design_seed
    from sigopt_like.service.optimizer import design_batch

    points = design_batch(grid.space, [], batch_size=batch, seed=design_seed(seed, 1))
    return [grid.space.coerce_point(p) for p in points]


# --------------------------------------------------------------------------- optuna


class OptunaCampaign:
    """An Optuna study driven generation by generation (ask ``batch`` trials, then tell)."""

    def __init__(self, grid: Grid, seed: int, batch: int, replicates: int, kind: str) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        if kind == "tpe":
            sampler: Any = optuna.samplers.TPESampler(
                multivariate=True, constant_liar=True, seed=seed
            )
        else:
            _one_torch_thread()
            sampler = optuna.samplers.GPSampler(seed=seed)
        self.study = optuna.create_study(direction="maximize", sampler=sampler)
        self.space = grid.space
        self.batch = batch
        self.replicates = replicates
        self.trials: list[Any] = []
        self.observed = ObservedBest()

    def _point(self, trial: Any) -> Point:
        params = list(self.space.parameters)
        if self.space.type == "mixture":
            units = [trial.suggest_int(p.name, p.min, p.max) for p in params[:-1]]
            return repair_mixture(units, params, int(self.space.total_units or 0))
        out: list[Any] = []
        for p in params:
            if p.type == "numerical":
                out.append(p.values[trial.suggest_int(p.name, 0, len(p.values) - 1)])
            else:
                out.append(trial.suggest_categorical(p.name, list(p.values)))
        return tuple(out)

    def ask(self) -> list[Point]:
        self.trials = [self.study.ask() for _ in range(self.batch)]
        points = [self._point(t) for t in self.trials]
        return [p for p in points for _ in range(self.replicates + 1)]

    def tell(self, rows: Sequence[Point], readings: Sequence[float]) -> None:
        self.observed.add(rows, readings)
        k = self.replicates + 1
        for i, trial in enumerate(self.trials):
            self.study.tell(trial, float(np.mean(readings[i * k : (i + 1) * k])))

    def recommend(self) -> Point:
        return self.observed.best()

    def close(self) -> None:
        pass


def _one_torch_thread() -> None:
    """Peers on torch get one thread, like the engine (its BLAS runs single-threaded)."""
    import torch

    torch.set_num_threads(1)


def repair_mixture(units: list[int], params: Sequence[Any], total: int) -> Point:
    """Last component takes the rest; the excess or deficit goes back to the others in bounds."""
    units = [*units, total - sum(units)]
    lo = [p.min for p in params]
    hi = [p.max for p in params]
    k = len(units) - 1
    if units[k] > hi[k]:
        extra = units[k] - hi[k]
        units[k] = hi[k]
        for i in range(k):
            add = min(extra, hi[i] - units[i])
            units[i] += add
            extra -= add
    elif units[k] < lo[k]:
        deficit = lo[k] - units[k]
        units[k] = lo[k]
        for i in range(k):
            take = min(deficit, units[i] - lo[i])
            units[i] -= take
            deficit -= take
    return tuple(int(u) for u in units)


# --------------------------------------------------------------------------- baybe


class _BaybePeer:
    """What both BayBE peers share: a batch per generation, told each point's mean reading
    (replicates averaged), recommending the best observed mean. ``_points`` turns BayBE's
    recommendation into the space's points, ``_row`` a point into BayBE's columns."""

    campaign: Any
    space: Any
    batch: int
    replicates: int
    observed: ObservedBest

    def _points(self, frame: Any) -> list[Point]:
        raise NotImplementedError

    def _row(self, point: Point) -> list[Any]:
        raise NotImplementedError

    def ask(self) -> list[Point]:
        points = self._points(self.campaign.recommend(batch_size=self.batch))
        return [p for p in points for _ in range(self.replicates + 1)]

    def tell(self, rows: Sequence[Point], readings: Sequence[float]) -> None:
        import pandas as pd

        self.observed.add(rows, readings)
        k = self.replicates + 1
        distinct = rows[::k]
        means = [float(np.mean(readings[i * k : (i + 1) * k])) for i in range(len(distinct))]
        frame = pd.DataFrame([self._row(p) for p in distinct], columns=list(self.space.names))
        frame["y"] = means
        self.campaign.add_measurements(frame)

    def recommend(self) -> Point:
        return self.observed.best()

    def close(self) -> None:
        pass


class BaybeCampaign(_BaybePeer):
    """BayBE's default recommender on a discrete space of the feasible points."""

    def __init__(self, grid: Grid, seed: int, batch: int, replicates: int) -> None:
        import pandas as pd
        from baybe import Campaign
        from baybe.parameters import CategoricalParameter, NumericalDiscreteParameter
        from baybe.searchspace import SearchSpace
        from baybe.targets import NumericalTarget
        from baybe.utils.random import set_random_seed

        _one_torch_thread()
        set_random_seed(seed)
        space = grid.space
        points = grid.points(np.arange(len(grid.codes)))
        frame = pd.DataFrame(points, columns=list(space.names))
        params: list[Any] = []
        for p in space.parameters:
            if p.type == "categorical":
                params.append(CategoricalParameter(p.name, values=tuple(p.values)))
            else:
                values = tuple(float(v) for v in p.values)
                params.append(NumericalDiscreteParameter(p.name, values=values))
        searchspace = SearchSpace.from_dataframe(frame.astype(_dtypes(space)), params)
        self.campaign = Campaign(searchspace, NumericalTarget("y"))
        self.space = space
        self.batch = batch
        self.replicates = replicates
        self.observed = ObservedBest()

    def _points(self, frame: Any) -> list[Point]:
        return [self.space.coerce_point(list(r)) for r in frame[list(self.space.names)].values]

    def _row(self, point: Point) -> list[Any]:
        return _as_numbers(self.space, point)


class BaybeMixture(_BaybePeer):
    """BayBE's default recommender on a mixture as continuous components with a sum constraint.

    The discrete space of :class:`BaybeCampaign` cannot hold the validation mixture
    (``m7``: 219,430 compositions; BayBE does not build that table in reasonable time), so
    a mixture is put to BayBE the way its docs put one: a ``NumericalContinuousParameter``
    per component (bounds = the component's unit bounds) and a ``ContinuousLinearConstraint``
    (components sum to ``total_units``), the default ``TwoPhaseMetaRecommender`` (a random
    first batch, then its Bayesian recommender), batch = population. Each recommended
    composition is rounded to whole units (largest remainders, in bounds, then
    :func:`repair_mixture`, as for Optuna) and BayBE is told the rounded points' readings:
    the benchmark scores the points actually tested. No shared first generation, as for
    the Optuna peers.
    """

    def __init__(self, grid: Grid, seed: int, batch: int, replicates: int) -> None:
        from baybe import Campaign
        from baybe.constraints import ContinuousLinearConstraint
        from baybe.parameters import NumericalContinuousParameter
        from baybe.searchspace import SearchSpace
        from baybe.targets import NumericalTarget
        from baybe.utils.random import set_random_seed

        _one_torch_thread()
        set_random_seed(seed)
        space = grid.space
        names = list(space.names)
        params = [
            NumericalContinuousParameter(p.name, bounds=(float(p.min), float(p.max)))
            for p in space.parameters
        ]
        total = int(space.total_units or 0)
        constraint = ContinuousLinearConstraint(
            parameters=names, operator="=", coefficients=[1.0] * len(names), rhs=float(total)
        )
        searchspace = SearchSpace.from_product(params, [constraint])
        self.campaign = Campaign(searchspace, NumericalTarget("y"))
        self.space = space
        self.total = total
        self.batch = batch
        self.replicates = replicates
        self.observed = ObservedBest()

    def _points(self, frame: Any) -> list[Point]:
        values = frame[list(self.space.names)].to_numpy(dtype=float)
        return [whole_units(row, self.space.parameters, self.total) for row in values]

    def _row(self, point: Point) -> list[Any]:
        return [float(v) for v in point]


def whole_units(values: Sequence[float], params: Sequence[Any], total: int) -> Point:
    """A continuous composition as whole units summing to ``total`` within each bound.

    Floors, then the units still missing go to the largest remainders; clipped to the
    bounds, :func:`repair_mixture` settles what clipping moved.
    """
    x = np.asarray(values, dtype=float)
    units = np.floor(x).astype(int)
    short = total - int(units.sum())
    if short > 0:
        order = np.argsort(-(x - units), kind="stable")
        units[order[:short]] += 1
    lo = np.array([p.min for p in params])
    hi = np.array([p.max for p in params])
    units = np.clip(units, lo, hi)
    return repair_mixture([int(u) for u in units[:-1]], params, total)


def _dtypes(space: Any) -> dict[str, Any]:
    return {p.name: (object if p.type == "categorical" else float) for p in space.parameters}


def _as_numbers(space: Any, point: Point) -> list[Any]:
    return [
        v if p.type == "categorical" else float(v)
        for p, v in zip(space.parameters, point, strict=True)
    ]


METHODS = ("engine", "direct", "random", "tpe", "gp", "baybe")


def start(method: str, grid: Grid, seed: int, batch: int, replicates: int) -> Any:
    """A new campaign of ``method``."""
    if method == "engine":
        return EngineCampaign(grid, seed, batch, replicates)
    if method == "direct":
        return EngineDirect(grid, seed, batch, replicates)
    if method == "random":
        return RandomSearch(grid, seed, batch, replicates)
    if method in ("tpe", "gp"):
        return OptunaCampaign(grid, seed, batch, replicates, method)
    if method == "baybe":
        if grid.space.type == "mixture":
            return BaybeMixture(grid, seed, batch, replicates)
        return BaybeCampaign(grid, seed, batch, replicates)
    raise ValueError(f"unknown method {method!r}")

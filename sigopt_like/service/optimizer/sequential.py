"""SigOpt sequential suggestions: one point at a time for an experiment definition.

:func:`suggest_next` takes the whole definition (parameters with grids, log
transformations, priors and conditions; conditionals; linear constraints;
metrics with their strategies and thresholds; ``num_solutions``;
``parallel_bandwidth``; the experiment type), the observations so far and the
open suggestions, and returns assignments that satisfy every constraint. The
first points are a space-filling design (in the priors' measure when there are
priors), planned so that ``parallel_bandwidth`` workers starting together get
points spread over the space; later ones come from the models
(``sequential_choice``). ``type: "random"`` draws at random and ``type: "grid"``
walks the grid of all discrete values in random order, both without repeats.

:func:`suggest_several` chooses the points of several requests that wait together: each
as :func:`suggest_next` would with the ones before it open, the models fitted once.

:func:`suggest` and :func:`from_sigopt_parameters` are the older, parameters-only
entry point (one metric, maximised).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from .allowance import Allowance
from .engine import untested_rows
from .sequential_targets import MetricSpec, targets, values_matrix, variances_matrix
from .sigopt_space import SearchSpace
from .threads import one_thread, single_threaded

Outcome = Mapping[str | None, float] | None
"""The values of one observation by metric name, or None when it failed."""

MIN_INITIAL = 4
MAX_INITIAL = 12
RANDOM_TRIES = 64


@attrs.frozen
class Problem:
    """A SigOpt experiment's definition, as the engine needs it (canonical JSON parts)."""

    parameters: tuple[Mapping[str, Any], ...]
    metrics: tuple[MetricSpec, ...] = (MetricSpec(None),)
    conditionals: tuple[Mapping[str, Any], ...] = ()
    linear_constraints: tuple[Mapping[str, Any], ...] = ()
    num_solutions: int = 1
    type: str = "offline"
    parallel_bandwidth: int = 1
    observation_budget: int | None = None

    @classmethod
    def from_definition(cls, definition: Mapping[str, Any]) -> Problem:
        """From a canonical experiment definition (see ``domain.sigopt_rules``)."""
        return cls(
            parameters=tuple(definition["parameters"]),
            metrics=tuple(MetricSpec.from_json(m) for m in definition["metrics"]),
            conditionals=tuple(definition.get("conditionals") or ()),
            linear_constraints=tuple(definition.get("linear_constraints") or ()),
            num_solutions=int(definition.get("num_solutions") or 1),
            type=str(definition.get("type") or "offline"),
            parallel_bandwidth=int(definition.get("parallel_bandwidth") or 1),
            observation_budget=definition.get("observation_budget"),
        )

    def space(self) -> SearchSpace:
        """The engine's view of the parameters, conditionals and constraints."""
        return SearchSpace(self.parameters, self.conditionals, self.linear_constraints)

    def initial_count(self, space: SearchSpace) -> int:
        """How many space-filling points come before the models take over."""
        own = min(MAX_INITIAL, max(MIN_INITIAL, 2 * space.n_params))
        return max(own, self.parallel_bandwidth)


@single_threaded
def suggest_next(
    problem: Problem,
    observations: Sequence[tuple[Mapping[str, Any], Outcome]],
    *,
    pending: Sequence[Mapping[str, Any]] = (),
    seed: int,
    stddevs: Sequence[Mapping[str | None, float | None] | None] = (),
    allowance: Allowance | None = None,
) -> dict[str, Any] | None:
    """The next assignments, or None when every point of a discrete space is taken.

    ``observations`` are ``(assignments, values by metric name | None if failed)``;
    ``pending`` are the assignments of open suggestions, which the result differs from;
    ``stddevs`` (empty, or one per observation) the reported ``value_stddev`` by metric
    name: the models take each as that observation's noise. ``allowance`` (None: no
    limit) says how long the optional work (the fit's random restarts) may still take.
    """
    return _Picker(problem, observations, pending, seed, stddevs, allowance).next()


def suggest_several(
    problem: Problem,
    observations: Sequence[tuple[Mapping[str, Any], Outcome]],
    *,
    count: int,
    pending: Sequence[Mapping[str, Any]] = (),
    seed: int,
    stddevs: Sequence[Mapping[str | None, float | None] | None] = (),
    allowance: Allowance | None = None,
) -> Iterator[dict[str, Any]]:
    """Up to ``count`` assignments, one at a time, each chosen as :func:`suggest_next`
    would choose it with the ones before it open (pending): different points, spread by
    the same kriging believer and ``parallel_bandwidth`` start as concurrent workers'.
    The models are fitted once for all of them while their targets stay the same. Ends
    early when every point of a discrete space is taken. The first is what
    :func:`suggest_next` answers for the same arguments."""
    with one_thread():
        picker = _Picker(problem, observations, pending, seed, stddevs, allowance)
        for _ in range(count):
            found = picker.next()
            if found is None:
                return
            yield found


class _Picker:
    """The engine's state for choosing points one after another: the observations'
    codes, the open suggestions' (each point chosen joins them) and the last models."""

    def __init__(
        self,
        problem: Problem,
        observations: Sequence[tuple[Mapping[str, Any], Outcome]],
        pending: Sequence[Mapping[str, Any]],
        seed: int,
        stddevs: Sequence[Mapping[str | None, float | None] | None],
        allowance: Allowance | None = None,
    ) -> None:
        self.problem = problem
        self.allowance = allowance
        self.space = problem.space()
        self.rng = np.random.default_rng(seed)
        codes, kept = self.space.to_codes([a for a, _ in observations])
        self.rows: list[tuple[np.ndarray, Outcome]] = [
            (code, observations[i][1]) for code, i in zip(codes, kept, strict=True)
        ]
        self.noise: list[Mapping[str | None, float | None] | None] = [
            stddevs[i] if i < len(stddevs) else None for i in kept
        ]
        self.codes = codes
        self.pending_codes = _codes(self.space, pending)
        self.models: Any = None  # sequential_choice.Models, once fitted

    def next(self) -> dict[str, Any] | None:
        """The next point (then one of the pending ones), or None when none is left."""
        problem, space, rng = self.problem, self.space, self.rng
        taken = np.vstack([self.codes, self.pending_codes])
        if problem.type == "random":
            code = _random_point(space, rng, taken)
        elif problem.type == "grid":
            full = space.enumerate()
            free = untested_rows(full, taken) if full is not None else np.zeros((0, space.n_params))
            code = free[int(rng.integers(len(free)))] if len(free) else None
        else:
            code = self._optimized_point(taken)
        if code is None:
            return None
        self.pending_codes = np.vstack([self.pending_codes, code[None, :]])
        return space.to_assignments(code)

    def _optimized_point(self, taken: np.ndarray) -> np.ndarray | None:
        problem, space, rng, codes = self.problem, self.space, self.rng, self.codes
        variances = variances_matrix(problem.metrics, self.noise)
        values, failed = values_matrix(problem.metrics, [o for _, o in self.rows])
        ok = ~failed & ~np.isnan(values).any(axis=1)
        distinct_ok = len(untested_rows(codes[ok], np.zeros((0, space.n_params))))
        if distinct_ok >= problem.initial_count(space):
            from .sequential_choice import Evidence, choose, fit_models  # loaded when needed

            evidence = Evidence(
                codes=codes[ok],
                targets=targets(
                    problem.metrics, values[ok], problem.num_solutions, rng, variances[ok]
                ),
                failed_codes=codes[failed],
                pending=self.pending_codes,
                taken=taken,
                budget_left=None
                if problem.observation_budget is None
                else problem.observation_budget - len(self.rows) - len(self.pending_codes),
            )
            if not _flat(evidence):
                if self.models is None or not self.models.fit_for(evidence.targets):
                    self.models = fit_models(space, evidence, rng, self.allowance)
                code = choose(space, evidence, rng, self.models, self.allowance)
                if code is not None:
                    return code
        design = untested_rows(space.initial_design(1, rng, taken if len(taken) else None), taken)
        if len(design):
            return design[0]
        return _random_point(space, rng, taken)


def random_assignments(
    problem: Problem, pending: Sequence[Mapping[str, Any]], seed: int
) -> dict[str, Any] | None:
    """A seeded random feasible point unlike every ``pending`` one (None if none is left)."""
    space = problem.space()
    code = _random_point(space, np.random.default_rng(seed), _codes(space, pending))
    return None if code is None else space.to_assignments(code)


def _codes(space: SearchSpace, assignments: Sequence[Mapping[str, Any]]) -> np.ndarray:
    return space.to_codes(assignments)[0]


def _random_point(
    space: SearchSpace, rng: np.random.Generator, taken: np.ndarray
) -> np.ndarray | None:
    """A random untested point, drawn in the priors' measure (``type: "random"`` and the
    fallback honour a ``prior`` as the first suggestions do); then uniformly, so that a
    prior narrow enough to draw one value again and again cannot end the search while
    the space has room."""
    for use_priors in (True, True, False) if space.has_priors else (False, False, False):
        fresh = untested_rows(space.sample(RANDOM_TRIES, rng, use_priors=use_priors), taken)
        if len(fresh):
            return fresh[0]
    full = space.enumerate()
    if full is None:
        return None
    free = untested_rows(full, taken)
    return free[int(rng.integers(len(free)))] if len(free) else None


def _flat(evidence: Any) -> bool:
    """Nothing to learn yet: no objective variation and no constraint information."""
    objective = evidence.targets.objective
    cons = evidence.targets.constraints
    if cons.shape[1] or len(evidence.failed_codes):
        return False
    if objective is None:
        return False
    peak = max(1.0, float(np.abs(objective).max()))
    return bool(np.ptp(objective / peak) <= 1e-12)  # divided first: values may be near 1e308


# ---------------------------------------------------------------- parameters only


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

    def as_json(self) -> tuple[dict[str, Any], ...]:
        """SigOpt JSON parameters."""
        out: list[dict[str, Any]] = []
        for p in self.parameters:
            if p.type == "categorical":
                out.append({"name": p.name, "type": p.type, "categorical_values": list(p.values)})
            else:
                out.append({"name": p.name, "type": p.type, "bounds": {"min": p.min, "max": p.max}})
        return tuple(out)


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


def suggest(
    domain: Domain,
    observations: Sequence[tuple[Mapping[str, Any], float | None]],
    *,
    pending: Sequence[Mapping[str, Any]] = (),
    seed: int,
) -> dict[str, Any]:
    """One assignments dict for a one-metric (maximised) experiment, unlike every
    pending one; ``observations`` are ``(assignments, value | None if failed)``."""
    problem = Problem(parameters=domain.as_json())
    history: list[tuple[Mapping[str, Any], Outcome]] = [
        (a, None if v is None else {None: float(v)}) for a, v in observations
    ]
    found = suggest_next(problem, history, pending=pending, seed=seed)
    if found is None:  # every point tested: repeat a random one
        found = suggest_next(Problem(parameters=domain.as_json(), type="random"), [], seed=seed)
    assert found is not None
    return found

"""SigOpt's API objects: experiments, their parameters and metrics, suggestions,
observations, best assignments and the calling token's information.

Names of :mod:`sigopt_like.models` too (``sigopt_like.models.Experiment`` is the class
here), imported from this module on first use, so that a campaign's calls never build
these classes (issue #12, start-up).
"""

from __future__ import annotations

from typing import Any

import attrs

from .models import Model, assignments, list_of, model, parsed


@attrs.define(kw_only=True)
class Bounds(Model):
    """The range of a double or int parameter."""

    min: float | None = None
    max: float | None = None


@attrs.define(kw_only=True)
class CategoricalValue(Model):
    """One value of a categorical parameter."""

    name: str | None = None
    enum_index: int | None = None


@attrs.define(kw_only=True)
class Prior(Model):
    """A prior belief on a double parameter: normal (mean, scale) or beta (shape_a, shape_b)."""

    name: str | None = None
    mean: float | None = None
    scale: float | None = None
    shape_a: float | None = None
    shape_b: float | None = None


@attrs.define(kw_only=True)
class Parameter(Model):
    """A parameter of a SigOpt experiment (double, int or categorical; bounds or grid)."""

    name: str | None = None
    type: str | None = None
    bounds: Any = attrs.field(default=None, metadata=parsed(model(Bounds)))
    categorical_values: Any = attrs.field(default=None, metadata=parsed(list_of(CategoricalValue)))
    grid: Any = None
    transformation: str | None = None
    prior: Any = attrs.field(default=None, metadata=parsed(model(Prior)))
    conditions: Any = None
    precision: int | None = None
    default_value: Any = None


@attrs.define(kw_only=True)
class Conditional(Model):
    """A conditional: a choice that switches parameters on and off (their ``conditions``)."""

    name: str | None = None
    values: list[str] | None = None


@attrs.define(kw_only=True)
class ConstraintTerm(Model):
    """One ``weight * parameter`` term of a linear constraint."""

    name: str | None = None
    weight: float | None = None


@attrs.define(kw_only=True)
class LinearConstraint(Model):
    """``sum(weight * value)`` ``greater_than`` or ``less_than`` a threshold."""

    type: str | None = None
    threshold: float | None = None
    terms: Any = attrs.field(default=None, metadata=parsed(list_of(ConstraintTerm)))


@attrs.define(kw_only=True)
class Metric(Model):
    """A metric of a SigOpt experiment: optimized, a constraint (with a threshold) or stored."""

    name: str | None = None
    objective: str | None = None
    strategy: str | None = None
    threshold: float | None = None


@attrs.define(kw_only=True)
class MetricValue(Model):
    """One metric's value in an observation."""

    name: str | None = None
    value: float | None = None
    value_stddev: float | None = None


@attrs.define(kw_only=True)
class Observation(Model):
    """A reported result: the assignments tried and the value(s) measured (or failed)."""

    id: str | None = None
    experiment: str | None = None
    suggestion: str | None = None
    assignments: Any = attrs.field(default=None, metadata=parsed(assignments))
    value: float | None = None
    value_stddev: float | None = None
    values: Any = attrs.field(default=None, metadata=parsed(list_of(MetricValue)))
    failed: bool | None = None
    metadata: Any = None
    created: int | None = None
    updated: int | None = None
    task: Any = None  # {object: "task", name, cost} in a multitask experiment, else None

    @property
    def observation(self) -> Observation:
        """The observation itself (SigOpt's older ``report(...).observation`` shape)."""
        return self


@attrs.define(kw_only=True)
class Progress(Model):
    """A SigOpt experiment's progress."""

    observation_count: int | None = None
    observation_budget_consumed: float | None = None
    best_observation: Any = attrs.field(default=None, metadata=parsed(model(Observation)))
    first_observation: Any = attrs.field(default=None, metadata=parsed(model(Observation)))
    last_observation: Any = attrs.field(default=None, metadata=parsed(model(Observation)))


@attrs.define(kw_only=True)
class Experiment(Model):
    """A SigOpt experiment: parameters to tune, metrics to optimise, a budget."""

    id: str | None = None
    name: str | None = None
    type: str | None = None
    parameters: list[Parameter] = attrs.field(factory=list, metadata=parsed(list_of(Parameter)))
    metrics: list[Metric] = attrs.field(factory=list, metadata=parsed(list_of(Metric)))
    conditionals: list[Conditional] = attrs.field(
        factory=list, metadata=parsed(list_of(Conditional))
    )
    linear_constraints: list[LinearConstraint] = attrs.field(
        factory=list, metadata=parsed(list_of(LinearConstraint))
    )
    num_solutions: int | None = None
    observation_budget: int | None = None
    parallel_bandwidth: int | None = None
    metadata: Any = None
    project: str | None = None
    client: str | None = None
    state: str | None = None
    created: int | None = None
    updated: int | None = None
    progress: Any = attrs.field(default=None, metadata=parsed(model(Progress)))
    user: str | None = None
    development: bool | None = None
    tasks: Any = None  # [{object: "task", name, cost}] of a multitask experiment, else []

    @property
    def experiment(self) -> Experiment:
        """The experiment itself (SigOpt's older ``create(...).experiment`` shape)."""
        return self


@attrs.define(kw_only=True)
class Suggestion(Model):
    """Assignments to try next."""

    id: str | None = None
    experiment: str | None = None
    assignments: Any = attrs.field(default=None, metadata=parsed(assignments))
    state: str | None = None
    metadata: Any = None
    created: int | None = None
    deleted: bool | None = None
    task: Any = None  # {object: "task", name, cost} in a multitask experiment, else None

    @property
    def suggestion(self) -> Suggestion:
        """The suggestion itself (SigOpt's older ``suggest().suggestion`` shape)."""
        return self


@attrs.define(kw_only=True)
class QueuedSuggestion(Model):
    """Assignments queued for one of the experiment's next suggestions."""

    id: str | None = None
    experiment: str | None = None
    assignments: Any = attrs.field(default=None, metadata=parsed(assignments))
    created: int | None = None
    task: Any = None  # {object: "task", name, cost} in a multitask experiment, else None


@attrs.define(kw_only=True)
class StoppingCriteria(Model):
    """Whether the experiment should stop (``should_stop``) and why (``reasons``)."""

    should_stop: bool | None = None
    reasons: list[str] | None = None


@attrs.define(kw_only=True)
class Importances(Model):
    """Each parameter's share in explaining the optimized metric (they sum to 1)."""

    importances: dict[str, float] | None = None


@attrs.define(kw_only=True)
class MetricImportances(Model):
    """Each parameter's share in explaining ``metric``."""

    metric: str | None = None
    importances: dict[str, float] | None = None


@attrs.define(kw_only=True)
class BestAssignments(Model):
    """The best assignments seen so far, with their value(s)."""

    id: str | None = None
    assignments: Any = attrs.field(default=None, metadata=parsed(assignments))
    value: float | None = None
    value_stddev: float | None = None
    values: Any = attrs.field(default=None, metadata=parsed(list_of(MetricValue)))
    metadata: Any = None  # the observation's own metadata
    task: str | None = None  # the task's name in a multitask experiment, else None


@attrs.define(kw_only=True)
class TokenInfo(Model):
    """What the service knows of the calling token: its client (SigOpt's ``client_id``)
    and user."""

    client: str | None = None
    user: str | None = None
    token_type: str | None = None
    id: str | None = None
    development: bool | None = None
    all_experiments: bool | None = None
    experiment: str | None = None
    expires: int | None = None
    token: str | None = attrs.field(default=None, repr=False)


@attrs.define(kw_only=True)
class Tag(Model):
    """A client's tag (SigOpt's): a name and a color (``#RRGGBB``), given to training
    runs (a run's ``tags`` are their ids)."""

    id: str | None = None
    name: str | None = None
    color: str | None = None
    client: str | None = None


@attrs.define(kw_only=True)
class ProjectNote(Model):
    """A note of a project (SigOpt's): its text, when and by whom it was written."""

    contents: str | None = None
    created: int | None = None
    user: str | None = None
    client: str | None = None
    project: str | None = None

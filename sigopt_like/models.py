"""The API's objects as attrs classes, built from JSON and turned back into it.

Every model keeps the fields it does not know in ``extra`` (a newer service does
not break an older client), and ``to_dict()`` gives back known and unknown fields.
Tables and spaces become :class:`~sigopt_like.tables.Table` and
:class:`~sigopt_like.spaces.Space`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

import attrs

from .spaces import Space
from .tables import Table, history_table

M = TypeVar("M", bound="Model")
Parser = Callable[[Any], Any]


def parsed(parse: Parser) -> dict[str, Parser]:
    """Field metadata: ``parse`` turns the field's JSON value into a Python one."""
    return {"parse": parse}


def dump(value: Any) -> Any:
    """A model, table, space or container of them as plain JSON data."""
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if isinstance(value, Mapping):
        return {key: dump(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [dump(item) for item in value]
    return value


@attrs.define(kw_only=True)
class Model:
    """Base of the API models: ``from_dict`` keeps unknown fields in ``extra``."""

    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)

    @classmethod
    def from_dict(cls: type[M], data: Mapping[str, Any]) -> M:
        """Build from a JSON object; fields this class does not know go to ``extra``."""
        if isinstance(data, cls):
            return data
        if not isinstance(data, Mapping):
            raise TypeError(f"{cls.__name__}.from_dict needs a mapping, not {type(data).__name__}")
        known: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        fields = attrs.fields_dict(cls)
        for key, value in data.items():
            spec = fields.get(key)
            if spec is None or key == "extra":
                extra[key] = value
                continue
            parse = spec.metadata.get("parse")
            known[key] = parse(value) if parse is not None and value is not None else value
        return cls(extra=extra, **known)

    def to_dict(self) -> dict[str, Any]:
        """Known fields, then unknown ones, as plain JSON data."""
        out = {
            spec.name: dump(getattr(self, spec.name))
            for spec in attrs.fields(type(self))
            if spec.name != "extra"
        }
        out.update(dump(self.extra))
        return out


def model(cls: type[M]) -> Parser:
    """Parser: a JSON object into ``cls`` (other values are kept as they are)."""
    return lambda value: cls.from_dict(value) if isinstance(value, Mapping) else value


def list_of(cls: type[M]) -> Parser:
    """Parser: a JSON list of objects into a list of ``cls``."""
    one = model(cls)
    return lambda values: [one(value) for value in values] if isinstance(values, list) else values


def table(value: Any) -> Any:
    """Parser: a JSON table into a Table (kept as it is if it is not one)."""
    if isinstance(value, Mapping) and "columns" in value:
        return Table.from_dict(value)
    return value


def space(value: Any) -> Any:
    """Parser: a JSON space into a Space (kept as a dict if this client cannot read it)."""
    if isinstance(value, Mapping):
        try:
            return Space.from_dict(value, validate=False)
        except (ValueError, TypeError, KeyError):
            return dict(value)
    return value


class Assignments(dict):
    """Parameter values by name (a dict), as SigOpt's client has them."""

    def to_dict(self) -> dict[str, Any]:
        """A plain dict copy."""
        return dict(self)


def assignments(value: Any) -> Any:
    """Parser: a JSON object into Assignments."""
    return Assignments(value) if isinstance(value, Mapping) else value


# ---------------------------------------------------------------- system


@attrs.define(kw_only=True)
class Version(Model):
    """The service's API version and the oldest client it accepts."""

    api_version: str | None = None
    server_version: str | None = None
    min_client_version: str | None = None


@attrs.define(kw_only=True)
class Health(Model):
    """The service's liveness (``{"status": "ok"}``)."""

    status: str | None = None


@attrs.define(kw_only=True, repr=False)
class Token(Model):
    """An API token; ``repr`` never shows it."""

    token: str | None = None
    user: Any = None

    def __repr__(self) -> str:
        return f"Token(token={'***' if self.token else None}, user={self.user!r})"


# ---------------------------------------------------------------- campaigns


@attrs.define(kw_only=True)
class Session(Model):
    """A design campaign: a space, its generations of experiments, its tasks."""

    id: str | None = None
    name: str | None = None
    description: str | None = None
    status: str | None = None
    gen: int | None = None
    remaining: int | None = None
    completed: bool | None = None
    population_size: int | None = None
    replicates: int | None = None
    seed: int | None = None
    owner: str | None = None
    created: int | None = None
    updated: int | None = None
    #: the largest response measured so far (None before any)
    best_response: float | None = None
    #: Daptics' session tag: a read-only identifier given at create (None without one)
    tag: str | None = None


@attrs.define(kw_only=True)
class TaskProgress(Model):
    """How far a task is: a fraction in [0, 1] and a message."""

    fraction: float | None = None
    message: str | None = None


@attrs.define(kw_only=True)
class TaskErrorItem(Model):
    """One problem of a failed task, with its row and column when it is in a table."""

    message: str | None = None
    category: str | None = None
    row: int | None = None
    column: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (
                f"row {self.row}" if self.row is not None else "",
                f"column {self.column}" if self.column is not None else "",
            )
            if part
        )
        return f"{where}: {self.message}" if where else str(self.message)


@attrs.define(kw_only=True)
class SpaceResult(Model):
    """Result of a ``space`` task: the validated space and the campaign's size."""

    space: Any = attrs.field(default=None, metadata=parsed(space))
    space_size: int | None = None
    population_size: int | None = None
    replicates: int | None = None
    gen: int | None = None
    remaining: int | None = None


@attrs.define(kw_only=True)
class UpdateResult(Model):
    """Result of an ``update`` task (experiments put); ``next_task`` when a design was chained."""

    type: str | None = None
    rows: int | None = None
    gen: int | None = None
    next_task: str | None = None


@attrs.define(kw_only=True)
class GenerateResult(Model):
    """Result of a ``generate`` task: the next design as a Table."""

    gen: int | None = None
    experiments: Any = attrs.field(default=None, metadata=parsed(table))
    remaining: int | None = None


@attrs.define(kw_only=True)
class Generation(Model):
    """One generation of a campaign's history."""

    gen: int | None = None
    validated: bool | None = None
    has_responses: bool | None = None
    design_rows: int | None = None
    table: Any = attrs.field(default=None, metadata=parsed(table))


@attrs.define(kw_only=True)
class History(Model):
    """Every generation of a campaign."""

    generations: list[Generation] = attrs.field(factory=list, metadata=parsed(list_of(Generation)))

    def to_table(self) -> Table:
        """All generations in one table, with Seq_, Gen_ and Designed_ columns."""
        return history_table(
            [
                {"gen": g.gen, "table": g.table, "design_rows": g.design_rows or 0}
                for g in self.generations
                if g.table is not None
            ]
        )

    def to_csv(self, path: Any = None) -> str:
        """The history CSV (Daptics' layout); written to ``path`` when given."""
        return self.to_table().to_csv(path)

    def to_dataframe(self) -> Any:
        """All generations as one pandas DataFrame (``Seq_``, ``Gen_``, ``Designed_``,
        the parameters, ``Response``); needs pandas (the ``pandas`` extra)."""
        return self.to_table().to_dataframe()


@attrs.define(kw_only=True)
class SimulateResult(Model):
    """Result of a ``simulate`` task: the campaign's history after the simulated generations."""

    history: Any = attrs.field(default=None, metadata=parsed(model(History)))


@attrs.define(kw_only=True)
class AnalyticsFile(Model):
    """One analytics file of a generation (download it with ``analytics.download``)."""

    name: str | None = None
    gen: int | None = None
    content_type: str | None = None
    size: int | None = None
    url: str | None = None


@attrs.define(kw_only=True)
class AnalyticsResult(Model):
    """Result of an ``analytics`` task: the files made for a generation."""

    gen: int | None = None
    files: list[AnalyticsFile] = attrs.field(factory=list, metadata=parsed(list_of(AnalyticsFile)))


@attrs.define(kw_only=True)
class AnalyticsFiles(Model):
    """The analytics files of a generation (``GET .../analytics``)."""

    gen: int | None = None
    files: list[AnalyticsFile] = attrs.field(factory=list, metadata=parsed(list_of(AnalyticsFile)))


TASK_RESULTS: dict[str, type[Model]] = {
    "space": SpaceResult,
    "update": UpdateResult,
    "generate": GenerateResult,
    "simulate": SimulateResult,
    "analytics": AnalyticsResult,
}

FINISHED_STATUSES = frozenset({"success", "failed", "canceled"})


@attrs.define(kw_only=True)
class Task(Model):
    """A long-running job of a session; ``result`` is typed by ``type``
    (a plain dict for a type this client does not know)."""

    RESULTS: ClassVar[dict[str, type[Model]]] = TASK_RESULTS

    id: str | None = None
    session: str | None = None
    type: str | None = None
    status: str | None = None
    phase: str | None = None
    progress: Any = attrs.field(default=None, metadata=parsed(model(TaskProgress)))
    errors: list[TaskErrorItem] = attrs.field(factory=list, metadata=parsed(list_of(TaskErrorItem)))
    result: Any = None
    #: runs started: a task whose worker stopped is taken over and run again
    attempts: int | None = None
    created: int | None = None
    started: int | None = None
    finished: int | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Task:  # type: ignore[override]
        """Build a task, typing its result by the task's type."""
        task = super().from_dict(data)
        result_cls = cls.RESULTS.get(task.type or "")
        if result_cls is not None and isinstance(task.result, Mapping):
            task.result = result_cls.from_dict(task.result)
        return task

    @property
    def done(self) -> bool:
        """True once the task finished (success, failed or canceled)."""
        return self.status in FINISHED_STATUSES

    @property
    def succeeded(self) -> bool:
        """True when the task finished with success."""
        return self.status == "success"


@attrs.define(kw_only=True)
class Recommendation(Model):
    """The experiment the campaign recommends, with its predicted and observed response."""

    experiment: Any = None
    predicted_response: float | None = None
    observed_mean: float | None = None


@attrs.define(kw_only=True)
class SpaceTemplate(Model):
    """A sample space shipped with the service."""

    name: str | None = None
    description: str | None = None
    space: Any = attrs.field(default=None, metadata=parsed(space))
    population_size: int | None = None
    replicates: int | None = None


# ---------------------------------------------------------------- SigOpt


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

    @property
    def suggestion(self) -> Suggestion:
        """The suggestion itself (SigOpt's older ``suggest().suggestion`` shape)."""
        return self


@attrs.define(kw_only=True)
class BestAssignments(Model):
    """The best assignments seen so far, with their value(s)."""

    id: str | None = None
    assignments: Any = attrs.field(default=None, metadata=parsed(assignments))
    value: float | None = None
    value_stddev: float | None = None
    values: Any = attrs.field(default=None, metadata=parsed(list_of(MetricValue)))


@attrs.define(kw_only=True)
class TokenInfo(Model):
    """What the service knows of the calling token: its client (SigOpt's ``client_id``)
    and user."""

    client: str | None = None
    user: str | None = None
    token_type: str | None = None

"""The API's objects as attrs classes, built from JSON and turned back into it.

Every model keeps the fields it does not know in ``extra`` (a newer service does
not break an older client), and ``to_dict()`` gives back known and unknown fields.
Tables and spaces become :class:`~sigopt_like.tables.Table` and
:class:`~sigopt_like.spaces.Space`.

SigOpt's models (``Experiment``, ``Suggestion``, ``Observation``, ...) are defined in
:mod:`sigopt_like.sigopt_models` and are names of this module too, imported on first
use (PEP 562): a campaign's calls never build their classes (issue #12, start-up).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

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
    id: str | None = None
    name: str | None = None
    created: int | None = None

    def __repr__(self) -> str:
        return (
            f"Token(id={self.id!r}, name={self.name!r}, "
            f"token={'***' if self.token else None}, user={self.user!r})"
        )


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
    completed: bool | None = None


@attrs.define(kw_only=True)
class UpdateResult(Model):
    """Result of an ``update`` task (experiments put); ``next_task`` when a design was chained,
    ``next_task_skipped`` (why) when ``generate_next`` could not chain one: the campaign
    is completed, or the space has no untested experiment left."""

    type: str | None = None
    rows: int | None = None
    gen: int | None = None
    next_task: str | None = None
    next_task_skipped: str | None = None
    remaining: int | None = None
    completed: bool | None = None


@attrs.define(kw_only=True)
class GenerateResult(Model):
    """Result of a ``generate`` task: the next design as a Table."""

    gen: int | None = None
    experiments: Any = attrs.field(default=None, metadata=parsed(table))
    remaining: int | None = None
    completed: bool | None = None


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
    gen: int | None = None

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
    generations_run: int | None = None
    gen: int | None = None
    remaining: int | None = None
    completed: bool | None = None
    stopped: str | None = None  # why the campaign ended before ``ngens`` generations


@attrs.define(kw_only=True)
class AnalyticsFile(Model):
    """One analytics file of a generation (download it with ``analytics.download``)."""

    name: str | None = None
    title: str | None = None
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
#: every status a task has, in the order it goes through them (``tasks.list(status=...)``)
TASK_STATUSES = ("new", "running", "success", "failed", "canceled")


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
    #: a cancel was asked of the running task; it stops at its next step
    cancel_requested: bool | None = None
    #: bumped on every change of the task (progress, status)
    version: int | None = None
    #: when its worker was last heard from (unix seconds), None before a worker took it
    worker_seen: int | None = None
    #: a running task whose worker is gone (its lease lapsed) says so here
    warnings: list[str] = attrs.field(factory=list)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Task:  # type: ignore[override]
        """Build a task, typing its result by the task's type."""
        task = super().from_dict(data)
        result_cls = cls.RESULTS.get(task.type or "")
        if result_cls is not None and isinstance(task.result, Mapping):
            task.result = result_cls.from_dict(task.result)
        return task

    # Daptics hands its task_updated_coroutine the task as a dict ("if 'progress' in task",
    # "task['status'] == 'running'"); a progress= callable written so reads this task so.

    def __getitem__(self, key: str) -> Any:
        """The task's JSON field ``key`` (``task["status"]``), as Daptics' task dict; a
        KeyError for a field it does not have or that has no value yet."""
        value = self.to_dict().get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        """Whether the task's JSON has ``key`` with a value (``"result" in task``)."""
        return isinstance(key, str) and self.to_dict().get(key) is not None

    def get(self, key: str, default: Any = None) -> Any:
        """``task[key]``, or ``default`` when it has no value, as a dict's ``get``."""
        value = self.to_dict().get(key)
        return default if value is None else value

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
    n_observations: int | None = None
    gen: int | None = None


@attrs.define(kw_only=True)
class SpaceTemplate(Model):
    """A sample space shipped with the service."""

    name: str | None = None
    description: str | None = None
    space: Any = attrs.field(default=None, metadata=parsed(space))
    population_size: int | None = None
    replicates: int | None = None


# ---------------------------------------------------------------- SigOpt (on first use)

#: SigOpt's models, defined in sigopt_models.py
SIGOPT_MODELS = (
    "Bounds",
    "CategoricalValue",
    "Prior",
    "Parameter",
    "Conditional",
    "ConstraintTerm",
    "LinearConstraint",
    "Metric",
    "MetricValue",
    "Observation",
    "Progress",
    "Experiment",
    "Suggestion",
    "QueuedSuggestion",
    "StoppingCriteria",
    "Importances",
    "MetricImportances",
    "BestAssignments",
    "TokenInfo",
    "Tag",
    "ProjectNote",
)

if TYPE_CHECKING:  # the same names for type checkers
    from .sigopt_models import (  # noqa: F401 (their names here, as at run time)
        BestAssignments,
        Bounds,
        CategoricalValue,
        Conditional,
        ConstraintTerm,
        Experiment,
        Importances,
        LinearConstraint,
        Metric,
        MetricImportances,
        MetricValue,
        Observation,
        Parameter,
        Prior,
        Progress,
        ProjectNote,
        QueuedSuggestion,
        StoppingCriteria,
        Suggestion,
        Tag,
        TokenInfo,
    )


def __getattr__(name: str) -> Any:
    """A SigOpt model, imported from :mod:`sigopt_like.sigopt_models` on first use."""
    if name in SIGOPT_MODELS:
        value = getattr(importlib.import_module(".sigopt_models", __package__), name)
        globals()[name] = value  # found directly from now on
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *SIGOPT_MODELS})

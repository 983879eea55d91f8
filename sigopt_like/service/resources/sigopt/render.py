"""Stored records -> SigOpt v1 JSON objects (experiment, suggestion, observation,
best_assignments, metric_evaluation)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...domain import sigopt_best, sigopt_tasks
from ...domain import sigopt_rules as rules
from ...store.sigopt import (
    ExperimentRecord,
    ObservationRecord,
    ObservationScore,
    QueuedSuggestionRecord,
    SigoptUnit,
    SuggestionRecord,
)

MAX_BEST_OBSERVATIONS = 5000
"""best_assignments and progress.best_observation look at the latest this many."""


def parameter(param: Mapping[str, Any]) -> dict[str, Any]:
    """One canonical parameter as SigOpt renders it."""
    out: dict[str, Any] = {
        "object": "parameter",
        "name": param["name"],
        "type": param["type"],
        "bounds": None,
        "categorical_values": None,
        "conditions": {k: list(v) for k, v in (param.get("conditions") or {}).items()},
        "default_value": param.get("default_value"),
        "precision": param.get("precision"),
        "prior": {"object": "prior", **param["prior"]} if param.get("prior") else None,
        "transformation": param.get("transformation"),
        "grid": list(param.get("grid") or []),
    }
    if param["type"] == "categorical":
        out["categorical_values"] = [
            {"object": "categorical_value", "name": name, "enum_index": i}
            for i, name in enumerate(param["categorical_values"], start=1)
        ]
    elif "bounds" in param:
        out["bounds"] = {"object": "bounds", **param["bounds"]}
    return out


def metric(item: Mapping[str, Any]) -> dict[str, Any]:
    """One metric as SigOpt renders it."""
    return {"object": "metric", **item}


def conditional(item: Mapping[str, Any]) -> dict[str, Any]:
    return {"object": "conditional", "name": item["name"], "values": list(item["values"])}


def linear_constraint(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "object": "linear_constraint",
        "type": item["type"],
        "threshold": item["threshold"],
        "terms": [{"object": "constraint_term", **t} for t in item["terms"]],
    }


def evaluation(value: Mapping[str, Any]) -> dict[str, Any]:
    """One metric value of an observation (``metric_evaluation``)."""
    return {
        "object": "metric_evaluation",
        "name": value["name"],
        "value": value["value"],
        "value_stddev": value["value_stddev"],
    }


def _value_fields(values: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    single = values[0] if len(values) == 1 else None
    return {
        "value": single["value"] if single else None,
        "value_stddev": single["value_stddev"] if single else None,
        "values": [evaluation(v) for v in values],
    }


Tasks = Sequence[Mapping[str, Any]]


def task(experiment_tasks: Tasks, name: str | None) -> dict[str, Any] | None:
    """Task ``name`` as SigOpt's ``task`` object (None for no task)."""
    if name is None:
        return None
    return {"object": "task", "name": name, "cost": sigopt_tasks.cost_of(experiment_tasks, name)}


def observation(row: ObservationRecord, experiment_tasks: Tasks = ()) -> dict[str, Any]:
    """An observation as SigOpt's ``observation`` object (``experiment_tasks``: its
    experiment's, to render the task's cost)."""
    return {
        "object": "observation",
        "id": str(row.id),
        "assignments": row.assignments,
        **_value_fields(row.values),
        "failed": row.failed,
        "suggestion": str(row.suggestion_id) if row.suggestion_id is not None else None,
        "experiment": str(row.experiment_id),
        "created": row.created,
        "updated": row.updated,
        "metadata": row.metadata,
        "task": task(experiment_tasks, row.task),
    }


def best_assignments(row: ObservationRecord, experiment_tasks: Tasks = ()) -> dict[str, Any]:
    """An observation as SigOpt's ``best_assignments`` object, its ``metadata`` included
    (SigOpt's builder renders an observation's data); in a multitask experiment with
    ``task``, the task's name (SigOpt's BestAssignments renders the name, where an
    observation renders the task object); without the field otherwise, as SigOpt."""
    out = {
        "object": "best_assignments",
        "id": str(row.id),
        "assignments": row.assignments,
        "metadata": row.metadata,
        **_value_fields(row.values),
    }
    if experiment_tasks:
        out["task"] = row.task
    return out


def suggestion(row: SuggestionRecord, experiment_tasks: Tasks = ()) -> dict[str, Any]:
    """A suggestion as SigOpt's ``suggestion`` object."""
    return {
        "object": "suggestion",
        "id": str(row.id),
        "assignments": row.assignments,
        "state": row.state,
        "experiment": str(row.experiment_id),
        "created": row.created,
        "metadata": row.metadata,
        "deleted": row.deleted,
        "task": task(experiment_tasks, row.task),
    }


def queued_suggestion(row: QueuedSuggestionRecord, experiment_tasks: Tasks = ()) -> dict[str, Any]:
    """A queued suggestion as SigOpt's ``queued_suggestion`` object."""
    return {
        "object": "queued_suggestion",
        "id": str(row.id),
        "assignments": row.assignments,
        "experiment": str(row.experiment_id),
        "created": row.created,
        "task": task(experiment_tasks, row.task),
    }


def best_keys(unit: SigoptUnit, experiment: ExperimentRecord) -> list[int]:
    """The ids of the experiment's best observations (see ``domain.sigopt_best``), best
    first; in a multitask experiment only those of the task of cost 1 count, as in SigOpt."""
    reads = sigopt_best.reads_assignments(experiment.definition())
    rows = unit.observations.scores(experiment.id, MAX_BEST_OBSERVATIONS, assignments=reads)
    return _best_of(experiment, rows)


def _best_of(experiment: ExperimentRecord, rows: Sequence[ObservationScore]) -> list[int]:
    """:func:`best_keys` among ``rows``, the experiment's latest observations."""
    full = sigopt_tasks.full_task(experiment.tasks)
    if full is not None:
        rows = [row for row in rows if row.task == full]
    observed = [rules.Observed(row.id, row.assignments, row.values, row.failed) for row in rows]
    return list(rules.best_keys(experiment.definition(), observed))


def best_rows(
    unit: SigoptUnit, experiment: ExperimentRecord, limit: int | None = None
) -> list[ObservationRecord]:
    """The experiment's best observations (:func:`best_keys`), best first; the first
    ``limit`` of them when given (only those are read whole)."""
    keys = best_keys(unit, experiment)[:limit]
    found = unit.observations.of_ids(keys)
    return [found[key] for key in keys]


def progress(unit: SigoptUnit, experiment: ExperimentRecord) -> dict[str, Any]:
    """SigOpt's ``progress`` of a v1 experiment."""
    count, first_id, last_id = unit.observations.span(experiment.id)
    best_id = next(iter(best_keys(unit, experiment)), None) if count else None
    # the three rendered, read whole at once
    rows = unit.observations.of_ids([k for k in (first_id, last_id, best_id) if k is not None])
    spent = float(count)
    if experiment.tasks and count:  # SigOpt: the sum of the observations' task costs
        spent = sigopt_tasks.consumed(
            experiment.tasks, unit.observations.task_counts(experiment.id)
        )
    return _progress(experiment, count, spent, _shown(rows, (first_id, last_id, best_id)))


def progresses(
    unit: SigoptUnit, experiments: Sequence[ExperimentRecord]
) -> dict[int, dict[str, Any]]:
    """:func:`progress` of many v1 experiments (a page of a list) by id, in four
    statements where each experiment took four of its own. A multitask experiment (its
    task costs) and one of more observations than the best are chosen among are left out:
    :func:`experiment` reads those alone."""
    plain = [e for e in experiments if not e.tasks]
    spans = unit.observations.spans([e.id for e in plain])
    batched = [e for e in plain if spans[e.id][0] <= MAX_BEST_OBSERVATIONS]
    reads = any(sigopt_best.reads_assignments(e.definition()) for e in batched)
    scores = unit.observations.scores_of(
        [e.id for e in batched if spans[e.id][0]], assignments=reads
    )
    best = {e.id: next(iter(_best_of(e, scores.get(e.id, []))), None) for e in batched}
    shown = {e.id: (spans[e.id][1], spans[e.id][2], best[e.id]) for e in batched}
    rows = unit.observations.of_ids(
        sorted({k for ks in shown.values() for k in ks if k is not None})
    )
    return {
        e.id: _progress(e, spans[e.id][0], float(spans[e.id][0]), _shown(rows, shown[e.id]))
        for e in batched
    }


def _shown(
    rows: Mapping[int, ObservationRecord], ids: Sequence[int | None]
) -> list[ObservationRecord | None]:
    """The rows of these ids (None for None)."""
    return [None if key is None else rows.get(key) for key in ids]


def _progress(
    experiment: ExperimentRecord,
    count: int,
    spent: float,
    ends: Sequence[ObservationRecord | None],
) -> dict[str, Any]:
    """The ``progress`` object, from the count, the budget spent and the first, last
    and best observations (None where there are none)."""
    first, last, top = ends
    return {
        "object": "progress",
        "observation_count": count,
        "observation_budget_consumed": spent,
        "first_observation": observation(first, experiment.tasks) if first else None,
        "last_observation": observation(last, experiment.tasks) if last else None,
        "best_observation": observation(top, experiment.tasks) if top else None,
    }


def definition_fields(row: ExperimentRecord) -> dict[str, Any]:
    """The fields that v1 experiments and AI experiments share."""
    return {
        "id": str(row.id),
        "name": row.name,
        "type": row.type,
        "parameters": [parameter(p) for p in row.parameters],
        "metrics": [metric(m) for m in row.metrics],
        "conditionals": [conditional(c) for c in row.conditionals],
        "linear_constraints": [linear_constraint(c) for c in row.linear_constraints],
        "num_solutions": row.num_solutions,
        "parallel_bandwidth": row.parallel_bandwidth,
        "metadata": row.metadata,
        "state": row.state,
        "created": row.created,
        "updated": row.updated,
        "client": str(row.owner_id),
        "user": str(row.owner_id),
        "project": row.project,
    }


def experiment(
    unit: SigoptUnit, row: ExperimentRecord, known: Mapping[int, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """An experiment as SigOpt's ``experiment`` object, progress included (from ``known``,
    :func:`progresses`' answer, when it has this one's)."""
    found = known.get(row.id) if known is not None else None
    return {
        "object": "experiment",
        **definition_fields(row),
        "observation_budget": row.observation_budget,
        "progress": found if found is not None else progress(unit, row),
        "development": False,
        "tasks": [{"object": "task", **t} for t in sorted(row.tasks, key=lambda t: -t["cost"])],
    }

"""Multitask SigOpt experiments: the tasks of a create body, a task named by an
observation or a suggestion, the task of the next suggestion, and how much less
the engine trusts a cheaper task's observation (pure: no HTTP, no database).

A task is ``{"name", "cost"}``; an experiment has none or at least two, one of
cost 1 (the full task: the problem itself) and cheaper approximations of it.
SigOpt's rules: costs in (0, 1], exactly one of cost 1, costs distinct, names
distinct, an observation budget, one optimized metric and no constraint metric,
one solution. The budget is spent in cost units (an observation of a task of
cost 0.25 spends a quarter of one), and only observations of the full task count
for the best assignments.
"""

from __future__ import annotations

import math
import random
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from .sigopt_checks import RuleError, is_number, json_shown, kind, known_fields, name_text

TASK_FIELDS = ("name", "cost")
FULL_COST = 1.0
WHAT = "for multitask experiments"
#: ours (SigOpt documents no limit; its examples have 2 to 4 tasks): as many as an
#: experiment's parameters or linear constraints. Every read of the experiment renders its
#: tasks, and 100,000 were taken, each a cost level that told the engine nothing new.
MAX_TASKS = 100


def tasks(raw: Any, field: str = "tasks", *, kept: Collection[str] = ()) -> list[dict[str, Any]]:
    """The canonical tasks of a create body (``[]`` when none are given); ``kept``: the
    names stored before the names' rule (``name_text``)."""
    if raw is None or raw == []:
        return []
    if not isinstance(raw, list):
        raise RuleError(f"'{field}' must be a list of task objects, not {kind(raw)}.", field, 400)
    if len(raw) > MAX_TASKS:
        raise RuleError(
            f"'{field}' has {len(raw):,} tasks; an experiment takes at most {MAX_TASKS}. Keep "
            "a few cost levels of the objective (SigOpt's examples have 2 to 4).",
            field,
        )
    out: list[dict[str, Any]] = []
    for i, item in enumerate(raw):
        where = f"{field}[{i}]"
        if not isinstance(item, Mapping):
            raise RuleError(f"'{where}' must be an object, not {kind(item)}.", where, 400)
        known_fields(item, TASK_FIELDS, where, "task")
        name = name_text(item.get("name"), f"{where}.name", kept=kept)
        cost: Any = item.get("cost")
        if not is_number(cost):
            raise RuleError(f"'{where}.cost' must be a number, not {kind(cost)}.", f"{where}.cost")
        if not math.isfinite(cost) or cost <= 0 or cost > 1:
            raise RuleError(
                f"'{where}.cost': for multitask experiments, costs must all be positive and less "
                f"than or equal to 1 (not {json_shown(cost)}).",
                f"{where}.cost",
            )
        out.append({"name": name, "cost": float(cost)})
    costs = [t["cost"] for t in out]
    names = [t["name"] for t in out]
    if FULL_COST not in costs:
        raise RuleError(
            f"'{field}': for multitask experiments, exactly one task must have cost 1 "
            "(none present).",
            field,
        )
    if len(set(costs)) != len(out):
        raise RuleError(
            f"'{field}': for multitask experiments, all task costs must be distinct.", field
        )
    if len(set(names)) != len(out):
        raise RuleError(
            f"'{field}': for multitask experiments, all task names must be distinct.", field
        )
    if len(out) < 2:
        raise RuleError(
            f"'{field}': for multitask experiments, at least 2 tasks must be present.", field
        )
    return out


#: why a search that reads no observation cannot be multitask (ours: SigOpt's documents
#: say nothing of it). Before, each was taken, and each suggestion drew a task at random:
#: a grid search suggests each point once, and a random search draws each point
#: independently of every observation, so most points had only a cheap, partial
#: evaluation that nothing read (the budget apart), and the best was chosen among the few
#: that drew the full task
_NOT_MULTITASK = {
    "grid": (
        "'tasks': a grid search cannot be multitask. It suggests each grid point once, "
        "so a point given a cheaper task would never get a full evaluation, and the best "
        "assignments count full-cost evaluations only. Leave 'tasks' out to walk the "
        "grid, or use type 'offline' (the optimizer spends cheap tasks to explore and "
        "the full one to confirm)."
    ),
    "random": (
        "'tasks': a random search cannot be multitask. It draws each point at random, "
        "reading no observation, so a cheaper task's evaluation would steer no later "
        "suggestion, a point given a cheaper task would never get a full evaluation, and "
        "the best assignments count full-cost evaluations only. Leave 'tasks' out for a "
        "random search, or use type 'offline' (the optimizer spends cheap tasks to "
        "explore and the full one to confirm)."
    ),
}


def check_multitask(definition: Mapping[str, Any], budget_field: str) -> None:
    """What SigOpt refuses beside tasks: no budget, several optimized metrics, a
    constraint metric, several solutions; and ours, a grid or random search (neither reads
    the observations, so a cheap task's evaluation would steer nothing and its point
    would never get a full one: :data:`_NOT_MULTITASK`)."""
    if not definition["tasks"]:
        return
    if definition.get("type") in _NOT_MULTITASK:
        raise RuleError(_NOT_MULTITASK[definition["type"]], "tasks")
    if definition["observation_budget"] is None:
        raise RuleError(
            f"'{budget_field}' is required for an experiment with tasks (multitask).", budget_field
        )
    strategies = [m["strategy"] for m in definition["metrics"]]
    if strategies.count("optimize") > 1:
        raise RuleError(
            "'tasks': experiments cannot have both tasks and multiple optimized metrics.", "tasks"
        )
    if "constraint" in strategies:
        raise RuleError(
            "'tasks': experiments cannot have both tasks and constraint metrics.", "tasks"
        )
    if definition["num_solutions"] > 1:
        raise RuleError("'tasks': a multisolution experiment cannot be multitask.", "tasks")


def full_task(experiment_tasks: Sequence[Mapping[str, Any]]) -> str | None:
    """The name of the task of cost 1 (None when the experiment is not multitask)."""
    return next((t["name"] for t in experiment_tasks if t["cost"] == FULL_COST), None)


def cost_of(experiment_tasks: Sequence[Mapping[str, Any]], name: str | None) -> float:
    """The cost of task ``name`` (1 for an observation without a task)."""
    return next((t["cost"] for t in experiment_tasks if t["name"] == name), FULL_COST)


def task(experiment_tasks: Sequence[Mapping[str, Any]], raw: Any, field: str = "task") -> dict:
    """The experiment's task that ``raw`` names: a name, or an object with ``name``
    (a ``cost`` beside it must be that task's)."""
    if isinstance(raw, Mapping):
        known_fields(raw, TASK_FIELDS, field, "task")
        name = raw.get("name")
        if name is None:
            raise RuleError(
                f"'{field}.name': a task name must be given for a multitask experiment.",
                f"{field}.name",
            )
    else:
        name = raw
    if not isinstance(name, str):
        raise RuleError(
            f"'{field}' must be a task name or an object with a name, not {kind(name)}.",
            field,
            400,
        )
    found = next((dict(t) for t in experiment_tasks if t["name"] == name), None)
    if found is None:
        names = ", ".join(json_shown(t["name"]) for t in experiment_tasks)
        raise RuleError(
            f"'{field}': there is no task named {json_shown(name)} (tasks: {names}).", field
        )
    if isinstance(raw, Mapping) and raw.get("cost") is not None and raw["cost"] != found["cost"]:
        raise RuleError(
            f"'{field}.cost': task {json_shown(name)} has cost {found['cost']}, not "
            f"{json_shown(raw['cost'])}.",
            f"{field}.cost",
        )
    return found


def consumed(
    experiment_tasks: Sequence[Mapping[str, Any]], counts: Mapping[str | None, int]
) -> float:
    """The observation budget spent: each observation costs its task's cost (SigOpt's
    ``observation_budget_consumed``); an observation without a task costs 1."""
    return float(sum(cost_of(experiment_tasks, name) * n for name, n in counts.items()))


#: successful observations before SigOpt's model chooses (and weighs the tasks)
MODEL_SUCCESSES = 3


def next_task(experiment_tasks: Sequence[Mapping[str, Any]], model_based: bool, seed: int) -> str:
    """The task of the next suggestion, as SigOpt's engine draws it: each task as likely
    while suggestions are random (a random search, or fewer than
    :data:`MODEL_SUCCESSES` successful observations); then a task of cost ``c`` with
    weight ``exp(-c)`` (with costs 0.1, 0.5 and 1: 0.48, 0.32 and 0.20). Neither the
    budget spent nor the open suggestions change the draw. Drawn from ``seed``, so
    the same experiment seed and history give the same tasks."""
    draw = random.Random(seed)
    ordered = sorted(experiment_tasks, key=lambda t: t["cost"])
    weights = [math.exp(-t["cost"]) if model_based else 1.0 for t in ordered]
    return str(draw.choices(ordered, weights=weights)[0]["name"])


def fit_stddevs(
    experiment_tasks: Sequence[Mapping[str, Any]],
    observed: Sequence[tuple[str | None, Mapping[str | None, float] | None]],
    reported: Sequence[Mapping[str | None, float | None] | None],
) -> list[Mapping[str | None, float | None] | None]:
    """Each observation's noise for the engine: a cheaper task's value is taken as
    noisier by ``(1 - cost)`` times the spread (standard deviation) of that metric's
    observed values, so the model follows the full task's observations more. ``observed``
    holds ``(task name, values by metric or None if failed)``; ``reported`` the
    value_stddev the observations carry, which stays where it is larger."""
    values: dict[str | None, list[float]] = {}
    for _, by_metric in observed:
        for metric, value in (by_metric or {}).items():
            values.setdefault(metric, []).append(value)
    spread = {m: _stdev(v) for m, v in values.items()}
    out: list[Mapping[str | None, float | None] | None] = []
    for (name, by_metric), given in zip(observed, reported, strict=True):
        cost = cost_of(experiment_tasks, name)
        if by_metric is None or cost == FULL_COST:
            out.append(given)
            continue
        noise: dict[str | None, float | None] = {}
        for metric in by_metric:
            added = (1.0 - cost) * spread.get(metric, 0.0)
            mine = (given or {}).get(metric)
            noise[metric] = max(added, mine) if mine is not None else (added or None)
        out.append(noise)
    return out


def _stdev(values: Sequence[float]) -> float:
    if len(values) < 2:
        return 0.0
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))

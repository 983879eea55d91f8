"""Rules of SigOpt experiments: the create and update bodies (pure: no HTTP, no database).

The parts live beside this module (``sigopt_checks``, ``sigopt_parameters``,
``sigopt_metrics``, ``sigopt_constraints``, ``sigopt_assignments``,
``sigopt_observations``, ``sigopt_best``); this one puts a whole experiment
definition together, checks what spans several parts (multisolution, grid
search, conditionals against parameters), and re-exports the names the
resources use, so that they import one module.

Every refusal is a :class:`RuleError` naming the offending field. SigOpt fields
this service does not honour (``training_monitor``; an AI experiment's ``tasks``) are
refused, and so are fields SigOpt does not know, so that a misspelt option is
never silently dropped.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from . import sigopt_tasks
from .sigopt_assignments import (
    assignments,
    check_constraints,
    redefined,
    rounded_to_precision,
    same_assignments,
    satisfies_constraints,
)
from .sigopt_best import Observed, best_keys
from .sigopt_checks import (
    NUM_SOLUTIONS,
    RuleError,
    json_shown,
    kind,
    known_fields,
    metadata,
    name_text,
    number,
    object_of,
    parallel_bandwidth,
    positive_int_or_none,
    seed,
)
from .sigopt_constraints import linear_constraints
from .sigopt_metrics import metrics, optimized, orientation, within_threshold
from .sigopt_observations import metrics_said, observation_update_body, observation_values
from .sigopt_parameters import (
    check_conditional_space,
    check_modelled_scales,
    check_optimized_categoricals,
    conditionals,
    is_discrete,
    parameters,
    value_count,
)

__all__ = [
    "Observed",
    "RuleError",
    "assignments",
    "best_keys",
    "check_constraints",
    "conditionals",
    "experiment_create",
    "experiment_update",
    "kind",
    "metadata",
    "metrics",
    "metrics_said",
    "number",
    "observation_update_body",
    "observation_values",
    "optimized",
    "orientation",
    "parameters",
    "project_id",
    "redefined",
    "rounded_to_precision",
    "same_assignments",
    "satisfies_constraints",
    "within_threshold",
]

EXPERIMENT_TYPES = ("offline", "random", "grid")
MAX_GRID_POINTS = 60_000  # the engine enumerates as many (optimizer.views.ENUMERATION_LIMIT)
UNSUPPORTED_FIELDS = {
    "training_monitor": "training monitors (checkpoint-based early stopping) are not supported "
    "by this service",
}
#: fields of an experiment that the service sets: refused in a create or an update
#: (accepted and dropped they would look honoured). Not SigOpt's deprecated
#: ``can_be_deleted``: never rendered here (the official client warns on reading it), it
#: is refused as a field this service does not know
READ_ONLY_FIELDS = (
    "id",
    "created",
    "updated",
    "progress",
    "state",
    "client",
    "user",
    "development",
)
CREATE_FIELDS = (
    "name",
    "type",
    "parameters",
    "metrics",
    "metric",
    "conditionals",
    "linear_constraints",
    "num_solutions",
    "observation_budget",
    "budget",
    "parallel_bandwidth",
    "metadata",
    "seed",
    "project",
    "tasks",
)
UPDATE_FIELDS = (
    "name",
    "metadata",
    "observation_budget",
    "budget",
    "parallel_bandwidth",
    "state",
)
#: definition fields an update may send back, unchanged
FIXED_FIELDS = (
    "type",
    "parameters",
    "metrics",
    "conditionals",
    "linear_constraints",
    "num_solutions",
    "project",
    "tasks",
)
PROJECT_ID = re.compile(r"[a-z0-9\-_.]{1,100}\Z")
#: path steps an HTTP client removes from a URL before sending it (RFC 3986, 5.2.4)
DOT_SEGMENTS = (".", "..")


#: the budget's name in each kind of experiment's body (SigOpt's: a v1 experiment
#: refuses ``budget``, an AI experiment ``observation_budget``)
BUDGET_FIELDS = {"experiment": "observation_budget", "aiexperiment": "budget"}
#: why the other budget name is refused, by the name a kind takes
_OTHER_BUDGET = {
    "observation_budget": (
        "'budget' is not a field of a SigOpt experiment (it is an AI experiment's, at "
        "/v1/aiexperiments); give the number of observations as 'observation_budget'."
    ),
    "budget": (
        "'observation_budget' is not a field of an AI experiment; give the number of "
        "runs as 'budget'."
    ),
}


def experiment_create(body: Mapping[str, Any], *, budget_field: str = "observation_budget") -> dict:
    """The canonical definition of a new experiment from a create body.

    ``budget_field`` is ``observation_budget`` for SigOpt experiments and
    ``budget`` for AI experiments (the other name is a 400, as SigOpt has it). ``seed``
    (ours, optional) makes the suggestions reproducible; ``project`` files the
    experiment in one of the caller's projects.
    """
    _check_fields(body)
    if budget_field == "budget" and body.get("tasks") not in (None, []):
        raise RuleError("'tasks': AI experiments cannot be multitask.", "tasks")
    kind_ = body.get("type")
    kind_ = "offline" if kind_ is None else kind_  # 0, false, "" were taken for offline
    if kind_ not in EXPERIMENT_TYPES:
        raise RuleError(
            f"'type' must be one of {', '.join(EXPERIMENT_TYPES)}, not {json_shown(kind_)}.", "type"
        )
    conds = conditionals(body.get("conditionals"))
    params = parameters(body.get("parameters"), conds)
    check_conditional_space(params, conds)
    definition: dict[str, Any] = {
        "name": name_text(body.get("name"), "name"),
        "type": kind_,
        "parameters": params,
        "conditionals": conds,
        "linear_constraints": linear_constraints(body.get("linear_constraints"), params),
        "metrics": metrics(body.get("metrics"), body.get("metric")),
        "num_solutions": positive_int_or_none(
            body.get("num_solutions"), "num_solutions", NUM_SOLUTIONS
        )
        or 1,
        "observation_budget": _budget(body, budget_field),
        "parallel_bandwidth": parallel_bandwidth(body.get("parallel_bandwidth")),
        "metadata": metadata(body.get("metadata")),
        "seed": seed(body.get("seed")),
        "project": project_id(body.get("project")),
        "tasks": sigopt_tasks.tasks(body.get("tasks")),
    }
    sigopt_tasks.check_multitask(definition, budget_field)
    _check_multisolution(definition)
    if kind_ == "offline":
        check_optimized_categoricals(params)
    check_modelled_scales(kind_, params)
    if kind_ == "grid":
        _check_grid_budget(definition, budget_field, _check_grid(definition, count=True))
    return definition


def _check_fields(body: Mapping[str, Any]) -> None:
    for key, why in UNSUPPORTED_FIELDS.items():
        if body.get(key) not in (None, [], {}):
            raise RuleError(f"'{key}': {why}.", key)
    for key in body:
        if key in READ_ONLY_FIELDS:
            raise RuleError(
                f"'{key}' is set by the service; leave it out of a create.", str(key), 400
            )
    known_fields(
        {k: v for k, v in body.items() if k not in UNSUPPORTED_FIELDS},
        CREATE_FIELDS,
        "",
        "experiment",
    )


def _budget(body: Mapping[str, Any], field: str) -> int | None:
    _check_budget_name(body, field)
    return positive_int_or_none(body.get(field), field)


def _check_budget_name(body: Mapping[str, Any], field: str) -> None:
    """A 400 naming the other budget name when the body gives it (even as null)."""
    other = "budget" if field == "observation_budget" else "observation_budget"
    if other in body:
        raise RuleError(_OTHER_BUDGET[field], other, 400)


def _check_budget_changeable(current: Mapping[str, Any], field: str, budget: int | None) -> None:
    """SigOpt's update keeps the budget of a grid search (the grid fixes it), of an
    experiment with several optimized metrics and of one with several solutions: a
    change is a 422 naming the budget (the same value sent back changes nothing).

    SigOpt requires that budget at create; here it is optional (the engine does not need
    it), so an experiment of those kinds made without one may set it once in an update
    (several solutions: at least ``num_solutions``); a grid search always has its size."""
    stored = current.get("observation_budget")
    if budget == stored:
        return
    if current.get("type") == "grid":  # never "set once": the grid's size is its budget
        size = "" if stored is None else f" ({stored} points)"
        raise RuleError(
            f"'{field}' of a grid search is the grid's size{size}, as SigOpt sets it: it "
            f"follows the grid's values; leave '{field}' out of the update.",
            field,
        )
    if len(optimized(current.get("metrics") or [])) > 1:
        why = "experiments with more than one optimized metric"
    elif (current.get("num_solutions") or 1) > 1:
        why = "experiments with more than one solution"
    else:
        return
    k = current.get("num_solutions") or 1
    if stored is None and budget is not None and budget < k:
        raise RuleError(f"'{field}' ({budget}) is less than 'num_solutions' ({k}).", field)
    if stored is None and budget is not None:
        return
    raise RuleError(
        f"'{field}' cannot be updated for {why} once it is set (an experiment made "
        "without one may set it once).",
        field,
    )


def project_id(value: Any, field: str = "project") -> str | None:
    """None, or a SigOpt project id: lowercase letters, digits, '-', '_' and '.'."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RuleError(f"'{field}' must be a project id string, not {kind(value)}.", field, 400)
    if not PROJECT_ID.match(value):
        raise RuleError(
            f"'{field}': {json_shown(value)} is not a project id; project ids are 1 to 100 "
            "lowercase letters, digits, '-', '_' and '.'.",
            field,
        )
    return value


def new_project_id(key: str, field: str = "project") -> None:
    """A project id a new project may take: any project id but '.' and '..'.

    sigopt-python's own check takes them, but an HTTP client (requests, curl, a browser)
    removes a '.' or '..' step from a URL path before sending it, so that project could
    not be reached at /v1/clients/{c}/projects/{id} ('..' reached the client instead).
    Only a new project is refused: one made before this rule stays reachable."""
    if key in DOT_SEGMENTS:
        raise RuleError(
            f"'{field}': {json_shown(key)} cannot be a new project's id: HTTP clients remove a "
            f"{json_shown(key)} step from a URL path, so /v1/clients/{{client}}/projects/{key} "
            "would never reach the project. Choose another id ('...' and ids with a letter, "
            "digit, '-' or '_' are fine).",
            field,
        )


def _check_multisolution(definition: Mapping[str, Any]) -> None:
    k = definition["num_solutions"]
    if k == 1:
        return
    if len(optimized(definition["metrics"])) != 1:
        raise RuleError(
            "'num_solutions': several solutions need exactly one metric with strategy 'optimize'.",
            "num_solutions",
        )
    if definition["conditionals"]:
        raise RuleError(
            "'num_solutions': experiments with several solutions cannot have conditionals.",
            "num_solutions",
        )
    budget = definition["observation_budget"]
    if budget is not None and budget < k:
        raise RuleError(
            f"'num_solutions' ({k}) is more than the observation budget ({budget}).",
            "num_solutions",
        )


def _check_grid(definition: Mapping[str, Any], *, count: bool = False) -> int:
    """A grid search: discrete parameters, at most :data:`MAX_GRID_POINTS` points. With
    ``count``, its number of points (those its conditionals and linear constraints
    leave), else at least that number (a cheap bound when it is small enough)."""
    for i, p in enumerate(definition["parameters"]):
        if not is_discrete(p):
            raise RuleError(
                f"'parameters[{i}]': a grid search needs discrete parameters; give double "
                f"parameter {json_shown(p['name'])} grid values.",
                f"parameters[{i}]",
            )
    size = math.prod(value_count(p) for p in definition["parameters"])
    size *= math.prod(len(c["values"]) for c in definition["conditionals"])
    exact = not definition["conditionals"] and not definition["linear_constraints"]
    if size <= MAX_GRID_POINTS and (exact or not count):
        return size
    from ..optimizer.sigopt_space import SearchSpace

    space = SearchSpace(
        definition["parameters"], definition["conditionals"], definition["linear_constraints"]
    )
    # a larger box is walked when its linear constraints leave at most that many points
    full = space.enumerate()
    if full is None:
        cut = " before its linear constraints" if definition["linear_constraints"] else ""
        raise RuleError(
            f"'type': the grid has {size} points{cut}; a grid search takes at most "
            f"{MAX_GRID_POINTS}.",
            "type",
        )
    return len(full)


def _check_grid_budget(definition: dict[str, Any], field: str, points: int) -> None:
    """The grid's size as its budget, as SigOpt sets it: taken when none is given, else
    a budget given must be that size (SigOpt: "does not match the computed budget")."""
    budget = definition["observation_budget"]
    if budget is None:
        definition["observation_budget"] = points
    elif budget != points:
        feasible = " that satisfy the linear constraints" * bool(definition["linear_constraints"])
        raise RuleError(
            f"'{field}' ({budget}) must be the grid's size: a grid search walks every one "
            f"of its {points} points{feasible} (SigOpt sets its budget to that); leave "
            f"'{field}' out to take it.",
            field,
        )


def stored_names(current: Mapping[str, Any]) -> frozenset[str]:
    """Every name of a stored experiment (its own, its parameters', categorical values',
    metrics', conditionals' and tasks', its metadata keys): an update sending one back
    unchanged is taken, though it was stored before ``name_text`` refused its characters."""
    names: set[Any] = {current.get("name"), *(current.get("metadata") or {})}
    for key in ("parameters", "metrics", "tasks"):
        names.update(entry.get("name") for entry in current.get(key) or [])
    for param in current.get("parameters") or []:
        names.update(param.get("categorical_values") or [])
    for cond in current.get("conditionals") or []:
        names.update([cond.get("name"), *(cond.get("values") or [])])
    return frozenset(name for name in names if isinstance(name, str))


def _unchanged_whole(sent: Any, stored: Any) -> bool:
    """``sent`` is the whole number ``stored`` (a boolean is no number)."""
    return isinstance(sent, int) and not isinstance(sent, bool) and sent == stored


def experiment_update(
    body: Mapping[str, Any],
    current: Mapping[str, Any],
    *,
    budget_field: str = "observation_budget",
) -> dict[str, Any]:
    """The changed fields of an experiment from a (partial) update body.

    name, metadata, the budget (``budget_field``: see :func:`experiment_create`; not
    of a grid search, nor with several optimized metrics or solutions; null keeps it, as
    in sigopt-server, whose update reads a null budget as one not given),
    parallel_bandwidth and state may change, and what :data:`CHANGEABLE` names of
    parameters and metrics (bounds, grid and categorical values, default values, priors;
    thresholds); parameters may be added,
    not deleted (see :func:`_named_entries`; the caller rewrites the stored assignments
    with :func:`redefined`); the rest of the definition
    (conditionals, linear constraints, num_solutions, type, project) may only be sent
    back unchanged.
    """
    for key in body:
        if key in READ_ONLY_FIELDS and key != "state":
            raise RuleError(f"'{key}' is set by the service; it cannot be updated.", str(key), 400)
        if key in ("seed", "metric"):
            raise RuleError(f"'{key}' cannot change after the experiment is created.", str(key))
    known_fields(body, (*UPDATE_FIELDS, *FIXED_FIELDS), "", "experiment")
    for key in ("name", "state"):
        if key in body and body[key] is None:
            raise RuleError(
                f"'{key}' cannot be null: an experiment always has one; leave '{key}' out "
                "of the update to keep it.",
                key,
            )
    changes: dict[str, Any] = {}
    kept = stored_names(current)  # sent back unchanged, taken though made before the rule
    if body.get("name") is not None:
        changes["name"] = name_text(body["name"], "name", kept=kept)
    if "metadata" in body:
        changes["metadata"] = metadata(body["metadata"], kept=kept)
    _check_budget_name(body, budget_field)
    if body.get(budget_field) is not None:  # null: no change, as SigOpt's update reads it
        budget = positive_int_or_none(body[budget_field], budget_field)
        _check_budget_changeable(current, budget_field, budget)
        changes["observation_budget"] = budget
    if "parallel_bandwidth" in body and not _unchanged_whole(
        body["parallel_bandwidth"], current.get("parallel_bandwidth")
    ):  # the stored value sent back is taken, one made before the limit too
        changes["parallel_bandwidth"] = parallel_bandwidth(body["parallel_bandwidth"])
    if body.get("state") is not None:
        if body["state"] not in ("active", "deleted"):
            raise RuleError(
                f"'state' must be active or deleted, not {json_shown(body['state'])}.", "state"
            )
        changes["state"] = body["state"]
    conds = current.get("conditionals") or []
    checks = {
        "parameters": lambda raw: parameters(
            raw, conds, kept=kept, stored=current.get("parameters") or []
        ),
        "metrics": lambda raw: metrics(raw, kept=kept, stored=current.get("metrics") or []),
        "conditionals": lambda raw: conditionals(raw, kept=kept),
        "linear_constraints": lambda raw: linear_constraints(raw, current["parameters"]),
        "num_solutions": lambda raw: positive_int_or_none(raw, "num_solutions", NUM_SOLUTIONS) or 1,
        "type": lambda raw: raw,
        "project": project_id,
    }
    for key, canonical in checks.items():
        if key not in body:
            continue
        stored = current.get(key)
        if key in ("conditionals", "linear_constraints"):
            stored = stored or []
        if body[key] is None:  # null is what a create makes of it (no parameters, metrics)
            if key in ("parameters", "metrics"):
                raise RuleError(
                    f"'{key}' cannot be null: an experiment keeps its {key} as created; "
                    "leave it out of the update.",
                    key,
                )
            if key == "project" and stored is not None:
                raise RuleError(
                    "'project' cannot change after the experiment is created: null would take it "
                    f"out of project {json_shown(stored)}; leave it out of the update.",
                    key,
                )
            if _NULL_DEFINITION[key] != stored:
                raise RuleError(
                    f"'{key}' cannot change after the experiment is created: null would make "
                    f"it {json.dumps(_NULL_DEFINITION[key])}, which it is not; leave it out "
                    "of the update.",
                    key,
                )
            continue
        if key in ("parameters", "metrics"):
            changed = _named_entries(key, body[key], stored or [], canonical, current)
            if changed is not None:
                grid_size = _check_redefined(current, key, changed)
                changes[key] = changed
                if grid_size is not None:
                    # the grid fixes the budget: new grid values make a new size
                    changes["observation_budget"] = grid_size
        elif canonical(body[key]) != stored:
            raise RuleError(f"'{key}' cannot change after the experiment is created.", key)
    _check_tasks_kept(body, current)
    return changes


def _check_tasks_kept(body: Mapping[str, Any], current: Mapping[str, Any]) -> None:
    """An update may send the tasks back unchanged, not change them (SigOpt: "The tasks
    of a multitask experiment cannot be updated after creation"). The budget a multitask
    experiment needs cannot be taken away: a null budget keeps it."""
    stored = current.get("tasks") or []
    if "tasks" in body:
        raw = body["tasks"]
        given = sigopt_tasks.tasks(raw, kept=stored_names(current)) if raw not in (None, []) else []
        if sorted(given, key=lambda t: t["name"]) != sorted(stored, key=lambda t: t["name"]):
            raise RuleError(
                "'tasks': the tasks of a multitask experiment cannot be updated after creation.",
                "tasks",
            )


def _check_redefined(
    current: Mapping[str, Any], key: str, changed: list[dict[str, Any]]
) -> int | None:
    """The definition with ``key`` changed still holds together as a create checks it:
    the linear constraints leave some point within the new bounds (a 422 naming
    ``linear_constraints`` otherwise), a grid search stays discrete and within its size
    (returned, with new parameters: its number of points), two solutions still fit the
    budget."""
    definition = {**current, key: changed}
    definition["conditionals"] = definition.get("conditionals") or []
    definition["linear_constraints"] = definition.get("linear_constraints") or []
    if key == "parameters":
        check_conditional_space(changed, definition["conditionals"])
        linear_constraints(definition["linear_constraints"], changed)
        if definition.get("type", "offline") == "offline":
            check_optimized_categoricals(changed, current.get("parameters") or [])
        check_modelled_scales(
            definition.get("type") or "offline", changed, current.get("parameters") or []
        )
    _check_multisolution(definition)
    if definition.get("type") != "grid":
        return None
    size = _check_grid(definition, count=key == "parameters")  # a metric leaves the grid
    return size if key == "parameters" else None


#: what a create makes of a definition field given as null (an update compares it)
_NULL_DEFINITION: dict[str, Any] = {
    "conditionals": [],
    "linear_constraints": [],
    "num_solutions": 1,
    "type": "offline",
    "project": None,
}

#: what an update may change in a parameter or a metric, as SigOpt's update handler
#: changes them (``_maybe_set_parameter_bounds``, ``..._grid_values``,
#: ``..._categorical_values``, ``..._default_value``, ``..._prior``;
#: ``_update_thresholds_on_metrics``)
CHANGEABLE = {
    "parameters": ("bounds", "grid", "categorical_values", "default_value", "prior"),
    "metrics": ("threshold",),
}


def _named_entries(
    key: str, raw: Any, stored: list[dict], canonical: Any, current: Mapping[str, Any]
) -> list[dict] | None:
    """Parameters or metrics of an update: the new canonical list when it changes, None
    when nothing changes.

    SigOpt's update matches entries by name and changes only the fields an entry gives
    (``{"name": "x", "bounds": {...}}``, a metric's ``threshold``, null clearing it; the
    one metric may go unnamed). Here an entry is laid over the stored one of its name;
    a change of a field :data:`CHANGEABLE` does not name is refused naming the entry's
    field. As SigOpt's, an entry of a new name is a new parameter, which needs a
    ``default_value`` (see :func:`_added_parameters`); metrics are not added. An entry
    left out is refused: SigOpt deletes a parameter left out, but that would lose its
    stored values (see :func:`_left_out`). The result, checked as a create checks it,
    keeps the stored order, new parameters last.
    """
    by_name = {entry["name"]: entry for entry in stored}
    entries = list(raw) if isinstance(raw, list) else []
    if (
        key == "metrics"
        and len(stored) == 1
        and len(entries) == 1
        and isinstance(entries[0], Mapping)
        and "name" not in entries[0]
    ):
        entries = [{**entries[0], "name": stored[0]["name"]}]
    names = [e.get("name") if isinstance(e, Mapping) else None for e in entries]
    for i, entry in enumerate(entries):
        # SigOpt: "The `name` field must be specified for every metric" (more than one)
        if (
            key == "metrics"
            and len(stored) > 1
            and isinstance(entry, Mapping)
            and "name" not in entry
        ):
            raise RuleError(
                f"'metrics[{i}].name' is required: this experiment has {len(stored)} "
                "metrics, so each entry of an update names the one it is about.",
                f"metrics[{i}].name",
            )
    seen: set[str | None] = set()  # before: `in names[:i]`, a copy and scan per entry
    for i, name in enumerate(names):
        if key == "metrics" and name is None and None in by_name and None in seen:
            # before: two unnamed entries for the one unnamed metric were a 500
            raise RuleError(
                f"'metrics[{i}]': this experiment's one metric (unnamed) is given twice; "
                "send it once.",
                f"metrics[{i}]",
            )
        if isinstance(name, str) and name in seen:
            raise RuleError(
                f"'{key}[{i}].name': {key[:-1]} {json_shown(name)} is named twice; send it once.",
                f"{key}[{i}].name",
            )
        if name is None or isinstance(name, str):
            seen.add(name)
        if key == "metrics" and isinstance(name, str) and name not in by_name:
            raise RuleError(
                f"'{key}[{i}].name': this experiment has no {key[:-1]} {json_shown(name)}, and "
                f"its {key} cannot change after it is created.",
                f"{key}[{i}].name",
            )
    if not isinstance(raw, list) or (
        key == "metrics"
        and any(not isinstance(e, Mapping) or e.get("name") not in by_name for e in entries)
    ):
        if canonical(raw) != stored:  # a shape error names its field; else a change
            raise RuleError(f"'{key}' cannot change after the experiment is created.", key)
        return None
    for i, entry in enumerate(entries if key == "parameters" else ()):
        # each parameter entry an object with a name
        name_text(
            object_of(entry, f"{key}[{i}]").get("name"),
            f"{key}[{i}].name",
            kept=stored_names(current),
        )
    missing = [name for name in by_name if name not in names]
    if missing:
        raise _left_out(key, missing[0])
    added = _added_parameters(entries, by_name, current) if key == "parameters" else {}
    kept = [(i, e) for i, e in enumerate(entries) if e["name"] in by_name]
    changeable = CHANGEABLE[key]
    merged: dict[str, dict] = {}
    fixed: dict[str, dict] = {}  # the entries without the fields an update may change
    for _, entry in kept:
        merged[entry["name"]] = {**by_name[entry["name"]], **entry}
        kept_fields = {k: v for k, v in entry.items() if k not in changeable}
        fixed[entry["name"]] = {**by_name[entry["name"]], **kept_fields}
    kept_stored = [by_name[e["name"]] for _, e in kept]
    refused: RuleError | None = None  # a 422 of the kept entries, said if no field is
    unchanged = [fixed[e["name"]] for _, e in kept]
    try:  # as stored (before a rule its entries break) or the same once canonical
        same = unchanged == kept_stored or canonical(unchanged) == kept_stored
    except RuleError as err:
        if err.status == 400:  # a wrong shape (an unknown field): its own message
            raise
        same, refused = False, err
    if same:
        # in the body's order, so that a refusal names the body's entry
        ordered = [merged.get(e["name"], e) for e in entries]
        checked = {p["name"]: p for p in canonical(ordered)}
        new = [checked[name] for name in [*by_name, *added]]
        return None if new == stored else new
    for i, entry in kept:
        old = by_name[entry["name"]]
        for field in entry:
            if field in ("name", "object", *changeable):
                continue
            try:
                one = canonical([{**old, field: entry[field]} if o is old else o for o in stored])
            except RuleError as err:
                if err.status == 400:
                    raise
                one = None
            if one != stored:
                raise _fixed(
                    f"{key}[{i}].{field}", key, f"of {key[:-1]} {json_shown(entry['name'])}"
                )
    if refused is not None:  # no field changed: the 422 says what is wrong, not "change"
        raise refused
    raise RuleError(f"'{key}' cannot change after the experiment is created.", key)


def _left_out(key: str, name: str) -> RuleError:
    """An update that leaves out a stored parameter or metric: refused. SigOpt deletes
    a parameter left out (and keeps its values, shown again if it is re-added); here
    its values would be dropped from every observation and suggestion for good, so a
    partial list sent by mistake would lose data."""
    if key == "metrics":
        return RuleError(
            f"'metrics': metric {json_shown(name)} is left out; an update lists every one (only "
            "what changes needs more than its name), and the metrics cannot change after the "
            "experiment is created.",
            key,
        )
    return RuleError(
        f"'parameters': parameter {json_shown(name)} is left out. SigOpt would delete it; this "
        "service refuses, because its stored values in every observation, suggestion and queued "
        "suggestion would be lost. List every parameter to keep them (only what changes needs "
        "more than its name); create a new experiment to drop one.",
        key,
    )


def _added_parameters(
    entries: list[Mapping[str, Any]], by_name: Mapping[str, Any], current: Mapping[str, Any]
) -> dict[str, int]:
    """The parameters an update adds (name -> index in the body), checked as SigOpt
    checks them: each with a ``default_value``, which every earlier observation,
    suggestion and queued suggestion takes; none added in a grid search or an
    experiment with linear constraints (SigOpt: "Parameters cannot be updated for
    experiments of type `grid`" / "with constraints")."""
    added = {e["name"]: i for i, e in enumerate(entries) if e["name"] not in by_name}
    if not added:
        return added
    first = next(iter(added.values()))
    field = f"parameters[{first}].name"
    for reason, blocked in (
        ("a grid search", current.get("type") == "grid"),
        ("an experiment with linear constraints", bool(current.get("linear_constraints"))),
    ):
        if blocked:
            raise RuleError(
                f"'{field}': parameter {json_shown(entries[first]['name'])} is new (which adds "
                f"it), but parameters cannot be added in {reason}, as in SigOpt; create a new "
                "experiment with the parameters you want.",
                field,
            )
    for name, i in added.items():
        if entries[i].get("default_value") is None:
            where = f"parameters[{i}].default_value"
            raise RuleError(
                f"'{where}' is required: parameter {json_shown(name)} is new, and every earlier "
                "observation, suggestion and queued suggestion takes its default value (as "
                "SigOpt requires of a parameter added by an update).",
                where,
            )
    return added


def _fixed(field: str, key: str, what: str) -> RuleError:
    may = ", ".join(CHANGEABLE[key])
    also = " (or adds whole parameters)" if key == "parameters" else ""
    return RuleError(
        f"'{field}' ({what}) cannot change after the experiment is created: an update "
        f"changes only a {key[:-1]}'s {may}{also}; create a new experiment with the "
        f"{key} you want.",
        field,
    )

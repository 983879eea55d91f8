"""The OpenAPI document says what the service does with request bodies, so that the two
cannot drift:

- every object a request body may hold is either closed (``additionalProperties:
  false``: the service refuses a field it does not know) or an explicit map;
- each closed SigOpt object lists exactly the fields the service's rules accept
  (their own constants), what the service renders and takes back marked ``readOnly``;
- against the real service (embedded), an example of every SigOpt body, valid by the
  document, is accepted; the same body with an unknown field put into any of its
  closed objects, at every nesting level, is a 400 naming that field, the state
  unchanged; and the examples reach every closed object and use every field the
  document offers a caller.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema_rs
import pytest
import sqlalchemy as sa

from sigopt_like.service.domain import sigopt_constraints as constraints
from sigopt_like.service.domain import sigopt_files as files
from sigopt_like.service.domain import sigopt_metrics as metrics
from sigopt_like.service.domain import sigopt_notes as note_rules
from sigopt_like.service.domain import sigopt_observations as observations_rules
from sigopt_like.service.domain import sigopt_parameters as parameters
from sigopt_like.service.domain import sigopt_rules as rules
from sigopt_like.service.domain import sigopt_run_maps as run_maps
from sigopt_like.service.domain import sigopt_runs as runs
from sigopt_like.service.domain import sigopt_tags as tag_rules
from sigopt_like.service.domain import sigopt_tasks
from sigopt_like.service.resources.sigopt import (
    clients,
    experiments,
    observations,
    queued,
    suggestions,
    tags,
)
from sigopt_like.service.resources.system import openapi_document
from sigopt_like.service.store import schema

from .conftest import Api

DOC: dict[str, Any] = json.loads(openapi_document())
C = "#/components/schemas/"
UNKNOWN = "zz_unknown"


def _fields(*groups: Any) -> set[str]:
    return {name for group in groups for name in group}


#: every closed object of a SigOpt request body -> what the service's rules accept there
ACCEPTED: dict[str, set[str]] = {
    # each kind names its budget one way (SigOpt refuses the other name)
    C + "ExperimentCreate": _fields(rules.CREATE_FIELDS, ["object"]) - {"budget"},
    C + "AIExperimentCreate": _fields(rules.CREATE_FIELDS, ["object"])
    - {"project", "observation_budget"},
    C + "SigoptTask": _fields(sigopt_tasks.TASK_FIELDS, ["object"]),
    # an update takes the object's own id back (another is a 400), and what the service
    # sets as a GET answers it (a fetched object sent back whole)
    C + "ExperimentUpdate": _fields(
        rules.UPDATE_FIELDS, rules.FIXED_FIELDS, experiments.SET_BY_SERVICE, ["object", "id"]
    ),
    C + "AIExperimentUpdate": _fields(
        rules.UPDATE_FIELDS, rules.FIXED_FIELDS, experiments.SET_BY_SERVICE, ["object", "id"]
    )
    - {"observation_budget"},
    C + "SigoptParameter": _fields(parameters.PARAMETER_FIELDS, ["object"]),
    C + "SigoptBounds": _fields(parameters.BOUNDS_FIELDS, ["object"]),
    C + "SigoptPrior": _fields(["name", "object"], *parameters.PRIOR_FIELDS.values()),
    C + "SigoptCategoricalValue/oneOf/1": _fields(parameters.CATEGORICAL_VALUE_FIELDS, ["object"]),
    C + "SigoptConditional": _fields(parameters.CONDITIONAL_FIELDS, ["object"]),
    C + "SigoptConditional/properties/values/items/oneOf/1": _fields(
        parameters.CONDITIONAL_VALUE_FIELDS, ["object"]
    ),
    C + "SigoptMetric": _fields(metrics.METRIC_FIELDS, ["object"]),
    C + "SigoptLinearConstraint": _fields(constraints.CONSTRAINT_FIELDS, ["object"]),
    C + "SigoptConstraintTerm": _fields(constraints.TERM_FIELDS, ["object"]),
    C + "SuggestionCreate": _fields(suggestions.CREATE_FIELDS, ["object"]),
    C + "QueuedSuggestionCreate": _fields(queued.CREATE_FIELDS, ["object"]),
    C + "SuggestionUpdate": _fields(
        suggestions.UPDATE_FIELDS, suggestions.SET_BY_SERVICE, ["object", "id"]
    ),
    C + "ObservationCreate": _fields(observations.FIELDS, observations.ECHOED),
    C + "ObservationUpdate": _fields(
        observations.FIELDS, observations.ECHOED, observations.SET_BY_SERVICE
    ),
    C + "SigoptMetricEvaluation": _fields(observations_rules.METRIC_EVALUATION_FIELDS, ["object"]),
    C + "ObservationBatch": _fields(observations.BATCH_FIELDS),
    C + "ProjectCreate": _fields(runs.PROJECT_FIELDS, runs.PROJECT_ECHOED_FIELDS),
    C + "ProjectUpdate": _fields(runs.PROJECT_FIELDS, runs.PROJECT_ECHOED_FIELDS),
    C + "RunCreate": _fields(runs.RUN_CREATE_FIELDS, runs.ECHOED_FIELDS),
    C + "SuggestedRunCreate": _fields(runs.SUGGESTED_RUN_CREATE_FIELDS, runs.ECHOED_FIELDS),
    C + "RunUpdate": _fields(runs.RUN_UPDATE_FIELDS, runs.ECHOED_FIELDS),
    C + "RunMetricValue": _fields(runs.RUN_VALUE_FIELDS, runs.RUN_VALUE_ECHOED_FIELDS),
    C + "RunDataset": set(),
    C + "RunLog": _fields(run_maps.LOG_FIELDS),
    C + "RunAssignmentMeta": _fields(run_maps.ASSIGNMENT_META_FIELDS),
    C + "RunAssignmentSource": _fields(run_maps.ASSIGNMENT_SOURCE_FIELDS),
    C + "RunSysMetadata": _fields(run_maps.SYS_METADATA_FIELDS),
    C + "RunFeatureImportances": _fields(run_maps.FEATURE_IMPORTANCES_FIELDS),
    C + "RunModel": _fields(run_maps.MODEL_FIELDS),
    C + "RunSourceCode": _fields(run_maps.SOURCE_CODE_FIELDS),
    C + "RunBatch": _fields(clients.RUN_BATCH_FIELDS),
    C + "CheckpointCreate": _fields(runs.CHECKPOINT_FIELDS, ["object"]),
    C + "FileCreate": _fields(files.FIELDS, ["object"]),
    C + "TagCreate": _fields(tag_rules.TAG_FIELDS, ["object"]),
    C + "ProjectNoteCreate": _fields(note_rules.NOTE_FIELDS, ["object"]),
    C + "RunTagAdd": _fields(tags.ADD_FIELDS, ["object"]),
    C + "CheckpointCreate/properties/values/items": _fields(
        runs.CHECKPOINT_VALUE_FIELDS, ["object"]
    ),
}


def _children(pointer: str, node: dict[str, Any]) -> Iterator[str]:
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            yield f"{pointer}/{key}"
    for key in ("oneOf", "anyOf", "allOf", "prefixItems"):
        for i, _ in enumerate(node.get(key, ())):
            yield f"{pointer}/{key}/{i}"
    for name in node.get("properties", {}):
        yield f"{pointer}/properties/{name}"


def body_objects(tags: set[str] | None = None) -> dict[str, set[str]]:
    """Every object schema reachable from a request body (of operations with one of
    ``tags``; all when None), as pointer -> the operations reaching it."""
    found: dict[str, set[str]] = {}
    for path, item in DOC["paths"].items():
        for method, operation in item.items():
            if "requestBody" not in operation:
                continue
            if tags is not None and not tags & set(operation.get("tags", ())):
                continue
            where = f"{method.upper()} {path}"
            for media in operation["requestBody"]["content"]:
                start = f"#/paths/{path.replace('/', '~1')}/{method}/requestBody/content/"
                stack = [start + media.replace("/", "~1") + "/schema"]
                seen: set[str] = set()
                while stack:
                    pointer = stack.pop()
                    if pointer in seen:
                        continue
                    seen.add(pointer)
                    node = _at(pointer)
                    if "$ref" in node:
                        stack.append(node["$ref"])
                        continue
                    kinds = node.get("type")
                    if (
                        "properties" in node
                        or kinds == "object"
                        or (isinstance(kinds, list) and "object" in kinds)
                    ):
                        found.setdefault(pointer, set()).add(where)
                    stack.extend(_children(pointer, node))
    return found


def _at(pointer: str) -> Any:
    node: Any = DOC
    for raw in pointer.lstrip("#/").split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def test_every_object_of_a_sigopt_body_says_whether_it_is_closed():
    """A record says ``additionalProperties: false`` (the service refuses what it does
    not know); a map (metadata, assignments) says ``additionalProperties`` too, so that
    nobody leaves a body open by forgetting it. (The platform bodies are held closed by
    ``tests/service/test_fuzz.py``.)"""
    unsaid, open_records = [], []
    for pointer, operations in body_objects({"sigopt"}).items():
        node = _at(pointer)
        if "additionalProperties" not in node:
            unsaid.append((pointer, sorted(operations)[0]))
        elif node.get("properties") and node["additionalProperties"] is not False:
            open_records.append(pointer)
    assert unsaid == [] and open_records == []


def test_each_closed_sigopt_object_lists_what_the_service_accepts():
    closed = {p for p in body_objects({"sigopt"}) if _at(p).get("additionalProperties") is False}
    assert closed == set(ACCEPTED), "a closed object without its fields here, or one gone"
    for pointer, accepted in ACCEPTED.items():
        assert set(_at(pointer)["properties"]) == accepted, pointer


# ---------------------------------------------------------------- against the service


def validator(pointer: str) -> Any:
    """A validator of the schema at ``pointer``, its references resolved in the document."""
    return jsonschema_rs.Draft202012Validator(
        {
            "$ref": pointer.replace("{", "%7B").replace("}", "%7D"),  # a URI fragment
            "components": DOC["components"],
            "paths": DOC["paths"],
        }
    )


def objects_in(value: Any, pointer: str, path: tuple = ()) -> Iterator[tuple[str, tuple, dict]]:
    """Each object of ``value`` held by a closed schema: ``(schema pointer, place, object)``."""
    node = _at(pointer)
    if "$ref" in node:
        yield from objects_in(value, node["$ref"], path)
        return
    for key in ("oneOf", "anyOf"):
        if key in node:
            for i, _ in enumerate(node[key]):
                option = f"{pointer}/{key}/{i}"
                if validator(option).is_valid(value):
                    yield from objects_in(value, option, path)
                    return
            raise AssertionError(f"{value!r} matches no option of {pointer}")
    if isinstance(value, dict):
        if node.get("additionalProperties") is False:
            yield pointer, path, value
        for name, child in value.items():
            if name in node.get("properties", {}):
                yield from objects_in(child, f"{pointer}/properties/{name}", (*path, name))
            elif isinstance(node.get("additionalProperties"), dict):
                yield from objects_in(child, f"{pointer}/additionalProperties", (*path, name))
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for i, child in enumerate(value):
            yield from objects_in(child, f"{pointer}/items", (*path, i))


def with_unknown(body: dict, place: tuple) -> dict:
    out = copy.deepcopy(body)
    node: Any = out
    for step in place:
        node = node[step]
    node[UNKNOWN] = 1
    return out


SIGOPT_TABLES = (
    schema.sigopt_experiments,
    schema.suggestions,
    schema.queued_suggestions,
    schema.observations,
    schema.sigopt_projects,
    schema.training_runs,
    schema.run_checkpoints,
)


def snapshot(api: Api) -> dict[str, list[tuple]]:
    with api.service.context.store.database.engine.connect() as conn:
        return {t.name: [tuple(r) for r in conn.execute(sa.select(t))] for t in SIGOPT_TABLES}


X = {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}
Example = Callable[[Api, dict[str, Any]], tuple[str, str, dict[str, Any]]]


def _experiment(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    unit = {"type": "double", "bounds": {"min": 0, "max": 1}}
    body = {
        "object": "experiment",
        "name": "document walk",
        "type": "offline",
        "parameters": [
            {
                "object": "parameter",
                "name": "x",
                "type": "double",
                "bounds": {"object": "bounds", "min": 0.001, "max": 1},
                "transformation": "log",
                "precision": 3,
            },
            {
                "name": "y",
                **unit,
                "prior": {"object": "prior", "name": "normal", "mean": 0.5, "scale": 0.2},
                "default_value": 0.5,
            },
            {"name": "z", **unit, "prior": {"name": "beta", "shape_a": 2, "shape_b": 3}},
            {"name": "u", **unit},
            {"name": "w", **unit},
            {"name": "g", "type": "int", "grid": [1, 2, 3], "conditions": {"model": "tree"}},
            {
                "name": "c",
                "type": "categorical",
                "categorical_values": [
                    "p",
                    {"object": "categorical_value", "name": "q", "enum_index": 2},
                ],
            },
        ],
        "conditionals": [
            {
                "object": "conditional",
                "name": "model",
                "values": ["tree", {"object": "value", "name": "linear"}],
            }
        ],
        "metrics": [
            {
                "object": "metric",
                "name": "v",
                "objective": "maximize",
                "strategy": "optimize",
                "threshold": None,
            },
            "note",
        ],
        "linear_constraints": [
            {
                "object": "linear_constraint",
                "type": "less_than",
                "threshold": 1.5,
                "terms": [
                    {"object": "constraint_term", "name": "u", "weight": 1},
                    {"name": "w", "weight": 1},
                ],
            }
        ],
        "num_solutions": 1,
        "observation_budget": 20,
        "parallel_bandwidth": 1,
        "metadata": {"k": "v"},
        "seed": 3,
        "project": "document-walk",
    }
    return "POST", "/v1/experiments", body


TASKS = [{"object": "task", "name": "full", "cost": 1}, {"name": "cheap", "cost": 0.25}]


def _multitask_experiment(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    body = {"name": "multitask", "parameters": [X], "observation_budget": 10, "tasks": TASKS}
    return "POST", "/v1/experiments", body


def _multitask_id(api: Api, ids: dict[str, Any]) -> str:
    if "multitask" not in ids:
        made = api.post(
            "/v1/experiments",
            {"name": "mt", "parameters": [X], "observation_budget": 10, "tasks": TASKS},
        )
        assert made.status == 201, made.body
        ids["multitask"] = made.body["id"]
    return str(ids["multitask"])


def _multitask_suggestion(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    body = {"assignments": {"x": 0.35}, "task": {"object": "task", "name": "cheap", "cost": 0.25}}
    return "POST", f"/v1/experiments/{_multitask_id(api, ids)}/suggestions", body


def _multitask_queued(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    body = {"assignments": {"x": 0.55}, "task": {"name": "cheap"}}
    return "POST", f"/v1/experiments/{_multitask_id(api, ids)}/queued_suggestions", body


def _multitask_observation(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    body = {"assignments": {"x": 0.45}, "value": 1.0, "task": {"name": "full"}}
    return "POST", f"/v1/experiments/{_multitask_id(api, ids)}/observations", body


def _client_experiment(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    body = {"name": "legacy metric", "parameters": [X], "metric": {"name": "loss"}}
    return "POST", f"/v1/clients/{ids['client']}/experiments", body


def _ai_experiment(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    body = {
        "object": "experiment",
        "name": "ai",
        "type": "offline",
        "parameters": [X],
        "metrics": [{"name": "v"}],
        "conditionals": [],
        "linear_constraints": [],
        "num_solutions": 1,
        "budget": 5,
        "parallel_bandwidth": 1,
        "metadata": {"a": 1},
        "seed": 1,
        "tasks": [],
    }
    return "POST", f"/v1/clients/{ids['client']}/projects/doc/aiexperiments", body


def _ai_experiment_metric(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    body = {"name": "ai legacy", "parameters": [X], "metric": {"name": "v"}}
    return "POST", f"/v1/clients/{ids['client']}/projects/doc/aiexperiments", body


def _experiment_update(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    e = api.get(f"/v1/experiments/{ids['simple']}").body
    fixed = {k: e[k] for k in rules.FIXED_FIELDS}
    body = {
        "object": "experiment",
        "id": e["id"],
        "name": "renamed",
        "metadata": {"a": 1},
        "observation_budget": 30,
        "parallel_bandwidth": 2,
        "state": "active",
        **fixed,
    }
    return "PUT", f"/v1/experiments/{ids['simple']}", body


def _ai_experiment_update_v1_route(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    """An AI experiment updated at /v1/experiments/{id} takes its own budget name."""
    return "PUT", f"/v1/experiments/{ids['ai']}", {"budget": 22}


def _ai_experiment_update(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    e = api.get(f"/v1/aiexperiments/{ids['ai']}").body
    fixed = {k: e[k] for k in rules.FIXED_FIELDS if k in e}
    body = {
        "object": "experiment",
        "id": float(e["id"]),
        "name": "ai renamed",
        "metadata": {"a": 2},
        "budget": 25,
        "parallel_bandwidth": 2,
        "state": "active",
        **fixed,
    }
    return "PUT", f"/v1/aiexperiments/{ids['ai']}", body


def _suggestion(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    body = {"object": "suggestion", "assignments": {"x": 0.3}, "metadata": {"k": "v"}}
    return "POST", f"/v1/experiments/{ids['simple']}/suggestions", body


def _queued_suggestion(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    body = {"object": "queued_suggestion", "assignments": {"x": 0.4}}
    return "POST", f"/v1/experiments/{ids['simple']}/queued_suggestions", body


def _suggestion_update(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    sid = api.post(f"/v1/experiments/{ids['simple']}/suggestions", {}).body["id"]
    body = {"object": "suggestion", "id": int(sid), "metadata": {"b": 1}}
    return "PUT", f"/v1/experiments/{ids['simple']}/suggestions/{sid}", body


def _observation(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    sid = api.post(f"/v1/experiments/{ids['simple']}/suggestions", {}).body["id"]
    body = {
        "object": "observation",
        "experiment": ids["simple"],
        "suggestion": sid,
        "values": [
            {"object": "metric_evaluation", "name": None, "value": 1.0, "value_stddev": 0.1}
        ],
        "failed": False,
        "metadata": {"m": 1},
    }
    return "POST", f"/v1/experiments/{ids['simple']}/observations", body


def _observation_value(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    body = {"assignments": {"x": 0.2}, "value": 0.5, "value_stddev": 0.1}
    return "POST", f"/v1/experiments/{ids['simple']}/observations", body


def _observation_update(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    made = api.post(
        f"/v1/experiments/{ids['simple']}/observations", {"assignments": {"x": 0.4}, "failed": True}
    )
    body = {"id": made.body["id"], "value": 0.7, "metadata": {"z": 1}}
    return "PUT", f"/v1/experiments/{ids['simple']}/observations/{made.body['id']}", body


def _observation_update_assignments(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    """An observation made with assignments, fetched, edited and sent back."""
    made = api.post(
        f"/v1/experiments/{ids['simple']}/observations",
        {"assignments": {"x": 0.41}, "failed": True},
    )
    body = {
        "object": "observation",
        "id": int(made.body["id"]),
        "experiment": ids["simple"],
        "assignments": {"x": 0.42},
        "value": 0.6,
        "value_stddev": 0.2,
        "failed": False,
    }
    return "PUT", f"/v1/experiments/{ids['simple']}/observations/{made.body['id']}", body


def _observation_update_suggested(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    """An observation of a suggestion: the suggestion may be sent back, values changed."""
    sid = api.post(f"/v1/experiments/{ids['simple']}/suggestions", {}).body["id"]
    made = api.post(
        f"/v1/experiments/{ids['simple']}/observations", {"suggestion": sid, "value": 1.0}
    )
    values = [{"object": "metric_evaluation", "name": None, "value": 0.3, "value_stddev": 0.1}]
    body = {"suggestion": sid, "values": values}
    return "PUT", f"/v1/experiments/{ids['simple']}/observations/{made.body['id']}", body


def _multitask_observation_update(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    """The task of an observation made with assignments may change."""
    base = f"/v1/experiments/{_multitask_id(api, ids)}/observations"
    made = api.post(base, {"assignments": {"x": 0.15}, "value": 1.0, "task": "full"})
    return "PUT", f"{base}/{made.body['id']}", {"task": {"name": "cheap"}}


def _observation_batch(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    body = {"observations": [{"assignments": {"x": 0.9}, "value": 0.1}]}
    return "POST", f"/v1/experiments/{ids['simple']}/observations/batch", body


def _project(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    body = {"id": "walked", "name": "Walked", "metadata": {"a": 1}}
    return "POST", f"/v1/clients/{ids['client']}/projects", body


def _project_update(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    body = {"id": "walked", "name": "Walked again", "metadata": {"b": 2}}
    return "PUT", f"/v1/clients/{ids['client']}/projects/walked", body


RUN_MAPS = {
    "assignments": {"lr": 0.1},
    "assignments_meta": {"lr": {"source": "user"}},
    "assignments_sources": {"user": {"default_show": True, "sort": 1}},
    "datasets": {"train": {}},
    "logs": {"stdout": {"content": "ok"}},
    "sys_metadata": {"feature_importances": {"type": "weight", "scores": {"f0": 2.0}}},
    "dev_metadata": {"k": 1},
    "model": {"type": "xgboost"},
    "source_code": {"content": "print(1)", "hash": "abc"},
}


def _run(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    body = {
        "name": "run",
        "metadata": {"a": 1},
        "state": "active",
        "values": {"acc": {"object": "metric_value", "value": 0.9, "value_stddev": 0.01}},
        **RUN_MAPS,
    }
    return "POST", f"/v1/clients/{ids['client']}/projects/walked/training_runs", body


def _run_batch(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    body = {"runs": [{"name": "b1", "values": {"acc": {"value": 0.3}}}], "fields": "id"}
    return "POST", f"/v1/clients/{ids['client']}/projects/walked/training_runs/batch", body


def _suggested_run(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    return "POST", f"/v1/aiexperiments/{ids['ai']}/training_runs", {"name": "t", "metadata": {}}


def _new_run(api: Api, ids: dict[str, Any]) -> str:
    made = api.post(f"/v1/clients/{ids['client']}/projects/walked/training_runs", {"name": "r"})
    assert made.status == 201, made.body
    return str(made.body["id"])


def _run_update(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    body = {
        "name": "renamed",
        "metadata": {"b": 2},
        "state": "completed",
        "deleted": False,
        "values": {"acc": {"value": 0.8}},
        **RUN_MAPS,
    }
    return "PUT", f"/v1/training_runs/{_new_run(api, ids)}", body


def _run_patch(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    return (
        "PATCH",
        f"/v1/training_runs/{_new_run(api, ids)}",
        {"logs": {"stdout": {"content": "y"}}},
    )


def _checkpoint(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    body = {
        "object": "checkpoint",
        "values": [{"object": "checkpoint_value", "name": "acc", "value": 0.5}],
        "metadata": {"epoch": 1},
    }
    return "POST", f"/v1/training_runs/{_new_run(api, ids)}/checkpoints", body


def _file(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    body = {
        "object": "file",
        "name": "loss curve",
        "filename": "loss.png",
        "content_type": "image/png",
        "content_length": 3,
        "content_md5": base64.b64encode(hashlib.md5(b"png").digest()).decode(),
    }
    return "POST", f"/v1/training_runs/{_new_run(api, ids)}/files", body


def _tag(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    return "POST", f"/v1/clients/{ids['client']}/tags", {"name": "walked", "color": "#123ABC"}


def _run_tag(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    made = api.post(f"/v1/clients/{ids['client']}/tags", {"name": "given", "color": "#000000"})
    body = {"object": "tag", "id": made.body["id"]}
    return "POST", f"/v1/training_runs/{_new_run(api, ids)}/tags", body


def _project_note(api: Api, ids: dict[str, Any]) -> tuple[str, str, dict]:
    body = {"object": "project_note", "contents": "a note"}
    return "POST", f"/v1/clients/{ids['client']}/projects/walked/notes", body


EXAMPLES: list[Example] = [
    _experiment,
    _multitask_experiment,
    _multitask_suggestion,
    _multitask_queued,
    _multitask_observation,
    _client_experiment,
    _ai_experiment,
    _ai_experiment_metric,
    _experiment_update,
    _ai_experiment_update_v1_route,
    _ai_experiment_update,
    _suggestion,
    _queued_suggestion,
    _suggestion_update,
    _observation,
    _observation_value,
    _observation_update,
    _observation_update_assignments,
    _observation_update_suggested,
    _multitask_observation_update,
    _observation_batch,
    _project,
    _project_update,
    _project_note,
    _run,
    _run_batch,
    _suggested_run,
    _run_update,
    _run_patch,
    _checkpoint,
    _file,
    _tag,
    _run_tag,
]


def _body_pointer(method: str, path: str) -> str:
    """The pointer of the request body schema of ``method path`` (ids filled in)."""
    given = path.split("/")
    for template, item in DOC["paths"].items():
        parts = template.split("/")
        same = len(parts) == len(given) and all(
            p == g or p.startswith("{") for p, g in zip(parts, given, strict=True)
        )
        if same and method.lower() in item:
            escaped = template.replace("/", "~1")
            return (
                f"#/paths/{escaped}/{method.lower()}/requestBody/content/application~1json/schema"
            )
    raise AssertionError(f"{method} {path} is not in the document")


def example_ids(api: Api) -> dict[str, Any]:
    """The ids :data:`EXAMPLES` fill their paths with: the caller's client, a plain
    experiment and an AI experiment in a project."""
    ids: dict[str, Any] = {"client": api.get("/v1/tokens/self").body["client"]}
    ids["simple"] = api.post("/v1/experiments", {"name": "s", "parameters": [X]}).body["id"]
    made = api.post(
        f"/v1/clients/{ids['client']}/projects/doc/aiexperiments",
        {"name": "ai", "parameters": [X], "metrics": [{"name": "v"}], "budget": 20},
    )
    ids["ai"] = made.body["id"]
    return ids


def test_every_closed_object_is_refused_open_and_accepted_closed(service):
    api = Api(service)
    ids = example_ids(api)
    seen: dict[str, set[str]] = {}
    for example in EXAMPLES:
        method, path, body = example(api, ids)
        pointer = _body_pointer(method, path)
        errors = [e.message for e in validator(pointer).iter_errors(body)]
        assert errors == [], (example.__name__, errors)
        places = list(objects_in(body, pointer))
        assert places, example.__name__
        before = snapshot(api)
        for schema_pointer, place, obj in places:
            seen.setdefault(schema_pointer, set()).update(obj)
            reply = api.call(method, path, with_unknown(body, place))
            where = (example.__name__, schema_pointer, place)
            assert reply.status == 400, (where, reply.status, reply.body)
            assert reply.body["detail"]["field"].endswith(UNKNOWN), (where, reply.body)
            assert UNKNOWN in reply.body["message"], (where, reply.body)
            assert snapshot(api) == before, where
        reply = api.call(method, path, body)
        assert 200 <= reply.status < 300, (example.__name__, reply.status, reply.body)
    assert set(seen) == set(ACCEPTED), "an example for each closed object"
    for pointer, used in seen.items():
        offered = {k for k, v in _at(pointer)["properties"].items() if not v.get("readOnly")}
        assert offered <= used, (pointer, sorted(offered - used))


def test_a_run_batch_answers_with_the_fields_asked_for(service):
    """``fields`` (``sigopt.upload_runs`` sends ``"id"``) is honoured, not dropped."""
    api = Api(service)
    client = api.get("/v1/tokens/self").body["client"]
    path = f"/v1/clients/{client}/projects/batch/training_runs/batch"
    reply = api.post(path, {"runs": [{"name": "a"}, {"name": "b"}], "fields": "id"})
    assert reply.status == 201, reply.body
    assert [set(run) for run in reply.body["data"]] == [{"id"}, {"id"}]
    whole = api.post(path, {"runs": [{"name": "c"}]}).body["data"][0]
    assert {"id", "name", "state", "values"} <= set(whole)
    before = snapshot(api)
    for wrong in ("", 3, ["id"], "idd", "id,nmae"):  # a misspelt name is not dropped
        refused = api.post(path, {"runs": [{"name": "d"}], "fields": wrong})
        assert refused.status == 400 and refused.body["detail"]["field"] == "fields"
    assert snapshot(api) == before


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("observations/batch", {"observations": [], "fields": "id"}, "fields"),
        ("checkpoints", {"values": [], "note": 1}, "note"),
        ("checkpoints", {"values": [{"name": "a", "value": 1, "step": 3}]}, "values[0].step"),
        ("runs", {"values": {"acc": {"value": 1, "timestamp": 3}}}, "values.acc.timestamp"),
        ("suggested run", {"name": "r", "values": {"acc": {"value": 1}}}, "values"),
    ],
)
def test_bodies_that_were_open_refuse_what_they_would_drop(service, path, body, field):
    """These took any field and dropped it: a batch's wrapper, a checkpoint and its
    values, a logged metric value; a run of an AI experiment took values, state... at
    creation and dropped all but its name and metadata."""
    api = Api(service)
    client = api.get("/v1/tokens/self").body["client"]
    eid = api.post("/v1/experiments", {"name": "s", "parameters": [X]}).body["id"]
    ai = api.post(
        f"/v1/clients/{client}/projects/doc/aiexperiments",
        {"name": "ai", "parameters": [X], "metrics": [{"name": "acc"}], "budget": 5},
    ).body["id"]
    rid = api.post(f"/v1/clients/{client}/projects/doc/training_runs", {"name": "r"}).body["id"]
    route = {
        "observations/batch": ("POST", f"/v1/experiments/{eid}/observations/batch"),
        "checkpoints": ("POST", f"/v1/training_runs/{rid}/checkpoints"),
        "runs": ("PUT", f"/v1/training_runs/{rid}"),
        "suggested run": ("POST", f"/v1/aiexperiments/{ai}/training_runs"),
    }[path]
    before = snapshot(api)
    reply = api.call(*route, body)
    assert reply.status == 400 and reply.body["detail"]["field"] == field, reply.body
    assert snapshot(api) == before

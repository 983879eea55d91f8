"""/v1/experiments/{eid}/observations, .../observations/batch and .../observations/{oid}.

An observation is for an open suggestion (which it closes) or for explicit
assignments; it carries a value (or one value per metric) or ``failed``.
Every check happens before anything is written, so a refused request, a
whole batch included, leaves the store unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import falcon

from sigopt_like.json_kinds import path_key

from ...domain import sigopt_rules as rules
from ...domain import sigopt_runs as run_rules
from ...domain import sigopt_tasks
from ...domain.sigopt_checks import (
    at_most_items,
    json_shown,
    known_fields,
    same_id,
    same_value,
    without_own_id,
)
from ...domain.sigopt_observations import without_echoed_values
from ...errors import BadRequest, Conflict
from ...http import now, read_json, render_page
from ...store.sigopt import (
    ExperimentRecord,
    ObservationRecord,
    SigoptStore,
    SigoptUnit,
    SuggestionRecord,
)
from . import render
from .common import (
    body_id,
    caller,
    experiment_of,
    id_order,
    invalid,
    not_found,
    path_id,
    require_active,
    require_v1_writable,
    rule_error,
    sigopt_page,
    whole,
)

FIELDS = (
    "suggestion",
    "assignments",
    "value",
    "value_stddev",
    "values",
    "failed",
    "metadata",
    "task",
)
SET_BY_SERVICE = ("id", "created", "updated")
#: rendered observations may be sent back: ``object`` and ``experiment`` (this one)
ECHOED = ("object", "experiment")
BATCH_FIELDS = ("observations",)


def _suggested(
    unit: SigoptUnit, experiment: ExperimentRecord, sid: int, field: str, claimed: set[int]
) -> SuggestionRecord:
    row = unit.suggestions.get(experiment.id, sid)
    if row is None:
        raise invalid(
            f"'{field}': there is no suggestion {sid} in experiment {experiment.id}.", field
        )
    if row.deleted:
        raise Conflict(f"'{field}': suggestion {sid} was deleted.", detail={"field": field})
    if row.state != "open" or sid in claimed:
        raise Conflict(
            f"'{field}': suggestion {sid} is closed: it already has an observation.",
            detail={"field": field},
        )
    return row


def _task(
    experiment: ExperimentRecord, body: Mapping[str, Any], prefix: str, suggested: str | None
) -> str | None:
    """The observation's task: its suggestion's when it has one (``task`` is then
    refused, as SigOpt refuses it, even naming that task); else the one ``task`` names
    (a name, or an object with a name). Outside a multitask experiment ``task`` may
    only be null."""
    field = f"{prefix}task"
    raw = body.get("task")
    if not experiment.tasks:
        if raw is not None:
            raise invalid(
                f"'{field}': experiment {experiment.id} is not multitask; leave 'task' out.",
                field,
            )
        return None
    if suggested is not None:
        if raw is not None:
            raise BadRequest(
                f"'{field}': an observation of a suggestion has the suggestion's task "
                f"({json_shown(suggested)}) and no other; leave 'task' out.",
                detail={"field": field},
            )
        return suggested
    if raw is None:
        raise invalid(
            f"'{field}' is missing: give 'suggestion', or 'assignments' and 'task' "
            "(one of the experiment's tasks), when creating an observation.",
            field,
        )
    try:
        return str(sigopt_tasks.task(experiment.tasks, raw, field)["name"])
    except rules.RuleError as err:
        raise rule_error(err) from err


def _check_keys(body: Mapping[str, Any], prefix: str, experiment: ExperimentRecord) -> None:
    """Known fields only: ``object`` and ``experiment`` as rendered may be sent back
    (``experiment`` naming this one); what the service sets is refused, not dropped."""
    for key, value in body.items():
        where = f"{prefix}{path_key(key)}"
        if key in SET_BY_SERVICE:
            raise BadRequest(
                f"'{where}' is set by the service; leave it out.", detail={"field": where}
            )
        if key == "object" and value != "observation":
            raise BadRequest(
                f"'{where}' must be \"observation\", not {json_shown(value)}.",
                detail={"field": where},
            )
        if key == "experiment" and str(value) != str(experiment.id):
            raise BadRequest(
                f"'{where}' is {json_shown(value)} but this is experiment {experiment.id}.",
                detail={"field": where},
            )
        if key not in FIELDS and key not in ECHOED:
            raise BadRequest(
                f"'{where}' is not a field of an observation (fields: {', '.join(FIELDS)}).",
                detail={"field": where},
            )


def prepare(
    unit: SigoptUnit,
    experiment: ExperimentRecord,
    body: Any,
    prefix: str = "",
    claimed: set[int] | None = None,
) -> dict[str, Any]:
    """The values of one new observation, checked; raises the API error otherwise.

    ``claimed`` holds suggestion ids already used earlier in the same batch.
    """
    claimed = claimed if claimed is not None else set()
    if not isinstance(body, Mapping):
        where = prefix.rstrip(".") or "body"
        raise BadRequest(f"'{where}' must be an object.", detail={"field": where})
    _check_keys(body, prefix, experiment)
    definition = experiment.definition()
    sid = body_id(body.get("suggestion"), f"{prefix}suggestion")
    if sid is not None and body.get("assignments") is not None:
        raise _both(prefix)
    suggested = (
        None if sid is None else _suggested(unit, experiment, sid, f"{prefix}suggestion", claimed)
    )
    task = _task(experiment, body, prefix, None if suggested is None else suggested.task)
    try:
        if suggested is not None:
            assignments = suggested.assignments
        elif body.get("assignments") is None:
            raise invalid(
                f"'{prefix}assignments' is missing: give 'suggestion' (an open suggestion "
                "id) or 'assignments'.",
                f"{prefix}assignments",
            )
        else:
            assignments = _assignments(definition, body["assignments"])
            rules.check_constraints(definition["linear_constraints"], assignments)
        values, failed = rules.observation_values(definition["metrics"], body)
        meta = rules.metadata(body.get("metadata"))
    except rules.RuleError as err:
        raise rule_error(err, prefix) from err
    stamp = now()
    return {
        "experiment_id": experiment.id,
        "suggestion_id": sid,
        "assignments": assignments,
        "values": values,
        "failed": failed,
        "metadata": meta,
        "created": stamp,
        "updated": stamp,
        "task": task,
    }


def _both(prefix: str) -> BadRequest:
    """SigOpt's refusal of an observation given both a suggestion and assignments
    (``validate_mutually_exclusive_properties``), even when they are the suggestion's."""
    field = f"{prefix}assignments"
    return BadRequest(
        f"'{field}': cannot specify `suggestion` and `assignments`: an observation of a "
        "suggestion has the suggestion's assignments; give one of them, as SigOpt requires.",
        detail={"field": field},
    )


def _suggested_assignments(suggestion: int) -> BadRequest:
    """An update that sends ``assignments`` without ``suggestion`` to an observation of a
    suggestion: they are the suggestion's and cannot change. Before, SigOpt's "cannot
    specify `suggestion` and `assignments`" told a caller who had sent no suggestion."""
    return BadRequest(
        f"'assignments': this update sends assignments but no 'suggestion', and this "
        f"observation is of suggestion {suggestion}, whose assignments it keeps: they cannot "
        "change. Leave 'assignments' out of the update (to observe other assignments, "
        "create a new observation with them).",
        detail={"field": "assignments"},
    )


def _assignments(definition: Mapping[str, Any], raw: Any) -> dict[str, Any]:
    return rules.assignments(definition["parameters"], raw, conditionals=definition["conditionals"])


class ObservationCollection:
    """Create one observation; list them (newest first); delete them all."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_post(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """Record one observation (closing its suggestion, if any)."""
        owner = caller(req, self.context)
        body = read_json(req)
        with self.store.write() as unit:
            experiment = experiment_of(unit, eid, owner)
            require_v1_writable(experiment)
            require_active(experiment)
            row = unit.observations.create(prepare(unit, experiment, body))
        resp.media = render.observation(row, experiment.tasks)
        resp.status = falcon.HTTP_201

    def on_get(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """A page of the experiment's observations (newest first; ``ascending=true`` oldest)."""
        owner = caller(req, self.context)
        request, ascending = sigopt_page(req), id_order(req)
        with self.store.read() as unit:
            experiment = experiment_of(unit, eid, owner)
            page = unit.observations.page(experiment.id, request, ascending=ascending)
        resp.media = render_page(page, lambda row: render.observation(row, experiment.tasks))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """Delete every observation of the experiment."""
        owner = caller(req, self.context)
        with self.store.write() as unit:
            experiment = experiment_of(unit, eid, owner)
            require_v1_writable(experiment)
            unit.observations.delete(experiment.id)
        resp.status = falcon.HTTP_204


class ObservationBatch:
    """Create many observations at once: all of them, or none."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_post(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """``{"observations": [...]}`` -> a pagination of the created observations, in order."""
        owner = caller(req, self.context)
        body = read_json(req)
        try:
            known_fields(body, BATCH_FIELDS, "", "observation batch")
        except rules.RuleError as err:
            raise rule_error(err) from err
        items = body.get("observations")
        if not isinstance(items, list):
            raise BadRequest(
                "'observations' must be a list of observation objects.",
                detail={"field": "observations"},
            )
        try:
            at_most_items(items, "observations", "observations")
        except rules.RuleError as err:
            raise rule_error(err) from err
        with self.store.write() as unit:
            experiment = experiment_of(unit, eid, owner)
            require_v1_writable(experiment)
            require_active(experiment)
            claimed: set[int] = set()
            prepared = []
            for i, item in enumerate(items):
                values = prepare(unit, experiment, item, f"observations[{i}].", claimed)
                if values["suggestion_id"] is not None:
                    claimed.add(values["suggestion_id"])
                prepared.append(values)
            rows = [unit.observations.create(values) for values in prepared]
        resp.media = whole([render.observation(row, experiment.tasks) for row in rows])
        resp.status = falcon.HTTP_201


class ObservationItem:
    """Fetch, update (PUT, partial) and delete one observation."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def _row(self, unit: SigoptUnit, experiment: ExperimentRecord, oid: str) -> ObservationRecord:
        row = unit.observations.get(experiment.id, path_id(oid, "observation"))
        if row is None:
            raise not_found("observation", oid, f"experiment {experiment.id}")
        return row

    def on_get(self, req: falcon.Request, resp: falcon.Response, eid: str, oid: str) -> None:
        """The observation."""
        owner = caller(req, self.context)
        with self.store.read() as unit:
            experiment = experiment_of(unit, eid, owner)
            resp.media = render.observation(self._row(unit, experiment, oid), experiment.tasks)

    def on_put(self, req: falcon.Request, resp: falcon.Response, eid: str, oid: str) -> None:
        """Change value(s), value_stddev, failed, metadata or assignments."""
        owner = caller(req, self.context)
        body = read_json(req)
        with self.store.write() as unit:
            experiment = experiment_of(unit, eid, owner)
            require_v1_writable(experiment)
            row = self._row(unit, experiment, oid)
            try:  # sent back whole, it carries its own id (taken; another is a 400)
                body = without_own_id(body, str(row.id), "observation")
                # and what the service sets, as a GET answers it now (another is a 400)
                shown = render.observation(row, experiment.tasks)
                body = run_rules.without_echoes(body, shown, SET_BY_SERVICE, "observation")
                body = _without_echoed_assignments(body, shown)
                body = _without_echoed_task(body, shown)
                body = without_echoed_values(body, shown)
            except rules.RuleError as err:
                raise rule_error(err) from err
            _check_keys(body, "", experiment)
            unit.observations.update(row.id, _changes(experiment, row, body), now())
            resp.media = render.observation(self._row(unit, experiment, oid), experiment.tasks)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, eid: str, oid: str) -> None:
        """Delete the observation (its suggestion stays closed)."""
        owner = caller(req, self.context)
        with self.store.write() as unit:
            experiment = experiment_of(unit, eid, owner)
            require_v1_writable(experiment)
            row = self._row(unit, experiment, oid)
            unit.observations.delete(experiment.id, row.id)
        resp.status = falcon.HTTP_204


def _without_echoed_assignments(
    body: Mapping[str, Any], shown: Mapping[str, Any]
) -> dict[str, Any]:
    """An update of an observation of a suggestion sent back whole, with its suggestion
    and the suggestion's assignments as rendered, without them: no change. Other ones sent
    with the suggestion are a 400 saying they are the suggestion's (SigOpt's "cannot
    specify `suggestion` and `assignments`" misled a caller sending back what a GET
    shows, edited); assignments
    without the suggestion stay refused as SigOpt refuses them."""
    if shown["suggestion"] is not None and same_id(body.get("suggestion"), shown["suggestion"]):
        if same_value(body.get("assignments"), shown["assignments"]):
            return {k: v for k, v in body.items() if k != "assignments"}
        if body.get("assignments") is not None:
            raise rules.RuleError(
                "'assignments' of this observation are its suggestion's (suggestion "
                f"{shown['suggestion']}) and cannot change; send them as a GET shows them "
                "or leave 'assignments' out of the update.",
                "assignments",
                400,
            )
    return dict(body)


def _without_echoed_task(body: Mapping[str, Any], shown: Mapping[str, Any]) -> dict[str, Any]:
    """An update of an observation of a suggestion sent back whole, with its suggestion
    and its task as rendered, without the task: no change (as a suggestion's). Before, the
    task a GET shows was a 400 "an observation of a suggestion has the suggestion's task";
    another task still is, and so is any task sent without the suggestion, as SigOpt has
    it."""
    if (
        shown["suggestion"] is not None
        and same_id(body.get("suggestion"), shown["suggestion"])
        and "task" in body
        and same_value(body["task"], shown["task"])
    ):
        return {k: v for k, v in body.items() if k != "task"}
    return dict(body)


def _changes(
    experiment: ExperimentRecord, row: ObservationRecord, body: Mapping[str, Any]
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    suggestion = body_id(body.get("suggestion"), "suggestion")
    if suggestion is not None and suggestion != row.suggestion_id:
        raise invalid("'suggestion' of an observation cannot change.", "suggestion")
    # null where the observation has a value cannot clear it (SigOpt refuses both: "Cannot
    # provide null for `assignments` without providing `suggestion`", and the reverse);
    # where it has none, null is what it has
    if "suggestion" in body and body["suggestion"] is None and row.suggestion_id is not None:
        raise invalid(
            f"'suggestion' of an observation cannot change: null would take it from "
            f"suggestion {row.suggestion_id}; leave 'suggestion' out of the update.",
            "suggestion",
        )
    if "assignments" in body and body["assignments"] is None and row.suggestion_id is None:
        raise invalid(
            "'assignments' cannot be null: an observation without a suggestion keeps its "
            "own assignments; leave 'assignments' out of the update to keep them.",
            "assignments",
        )
    definition = experiment.definition()
    try:
        if body.get("assignments") is not None:
            if row.suggestion_id is not None:
                raise _suggested_assignments(row.suggestion_id)
            assignments = _assignments(definition, body["assignments"])
            rules.check_constraints(definition["linear_constraints"], assignments)
            changes["assignments"] = assignments
        if any(k in body for k in ("value", "value_stddev", "values", "failed")):
            merged = rules.observation_update_body(row.values, row.failed, body)
            values, failed = rules.observation_values(definition["metrics"], merged)
            changes["values"] = values
            changes["failed"] = failed
        if "metadata" in body:
            # its stored keys sent back are taken, though stored before the names' rule
            changes["metadata"] = rules.metadata(body["metadata"], kept=row.metadata or {})
    except rules.RuleError as err:
        raise rule_error(err) from err
    if "task" in body:
        changes.update(_task_change(experiment, row, body))
    return changes


def _task_change(
    experiment: ExperimentRecord, row: ObservationRecord, body: Mapping[str, Any]
) -> dict[str, Any]:
    """An update's ``task``: null is refused in a multitask experiment (an observation
    there always has a task); an observation of a suggestion keeps the suggestion's."""
    if experiment.tasks and body["task"] is None:
        raise invalid(
            "'task' cannot be null: an observation of a multitask experiment has a task; "
            "leave 'task' out of the update to keep it.",
            "task",
        )
    suggested = row.task if row.suggestion_id is not None else None
    task = _task(experiment, body, "", suggested)
    return {} if task is None else {"task": task}

"""/v1/training_runs/{rid} (GET, PUT, PATCH and sigopt-python's MERGE, DELETE) and
/v1/training_runs/{rid}/checkpoints.

As SigOpt's ``TrainingRunsUpdateHandler``: PUT sets each field the body gives, a map
in place of the run's; MERGE (and PATCH) merges each map into the run's (see
``domain.sigopt_runs``). When a run of an AI experiment
finishes, in the same transaction it becomes the experiment's observation of
its suggestion: completed with the logged value of every metric, or failed.
"""

from __future__ import annotations

from typing import Any

import falcon

from ...domain import sigopt_rules as rules
from ...domain import sigopt_run_maps as run_maps
from ...domain import sigopt_runs as run_rules
from ...domain.sigopt_checks import json_shown
from ...errors import Conflict, NotFound
from ...http import now, query_flag, read_json, render_page
from ...store.sigopt import SigoptStore, SigoptUnit
from ...store.sigopt_runs import CheckpointRecord, RunRecord
from . import render_runs
from .common import caller, not_found, path_id, rule_error, sigopt_page, skips_content


def run_of(unit: SigoptUnit, raw_id: str, owner: int) -> RunRecord:
    """The caller's run with this path id, or a 404."""
    found = unit.runs.get(owner, path_id(raw_id, "training run"))
    if found is None:
        raise not_found("training run", raw_id)
    return found


def checkpoint_of(unit: SigoptUnit, run: RunRecord, raw_id: str) -> CheckpointRecord:
    """The run's checkpoint with this path id, or a 404."""
    checkpoint_id = path_id(raw_id, "checkpoint")
    found = unit.runs.checkpoint(run.id, checkpoint_id)
    if found is None:
        raise NotFound(
            f"No checkpoint with id {json_shown(str(checkpoint_id))} for training run {run.id}.",
            detail={"field": "checkpoint"},
        )
    return found


def apply_update(
    unit: SigoptUnit,
    owner: int,
    run: RunRecord,
    body: Any,
    prefix: str = "",
    *,
    replace: bool = False,
    creating: bool = False,
) -> RunRecord:
    """Check and apply one update body to ``run``; report it to its experiment when it
    finishes. ``replace`` (PUT) sets each map the body gives in place of the run's, as
    SigOpt's PUT does; otherwise (MERGE, PATCH, a create's fields) each is merged into
    the run's. ``prefix`` is where the body sits in the request (``runs[2].`` in a batch),
    for the field an error names; ``creating``: the body is a new run's (whose fields
    moved by other requests can be no stale echo). Call it in a write unit: a refusal
    found after the writes (a field sent back that is not as the run renders) undoes
    them."""
    try:
        stored = (run.metadata, run.assignments, run.values, *run_rules.named_maps(run.fields))
        update = run_rules.run_update(body, kept=run_rules.run_names(run.name, *stored))
        meta = update.fields.get("assignments_meta")
        if meta:
            given = [k for k, v in (update.assignments or {}).items() if v is not None]
            run_maps.check_meta_names(meta, [*given, *run.assignments])
            run_maps.check_reserved_sources(meta, run.fields.get("assignments_meta"))
        changes: dict[str, Any] = dict(update.columns)
        if "metadata" in changes:
            changes["metadata"] = run_rules.merged_metadata(
                run.metadata, changes["metadata"], replace=replace
            )
        experiment = unit.experiments.get(owner, run.experiment_id) if run.experiment_id else None
        values = _next(run.values, update.values, "values" in update.cleared, replace)
        run_rules.check_entries("values", values)
        if experiment is not None and run.state in run_rules.FINISHED:
            assignments = _next(
                run.assignments, update.assignments, "assignments" in update.cleared, replace
            )
            final = [
                k
                for k, now_, then in (
                    ("values", values, run.values),
                    ("assignments", assignments, run.assignments),
                )
                if now_ != then
            ]
            if final:
                raise Conflict(
                    f"Training run {run.id} is {run.state}; its values and assignments are final.",
                    detail={"field": final[0]},
                )
        if update.fields or set(update.cleared) & set(run.fields):
            changes["fields"] = run_rules.merged(run.fields, update, replace=replace)
        fixed = _suggested(unit, run) if experiment is not None else []
        if "assignments" in update.cleared:
            changes["assignments"] = run_rules.cleared_assignments(run.assignments, fixed)
        if update.assignments is not None:
            changes["assignments"] = run_rules.merged_assignments(
                run.assignments, update.assignments, fixed, replace=replace
            )
            run_rules.check_entries("assignments", changes["assignments"])
        if values != run.values:
            changes["values"] = values
        if update.state is not None and update.state != run.state:
            null = "state" in body and body["state"] is None
            run_rules.check_state_change(run.state, update.state, null=null)
            changes["state"] = update.state
            stamp = now()
            if update.state in run_rules.FINISHED and run.completed is None:
                changes["completed"] = stamp
            if experiment is not None:
                reported, failed = run_rules.observation_of_run(
                    experiment.metrics, values, update.state
                )
                changes["observation_id"] = _report(unit, run, reported, failed, stamp)
    except rules.RuleError as err:
        raise rule_error(err, prefix) from err
    if changes:
        unit.runs.update(run.id, changes, now())
    fresh = unit.runs.get(owner, run.id)
    assert fresh is not None  # in the same transaction
    try:
        run_rules.check_echoed(body, render_runs.training_run(fresh), fetched=not creating)
    except rules.RuleError as err:
        raise rule_error(err, prefix) from err
    return fresh


def _next(
    current: dict[str, Any], given: dict[str, Any] | None, cleared: bool, replace: bool
) -> dict[str, Any]:
    """A run's values or assignments after an update (no check of what a suggestion
    fixed: that is ``merged_assignments``'s)."""
    if cleared:
        return {}
    if given is None:
        return current
    return run_rules.next_map(current, given, replace=replace)


def _suggested(unit: SigoptUnit, run: RunRecord) -> list[str]:
    """The names of the assignments a run of an AI experiment was suggested, which cannot
    change (those it logged beside them can); all its assignments when its suggestion is
    not found."""
    assert run.experiment_id is not None
    suggestion = (
        unit.suggestions.get(run.experiment_id, run.suggestion_id)
        if run.suggestion_id is not None
        else None
    )
    return list(suggestion.assignments if suggestion is not None else run.assignments)


def _report(
    unit: SigoptUnit, run: RunRecord, values: list[dict[str, Any]], failed: bool, stamp: int
) -> int:
    """Create (or, from completed to failed, change) the run's observation; its id."""
    if run.observation_id is not None:
        unit.observations.update(run.observation_id, {"values": values, "failed": failed}, stamp)
        return run.observation_id
    assert run.experiment_id is not None
    suggestion = (
        unit.suggestions.get(run.experiment_id, run.suggestion_id)
        if run.suggestion_id is not None
        else None
    )
    open_suggestion = (
        suggestion is not None and suggestion.state == "open" and not suggestion.deleted
    )
    # the observation holds the suggested assignments; other logged parameters stay on the run
    suggested = suggestion.assignments if suggestion is not None else run.assignments
    row = unit.observations.create(
        {
            "experiment_id": run.experiment_id,
            "suggestion_id": run.suggestion_id if open_suggestion else None,
            "assignments": {k: run.assignments.get(k, v) for k, v in suggested.items()},
            "values": values,
            "failed": failed,
            "metadata": None,
            "created": stamp,
            "updated": stamp,
        }
    )
    return row.id


class TrainingRunItem:
    """Fetch, update (PUT replaces the maps it gives; PATCH and MERGE merge them) and
    archive (DELETE) one run."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_get(self, req: falcon.Request, resp: falcon.Response, rid: str) -> None:
        """The run."""
        owner = caller(req, self.context)
        with self.store.read() as unit:
            resp.media = render_runs.training_run(run_of(unit, rid, owner))

    def on_patch(self, req: falcon.Request, resp: falcon.Response, rid: str) -> None:
        """Merge the body into the run (sigopt-python sends this as MERGE)."""
        self._update(req, resp, rid, replace=False)

    def on_put(self, req: falcon.Request, resp: falcon.Response, rid: str) -> None:
        """Set each field the body gives, a map in place of the run's (SigOpt's PUT)."""
        self._update(req, resp, rid, replace=True)

    def _update(
        self, req: falcon.Request, resp: falcon.Response, rid: str, *, replace: bool
    ) -> None:
        owner = caller(req, self.context)
        body = read_json(req)
        with self.store.write() as unit:
            # its experiment's row before its own, as every write that locks both
            unit.runs.lock_experiment_of(owner, path_id(rid, "training run"))
            run = apply_update(unit, owner, run_of(unit, rid, owner), body, replace=replace)
        if skips_content(req):
            resp.status = falcon.HTTP_204
            return
        resp.media = render_runs.training_run(run)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, rid: str) -> None:
        """Archive the run (``PUT {"deleted": false}`` brings it back)."""
        owner = caller(req, self.context)
        with self.store.write() as unit:
            run = run_of(unit, rid, owner)
            unit.runs.update(run.id, {"deleted": True}, now())
        resp.status = falcon.HTTP_204


class Checkpoints:
    """A run's checkpoints: create one (``values``, ``metadata``); list them."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_post(self, req: falcon.Request, resp: falcon.Response, rid: str) -> None:
        """Record a checkpoint of an active run."""
        owner = caller(req, self.context)
        body = read_json(req)
        with self.store.write() as unit:
            run = run_of(unit, rid, owner)
            try:  # a metric the run logged already may keep a name stored before the rule
                values, meta = run_rules.checkpoint(body, kept=run.values)
            except rules.RuleError as err:
                raise rule_error(err) from err
            if run.experiment_id is not None and run.state in run_rules.FINISHED:
                raise Conflict(
                    f"Training run {run.id} is {run.state}: it is its experiment's observation "
                    "now, and takes no more checkpoints.",
                    detail={"field": "state"},
                )
            if run.checkpoint_count >= run_rules.MAX_CHECKPOINTS:
                raise Conflict(
                    f"Training run {run.id} has {run.checkpoint_count} checkpoints, the most a "
                    f"run keeps ({run_rules.MAX_CHECKPOINTS}, as SigOpt).",
                    detail={"field": "values"},
                )
            row = unit.runs.add_checkpoint(run.id, values, meta, now())
        if skips_content(req):
            resp.status = falcon.HTTP_204
            return
        resp.media = render_runs.checkpoint(row)
        resp.status = falcon.HTTP_201

    def on_get(self, req: falcon.Request, resp: falcon.Response, rid: str) -> None:
        """A page of the run's checkpoints."""
        owner = caller(req, self.context)
        request, ascending = sigopt_page(req), bool(query_flag(req, "ascending"))
        with self.store.read() as unit:
            page = unit.runs.checkpoints(run_of(unit, rid, owner).id, request, ascending=ascending)
        resp.media = render_page(page, render_runs.checkpoint)


class CheckpointItem:
    """GET one checkpoint of a run (sigopt-python's
    ``conn.training_runs(r).checkpoints(c).fetch()``)."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_get(self, req: falcon.Request, resp: falcon.Response, rid: str, ckid: str) -> None:
        """The checkpoint; a 404 when the run has no checkpoint of that id."""
        owner = caller(req, self.context)
        with self.store.read() as unit:
            found = checkpoint_of(unit, run_of(unit, rid, owner), ckid)
        resp.media = render_runs.checkpoint(found)

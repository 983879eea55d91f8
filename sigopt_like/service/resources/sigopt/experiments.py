"""/v1/experiments, /v1/experiments/{eid} and /v1/experiments/{eid}/best_assignments."""

from __future__ import annotations

import secrets
from typing import Any

import falcon

from ...domain import sigopt_rules as rules
from ...errors import BadRequest
from ...http import now, page_request, read_json, render_page
from ...store.sigopt import SigoptStore, SigoptUnit
from . import render
from .common import caller, experiment_of, rule_error, whole_or_paged

LIST_STATES = ("active", "deleted", "all")


def create_and_render(
    store: SigoptStore,
    owner: int,
    body: Any,
    *,
    kind: str,
    project: str | None = None,
    render_fn: Any = None,
) -> dict[str, Any]:
    """Check a create body, store the experiment (filing it in ``project``, or in the
    body's ``project``), and render it."""
    try:
        definition = rules.experiment_create(
            body, budget_field="budget" if kind == "aiexperiment" else "observation_budget"
        )
    except rules.RuleError as err:
        raise rule_error(err) from err
    key = project or definition["project"]
    stamp = now()
    seed = definition["seed"] if definition["seed"] is not None else secrets.randbits(31)
    with store.write() as unit:
        project_id = unit.projects.get_or_create(owner, key, stamp).id if key else None
        record = unit.experiments.create(
            owner, definition, kind=kind, seed=seed, project_id=project_id, stamp=stamp
        )
        return (render_fn or render.experiment)(unit, record)


def list_state(req: falcon.Request) -> str:
    """The ``state`` filter of a list: active (default), deleted or all."""
    state = req.get_param("state", default="active")  # blank is not active
    if state not in LIST_STATES:
        raise BadRequest(
            f"The query parameter 'state' must be one of {', '.join(LIST_STATES)}, not {state!r}.",
            detail={"field": "state"},
        )
    return state


class ExperimentCollection:
    """Create an experiment; list the caller's experiments (newest first)."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Create an experiment from SigOpt's JSON."""
        owner = caller(req, self.context)
        resp.media = create_and_render(self.store, owner, read_json(req), kind="experiment")
        resp.status = falcon.HTTP_201

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """A page of the caller's experiments: ``state`` active (default), deleted or all;
        ``search`` filters on the name."""
        owner = caller(req, self.context)
        state = list_state(req)
        request = page_request(req)
        with self.store.read() as unit:
            page = unit.experiments.page(
                owner, request, kind="experiment", state=state, search=req.get_param("search")
            )
            resp.media = render_page(page, lambda r: render.experiment(unit, r))


class ExperimentItem:
    """Fetch, update (PUT, partial) and delete (soft: state becomes 'deleted') one experiment."""

    kind: str | None = None  # an AI experiment is also an experiment

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def _render(self, unit: SigoptUnit, record: Any) -> dict[str, Any]:
        return render.experiment(unit, record)

    def on_get(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """The experiment, with its progress."""
        owner = caller(req, self.context)
        with self.store.read() as unit:
            resp.media = self._render(unit, experiment_of(unit, eid, owner, self.kind))

    def on_put(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """Change name, metadata, the budget, parallel_bandwidth or state."""
        owner = caller(req, self.context)
        body = read_json(req)
        with self.store.write() as unit:
            record = experiment_of(unit, eid, owner, self.kind)
            try:
                changes = rules.experiment_update(body, record.definition())
            except rules.RuleError as err:
                raise rule_error(err) from err
            unit.experiments.update(record.id, changes, now())
            fresh = unit.experiments.get(owner, record.id)
            assert fresh is not None  # in the same transaction
            resp.media = self._render(unit, fresh)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """Mark the experiment deleted (it stays fetchable, with state 'deleted')."""
        owner = caller(req, self.context)
        with self.store.write() as unit:
            record = experiment_of(unit, eid, owner, self.kind)
            if record.state != "deleted":
                unit.experiments.update(record.id, {"state": "deleted"}, now())
        resp.status = falcon.HTTP_204


class BestAssignments:
    """The best observed assignments (see ``domain.sigopt_best``), as a pagination."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_get(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """The best observations, best first (none before a valid observation)."""
        owner = caller(req, self.context)
        page_request(req)  # checked before any work
        with self.store.read() as unit:
            rows = render.best_rows(unit, experiment_of(unit, eid, owner))
        # all of them, as ever (a front, many feasible points); pages when asked
        resp.media = whole_or_paged([render.best_assignments(row) for row in rows], req)

"""/v1/experiments/{eid}/queued_suggestions and .../queued_suggestions/{qid}.

SigOpt's queued suggestions: assignments a user lines up (a known good recipe, a
baseline to measure first). The next suggestion asked for without assignments serves
the oldest one and removes it from the queue (``suggestions.suggest``); until then it
can be listed, fetched and deleted. Assignments are checked as a suggestion's given
``assignments`` are, when queued, so a queued one is always one the experiment takes.
"""

from __future__ import annotations

from typing import Any

import falcon

from ...domain import sigopt_rules as rules
from ...domain import sigopt_tasks
from ...domain.sigopt_checks import known_fields
from ...errors import BadRequest
from ...http import now, read_json, render_page
from ...store.sigopt import ExperimentRecord, QueuedSuggestionRecord, SigoptStore, SigoptUnit
from . import render
from .common import (
    caller,
    experiment_of,
    not_found,
    path_id,
    require_active,
    require_v1_writable,
    rule_error,
    sigopt_page,
)

#: what a queued suggestion create takes
CREATE_FIELDS = ("assignments", "task")


def _task(experiment: ExperimentRecord, raw: Any) -> str | None:
    """A queued suggestion's task: required in a multitask experiment (as SigOpt's), only
    null elsewhere."""
    if not experiment.tasks:
        if raw is not None:
            raise rules.RuleError(
                "'task' should only be present for multitask experiments.", "task"
            )
        return None
    if raw is None:
        raise rules.RuleError(
            "'task' is missing: a queued suggestion of a multitask experiment names one of "
            "its tasks.",
            "task",
        )
    return str(sigopt_tasks.task(experiment.tasks, raw)["name"])


class QueuedSuggestionCollection:
    """Queue assignments; list the queue; empty it."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_post(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """Queue ``assignments`` for one of the next suggestions."""
        owner = caller(req, self.context)
        body = read_json(req)
        try:
            known_fields(body, CREATE_FIELDS, "", "queued_suggestion")
        except rules.RuleError as err:
            raise rule_error(err) from err
        if body.get("assignments") is None:
            raise BadRequest(
                "A queued suggestion needs 'assignments': the parameters' values to try.",
                detail={"field": "assignments"},
            )
        with self.store.write() as unit:
            experiment = experiment_of(unit, eid, owner)
            require_v1_writable(experiment)
            require_active(experiment)
            definition = experiment.definition()
            try:
                chosen = rules.assignments(
                    definition["parameters"],
                    body["assignments"],
                    conditionals=definition["conditionals"],
                )
                rules.check_constraints(definition["linear_constraints"], chosen)
                task = _task(experiment, body.get("task"))
            except rules.RuleError as err:
                raise rule_error(err) from err
            row = unit.queued.create(experiment.id, chosen, now(), task)
        resp.media = render.queued_suggestion(row, experiment.tasks)
        resp.status = falcon.HTTP_201

    def on_get(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """A page of the queue, newest first."""
        owner = caller(req, self.context)
        request = sigopt_page(req)
        with self.store.read() as unit:
            experiment = experiment_of(unit, eid, owner)
            page = unit.queued.page(experiment.id, request)
        resp.media = render_page(page, lambda row: render.queued_suggestion(row, experiment.tasks))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """Empty the queue."""
        owner = caller(req, self.context)
        with self.store.write() as unit:
            experiment = experiment_of(unit, eid, owner)
            require_v1_writable(experiment)
            unit.queued.delete(experiment.id)
        resp.status = falcon.HTTP_204


class QueuedSuggestionItem:
    """Fetch or delete one queued suggestion (a served one is gone: 404)."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def _row(
        self, unit: SigoptUnit, experiment: ExperimentRecord, qid: str
    ) -> QueuedSuggestionRecord:
        row = unit.queued.get(experiment.id, path_id(qid, "queued suggestion"))
        if row is None:
            raise not_found("queued suggestion", qid, f"experiment {experiment.id}")
        return row

    def on_get(self, req: falcon.Request, resp: falcon.Response, eid: str, qid: str) -> None:
        """The queued suggestion."""
        owner = caller(req, self.context)
        with self.store.read() as unit:
            experiment = experiment_of(unit, eid, owner)
            resp.media = render.queued_suggestion(
                self._row(unit, experiment, qid), experiment.tasks
            )

    def on_delete(self, req: falcon.Request, resp: falcon.Response, eid: str, qid: str) -> None:
        """Take the queued suggestion out of the queue."""
        owner = caller(req, self.context)
        with self.store.write() as unit:
            experiment = experiment_of(unit, eid, owner)
            require_v1_writable(experiment)
            unit.queued.delete(experiment.id, self._row(unit, experiment, qid).id)
        resp.status = falcon.HTTP_204

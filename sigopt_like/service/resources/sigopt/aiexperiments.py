"""/v1/aiexperiments/{eid} and its training runs: what ``sigopt.create_experiment``
and ``for run in experiment.loop()`` use.

An AI experiment is an experiment whose observations come from training runs:
each run created in it carries a new suggestion's assignments, and reports its
observation when it finishes (see ``runs``). Its ``budget`` is the number of
runs; ``progress.remaining_budget`` counts the runs not archived, active ones
included, so parallel loops stop at the budget together.
"""

from __future__ import annotations

from typing import Any

import falcon

from ...domain import sigopt_run_maps as run_maps
from ...domain import sigopt_runs as run_rules
from ...domain.sigopt_checks import RuleError, json_shown
from ...errors import BadRequest
from ...http import now, read_json
from ...store.sigopt import SigoptStore
from . import render, render_runs
from .common import caller, experiment_of, path_id, rule_error, whole_or_paged
from .experiments import ExperimentItem
from .suggestions import suggest


class AIExperimentItem(ExperimentItem):
    """Fetch, update and archive (DELETE) one AI experiment."""

    kind = "aiexperiment"

    def _render(self, unit: Any, record: Any) -> dict[str, Any]:
        return render_runs.aiexperiment(unit, record)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """Archive the AI experiment; ``include_runs=true`` archives its runs too."""
        # blank is not "false"; any case, as SigOpt lowers it (not 1 or 0: SigOpt refuses them)
        include = req.get_param("include_runs", default="false").lower()
        if include not in ("true", "false"):
            raise BadRequest(
                "The query parameter 'include_runs' must be true or false, not "
                f"{json_shown(include)}.",
                detail={"field": "include_runs"},
            )
        owner = caller(req, self.context)
        with self.store.write() as unit:
            # the experiment's row, then its runs' (the order: Runs.lock_experiment_of)
            record = experiment_of(unit, eid, owner, self.kind)
            if record.state != "deleted":
                unit.experiments.update(record.id, {"state": "deleted"}, now())
            if include == "true":
                unit.runs.archive_of_experiment(record.id, now())
        resp.status = falcon.HTTP_204


class AIExperimentRuns:
    """POST: a new run of the experiment, with the next suggestion's assignments."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_post(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """Suggest, then create the run that will try the suggestion."""
        owner = caller(req, self.context)
        body = read_json(req, required=False)
        try:
            fields = run_rules.run_create(body, suggested=True)
            shown = render_runs.new_suggested_run(owner, path_id(eid, "AI experiment"))
            run_rules.check_echoed(body, shown)  # before the suggestion is made
        except RuleError as err:
            raise rule_error(err) from err
        # the suggestion and its run are one transaction: the experiment's lock that the
        # suggestion's write takes is held until the run is stored, so an archive comes
        # wholly before (the suggestion is refused, 409) or after (it archives the run
        # too); in two, a run was stored un-archived in an experiment archived between
        with self.store.atomic():
            run = self._suggested_run(owner, eid, fields)
        resp.media = render_runs.training_run(run)
        resp.status = falcon.HTTP_201

    def _suggested_run(self, owner: int, eid: str, fields: dict[str, Any]) -> Any:
        experiment, suggestion = suggest(self.store, self.context, owner, eid, kind="aiexperiment")
        stamp = now()
        with self.store.write() as unit:
            project_id, project_key = experiment.project_id, experiment.project
            if project_id is None or project_key is None:  # made through the v1 routes
                default = unit.projects.get_or_create(owner, "default", stamp)
                project_id, project_key = default.id, default.key
            run = unit.runs.create(
                owner,
                project_id,
                project_key=project_key,
                name=fields["name"],
                metadata=fields["metadata"],
                stamp=stamp,
                experiment_id=experiment.id,
                suggestion_id=suggestion.id,
                assignments=suggestion.assignments,
                fields=run_maps.suggested_sources(suggestion.assignments),
            )
        return run


class BestTrainingRuns:
    """The runs behind the experiment's best observations, best first."""

    def __init__(self, context: Any, store: SigoptStore, kind: str | None) -> None:
        self.context = context
        self.store = store
        self.kind = kind

    def on_get(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        owner = caller(req, self.context)
        with self.store.read() as unit:
            experiment = experiment_of(unit, eid, owner, self.kind)
            best = render.best_rows(unit, experiment)
            runs = unit.runs.of_observations(experiment.id, [row.id for row in best])
        data = [render_runs.training_run(runs[row.id]) for row in best if row.id in runs]
        resp.media = whole_or_paged(data, req)  # SigOpt pages them (limit, before, after)

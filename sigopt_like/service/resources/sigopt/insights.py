"""/v1/experiments/{eid}/stopping_criteria, .../importances and .../metric_importances.

What sigopt-python's ``stopping_criteria()``, ``importances()`` and
``metric_importances()`` fetch: whether to stop and why, and how much each parameter
explains each metric (``domain.sigopt_insights`` says how both are worked out).
"""

from __future__ import annotations

from typing import Any

import falcon

from ...domain import sigopt_insights as insights
from ...domain import sigopt_rules as rules
from ...domain.sigopt_checks import json_shown
from ...domain.sigopt_metrics import lead
from ...errors import Conflict
from ...store.sigopt import ExperimentRecord, SigoptStore
from .common import caller, experiment_of, invalid, sigopt_page, whole_or_paged

MAX_IMPORTANCE_OBSERVATIONS = 1000
"""Importances are fitted to the latest this many observations: a forest of 100 trees on
1,000 points takes about 0.6 s on one core, once per metric asked for."""


class _ObservationsRead:
    """A read of the caller's experiment and its observations (the latest ``latest``)."""

    latest: int | None = None

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def observed(
        self, req: falcon.Request, eid: str
    ) -> tuple[ExperimentRecord, list[rules.Observed]]:
        owner = caller(req, self.context)
        with self.store.read() as unit:
            experiment = experiment_of(unit, eid, owner)
            rows = unit.observations.all(experiment.id, latest=self.latest)
        observed = [rules.Observed(r.id, r.assignments, r.values_by_name(), r.failed) for r in rows]
        return experiment, observed


def _importances(
    experiment: ExperimentRecord, observed: list[rules.Observed], metric: str | None
) -> dict[str, float]:
    try:
        return insights.importances(experiment.definition(), observed, metric, experiment.seed)
    except insights.TooFewObservations as err:
        raise Conflict(str(err), detail={"field": "experiment"}) from err


class StoppingCriteria(_ObservationsRead):
    """Whether the experiment should stop, and why (every observation counts)."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        experiment, observed = self.observed(req, eid)
        reasons = insights.stopping_reasons(
            experiment.definition(), observed, experiment.observation_budget
        )
        resp.media = {
            "object": "stopping_criteria",
            "should_stop": bool(reasons),
            "reasons": reasons,
        }


class Importances(_ObservationsRead):
    """Each parameter's importance for the (first) optimized metric; in an all-constraint
    search, the first constraint metric (as the best assignments rank them), never a
    stored one."""

    latest = MAX_IMPORTANCE_OBSERVATIONS

    def on_get(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        experiment, observed = self.observed(req, eid)
        metrics = experiment.definition()["metrics"]
        resp.media = {
            "object": "importances",
            "importances": _importances(experiment, observed, lead(metrics)["name"]),
        }


class MetricImportances(_ObservationsRead):
    """Each parameter's importance for each metric (``metric=``: only that one)."""

    latest = MAX_IMPORTANCE_OBSERVATIONS

    def on_get(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        sigopt_page(req)  # checked before any work
        wanted = req.get_param("metric")
        experiment, observed = self.observed(req, eid)
        names = [m["name"] for m in experiment.definition()["metrics"]]
        if wanted is not None:
            if wanted not in names:
                raise invalid(
                    f"'metric': {json_shown(wanted)} is not a metric of this experiment "
                    f"({rules.metrics_said(names)}).",
                    "metric",
                )
            names = [wanted]
        items = [
            {
                "object": "metric_importances",
                "metric": name,
                "importances": _importances(experiment, observed, name),
            }
            for name in names
        ]
        resp.media = whole_or_paged(items, req)

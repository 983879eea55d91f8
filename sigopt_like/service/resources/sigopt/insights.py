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
from ...errors import Conflict
from ...http import page_request, paginate_list
from ...store.sigopt import ExperimentRecord, SigoptStore
from .common import caller, experiment_of, invalid, whole

MAX_IMPORTANCE_OBSERVATIONS = 1000
"""Importances are fitted to the latest this many observations: a forest of 100 trees on
1,000 points takes about 0.6 s on one core, once per metric asked for."""


def _observed(rows: list[Any]) -> list[rules.Observed]:
    return [rules.Observed(r.id, r.assignments, r.values_by_name(), r.failed) for r in rows]


class StoppingCriteria:
    """Whether the experiment should stop, and why."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_get(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        owner = caller(req, self.context)
        with self.store.read() as unit:
            experiment = experiment_of(unit, eid, owner)
            rows = unit.observations.all(experiment.id)
        reasons = insights.stopping_reasons(
            experiment.definition(), _observed(rows), experiment.observation_budget
        )
        resp.media = {
            "object": "stopping_criteria",
            "should_stop": bool(reasons),
            "reasons": reasons,
        }


def _importances(
    experiment: ExperimentRecord, rows: list[Any], metric: str | None
) -> dict[str, float]:
    try:
        return insights.importances(
            experiment.definition(), _observed(rows), metric, experiment.seed
        )
    except insights.TooFewObservations as err:
        raise Conflict(str(err), detail={"field": "experiment"}) from err


class Importances:
    """Each parameter's importance for the (first) optimized metric."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_get(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        owner = caller(req, self.context)
        with self.store.read() as unit:
            experiment = experiment_of(unit, eid, owner)
            rows = unit.observations.all(experiment.id, latest=MAX_IMPORTANCE_OBSERVATIONS)
        metrics = experiment.definition()["metrics"]
        lead = next((m for m in metrics if m["strategy"] == "optimize"), metrics[0])
        resp.media = {
            "object": "importances",
            "importances": _importances(experiment, rows, lead["name"]),
        }


class MetricImportances:
    """Each parameter's importance for each metric (``metric=``: only that one)."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_get(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        owner = caller(req, self.context)
        page_request(req)  # checked before any work
        wanted = req.get_param("metric")
        with self.store.read() as unit:
            experiment = experiment_of(unit, eid, owner)
            rows = unit.observations.all(experiment.id, latest=MAX_IMPORTANCE_OBSERVATIONS)
        names = [m["name"] for m in experiment.definition()["metrics"]]
        if wanted is not None:
            if wanted not in names:
                known = (
                    ", ".join(str(n) for n in names if n is not None) or "its one metric is unnamed"
                )
                raise invalid(
                    f"'metric': {wanted!r} is not a metric of this experiment ({known}).", "metric"
                )
            names = [wanted]
        items = [
            {
                "object": "metric_importances",
                "metric": name,
                "importances": _importances(experiment, rows, name),
            }
            for name in names
        ]
        if any(req.get_param(name) for name in ("limit", "before", "after")):
            resp.media = paginate_list(items, req)
        else:
            resp.media = whole(items)

"""SigOpt's API: v1 experiments, suggestions, observations and best assignments, and
the routes the modern sigopt-python client calls (projects, training runs, AI
experiments, clients, tokens/self).

Shapes follow SigOpt's REST API closely enough that the official sigopt-python
client runs unchanged against this service (see docs/sigopt.md).
"""

from __future__ import annotations

from typing import Any

import falcon

from .aiexperiments import AIExperimentItem, AIExperimentRuns, BestTrainingRuns
from .clients import (
    ClientExperiments,
    ClientItem,
    ProjectAIExperiments,
    ProjectExperiments,
    ProjectItem,
    ProjectRunBatch,
    ProjectRuns,
    Projects,
    TokenSelf,
)
from .experiments import BestAssignments, ExperimentCollection, ExperimentItem
from .observations import ObservationBatch, ObservationCollection, ObservationItem
from .runs import Checkpoints, TrainingRunItem
from .suggestions import SuggestionCollection, SuggestionItem

EXPERIMENT = "/v1/experiments/{eid}"
AIEXPERIMENT = "/v1/aiexperiments/{eid}"
CLIENT = "/v1/clients/{cid}"
PROJECT = "/v1/clients/{cid}/projects/{pid}"
RUN = "/v1/training_runs/{rid}"


class MergeIsPatch:
    """sigopt-python updates a run with the HTTP method MERGE, which Falcon does not
    route; it means what PATCH means here (merge the body in), so it is served as PATCH."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        if req.method == "MERGE":
            req.method = "PATCH"


def register(app: falcon.App, context: Any) -> None:
    """Add the SigOpt routes to the app."""
    store = context.store.sigopt
    app.add_route("/v1/experiments", ExperimentCollection(context, store))
    app.add_route(EXPERIMENT, ExperimentItem(context, store))
    app.add_route(f"{EXPERIMENT}/best_assignments", BestAssignments(context, store))
    app.add_route(f"{EXPERIMENT}/suggestions", SuggestionCollection(context, store))
    app.add_route(f"{EXPERIMENT}/suggestions/{{sid}}", SuggestionItem(context, store))
    app.add_route(f"{EXPERIMENT}/observations", ObservationCollection(context, store))
    app.add_route(f"{EXPERIMENT}/observations/batch", ObservationBatch(context, store))
    app.add_route(f"{EXPERIMENT}/observations/{{oid}}", ObservationItem(context, store))
    app.add_route(
        f"{EXPERIMENT}/best_training_runs", BestTrainingRuns(context, store, "experiment")
    )
    app.add_route(AIEXPERIMENT, AIExperimentItem(context, store))
    app.add_route(f"{AIEXPERIMENT}/training_runs", AIExperimentRuns(context, store))
    app.add_route(
        f"{AIEXPERIMENT}/best_training_runs", BestTrainingRuns(context, store, "aiexperiment")
    )
    app.add_route(RUN, TrainingRunItem(context, store))
    app.add_route(f"{RUN}/checkpoints", Checkpoints(context, store))
    app.add_route("/v1/tokens/self", TokenSelf(context))
    app.add_route(CLIENT, ClientItem(context))
    app.add_route(f"{CLIENT}/experiments", ClientExperiments(context, store))
    app.add_route(f"{CLIENT}/projects", Projects(context, store))
    app.add_route(PROJECT, ProjectItem(context, store))
    app.add_route(f"{PROJECT}/aiexperiments", ProjectAIExperiments(context, store))
    app.add_route(f"{PROJECT}/experiments", ProjectExperiments(context, store))
    app.add_route(f"{PROJECT}/training_runs", ProjectRuns(context, store))
    app.add_route(f"{PROJECT}/training_runs/batch", ProjectRunBatch(context, store))
    app.add_middleware(MergeIsPatch())

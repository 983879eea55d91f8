"""SigOpt's v1 sequential API: experiments, suggestions, observations, best assignments.

Shapes follow SigOpt's REST API closely enough that the official sigopt-python
client runs an optimization loop against this service unchanged (see docs/sigopt.md).
"""

from __future__ import annotations

from typing import Any

import falcon

from .experiments import BestAssignments, ExperimentCollection, ExperimentItem
from .observations import ObservationBatch, ObservationCollection, ObservationItem
from .suggester import warm_up
from .suggestions import SuggestionCollection, SuggestionItem

EXPERIMENT = "/v1/experiments/{eid}"


def register(app: falcon.App, context: Any) -> None:
    """Add the SigOpt routes to the app."""
    warm_up()
    app.add_route("/v1/experiments", ExperimentCollection(context))
    app.add_route(EXPERIMENT, ExperimentItem(context))
    app.add_route(f"{EXPERIMENT}/best_assignments", BestAssignments(context))
    app.add_route(f"{EXPERIMENT}/suggestions", SuggestionCollection(context))
    app.add_route(f"{EXPERIMENT}/suggestions/{{sid}}", SuggestionItem(context))
    app.add_route(f"{EXPERIMENT}/observations", ObservationCollection(context))
    app.add_route(f"{EXPERIMENT}/observations/batch", ObservationBatch(context))
    app.add_route(f"{EXPERIMENT}/observations/{{oid}}", ObservationItem(context))

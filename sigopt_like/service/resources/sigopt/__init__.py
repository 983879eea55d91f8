"""SigOpt's API: v1 experiments, suggestions, queued suggestions, observations and best
assignments, and the routes the modern sigopt-python client calls (projects, training
runs, AI experiments, clients, organizations, tokens/self), experiment (guest)
tokens, tags and project notes.

Shapes follow SigOpt's REST API closely enough that the official sigopt-python
client runs unchanged against this service (see docs/sigopt.md).
"""

from __future__ import annotations

import importlib
from typing import Any

import falcon

from ..lazy import on_first_use

EXPERIMENT = "/v1/experiments/{eid}"
AIEXPERIMENT = "/v1/aiexperiments/{eid}"
CLIENT = "/v1/clients/{cid}"
PROJECT = "/v1/clients/{cid}/projects/{pid}"
RUN = "/v1/training_runs/{rid}"

#: every route: its template, its resource ("module:Class" in this package), the
#: resource's responders, and what it is built with besides the context ("store": the
#: SigOpt store; a string: that argument). The resources (and the SigOpt store, domain
#: and optimizer modules they import) are loaded on a route's first request
#: (``..lazy``): an embedded service that only runs campaigns never loads them; a served
#: one imports them at start (``import_every_resource``).
ROUTES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("/v1/experiments", "experiments:ExperimentCollection", "get post", ("store",)),
    (EXPERIMENT, "experiments:ExperimentItem", "delete get put", ("store",)),
    (f"{EXPERIMENT}/best_assignments", "experiments:BestAssignments", "get", ("store",)),
    (
        f"{EXPERIMENT}/suggestions",
        "suggestions:SuggestionCollection",
        "delete get post",
        ("store",),
    ),
    (
        f"{EXPERIMENT}/suggestions/{{sid}}",
        "suggestions:SuggestionItem",
        "delete get put",
        ("store",),
    ),
    (
        f"{EXPERIMENT}/queued_suggestions",
        "queued:QueuedSuggestionCollection",
        "delete get post",
        ("store",),
    ),
    (
        f"{EXPERIMENT}/queued_suggestions/{{qid}}",
        "queued:QueuedSuggestionItem",
        "delete get",
        ("store",),
    ),
    (
        f"{EXPERIMENT}/observations",
        "observations:ObservationCollection",
        "delete get post",
        ("store",),
    ),
    (f"{EXPERIMENT}/observations/batch", "observations:ObservationBatch", "post", ("store",)),
    (
        f"{EXPERIMENT}/observations/{{oid}}",
        "observations:ObservationItem",
        "delete get put",
        ("store",),
    ),
    (f"{EXPERIMENT}/stopping_criteria", "insights:StoppingCriteria", "get", ("store",)),
    (f"{EXPERIMENT}/tokens", "tokens:ExperimentTokens", "post", ("store",)),
    (f"{EXPERIMENT}/importances", "insights:Importances", "get", ("store",)),
    (f"{EXPERIMENT}/metric_importances", "insights:MetricImportances", "get", ("store",)),
    (
        f"{EXPERIMENT}/best_training_runs",
        "aiexperiments:BestTrainingRuns",
        "get",
        ("store", "experiment"),
    ),
    ("/v1/aiexperiments", "clients:ClientAIExperiments", "get", ("store",)),
    (AIEXPERIMENT, "aiexperiments:AIExperimentItem", "delete get put", ("store",)),
    (f"{AIEXPERIMENT}/training_runs", "aiexperiments:AIExperimentRuns", "post", ("store",)),
    (
        f"{AIEXPERIMENT}/best_training_runs",
        "aiexperiments:BestTrainingRuns",
        "get",
        ("store", "aiexperiment"),
    ),
    (RUN, "runs:TrainingRunItem", "delete get patch put", ("store",)),
    (f"{RUN}/checkpoints", "runs:Checkpoints", "get post", ("store",)),
    (f"{RUN}/checkpoints/{{ckid}}", "runs:CheckpointItem", "get", ("store",)),
    (f"{RUN}/files", "files:RunFiles", "post", ("store",)),
    (f"{RUN}/tags", "tags:RunTags", "post", ("store",)),
    (f"{RUN}/tags/{{tid}}", "tags:RunTagItem", "delete", ("store",)),
    ("/v1/files/{fid}", "files:FileItem", "get", ("store",)),
    ("/v1/files/{fid}/content", "files:FileContent", "get head", ("store",)),
    ("/v1/files/{fid}/upload", "files:FileUpload", "put", ("store",)),
    ("/v1/tokens/self", "clients:TokenSelf", "get", ()),
    ("/v1/tokens/{token}", "clients:TokenLookup", "get", ()),
    (CLIENT, "clients:ClientItem", "get", ()),
    ("/v1/organizations", "organizations:Organizations", "get", ()),
    ("/v1/organizations/{oid}", "organizations:OrganizationItem", "get", ()),
    (
        "/v1/organizations/{oid}/experiments",
        "organizations:OrganizationExperiments",
        "get",
        ("store",),
    ),
    ("/v1/organizations/{oid}/training_runs", "organizations:OrganizationRuns", "get", ("store",)),
    (f"{CLIENT}/experiments", "clients:ClientExperiments", "get post", ("store",)),
    (f"{CLIENT}/aiexperiments", "clients:ClientAIExperiments", "get", ("store",)),
    (f"{CLIENT}/training_runs", "clients:ClientRuns", "get", ("store",)),
    (f"{CLIENT}/tags", "tags:ClientTags", "get post", ("store",)),
    (f"{CLIENT}/projects", "clients:Projects", "get post", ("store",)),
    (PROJECT, "clients:ProjectItem", "get put", ("store",)),
    (f"{PROJECT}/aiexperiments", "clients:ProjectAIExperiments", "get post", ("store",)),
    (f"{PROJECT}/experiments", "clients:ProjectExperiments", "get", ("store",)),
    (f"{PROJECT}/notes", "notes:ProjectNotes", "get post", ("store",)),
    (f"{PROJECT}/training_runs", "clients:ProjectRuns", "get post", ("store",)),
    (f"{PROJECT}/training_runs/batch", "clients:ProjectRunBatch", "post", ("store",)),
)


class MergeIsPatch:
    """sigopt-python updates a run with the HTTP method MERGE, which Falcon does not
    route; it means what PATCH means here (merge the body in), so it is served as PATCH."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        if req.method == "MERGE":
            req.method = "PATCH"


def import_every_resource() -> None:
    """Import every route's module now rather than on its first request: a served
    process (``serve``, the WSGI factory) calls this at start, so that a release
    installed over it while it runs (its files removed or replaced) does not turn its
    first SigOpt request into a 500. 0.3 s more at start, measured; an embedded
    ``Connection()`` keeps loading them on first use."""
    for module in dict.fromkeys(target.partition(":")[0] for _, target, _, _ in ROUTES):
        importlib.import_module(f"{__name__}.{module}")
    importlib.import_module(f"{__name__}.owned_paths")


#: the kinds of experiment a route's ``{eid}`` may name, given as its argument (the one
#: ``best_training_runs`` resource serves both prefixes)
_EXPERIMENT_KINDS = ("experiment", "aiexperiment")


def _experiment_kind(template: str, args: tuple[str, ...]) -> str | None:
    """The kind of experiment the route's ``{eid}`` names, as its resource reads it: the
    one it is built with, else an AI experiment under ``/v1/aiexperiments``, else any."""
    given = [a for a in args if a in _EXPERIMENT_KINDS]
    if given:
        return given[0]
    return "aiexperiment" if template.startswith(AIEXPERIMENT) else None


def _owned_path_judge(context: Any, kind: str | None) -> Any:
    """The ``judge_path`` of a SigOpt route whose experiments are of ``kind``:
    ``owned_paths.require_owned_path`` (imported on the first refused body, as the
    resources are on their first request)."""

    def judge(req: falcon.Request, params: dict[str, Any]) -> None:
        from .owned_paths import require_owned_path

        require_owned_path(context, context.store.sigopt, req, params, kind)

    return judge


def register(app: falcon.App, context: Any) -> None:
    """Add the SigOpt routes to the app (each resource built on its first request)."""
    for template, target, methods, args in ROUTES:

        def build(cls: type, args: tuple[str, ...] = args) -> object:
            return cls(context, *(context.store.sigopt if a == "store" else a for a in args))

        # SigOpt reads every JSON number as a double: on its routes the door reads an
        # integer past 64 bits as the double it denotes, not refused, and leaves one at
        # the top of a body to its field's check, which gives its range (see ...door)
        route = on_first_use(
            f"{__name__}.{target}",
            methods,
            build,
            numbers_as_doubles=True,
            fields_judge_integers=True,
            # a body refused on an id not the caller's is that id's 404
            judge_path=_owned_path_judge(context, _experiment_kind(template, args)),
        )
        app.add_route(template, route)
    app.add_middleware(MergeIsPatch())

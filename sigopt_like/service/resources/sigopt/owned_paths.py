"""The objects a SigOpt path names are the caller's, judged before the request's body.

When a SigOpt request's body is refused (by the door or by its resource), the refusal
first calls :func:`require_owned_path` (``..lazy.path_before_body``): an unknown id, or
another user's, is the route's own 404 whatever the body, as SigOpt answers it. Before,
most routes judged the body first, so a body they refused (``[]``, a field of the wrong
type, a lone surrogate, a JSON nested too deep) was a 400 or 422 for an id that names
nothing the caller has, and the answer told a foreign id from a missing one by the body
alone.

Judged on a refusal only: a request taken reads nothing more than it did (the write
paths' statements are counted by tests). One point read per object named.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import falcon

from ...store.sigopt import SigoptStore
from .clients import client_of, project_of
from .common import caller, experiment_of, not_found, path_id
from .files import file_of
from .organizations import organization_of
from .runs import checkpoint_of, run_of
from .tags import tag_of

#: a project's own route: its ``GET`` (``HEAD``) makes it on first use
_PROJECT = "/v1/clients/{cid}/projects/{pid}"
#: the routes under a project whose ``POST`` makes it on first use (as ``GET`` of the
#: project does): there a project not made yet is no 404
_PROJECT_MADE_ON_USE = frozenset(
    f"/v1/clients/{{cid}}/projects/{{pid}}/{tail}"
    for tail in ("aiexperiments", "training_runs", "training_runs/batch")
)

#: the routes that read a file of the caller's (its upload is not one: its key is its
#: credential, and the caller may be nobody)
_FILE_READS = frozenset({"/v1/files/{fid}", "/v1/files/{fid}/content"})

#: the children of an experiment a path may name: the path's parameter, what a 404 calls
#: it, and the unit's store of them
_EXPERIMENT_CHILDREN = (
    ("sid", "suggestion", "suggestions"),
    ("oid", "observation", "observations"),
    ("qid", "queued suggestion", "queued"),
)


def require_owned_path(
    context: Any,
    store: SigoptStore,
    req: falcon.Request,
    params: Mapping[str, str],
    kind: str | None = None,
) -> None:
    """A 404 (the route's own) unless every object ``params`` names is the caller's: the
    organization (``oid`` under ``/v1/organizations``), the file (``fid``, but for its
    upload, whose key is its credential), the client (``cid``), the experiment (``eid``,
    of the route's ``kind``: see ``experiment_of``) and its suggestion, observation or
    queued suggestion, the training run (``rid``) and its checkpoint or tag, and the
    project (``pid``), where the route does not make it on first use (its ``PUT`` and
    its notes)."""
    if (req.uri_template or "").startswith("/v1/organizations/"):
        organization_of(req, context, params["oid"])
        return
    if "fid" in params and req.uri_template in _FILE_READS:
        with store.read() as unit:
            file_of(unit, params["fid"], caller(req, context))
        return
    if not {"cid", "eid", "rid"} & params.keys():
        return  # a file's upload (its key is the credential), a token
    owner = caller(req, context)
    if "cid" in params:  # another's client is a 404 too, whatever the body
        client_of(req, context, params["cid"])
    with store.read() as unit:
        if "eid" in params:
            experiment = experiment_of(unit, params["eid"], owner, kind)
            for name, what, table in _EXPERIMENT_CHILDREN:
                if name in params:
                    found = getattr(unit, table).get(experiment.id, path_id(params[name], what))
                    if found is None:
                        raise not_found(what, params[name], f"experiment {experiment.id}")
        if "rid" in params:
            run = run_of(unit, params["rid"], owner)
            if "ckid" in params:
                checkpoint_of(unit, run, params["ckid"])
            if "tid" in params:
                tag_of(unit, owner, params["tid"])
        # a GET or HEAD of the project itself makes it, as a POST of an experiment or a
        # run into it does; no other route under it does (before: every GET, and every
        # method of the POST routes, skipped the project's judge, and HEAD of the project
        # itself did not)
        made_on_use = (req.method in ("GET", "HEAD") and req.uri_template == _PROJECT) or (
            req.method == "POST" and req.uri_template in _PROJECT_MADE_ON_USE
        )
        if "pid" in params and not made_on_use:
            project_of(unit, owner, params["pid"], create=False)

"""/v1/tokens/self, /v1/clients/{cid} and the client's experiments and projects.

A client is a user of this service (its id is the user's). sigopt-python finds
its client with ``GET /v1/tokens/self``, then checks that the project it is told
to use exists with ``GET /v1/clients/{cid}/projects/{project}``. Here a project
exists as soon as it is named: that GET creates it on first use (named after
its id), so that ``SIGOPT_PROJECT=my-model`` with ``sigopt.create_experiment``
works against a fresh service without a separate ``sigopt create project``.
``POST .../projects`` still answers 409 for an id already taken. A dashboard's sign-in
cookie only reads: with it, a project not made yet is a 404.
"""

from __future__ import annotations

import json
from typing import Any

import falcon

from ....json_kinds import path_key
from ...domain import sigopt_rules as rules
from ...domain import sigopt_runs as run_rules
from ...domain.sigopt_checks import at_most_items, json_shown, known_fields
from ...door import MAX_DEPTH, nested_deeper_than
from ...errors import BadRequest, Conflict, NotFound
from ...http import MAX_NAMED_FIELDS, named_fields, now, query_flag, read_json, render_page
from ...store.pages import UnknownCursor
from ...store.sigopt import SigoptStore, SigoptUnit
from ...store.sigopt_runs import ProjectRecord
from . import render, render_runs
from .common import (
    body_id,
    caller,
    id_order,
    id_shown,
    is_own_id,
    own_user_only,
    project_on_use,
    query_search,
    query_sort,
    rule_error,
    sigopt_page,
    whole,
)
from .experiments import create_and_render, list_experiments, list_query, render_listed
from .runs import apply_update

#: SigOpt's orders of the project list (``updated``, its default, or ``created``)
PROJECT_SORTS = ("updated", "created")
#: ``fields`` (which fields of each run to answer with) is what ``sigopt.upload_runs`` sends
RUN_BATCH_FIELDS = ("runs", "fields")


def client_of(req: falcon.Request, context: Any, cid: str) -> int:
    """The caller, when ``cid`` is the caller's client id; a 404 otherwise."""
    owner = caller(req, context)
    if not is_own_id(cid, owner):  # before: "07" was no client, where "07" is experiment 7
        raise NotFound(
            f"No client with id {id_shown(cid)} for this token.", detail={"field": "client"}
        )
    return owner


def project_key(raw: str) -> str:
    try:
        key = rules.project_id(raw, "project")
    except rules.RuleError as err:
        raise rule_error(err) from err
    assert key is not None
    return key


def project_of(unit: SigoptUnit, owner: int, raw: str, *, create: bool) -> ProjectRecord:
    """The owner's project ``raw``: created on first use when ``create``, else a 404."""
    key = project_key(raw)
    if create:
        return project_on_use(unit, owner, key)
    found = unit.projects.get(owner, key)
    if found is None:
        raise NotFound(f"No project with id {json_shown(raw)}.", detail={"field": "project"})
    return found


class TokenSelf:
    """GET /v1/tokens/self: the calling token's client and user."""

    def __init__(self, context: Any) -> None:
        self.context = context

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        owner = caller(req, self.context)
        resp.media = render_runs.token(
            owner,
            getattr(req.context, "token_id", None),
            getattr(req.context, "guest_experiment", None),
            expires=getattr(req.context, "token_expires", None),
        )


class TokenLookup:
    """GET /v1/tokens/{token}: SigOpt looks a token up by its secret there
    (``conn.tokens(token).fetch()``); this service never reads a token from a URL, so
    it answers a 404 that says where to ask instead (the same for every value: it tells
    nothing of whether a token exists)."""

    def __init__(self, context: Any) -> None:
        self.context = context

    def on_get(self, req: falcon.Request, resp: falcon.Response, token: str) -> None:
        caller(req, self.context)
        raise NotFound(
            "This service does not look a token up by its secret in a URL (access logs, "
            "proxies and browser history keep URLs): GET /v1/tokens/self, with the token in "
            "the header 'Authorization: Bearer <token>', describes the calling token "
            "(sigopt-python: conn.tokens('self').fetch()).",
            detail={"field": "token"},
        )


class ClientItem:
    """GET /v1/clients/{cid}."""

    def __init__(self, context: Any) -> None:
        self.context = context

    def on_get(self, req: falcon.Request, resp: falcon.Response, cid: str) -> None:
        resp.media = render_runs.client(client_of(req, self.context, cid))


class ClientExperiments:
    """POST/GET /v1/clients/{cid}/experiments: the client's v1 experiments."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_post(self, req: falcon.Request, resp: falcon.Response, cid: str) -> None:
        owner = client_of(req, self.context, cid)
        resp.media = create_and_render(self.store, owner, read_json(req), kind="experiment")
        resp.status = falcon.HTTP_201

    def on_get(self, req: falcon.Request, resp: falcon.Response, cid: str) -> None:
        """A page of the client's experiments (the query: ``experiments.list_query``)."""
        resp.media = list_experiments(self.store, req, client_of(req, self.context, cid))


class Projects:
    """POST/GET /v1/clients/{cid}/projects."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_post(self, req: falcon.Request, resp: falcon.Response, cid: str) -> None:
        """Create a project: ``id`` (required), ``name`` (default: the id), ``metadata``."""
        owner = client_of(req, self.context, cid)
        body = read_json(req)
        if body.get("id") is None:
            raise BadRequest("'id' is required: the project's id.", detail={"field": "id"})
        if not isinstance(body["id"], str):
            raise BadRequest("'id' must be a string.", detail={"field": "id"})
        key = project_key(body["id"])
        try:
            rules.new_project_id(key, "id")
            fields = run_rules.project_fields(body, creating=True)
            shown = {"object": "project", "client": str(owner), "user": str(owner)}
            run_rules.check_echoed(body, shown, run_rules.PROJECT_ECHOED_FIELDS, "project")
        except rules.RuleError as err:
            raise rule_error(err) from err
        with self.store.write() as unit:
            row = unit.projects.create_new(
                owner, key, fields.get("name") or key, fields.get("metadata"), now()
            )
            if row is None:
                raise Conflict(
                    f"A project with id {json_shown(key)} exists.", detail={"field": "id"}
                )
        resp.media = render_runs.project(row)
        resp.status = falcon.HTTP_201

    def on_get(self, req: falcon.Request, resp: falcon.Response, cid: str) -> None:
        """The caller's projects, as SigOpt lists them: ``sort`` updated (default: the
        latest update first) or created, ``ascending``, ``user`` (one's own id only: a
        client is one user here) and ``deleted`` (no project is deleted here, so the
        list is the same)."""
        owner = client_of(req, self.context, cid)
        request = sigopt_page(req)
        sort = query_sort(req, PROJECT_SORTS, " of projects")
        ascending = bool(query_flag(req, "ascending"))
        own_user_only(req, owner, "projects")
        query_flag(req, "deleted")  # checked: no project is deleted in this service
        with self.store.read() as unit:
            try:
                page = unit.projects.page(owner, request, sort=sort, ascending=ascending)
            except UnknownCursor as err:
                raise BadRequest(
                    f"The cursor '{err.name}' is not one this service gave out: "
                    f"{json_shown(str(err.cursor))} (a cursor is the number of one of your "
                    "projects, from 'paging').",
                    detail={"field": err.name},
                ) from err
        resp.media = render_page(page, render_runs.project)


class ProjectItem:
    """GET (created on first use) and PUT (name, metadata) /v1/clients/{cid}/projects/{pid}."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_get(self, req: falcon.Request, resp: falcon.Response, cid: str, pid: str) -> None:
        owner = client_of(req, self.context, cid)
        # a browser's sign-in cookie only reads: a link from another site (SameSite=Lax
        # sends the cookie on a top-level GET) made a project in a read-only dashboard
        create = not req.context.via_cookie
        with self.store.write() as unit:
            resp.media = render_runs.project(project_of(unit, owner, pid, create=create))

    def on_put(self, req: falcon.Request, resp: falcon.Response, cid: str, pid: str) -> None:
        owner = client_of(req, self.context, cid)
        body = read_json(req)
        with self.store.write() as unit:
            row = project_of(unit, owner, pid, create=False)
            kept = run_rules.run_names(row.name, row.metadata)  # sent back as stored
            try:
                fields = run_rules.project_fields(body, creating=False, pid=pid, kept=kept)
            except rules.RuleError as err:
                raise rule_error(err) from err
            if body.get("id") not in (None, pid):
                raise rule_error(rules.RuleError("'id' of a project cannot change.", "id"))
            changes = {k: v for k, v in fields.items() if v is not None or k == "metadata"}
            unit.projects.update(row.id, changes, now())
            rendered = render_runs.project(project_of(unit, owner, pid, create=False))
            try:  # after the update, whose savepoint a refusal undoes
                run_rules.check_echoed(body, rendered, run_rules.PROJECT_ECHOED_FIELDS, "project")
            except rules.RuleError as err:
                raise rule_error(err) from err
            resp.media = rendered


class ProjectAIExperiments:
    """POST/GET /v1/clients/{cid}/projects/{pid}/aiexperiments."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_post(self, req: falcon.Request, resp: falcon.Response, cid: str, pid: str) -> None:
        owner = client_of(req, self.context, cid)
        body = read_json(req)
        if body.get("project") is not None:
            raise BadRequest(
                "'project' is set by the path of this route; leave it out of the body.",
                detail={"field": "project"},
            )
        resp.media = create_and_render(
            self.store,
            owner,
            body,
            kind="aiexperiment",
            project=project_key(pid),
            render_fn=render_runs.aiexperiment,
        )
        resp.status = falcon.HTTP_201

    def on_get(self, req: falcon.Request, resp: falcon.Response, cid: str, pid: str) -> None:
        list_project_experiments(self.store, self.context, req, resp, cid, pid, "aiexperiment")


class ClientAIExperiments:
    """GET /v1/clients/{cid}/aiexperiments, and GET /v1/aiexperiments (the caller's
    client): the client's AI experiments in every project, with the query of a project's
    list, as SigOpt's ``AiExperimentsListHandler`` serves both."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_get(self, req: falcon.Request, resp: falcon.Response, cid: str | None = None) -> None:
        owner = caller(req, self.context) if cid is None else client_of(req, self.context, cid)
        query, request = list_query(req, owner), sigopt_page(req)
        with self.store.read() as unit:
            page = query.page(unit, owner, request, kind="aiexperiment")
            resp.media = render_page(page, lambda r: render_runs.aiexperiment(unit, r))


class ProjectExperiments:
    """GET /v1/clients/{cid}/projects/{pid}/experiments: the project's v1 experiments."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_get(self, req: falcon.Request, resp: falcon.Response, cid: str, pid: str) -> None:
        list_project_experiments(self.store, self.context, req, resp, cid, pid, "experiment")


def list_project_experiments(
    store: SigoptStore,
    context: Any,
    req: falcon.Request,
    resp: falcon.Response,
    cid: str,
    pid: str,
    kind: str,
) -> None:
    """A page of a project's experiments of ``kind``, with ``experiments.list_query``'s
    parameters (the AI experiments' list takes fewer: the door refuses the others, as
    openapi.json declares them)."""
    owner = client_of(req, context, cid)
    query, request = list_query(req, owner), sigopt_page(req)
    with store.read() as unit:
        project = project_of(unit, owner, pid, create=False)
        if kind == "aiexperiment":
            page = query.page(unit, owner, request, project_id=project.id, kind=kind)
            resp.media = render_page(page, lambda r: render_runs.aiexperiment(unit, r))
        else:
            page = query.page(unit, owner, request, project_id=project.id)
            listed = [r for r in page.items if r.kind != "aiexperiment"]
            known = render.progresses(unit, listed)
            resp.media = render_page(page, lambda r: render_listed(unit, r, known))


class ProjectRuns:
    """POST/GET /v1/clients/{cid}/projects/{pid}/training_runs.

    GET takes sigopt-python's ``filters`` (a JSON list); the one it sends,
    ``[{"field": "experiment", "operator": "==", "value": id}]``, is honoured and
    any other is refused.
    """

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_post(self, req: falcon.Request, resp: falcon.Response, cid: str, pid: str) -> None:
        """A run outside any experiment (``sigopt.create_run()``)."""
        owner = client_of(req, self.context, cid)
        body = read_json(req, required=False)
        with self.store.write() as unit:
            run = create_project_run(unit, owner, pid, body)
        resp.media = render_runs.training_run(run)
        resp.status = falcon.HTTP_201

    def on_get(self, req: falcon.Request, resp: falcon.Response, cid: str, pid: str) -> None:
        owner = client_of(req, self.context, cid)
        with self.store.read() as unit:
            project = project_of(unit, owner, pid, create=False)
            resp.media = list_runs(unit, req, owner, project.id)


class ClientRuns:
    """GET /v1/clients/{cid}/training_runs: the client's runs in every project, with the
    query of a project's list (SigOpt's ``ClientsTrainingRunsDetailMultiHandler``)."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_get(self, req: falcon.Request, resp: falcon.Response, cid: str) -> None:
        owner = client_of(req, self.context, cid)
        with self.store.read() as unit:
            resp.media = list_runs(unit, req, owner, None)


def list_runs(
    unit: SigoptUnit, req: falcon.Request, owner: int, project_id: int | None
) -> dict[str, Any]:
    """A page of the owner's runs (of one project, or of all), newest first unless
    ``ascending``; ``filters`` (one experiment), ``search`` (in the names), ``sort`` (id)."""
    request, ascending = sigopt_page(req), id_order(req)
    experiment = _experiment_filter(req.get_param("filters"))
    page = unit.runs.page(
        owner,
        request,
        project_id=project_id,
        experiment_id=experiment,
        search=query_search(req),
        ascending=ascending,
    )
    return render_page(page, render_runs.training_run)


class ProjectRunBatch:
    """POST /v1/clients/{cid}/projects/{pid}/training_runs/batch (``sigopt.upload_runs``)."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_post(self, req: falcon.Request, resp: falcon.Response, cid: str, pid: str) -> None:
        owner = client_of(req, self.context, cid)
        body = read_json(req)
        try:
            known_fields(body, RUN_BATCH_FIELDS, "", "training run batch")
        except rules.RuleError as err:
            raise rule_error(err) from err
        runs = body.get("runs")
        if not isinstance(runs, list):
            raise BadRequest("'runs' must be a list of runs.", detail={"field": "runs"})
        try:
            at_most_items(runs, "runs", "runs")
        except rules.RuleError as err:
            raise rule_error(err) from err
        shown = _fields(body.get("fields"))
        with self.store.write() as unit:
            made = [
                create_project_run(unit, owner, pid, item, f"runs[{i}].")
                for i, item in enumerate(runs)
            ]
            rendered = [render_runs.training_run(run) for run in made]
            if shown is not None:  # a name no run has is refused (and nothing is kept)
                unknown = sorted(shown - {k for run in rendered for k in run})
                if rendered and unknown:
                    raise BadRequest(
                        f"'fields' names {named_fields(unknown)}, which a training run does "
                        "not have (such as 'id', 'name', 'state', 'values').",
                        detail={  # each as the message and every key path show it
                            "field": "fields",
                            "unknown": [path_key(name) for name in unknown[:MAX_NAMED_FIELDS]],
                        },
                    )
                rendered = [{k: v for k, v in run.items() if k in shown} for run in rendered]
        resp.media = whole(rendered)
        resp.status = falcon.HTTP_201


def _fields(raw: Any) -> set[str] | None:
    """The fields of each run to answer with (``fields="id"``, as ``sigopt.upload_runs``
    sends), or None for whole runs."""
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw.strip():
        raise BadRequest(
            "'fields' must be a comma-separated list of run fields, such as 'id'.",
            detail={"field": "fields"},
        )
    return {name.strip() for name in raw.split(",")}


def create_project_run(unit: SigoptUnit, owner: int, pid: str, body: Any, prefix: str = "") -> Any:
    """Create a run in a project from a body that may also log fields (upload_runs)."""
    if not isinstance(body, dict):
        where = prefix.rstrip(".") or "body"
        raise BadRequest(f"'{where}' must be an object.", detail={"field": where})
    try:
        fields = run_rules.run_create(body)
    except rules.RuleError as err:
        raise rule_error(err, prefix) from err
    project = project_of(unit, owner, pid, create=True)
    run = unit.runs.create(
        owner,
        project.id,
        project_key=project.key,
        name=fields["name"],
        metadata=fields["metadata"],
        stamp=now(),
    )
    rest = {k: v for k, v in body.items() if k not in ("name", "metadata")}
    return apply_update(unit, owner, run, rest, prefix, creating=True) if rest else run


def _experiment_filter(raw: str | None) -> int | None:
    if not raw:
        return None
    if nested_deeper_than(raw, MAX_DEPTH):
        # before: "must be a JSON list", of a list, where the parser's recursion gave up
        # (how deep that is depends on the Python): the same limit as a body's, checked here
        raise BadRequest(
            f"'filters' is nested more than {MAX_DEPTH} levels deep; SigOpt's filters are a "
            'list of {"field", "operator", "value"} objects.',
            detail={"field": "filters", "limit": MAX_DEPTH},
        )
    try:
        filters = json.loads(raw)
    except (ValueError, RecursionError) as err:
        raise BadRequest("'filters' must be a JSON list.", detail={"field": "filters"}) from err
    if filters == []:
        return None
    item = filters[0] if isinstance(filters, list) and len(filters) == 1 else None
    if (
        not isinstance(item, dict)
        or set(item) != {"field", "operator", "value"}
        or item["field"] != "experiment"
        or item["operator"] != "=="
    ):
        raise BadRequest(
            "'filters': this service filters runs by one experiment only "
            '([{"field": "experiment", "operator": "==", "value": "<id>"}]).',
            detail={"field": "filters"},
        )
    return body_id(item["value"], "filters[0].value")

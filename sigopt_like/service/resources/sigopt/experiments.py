"""/v1/experiments, /v1/experiments/{eid} and /v1/experiments/{eid}/best_assignments."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

import attrs
import falcon

from ...domain import sigopt_rules as rules
from ...domain import sigopt_runs as run_rules
from ...domain.sigopt_checks import json_shown, without_own_id
from ...errors import BadRequest
from ...http import (
    MAX_UNIX_SECONDS,
    now,
    query_flag,
    query_int,
    read_json,
    render_page,
)
from ...store.pages import Page, PageRequest, UnknownCursor
from ...store.sigopt import ExperimentRecord, SigoptStore, SigoptUnit
from . import render, render_runs
from .common import (
    caller,
    experiment_of,
    own_user_only,
    project_on_use,
    query_search,
    query_sort,
    rule_error,
    sigopt_page,
    whole_or_paged,
)

LIST_STATES = ("active", "deleted", "all")
#: what the service sets in an experiment that a fetched one sent back carries: taken
#: as a GET answers it now (``state`` is an update's to change, ``id`` is checked apart)
SET_BY_SERVICE = tuple(f for f in rules.READ_ONLY_FIELDS if f not in ("id", "state"))
LIST_SORTS = ("id", "recent")


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
        definition = rules.experiment_create(body, budget_field=rules.BUDGET_FIELDS[kind])
    except rules.RuleError as err:
        raise rule_error(err) from err
    key = project or definition["project"]
    stamp = now()
    seed = definition["seed"] if definition["seed"] is not None else secrets.randbits(31)
    with store.write() as unit:
        filed = project_on_use(unit, owner, key, stamp=stamp) if key else None
        record = unit.experiments.create(
            owner,
            definition,
            kind=kind,
            seed=seed,
            project_id=None if filed is None else filed.id,
            project_key=None if filed is None else filed.key,
            stamp=stamp,
        )
        return (render_fn or render.experiment)(unit, record)


def list_state(req: falcon.Request) -> str:
    """The ``state`` filter of a list: active (default), deleted or all."""
    state = req.get_param("state", default="active")  # blank is not active
    if state not in LIST_STATES:
        raise BadRequest(
            f"The query parameter 'state' must be one of {', '.join(LIST_STATES)}, not "
            f"{json_shown(state)}.",
            detail={"field": "state"},
        )
    return state


@attrs.frozen
class ListQuery:
    """What a list of experiments asked for, besides the page (see :func:`list_query`)."""

    state: str = "active"
    search: str | None = None
    sort: str = "id"
    ascending: bool = False
    period_start: int | None = None
    period_end: int | None = None
    include_ai: bool = False
    development: bool | None = None

    def page(
        self,
        unit: SigoptUnit,
        owner: int,
        request: PageRequest,
        project_id: int | None = None,
        kind: str | None = None,
    ) -> Page[ExperimentRecord]:
        """The page of the owner's experiments this query names, of ``kind`` when given
        (else v1 experiments, and AI ones with ``include_ai``); a 400 for a ``before`` /
        ``after`` that is not one of the owner's experiments under sort=recent."""
        kinds = ("experiment", "aiexperiment") if self.include_ai else "experiment"
        try:
            return unit.experiments.page(
                owner,
                request,
                kind=kind or kinds,
                state=self.state,
                search=self.search,
                project_id=project_id,
                sort=self.sort,
                ascending=self.ascending,
                created_from=self.period_start,
                created_before=self.period_end,
                development=self.development,
            )
        except UnknownCursor as err:
            raise BadRequest(
                f"The cursor '{err.name}' is not one this service gave out: "
                f"{json_shown(str(err.cursor))} "
                "(under sort=recent a cursor is the id of one of your experiments).",
                detail={"field": err.name},
            ) from err


def list_experiments(store: SigoptStore, req: falcon.Request, owner: int) -> dict[str, Any]:
    """A page of ``owner``'s v1 experiments in every project, by :func:`list_query`'s
    query (``/v1/experiments``, a client's and an organization's lists)."""
    query, request = list_query(req, owner), sigopt_page(req)
    with store.read() as unit:
        page = query.page(unit, owner, request)
        known = render.progresses(unit, [r for r in page.items if r.kind != "aiexperiment"])
        return render_page(page, lambda r: render_listed(unit, r, known))


def list_query(req: falcon.Request, owner: int) -> ListQuery:
    """The query parameters of SigOpt's experiment lists, checked (a 400 naming the field):

    - ``state``: active (default), deleted or all; ``search``: in the names;
    - ``sort``: id (default) or recent (the last update, then id); ``ascending``: true
      or false (default: largest first, newest or most recent);
    - ``period_start`` / ``period_end``: unix seconds, created at or after / before them
      (start before end);
    - ``user``: only the caller's own id (a client is one user here, so every
      experiment listed is the caller's);
    - ``include_ai``: true also lists the AI experiments (as AI experiments);
    - ``development``: no experiment here is a development one (no development tokens),
      so false lists them all and true none.
    """
    sort = query_sort(req, LIST_SORTS)
    period_start = query_int(req, "period_start", minimum=0, maximum=MAX_UNIX_SECONDS)
    period_end = query_int(req, "period_end", minimum=0, maximum=MAX_UNIX_SECONDS)
    if period_start is not None and period_end is not None and period_start >= period_end:
        raise BadRequest(
            f"The query parameter 'period_start' ({period_start}) must be before "
            f"'period_end' ({period_end}).",
            detail={"field": "period_start"},
        )
    own_user_only(req, owner, "experiments")
    development = query_flag(req, "development")
    return ListQuery(
        state=list_state(req),
        search=query_search(req),
        sort=sort,
        ascending=bool(query_flag(req, "ascending")),
        period_start=period_start,
        period_end=period_end,
        include_ai=bool(query_flag(req, "include_ai")),
        development=development,
    )


class ExperimentCollection:
    """Create an experiment; list the caller's experiments (newest first by default)."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Create an experiment from SigOpt's JSON."""
        owner = caller(req, self.context)
        resp.media = create_and_render(self.store, owner, read_json(req), kind="experiment")
        resp.status = falcon.HTTP_201

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """A page of the caller's experiments (the query: :func:`list_query`)."""
        resp.media = list_experiments(self.store, req, caller(req, self.context))


def render_listed(
    unit: SigoptUnit,
    record: ExperimentRecord,
    known: Mapping[int, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An experiment of a list: an AI experiment (listed with ``include_ai=true``) as
    SigOpt lists it, as an AI experiment. ``known``: the page's progresses, read at once
    (``render.progresses``)."""
    if record.kind == "aiexperiment":
        return render_runs.aiexperiment(unit, record)
    return render.experiment(unit, record, known)


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
        """Change name, metadata, the budget, parallel_bandwidth, state, or the parameters
        and metrics (adding parameters rewrites the stored assignments)."""
        owner = caller(req, self.context)
        body = read_json(req)
        with self.store.write() as unit:
            record = experiment_of(unit, eid, owner, self.kind)
            what = "AI experiment" if record.kind == "aiexperiment" else "experiment"
            try:
                # sent back whole, it carries its own id (taken; another is a 400)
                body = without_own_id(body, str(record.id), what)
                # and what the service sets, as a GET answers it now (another is a 400)
                shown = self._render(unit, record)
                body = run_rules.without_echoes(body, shown, SET_BY_SERVICE, what)
                if body.get("object") == shown["object"]:  # "aiexperiment" too
                    body = {k: v for k, v in body.items() if k != "object"}
                elif body.get("object", "experiment") != "experiment":
                    # named by its own kind ("must be 'experiment'" misled an AI one's)
                    raise rules.RuleError(
                        f"'object' of an {what} is {json_shown(shown['object'])}, not "
                        f"{json_shown(body['object'])}.",
                        "object",
                        400,
                    )
                # its name and metadata too: what stored_names keeps (before, a name
                # stored before the names' rule was refused when sent back alone)
                current = {**record.definition(), "name": record.name}
                current["metadata"] = record.metadata
                changes = rules.experiment_update(
                    body, current, budget_field=rules.BUDGET_FIELDS[record.kind]
                )
            except rules.RuleError as err:
                raise rule_error(err) from err
            fresh = unit.experiments.updated(record, changes, now())
            if "parameters" in changes:
                _reassign(unit, record, changes["parameters"])
            resp.media = self._render(unit, fresh)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """Mark the experiment deleted (it stays fetchable, with state 'deleted')."""
        owner = caller(req, self.context)
        with self.store.write() as unit:
            record = experiment_of(unit, eid, owner, self.kind)
            if record.state != "deleted":
                unit.experiments.update(record.id, {"state": "deleted"}, now())
        resp.status = falcon.HTTP_204


def _reassign(unit: SigoptUnit, record: ExperimentRecord, params: list[dict[str, Any]]) -> None:
    """After an update added parameters, the stored assignments of the experiment's
    suggestions, queued suggestions and observations, as SigOpt reads them: with an
    added one's default value."""
    before = record.parameters
    if [p["name"] for p in before] == [p["name"] for p in params]:
        return
    conditionals = record.conditionals

    def change(values: dict[str, Any]) -> dict[str, Any]:
        return rules.redefined(values, before, params, conditionals)

    unit.reassign(record.id, change)


class BestAssignments:
    """The best observed assignments (see ``domain.sigopt_best``), as a pagination."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_get(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """The best observations, best first (none before a valid observation)."""
        owner = caller(req, self.context)
        sigopt_page(req)  # checked before any work
        with self.store.read() as unit:
            experiment = experiment_of(unit, eid, owner)
            rows = render.best_rows(unit, experiment)
        # all of them, as ever (a front, many feasible points); pages when asked
        best = [render.best_assignments(row, experiment.tasks) for row in rows]
        resp.media = whole_or_paged(best, req)

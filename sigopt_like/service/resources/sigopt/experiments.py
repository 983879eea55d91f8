"""/v1/experiments, /v1/experiments/{eid} and /v1/experiments/{eid}/best_assignments."""

from __future__ import annotations

import secrets
from typing import Any

import falcon
import sqlalchemy as sa

from ...domain import sigopt_rules as rules
from ...errors import BadRequest
from ...http import (
    DEFAULT_PAGE_LIMIT,
    MAX_PAGE_LIMIT,
    is_id_text,
    now,
    paginate,
    query_int,
    read_json,
)
from . import render
from .common import EXPERIMENTS, caller, dumps, experiment_row, loads, rule_error

LIST_STATES = ("active", "deleted", "all")


def _stored(row: Any) -> dict[str, Any]:
    """The canonical view of a stored experiment that update rules compare against."""
    return {
        "parameters": loads(row["parameters"]),
        "metrics": loads(row["metrics"]),
        "type": row["type"],
    }


class ExperimentCollection:
    """Create an experiment; list the caller's experiments (newest first)."""

    def __init__(self, context: Any) -> None:
        self.context = context

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Create an experiment from SigOpt's JSON."""
        owner = caller(req, self.context)
        body = read_json(req)
        try:
            fields = rules.experiment_create(body)
        except rules.RuleError as err:
            raise rule_error(err) from err
        stamp = now()
        with self.context.engine.begin() as conn:
            eid = conn.execute(
                EXPERIMENTS.insert().values(
                    owner_id=owner,
                    name=fields["name"],
                    type=fields["type"],
                    parameters=dumps(fields["parameters"]),
                    metrics=dumps(fields["metrics"]),
                    observation_budget=fields["observation_budget"],
                    parallel_bandwidth=fields["parallel_bandwidth"] or 1,
                    metadata=dumps(fields["metadata"]),
                    state="active",
                    seed=fields["seed"] if fields["seed"] is not None else secrets.randbits(31),
                    created=stamp,
                    updated=stamp,
                )
            ).inserted_primary_key[0]
            row = conn.execute(sa.select(EXPERIMENTS).where(EXPERIMENTS.c.id == eid)).one()
            resp.media = render.experiment(conn, row._mapping)
        resp.status = falcon.HTTP_201

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """A page of the caller's experiments: ``state`` active (default), deleted or all;
        ``search`` filters on the name."""
        owner = caller(req, self.context)
        state = req.get_param("state") or "active"
        if state not in LIST_STATES:
            raise BadRequest(
                f"The query parameter 'state' must be one of {', '.join(LIST_STATES)}, "
                f"not {state!r}.",
                detail={"field": "state"},
            )
        query = sa.select(EXPERIMENTS).where(EXPERIMENTS.c.owner_id == owner)
        if state != "all":
            query = query.where(EXPERIMENTS.c.state == state)
        search = req.get_param("search")
        if search:
            query = query.where(EXPERIMENTS.c.name.contains(search, autoescape=True))
        with self.context.engine.connect() as conn:
            resp.media = paginate(
                conn,
                query,
                EXPERIMENTS.c.id,
                req,
                lambda row: render.experiment(conn, row._mapping),
            )


class ExperimentItem:
    """Fetch, update (PUT, partial) and delete (soft: state becomes 'deleted') one experiment."""

    def __init__(self, context: Any) -> None:
        self.context = context

    def on_get(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """The experiment, with its progress."""
        owner = caller(req, self.context)
        with self.context.engine.connect() as conn:
            resp.media = render.experiment(conn, experiment_row(conn, eid, owner))

    def on_put(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """Change name, metadata, observation_budget, parallel_bandwidth or state."""
        owner = caller(req, self.context)
        body = read_json(req)
        with self.context.engine.begin() as conn:
            row = experiment_row(conn, eid, owner)
            try:
                changes = rules.experiment_update(body, _stored(row))
            except rules.RuleError as err:
                raise rule_error(err) from err
            if "metadata" in changes:
                changes["metadata"] = dumps(changes["metadata"])
            if changes.get("parallel_bandwidth", 1) is None:
                changes["parallel_bandwidth"] = 1
            if changes:
                conn.execute(
                    EXPERIMENTS.update()
                    .where(EXPERIMENTS.c.id == row["id"])
                    .values(**changes, updated=now())
                )
            fresh = conn.execute(sa.select(EXPERIMENTS).where(EXPERIMENTS.c.id == row["id"])).one()
            resp.media = render.experiment(conn, fresh._mapping)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """Mark the experiment deleted (it stays fetchable, with state 'deleted')."""
        owner = caller(req, self.context)
        with self.context.engine.begin() as conn:
            row = experiment_row(conn, eid, owner)
            if row["state"] != "deleted":
                conn.execute(
                    EXPERIMENTS.update()
                    .where(EXPERIMENTS.c.id == row["id"])
                    .values(state="deleted", updated=now())
                )
        resp.status = falcon.HTTP_204


class BestAssignments:
    """The best observed assignments per optimized metric, as a pagination."""

    def __init__(self, context: Any) -> None:
        self.context = context

    def on_get(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """One ``best_assignments`` object per optimized metric (none before any value)."""
        owner = caller(req, self.context)
        # one page always holds them all, but the paging parameters are still checked
        query_int(req, "limit", DEFAULT_PAGE_LIMIT, minimum=0, maximum=MAX_PAGE_LIMIT)
        for name in ("before", "after"):
            raw = req.get_param(name)
            if raw and not is_id_text(raw):
                raise BadRequest(
                    f"The cursor '{name}' is not one this service gave out: {raw!r}.",
                    detail={"field": name},
                )
        with self.context.engine.connect() as conn:
            rows = render.best_rows(conn, experiment_row(conn, eid, owner))
        data = [render.best_assignments(row) for row in rows]
        resp.media = {
            "object": "pagination",
            "count": len(data),
            "data": data,
            "paging": {"before": None, "after": None},
        }

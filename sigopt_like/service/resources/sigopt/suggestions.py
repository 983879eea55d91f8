"""/v1/experiments/{eid}/suggestions and /v1/experiments/{eid}/suggestions/{sid}."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import falcon
import sqlalchemy as sa

from ...domain import sigopt_rules as rules
from ...errors import BadRequest
from ...http import now, paginate, read_json
from . import render, suggester
from .common import (
    OBSERVATIONS,
    SUGGESTIONS,
    caller,
    child_row,
    dumps,
    experiment_row,
    loads,
    require_active,
    rule_error,
)

STATES = ("open", "closed")


def _state_param(req: falcon.Request) -> str | None:
    state = req.get_param("state")
    if state in (None, "", "all"):
        return None
    if state not in STATES:
        raise BadRequest(
            f"The query parameter 'state' must be open, closed or all, not {state!r}.",
            detail={"field": "state"},
        )
    return state


def _open_assignments(conn: sa.Connection, eid: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.select(SUGGESTIONS.c.assignments).where(
            SUGGESTIONS.c.experiment_id == eid,
            SUGGESTIONS.c.state == "open",
            SUGGESTIONS.c.deleted.is_(False),
        )
    )
    return [loads(r.assignments) for r in rows]


def _history(
    conn: sa.Connection, experiment: Mapping[str, Any]
) -> list[tuple[dict[str, Any], float | None]]:
    """Observations oriented for the optimizer: larger is better, None when failed."""
    target = rules.primary_metric(loads(experiment["metrics"]))
    sign = rules.orientation(target)
    rows = conn.execute(
        sa.select(OBSERVATIONS.c.assignments, OBSERVATIONS.c["values"], OBSERVATIONS.c.failed)
        .where(OBSERVATIONS.c.experiment_id == experiment["id"])
        .order_by(OBSERVATIONS.c.id.asc())
    )
    out = []
    for row in rows:
        value = None
        if not row.failed:
            value = next(
                (v["value"] for v in loads(row[1]) or [] if v["name"] == target["name"]), None
            )
        out.append((loads(row.assignments), None if value is None else sign * value))
    return out


class SuggestionCollection:
    """Create a suggestion (from the optimizer, or given ``assignments``); list; delete."""

    def __init__(self, context: Any) -> None:
        self.context = context

    def on_post(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """A new open suggestion; never waits on the optimizer for more than its budget."""
        owner = caller(req, self.context)
        body = read_json(req, required=False)
        try:
            meta = rules.metadata(body.get("metadata"))
        except rules.RuleError as err:
            raise rule_error(err) from err
        with self.context.engine.connect() as conn:
            experiment = experiment_row(conn, eid, owner)
            require_active(experiment)
            parameters = loads(experiment["parameters"])
            history = _history(conn, experiment) if body.get("assignments") is None else []
            pending = _open_assignments(conn, experiment["id"])
            made = conn.execute(
                sa.select(sa.func.count()).where(SUGGESTIONS.c.experiment_id == experiment["id"])
            ).scalar_one()
        seed = (int(experiment["seed"]) * 1_000_003 + made) % (2**63)
        if body.get("assignments") is not None:
            try:
                chosen = rules.assignments(parameters, body["assignments"])
            except rules.RuleError as err:
                raise rule_error(err) from err
        else:
            chosen = suggester.choose(
                parameters,
                history,
                pending,
                seed=seed,
                use_optimizer=experiment["type"] != "random",
                time_budget=self._time_budget(),
            ).assignments
        with self.context.engine.begin() as conn:
            experiment = experiment_row(conn, eid, owner)
            require_active(experiment)
            if body.get("assignments") is None:
                pending = _open_assignments(conn, experiment["id"])
                if any(rules.same_assignments(chosen, p) for p in pending):
                    # a concurrent request took this point meanwhile
                    chosen = suggester.random_assignments(parameters, pending, seed + len(pending))
            sid = conn.execute(
                SUGGESTIONS.insert().values(
                    experiment_id=experiment["id"],
                    assignments=dumps(chosen),
                    state="open",
                    metadata=dumps(meta),
                    deleted=False,
                    created=now(),
                )
            ).inserted_primary_key[0]
            row = conn.execute(sa.select(SUGGESTIONS).where(SUGGESTIONS.c.id == sid)).one()
        resp.media = render.suggestion(row._mapping)
        resp.status = falcon.HTTP_201

    def _time_budget(self) -> float:
        return float(
            getattr(
                self.context.settings,
                "suggest_time_budget_seconds",
                suggester.DEFAULT_TIME_BUDGET_SECONDS,
            )
        )

    def on_get(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """A page of the experiment's suggestions (not deleted); ``state=open|closed``."""
        owner = caller(req, self.context)
        state = _state_param(req)
        with self.context.engine.connect() as conn:
            experiment = experiment_row(conn, eid, owner)
            query = sa.select(SUGGESTIONS).where(
                SUGGESTIONS.c.experiment_id == experiment["id"], SUGGESTIONS.c.deleted.is_(False)
            )
            if state:
                query = query.where(SUGGESTIONS.c.state == state)
            resp.media = paginate(
                conn, query, SUGGESTIONS.c.id, req, lambda row: render.suggestion(row._mapping)
            )

    def on_delete(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """Delete every suggestion, or only the open ones with ``state=open``."""
        owner = caller(req, self.context)
        state = _state_param(req)
        with self.context.engine.begin() as conn:
            experiment = experiment_row(conn, eid, owner)
            where = [SUGGESTIONS.c.experiment_id == experiment["id"]]
            if state:
                where.append(SUGGESTIONS.c.state == state)
            conn.execute(SUGGESTIONS.update().where(*where).values(deleted=True))
        resp.status = falcon.HTTP_204


class SuggestionItem:
    """Fetch, update (metadata) and delete one suggestion."""

    def __init__(self, context: Any) -> None:
        self.context = context

    def on_get(self, req: falcon.Request, resp: falcon.Response, eid: str, sid: str) -> None:
        """The suggestion (a deleted one shows ``deleted: true``)."""
        owner = caller(req, self.context)
        with self.context.engine.connect() as conn:
            experiment = experiment_row(conn, eid, owner)
            resp.media = render.suggestion(
                child_row(conn, SUGGESTIONS, experiment, sid, "suggestion")
            )

    def on_put(self, req: falcon.Request, resp: falcon.Response, eid: str, sid: str) -> None:
        """Replace the suggestion's metadata."""
        owner = caller(req, self.context)
        body = read_json(req)
        try:
            meta = rules.metadata(body.get("metadata"))
        except rules.RuleError as err:
            raise rule_error(err) from err
        with self.context.engine.begin() as conn:
            experiment = experiment_row(conn, eid, owner)
            row = child_row(conn, SUGGESTIONS, experiment, sid, "suggestion")
            if "metadata" in body:
                conn.execute(
                    SUGGESTIONS.update()
                    .where(SUGGESTIONS.c.id == row["id"])
                    .values(metadata=dumps(meta))
                )
            fresh = conn.execute(sa.select(SUGGESTIONS).where(SUGGESTIONS.c.id == row["id"])).one()
            resp.media = render.suggestion(fresh._mapping)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, eid: str, sid: str) -> None:
        """Delete the suggestion: it leaves the lists and can no longer be observed."""
        owner = caller(req, self.context)
        with self.context.engine.begin() as conn:
            experiment = experiment_row(conn, eid, owner)
            row = child_row(conn, SUGGESTIONS, experiment, sid, "suggestion")
            conn.execute(
                SUGGESTIONS.update().where(SUGGESTIONS.c.id == row["id"]).values(deleted=True)
            )
        resp.status = falcon.HTTP_204

"""/v1/experiments/{eid}/observations, .../observations/batch and .../observations/{oid}.

An observation is for an open suggestion (which it closes) or for explicit
assignments; it carries a value (or one value per metric) or ``failed``.
Every check happens before anything is written, so a refused request, a
whole batch included, leaves the store unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import falcon
import sqlalchemy as sa

from ...domain import sigopt_rules as rules
from ...errors import BadRequest, Conflict, ValidationFailed
from ...http import now, paginate, read_json
from . import render
from .common import (
    OBSERVATIONS,
    SUGGESTIONS,
    body_id,
    caller,
    child_row,
    dumps,
    experiment_row,
    loads,
    require_active,
    rule_error,
)

MAX_BATCH = 10_000


def _invalid(message: str, field: str) -> ValidationFailed:
    problem = {"message": message, "field": field, "row": None, "column": None}
    return ValidationFailed(message, [problem], detail={"field": field})


def _suggested_assignments(
    conn: sa.Connection, experiment: Mapping[str, Any], sid: int, field: str, claimed: set[int]
) -> dict[str, Any]:
    row = conn.execute(
        sa.select(SUGGESTIONS).where(
            SUGGESTIONS.c.id == sid, SUGGESTIONS.c.experiment_id == experiment["id"]
        )
    ).first()
    if row is None:
        raise _invalid(
            f"'{field}': there is no suggestion {sid} in experiment {experiment['id']}.", field
        )
    if row.deleted:
        raise Conflict(f"'{field}': suggestion {sid} was deleted.", detail={"field": field})
    if row.state != "open" or sid in claimed:
        raise Conflict(
            f"'{field}': suggestion {sid} is closed: it already has an observation.",
            detail={"field": field},
        )
    return loads(row.assignments)


def prepare(
    conn: sa.Connection,
    experiment: Mapping[str, Any],
    body: Any,
    prefix: str = "",
    claimed: set[int] | None = None,
) -> dict[str, Any]:
    """The column values of one new observation, checked; raises the API error otherwise.

    ``claimed`` holds suggestion ids already used earlier in the same batch.
    """
    claimed = claimed if claimed is not None else set()
    if not isinstance(body, Mapping):
        where = prefix.rstrip(".") or "body"
        raise BadRequest(f"'{where}' must be an object.", detail={"field": where})
    params = loads(experiment["parameters"])
    sid = body_id(body.get("suggestion"), f"{prefix}suggestion")
    try:
        if sid is not None:
            assignments = _suggested_assignments(
                conn, experiment, sid, f"{prefix}suggestion", claimed
            )
            if body.get("assignments") is not None and not rules.same_assignments(
                rules.assignments(params, body["assignments"]), assignments
            ):
                raise _invalid(
                    f"'{prefix}assignments' differ from those of suggestion {sid}; "
                    "give the suggestion or the assignments.",
                    f"{prefix}assignments",
                )
        elif body.get("assignments") is None:
            raise _invalid(
                f"'{prefix}assignments' is missing: give 'suggestion' (an open suggestion "
                "id) or 'assignments'.",
                f"{prefix}assignments",
            )
        else:
            assignments = rules.assignments(params, body["assignments"])
        values, failed = rules.observation_values(loads(experiment["metrics"]), body)
        meta = rules.metadata(body.get("metadata"))
    except rules.RuleError as err:
        raise rule_error(err, prefix) from err
    stamp = now()
    return {
        "experiment_id": experiment["id"],
        "suggestion_id": sid,
        "assignments": dumps(assignments),
        "values": dumps(values),
        "failed": failed,
        "metadata": dumps(meta),
        "created": stamp,
        "updated": stamp,
    }


def insert(conn: sa.Connection, rows: list[dict[str, Any]]) -> list[Mapping[str, Any]]:
    """Insert checked observations, close their suggestions; the stored rows, in order."""
    out = []
    for values in rows:
        key = conn.execute(OBSERVATIONS.insert().values(**values)).inserted_primary_key
        assert key is not None  # a single-row INSERT always reports its primary key
        oid = key[0]
        if values["suggestion_id"] is not None:
            conn.execute(
                SUGGESTIONS.update()
                .where(SUGGESTIONS.c.id == values["suggestion_id"])
                .values(state="closed")
            )
        out.append(conn.execute(sa.select(OBSERVATIONS).where(OBSERVATIONS.c.id == oid)).one())
    return [dict(r._mapping) for r in out]


class ObservationCollection:
    """Create one observation; list them (newest first); delete them all."""

    def __init__(self, context: Any) -> None:
        self.context = context

    def on_post(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """Record one observation (closing its suggestion, if any)."""
        owner = caller(req, self.context)
        body = read_json(req)
        with self.context.engine.begin() as conn:
            experiment = experiment_row(conn, eid, owner)
            require_active(experiment)
            (row,) = insert(conn, [prepare(conn, experiment, body)])
            resp.media = render.observation(row)
        resp.status = falcon.HTTP_201

    def on_get(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """A page of the experiment's observations."""
        owner = caller(req, self.context)
        with self.context.engine.connect() as conn:
            experiment = experiment_row(conn, eid, owner)
            query = sa.select(OBSERVATIONS).where(OBSERVATIONS.c.experiment_id == experiment["id"])
            resp.media = paginate(
                conn, query, OBSERVATIONS.c.id, req, lambda row: render.observation(row._mapping)
            )

    def on_delete(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """Delete every observation of the experiment."""
        owner = caller(req, self.context)
        with self.context.engine.begin() as conn:
            experiment = experiment_row(conn, eid, owner)
            conn.execute(
                OBSERVATIONS.delete().where(OBSERVATIONS.c.experiment_id == experiment["id"])
            )
        resp.status = falcon.HTTP_204


class ObservationBatch:
    """Create many observations at once: all of them, or none."""

    def __init__(self, context: Any) -> None:
        self.context = context

    def on_post(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        """``{"observations": [...]}`` -> a pagination of the created observations, in order."""
        owner = caller(req, self.context)
        body = read_json(req)
        items = body.get("observations")
        if not isinstance(items, list):
            raise BadRequest(
                "'observations' must be a list of observation objects.",
                detail={"field": "observations"},
            )
        if len(items) > MAX_BATCH:
            raise _invalid(f"'observations' has more than {MAX_BATCH} items.", "observations")
        with self.context.engine.begin() as conn:
            experiment = experiment_row(conn, eid, owner)
            require_active(experiment)
            claimed: set[int] = set()
            prepared = []
            for i, item in enumerate(items):
                values = prepare(conn, experiment, item, f"observations[{i}].", claimed)
                if values["suggestion_id"] is not None:
                    claimed.add(values["suggestion_id"])
                prepared.append(values)
            rows = insert(conn, prepared)
            data = [render.observation(row) for row in rows]
        resp.media = {
            "object": "pagination",
            "count": len(data),
            "data": data,
            "paging": {"before": None, "after": None},
        }
        resp.status = falcon.HTTP_201


class ObservationItem:
    """Fetch, update (PUT, partial) and delete one observation."""

    def __init__(self, context: Any) -> None:
        self.context = context

    def on_get(self, req: falcon.Request, resp: falcon.Response, eid: str, oid: str) -> None:
        """The observation."""
        owner = caller(req, self.context)
        with self.context.engine.connect() as conn:
            experiment = experiment_row(conn, eid, owner)
            resp.media = render.observation(
                child_row(conn, OBSERVATIONS, experiment, oid, "observation")
            )

    def on_put(self, req: falcon.Request, resp: falcon.Response, eid: str, oid: str) -> None:
        """Change value(s), value_stddev, failed, metadata or assignments."""
        owner = caller(req, self.context)
        body = read_json(req)
        with self.context.engine.begin() as conn:
            experiment = experiment_row(conn, eid, owner)
            row = child_row(conn, OBSERVATIONS, experiment, oid, "observation")
            changes = _changes(experiment, row, body)
            conn.execute(
                OBSERVATIONS.update()
                .where(OBSERVATIONS.c.id == row["id"])
                .values(**changes, updated=now())
            )
            fresh = conn.execute(sa.select(OBSERVATIONS).where(OBSERVATIONS.c.id == row["id"]))
            resp.media = render.observation(fresh.one()._mapping)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, eid: str, oid: str) -> None:
        """Delete the observation (its suggestion stays closed)."""
        owner = caller(req, self.context)
        with self.context.engine.begin() as conn:
            experiment = experiment_row(conn, eid, owner)
            row = child_row(conn, OBSERVATIONS, experiment, oid, "observation")
            conn.execute(OBSERVATIONS.delete().where(OBSERVATIONS.c.id == row["id"]))
        resp.status = falcon.HTTP_204


def _changes(
    experiment: Mapping[str, Any], row: Mapping[str, Any], body: Mapping[str, Any]
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    suggestion = body_id(body.get("suggestion"), "suggestion")
    if suggestion is not None and suggestion != row["suggestion_id"]:
        raise _invalid("'suggestion' of an observation cannot change.", "suggestion")
    try:
        if body.get("assignments") is not None:
            assignments = rules.assignments(loads(experiment["parameters"]), body["assignments"])
            if row["suggestion_id"] is not None and not rules.same_assignments(
                assignments, loads(row["assignments"])
            ):
                raise _invalid(
                    "'assignments' of an observation of a suggestion cannot change.",
                    "assignments",
                )
            changes["assignments"] = dumps(assignments)
        if any(k in body for k in ("value", "value_stddev", "values", "failed")):
            merged = rules.observation_update_body(
                loads(row["values"]) or [], bool(row["failed"]), body
            )
            values, failed = rules.observation_values(loads(experiment["metrics"]), merged)
            changes["values"] = dumps(values)
            changes["failed"] = failed
        if "metadata" in body:
            changes["metadata"] = dumps(rules.metadata(body["metadata"]))
    except rules.RuleError as err:
        raise rule_error(err) from err
    return changes

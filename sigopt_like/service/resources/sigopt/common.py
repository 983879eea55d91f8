"""What the SigOpt resources share: the caller, loading an experiment they own,
JSON columns, and turning a broken rule into the service's error body."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import falcon
import sqlalchemy as sa

from ...domain import sigopt_rules as rules
from ...errors import APIError, BadRequest, Conflict, NotFound, Unauthorized, ValidationFailed
from ...http import parse_id
from ...store import schema

EXPERIMENTS = schema.sigopt_experiments
SUGGESTIONS = schema.suggestions
OBSERVATIONS = schema.observations


def caller(req: falcon.Request, context: Any) -> int:
    """The id of the calling user (the local user when the service needs no token)."""
    user_id = getattr(req.context, "user_id", None)
    if user_id is not None:
        return int(user_id)
    if context.settings.auth_required:
        raise Unauthorized("This service needs an API token.")
    return int(context.local_user_id)


def child_row(
    conn: sa.Connection, table: sa.Table, experiment: Mapping[str, Any], raw_id: str, what: str
) -> Mapping[str, Any]:
    """One row of ``table`` (suggestions or observations) that belongs to ``experiment``;
    a 404 naming ``what`` otherwise."""
    row_id = parse_id(raw_id, what)
    row = conn.execute(
        sa.select(table).where(table.c.id == row_id, table.c.experiment_id == experiment["id"])
    ).first()
    if row is None:
        raise NotFound(
            f"No {what} with id {raw_id!r} in experiment {experiment['id']}.",
            detail={"field": what},
        )
    return dict(row._mapping)


def dumps(value: Any) -> str | None:
    """A JSON column's text (None stays None)."""
    return None if value is None else json.dumps(value, separators=(",", ":"))


def loads(text: str | None) -> Any:
    """A JSON column's value (None stays None)."""
    return None if text is None else json.loads(text)


def rule_error(err: rules.RuleError, prefix: str = "") -> APIError:
    """The API error for a broken rule: 400 or 422, with ``detail.field``."""
    field = f"{prefix}{err.field}" if prefix else err.field
    message = err.message
    if prefix and message.startswith("'"):
        message = f"'{prefix}{message[1:]}"
    problem = {"message": message, "field": field, "row": None, "column": None}
    if err.status == 400:
        return BadRequest(message, detail={"field": field, "errors": [problem]})
    return ValidationFailed(message, [problem], detail={"field": field})


def experiment_row(conn: sa.Connection, raw_id: str, owner: int) -> Mapping[str, Any]:
    """The caller's experiment with this path id, or a 404 (also for others' experiments)."""
    eid = parse_id(raw_id, "experiment")
    row = conn.execute(
        sa.select(EXPERIMENTS).where(EXPERIMENTS.c.id == eid, EXPERIMENTS.c.owner_id == owner)
    ).first()
    if row is None:
        raise NotFound(f"No experiment with id {raw_id!r}.", detail={"field": "experiment"})
    return dict(row._mapping)


def require_active(experiment: Mapping[str, Any]) -> None:
    """A 409 when the experiment is deleted (its state must be set back to active first)."""
    if experiment["state"] != "active":
        raise Conflict(
            f"Experiment {experiment['id']} is deleted; update its state to 'active' to use it.",
            detail={"field": "experiment"},
        )


def body_id(value: Any, field: str) -> int | None:
    """An id given in a JSON body (string of digits or integer), or a 400 naming the field."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise BadRequest(f"'{field}' must be an id string.", detail={"field": field})
    text = str(value)
    if not text.isdigit() or len(text) > 18:
        raise ValidationFailed(
            f"'{field}': {value!r} is not an id of this service.",
            [{"message": f"not an id: {value!r}", "field": field, "row": None, "column": None}],
            detail={"field": field},
        )
    return int(text)

"""Stored rows -> SigOpt v1 JSON objects (experiment, suggestion, observation, best_assignments)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from ...domain import sigopt_rules as rules
from .common import OBSERVATIONS, loads


def parameter(param: Mapping[str, Any]) -> dict[str, Any]:
    """One parameter as SigOpt renders it."""
    out: dict[str, Any] = {
        "object": "parameter",
        "name": param["name"],
        "type": param["type"],
        "bounds": None,
        "categorical_values": None,
        "conditions": {},
        "default_value": param.get("default_value"),
        "precision": param.get("precision"),
        "prior": param.get("prior"),
        "transformation": param.get("transformation"),
        "grid": [],
    }
    if param["type"] == "categorical":
        out["categorical_values"] = [
            {"object": "categorical_value", "name": name, "enum_index": i}
            for i, name in enumerate(param["categorical_values"], start=1)
        ]
    else:
        out["bounds"] = {"object": "bounds", **param["bounds"]}
    return out


def metric(item: Mapping[str, Any]) -> dict[str, Any]:
    """One metric as SigOpt renders it."""
    return {"object": "metric", **item}


def evaluation(value: Mapping[str, Any]) -> dict[str, Any]:
    """One metric value of an observation (``metric_evaluation``)."""
    return {
        "object": "metric_evaluation",
        "name": value["name"],
        "value": value["value"],
        "value_stddev": value["value_stddev"],
    }


def _value_fields(values: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    single = values[0] if len(values) == 1 else None
    return {
        "value": single["value"] if single else None,
        "value_stddev": single["value_stddev"] if single else None,
        "values": [evaluation(v) for v in values],
    }


def observation(row: Mapping[str, Any]) -> dict[str, Any]:
    """An observation row as SigOpt's ``observation`` object."""
    return {
        "object": "observation",
        "id": str(row["id"]),
        "assignments": loads(row["assignments"]),
        **_value_fields(loads(row["values"]) or []),
        "failed": bool(row["failed"]),
        "suggestion": str(row["suggestion_id"]) if row["suggestion_id"] is not None else None,
        "experiment": str(row["experiment_id"]),
        "created": row["created"],
        "updated": row["updated"],
        "metadata": loads(row["metadata"]),
        "task": None,
    }


def best_assignments(row: Mapping[str, Any]) -> dict[str, Any]:
    """An observation row as SigOpt's ``best_assignments`` object."""
    return {
        "object": "best_assignments",
        "id": str(row["id"]),
        "assignments": loads(row["assignments"]),
        **_value_fields(loads(row["values"]) or []),
    }


def suggestion(row: Mapping[str, Any]) -> dict[str, Any]:
    """A suggestion row as SigOpt's ``suggestion`` object."""
    return {
        "object": "suggestion",
        "id": str(row["id"]),
        "assignments": loads(row["assignments"]),
        "state": row["state"],
        "experiment": str(row["experiment_id"]),
        "created": row["created"],
        "metadata": loads(row["metadata"]),
        "deleted": bool(row["deleted"]),
        "task": None,
    }


def best_rows(conn: sa.Connection, experiment: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The best observation row per optimized metric, respecting each objective."""
    rows = [
        dict(r._mapping)
        for r in conn.execute(
            sa.select(OBSERVATIONS)
            .where(OBSERVATIONS.c.experiment_id == experiment["id"])
            .order_by(OBSERVATIONS.c.id.asc())
        )
    ]
    by_id = {row["id"]: row for row in rows}
    keys = rules.best_per_metric(
        loads(experiment["metrics"]),
        [(row["id"], loads(row["values"]) or [], bool(row["failed"])) for row in rows],
    )
    return [by_id[k] for k in keys]


def progress(conn: sa.Connection, experiment: Mapping[str, Any]) -> dict[str, Any]:
    """SigOpt's ``progress`` object of an experiment."""
    eid = experiment["id"]
    count = conn.execute(
        sa.select(sa.func.count()).where(OBSERVATIONS.c.experiment_id == eid)
    ).scalar_one()
    first = last = best = None
    if count:
        base = sa.select(OBSERVATIONS).where(OBSERVATIONS.c.experiment_id == eid)
        first = observation(
            dict(conn.execute(base.order_by(OBSERVATIONS.c.id.asc()).limit(1)).one()._mapping)
        )
        last = observation(
            dict(conn.execute(base.order_by(OBSERVATIONS.c.id.desc()).limit(1)).one()._mapping)
        )
        top = best_rows(conn, experiment)
        best = observation(top[0]) if top else None
    return {
        "object": "progress",
        "observation_count": count,
        "observation_budget_consumed": float(count),
        "first_observation": first,
        "last_observation": last,
        "best_observation": best,
    }


def experiment(conn: sa.Connection, row: Mapping[str, Any]) -> dict[str, Any]:
    """An experiment row as SigOpt's ``experiment`` object, progress included."""
    return {
        "object": "experiment",
        "id": str(row["id"]),
        "name": row["name"],
        "type": row["type"],
        "parameters": [parameter(p) for p in loads(row["parameters"])],
        "metrics": [metric(m) for m in loads(row["metrics"])],
        "conditionals": [],
        "linear_constraints": [],
        "num_solutions": 1,
        "observation_budget": row["observation_budget"],
        "parallel_bandwidth": row["parallel_bandwidth"],
        "metadata": loads(row["metadata"]),
        "state": row["state"],
        "created": row["created"],
        "updated": row["updated"],
        "progress": progress(conn, row),
        "client": str(row["owner_id"]),
        "user": str(row["owner_id"]),
        "project": None,
        "development": False,
    }

"""Stored records -> the modern API's objects: project, training_run, aiexperiment,
checkpoint, client, token."""

from __future__ import annotations

from typing import Any

from ...store.sigopt import ExperimentRecord, SigoptUnit
from ...store.sigopt_notes import NoteRecord
from ...store.sigopt_runs import CheckpointRecord, ProjectRecord, RunRecord
from ...store.sigopt_tags import TagRecord
from .render import definition_fields


def project(row: ProjectRecord) -> dict[str, Any]:
    return {
        "object": "project",
        "id": row.key,
        "name": row.name,
        "client": str(row.owner_id),
        "user": str(row.owner_id),
        "metadata": row.metadata,
        "created": row.created,
        "updated": row.updated,
    }


def training_run(row: RunRecord) -> dict[str, Any]:
    fields = row.fields
    return {
        "object": "training_run",
        "id": str(row.id),
        "name": row.name,
        "state": row.state,
        "finished": row.state in ("completed", "failed"),
        "completed": row.completed,
        "deleted": row.deleted,
        "assignments": row.assignments,
        "values": {
            name: {"object": "metric_evaluation", "name": name, **value}
            for name, value in row.values.items()
        },
        "metadata": row.metadata,
        "sys_metadata": fields.get("sys_metadata"),
        "dev_metadata": fields.get("dev_metadata"),
        "assignments_meta": fields.get("assignments_meta"),
        "assignments_sources": fields.get("assignments_sources"),
        "datasets": list((fields.get("datasets") or {}).keys()),
        "logs": fields.get("logs") or {},
        "model": fields.get("model"),
        "source_code": fields.get("source_code"),
        "files": list(fields.get("files") or []),  # uploaded ones (resources/sigopt/files.py)
        "tags": list(fields.get("tags") or []),  # tag ids, oldest first (resources/sigopt/tags.py)
        "best_checkpoint": None,
        "checkpoint_count": row.checkpoint_count,
        "client": str(row.owner_id),
        "user": str(row.owner_id),
        "project": row.project,
        "experiment": None if row.experiment_id is None else str(row.experiment_id),
        "suggestion": None if row.suggestion_id is None else str(row.suggestion_id),
        "observation": None if row.observation_id is None else str(row.observation_id),
        "created": row.created,
        "updated": row.updated,
    }


def new_suggested_run(owner: int, experiment_id: int) -> dict[str, Any]:
    """What every new run of an AI experiment renders among the fields a client may send
    back, as far as it is known before the run is made (not its id, times, suggestion
    or project)."""
    return {
        "object": "training_run",
        "finished": False,
        "completed": None,
        "files": [],
        "tags": [],
        "best_checkpoint": None,
        "checkpoint_count": 0,
        "client": str(owner),
        "user": str(owner),
        "experiment": str(experiment_id),
        "observation": None,
    }


def aiexperiment(unit: SigoptUnit, row: ExperimentRecord) -> dict[str, Any]:
    counts = unit.runs.counts(row.id)
    total = sum(counts.values())
    finished = counts.get("completed", 0) + counts.get("failed", 0)
    budget = row.observation_budget
    return {
        "object": "aiexperiment",
        **definition_fields(row),
        "budget": budget,
        "progress": {
            "object": "progress",
            "active_run_count": counts.get("active", 0),
            "finished_run_count": finished,
            "total_run_count": total,
            "remaining_budget": None if budget is None else float(budget - total),
        },
    }


def checkpoint(row: CheckpointRecord) -> dict[str, Any]:
    return {
        "object": "checkpoint",
        "id": str(row.id),
        "training_run": str(row.training_run_id),
        "values": [{"object": "metric_evaluation", "value_stddev": None, **v} for v in row.values],
        "metadata": row.metadata,
        "created": row.created,
        "should_stop": False,
        "stopping_reasons": {},
    }


def project_note(row: NoteRecord, project: ProjectRecord) -> dict[str, Any]:
    return {
        "object": "project_note",
        "contents": row.contents,
        "created": row.created,
        "user": str(row.user_id),
        "client": str(project.owner_id),
        "project": project.key,
    }


def tag(row: TagRecord) -> dict[str, Any]:
    return {
        "object": "tag",
        "id": str(row.id),
        "name": row.name,
        "color": row.color,
        "client": str(row.owner_id),
    }


def client(owner: int) -> dict[str, Any]:
    return {
        "object": "client",
        "id": str(owner),
        "name": f"client {owner}",
        "organization": str(owner),
        "created": None,
    }


def token(
    owner: int,
    token_id: Any,
    experiment_id: int | None = None,
    *,
    secret: str | None = None,
    expires: int | None = None,
) -> dict[str, Any]:
    """A token: the caller's own (``tokens/self``, never its secret) or a guest token of
    one experiment (its secret only when it is made; ``expires`` when it ends)."""
    guest = experiment_id is not None
    return {
        "object": "token",
        "id": None if token_id is None else str(token_id),
        "client": str(owner),
        "user": str(owner),
        "development": False,
        "all_experiments": not guest,
        "experiment": str(experiment_id) if guest else None,
        "expires": expires,
        "token_type": "guest" if guest else "client-api",
        "token": secret,
    }

"""SigOpt projects, training runs and their checkpoints: the SQL of the modern API.

A project belongs to one owner and is named by its key (SigOpt's project id,
such as ``"my-model"``). A training run belongs to a project and, when it was
created by an AI experiment's loop, to that experiment and one of its
suggestions; its ``values`` are ``{metric: {"value", "value_stddev"}}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import sqlalchemy as sa

from . import schema
from .pages import Page, PageRequest, fetch_page, fetch_recent_page, fetch_sorted_page
from .text_search import holds

P = schema.sigopt_projects
R = schema.training_runs
E = schema.sigopt_experiments
C = schema.run_checkpoints


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"))


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


@attrs.frozen
class ProjectRecord:
    """A project as stored; ``key`` is SigOpt's project id."""

    id: int
    owner_id: int
    key: str
    name: str
    metadata: dict[str, Any] | None
    created: int
    updated: int


@attrs.frozen
class RunRecord:
    """A training run as stored; ``fields`` holds what else the run logged."""

    id: int
    owner_id: int
    project: str
    project_id: int
    experiment_id: int | None
    suggestion_id: int | None
    observation_id: int | None
    name: str | None
    state: str
    deleted: bool
    assignments: dict[str, Any]
    values: dict[str, dict[str, Any]]
    metadata: dict[str, Any] | None
    fields: dict[str, Any]
    created: int
    updated: int
    completed: int | None
    checkpoint_count: int


@attrs.frozen
class CheckpointRecord:
    """One checkpoint of a run: ``values`` ``[{name, value}]``."""

    id: int
    training_run_id: int
    values: list[dict[str, Any]]
    metadata: dict[str, Any] | None
    created: int


def _project(row: Any) -> ProjectRecord:
    m = row._mapping
    return ProjectRecord(
        id=m["id"],
        owner_id=m["owner_id"],
        key=m["key"],
        name=m["name"],
        metadata=_loads(m["metadata"]),
        created=m["created"],
        updated=m["updated"],
    )


class Projects:
    """Projects of one owner, by key."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn

    def get(self, owner: int, key: str) -> ProjectRecord | None:
        row = self.conn.execute(sa.select(P).where(P.c.owner_id == owner, P.c.key == key)).first()
        return None if row is None else _project(row)

    def create(self, owner: int, key: str, name: str, metadata: Any, stamp: int) -> ProjectRecord:
        """A new project (the caller checks first that the key is free)."""
        self.conn.execute(
            P.insert().values(
                owner_id=owner,
                key=key,
                name=name,
                metadata=_dumps(metadata),
                created=stamp,
                updated=stamp,
            )
        )
        found = self.get(owner, key)
        assert found is not None
        return found

    def get_or_create(self, owner: int, key: str, stamp: int) -> ProjectRecord:
        """The owner's project ``key``, created (named after its key) if it is new.

        Clients starting together on a new project (sigopt-python's first GET of
        ``SIGOPT_PROJECT``) race to create it: on PostgreSQL the losers' inserts broke
        the unique key (a 500); the insert runs in a savepoint, and a loser reads the
        winner's project instead.
        """
        found = self.get(owner, key) or self.create_new(owner, key, key, None, stamp)
        if found is None:  # another transaction created it meanwhile
            found = self.get(owner, key)
            assert found is not None
        return found

    def create_new(
        self, owner: int, key: str, name: str, metadata: Any, stamp: int
    ) -> ProjectRecord | None:
        """A new project, or None when the key is taken (by another transaction too: the
        insert runs in a savepoint, so a broken unique key leaves the transaction usable)."""
        if self.get(owner, key) is not None:
            return None
        try:
            with self.conn.begin_nested():
                return self.create(owner, key, name, metadata, stamp)
        except sa.exc.IntegrityError:
            if self.get(owner, key) is None:
                raise
            return None

    def page(
        self, owner: int, request: PageRequest, *, sort: str = "updated", ascending: bool = False
    ) -> Page[ProjectRecord]:
        """A page of the owner's projects, as SigOpt sorts them: ``updated`` (the last
        update, then id) or ``created`` (id); largest first unless ``ascending``. The
        cursors are ids; under ``updated`` a cursor must be one of the owner's projects
        (:class:`~.pages.UnknownCursor` otherwise), and the page goes on from where that
        project stands now."""
        query = sa.select(P).where(P.c.owner_id == owner)
        if sort == "created":
            return fetch_sorted_page(
                self.conn, query, (P.c.id,), request, _project, ascending=ascending
            )
        if sort != "updated":
            raise ValueError(f"unknown sort {sort!r}")
        return fetch_recent_page(self.conn, query, P, owner, request, _project, ascending=ascending)

    def update(self, pid: int, changes: Mapping[str, Any], stamp: int) -> None:
        values = dict(changes)
        if "metadata" in values:
            values["metadata"] = _dumps(values["metadata"])
        if values:
            self.conn.execute(P.update().where(P.c.id == pid).values(**values, updated=stamp))


def _run_select() -> sa.Select:
    checkpoints = (
        sa.select(sa.func.count())
        .where(C.c.training_run_id == R.c.id)
        .correlate(R)
        .scalar_subquery()
        .label("checkpoint_count")
    )
    return sa.select(R, P.c.key.label("project_key"), checkpoints).select_from(
        R.join(P, R.c.project_id == P.c.id)
    )


def _run(row: Any) -> RunRecord:
    return _run_of(row._mapping)


def _run_of(m: Mapping[str, Any]) -> RunRecord:
    """The record of a run's columns (``project_key`` and ``checkpoint_count`` beside)."""
    return RunRecord(
        id=m["id"],
        owner_id=m["owner_id"],
        project=m["project_key"],
        project_id=m["project_id"],
        experiment_id=m["experiment_id"],
        suggestion_id=m["suggestion_id"],
        observation_id=m["observation_id"],
        name=m["name"],
        state=m["state"],
        deleted=bool(m["deleted"]),
        assignments=_loads(m["assignments"]) or {},
        values=_loads(m["values"]) or {},
        metadata=_loads(m["metadata"]),
        fields=_loads(m["fields"]) or {},
        created=m["created"],
        updated=m["updated"],
        completed=m["completed"],
        checkpoint_count=int(m["checkpoint_count"] or 0),
    )


class Runs:
    """Training runs and their checkpoints (in a write, :meth:`get` locks the run's row:
    two concurrent updates of one run merge one after the other, none lost)."""

    def __init__(self, conn: sa.Connection, lock: bool = False) -> None:
        self.conn = conn
        self.lock = lock

    def create(
        self,
        owner: int,
        project_id: int,
        *,
        project_key: str,
        name: str | None,
        metadata: Any,
        stamp: int,
        experiment_id: int | None = None,
        suggestion_id: int | None = None,
        assignments: Mapping[str, Any] | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> RunRecord:
        """A new active run in project ``project_id``, whose key is ``project_key``.

        The record is made from the texts just written, decoded as a read decodes them:
        reading the row back (with its project's key and its checkpoints' count, none
        yet) was a statement of every new run."""
        row: dict[str, Any] = {
            "owner_id": owner,
            "project_id": project_id,
            "experiment_id": experiment_id,
            "suggestion_id": suggestion_id,
            "observation_id": None,
            "name": name,
            "state": "active",
            "deleted": False,
            "assignments": _dumps(dict(assignments or {})),
            "values": "{}",
            "metadata": _dumps(metadata),
            "fields": _dumps(dict(fields or {})),
            "created": stamp,
            "updated": stamp,
            "completed": None,
        }
        key = self.conn.execute(R.insert().values(**row)).inserted_primary_key
        assert key is not None
        written = {**row, "id": int(key[0]), "project_key": project_key, "checkpoint_count": 0}
        return _run_of(written)

    def get(self, owner: int, rid: int) -> RunRecord | None:
        query = _run_select().where(R.c.id == rid, R.c.owner_id == owner)
        if self.lock:  # FOR UPDATE on PostgreSQL; SQLite's write transaction is the lock
            # the run's row only, as before (not its project's), locked by the statement
            # that reads it instead of a locking SELECT of its own
            query = query.with_for_update(of=R)
        row = self.conn.execute(query).first()
        return None if row is None else _run(row)

    def page(
        self,
        owner: int,
        request: PageRequest,
        *,
        project_id: int | None = None,
        experiment_id: int | None = None,
        deleted: bool | None = False,
        search: str | None = None,
        ascending: bool = False,
    ) -> Page[RunRecord]:
        """A page of the owner's runs, newest first (oldest when ``ascending``); ``search``:
        only runs whose name holds it, in any case (SigOpt's ``ilike``)."""
        query = _run_select().where(R.c.owner_id == owner)
        if search is not None:
            query = query.where(holds(R.c.name, search.strip()))
        if project_id is not None:
            query = query.where(R.c.project_id == project_id)
        if experiment_id is not None:
            query = query.where(R.c.experiment_id == experiment_id)
        if deleted is not None:
            query = query.where(R.c.deleted.is_(deleted))
        return fetch_page(self.conn, query, R.c.id, request, _run, ascending=ascending)

    def update(self, rid: int, changes: Mapping[str, Any], stamp: int) -> None:
        """Change columns: name, state, deleted, assignments, values, metadata, fields,
        completed, observation_id (JSON ones as Python values)."""
        values = dict(changes)
        for key in ("assignments", "values", "metadata", "fields"):
            if key in values:
                values[key] = _dumps(values[key])
        self.conn.execute(R.update().where(R.c.id == rid).values(**values, updated=stamp))

    def lock_experiment_of(self, owner: int, rid: int) -> None:
        """Lock the row of the experiment run ``rid`` belongs to (in a write, on
        PostgreSQL; nothing for a run of no experiment), before the run's own.

        Every write that locks both takes the experiment first: a run's update or end
        (it reports its observation to the experiment), a new run (its suggestion), an
        archive with the runs. Ends locked the run first and archives the runs first, but
        a run made after an archive had locked the runs was still archived by it: its
        end, holding it and waiting for the experiment, deadlocked with the archive
        (PostgreSQL failed one, a 503).
        """
        if self.lock:
            of_run = sa.select(R.c.experiment_id).where(R.c.id == rid, R.c.owner_id == owner)
            mine = sa.select(E.c.id).where(E.c.id == of_run.scalar_subquery())
            self.conn.execute(mine.with_for_update()).all()

    def archive_of_experiment(self, experiment_id: int, stamp: int) -> None:
        """Archive every run of an experiment."""
        self.conn.execute(
            R.update().where(R.c.experiment_id == experiment_id).values(deleted=True, updated=stamp)
        )

    def counts(self, experiment_id: int) -> dict[str, int]:
        """Runs of an experiment that are not deleted, by state."""
        rows = self.conn.execute(
            sa.select(R.c.state, sa.func.count())
            .where(R.c.experiment_id == experiment_id, R.c.deleted.is_(False))
            .group_by(R.c.state)
        )
        return {state: int(n) for state, n in rows}

    def of_observations(self, experiment_id: int, ids: Sequence[int]) -> dict[int, RunRecord]:
        """The runs that reported these observations, by observation id."""
        if not ids:
            return {}
        rows = self.conn.execute(
            _run_select().where(
                R.c.experiment_id == experiment_id, R.c.observation_id.in_(list(ids))
            )
        )
        runs = [_run(r) for r in rows]
        return {r.observation_id: r for r in runs if r.observation_id is not None}

    def add_checkpoint(
        self, rid: int, values: Sequence[Mapping[str, Any]], metadata: Any, stamp: int
    ) -> CheckpointRecord:
        key = self.conn.execute(
            C.insert().values(
                training_run_id=rid,
                values=_dumps(list(values)),
                metadata=_dumps(metadata),
                created=stamp,
            )
        ).inserted_primary_key
        assert key is not None
        row = self.conn.execute(sa.select(C).where(C.c.id == int(key[0]))).one()
        return _checkpoint(row)

    def checkpoints(
        self, rid: int, request: PageRequest, *, ascending: bool = False
    ) -> Page[CheckpointRecord]:
        """A page of the run's checkpoints, newest first (oldest when ``ascending``)."""
        query = sa.select(C).where(C.c.training_run_id == rid)
        return fetch_page(self.conn, query, C.c.id, request, _checkpoint, ascending=ascending)

    def checkpoint(self, rid: int, checkpoint_id: int) -> CheckpointRecord | None:
        """The run's checkpoint of that id (None: none, or another run's)."""
        row = self.conn.execute(
            sa.select(C).where(C.c.id == checkpoint_id, C.c.training_run_id == rid)
        ).first()
        return None if row is None else _checkpoint(row)


def _checkpoint(row: Any) -> CheckpointRecord:
    m = row._mapping
    return CheckpointRecord(
        id=m["id"],
        training_run_id=m["training_run_id"],
        values=_loads(m["values"]) or [],
        metadata=_loads(m["metadata"]),
        created=m["created"],
    )

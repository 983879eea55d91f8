"""SigOpt experiments, suggestions, queued suggestions and observations: the SQL of the
SigOpt family.

:class:`SigoptStore` opens a unit of work (``read()`` or ``write()``, one
transaction each); the unit's parts speak for one kind of row each and return
typed records with their JSON columns decoded. Lookups by id take the owner,
so another user's rows are never seen (the resource answers 404).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import attrs
import sqlalchemy as sa

from . import schema
from .database import Database
from .pages import Page, PageRequest, fetch_page, fetch_recent_page, fetch_sorted_page
from .sigopt_files import RunFiles
from .sigopt_notes import ProjectNotes
from .sigopt_runs import Projects, Runs
from .sigopt_tags import Tags
from .text_search import holds

E = schema.sigopt_experiments
S = schema.suggestions
Q = schema.queued_suggestions
O = schema.observations  # noqa: E741
P = schema.sigopt_projects


def dumps(value: Any) -> str | None:
    """A JSON column's text (None stays None)."""
    return None if value is None else json.dumps(value, separators=(",", ":"))


def loads(text: str | None) -> Any:
    """A JSON column's value (None stays None)."""
    return None if text is None else json.loads(text)


def loads_all(texts: Sequence[str | None]) -> list[Any]:
    """The values of many JSON columns' texts (None stays None), decoded in one call:
    each ``json.loads`` of a short text costs several times its parsing (300 metric
    values: 1.07 ms one by one, 0.32 ms at once)."""
    return json.loads("[" + ",".join("null" if t is None else t for t in texts) + "]")


@attrs.frozen
class ExperimentRecord:
    """An experiment as stored; ``project`` is the project's key (SigOpt's project id)."""

    id: int
    owner_id: int
    kind: str
    name: str
    type: str
    parameters: list[dict[str, Any]]
    metrics: list[dict[str, Any]]
    conditionals: list[dict[str, Any]]
    linear_constraints: list[dict[str, Any]]
    num_solutions: int
    observation_budget: int | None
    parallel_bandwidth: int
    metadata: dict[str, Any] | None
    state: str
    seed: int
    project: str | None
    project_id: int | None
    created: int
    updated: int
    tasks: list[dict[str, Any]] = attrs.field(factory=list)
    """``[{name, cost}]`` of a multitask experiment (one with cost 1), else empty."""
    seed_given: bool = False
    """Whether the creator gave ``seed`` (else the service drew it): its suggestions are
    then a function of the history alone, not of the machine's load."""

    def definition(self) -> dict[str, Any]:
        """The canonical definition, as the rules and the engine read it."""
        return {
            "type": self.type,
            "parameters": self.parameters,
            "metrics": self.metrics,
            "conditionals": self.conditionals,
            "linear_constraints": self.linear_constraints,
            "num_solutions": self.num_solutions,
            "observation_budget": self.observation_budget,
            "parallel_bandwidth": self.parallel_bandwidth,
            "project": self.project,
            "tasks": self.tasks,
        }


@attrs.frozen
class SuggestionRecord:
    """A suggestion as stored."""

    id: int
    experiment_id: int
    assignments: dict[str, Any]
    state: str
    metadata: dict[str, Any] | None
    deleted: bool
    created: int
    task: str | None = None
    """The task's name (multitask experiments), else None."""


@attrs.frozen
class QueuedSuggestionRecord:
    """Assignments queued for one of the experiment's next suggestions."""

    id: int
    experiment_id: int
    assignments: dict[str, Any]
    created: int
    task: str | None = None
    """The task's name (multitask experiments), else None."""


@attrs.frozen
class ObservationRecord:
    """An observation as stored; ``values`` is ``[{name, value, value_stddev}]``."""

    id: int
    experiment_id: int
    suggestion_id: int | None
    assignments: dict[str, Any]
    values: list[dict[str, Any]]
    failed: bool
    metadata: dict[str, Any] | None
    created: int
    updated: int
    task: str | None = None
    """The task's name (multitask experiments), else None."""

    def values_by_name(self) -> dict[str | None, float]:
        """Metric values by metric name."""
        return {v["name"]: v["value"] for v in self.values}

    def stddevs_by_name(self) -> dict[str | None, float | None]:
        """Reported standard deviations (value_stddev) by metric name."""
        return {v["name"]: v.get("value_stddev") for v in self.values}


@attrs.frozen
class ObservationScore:
    """What choosing the best observations reads of one: no metadata, and assignments
    only when asked (``{}`` otherwise)."""

    id: int
    assignments: dict[str, Any]
    values: dict[str | None, float]
    """Metric values by metric name."""
    failed: bool
    task: str | None


def _experiment_select() -> sa.Select:
    return sa.select(E, P.c.key.label("project_key")).select_from(
        E.outerjoin(P, E.c.project_id == P.c.id)
    )


def _experiment(row: Any) -> ExperimentRecord:
    return _experiment_of(row._mapping)


def _experiment_of(m: Mapping[str, Any]) -> ExperimentRecord:
    """The record of an experiment's columns (``project_key`` beside them)."""
    return ExperimentRecord(
        id=m["id"],
        owner_id=m["owner_id"],
        kind=m["kind"] or "experiment",
        name=m["name"],
        type=m["type"],
        parameters=loads(m["parameters"]),
        metrics=loads(m["metrics"]),
        conditionals=loads(m["conditionals"]) or [],
        linear_constraints=loads(m["linear_constraints"]) or [],
        num_solutions=m["num_solutions"] or 1,
        observation_budget=m["observation_budget"],
        parallel_bandwidth=m["parallel_bandwidth"] or 1,
        metadata=loads(m["metadata"]),
        state=m["state"],
        seed=int(m["seed"]),
        project=m["project_key"],
        project_id=m["project_id"],
        created=m["created"],
        updated=m["updated"],
        tasks=loads(m["tasks"]) or [],
        seed_given=bool(m["seed_given"]),
    )


def _suggestion(row: Any) -> SuggestionRecord:
    return _suggestion_of(row._mapping)


def _suggestion_of(m: Mapping[str, Any]) -> SuggestionRecord:
    return SuggestionRecord(
        id=m["id"],
        experiment_id=m["experiment_id"],
        assignments=loads(m["assignments"]),
        state=m["state"],
        metadata=loads(m["metadata"]),
        deleted=bool(m["deleted"]),
        created=m["created"],
        task=m["task"],
    )


def _queued(row: Any) -> QueuedSuggestionRecord:
    return _queued_of(row._mapping)


def _queued_of(m: Mapping[str, Any]) -> QueuedSuggestionRecord:
    return QueuedSuggestionRecord(
        id=m["id"],
        experiment_id=m["experiment_id"],
        assignments=loads(m["assignments"]),
        created=m["created"],
        task=m["task"],
    )


def _observation(row: Any) -> ObservationRecord:
    (record,) = _observations([row])
    return record


def _observations(rows: Sequence[Any]) -> list[ObservationRecord]:
    """Rows of ``sa.select(O)`` as records, each JSON column's texts decoded in one call
    (one ``json.loads`` per text was most of a page of 100's reading). The columns are
    taken by position: a row's ``_mapping``, made afresh at each use, cost as much as
    the decoding."""
    assignments = loads_all([r[3] for r in rows])
    values = loads_all([r[4] for r in rows])
    metadata = loads_all([r[6] for r in rows])
    return [
        ObservationRecord(
            id=r[0],
            experiment_id=r[1],
            suggestion_id=r[2],
            assignments=a,
            values=v or [],
            failed=bool(r[5]),
            metadata=d,
            created=r[7],
            updated=r[8],
            task=r[9],
        )
        for r, a, v, d in zip(rows, assignments, values, metadata, strict=True)
    ]


#: the order of ``observations``' columns that :func:`_observations` reads by position
_OBSERVATION_COLUMNS = (
    "id",
    "experiment_id",
    "suggestion_id",
    "assignments",
    "values",
    "failed",
    "metadata",
    "created",
    "updated",
    "task",
)
assert tuple(O.c.keys()) == _OBSERVATION_COLUMNS, "observations' columns moved"


def _score_columns(assignments: bool) -> list[sa.ColumnElement]:
    """The columns :func:`_scores` reads, in its order."""
    columns: list[sa.ColumnElement] = [O.c.id, O.c["values"], O.c.failed, O.c.task]
    if assignments:
        columns.append(O.c.assignments)
    return columns


def _scores(rows: Sequence[Any], assignments: bool) -> list[ObservationScore]:
    """Rows of :func:`_score_columns` as scores, each column decoded in one call."""
    values = loads_all([r[1] for r in rows])
    chosen = loads_all([r[4] for r in rows]) if assignments else [{}] * len(rows)
    return [
        ObservationScore(
            id=r[0],
            assignments=a,
            values={v["name"]: v["value"] for v in vs or ()},
            failed=bool(r[2]),
            task=r[3],
        )
        for r, vs, a in zip(rows, values, chosen, strict=True)
    ]


class Experiments:
    """Experiments of one owner (SigOpt v1 experiments and AI experiments).

    In a write (``lock``), :meth:`get` locks the experiment's row until the transaction
    ends, so that the writes of one experiment (suggest, observe, a run reporting) run
    one after the other: SQLite's writes already do, but on PostgreSQL two observations
    of one suggestion both found it open (8 at once stored up to 5), and concurrent
    suggestions both found a point free.
    """

    def __init__(self, conn: sa.Connection, lock: bool = False) -> None:
        self.conn = conn
        self.lock = lock

    def create(
        self,
        owner: int,
        definition: Mapping[str, Any],
        *,
        kind: str,
        seed: int,
        project_id: int | None,
        project_key: str | None,
        stamp: int,
    ) -> ExperimentRecord:
        """Store a new experiment from a canonical definition, in project ``project_id``
        (whose key is ``project_key``) or none.

        The record is made from the texts just written, decoded as a read decodes them:
        reading the row back (with its project's key) was a statement of every create."""
        row = dict(
            owner_id=owner,
            kind=kind,
            project_id=project_id,
            name=definition["name"],
            type=definition["type"],
            parameters=dumps(definition["parameters"]),
            metrics=dumps(definition["metrics"]),
            conditionals=dumps(definition["conditionals"] or None),
            linear_constraints=dumps(definition["linear_constraints"] or None),
            num_solutions=definition["num_solutions"],
            observation_budget=definition["observation_budget"],
            parallel_bandwidth=definition["parallel_bandwidth"],
            metadata=dumps(definition["metadata"]),
            state="active",
            seed=seed,
            created=stamp,
            updated=stamp,
            tasks=dumps(definition.get("tasks") or None),
            seed_given=definition.get("seed") is not None or None,
        )
        key = self.conn.execute(E.insert().values(**row)).inserted_primary_key
        assert key is not None  # a single-row INSERT reports its key
        return _experiment_of({**row, "id": int(key[0]), "project_key": project_key})

    def get(self, owner: int, eid: int, kind: str | None = None) -> ExperimentRecord | None:
        """The owner's experiment ``eid`` (of ``kind`` when given), or None."""
        query = _experiment_select().where(E.c.id == eid, E.c.owner_id == owner)
        if kind is not None:
            query = query.where(E.c.kind == kind)
        if self.lock:  # FOR UPDATE on PostgreSQL; SQLite's write transaction is the lock
            # the experiment's row only (its project's is on the nullable side of the
            # join), locked by the statement that reads it: a separate locking SELECT
            # before the read was one more round trip of every SigOpt write
            query = query.with_for_update(of=E)
        row = self.conn.execute(query).first()
        return None if row is None else _experiment(row)

    def page(
        self,
        owner: int,
        request: PageRequest,
        *,
        kind: str | Sequence[str],
        state: str = "active",
        search: str | None = None,
        project_id: int | None = None,
        sort: str = "id",
        ascending: bool = False,
        created_from: int | None = None,
        created_before: int | None = None,
        development: bool | None = None,
    ) -> Page[ExperimentRecord]:
        """A page of the owner's experiments of ``kind`` (one or several).

        ``sort``: "id" (by id) or "recent" (by the time of the last update, then id);
        largest first unless ``ascending``. ``created_from`` / ``created_before``: unix
        seconds, created at or after / before them. ``development``: no experiment of
        this service is a development one (there are no development tokens), so True
        finds none. The cursors are ids; under "recent" a cursor must be one of the
        owner's experiments (:class:`~.pages.UnknownCursor` otherwise), and the page
        goes on from where that experiment stands now.
        """
        kinds = [kind] if isinstance(kind, str) else list(kind)
        query = _experiment_select().where(E.c.owner_id == owner, E.c.kind.in_(kinds))
        if state != "all":
            query = query.where(E.c.state == state)
        if search is not None:  # as SigOpt's: lowered and stripped, in any case (ilike)
            query = query.where(holds(E.c.name, search.strip()))
        if project_id is not None:
            query = query.where(E.c.project_id == project_id)
        if created_from is not None:
            query = query.where(E.c.created >= created_from)
        if created_before is not None:
            query = query.where(E.c.created < created_before)
        if development:
            query = query.where(sa.false())
        if sort == "id":
            return fetch_sorted_page(
                self.conn, query, (E.c.id,), request, _experiment, ascending=ascending
            )
        if sort != "recent":
            raise ValueError(f"unknown sort {sort!r}")
        return fetch_recent_page(
            self.conn, query, E, owner, request, _experiment, ascending=ascending
        )

    def update(self, eid: int, changes: Mapping[str, Any], stamp: int) -> None:
        """Change name, metadata, observation_budget, parallel_bandwidth, state, or the
        parameters' and metrics' definitions (bounds, thresholds...)."""
        self._write(eid, changes, stamp)

    def updated(
        self, record: ExperimentRecord, changes: Mapping[str, Any], stamp: int
    ) -> ExperimentRecord:
        """:meth:`update` ``record``'s experiment, and answer it as a read now gives it,
        made from the texts just written (decoded as a read decodes them): an update
        read its experiment again, under the lock it held, for its answer."""
        values = self._write(record.id, changes, stamp)
        if not values:
            return record
        for key in ("metadata", "parameters", "metrics"):
            if key in values:
                values[key] = loads(values[key])
        return attrs.evolve(record, **values, updated=stamp)

    def _write(self, eid: int, changes: Mapping[str, Any], stamp: int) -> dict[str, Any]:
        """Write ``changes`` (JSON ones as Python values); the columns' values written."""
        values = dict(changes)
        for key in ("metadata", "parameters", "metrics"):
            if key in values:
                values[key] = dumps(values[key])
        if values:
            self.conn.execute(E.update().where(E.c.id == eid).values(**values, updated=stamp))
        return values


class Suggestions:
    """Suggestions of experiments."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn

    def open_assignments(self, eid: int) -> list[dict[str, Any]]:
        """The assignments of the experiment's open suggestions, oldest first."""
        rows = self.conn.execute(
            sa.select(S.c.assignments)
            .where(S.c.experiment_id == eid, S.c.state == "open", S.c.deleted.is_(False))
            .order_by(S.c.id.asc())
        )
        return [loads(r.assignments) for r in rows]

    def latest_assignments(self, eid: int, count: int) -> list[dict[str, Any]]:
        """The assignments of the experiment's ``count`` newest suggestions, whatever their
        state (deleted ones included)."""
        if count <= 0:
            return []
        rows = self.conn.execute(
            sa.select(S.c.assignments)
            .where(S.c.experiment_id == eid)
            .order_by(S.c.id.desc())
            .limit(count)
        )
        return [loads(r.assignments) for r in rows]

    def count(self, eid: int) -> int:
        """How many suggestions the experiment was ever given (deleted ones included)."""
        return int(
            self.conn.execute(
                sa.select(sa.func.count()).where(S.c.experiment_id == eid)
            ).scalar_one()
        )

    def create(
        self,
        eid: int,
        assignments: Mapping[str, Any],
        metadata: Any,
        stamp: int,
        task: str | None = None,
    ) -> SuggestionRecord:
        """A new open suggestion (of ``task``, by name, in a multitask experiment).

        The record is made from the texts just written, decoded as a read decodes them:
        reading the row back was a round trip of every suggestion (on PostgreSQL, one
        of a queued suggestion's five)."""
        row: dict[str, Any] = {
            "experiment_id": eid,
            "assignments": dumps(dict(assignments)),
            "state": "open",
            "metadata": dumps(metadata),
            "deleted": False,
            "created": stamp,
            "task": task,
        }
        key = self.conn.execute(S.insert().values(**row)).inserted_primary_key
        assert key is not None
        return _suggestion_of({**row, "id": int(key[0])})

    def get(self, eid: int, sid: int) -> SuggestionRecord | None:
        """Suggestion ``sid`` of experiment ``eid`` (deleted ones too), or None."""
        row = self.conn.execute(sa.select(S).where(S.c.id == sid, S.c.experiment_id == eid)).first()
        return None if row is None else _suggestion(row)

    def page(
        self,
        eid: int,
        request: PageRequest,
        state: str | None,
        *,
        deleted: bool = False,
        ids: Sequence[int] | None = None,
    ) -> Page[SuggestionRecord]:
        """A page of the experiment's suggestions that are not deleted (only the deleted
        ones with ``deleted``), of those ``ids`` when given."""
        query = sa.select(S).where(S.c.experiment_id == eid, S.c.deleted.is_(deleted))
        if state:
            query = query.where(S.c.state == state)
        if ids is not None:
            query = query.where(S.c.id.in_(list(ids)))
        return fetch_page(self.conn, query, S.c.id, request, _suggestion)

    def set_metadata(self, sid: int, metadata: Any) -> None:
        self.conn.execute(S.update().where(S.c.id == sid).values(metadata=dumps(metadata)))

    def delete(self, eid: int, sid: int | None = None, state: str | None = None) -> None:
        """Mark suggestion ``sid`` (or all, or all in ``state``) deleted."""
        where = [S.c.experiment_id == eid]
        if sid is not None:
            where.append(S.c.id == sid)
        if state:
            where.append(S.c.state == state)
        self.conn.execute(S.update().where(*where).values(deleted=True))

    def close(self, sid: int) -> None:
        self.conn.execute(S.update().where(S.c.id == sid).values(state="closed"))


class QueuedSuggestions:
    """Queued suggestions: served oldest first, each by the next suggestion asked for."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn

    def create(
        self, eid: int, assignments: Mapping[str, Any], stamp: int, task: str | None = None
    ) -> QueuedSuggestionRecord:
        """Queue ``assignments`` (of ``task``, by name, in a multitask experiment) behind
        the experiment's other queued suggestions (the record made from what was
        written, as :meth:`Suggestions.create`'s)."""
        row: dict[str, Any] = {
            "experiment_id": eid,
            "assignments": dumps(dict(assignments)),
            "created": stamp,
            "task": task,
        }
        key = self.conn.execute(Q.insert().values(**row)).inserted_primary_key
        assert key is not None
        return _queued_of({**row, "id": int(key[0])})

    def get(self, eid: int, qid: int) -> QueuedSuggestionRecord | None:
        """Queued suggestion ``qid`` of experiment ``eid``, or None (also once served)."""
        row = self.conn.execute(sa.select(Q).where(Q.c.id == qid, Q.c.experiment_id == eid)).first()
        return None if row is None else _queued(row)

    def page(self, eid: int, request: PageRequest) -> Page[QueuedSuggestionRecord]:
        """A page of the experiment's queued suggestions, newest first."""
        query = sa.select(Q).where(Q.c.experiment_id == eid)
        return fetch_page(self.conn, query, Q.c.id, request, _queued)

    def waiting(self, eid: int) -> bool:
        """Whether the experiment has a queued suggestion."""
        found = self.conn.execute(sa.select(Q.c.id).where(Q.c.experiment_id == eid).limit(1))
        return found.first() is not None

    def take(self, eid: int) -> QueuedSuggestionRecord | None:
        """The oldest queued suggestion, removed from the queue; None when it is empty."""
        row = self.conn.execute(
            sa.select(Q).where(Q.c.experiment_id == eid).order_by(Q.c.id.asc()).limit(1)
        ).first()
        if row is None:
            return None
        self.conn.execute(Q.delete().where(Q.c.id == row.id))
        return _queued(row)

    def delete(self, eid: int, qid: int | None = None) -> None:
        """Remove queued suggestion ``qid`` (or every one) of the experiment."""
        where = [Q.c.experiment_id == eid]
        if qid is not None:
            where.append(Q.c.id == qid)
        self.conn.execute(Q.delete().where(*where))


def _pairs(name: str, value: Any) -> list[str]:
    """``"name":value`` as :func:`dumps` writes it in an object, and the other ways the
    same number may be stored (``1`` for ``1.0``, ``1.0`` for ``1``, ``-0.0`` for 0)."""
    values = [value]
    if isinstance(value, float) and value.is_integer():
        values.append(int(value))
    elif isinstance(value, int) and not isinstance(value, bool):
        values.append(float(value))
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0:
        values.append(-0.0)
    key = json.dumps(name)
    return list(dict.fromkeys(f"{key}:{dumps(v)}" for v in values))


class Observations:
    """Observations of experiments."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn

    def create(self, values: Mapping[str, Any]) -> ObservationRecord:
        """Store one checked observation and close its suggestion, if any.

        ``values``: experiment_id, suggestion_id, assignments, values, failed,
        metadata, created, updated (JSON parts as Python values), and ``task`` (a
        name) in a multitask experiment.
        """
        row = dict(values)
        for column in ("assignments", "values", "metadata"):
            row[column] = dumps(row[column])
        key = self.conn.execute(O.insert().values(**row)).inserted_primary_key
        assert key is not None
        if values["suggestion_id"] is not None:
            self.conn.execute(
                S.update().where(S.c.id == values["suggestion_id"]).values(state="closed")
            )
        # the record is made from the texts just written, decoded as a read decodes them:
        # reading the row back was one of an observation create's six statements
        written = {**row, "id": int(key[0]), "task": row.get("task")}
        (record,) = _observations([tuple(written[c] for c in _OBSERVATION_COLUMNS)])
        return record

    def get(self, eid: int, oid: int) -> ObservationRecord | None:
        row = self.conn.execute(sa.select(O).where(O.c.id == oid, O.c.experiment_id == eid)).first()
        return None if row is None else _observation(row)

    def first_of_suggestion(self, eid: int, sid: int) -> int | None:
        """The id of the experiment's first observation reported for suggestion ``sid``
        (the one that closed it), or None when it has none (deleted since)."""
        query = sa.select(sa.func.min(O.c.id)).where(
            O.c.experiment_id == eid, O.c.suggestion_id == sid
        )
        found = self.conn.execute(query).scalar_one()
        return None if found is None else int(found)

    def all(self, eid: int, latest: int | None = None) -> list[ObservationRecord]:
        """The experiment's observations, oldest first (only the ``latest`` when given)."""
        query = sa.select(O).where(O.c.experiment_id == eid).order_by(O.c.id.desc())
        if latest is not None:
            query = query.limit(latest)
        rows = _observations(self.conn.execute(query).all())
        rows.reverse()
        return rows

    def assignments_near(self, eid: int, point: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The assignments of the experiment's observations that may be ``point``, oldest
        first: those whose stored text holds one of its parameters' ``"name":value`` (a
        float's, when it has one, as the most telling), written as JSON writes it, or a
        whole number written the other way (``1`` and ``1.0``, ``-0.0``). Every
        observation that is the point is among them; the caller compares them whole.
        What a walk's write checks its new point against: it read and decoded every
        observation's assignments, and a random search of 300 observations had none
        of them near its new point."""
        query = sa.select(O.c.assignments).where(O.c.experiment_id == eid)
        if point:
            name = next((k for k, v in point.items() if isinstance(v, float)), next(iter(point)))
            held = [O.c.assignments.contains(n, autoescape=True) for n in _pairs(name, point[name])]
            query = query.where(sa.or_(*held))
        return loads_all(self.conn.execute(query.order_by(O.c.id.asc())).scalars().all())

    def scores(self, eid: int, latest: int, *, assignments: bool = False) -> list[ObservationScore]:
        """The ``latest`` observations of the experiment as the choice of the best reads
        them, oldest first: the columns it needs only, decoded at once. An experiment's
        fetch read and decoded each one whole (its metadata too), one by one."""
        query = (
            sa.select(*_score_columns(assignments))
            .where(O.c.experiment_id == eid)
            .order_by(O.c.id.desc())
            .limit(latest)
        )
        out = _scores(self.conn.execute(query).all(), assignments)
        out.reverse()
        return out

    def scores_of(
        self, eids: Sequence[int], *, assignments: bool = False
    ) -> dict[int, list[ObservationScore]]:
        """Every observation of each of these experiments as :meth:`scores` reads them,
        oldest first, in one statement (a list of experiments read them one by one)."""
        if not eids:
            return {}
        query = (
            sa.select(*_score_columns(assignments), O.c.experiment_id)
            .where(O.c.experiment_id.in_(list(eids)))
            .order_by(O.c.id.asc())
        )
        rows = self.conn.execute(query).all()
        out: dict[int, list[ObservationScore]] = {eid: [] for eid in eids}
        for row, score in zip(rows, _scores(rows, assignments), strict=True):
            out[row[-1]].append(score)
        return out

    def of_ids(self, ids: Sequence[int]) -> dict[int, ObservationRecord]:
        if not ids:
            return {}
        rows = self.conn.execute(sa.select(O).where(O.c.id.in_(list(ids))))
        return {record.id: record for record in _observations(rows.all())}

    def page(
        self, eid: int, request: PageRequest, *, ascending: bool = False
    ) -> Page[ObservationRecord]:
        """A page of the experiment's observations, newest first (oldest when ``ascending``)."""
        query = sa.select(O).where(O.c.experiment_id == eid)
        page = fetch_page(self.conn, query, O.c.id, request, lambda row: row, ascending=ascending)
        return attrs.evolve(page, items=_observations(page.items))

    def span(self, eid: int) -> tuple[int, int | None, int | None]:
        """``(count, first id, last id)`` of the experiment's observations (None, None
        when it has none): one statement, where reading the first and last rows took
        three."""
        row = self.conn.execute(
            sa.select(sa.func.count(), sa.func.min(O.c.id), sa.func.max(O.c.id)).where(
                O.c.experiment_id == eid
            )
        ).one()
        return int(row[0]), row[1], row[2]

    def spans(self, eids: Sequence[int]) -> dict[int, tuple[int, int | None, int | None]]:
        """:meth:`span` of each of these experiments, in one statement."""
        if not eids:
            return {}
        rows = self.conn.execute(
            sa.select(O.c.experiment_id, sa.func.count(), sa.func.min(O.c.id), sa.func.max(O.c.id))
            .where(O.c.experiment_id.in_(list(eids)))
            .group_by(O.c.experiment_id)
        )
        found = {r[0]: (int(r[1]), r[2], r[3]) for r in rows}
        return {eid: found.get(eid, (0, None, None)) for eid in eids}

    def task_counts(self, eid: int) -> dict[str | None, int]:
        """How many observations the experiment has of each task (by name; None: none)."""
        rows = self.conn.execute(
            sa.select(O.c.task, sa.func.count()).where(O.c.experiment_id == eid).group_by(O.c.task)
        )
        return {r[0]: int(r[1]) for r in rows}

    def successes(self, eid: int) -> int:
        """How many of the experiment's observations did not fail."""
        query = sa.select(sa.func.count()).where(O.c.experiment_id == eid, O.c.failed.is_(False))
        return int(self.conn.execute(query).scalar_one())

    def update(self, oid: int, changes: Mapping[str, Any], stamp: int) -> None:
        values = dict(changes)
        for key in ("assignments", "values", "metadata"):
            if key in values:
                values[key] = dumps(values[key])
        self.conn.execute(O.update().where(O.c.id == oid).values(**values, updated=stamp))

    def delete(self, eid: int, oid: int | None = None) -> None:
        """Delete observation ``oid``, or all of the experiment's."""
        where = [O.c.experiment_id == eid]
        if oid is not None:
            where.append(O.c.id == oid)
        self.conn.execute(O.delete().where(*where))


def reassign(
    conn: sa.Connection, eid: int, change: Callable[[dict[str, Any]], dict[str, Any]]
) -> int:
    """Rewrite the assignments of every suggestion, queued suggestion and observation
    of experiment ``eid`` with ``change`` (after parameters were added); how many rows
    changed."""
    changed = 0
    for table in (S, Q, O):
        rows = conn.execute(
            sa.select(table.c.id, table.c.assignments).where(table.c.experiment_id == eid)
        ).all()
        for row in rows:
            old = loads(row.assignments)
            new = change(dict(old))
            if new != old:
                conn.execute(
                    table.update().where(table.c.id == row.id).values(assignments=dumps(new))
                )
                changed += 1
    return changed


class SigoptUnit:
    """One transaction over the SigOpt family's rows."""

    def __init__(self, conn: sa.Connection, lock: bool = False) -> None:
        # a write's row locks (FOR UPDATE) where the database has them: on SQLite the
        # write transaction (BEGIN IMMEDIATE) is the lock, and the locking SELECT that
        # each SigOpt write ran before reading its experiment or run was a statement for
        # nothing
        row_locks = lock and conn.dialect.name != "sqlite"
        self.experiments = Experiments(conn, row_locks)
        self.suggestions = Suggestions(conn)
        self.queued = QueuedSuggestions(conn)
        self.observations = Observations(conn)
        self.projects = Projects(conn)
        self.runs = Runs(conn, row_locks)
        self.files = RunFiles(conn)
        self.tags = Tags(conn)
        self.notes = ProjectNotes(conn)
        self._conn = conn

    def reassign(self, eid: int, change: Callable[[dict[str, Any]], dict[str, Any]]) -> int:
        """See :func:`reassign`."""
        return reassign(self._conn, eid, change)


class SigoptStore:
    """The SigOpt family's store over one database.

    ``read()`` and ``write()`` hand out one connection's worth of the family's
    parts (see :class:`SigoptUnit`); a write joins the request's unit of work when
    there is one (its idempotency claim and answer commit with it), else commits
    at the end of the block.
    """

    def __init__(self, database: Database) -> None:
        self._db = database

    @contextmanager
    def read(self) -> Iterator[SigoptUnit]:
        """The family's rows as of now, without the write lock."""
        with self._db.read() as conn:
            yield SigoptUnit(conn)

    @contextmanager
    def write(self) -> Iterator[SigoptUnit]:
        """One write transaction (or savepoint of the current unit)."""
        with self._db.write() as conn:
            yield SigoptUnit(conn, lock=True)

    def after_end(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the current unit of work (a request's, an
        :meth:`atomic` block's) has committed or rolled back; at once outside one."""
        self._db.after_end(callback)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Make the writes of the block one transaction (committed at its end, rolled back
        if it raises; inside a request's unit of work, that unit): the locks its first
        write takes (an experiment's row on PostgreSQL, SQLite's write lock) are held
        until the last one is done. Reads before the first write stay snapshots. Its
        writes are not savepoints of their own (a SAVEPOINT and a RELEASE each, round
        trips on PostgreSQL): the block must let every error out, undoing all of it."""
        with self._db.unit(savepoints=False):
            yield

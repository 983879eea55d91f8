"""Campaigns: a session's space, generations and experiments, read and written whole.

``load_campaign`` builds the pure :class:`~..domain.campaign.Campaign` from the
``sessions``, ``generations`` and ``experiment_rows`` tables; ``save_campaign``
writes the difference between two campaigns inside the caller's transaction.
:class:`CampaignStore` is what the rest of the service calls.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from sigopt_like.spaces import Space

from ..domain.campaign import Campaign, Generation, Row
from . import schema
from .database import Database
from .errors import Conflict, NotFound

S = schema.sessions
G = schema.generations
R = schema.experiment_rows


def session_row(conn: sa.Connection, session_id: int, owner: int | None, *, lock: bool = False):
    """The session row of ``owner`` (any owner when None); NotFound otherwise.

    ``lock`` takes a row lock (``FOR UPDATE``) where the database has them.
    """
    query = sa.select(S).where(S.c.id == session_id)
    if owner is not None:
        query = query.where(S.c.owner_id == owner)
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"No session with id '{session_id}'.")
    return row


def load_campaign(conn: sa.Connection, session_id: int, owner: int | None = None) -> Campaign:
    """The campaign of a session (NotFound if it is not the owner's)."""
    session = session_row(conn, session_id, owner)
    space = Space.from_dict(json.loads(session.space), validate=False) if session.space else None
    rows_by_gen: dict[int, list[Row]] = {}
    for r in conn.execute(
        sa.select(R).where(R.c.session_id == session_id).order_by(R.c.gen, R.c.seq)
    ):
        rows_by_gen.setdefault(r.gen, []).append(
            Row(
                point=tuple(json.loads(r.point)),
                response=r.response,
                designed=bool(r.designed),
                kind=r.kind,
            )
        )
    generations = []
    for g in conn.execute(sa.select(G).where(G.c.session_id == session_id).order_by(G.c.gen)):
        rows = tuple(rows_by_gen.get(g.gen, ()))
        design = None
        if g.design:
            design = tuple(tuple(p) for p in json.loads(g.design)["points"])
        uploaded = bool(g.validated) if g.gen == 0 else any(r.designed for r in rows)
        generations.append(
            Generation(gen=g.gen, design=design, rows=rows, uploaded=uploaded, created=g.created)
        )
    return Campaign(
        seed=int(session.seed),
        status=session.status,
        space=space,
        population_size=session.population_size,
        replicates=session.replicates,
        gen=session.gen,
        remaining=session.remaining,
        completed=bool(session.completed),
        generations=tuple(generations),
    )


def save_campaign(
    conn: sa.Connection, session_id: int, old: Campaign, new: Campaign, now: int
) -> None:
    """Write what changed from ``old`` to ``new`` (inside the caller's transaction)."""
    values: dict[str, Any] = {
        "status": new.status,
        "gen": new.gen,
        "remaining": new.remaining,
        "completed": new.completed,
        "population_size": new.population_size,
        "replicates": new.replicates,
        "updated": now,
    }
    if new.space is not old.space:
        values["space"] = json.dumps(new.space.to_dict()) if new.space is not None else None
        values["space_size"] = str(new.space.size()) if new.space is not None else None
    conn.execute(sa.update(S).where(S.c.id == session_id).values(**values))
    old_gens = {g.gen: g for g in old.generations}
    new_gens = {g.gen: g for g in new.generations}
    for gen, generation in old_gens.items():
        if new_gens.get(gen) != generation:
            _delete_generation(conn, session_id, gen)
    for gen, generation in new_gens.items():
        if old_gens.get(gen) != generation:
            _insert_generation(conn, session_id, generation, now)


def _delete_generation(conn: sa.Connection, session_id: int, gen: int) -> None:
    conn.execute(sa.delete(R).where(R.c.session_id == session_id, R.c.gen == gen))
    conn.execute(sa.delete(G).where(G.c.session_id == session_id, G.c.gen == gen))


def _insert_generation(conn: sa.Connection, session_id: int, g: Generation, now: int) -> None:
    design = json.dumps({"points": [list(p) for p in g.design]}) if g.design else None
    conn.execute(
        sa.insert(G).values(
            session_id=session_id,
            gen=g.gen,
            design=design,
            validated=g.validated,
            has_responses=g.has_responses,
            created=g.created or now,
        )
    )
    if g.rows:
        conn.execute(
            sa.insert(R),
            [
                {
                    "session_id": session_id,
                    "gen": g.gen,
                    "seq": i,
                    "kind": r.kind,
                    "designed": r.designed,
                    "point": json.dumps(list(r.point)),
                    "response": r.response,
                    "created": now,
                }
                for i, r in enumerate(g.rows, 1)
            ],
        )


class CampaignStore:
    """A session's campaign as one immutable value, read and replaced whole."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def load(self, session_id: int, owner: int | None = None) -> Campaign:
        """The campaign of a session (NotFound if it is not the owner's)."""
        with self._db.read() as conn:
            return load_campaign(conn, session_id, owner)

    def replace(self, session_id: int, old: Campaign, new: Campaign, now: int) -> None:
        """Write ``new`` if the session still holds ``old``; Conflict ``session_changed``
        (saying whether it was halted) if someone changed it meanwhile."""
        with self._db.write() as conn:
            current = load_campaign(conn, session_id)
            if current != old:
                reason = "the session was halted" if current.status == "halted" else "it changed"
                raise Conflict(
                    f"the session was not updated: {reason} while the task ran",
                    code="session_changed",
                )
            save_campaign(conn, session_id, old, new, now)

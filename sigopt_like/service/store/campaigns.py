"""Campaigns: a session's space and generations, read whole and changed per generation.

Each generation is one row of ``generations`` holding all its experiments once,
as codes (see :mod:`..domain.codes`): the design first (responses null until
they are uploaded), then the rows put besides it. Reading a campaign decodes
them into the pure :class:`~..domain.campaign.Campaign`; the codes themselves
are handed on as :class:`StoredCodes`, so that the optimizer starts from them
instead of encoding the whole history again. Writing touches only the
generations that changed (a campaign value shares its unchanged generations
with the one it came from), and checks ``sessions.version`` instead of reading
the campaign again: the write is refused if anything changed meanwhile.
"""

from __future__ import annotations

import contextlib
import json
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa

from sigopt_like.spaces import Space

from ..domain.campaign import (
    DESIGNED,
    FINAL,
    INITIAL,
    Campaign,
    Generation,
    Row,
    campaign_state,
    history_generations,
    points_json,
)
from ..domain.codes import Codec, Codes
from . import schema

if TYPE_CHECKING:  # imported where first needed: a command that reads no codes (a CLI
    import numpy as np  # ``sessions list``, an embedded ``Connection()``) does not load numpy
from .database import Database
from .errors import Conflict
from .sessions import session_row

S = schema.sessions
G = schema.generations

_KIND = {"D": (DESIGNED, True), "d": (DESIGNED, False), "i": (INITIAL, False), "f": (FINAL, False)}
_FLAG = {value: key for key, value in _KIND.items()}
_COMPACT = (",", ":")


@attrs.frozen
class StoredCodes:
    """The codes of a loaded campaign's generations, valid for exactly those
    :class:`Generation` objects (a generation made since is encoded afresh)."""

    by_gen: Mapping[int, tuple[Generation, tuple[Codes, ...]]] = attrs.field(factory=dict)

    def codes_of(self, generation: Generation, codec: Codec) -> Sequence[Codes]:
        """The codes of a generation's stored rows (design first until it is uploaded)."""
        known = self.by_gen.get(generation.gen)
        if known is not None and known[0] is generation:
            return known[1]
        return codec.encode_all(_stored_points(generation))


@attrs.frozen
class LoadedCampaign:
    """A campaign as read, with the codes it was stored as."""

    campaign: Campaign
    codes: StoredCodes


def load_campaign(conn: sa.Connection, session_id: int, owner: int | None = None) -> Campaign:
    """The campaign of a session (NotFound if it is not the owner's)."""
    return _load(conn, session_id, owner).campaign


def _load(conn: sa.Connection, session_id: int, owner: int | None) -> LoadedCampaign:
    session = session_row(conn, session_id, owner)
    space = Space.from_dict(json.loads(session.space), validate=False) if session.space else None
    codec = Codec(space) if space is not None else None
    generations: list[Generation] = []
    stored: dict[int, tuple[Generation, tuple[Codes, ...]]] = {}
    query = sa.select(
        G.c.gen, G.c.codes, G.c.responses, G.c.flags, G.c.design_rows, G.c.uploaded, G.c.created
    ).where(G.c.session_id == session_id)
    for g in conn.execute(query.order_by(G.c.gen)):
        codes = tuple(tuple(row) for row in json.loads(g.codes))
        points = codec.decode_all(codes) if codec is not None else []
        generation = _generation(
            g.gen, points, json.loads(g.responses), g.flags, g.design_rows, g.uploaded, g.created
        )
        generations.append(generation)
        stored[g.gen] = (generation, codes)
    campaign = Campaign(
        seed=int(session.seed),
        status=session.status,
        space=space,
        population_size=session.population_size,
        replicates=session.replicates,
        gen=session.gen,
        remaining=session.remaining,
        completed=bool(session.completed),
        generations=tuple(generations),
        version=int(session.version),
    )
    return LoadedCampaign(campaign, StoredCodes(stored))


@attrs.frozen
class MeasuredCodes:
    """Measured experiments as codes and responses, in the order they were put, with no
    untested design to exclude (an ``EncodedObservations`` of the optimizer)."""

    codes: np.ndarray
    values: list[float]
    exclude: tuple[()] = ()


@attrs.frozen
class StoredResponses:
    """What ``GET /sessions/{id}/best`` reads of a campaign, read without decoding it.

    The session's space, state and generation, and its tested experiments in the order
    they were put (those of :meth:`Campaign.observations`) as stored: ``codes``, one row
    per experiment, and ``responses`` (None: missing). Decoding 130,000 points and
    building a :class:`Row` for each took 0.7 s of a ``best``, which reads neither.
    """

    space: Space | None
    state: str
    gen: int
    codes: np.ndarray
    responses: list[float | None]
    #: which experiments have a response (a boolean per row)
    measured: np.ndarray = attrs.field(init=False)

    @measured.default
    def _measured(self) -> np.ndarray:
        import numpy as np

        return np.fromiter(
            (y is not None for y in self.responses), dtype=bool, count=len(self.responses)
        )

    def measured_codes(self) -> MeasuredCodes:
        """The experiments with a response, as the optimizer takes them (``encoded``)."""
        return MeasuredCodes(
            self.codes[self.measured], [y for y in self.responses if y is not None]
        )

    def responses_at(self, point: Sequence[Any]) -> list[float]:
        """The responses measured at ``point`` (rows whose decoded point ``==`` it), in order."""
        import numpy as np

        assert self.space is not None
        match = self.measured.copy()
        for j, allowed in enumerate(Codec(self.space).codes_equal(point)):
            column = self.codes[:, j]
            match &= column == point[j] if allowed is None else np.isin(column, allowed)
        return [self.responses[i] for i in np.flatnonzero(match)]  # type: ignore[misc]


def load_responses(conn: sa.Connection, session_id: int, owner: int | None) -> StoredResponses:
    """The :class:`StoredResponses` of a session (NotFound if it is not the owner's)."""
    import numpy as np

    session = session_row(conn, session_id, owner)
    space = Space.from_dict(json.loads(session.space), validate=False) if session.space else None
    width = len(space.parameters) if space is not None else 0
    codes: list[np.ndarray] = []
    responses: list[float | None] = []
    uploaded = False
    if space is not None:
        query = sa.select(G.c.gen, G.c.codes, G.c.responses, G.c.design_rows, G.c.uploaded)
        for g in conn.execute(query.where(G.c.session_id == session_id).order_by(G.c.gen)):
            values = json.loads(g.responses)
            pending = 0 if g.uploaded else g.design_rows  # design placeholders, not tested
            codes.append(_codes_array(g.codes, len(values), width)[pending:])
            responses.extend(values[pending:])
            if g.gen == session.gen:
                uploaded = bool(g.uploaded)
    state = campaign_state(session.status, bool(session.completed), space, session.gen, uploaded)
    stacked = np.concatenate(codes) if codes else np.zeros((0, width), dtype=np.int64)
    return StoredResponses(space, state, session.gen, stacked, responses)


def _codes_array(text: str, rows: int, width: int) -> np.ndarray:
    """The stored codes of a generation (JSON rows of whole numbers) as a (rows, width)
    array: parsed by numpy as one flat list (a sixth of ``json.loads`` and ``np.array``),
    or by ``json.loads`` if the text is not in the compact form the store writes."""
    import numpy as np

    if rows == 0:
        return np.zeros((0, width), dtype=np.int64)
    flat = np.zeros(0, dtype=np.int64)
    if text.startswith("[[") and text.endswith("]]"):
        # text numpy cannot read to its end (warned, or refused) is caught by the size
        with warnings.catch_warnings(), contextlib.suppress(ValueError):
            warnings.simplefilter("ignore")
            flat = np.fromstring(text[2:-2].replace("],[", ","), dtype=np.int64, sep=",")
    if flat.size != rows * width:  # not the compact form: read as plain JSON
        flat = np.array(json.loads(text))
    return flat.reshape(rows, width)


def design_table(conn: sa.Connection, session_id: int, gen: int) -> dict[str, Any] | None:
    """The design of generation ``gen`` as a Table JSON (empty responses), or None."""
    space_json = conn.execute(sa.select(S.c.space).where(S.c.id == session_id)).scalar()
    row = conn.execute(
        sa.select(G.c.codes, G.c.design_rows).where(G.c.session_id == session_id, G.c.gen == gen)
    ).first()
    if space_json is None or row is None:
        return None
    space = Space.from_dict(json.loads(space_json), validate=False)
    codes = json.loads(row.codes)[: row.design_rows]
    return points_json(space, Codec(space).decode_all(codes))


def history_through(conn: sa.Connection, session_id: int, gen: int) -> list[dict[str, Any]]:
    """The history JSON of a session's generations up to ``gen``."""
    campaign = load_campaign(conn, session_id)
    kept = tuple(g for g in campaign.generations if g.gen <= gen)
    return history_generations(attrs.evolve(campaign, generations=kept))


def _generation(
    gen: int,
    points: Sequence[tuple],
    responses: Sequence[float | None],
    flags: str,
    design_rows: int,
    uploaded: bool,
    created: int,
) -> Generation:
    rows = tuple(
        Row(point=p, response=y, designed=_KIND[f][1], kind=_KIND[f][0])
        for p, y, f in zip(points, responses, flags, strict=True)
    )
    design = tuple(points[:design_rows]) if design_rows else None
    if not uploaded:
        rows = rows[design_rows:]
    return Generation(gen=gen, design=design, rows=rows, uploaded=bool(uploaded), created=created)


def _stored_points(g: Generation) -> list[tuple]:
    """The points of a generation's stored rows: its table (design placeholders first)."""
    return [r.point for r in g.table_rows()]


def save_campaign(
    conn: sa.Connection,
    session_id: int,
    old: Campaign,
    new: Campaign,
    now: int,
    stored: StoredCodes | None = None,
) -> None:
    """Write ``new`` over ``old`` (inside the caller's transaction) if the session's
    version is still ``old``'s; Conflict ``session_changed`` otherwise."""
    values: dict[str, Any] = {
        "status": new.status,
        "gen": new.gen,
        "remaining": new.remaining,
        "completed": new.completed,
        "population_size": new.population_size,
        "replicates": new.replicates,
        "updated": now,
        "version": S.c.version + 1,
        "best_response": _best_response(new),
    }
    if new.space is not old.space:
        values["space"] = json.dumps(new.space.to_dict()) if new.space is not None else None
        values["space_size"] = str(new.space.size()) if new.space is not None else None
    done = conn.execute(
        sa.update(S).where(S.c.id == session_id, S.c.version == old.version).values(**values)
    ).rowcount
    if done != 1:
        status = conn.execute(sa.select(S.c.status).where(S.c.id == session_id)).scalar()
        reason = "the session was halted" if status == "halted" else "it changed"
        raise Conflict(
            f"the session was not updated: {reason} while the task ran", code="session_changed"
        )
    codec = Codec(new.space) if new.space is not None else None
    stored = stored or StoredCodes()
    old_gens = {g.gen: g for g in old.generations}
    new_gens = {g.gen: g for g in new.generations}
    for gen in old_gens.keys() - new_gens.keys():
        conn.execute(sa.delete(G).where(G.c.session_id == session_id, G.c.gen == gen))
    for gen, generation in new_gens.items():
        before = old_gens.get(gen)
        if before is generation:
            continue  # unchanged: the same value, shared
        assert codec is not None, "generations need a space"
        row = _generation_row(generation, stored.codes_of(generation, codec), now)
        if before is None:
            conn.execute(sa.insert(G).values(session_id=session_id, gen=gen, **row))
        else:
            conn.execute(
                sa.update(G).where(G.c.session_id == session_id, G.c.gen == gen).values(**row)
            )


def _best_response(c: Campaign) -> float | None:
    """The largest response measured in a campaign (None before any)."""
    measured = [r.response for g in c.generations for r in g.rows if r.response is not None]
    return max(measured) if measured else None


def _generation_row(g: Generation, codes: Sequence[Codes], now: int) -> dict[str, Any]:
    table = g.table_rows()
    return {
        "codes": json.dumps([list(c) for c in codes], separators=_COMPACT),
        "responses": json.dumps([r.response for r in table], separators=_COMPACT),
        "flags": "".join(_FLAG[(r.kind, r.designed)] for r in table),
        "design_rows": g.design_rows,
        "uploaded": g.uploaded,
        "validated": g.validated,
        "has_responses": g.has_responses,
        "created": g.created or now,
    }


class CampaignStore:
    """A session's campaign as one immutable value, read whole and replaced."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def load(self, session_id: int, owner: int | None = None) -> Campaign:
        """The campaign of a session (NotFound if it is not the owner's)."""
        with self._db.read() as conn:
            return load_campaign(conn, session_id, owner)

    def load_with_codes(self, session_id: int, owner: int | None = None) -> LoadedCampaign:
        """The campaign and the codes it is stored as (for the optimizer)."""
        with self._db.read() as conn:
            return _load(conn, session_id, owner)

    def responses(self, session_id: int, owner: int | None = None) -> StoredResponses:
        """The space, state and tested experiments of a session, as stored (for ``best``)."""
        with self._db.read() as conn:
            return load_responses(conn, session_id, owner)

    def replace(
        self,
        session_id: int,
        old: Campaign,
        new: Campaign,
        now: int,
        stored: StoredCodes | None = None,
    ) -> None:
        """Write ``new`` if the session still holds ``old``; Conflict ``session_changed``
        (saying whether it was halted) if someone changed it meanwhile. ``stored``: the
        codes ``old`` was read with (unchanged generations are never encoded again)."""
        with self._db.write() as conn:
            save_campaign(conn, session_id, old, new, now, stored)

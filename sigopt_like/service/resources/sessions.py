"""Session routes: create, list (paginated, ``q`` search), fetch, update, halt.

A session is one design-of-experiments campaign of one owner. Its name is
unique per owner. Another owner's session is a plain 404, never a hint.
The campaign routes reuse :func:`load_session` and :func:`render_session`.
"""

from __future__ import annotations

import secrets
from typing import Any

import falcon
import sqlalchemy as sa

from ..errors import BadRequest, Conflict, NotFound, ValidationFailed
from ..http import field, is_id_text, now, owner_id, paginate, parse_id, read_json
from ..store import schema

MAX_NAME_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 10_000
MAX_QUERY_LENGTH = 200
MAX_SEED = 2**31 - 1
CREATE_FIELDS = frozenset({"name", "description", "seed"})
UPDATE_FIELDS = frozenset({"name", "description"})
_S = schema.sessions
#: blank for JSON Schema's ECMA-262 ``\\s`` though not for ``str.strip()``
_ALSO_BLANK = "\ufeff"


def render_session(row: Any) -> dict[str, Any]:
    """The API form of a session row."""
    m = row._mapping
    return {
        "object": "session",
        "id": str(m["id"]),
        "name": m["name"],
        "description": m["description"],
        "status": m["status"],
        "gen": m["gen"],
        "remaining": m["remaining"],
        "completed": bool(m["completed"]),
        "population_size": m["population_size"],
        "replicates": m["replicates"],
        "seed": m["seed"],
        "created": m["created"],
        "updated": m["updated"],
        "owner": str(m["owner_id"]),
    }


def load_session(conn: sa.Connection, owner: int, raw_id: str) -> Any:
    """The row of session ``raw_id`` of ``owner``; 404 if it is not theirs or not there."""
    sid = parse_id(raw_id, "session")
    row = conn.execute(sa.select(_S).where(_S.c.id == sid, _S.c.owner_id == owner)).first()
    if row is None:
        raise NotFound(f"No session with id {raw_id!r}.")
    return row


def _problem(message: str, name: str) -> dict[str, Any]:
    return {"message": message, "row": None, "column": None, "field": name}


def _reject_unknown(body: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise BadRequest(
            f"Unknown field(s) {', '.join(map(repr, unknown))}; "
            f"allowed: {', '.join(sorted(allowed))}.",
            detail={"fields": unknown},
        )


def _name(body: dict[str, Any], *, required: bool) -> str | None:
    raw = field(body, "name", str, required=required)
    if raw is None:
        return None
    if len(raw) > MAX_NAME_LENGTH:
        raise ValidationFailed(
            f"The session name is {len(raw)} characters long; the limit is {MAX_NAME_LENGTH}.",
            [_problem("too long", "name")],
        )
    name = raw.strip().strip(_ALSO_BLANK).strip()
    if not name:
        raise ValidationFailed("The session name must not be blank.", [_problem("blank", "name")])
    return name


def _description(body: dict[str, Any]) -> str | None:
    text = field(body, "description", str)
    if text is not None and len(text) > MAX_DESCRIPTION_LENGTH:
        raise ValidationFailed(
            f"The description is {len(text)} characters long; "
            f"the limit is {MAX_DESCRIPTION_LENGTH}.",
            [_problem("too long", "description")],
        )
    return text


def _seed(body: dict[str, Any]) -> int:
    seed = field(body, "seed", int)
    if seed is None:
        return secrets.randbelow(MAX_SEED + 1)
    if not 0 <= seed <= MAX_SEED:
        raise ValidationFailed(
            f"The seed must be between 0 and {MAX_SEED}, not {seed}.", [_problem("range", "seed")]
        )
    return seed


def _duplicate(conn: sa.Connection, owner: int, name: str) -> Conflict:
    existing = conn.execute(
        sa.select(_S.c.id).where(_S.c.owner_id == owner, _S.c.name == name)
    ).scalar()
    return Conflict(
        f"A session named {name!r} already exists (id {existing}); choose another name.",
        code="duplicate_name",
        detail={"field": "name", "name": name, "existing_id": str(existing)},
    )


def _search(query: sa.Select, q: str) -> sa.Select:
    pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    conditions: list[sa.ColumnElement[bool]] = [
        sa.func.lower(_S.c.name).like(pattern, escape="\\"),
        sa.func.lower(_S.c.description).like(pattern, escape="\\"),
    ]
    if is_id_text(q.strip()):
        conditions.append(_S.c.id == int(q.strip()))
    return query.where(sa.or_(*conditions))


class Sessions:
    """POST /v1/sessions (create), GET /v1/sessions (list)."""

    def __init__(self, context: Any) -> None:
        self.context = context

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Create ``{name, description?, seed?}``; 409 ``duplicate_name`` on a clash."""
        body = read_json(req)
        _reject_unknown(body, CREATE_FIELDS)
        name = _name(body, required=True)
        assert name is not None  # required
        description = _description(body) or ""
        seed = _seed(body)
        owner = owner_id(req)
        stamp = now()
        try:
            with self.context.engine.begin() as conn:
                sid = conn.execute(
                    _S.insert().values(
                        owner_id=owner,
                        name=name,
                        description=description,
                        status="active",
                        gen=-1,
                        completed=False,
                        seed=seed,
                        created=stamp,
                        updated=stamp,
                    )
                ).inserted_primary_key[0]
                row = conn.execute(sa.select(_S).where(_S.c.id == sid)).one()
        except sa.exc.IntegrityError as err:
            with self.context.engine.connect() as conn:
                raise _duplicate(conn, owner, name) from err
        resp.status = 201
        resp.media = render_session(row)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """List newest first; ``q`` matches name or description (substring) or the id."""
        query = sa.select(_S).where(_S.c.owner_id == owner_id(req))
        q = req.get_param("q")
        if q:
            if len(q) > MAX_QUERY_LENGTH:
                raise BadRequest(
                    f"The query 'q' is longer than {MAX_QUERY_LENGTH} characters.",
                    detail={"field": "q"},
                )
            query = _search(query, q)
        with self.context.engine.connect() as conn:
            resp.media = paginate(conn, query, _S.c.id, req, render_session)


class Session:
    """GET /v1/sessions/{sid} (fetch), PUT (partial update), POST …/halt."""

    def __init__(self, context: Any) -> None:
        self.context = context

    def on_get(self, req: falcon.Request, resp: falcon.Response, sid: str) -> None:
        """One session of the caller."""
        with self.context.engine.connect() as conn:
            resp.media = render_session(load_session(conn, owner_id(req), sid))

    def on_put(self, req: falcon.Request, resp: falcon.Response, sid: str) -> None:
        """Change name and/or description; everything else stays."""
        owner = owner_id(req)
        with self.context.engine.connect() as conn:
            load_session(conn, owner, sid)  # 404 before looking at the body
        body = read_json(req)
        _reject_unknown(body, UPDATE_FIELDS)
        values: dict[str, Any] = {}
        name = _name(body, required=False)
        if name is not None:
            values["name"] = name
        description = _description(body)
        if description is not None:
            values["description"] = description
        try:
            with self.context.engine.begin() as conn:
                row = load_session(conn, owner, sid)
                if values:
                    values["updated"] = now()
                    conn.execute(_S.update().where(_S.c.id == row.id).values(**values))
                    row = load_session(conn, owner, sid)
        except sa.exc.IntegrityError as err:
            with self.context.engine.connect() as conn:
                raise _duplicate(conn, owner, values["name"]) from err
        resp.media = render_session(row)

    def on_post_halt(self, req: falcon.Request, resp: falcon.Response, sid: str) -> None:
        """Halt: status ``halted``, and tasks not yet finished are asked to cancel.

        Halting a halted session changes nothing; a completed one stays completed.
        """
        owner = owner_id(req)
        with self.context.engine.begin() as conn:
            row = load_session(conn, owner, sid)
            if row.status == "active":
                stamp = now()
                conn.execute(
                    _S.update().where(_S.c.id == row.id).values(status="halted", updated=stamp)
                )
                conn.execute(
                    schema.tasks.update()
                    .where(
                        schema.tasks.c.session_id == row.id,
                        schema.tasks.c.status.in_(("new", "running")),
                    )
                    .values(cancel_requested=True, version=schema.tasks.c.version + 1)
                )
                row = load_session(conn, owner, sid)
        resp.media = render_session(row)


def register(app: falcon.App, context: Any) -> None:
    """Add this family's routes to the app."""
    app.add_route("/v1/sessions", Sessions(context))
    session = Session(context)
    app.add_route("/v1/sessions/{sid}", session)
    app.add_route("/v1/sessions/{sid}/halt", session, suffix="halt")

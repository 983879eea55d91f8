"""Session routes: create, list (paginated, ``q`` search), fetch, update, halt.

A session is one design-of-experiments campaign of one owner. Its name is
unique per owner. Another owner's session is a plain 404, never a hint.
Its ``tag`` is Daptics' read-only identifier: given (or not) at create, never
changed after; not unique (Daptics says nothing of that, so two campaigns may
share one, e.g. a project code); ``q`` searches it as Daptics' list does.
Thin: parse, call the :class:`~.store.sessions.SessionStore`, render.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any

import falcon

from sigopt_like import csvio
from sigopt_like._constants import MAX_SEED

from ..domain.labels import label_problem
from ..errors import BadRequest, ValidationFailed
from ..http import (
    field,
    now,
    owner_id,
    page_request,
    parse_id,
    read_json,
    reject_unknown,
    render_page,
)
from ..store import Store
from ..store.sessions import SessionRecord, SessionStore
from .lazy import OwnedSession

MAX_NAME_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 10_000
MAX_QUERY_LENGTH = 200
MAX_TAG_LENGTH = 200
CREATE_FIELDS = frozenset({"name", "description", "seed", "tag"})
UPDATE_FIELDS = frozenset({"name", "description"})
#: BPTK's instances take a ``timeout`` after which an idle one is deleted (they hold a model
#: in memory). A session is a campaign stored in the database, whose generations may be
#: weeks apart: it never expires, and a timeout asked for is refused, saying so
NO_TIMEOUT_MESSAGE = (
    "Sessions do not time out: a session is a campaign stored in the service's database, "
    "kept however long it stays idle (a lab's generations may be weeks apart), so there is "
    "no 'timeout' to set. When a campaign is done, halt it (POST /v1/sessions/{id}/halt)."
)
#: blank for JSON Schema's ECMA-262 ``\\s`` though not for ``str.strip()``
_ALSO_BLANK = "\ufeff"
#: blanks at either end of a label, stripped (the OpenAPI document's pattern says the same)
_EDGES = re.compile(rf"^[\s{_ALSO_BLANK}]+|[\s{_ALSO_BLANK}]+$")


def render_session(session: SessionRecord) -> dict[str, Any]:
    """The API form of a session."""
    return {
        "object": "session",
        "id": str(session.id),
        "name": session.name,
        "description": session.description,
        "status": session.status,
        "gen": session.gen,
        "remaining": session.remaining,
        "completed": bool(session.completed),
        "population_size": session.population_size,
        "replicates": session.replicates,
        "seed": session.seed,
        "created": session.created,
        "updated": session.updated,
        "owner": str(session.owner_id),
        "best_response": session.best_response,
        "tag": session.tag,
    }


def _problem(message: str, name: str) -> dict[str, Any]:
    return {"message": message, "row": None, "column": None, "field": name}


def _name(body: dict[str, Any], *, required: bool) -> str | None:
    return _label(body, "name", "session name", MAX_NAME_LENGTH, required=required)


def _tag(body: dict[str, Any]) -> str | None:
    return _label(body, "tag", "tag", MAX_TAG_LENGTH, required=False)


def _label(body: dict[str, Any], key: str, what: str, limit: int, *, required: bool) -> str | None:
    """A one-line label: at most ``limit`` characters, stripped, not blank."""
    raw = field(body, key, str, required=required)
    if raw is None:
        return None
    if len(raw) > limit:
        raise ValidationFailed(
            f"The {what} is {len(raw)} characters long; the limit is {limit}.",
            [_problem("too long", key)],
        )
    text = _EDGES.sub("", raw)
    if not text:
        raise ValidationFailed(f"The {what} must not be blank.", [_problem("blank", key)])
    # the names' rule of both APIs (``domain.labels``): no control or invisible character
    problem = label_problem(
        text, f"The {what}", what, aside=" (the description may hold line breaks)"
    )
    if problem is not None:
        message, kind = problem
        raise ValidationFailed(message, [_problem(kind, key)])
    # composed (NFC), as a space's names and levels: before, "café" typed with one code point
    # and with e + a combining accent were two sessions of one name (no 409), and a search
    # in one form did not find the other
    return str(csvio.nfc(text))


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
    seed = field(body, "seed", int, within=(0, MAX_SEED))
    if seed is None:
        return secrets.randbelow(MAX_SEED + 1)
    return int(seed)


def _refuse_timeout(body: dict[str, Any]) -> None:
    """A 400 saying that sessions do not expire, for a BPTK-style ``timeout`` (before: the
    generic "Unknown field(s) 'timeout'", which left a reader wondering whether an idle
    session is deleted)."""
    if "timeout" in body:
        raise BadRequest(NO_TIMEOUT_MESSAGE, detail={"field": "timeout", "fields": ["timeout"]})


class Sessions:
    """POST /v1/sessions (create), GET /v1/sessions (list)."""

    #: the door leaves a top-level integer past 64 bits to ``seed``'s check (its range)
    fields_judge_integers = True

    def __init__(self, sessions: SessionStore) -> None:
        self._sessions = sessions

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Create ``{name, description?, seed?, tag?}``; 409 ``duplicate_name`` on a clash."""
        body = read_json(req)
        _refuse_timeout(body)
        reject_unknown(body, CREATE_FIELDS)
        name = _name(body, required=True)
        assert name is not None  # required
        description = _description(body) or ""
        session = self._sessions.create(
            owner_id(req), name, description, _seed(body), now(), tag=_tag(body)
        )
        resp.status = 201
        resp.media = render_session(session)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """List newest first; ``q`` matches name, description or tag (substring) or the id."""
        q = req.get_param("q")
        if q and len(q) > MAX_QUERY_LENGTH:
            raise BadRequest(
                f"The query 'q' is longer than {MAX_QUERY_LENGTH} characters.",
                detail={"field": "q"},
            )
        page = self._sessions.page(owner_id(req), page_request(req), csvio.nfc(q) or None)
        resp.media = render_page(page, render_session)


class Session:
    """GET /v1/sessions/{sid} (fetch), PUT (partial update), POST …/halt.

    ``task_changed`` is called once a halt has committed: it wakes the clients of this
    process waiting on the session's tasks (long polls, event streams), as a cancel
    does, rather than at the task watch's next read of the database.
    """

    #: the door leaves a top-level integer past 64 bits to the fields' own checks (an
    #: unknown field, or a name that takes text), as on the collection's route
    fields_judge_integers = True

    def __init__(self, store: Store, task_changed: Callable[[], None] | None = None) -> None:
        self._store = store
        self._sessions = store.sessions
        self._task_changed = task_changed
        #: a foreign or unknown id is a 404 whatever the body (``lazy.path_before_body``)
        self.judge_path = OwnedSession(store.sessions)

    def on_get(self, req: falcon.Request, resp: falcon.Response, sid: str) -> None:
        """One session of the caller."""
        resp.media = render_session(self._sessions.get(owner_id(req), parse_id(sid, "session")))

    def on_put(self, req: falcon.Request, resp: falcon.Response, sid: str) -> None:
        """Change name and/or description; everything else stays."""
        owner = owner_id(req)
        session_id = parse_id(sid, "session")
        self._sessions.get(owner, session_id)  # 404 before looking at the body
        body = read_json(req)
        if "tag" in body:
            raise BadRequest(
                "The tag is a read-only identifier: it is given when a session is created "
                "and cannot be changed. Create a new session to use another tag.",
                detail={"field": "tag"},
            )
        _refuse_timeout(body)
        reject_unknown(body, UPDATE_FIELDS)
        session = self._sessions.update(
            owner,
            session_id,
            now(),
            name=_name(body, required=False),
            description=_description(body),
        )
        resp.media = render_session(session)

    def on_post_halt(self, req: falcon.Request, resp: falcon.Response, sid: str) -> None:
        """Halt: status ``halted``; its queued tasks are canceled, running ones asked to.

        Halting a halted session changes nothing; a completed one stays completed. It
        takes no fields: a body, if any, is ``{}`` (``[]`` or ``{"now": true}`` halted
        the session as well, read as nothing).
        """
        owner, session_id = owner_id(req), parse_id(sid, "session")
        self._sessions.get(owner, session_id)  # 404 before looking at the body
        reject_unknown(read_json(req, required=False), frozenset())
        session = self._sessions.halt(owner, session_id, now())
        if self._task_changed is not None:
            self._store.after_commit(self._task_changed)
        resp.media = render_session(session)


def register(app: falcon.App, context: Any) -> None:
    """Add this family's routes to the app."""
    app.add_route("/v1/sessions", Sessions(context.store.sessions))
    session = Session(context.store, context.runner.notify_change)
    app.add_route("/v1/sessions/{sid}", session)
    app.add_route("/v1/sessions/{sid}/halt", session, suffix="halt")

"""Idempotency keys: a repeated mutating request replays the first response.

The first request with a key claims it by inserting a row (the unique
constraint on ``(owner_id, key)`` makes the claim atomic), runs, then stores
its status, body and content type. A repeat with the same method, path and
body gets that response again with ``Idempotent-Replayed: true``; a repeat with
anything different is a 409 ``idempotency_mismatch``. A repeat that arrives
while the first still runs waits for it (``settings.idempotency_wait_seconds``)
and then replays, or gets a 409 ``idempotency_in_progress`` with Retry-After.

5xx responses are not kept (the claim is dropped), so a retry can succeed.
While its request runs, a claim names the process holding it (``host:pid:uuid``
in its ``response`` column); a claim whose process is gone (it crashed) is taken
over at once by the next request with the key, any other unfinished claim after
``ABANDONED_CLAIM_SECONDS``. When the request's own writes commit, the same
transaction marks its claim ``done-by ...``: if the process then dies before the
answer is stored, a retry is not run a second time (that would duplicate the
work) but answered 409 ``idempotency_answer_lost``, saying the work was done.
Resources whose responses hold a secret (login, token creation) set
``idempotent_replay = False`` and are never stored.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import logging
import os
import socket
import threading
import time
import uuid
from typing import Any

import falcon
import sqlalchemy as sa

from ..errors import BadRequest, Conflict
from ..http import body_bytes
from ..store import schema
from .routing import has_responder

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 200
MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: a claim older than this whose request never finished (its process died) is taken over.
ABANDONED_CLAIM_SECONDS = 300
PURGE_EVERY_SECONDS = 60.0
_POLL_SECONDS = 0.05
#: the ``response`` of a claim still running: ``claimed-by host:pid:uuid``
CLAIM_PREFIX = "claimed-by "
#: ... and once the request's own writes have committed, before its answer is stored
DONE_PREFIX = "done-by "
_WROTE = "sigopt_like_idempotency_wrote"
#: the claim of the request being handled in this thread: (middleware, claim id)
_CURRENT: contextvars.ContextVar[tuple[Any, int] | None] = contextvars.ContextVar(
    "sigopt_like_idempotency_claim", default=None
)

LOG = logging.getLogger("sigopt_like.service")
_T = schema.idempotency_keys


class IdempotencyMiddleware:
    """Replay mutating requests that carry an ``Idempotency-Key`` already seen."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"
        self._last_purge = 0.0
        self._purge_lock = threading.Lock()
        engine = context.store.database.engine
        sa.event.listen(engine, "after_cursor_execute", self._after_execute)
        sa.event.listen(engine, "commit", self._on_commit)
        sa.event.listen(engine, "rollback", self._on_rollback)

    # -- the request's own writes ---------------------------------------------

    def _after_execute(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        """Note that the request holding a claim wrote something in this transaction."""
        current = _CURRENT.get()
        if current is None or current[0] is not self:
            return
        if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE") and (
            _T.name not in statement
        ):
            conn.info[_WROTE] = current[1]

    def _on_commit(self, conn: Any) -> None:
        """Mark the claim done in the transaction that commits the request's writes."""
        claim = conn.info.pop(_WROTE, None)
        current = _CURRENT.get()
        if claim is None or current is None or current[0] is not self or current[1] != claim:
            return
        # SQLAlchemy is committing: the mark goes through the DB-API cursor, same transaction
        compiled = (
            _T.update()
            .where(_T.c.id == claim, _T.c.status.is_(None))
            .values(response=DONE_PREFIX + self.holder)
            .compile(dialect=conn.dialect)
        )
        params = compiled.construct_params()
        args: Any = (
            tuple(params[name] for name in compiled.positiontup or ())
            if compiled.positional
            else params
        )
        cursor = conn.connection.cursor()
        try:
            cursor.execute(str(compiled), args)
        finally:
            cursor.close()

    def _on_rollback(self, conn: Any) -> None:
        conn.info.pop(_WROTE, None)

    # -- before the responder -------------------------------------------------

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: object, params: dict
    ) -> None:
        """Claim the key, or replay/refuse when it is already known."""
        req.context.idempotency_claim = None
        if req.method not in MUTATING_METHODS or resource is None:
            return
        key = req.get_header(HEADER)
        if key is None or not getattr(resource, "idempotent_replay", True):
            return
        if not has_responder(self.context.router, req, resource):
            return  # Falcon answers 405; nothing to claim
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            raise BadRequest(
                f"The {HEADER} header must be 1 to {MAX_KEY_LENGTH} characters long "
                f"(it has {len(key)}).",
                detail={"header": HEADER},
            )
        owner = req.context.user_id if req.context.user_id is not None else 0
        body_hash = hashlib.sha256(body_bytes(req)).hexdigest()
        path = req.path + (f"?{req.query_string}" if req.query_string else "")
        self._maybe_purge()
        settings = self.context.settings
        deadline = time.monotonic() + settings.idempotency_wait_seconds
        while True:
            claim, row = self._claim_or_fetch(owner, key, req.method, path, body_hash)
            if claim is not None:
                req.context.idempotency_claim = claim
                _CURRENT.set((self, claim))
                return
            if row.method != req.method or row.path != path or row.body_hash != body_hash:
                raise Conflict(
                    f"The {HEADER} {key!r} was first used for {row.method} {row.path} with "
                    "another body; use a new key for a different request.",
                    code="idempotency_mismatch",
                    detail={"header": HEADER, "method": row.method, "path": row.path},
                )
            if row.status is not None:
                _replay(resp, row)
                return
            if time.monotonic() >= deadline:
                raise Conflict(
                    f"A request with the {HEADER} {key!r} is still being handled; "
                    "retry shortly to get its response.",
                    code="idempotency_in_progress",
                    detail={"header": HEADER},
                    headers={"Retry-After": "1"},
                )
            time.sleep(_POLL_SECONDS)

    def _claim_or_fetch(
        self, owner: int, key: str, method: str, path: str, body_hash: str
    ) -> tuple[int | None, Any]:
        now = int(time.time())
        ttl = self.context.settings.idempotency_ttl_seconds
        where = (_T.c.owner_id == owner, _T.c.key == key)
        try:
            with self.context.engine.begin() as conn:
                row = conn.execute(sa.select(_T).where(*where)).first()
                expired = row is not None and (
                    row.created < now - ttl
                    or (
                        row.status is None
                        and (
                            row.created < now - ABANDONED_CLAIM_SECONDS
                            or _holder_gone(row.response)
                        )
                    )
                )
                if expired and row.status is None and (row.response or "").startswith(DONE_PREFIX):
                    # its work was done, its answer lost with its process: never redo it
                    conn.execute(
                        _T.update()
                        .where(_T.c.id == row.id)
                        .values(
                            status=409,
                            response=_ANSWER_LOST,
                            content_type=falcon.MEDIA_JSON,
                        )
                    )
                    row = conn.execute(sa.select(_T).where(_T.c.id == row.id)).one()
                    expired = False
                if expired:
                    conn.execute(_T.delete().where(_T.c.id == row.id))
                    row = None
                if row is not None:
                    return None, row
                claim = conn.execute(
                    _T.insert().values(
                        owner_id=owner,
                        key=key,
                        method=method,
                        path=path,
                        body_hash=body_hash,
                        created=now,
                        response=CLAIM_PREFIX + self.holder,
                    )
                ).inserted_primary_key[0]
                return int(claim), None
        except sa.exc.IntegrityError:
            # Another request claimed the key between our select and insert.
            with self.context.engine.connect() as conn:
                return None, conn.execute(sa.select(_T).where(*where)).one()

    def _maybe_purge(self) -> None:
        now = time.monotonic()
        with self._purge_lock:
            if now - self._last_purge < PURGE_EVERY_SECONDS:
                return
            self._last_purge = now
        cutoff = int(time.time()) - self.context.settings.idempotency_ttl_seconds
        with self.context.engine.begin() as conn:
            conn.execute(_T.delete().where(_T.c.created < cutoff))

    # -- after the responder --------------------------------------------------

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        """Store the response of a claimed key, or drop the claim on a 5xx."""
        claim = getattr(req.context, "idempotency_claim", None)
        if claim is None:
            return
        _CURRENT.set(None)
        try:
            status = resp.status_code
            text = None if resp.stream is not None else _as_text(resp.render_body() or b"")
            with self.context.engine.begin() as conn:
                if status >= 500 or text is None:
                    conn.execute(_T.delete().where(_T.c.id == claim))
                else:
                    conn.execute(
                        _T.update()
                        .where(_T.c.id == claim)
                        .values(status=status, response=text, content_type=resp.content_type)
                    )
        except Exception:  # never turn a finished request into a failure
            LOG.exception("could not store the idempotent response of claim %s", claim)


_ANSWER_LOST = json.dumps(
    {
        "object": "error",
        "status": 409,
        "code": "idempotency_answer_lost",
        "message": (
            f"The first request with this {HEADER} was carried out, but the service stopped "
            "before it could answer. Do not send it again: fetch what it made instead."
        ),
        "detail": {"header": HEADER},
    }
)


def _holder_gone(response: str | None) -> bool:
    """Whether an unfinished claim's process is known to be dead (same host, no such pid)."""
    prefix = next((p for p in (CLAIM_PREFIX, DONE_PREFIX) if (response or "").startswith(p)), None)
    if response is None or prefix is None:
        return False
    host, _, rest = response[len(prefix) :].partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another host's process: only its age tells
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists but is not ours, or cannot be asked
        return False
    return False


def _as_text(body: bytes) -> str | None:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _replay(resp: falcon.Response, row: Any) -> None:
    resp.status = int(row.status)
    if row.content_type:
        resp.content_type = row.content_type
    resp.data = row.response.encode("utf-8")
    resp.set_header(REPLAYED_HEADER, "true")
    resp.complete = True

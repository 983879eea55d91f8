"""Idempotency keys: a repeated mutating request replays the first response.

A request with a key runs as one transaction (see :mod:`..store.idempotency`):
its first write claims the key, and its answer is stored with its writes when
it ends, so that a crash leaves all of it or none of it. A repeat with the same
method, path and body gets the stored response again with
``Idempotent-Replayed: true``; with anything different it is a 409
``idempotency_mismatch``. A repeat that arrives while the first still runs in
this process waits for it (``settings.idempotency_wait_seconds``), then
replays, or gets a 409 ``idempotency_in_progress`` with Retry-After; in
another process, its first write waits on the database for the first one's
transaction and then replays its answer.

5xx responses are not kept: everything the request wrote is rolled back, so a
retry runs again. Resources whose responses hold a secret (login, token
creation) set ``idempotent_replay = False`` and are never stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from typing import Any

import falcon

from ..._constants import MAX_IDEMPOTENCY_KEY_LENGTH
from ...database_targets import first_line
from ..access_log import loggable
from ..errors import UNREACHABLE_RETRY_AFTER, BadRequest, Conflict, error_body, from_store_error
from ..failures import DatabaseOutage
from ..http import body_bytes
from ..settings import ServiceSettings
from ..store.errors import Busy, DatabaseGone, StorageFull, Unwritable
from ..store.idempotency import Answer, IdempotencyStore, IdempotentCall, KeyUse
from ..store.refusals import is_unreachable_error
from ..task_links import LOCATION, replayed_location
from .routing import has_responder

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = MAX_IDEMPOTENCY_KEY_LENGTH
MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PURGE_EVERY_SECONDS = 60.0

LOG = logging.getLogger("sigopt_like.service")


class IdempotencyMiddleware:
    """Run mutating requests with an ``Idempotency-Key`` once, and replay their answer."""

    def __init__(
        self,
        store: IdempotencyStore,
        settings: ServiceSettings,
        router: Any,
        outage: DatabaseOutage | None = None,
    ) -> None:
        self._store = store
        #: the service's outage, where a request its database dropped is said (see below)
        self._outage = outage
        self._wait_seconds = settings.idempotency_wait_seconds
        self._ttl_seconds = settings.idempotency_ttl_seconds
        self._router = router
        #: keys whose first request runs in this process: (owner, key) -> its end
        self._in_flight: dict[tuple[int, str], threading.Event] = {}
        self._lock = threading.Lock()
        self._last_purge = 0.0

    # -- before the responder -------------------------------------------------

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: object, params: dict
    ) -> None:
        """Replay a known answer, or make the request one transaction that claims the key."""
        req.context.idempotent_call = None
        if req.method not in MUTATING_METHODS or resource is None:
            return
        key = req.get_header(HEADER)
        if key is None or not getattr(resource, "idempotent_replay", True):
            return
        if not has_responder(self._router, req, resource):
            return  # Falcon answers 405; nothing to claim
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            raise BadRequest(
                f"The {HEADER} header must be 1 to {MAX_KEY_LENGTH} characters long "
                f"(it has {len(key)}).",
                detail={"header": HEADER},
            )
        owner = req.context.user_id if req.context.user_id is not None else 0
        use = KeyUse(
            owner=owner,
            key=key,
            method=req.method,
            path=req.path + (f"?{req.query_string}" if req.query_string else ""),
            body_hash=hashlib.sha256(body_bytes(req)).hexdigest(),
            now=int(time.time()),
            ttl_seconds=self._ttl_seconds,
        )
        self._maybe_purge(use.now)
        self._wait_for_first(use)
        try:
            answer = self._store.find(use)
            if answer is None:
                req.context.idempotent_call = self._store.begin(use)
                return
        except BaseException:
            self._release(use)
            raise
        self._release(use)
        if not answer.same_request(use.method, use.path, use.body_hash):
            raise _mismatch(use, answer)
        _replay(req, resp, answer)

    def _wait_for_first(self, use: KeyUse) -> None:
        """Wait while a request with the same key runs in this process; then hold the key."""
        ident = (use.owner, use.key)
        deadline = time.monotonic() + self._wait_seconds
        while True:
            with self._lock:
                first = self._in_flight.get(ident)
                if first is None:
                    self._in_flight[ident] = threading.Event()
                    return
            left = deadline - time.monotonic()
            if left <= 0 or not first.wait(left):
                raise Conflict(
                    f"A request with the {HEADER} {use.key!r} is still being handled; "
                    "retry shortly to get its response.",
                    code="idempotency_in_progress",
                    detail={"header": HEADER},
                    headers={"Retry-After": "1"},
                )

    def _release(self, use: KeyUse) -> None:
        with self._lock:
            event = self._in_flight.pop((use.owner, use.key), None)
        if event is not None:
            event.set()

    def _maybe_purge(self, now: int) -> None:
        clock = time.monotonic()
        with self._lock:
            if clock - self._last_purge < PURGE_EVERY_SECONDS:
                return
            self._last_purge = clock
        try:
            self._store.purge(now - self._ttl_seconds)
        except Busy:  # another writer holds the lock: purge next time
            LOG.info("idempotency purge postponed: the database is busy")

    # -- after the responder --------------------------------------------------

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        """Commit the request's writes with its answer (or roll back a 5xx); replay the
        other request's answer if the key turned out to be taken."""
        call: IdempotentCall | None = getattr(req.context, "idempotent_call", None)
        if call is None:
            return
        req.context.idempotent_call = None
        try:
            body = None if resp.stream is not None else _as_text(resp.render_body() or b"")
            taken = call.finish(resp.status_code, body, resp.content_type)
        except (Busy, StorageFull, Unwritable, DatabaseGone) as refused:
            error = from_store_error(refused)
            _error(resp, error.status, error.code, error.message, error.headers)
            return
        except Exception as err:
            call.abandon()
            path = loggable(req.path)
            if is_unreachable_error(err):
                # the session ended under it (a database restart, or the server's
                # idle-in-transaction limit on a process frozen inside the request): nothing
                # was stored, so the client's retry with its key does the work once; a 503,
                # as everywhere else the database does not answer (it was a 500, which no
                # client retries, and a traceback); said through the service's outage, one
                # line an outage and a minute with a count, as its other 503s (a line a
                # request was hundreds of lines for one database restart)
                request_id = getattr(req.context, "request_id", None)
                where = f"storing {req.method} {path}'s answer, request {request_id}"
                if self._outage is not None:
                    self._outage.request_failed(err, where)
                else:
                    LOG.warning("the database does not answer (%s): %s", where, first_line(err))
                message = "The service's database does not answer (restarting or down); "
                retry = {"Retry-After": str(UNREACHABLE_RETRY_AFTER)}
                _error(resp, 503, "unavailable", message + "retry in a moment.", retry)
                return
            LOG.exception("could not commit the idempotent request %s %s", req.method, path)
            _error(resp, 500, "internal", "The service failed to store this request's result.")
            return
        finally:
            self._release(call.use)
        if taken is None:
            return
        if not taken.same_request(call.use.method, call.use.path, call.use.body_hash):
            mismatch = _mismatch(call.use, taken)
            _error(resp, mismatch.status, mismatch.code, mismatch.message, detail=mismatch.detail)
        else:
            _replay(req, resp, taken)


def _mismatch(use: KeyUse, answer: Answer) -> Conflict:
    return Conflict(
        f"The {HEADER} {use.key!r} was first used for {answer.method} {answer.path} with "
        "another body; use a new key for a different request.",
        code="idempotency_mismatch",
        detail={"header": HEADER, "method": answer.method, "path": answer.path},
    )


def _replay(req: falcon.Request, resp: falcon.Response, answer: Answer) -> None:
    """Answer with a stored response, marked as replayed; a 202's ``Location`` (not
    stored: only the body is) read again from the task in its body. Before, the replay
    of a started task's 202 named no URL to follow it at."""
    if answer.status is None or answer.response is None:
        return
    resp.delete_header("Retry-After")
    resp.status = int(answer.status)
    resp.text = None
    resp.data = answer.response.encode("utf-8")
    if answer.content_type:
        resp.content_type = answer.content_type
    resp.set_header(REPLAYED_HEADER, "true")
    location = replayed_location(req.prefix, int(answer.status), answer.response)
    if location is not None:
        resp.set_header(LOCATION, location)
    resp.complete = True


def _error(
    resp: falcon.Response,
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    resp.status = status
    resp.text = None
    resp.content_type = falcon.MEDIA_JSON
    resp.data = json.dumps(error_body(status, code, message, detail)).encode("utf-8")
    for name, value in (headers or {}).items():
        resp.set_header(name, value)


def _as_text(body: bytes) -> str | None:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None

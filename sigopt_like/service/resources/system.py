"""System routes: liveness, readiness, metrics, version and the OpenAPI document.

None of these needs a token; none of them tells anything about users or data.
"""

from __future__ import annotations

import importlib.resources
import logging
import math
from typing import Any

import falcon

from ..._version import __version__
from ...database_targets import first_line
from ..errors import UNREACHABLE_RETRY_AFTER, Unavailable
from ..failures import DatabaseOutage
from ..readiness import runs_its_own_tasks, task_workers
from ..settings import ServiceSettings
from ..store import Store
from ..store.errors import Unreadable
from ..store.refusals import is_connection_limit_error, is_unreachable_error

API_VERSION = "1"
MIN_CLIENT_VERSION = "0.1.0"
LOG = logging.getLogger("sigopt_like.service")


def openapi_document() -> bytes:
    """The OpenAPI document shipped in the package, as bytes."""
    return (importlib.resources.files("sigopt_like.service") / "openapi.json").read_bytes()


class Health:
    """GET /health: the process answers. No database, no auth."""

    auth_exempt = True

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Always ``{"object": "health", "status": "ok"}``."""
        resp.media = {"object": "health", "status": "ok"}

    #: HEAD, as load balancers and uptime checkers send it: the GET's status and
    #: headers, no body (Falcon drops it); not a 405
    on_head = on_get


class Ready:
    """GET /ready: the database answers (503 with the error body if not), and who runs the
    tasks: ``"status": "degraded"`` with a warning, still a 200, when nothing does
    (``readiness.py`` says why not a 503)."""

    auth_exempt = True

    def __init__(self, settings: ServiceSettings, store: Store, outage: DatabaseOutage) -> None:
        self._settings = settings
        self._store = store
        self._outage = outage
        self._warned = False  # said the missing workers in the log (once, until they come)
        self._refused = False  # said a read refused to the service's role (once)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Run a trivial query against the schema; read who runs the tasks."""
        try:
            version = self._store.schema_version()
            workers = task_workers(self._settings, self._store)
            self._outage.worked()
            self._refused = False
        except Exception as err:
            if is_connection_limit_error(err):  # the database answers: no outage
                # said in the answer, not once a probe: requests refused so log nothing
                # either (before: "The database does not answer", and a warning a probe)
                LOG.debug("readiness check: the database refuses more connections")
                raise Unavailable(
                    "The database refuses more connections (its max_connections is "
                    "reached); the service is not ready: retry in a moment.",
                    detail={"check": "database"},
                    headers={"Retry-After": "1"},
                ) from err
            if isinstance(err, Unreadable):  # the database answers, and refuses: say so
                if not self._refused:  # once, not once a probe
                    self._refused = True
                    LOG.warning("readiness check failed: %s", err.message)
                raise Unavailable(  # before: "The database does not answer"
                    f"{err.message} The service is not ready.",
                    code=err.code,
                    detail={"check": "database"},
                ) from err
            if is_unreachable_error(err):  # said once an outage, not once a probe
                self._outage.failed(err, "readiness check")
            else:
                LOG.warning("readiness check failed: %s", first_line(err))
            raise Unavailable(  # when to look again, as every other 503 of an outage says
                "The database does not answer; the service is not ready.",
                detail={"check": "database"},
                headers={"Retry-After": str(UNREACHABLE_RETRY_AFTER)},
            ) from err
        body: dict[str, Any] = {
            "object": "ready",
            "status": "ok",
            "schema_version": int(version),
            "task_workers": workers.state,
        }
        if workers.last_seen is not None:
            body["task_worker_seen"] = workers.last_seen
        if workers.warning is not None:
            body["status"] = "degraded"
            body["warnings"] = [{"check": "task_workers", "message": workers.warning}]
        self._say(workers.warning)
        resp.media = body

    def _say(self, warning: str | None) -> None:
        """Log the missing workers when a probe first finds them missing, and their
        return; not once a probe."""
        if warning is not None and not self._warned:
            self._warned = True
            LOG.warning("readiness: %s", warning)
        elif warning is None and self._warned:
            self._warned = False
            LOG.warning("readiness: a task worker runs on the database again")

    on_head = on_get  # a probe's HEAD: 200 or 503 as the GET, headers only


class Metrics:
    """GET /metrics: Prometheus text of this instance's registry, with how long ago a task
    worker was last heard from (read at each scrape) on a service that runs no tasks."""

    auth_exempt = True

    def __init__(self, context: Any) -> None:
        self.context = context

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The exposition format, version 0.0.4."""
        from prometheus_client import CONTENT_TYPE_LATEST  # loaded when first asked

        self.context.metrics.task_worker_seen(self._task_worker_seen_age())
        resp.content_type = CONTENT_TYPE_LATEST
        resp.data = self.context.metrics.render()

    def _task_worker_seen_age(self) -> float | None:
        """Seconds since a task worker last said it runs (``inf``: never); None where this
        service runs its own tasks, or the database does not answer (the other metrics
        are still served: the outage is said in the log, once)."""
        settings, store = self.context.settings, self.context.store
        if runs_its_own_tasks(settings):
            return None
        try:
            now = store.tasks.lease_now()  # the clock a runner's beat is written by
            seen = task_workers(settings, store, now).last_seen
            self.context.outage.worked()
        except Exception as err:
            if is_unreachable_error(err):
                self.context.outage.failed(err, "metrics")
            else:
                LOG.warning(
                    "metrics: could not read when a task worker was seen: %s", first_line(err)
                )
            return None
        return math.inf if seen is None else max(0.0, now - seen)


class Version:
    """GET /v1/version: API and server versions, and the oldest client that works."""

    auth_exempt = True

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The version object."""
        resp.media = {
            "object": "version",
            "api_version": API_VERSION,
            "server_version": __version__,
            "min_client_version": MIN_CLIENT_VERSION,
        }

    on_head = on_get  # what uptime checkers send to a service's version URL


class OpenAPI:
    """GET /v1/openapi.json: the REST contract of this service."""

    auth_exempt = True

    def __init__(self) -> None:
        self.document = openapi_document()

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The document as shipped."""
        resp.content_type = falcon.MEDIA_JSON
        resp.data = self.document


def register(app: falcon.App, context: Any) -> None:
    """Add this family's routes to the app."""
    app.add_route("/health", Health())
    app.add_route("/ready", Ready(context.settings, context.store, context.outage))
    app.add_route("/metrics", Metrics(context))
    app.add_route("/v1/version", Version())
    app.add_route("/v1/openapi.json", OpenAPI())

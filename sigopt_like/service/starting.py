"""A service whose PostgreSQL server is not up yet: it starts, and serves once it is.

Before, the WSGI factory refused to load ("App failed to load": gunicorn stopped) and
``sigopt-like serve`` exited when the database's server refused connections, so an app
started before its database (a machine's boot, a container platform starting both) had
to be restarted by hand or by its supervisor, in a loop. Now both start and answer, from
:class:`StartingService`, until the database answers:

- ``/health`` (liveness: the process answers, no database) is a 200, as always: a
  liveness probe that failed here would restart the process, which changes nothing;
- ``/ready`` and every other route are a 503 ``unavailable`` with ``Retry-After``, the
  answer of a running service whose database stops answering;
- with ``allowed_hosts`` (``--allowed-host``), a request whose ``Host`` names another
  host is the running service's 403 ``host_not_allowed``, ``/health`` included: before,
  the waiting answers skipped that guard against DNS rebinding;
- the service is built again every few seconds in a thread of its own, and once it is
  every request goes to it; the wait is said in one log line, and its end in another
  (``failures.DatabaseOutage``, as an outage of a running service).

Only a server that is not there yet, or lets no one in yet, or whose host name does not
resolve yet (said apart, with the driver's reason: it may be a typo), is waited for
(``store.refusals.is_not_up_error``); a wrong password or a database that does not exist
still stops the start in one line: waiting would not mend them.

A process forked from one that is waiting (gunicorn's ``--preload``: the factory runs
in the master, whose workers are forked from it) begins a wait of its own at once
(``os.register_at_fork``): a forked process has none of its parent's threads, so the
parent's wait would never end in it, and its workers answered 503 for good. A service the
parent built is not used in the child either (its connections are the parent's): the
child builds its own.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from .app import Service
from .dashboard.guard import host_refusal
from .errors import error_body
from .failures import DatabaseOutage
from .request_ids import HEADER, answer_id
from .resources.sigopt import import_every_resource
from .settings import ServiceSettings
from .store.refusals import is_not_up_error

LOG = logging.getLogger("sigopt_like.service")
#: the first wait before the service is built again, and the longest
FIRST_RETRY_SECONDS = 0.5
MAX_RETRY_SECONDS = 5.0
#: how long closing waits for an attempt under way (a connection being tried)
CLOSE_WAIT_SECONDS = 5.0
#: what a 503 says to wait before asking again (the running service's, for an outage)
RETRY_AFTER = "2"

__all__ = ["StartingService", "is_not_up_error", "start_service"]


def start_service(
    settings: ServiceSettings, build: Callable[[ServiceSettings], Service]
) -> Service | StartingService:
    """``build(settings)``, or a :class:`StartingService` building it until it works if
    the database's server is not up yet (any other error is raised). Every route's
    module is imported first (``resources.sigopt.import_every_resource``): a served
    process does not load code on a first request, from files an upgrade replaced."""
    import_every_resource()
    try:
        return build(settings)
    except Exception as err:
        if not is_not_up_error(err):
            raise
        return StartingService(settings, build, err)


class StartingService:
    """A WSGI app that answers while its service cannot be built yet (see the module
    docstring), and is that service once it is."""

    def __init__(
        self,
        settings: ServiceSettings,
        build: Callable[[ServiceSettings], Service],
        error: BaseException,
    ) -> None:
        self.settings = settings
        self._hosts = frozenset(name.lower() for name in settings.allowed_hosts)
        self._build = build
        self._service: Service | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._refusal: str | None = None  # the latest other error, said once
        self.outage = DatabaseOutage()
        self.outage.failed(error, "service start: serving /health, 503 elsewhere")
        #: why the database could not be opened at the start, in the driver's words
        #: (``serve`` says it on its "serving on" line: a mistyped host name shows there)
        self.reason = _line(error)
        #: a service built in the process this one was forked from: never used here
        #: (its connections are that process's), nor closed (that would close them)
        self._parents: list[Service] = []
        self._thread = self._start_thread()
        forked = weakref.WeakMethod(self._forked)
        os.register_at_fork(after_in_child=lambda: _call(forked))

    def _start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self._keep_building, name="sigopt-like-start")
        thread.daemon = True
        thread.start()
        return thread

    def _forked(self) -> None:
        """In a process forked from this one's (alone in it, before any other thread
        runs): the wait begins again here, the parent's thread not being in it."""
        if self._stop.is_set():  # closed before the fork
            return
        if self._service is not None:
            self._parents.append(self._service)
            self._service = None
        # the parent's locks may have been held by its threads at the fork: new ones
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._refusal = None
        self.outage = DatabaseOutage()
        self._thread = self._start_thread()

    @property
    def service(self) -> Service | None:
        """The service, once built."""
        return self._service

    def _keep_building(self) -> None:
        wait = FIRST_RETRY_SECONDS
        while not self._stop.wait(wait):
            wait = min(MAX_RETRY_SECONDS, wait * 2)
            try:
                service = self._build(self.settings)
            except Exception as err:
                said = None if is_not_up_error(err) else _line(err)
                if said is not None and said != self._refusal:  # up, but refusing us
                    LOG.error("service start: the database cannot be used: %s", said)
                self._refusal = said
                self.outage.failed(err, "service start")
                continue
            with self._lock:
                if self._stop.is_set():  # closed meanwhile
                    service.close()
                    return
                self._service = service
            self.outage.worked()
            return

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        service = self._service
        if service is not None:
            return service(environ, start_response)
        refusal = host_refusal(self._hosts, environ.get("HTTP_HOST"))
        if refusal is not None:
            return _answer(environ, start_response, "403 Forbidden", refusal.to_body(), [])
        return _answer_starting(environ, start_response)

    def stop_waiting(self) -> None:
        """The service's :meth:`~.app.Service.stop_waiting`, once it is built (read without
        the lock: a signal handler calls it)."""
        service = self._service
        if service is not None:
            service.stop_waiting()

    def close(self) -> None:
        """Stop building; close the service if it was built."""
        with self._lock:
            self._stop.set()
            service = self._service
        # an attempt under way ends on its own (a daemon thread: it does not hold the
        # process), and closes what it built once it sees the stop
        self._thread.join(timeout=CLOSE_WAIT_SECONDS)
        if service is not None:
            service.close()

    def __enter__(self) -> StartingService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _call(method: weakref.WeakMethod[Callable[[], None]]) -> None:
    found = method()
    if found is not None:
        found()


def _line(err: BaseException) -> str:
    from ..database_targets import first_line, redact_database_url

    return redact_database_url(first_line(err))


def _answer_starting(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> Iterable[bytes]:
    """``/health``'s 200, or the 503 of a service whose database does not answer."""
    path = (environ.get("PATH_INFO") or "/").rstrip("/") or "/"
    method = environ.get("REQUEST_METHOD", "GET")
    if path == "/health" and method in ("GET", "HEAD"):
        status, body = "200 OK", {"object": "health", "status": "ok"}
        headers: list[tuple[str, str]] = []
    else:
        message = (
            "The database does not answer; the service is not ready."
            if path == "/ready"
            else "The service is starting: its database does not answer yet; retry in a moment."
        )
        status = "503 Service Unavailable"
        body = error_body(503, "unavailable", message, {"check": "database"})
        headers = [("Retry-After", RETRY_AFTER)]
    return _answer(environ, start_response, status, body, headers)


def _answer(
    environ: dict[str, Any],
    start_response: Callable[..., Any],
    status: str,
    body: dict[str, Any],
    headers: list[tuple[str, str]],
) -> Iterable[bytes]:
    """``body`` as JSON with ``status`` (no body for a HEAD)."""
    method = environ.get("REQUEST_METHOD", "GET")
    data = json.dumps(body).encode("utf-8")
    start_response(
        status,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            (HEADER, answer_id(environ.get("HTTP_X_REQUEST_ID"))),  # as the app's answers do
            *headers,
        ],
    )
    return [] if method == "HEAD" else [data]

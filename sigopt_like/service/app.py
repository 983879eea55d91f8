"""The service's app factory: one Falcon WSGI app with its context.

``create_app(settings)`` returns a :class:`Service`, a WSGI callable that also
owns the database engine and the task runner, and closes them in ``close()``.
"""

from __future__ import annotations

import importlib
import time
from typing import Any

import attrs
import falcon

from . import json_answers
from .dashboard.guard import guard_for
from .engine_runs import EngineRuns
from .errors import install_error_handlers
from .failures import DatabaseOutage
from .middleware.auth import AuthMiddleware
from .middleware.door import DoorMiddleware
from .middleware.idempotency import IdempotencyMiddleware
from .middleware.limits import BodyLimitMiddleware, RateLimiter, RateLimitMiddleware
from .middleware.metrics import MetricsMiddleware, ServiceMetrics
from .middleware.request_id import RequestIdMiddleware
from .middleware.routing import HeadAsGetRouter
from .middleware.server_wide import ServerWideMiddleware
from .settings import ServiceSettings, refuse_task_settings_left_to_workers
from .store import Store, open_store, url_text
from .suggestion_batches import SuggestionBatches
from .task_processes import TaskProcesses
from .task_watch import TaskWatch
from .worker import runner_for, unattended, worker_identity

# Each module has ``register(app, context)`` adding its routes.
RESOURCE_MODULES = (
    "system",
    "auth",
    "sessions",
    "tasks",
    "campaign",
    "analytics",
    "sigopt",
)
# Packages beside the REST resources that add routes of their own, with the same
# ``register(app, context)``: the browser dashboard (pages, assets, cookie sign-in).
FEATURE_MODULES = ("dashboard",)


@attrs.define
class ServiceContext:
    """What every resource of one service instance shares."""

    settings: ServiceSettings
    store: Store
    local_user_id: int
    started: float = attrs.field(factory=time.time)
    runner: Any = None  # the task runner (sigopt_like.service.worker), started after the app
    #: wakes event streams and long polls when their task changes (task_watch.py)
    task_watch: TaskWatch | None = None
    router: Any = None  # the app's Falcon router (middleware asks it about responders)
    #: the Prometheus registry and instruments of this instance (never the global registry)
    metrics: ServiceMetrics = attrs.field(factory=ServiceMetrics.create)
    #: concurrent suggestion requests of one experiment share one optimizer call
    suggestion_batches: SuggestionBatches[Any] = attrs.field(factory=SuggestionBatches)
    #: seeded experiments' engine calls that outlasted their request, for its retry
    engine_runs: EngineRuns = attrs.field(factory=EngineRuns)
    #: whether the database answers, said once for all of this instance's loops (failures.py)
    outage: DatabaseOutage = attrs.field(factory=DatabaseOutage)
    #: the CSRF secret of a dashboard without accounts, once read (see browser_secret())
    _browser_secret: str | None = attrs.field(default=None, init=False)
    #: login attempts, per email and per client address (counted in the database)
    login_limiter: RateLimiter = attrs.field(
        default=attrs.Factory(
            lambda self: RateLimiter(
                self.store.rate_limits,
                "login",
                self.settings.login_attempts_per_minute,
                self.settings.rate_limit_window_seconds,
            ),
            takes_self=True,
        )
    )

    def browser_secret(self) -> str:
        """The secret of the CSRF token of a dashboard without accounts (auth off).

        Kept in the database (``AccountStore.browser_secret``), so that a page one
        process rendered is accepted by another on the same database; read on first
        use, so a service with accounts, or that never serves the dashboard, never
        reads it.
        """
        if self._browser_secret is None:
            self._browser_secret = self.store.accounts.browser_secret()
        return self._browser_secret


class Service:
    """One service instance: a WSGI app, its database and its task runner."""

    def __init__(self, settings: ServiceSettings | None = None) -> None:
        self.settings = settings or ServiceSettings()
        refuse_task_settings_left_to_workers(self.settings)
        store = open_store(self.settings.database)
        self.context = ServiceContext(
            settings=self.settings, store=store, local_user_id=store.accounts.local_user_id()
        )
        # an outage's end is said at the first connection had after it, a request's too:
        # before, only a retrying loop or /ready said it, and an app process without
        # either (serve --no-tasks, the WSGI factory, no probe) never did
        store.on_connection(self.context.outage.worked)
        self.task_processes: TaskProcesses | None = None
        if self.settings.worker_processes:
            holder = worker_identity()  # this process, as the runner promise names it
            self.task_processes = TaskProcesses(
                # read back as the same file (before: a name that is not UTF-8 stopped
                # the service at its start, as text that "cannot be stored")
                url_text(store.database.engine.url),
                self.settings.worker_processes,
                self.settings.task_threads,
                self.settings.task_process_idle_seconds,
                waiting=lambda: unattended(store),
                promise=lambda seconds: store.tasks.promise_runner(holder, seconds),
                withdraw=lambda: store.tasks.withdraw_runner_promise(holder),
                promise_holder=holder,
                on_change=self._task_changed,
                on_finish=self._count_task,
                on_unavailable=lambda _: self.context.runner.start_threads(
                    self.settings.task_threads
                ),  # called from start() on: the runner exists
                outage=self.context.outage,
                time_limit_seconds=self.settings.task_time_limit_seconds,
                max_attempts=self.settings.task_max_attempts,
            )
        wake = self.task_processes.wake if self.task_processes is not None else None
        self.context.runner = runner_for(self.context, on_submit=wake)
        self.context.task_watch = TaskWatch(
            store.tasks.versions,
            capacity=self.settings.max_waiting_requests,
            local_change=self.context.runner.wait_for_change,
            outage=self.context.outage,
        )
        self.app = _build_app(self.context)
        self.context.runner.start()
        if self.task_processes is not None:
            self.task_processes.start()  # a task left waiting by an earlier process starts one

    def _task_changed(self) -> None:
        """A worker process changed a task: wake whoever waits for it."""
        if self.context.runner is not None:
            self.context.runner.notify_change()

    def _count_task(self, task_type: str, status: str, seconds: float) -> None:
        """A task a worker process ran ended: count it as this service's own."""
        on_finish = self.context.runner.on_finish if self.context.runner else None
        if on_finish is not None:
            on_finish(task_type, status, seconds)

    def __call__(self, environ: dict, start_response: Any) -> Any:
        return self.app(environ, start_response)

    def stop_waiting(self) -> None:
        """The server is stopping: waiting long polls answer and event streams end now
        (their clients ask again, of another process), and no request waits from now on;
        never blocks (gunicorn's worker calls it in its SIGTERM handler)."""
        if self.context.task_watch is not None:
            self.context.task_watch.stop_waiting()

    def close(self) -> None:
        """Stop the task watch and the task runner, and release the database."""
        if self.context.task_watch is not None:
            self.context.task_watch.close()
        runner = self.context.runner
        if runner is not None:
            runner.shutdown()
        if self.task_processes is not None:
            self.task_processes.close()
        self.context.store.close()

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def create_app(settings: ServiceSettings | None = None, **overrides: Any) -> Service:
    """Build a service; keyword overrides replace fields of ``settings``."""
    base = settings or ServiceSettings()
    if overrides:
        base = attrs.evolve(base, **overrides)
    return Service(base)


def _build_app(context: ServiceContext) -> falcon.App:
    context.router = HeadAsGetRouter()
    app = falcon.App(middleware=_middleware(context), router=context.router)
    app.req_options.strip_url_path_trailing_slash = True
    app.req_options.auto_parse_qs_csv = False
    # an answer is JSON or nothing: a non-finite number fails here rather than leave as
    # ``Infinity`` (refused at the door); a lone surrogate stored before the door refused
    # it is written escaped (json_answers.py)
    json_handler = falcon.media.JSONHandler(dumps=json_answers.dumps)
    app.resp_options.media_handlers[falcon.MEDIA_JSON] = json_handler
    install_error_handlers(app, context.outage)
    for name in RESOURCE_MODULES:
        module = importlib.import_module(f"{__package__}.resources.{name}")
        module.register(app, context)
    for name in FEATURE_MODULES:
        importlib.import_module(f"{__package__}.{name}").register(app, context)
    return app


def _middleware(context: ServiceContext) -> list[Any]:
    """The middleware, in order: ``process_request`` and ``process_resource`` run
    top-down, ``process_response`` bottom-up (and always, even after an error)."""
    return [
        RequestIdMiddleware(),
        MetricsMiddleware(context.metrics, context.router),
        ServerWideMiddleware(),  # OPTIONS * (200, the methods), CONNECT (405: not a proxy)
        BodyLimitMiddleware(context),  # 413 on Content-Length, before reading
        AuthMiddleware(context),  # after routing: req.context.user_id / token_id or 401
        guard_for(context),  # a browser (dashboard cookie) may only read, or change with CSRF
        RateLimitMiddleware(context.store.rate_limits, context.settings),  # per token, 429
        DoorMiddleware(context.router),  # 400/415 on input JSON or the store cannot hold
        # replays an Idempotency-Key, or makes the request one transaction with its answer
        IdempotencyMiddleware(
            context.store.idempotency, context.settings, context.router, context.outage
        ),
    ]

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
import sqlalchemy as sa

from .errors import install_error_handlers
from .middleware.request_id import RequestIdMiddleware
from .settings import ServiceSettings
from .store.db import local_user_id, open_database

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


@attrs.define
class ServiceContext:
    """What every resource of one service instance shares."""

    settings: ServiceSettings
    engine: sa.Engine
    local_user_id: int
    started: float = attrs.field(factory=time.time)
    runner: Any = None  # the task runner (sigopt_like.service.worker)
    metrics: Any = None  # the Prometheus registry and instruments of this instance


class Service:
    """One service instance: a WSGI app, its database and its task runner."""

    def __init__(self, settings: ServiceSettings | None = None) -> None:
        self.settings = settings or ServiceSettings()
        engine = open_database(self.settings.database)
        self.context = ServiceContext(
            settings=self.settings, engine=engine, local_user_id=local_user_id(engine)
        )
        self.app = _build_app(self.context)

    def __call__(self, environ: dict, start_response: Any) -> Any:
        return self.app(environ, start_response)

    def close(self) -> None:
        """Stop the task runner and release the database."""
        runner = self.context.runner
        if runner is not None:
            runner.shutdown()
        self.context.engine.dispose()

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
    app = falcon.App(middleware=_middleware(context))
    app.req_options.strip_url_path_trailing_slash = True
    app.req_options.auto_parse_qs_csv = False
    install_error_handlers(app)
    for name in RESOURCE_MODULES:
        module = importlib.import_module(f"{__package__}.resources.{name}")
        module.register(app, context)
    return app


def _middleware(context: ServiceContext) -> list[Any]:
    return [RequestIdMiddleware()]

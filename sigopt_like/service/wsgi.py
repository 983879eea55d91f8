"""The service as a WSGI application for a production server (gunicorn).

    gunicorn -k gthread --workers 4 --threads 8 --bind 0.0.0.0:8080 \\
        'sigopt_like.service.wsgi:application(database="postgresql+psycopg://app@db/sigopt")'

``application(**settings)`` is a factory (gunicorn calls it once in each worker
process, so nothing is shared between them but the database): auth is on, and
tasks are left to ``sigopt-like worker`` processes (``run_tasks=False``) unless
told otherwise. Any :class:`~.settings.ServiceSettings` field can be given;
``database`` defaults to ``$SIGOPT_LIKE_DATABASE``. See docs/service.md.
"""

from __future__ import annotations

import os
from typing import Any

from .app import Service, create_app
from .settings import ServiceSettings

DATABASE_ENV = "SIGOPT_LIKE_DATABASE"


def application(**settings: Any) -> Service:
    """A service for one worker process of a WSGI server (see the module docstring)."""
    database = settings.pop("database", None) or os.environ.get(DATABASE_ENV)
    if not database:
        raise RuntimeError(
            f"Give the database: application(database=...) or ${DATABASE_ENV} "
            "(a SQLite path or a SQLAlchemy URL)."
        )
    base = ServiceSettings(database=database, auth_required=True, run_tasks=False)
    return create_app(base, **settings)

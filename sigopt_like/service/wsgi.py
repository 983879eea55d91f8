"""The service as a WSGI application for a production server (gunicorn).

    export SIGOPT_LIKE_DATABASE='postgresql+psycopg://app:PASSWORD@db/sigopt'
    gunicorn -c python:sigopt_like.service.gunicorn_conf --workers 2 --threads 40 \\
        --bind 0.0.0.0:8080 \\
        'sigopt_like.service.wsgi:application(max_waiting_requests=32)'

``-c python:sigopt_like.service.gunicorn_conf`` gives gunicorn the service's settings
(``gunicorn_conf``: the read deadline, bodies read whole, refusals in JSON, the keep-alive
timeout of ``sigopt-like serve``). ``application(**settings)`` is a factory (gunicorn
calls it once in each worker process, so nothing is shared between them but the
database): auth is on, and tasks are left to ``sigopt-like worker`` processes
(``run_tasks=False``) unless told otherwise. Any :class:`~.settings.ServiceSettings`
field can be given; ``database`` defaults to ``$SIGOPT_LIKE_DATABASE``. With tasks left
to the workers, their time limit and runs are theirs (``sigopt-like worker
--task-time-limit``, ``--task-max-attempts``): a ``task_max_attempts`` given here is
refused, and ``task_time_limit_seconds`` only bounds how long an event stream stays open.
See docs/service.md.

Clients that wait (a task's event stream, a long poll) each hold a gunicorn thread while
they wait, and gunicorn keeps ``--threads`` as given (``sigopt-like serve`` adds a thread
per waiting slot itself). So the factory's ``max_waiting_requests`` is
:data:`WAITING_REQUESTS` unless given, not the setting's 256: with gunicorn's default of
a few threads, 256 slots let waiting clients take every thread and ``/health`` go
unanswered; past the slots a stream is sent the task's state and ended and a long poll
answers at once, which clients and the dashboard follow by polling. Give it with
``--threads`` raised to match (the command above).

A database that cannot be used (a wrong password, a database or a folder that does not
exist, a URL SQLAlchemy cannot load) is refused in one line, the one ``sigopt-like
serve`` says, not a traceback from each gunicorn worker; a SQLite file's folder must
exist (it is not made: a mistyped path would become a new, empty database). Under
gunicorn the refusal is its ``AppImportError``, which it prints as one line before it
stops ("App failed to load") instead of booting worker after worker. An in-memory database
is refused too, in ``sigopt-like serve``'s words: with auth on nobody could sign in (no
user can be added to it from another process), and with tasks left to workers none would run.

A PostgreSQL server that is not up yet (connection refused, no socket, starting up, not
accepting connections) is no mistake in the settings: the app starts anyway, answers
``/health`` 200 and everything else (``/ready`` included) 503 until it can open the
database, then serves (``starting.StartingService``), as ``sigopt-like serve`` does.
"""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn

import attrs

from ..database_targets import (
    NO_WORKER_REACHES_IT,
    NOBODY_SIGNS_IN,
    UnusableDatabase,
    check,
    describe_opening_error,
    in_memory,
    only_this_process,
)
from . import app as service_app  # not its create_app: a factory name gunicorn must not find
from .app import Service
from .settings import ServiceSettings, refuse_task_settings_left_to_workers
from .starting import StartingService, start_service

DATABASE_ENV = "SIGOPT_LIKE_DATABASE"
#: waiting clients per gunicorn worker unless ``max_waiting_requests`` is given: few
#: enough to leave most of a small ``--threads`` to everyone else
WAITING_REQUESTS = 4


def application(**settings: Any) -> Service | StartingService:
    """A service for one worker process of a WSGI server (see the module docstring)."""
    database = settings.pop("database", None) or os.environ.get(DATABASE_ENV)
    if not database:
        _refuse(
            f"Give the database: application(database=...) or ${DATABASE_ENV} "
            "(a SQLite path or a SQLAlchemy URL)."
        )
    known = attrs.fields_dict(ServiceSettings)
    unknown = sorted(set(settings) - set(known))
    if unknown:
        _refuse(
            f"application() takes no {', '.join(unknown)}: its settings are "
            f"{', '.join(sorted(known))} (docs/service.md)"
        )
    try:
        base = ServiceSettings(
            database=database,
            auth_required=True,
            run_tasks=False,
            max_waiting_requests=WAITING_REQUESTS,
        )
        base = attrs.evolve(base, **settings)  # a value it refuses says so, as a setting
        refuse_task_settings_left_to_workers(base)  # the workers' own (sigopt-like worker)
    except ValueError as err:
        _refuse(f"sigopt_like: {err}")
    _refuse_a_database_only_this_process_sees(base)
    try:
        return start_service(
            attrs.evolve(base, database=check(database, made_for_you=False)),
            service_app.create_app,
        )
    except UnusableDatabase as err:
        _refuse(f"sigopt_like: {err}")
    except Exception as err:
        said = describe_opening_error(err, database)
        if said is None:  # not a mistake in the settings: a bug, with its traceback
            raise
        _refuse(f"sigopt_like: {said}")


def _refuse_a_database_only_this_process_sees(settings: ServiceSettings) -> None:
    """Refuse an in-memory database the app could not use as asked, in ``sigopt-like
    serve``'s words: with auth on (the default) nobody could sign in, and with tasks left to
    workers (the default) none would run. Before, ``application(database=":memory:")``
    started, and every request was a 401 that no token could cure."""
    if not in_memory(settings.database):
        return
    whys, ways = [], []
    if settings.auth_required:
        whys.append(NOBODY_SIGNS_IN)
        ways.append("give auth_required=False to try the service alone, without accounts")
    if not settings.run_tasks:
        whys.append(NO_WORKER_REACHES_IT)
        ways.append("give run_tasks=True")
    if whys:
        named = f"database {settings.database!r}"
        _refuse(f"sigopt_like: {only_this_process(named, whys, 'database=team.sqlite3', ways)}")


class StartError(RuntimeError):
    """The application cannot start with these settings (the message says why)."""


def _refuse(message: str) -> NoReturn:
    """Stop the server's start with ``message``; under gunicorn the error is also its
    ``AppImportError``, which it prints as one line before it stops."""
    errors = sys.modules.get("gunicorn.errors")
    if errors is not None:
        raise type("StartError", (StartError, errors.AppImportError), {})(message) from None
    raise StartError(message) from None

"""Commands that run or manage the service itself: serve, worker, users, tokens, demo.

They work on a database directly (``--db``, the same default as every other
command), so ``users create``, ``tokens create`` and ``serve`` without
``--db`` all use one database.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import socket
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

import attrs
import click

from .._constants import (
    MAX_REQUESTS_PER_MINUTE,
    SERVICE_EXTRA_HINT,
)
from .errors import CommandError
from .options import (
    BODY_BYTES,
    ID,
    PORT,
    PORT_HELP,
    TABLE_ROWS,
    TASK_PROCESSES,
    THREADS,
    FiniteFloatRange,
    WholeNumbers,
    db_option,
    json_option,
)
from .output import echo_json, echo_table
from .placement import PassThrough
from .quoting import typed
from .stdin_secret import read_secret

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_THREADS = 8
#: how much of standard input ``tokens revoke --token-stdin`` reads: far past a token's
#: length, and an end to an endless input (before, /dev/zero was read until memory ran out)
MAX_TOKEN_READ = 4096
# what a command that names an unknown user adds: where the users are listed
USERS_LIST_HINT = "('sigopt-like users list' shows the users)"


def _service() -> Any:
    try:
        from ..service import app
        from ..service.store import accounts
    except ImportError as err:  # the service extra is missing
        raise CommandError(f"the service is not installed ({err}); {SERVICE_EXTRA_HINT}") from err
    return accounts, app


@contextmanager
def _accounts(db: str | None) -> Iterator[Any]:
    """The account store of the chosen database, closed afterwards."""
    with _store(db) as store:
        yield store.accounts


@contextmanager
def _store(db: str | None) -> Iterator[Any]:
    """The store of the chosen database, closed afterwards."""
    _service()
    from ..service.store import open_store
    from .database import choose, configured_target

    target = choose(db)
    if db is None and configured_target() is None:
        _say_the_host_is_not_used(target)
    with _naming(target):
        store = open_store(target)
    try:
        with _writing(target):
            yield store
    finally:
        store.close()


@contextmanager
def _writing(database: str) -> Iterator[None]:
    """A database that opened but cannot take a write (a read-only file in a writable
    folder, a full disk, one locked too long, one deleted under it) said in one line
    naming it: before, ``users create`` on a read-only file was a traceback ending in
    the store's ``Unwritable``. A database that refuses this PostgreSQL role's writes is
    said in ``serve``'s and ``worker``'s line (the role, what to grant)."""
    from ..database_targets import quoted, redact_database_url
    from ..service.store.errors import Busy, DatabaseGone, StorageFull, Unwritable
    from .database import refusing_writes

    try:
        yield
    except Unwritable as err:  # serve's and worker's line: a PostgreSQL role's, what to grant
        said = (
            refusing_writes(err, database)
            or f"cannot use the database {quoted(redact_database_url(database))}: {err}"
        )
        raise CommandError(said) from err
    except (StorageFull, Busy, DatabaseGone) as err:
        raise CommandError(
            f"cannot use the database {quoted(redact_database_url(database))}: {err}"
        ) from err


def _local_work_note(store: Any, email: str) -> str | None:
    """A note when the database holds work of its local user (made by the embedded
    service's commands, or a ``serve --no-auth``), which the new user will not see.

    Before, ``users create`` after a week of commands without ``--host`` said only
    "created user alice@lab.example (id 2)"; served with tokens, the same database then
    listed no session and no experiment for her, and nothing said where they were."""
    from ..service.store.pages import PageRequest

    local, one = store.accounts.local_user_id(), PageRequest(limit=1)
    sessions = store.sessions.page(local, one).count
    with store.sigopt.read() as unit:
        experiments = unit.experiments.page(local, one, kind=("experiment", "aiexperiment")).count
    held = [
        f"{count} {noun}{'' if count == 1 else 's'}"
        for count, noun in ((sessions, "session"), (experiments, "SigOpt experiment"))
        if count
    ]
    if not held:
        return None
    one_thing = sessions + experiments == 1  # "1 session was made ...: ... will not see it"
    were, them = ("was", "it") if one_thing else ("were", "them")
    return (
        f"sigopt-like: note: this database's {' and '.join(held)} {were} made without a token "
        "(by commands without --host, or 'serve --no-auth') and belong"
        f"{'s' if one_thing else ''} to its local user, whom no token or sign-in reaches: "
        f"{email} will not see {them} (commands without --host still do)"
    )


@contextmanager
def _naming(database: str) -> Iterator[None]:
    """A database that cannot be opened said in one line naming it (its password hidden),
    as ``serve`` says it: before, ``users``, ``tokens`` and ``worker`` said "cannot use the
    database: ... password authentication failed", not which of a team's URLs (from --db,
    $SIGOPT_LIKE_DATABASE or a config file) it was."""
    from .database import refusing_writes

    try:
        yield
    except Exception as err:
        said = refusing_writes(err, database)
        if said is None:  # not the database: a bug, with its traceback
            raise
        raise CommandError(said) from err


def _say_the_host_is_not_used(target: str) -> None:
    """A note when a host is configured ($SIGOPT_LIKE_HOST, or a config file's) and the
    users and tokens commands open the default database: before, ``users create`` with
    only SIGOPT_LIKE_HOST set added the user to the data folder's database, which the
    served instance does not use, and said "created user" (its login then failed)."""
    from ..config import resolve_config
    from ..database_targets import redact_database_url

    host = resolve_config().host
    if host:
        click.echo(
            f"sigopt-like: note: users and tokens act on a database itself, here {target}; "
            f"the host {redact_database_url(str(host))} is not used: give --db (or "
            "$SIGOPT_LIKE_DATABASE) the database that its 'sigopt-like serve' uses",
            err=True,
        )


class WorkerArgument(click.ParamType):
    """A value read by the worker module's own parser (``python -m
    sigopt_like.service.worker``), so that ``sigopt-like worker`` takes and refuses what
    it does, in its words."""

    def __init__(self, name: str, parser: str) -> None:
        self.name = name
        self._parser = parser

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            from ..service import worker as runner
        except ImportError:  # no service extra: the command says so (_service)
            return value
        try:
            return getattr(runner, self._parser)(value)
        except argparse.ArgumentTypeError as err:
            self.fail(str(err), param, ctx)


def task_time_limit_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--task-time-limit SECONDS`` of ``serve`` and ``worker``: one option, read by the
    worker module's own parser, so both take and refuse the same values in its words."""
    return click.option(
        "--task-time-limit",
        type=WorkerArgument("seconds", "seconds_argument"),
        default=None,
        help="A task's run fails past this many seconds (0: no limit; default: 3600).",
    )(f)


def task_max_attempts_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--task-max-attempts N`` of ``serve`` and ``worker`` (see
    :func:`task_time_limit_option`)."""
    return click.option(
        "--task-max-attempts",
        type=WorkerArgument("runs", "attempts_argument"),
        default=None,
        metavar="N",
        help=(
            "Runs a task is given when its worker stops (killed, crashed, lost) before it "
            "fails, 1 to 1000 (default: 3)."
        ),
    )(f)


@click.command()
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to listen on.")
@click.option("--port", type=PORT, default=DEFAULT_PORT, show_default=True, help=PORT_HELP)
@db_option
@click.option(
    "--threads",
    type=THREADS,
    default=DEFAULT_THREADS,
    show_default=True,
    help="Threads answering requests (clients waiting on a task get threads of their own).",
)
@click.option("--task-threads", type=THREADS, default=None, help="Task runner threads.")
@click.option(
    "--task-processes",
    type=TASK_PROCESSES,
    default=None,
    help="Run tasks in N worker processes started when a task is queued and stopped "
    "when idle [default: 1; 0: threads of this process].",
)
@task_time_limit_option
@task_max_attempts_option
@click.option(
    "--requests-per-minute",
    type=WholeNumbers(
        1, MAX_REQUESTS_PER_MINUTE, what="a number of requests from 1 to 1000000 a minute"
    ),
    default=None,
    help="Per-token request limit [default: none].",
)
@click.option(
    "--max-body-bytes",
    type=BODY_BYTES,
    default=None,
    help="Largest request body, up to 1 GiB [default: 10 MiB].",
)
@click.option(
    "--max-table-rows",
    type=TABLE_ROWS,
    default=None,
    help="Most rows of a table (a design or experiments put), up to 10,000,000 [default: 100,000].",
)
@click.option(
    "--request-read-timeout",
    type=FiniteFloatRange(min=0, min_open=True, max=86_400, what="seconds above 0, up to 86400"),
    default=None,
    metavar="SECONDS",
    help="How long a request (headers and body) may take to arrive, plus a second for each "
    "500 bytes received; a slower client gets a 408 and is disconnected [default: 30].",
)
@click.option(
    "--keep-alive-timeout",
    type=WholeNumbers(1, 86_400, what="whole seconds from 1 to 86400"),
    default=None,
    metavar="SECONDS",
    help="How long a connection may stay idle between requests before it is closed [default: 15].",
)
@click.option("--no-auth", is_flag=True, help="No tokens: everything belongs to the local user.")
@click.option("--no-tasks", is_flag=True, help="Run no tasks here ('sigopt-like worker' does).")
@click.option("--quiet-access", is_flag=True, help="No access log line per request.")
@click.option(
    "--dashboard-actions",
    is_flag=True,
    help="Let the dashboard at / halt campaigns and cancel tasks (else it only reads).",
)
@click.option(
    "--guest-token-days",
    type=FiniteFloatRange(min=0, min_open=True, max=36_500, what="days above 0, up to 36500"),
    default=None,
    help="How long a guest token (an experiment shared with tokens().create()) lasts "
    "[default: 30, as SigOpt's].",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    callback=lambda ctx, param, value: tuple(host_name_option(name) for name in value),
    help="Answer only requests whose Host is NAME (repeatable; default: any). An "
    "internationalised NAME is matched in the punycode form browsers send.",
)
@click.option(
    "--trusted-proxy",
    metavar="ADDRESS",
    default=None,
    callback=lambda ctx, param, value: trusted_proxy_option(value),
    help="Take the scheme (https) of requests from the reverse proxy at IP ADDRESS from "
    "its X-Forwarded-Proto, for the links the service writes (a 202's Location) "
    "[default: none; * trusts any peer].",
)
def serve(
    host: str,
    port: int,
    db: str | None,
    threads: int,
    task_threads: int | None,
    task_processes: int | None,
    requests_per_minute: int | None,
    max_body_bytes: int | None,
    no_auth: bool,
    no_tasks: bool,
    quiet_access: bool,
    dashboard_actions: bool = False,
    guest_token_days: float | None = None,
    allowed_hosts: tuple[str, ...] = (),
    request_read_timeout: float | None = None,
    keep_alive_timeout: int | None = None,
    browser_hint: bool = False,
    local_dashboard: bool = False,
    warning: str | None = None,
    max_table_rows: int | None = None,
    trusted_proxy: dict[str, Any] | None = None,
    task_time_limit: float | None = None,
    task_max_attempts: int | None = None,
) -> None:
    """Serve the API over HTTP for a team (tokens required), until Ctrl-C or SIGTERM.

    The dashboard is at / (sign in with an email and a password, or a token).

    Says which database it opened, and logs each request in the access-log form.

    \b
    Example:
      sigopt-like serve --host 0.0.0.0 --port 8080 --db /srv/doe/doe.sqlite3
    """
    problem = listen_address_problem(host)
    if problem is not None:
        raise click.BadParameter(problem, param_hint="'--host'")
    _, app = _service()
    from ..database_targets import describe_opening_error, redact_database_url
    from ..service.access_log import AccessLog
    from ..service.graceful_stop import StopSignals, run_until_stopped
    from ..service.in_flight import InFlightRequests
    from ..service.log_redaction import log_served
    from ..service.serving import create_server
    from .database import choose

    database = choose(db)
    _refuse_a_database_only_this_process_sees(database, db, no_auth, no_tasks and not browser_hint)
    overrides: dict[str, Any] = {"auth_required": not no_auth}
    if no_tasks:
        # not --task-time-limit: here it bounds a task's event stream (the limit + 60 s),
        # and is given the workers' limit, as application(run_tasks=False, ...) takes it
        _refuse_task_options_without_tasks(
            task_processes=task_processes,
            task_threads=task_threads,
            task_max_attempts=task_max_attempts,
        )
        overrides["run_tasks"] = False
    # the limits of the tasks this process runs, in its threads or in the worker
    # processes it starts (which it passes them to): before, serve had no way to set
    # them, and a team serving with its own task runner had the defaults (3600 s, 3 runs)
    if task_time_limit is not None:
        overrides["task_time_limit_seconds"] = task_time_limit
    if task_max_attempts is not None:
        overrides["task_max_attempts"] = task_max_attempts
    if task_processes is not None:
        overrides["task_processes"] = task_processes
    if task_threads is not None:
        overrides["task_threads"] = task_threads
    if requests_per_minute is not None:
        overrides["requests_per_minute"] = requests_per_minute
    if max_body_bytes is not None:
        overrides["max_body_bytes"] = max_body_bytes
    if max_table_rows is not None:
        overrides["max_table_rows"] = max_table_rows
    if dashboard_actions:
        overrides["dashboard_actions"] = True
    if local_dashboard:
        overrides["local_dashboard"] = True
    if allowed_hosts:
        overrides["allowed_hosts"] = tuple(allowed_hosts)
    if guest_token_days is not None:
        overrides["guest_token_days"] = guest_token_days
    # waitress's own lines ("Client disconnected while serving <path>") and tracebacks
    # may quote a token: every line goes through one redaction, whoever wrote it
    log_served(quiet_access)
    from ..service.starting import StartingService, start_service

    # a PostgreSQL server not up yet is waited for (/health 200, the rest 503), as the
    # WSGI factory does: before, serve exited, and a boot that started it first failed
    settings = attrs.evolve(app.ServiceSettings(), database=database, **overrides)
    try:
        service = start_service(settings, app.create_app)
    except Exception as err:
        # named: before, "cannot use the database: unable to open database file" said not
        # which (the other commands name it)
        said = describe_opening_error(err, database)
        if said is None:  # not the database: a bug, with its traceback
            raise
        raise CommandError(said) from err
    read_only = None
    if not isinstance(service, StartingService):
        # the local dashboard without --actions only reads: a read-only database is one
        # to look at (an archived campaign); anything else writes, and refuses at once
        only_reads = browser_hint and not dashboard_actions
        read_only = _check_writes(service, database, reading_is_enough=only_reads)
    try:
        read: dict[str, Any] = {}
        if request_read_timeout is not None:
            read["read_seconds"] = request_read_timeout
        if keep_alive_timeout is not None:
            read["keep_alive"] = keep_alive_timeout
        read.update(trusted_proxy or {})  # the scheme the proxy says (X-Forwarded-Proto)
        # counted, so that a stop past its grace waits for them before closing the service
        in_flight = InFlightRequests(service)
        server = create_server(
            service, host=host, port=port, threads=threads, app=AccessLog(in_flight), **read
        )
    except ValueError as err:  # waitress: no address of this machine has that name
        service.close()
        raise click.BadParameter(
            f"cannot listen on {typed(host)}: this machine has no address of that name; give "
            "one it has, such as 127.0.0.1 (this machine only) or 0.0.0.0 (every network)",
            param_hint="'--host'",
        ) from err
    except OSError as err:
        service.close()
        if err.errno == errno.EADDRINUSE:
            raise CommandError(
                f"port {port} on {host} is already in use (is another server running?); "
                "choose another with --port"
            ) from err
        if err.errno == errno.EADDRNOTAVAIL:
            # before: "cannot listen on 10.9.9.9:8080: Cannot assign requested address",
            # exit 1, where a name this machine lacks was a usage error saying what to give
            raise click.BadParameter(
                f"cannot listen on {typed(host)}: it is not an address of this machine; give one "
                "it has, such as 127.0.0.1 (this machine only) or 0.0.0.0 (every network)",
                param_hint="'--host'",
            ) from err
        if err.errno == errno.EACCES and 0 < port < 1024:
            # before: "cannot listen on 127.0.0.1:80: Permission denied", no way out named
            raise CommandError(
                f"cannot listen on {host}:{port}: permission denied (a port below 1024 needs "
                "root or CAP_NET_BIND_SERVICE); choose a port from 1024, e.g. --port 8080"
            ) from err
        raise CommandError(f"cannot listen on {host}:{port}: {err.strerror or err}") from err

    # the first SIGTERM or Ctrl-C stops the server once its waiting clients are answered
    # (graceful_stop); a second stops it at once. Before, the first cut them off
    signals = StopSignals()
    signals.install()
    url = listen_url(server.effective_host, server.effective_port)
    try:
        if warning:
            click.echo(warning, err=True)
        if browser_hint:  # after the bind: the port really listened on (--port 0 draws one)
            click.echo(f"sigopt-like dashboard: open {url}/ in your browser")
        if read_only:
            click.echo(read_only, err=True)
        shown = redact_database_url(database)
        # before, nothing said that queued tasks wait until a worker runs on this
        # database; the local dashboard queues no task (the scripts using its database
        # run their own): naming a worker there sent people to start one they did not need
        asks_worker = no_tasks and not browser_hint
        tasks = f"; tasks run only by {worker_command(db, database, shown)}" if asks_worker else ""
        # without auth (the local dashboard, --no-auth) no one is told how to let others in
        others = other_machines_note(server.effective_host, server.effective_port, not no_auth)
        others += refused_url_note(url, settings.allowed_hosts, server.effective_port)
        if isinstance(service, StartingService):
            # with the driver's reason: a mistyped host name ("failed to resolve host")
            # shows here at once, not as a server that is not up yet
            others += (
                f"; the database does not answer yet ({service.reason}): /ready and the API "
                "answer 503 until it does"
            )
        click.echo(
            f"sigopt-like serving on {url} "
            f"(auth {'on' if not no_auth else 'OFF'}), database {shown}{tasks}{others}"
        )
        sys.stdout.flush()
        run_until_stopped(
            server, service.stop_waiting, lambda: signals.asked is not None, in_flight=in_flight
        )
    except KeyboardInterrupt:  # a second signal
        pass
    finally:
        server.close()
        if in_flight.count:  # a second signal, or past the late wait: said, not hidden
            click.echo(
                f"sigopt-like: {in_flight.count} request(s) still running were cut off by the stop",
                err=True,
            )
        service.close()
    # a stop asked for, so exit 0; before, without a word, an operator's terminal or
    # log did not say whether the server had stopped or its process had died
    click.echo(f"sigopt-like: stopped serving on {url} ({signals.asked or 'SIGINT'})", err=True)


def _refuse_task_options_without_tasks(**given: float | None) -> None:
    """A usage error for an option of the task runner given with ``--no-tasks`` (by its
    parameter name): this process runs no task, so it would be taken and ignored. Its
    words name the worker's option that does it, where there is one. Before, only
    ``--task-processes`` from 1 was refused: ``--task-threads 8`` and ``--task-processes
    0`` were taken, and nothing changed."""
    # serve's options of the task runner that ``sigopt-like worker`` takes too
    workers_options = {"--task-threads": "--threads", "--task-max-attempts": "--task-max-attempts"}
    for name, value in given.items():
        if value is None:
            continue
        flag = "--" + name.replace("_", "-")
        workers = workers_options.get(flag)
        if workers is None:
            raise click.UsageError(f"--no-tasks runs no tasks here: it cannot go with {flag}")
        # as typed: 3600 (not 3600.0), 1e-06
        shown = str(int(value)) if float(value).is_integer() else repr(float(value))
        raise click.UsageError(
            f"--no-tasks runs no tasks here: it cannot go with {flag}; give it to the "
            f"workers that run them ('sigopt-like worker {workers} {shown}')"
        )


def _check_writes(service: Any, database: str, *, reading_is_enough: bool) -> str | None:
    """Refuse a database that takes no write (a read-only SQLite file in a writable
    folder opens and reads): before, ``serve`` and ``dashboard --actions`` started on
    one, and every write failed afterwards. ``reading_is_enough`` (the local dashboard
    without --actions): a note to say once it listens, not a refusal."""
    from ..database_targets import quoted, redact_database_url
    from ..service.store.errors import Unwritable
    from .database import refusing_writes

    try:
        service.context.store.check_writes()
    except Exception as err:
        said = refusing_writes(err, database)
        if said is None:  # not the database: a bug, with its traceback
            service.close()
            raise
        if reading_is_enough and isinstance(err, Unwritable):
            shown = quoted(redact_database_url(database))
            return (
                f"sigopt-like: note: the database {shown} cannot be written by this user: "
                "the dashboard shows it and changes nothing (--actions, and scripts "
                "writing through it, need it writable)"
            )
        service.close()
        raise CommandError(said) from err
    return None


def _refuse_a_database_only_this_process_sees(
    database: str, given: str | None, no_auth: bool, no_tasks: bool
) -> None:
    """A usage error for an in-memory database that the server could never use as asked:
    with tokens on, no user can be added to it ('users create' opens the database from its
    own process), so nobody could sign in; with ``--no-tasks``, no worker can reach it, so
    its tasks would wait for ever. Before, ``serve --db :memory:`` started, and every
    request was a 401 that no token could cure."""
    from ..database_targets import (
        NO_WORKER_REACHES_IT,
        NOBODY_SIGNS_IN,
        in_memory,
        only_this_process,
    )

    if not in_memory(database) or (no_auth and not no_tasks):
        return
    named = (
        f"--db {given}"
        if given is not None
        else f"$SIGOPT_LIKE_DATABASE (or the config file's database), {database},"
    )
    if no_tasks:
        why, way = NO_WORKER_REACHES_IT, "leave out --no-tasks"
    else:
        why, way = NOBODY_SIGNS_IN, "add --no-auth to try the service alone, without accounts"
    raise click.UsageError(only_this_process(named, [why], "--db team.sqlite3", [way]))


def worker_command(given: str | None, database: str, shown: str) -> str:
    """The command that runs the tasks of ``serve --no-tasks``, as one can type it: its URL
    only when nothing of it is hidden (before, ``--db postgresql+psycopg://app:***@db/x``
    was printed, whose password ``***`` logs nobody in)."""
    if shown == database:
        return f"'sigopt-like worker --db {shown}'"
    if given is None:
        return "'sigopt-like worker' with the same SIGOPT_LIKE_DATABASE (or config file)"
    return "'sigopt-like worker' with SIGOPT_LIKE_DATABASE set to this URL, password included"


def trusted_proxy_option(address: str | None) -> dict[str, Any]:
    """``--trusted-proxy``'s waitress options (``serving.trusted_proxy_options``); a usage
    error for an ADDRESS that is not an IP address (no peer would ever match it)."""
    from ..service.serving import trusted_proxy_options

    try:
        return trusted_proxy_options(address)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="'--trusted-proxy'") from err


def host_name_option(name: str) -> str:
    """A ``--allowed-host`` NAME as the Host check compares it; a usage error for one that
    no request's Host could ever match (the check is the service's, so that
    ``application(allowed_hosts=...)`` refuses the same names)."""
    from ..service.host_names import allowed_host

    try:
        return allowed_host(name, "--allowed-host")
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="'--allowed-host'") from None


def listen_url(host: object, port: object) -> str:
    """The URL a client opens to reach a server listening on ``host``:``port`` (an IPv6
    address in brackets: ``http://::1:8080`` was printed, which no client takes). On every
    address (``0.0.0.0``, ``::``) that is this machine's loopback: ``http://0.0.0.0:8080``
    was printed, which no browser or client can open."""
    shown = EVERY_ADDRESS_LOOPBACK.get(str(host), str(host))
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


# the loopback address of each "every address" a server can listen on
EVERY_ADDRESS_LOOPBACK = {"0.0.0.0": "127.0.0.1", "::": "::1"}


def other_machines_note(host: object, port: object, signs_in: bool = True) -> str:
    """What other machines open, when the server listens on every address; that they
    cannot reach it, when it listens on a loopback address (the default: before, a team
    told to open http://HOST:8080/ found nothing there, and the line did not say why);
    ``signs_in``: the service asks for tokens (without, no one is told to open it up)."""
    import ipaddress

    if str(host) not in EVERY_ADDRESS_LOOPBACK:
        try:
            loopback = ipaddress.ip_address(str(host)).is_loopback
        except ValueError:  # a name or an address of this machine's network
            loopback = False
        if loopback and signs_in:
            return (
                "; only this machine can reach it: --host 0.0.0.0 (or this machine's "
                "address) lets other machines in"
            )
        return ""
    return (
        f"; listening on every address ({host}): other machines use this machine's name "
        f"or address, e.g. http://{socket.gethostname()}:{port}"
    )


def refused_url_note(url: str, allowed: tuple[str, ...], port: object) -> str:
    """With ``--allowed-host``, that the URL printed is refused when its host is none of
    them, and the one to open: before, ``serving on http://127.0.0.1:8080`` was printed, and
    opening it (``/health`` too) was a 403 ``host_not_allowed``."""
    from ..service.host_names import as_typed

    shown = urllib.parse.urlsplit(url).hostname or ""
    if not allowed or shown in allowed:
        return ""
    first = f"[{allowed[0]}]" if ":" in allowed[0] else allowed[0]
    # an internationalised name as browsers send it, then as typed (bücher.example)
    names = [n if as_typed(n) == n else f"{n} ({as_typed(n)})" for n in allowed]
    return (
        f"; it answers only to {', '.join(names)} (--allowed-host), so that URL, /health "
        f"included, is refused: open http://{first}:{port}"
    )


def listen_address_problem(host: str) -> str | None:
    """What is wrong with ``host`` as an address to listen on, if something is (before:
    a traceback from the server, "ValueError: Invalid host/port specified.")."""
    import ipaddress

    examples = "such as 127.0.0.1 (this machine only) or 0.0.0.0 (every network)"
    if not host.strip():
        return f"it is empty: give the address to listen on, {examples}"
    if "://" in host or "/" in host:
        return (
            f"{typed(host)} is a URL; serve's --host is the address to listen on, {examples} "
            "(clients take the URL: --host http://127.0.0.1:8080)"
        )
    if ":" in host:
        try:
            ipaddress.IPv6Address(host.strip("[]"))
        except ValueError:
            return f"{typed(host)} holds a port: give the address to --host and the port to --port"
    return None


@click.command()
@db_option
@click.option("--threads", type=THREADS, default=None, help="Worker threads.")
@task_time_limit_option
@task_max_attempts_option
def worker(
    db: str | None,
    threads: int | None,
    task_time_limit: float | None,
    task_max_attempts: int | None,
) -> int:
    """Run tasks from a shared database (scaled out: app processes use 'serve --no-tasks').

    The tasks it runs have its --task-time-limit and --task-max-attempts (in app
    processes, task_time_limit_seconds only bounds how long a task's event stream stays
    open).

    \b
    Example:
      sigopt-like worker --db postgresql+psycopg://doe@db.lab.example/doe --threads 4
    """
    _service()
    from ..service import worker as runner
    from .database import choose, existing

    # before: a mistyped path became a new, empty database, and the worker waited for
    # tasks there for ever; an in-memory one flooded the terminal with SQL errors
    database = existing(choose(db), what="a worker")
    argv = ["--db", database]
    if threads is not None:
        argv += ["--threads", str(threads)]
    # before, a scaled-out deployment had no way to give its workers these: the app
    # processes' application(task_time_limit_seconds=..., task_max_attempts=...) never
    # reached them, and every task ran with the defaults
    if task_time_limit is not None:
        argv += ["--task-time-limit", repr(float(task_time_limit))]
    if task_max_attempts is not None:
        argv += ["--task-max-attempts", str(task_max_attempts)]
    with _naming(database):
        return int(runner.main(argv) or 0)


@click.group()
def users() -> None:
    """Add and list the users of a served instance, and change their passwords.

    \b
    Example:
      sigopt-like users create alice@lab.example --password-stdin < password.txt
    """


@users.command("create")
@click.argument("email")
@click.option(
    "--password-stdin",
    is_flag=True,
    help=(
        "Read a password (for login) from standard input: a file or pipe holding it alone "
        "on one line, or asked for (not shown) at a terminal."
    ),
)
@db_option
@json_option
def users_create(email: str, password_stdin: bool, db: str | None, as_json: bool) -> None:
    """Add a user with email EMAIL.

    \b
    Example:
      sigopt-like users create alice@lab.example --db doe.sqlite3
    """
    accounts, _ = _service()
    password = None
    if password_stdin:
        password = _new_password(nothing="no user was created")
    with _store(db) as store:
        try:
            user = store.accounts.create_user(email, password)
        except accounts.AccountError as err:
            raise CommandError(str(err)) from err
        note = _local_work_note(store, user.email)
    if note is not None:
        click.echo(note, err=True)
    if as_json:
        echo_json({"id": user.id, "email": user.email, "created": user.created})
    else:
        click.echo(f"created user {user.email} (id {user.id})")


def _new_password(*, nothing: str) -> str:
    """A new password read from standard input and checked; ``nothing`` ends the message
    of a refusal (what was not done)."""
    from ..service.passwords import MAX_PASSWORD_LENGTH, password_problem

    # bounded: before, /dev/zero (no line end) was read until memory ran out, and a
    # password longer than a sign-in takes made a user who could never sign in
    password = read_secret("password", limit=MAX_PASSWORD_LENGTH + 3, nothing=nothing, confirm=True)
    problem = password_problem(password)
    if problem is not None:
        raise CommandError(f"{problem} (read from standard input); {nothing}")
    return password


@users.command("set-password")
@click.argument("email")
@click.option(
    "--password-stdin",
    is_flag=True,
    help=(
        "Read the new password from standard input: a file or pipe holding it alone on "
        "one line, or asked for (not shown) at a terminal."
    ),
)
@db_option
@json_option
def users_set_password(email: str, password_stdin: bool, db: str | None, as_json: bool) -> None:
    """Give user EMAIL a new password: the old one signs in no more.

    Their tokens still work; 'sigopt-like tokens revoke --user EMAIL' ends them. So a
    person who leaves is locked out by both (before, with no way to change a password,
    revoking their tokens alone let them sign in again and be given a new one).

    \b
    Example:
      sigopt-like users set-password alice@lab.example --password-stdin < new-password.txt
    """
    if not password_stdin:  # a password on the command line shows in ps to every user
        raise click.UsageError("give the new password on standard input: --password-stdin")
    accounts, _ = _service()
    password = _new_password(nothing="no password was changed")
    with _store(db) as store:
        try:
            store.accounts.set_password(email, password)
        except accounts.AccountError as err:
            raise CommandError(
                f"{str(err).rstrip('.')} {USERS_LIST_HINT}; no password was changed"
            ) from err
    if as_json:
        echo_json({"email": email, "password_changed": True})
        return
    click.echo(
        f"changed the password of {email}; their tokens still work: "
        f"'sigopt-like tokens revoke --user {email}' ends them"
    )


@users.command("list")
@db_option
@json_option
def users_list(db: str | None, as_json: bool) -> None:
    """List the users.

    \b
    Example:
      sigopt-like users list --json
    """
    _service()
    with _accounts(db) as store:
        found = store.list_users()
    if as_json:
        echo_json([{"id": u.id, "email": u.email, "created": u.created} for u in found])
    else:
        echo_table(((u.id, u.email) for u in found), ["id", "email"])


@click.group()
def tokens() -> None:
    """Issue, list and revoke API tokens.

    \b
    Example:
      sigopt-like tokens create --user alice@lab.example > token.txt
    """


@tokens.command("create")
@click.option("--user", "email", required=True, metavar="EMAIL", help="The token's user.")
@click.option("--name", "--label", "name", default=None, help="A name (label) for the token.")
@db_option
@json_option
def tokens_create(email: str, name: str | None, db: str | None, as_json: bool) -> None:
    """Print a new token for a user (shown once: only its hash is kept).

    \b
    Example:
      sigopt-like tokens create --user alice@lab.example --name laptop > token.txt
    """
    accounts, _ = _service()
    with _accounts(db) as store:
        user = store.find_user(email)
        if user is None:
            raise CommandError(
                f"no user with email {typed(email)}; add one with 'sigopt-like users create'"
            )
        try:
            issued = store.issue_token(user.id, name=name)
        except accounts.AccountError as err:
            raise CommandError(f"{err} No token was made.") from err
    click.echo(f"token {issued.id} for {user.email} (shown once, keep it safe):", err=True)
    if as_json:
        echo_json({"id": issued.id, "user": user.email, "name": name, "token": issued.token})
    else:
        click.echo(issued.token)


@tokens.command("list")
@click.option("--user", "email", default=None, metavar="EMAIL", help="Only this user's tokens.")
@db_option
@json_option
def tokens_list(email: str | None, db: str | None, as_json: bool) -> None:
    """List tokens: id, user, name, revoked, the experiment a guest token reads and
    when a guest token or a dashboard sign-in expires (never the token itself; API tokens
    do not expire).

    \b
    Example:
      sigopt-like tokens list --user alice@lab.example
    """
    accounts, app = _service()
    with _accounts(db) as store:
        try:
            found = store.list_tokens(email=email)
        except accounts.AccountError as err:
            raise CommandError(_with_users_hint(err)) from err
    # what serve applies, and a gunicorn unless given other hours (which this cannot know)
    hours = app.ServiceSettings().dashboard_session_hours
    found = [_with_no_api_end(accounts, t) for t in found]
    by_default = {t.id: _sign_in_end_by_default(accounts, t, hours) for t in found}
    if as_json:
        echo_json(
            [
                {
                    "id": t.id,
                    "user": t.email,
                    "name": t.name,
                    "created": t.created,
                    "revoked": t.revoked,
                    "experiment": t.experiment_id,
                    "expires": t.expires,
                    "expires_by_default": by_default[t.id],
                }
                for t in found
            ]
        )
    else:
        echo_table(
            (
                (
                    t.id,
                    t.email,
                    t.name,
                    t.revoked,
                    t.experiment_id or "",
                    _ends(t, by_default[t.id], hours),
                )
                for t in found
            ),
            ["id", "user", "name", "revoked", "experiment", "expires"],
        )


def _with_users_hint(err: Exception, then: str = "") -> str:
    """An account error as a command says it: an unknown user's with where the users are
    listed (before, "No user with email 'x'." alone, from ``tokens list`` and ``revoke``)."""
    said = str(err)
    if not said.startswith("No user with email"):
        return said
    return f"{said.rstrip('.')} {USERS_LIST_HINT}{then}"


def _with_no_api_end(accounts: Any, token: Any) -> Any:
    """``token`` with no end if it is an API token, as it has none
    (``accounts.token_ends``): one whose row held an end read "(expired)" while the service
    still let it in."""
    if token.experiment_id is None and token.name != accounts.DASHBOARD_TOKEN_NAME:
        return attrs.evolve(token, expires=None)
    return token


def _sign_in_end_by_default(accounts: Any, token: Any, hours: float) -> int | None:
    """When a dashboard sign-in made before its end was kept with it ends if its service
    runs with the default ``dashboard_session_hours`` (``hours``: serve's always, a
    gunicorn's unless ``application()`` was given others); None for any other token.

    Not its ``expires``: that end is not known here. Before, it was listed as this one, so
    under a gunicorn given 48 hours a live sign-in read "(expired)", and under one given 1
    an ended one read as live."""
    if token.name != accounts.DASHBOARD_TOKEN_NAME or token.expires is not None:
        return None
    ends = accounts.token_ends(token.name, None, token.created, None, int(hours * 3600))
    return int(ends)


def _ends(token: Any, by_default: int | None, hours: float) -> str:
    """When a token expires, as a person reads it: a guest token's end, a dashboard
    sign-in's, and of a sign-in whose end was not kept, that it is not known and when it is
    under the default hours (before: that time alone, as if known)."""
    if by_default is not None:
        return f"end not kept: made + the service's hours ({_time(by_default, hours)})"
    if token.expires is None:
        if token.experiment_id is None:  # an API token
            return ""
        return "made + serve's --guest-token-days"  # a guest token of before 0010
    return _time(token.expires)


def _time(at: int, default_hours: float | None = None) -> str:
    """``at`` in UTC to the minute, "(expired)" once past; with ``default_hours``, as the
    end those hours give."""
    when = datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    past = at <= time.time()
    if default_hours is None:
        return f"{when} (expired)" if past else when
    return f"{default_hours:g} h by default: {when}{', expired' if past else ''}"


@tokens.command("revoke")
@click.argument("token", required=False)
@click.option(
    "--token-stdin",
    is_flag=True,
    help=(
        "Read the token from standard input: a file or pipe holding it alone on one line, "
        "or asked for (not shown) at a terminal."
    ),
)
@click.option("--id", "token_id", type=ID, default=None, help="The token's id.")
@click.option("--user", "email", default=None, metavar="EMAIL", help="Every token of a user.")
@db_option
@json_option
def tokens_revoke(
    token: str | None,
    token_stdin: bool,
    token_id: int | None,
    email: str | None,
    db: str | None,
    as_json: bool,
) -> int:
    """Revoke a token: give it, --token-stdin, --id ID, or --user EMAIL for all of theirs.

    A token made by 0.1.0 may start with '-': give it after '--'
    (sigopt-like tokens revoke -- -abc...) or with --token-stdin.

    \b
    Example:
      sigopt-like tokens revoke --id 3
    """
    given = [token is not None, token_stdin, token_id is not None, email is not None]
    if sum(given) != 1:
        raise click.UsageError("say which token: TOKEN, --token-stdin, --id ID or --user EMAIL")
    accounts, _ = _service()
    secret = token
    if token_stdin:
        secret = read_secret("token", limit=MAX_TOKEN_READ, nothing="nothing revoked")
    if secret is not None:
        # a token holds no blank: one around it is the file's or the paste's (a token saved
        # by an editor with a trailing space was "no active token of that value")
        secret = secret.strip()
        if not secret:  # before: "no active token of that value", as for a wrong one
            where = " (read from standard input)" if token_stdin else ""
            raise CommandError(f"the token is empty{where}: nothing revoked")
        if any("\udc80" <= char <= "\udcff" for char in secret):
            # standard input's bytes that are not UTF-8 (kept as lone surrogates): before,
            # "the text cannot be stored or looked up: 'utf-8' codec can't encode ..."
            # before, a TOKEN typed on the command line was said to be "read from
            # standard input" too
            source = "read from standard input" if token_stdin else "on the command line"
            raise CommandError(
                f"the token {source} is not UTF-8 text, and no token is "
                "(a token is letters, digits, '-' and '_'): copy it again as plain text; "
                "nothing revoked"
            )
    with _accounts(db) as store:
        try:
            count = store.revoke_token(token=secret, token_id=token_id, email=email)
        except accounts.AccountError as err:
            raise CommandError(_with_users_hint(err, "; nothing revoked")) from err
    if as_json:
        echo_json({"revoked": count})
        return 0 if count else 1
    if not count:  # before: "revoked 0 token(s)" and exit 1, with no word on why
        which = f"with id {token_id}" if token_id is not None else "for that user"
        if email is None and token_id is None:
            which = "of that value"
        raise CommandError(
            f"no active token {which}: nothing revoked ('sigopt-like tokens list' shows them)"
        )
    click.echo(f"revoked {count} token(s)")
    return 0


def _demo_parser() -> argparse.ArgumentParser | None:
    """The demo's own argument parser; None where the demo is not installed."""
    try:
        module = importlib.import_module("sigopt_like.demo")
    except ModuleNotFoundError as err:
        if err.name != "sigopt_like.demo":
            raise
        return None
    parser: argparse.ArgumentParser = module.build_parser()
    return parser


@click.command(
    cls=PassThrough,
    parser=_demo_parser,
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def demo(args: tuple[str, ...]) -> int:
    """Run a whole simulated campaign into a folder (demo --help for its options).

    \b
    Example:
      sigopt-like demo --out demo-run --generations 4
    """
    try:
        module = importlib.import_module("sigopt_like.demo")
    except ModuleNotFoundError as err:
        if err.name != "sigopt_like.demo":
            raise
        raise CommandError("the demo is not available in this installation") from err
    try:
        return int(module.main(list(args)) or 0)
    except SystemExit as stop:  # the demo's own --help and usage errors
        return stop.code if isinstance(stop.code, int) else 1


COMMANDS = (serve, worker, users, tokens, demo)

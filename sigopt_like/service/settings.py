"""The service's settings, with their defaults in one place."""

from __future__ import annotations

import math
import os
import sys
from typing import Any

import attrs

from .._constants import (
    MAX_BODY_BYTES,
    MAX_BODY_LIMIT,
    MAX_REQUESTS_PER_MINUTE,
    MAX_TABLE_ROWS_LIMIT,
    MAX_TASK_ATTEMPTS,
    MAX_TASK_PROCESSES,
    MAX_TASK_THREADS,
    MAX_WAITING_REQUESTS,
    MEMORY_DATABASES,
    MOST_DIGITS,
)
from ..csvio import clip, clip_int
from ..spaces import first_held
from .host_names import allowed_host

#: the optimizer's share of a SigOpt suggestion request, by default
SUGGESTION_TIME_BUDGET_SECONDS = 2.5
#: how long a seeded experiment's suggestion request waits for the engine (then a 503):
#: below the read timeouts of sigopt-python (150 s) and of this package's client (60 s)
SEEDED_SUGGESTION_CEILING_SECONDS = 30.0


#: the longest duration a setting may hold, in seconds (100 years, as ``serve
#: --guest-token-days`` allows): past what a timeout or a stored timestamp can hold it was
#: a 500 on every request that used it (``suggestion_time_budget_seconds=1e308``: every
#: suggestion; ``guest_token_days=1e300``: every guest token)
LONGEST_SECONDS = 100 * 365.25 * 86_400


def _duration(default: float, unit_seconds: float = 1.0) -> Any:
    """A setting that is a duration in units of ``unit_seconds``: a finite number from 0 to
    :data:`LONGEST_SECONDS`. A NaN or an infinity, too, became a 500 where it was turned
    into whole seconds (``guest_token_days=nan``: the first guest token)."""
    longest = LONGEST_SECONDS / unit_seconds

    def check(instance: Any, attribute: Any, value: float) -> None:
        # an int is finite (math.isfinite(10**400) was an OverflowError, never naming the
        # setting); a bool is no duration (True was taken as 1 s, 1 hour or 1 day)
        whole = isinstance(value, int) and not isinstance(value, bool)
        finite = whole or (isinstance(value, float) and math.isfinite(value))
        if not finite or value < 0:
            raise ValueError(
                f"{attribute.name} must be a finite number of at least 0, not {_shown(value)}"
            )
        if value > longest:
            raise ValueError(
                f"{attribute.name} must be at most {longest:g} (100 years), not {_shown(value)}"
            )

    return attrs.field(default=default, validator=check, metadata={"duration": True})


def _whole(value: Any) -> Any:
    """A whole number written as a float (``max_body_bytes=50e6`` in a gunicorn command's
    factory call, ``idempotency_ttl_seconds=3600.0``, ``task_max_attempts=3.0``) as the
    whole number it is; anything else (3.5, NaN, an infinity, a bool, a string, None) as
    given, for the validator to refuse (or, where None is the default, take). The
    whole-number settings took such floats before their ranges were checked, and must go on
    taking them; every one of them takes them (``task_threads``, ``task_processes``,
    ``max_table_rows`` and ``requests_per_minute`` took an int only, a whole float refused
    as "must be a whole number"). A float past 2**53, whose digits are
    no longer exact and past every such setting's range, stays a float, to be refused as
    given (``1e308``, not its 309 digits)."""
    exact = isinstance(value, float) and value.is_integer() and abs(value) <= 2**53
    return int(value) if exact else value


def _setting_bool(instance: Any, attribute: Any, value: Any) -> None:
    """True or False, nothing else: before, ``dashboard_actions="off"`` (gunicorn's
    ``application(dashboard_actions="off")``) was taken, and a non-empty string is true, so
    the dashboard could halt sessions and cancel tasks; ``auth_required="false"`` likewise
    turned sign-in on."""
    if not isinstance(value, bool):
        raise ValueError(f"{attribute.name} takes true or false, not {_shown(value)}")


def _database_name(value: Any) -> Any:
    """A path (``pathlib.Path``) as its text; anything else as given."""
    return os.fspath(value) if isinstance(value, os.PathLike) else value


def _database(instance: Any, attribute: Any, value: Any) -> None:
    """A SQLite path, ``:memory:`` or a SQLAlchemy URL, as text: before, ``database=5``
    was taken when the settings were made."""
    if not isinstance(value, str) or not value:
        raise ValueError(
            f"{attribute.name} must be a SQLite path, :memory: or a SQLAlchemy URL (text), "
            f"not {_shown(value)}"
        )


def _body_limit(instance: Any, attribute: Any, value: Any) -> None:
    """A whole number of bytes from 1 to :data:`MAX_BODY_LIMIT`, the range of ``serve
    --max-body-bytes``. Before: ``max_body_bytes=-1`` (or 0, True) was taken and every
    request with a body was a 413 "the limit is -1 bytes", and ``"10"`` a 500, instead of
    the start refused; and ``2**70`` was taken, a limit in name only (a body is held whole
    in memory)."""
    _whole_number_in(attribute.name, value, MAX_BODY_LIMIT, "bytes")


def _whole_number_in(name: str, value: Any, most: int, unit: str, least: int = 1) -> None:
    """Refuse ``value`` unless it is a whole number (not a bool) from ``least`` to ``most``,
    in a message that names the range."""
    if not isinstance(value, int) or isinstance(value, bool) or not least <= value <= most:
        raise ValueError(
            f"{name} must be a whole number of {unit} from {least} to {most}, not {_shown(value)}"
        )


def _whole_seconds(instance: Any, attribute: Any, value: Any) -> None:
    """A whole number of seconds from 1 to :data:`LONGEST_SECONDS` (``idempotency_ttl_seconds``):
    before, 0 or -1 forgot every stored answer at once (a retried POST ran again), and
    ``2**70`` a 500 on a request with an Idempotency-Key (the purge's bound overflowed
    SQLite's integer)."""
    _whole_number_in(attribute.name, value, int(LONGEST_SECONDS), "seconds")


def _login_attempts(instance: Any, attribute: Any, value: Any) -> None:
    """A whole number from 1 to :data:`MAX_REQUESTS_PER_MINUTE`, as ``requests_per_minute``:
    before, 0 was a 500 on every sign-in (a division by zero), ``-1`` or ``"10"`` too."""
    _whole_number_in(attribute.name, value, MAX_REQUESTS_PER_MINUTE, "attempts a minute")


def _task_attempts(instance: Any, attribute: Any, value: Any) -> None:
    """A whole number of runs from 1 to :data:`MAX_TASK_ATTEMPTS`: before, 0 and -1 were
    taken (and run as 1), ``"3"`` a TypeError where a busy database sent a task back to the
    queue, and ``2**70`` a task that stops its worker run for ever."""
    _whole_number_in(attribute.name, value, MAX_TASK_ATTEMPTS, "runs")


def _waiting_requests(instance: Any, attribute: Any, value: Any) -> None:
    """A whole number from 0 (no request waits: a long poll answers at once, a stream is
    sent its task and ended) to :data:`MAX_WAITING_REQUESTS`: ``serve`` adds a thread per
    slot: before, ``2**70`` asked it for that many threads, ``-1`` was taken as 0, and
    ``"abc"`` was a TypeError traceback when the service was made."""
    _whole_number_in(attribute.name, value, MAX_WAITING_REQUESTS, "waiting requests", least=0)


def _requests_per_minute(instance: Any, attribute: Any, value: Any) -> None:
    """None (no limit) or a whole number from 1 to :data:`MAX_REQUESTS_PER_MINUTE`, as
    ``serve --requests-per-minute`` takes: before, ``application(requests_per_minute=2**70)``
    was taken, and ``-1`` a budget no request met."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{attribute.name} must be a whole number or None, not {_shown(value)}")
    if not 1 <= value <= MAX_REQUESTS_PER_MINUTE:
        raise ValueError(
            f"{attribute.name} must be 1 to {MAX_REQUESTS_PER_MINUTE} requests a minute "
            f"(None: no limit), not {_shown(value)}"
        )


def _host_names(value: Any) -> tuple[str, ...]:
    """``allowed_hosts`` as requests' ``Host`` carries them: lower case, an internationalised
    name in punycode (``bücher.example`` matched no browser's request before); one name
    given as a string is that name (not its letters). A name no ``Host`` can carry (``*``,
    ``doe,other``, ``'doe'``, a URL, a port) is a ValueError, as ``serve --allowed-host``
    refuses it: before, gunicorn's ``application(allowed_hosts="*")`` started a server that
    answered every request, ``/health`` too, 403 host_not_allowed."""
    if not isinstance(value, (str, list, tuple, set, frozenset)):  # before: None or 5 was a
        # TypeError traceback at gunicorn's start
        raise ValueError(
            "allowed_hosts must be a host name or a list of them (leave it out to answer to "
            f"every host), not {_shown(value)}"
        )
    names = (value,) if isinstance(value, str) else tuple(value)
    for name in names:  # before, str() made [None] the name 'none' and [5] the name '5': the
        # server started and answered every request 403 "This server answers only to none"
        if not isinstance(name, str):
            raise ValueError(
                f"allowed_hosts: each entry must be a host name (text), not {_shown(name)}; "
                "leave allowed_hosts out to answer to every host"
            )
    try:
        return tuple(allowed_host(name) for name in names)
    except ValueError as err:
        raise ValueError(f"allowed_hosts: {err}") from None


def _shown(value: Any) -> str:
    """``value``'s repr for a refusal, clipped: ``allowed_hosts=[[0] * 200000]`` was quoted
    whole (600,107 characters), and ``[10**5000]`` was Python's own "Exceeds the limit (4300
    digits)" ValueError, which never named allowed_hosts; every setting's refusal quotes
    the value given through it (``max_body_bytes=10**5000`` raised that error too, and
    ``task_threads=[0] * 100000`` was a 300,041-character message)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return clip_int(value)  # 10**5000 by its ends and its length, as a short one
    held = _long_int_inside(value)
    if held is not None:  # [10**100]: its repr clipped was "[1000...0001] (103 characters)",
        # not the one form every message gives a long number
        return f"a {type(value).__name__} holding {clip_int(held)}"
    try:
        return clip(repr(value))
    except ValueError:  # an int past sys.get_int_max_str_digits() in an object not walked
        digits = f"an int of more than {sys.get_int_max_str_digits():,} digits"
        return f"a {type(value).__name__} holding {digits}"


def _long_int_inside(value: Any) -> int | None:
    """The first int of more than :data:`MOST_DIGITS` digits in the list, tuple, set or
    mapping ``value`` (at any depth, its keys too); None if there is none."""
    return first_held(
        value,
        lambda item: (
            isinstance(item, int) and not isinstance(item, bool) and abs(item) >= 10**MOST_DIGITS
        ),
    )


def _row_limit(instance: Any, attribute: Any, value: Any) -> None:
    """A whole number of rows from 1 to :data:`MAX_TABLE_ROWS_LIMIT`, the range of ``serve
    --max-table-rows``: below 1 every table was refused, and ``2**70`` was taken (a table is
    parsed whole before its rows are counted)."""
    _whole_number_in(attribute.name, value, MAX_TABLE_ROWS_LIMIT, "rows")


def _task_processes(instance: Any, attribute: Any, value: Any) -> None:
    """None (the default) or a whole number from 0 to :data:`MAX_TASK_PROCESSES`, as
    ``serve --task-processes`` takes: before, ``task_processes=2**70`` was taken."""
    if value is None:
        return
    whole = isinstance(value, int) and not isinstance(value, bool)
    if not whole or not 0 <= value <= MAX_TASK_PROCESSES:
        raise ValueError(
            f"{attribute.name} must be a whole number of worker processes from 0 to "
            f"{MAX_TASK_PROCESSES} (0: threads of this process; None: the default), "
            f"not {_shown(value)}"
        )


def _threads(default: int) -> Any:
    """A number of task threads, 1 to :data:`MAX_TASK_THREADS`: before, the worker module's
    ``--threads 100000`` was a "can't start new thread" traceback, and ``-1`` or ``0`` a
    worker that said it was "running -1 threads" and ran no task, ever."""

    def check(instance: Any, attribute: Any, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{attribute.name} must be a whole number, not {_shown(value)}")
        if not 1 <= value <= MAX_TASK_THREADS:
            raise ValueError(
                f"{attribute.name} must be 1 to {MAX_TASK_THREADS} threads, not {_shown(value)}"
            )

    return attrs.field(default=default, converter=_whole, validator=check)


@attrs.frozen
class ServiceSettings:
    """How one service instance runs.

    database: a SQLite path, ``:memory:``, or a SQLAlchemy URL (PostgreSQL).
    auth_required: served mode needs a token on every route but /health, /ready,
        /metrics, /v1/version, /v1/openapi.json and /v1/login.
    run_tasks: run tasks (off for app processes of a scaled-out deployment, whose tasks
        run in ``python -m sigopt_like.service.worker``).
    task_processes: run them in this many worker processes that the service starts when
        a task is queued (and that stop after ``task_process_idle_seconds`` without one),
        each with ``task_threads`` threads: the optimizer's imports, memory and CPU stay
        out of the process serving requests (or running the caller's script). 0: in
        ``task_threads`` threads of this process. None (the default): one process, but
        threads for ``:memory:`` (see :attr:`worker_processes`).
    max_body_bytes: a larger request body is a 413 (checked on Content-Length first); 1 to
        :data:`~sigopt_like._constants.MAX_BODY_LIMIT` (1 GiB), as ``serve --max-body-bytes``.
    max_table_rows: a table with more rows is a 413; 1 to
        :data:`~sigopt_like._constants.MAX_TABLE_ROWS_LIMIT`, as ``serve --max-table-rows``.
    idempotency_ttl_seconds: how long a stored response can be replayed, in whole seconds
        from 1 to 100 years.
    idempotency_wait_seconds: how long a request waits for another one holding
        the same idempotency key before it gets a 409 ``idempotency_in_progress``.
    requests_per_minute: per-token request budget in served mode, 1 to
        :data:`MAX_REQUESTS_PER_MINUTE` (None: no limit).
    login_attempts_per_minute: per email and per client address, 1 to
        :data:`MAX_REQUESTS_PER_MINUTE`.
    dashboard: serve the browser dashboard at ``/`` (its pages, assets and cookie sign-in).
    dashboard_actions: let the dashboard halt sessions and cancel tasks (off: it only reads).
    local_dashboard: the service of ``sigopt-like dashboard`` (auth off): a change is a 403
        ``read_only`` whoever sends it, browser or script, except, with ``dashboard_actions``,
        the page's own actions (halt a session, cancel a task). ``serve --no-auth`` (an API
        server) leaves it off.
    dashboard_session_hours: how long a dashboard sign-in lasts.
    guest_token_days: how long a guest token (SigOpt's experiment token, made by
        ``conn.experiments(id).tokens().create()``) reads its experiment: 30 days, as
        SigOpt's. API tokens do not expire (``sigopt-like tokens revoke`` ends them).
    allowed_hosts: when not empty, a request whose ``Host`` names another host is a 403
        (an internationalised name is kept in its punycode form, the one browsers send)
        (``sigopt-like dashboard`` on 127.0.0.1 keeps pages of other sites that rebind
        their DNS name to this machine from reading a database without accounts).
    task_max_attempts: a task whose worker stops (killed, crashed, lost) is taken over
        and run again from its start, at most this many runs in all; then it fails,
        saying so (a run whose lease lapsed while its worker's process still runs on
        this host is not counted); 1 to :data:`MAX_TASK_ATTEMPTS`. With ``run_tasks`` off
        only the default is taken (:func:`refuse_task_settings_left_to_workers`).
    task_time_limit_seconds: a task's run stops, failed, past this duration (0: no limit).
        With ``run_tasks`` off it only bounds how long a task's event stream stays open
        (the workers' limit is ``sigopt-like worker --task-time-limit``).
    max_waiting_requests: event streams and long polls that may wait at once, 0 to
        :data:`MAX_WAITING_REQUESTS`; more are answered at once (a long poll) or sent the
        task and ended (a stream).
        ``sigopt-like serve`` adds this many threads to its pool for them.
    rate_limit_window_seconds: the period of those two limits (a minute; shorter in tests).
        Both are counted in the database, so every process of a service shares them.
    suggestion_time_budget_seconds: how long the optimizer may take to choose a SigOpt
        suggestion; past it a seeded random point that honours the definition answers
        (counted in ``/metrics`` as ``sigopt_like_suggestion_choices{source="fallback"}``).
    seeded_suggestion_ceiling_seconds: how long a suggestion request of a seeded
        experiment (which has no time budget) waits for the engine; past it a 503
        ``suggestion_in_progress`` with Retry-After, the engine going on for the retry
        (never a random point). Below sigopt-python's request timeout (150 s) and ours
        (60 s), so that their users read the 503's message, not their own timeout.
    """

    database: str = attrs.field(default=":memory:", converter=_database_name, validator=_database)
    auth_required: bool = attrs.field(default=False, validator=_setting_bool)
    max_body_bytes: int = attrs.field(
        default=MAX_BODY_BYTES, converter=_whole, validator=_body_limit
    )
    max_table_rows: int = attrs.field(default=100_000, converter=_whole, validator=_row_limit)
    task_threads: int = _threads(2)
    run_tasks: bool = attrs.field(default=True, validator=_setting_bool)
    task_processes: int | None = attrs.field(
        default=None, converter=_whole, validator=_task_processes
    )
    task_process_idle_seconds: float = _duration(120.0)
    idempotency_ttl_seconds: int = attrs.field(
        default=24 * 3600, converter=_whole, validator=_whole_seconds
    )
    idempotency_wait_seconds: float = _duration(5.0)
    requests_per_minute: int | None = attrs.field(
        default=None, converter=_whole, validator=_requests_per_minute
    )
    login_attempts_per_minute: int = attrs.field(
        default=10, converter=_whole, validator=_login_attempts
    )
    rate_limit_window_seconds: float = _duration(60.0)
    task_time_limit_seconds: float = _duration(3600.0)
    task_max_attempts: int = attrs.field(default=3, converter=_whole, validator=_task_attempts)
    dashboard: bool = attrs.field(default=True, validator=_setting_bool)
    dashboard_actions: bool = attrs.field(default=False, validator=_setting_bool)
    local_dashboard: bool = attrs.field(default=False, validator=_setting_bool)
    dashboard_session_hours: float = _duration(12.0, 3600)
    guest_token_days: float = _duration(30.0, 86_400)
    allowed_hosts: tuple[str, ...] = attrs.field(default=(), converter=_host_names)
    max_waiting_requests: int = attrs.field(
        default=256, converter=_whole, validator=_waiting_requests
    )
    suggestion_time_budget_seconds: float = _duration(SUGGESTION_TIME_BUDGET_SECONDS)
    seeded_suggestion_ceiling_seconds: float = _duration(SEEDED_SUGGESTION_CEILING_SECONDS)

    @property
    def guest_token_seconds(self) -> int:
        """How long a guest token lasts from its making, in whole seconds."""
        return int(self.guest_token_days * 86_400)

    @property
    def worker_processes(self) -> int:
        """How many worker processes run this service's tasks (0: threads of this process).

        ``task_processes`` when given; else one, except for ``:memory:`` (a scratch
        database is for tests and short scripts, where a process start costs more than
        the memory it saves), for an interpreter that cannot name its executable
        (embedded in another program: there is nothing to start), and for a frozen
        application (PyInstaller and the like: its executable is the application, which
        would start itself again).
        """
        if not self.run_tasks:
            return 0
        if self.task_processes is not None:
            return self.task_processes
        if self.database in MEMORY_DATABASES or not sys.executable or getattr(sys, "frozen", False):
            return 0
        return 1


def refuse_task_settings_left_to_workers(settings: ServiceSettings) -> None:
    """Refuse a ``task_max_attempts`` that this process would take and ignore: with
    ``run_tasks=False`` it runs no task, so only the workers that run them
    (``sigopt-like worker --task-max-attempts``) can honour it. Before, a gunicorn
    ``application(task_max_attempts=5)`` started, and its workers gave each task the
    default 3 runs. (``task_time_limit_seconds`` still bounds how long this process keeps a
    task's event stream open, so it is taken: docs/service.md.)"""
    default = attrs.fields(ServiceSettings).task_max_attempts.default
    if settings.run_tasks or settings.task_max_attempts == default:
        return
    raise ValueError(
        f"task_max_attempts={settings.task_max_attempts} has no effect with run_tasks=False: "
        "this process runs no task; give it to the workers that run them "
        f"('sigopt-like worker --task-max-attempts {settings.task_max_attempts}')"
    )

"""Shared defaults of the client, in one place: timeouts, retries, env names, paths."""

from __future__ import annotations

API_VERSION = "1"
API_PREFIX = "/v1"
#: the integers the service stores (64-bit columns); its door refuses others.
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
#: the largest whole number up to which a float holds every whole number (2**53); past
#: it a float is written in its own form (``9007199254740994.0``, ``1e+16``), not as digits
FLOAT_EXACT_WHOLE = 2**53
#: a whole number of up to this many digits is quoted in full in a message (``2**70`` as
#: ``1180591620717411303424``); a longer one, past every range, is shortened
MOST_DIGITS = 40
#: the largest request body the service takes by default (``ServiceSettings.max_body_bytes``);
#: the command line stops reading standard input or a device past it (before, ``/dev/zero``
#: as FILE was read until the process was killed); a regular file is read whole.
MAX_BODY_BYTES = 10 * 1024 * 1024
#: the largest body limit ``serve --max-body-bytes`` takes (1 GiB: a body is held whole in
#: memory before the app reads it; before, 10**23 was taken, a limit in name only).
MAX_BODY_LIMIT = 1024 * 1024 * 1024
#: the largest table row limit ``serve --max-table-rows`` takes (a table is parsed whole
#: before its rows are checked; before, any number was taken).
MAX_TABLE_ROWS_LIMIT = 10_000_000
#: the task threads one process runs (``serve --task-threads``, ``worker --threads``,
#: ``ServiceSettings.task_threads``): each holds a stack, and the system's limit on threads
#: is far below what an integer allows
MAX_TASK_THREADS = 1024
#: the worker processes one service starts for its tasks (``serve --task-processes``,
#: ``Connection(task_processes=...)``, ``ServiceSettings.task_processes``): before, the
#: latter two took ``2**70``, a service that would start processes until the system ran out
MAX_TASK_PROCESSES = 1024
#: the runs a task may be given (``ServiceSettings.task_max_attempts``): a task whose worker
#: stopped this many times will not finish; past it a limit only looks like one
MAX_TASK_ATTEMPTS = 1000
#: the waiting requests (event streams, long polls) one service instance holds at once
#: (``ServiceSettings.max_waiting_requests``): ``serve`` adds a thread for each, and the
#: system's limit on threads is far below what an integer allows
MAX_WAITING_REQUESTS = 1024
#: the seeds a session takes, 0 to this (the service refuses others; the demo's parser too).
MAX_SEED = 2**31 - 1
#: the generations a session holds, 0 to this (``sessions.gen`` and ``generations.gen`` are
#: INTEGER columns, 32 bits on PostgreSQL; a ``gen=`` query past it is refused).
MAX_GENERATION = 2**31 - 1
#: the largest ``remaining`` (generations still possible) a session holds: it is stored in an
#: INTEGER column (32 bits on PostgreSQL), so a space too large for it (a factorial of 20
#: ten-level parameters at population 1) reports this, a lower bound, not the count; the
#: command line and the dashboard show it as "2,147,483,647 or more".
MAX_REMAINING = 2**31 - 1
#: the generations one ``simulate`` call runs (the service refuses more; the command line too).
MAX_SIMULATED_GENERATIONS = 100
#: the most requests a minute a token's budget may allow (``serve --requests-per-minute``,
#: ``requests_per_minute``): far more than one server answers (16,667 a second); past it
#: a limit only looks like one (``2**70`` was taken)
MAX_REQUESTS_PER_MINUTE = 1_000_000

#: the spellings of SQLite's in-memory database, all opened as one (``sqlite://``):
#: ``sqlite:///`` and ``sqlite:///:memory:`` were per-connection databases, so the
#: service's second connection found no tables (a traceback, or a 500 on every call)
MEMORY_DATABASES = (
    ":memory:",
    "sqlite://",
    "sqlite:///",
    "sqlite:///:memory:",
    "sqlite://:memory:",
)

#: (connect, read) seconds of one HTTP attempt: read bounds its whole answer, not each
#: socket read (a task's event stream excepted; ``deadline.py``).
DEFAULT_TIMEOUT = (5.0, 60.0)
#: the longest timeout an attempt takes, in seconds (a year): an infinite one, or 2**70,
#: overflowed the platform's clock in the socket layer, an OverflowError on every call.
MAX_TIMEOUT = 365 * 24 * 3600.0
#: the most characters an Idempotency-Key may have: the service refuses a longer one (400),
#: and the client before sending it
MAX_IDEMPOTENCY_KEY_LENGTH = 200
#: attempts of one call are not counted by default (None): the deadline bounds them,
#: as Google's API clients do, so a burst of faults costs time, not the call.
DEFAULT_MAX_TRIES: int | None = None
#: the deadline: no retry starts, and no back-off sleeps, past this many seconds after
#: the call began (one attempt may still run its own timeout).
DEFAULT_MAX_RETRY_TIME = 120.0
#: a host name that does not resolve (DNS: no such name) is tried again only within this
#: many seconds of the call's start: a typo does not start resolving, and the deadline is
#: for a service restarting, not for a name that is not there.
UNRESOLVED_HOST_GRACE = 1.0
#: the first back-off step and the largest one, in seconds.
DEFAULT_BACKOFF_BASE = 0.5
DEFAULT_BACKOFF_CAP = 8.0
#: a server's Retry-After is honoured up to this many seconds.
DEFAULT_RETRY_AFTER_CAP = 30.0
#: statuses that a retry may cure: 408 is a request that did not arrive whole in time (the
#: server closed it, nothing was done; RFC 9110 15.5.9: a client may repeat it).
RETRY_STATUSES = frozenset({408, 429, 502, 503, 504})
#: error codes (of any status) that say "the same request will succeed later": the
#: first attempt with this Idempotency-Key is still running; its answer is replayed.
RETRY_CODES = frozenset({"idempotency_in_progress"})
#: methods that change state, and so carry an Idempotency-Key.
MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: connections kept per host: one Connection may be shared by many threads.
POOL_MAXSIZE = 32

#: the base URL of the in-process service (no socket is ever opened for it).
EMBEDDED_URL = "http://sigopt-like.embedded"

#: long-poll wait per request, in seconds, when the event stream is not usable.
LONG_POLL_SECONDS = 20.0

ENV_HOST = "SIGOPT_LIKE_HOST"
ENV_TOKEN = "SIGOPT_LIKE_TOKEN"
ENV_EMAIL = "SIGOPT_LIKE_EMAIL"
ENV_PASSWORD = "SIGOPT_LIKE_PASSWORD"
ENV_CONFIG = "SIGOPT_LIKE_CONFIG"
ENV_DATABASE = "SIGOPT_LIKE_DATABASE"
ENV_EXPORT_DIR = "SIGOPT_LIKE_EXPORT_DIR"
ENV_TIMEOUT = "SIGOPT_LIKE_TIMEOUT"
ENV_AUTO_TASK_TIMEOUT = "SIGOPT_LIKE_AUTO_TASK_TIMEOUT"
ENV_AUTO_GENERATE_NEXT_DESIGN = "SIGOPT_LIKE_AUTO_GENERATE_NEXT_DESIGN"
ENV_RUN_TASKS_ASYNC = "SIGOPT_LIKE_RUN_TASKS_ASYNC"
ENV_VERIFY = "SIGOPT_LIKE_VERIFY_SSL_CERTIFICATES"
ENV_MAX_TRIES = "SIGOPT_LIKE_MAX_TRIES"
ENV_MAX_RETRY_TIME = "SIGOPT_LIKE_MAX_RETRY_TIME"

#: config files looked at, in order, when none is named (only if present).
LOCAL_CONFIG_FILE = "sigopt_like.conf"
USER_CONFIG_FILE = ("sigopt-like", "config.json")  # under the user's config dir
#: the Daptics client's default config file (its ``config`` argument's default), read last
DAPTICS_CONFIG_FILE = "daptics.conf"
DATABASE_FILE = ("sigopt-like", "sigopt-like.db")  # under the user's data dir

SERVICE_EXTRA_HINT = "pip install 'sigopt_like[service]'"

"""Opening the database: engine settings, then the schema brought to this release's."""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import tempfile
import weakref
from pathlib import Path
from typing import Any

import backoff
import sqlalchemy as sa
from sqlalchemy import event

from ..._constants import MEMORY_DATABASES
from . import schema
from .database import (
    SCHEMA_QUERY,
    WRITE_OPTION,
    Database,
    translate_errors,
)
from .errors import Busy
from .migrate import LOCAL_USER_EMAIL, SCHEMA_VERSION, prepare
from .refusals import is_unwritable_error
from .sqlite_file import SqliteFile
from .text_search import register_lower

LOG = logging.getLogger(__name__)

__all__ = [
    "LOCAL_USER_EMAIL",
    "SCHEMA_VERSION",
    "check_writes",
    "database_url",
    "open_database",
    "schema_version",
    "url_text",
]

SQLITE_BUSY_TIMEOUT_MS = 30_000
#: connections a process keeps open, and how many more it may open under load: more
#: than any documented number of request threads a process has (``serve``'s threads,
#: gunicorn's ``--threads 40``), so that a request never waits for a pooled connection.
#: SQLAlchemy's default (5, and 10 more) made the pool the narrowest queue: 40 clients
#: on one experiment through two app processes (24 threads each) waited over its 30 s
#: and got 503s, which sigopt-python does not retry; waiting for the database itself
#: instead, all were answered, sooner (tests/service/test_connection_pool.py).
POOL_CONNECTIONS = 10
POOL_OVERFLOW = 90
#: the pool lends its most recently returned connection first (LIFO), not its oldest
#: (SQLAlchemy's default, FIFO): after a burst had opened ten connections, FIFO went on
#: cycling through all ten, one request each, so every request met a PostgreSQL backend
#: that had slept through the nine before (and a statement got its prepared form on each
#: connection in turn); LIFO keeps the few the load needs warm and lets the rest idle,
#: where a server's or firewall's idle limit may close them (the pre-ping replaces such
#: a one before it is lent). Measured on PostgreSQL (a loaded 2-core machine, 3,000
#: sequential reads through the pool after a burst of ten): 3.8 s against 6.0 s
#: (tests/store/test_pool_order.py checks the order)
POOL_LIFO = True
#: how long a new PostgreSQL connection may take, unless the URL says
#: (``?connect_timeout=N``): libpq's default is to wait without end, so a server that
#: took the connection and never answered (hung, or a proxy before a database still
#: starting) held ``serve``'s start, before it listened, for good
CONNECT_TIMEOUT_SECONDS = 10
LIBPQ_DRIVERS = ("psycopg", "psycopg2")
#: how long a PostgreSQL session may sit idle inside a transaction before the server
#: ends it (``idle_in_transaction_session_timeout``), unless the server, the database,
#: the role or the URL's ``options`` already set one: without it an app process frozen
#: in a request's transaction (stopped, swapped out, its host unreachable without a
#: reset) kept the rows it wrote locked until its connection dropped, and every writer of
#: those rows waited as long. A request's transaction begins at its first write, after
#: its reads and its engine run (a suggestion's optimizer works outside any transaction),
#: and the longest gap measured between two statements of one transaction in the
#: concurrent-suggestion, parameter-update, table and idempotency test modules and the
#: PostgreSQL campaign module was 0.07 s (2 busy cores): a minute is past that by far,
#: and is a task runner's own figure too (``worker.IDLE_IN_TRANSACTION_SECONDS``). Set
#: once per new connection, not per transaction (no round trip of its own); a schema
#: migration turns it off for its transaction (migrate.py). docs/service.md, "Storage"
IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000
#: one statement, run once per new connection: the timeout above where none is set (0)
_SET_IDLE_TIMEOUT = (
    "SELECT set_config('idle_in_transaction_session_timeout', %s, false) "
    "WHERE current_setting('idle_in_transaction_session_timeout') = '0'"
)


def database_url(path_or_url: str | os.PathLike[str]) -> str:
    """A SQLAlchemy URL from a file path, ``:memory:`` or a URL.

    A relative path is made absolute here, once: the engine's later connections, and the
    worker processes the service starts (task_processes.py), open the same file even if
    the caller changes its working folder.
    """
    text = os.fspath(path_or_url)
    if text in MEMORY_DATABASES:
        return "sqlite://"
    if "://" in text:
        return text
    return f"sqlite:///{_quoted(str(Path(text).expanduser().absolute()))}"


def _quoted(path: str) -> str:
    """``path`` as a SQLite URL's database part that SQLAlchemy reads back as ``path``.

    SQLAlchemy unquotes that part and ends it at ``?`` (a query) or ``#``: before, the file
    ``results%20v2.db`` was opened as ``results v2.db``, and ``run?1.db`` as ``run``. Only
    these three are quoted, so that a file name that is not UTF-8 (a surrogate escape, as
    Python reads such a name) goes through too (``URL.render_as_string`` cannot encode it).
    """
    return path.replace("%", "%25").replace("?", "%3F").replace("#", "%23")


def url_text(url: sa.URL) -> str:
    """An engine's URL as text that opens the same database again (for the service's
    worker processes), its password included."""
    if url.get_backend_name() == "sqlite" and url.database and not url.query:
        return f"{url.drivername}:///{_quoted(url.database)}"
    return url.render_as_string(hide_password=False)


def open_database(path_or_url: str | os.PathLike[str]) -> sa.Engine:
    """Open (and on first use create, or migrate) the database; return its engine.

    SQLite files get WAL journaling and a busy timeout so that several
    processes can share one file. ``:memory:`` is a throw-away file in a
    temporary folder, removed when the engine is garbage-collected, so that
    threads and the task worker see one database with real locking.
    """
    url = database_url(path_or_url)
    if url == "sqlite://":
        folder = tempfile.mkdtemp(prefix="sigopt-like-")
        engine = _sqlite_engine(f"sqlite:///{folder}/memory.db")
        weakref.finalize(engine, shutil.rmtree, folder, True)
    elif url.startswith("sqlite"):
        engine = _sqlite_engine(url)
    else:
        engine = sa.create_engine(
            url,
            pool_pre_ping=True,
            future=True,
            pool_size=POOL_CONNECTIONS,
            max_overflow=POOL_OVERFLOW,
            pool_use_lifo=POOL_LIFO,
            connect_args=_connect_args(sa.engine.make_url(url)),
        )
        if engine.dialect.name == "postgresql":
            event.listen(engine, "connect", _on_postgresql_connect)
    prepare(engine)
    return engine


def schema_of(path_or_url: str) -> str | None:
    """The PostgreSQL schema the service's tables are found in by the role ``path_or_url``
    connects as, asked as :meth:`.database.Database.schema` asks it, on a connection of
    its own (for a refusal met before a store was open); None on another database, or
    when it cannot be asked."""
    url = database_url(path_or_url)
    if not url.startswith("postgresql"):
        return None
    try:
        engine = sa.create_engine(url, connect_args=_connect_args(sa.engine.make_url(url)))
    except (sa.exc.SQLAlchemyError, ImportError):
        return None
    try:
        with engine.connect() as conn:
            found = conn.exec_driver_sql(SCHEMA_QUERY).scalar()
    except sa.exc.SQLAlchemyError:
        return None
    finally:
        engine.dispose()
    return str(found) if found else None


def _connect_args(url: sa.URL) -> dict[str, object]:
    """A PostgreSQL connection's timeout (:data:`CONNECT_TIMEOUT_SECONDS`) unless the URL
    gives one; nothing for another database, nor for a driver that is not libpq's
    (psycopg 3 or 2), whose name for it may differ."""
    libpq = url.get_driver_name() in LIBPQ_DRIVERS
    if url.get_backend_name() != "postgresql" or not libpq or "connect_timeout" in url.query:
        return {}
    return {"connect_timeout": CONNECT_TIMEOUT_SECONDS}


def _on_postgresql_connect(dbapi_conn: Any, _record: Any) -> None:
    """Give a new PostgreSQL connection :data:`IDLE_IN_TRANSACTION_TIMEOUT_MS` unless the
    server, the database, the role or the URL's ``options`` set a timeout of their own."""
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute(_SET_IDLE_TIMEOUT, (str(IDLE_IN_TRANSACTION_TIMEOUT_MS),))
    finally:
        cursor.close()
    dbapi_conn.commit()


#: a pooled connection's mark: SQLite refused a write on it (see ``_on_error``)
REFUSED_A_WRITE = "sigopt_like_refused_a_write"


def _sqlite_engine(url: str) -> sa.Engine:
    path = Path(sa.make_url(url).database or "")
    path.parent.mkdir(parents=True, exist_ok=True)
    file = SqliteFile(path)
    engine = sa.create_engine(
        url,
        future=True,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=POOL_CONNECTIONS,
        max_overflow=POOL_OVERFLOW,
        pool_use_lifo=POOL_LIFO,
    )

    @event.listens_for(engine, "do_connect")
    def _before_connect(_dialect, _record, _cargs, _cparams):
        # a new connection to a path whose file was deleted would make a new, empty one
        file.check()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every test
        dbapi_conn.isolation_level = None  # let SQLAlchemy's BEGIN below take over
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _use_wal(cur)
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()
        register_lower(dbapi_conn)
        file.note()

    @event.listens_for(engine, "handle_error")
    def _on_error(context):
        # a connection whose write SQLite refused (SQLITE_IOERR, SQLITE_READONLY: the file
        # made read-only under it) went on refusing writes once the file was writable
        # again, one request in two: it is replaced at its next check-out
        if context.connection is not None and is_unwritable_error(context.original_exception):
            context.connection.info[REFUSED_A_WRITE] = True

    @event.listens_for(engine, "checkout")
    def _on_checkout(_dbapi_conn, record, _proxy):
        if record.info.pop(REFUSED_A_WRITE, False):
            raise sa.exc.DisconnectionError("it refused a write: a new connection replaces it")

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover - exercised by every test
        # A write takes the write lock up front (BEGIN IMMEDIATE), so two writers queue
        # on the busy timeout instead of failing with "database is locked" on upgrade;
        # a read takes a snapshot and never waits for a writer (deferred BEGIN, WAL).
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        file.check()  # a read too: a task polled there would stay "running" for good
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _locked(err: sqlite3.OperationalError) -> bool:
    return "locked" in str(err) or "busy" in str(err)


def _said_retry(details: Any) -> None:
    LOG.debug("switching the file to WAL mode: %s; trying again", details.get("exception"))


@backoff.on_exception(
    backoff.expo,
    sqlite3.OperationalError,
    max_time=SQLITE_BUSY_TIMEOUT_MS / 1000,
    max_value=0.5,
    giveup=lambda err: not _locked(err),
    # not backoff's own logger: its "ERROR Giving up _use_wal(...)" came before the one line
    # that says the error (a read-only database), which is raised here whatever the reason
    logger=None,
    on_backoff=_said_retry,
)
def _use_wal(cur: sqlite3.Cursor) -> None:
    """Put the file in WAL mode (persistent: only a new file's first opening switches).

    The switch needs the file to itself, and SQLite answers "database is locked" at once
    there instead of calling the busy handler, so several processes opening one new file
    together failed now and then (tests/store/test_migrations.py); the switch is retried
    within the busy timeout. A file already in WAL mode is only asked its mode. Giving up
    raises the error, which the caller says; only the retries are logged (DEBUG).
    """
    if cur.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        cur.execute("PRAGMA journal_mode=WAL")


def schema_version(conn: sa.Connection) -> int:
    """The schema version recorded in the database."""
    version = conn.execute(
        sa.select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")
    ).scalar_one()
    return int(version)


def check_writes(database: Database) -> None:
    """Raise :class:`~.errors.Unwritable` if the database takes no write (a read-only
    file or file system): one row written with its own value, then rolled back, so
    nothing changes. For a server or a worker to refuse at its start: a read-only SQLite
    file in WAL mode opens, reads and even begins a write transaction, and only the
    first write is refused (before, ``serve`` started and failed then, and ``worker``
    retried its heartbeat for ever)."""
    unchanged = (
        sa.update(schema.meta)
        .where(schema.meta.c.key == "schema_version")
        .values(value=schema.meta.c.value)
    )
    try:
        with translate_errors(database), database.connect(write=True) as conn:
            conn.execute(unchanged)
            conn.rollback()
    except Busy:  # another writer held it all the busy timeout: it takes writes
        LOG.debug("the write check waited for other writers; taken as writable")

"""Transactions: reads without SQLite's write lock, writes with it, and one ambient
unit of work that the store calls of a request or a task join.

SQLAlchemy gives connections and transactions. Two things it leaves to us are
written here (hand-written because no library does them for SQLAlchemy Core):

* which BEGIN a SQLite transaction takes: a read takes none of the write lock
  (a deferred ``BEGIN``, a WAL snapshot that never waits for a writer), a write
  takes it up front (``BEGIN IMMEDIATE``) so that two writers queue on the busy
  timeout instead of failing when one upgrades its lock;
* an ambient :class:`Unit` (a context variable of one :class:`Database`, never of
  the module): the store calls made while a unit is current join its single
  transaction, so that an idempotency claim, a resource's writes and the stored
  answer commit together without a connection passed through every layer.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar, Token
from typing import Any

import sqlalchemy as sa

from .errors import Busy, StorageFull, Unreadable, Unwritable
from .refusals import (
    CONNECTION_LIMIT_MESSAGE,
    connection_refused,
    hidden_table,
    is_busy_error,
    is_connection_limit_error,
    is_full_error,
    is_read_refused_error,
    is_tables_hidden_error,
    is_unwritable_error,
    is_write_refused_error,
    read_refused_message,
    refused_table,
    tables_hidden_message,
    write_refused_message,
)
from .sqlite_file import SqliteFile

LOG = logging.getLogger("sigopt_like.service.store")

#: execution option of a connection that writes (SQLite: BEGIN IMMEDIATE)
WRITE_OPTION = "sigopt_like_write"

OnBegin = Callable[[sa.Connection], None]

#: point-read connections one Database keeps at most (beyond, a read waits for one):
#: one per thread was 264 connections under ``serve`` (8 threads + 256 waiting slots),
#: past PostgreSQL's default max_connections of 100 ("too many clients": 500s)
MAX_POINT_READERS = 8


@contextlib.contextmanager
def translate_errors(database: Database | None = None) -> Iterator[None]:
    """Turn "locked" and serialisation failures, a wait for a pooled connection that
    timed out, and a connection the server refused for having as many as it allows
    (max_connections), into :class:`~.errors.Busy`, and a full disk into
    :class:`~.errors.StorageFull`, and a file or a PostgreSQL role that may not
    write into :class:`~.errors.Unwritable`, and a role that may not read into
    :class:`~.errors.Unreadable` (each was a 500 "internal"); the role and the schema to
    name are ``database``'s."""
    try:
        yield
    except sa.exc.TimeoutError as err:  # the pool's: every connection in use for its timeout
        raise Busy(
            "The service is answering more requests than its database connections can "
            "serve at once; retry in a moment.",
            retry_after=1,
        ) from err
    except Exception as err:
        # a DBAPIError, or the driver's own error, unwrapped: a connection the pool makes
        # for a point reader (``raw_connection``). The second was only asked whether it was
        # a connection refused (a credentials', CONNECT's): a crowd (max_connections),
        # a busy or a refused read so went up as the driver's error
        translated = _translated(err, database)
        if translated is None:
            raise
        raise translated from err


def _translated(err: Exception, database: Database | None) -> Exception | None:
    """The store's error that ``err`` (a DBAPIError, or the PostgreSQL driver's own) means,
    or None: not one of the database's refusals (see :func:`translate_errors`)."""
    if not isinstance(err, sa.exc.DBAPIError) and not _from_driver(err):
        return None
    if is_connection_limit_error(err):  # was a 503 "does not answer", an outage logged
        return Busy(CONNECTION_LIMIT_MESSAGE, retry_after=1)
    refused = connection_refused(err, database)  # CONNECT revoked, dropped, a password
    if refused is not None:  # was a 503 "does not answer", an outage logged
        return refused
    if is_busy_error(err):
        return Busy("The database is busy with other changes; retry in a moment.", retry_after=1)
    if is_full_error(err):
        return StorageFull(
            "The service's database has no room left (its disk or quota is full): "
            "nothing of this request was stored. Free space where the database is "
            "kept, then send it again."
        )
    if is_unwritable_error(err):  # was a 500 "internal" and a traceback
        return Unwritable(
            "The service's database could not be written (a read-only file, folder "
            "or file system, or a disk I/O error): nothing of this request was "
            "stored. Make the database file, its -wal and -shm files and its folder "
            "writable, then send it again."
        )
    if is_write_refused_error(err) and not _lacks_select(err, database):
        return Unwritable(write_refused_message(err, *_grantee(database)))
    refused_write = is_write_refused_error(err)  # here: the role may not read its table
    if is_read_refused_error(err) or is_tables_hidden_error(err) or refused_write:
        return read_refused(err, database)
    return None


#: the PostgreSQL drivers' modules, whose errors :func:`translate_errors` reads unwrapped
_DRIVERS = ("psycopg", "psycopg2")


def _from_driver(err: BaseException) -> bool:
    """Whether ``err`` is the PostgreSQL driver's own (psycopg 3 or 2), not wrapped: its
    class's module is ``psycopg``, ``psycopg2`` or one of theirs, not another package
    whose name starts so (``psycopg_pool``, whose errors are no database's answer)."""
    module = type(err).__module__
    return module in _DRIVERS or module.startswith(tuple(f"{name}." for name in _DRIVERS))


def _lacks_select(err: BaseException, database: Database | None) -> bool:
    """Whether a statement that writes or locks rows was refused where the role lacks
    SELECT on its table: a row lock (``SELECT ... FOR UPDATE``: a claim, a take-over)
    needs SELECT and UPDATE, an UPDATE or a DELETE with a WHERE, or an INSERT that
    returns its id, SELECT too, and PostgreSQL says only "permission denied for table
    tasks". So the role's SELECT is asked, on a connection of its own (the refused
    transaction takes no statement): a role that may not read is told so. Before, one
    that lost SELECT was told its writes were refused and that "reads go on"."""
    table = refused_table(err)
    if database is None or database.dialect != "postgresql" or table is None:
        return False
    schema = database.schema()  # already spelled as a statement needs it: not quoted again
    qualified = f"{schema}.{table}" if schema else table
    try:
        with database.engine.connect() as conn:
            granted = conn.execute(
                sa.text("SELECT has_table_privilege(:table, 'SELECT')"), {"table": qualified}
            ).scalar()
    except sa.exc.SQLAlchemyError:  # not asked: the refusal is said as a write's
        LOG.debug("could not ask the database the role's SELECT", exc_info=True)
        return False
    return granted is False


def _grantee(database: Database | None) -> tuple[str | None, str | None]:
    """The role and the schema a refusal names (none without a ``database``)."""
    if database is None:
        return None, None
    return database.role, database.schema()


def read_refused(err: BaseException, database: Database | None) -> Unreadable:
    """The :class:`~.errors.Unreadable` of a read refused for want of a privilege, or of
    tables this role is shown no more (:func:`is_tables_hidden_error`)."""
    role, schema = _grantee(database)
    if is_tables_hidden_error(err):
        detail = {"role": role, "table": hidden_table(err), "schema": schema}
        return Unreadable(tables_hidden_message(err, role, schema), detail=detail)
    detail = {"role": role, "table": refused_table(err), "schema": schema}
    return Unreadable(read_refused_message(err, role, schema), detail=detail)


def idle_limit(seconds: float) -> OnBegin:
    """An ``on_begin`` that, on PostgreSQL, has the server end the session if it sits idle
    inside the transaction for longer than ``seconds`` (``SET LOCAL
    idle_in_transaction_session_timeout``: this transaction's alone, one statement), so
    that a process frozen in it (stopped, swapped out, its host gone) gives its row locks
    back instead of holding them until its connection drops. Nothing on SQLite, where a
    frozen writer's lock is the file's and its busy timeout is the waiters' own.

    Only for transactions that never pause between their statements: a task runner's
    (claims, progress, heartbeats, a task's end). A request's may (an Idempotency-Key
    makes the whole request one transaction, a suggestion's engine run within it).
    """
    milliseconds = max(1, round(seconds * 1000))

    def on_begin(conn: sa.Connection) -> None:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SET LOCAL idle_in_transaction_session_timeout = {milliseconds}")

    return on_begin


class Unit:
    """One write transaction shared by the store calls of a request or a task.

    It begins on the first write, where ``on_begin`` runs first (an idempotency
    claim), and its owner commits or rolls it back once. Callbacks given to
    :meth:`after_commit` run after a successful commit (waking the task runner); those
    given to :meth:`after_end` once it has ended either way (letting others go on).
    """

    def __init__(
        self, database: Database, on_begin: OnBegin | None = None, *, savepoints: bool = True
    ) -> None:
        self._database = database
        self._on_begin = on_begin
        #: whether each write block of the unit is a savepoint (undone alone if it raises)
        self.savepoints = savepoints
        self._conn: sa.Connection | None = None
        self._transaction: sa.RootTransaction | None = None
        self._after_commit: list[Callable[[], None]] = []
        self._after_end: list[Callable[[], None]] = []
        #: set by Database.end_unit: a unit ends once (an owner cleaning up after a
        #: failed commit ended it again, and the second end raised a RuntimeError)
        self.ended = False

    @property
    def begun(self) -> bool:
        """Whether the unit's transaction has started (something was written)."""
        return self._conn is not None

    @property
    def current_connection(self) -> sa.Connection | None:
        """The unit's connection once it has begun, else None."""
        return self._conn

    def connection(self) -> sa.Connection:
        """The unit's connection, beginning its write transaction on first use."""
        if self._conn is None:
            conn = self._database.connect(write=True)
            try:
                with translate_errors(self._database):
                    self._transaction = conn.begin()
                    if self._on_begin is not None:
                        self._on_begin(conn)
            except BaseException:
                conn.close()  # rolls back
                raise
            self._conn = conn
        return self._conn

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the unit has committed (never if it rolls back)."""
        self._after_commit.append(callback)

    def after_end(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the unit has ended, committed or rolled back (its
        writes are then visible to all, or gone)."""
        self._after_end.append(callback)

    def run_after_end(self) -> None:
        """Run the :meth:`after_end` callbacks (once)."""
        callbacks, self._after_end = self._after_end, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # releasing others must never fail the request
                LOG.exception("an after-end callback failed")

    def commit(self) -> None:
        """Commit what was written (if anything); the after-commit callbacks are then
        :meth:`run_after_commit`'s (once the unit is no longer current: see
        :meth:`Database.end_unit`), forgotten if the commit fails."""
        conn, transaction = self._conn, self._transaction
        self._conn = self._transaction = None
        if conn is not None and transaction is not None:
            try:
                with translate_errors(self._database):
                    transaction.commit()
            except BaseException:
                self._after_commit.clear()
                raise
            finally:
                conn.close()

    def run_after_commit(self) -> None:
        """Run the :meth:`after_commit` callbacks (once), after :meth:`commit`."""
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # a wake-up must never fail a committed change
                LOG.exception("an after-commit callback failed")

    def rollback(self) -> None:
        """Forget everything written in the unit."""
        conn = self._conn
        self._conn = self._transaction = None
        self._after_commit.clear()
        if conn is not None:
            conn.close()  # rolls back


#: the schema (quoted as an identifier if it must be) holding the service's ``meta``
#: table as this role's ``search_path`` finds it, else the first schema of the path
SCHEMA_QUERY = (
    "SELECT coalesce((SELECT relnamespace::regnamespace::text FROM pg_class "
    "WHERE oid = to_regclass('meta')), quote_ident(current_schema()))"
)


class Database:
    """One engine and its transactions; see the module docstring."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        #: the PostgreSQL role it connects as, if its URL names one (said when it may not write)
        self.role = engine.url.username if self.dialect == "postgresql" else None
        self._current: ContextVar[Unit | None] = ContextVar(
            f"sigopt_like_unit_{id(self)}", default=None
        )
        #: idle connections for point reads and how many exist (see :meth:`point_reader`)
        self._idle_readers: list[Any] = []
        self._reader_count = 0
        self._reader_free = threading.Condition(threading.Lock())
        #: a SQLite file's identity, checked before each point read: a detached
        #: connection goes on reading a deleted file, where transactions are refused
        self._file = SqliteFile.of(engine)
        #: end a read's transaction with COMMIT, not ROLLBACK (see :meth:`read`)
        self._commit_reads = self.dialect == "postgresql"
        #: the schema the service's tables are in, once asked (see :meth:`schema`)
        self._schema: str | None = None

    def schema(self) -> str | None:
        """The PostgreSQL schema the service's tables are found in by this role's
        ``search_path`` (its ``meta`` table's, else the first of the path), asked once
        (:func:`~.facade.open_store` asks at the start, while the tables are in reach) and
        named by a refusal: a GRANT on ``public`` did nothing for tables in another
        schema. None on another database, or when it cannot be asked."""
        if self.dialect != "postgresql":
            return None
        if self._schema is None:
            try:
                with self.engine.connect() as conn:
                    self._schema = conn.exec_driver_sql(SCHEMA_QUERY).scalar()
            except sa.exc.SQLAlchemyError:
                LOG.debug("could not ask the database its schema", exc_info=True)
        return self._schema

    def on_connection(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` each time a connection is taken from the pool (pinged first
        on PostgreSQL) or made: the database answers. It must be cheap and not raise."""
        sa.event.listen(self.engine, "checkout", lambda *_: callback())

    @property
    def supports_skip_locked(self) -> bool:
        """Whether ``SELECT ... FOR UPDATE SKIP LOCKED`` exists here (not on SQLite)."""
        return self.dialect in ("postgresql", "mysql", "oracle")

    def connect(self, *, write: bool = False) -> sa.Connection:
        """A new connection; ``write`` makes its transactions take the write lock up front."""
        with translate_errors(self):
            conn = self.engine.connect()
        if write:
            conn.execution_options(**{WRITE_OPTION: True})
        return conn

    @contextlib.contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A connection for reading: inside a unit that wrote, the unit's own (it sees
        its writes); otherwise a snapshot that never takes the write lock."""
        unit = self._current.get()
        if unit is not None and unit.current_connection is not None:
            yield unit.current_connection
            return
        with translate_errors(self), self.engine.connect() as conn:
            yield conn
            if self._commit_reads and conn.in_transaction():
                # the same end as a rollback for a read, but psycopg forgets its prepared
                # statements at every ROLLBACK: reads so ended never had theirs prepared
                conn.commit()

    @contextlib.contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """A connection in a write transaction: the current unit's (the block is a
        savepoint, undone alone if it raises), or a unit of its own committed at the end."""
        unit = self._current.get()
        if unit is None:
            with translate_errors(self), self.unit() as own:
                yield own.connection()
            return
        conn = unit.connection()
        if not unit.savepoints:
            with translate_errors(self):
                yield conn
            return
        with translate_errors(self), conn.begin_nested():
            yield conn

    @contextlib.contextmanager
    def unit(self, on_begin: OnBegin | None = None, *, savepoints: bool = True) -> Iterator[Unit]:
        """Make the block one transaction: committed if it ends normally, else rolled back.

        Inside another unit, the block joins it (``on_begin`` and ``savepoints`` are then
        ignored). Without ``savepoints`` the block's writes are not savepoints of their
        own (two statements each, round trips on PostgreSQL): for a block that lets every
        error out, which rolls the whole unit back.
        """
        outer = self._current.get()
        if outer is not None:
            yield outer
            return
        unit, token = self.start_unit(on_begin, savepoints=savepoints)
        try:
            yield unit
        except BaseException:
            self.end_unit(unit, token, commit=False)
            raise
        self.end_unit(unit, token, commit=True)

    def start_unit(
        self, on_begin: OnBegin | None = None, *, savepoints: bool = True
    ) -> tuple[Unit, Token[Unit | None]]:
        """Make a new unit current (for owners that cannot use a ``with`` block, such
        as middleware); :meth:`end_unit` with the returned token ends it."""
        unit = Unit(self, on_begin, savepoints=savepoints)
        return unit, self._current.set(unit)

    def end_unit(self, unit: Unit, token: Token[Unit | None], *, commit: bool) -> None:
        """Commit or roll back a unit from :meth:`start_unit`, and make it no longer current
        (once: a unit already ended is left as it is), then run its after-commit (if it
        committed) and after-end callbacks. They run once it is no longer current, so that
        what they write is a transaction of its own: before, such a write joined the
        ended unit, ran its ``on_begin`` again (an Idempotency-Key's claim, refused as
        taken) and was lost, never committed."""
        if unit.ended:
            return
        unit.ended = True
        committed = False
        try:
            if commit:
                unit.commit()
                committed = True
            else:
                unit.rollback()
        finally:
            self._current.reset(token)
            try:
                if committed:
                    unit.run_after_commit()
            finally:
                unit.run_after_end()

    def current_unit(self) -> Unit | None:
        """The unit current in this context, if any."""
        return self._current.get()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` after the current unit commits; at once when there is none."""
        unit = self._current.get()
        if unit is None:
            callback()
        else:
            unit.after_commit(callback)

    def after_end(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` after the current unit ends (committed or rolled back); at
        once when there is none."""
        unit = self._current.get()
        if unit is None:
            callback()
        else:
            unit.after_end(callback)

    @contextlib.contextmanager
    def point_reader(self) -> Iterator[Any]:
        """A DB-API connection for single-statement reads, in autocommit (no transaction
        is held between reads, so none blocks a writer or a checkpoint), lent for the
        block.

        At most :data:`MAX_POINT_READERS` exist, taken from the pool once and detached
        from it, so that a point read costs no pool check-out (hand-written for the same
        reason as PointQuery): a lock and a list, where it was one connection per thread.
        A connection whose read raised is closed, not lent again (a server restart would
        otherwise break it for good). A SQLite file deleted or replaced since it was
        opened is refused (:class:`~.errors.DatabaseGone`), as a transaction is: before,
        point reads went on answering from the unlinked file.
        """
        if self._file is not None:
            self._file.check()
        with self._reader_free:
            while not self._idle_readers and self._reader_count >= MAX_POINT_READERS:
                self._reader_free.wait()
            conn = self._idle_readers.pop() if self._idle_readers else None
            if conn is None:
                self._reader_count += 1
        try:
            if conn is None:
                conn = self._new_reader()
            yield conn
        except BaseException:
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()
            with self._reader_free:
                self._reader_count -= 1
                self._reader_free.notify()
            raise
        with self._reader_free:
            self._idle_readers.append(conn)
            self._reader_free.notify()

    def _new_reader(self) -> Any:
        with translate_errors(self):
            raw = self.engine.raw_connection()
        raw.detach()  # ours now; the pool makes itself another one when it needs it
        conn: Any = raw.dbapi_connection
        if self.dialect != "sqlite":  # SQLite connections are in autocommit already
            conn.autocommit = True
        return conn

    def lost_connection(self, err: BaseException, conn: Any) -> bool:
        """Whether ``err``, raised on the DB-API connection ``conn``, says the connection
        is gone (the server restarted or closed it), as the pool's pre-ping judges it."""
        try:
            return bool(self.engine.dialect.is_disconnect(err, conn, None))  # type: ignore[arg-type]
        except Exception:
            return False

    def discard_idle_readers(self) -> None:
        """Close the idle point readers (after one was found disconnected, so were they)."""
        with self._reader_free:
            readers, self._idle_readers = self._idle_readers, []
            self._reader_count -= len(readers)
            self._reader_free.notify_all()
        for conn in readers:
            with contextlib.suppress(Exception):
                conn.close()

    def dispose(self) -> None:
        """Close every pooled connection, and the idle point readers."""
        self.discard_idle_readers()
        self.engine.dispose()


class PointQuery:
    """A SELECT of at most one row, compiled once, run on the DB-API cursor.

    Hand-written because on a point read SQLAlchemy's execution pipeline (cache key,
    result set-up, row objects) costs several times the query itself; the statement
    is still written with SQLAlchemy Core and compiled by it for the dialect. Inside
    a unit that has written, the unit's connection is used (it sees its writes).
    Values come back as the driver gives them (SQLite booleans are 0 and 1).
    """

    def __init__(self, database: Database, statement: sa.Select) -> None:
        self._database = database
        self._statement = statement
        #: the SQL and its parameters' order, compiled on the first run (a service that
        #: never runs this query, such as an embedded one that never meets a token,
        #: never compiles it); two threads may both compile it: the same answer
        self._compiled: tuple[str, tuple[str, ...] | None] | None = None

    def _compile(self) -> tuple[str, tuple[str, ...] | None]:
        compiled = self._statement.compile(dialect=self._database.engine.dialect)
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        self._compiled = (str(compiled), order)
        return self._compiled

    def one(self, **params: Any) -> tuple[Any, ...] | None:
        """The row for these parameters, or None."""
        sql, order = self._compiled or self._compile()
        args: Any = tuple(params[name] for name in order) if order is not None else params
        unit = self._database.current_unit()
        joined = unit.current_connection if unit is not None else None
        try:
            if joined is not None:
                return self._fetch(joined.connection.dbapi_connection, sql, args)
            conn: Any = None
            try:
                with self._database.point_reader() as conn:
                    return self._fetch(conn, sql, args)
            except Exception as err:
                if not self._database.lost_connection(err, conn):
                    raise
            # the server dropped its connections (a restart, a failover, an idle timeout):
            # before, each idle reader answered one request 500; a read is safe to retry
            self._database.discard_idle_readers()
            with self._database.point_reader() as conn:
                return self._fetch(conn, sql, args)
        except Exception as err:
            if is_busy_error(err):
                raise Busy(
                    "The database is busy with other changes; retry in a moment.", retry_after=1
                ) from err
            if is_read_refused_error(err) or is_tables_hidden_error(err):  # the driver's own
                raise read_refused(err, self._database) from err  # error: was a 500, a traceback
            raise

    def _fetch(self, dbapi_connection: Any, sql: str, args: Any) -> tuple[Any, ...] | None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(sql, args)
            row = cursor.fetchone()
        finally:
            cursor.close()
        return tuple(row) if row is not None else None

"""The store: every family's SQL behind one typed object, built once per service."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import attrs

from .accounts import AccountStore
from .analytics import AnalyticsStore
from .campaigns import CampaignStore
from .database import Database, Unit, idle_limit
from .db import check_writes, open_database, schema_version
from .idempotency import IdempotencyStore
from .rate_limits import RateLimitStore
from .sessions import SessionStore
from .tasks import TaskStore

if TYPE_CHECKING:
    from .sigopt import SigoptStore


@attrs.frozen
class Store:
    """One database and a store per family of rows.

    Built once (:func:`open_store`) and handed to the resources that need each
    family, as Falcon's own examples hand an ``ImageStore`` to their resource.
    """

    database: Database
    sessions: SessionStore
    campaigns: CampaignStore
    tasks: TaskStore
    analytics: AnalyticsStore
    accounts: AccountStore
    idempotency: IdempotencyStore
    rate_limits: RateLimitStore
    #: the SigOpt family's store, made on first use (see :attr:`sigopt`)
    _sigopt: list[SigoptStore] = attrs.field(factory=list, init=False, repr=False, eq=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False, repr=False, eq=False)

    @property
    def sigopt(self) -> SigoptStore:
        """SigOpt's experiments, suggestions, observations, projects and runs: made, and
        its module imported, on first use (a service that only runs campaigns never
        loads it)."""
        if not self._sigopt:
            with self._lock:
                if not self._sigopt:
                    from .sigopt import SigoptStore

                    self._sigopt.append(SigoptStore(self.database))
        return self._sigopt[0]

    @classmethod
    def over(cls, database: Database) -> Store:
        """The stores of every family over one database."""
        return cls(
            database=database,
            sessions=SessionStore(database),
            campaigns=CampaignStore(database),
            tasks=TaskStore(database),
            analytics=AnalyticsStore(database),
            accounts=AccountStore(database),
            idempotency=IdempotencyStore(database),
            rate_limits=RateLimitStore(database),
        )

    @contextmanager
    def atomic(self) -> Iterator[Unit]:
        """One transaction for every store call in the block (committed at its end)."""
        with self.database.unit() as unit:
            yield unit

    @contextmanager
    def bounded(self, idle_seconds: float, *, savepoints: bool = True) -> Iterator[Unit]:
        """One transaction, as :meth:`atomic`, that PostgreSQL ends (its locks released) if
        it sits idle for longer than ``idle_seconds`` between two statements: for a task
        runner's own transactions, which never pause (see ``database.idle_limit``).
        ``savepoints``: as :meth:`Database.unit`'s (off for a block of one write)."""
        on_begin = idle_limit(idle_seconds)
        with self.database.unit(on_begin=on_begin, savepoints=savepoints) as unit:
            yield unit

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the current transaction commits (at once if none)."""
        self.database.after_commit(callback)

    def on_connection(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever a connection to the database is had (it answers)."""
        self.database.on_connection(callback)

    def schema_version(self) -> int:
        """The schema version the database records (a cheap query: readiness), read as
        every read is: ended with a COMMIT on PostgreSQL (see :meth:`Database.read`)."""
        with self.database.read() as conn:
            return schema_version(conn)

    def check_writes(self) -> None:
        """Raise :class:`~.errors.Unwritable` if the database takes no write; nothing is
        written (see :func:`.db.check_writes`)."""
        check_writes(self.database)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.database.dialect

    def close(self) -> None:
        """Release the database's connections."""
        self.database.dispose()


def open_store(path_or_url: str | os.PathLike[str]) -> Store:
    """Open (and on first use create) the database at a path, ``:memory:`` or a URL."""
    database = Database(open_database(path_or_url))
    database.schema()  # asked while the tables are in reach: a refusal later names it
    return Store.over(database)

"""The store: every family's SQL behind one typed object, built once per service."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import attrs

from .accounts import AccountStore
from .analytics import AnalyticsStore
from .campaigns import CampaignStore
from .database import Database, Unit
from .db import open_database, schema_version
from .idempotency import IdempotencyStore
from .rate_limits import RateLimitStore
from .sessions import SessionStore
from .sigopt import SigoptStore
from .tasks import TaskStore


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
    sigopt: SigoptStore

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
            sigopt=SigoptStore(database),
        )

    @contextmanager
    def atomic(self) -> Iterator[Unit]:
        """One transaction for every store call in the block (committed at its end)."""
        with self.database.unit() as unit:
            yield unit

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the current transaction commits (at once if none)."""
        self.database.after_commit(callback)

    def schema_version(self) -> int:
        """The schema version the database records (a cheap query: readiness)."""
        return schema_version(self.database.engine)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.database.dialect

    def close(self) -> None:
        """Release the database's connections."""
        self.database.dispose()


def open_store(path_or_url: str | os.PathLike[str]) -> Store:
    """Open (and on first use create) the database at a path, ``:memory:`` or a URL."""
    return Store.over(Database(open_database(path_or_url)))

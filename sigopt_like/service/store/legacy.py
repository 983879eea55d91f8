"""Transitional: ``context.engine`` for the modules that still write SQL themselves.

Only the SigOpt family (``service/resources/sigopt/``) still does; it moves into
``store/sigopt.py`` (issue #10), and this view goes with it. ``begin()`` and
``connect()`` go through :class:`~.database.Database`, so those writes take the
write lock up front and join the request's unit (its idempotency claim and answer).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa

from .database import Database


class EngineView:
    """The two calls the old modules make on an engine, over a :class:`Database`."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def begin(self) -> AbstractContextManager[sa.Connection]:
        """A write transaction (joining the current unit, if any)."""
        return self._database.write()

    def connect(self) -> AbstractContextManager[sa.Connection]:
        """A read snapshot (the current unit's connection once it wrote)."""
        return self._database.read()

    @property
    def dialect(self) -> Any:
        """The engine's dialect."""
        return self._database.engine.dialect

    @property
    def url(self) -> Any:
        """The engine's URL."""
        return self._database.engine.url

    def dispose(self) -> None:
        """Close pooled connections."""
        self._database.dispose()

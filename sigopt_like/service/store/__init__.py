"""THE ONLY ROOM THAT SPEAKS SQL (SQLAlchemy Core over SQLite or PostgreSQL).

Every family of rows has a store here (sessions, campaigns, tasks, idempotency
keys, accounts, ...) returning records or domain objects and raising
:mod:`.errors`, which ``service/errors.py`` maps to HTTP in one place. The app
factory builds one :class:`Store` and hands each resource the stores it needs.

How to add SQL: put it in the family's module here (a new family: a new module
and a field of :class:`Store`); read with ``self._db.read()``, write with
``self._db.write()`` (they join the request's or task's unit of work); return
records (attrs classes), never rows or connections; raise :mod:`.errors`.
"""

from .database import Database, Unit
from .db import SCHEMA_VERSION, open_database, url_text
from .errors import Busy, Conflict, Invalid, NotFound, StorageFull, StoreError
from .facade import Store, open_store
from .pages import Page, PageRequest

__all__ = [
    "SCHEMA_VERSION",
    "Busy",
    "Conflict",
    "Database",
    "Invalid",
    "NotFound",
    "Page",
    "PageRequest",
    "StorageFull",
    "Store",
    "StoreError",
    "Unit",
    "open_database",
    "open_store",
    "url_text",
]

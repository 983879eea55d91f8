"""Errors the store raises. They say what went wrong in the data's own words;
:mod:`sigopt_like.service.errors` maps each class to one HTTP status, in one place.
"""

from __future__ import annotations

from typing import Any


class StoreError(Exception):
    """Something the store cannot do; ``code`` is stable, ``message`` is for a person."""

    code = "store_error"

    def __init__(
        self, message: str, *, code: str | None = None, detail: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.detail = detail or {}


class NotFound(StoreError):
    """No such object for this owner (never a hint that it exists for another)."""

    code = "not_found"


class Conflict(StoreError):
    """The change clashes with what is stored (a duplicate name, a running task...)."""

    code = "conflict"


class Invalid(StoreError):
    """A value the store will not keep (an unusable email, a missing user...)."""

    code = "validation_failed"


class Busy(StoreError):
    """The database is locked or could not serialise the change: retry shortly."""

    code = "unavailable"

    def __init__(self, message: str, *, retry_after: int = 1, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class StorageFull(StoreError):
    """The database has no room left (a full disk or quota): nothing was written."""

    code = "insufficient_storage"


class Unwritable(StoreError):
    """The database could not be written (a read-only file, folder or file system, a
    disk I/O error): nothing was written."""

    code = "database_unwritable"


class Unreadable(StoreError):
    """The database refuses this PostgreSQL role a read (its SELECT revoked, or never
    granted): no client can cure it; the operator grants it (the message says what)."""

    code = "database_unreadable"


class DatabaseGone(StoreError):
    """The database file was deleted or replaced while the service had it open: a write
    would go to the unlinked file and be lost when the service stops."""

    code = "database_gone"


class KeyTaken(StoreError):
    """Another request has answered this Idempotency-Key (found when claiming it)."""

    code = "idempotency_in_progress"

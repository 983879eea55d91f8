"""Storage: SQLAlchemy Core tables over SQLite (default) or PostgreSQL."""

from .db import SCHEMA_VERSION, open_database

__all__ = ["SCHEMA_VERSION", "open_database"]

"""Alembic migrations of the service's schema (SQLite and PostgreSQL).

Run by :func:`sigopt_like.service.store.migrate.prepare` when a database is
opened; ``alembic -c sigopt_like/service/store/migrations/alembic.ini ...`` works
too (``revision`` makes a new file in ``versions/``). See docs/service.md.
"""

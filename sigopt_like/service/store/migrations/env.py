"""Alembic's environment: migrate the connection handed in, or the configured URL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from sigopt_like.service.store import schema


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=schema.metadata,
        # SQLite alters a table by copying it; batch mode does that where ALTER cannot
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    """Migrate ``config.attributes["connection"]`` (the service's way) or ``sqlalchemy.url``."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("give the database: alembic -x url=sqlite:///path.db ...")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


main()

"""Unix-second times as BIGINT: writes go on past 2038-01-19.

Revision ID: 0012
Revises: 0011

Every time column (``created``, ``updated``, a token's ``expires``, a task's
``heartbeat``/``started``/``finished``, a run's ``completed``, a file's ``uploaded``) was
INTEGER, 32 bits on PostgreSQL: from 2038-01-19 03:14:08 UTC every write there would have
failed with "integer out of range". On PostgreSQL each table's time columns become BIGINT in
one ``ALTER TABLE`` (one rewrite of the table); the values are kept. SQLite keeps any integer
in an INTEGER column (64 bits), so nothing changes there but the schema version.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

#: every unix-second column at revision 0011, by table (frozen here: not read from schema.py)
TIME_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("users", ("created",)),
    ("tokens", ("created", "expires")),
    ("idempotency_keys", ("created",)),
    ("sessions", ("created", "updated")),
    ("tasks", ("heartbeat", "created", "started", "finished")),
    ("generations", ("created",)),
    ("analytics_files", ("created",)),
    ("sigopt_projects", ("created", "updated")),
    ("sigopt_experiments", ("created", "updated")),
    ("suggestions", ("created",)),
    ("queued_suggestions", ("created",)),
    ("observations", ("created", "updated")),
    ("training_runs", ("created", "updated", "completed")),
    ("run_checkpoints", ("created",)),
    ("run_files", ("created", "uploaded")),
)


def upgrade() -> None:
    """Widen the time columns on PostgreSQL; schema version 12."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        quote = bind.dialect.identifier_preparer.quote
        for table, columns in TIME_COLUMNS:
            changes = ", ".join(f"ALTER COLUMN {quote(c)} TYPE BIGINT" for c in columns)
            op.execute(f"ALTER TABLE {quote(table)} {changes}")
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value="12"))


def downgrade() -> None:
    """Not supported: restore a backup to go back."""
    raise NotImplementedError("downgrades are not supported; restore a backup instead")

"""Tasks count their runs: a task whose worker stopped is taken over and run again.

Revision ID: 0006
Revises: 0005

``tasks.attempts`` counts the runs started (claims). A task is run again after its
worker stopped until it reaches ``task_max_attempts``. Tasks made before count 0,
except those running now, which are in their first run (1).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``tasks.attempts``; schema version 6."""
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
    tasks = sa.table("tasks", sa.column("status", sa.String), sa.column("attempts", sa.Integer))
    op.execute(tasks.update().where(tasks.c.status == "running").values(attempts=1))
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value="6"))


def downgrade() -> None:
    """Not supported: restore a backup to go back."""
    raise NotImplementedError("downgrades are not supported; restore a backup instead")

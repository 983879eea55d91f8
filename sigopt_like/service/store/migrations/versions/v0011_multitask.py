"""Multitask SigOpt experiments: an experiment's tasks, a suggestion's and an
observation's task.

Revision ID: 0011
Revises: 0010

``sigopt_experiments`` gains ``tasks`` (JSON ``[{name, cost}]``, null = not
multitask); ``suggestions``, ``queued_suggestions`` and ``observations`` gain ``task``
(the task's name, null = not multitask). Rows made before keep null: their experiments had no tasks.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the task columns; schema version 11."""
    op.add_column("sigopt_experiments", sa.Column("tasks", sa.Text(), nullable=True))
    op.add_column("suggestions", sa.Column("task", sa.String(500), nullable=True))
    op.add_column("queued_suggestions", sa.Column("task", sa.String(500), nullable=True))
    op.add_column("observations", sa.Column("task", sa.String(500), nullable=True))
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value="11"))


def downgrade() -> None:
    """Not supported: restore a backup to go back."""
    raise NotImplementedError("downgrades are not supported; restore a backup instead")

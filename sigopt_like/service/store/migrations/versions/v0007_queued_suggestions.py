"""SigOpt's queued suggestions: assignments a user lines up for the next suggestions.

Revision ID: 0007
Revises: 0006

A new table, ``queued_suggestions``; nothing earlier changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``queued_suggestions``; schema version 7."""
    op.create_table(
        "queued_suggestions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "experiment_id", sa.Integer(), sa.ForeignKey("sigopt_experiments.id"), nullable=False
        ),
        sa.Column("assignments", sa.Text(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
    )
    op.create_index("ix_queued_suggestions_experiment_id", "queued_suggestions", ["experiment_id"])
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value="7"))


def downgrade() -> None:
    """Not supported: restore a backup to go back."""
    raise NotImplementedError("downgrades are not supported; restore a backup instead")

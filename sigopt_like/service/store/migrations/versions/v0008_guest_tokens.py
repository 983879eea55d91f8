"""Guest tokens: SigOpt's experiment tokens, which read one experiment only.

Revision ID: 0008
Revises: 0007

``tokens`` gains ``experiment_id`` (null for every token made before, which stay
what they were: tokens of their user).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``tokens.experiment_id``; schema version 8."""
    op.add_column("tokens", sa.Column("experiment_id", sa.Integer(), nullable=True))
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value="8"))


def downgrade() -> None:
    """Not supported: restore a backup to go back."""
    raise NotImplementedError("downgrades are not supported; restore a backup instead")

"""Sessions carry Daptics' tag: a read-only identifier given when one is created.

Revision ID: 0005
Revises: 0004

``sessions.tag`` is NULL for every session made before (none had a tag).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``sessions.tag``; schema version 5."""
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("tag", sa.String(length=200), nullable=True))
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value="5"))


def downgrade() -> None:
    """Not supported: restore a backup to go back."""
    raise NotImplementedError("downgrades are not supported; restore a backup instead")

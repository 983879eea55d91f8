"""A guest token's end, fixed at its making.

Revision ID: 0010
Revises: 0009

``tokens`` gains ``expires`` (unix seconds). Before, a guest token's end was its
making plus the lifetime of whichever ``serve`` read it, so restarting with another
``--guest-token-days`` moved the end its answer had promised. Tokens made before keep
null: they end ``guest_token_days`` after their making, as they did.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``tokens.expires``; schema version 10."""
    op.add_column("tokens", sa.Column("expires", sa.Integer(), nullable=True))
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value="10"))


def downgrade() -> None:
    """Not supported: restore a backup to go back."""
    raise NotImplementedError("downgrades are not supported; restore a backup instead")

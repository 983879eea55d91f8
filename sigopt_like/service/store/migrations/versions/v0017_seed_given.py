"""Whether a SigOpt experiment's seed was given by its creator.

Revision ID: 0017
Revises: 0016

``sigopt_experiments`` gains ``seed_given`` (true: the creator gave ``seed``, so the
same history must give the same suggestions whatever the machine's load; null: the
service drew the seed). Rows made before keep null: their seeds read as drawn, and
their suggestions keep the time budget's fallback.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``seed_given``; schema version 17."""
    op.add_column("sigopt_experiments", sa.Column("seed_given", sa.Boolean(), nullable=True))
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value="17"))


def downgrade() -> None:
    """Not supported: restore a backup to go back."""
    raise NotImplementedError("downgrades are not supported; restore a backup instead")

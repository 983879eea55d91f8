"""Files of training runs: what sigopt-python's ``run.log_image`` uploads.

Revision ID: 0009
Revises: 0008

A new table, ``run_files``; nothing earlier changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``run_files``; schema version 9."""
    op.create_table(
        "run_files",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "training_run_id", sa.Integer(), sa.ForeignKey("training_runs.id"), nullable=False
        ),
        sa.Column("name", sa.String(500), nullable=True),
        sa.Column("filename", sa.String(500), nullable=True),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("content_length", sa.Integer(), nullable=False),
        sa.Column("content_md5", sa.String(24), nullable=False),
        sa.Column("upload_key_hash", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("uploaded", sa.Integer(), nullable=True),
    )
    op.create_index("ix_run_files_training_run_id", "run_files", ["training_run_id"])
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value="9"))


def downgrade() -> None:
    """Not supported: restore a backup to go back."""
    raise NotImplementedError("downgrades are not supported; restore a backup instead")

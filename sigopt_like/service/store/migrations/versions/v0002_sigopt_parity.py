"""SigOpt parity (issue 10): projects, training runs and their checkpoints, and the
experiment options SigOpt honours (kind, project, conditionals, linear constraints,
number of solutions); budgets as 64-bit integers (issue 11).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """New tables and ``sigopt_experiments`` columns; schema version 2."""
    op.create_table(
        "sigopt_projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("metadata", sa.Text(), nullable=True),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("owner_id", "key", name="uq_sigopt_projects_owner_key"),
    )
    op.create_table(
        "training_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=True),
        sa.Column("suggestion_id", sa.Integer(), nullable=True),
        sa.Column("observation_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=500), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("assignments", sa.Text(), nullable=False),
        sa.Column("values", sa.Text(), nullable=False),
        sa.Column("metadata", sa.Text(), nullable=True),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["experiment_id"], ["sigopt_experiments.id"]),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["project_id"], ["sigopt_projects.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_training_runs_experiment_id"), "training_runs", ["experiment_id"], unique=False
    )
    op.create_table(
        "run_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("training_run_id", sa.Integer(), nullable=False),
        sa.Column("values", sa.Text(), nullable=False),
        sa.Column("metadata", sa.Text(), nullable=True),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["training_run_id"], ["training_runs.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_run_checkpoints_training_run_id"),
        "run_checkpoints",
        ["training_run_id"],
        unique=False,
    )
    # plain ALTER TABLE ... ADD COLUMN (SQLite takes a REFERENCES clause on a nullable
    # column): sigopt_experiments is referenced by other tables and is never copied
    op.add_column(
        "sigopt_experiments",
        sa.Column("kind", sa.String(length=20), nullable=False, server_default="experiment"),
    )
    if op.get_bind().dialect.name == "sqlite":  # Alembic would copy the table to add the key
        op.execute(
            sa.text(
                "ALTER TABLE sigopt_experiments ADD COLUMN project_id INTEGER "
                "REFERENCES sigopt_projects (id)"
            )
        )
    else:
        op.add_column(
            "sigopt_experiments",
            sa.Column(
                "project_id", sa.Integer(), sa.ForeignKey("sigopt_projects.id"), nullable=True
            ),
        )
    op.add_column("sigopt_experiments", sa.Column("conditionals", sa.Text(), nullable=True))
    op.add_column("sigopt_experiments", sa.Column("linear_constraints", sa.Text(), nullable=True))
    op.add_column("sigopt_experiments", sa.Column("num_solutions", sa.Integer(), nullable=True))
    if op.get_bind().dialect.name != "sqlite":  # SQLite's INTEGER already holds 64 bits
        for column in ("observation_budget", "parallel_bandwidth"):
            op.alter_column(
                "sigopt_experiments", column, type_=sa.BigInteger(), existing_nullable=True
            )
    op.execute(sa.text("UPDATE meta SET value = '2' WHERE key = 'schema_version'"))


def downgrade() -> None:
    """Not supported: restore a backup to go back."""
    raise NotImplementedError("downgrades are not supported; restore a backup instead")

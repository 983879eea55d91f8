"""Rate limits shared through the database; idempotency claims of 0.1.0 settled.

Revision ID: 0003
Revises: 0002

Several ``serve`` processes on one database now enforce one limit (table
``rate_limits``). Idempotency keys are claimed in the same transaction as the
request's work since this release, so an unanswered claim can no longer be
seen; those an 0.1.0 process left behind are settled: one whose work had
committed ("done-by") keeps 0.1.0's answer, 409 ``idempotency_answer_lost``
(the work is never done twice); one whose work had not ("claimed-by") goes.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ANSWER_LOST = json.dumps(
    {
        "object": "error",
        "status": 409,
        "code": "idempotency_answer_lost",
        "message": (
            "The first request with this Idempotency-Key was carried out, but the service "
            "stopped before it could answer. Do not send it again: fetch what it made instead."
        ),
        "detail": {"header": "Idempotency-Key"},
    }
)


def upgrade() -> None:
    """Add ``rate_limits``; settle unanswered idempotency claims; schema version 3."""
    op.create_table(
        "rate_limits",
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("tat", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key"),
    )
    keys = sa.table(
        "idempotency_keys",
        sa.column("status", sa.Integer),
        sa.column("response", sa.Text),
        sa.column("content_type", sa.String),
    )
    op.execute(
        keys.update()
        .where(keys.c.status.is_(None), keys.c.response.like("done-by %"))
        .values(status=409, response=ANSWER_LOST, content_type="application/json")
    )
    op.execute(keys.delete().where(keys.c.status.is_(None)))
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value="3"))


def downgrade() -> None:
    """Not supported: restore a backup to go back."""
    raise NotImplementedError("downgrades are not supported; restore a backup instead")

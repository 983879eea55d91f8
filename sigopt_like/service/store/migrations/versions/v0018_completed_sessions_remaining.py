"""Sessions completed before final experiments left ``remaining`` at 0 hold 0.

Revision ID: 0018
Revises: 0017

Daptics' ``remaining`` is how many more generations can be performed, and final
experiments end the campaign ("no more designs will be generated", seed 000): a session
they complete has none left. Since the release before this revision the service writes 0
then; a session completed so before it kept the count of its space (``remaining 3`` on
a session that refuses every generate), and ``remaining`` is read as stored (by the
sessions list, the space, the dashboard), not computed on read. This revision writes 0
in each completed session's ``remaining`` once, so every reader is right with no rule
of its own. A session completed by its space running out holds 0 already; active and
halted sessions are left as they are. Nothing but ``sessions.remaining`` and the schema
version changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """``remaining = 0`` for every completed session; schema version 18."""
    sessions = sa.table(
        "sessions",
        sa.column("completed", sa.Boolean),
        sa.column("remaining", sa.Integer),
    )
    left = sa.or_(sessions.c.remaining.is_(None), sessions.c.remaining != 0)
    op.execute(sessions.update().where(sessions.c.completed.is_(True), left).values(remaining=0))
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value="18"))


def downgrade() -> None:
    """Not supported: restore a backup to go back."""
    raise NotImplementedError("downgrades are not supported; restore a backup instead")

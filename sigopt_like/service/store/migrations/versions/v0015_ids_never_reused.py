"""Ids of deleted observations and queued suggestions are never given again (SQLite).

Revision ID: 0015
Revises: 0014

``observations`` and ``queued_suggestions`` are the tables whose rows are deleted. On
SQLite their ``id`` was a plain INTEGER PRIMARY KEY, which gives the next row the largest
id in the table plus one: deleting the newest row gave its id to the next one, so a
``GET`` of the deleted id answered with the new row and the ``after`` cursor of a list
skipped it. On SQLite both tables are rebuilt AUTOINCREMENT (Alembic's batch mode copies
the rows, their ids and the indexes); SQLite then never gives an id twice. Its counter
starts at the largest id kept: an id deleted before this upgrade and larger than every
kept one can still be given once more (nothing records it). PostgreSQL's sequences never
give an id twice: nothing changes there but the schema version.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

#: the tables whose rows are deleted at revision 0014 (frozen here: not read from schema.py)
TABLES = ("queued_suggestions", "observations")


def upgrade() -> None:
    """Rebuild the tables AUTOINCREMENT on SQLite; schema version 15."""
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            with op.batch_alter_table(
                table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
            ):
                pass
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value="15"))


def downgrade() -> None:
    """Not supported: restore a backup to go back."""
    raise NotImplementedError("downgrades are not supported; restore a backup instead")

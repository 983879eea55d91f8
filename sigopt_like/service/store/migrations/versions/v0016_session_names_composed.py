"""Session names stored decomposed are rewritten composed (NFC).

Revision ID: 0016
Revises: 0015

A session's name is kept in Unicode's composed form (NFC) since the service normalises
names it is given: "café" typed as e + a combining accent and as one code point is one
name, a 409 on the second, and found by a search in either form. A name stored before
that in another form stayed as it was: a search for it as typed composed did not find it,
and a new session of that same name was not a 409. This revision rewrites each such name
composed.

Names are unique per owner, and an owner may have stored both forms (then two sessions).
The one already composed keeps its name (it is the one found so far); otherwise the
lowest id gets it. Each other one is renamed to the composed name followed by
`` (session ID)`` (cut so that the whole fits the 200-character limit), which no other
session has; should one have it already, that session's name is left as stored. Nothing
but ``sessions.name`` and the schema version changes.
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

#: the length limit of a session's name at this revision (frozen: not read from schema.py)
MAX_NAME_LENGTH = 200


def composed_names(rows: list[tuple[int, int, str]]) -> dict[int, str]:
    """The new name of each session (id, owner, name) whose name is not composed, by id."""
    taken = {(owner, name) for _, owner, name in rows}
    renamed: dict[int, str] = {}
    for session_id, owner, name in sorted(rows):
        if unicodedata.is_normalized("NFC", name):
            continue
        wanted = unicodedata.normalize("NFC", name)
        if (owner, wanted) in taken:
            suffix = f" (session {session_id})"
            wanted = wanted[: MAX_NAME_LENGTH - len(suffix)] + suffix
            if (owner, wanted) in taken:
                continue  # kept as stored: still its own session's name
        taken.discard((owner, name))
        taken.add((owner, wanted))
        renamed[session_id] = wanted
    return renamed


def upgrade() -> None:
    """Rewrite the names that are not NFC; schema version 16."""
    bind = op.get_bind()
    sessions = sa.table(
        "sessions",
        sa.column("id", sa.Integer),
        sa.column("owner_id", sa.Integer),
        sa.column("name", sa.String),
    )
    rows = [
        (int(r.id), int(r.owner_id), str(r.name))
        for r in bind.execute(sa.select(sessions.c.id, sessions.c.owner_id, sessions.c.name))
    ]
    for session_id, name in composed_names(rows).items():
        bind.execute(sessions.update().where(sessions.c.id == session_id).values(name=name))
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value="16"))


def downgrade() -> None:
    """Not supported: restore a backup to go back."""
    raise NotImplementedError("downgrades are not supported; restore a backup instead")

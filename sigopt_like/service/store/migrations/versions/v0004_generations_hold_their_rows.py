"""A generation holds its rows once, as codes; sessions count their changes.

Revision ID: 0004
Revises: 0003

Until now a design was kept in ``generations.design`` (JSON points) and again,
once its responses were in, as ``experiment_rows`` (one row per experiment,
each point as JSON). Each generation now holds all its rows once, in the form
the optimizer works in: ``codes`` (level index or units per parameter, see
``domain/codes.py``), ``responses`` and ``flags``, the design being its first
``design_rows`` rows. ``experiment_rows`` and ``generations.design`` go.
``sessions.version`` counts the changes of a campaign, so that a task checks
"nothing changed while I ran" without reading the campaign again, and
``sessions.best_response`` keeps the largest response measured (the sessions list
shows it without reading every experiment).

The encoding here is self-contained (from the space's JSON), so that this
migration keeps working whatever the code does later.
"""

from __future__ import annotations

import json
import math
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_FLAG = {("designed", True): "D", ("designed", False): "d", ("initial", False): "i"}


def _encoder(space_json: str | None) -> Any:
    params = json.loads(space_json)["parameters"] if space_json else []

    def code(param: dict[str, Any], value: Any) -> int:
        if param.get("type") == "unit":
            return int(value)
        for i, level in enumerate(param["values"]):
            if param.get("type") == "numerical":
                if math.isclose(float(level), float(value), rel_tol=1e-9, abs_tol=1e-9):
                    return i
            elif str(level) == str(value):
                return i
        raise ValueError(f"{value!r} is not a level of {param.get('name')!r}")

    def encode(point: list[Any]) -> list[int]:
        return [code(p, v) for p, v in zip(params, point, strict=True)]

    return encode


def upgrade() -> None:
    """Add the new columns, move every generation's rows into them, drop the old ones."""
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("best_response", sa.Float(), nullable=True))
    with op.batch_alter_table("generations") as batch:
        batch.add_column(sa.Column("codes", sa.Text(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("responses", sa.Text(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("flags", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("design_rows", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("uploaded", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    conn = op.get_bind()
    spaces: dict[int, str | None] = {
        row.id: row.space for row in conn.execute(sa.text("SELECT id, space FROM sessions"))
    }
    generations = conn.execute(
        sa.text("SELECT id, session_id, gen, design, validated FROM generations")
    ).all()
    for g in generations:
        encode = _encoder(spaces.get(g.session_id))
        rows = conn.execute(
            sa.text(
                "SELECT point, response, designed, kind FROM experiment_rows "
                "WHERE session_id = :sid AND gen = :gen ORDER BY seq"
            ),
            {"sid": g.session_id, "gen": g.gen},
        ).all()
        design = [list(p) for p in json.loads(g.design)["points"]] if g.design else []
        uploaded = bool(g.validated) if g.gen == 0 else any(bool(r.designed) for r in rows)
        flags = "".join(_FLAG.get((r.kind, bool(r.designed)), "f") for r in rows)
        codes = [encode(json.loads(r.point)) for r in rows]
        responses = [r.response for r in rows]
        if not uploaded:
            codes = [encode(p) for p in design] + codes
            responses = [None] * len(design) + responses
            flags = "D" * len(design) + flags
        conn.execute(
            sa.text(
                "UPDATE generations SET codes = :codes, responses = :responses, flags = :flags, "
                "design_rows = :design_rows, uploaded = :uploaded WHERE id = :id"
            ),
            {
                "codes": json.dumps(codes, separators=(",", ":")),
                "responses": json.dumps(responses, separators=(",", ":")),
                "flags": flags,
                "design_rows": len(design),
                "uploaded": uploaded,
                "id": g.id,
            },
        )
    op.execute(
        sa.text(
            "UPDATE sessions SET best_response = (SELECT MAX(response) FROM experiment_rows "
            "WHERE experiment_rows.session_id = sessions.id)"
        )
    )
    with op.batch_alter_table("generations") as batch:
        batch.drop_column("design")
    op.drop_index("ix_experiment_rows_session_id", table_name="experiment_rows")
    op.drop_table("experiment_rows")
    op.execute(sa.text("UPDATE meta SET value = '4' WHERE key = 'schema_version'"))


def downgrade() -> None:
    """Not supported: restore a backup to go back."""
    raise NotImplementedError("downgrades are not supported; restore a backup instead")

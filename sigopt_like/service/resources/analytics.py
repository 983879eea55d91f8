"""Analytics routes: POST starts an ``analytics`` task; GET lists the files; files download.

Files are served with the same auth as every call (no token in URLs).
"""

from __future__ import annotations

from typing import Any

import falcon
import sqlalchemy as sa

from ..campaign_store import load_campaign, session_row
from ..domain.campaign import Campaign, CampaignConflict
from ..errors import NotFound
from ..http import owner_id, parse_id, query_int, read_json
from ..store import schema
from ..task_kinds import file_json
from .tasks import start_task

A = schema.analytics_files


def _require_space(c: Campaign) -> None:
    if c.space is None:
        raise CampaignConflict(
            "space_required",
            "The session has no validated space yet: put a space first, then make analytics.",
        )


class AnalyticsResource:
    """POST /v1/sessions/{sid}/analytics (task) and GET (list of files of a generation)."""

    def __init__(self, context: Any) -> None:
        self.context = context

    def on_post(self, req: falcon.Request, resp: falcon.Response, sid: str) -> None:
        """Start rendering the analytics of the current generation."""
        read_json(req, required=False)
        start_task(self.context, req, resp, sid, "analytics", {}, _require_space)

    def on_get(self, req: falcon.Request, resp: falcon.Response, sid: str) -> None:
        """``{"object": "analytics", "gen", "files": [...]}`` for ``?gen=`` (default: latest)."""
        session_id = parse_id(sid, "session")
        with self.context.engine.connect() as conn:
            c = load_campaign(conn, session_id, owner_id(req))
            gen = query_int(req, "gen", None, minimum=0)
            if gen is None:
                gen = conn.execute(
                    sa.select(sa.func.max(A.c.gen)).where(A.c.session_id == session_id)
                ).scalar()
            rows = []
            if gen is not None:
                rows = conn.execute(
                    sa.select(
                        A.c.name, A.c.gen, A.c.content_type, sa.func.length(A.c.data).label("size")
                    )
                    .where(A.c.session_id == session_id, A.c.gen == gen)
                    .order_by(A.c.id)
                ).all()
        resp.media = {
            "object": "analytics",
            "gen": gen if gen is not None else max(c.gen, 0),
            "files": [
                file_json(session_id, r.gen, r.name, r.content_type, int(r.size or 0)) for r in rows
            ],
        }


class AnalyticsFile:
    """GET /v1/sessions/{sid}/analytics/files/{name}?gen=: the file's bytes."""

    def __init__(self, context: Any) -> None:
        self.context = context

    def on_get(self, req: falcon.Request, resp: falcon.Response, sid: str, name: str) -> None:
        """The file of generation ``gen`` (default: the latest generation that has it)."""
        session_id = parse_id(sid, "session")
        gen = query_int(req, "gen", None, minimum=0)
        with self.context.engine.connect() as conn:
            session_row(conn, session_id, owner_id(req))
            query = sa.select(A).where(A.c.session_id == session_id, A.c.name == name)
            if gen is not None:
                query = query.where(A.c.gen == gen)
            row = conn.execute(query.order_by(A.c.gen.desc()).limit(1)).first()
        if row is None:
            where = f" of generation {gen}" if gen is not None else ""
            raise NotFound(f"No analytics file {name!r}{where}: start an analytics task first.")
        resp.content_type = row.content_type
        resp.data = bytes(row.data)
        resp.set_header("Content-Disposition", f'attachment; filename="{row.name}"')


def register(app: falcon.App, context: Any) -> None:
    """Add the analytics routes."""
    app.add_route("/v1/sessions/{sid}/analytics", AnalyticsResource(context))
    app.add_route("/v1/sessions/{sid}/analytics/files/{name}", AnalyticsFile(context))

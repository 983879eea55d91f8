"""Analytics routes: POST starts an ``analytics`` task; GET lists the files; files download.

Files are served with the same auth as every call (no token in URLs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import falcon

from ..domain.campaign import Campaign, CampaignConflict
from ..errors import NotFound
from ..http import field, owner_id, parse_id, query_int, read_json, reject_unknown
from ..store.analytics import AnalyticsStore
from ..store.campaigns import CampaignStore
from ..store.sessions import SessionStore
from ..task_kinds import file_json
from .campaign import GENERATIONS
from .lazy import OwnedSession
from .tasks import TaskStarter


def _require_space(c: Campaign) -> None:
    if c.space is None:
        raise CampaignConflict(
            "space_required",
            "The session has no validated space yet: put a space first, then make analytics.",
        )


def _analytics_check(gen: int | None) -> Callable[[Campaign], None]:
    """The check before an analytics task starts: a space, and ``gen`` already reached."""

    def check(c: Campaign) -> None:
        _require_space(c)
        if gen is not None and gen > max(c.gen, 0):
            raise CampaignConflict(
                "generation_not_reached",
                f"The session is at generation {max(c.gen, 0)}; there are no analytics "
                f"of generation {gen} to make yet.",
            )

    return check


class AnalyticsResource:
    """POST /v1/sessions/{sid}/analytics (task) and GET (list of files of a generation)."""

    #: the door leaves a top-level integer past 64 bits to ``gen``'s check (its range)
    fields_judge_integers = True

    def __init__(
        self, campaigns: CampaignStore, analytics: AnalyticsStore, starter: TaskStarter
    ) -> None:
        self._campaigns = campaigns
        self._analytics = analytics
        self._starter = starter
        self.judge_path = starter.owned_session  # a 404 whatever the body (lazy)

    def on_post(self, req: falcon.Request, resp: falcon.Response, sid: str) -> None:
        """Start rendering the analytics of generation ``gen`` (default: the current one)."""
        self._starter.require_session(req, sid)  # 404 before looking at the body
        body = read_json(req, required=False)
        reject_unknown(body, {"gen"})
        gen = field(body, "gen", int, within=GENERATIONS)
        params = {} if gen is None else {"gen": gen}
        self._starter.start(req, resp, sid, "analytics", params, _analytics_check(gen))

    def on_get(self, req: falcon.Request, resp: falcon.Response, sid: str) -> None:
        """``{"object": "analytics", "gen", "files": [...]}`` for ``?gen=`` (default: latest).

        With no files made yet ``gen`` is the session's own generation (-1 before a space,
        as the session says; it said 0 before)."""
        session_id = parse_id(sid, "session")
        c = self._campaigns.load(session_id, owner_id(req))
        gen = query_int(req, "gen", None, within=GENERATIONS)
        if gen is None:
            gen = self._analytics.latest_gen(session_id)
        files = self._analytics.listing(session_id, gen) if gen is not None else []
        resp.media = {
            "object": "analytics",
            "gen": gen if gen is not None else c.gen,
            "files": [file_json(session_id, f.gen, f.name, f.content_type, f.size) for f in files],
        }


class AnalyticsFile:
    """GET /v1/sessions/{sid}/analytics/files/{name}?gen=: the file's bytes."""

    def __init__(self, sessions: SessionStore, analytics: AnalyticsStore) -> None:
        self._sessions = sessions
        self._analytics = analytics
        # the session only, not the file: which one is asked depends on ``?gen``, a query a
        # judge must not read (read there, ``?gen=%ff`` or ``?gen=1&gen=2`` took the place
        # of the door's own refusal for the session's owner)
        self.judge_path = OwnedSession(sessions)

    def on_get(self, req: falcon.Request, resp: falcon.Response, sid: str, name: str) -> None:
        """The file of generation ``gen`` (default: the latest generation that has it)."""
        session_id, gen = self._asked(req, sid)
        stored = self._analytics.file(session_id, name, gen)
        if stored is None:
            raise _no_file(name, gen)
        resp.content_type = stored.content_type
        resp.data = stored.data
        resp.set_header("Content-Disposition", f'attachment; filename="{stored.name}"')

    def on_head(self, req: falcon.Request, resp: falcon.Response, sid: str, name: str) -> None:
        """The GET's status and headers, its Content-Length the file's stored size: the
        bytes (a plot, megabytes of table) are not read (before, HEAD ran the GET)."""
        session_id, gen = self._asked(req, sid)
        info = self._analytics.file_info(session_id, name, gen)
        if info is None:
            raise _no_file(name, gen)
        resp.content_type = info.content_type
        resp.content_length = info.size
        resp.set_header("Content-Disposition", f'attachment; filename="{info.name}"')

    def _asked(self, req: falcon.Request, sid: str) -> tuple[int, int | None]:
        """The caller's session and the generation asked for (a 404 for another's)."""
        session_id = parse_id(sid, "session")
        self._sessions.get(owner_id(req), session_id)  # a 404 whatever the query
        return session_id, query_int(req, "gen", None, within=GENERATIONS)


def _no_file(name: str, gen: int | None) -> NotFound:
    where = f" of generation {gen}" if gen is not None else ""
    return NotFound(f"No analytics file {name!r}{where}: start an analytics task first.")


def register(app: falcon.App, context: Any) -> None:
    """Add the analytics routes."""
    store = context.store
    starter = TaskStarter(store, context.runner)
    app.add_route(
        "/v1/sessions/{sid}/analytics",
        AnalyticsResource(store.campaigns, store.analytics, starter),
    )
    app.add_route(
        "/v1/sessions/{sid}/analytics/files/{name}", AnalyticsFile(store.sessions, store.analytics)
    )

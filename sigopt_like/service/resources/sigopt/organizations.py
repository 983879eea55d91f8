"""/v1/organizations and /v1/organizations/{oid}: the caller's organization.

sigopt-python's ``conn.organizations().fetch()`` lists the organizations a token
belongs to, and ``conn.organizations(id).fetch()`` reads one. This service has no
teams: each user is its own client (``/v1/clients/{cid}``, the user's id), and so
its own organization, with the same id. Another id is a 404, as another user's
client is.
"""

from __future__ import annotations

from typing import Any

import falcon

from ...errors import NotFound
from .common import caller, whole_or_paged


def organization(context: Any, owner: int) -> dict[str, Any]:
    return {
        "object": "organization",
        "id": str(owner),
        "name": f"organization {owner}",
        "created": context.store.accounts.user(owner).created,
        "deleted": False,
    }


class Organizations:
    """GET /v1/organizations: the caller's one organization."""

    def __init__(self, context: Any) -> None:
        self.context = context

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        owner = caller(req, self.context)
        resp.media = whole_or_paged([organization(self.context, owner)], req)


class OrganizationItem:
    """GET /v1/organizations/{oid}: the caller's organization, else a 404."""

    def __init__(self, context: Any) -> None:
        self.context = context

    def on_get(self, req: falcon.Request, resp: falcon.Response, oid: str) -> None:
        owner = caller(req, self.context)
        if oid != str(owner):
            raise NotFound(
                f"No organization with id {oid!r} for this token.",
                detail={"field": "organization"},
            )
        resp.media = organization(self.context, owner)

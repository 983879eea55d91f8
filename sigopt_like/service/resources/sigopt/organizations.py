"""/v1/organizations and /v1/organizations/{oid}: the caller's organization.

sigopt-python's ``conn.organizations().fetch()`` lists the organizations a token
belongs to, and ``conn.organizations(id).fetch()`` reads one. This service has no
teams: each user is its own client (``/v1/clients/{cid}``, the user's id), and so
its own organization, with the same id. Another id is a 404, as another user's
client is. SigOpt's lists of an organization's experiments and training runs are
the client's lists.
"""

from __future__ import annotations

from typing import Any

import falcon

from ...errors import NotFound
from ...store.sigopt import SigoptStore
from .clients import list_runs
from .common import caller, id_shown, is_own_id, whole_or_paged
from .experiments import list_experiments


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
        resp.media = organization(self.context, organization_of(req, self.context, oid))


def organization_of(req: falcon.Request, context: Any, oid: str) -> int:
    """The caller, when ``oid`` is the caller's organization (its own id); a 404 else."""
    owner = caller(req, context)
    if not is_own_id(oid, owner):
        raise NotFound(
            f"No organization with id {id_shown(oid)} for this token.",
            detail={"field": "organization"},
        )
    return owner


class OrganizationExperiments:
    """GET /v1/organizations/{oid}/experiments: the organization's experiments (its one
    client's), with the query of /v1/experiments."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_get(self, req: falcon.Request, resp: falcon.Response, oid: str) -> None:
        resp.media = list_experiments(self.store, req, organization_of(req, self.context, oid))


class OrganizationRuns:
    """GET /v1/organizations/{oid}/training_runs: the organization's training runs of
    every project, with the query of /v1/clients/{cid}/training_runs."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_get(self, req: falcon.Request, resp: falcon.Response, oid: str) -> None:
        owner = organization_of(req, self.context, oid)
        with self.store.read() as unit:
            resp.media = list_runs(unit, req, owner, None)

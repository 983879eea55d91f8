"""SigOpt's tags: ``/v1/clients/{cid}/tags`` (create, list) and a run's tags
(``POST /v1/training_runs/{rid}/tags``, ``DELETE /v1/training_runs/{rid}/tags/{tid}``).

As SigOpt's ``ClientsTagsCreateHandler``, ``ClientsTagsListHandler`` and
``TrainingRunsAddTagHandler`` / ``TrainingRunsRemoveTagHandler``: a tag is a name
(unique among the client's: another with the same name is a 409) and a colour; a run
lists its tags' ids in ``tags``. Adding a tag the client does not have is a 422,
removing one it does not have a 404; each answers the tag. Adding a tag a run has, or
removing one it does not have, changes nothing.
"""

from __future__ import annotations

from typing import Any

import falcon

from ...domain import sigopt_rules as rules
from ...domain import sigopt_tags as tag_rules
from ...domain.sigopt_checks import known_fields
from ...errors import BadRequest, Conflict
from ...http import now, read_json, render_page
from ...store.sigopt import SigoptStore, SigoptUnit
from ...store.sigopt_tags import TagRecord
from . import render_runs
from .clients import client_of
from .common import body_id, caller, id_order, invalid, not_found, path_id, rule_error, sigopt_page
from .runs import run_of

#: what ``POST /v1/training_runs/{rid}/tags`` takes: the tag's id (as SigOpt's)
ADD_FIELDS = ("id",)


class ClientTags:
    """POST/GET /v1/clients/{cid}/tags."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_post(self, req: falcon.Request, resp: falcon.Response, cid: str) -> None:
        """A new tag: ``name`` and ``color`` (``#RRGGBB``), both required."""
        owner = client_of(req, self.context, cid)
        try:
            name, color = tag_rules.tag_create(read_json(req))
        except rules.RuleError as err:
            raise rule_error(err) from err
        with self.store.write() as unit:
            row = unit.tags.create_new(owner, name, color, now())
        if row is None:
            raise Conflict(f"The tag with name `{name}` already exists.", detail={"field": "name"})
        resp.media = render_runs.tag(row)
        resp.status = falcon.HTTP_201

    def on_get(self, req: falcon.Request, resp: falcon.Response, cid: str) -> None:
        """The client's tags by id, newest first unless ``ascending`` (``sort``: id)."""
        owner = client_of(req, self.context, cid)
        request, ascending = sigopt_page(req), id_order(req)
        with self.store.read() as unit:
            page = unit.tags.page(owner, request, ascending=ascending)
        resp.media = render_page(page, render_runs.tag)


def _tag_of(unit: SigoptUnit, owner: int, tid: int | None) -> TagRecord | None:
    return None if tid is None else unit.tags.get(owner, tid)


def tag_of(unit: SigoptUnit, owner: int, raw_id: str) -> TagRecord:
    """The caller's tag with this path id, or a 404."""
    tag = _tag_of(unit, owner, path_id(raw_id, "tag"))
    if tag is None:
        raise not_found("tag", raw_id)
    return tag


def _set_tag(unit: SigoptUnit, owner: int, rid: str, tid: int, present: bool) -> None:
    """Add (``present``) or remove the tag in the run's ``tags``; no change when it is
    already so."""
    run = run_of(unit, rid, owner)
    had: list[str] = run.fields.get("tags", [])
    tags = [*had, str(tid)] if present and str(tid) not in had else had
    if not present:
        tags = [t for t in had if t != str(tid)]
    if tags != had:
        unit.runs.update(run.id, {"fields": {**run.fields, "tags": tags}}, now())


class RunTags:
    """POST /v1/training_runs/{rid}/tags ``{"id": <tag id>}``: tag the run."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_post(self, req: falcon.Request, resp: falcon.Response, rid: str) -> None:
        owner = caller(req, self.context)
        body = read_json(req)
        with self.store.write() as unit:
            run_of(unit, rid, owner)  # another's or an unknown run: a 404 before the body
            try:
                known_fields(body, ADD_FIELDS, "", "tag")
            except rules.RuleError as err:
                raise rule_error(err) from err
            if body.get("id") is None:
                raise BadRequest(
                    "'id' is required: the id of the tag to add.", detail={"field": "id"}
                )
            tid = body_id(body["id"], "id")
            tag = _tag_of(unit, owner, tid)
            if tag is None:
                raise invalid(
                    f"The tag with id {tid} cannot be added to this training run because it "
                    "does not exist (POST /v1/clients/{client}/tags makes one).",
                    "id",
                )
            _set_tag(unit, owner, rid, tag.id, present=True)
        resp.media = render_runs.tag(tag)


class RunTagItem:
    """DELETE /v1/training_runs/{rid}/tags/{tid}: untag the run."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_delete(self, req: falcon.Request, resp: falcon.Response, rid: str, tid: str) -> None:
        owner = caller(req, self.context)
        with self.store.write() as unit:
            run_of(unit, rid, owner)
            tag = tag_of(unit, owner, tid)
            _set_tag(unit, owner, rid, tag.id, present=False)
        resp.media = render_runs.tag(tag)

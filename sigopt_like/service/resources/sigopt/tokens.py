"""/v1/experiments/{eid}/tokens: SigOpt's experiment token, a guest token to share.

``conn.experiments(id).tokens().create()`` makes a token that reads this one
experiment (its suggestions, observations, best assignments, ...) and nothing else:
what SigOpt's "share experiment" link carries. The middleware
(:mod:`sigopt_like.service.middleware.auth`) holds it to that. It is a token of the
experiment's owner, shown once like every token, listed by ``sigopt-like tokens
list`` with its experiment, and revoked like any other. It expires ``guest_token_days``
after its making (30, as SigOpt's; ``expires`` in the answer says when, and is kept
with the token, so a later ``serve`` with another lifetime does not move it); this
service's API tokens do not.
"""

from __future__ import annotations

from typing import Any

import falcon

from sigopt_like.json_kinds import path_key

from ...errors import BadRequest
from ...http import read_json
from ...store.sigopt import SigoptStore
from . import render_runs
from .common import caller, experiment_of

GUEST_TOKEN_NAME = "guest"


class ExperimentTokens:
    """POST: a guest token of the experiment (the caller's own experiment only)."""

    def __init__(self, context: Any, store: SigoptStore) -> None:
        self.context = context
        self.store = store

    def on_post(self, req: falcon.Request, resp: falcon.Response, eid: str) -> None:
        owner = caller(req, self.context)
        for key in read_json(req, required=False):
            shown = path_key(str(key))
            raise BadRequest(
                f"'{shown}' is not a field of an experiment token: it is made from nothing "
                "but the experiment (send no body, or {}).",
                detail={"field": shown},
            )
        with self.store.read() as unit:
            experiment = experiment_of(unit, eid, owner)
        issued = self.context.store.accounts.issue_token(
            owner,
            GUEST_TOKEN_NAME,
            experiment_id=experiment.id,
            lifetime=self.context.settings.guest_token_seconds,
        )
        resp.media = render_runs.token(
            owner, issued.id, experiment.id, secret=issued.token, expires=issued.expires
        )
        resp.status = falcon.HTTP_201

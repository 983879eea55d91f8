"""SigOpt's routes this service does not serve, and what to use instead.

SigOpt's API (``zigopt/api/v1/routes.py`` of sigopt-server) has routes for teams
(organizations' members, invites and permissions; clients made and changed), users,
its web application (``web_data``, e-mail verifications), per-run tokens, recomputing
metric importances and more; sigopt-python's resource tree reaches a few paths SigOpt
itself does not serve (``conn.experiments(e).training_runs()``). Without this table each
was the router's bare "No route or object" 404 (or a 405 listing other methods), which
did not say whether the call was mistyped or not supported. :func:`unsupported` names
the route as not supported here and what to use instead; the error handler answers it
with the status the router chose (404, or 405 where the path takes other methods).
"""

from __future__ import annotations

import re

_ID = r"[^/]+"

_TEAMS = (
    "This service has no teams: each user is its own client and organization (same id, "
    "GET /v1/tokens/self names it), with no members, invites, roles or permissions to "
    "manage. Its administrator adds users and tokens: 'sigopt-like users create', "
    "'sigopt-like tokens create'."
)
_USERS = (
    "Users are managed by this service's administrator ('sigopt-like users create' and "
    "'sigopt-like users list'); GET /v1/tokens/self names the calling token's user and "
    "client."
)
_CLIENTS = (
    "Each user is its own client here: GET /v1/tokens/self names the caller's "
    "(sigopt-python: conn.tokens('self').fetch().client) and GET /v1/clients/{id} reads "
    "it; clients are not made, changed or deleted through the API ('sigopt-like users "
    "create' adds a user, and so a client)."
)
_TOKENS = (
    "API tokens are made with POST /v1/tokens (our client: conn.tokens.create()) or "
    "'sigopt-like tokens create', listed and revoked with 'sigopt-like tokens list' and "
    "'sigopt-like tokens revoke'; a read-only token of one experiment is made with "
    "POST /v1/experiments/{id}/tokens."
)
_RUN_TOKENS = (
    "Tokens of one training run are not supported by this service: a run is written "
    "with an API token (POST /v1/tokens, or 'sigopt-like tokens create'), and an "
    "experiment (with its runs' observations) is shared read-only with a guest token, "
    "POST /v1/experiments/{id}/tokens."
)
_IMPORTANCES = (
    "Importances are computed from the observations whenever they are read, so there "
    "is nothing to recompute: GET /v1/experiments/{id}/metric_importances (sigopt-python: "
    "conn.experiments(id).metric_importances().fetch()). SigOpt's PUT, which asks its "
    "workers to recompute them, is not supported by this service."
)
_WEB = (
    "This route of SigOpt's web application is not supported by this service; its "
    "dashboard ('sigopt-like dashboard', or / of a served instance) shows "
    "experiments and runs."
)
_EXPERIMENT_RUNS = (
    "Training runs are not served under an experiment (SigOpt has no such route either): "
    "a run is at /v1/training_runs/{id} (its checkpoints at .../checkpoints), an AI "
    "experiment's runs are made at POST /v1/aiexperiments/{id}/training_runs, and an "
    "experiment's runs are listed at GET /v1/clients/{client}/projects/{project}/"
    'training_runs?filters=[{"field": "experiment", "operator": "==", "value": "<id>"}] '
    "(sigopt-python: experiment.get_runs())."
)
_PROJECT_RUN = (
    "A training run is read and changed at /v1/training_runs/{id} (its checkpoints at "
    "/v1/training_runs/{id}/checkpoints), not under its project; the project's runs are "
    "listed at GET /v1/clients/{client}/projects/{project}/training_runs."
)
_ONE_EXPERIMENT = (
    "An experiment is read at /v1/experiments/{id} (an AI experiment at "
    "/v1/aiexperiments/{id}), not under its client or project; those paths list them."
)
_NO_ID = (
    "That resource of an experiment is one, read without an id after it: GET "
    "/v1/experiments/{id}/best_assignments, .../stopping_criteria, .../importances, "
    ".../metric_importances, /v1/aiexperiments/{id}/best_training_runs (sigopt-python: "
    "conn.experiments(id).best_assignments().fetch(), with no id in the last call); an "
    "experiment's guest token is made at POST /v1/experiments/{id}/tokens."
)
_ONE_TAG = (
    "A tag is read in its client's list, GET /v1/clients/{client}/tags; SigOpt has no "
    "route to read, rename or delete one tag, nor does this service. A run is given a tag "
    "at POST /v1/training_runs/{id}/tags and loses it at DELETE "
    "/v1/training_runs/{id}/tags/{tag}."
)
_RUN_LIST = (
    "Training runs are listed at GET /v1/clients/{client}/training_runs (every project) "
    "or GET /v1/clients/{client}/projects/{project}/training_runs (one project)."
)

_AI_CREATE = (
    "An AI experiment is made in a project, as in SigOpt: POST "
    "/v1/clients/{client}/projects/{project}/aiexperiments (sigopt-python: "
    "sigopt.create_aiexperiment(...), or conn.clients(c).projects(p).aiexperiments()"
    ".create(...)); GET /v1/aiexperiments lists them."
)
_BY_ID = (
    "One object is updated or deleted at its own path, with its id: "
    "/v1/experiments/{id}, /v1/aiexperiments/{id}, /v1/experiments/{id}/suggestions/{id}, "
    "/v1/experiments/{id}/observations/{id}, /v1/clients/{client}/projects/{id} "
    "(sigopt-python: conn.experiments(id).update(...), with the id in the last call); "
    "DELETE on a list of suggestions, queued suggestions or observations deletes them all."
)
_TOKEN_LIST = (
    "Tokens are not listed through the API: GET /v1/tokens/self reads the calling token "
    "(sigopt-python: conn.tokens('self').fetch()), and 'sigopt-like tokens list' lists "
    "a user's tokens."
)

#: (methods, or None for every method; the path, a regular expression; the reason)
UNSUPPORTED: tuple[tuple[frozenset[str] | None, re.Pattern[str], str], ...] = tuple(
    (None if methods is None else frozenset(methods.split()), re.compile(pattern), reason)
    for methods, pattern, reason in (
        ("PUT", rf"/v1/organizations/{_ID}", _TEAMS),
        (None, rf"/v1/organizations/{_ID}/(clients|memberships|invites|permissions)(/.*)?", _TEAMS),
        (None, rf"/v1/clients/{_ID}/(roles|permissions|pending_permissions|invites)(/.*)?", _TEAMS),
        ("GET POST", r"/v1/clients", _CLIENTS),
        ("PUT DELETE", rf"/v1/clients/{_ID}", _CLIENTS),
        (None, rf"/v1/clients/{_ID}/tokens(/.*)?", _TOKENS),
        ("PUT DELETE", rf"/v1/tokens/{_ID}", _TOKENS),
        ("GET", r"/v1/tokens", _TOKEN_LIST),
        ("POST", r"/v1/aiexperiments", _AI_CREATE),
        ("PUT DELETE", r"/v1/(ai)?experiments", _BY_ID),
        ("PUT", rf"/v1/experiments/{_ID}/(suggestions|observations)", _BY_ID),
        ("PUT", rf"/v1/clients/{_ID}/projects", _BY_ID),
        (None, r"/v1/users(/.*)?", _USERS),
        (
            None,
            r"/v1/pki_sessions(/.*)?",
            (
                "Client-certificate (PKI) sessions are not supported by this service: "
                "authenticate with an API token (HTTP Basic with the token as user name, as "
                "sigopt-python sends it, or 'Authorization: Bearer <token>')."
            ),
        ),
        (None, r"/v1/(verifications|web_data)(/.*)?", _WEB),
        (None, rf"/v1/experiments/{_ID}/best_practices", _WEB),
        (
            None,
            rf"/v1/experiments/{_ID}/hyperparameters",
            (
                "Deleting an experiment's hyperparameters is not supported by this service: "
                "an update keeps every parameter (see docs/sigopt.md, 'What differs from "
                "SigOpt'); create a new experiment to drop one."
            ),
        ),
        ("PUT POST DELETE", rf"/v1/experiments/{_ID}/(metric_)?importances", _IMPORTANCES),
        (None, rf"/v1/training_runs/{_ID}/tokens(/.*)?", _RUN_TOKENS),
        (None, rf"/v1/experiments/{_ID}/training_runs(/.*)?", _EXPERIMENT_RUNS),
        (
            None,
            rf"/v1/clients/{_ID}/projects/{_ID}/training_runs/(?!batch$){_ID}(/.*)?",
            _PROJECT_RUN,
        ),
        (
            None,
            rf"/v1/clients/{_ID}/(projects/{_ID}/)?(ai)?experiments/{_ID}(/.*)?",
            _ONE_EXPERIMENT,
        ),
        ("GET PUT DELETE POST", r"/v1/training_runs", _RUN_LIST),
        (None, rf"/v1/clients/{_ID}/tags/.+", _ONE_TAG),
        (
            None,
            rf"/v1/experiments/{_ID}/observations/{_ID}/batch",
            "A batch of observations is made at POST /v1/experiments/{id}/observations/batch "
            "(sigopt-python: conn.experiments(id).observations().create_batch(...), with no "
            "observation id).",
        ),
        (
            None,
            rf"/v1/(ai)?experiments/{_ID}/(best_assignments|best_training_runs|importances"
            r"|metric_importances|stopping_criteria|tokens)/.+",
            _NO_ID,
        ),
        (None, rf"/v1/aiexperiments/{_ID}/training_runs/.+", _PROJECT_RUN),
    )
)


def unsupported(method: str, path: str) -> str | None:
    """Why ``method path`` is not served, when it is one of SigOpt's routes (or a path
    sigopt-python reaches) that this service does not serve; None otherwise."""
    trimmed = path.rstrip("/") or path
    for methods, pattern, reason in UNSUPPORTED:
        if (methods is None or method in methods) and pattern.fullmatch(trimmed):
            return f"{method} {trimmed} is not supported by this service. {reason}"
    return None

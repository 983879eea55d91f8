"""Shared pieces of the security suite: the document's operations, a populated user."""

from __future__ import annotations

import json
import re
from typing import Any

from sigopt_like.service.resources.system import openapi_document
from tests.fixtures.api import ServiceApi
from tests.fixtures.objects import Objects
from tests.fixtures.objects import populate as populate_objects

#: the routes that need no token (liveness, readiness, metrics, and the three that a
#: caller needs before it has one: login, the API version, the API document)
PUBLIC_ROUTES = {
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/metrics"),
    ("GET", "/v1/version"),
    ("GET", "/v1/openapi.json"),
    ("POST", "/v1/login"),
    # the dashboard: its page and files, and cookie sign-in (they hold no user's data)
    ("GET", "/"),
    ("GET", "/assets/{name}"),
    ("GET", "/auth/me"),
    ("POST", "/auth/sign-in"),
    ("POST", "/auth/sign-out"),
    # a run's file upload: the one-time key in its URL is the credential (test_run_files)
    ("PUT", "/v1/files/{fid}/upload"),
}


def operations() -> list[tuple[str, str, dict]]:
    """Every (METHOD, path template, operation) of the OpenAPI document."""
    document = json.loads(openapi_document())
    return [
        (method.upper(), path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def fill(template: str, ids: dict[str, str]) -> str:
    """A path template with its parameters replaced from ``ids``."""
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], template)


Owned = Objects  # one user's objects, made through the API (see tests/fixtures/objects.py)


def populate(base: str, token: str, name: str) -> Owned:
    """One of everything, owned by ``token``'s user on the served instance at ``base``."""
    return populate_objects(ServiceApi(None, base, token), name)


#: a plausible body per operation, so that only ownership stands in the way
BODIES: dict[tuple[str, str], Any] = {
    ("PUT", "/v1/sessions/{sid}"): {"name": "taken over"},
    ("PUT", "/v1/sessions/{sid}/space"): {
        "space": {
            "type": "factorial",
            "parameters": [
                {"name": "a", "type": "numerical", "values": list(range(20))},
                {"name": "b", "type": "numerical", "values": list(range(20))},
            ],
        },
        "population_size": 10,
        "replicates": 0,
    },
    ("POST", "/v1/sessions/{sid}/experiments"): {
        "type": "designed",
        "table": {"columns": ["a", "Response"], "rows": [[1, 1.0]]},
    },
    ("POST", "/v1/sessions/{sid}/simulate"): {"ngens": 1},
    ("POST", "/v1/sessions/{sid}/responses/simulate"): {
        "table": {"columns": ["a", "Response"], "rows": [[1, None]]}
    },
    ("PUT", "/v1/experiments/{eid}"): {"name": "taken over"},
    ("POST", "/v1/experiments/{eid}/observations"): {"assignments": {"x": 0.5}, "value": 99.0},
    ("POST", "/v1/experiments/{eid}/observations/batch"): {
        "observations": [{"assignments": {"x": 0.5}, "value": 99.0}]
    },
    ("PUT", "/v1/experiments/{eid}/observations/{oid}"): {"value": 99.0},
    ("PUT", "/v1/experiments/{eid}/suggestions/{sid}"): {"metadata": {"k": "v"}},
    ("POST", "/v1/experiments/{eid}/queued_suggestions"): {"assignments": {"x": 0.5}},
    ("PUT", "/v1/aiexperiments/{eid}"): {"name": "taken over"},
    ("PUT", "/v1/training_runs/{rid}"): {"state": "failed"},
    ("PATCH", "/v1/training_runs/{rid}"): {"values": {"loss": {"value": 9.0}}},
    ("POST", "/v1/training_runs/{rid}/checkpoints"): {"values": [{"name": "m", "value": 1}]},
    ("POST", "/v1/training_runs/{rid}/files"): {
        "content_type": "image/png",
        "content_length": 3,
        "content_md5": "v/E5+gWsWD9oWlI6s9EQoA==",
    },
    ("POST", "/v1/clients/{cid}/projects"): {"id": "taken-over"},
    ("PUT", "/v1/clients/{cid}/projects/{pid}"): {"name": "taken over"},
    ("POST", "/v1/clients/{cid}/experiments"): {
        "name": "intruder",
        "parameters": [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
    },
    ("POST", "/v1/clients/{cid}/projects/{pid}/aiexperiments"): {
        "name": "intruder",
        "parameters": [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
        "metrics": [{"name": "m"}],
    },
    ("POST", "/v1/clients/{cid}/projects/{pid}/training_runs"): {"name": "intruder"},
    ("POST", "/v1/clients/{cid}/projects/{pid}/training_runs/batch"): {"runs": [{"name": "i"}]},
}

"""Schemathesis against the platform routes (system, auth, sessions) of a served instance.

Responses must match openapi.json: status codes, content types, bodies; schema-valid
requests must be accepted (so every body here is closed, ``additionalProperties: false``,
as the resources refuse unknown fields). The campaign and SigOpt routes are fuzzed by
their own tests.

Derandomized (the same cases every run) unless ``SIGOPT_LIKE_FUZZ_SEED`` picks a seed
(``SIGOPT_LIKE_FUZZ_SEED=3 python -m pytest tests/service/test_fuzz.py``).
"""

from __future__ import annotations

import json
import os

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, seed, settings  # noqa: E402

from sigopt_like.service.resources.system import openapi_document  # noqa: E402
from tests.fixtures.servers import serve_in_thread  # noqa: E402

SCHEMA = schemathesis.openapi.from_dict(json.loads(openapi_document())).include(
    tag_regex="^(system|auth|sessions)$"
)
# the document says strings never hold NUL (the door refuses it with a 400)
SCHEMA.config.generation.update(allow_x00=False)
FUZZ_SEED = os.environ.get("SIGOPT_LIKE_FUZZ_SEED")


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    instance = serve_in_thread(tmp_path_factory.mktemp("fuzz"))
    yield instance
    instance.close()


@SCHEMA.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=not FUZZ_SEED,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@seed(int(FUZZ_SEED or 0))
def test_platform_routes_match_the_document(case, fuzz_server):
    case.call_and_validate(base_url=fuzz_server.url, headers=fuzz_server.headers())


def test_platform_request_bodies_are_closed():
    """Every body of the fuzzed routes says ``additionalProperties: false``: the resources
    refuse a field they do not know, and the door refuses what it cannot store anywhere
    in the body (an int beyond int64...), so an open body would make valid-looking cases
    fail (schemathesis' ST202 "Schema-valid request rejected")."""
    document = json.loads(openapi_document())
    schemas = document["components"]["schemas"]
    open_bodies = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "requestBody" not in operation:
                continue
            if not {"system", "auth", "sessions"} & set(operation.get("tags", ())):
                continue
            for media in operation["requestBody"]["content"].values():
                schema = media["schema"]
                if "$ref" in schema:
                    schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
                if schema.get("additionalProperties") is not False:
                    open_bodies.append(f"{method.upper()} {path}")
    assert open_bodies == []

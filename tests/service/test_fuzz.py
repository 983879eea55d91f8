"""Schemathesis against the platform routes (system, auth, sessions) of a served instance.

Responses must match openapi.json: status codes, content types, bodies; schema-valid
requests must be accepted. The campaign and SigOpt routes are fuzzed by their own tests.
"""

from __future__ import annotations

import json

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402

from sigopt_like.service.resources.system import openapi_document  # noqa: E402
from tests.fixtures.servers import serve_in_thread  # noqa: E402

SCHEMA = schemathesis.openapi.from_dict(json.loads(openapi_document())).include(
    tag_regex="^(system|auth|sessions)$"
)
# the document says strings never hold NUL (the door refuses it with a 400)
SCHEMA.config.generation.update(allow_x00=False)


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    instance = serve_in_thread(tmp_path_factory.mktemp("fuzz"))
    yield instance
    instance.close()


@SCHEMA.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_platform_routes_match_the_document(case, fuzz_server):
    case.call_and_validate(base_url=fuzz_server.url, headers=fuzz_server.headers())

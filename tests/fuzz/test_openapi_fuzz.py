"""Schemathesis against the served OpenAPI document, every operation, in-process (WSGI).

For each operation of ``/v1/openapi.json``, hypothesis generates valid and invalid
requests (``max_examples`` each); every response must:

- not be a server error (no 5xx), whatever was sent;
- have a status the document lists for the operation;
- have the content type and headers the document promises;
- match the document's schema for that status;
- and a request that breaks the document (a negative case) must not succeed.

Two services are fuzzed: served mode (auth on; the cases carry a valid token)
and embedded mode (auth off). Half of the generated path ids are swapped for
ids of objects that exist (see ``seed.py``), so that the fuzzer reaches the
code behind the 404s.

Sizes: ``SIGOPT_LIKE_FUZZ_EXAMPLES`` (per operation, served; embedded gets half),
``SIGOPT_LIKE_FUZZ_SEED``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sigopt_like.service import create_app
from sigopt_like.service.resources.system import openapi_document
from tests.fixtures.api import ServiceApi
from tests.fixtures.faults import env_int, record_figures
from tests.fixtures.objects import Objects, populate
from tests.fixtures.servers import _new_user

pytestmark = [pytest.mark.fuzz, pytest.mark.timeout(900)]

EXAMPLES = env_int("SIGOPT_LIKE_FUZZ_EXAMPLES", 40)
#: unset: hypothesis derandomized (the same cases every run); set: that seed
FUZZ_SEED = os.environ.get("SIGOPT_LIKE_FUZZ_SEED")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


class Target:
    """A service to fuzz, the headers of its caller, ids that exist, and a tally."""

    def __init__(self, tmp: Path, auth: bool) -> None:
        self.mode = "served" if auth else "embedded"
        self.service = create_app(database=str(tmp / f"fuzz-{self.mode}.db"), auth_required=auth)
        self.headers: dict[str, str] = {}
        token = None
        if auth:
            _email, token = _new_user(self.service)
            self.headers = {"Authorization": f"Bearer {token}"}
        self.seeded: Objects = populate(ServiceApi(self.service, token=token), "fuzz", seed=3)
        self.cases = 0
        self.statuses: Counter[int] = Counter()
        self.operations: set[str] = set()
        self.lock = threading.Lock()
        self.schema: Any = None

    def close(self) -> None:
        self.service.close()
        record_figures(
            f"tests/fuzz/test_openapi_fuzz.py[{self.mode}]",
            mode=self.mode,
            examples_per_operation=EXAMPLES if self.mode == "served" else EXAMPLES // 2,
            operations=len(self.operations),
            fuzz_cases=self.cases,
            server_errors=sum(n for s, n in self.statuses.items() if s >= 500),
            statuses=dict(sorted(self.statuses.items())),
        )


@pytest.fixture(scope="module")
def served_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    target = Target(tmp_path_factory.mktemp("fuzz-served"), auth=True)
    yield target
    target.close()


@pytest.fixture(scope="module")
def embedded_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    target = Target(tmp_path_factory.mktemp("fuzz-embedded"), auth=False)
    yield target
    target.close()


def _operations() -> list[tuple[str, str]]:
    document = json.loads(openapi_document())
    return [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "head", "post", "put", "patch", "delete")
    ]


OPERATIONS = _operations()


def _strategy(target: Target, method: str, path: str) -> Any:
    """Valid and invalid cases of one operation (schemathesis' positive and negative modes)."""
    if target.schema is None:
        target.schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", target.service)
        # the document says strings never hold NUL (the door refuses it with a 400)
        target.schema.config.generation.update(allow_x00=False)
    operation = target.schema[path][method]
    strategies = [operation.as_strategy(GenerationMode.POSITIVE)]
    with contextlib.suppress(Exception):  # nothing to make invalid in this operation
        strategies.append(operation.as_strategy(GenerationMode.NEGATIVE))
    return st.one_of(strategies)


def _use_known_ids(case: Any, target: Target) -> None:
    """Swap the generated path ids for existing ones in about half of the cases."""
    if not case.path_parameters:
        return
    digest = hashlib.sha256(repr(sorted(case.path_parameters.items())).encode()).digest()
    if digest[0] % 2:
        return
    ids = target.seeded.ids_for(case.operation.path)
    for name in list(case.path_parameters):
        if name in ids:
            case.path_parameters[name] = ids[name]


def _fuzz(target: Target, method: str, path: str, examples: int) -> None:
    @given(case=_strategy(target, method, path))
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=not FUZZ_SEED,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
    )
    def run(case: Any) -> None:
        _use_known_ids(case, target)
        response = case.call(headers=target.headers)
        with target.lock:
            target.cases += 1
            target.statuses[response.status_code] += 1
            target.operations.add(f"{method} {path}")
        case.validate_response(response, checks=CHECKS, headers=target.headers)

    if FUZZ_SEED:
        run = seed(int(FUZZ_SEED))(run)
    run()


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_served_api_conforms(method: str, path: str, served_target: Target) -> None:
    _fuzz(served_target, method, path, EXAMPLES)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_embedded_api_conforms(method: str, path: str, embedded_target: Target) -> None:
    _fuzz(embedded_target, method, path, max(1, EXAMPLES // 2))

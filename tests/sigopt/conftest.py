"""Fixtures of the SigOpt API tests: one HTTP caller for the embedded and served service."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sigopt_like.service import Service
from sigopt_like.service.store import schema
from tests.fixtures.api import ServiceApi

COUNTED = (
    schema.sigopt_experiments,
    schema.suggestions,
    schema.queued_suggestions,
    schema.observations,
)

PARAMETERS = [
    {"name": "x", "type": "double", "bounds": {"min": -5, "max": 10}},
    {"name": "n", "type": "int", "bounds": {"min": 0, "max": 15}},
    {"name": "c", "type": "categorical", "categorical_values": ["a", {"name": "b"}, "c"]},
]


SCRIPTS = Path(__file__).parent / "scripts"


def run_sigopt_script(served: Any, cwd: Path, script: str, project: str, *args: str) -> Any:
    """Run ``scripts/<script>`` as sigopt-python's users do, configured by environment
    variables only (SIGOPT_API_URL, SIGOPT_API_TOKEN, SIGOPT_PROJECT); the JSON it prints
    last."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGOPT_")}
    env.update(
        SIGOPT_API_URL=served.url,
        SIGOPT_API_TOKEN=served.token,
        SIGOPT_PROJECT=project,
        SIGOPT_HOME=str(cwd / "sigopt-home"),
    )
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / script), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


class Api(ServiceApi):
    """Calls the SigOpt routes the way sigopt-python does (query params for GET and
    DELETE, JSON bodies otherwise, the token as the HTTP Basic username)."""

    def __init__(self, service: Service, url: str | None = None, token: str | None = None):
        super().__init__(service, url, token, basic_auth=True)

    def as_user(self, token: str) -> Api:
        """The same service, called with another user's token (served only)."""
        return Api(self.service, self.url, token)

    def counts(self) -> dict[str, int]:
        """Rows in the SigOpt tables, to check that a refusal wrote nothing."""
        with self.service.context.store.database.engine.connect() as conn:
            return {
                t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in COUNTED
            }

    def snapshot(self) -> dict[str, list[tuple]]:
        """Every row of the SigOpt tables, to check that a refusal changed nothing."""
        with self.service.context.store.database.engine.connect() as conn:
            return {t.name: [tuple(r) for r in conn.execute(sa.select(t))] for t in COUNTED}

    def create_experiment(self, **fields: Any) -> dict[str, Any]:
        """A new experiment (default: x double, n int, c categorical)."""
        body = {"name": "test", "parameters": PARAMETERS, **fields}
        reply = self.post("/v1/experiments", body)
        assert reply.status == 201, reply.body
        return reply.body


@pytest.fixture
def engine_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's whole answer even on a loaded machine (not the random fallback)."""
    from sigopt_like.service.resources.sigopt import suggestions

    monkeypatch.setattr(suggestions, "time_budget", lambda context, experiment: 120.0)


@pytest.fixture(params=["embedded", "served"])
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    """The SigOpt API of an embedded service (in-process) and of a served one (HTTP Basic)."""
    if request.param == "embedded":
        yield Api(request.getfixturevalue("service"))
    else:
        served = request.getfixturevalue("served")
        yield Api(served.service, served.url, served.token)

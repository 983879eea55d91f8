"""An embedded start loads what its first calls need, and nothing else (issue #12).

``Connection()`` on a database file and its first calls run the service in this
process; what only some other call needs (the Prometheus client and the HTTP server
modules of its exposition, the SigOpt API's resources, store, domain and client
models, the worker's command line, numpy, PostgreSQL's dialect) is loaded when that
call first comes. Each module named here was loaded at start before; the check runs in
a fresh interpreter, after the start and first calls a script makes (a list, a create
and a fetch).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

START = """
import json, sys
from sigopt_like import Connection
conn = Connection(database=sys.argv[1])
conn.sessions.list(limit=1)
sid = conn.sessions.create(name="start").id
assert conn.sessions(sid).fetch().name == "start"
loaded = sorted(m for m in json.loads(sys.argv[2]) if m in sys.modules)
conn.close()
print(json.dumps(loaded))
"""

#: module -> what needs it, loaded then
NOT_AT_START = {
    "prometheus_client": "GET /metrics (the counts are kept without it)",
    "wsgiref.simple_server": "prometheus_client's exposition",
    "http.server": "prometheus_client's exposition",
    "argparse": "the task worker's command line (its own process)",
    "sigopt_like.service.store.sigopt": "the SigOpt API's first request",
    "sigopt_like.service.store.sigopt_runs": "the SigOpt API's first request",
    "sigopt_like.service.resources.sigopt.experiments": "the SigOpt API's first request",
    "sigopt_like.service.resources.sigopt.suggester": "the SigOpt API's first request",
    "sigopt_like.service.domain.sigopt_rules": "the SigOpt API's first request",
    "sigopt_like.sigopt_models": "the SigOpt API's models (Experiment, ...), on first use",
    "numpy": "a campaign's stored codes (best, generate, the optimizer), on first read",
    "sqlalchemy.dialects.postgresql": "a PostgreSQL store (a role's name quoted for it)",
}


@pytest.fixture(scope="module")
def loaded_at_start(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    database = tmp_path_factory.mktemp("start") / "start.db"
    out = subprocess.run(
        [sys.executable, "-c", START, str(database), json.dumps(sorted(NOT_AT_START))],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("module", sorted(NOT_AT_START))
def test_an_embedded_start_does_not_load(module: str, loaded_at_start: set[str]) -> None:
    assert module not in loaded_at_start, f"{module} is for {NOT_AT_START[module]}"


def test_metrics_asked_later_count_the_calls_made_before(tmp_path: Path) -> None:
    from sigopt_like.service import create_app
    from tests.fixtures.api import ServiceApi

    with create_app(database=str(tmp_path / "m.db")) as service:
        api = ServiceApi(service)
        api.call("GET", "/health")
        api.call("GET", "/health")
        text = api.call("GET", "/metrics").text
    assert 'sigopt_like_http_requests_total{method="GET",route="/health",status="200"} 2.0' in text


def test_sigopt_models_are_names_of_models_as_before() -> None:
    import pickle

    import sigopt_like
    from sigopt_like import models, sigopt_models

    assert models.Experiment is sigopt_models.Experiment is sigopt_like.Experiment
    assert {"Experiment", "Suggestion", "Bounds", "Session"} <= set(dir(models))
    for name in models.SIGOPT_MODELS:
        assert getattr(models, name) is getattr(sigopt_models, name)
    experiment = models.Experiment.from_dict(
        {"id": "1", "parameters": [{"name": "x", "bounds": {"min": 0, "max": 1}}]}
    )
    assert isinstance(experiment.parameters[0].bounds, models.Bounds)
    assert pickle.loads(pickle.dumps(experiment)) == experiment
    # a pickle made when the class lived in sigopt_like.models still loads
    old = pickle.dumps(experiment, protocol=0).replace(
        b"sigopt_like.sigopt_models", b"sigopt_like.models"
    )
    assert b"sigopt_like.models\nExperiment" in old
    assert pickle.loads(old) == experiment


def test_a_service_reads_its_dashboard_and_compiles_point_reads_when_first_needed(
    tmp_path: Path,
) -> None:
    """The dashboard's files are read by the first request for one, and a point read is
    compiled on its first run: an embedded start listing sessions does neither."""
    from sigopt_like.service import create_app
    from sigopt_like.service.dashboard.assets import Shell
    from tests.fixtures.api import ServiceApi

    with create_app(database=str(tmp_path / "d.db")) as service:
        api = ServiceApi(service)
        store = service.context.store
        assert api.call("GET", "/v1/sessions").status == 200
        shell = service.app._router.find("/")[0]
        assert isinstance(shell, Shell)
        assert not shell._files.loaded
        assert store.idempotency._find._compiled is None
        assert store.accounts._token._compiled is None
        page = api.call("GET", "/")
        assert page.status == 200 and page.headers["ETag"]
        assert shell._files.loaded
        created = api.call("POST", "/v1/sessions", {"name": "d"}, headers={"Idempotency-Key": "k"})
        assert created.status == 201
        assert store.idempotency._find._compiled is not None

"""An embedded start loads what its first calls need, and nothing else (issue #12).

``Connection()`` on a database file and its first calls run the service in this
process; what only some other call needs (the Prometheus client and the HTTP server
modules of its exposition, the SigOpt API's resources, store and domain, the worker's
command line) is loaded when that call first comes. Each module named
here was loaded at start before; the check runs in a fresh interpreter, after the start
and first calls a script makes (a list, a create and a fetch).
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

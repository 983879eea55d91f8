"""Concurrent suggestion requests of one experiment share one optimizer call.

20 sigopt-python clients of one experiment on a loaded 2-core machine got 45 of 200
suggestions from the random fallback: each request ran its own model fit, side by side,
and each ran out of its time budget. Requests that wait together are now served by one
engine call that chooses a different point for each. The proof counts engine calls
(``sigopt_like_suggestion_batch_size``), not seconds, so that a slow machine cannot
make it pass or fail: the time budget here is long enough for any machine.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import requests

from sigopt_like.service import create_app
from tests.fixtures.servers import IN_THREADS, serve_in_thread

from .conftest import Api

CLIENTS = 8
PATIENT = {"suggestion_time_budget_seconds": 120.0}
#: five doubles: past the space-filling start (10 points), the model chooses
PARAMETERS = [{"name": f"x{i}", "type": "double", "bounds": {"min": 0, "max": 1}} for i in range(5)]


def _observed_experiment(api: Api) -> str:
    """An experiment with 30 observations, so that a suggestion needs a model fit."""
    e = api.create_experiment(parameters=PARAMETERS, parallel_bandwidth=CLIENTS, seed=11)
    points = [{f"x{i}": ((k * (i + 3)) % 31) / 30 for i in range(5)} for k in range(30)]
    body = {
        "observations": [
            {"assignments": p, "value": -sum((v - 0.3) ** 2 for v in p.values())} for p in points
        ]
    }
    made = api.post(f"/v1/experiments/{e['id']}/observations/batch", body)
    assert made.status == 201, made.body
    return str(e["id"])


def _sample(text: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert found, f"{name} is not in /metrics"
    return float(found.group(1))


def _at_once(call: Any) -> list[Any]:
    """``call()`` in CLIENTS threads released together; their answers."""
    start = threading.Barrier(CLIENTS)
    answers: list[Any] = []

    def run() -> None:
        start.wait(30)
        answers.append(call())

    threads = [threading.Thread(target=run) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    return answers


def _check(points: list[dict], metrics: str) -> None:
    assert len(points) == CLIENTS
    assert len({tuple(sorted(p.items())) for p in points}) == CLIENTS  # all different
    # every one the optimizer's: no fallback, and no random point replacing a duplicate
    counted = r'^sigopt_like_suggestion_choices_total\{source="(\w+)"\} (\S+)$'
    choices = re.findall(counted, metrics, re.MULTILINE)
    assert choices == [("optimizer", f"{float(CLIENTS)}")], choices
    # fewer engine calls than requests: requests that waited together shared one
    calls = _sample(metrics, "sigopt_like_suggestion_batch_size_count")
    assert _sample(metrics, "sigopt_like_suggestion_batch_size_sum") == CLIENTS
    assert 1 <= calls < CLIENTS


def test_concurrent_clients_of_a_served_experiment_share_engine_calls(tmp_path: Path):
    """sigopt-python's way: each client POSTs /v1/experiments/{id}/suggestions (HTTP
    Basic) to a real server on 127.0.0.1 (waitress threads)."""
    served = serve_in_thread(tmp_path, **PATIENT)
    try:
        api = Api(served.service, served.url, served.token)
        eid = _observed_experiment(api)
        url = f"{served.url}/v1/experiments/{eid}/suggestions"

        def suggest() -> dict:
            reply = requests.post(url, json={}, auth=(served.token, ""), timeout=180)
            assert reply.status_code == 201, reply.text
            return dict(reply.json()["assignments"])

        points = _at_once(suggest)
        metrics = requests.get(f"{served.url}/metrics", timeout=30).text
        stored = api.get(f"/v1/experiments/{eid}/suggestions", state="open").body
    finally:
        served.close()
    _check(points, metrics)
    assert stored["count"] == CLIENTS  # each request stored its own suggestion


def test_concurrent_requests_of_an_embedded_experiment_share_engine_calls(tmp_path: Path):
    """In-process callers (threads of one program on the embedded service) coalesce the
    same way."""
    with create_app(database=str(tmp_path / "e.db"), **PATIENT, **IN_THREADS) as service:
        api = Api(service)
        eid = _observed_experiment(api)
        base = f"/v1/experiments/{eid}/suggestions"

        def suggest() -> dict:
            reply = api.post(base)
            assert reply.status == 201, reply.body
            return dict(reply.body["assignments"])

        points = _at_once(suggest)
        metrics = service.context.metrics.render().decode()
    _check(points, metrics)

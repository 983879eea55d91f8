"""The served fixtures start, answer and stop."""

import requests


def test_served_answers_with_auth(served):
    assert requests.get(f"{served.url}/health", timeout=5).json()["status"] == "ok"
    r = requests.get(f"{served.url}/v1/sessions", headers=served.headers(), timeout=5)
    assert r.status_code == 200, r.text
    assert requests.get(f"{served.url}/v1/sessions", timeout=5).status_code == 401


def test_served_process_restarts(served_process):
    r = requests.post(
        f"{served_process.url}/v1/sessions",
        json={"name": "s"},
        headers=served_process.headers(),
        timeout=5,
    )
    assert r.status_code == 201, r.text
    served_process.restart()
    r = requests.get(
        f"{served_process.url}/v1/sessions", headers=served_process.headers(), timeout=5
    )
    assert r.json()["count"] == 1

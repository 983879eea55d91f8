"""BPTK's instances with timeouts, and what this service has instead.

BPTK's server (seed 004) keeps each simulation instance in memory and deletes one left
unaccessed for its ``timeout`` (``POST /start-instance {"timeout": {...}}``, reset by
``POST /{instance_uuid}/keep-alive``). This service has no such instances: a session is a
design-of-experiments campaign stored in the database, holding no memory while idle, and
a lab's generations may be weeks apart, so it never expires. A timeout asked for is
refused, saying so, rather than accepted and ignored; BPTK's instance routes are the
service's JSON 404. What does expire when idle is listed in docs/reliability.md ("Idle
state"). Against a real server on 127.0.0.1, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
import requests

import sigopt_like
from tests.fixtures.servers import ServedInstance

pytestmark = [pytest.mark.reliability]

BPTK_TIMEOUT = {"minutes": 5}


def test_a_session_timeout_is_refused_saying_sessions_do_not_expire(
    served_on_either: ServedInstance,
) -> None:
    served = served_on_either
    headers = served.headers()
    sessions = f"{served.url}/v1/sessions"
    made = requests.post(sessions, json={"name": "kept"}, headers=headers, timeout=30)
    assert made.status_code == 201, made.text
    sid = made.json()["id"]
    before = requests.get(f"{sessions}/{sid}", headers=headers, timeout=30).json()
    for method, url, body in (
        ("POST", sessions, {"name": "with-timeout", "timeout": BPTK_TIMEOUT}),
        ("PUT", f"{sessions}/{sid}", {"description": "x", "timeout": BPTK_TIMEOUT}),
    ):
        refused = requests.request(method, url, json=body, headers=headers, timeout=30)
        assert refused.status_code == 400, refused.text
        error = refused.json()
        assert error["object"] == "error" and error["detail"]["field"] == "timeout", error
        assert error["message"].startswith("Sessions do not time out"), error
        assert "halt" in error["message"], error
    listed = requests.get(sessions, headers=headers, timeout=30).json()
    assert [s["name"] for s in listed["data"]] == ["kept"]  # nothing made
    after = requests.get(f"{sessions}/{sid}", headers=headers, timeout=30).json()
    assert after == before  # nothing changed
    # our client refuses it before sending: its update takes name and description only
    with (
        sigopt_like.Connection(served.url, served.token) as conn,
        pytest.raises(TypeError, match="unexpected keyword argument 'timeout'"),
    ):
        conn.sessions(sid).update(description="x", timeout=BPTK_TIMEOUT)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/start-instance"),
        ("POST", "/{uuid}/keep-alive"),
        ("POST", "/{uuid}/begin-session"),
        ("POST", "/{uuid}/run-step"),
        ("POST", "/v1/sessions/{sid}/keep-alive"),
    ],
)
def test_bptk_instance_routes_are_the_json_404(
    served: ServedInstance, method: str, path: str
) -> None:
    headers = served.headers()
    made = requests.post(
        f"{served.url}/v1/sessions", json={"name": "s"}, headers=headers, timeout=30
    )
    url = served.url + path.format(
        uuid="0f8fad5b-d9cb-469f-a165-70867728950e", sid=made.json()["id"]
    )
    answer = requests.request(
        method, url, json={"timeout": BPTK_TIMEOUT}, headers=headers, timeout=30
    )
    assert answer.status_code == 404, answer.text
    assert answer.json()["object"] == "error" and answer.json()["code"] == "not_found"

"""The service goes on writing and listing past 2038-01-19 03:14:08 UTC (2**31 unix
seconds), on SQLite and on PostgreSQL alike.

Before, every time column (``created``, ``updated``, ...) was INTEGER, 32 bits on
PostgreSQL: from that second on, every write there failed with "integer out of range"
(a 500), and ``period_start``/``period_end`` past 2**31 - 1 were a 400.
"""

from __future__ import annotations

import time

import pytest
import requests

from tests.fixtures.servers import ServedInstance

#: 2040-01-01 00:00:00 UTC
IN_2040 = 2_208_988_800
PARAMETERS = [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}]


@pytest.fixture
def in_2040(monkeypatch: pytest.MonkeyPatch) -> int:
    """The service's clock (``time.time``) moved to 2040, still ticking; its start."""
    offset = IN_2040 - time.time()
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + offset)
    return IN_2040


def _call(served: ServedInstance, method: str, path: str, **kw) -> requests.Response:
    headers = {"Authorization": f"Bearer {served.token}"}
    return requests.request(method, f"{served.url}{path}", headers=headers, timeout=30, **kw)


def test_writes_and_period_lists_go_on_past_2038(
    served_on_either: ServedInstance, in_2040: int
) -> None:
    made = _call(served_on_either, "POST", "/v1/sessions", json={"name": "in 2040"})
    assert made.status_code == 201, made.text
    session = made.json()
    assert session["created"] >= in_2040 > 2**31
    assert (
        _call(served_on_either, "GET", f"/v1/sessions/{session['id']}").json()["name"] == "in 2040"
    )
    token = _call(served_on_either, "POST", "/v1/tokens", json={"name": "2040"})
    assert token.status_code == 201, token.text

    made = _call(
        served_on_either,
        "POST",
        "/v1/experiments",
        json={"name": "e", "parameters": PARAMETERS, "observation_budget": 2},
    )
    assert made.status_code == 201, made.text
    experiment = made.json()
    assert experiment["created"] >= in_2040
    eid = experiment["id"]
    suggestion = _call(served_on_either, "POST", f"/v1/experiments/{eid}/suggestions")
    assert suggestion.status_code == 201, suggestion.text
    observation = _call(
        served_on_either,
        "POST",
        f"/v1/experiments/{eid}/observations",
        json={"suggestion": suggestion.json()["id"], "value": 1.0},
    )
    assert observation.status_code == 201, observation.text
    renamed = _call(served_on_either, "PUT", f"/v1/experiments/{eid}", json={"name": "renamed"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["updated"] >= in_2040

    cid = _call(served_on_either, "GET", "/v1/tokens/self").json()["client"]
    for path in ("/v1/experiments", f"/v1/clients/{cid}/experiments"):
        inside = _call(
            served_on_either, "GET", path, params={"period_start": 2**31, "period_end": 2**40}
        )
        assert inside.status_code == 200, inside.text
        assert [e["id"] for e in inside.json()["data"]] == [eid]
        after = _call(served_on_either, "GET", path, params={"period_start": in_2040 + 10**6})
        assert after.status_code == 200, after.text
        assert after.json()["data"] == []
        before = _call(served_on_either, "GET", path, params={"period_end": 2**31})
        assert before.status_code == 200, before.text
        assert before.json()["data"] == []
        widest = _call(served_on_either, "GET", path, params={"period_end": 2**63 - 1})
        assert [e["id"] for e in widest.json()["data"]] == [eid], widest.text


@pytest.mark.parametrize("name", ["period_start", "period_end"])
def test_a_period_past_64_bits_is_a_400_naming_it(
    served_on_either: ServedInstance, name: str
) -> None:
    reply = _call(served_on_either, "GET", "/v1/experiments", params={name: str(2**63)})
    assert reply.status_code == 400, reply.text
    assert reply.json()["detail"]["field"] == name
    said = reply.json()["message"]  # the range, as every whole-number field says it
    assert "outside its range" in said and f"to {2**63 - 1}." in said, said

"""Ids and cursors past the largest id there can be (2**31 - 1: the id columns are
INTEGER, 32 bits on PostgreSQL) are not found, on SQLite and on PostgreSQL alike.

Before, PostgreSQL refused the number in the query ("integer out of range") and every
such request was a 500; SQLite answered 404.
"""

from __future__ import annotations

import pytest
import requests

from tests.fixtures.servers import ServedInstance

TOO_LARGE = [2**31, 2**40, 10**18 - 1]


def _call(served: ServedInstance, method: str, path: str, **kw) -> requests.Response:
    headers = {"Authorization": f"Bearer {served.token}"}
    return requests.request(method, f"{served.url}{path}", headers=headers, timeout=30, **kw)


@pytest.mark.parametrize("big", TOO_LARGE)
def test_an_id_past_the_largest_is_not_found(served_on_either: ServedInstance, big: int) -> None:
    session = _call(served_on_either, "POST", "/v1/sessions", json={"name": "s"}).json()["id"]
    experiment = _call(
        served_on_either,
        "POST",
        "/v1/experiments",
        json={
            "name": "e",
            "parameters": [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
        },
    ).json()["id"]
    for path in (
        f"/v1/sessions/{big}",
        f"/v1/sessions/{session}/tasks/{big}",
        f"/v1/experiments/{big}",
        f"/v1/experiments/{big}/observations",
        f"/v1/experiments/{experiment}/suggestions/{big}",
        f"/v1/training_runs/{big}",
    ):
        reply = _call(served_on_either, "GET", path)
        assert reply.status_code == 404, (path, reply.text)
        assert str(big) in reply.json()["message"]
    # a cursor past every id pages as the largest id would: everything is before it,
    # nothing after (openapi.json lets a cursor have 18 digits; a 400 broke that promise)
    for path in ("/v1/sessions", "/v1/experiments"):
        everything = _call(served_on_either, "GET", path).json()["data"]
        assert everything, path
        before = _call(served_on_either, "GET", path, params={"before": str(big)})
        assert before.status_code == 200, (path, before.text)
        assert [item["id"] for item in before.json()["data"]] == [i["id"] for i in everything]
        after = _call(served_on_either, "GET", path, params={"after": str(big)})
        assert after.status_code == 200 and after.json()["data"] == [], (path, after.text)
    reply = _call(
        served_on_either,
        "POST",
        f"/v1/experiments/{experiment}/observations",
        json={"suggestion": str(big), "value": 1.0},
    )
    assert 400 <= reply.status_code < 500 and "suggestion" in reply.json()["message"], reply.text
    observations = _call(served_on_either, "GET", f"/v1/experiments/{experiment}/observations")
    assert observations.json()["count"] == 0


@pytest.mark.parametrize("big", [2**31, 2**40])
def test_an_integer_query_past_32_bits_is_a_400_naming_it(
    served_on_either: ServedInstance, big: int
) -> None:
    """Generations and versions are INTEGER columns: before, a larger number in the query
    was a 500 on PostgreSQL (an analytics ``gen``). Times are BIGINT: ``period_start`` and
    ``period_end`` take 64 bits (tests/service/test_after_2038.py)."""
    session = _call(served_on_either, "POST", "/v1/sessions", json={"name": "q"}).json()["id"]
    for path, name in (
        (f"/v1/sessions/{session}/analytics", "gen"),
        (f"/v1/sessions/{session}/analytics/files/summary.csv", "gen"),
    ):
        reply = _call(served_on_either, "GET", path, params={name: str(big)})
        assert reply.status_code == 400, (path, name, reply.text)
        assert reply.json()["detail"]["field"] == name
        assert "from 0 to 2147483647" in reply.json()["message"]
    for body in ({"gen": big}, {"gen": -big}):
        reply = _call(served_on_either, "POST", f"/v1/sessions/{session}/analytics", json=body)
        assert 400 <= reply.status_code < 500, (body, reply.text)

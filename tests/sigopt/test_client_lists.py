"""The lists SigOpt serves across a client's projects (``/v1/aiexperiments``,
``/v1/clients/{c}/aiexperiments``, ``/v1/clients/{c}/training_runs``), over real HTTP
with auth on; the first through the official sigopt-python client."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

sigopt = pytest.importorskip("sigopt")
from sigopt.exception import ApiException  # noqa: E402

X = {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}


def call(served, token: str, method: str, path: str, **kw: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.request(method, f"{served.url}{path}", headers=headers, timeout=30, **kw)


def _client(served) -> str:
    return call(served, served.token, "GET", "/v1/tokens/self").json()["client"]


def _ai(served, client: str, project: str, name: str) -> dict:
    body = {"name": name, "parameters": [X], "metrics": [{"name": "v"}], "budget": 3}
    path = f"/v1/clients/{client}/projects/{project}/aiexperiments"
    reply = call(served, served.token, "POST", path, json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()


def test_the_official_client_lists_ai_experiments_of_every_project(served):
    """``conn.aiexperiments().fetch()`` (GET /v1/aiexperiments) and
    GET /v1/clients/{c}/aiexperiments were 404s: SigOpt lists the client's AI experiments
    of every project there, not its v1 experiments, with a state filter and paging."""
    conn = sigopt.Connection(client_token=served.token)
    conn.set_api_url(served.url)
    client = _client(served)
    a, b = _ai(served, client, "one", "a"), _ai(served, client, "two", "b")
    conn.experiments().create(name="v1", parameters=[X])
    listed = list(conn.aiexperiments().fetch().iterate_pages())
    assert [e.id for e in listed] == [b["id"], a["id"]]
    assert all(isinstance(e, sigopt.objects.AIExperiment) for e in listed)
    assert {e.project for e in listed} == {"one", "two"}
    conn.aiexperiments(a["id"]).delete()
    assert [e.id for e in conn.aiexperiments().fetch().iterate_pages()] == [b["id"]]
    every = conn.aiexperiments().fetch(state="all", ascending=True, limit=1)
    assert [e.id for e in every.iterate_pages()] == [a["id"], b["id"]]
    by_client = call(served, served.token, "GET", f"/v1/clients/{client}/aiexperiments")
    assert by_client.status_code == 200, by_client.text
    assert [e["id"] for e in by_client.json()["data"]] == [b["id"]]
    assert by_client.json()["data"][0]["object"] == "aiexperiment"
    with pytest.raises(ApiException) as caught:
        conn.aiexperiments().fetch(period_start=0)  # a v1 list's parameter, not this one's
    assert caught.value.status_code == 400 and "period_start" in str(caught.value)
    _, other_token = served.make_user()
    assert call(served, other_token, "GET", "/v1/aiexperiments").json()["data"] == []
    guest = conn.experiments(conn.experiments().create(name="g", parameters=[X]).id)
    guest_token = guest.tokens().create().token
    for path in ("/v1/aiexperiments", f"/v1/clients/{client}/aiexperiments"):
        assert call(served, guest_token, "GET", path).status_code == 403, path
    stranger = call(served, other_token, "GET", f"/v1/clients/{client}/aiexperiments")
    assert stranger.status_code == 404, stranger.text


def test_a_clients_training_runs_are_listed_across_its_projects(served):
    """GET /v1/clients/{c}/training_runs was a 404; SigOpt lists the client's runs of
    every project there, with the query of a project's list: the experiment filter,
    search, ascending, paging."""
    client = _client(served)
    ai = _ai(served, client, "one", "ai")
    made = []
    for project, name in [("one", "alpha"), ("two", "beta"), ("two", "alphabet")]:
        path = f"/v1/clients/{client}/projects/{project}/training_runs"
        reply = call(served, served.token, "POST", path, json={"name": name})
        assert reply.status_code == 201, reply.text
        made.append(reply.json()["id"])
    suggested = call(served, served.token, "POST", f"/v1/aiexperiments/{ai['id']}/training_runs")
    assert suggested.status_code == 201, suggested.text
    made.append(suggested.json()["id"])
    path = f"/v1/clients/{client}/training_runs"

    def ids(**params: Any) -> list[str]:
        reply = call(served, served.token, "GET", path, params=params)
        assert reply.status_code == 200, reply.text
        return [run["id"] for run in reply.json()["data"]]

    assert ids() == made[::-1]
    assert ids(ascending="true") == made
    assert ids(search="ALPHA") == [made[2], made[0]]
    only = [{"field": "experiment", "operator": "==", "value": ai["id"]}]
    assert ids(filters=json.dumps(only)) == [made[3]]
    first = call(served, served.token, "GET", path, params={"limit": 2}).json()
    assert [r["id"] for r in first["data"]] == made[:1:-1]
    assert ids(limit=2, before=first["paging"]["before"]) == made[1::-1]
    for params, field in [
        ({"filters": json.dumps([{"field": "name", "operator": "==", "value": "a"}])}, "filters"),
        ({"sort": "finished"}, "sort"),
        ({"state": "all"}, "state"),
    ]:
        reply = call(served, served.token, "GET", path, params=params)
        assert reply.status_code == 400, reply.text
        assert field in reply.json()["message"], reply.text
    _, other_token = served.make_user()
    assert call(served, other_token, "GET", path).status_code == 404
    experiment = call(
        served, served.token, "POST", "/v1/experiments", json={"name": "g", "parameters": [X]}
    )
    made_token = call(
        served, served.token, "POST", f"/v1/experiments/{experiment.json()['id']}/tokens"
    )
    assert call(served, made_token.json()["token"], "GET", path).status_code == 403

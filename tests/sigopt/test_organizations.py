"""SigOpt's organizations, as sigopt-python reads them, over real HTTP with auth on."""

from __future__ import annotations

import pytest
import requests

sigopt = pytest.importorskip("sigopt")
from sigopt.exception import ApiException  # noqa: E402


def call(served, token: str, method: str, path: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.request(method, f"{served.url}{path}", headers=headers, timeout=30)


def test_each_user_is_its_own_organization(served):
    """``conn.organizations().fetch()`` and ``conn.organizations(id).fetch()`` were 404s.
    Each user is its own client, so its own organization, with the client's id."""
    conn = sigopt.Connection(client_token=served.token)
    conn.set_api_url(served.url)
    client = call(served, served.token, "GET", "/v1/tokens/self").json()["client"]
    (org,) = list(conn.organizations().fetch().iterate_pages())
    assert isinstance(org, sigopt.objects.Organization) and org.id == client
    assert conn.organizations(client).fetch().id == client and org.deleted is False
    assert conn.clients(client).fetch().organization == client
    _, other_token = served.make_user()
    other = call(served, other_token, "GET", f"/v1/organizations/{client}")
    assert other.status_code == 404
    assert other.json()["message"].startswith("No organization with id")
    with pytest.raises(ApiException) as caught:
        conn.organizations(str(int(client) + 1)).fetch()
    assert caught.value.status_code == 404


def test_a_token_is_not_looked_up_by_its_secret_in_a_url(served):
    """``conn.tokens(secret).fetch()`` (SigOpt's look-up by secret) was a bare "no route"
    404; this service never reads a token from a URL, so the 404 says where to ask:
    ``/v1/tokens/self``, which still answers. The same answer for any value, the
    caller's own token, another user's or none, and the secret is not echoed."""
    conn = sigopt.Connection(client_token=served.token)
    conn.set_api_url(served.url)
    _, other_token = served.make_user()
    answers = []
    for secret in (served.token, other_token, "slk_nothing"):
        with pytest.raises(ApiException) as caught:
            conn.tokens(secret).fetch()
        assert caught.value.status_code == 404
        assert "/v1/tokens/self" in caught.value.message and secret not in caught.value.message
        answers.append(caught.value.message)
    assert len(set(answers)) == 1
    assert (
        conn.tokens("self").fetch().client
        == call(served, served.token, "GET", "/v1/tokens/self").json()["client"]
    )
    assert call(served, "slk_wrong", "GET", f"/v1/tokens/{other_token}").status_code == 401


def test_an_organizations_experiments_and_runs_are_its_clients(served):
    """GET /v1/organizations/{o}/experiments and .../training_runs were 404s; SigOpt
    lists an organization's experiments and runs there. Each user is its own
    organization here, so they are the client's lists, with the same queries."""
    client = call(served, served.token, "GET", "/v1/tokens/self").json()["client"]
    x = [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}]
    made = []
    for name in ("first", "second"):
        reply = requests.post(
            f"{served.url}/v1/experiments",
            json={"name": name, "parameters": x},
            headers={"Authorization": f"Bearer {served.token}"},
            timeout=30,
        )
        made.append(reply.json()["id"])
    runs = []
    for project in ("p", "q"):
        reply = requests.post(
            f"{served.url}/v1/clients/{client}/projects/{project}/training_runs",
            json={"name": f"run {project}"},
            headers={"Authorization": f"Bearer {served.token}"},
            timeout=30,
        )
        runs.append(reply.json()["id"])

    def listed(path: str, query: str = "") -> list[str]:
        reply = call(served, served.token, "GET", f"/v1/organizations/{client}/{path}{query}")
        assert reply.status_code == 200, reply.text
        return [item["id"] for item in reply.json()["data"]]

    assert listed("experiments") == made[::-1]
    assert listed("experiments", "?search=sec") == [made[1]]
    assert listed("training_runs") == runs[::-1]
    assert listed("training_runs", "?ascending=true&limit=1") == runs[:1]
    bad = call(served, served.token, "GET", f"/v1/organizations/{client}/training_runs?state=x")
    assert bad.status_code == 400 and "state" in bad.json()["message"]
    _, other_token = served.make_user()
    for path in ("experiments", "training_runs"):
        assert (
            call(served, other_token, "GET", f"/v1/organizations/{client}/{path}").status_code
            == 404
        )

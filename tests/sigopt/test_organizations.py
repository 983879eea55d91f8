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

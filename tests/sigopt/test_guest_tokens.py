"""SigOpt's experiment tokens (``conn.experiments(id).tokens().create()``): a guest
token reads its one experiment and nothing else, over real HTTP with auth on.

Before, ``POST /v1/experiments/{id}/tokens`` was a 404, so a SigOpt user's script
that shares an experiment stopped there."""

from __future__ import annotations

import pytest
import requests

from sigopt_like import Connection
from sigopt_like.errors import APIError

sigopt = pytest.importorskip("sigopt")
from sigopt.exception import ApiException  # noqa: E402

X = {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}


def call(served, token: str, method: str, path: str, **kw) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.request(method, f"{served.url}{path}", headers=headers, timeout=30, **kw)


def test_a_guest_token_reads_its_experiment_and_nothing_else(served):
    conn = sigopt.Connection(client_token=served.token)
    conn.set_api_url(served.url)
    shared = conn.experiments().create(name="shared", parameters=[X], observation_budget=5)
    other = conn.experiments().create(name="private", parameters=[X])
    s = conn.experiments(shared.id).suggestions().create()
    conn.experiments(shared.id).observations().create(suggestion=s.id, value=0.5)

    made = conn.experiments(shared.id).tokens().create()
    assert made.token_type == "guest" and made.experiment == shared.id
    assert made.all_experiments is False and made.token.startswith("slk_")

    guest = sigopt.Connection(client_token=made.token)
    guest.set_api_url(served.url)
    assert guest.experiments(shared.id).fetch().name == "shared"
    observations = guest.experiments(shared.id).observations().fetch().iterate_pages()
    assert [o.value for o in observations] == [0.5]
    best = guest.experiments(shared.id).best_assignments().fetch().iterate_pages()
    assert [b.value for b in best] == [0.5]
    assert guest.experiments(shared.id).suggestions().fetch().count == 1
    self_info = call(served, made.token, "GET", "/v1/tokens/self").json()
    assert self_info["experiment"] == shared.id and self_info["token_type"] == "guest"

    before = conn.experiments(shared.id).fetch()
    refused = [
        ("POST", f"/v1/experiments/{shared.id}/suggestions", {}),
        ("POST", f"/v1/experiments/{shared.id}/observations", {"value": 1.0}),
        ("PUT", f"/v1/experiments/{shared.id}", {"name": "renamed"}),
        ("DELETE", f"/v1/experiments/{shared.id}", None),
        ("POST", f"/v1/experiments/{shared.id}/tokens", None),
        ("GET", f"/v1/experiments/{other.id}", None),
        ("GET", "/v1/experiments", None),
        ("GET", "/v1/sessions", None),
        ("POST", "/v1/sessions", {"name": "by a guest"}),
    ]
    for method, path, body in refused:
        reply = call(served, made.token, method, path, json=body)
        assert reply.status_code == 403, (method, path, reply.text)
        assert f"guest token of experiment {shared.id}" in reply.json()["message"]
    with pytest.raises(ApiException) as caught:
        guest.experiments(shared.id).suggestions().create()
    assert caught.value.status_code == 403
    after = conn.experiments(shared.id).fetch()
    assert after.name == "shared" and after.progress.observation_count == 1
    assert after.to_json() == before.to_json()
    assert conn.experiments().fetch().count == 2  # no experiment was deleted or made


def test_only_the_owner_makes_one_and_revoking_it_ends_it(served):
    mine = Connection(host=served.url, token=served.token)
    experiment = mine.experiments().create(name="e", parameters=[X])
    _, stranger_token = served.make_user()
    stranger = call(served, stranger_token, "POST", f"/v1/experiments/{experiment.id}/tokens")
    assert stranger.status_code == 404, stranger.text
    bad_body = call(
        served, served.token, "POST", f"/v1/experiments/{experiment.id}/tokens", json={"a": 1}
    )
    assert bad_body.status_code == 400 and bad_body.json()["detail"]["field"] == "a"

    made = mine.experiments(experiment.id).tokens().create()  # our own client too
    assert made.experiment == experiment.id and made.token_type == "guest"
    as_guest = Connection(host=served.url, token=made.token)
    assert as_guest.experiments(experiment.id).fetch().name == "e"
    with pytest.raises(APIError) as caught:
        as_guest.sessions().list()
    assert caught.value.status == 403
    # a guest token signs nobody in to the dashboard
    sign_in = requests.post(f"{served.url}/auth/sign-in", json={"token": made.token}, timeout=30)
    assert sign_in.status_code == 401 and "guest token" in sign_in.json()["message"]
    # listed with its experiment, and revoked like any token
    accounts = served.service.context.store.accounts
    (listed,) = [t for t in accounts.list_tokens() if t.experiment_id is not None]
    assert listed.experiment_id == int(experiment.id) and not listed.revoked
    assert accounts.revoke_token(token=made.token) == 1
    gone = call(served, made.token, "GET", f"/v1/experiments/{experiment.id}")
    assert gone.status_code == 401

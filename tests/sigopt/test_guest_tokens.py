"""SigOpt's experiment tokens (``conn.experiments(id).tokens().create()``): a guest
token reads its one experiment and nothing else, over real HTTP with auth on.

Before, ``POST /v1/experiments/{id}/tokens`` was a 404, so a SigOpt user's script
that shares an experiment stopped there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import requests

from sigopt_like import Connection
from sigopt_like.errors import APIError
from tests.fixtures.servers import REPO_ROOT, ServedProcess, serve_in_thread

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


def test_a_guest_token_says_when_it_expires_and_lasts_thirty_days(served):
    conn = sigopt.Connection(client_token=served.token)
    conn.set_api_url(served.url)
    experiment = conn.experiments().create(name="e", parameters=[X])
    before = time.time()
    made = conn.experiments(experiment.id).tokens().create()
    thirty_days = 30 * 86_400
    assert before - 1 <= made.expires - thirty_days <= time.time()
    self_info = call(served, made.token, "GET", "/v1/tokens/self").json()
    assert self_info["expires"] == made.expires
    own = call(served, served.token, "GET", "/v1/tokens/self").json()
    assert own["expires"] is None  # an API token does not expire


def test_an_expired_guest_token_is_refused_and_changes_nothing(tmp_path):
    served = serve_in_thread(tmp_path, guest_token_days=0)
    try:
        conn = sigopt.Connection(client_token=served.token)
        conn.set_api_url(served.url)
        experiment = conn.experiments().create(name="e", parameters=[X])
        made = conn.experiments(experiment.id).tokens().create()
        assert made.expires <= time.time()
        read = call(served, made.token, "GET", f"/v1/experiments/{experiment.id}")
        assert read.status_code == 401, read.text
        message = read.json()["message"]
        assert "expired" in message and f"experiments({experiment.id}).tokens().create()" in message
        assert 'error="invalid_token"' in read.headers["WWW-Authenticate"]
        write = call(
            served, made.token, "PUT", f"/v1/experiments/{experiment.id}", json={"name": "x"}
        )
        assert write.status_code == 401
        assert conn.experiments(experiment.id).fetch().name == "e"
        # the owner's own token is untouched, and a new guest token is one call away
        assert conn.experiments(experiment.id).tokens().create().token != made.token
    finally:
        served.close()


def _an_experiment(served: ServedProcess) -> str:
    """A new SigOpt experiment of the served process's user: its path."""
    experiment = call(
        served, served.token, "POST", "/v1/experiments", json={"name": "e", "parameters": [X]}
    ).json()
    return f"/v1/experiments/{experiment['id']}"


def test_serve_takes_the_guest_token_lifetime(tmp_path):
    """``sigopt-like serve --guest-token-days`` (the real command) is honoured."""
    served = ServedProcess(tmp_path / "guest.db", "--guest-token-days", "0.5")
    try:
        path = _an_experiment(served)
        before = time.time()
        made = call(served, served.token, "POST", f"{path}/tokens").json()
        assert before - 1 <= made["expires"] - 43_200 <= time.time()
    finally:
        served.stop()


def _tokens_listed(database: str) -> list[dict]:
    """``sigopt-like tokens list --json`` on the database, as an operator types it."""
    done = subprocess.run(
        [sys.executable, "-m", "sigopt_like.cli", "tokens", "list", "--db", database, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert done.returncode == 0, done.stderr
    return [t for t in json.loads(done.stdout) if t["experiment"] is not None]


def test_a_guest_token_ends_when_its_answer_said_whatever_serve_comes_later(tmp_path):
    """Before, a guest token's end was its making plus the lifetime of whichever ``serve``
    read it: restarted with another ``--guest-token-days``, a token promised a year was
    cut to that, and one promised a second came back to life for 30 days."""
    served = ServedProcess(tmp_path / "ends.db", "--guest-token-days", "365")
    try:
        path = _an_experiment(served)
        year = call(served, served.token, "POST", f"{path}/tokens").json()
        served.stop()
        served.extra_args = ["--guest-token-days", "0.00001"]  # 0.864 seconds
        served.start()
        second = call(served, served.token, "POST", f"{path}/tokens").json()
        time.sleep(1.5)
        assert call(served, year["token"], "GET", path).status_code == 200
        own = call(served, year["token"], "GET", "/v1/tokens/self").json()
        assert own["expires"] == year["expires"]
        assert call(served, second["token"], "GET", path).status_code == 401
        served.stop()
        served.extra_args = []  # the default 30 days
        served.start()
        assert call(served, second["token"], "GET", path).status_code == 401
        assert call(served, year["token"], "GET", path).status_code == 200
        listed = _tokens_listed(served.database)
        assert [t["expires"] for t in listed] == [year["expires"], second["expires"]]
    finally:
        served.stop()

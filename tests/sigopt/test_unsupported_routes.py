"""SigOpt's routes this service does not serve answer a 4xx that says so and what to
use instead (``sigopt_like/service/sigopt_unsupported.py``), through sigopt-python's
own calls and driver against a served instance and through our Connection.

Before, each was the router's bare "No route or object at ..." 404, or a 405 listing
other methods (``PUT .../metric_importances``), which did not tell a mistyped call
from one this service does not serve."""

from __future__ import annotations

import pytest

sigopt = pytest.importorskip("sigopt")
from sigopt import ratelimit as sigopt_ratelimit  # noqa: E402
from sigopt.exception import ApiException  # noqa: E402

import sigopt_like  # noqa: E402
from sigopt_like.errors import APIError  # noqa: E402

from .conftest import Api  # noqa: E402

X = [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}]


def _refused(call, status: int, hint: str) -> dict:
    """``call()`` raises sigopt-python's ApiException with ``status``, code
    ``not_supported`` and a message naming what to use (``hint``)."""
    with pytest.raises(ApiException) as caught:
        call()
    # sigopt-python sleeps after 5 failures in a row (ratelimit.py): cleared, as a success clears it
    sigopt_ratelimit.failed_status_rate_limit.clear()
    body = caught.value.to_json()
    assert caught.value.status_code == status, body
    assert body["code"] == "not_supported", body
    assert "is not supported by this service" in body["message"], body
    assert hint in body["message"], body
    return body


def test_sigopt_python_is_told_what_is_not_served_and_what_to_use(served):
    conn = sigopt.Connection(client_token=served.token)
    conn.set_api_url(served.url)
    client = conn.tokens("self").fetch().client
    e = conn.experiments().create(name="e", parameters=X)
    run = conn.clients(client).projects("p").training_runs().create(name="r")
    api = Api(served.service, served.url, served.token)
    before = api.snapshot()

    def raw(method: str, *path: str, **body: object):
        return lambda: conn.impl.request(method, list(path), body, None)

    # calls sigopt-python's resource tree makes
    _refused(lambda: conn.clients().fetch(), 404, "/v1/tokens/self")
    _refused(lambda: conn.experiments(e.id).training_runs().fetch(), 404, "experiment.get_runs()")
    _refused(
        lambda: conn.experiments(e.id).training_runs().create(name="r"),
        404,
        "/v1/aiexperiments/{id}/training_runs",
    )
    _refused(
        lambda: (
            conn.clients(client)
            .projects("p")
            .training_runs(run.id)
            .checkpoints()
            .create(values=[{"name": "m", "value": 1}])
        ),
        404,
        "/v1/training_runs/{id}/checkpoints",
    )
    _refused(lambda: conn.clients(client).experiments(e.id).fetch(), 404, "/v1/experiments/{id}")
    _refused(lambda: conn.training_runs().fetch(), 404, "/v1/clients/{client}/training_runs")
    _refused(lambda: conn.experiments(e.id).best_assignments("1").fetch(), 404, "without an id")
    _refused(lambda: conn.pki_sessions()().create(), 404, "API token")
    _refused(
        lambda: conn.experiments(e.id).observations("1").create_batch(observations=[]),
        404,
        "POST /v1/experiments/{id}/observations/batch",
    )
    # SigOpt's routes that sigopt-python reaches through its driver only
    body = _refused(raw("PUT", "experiments", e.id, "metric_importances"), 405, "GET /v1/")
    assert "metric_importances" in body["message"]
    _refused(
        raw("POST", "training_runs", run.id, "tokens"), 404, "POST /v1/experiments/{id}/tokens"
    )
    _refused(raw("GET", "clients", client, "tags", "1"), 404, "GET /v1/clients/{client}/tags")
    _refused(raw("DELETE", "clients", client, "tags", "1"), 404, "/v1/training_runs/{id}/tags")
    _refused(raw("GET", "organizations", client, "memberships"), 404, "no teams")
    _refused(raw("POST", "organizations", client, "invites", email="a@b.c"), 404, "no teams")
    _refused(raw("PUT", "organizations", client, name="team"), 405, "no teams")
    _refused(raw("GET", "clients", client, "permissions"), 404, "no teams")
    _refused(raw("POST", "clients", name="another"), 404, "sigopt-like users create")
    _refused(raw("DELETE", "clients", client), 405, "GET /v1/tokens/self")
    _refused(raw("POST", "clients", client, "tokens"), 404, "POST /v1/tokens")
    _refused(raw("DELETE", "tokens", served.token), 405, "sigopt-like tokens revoke")
    _refused(raw("GET", "users", client), 404, "sigopt-like users")
    _refused(raw("GET", "experiments", e.id, "best_practices"), 404, "dashboard")
    _refused(raw("DELETE", "experiments", e.id, "hyperparameters"), 404, "new experiment")
    assert api.snapshot() == before
    assert conn.training_runs(run.id).fetch().name == "r"
    # the served routes beside them still answer, and a mistyped one is still "no route"
    assert conn.experiments(e.id).metric_importances is not None
    with pytest.raises(ApiException) as caught:
        conn.impl.request("GET", ["experimentz", e.id], {}, None)
    assert caught.value.status_code == 404 and "No route or object" in caught.value.message


def test_our_connection_raises_a_typed_error_naming_the_route(tmp_path):
    conn = sigopt_like.Connection(database=str(tmp_path / "u.db"))
    e = conn.experiments.create(name="e", parameters=X)
    for method, path, status in (
        ("PUT", f"/v1/experiments/{e.id}/metric_importances", 405),
        ("GET", f"/v1/experiments/{e.id}/training_runs", 404),
        ("POST", "/v1/training_runs/1/tokens", 404),
    ):
        with pytest.raises(APIError) as caught:
            conn.transport.request_json(method, path, json={})
        assert caught.value.status == status and caught.value.code == "not_supported"
        assert f"{method} {path} is not supported by this service" in caught.value.message


def test_sigopt_pythons_calls_without_an_id_say_where_to_make_the_call(served):
    """Calls of sigopt-python's tree that SigOpt serves at another path (an AI experiment
    made outside a project, an update or delete without an id, tokens listed) were the
    router's 405 listing the other methods, which did not say where the call is served."""
    conn = sigopt.Connection(client_token=served.token)
    conn.set_api_url(served.url)
    client = conn.tokens("self").fetch().client
    e = conn.experiments().create(name="e", parameters=X)
    api = Api(served.service, served.url, served.token)
    before = api.snapshot()
    _refused(
        lambda: conn.aiexperiments().create(name="a", parameters=X),
        405,
        "/v1/clients/{client}/projects/{project}/aiexperiments",
    )
    _refused(lambda: conn.experiments().update(name="f"), 405, "/v1/experiments/{id}")
    _refused(lambda: conn.experiments().delete(), 405, "with the id in the last call")
    _refused(lambda: conn.aiexperiments().update(name="f"), 405, "/v1/aiexperiments/{id}")
    _refused(lambda: conn.experiments(e.id).suggestions().update(), 405, "suggestions/{id}")
    _refused(lambda: conn.experiments(e.id).observations().update(value=1), 405, "{id}")
    _refused(lambda: conn.clients(client).projects().update(name="q"), 405, "projects/{id}")
    _refused(lambda: conn.tokens().fetch(), 405, "GET /v1/tokens/self")
    assert api.snapshot() == before
    assert conn.experiments(e.id).fetch().name == "e"

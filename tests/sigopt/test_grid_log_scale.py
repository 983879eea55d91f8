"""``transformation: "log"`` on a grid parameter spaces the grid values for the
optimizer's model, so it is honoured in an ``offline`` experiment only: a random search
draws a grid value, and a grid search walks its grid, each value as likely whatever its
scale. There it was stored and ignored (the same seed gave the same suggestions with and
without it); now it is a 422 naming the parameter's transformation, nothing stored.
A log scale on bounds stays a random search's log-uniform draw."""

from __future__ import annotations

import pytest

from .conftest import Api

sigopt = pytest.importorskip("sigopt")
from sigopt.exception import ApiException  # noqa: E402

LOG_GRID = {"name": "lr", "type": "double", "grid": [0.001, 0.01, 0.1, 1], "transformation": "log"}
LOG_BOUNDS = {
    "name": "lr",
    "type": "double",
    "bounds": {"min": 0.001, "max": 1},
    "transformation": "log",
}


@pytest.fixture
def conn(served):
    connection = sigopt.Connection(client_token=served.token)
    connection.set_api_url(served.url)
    return connection


@pytest.mark.parametrize("kind", ["random", "grid"])
def test_a_log_grid_is_refused_where_no_model_reads_it(conn, served, kind: str) -> None:
    api = Api(served.service, served.url, served.token)
    before = api.snapshot()
    with pytest.raises(ApiException) as caught:
        conn.experiments().create(name="log grid", type=kind, parameters=[LOG_GRID])
    assert caught.value.status_code == 422
    assert "'parameters[0].transformation' is log on grid values" in str(caught.value)
    assert f"changes nothing in a {kind} search" in str(caught.value)
    assert api.snapshot() == before


def test_an_optimized_experiment_and_log_bounds_keep_it(conn) -> None:
    e = conn.experiments().create(name="offline", parameters=[LOG_GRID])
    assert e.parameters[0].transformation == "log"
    e = conn.experiments().create(name="random", type="random", parameters=[LOG_BOUNDS])
    draws = [conn.experiments(e.id).suggestions().create().assignments["lr"] for _ in range(12)]
    assert sum(x < 0.1 for x in draws) >= 4  # log-uniform: 2 of 3 decades below 0.1


def test_an_update_to_grid_values_is_refused_the_same(api: Api) -> None:
    """A random search's log double given grid values in an update."""
    e = api.post(
        "/v1/experiments", {"name": "r", "type": "random", "parameters": [LOG_BOUNDS]}
    ).body
    before = api.snapshot()
    reply = api.put(
        f"/v1/experiments/{e['id']}",
        {"parameters": [{"name": "lr", "bounds": None, "grid": [0.001, 0.1]}]},
    )
    assert reply.status == 422, reply.body
    assert reply.body["detail"]["field"] == "parameters[0].transformation", reply.body
    assert api.snapshot() == before

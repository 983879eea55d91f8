"""stopping_criteria, importances and metric_importances (sigopt-python's calls of the
same names were a 404), embedded and served."""

from __future__ import annotations

import pytest

from .conftest import Api

X_ONLY = [
    {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}},
    {"name": "idle", "type": "double", "bounds": {"min": 0, "max": 1}},
    {"name": "c", "type": "categorical", "categorical_values": ["a", "b", "c"]},
]


def _observe(api: Api, eid: str, assignments: dict, **fields) -> None:
    reply = api.post(f"/v1/experiments/{eid}/observations", {"assignments": assignments, **fields})
    assert reply.status == 201, reply.body


def _grid(n: int) -> list[dict]:
    """n points spread over x, idle and c, idle and c unrelated to x."""
    return [
        {"x": (i * 0.37) % 1, "idle": (i * 0.61) % 1, "c": "abc"[(i * 7) % 3]} for i in range(n)
    ]


def test_budget_reached_is_a_reason_to_stop(api: Api):
    e = api.create_experiment(parameters=X_ONLY, observation_budget=3)
    path = f"/v1/experiments/{e['id']}/stopping_criteria"
    assert api.get(path).body == {
        "object": "stopping_criteria",
        "should_stop": False,
        "reasons": [],
    }
    for point in _grid(3):
        _observe(api, e["id"], point, value=point["x"])
    assert api.get(path).body == {
        "object": "stopping_criteria",
        "should_stop": True,
        "reasons": ["observation_budget_reached"],
    }


def test_twenty_valid_observations_without_a_new_best_may_be_stagnation(api: Api):
    e = api.create_experiment(parameters=X_ONLY)
    path = f"/v1/experiments/{e['id']}/stopping_criteria"
    points = _grid(40)
    for i, point in enumerate(points[:20]):
        _observe(api, e["id"], point, value=float(i))  # the best, 19, is the 20th
    for point in points[20:39]:
        _observe(api, e["id"], point, value=5.0)
    _observe(api, e["id"], points[39], failed=True)  # not valid: 39 valid so far
    assert api.get(path).body["reasons"] == []
    _observe(api, e["id"], {"x": 0.5, "idle": 0.5, "c": "a"}, value=19.0)  # ties: no new best
    assert api.get(path).body == {
        "object": "stopping_criteria",
        "should_stop": True,
        "reasons": ["possible_stagnation"],
    }
    _observe(api, e["id"], {"x": 0.6, "idle": 0.5, "c": "a"}, value=19.5)  # a new best
    assert api.get(path).body["should_stop"] is False


def test_the_parameter_the_metric_follows_gets_most_of_the_importance(api: Api):
    e = api.create_experiment(
        parameters=X_ONLY,
        metrics=[{"name": "y"}, {"name": "cost", "strategy": "store"}],
    )
    for point in _grid(40):
        values = [
            {"name": "y", "value": 10 * point["x"] ** 2},
            {"name": "cost", "value": 1.0 if point["c"] == "b" else 0.0},
        ]
        _observe(api, e["id"], point, values=values)
    reply = api.get(f"/v1/experiments/{e['id']}/importances")
    assert reply.status == 200, reply.body
    shares = reply.body["importances"]
    assert reply.body["object"] == "importances" and set(shares) == {"x", "idle", "c"}
    assert sum(shares.values()) == pytest.approx(1.0)
    assert shares["x"] > 0.8, shares
    by_metric = api.get(f"/v1/experiments/{e['id']}/metric_importances").body
    assert [m["metric"] for m in by_metric["data"]] == ["y", "cost"]
    assert by_metric["data"][0]["importances"] == shares  # the same seeded forest
    cost = by_metric["data"][1]["importances"]
    assert cost["c"] > 0.8, cost  # a categorical's levels add up to their parameter
    only = api.get(f"/v1/experiments/{e['id']}/metric_importances", metric="cost").body
    assert [m["metric"] for m in only["data"]] == ["cost"]
    one = api.get(f"/v1/experiments/{e['id']}/metric_importances", limit=1).body
    assert one["count"] == 2 and [m["metric"] for m in one["data"]] == ["y"]


def test_without_an_optimized_metric_importances_follow_the_first_constraint(api: Api):
    """An all-constraint search whose first metric is a stored one: ``/importances`` is
    the constraint metric's, as the best assignments follow it. Before, it fell back to
    the first metric, the stored one, which the experiment only records."""
    e = api.create_experiment(
        parameters=X_ONLY,
        metrics=[
            {"name": "note", "strategy": "store"},
            {"name": "fit", "strategy": "constraint", "threshold": 5.0},
        ],
    )
    for point in _grid(40):
        values = [
            {"name": "note", "value": 1.0 if point["c"] == "b" else 0.0},
            {"name": "fit", "value": 10 * point["x"] ** 2},
        ]
        _observe(api, e["id"], point, values=values)
    shares = api.get(f"/v1/experiments/{e['id']}/importances").body["importances"]
    assert shares["x"] > 0.8, shares
    by_metric = api.get(f"/v1/experiments/{e['id']}/metric_importances", metric="fit").body
    assert by_metric["data"][0]["importances"] == shares


def test_values_that_do_not_vary_explain_nothing(api: Api):
    e = api.create_experiment(parameters=X_ONLY)
    for point in _grid(5):
        _observe(api, e["id"], point, value=3.0)
    shares = api.get(f"/v1/experiments/{e['id']}/importances").body["importances"]
    assert shares == {"x": 0.0, "idle": 0.0, "c": 0.0}


def test_a_far_off_value_does_not_decide_alone(api: Api):
    e = api.create_experiment(parameters=X_ONLY)
    points = _grid(40)
    for point in points:
        _observe(api, e["id"], point, value=point["x"])
    _observe(api, e["id"], {"x": 0.5, "idle": 0.99, "c": "a"}, value=-1e308)
    reply = api.get(f"/v1/experiments/{e['id']}/importances")
    assert reply.status == 200, reply.body
    assert reply.body["importances"]["x"] > 0.5, reply.body


def test_too_few_observations_and_unknown_metrics_are_refused(api: Api):
    e = api.create_experiment(parameters=X_ONLY, metrics=[{"name": "y"}])
    _observe(api, e["id"], _grid(1)[0], values=[{"name": "y", "value": 1.0}])
    _observe(api, e["id"], _grid(2)[1], failed=True)
    before = api.snapshot()
    reply = api.get(f"/v1/experiments/{e['id']}/importances")
    assert reply.status == 409 and "at least 2 valid observations" in reply.body["message"]
    reply = api.get(f"/v1/experiments/{e['id']}/metric_importances", metric="yield")
    assert reply.status == 422 and reply.body["detail"]["field"] == "metric"
    message = reply.body["message"]
    assert '"yield" is not a metric' in message and "(metrics: y)" in message
    assert api.snapshot() == before
    for route in ("importances", "metric_importances", "stopping_criteria"):
        assert api.get(f"/v1/experiments/999999/{route}").status == 404

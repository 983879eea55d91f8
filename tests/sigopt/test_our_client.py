"""The whole SigOpt loop through sigopt_like's own client, embedded and served."""

from __future__ import annotations

import pytest

from sigopt_like.errors import APIError

from .conftest import PARAMETERS

GOOD = {"x": 1.5, "n": 3, "c": "b"}


def objective(a) -> float:
    return -((a["x"] - 2) ** 2) - (a["n"] - 4) ** 2 + (1.0 if a["c"] == "b" else 0.0)


def test_loop_create_suggest_report_best_list_delete(conn):
    e = conn.experiments.create(name="loop", parameters=PARAMETERS, observation_budget=12)
    assert e.id and e.type == "offline" and [p.name for p in e.parameters] == ["x", "n", "c"]
    values = []
    for _ in range(12):
        s = conn.experiments(e.id).suggest()
        a = s.assignments
        assert -5 <= a["x"] <= 10 and isinstance(a["n"], int) and a["c"] in ("a", "b", "c")
        values.append(objective(a))
        o = conn.experiments(e.id).report(suggestion=s.id, value=values[-1])
        assert o.suggestion == s.id
    best = list(conn.experiments(e.id).best_assignments.fetch())
    assert len(best) == 1 and best[0].value == pytest.approx(max(values))
    observed = list(conn.experiments(e.id).observations.list(limit=5))
    assert len(observed) == 12
    assert conn.experiments(e.id).fetch().progress.observation_count == 12
    for i in range(4):
        conn.experiments.create(name=f"more{i}", parameters=PARAMETERS)
    listed = list(conn.experiments.list(limit=2))
    assert len(listed) == 5 and listed[-1].id == e.id
    conn.experiments(e.id).suggestions.create()
    assert len(list(conn.experiments(e.id).suggestions.list(state="open"))) == 1
    conn.experiments(e.id).suggestions.delete(state="open")
    assert not list(conn.experiments(e.id).suggestions.list(state="open"))
    conn.experiments(e.id).delete()
    assert conn.experiments(e.id).fetch().state == "deleted"


def test_errors_name_the_field(conn):
    e = conn.experiments.create(name="errors", parameters=PARAMETERS)
    with pytest.raises(APIError) as caught:
        conn.experiments(e.id).report(assignments={**GOOD, "x": 42}, value=1.0)
    assert caught.value.status == 422 and "assignments.x" in str(caught.value)
    assert caught.value.detail["field"] == "assignments.x"
    with pytest.raises(APIError) as caught:
        conn.experiments("424242").fetch()
    assert caught.value.status == 404


@pytest.fixture(params=["embedded", "served"])
def seed_conn(request, tmp_path, clean_env):
    """A Connection made as SigOpt's README makes one: client_token= and user_token=."""
    import sigopt_like

    if request.param == "embedded":
        connection = sigopt_like.Connection(
            client_token="client", user_token="user", database=tmp_path / "seed.db"
        )
    else:
        served = request.getfixturevalue("served")
        connection = sigopt_like.Connection(
            served.url, client_token=served.token, user_token=served.token
        )
    try:
        yield connection
    finally:
        connection.close()


def test_the_sigopt_readme_calls_work_as_written(seed_conn):
    conn = seed_conn
    client_id = conn.token_info().client
    experiment = conn.experiments.create(
        client_id=client_id,
        data={
            "name": "New Experiment",
            "parameters": [{"name": "param1", "type": "double", "bounds": {"min": 0, "max": 1.0}}],
        },
    ).experiment
    assert experiment.name == "New Experiment" and experiment.client == client_id
    suggestion = conn.experiments(experiment.id).suggest().suggestion
    assert 0 <= suggestion.assignments["param1"] <= 1
    observation = (
        conn.experiments(experiment.id)
        .report(data={"assignments": suggestion.assignments, "value": 1.0})
        .observation
    )
    assert observation.value == 1.0 and observation.assignments == suggestion.assignments
    assert conn.experiments(experiment.id).fetch().progress.observation_count == 1
    with pytest.raises(APIError) as caught:
        conn.experiments.create(client_id="999999", data={"name": "x", "parameters": []})
    assert caught.value.status == 404 and "client" in str(caught.value)


def test_definition_features_round_trip_through_our_client(conn):
    e = conn.experiments.create(
        name="features",
        project="team-a",
        parameters=[
            {
                "name": "lr",
                "type": "double",
                "bounds": {"min": 1e-4, "max": 1},
                "transformation": "log",
            },
            {"name": "a", "type": "int", "bounds": {"min": 0, "max": 9}},
            {"name": "b", "type": "int", "bounds": {"min": 0, "max": 9}},
            {"name": "g", "type": "double", "grid": [0.5, 1.5, 4.0]},
            {
                "name": "depth",
                "type": "int",
                "bounds": {"min": 1, "max": 4},
                "conditions": {"kind": "nn"},
            },
        ],
        conditionals=[{"name": "kind", "values": ["nn", "linear"]}],
        linear_constraints=[
            {
                "type": "less_than",
                "threshold": 9,
                "terms": [{"name": "a", "weight": 1}, {"name": "b", "weight": 1}],
            }
        ],
        metrics=[
            {"name": "score"},
            {"name": "cost", "objective": "minimize", "strategy": "constraint", "threshold": 3},
        ],
        observation_budget=20,
        num_solutions=1,
    )
    assert e.project == "team-a" and e.conditionals[0].values == ["nn", "linear"]
    assert e.linear_constraints[0].terms[1].name == "b"
    assert e.parameters[0].transformation == "log" and e.parameters[3].grid == [0.5, 1.5, 4.0]
    assert e.parameters[4].conditions == {"kind": ["nn"]}
    for _ in range(5):
        s = conn.experiments(e.id).suggest()
        a = s.assignments
        assert a["a"] + a["b"] <= 9 and a["g"] in (0.5, 1.5, 4.0)
        assert ("depth" in a) == (a["kind"] == "nn")
        conn.experiments(e.id).report(
            suggestion=s,
            values=[{"name": "score", "value": a["a"]}, {"name": "cost", "value": a["b"]}],
        )
    best = list(conn.experiments(e.id).best_assignments.fetch())
    assert all(b.values[1].value <= 3 for b in best)


def test_sigopt_pythons_call_shapes_work_on_our_client(seed_conn):
    """sigopt-python's README: "POST, GET, PUT and DELETE translate to create, fetch,
    update and delete", ``conn.experiments(ID).suggestions().create()``. The lists had
    only ``list`` here (``observations().fetch()`` was an AttributeError), a suggestion
    no ``update`` and the observations no ``delete``; sigopt-python's pages iterate with
    ``iterate_pages()``."""
    conn = seed_conn
    experiment = conn.experiments().create(
        name="Franke Optimization",
        parameters=[
            dict(name="x", type="double", bounds=dict(min=0.0, max=1.0)),
            dict(name="y", type="double", bounds=dict(min=0.0, max=1.0)),
        ],
        seed=3,
    )
    for _ in range(3):
        suggestion = conn.experiments(experiment.id).suggestions().create()
        conn.experiments(experiment.id).observations().create(
            suggestion=suggestion.id, value=suggestion.assignments["x"]
        )
    observations = conn.experiments(experiment.id).observations().fetch(limit=2)
    assert observations.count == 3 and len(observations.data) == 2
    assert len(list(observations.iterate_pages())) == 3
    listed = conn.experiments().fetch(state="all")
    assert [e.id for e in listed.iterate_pages()] == [experiment.id]
    opened = conn.experiments(experiment.id).suggestions().create()
    assert [s.id for s in conn.experiments(experiment.id).suggestions().fetch(state="open")] == [
        opened.id
    ]
    updated = conn.experiments(experiment.id).suggestions(opened.id).update(metadata={"host": "a"})
    assert updated.metadata == {"host": "a"}
    assert conn.experiments(experiment.id).suggestions(opened.id).fetch().metadata == {"host": "a"}
    best = conn.experiments(experiment.id).best_assignments().fetch()
    assert best.data[0].value == max(o.value for o in observations.iterate_pages())
    assert conn.experiments(experiment.id).observations().delete() is None
    assert conn.experiments(experiment.id).observations().fetch().count == 0
    assert conn.experiments(experiment.id).fetch().progress.observation_count == 0


def test_queued_suggestions_are_served_first(conn):
    e = conn.experiments.create(name="queued", parameters=PARAMETERS)
    queued = conn.experiments(e.id).queued_suggestions.create(assignments=GOOD)
    assert type(queued).__name__ == "QueuedSuggestion" and queued.assignments == GOOD
    assert [q.id for q in conn.experiments(e.id).queued_suggestions.list()] == [queued.id]
    assert conn.experiments(e.id).suggest().assignments == GOOD
    assert list(conn.experiments(e.id).queued_suggestions.list()) == []
    with pytest.raises(APIError) as caught:
        conn.experiments(e.id).queued_suggestions.create(assignments={**GOOD, "c": "z"})
    assert caught.value.status == 422 and "assignments.c" in str(caught.value)


def test_stopping_criteria_and_importances(conn):
    e = conn.experiments.create(name="insights", parameters=PARAMETERS, observation_budget=6)
    for _ in range(6):
        s = conn.experiments(e.id).suggest()
        conn.experiments(e.id).report(suggestion=s.id, value=objective(s.assignments))
    stop = conn.experiments(e.id).stopping_criteria.fetch()
    assert type(stop).__name__ == "StoppingCriteria"
    assert stop.should_stop is True and stop.reasons == ["observation_budget_reached"]
    shares = conn.experiments(e.id).importances.fetch().importances
    assert set(shares) == {"x", "n", "c"} and sum(shares.values()) == pytest.approx(1.0)
    (by_metric,) = conn.experiments(e.id).metric_importances.fetch()
    assert by_metric.metric is None and by_metric.importances == shares


def test_an_update_changes_bounds_defaults_and_thresholds_through_our_client(conn):
    """``experiments(id).update()`` takes ``parameters`` and ``metrics`` as the service
    and sigopt-python do (before: a TypeError naming the keyword, nothing sent), and
    the service honours them: suggestions come from the new bounds, the best
    assignments follow the new threshold; a change the service refuses is an APIError
    naming the field, the experiment as before."""
    e = conn.experiments.create(
        name="redefined",
        parameters=PARAMETERS,
        metrics=[{"name": "a"}, {"name": "c", "strategy": "constraint", "threshold": 0.5}],
        observation_budget=20,
    )
    experiment = conn.experiments(e.id)
    experiment.report(
        assignments={**GOOD, "x": 9.0},
        values=[{"name": "a", "value": 10}, {"name": "c", "value": 0.4}],
    )
    experiment.report(
        assignments={**GOOD, "x": 5.0},
        values=[{"name": "a", "value": 5}, {"name": "c", "value": 0.6}],
    )
    assert [b.assignments["x"] for b in experiment.best_assignments.fetch()] == [5.0]

    updated = experiment.update(
        parameters=[
            {"name": "x", "bounds": {"min": 2, "max": 3}, "default_value": 2.5},
            {"name": "n"},
            {"name": "c"},
        ],
        metrics=[{"name": "a"}, {"name": "c", "threshold": 0.3}],
    )
    x = updated.parameters[0]
    assert (x.bounds.min, x.bounds.max, x.default_value) == (2, 3, 2.5)
    assert updated.metrics[1].threshold == 0.3
    assert [b.assignments["x"] for b in experiment.best_assignments.fetch()] == [9.0]
    for _ in range(3):
        s = experiment.suggestions.create()
        assert 2 <= s.assignments["x"] <= 3, s.assignments
        experiment.suggestions(s.id).delete()

    before = experiment.fetch()
    with pytest.raises(APIError) as caught:
        experiment.update(metrics=[{"name": "a"}, {"name": "c", "threshold": None}])
    assert caught.value.status == 422 and "metrics[1]" in str(caught.value)
    after = experiment.fetch()
    assert after.metrics == before.metrics and after.parameters == before.parameters


def test_best_assignments_carry_the_observations_metadata(conn):
    """SigOpt's best assignments render the observation's metadata; our model reads it."""
    e = conn.experiments.create(name="meta", parameters=PARAMETERS)
    conn.experiments(e.id).report(assignments=GOOD, value=2.0, metadata={"batch": "b7"})
    conn.experiments(e.id).report(assignments={**GOOD, "x": 0.5}, value=1.0)
    (best,) = conn.experiments(e.id).best_assignments.fetch()
    assert best.value == 2.0 and best.metadata == {"batch": "b7"}


def test_a_whole_number_value_is_sent_as_the_float_sigopt_reads(conn):
    """SigOpt's values are floats, and its server takes a JSON integer as the float nearest
    it; so does this service on its SigOpt routes, so our client sends a whole-number
    value, stddev or metric value (an int, a numpy integer) as given, and it is taken and
    answered as SigOpt answers it. One past the floats is the service's 400 naming its
    place, as sigopt-python gets it (before, our client judged it itself: a
    RequestEncodingError in its own words, nothing sent); nothing is stored."""
    import numpy as np

    from sigopt_like.errors import BadRequestError

    e = conn.experiments.create(name="whole values", parameters=PARAMETERS, metrics=[{"name": "m"}])
    observations = conn.experiments(e.id).observations
    made = observations.create(assignments=GOOD, value=2**70, value_stddev=np.int64(3))
    assert made.value == float(2**70) and type(made.value) is float
    assert made.value_stddev == 3.0
    reported = conn.experiments(e.id).report(data={"assignments": GOOD, "value": -(2**64)})
    assert reported.value == -float(2**64)
    listed = observations.create(assignments=GOOD, values=[{"name": "m", "value": 2**53 + 1}])
    assert listed.values[0].value == 9007199254740992.0  # the float, as SigOpt answers
    batch = observations.create_batch([{"assignments": GOOD, "value": 2**80}])
    assert [o.value for o in batch] == [float(2**80)]
    updated = conn.experiments(e.id).observations(made.id).update(value=2**90)
    assert updated.value == float(2**90)
    before = len(list(observations.list()))
    for call, field in (
        (lambda: observations.create(assignments=GOOD, value=10**400), "value"),
        (
            lambda: observations.create_batch(
                [{"assignments": GOOD, "value": 1}, {"assignments": GOOD, "value": -(10**400)}]
            ),
            "observations[1].value",
        ),
        (
            lambda: observations.create(
                assignments=GOOD, values=[{"name": "m", "value": 1, "value_stddev": 10**400}]
            ),
            "values[0].value_stddev",
        ),
        (lambda: conn.experiments(e.id).report(assignments=GOOD, value=-(2**1100)), "value"),
        (lambda: observations(made.id).update(value_stddev=10**400), "value_stddev"),
    ):
        with pytest.raises(BadRequestError, match="beyond a float's range") as caught:
            call()
        assert caught.value.status == 400 and caught.value.detail["field"] == field
        assert caught.value.request_id  # the service's answer, not the client's
    assert len(list(observations.list())) == before
    assert observations(made.id).fetch().value_stddev == 3.0

"""The official sigopt-python client (8.8.x), unchanged, against a served instance."""

from __future__ import annotations

import math

import pytest

sigopt = pytest.importorskip("sigopt")
from sigopt.exception import ApiException  # noqa: E402

PARAMETERS = [
    {"name": "x", "type": "double", "bounds": {"min": -5.0, "max": 10.0}},
    {"name": "y", "type": "double", "bounds": {"min": 0.0, "max": 15.0}},
    {"name": "k", "type": "int", "bounds": {"min": 1, "max": 4}},
    {"name": "shape", "type": "categorical", "categorical_values": ["flat", "bump"]},
]


def branin(a: dict) -> float:
    """Branin (to minimize), shifted by k and shape so every parameter matters."""
    x, y = a["x"], a["y"]
    value = (y - 5.1 / (4 * math.pi**2) * x**2 + 5 / math.pi * x - 6) ** 2
    value += 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10
    return value + (a["k"] - 2) ** 2 + (0.0 if a["shape"] == "bump" else 1.0)


@pytest.fixture
def conn(served):
    """sigopt.Connection with our token as its client token, pointed at our server."""
    connection = sigopt.Connection(client_token=served.token)
    connection.set_api_url(served.url)
    return connection


def test_optimization_loop(conn, engine_time):
    # seeded, and the engine's every answer (engine_time): unseeded, one seed in about 340
    # stays above 5.0 (seed 1159: 6.76, k = 2 tried once); this one reaches 1.03
    e = conn.experiments().create(
        name="branin via sigopt-python",
        parameters=PARAMETERS,
        metrics=[{"name": "branin", "objective": "minimize"}],
        observation_budget=30,
        metadata={"source": "test"},
        seed=4,
    )
    assert isinstance(e, sigopt.objects.Experiment)
    assert e.type == "offline" and e.observation_budget == 30
    assert [p.name for p in e.parameters] == ["x", "y", "k", "shape"]
    assert [v.name for v in e.parameters[3].categorical_values] == ["flat", "bump"]
    assert e.parameters[0].bounds.max == 10.0
    values = []
    for _ in range(30):
        s = conn.experiments(e.id).suggestions().create()
        assert isinstance(s, sigopt.objects.Suggestion) and s.state == "open"
        a = s.assignments
        assert -5 <= a["x"] <= 10 and 0 <= a["y"] <= 15
        assert isinstance(a["k"], int) and 1 <= a["k"] <= 4
        assert a["shape"] in ("flat", "bump")
        value = branin(a)
        values.append(value)
        o = conn.experiments(e.id).observations().create(suggestion=s.id, value=value)
        assert isinstance(o, sigopt.objects.Observation)
        assert o.suggestion == s.id and o.value == pytest.approx(value)
    fetched = conn.experiments(e.id).fetch()
    assert fetched.progress.observation_count == 30
    assert fetched.progress.last_observation.value == pytest.approx(values[-1])
    best = conn.experiments(e.id).best_assignments().fetch()
    (top,) = list(best.iterate_pages())
    assert isinstance(top, sigopt.objects.BestAssignments)
    assert top.value == pytest.approx(min(values))
    assert top.values[0].name == "branin"
    assert min(values) < 5.0  # optimum 0.398 + 0 + 0; a random search rarely gets here
    observed = list(conn.experiments(e.id).observations().fetch(limit=7).iterate_pages())
    assert len(observed) == 30 and len({o.id for o in observed}) == 30
    closed = list(conn.experiments(e.id).suggestions().fetch(state="closed").iterate_pages())
    assert len(closed) == 30


def test_iterate_pages_over_more_than_one_page(conn):
    ids = [conn.experiments().create(name=f"e{i}", parameters=PARAMETERS[:1]).id for i in range(12)]
    small = list(conn.experiments().fetch(limit=5).iterate_pages())
    assert [x.id for x in small] == list(reversed(ids))
    more = [
        conn.experiments().create(name=f"f{i}", parameters=PARAMETERS[:1]).id for i in range(95)
    ]
    everything = list(conn.experiments().fetch(limit=100).iterate_pages())  # two pages
    assert [x.id for x in everything] == list(reversed(ids + more))


def test_api_exception_carries_our_message(conn):
    e = conn.experiments().create(name="errors", parameters=PARAMETERS)
    with pytest.raises(ApiException) as caught:
        conn.experiments(e.id).observations().create(
            assignments={"x": 11.0, "y": 1.0, "k": 1, "shape": "flat"}, value=1.0
        )
    assert caught.value.status_code == 422
    assert "assignments.x" in caught.value.message and "maximum" in str(caught.value)
    assert caught.value.to_json()["detail"]["field"] == "assignments.x"
    with pytest.raises(ApiException) as caught:
        conn.experiments("987654").fetch()
    assert caught.value.status_code == 404 and caught.value.message
    with pytest.raises(ApiException) as caught:
        conn.experiments().create(
            name="bad", parameters=[{"name": "x", "type": "double", "bounds": {"min": 1, "max": 0}}]
        )
    assert caught.value.status_code == 422 and "parameters[0].bounds" in caught.value.message
    s = conn.experiments(e.id).suggestions().create()
    conn.experiments(e.id).observations().create(suggestion=s.id, value=1.0)
    with pytest.raises(ApiException) as caught:
        conn.experiments(e.id).observations().create(suggestion=s.id, value=2.0)
    assert caught.value.status_code == 409 and "suggestion" in caught.value.message


def test_an_api_url_with_v1_in_it_is_told_what_to_change(served):
    """Before: SIGOPT_API_URL=http://host:port/v1 (the client adds /v1 itself) got only
    "No route or object at /v1/v1/experiments."."""
    connection = sigopt.Connection(client_token=served.token)
    connection.set_api_url(served.url + "/v1")
    with pytest.raises(ApiException) as caught:
        connection.experiments().create(name="doubled", parameters=PARAMETERS)
    assert caught.value.status_code == 404
    assert "The path has /v1 twice" in caught.value.message
    assert "SIGOPT_API_URL=http://host:port" in caught.value.message


def test_update_delete_and_batch(conn):
    e = conn.experiments().create(name="crud", parameters=PARAMETERS, parallel_bandwidth=3)
    updated = conn.experiments(e.id).update(name="renamed", metadata={"a": "b"})
    assert updated.name == "renamed" and updated.metadata["a"] == "b"
    opened = [conn.experiments(e.id).suggestions().create() for _ in range(3)]
    assert len({tuple(sorted(s.assignments.items())) for s in opened}) == 3
    open_now = list(conn.experiments(e.id).suggestions().fetch(state="open").iterate_pages())
    assert len(open_now) == 3
    assert conn.experiments(e.id).suggestions(opened[0].id).delete() is None
    assert conn.experiments(e.id).suggestions(opened[0].id).fetch().to_json()["deleted"] is True
    batch = (
        conn.experiments(e.id)
        .observations()
        .create_batch(
            observations=[
                {"suggestion": opened[1].id, "value": 1.0},
                {"assignments": {"x": 1.0, "y": 2.0, "k": 2, "shape": "bump"}, "value": 0.5},
                {"suggestion": opened[2].id, "failed": True},
            ]
        )
    )
    made = list(batch.iterate_pages())
    assert [o.failed for o in made] == [False, False, True]
    o = conn.experiments(e.id).observations(made[0].id).update(value=3.0, value_stddev=0.2)
    assert (o.value, o.value_stddev) == (3.0, 0.2)
    assert conn.experiments(e.id).observations(made[0].id).fetch().value == 3.0
    conn.experiments(e.id).observations(made[1].id).delete()
    assert len(list(conn.experiments(e.id).observations().fetch().iterate_pages())) == 2
    conn.experiments(e.id).suggestions().create()
    conn.experiments(e.id).suggestions().delete(state="open")
    assert not list(conn.experiments(e.id).suggestions().fetch(state="open").iterate_pages())
    conn.experiments(e.id).delete()
    assert conn.experiments(e.id).fetch().state == "deleted"


def test_other_users_see_404(served, conn):
    e = conn.experiments().create(name="private", parameters=PARAMETERS)
    _, token = served.make_user()
    other = sigopt.Connection(client_token=token)
    other.set_api_url(served.url)
    with pytest.raises(ApiException) as caught:
        other.experiments(e.id).fetch()
    assert caught.value.status_code == 404
    with pytest.raises(ApiException) as caught:
        other.experiments(e.id).suggestions().create()
    assert caught.value.status_code == 404
    assert not list(other.experiments().fetch().iterate_pages())


def test_configured_through_the_environment(served, monkeypatch):
    monkeypatch.setenv("SIGOPT_API_TOKEN", served.token)
    monkeypatch.setenv("SIGOPT_API_URL", served.url)
    from sigopt.interface import Connection

    env_conn = Connection()
    e = env_conn.experiments().create(name="from env", parameters=PARAMETERS)
    s = env_conn.experiments(e.id).suggestions().create()
    env_conn.experiments(e.id).observations().create(suggestion=s.id, value=1.0)
    assert env_conn.experiments(e.id).fetch().progress.observation_count == 1


def test_wrong_token_is_api_exception_401(served):
    bad = sigopt.Connection(client_token="not-a-token")
    bad.set_api_url(served.url)
    with pytest.raises(ApiException) as caught:
        bad.experiments().fetch()
    assert caught.value.status_code == 401 and caught.value.message


def test_an_update_in_sigopts_shape_names_what_cannot_change(served, conn):
    """SigOpt's update lists every parameter by name with only what changes (new bounds,
    default value, prior, grid or categorical values; a metric's threshold). Each changes
    here too (see
    ``test_an_update_changes_bounds_defaults_priors_and_thresholds``); an entry that
    would change anything else is a 422 naming its field and saying why (it read
    "'parameters[0].type' must be one of double, int, categorical, not None"), and one
    that changes nothing is taken."""
    e = conn.experiments().create(
        name="update shapes",
        parameters=PARAMETERS,
        metrics=[{"name": "f", "objective": "minimize"}],
        observation_budget=10,
    )
    before = conn.experiments(e.id).fetch().to_json()

    def listing(i: int, **change: object) -> list[dict]:
        """Every parameter by name, the i-th with ``change``: the shape SigOpt takes."""
        return [{"name": p["name"], **(change if j == i else {})} for j, p in enumerate(PARAMETERS)]

    refused = [
        ({"parameters": listing(1, precision=3)}, "parameters[1].precision"),
        ({"parameters": listing(0, bounds={"min": 3, "max": 1})}, "parameters[0].bounds"),
        ({"parameters": listing(2, default_value=9)}, "parameters[2].default_value"),
        ({"parameters": listing(2, prior={"name": "beta"})}, "parameters[2].prior"),
        (
            {"parameters": listing(3, categorical_values=["flat", "flat"])},
            "parameters[3].categorical_values",
        ),
        ({"metrics": [{"name": "f", "threshold": 0.5}]}, "metrics[0].threshold"),
        # a new name is a new parameter: a whole definition, with a default value
        ({"parameters": [*listing(0), {"name": "z", "default_value": 1}]}, "parameters[4].type"),
        ({"name": "renamed", "parameters": [*listing(0), {"name": "x"}]}, "parameters[4].name"),
        (
            {
                "parameters": [
                    *listing(0),
                    {"name": "z", "type": "int", "bounds": {"min": 0, "max": 3}},
                ]
            },
            "parameters[4].default_value",
        ),
        # one left out, which SigOpt deletes: refused, its stored values would be lost
        ({"parameters": listing(0)[:3]}, "parameters"),
    ]
    for body, field in refused:
        with pytest.raises(ApiException) as caught:
            conn.experiments(e.id).update(**body)
        assert caught.value.status_code == 422, body
        message = caught.value.message
        assert message.startswith(f"'{field}'"), message
        assert conn.experiments(e.id).fetch().to_json() == before
    with pytest.raises(ApiException) as caught:
        conn.experiments(e.id).update(**refused[0][0])
    assert "cannot change after the experiment is created" in caught.value.message
    with pytest.raises(ApiException) as caught:
        conn.experiments(e.id).update(**refused[-2][0])
    assert '"z" is new' in caught.value.message
    with pytest.raises(ApiException) as caught:
        conn.experiments(e.id).update(**refused[-1][0])
    assert '"shape" is left out. SigOpt would delete it' in caught.value.message
    # the same shapes that change nothing are taken, with the rest of the update
    same = conn.experiments(e.id).update(
        name="renamed",
        parameters=listing(0, bounds={"min": -5, "max": 10}),
        metrics=[{"threshold": None}],
    )
    assert same.name == "renamed"
    after = conn.experiments(e.id).fetch().to_json()
    assert after["parameters"] == before["parameters"] and after["metrics"] == before["metrics"]


def test_a_null_budget_in_an_update_keeps_the_budget_as_sigopt_does(conn):
    """sigopt-server's update reads ``observation_budget: null`` as a budget not given
    (``get_with_validation`` treats null as missing): the budget stays. Here it was
    cleared, and an experiment whose budget a script meant to keep lost it."""
    e = conn.experiments().create(
        name="budget kept",
        parameters=PARAMETERS,
        observation_budget=30,
        metadata={"k": "v"},
    )
    updated = conn.experiments(e.id).update(observation_budget=None, name="renamed")
    assert updated.observation_budget == 30 and updated.name == "renamed"
    assert conn.experiments(e.id).fetch().observation_budget == 30
    changed = conn.experiments(e.id).update(observation_budget=40)
    assert changed.observation_budget == 40


def test_a_metadata_key_longer_than_sigopts_limit_is_refused(served, conn):
    """SigOpt refuses a metadata key of more than 100 characters; one of 1,000 (or a
    megabyte) was stored here. Now a 422 naming the field, nothing stored, wherever
    metadata goes (experiment, suggestion, observation, run, project)."""
    long_key, key = "k" * 101, "k" * 100
    e = conn.experiments().create(name="meta", parameters=PARAMETERS, metadata={key: 1})
    assert e.metadata[key] == 1
    s = conn.experiments(e.id).suggestions().create()
    client = conn.tokens("self").fetch().client
    conn.clients(client).projects().create(id="meta-runs", name="runs")
    calls = [
        lambda: conn.experiments().create(
            name="meta", parameters=PARAMETERS, metadata={long_key: 1}
        ),
        lambda: conn.experiments(e.id).update(metadata={long_key: "x"}),
        lambda: conn.experiments(e.id).suggestions().create(metadata={long_key: 1}),
        lambda: conn.experiments(e.id).suggestions(s.id).update(metadata={long_key: 1}),
        lambda: (
            conn.experiments(e.id)
            .observations()
            .create(suggestion=s.id, value=1.0, metadata={long_key: None})
        ),
        lambda: conn.clients(client).projects().create(id="meta", metadata={long_key: 1}),
        lambda: (
            conn.clients(client)
            .projects("meta-runs")
            .training_runs()
            .create(name="r", metadata={long_key: 1})
        ),
    ]
    for call in calls:
        with pytest.raises(ApiException) as caught:
            call()
        assert caught.value.status_code == 422
        assert "a key there has at most 100" in caught.value.message
        # cut as every long value sent is (json_kinds.json_shown), before, head and tail
        shown = f'"{"k" * 48}...{"k" * 10}" (101 characters)'
        assert f"the key {shown} is 101 characters long" in caught.value.message
    assert conn.experiments(e.id).fetch().metadata.to_json() == {key: 1}
    assert conn.experiments(e.id).suggestions(s.id).fetch().metadata is None
    assert conn.experiments(e.id).observations().fetch().count == 0
    assert [x.id for x in conn.experiments().fetch().iterate_pages()] == [e.id]
    runs = conn.clients(client).projects("meta-runs").training_runs().fetch()
    assert not list(runs.iterate_pages())
    o = conn.experiments(e.id).observations().create(suggestion=s.id, value=1.0, metadata={key: 2})
    assert o.metadata[key] == 2


def test_a_value_stddev_that_belongs_to_no_value_is_refused(served, conn):
    """``value_stddev`` beside ``values`` (SigOpt: "should be specified within the
    'values' list") or on a failed observation was a 201/200 that dropped it. Now a 422
    naming it, in a create, a batch and an update, nothing changed."""
    e = conn.experiments().create(
        name="stddev",
        parameters=PARAMETERS,
        metrics=[{"name": "a", "objective": "maximize"}, {"name": "b", "objective": "minimize"}],
        observation_budget=10,
    )
    observations = conn.experiments(e.id).observations()
    point = {"x": 1.0, "y": 2.0, "k": 2, "shape": "bump"}
    values = [{"name": "a", "value": 1.0}, {"name": "b", "value": 2.0}]
    kept = observations.create(assignments=point, values=values)
    failed = observations.create(assignments=point, failed=True)
    calls = [
        lambda: observations.create(assignments=point, values=values, value_stddev=0.1),
        lambda: observations.create(assignments=point, failed=True, value_stddev=0.1),
        lambda: observations.create_batch(
            observations=[{"assignments": point, "values": values, "value_stddev": 0.1}]
        ),
        lambda: conn.experiments(e.id).observations(kept.id).update(value_stddev=0.5),
        lambda: conn.experiments(e.id).observations(failed.id).update(value_stddev=0.5),
    ]
    before = [o.to_json() for o in observations.fetch().iterate_pages()]
    for call in calls:
        with pytest.raises(ApiException) as caught:
            call()
        assert caught.value.status_code == 422
        assert caught.value.to_json()["detail"]["field"].endswith("value_stddev")
        assert [o.to_json() for o in observations.fetch().iterate_pages()] == before
    with pytest.raises(ApiException) as caught:
        calls[0]()
    assert "give each metric's value_stddev in its entry of 'values'" in caught.value.message
    # where it belongs it is kept
    with_stddev = [{**values[0], "value_stddev": 0.1}, values[1]]
    o = observations.create(assignments=point, values=with_stddev)
    assert [v.value_stddev for v in o.values] == [0.1, None]


def test_queued_suggestions_as_sigopt_python_calls_them(conn):
    """sigopt-python's queued_suggestions() create / fetch / delete (a 404 before)."""
    e = conn.experiments().create(
        name="queued", parameters=PARAMETERS, metrics=[{"name": "branin"}]
    )
    baseline = {"x": 1.0, "y": 2.0, "k": 2, "shape": "bump"}
    q = conn.experiments(e.id).queued_suggestions().create(assignments=baseline)
    assert isinstance(q, sigopt.objects.QueuedSuggestion) and q.experiment == e.id
    listed = conn.experiments(e.id).queued_suggestions().fetch()
    assert [x.id for x in listed.iterate_pages()] == [q.id]
    assert dict(conn.experiments(e.id).queued_suggestions(q.id).fetch().assignments) == baseline
    s = conn.experiments(e.id).suggestions().create()
    assert dict(s.assignments) == baseline
    with pytest.raises(ApiException) as caught:
        conn.experiments(e.id).queued_suggestions(q.id).fetch()
    assert caught.value.status_code == 404
    q2 = conn.experiments(e.id).queued_suggestions().create(assignments=baseline)
    conn.experiments(e.id).queued_suggestions(q2.id).delete()
    assert dict(conn.experiments(e.id).suggestions().create().assignments) != baseline
    with pytest.raises(ApiException) as caught:
        conn.experiments(e.id).queued_suggestions().create(assignments={**baseline, "k": 9})
    assert caught.value.status_code == 422 and "k" in str(caught.value)


def test_stopping_criteria_and_importances_as_sigopt_python_calls_them(conn):
    """sigopt-python's stopping_criteria(), importances() and metric_importances()."""
    e = conn.experiments().create(
        name="insights",
        parameters=PARAMETERS,
        metrics=[{"name": "branin", "objective": "minimize"}],
        observation_budget=12,
    )
    stop = conn.experiments(e.id).stopping_criteria().fetch()
    assert isinstance(stop, sigopt.objects.StoppingCriteria) and stop.should_stop is False
    for _ in range(12):
        s = conn.experiments(e.id).suggestions().create()
        conn.experiments(e.id).observations().create(suggestion=s.id, value=branin(s.assignments))
    stop = conn.experiments(e.id).stopping_criteria().fetch()
    assert stop.should_stop is True and stop.reasons == ["observation_budget_reached"]
    shares = conn.experiments(e.id).importances().fetch()
    assert isinstance(shares, sigopt.objects.Importances)
    assert set(shares.importances) == {"x", "y", "k", "shape"}
    assert sum(shares.importances.values()) == pytest.approx(1.0)
    by_metric = list(conn.experiments(e.id).metric_importances().fetch().iterate_pages())
    assert [m.metric for m in by_metric] == ["branin"]
    assert dict(by_metric[0].importances) == dict(shares.importances)


@pytest.mark.filterwarnings("error::RuntimeWarning")  # .data warns: pages are read whole
def test_an_update_changes_bounds_defaults_priors_and_thresholds(served, conn):
    """SigOpt's update changes a parameter's bounds, default value and prior and a
    metric's threshold (``_maybe_set_parameter_bounds``, ``..._default_value``,
    ``..._prior``, ``_update_thresholds_on_metrics``); each was a 422 here, the
    definition kept as created. Each is taken now and honoured: suggestions come from
    the new bounds, an observation outside them is refused, one leaving the parameter
    out takes the new default, the prior is kept (null clears it), and the best
    assignments follow the new threshold. A change the linear constraints cannot meet
    is a 422 naming them, nothing changed."""
    e = conn.experiments().create(
        name="redefined",
        parameters=[
            {"name": "x", "type": "double", "bounds": {"min": -5, "max": 10}},
            {"name": "y", "type": "double", "bounds": {"min": 0, "max": 1}},
        ],
        metrics=[{"name": "a"}, {"name": "c", "strategy": "constraint", "threshold": 0.5}],
        linear_constraints=[
            {
                "type": "greater_than",
                "threshold": 1,
                "terms": [{"name": "x", "weight": 1}, {"name": "y", "weight": 1}],
            }
        ],
        observation_budget=20,
    )
    experiment = conn.experiments(e.id)
    observe = experiment.observations().create

    def best_x() -> list[float]:  # every page: .data is the first alone, and warns
        return [b.assignments["x"] for b in experiment.best_assignments().fetch().iterate_pages()]

    observe(
        assignments={"x": 9, "y": 0.5},
        values=[{"name": "a", "value": 10}, {"name": "c", "value": 0.4}],
    )
    observe(
        assignments={"x": 5, "y": 0.5},
        values=[{"name": "a", "value": 5}, {"name": "c", "value": 0.6}],
    )
    assert best_x() == [5]

    updated = experiment.update(
        parameters=[
            {"name": "x", "bounds": {"min": 2, "max": 3}, "default_value": 2.5},
            {"name": "y", "prior": {"name": "beta", "shape_a": 2, "shape_b": 5}},
        ],
        metrics=[{"name": "a"}, {"name": "c", "threshold": 0.3}],
    )
    x, y = updated.parameters
    assert (x.bounds.min, x.bounds.max, x.default_value) == (2, 3, 2.5)
    assert y.prior.name == "beta" and y.prior.shape_a == 2
    assert updated.metrics[1].threshold == 0.3
    assert best_x() == [9]
    for _ in range(4):
        s = experiment.suggestions().create()
        assert 2 <= s.assignments["x"] <= 3, s.assignments
        experiment.suggestions(s.id).delete()
    with pytest.raises(ApiException) as caught:
        observe(
            assignments={"x": 5, "y": 0.5},
            values=[{"name": "a", "value": 1}, {"name": "c", "value": 1}],
        )
    assert caught.value.status_code == 422 and "assignments.x" in caught.value.message
    filled = observe(
        assignments={"y": 0.5}, values=[{"name": "a", "value": 1}, {"name": "c", "value": 1}]
    )
    assert filled.assignments["x"] == 2.5

    before = experiment.fetch().to_json()
    with pytest.raises(ApiException) as caught:  # x + y >= 1 has no point in x <= -1
        experiment.update(
            parameters=[
                {"name": "x", "bounds": {"min": -5, "max": -1}, "default_value": -2},
                {"name": "y"},
            ]
        )
    assert caught.value.status_code == 422 and "linear_constraints" in caught.value.message
    with pytest.raises(ApiException) as caught:  # two metrics: an entry names its own
        experiment.update(metrics=[{"threshold": 0.2}])
    assert caught.value.status_code == 422 and caught.value.message.startswith("'metrics[0].name'")
    with pytest.raises(ApiException) as caught:  # the constraint metric keeps a threshold
        experiment.update(metrics=[{"name": "a"}, {"name": "c", "threshold": None}])
    assert caught.value.status_code == 422 and "metrics[1]" in caught.value.message
    assert experiment.fetch().to_json() == before
    cleared = experiment.update(parameters=[{"name": "x"}, {"name": "y", "prior": None}])
    assert cleared.parameters[1].prior is None


def test_an_update_changes_categorical_and_grid_values(served, conn):
    """SigOpt's update sets a categorical parameter's values (a new one added, one left
    out deleted) and a parameter's grid (``_maybe_set_parameter_categorical_values``,
    ``_maybe_set_parameter_grid_values``); both were a 422 here. Now suggestions take
    the new values only, and an observation of a value left out is refused."""
    e = conn.experiments().create(
        name="levels",
        parameters=[
            {"name": "c", "type": "categorical", "categorical_values": ["a", "b"]},
            {"name": "g", "type": "double", "grid": [0.1, 0.2]},
        ],
        type="grid",
    )
    experiment = conn.experiments(e.id)
    updated = experiment.update(
        parameters=[
            {"name": "c", "categorical_values": ["b", "z"]},
            {"name": "g", "grid": [0.5, 0.7, 0.9]},
        ]
    )
    assert [v.name for v in updated.parameters[0].categorical_values] == ["b", "z"]
    assert updated.parameters[1].grid == [0.5, 0.7, 0.9]
    # the grid fixes a grid search's budget (SigOpt's create sets it, its update keeps
    # it): the new grid's size, not the 4 points of the old one
    assert e.observation_budget == 4 and updated.observation_budget == 6
    seen = set()
    for _ in range(6):  # the new grid has 2 x 3 points
        s = experiment.suggestions().create()
        seen.add((s.assignments["c"], s.assignments["g"]))
        experiment.observations().create(suggestion=s.id, value=1.0)
    assert seen == {(c, g) for c in ("b", "z") for g in (0.5, 0.7, 0.9)}
    with pytest.raises(ApiException) as caught:
        experiment.observations().create(assignments={"c": "a", "g": 0.5}, value=1.0)
    assert caught.value.status_code == 422 and "assignments.c" in caught.value.message


def test_a_list_asked_without_limit_answers_up_to_1000_as_sigopt_does(conn):
    """SigOpt's lists default their page to 1000 items (``Request.get_paging``); here it
    was 100, so a script reading ``.fetch().data`` of 150 observations saw 100 of them."""
    e = conn.experiments().create(name="many", parameters=PARAMETERS[:1])
    batch = [{"assignments": {"x": i / 100}, "value": float(i)} for i in range(150)]
    conn.experiments(e.id).observations().create_batch(observations=batch)
    for _ in range(3):
        conn.experiments(e.id).suggestions().create()
    with pytest.warns(RuntimeWarning):  # sigopt-python's hint to use iterate_pages
        page = conn.experiments(e.id).observations().fetch()
        assert len(page.data) == 150 and page.paging.before is None
        assert len(conn.experiments(e.id).observations().fetch(limit=40).data) == 40
        assert len(conn.experiments(e.id).suggestions().fetch().data) == 3


def test_a_whole_number_value_is_the_float_sigopt_answers(conn):
    """SigOpt's values are floats: a JSON integer is a number, taken as the float nearest
    it and answered as that float, which this service does too (``2**53 + 1`` comes back
    ``9007199254740992.0``, as from SigOpt), for an observation's value and a run's
    metric. Before: past 64 bits (sigopt-python sends ``value=2**70`` as the JSON integer
    ``1180591620717411303424``) the door refused the integer, where SigOpt takes it; now
    it is the double it denotes, stored and answered as that float: docs/sigopt.md."""
    e = conn.experiments().create(
        name="whole numbers",
        parameters=[{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
        metrics=[{"name": "m"}],
        observation_budget=5,
    )
    observations = conn.experiments(e.id).observations()
    made = observations.create(assignments={"x": 0.5}, value=2**53 + 1, value_stddev=3)
    for seen in (made, conn.experiments(e.id).observations(made.id).fetch()):
        assert type(seen.value) is float and seen.value == 9007199254740992.0
        assert type(seen.value_stddev) is float and seen.value_stddev == 3.0
    wide = observations.create(assignments={"x": 0.5}, value=2**70, value_stddev=2**64)
    listed = observations.create(assignments={"x": 0.5}, values=[{"name": "m", "value": -(2**70)}])
    for seen in (wide, conn.experiments(e.id).observations(wide.id).fetch()):
        assert type(seen.value) is float and seen.value == float(2**70)
        assert type(seen.value_stddev) is float and seen.value_stddev == float(2**64)
    fetched = conn.experiments(e.id).observations(listed.id).fetch()
    assert fetched.value == -float(2**70) and fetched.values[0].value == -float(2**70)
    assert observations.fetch().count == 3
    client = conn.tokens("self").fetch().client
    run = conn.clients(client).projects("whole").training_runs().create(name="r")
    logged = conn.training_runs(run.id).update(values={"m": {"value": 2**53 + 1}})
    value = logged.values["m"].value
    assert type(value) is float and value == 9007199254740992.0
    conn.training_runs(run.id).update(values={"m": {"value": -(2**70)}})
    assert conn.training_runs(run.id).fetch().values["m"].value == -float(2**70)
    checkpoint = (
        conn.training_runs(run.id).checkpoints().create(values=[{"name": "m", "value": 2**70}])
    )
    assert checkpoint.values[0].value == float(2**70)


def test_an_int_parameter_bound_past_64_bits_is_a_422_naming_it(conn):
    """A whole-number field keeps refusing an integer past 64 bits, now that the door reads
    one as a double on SigOpt's routes: an int parameter's bound of 2**70 is a 422 naming
    the bound and the integers it takes (as 1e19 is; it was a 400), a budget the same, and
    nothing is created."""
    before = conn.experiments().fetch().count
    wide = {"name": "n", "type": "int", "bounds": {"min": 0, "max": 2**70}}
    with pytest.raises(ApiException) as caught:
        conn.experiments().create(name="wide", parameters=[wide])
    assert caught.value.status_code == 422
    message = str(caught.value)
    assert "'parameters[0].bounds.max' is 1180591620717411303424" in message
    assert "outside its range" in message and "SigOpt's bounds are doubles" in message
    unit = {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}
    with pytest.raises(ApiException) as caught:
        conn.experiments().create(name="wide", parameters=[unit], observation_budget=2**70)
    assert caught.value.status_code == 422
    assert "'observation_budget' is 1180591620717411303424" in str(caught.value)
    assert "a whole number from 1 to 9223372036854775807" in str(caught.value)
    assert conn.experiments().fetch().count == before


def test_a_grid_precision_it_could_not_hold_is_refused(conn):
    """sigopt-python's create of a grid parameter with a precision its values do not
    have raises ApiException (422) naming the field; it was created and served the
    grid values unrounded."""
    grid = {"name": "x", "type": "double", "grid": [0.123, 0.456], "precision": 1}
    with pytest.raises(ApiException) as caught:
        conn.experiments().create(name="grid precision", parameters=[grid])
    assert caught.value.status_code == 422
    assert "parameters[0].precision" in str(caught.value)
    held = conn.experiments().create(name="ok", parameters=[{**grid, "grid": [0.1, 0.4]}])
    assert conn.experiments(held.id).suggestions().create().assignments["x"] in (0.1, 0.4)


def test_a_training_run_batch_takes_what_upload_runs_sends_and_no_more(conn):
    """``upload_runs`` sends at most 10,000 runs a request (its ``max_batch_size``): a
    batch of that many is taken; one more was taken too, without bound (a million runs in
    one request held the write lock as long as it took). It is a 422 that says to split
    the batch, and no run of it is kept."""
    client = conn.tokens("self").fetch().client
    conn.clients(client).projects().create(id="bulk", name="bulk")
    runs = conn.clients(client).projects("bulk").training_runs()
    with pytest.raises(ApiException) as refused:
        runs.create_batch(runs=[{"name": f"r{i}"} for i in range(10_001)], fields="id")
    assert refused.value.status_code == 422
    assert "'runs' has 10,001 runs; one request takes at most 10,000" in str(refused.value)
    assert "Split them" in str(refused.value)
    assert runs.fetch(limit=1).count == 0
    made = runs.create_batch(runs=[{"name": f"r{i}"} for i in range(10_000)], fields="id")
    assert len(made.data) == 10_000 and runs.fetch(limit=1).count == 10_000

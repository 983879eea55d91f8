"""SigOpt-style experiments through the client, embedded and served."""

from __future__ import annotations

import pytest

from sigopt_like import BestAssignments, Experiment, NotFoundError, Observation, Page, Suggestion

PARAMETERS = [
    {"name": "x", "type": "double", "bounds": {"min": 0.0, "max": 1.0}},
    {"name": "n", "type": "int", "bounds": {"min": 1, "max": 10}},
    {"name": "kind", "type": "categorical", "categorical_values": [{"name": "a"}, {"name": "b"}]},
]


def make_experiment(conn, **extra) -> Experiment:
    return conn.experiments.create(
        name="tune",
        parameters=PARAMETERS,
        metrics=[{"name": "score", "objective": "maximize"}],
        observation_budget=20,
        metadata={"team": "lab"},
        **extra,
    )


def score(assignments) -> float:
    return -((assignments["x"] - 0.3) ** 2) + assignments["n"] / 10


def test_experiment_lifecycle(conn):
    experiment = make_experiment(conn)
    assert isinstance(experiment, Experiment) and experiment.id
    assert [p.name for p in experiment.parameters] == ["x", "n", "kind"]
    assert experiment.parameters[0].bounds.max == 1.0
    assert experiment.metrics[0].objective == "maximize"
    assert experiment.observation_budget == 20
    assert conn.experiments(experiment.id).fetch().name == "tune"
    updated = conn.experiments(experiment.id).update(name="tuned")
    assert updated.name == "tuned"
    listed = conn.experiments.list()
    assert isinstance(listed, Page) and [e.id for e in listed] == [experiment.id]
    assert conn.experiments(experiment.id).delete() is None
    # as SigOpt does: a deleted experiment stays fetchable, with state "deleted"
    assert conn.experiments(experiment.id).fetch().state == "deleted"
    with pytest.raises(NotFoundError):
        conn.experiments("999999").fetch()


def test_suggest_observe_loop_and_best_assignments(conn):
    experiment = conn.experiments(make_experiment(conn))
    for _ in range(6):
        suggestion = experiment.suggestions.create()
        assert isinstance(suggestion, Suggestion)
        assert 0.0 <= suggestion.assignments["x"] <= 1.0
        assert suggestion.assignments["kind"] in ("a", "b")
        observation = experiment.observations().create(
            suggestion=suggestion.id, value=score(suggestion.assignments)
        )
        assert isinstance(observation, Observation)
        assert observation.suggestion == suggestion.id
    assert experiment.observations.list().count == 6
    best = list(experiment.best_assignments.fetch())
    assert len(best) >= 1 and isinstance(best[0], BestAssignments)
    values = [o.value for o in experiment.observations.list()]
    assert best[0].value == max(values)


def test_shorthands_suggest_and_report(conn):
    experiment = conn.experiments(make_experiment(conn))
    suggestion = experiment.suggest()
    observation = experiment.report(suggestion=suggestion, value=0.5)
    assert observation.suggestion == suggestion.id and observation.value == 0.5
    direct = experiment.report(assignments={"x": 0.1, "n": 3, "kind": "b"}, value=0.2)
    assert direct.assignments == {"x": 0.1, "n": 3, "kind": "b"}
    failed = experiment.report(suggestion=experiment.suggest(), failed=True)
    assert failed.failed is True
    assert experiment.observations(direct.id).fetch().value == 0.2


def test_open_suggestions_list_and_delete(conn):
    experiment = conn.experiments(make_experiment(conn, parallel_bandwidth=3))
    made = [experiment.suggestions.create() for _ in range(3)]
    open_ids = {s.id for s in experiment.suggestions.list(state="open")}
    assert {s.id for s in made} <= open_ids
    assert experiment.suggestions(made[0].id).fetch().id == made[0].id
    experiment.suggestions(made[0].id).delete()
    assert made[0].id not in {s.id for s in experiment.suggestions.list(state="open")}
    assert experiment.suggestions(made[0].id).fetch().deleted is True
    experiment.suggestions.delete(state="open")
    assert list(experiment.suggestions.list(state="open")) == []


def test_batch_observations_and_update_delete(conn):
    experiment = conn.experiments(make_experiment(conn))
    suggestions = [experiment.suggestions.create() for _ in range(3)]
    created = experiment.observations.create_batch(
        [{"suggestion": s, "value": float(i)} for i, s in enumerate(suggestions)]
    )
    assert len(created) == 3 and all(isinstance(o, Observation) for o in created)
    target = created[0]
    assert experiment.observations(target.id).update(value=9.5).value == 9.5
    experiment.observations(target.id).delete()
    assert experiment.observations.list().count == 2


def test_every_field_the_sigopt_service_sends_is_a_typed_field(conn):
    """Before: an experiment's ``user``, ``development`` and ``tasks``, a suggestion's
    ``deleted`` and ``task``, an observation's ``updated`` and ``task`` (SigOpt's fields,
    sent by the service; multitask is refused, so tasks are empty) landed in ``extra``."""
    experiment = make_experiment(conn)
    suggestion = conn.experiments(experiment.id).suggestions().create()
    observation = (
        conn.experiments(experiment.id)
        .observations()
        .create(suggestion=suggestion.id, value=score(suggestion.assignments))
    )
    for received in (experiment, suggestion, observation):
        assert set(received.extra) <= {"object"}, (type(received).__name__, received.extra)
    assert experiment.development is False and experiment.user and experiment.tasks == []
    assert suggestion.deleted is False and suggestion.task is None is observation.task
    assert observation.updated >= observation.created

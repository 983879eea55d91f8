"""Models: built from JSON, unknown fields kept, round-trip through to_dict()."""

from __future__ import annotations

import pytest

from sigopt_like import models
from sigopt_like.spaces import Space
from sigopt_like.tables import Table

EXPERIMENT = {
    "object": "experiment",
    "id": "12",
    "name": "lr",
    "type": "offline",
    "parameters": [
        {
            "name": "x",
            "type": "double",
            "bounds": {"min": 0.0, "max": 1.0, "object": "bounds"},
            "categorical_values": None,
            "precision": None,
            "default_value": None,
            "grid": None,
            "transformation": None,
            "prior": None,
            "object": "parameter",
            "conditions": {},
        },
        {
            "name": "c",
            "type": "categorical",
            "bounds": None,
            "categorical_values": [{"name": "a", "enum_index": 1, "object": "categorical_value"}],
            "precision": None,
            "default_value": None,
            "grid": None,
            "transformation": None,
            "prior": None,
            "conditions": None,
        },
    ],
    "metrics": [
        {"name": "acc", "objective": "maximize", "strategy": "optimize", "threshold": None}
    ],
    "conditionals": [],
    "linear_constraints": [],
    "num_solutions": 1,
    "observation_budget": 30,
    "parallel_bandwidth": 2,
    "metadata": {"team": "x"},
    "project": None,
    "client": "1",
    "state": "active",
    "created": 1,
    "updated": 2,
    "progress": None,
    "user": "1",
    "development": False,
    "tasks": [],
    "future_field": {"nested": [1, 2]},
}


def test_experiment_round_trips_known_and_unknown_fields():
    experiment = models.Experiment.from_dict(EXPERIMENT)
    assert experiment.parameters[0].bounds.max == 1.0
    assert experiment.parameters[1].categorical_values[0].name == "a"
    assert experiment.metrics[0].objective == "maximize"
    assert experiment.extra == {"object": "experiment", "future_field": {"nested": [1, 2]}}
    assert experiment.parameters[0].extra == {"object": "parameter"}
    assert experiment.parameters[0].conditions == {}
    assert experiment.to_dict() == EXPERIMENT


def test_task_result_is_typed_by_type():
    body = {
        "object": "task",
        "id": "3",
        "session": "1",
        "type": "generate",
        "status": "success",
        "phase": "done",
        "progress": {"fraction": 1.0, "message": "ok"},
        "errors": [],
        "result": {
            "gen": 1,
            "experiments": {"columns": ["p", "Response"], "rows": [[1, None]]},
            "remaining": 4,
            "completed": False,
        },
        "attempts": 1,
        "created": 1,
        "started": 2,
        "finished": 3,
        "cancel_requested": False,
        "version": 5,
        "worker_seen": 2,
        "warnings": [],
    }
    task = models.Task.from_dict(body)
    assert task.attempts == 1
    assert isinstance(task.result, models.GenerateResult)
    assert isinstance(task.result.experiments, Table)
    assert task.result.experiments.columns == ("p", "Response")
    assert task.done and task.succeeded
    assert task.to_dict() == body


def test_space_result_builds_a_space():
    space = {
        "type": "factorial",
        "parameters": [{"name": "p", "type": "numerical", "values": [0, 1]}],
    }
    task = models.Task.from_dict(
        {"type": "space", "status": "running", "result": {"space": space, "space_size": 2}}
    )
    assert isinstance(task.result.space, Space)
    assert task.result.space.to_dict() == Space.from_dict(space).to_dict()
    assert not task.done


def test_unknown_task_type_keeps_a_plain_dict():
    task = models.Task.from_dict(
        {"type": "teleport", "status": "success", "result": {"where": "mars"}}
    )
    assert task.result == {"where": "mars"}


def test_task_errors_are_items_with_row_and_column():
    task = models.Task.from_dict(
        {
            "status": "failed",
            "errors": [
                {"message": "not a level", "category": "validation", "row": 4, "column": "p1"}
            ],
        }
    )
    (item,) = task.errors
    assert str(item) == "row 4, column p1: not a level"


def test_history_to_csv():
    history = models.History.from_dict(
        {
            "object": "history",
            "generations": [
                {
                    "gen": 0,
                    "validated": True,
                    "has_responses": True,
                    "design_rows": 0,
                    "table": {"columns": ["p", "Response"], "rows": [[1, 2.5]]},
                },
                {
                    "gen": 1,
                    "validated": True,
                    "has_responses": False,
                    "design_rows": 1,
                    "table": {"columns": ["p", "Response"], "rows": [[2, None]]},
                },
            ],
        }
    )
    table = history.to_table()
    assert table.columns[:3] == ("Seq_", "Gen_", "Designed_")
    assert table.rows == ((1, 0, "N", 1, 2.5), (2, 1, "Y", 2, None))
    assert history.to_csv().splitlines()[0].startswith("Seq_,Gen_,Designed_")


def test_suggestion_assignments_are_a_dict():
    suggestion = models.Suggestion.from_dict({"id": "1", "assignments": {"x": 0.5, "c": "a"}})
    assert isinstance(suggestion.assignments, dict)
    assert suggestion.assignments["x"] == 0.5
    observation = models.Observation.from_dict(
        {"id": "2", "values": [{"name": "acc", "value": 0.9, "value_stddev": None}]}
    )
    assert observation.values[0].value == 0.9


def test_token_repr_hides_the_token():
    token = models.Token.from_dict({"object": "token", "token": "abc-secret", "user": "1"})
    assert "abc-secret" not in repr(token)
    assert token.to_dict()["token"] == "abc-secret"


def test_from_dict_refuses_non_mappings():
    with pytest.raises(TypeError):
        models.Session.from_dict(["not", "a", "dict"])


def test_malformed_nested_values_are_kept_not_dropped():
    session = models.Experiment.from_dict({"parameters": "weird", "progress": 5})
    assert session.parameters == "weird"
    assert session.progress == 5


def test_history_to_dataframe(embedded_conn):
    """Before: History had no to_dataframe()."""
    space = {
        "type": "factorial",
        "parameters": [{"name": "p1", "type": "numerical", "values": list(range(30))}],
    }
    session = embedded_conn.sessions(embedded_conn.sessions.create(name="frame").id)
    session.space.put(space=space, population_size=10, replicates=0, wait=True)
    session.simulate(ngens=2, wait=True)
    frame = session.history.fetch().to_dataframe()
    assert list(frame.columns) == ["Seq_", "Gen_", "Designed_", "p1", "Response"]
    assert len(frame) == 20 and sorted(set(frame["Gen_"])) == [1, 2]
    assert frame["Response"].dtype.kind == "f" and frame["p1"].dtype.kind == "i"


def test_every_field_the_campaign_service_sends_is_a_typed_field(embedded_conn):
    """Before: ``completed``, ``remaining``, ``next_task_skipped``, ``generations_run``,
    ``n_observations`` and ``gen`` came from the service but landed in ``extra``, where
    no one reads them (the CLI could not say why generate_next made no design)."""
    space = {
        "type": "factorial",
        "parameters": [{"name": "p1", "type": "numerical", "values": list(range(4))}],
    }
    session = embedded_conn.sessions(embedded_conn.sessions.create(name="typed").id)
    put = session.space.put(space=space, population_size=2, replicates=0, wait=True)
    design = session.generate(wait=True)
    measured = Table(
        columns=design.result.experiments.columns,
        rows=[(*row[:-1], float(i)) for i, row in enumerate(design.result.experiments.rows)],
    )
    update = session.experiments.put(type="designed", table=measured, wait=True)
    simulated = session.simulate(ngens=1, wait=True)
    best, history = session.best.fetch(), session.history.fetch()
    for received in (put.result, design.result, update.result, simulated.result, best, history):
        assert set(received.extra) <= {"object"}, (type(received).__name__, received.extra)
    assert put.result.completed is False and design.result.completed is False
    assert (simulated.result.generations_run, simulated.result.completed) == (1, True)
    assert best.n_observations == 1 and best.gen == history.gen == 2

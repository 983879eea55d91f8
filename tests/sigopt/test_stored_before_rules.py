"""An experiment stored before a rule that its definition breaks can still be updated.

Two rules came after experiments that break them were stored: a log scale on grid values
refused in a random or grid search, and two names that read the same (``é`` composed and
``e`` with a combining accent) refused as one name twice. Each was checked over every
stored parameter or metric on any update, so such an experiment refused every update of
its parameters or metrics (the duplicate one with the false "'parameters' cannot change
after the experiment is created"): its definition was frozen for good. An update now
checks what it changes; what is stored and sent back as it is stays taken.

The rows are written directly in the store's table, as rows written before the rules were.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from sigopt_like.service.store import schema

from .conftest import Api

#: the same text to a reader in three code-point sequences: composed, combining, and
#: the Angstrom sign (NFC makes it the composed one)
COMPOSED, COMBINING, ANGSTROM = "\u00c5", "A\u030a", "\u212b"
DOUBLE = {"type": "double", "bounds": {"min": 0, "max": 1}}


def _stored_as(api: Api, experiment_id: str, **fields: Any) -> None:
    """The experiment's row as one written before the rule: ``fields`` as JSON text."""
    with api.service.context.store.database.engine.begin() as conn:
        conn.execute(
            sa.update(schema.sigopt_experiments)
            .where(schema.sigopt_experiments.c.id == int(experiment_id))
            .values({k: json.dumps(v) for k, v in fields.items()})
        )


def _row(api: Api, experiment_id: str, column: str) -> Any:
    with api.service.context.store.database.engine.connect() as conn:
        return json.loads(
            conn.execute(
                sa.select(schema.sigopt_experiments.c[column]).where(
                    schema.sigopt_experiments.c.id == int(experiment_id)
                )
            ).scalar_one()
        )


def test_a_stored_log_grid_lets_other_parameters_change(api: Api) -> None:
    e = api.post(
        "/v1/experiments",
        {
            "name": "r",
            "type": "random",
            "parameters": [
                {"name": "lr", "type": "double", "grid": [0.001, 0.01, 0.1]},
                {"name": "x", **DOUBLE},
            ],
        },
    ).body
    stored = _row(api, e["id"], "parameters")
    stored = [{**p, "transformation": "log"} if p["name"] == "lr" else p for p in stored]
    _stored_as(api, e["id"], parameters=stored)
    reply = api.put(
        f"/v1/experiments/{e['id']}",
        {"parameters": [{"name": "lr"}, {"name": "x", "bounds": {"min": -1, "max": 2}}]},
    )
    assert reply.status == 200, reply.body
    assert _row(api, e["id"], "parameters")[1]["bounds"] == {"min": -1, "max": 2}
    # a parameters update that sends the stored grid back as it is: taken too
    reply = api.put(
        f"/v1/experiments/{e['id']}",
        {"parameters": [{"name": "lr", "grid": [0.001, 0.01, 0.1]}, {"name": "x"}]},
    )
    assert reply.status == 200, reply.body
    before = api.snapshot()
    reply = api.put(
        f"/v1/experiments/{e['id']}",
        {"parameters": [{"name": "lr", "grid": [0.001, 0.1]}, {"name": "x"}]},
    )
    assert reply.status == 422, reply.body
    assert reply.body["detail"]["field"] == "parameters[0].transformation", reply.body
    assert api.snapshot() == before


def test_two_parameter_names_stored_in_both_forms_still_change(api: Api) -> None:
    e = api.create_experiment(parameters=[{"name": "a", **DOUBLE}, {"name": "b", **DOUBLE}])
    stored = _row(api, e["id"], "parameters")
    stored[0]["name"], stored[1]["name"] = COMPOSED, COMBINING
    _stored_as(api, e["id"], parameters=stored)
    reply = api.put(
        f"/v1/experiments/{e['id']}",
        {"parameters": [{"name": COMPOSED, "bounds": {"min": 0, "max": 5}}, {"name": COMBINING}]},
    )
    assert reply.status == 200, reply.body
    assert _row(api, e["id"], "parameters")[0]["bounds"] == {"min": 0, "max": 5}
    before = api.snapshot()
    reply = api.put(
        f"/v1/experiments/{e['id']}",
        {
            "parameters": [
                {"name": COMPOSED},
                {"name": COMBINING},
                {"name": ANGSTROM, **DOUBLE, "default_value": 0.5},
            ]
        },
    )
    assert reply.status == 422, reply.body
    assert reply.body["detail"]["field"] == "parameters[2].name", reply.body
    assert "the same text to a reader" in reply.body["message"], reply.body
    assert api.snapshot() == before


def test_categorical_values_stored_in_both_forms_still_change(api: Api) -> None:
    e = api.create_experiment(
        parameters=[{"name": "c", "type": "categorical", "categorical_values": ["p", "q"]}]
    )
    stored = _row(api, e["id"], "parameters")
    stored[0]["categorical_values"] = [COMPOSED, COMBINING]
    _stored_as(api, e["id"], parameters=stored)
    values = [COMPOSED, COMBINING, "z"]
    reply = api.put(
        f"/v1/experiments/{e['id']}",
        {"parameters": [{"name": "c", "categorical_values": values}]},
    )
    assert reply.status == 200, reply.body
    assert _row(api, e["id"], "parameters")[0]["categorical_values"] == values
    before = api.snapshot()
    reply = api.put(
        f"/v1/experiments/{e['id']}",
        {"parameters": [{"name": "c", "categorical_values": [*values, ANGSTROM]}]},
    )
    assert reply.status == 422, reply.body
    assert reply.body["detail"]["field"] == "parameters[0].categorical_values", reply.body
    assert "the same text to a reader" in reply.body["message"], reply.body
    assert api.snapshot() == before


def test_metric_names_stored_in_both_forms_still_change(api: Api) -> None:
    e = api.create_experiment(metrics=[{"name": "m"}, {"name": "n"}])
    metrics = _row(api, e["id"], "metrics")
    metrics[0]["name"], metrics[1]["name"] = COMPOSED, COMBINING
    _stored_as(api, e["id"], metrics=metrics)
    reply = api.put(
        f"/v1/experiments/{e['id']}",
        {"metrics": [{"name": COMPOSED, "threshold": 0.5}, {"name": COMBINING}]},
    )
    assert reply.status == 200, reply.body
    assert [m["threshold"] for m in _row(api, e["id"], "metrics")] == [0.5, None]


def test_a_stored_entry_a_rule_refuses_is_named_not_called_a_change(api: Api) -> None:
    """A stored definition that a rule refuses, sent back unchanged with another
    parameter's new bounds: the 422 is the rule's (which a categorical values update can
    mend), not "'parameters' cannot change", which named no change the update made."""
    e = api.create_experiment(
        parameters=[
            {"name": "c", "type": "categorical", "categorical_values": ["p", "q"]},
            {"name": "x", **DOUBLE},
        ]
    )
    stored = _row(api, e["id"], "parameters")
    stored[0]["categorical_values"] = ["p", " "]
    _stored_as(api, e["id"], parameters=stored)
    before = api.snapshot()
    reply = api.put(
        f"/v1/experiments/{e['id']}",
        {"parameters": [{"name": "c"}, {"name": "x", "bounds": {"min": 0, "max": 5}}]},
    )
    assert reply.status == 422, reply.body
    assert reply.body["detail"]["field"] == "parameters[0].categorical_values[1]", reply.body
    assert "must not be empty" in reply.body["message"], reply.body
    assert api.snapshot() == before
    reply = api.put(
        f"/v1/experiments/{e['id']}",
        {"parameters": [{"name": "c", "categorical_values": ["p", "q"]}, {"name": "x"}]},
    )
    assert reply.status == 200, reply.body


def test_stored_categoricals_past_the_limit_let_other_parameters_change(api: Api) -> None:
    """An optimized experiment stored with 250 values of a categorical (before the limit of
    200): an update of another parameter, or of its own values keeping their number, is
    taken; one that adds values is refused naming them, nothing stored."""
    e = api.post(
        "/v1/experiments",
        {
            "name": "wide",
            "parameters": [
                {"name": "c", "type": "categorical", "categorical_values": ["v0", "v1"]},
                {"name": "x", **DOUBLE},
            ],
        },
    ).body
    stored = _row(api, e["id"], "parameters")
    stored[0]["categorical_values"] = [f"v{i}" for i in range(250)]
    _stored_as(api, e["id"], parameters=stored)
    for body in ({"name": "wider"}, {"metadata": {"batch": 2}}):
        reply = api.put(f"/v1/experiments/{e['id']}", body)
        assert reply.status == 200, reply.body
    reply = api.put(
        f"/v1/experiments/{e['id']}",
        {"parameters": [{"name": "c"}, {"name": "x", "bounds": {"min": -1, "max": 2}}]},
    )
    assert reply.status == 200, reply.body
    assert _row(api, e["id"], "parameters")[1]["bounds"] == {"min": -1, "max": 2}
    renamed = [f"w{i}" for i in range(250)]
    reply = api.put(
        f"/v1/experiments/{e['id']}",
        {"parameters": [{"name": "c", "categorical_values": renamed}, {"name": "x"}]},
    )
    assert reply.status == 200, reply.body
    before = api.snapshot()
    reply = api.put(
        f"/v1/experiments/{e['id']}",
        {"parameters": [{"name": "c", "categorical_values": [*renamed, "w250"]}, {"name": "x"}]},
    )
    assert reply.status == 422, reply.body
    assert reply.body["detail"]["field"] == "parameters[0].categorical_values"
    assert "stored with 250" in reply.body["message"]
    assert api.snapshot() == before

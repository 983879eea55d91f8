"""An experiment update that adds parameters, as SigOpt's does: an entry of a new name
is a new parameter with a ``default_value``, which every earlier suggestion, queued
suggestion and observation takes (SigOpt reads a missing value as the default); the
engine then suggests in the new space. A parameter left out of ``parameters``, which
SigOpt deletes, is refused: its stored values would be lost. The official sigopt-python
client against a served instance, and the API of both services (embedded and served)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api

sigopt = pytest.importorskip("sigopt")
from sigopt.exception import ApiException  # noqa: E402

X = {"name": "x", "type": "double", "bounds": {"min": 0.0, "max": 1.0}}
Y = {"name": "y", "type": "int", "bounds": {"min": 0, "max": 9}}
Z = {"name": "z", "type": "categorical", "categorical_values": ["a", "b"], "default_value": "b"}


@pytest.fixture
def sigopt_conn(served):
    connection = sigopt.Connection(client_token=served.token)
    connection.set_api_url(served.url)
    return connection


def test_sigopt_python_adds_a_parameter(sigopt_conn):
    conn = sigopt_conn
    e = conn.experiments().create(
        name="grows", parameters=[X, Y], metrics=[{"name": "v"}], observation_budget=20
    )
    for _ in range(4):
        s = conn.experiments(e.id).suggestions().create()
        conn.experiments(e.id).observations().create(suggestion=s.id, value=s.assignments["x"])
    left_open = conn.experiments(e.id).suggestions().create()
    queued = conn.experiments(e.id).queued_suggestions().create(assignments={"x": 0.5, "y": 3})
    before = list(conn.experiments(e.id).observations().fetch().iterate_pages())
    # SigOpt's shape: every kept parameter by name, the new one whole
    updated = conn.experiments(e.id).update(parameters=[{"name": "x"}, {"name": "y"}, Z])
    assert [p.name for p in updated.parameters] == ["x", "y", "z"]
    assert updated.parameters[2].default_value == "b"
    observed = list(conn.experiments(e.id).observations().fetch().iterate_pages())
    assert sorted((o.id, dict(o.assignments)) for o in observed) == sorted(
        (o.id, {**o.assignments, "z": "b"}) for o in before
    )
    still = conn.experiments(e.id).suggestions(left_open.id).fetch()
    assert dict(still.assignments) == {**left_open.assignments, "z": "b"}
    assert dict(conn.experiments(e.id).queued_suggestions(queued.id).fetch().assignments) == {
        "x": 0.5,
        "y": 3,
        "z": "b",
    }
    # the open suggestion is observed with its new assignments; the queue serves its own
    made = conn.experiments(e.id).observations().create(suggestion=left_open.id, value=0.1)
    assert dict(made.assignments) == dict(still.assignments)
    served_from_queue = conn.experiments(e.id).suggestions().create()
    assert dict(served_from_queue.assignments) == {"x": 0.5, "y": 3, "z": "b"}
    # the engine suggests in the new space
    fresh = conn.experiments(e.id).suggestions().create()
    assert set(fresh.assignments) == {"x", "y", "z"} and fresh.assignments["z"] in ("a", "b")
    (best,) = conn.experiments(e.id).best_assignments().fetch().iterate_pages()
    assert set(best.assignments) == {"x", "y", "z"}
    # assignments without the new parameter take its default
    plain = conn.experiments(e.id).observations().create(assignments={"x": 0.2, "y": 1}, value=0)
    assert dict(plain.assignments) == {"x": 0.2, "y": 1, "z": "b"}


def test_sigopt_python_deleting_a_parameter_is_refused_and_keeps_every_value(sigopt_conn, served):
    """SigOpt deletes a parameter left out of an update; here that would drop its stored
    values for good, so it is refused naming ``parameters``, every row unchanged."""
    conn = sigopt_conn
    e = conn.experiments().create(
        name="kept", parameters=[X, Y], metrics=[{"name": "v"}], observation_budget=20
    )
    for _ in range(3):
        s = conn.experiments(e.id).suggestions().create()
        conn.experiments(e.id).observations().create(suggestion=s.id, value=s.assignments["x"])
    conn.experiments(e.id).suggestions().create()  # left open
    conn.experiments(e.id).queued_suggestions().create(assignments={"x": 0.5, "y": 3})

    def stored() -> dict[str, list]:
        return {
            name: sorted((r.id, dict(r.assignments)) for r in rows.fetch().iterate_pages())
            for name, rows in (
                ("observations", conn.experiments(e.id).observations()),
                ("suggestions", conn.experiments(e.id).suggestions()),
                ("queued", conn.experiments(e.id).queued_suggestions()),
            )
        }

    before = stored()
    rows = Api(served.service, served.url, served.token).snapshot()
    assert all(len(v) for v in before.values())
    for parameters in ([{"name": "x"}], [{"name": "x"}, Z], [Z, {"name": "y"}]):
        with pytest.raises(ApiException) as caught:
            conn.experiments(e.id).update(parameters=parameters)
        assert caught.value.status_code == 422
        assert caught.value.to_json()["detail"]["field"] == "parameters"
        message = caught.value.message
        left_out = "y" if parameters[0] == {"name": "x"} else "x"
        assert f'parameter "{left_out}" is left out' in message, message
        assert "SigOpt would delete it" in message and "would be lost" in message, message
        assert "List every parameter to keep them" in message, message
        assert "create a new experiment to drop one" in message, message
    assert stored() == before
    assert Api(served.service, served.url, served.token).snapshot() == rows
    fetched = conn.experiments(e.id).fetch()
    assert [p.name for p in fetched.parameters] == ["x", "y"]


def test_a_new_conditional_parameter_takes_its_default_where_it_is_active(api: Api):
    conditionals = [{"name": "kind", "values": ["small", "large"]}]
    s = {**X, "name": "s", "conditions": {"kind": ["small"]}}
    e = api.create_experiment(parameters=[X, s], conditionals=conditionals)
    base = f"/v1/experiments/{e['id']}"
    for points in ({"kind": "small", "s": 0.5}, {"kind": "large"}):
        body = {"assignments": {"x": 0.1, **points}, "value": 1}
        assert api.post(f"{base}/observations", body).status == 201
    w = {
        "name": "w",
        "type": "double",
        "bounds": {"min": 1.0, "max": 2.0},
        "default_value": 1.5,
        "conditions": {"kind": ["large"]},
    }
    reply = api.put(base, {"parameters": [{"name": "x"}, {"name": "s"}, w]})
    assert reply.status == 200, reply.body
    rows = api.get(f"{base}/observations").body["data"]
    assert sorted((r["assignments"]["kind"], r["assignments"].get("w")) for r in rows) == [
        ("large", 1.5),
        ("small", None),
    ]


HOSTILE: list[Any] = ["\ud800", "a\x00b", 2**70, 1e308, -1e308, ["b"], {"name": "b"}, True]


def test_refused_parameter_changes_name_the_field_and_change_nothing(api: Api):
    e = api.create_experiment(parameters=[X, Y])
    grid = api.create_experiment(
        type="grid",
        parameters=[{"name": "g", "type": "int", "bounds": {"min": 0, "max": 3}}, Y],
    )
    constrained = api.create_experiment(
        parameters=[X, {**X, "name": "x2"}],
        linear_constraints=[
            {
                "type": "less_than",
                "threshold": 1,
                "terms": [{"name": "x", "weight": 1}, {"name": "x2", "weight": 1}],
            }
        ],
    )
    base = f"/v1/experiments/{e['id']}"
    assert (
        api.post(f"{base}/observations", {"assignments": {"x": 0.1, "y": 7}, "value": 1}).status
        == 201
    )
    assert api.post(f"{base}/suggestions").status == 201
    before = api.snapshot()
    kept = [{"name": "x"}, {"name": "y"}]
    refused: list[tuple[str, dict[str, Any], str]] = [
        (
            base,
            {"parameters": [*kept, {**Z, "default_value": None}]},
            "parameters[2].default_value",
        ),
        (base, {"parameters": [*kept, {"name": "z", "default_value": 1}]}, "parameters[2].type"),
        (base, {"parameters": []}, "parameters"),
        (base, {"parameters": [*kept, {**Z, "default_value": "c"}]}, "parameters[2].default_value"),
        (
            base,
            {"parameters": [*kept, {**Y, "name": "n", "default_value": 12}]},
            "parameters[2].default_value",
        ),
        (base, {"parameters": [*kept, {**Z, "name": ""}]}, "parameters[2].name"),
        (base, {"parameters": [*kept, 3]}, "parameters[2]"),
        (
            base,
            {
                "parameters": [
                    {"name": "z", **{k: v for k, v in Z.items() if k != "name"}},
                    {"name": "x", "type": "int"},
                    {"name": "y"},
                ]
            },
            "parameters[1].type",
        ),
        # a parameter left out, which SigOpt deletes: refused, its values kept
        (base, {"parameters": [{"name": "x"}]}, "parameters"),
        (base, {"parameters": [{"name": "y"}, Z]}, "parameters"),
        (base, {"parameters": [{**X, "bounds": {"min": 0, "max": 2}}]}, "parameters"),
        (f"/v1/experiments/{grid['id']}", {"parameters": [{"name": "g"}]}, "parameters"),
        (f"/v1/experiments/{constrained['id']}", {"parameters": [{"name": "x"}]}, "parameters"),
        (
            f"/v1/experiments/{grid['id']}",
            {"parameters": [{"name": "g"}, {"name": "y"}, {**Y, "name": "n", "default_value": 1}]},
            "parameters[2].name",
        ),
        (
            f"/v1/experiments/{constrained['id']}",
            {"parameters": [{"name": "x"}, {"name": "x2"}, {**Y, "default_value": 1}]},
            "parameters[2].name",
        ),
    ]
    for value in HOSTILE:
        refused.append(
            (
                base,
                {"parameters": [*kept, {**Y, "name": "n", "default_value": value}]},
                "parameters[2].default_value",
            )
        )
        refused.append((base, {"parameters": [*kept, {**Z, "name": value}]}, "parameters[2].name"))
    for path, body, field in refused:
        reply = api.put(path, body)
        assert 400 <= reply.status < 500, (body, reply.body)
        assert reply.body["detail"]["field"] == field, (body, reply.body)
    assert api.snapshot() == before


def test_a_run_of_an_ai_experiment_reports_in_the_new_space(api: Api):
    """A run suggested before the update becomes an observation of the new parameters
    (the added one at its default); leaving a parameter out is refused as in v1."""
    client = api.get("/v1/tokens/self").body["client"]
    body = {"name": "ai", "parameters": [X, Y], "metrics": [{"name": "acc"}], "budget": 5}
    e = api.post(f"/v1/clients/{client}/projects/p/aiexperiments", body).body
    run = api.post(f"/v1/aiexperiments/{e['id']}/training_runs", {"name": "r"}).body
    assert set(run["assignments"]) == {"x", "y"}
    before = api.snapshot()
    deleting = api.put(f"/v1/aiexperiments/{e['id']}", {"parameters": [{"name": "x"}, Z]})
    assert deleting.status == 422 and deleting.body["detail"]["field"] == "parameters"
    assert '"y" is left out' in deleting.body["message"], deleting.body
    assert api.snapshot() == before
    kept = [{"name": "x"}, {"name": "y"}]
    updated = api.put(f"/v1/aiexperiments/{e['id']}", {"parameters": [*kept, Z]})
    assert updated.status == 200, updated.body
    method = "MERGE" if api.mode == "served" else "PATCH"
    done = api.call(
        method,
        f"/v1/training_runs/{run['id']}",
        {"values": {"acc": {"value": 0.5}}, "state": "completed"},
    )
    assert done.status == 200, done.body
    (obs,) = api.get(f"/v1/experiments/{e['id']}/observations").body["data"]
    assert obs["assignments"] == {**run["assignments"], "z": "b"}
    second = api.post(f"/v1/aiexperiments/{e['id']}/training_runs", {"name": "r2"}).body
    assert set(second["assignments"]) == {"x", "y", "z"}


def test_a_suggestion_chosen_while_parameters_change_is_stored_in_the_new_space(
    api: Api, monkeypatch: pytest.MonkeyPatch
):
    """The engine runs outside the write: an update that adds z between its choice and
    the write leaves a suggestion with z at its default, as the update made of the
    suggestions it found."""
    from sigopt_like.service.resources.sigopt import suggester

    e = api.create_experiment(parameters=[X, Y])
    base = f"/v1/experiments/{e['id']}"
    engines = suggester.choose
    updated: list[int] = []

    def racing(*args: Any, **kwargs: Any) -> Any:
        choice = engines(*args, **kwargs)
        if not updated:  # another client, between the choice and the write
            body = {"parameters": [{"name": "x"}, {"name": "y"}, Z]}
            updated.append(api.put(base, body).status)
        return choice

    monkeypatch.setattr(suggester, "choose", racing)
    reply = api.post(f"{base}/suggestions")
    assert updated == [200]
    assert reply.status == 201 and set(reply.body["assignments"]) == {"x", "y", "z"}, reply.body
    assert reply.body["assignments"]["z"] == "b"
    stored = api.get(f"{base}/suggestions/{reply.body['id']}").body
    assert stored["assignments"] == reply.body["assignments"]


def test_the_rewrite_holds_on_sqlite_and_postgresql(served_on_either):
    api = Api(served_on_either.service, served_on_either.url, served_on_either.token)
    tasks = [{"name": "full", "cost": 1}, {"name": "cheap", "cost": 0.1}]
    e = api.create_experiment(parameters=[X, Y], observation_budget=10, tasks=tasks)
    base = f"/v1/experiments/{e['id']}"
    for i, failed in enumerate((False, True, False, False)):
        body = {"assignments": {"x": i / 10, "y": i}, "task": "full", "failed": failed}
        made = api.post(f"{base}/observations", body if failed else {**body, "value": i})
        assert made.status == 201, made.body
    opened = api.post(f"{base}/suggestions").body  # after 3 successes: SigOpt's weights
    queued = api.post(
        f"{base}/queued_suggestions", {"assignments": {"x": 0.5, "y": 1}, "task": "full"}
    )
    assert queued.status == 201, queued.body

    def rows() -> list[dict[str, Any]]:
        return [
            *api.get(f"{base}/observations").body["data"],
            api.get(f"{base}/suggestions/{opened['id']}").body,
            api.get(f"{base}/queued_suggestions/{queued.body['id']}").body,
        ]

    before, stored = rows(), api.snapshot()
    deleting = api.put(base, {"parameters": [{"name": "x"}, Z]})
    assert deleting.status == 422 and deleting.body["detail"]["field"] == "parameters"
    assert api.snapshot() == stored
    assert api.put(base, {"parameters": [{"name": "x"}, {"name": "y"}, Z]}).status == 200
    assert [r["assignments"] for r in rows()] == [{**r["assignments"], "z": "b"} for r in before]


def test_an_update_of_many_entries_is_read_at_once(api):
    """Before: each entry's name was looked for in a copy of the names before it, so an
    update listing 50,000 parameters held the request about a minute before its 422."""
    import time

    e = api.create_experiment()
    before = api.get(f"/v1/experiments/{e['id']}").body
    entries = [{"name": f"p{i}"} for i in range(50_000)]
    began = time.monotonic()
    reply = api.put(f"/v1/experiments/{e['id']}", {"parameters": entries})
    assert time.monotonic() - began < 20
    assert reply.status == 422 and "is left out" in reply.body["message"], reply
    reply = api.put(f"/v1/experiments/{e['id']}", {"parameters": [*entries[:3], entries[1]]})
    assert reply.status == 422 and '"p1" is named twice' in reply.body["message"], reply
    after = api.get(f"/v1/experiments/{e['id']}").body
    assert after["parameters"] == before["parameters"]

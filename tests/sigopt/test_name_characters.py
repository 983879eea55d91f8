"""One rule for the characters of a name in both APIs (``domain.labels``): a control
character (C0, DEL, C1) is refused in a SigOpt name as in a Daptics session's, in the
same words; ordinary names are taken, and a name stored before the
rule reads and may be sent back unchanged. Embedded and served."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import PARAMETERS, Api

BAD = ("\x01", "\x1b[2J", "a\x7fb", "a\x85b", "tab\there")
#: what SigOpt users' scripts send: any script, spaces, punctuation, emoji with joiners
GOOD = "Café résumé — run #1 (\u03b1=0.5, lr: 1e-3) 模型 👩\u200d🔬 / ok?"


def _refused(reply: Any, field: str) -> str:
    assert reply.status == 422, reply.body
    assert reply.body["detail"]["field"] == field, reply.body
    return str(reply.body["message"])


def _client(api: Api) -> str:
    return str(api.get("/v1/tokens/self").body["client"])


def _owner(api: Api) -> int:
    return int(api.get("/v1/tokens/self").body["user"])


def _experiment_with_a_run(api: Api, **fields: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new experiment (``fields`` as create_experiment takes them) and a run in project
    ``p``: what the stored-before-the-rule tests rewrite in the store."""
    client = _client(api)
    e = api.create_experiment(**fields)
    api.post(f"/v1/clients/{client}/projects", {"id": "p", "name": "p"})
    run = api.post(f"/v1/clients/{client}/projects/p/training_runs", {"name": "r"}).body
    return e, run


def _stored(api: Api, unit: Any, e: dict[str, Any]) -> Any:
    """The experiment ``e`` as the store holds it, in the write unit ``unit``."""
    stored = unit.experiments.get(_owner(api), int(e["id"]))
    assert stored is not None
    return stored


@pytest.mark.parametrize("bad", BAD)
def test_sigopt_names_refuse_control_characters(api: Api, bad: str):
    client = _client(api)
    before = api.snapshot()
    metric = [{"name": f"m{bad}"}]
    param = [{**PARAMETERS[0], "name": f"x{bad}"}]
    categorical = [{"name": "c", "type": "categorical", "categorical_values": ["a", bad]}]
    experiment = {"name": "e", "parameters": PARAMETERS}
    cases = [
        ("/v1/experiments", {**experiment, "name": bad}, "name"),
        ("/v1/experiments", {**experiment, "metrics": metric}, "metrics[0].name"),
        ("/v1/experiments", {**experiment, "parameters": param}, "parameters[0].name"),
        (
            "/v1/experiments",
            {**experiment, "parameters": categorical},
            "parameters[0].categorical_values[1]",
        ),
        ("/v1/experiments", {**experiment, "metadata": {bad: 1}}, "metadata"),
        (f"/v1/clients/{client}/projects", {"id": "p", "name": bad}, "name"),
        (f"/v1/clients/{client}/projects", {"id": "p", "metadata": {bad: 1}}, "metadata"),
        (f"/v1/clients/{client}/tags", {"name": bad, "color": "#112233"}, "name"),
    ]
    for path, body, field in cases:
        message = _refused(api.post(path, body), field)
        assert "control character" in message, message
    assert api.snapshot() == before
    e = api.create_experiment()
    run = api.post(f"/v1/clients/{client}/projects/p/training_runs", {"name": "r"}).body
    before = api.snapshot()
    rid = run["id"]
    _refused(api.post(f"/v1/clients/{client}/projects/p/training_runs", {"name": bad}), "name")
    _refused(api.put(f"/v1/experiments/{e['id']}", {"name": bad}), "name")
    _refused(api.put(f"/v1/training_runs/{rid}", {"name": bad}), "name")
    checkpoint = {"values": [{"name": bad, "value": 1}]}
    _refused(api.post(f"/v1/training_runs/{rid}/checkpoints", checkpoint), "values[0].name")
    file = {
        "name": bad,
        "content_length": 1,
        "content_md5": "1B2M2Y8AsgTpgAmY7PhCfg==",
        "content_type": "image/png",
    }
    reply = api.post(f"/v1/training_runs/{rid}/files", file)
    assert reply.status == 422 and reply.body["detail"]["field"] == "name", reply.body
    assert api.snapshot() == before


def test_a_sigopt_name_is_refused_in_a_session_names_words(api: Api):
    """The words are the session's: where, which character, and what to do."""
    message = _refused(
        api.post("/v1/experiments", {"name": "a\x01", "parameters": PARAMETERS}), "name"
    )
    assert message == (
        "'name' holds a control character (\"\\u0001\" at character 2); it is one line of "
        "text: leave out line breaks, tabs and control characters."
    )
    session = api.post("/v1/sessions", {"name": "a\x01"})
    assert session.status == 422, session.body
    # a session's says where its line breaks may go instead
    assert session.body["message"] == (
        "The session name"
        + message.removeprefix("'name'").removesuffix(".")
        + " (the description may hold line breaks)."
    )


def test_ordinary_unicode_names_are_taken(api: Api):
    client = _client(api)
    categorical = {"name": GOOD, "type": "categorical", "categorical_values": ["a", GOOD]}
    e = api.create_experiment(
        name=GOOD, parameters=[categorical], metrics=[{"name": GOOD}], metadata={GOOD: GOOD}
    )
    assert e["name"] == GOOD and e["metadata"] == {GOOD: GOOD}
    assert e["parameters"][0]["name"] == GOOD and e["metrics"][0]["name"] == GOOD
    project = api.post(f"/v1/clients/{client}/projects", {"id": "p", "name": GOOD})
    assert project.status == 201 and project.body["name"] == GOOD, project.body
    run = api.post(f"/v1/clients/{client}/projects/p/training_runs", {"name": GOOD})
    assert run.status == 201 and run.body["name"] == GOOD, run.body
    tag = api.post(
        f"/v1/clients/{client}/tags", {"name": "tab-free " + GOOD[:40], "color": "#112233"}
    )
    assert tag.status in (200, 201), tag.body


def test_names_stored_before_the_rule_read_and_may_be_sent_back(api: Api):
    """An experiment, project and run whose names and keys hold control characters
    (stored before the rule) read, and an update sending them back unchanged is taken;
    a new such name is still refused."""
    client = _client(api)
    old = "old\x1b[2J"
    categorical = {"name": "c", "type": "categorical", "categorical_values": ["a", "b"]}
    e, run = _experiment_with_a_run(api, parameters=[PARAMETERS[0], categorical])
    with api.service.context.store.sigopt.write() as unit:
        stored = _stored(api, unit, e)
        params = [dict(p) for p in stored.parameters]
        params[1] = {**params[1], "name": f"c{old}", "categorical_values": ["a", old]}
        unit.experiments.update(
            stored.id, {"name": old, "parameters": params, "metadata": {old: 1}}, 1
        )
        project = unit.projects.get(_owner(api), "p")
        assert project is not None
        unit.projects.update(project.id, {"name": old, "metadata": {old: 1}}, 1)
        unit.runs.update(int(run["id"]), {"name": old, "metadata": {old: "v"}}, 1)
    fetched = api.get(f"/v1/experiments/{e['id']}").body
    assert fetched["name"] == old and fetched["metadata"] == {old: 1}
    body = {k: fetched[k] for k in ("name", "parameters", "metadata")}
    reply = api.put(f"/v1/experiments/{e['id']}", body)
    assert reply.status == 200, reply.body
    assert reply.body["name"] == old and reply.body["parameters"][1]["name"] == f"c{old}"
    _refused(api.put(f"/v1/experiments/{e['id']}", {"name": old + "\x01"}), "name")
    projects = f"/v1/clients/{client}/projects/p"
    fetched = api.get(projects).body
    assert fetched["name"] == old and fetched["metadata"] == {old: 1}
    reply = api.put(projects, {"name": old, "metadata": {old: 2}})
    assert reply.status == 200 and reply.body["metadata"] == {old: 2}, reply.body
    _refused(api.put(projects, {"name": "\x01"}), "name")
    got = api.get(f"/v1/training_runs/{run['id']}").body
    assert got["name"] == old
    reply = api.put(f"/v1/training_runs/{run['id']}", {"name": old, "metadata": {old: "w"}})
    assert reply.status == 200 and reply.body["metadata"] == {old: "w"}, reply.body
    _refused(api.put(f"/v1/training_runs/{run['id']}", {"metadata": {"\x01": 1}}), "metadata")


def test_a_constraint_and_a_checkpoint_keep_names_stored_before_the_rule(api: Api):
    """A linear constraint's term names a parameter, and a checkpoint a metric the run
    logged: one stored before the rule is taken as it is. Before, an update of another
    parameter's bounds was refused naming 'linear_constraints[0].terms[0].name', a field
    the client never sent, and the run could log no checkpoint of its own metric."""
    old = "x\tscaled"
    y = {"name": "y", "type": "double", "bounds": {"min": 0, "max": 1}}
    terms = [{"name": "x", "weight": 1}, {"name": "y", "weight": 1}]
    constraint = {"type": "less_than", "threshold": 9, "terms": terms}
    e, run = _experiment_with_a_run(
        api, parameters=[PARAMETERS[0], y], linear_constraints=[constraint]
    )
    with api.service.context.store.sigopt.write() as unit:
        stored = _stored(api, unit, e)
        params = [dict(p) for p in stored.parameters]
        params[0] = {**params[0], "name": old}
        constraints = [dict(c) for c in stored.linear_constraints]
        constraints[0]["terms"] = [{**constraints[0]["terms"][0], "name": old}, terms[1]]
        unit.experiments.update(
            stored.id, {"parameters": params, "linear_constraints": json.dumps(constraints)}, 1
        )
        unit.runs.update(int(run["id"]), {"values": {old: {"value": 1.0}}}, 1)
    update = {"parameters": [{"name": old}, {"name": "y", "bounds": {"min": 0, "max": 2}}]}
    reply = api.put(f"/v1/experiments/{e['id']}", update)
    assert reply.status == 200, reply.body
    assert reply.body["parameters"][1]["bounds"]["max"] == 2
    checkpoints = f"/v1/training_runs/{run['id']}/checkpoints"
    reply = api.post(checkpoints, {"values": [{"name": old, "value": 0.5}]})
    assert reply.status == 201, reply.body
    _refused(
        api.post(checkpoints, {"values": [{"name": "new\x01", "value": 0.5}]}), "values[0].name"
    )

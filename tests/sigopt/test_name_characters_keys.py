"""The names rule (``domain.labels``) for Unicode's line and paragraph separators, and
for the keys of a training run's maps: a dataset's, a log's, a metric value's, an
assignment's source, a feature's name. Each is one line of text a person reads; one
holding a line break is a 422 naming its field, nothing written; one stored before the
rule reads, and a run fetched and sent back whole keeps it. Embedded and served."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import PARAMETERS, Api
from .test_name_characters import _client, _refused

SEPARATORS = ("\u2028", "\u2029")


def _run(api: Api) -> dict[str, Any]:
    """A new run in project ``p`` (made on first use), with an assignment ``x``."""
    client = _client(api)
    api.post(f"/v1/clients/{client}/projects", {"id": "p", "name": "p"})
    reply = api.post(
        f"/v1/clients/{client}/projects/p/training_runs", {"name": "r", "assignments": {"x": 1}}
    )
    assert reply.status == 201, reply.body
    return dict(reply.body)


@pytest.mark.parametrize("separator", SEPARATORS)
def test_line_and_paragraph_separators_are_refused_in_names(api: Api, separator: str):
    """Before: "a\\u2028b" was taken as a name (its category is Zl, not Cc), and shown
    on two lines, where "a\\nb" was refused."""
    client = _client(api)
    before = api.snapshot()
    bad = f"a{separator}b"
    experiment = {"name": "e", "parameters": PARAMETERS}
    cases = [
        ("/v1/experiments", {**experiment, "name": bad}, "name"),
        ("/v1/experiments", {**experiment, "metadata": {bad: 1}}, "metadata"),
        (f"/v1/clients/{client}/projects", {"id": "p", "name": bad}, "name"),
    ]
    for path, body, field in cases:
        message = _refused(api.post(path, body), field)
        assert f"holds a line break ({json.dumps(separator)} at character 2)" in message, message
    assert api.snapshot() == before
    session = api.post("/v1/sessions", {"name": bad})
    assert session.status == 422, session.body
    assert "line break" in session.body["message"], session.body
    assert api.get(f"/v1/clients/{client}/projects/p").body["name"] == "p"  # made on use


def test_a_name_with_a_separator_stored_before_the_rule_may_be_sent_back(api: Api):
    old = "old\u2028name"
    e = api.create_experiment()
    with api.service.context.store.sigopt.write() as unit:
        unit.experiments.update(int(e["id"]), {"name": old}, 1)
    fetched = api.get(f"/v1/experiments/{e['id']}").body
    assert fetched["name"] == old
    reply = api.put(f"/v1/experiments/{e['id']}", {"name": old})
    assert reply.status == 200 and reply.body["name"] == old, reply.body
    _refused(api.put(f"/v1/experiments/{e['id']}", {"name": "new\u2029name"}), "name")


#: each map of a run whose keys are names: the body logging ``key``, and the field named
KEYED = (
    (lambda key: {"datasets": {key: {}}}, "datasets"),
    (lambda key: {"datasets": [key]}, "datasets"),
    (lambda key: {"logs": {key: {"content": "hello"}}}, "logs"),
    (lambda key: {"values": {key: {"value": 1.0}}}, "values"),
    (
        lambda key: {"assignments_sources": {key: {"default_show": True, "sort": 2}}},
        "assignments_sources",
    ),
    (
        lambda key: {"sys_metadata": {"feature_importances": {"scores": {key: 0.5}}}},
        "sys_metadata.feature_importances.scores",
    ),
    (lambda key: {"dev_metadata": {key: 1}}, "dev_metadata"),
)


@pytest.mark.parametrize("bad", ("a\nb", "\x1b[2J", "a\u2028b"))
def test_a_runs_map_keys_are_names(api: Api, bad: str):
    """Before: ``run.log_dataset("a\\nb")``, a log or a metric named so, a feature
    importance or an assignment's source were kept, and broke the lines of whoever listed
    them."""
    run = _run(api)
    path = f"/v1/training_runs/{run['id']}"
    before = api.get(path).body
    for body_of, field in KEYED:
        message = _refused(api.put(path, body_of(bad)), field)
        assert f"'{field}': the key {json.dumps(bad)} holds" in message, message
    # an assignment's meta names an assignment: the key is checked before it is looked up
    message = _refused(
        api.put(path, {"assignments": {bad: 2}, "assignments_meta": {bad: {"source": "s"}}}),
        "assignments",
    )
    reply = api.put(path, {"assignments_meta": {bad: {"source": "s"}}})
    _refused(reply, "assignments_meta")
    assert api.get(path).body == before
    ok = {"datasets": {"mnist (v2) — train": {}}, "logs": {"stdout": {"content": "a\nb"}}}
    reply = api.put(path, ok)
    assert reply.status == 200, reply.body
    assert reply.body["datasets"] == ["mnist (v2) — train"]
    assert reply.body["logs"] == {"stdout": {"content": "a\nb"}}  # values are not names


def test_a_runs_map_keys_stored_before_the_rule_may_be_sent_back(api: Api):
    """A run whose maps hold keys stored before the rule reads, and the whole run fetched
    and sent back (PUT) is taken; a new such key is still refused."""
    old = "old\x1b[2J"
    run = _run(api)
    # each map its own key: one map's stored key must not let another's through
    fields = {
        "datasets": {f"{old} d": {}},
        "logs": {f"{old} l": {"content": "c"}},
        "assignments_meta": {"x\x01": {"source": "s"}},
        "assignments_sources": {f"{old} s": {"default_show": True, "sort": 2}},
        "sys_metadata": {"feature_importances": {"type": "t", "scores": {f"{old} f": 0.5}}},
        "dev_metadata": {f"{old} m": 1},
    }
    with api.service.context.store.sigopt.write() as unit:
        values = {f"{old} v": {"value": 1.0, "value_stddev": None}}
        assignments = {"x": 1, "x\x01": 2}
        changes = {"fields": fields, "values": values, "assignments": assignments}
        unit.runs.update(int(run["id"]), changes, 1)
    path = f"/v1/training_runs/{run['id']}"
    fetched = api.get(path).body
    assert fetched["datasets"] == [f"{old} d"] and set(fetched["logs"]) == {f"{old} l"}
    reply = api.put(path, fetched)
    assert reply.status == 200, reply.body
    assert reply.body["values"] == fetched["values"], reply.body
    assert reply.body["sys_metadata"] == fetched["sys_metadata"], reply.body
    _refused(api.put(path, {"logs": {"new\x01": {"content": "c"}}}), "logs")

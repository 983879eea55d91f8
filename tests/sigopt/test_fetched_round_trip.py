"""A PUT of an object's fetched JSON with one field edited: what the service sets is
taken back as a GET answers it (and changes nothing), another value of it is a 400
naming the field, nothing written."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from .conftest import Api


def _ai_experiment(api: Api) -> Any:
    """An AI experiment (one double, a budget of 3) in a new project "p": the answer."""
    client = api.get("/v1/tokens/self").body["client"]
    api.post(f"/v1/clients/{client}/projects", {"id": "p", "name": "p"})
    x = {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}
    ai = api.post(
        f"/v1/clients/{client}/projects/p/aiexperiments",
        {"name": "ai", "parameters": [x], "budget": 3},
    )
    assert ai.status == 201, ai.body
    return ai


def _official_experiment(sigopt: Any, served: Any, **fields: Any) -> tuple[Any, Any]:
    """The official client's connection to ``served`` and an experiment it made (one
    double parameter, a budget of 4, and ``fields``)."""
    conn = sigopt.Connection(client_token=served.token)
    conn.set_api_url(served.url)
    x = {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}
    return conn, conn.experiments().create(name="e", parameters=[x], observation_budget=4, **fields)


def _objects(api: Api) -> list[tuple[str, str, str, Any, str, Any]]:
    """(path, what, an edited field, its new value, a service-set field, another value)
    of an experiment, an AI experiment, a suggestion and an observation."""
    ai = _ai_experiment(api)
    e = api.create_experiment(observation_budget=9)
    base = f"/v1/experiments/{e['id']}"
    s = api.post(f"{base}/suggestions").body
    o = api.post(f"{base}/observations", {"suggestion": s["id"], "value": 1.0}).body
    s2 = api.post(f"{base}/suggestions").body
    grid = {"name": "g", "type": "int", "grid": [0, 1, 2]}
    g = api.create_experiment(type="grid", parameters=[grid])
    m = api.create_experiment(
        metrics=[{"name": "a"}, {"name": "b"}], observation_budget=20, metadata={"k": "v"}
    )
    return [
        (base, "experiment", "name", "renamed", "created", 1),
        (base, "experiment", "observation_budget", 12, "development", None),
        (f"/v1/aiexperiments/{ai.body['id']}", "AI experiment", "budget", 5, "client", "999"),
        (f"{base}/suggestions/{s2['id']}", "suggestion", "metadata", {"k": 1}, "assignments", {}),
        (f"{base}/suggestions/{s['id']}", "suggestion", "metadata", {"k": 2}, "state", "open"),
        (f"{base}/observations/{o['id']}", "observation", "metadata", {"k": 3}, "created", 5),
        (f"{base}/observations/{o['id']}", "observation", "failed", True, "created", "x"),
        (f"{base}/observations/{o['id']}", "observation", "metadata", {"k": 4}, "created", "now"),
        (f"/v1/experiments/{g['id']}", "experiment", "name", "grid", "development", True),
        (f"/v1/experiments/{m['id']}", "experiment", "metadata", {"k": "w"}, "user", "0"),
    ]


def test_a_fetched_object_sent_back_whole_with_one_edit_is_taken(api: Api):
    """Before: a 400 on ``created`` (an experiment, an observation) or ``assignments``
    "not a field of this suggestion", though each was as the service rendered it."""
    for path, _what, field, value, _set, _other in _objects(api):
        fetched = api.get(path).body
        body = {**fetched, field: value}
        if field == "failed":  # a failed observation has no value
            body = {**body, "value": None}
        reply = api.put(path, body)
        assert reply.status == 200, (path, reply.body)
        assert reply.body[field] == value, reply.body
        now = api.get(path).body
        assert now[field] == value
        kept = {k for k in fetched if k not in (field, "updated", "value", "values", "progress")}
        assert {k: now[k] for k in kept} == {k: fetched[k] for k in kept}, path


def test_service_set_fields_sent_back_in_another_form_are_taken(api: Api):
    """Ids as text with leading zeros or numbers, timestamps as floats: equal, taken."""
    objects = _objects(api)
    for path, _what, field, value, _set, _other in (objects[i] for i in (0, 2, 3, 5, 7, 8, 9)):
        fetched = api.get(path).body
        body = {**fetched, field: value, "created": float(fetched["created"])}
        for key in ("client", "user", "experiment"):
            if key in body:
                body[key] = int(body[key])
        reply = api.put(path, body)
        assert reply.status == 200, (path, reply.body)


def test_a_service_set_field_sent_back_changed_is_refused(api: Api):
    """Another value of what the service sets is a 400 naming it, nothing written."""
    for path, what, field, value, set_field, other in _objects(api):
        fetched = api.get(path).body
        before = api.snapshot()
        reply = api.put(path, {**fetched, field: value, set_field: other})
        assert reply.status == 400, (path, set_field, reply.body)
        assert reply.body["detail"]["field"] == set_field, reply.body
        assert f"'{set_field}' is set by the service" in reply.body["message"], reply.body
        assert f"this {what} has" in reply.body["message"], reply.body
        assert api.snapshot() == before and api.get(path).body == fetched


def test_updated_sent_back_is_any_timestamp_and_nothing_else(api: Api):
    """``updated`` moves with the update itself, so any timestamp (or null) sent back is
    taken; before, anything at all was (``[[]]``, ``"x"``, ``true``, an object), dropped
    unseen. Now what is no timestamp is a 400 naming ``updated``, nothing written."""
    for path, _what, field, value, _set, _other in _objects(api):
        fetched = api.get(path).body
        if "updated" not in fetched:
            continue
        for stamp in (fetched["updated"], 0, 1.5e9, None):
            reply = api.put(path, {**fetched, "updated": stamp})
            assert reply.status == 200, (path, stamp, reply.body)
        before = api.get(path).body
        for junk in ("x", [[]], True, {"at": 1}):
            edit = {field: value, "value": None} if field == "failed" else {field: value}
            reply = api.put(path, {**before, **edit, "updated": junk})
            assert reply.status == 400 and reply.body["detail"]["field"] == "updated", (
                path,
                reply.body,
            )
            assert "leave it out" in reply.body["message"], reply.body
        assert api.get(path).body == before, path


def test_sigopt_python_updates_a_fetched_experiment_sent_back_whole(served):
    """The official client: ``update(**fetched.to_json())`` with one field edited."""
    sigopt = pytest.importorskip("sigopt")
    from sigopt.exception import ApiException

    conn, e = _official_experiment(sigopt, served)
    s = conn.experiments(e.id).suggestions().create()
    o = conn.experiments(e.id).observations().create(suggestion=s.id, value=1.0)
    fetched = conn.experiments(e.id).fetch().to_json()
    assert conn.experiments(e.id).update(**{**fetched, "name": "renamed"}).name == "renamed"
    sj = conn.experiments(e.id).suggestions(s.id).fetch().to_json()
    updated = conn.experiments(e.id).suggestions(s.id).update(**{**sj, "metadata": {"k": 1}})
    assert updated.metadata.to_json() == {"k": 1}
    oj = conn.experiments(e.id).observations(o.id).fetch().to_json()
    updated = conn.experiments(e.id).observations(o.id).update(**{**oj, "metadata": {"k": 2}})
    assert updated.metadata.to_json() == {"k": 2}
    with pytest.raises(ApiException) as caught:
        conn.experiments(e.id).update(**{**fetched, "created": fetched["created"] + 1})
    assert caught.value.status_code == 400 and "'created' is set by the service" in str(
        caught.value
    )
    assert conn.experiments(e.id).fetch().name == "renamed"


def test_an_ai_experiment_sent_with_another_object_names_its_own_kind(api: Api):
    """Before: "'object' must be 'experiment'", wrong for an AI experiment (whose
    ``object`` is "aiexperiment"); nothing written."""
    ai = _ai_experiment(api).body
    path = f"/v1/aiexperiments/{ai['id']}"
    fetched = api.get(path).body
    before = api.snapshot()
    reply = api.put(path, {**fetched, "name": "renamed", "object": "suggestion"})
    assert reply.status == 400, reply.body
    assert reply.body["detail"]["field"] == "object", reply.body
    assert "'object' of an AI experiment is \"aiexperiment\"" in reply.body["message"], reply.body
    assert "must be 'experiment'" not in reply.body["message"], reply.body
    assert api.snapshot() == before and api.get(path).body == fetched


def test_can_be_deleted_is_refused_as_a_field_the_service_does_not_know(api: Api):
    """SigOpt's deprecated ``can_be_deleted`` is never rendered here (the official client
    warns on reading it). Before: "'can_be_deleted' is set by the service", though no GET
    shows it; now the usual unknown-field 400, nothing written."""
    e = api.create_experiment(observation_budget=9)
    path = f"/v1/experiments/{e['id']}"
    fetched = api.get(path).body
    assert "can_be_deleted" not in fetched
    before = api.snapshot()
    for value in (True, False):
        reply = api.put(path, {**fetched, "name": "renamed", "can_be_deleted": value})
        assert reply.status == 400, reply.body
        assert reply.body["detail"]["field"] == "can_be_deleted", reply.body
        assert "'can_be_deleted' is not a field of this experiment" in reply.body["message"]
    x = {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}
    reply = api.post("/v1/experiments", {"name": "e", "parameters": [x], "can_be_deleted": True})
    assert reply.status == 400, reply.body
    assert "'can_be_deleted' is not a field of this experiment" in reply.body["message"]
    assert api.snapshot() == before and api.get(path).body == fetched


def test_an_observations_changed_assignments_sent_with_its_suggestion_are_refused(api: Api):
    """Sent back whole with its suggestion and other assignments: the assignments are the
    suggestion's and cannot change, a 400 naming ``assignments``. Before: SigOpt's "cannot
    specify `suggestion` and `assignments`", though the caller sent back what a GET
    shows. Its own assignments unchanged are taken; nothing written either way."""
    e = api.create_experiment(observation_budget=9)
    base = f"/v1/experiments/{e['id']}"
    s = api.post(f"{base}/suggestions").body
    o = api.post(f"{base}/observations", {"suggestion": s["id"], "value": 1.0}).body
    path = f"{base}/observations/{o['id']}"
    fetched = api.get(path).body
    before = api.snapshot()
    moved = {k: (1.0 - v if isinstance(v, float) else v) for k, v in fetched["assignments"].items()}
    assert moved != fetched["assignments"]
    reply = api.put(path, {**fetched, "metadata": {"k": 1}, "assignments": moved})
    assert reply.status == 400, reply.body
    assert reply.body["detail"]["field"] == "assignments", reply.body
    message = reply.body["message"]
    assert "are its suggestion's" in message and "cannot change" in message, message
    assert "cannot specify" not in message, message
    assert api.snapshot() == before and api.get(path).body == fetched
    reply = api.put(path, {**fetched, "metadata": {"k": 2}})
    assert reply.status == 200, reply.body
    assert reply.body["assignments"] == fetched["assignments"]


def test_a_multi_metric_observation_sent_back_whole_is_taken(api: Api):
    """Its GET shows ``value: null`` beside ``values``; both sent back as shown are echoes
    and the edit is applied. Before: ``values`` was dropped as the echo and the
    ``value: null`` read as the edit, a 422 "'value' is missing"."""
    e = api.create_experiment(metrics=[{"name": "a"}, {"name": "b"}], observation_budget=9)
    base = f"/v1/experiments/{e['id']}"
    s = api.post(f"{base}/suggestions").body
    values = [{"name": "a", "value": 1.0}, {"name": "b", "value": 2.0}]
    o = api.post(f"{base}/observations", {"suggestion": s["id"], "values": values}).body
    path = f"{base}/observations/{o['id']}"
    fetched = api.get(path).body
    assert fetched["value"] is None and "values" in fetched
    reply = api.put(path, {**fetched, "metadata": {"k": 1}})
    assert reply.status == 200, reply.body
    now = api.get(path).body
    assert now["metadata"] == {"k": 1} and now["values"] == fetched["values"]
    edited = [{"name": "a", "value": 3.0}, {"name": "b", "value": 4.0}]
    reply = api.put(path, {**fetched, "values": edited})
    assert reply.status == 200, reply.body
    assert [v["value"] for v in api.get(path).body["values"]] == [3.0, 4.0]


def test_sigopt_python_updates_a_fetched_multi_metric_observation(served):
    """The official client: ``observations(id).update(**fetched.to_json())``."""
    sigopt = pytest.importorskip("sigopt")
    conn, e = _official_experiment(sigopt, served, metrics=[{"name": "a"}, {"name": "b"}])
    s = conn.experiments(e.id).suggestions().create()
    values = [{"name": "a", "value": 1.0}, {"name": "b", "value": 2.0}]
    o = conn.experiments(e.id).observations().create(suggestion=s.id, values=values)
    oj = conn.experiments(e.id).observations(o.id).fetch().to_json()
    updated = conn.experiments(e.id).observations(o.id).update(**{**oj, "metadata": {"k": 2}})
    assert updated.metadata.to_json() == {"k": 2}
    assert [v.value for v in updated.values] == [1.0, 2.0]


def test_a_multitask_observation_sent_back_whole_with_its_task_is_taken(api: Api):
    """Its task as the GET shows it is an echo (as a suggestion's). Before: a 400 "an
    observation of a suggestion has the suggestion's task"; another task still is that
    400, nothing written."""
    tasks = [{"name": "cheap", "cost": 0.3}, {"name": "full", "cost": 1.0}]
    e = api.create_experiment(tasks=tasks, observation_budget=9)
    base = f"/v1/experiments/{e['id']}"
    s = api.post(f"{base}/suggestions").body
    o = api.post(f"{base}/observations", {"suggestion": s["id"], "value": 1.0}).body
    path = f"{base}/observations/{o['id']}"
    fetched = api.get(path).body
    assert fetched["task"]["object"] == "task" and fetched["task"] == s["task"]
    other = next(t for t in tasks if t["name"] != fetched["task"]["name"])
    before = api.snapshot()
    reply = api.put(path, {**fetched, "metadata": {"k": 1}, "task": {"object": "task", **other}})
    assert reply.status == 400, reply.body
    assert reply.body["detail"]["field"] == "task", reply.body
    assert "has the suggestion's task" in reply.body["message"], reply.body
    assert api.snapshot() == before and api.get(path).body == fetched
    reply = api.put(path, {**fetched, "metadata": {"k": 1}})
    assert reply.status == 200, reply.body
    now = api.get(path).body
    assert now["metadata"] == {"k": 1} and now["task"] == fetched["task"]


def test_a_boolean_nested_in_an_echo_is_not_a_number(api: Api):
    """``true`` is never ``1`` at any depth of what is sent back: a suggestion's
    assignments ``{x: true, n: true}`` where they are ``{x: 1.0, n: 1}``, an observation's
    ``values: [{value: true}]`` beside its ``value``, a task's ``cost: true`` for 1.0 are
    each refused as the field's own check refuses them, nothing written. Before: equal
    in Python, so taken as echoes (a 200)."""
    e = api.create_experiment(observation_budget=9)
    base = f"/v1/experiments/{e['id']}"
    assignments = {"x": 1.0, "n": 1, "c": "a"}
    s = api.post(f"{base}/suggestions", {"assignments": assignments}).body
    path = f"{base}/suggestions/{s['id']}"
    fetched = api.get(path).body
    assert fetched["assignments"] == assignments
    before = api.snapshot()
    reply = api.put(
        path,
        {**fetched, "metadata": {"k": 1}, "assignments": {**assignments, "x": True, "n": True}},
    )
    assert reply.status == 400, reply.body
    assert reply.body["detail"]["field"] == "assignments", reply.body
    assert api.snapshot() == before and api.get(path).body == fetched

    o = api.post(f"{base}/observations", {"suggestion": s["id"], "value": 1.0}).body
    path = f"{base}/observations/{o['id']}"
    fetched = api.get(path).body
    assert fetched["value"] == 1.0
    before = api.snapshot()
    trues = [{**v, "value": True} for v in fetched["values"]]
    for body in (
        {**fetched, "metadata": {"k": 1}, "values": trues},
        {**fetched, "metadata": {"k": 1}, "assignments": {**assignments, "x": True, "n": True}},
    ):
        reply = api.put(path, body)
        assert reply.status == 400, reply.body
        assert reply.body["detail"]["field"].startswith(("values", "assignments")), reply.body
        assert api.snapshot() == before and api.get(path).body == fetched

    tasks = [{"name": "cheap", "cost": 0.3}, {"name": "full", "cost": 1.0}]
    m = api.create_experiment(tasks=tasks, observation_budget=9)
    mbase = f"/v1/experiments/{m['id']}"
    ms = api.post(f"{mbase}/queued_suggestions", {"assignments": assignments, "task": "full"})
    assert ms.status in (200, 201), ms.body
    ms = api.post(f"{mbase}/suggestions").body
    mo = api.post(f"{mbase}/observations", {"suggestion": ms["id"], "value": 1.0}).body
    path = f"{mbase}/observations/{mo['id']}"
    fetched = api.get(path).body
    assert fetched["task"]["cost"] == 1.0
    before = api.snapshot()
    reply = api.put(path, {**fetched, "task": {**fetched["task"], "cost": True}})
    assert reply.status == 400 and reply.body["detail"]["field"] == "task", reply.body
    assert api.snapshot() == before and api.get(path).body == fetched


def test_a_stale_fetched_experiment_sent_back_after_observations_is_taken(api: Api):
    """``progress`` moves without the client (each observation, each run), as ``updated``
    does: a fetched experiment sent back after observations were reported carries a stale
    one, taken whatever its values (or null), as an echo. Before: a 400 "'progress' is
    set by the service ... this experiment has ..."."""
    e = api.create_experiment(observation_budget=9)
    base = f"/v1/experiments/{e['id']}"
    stale = api.get(base).body
    assert stale["progress"]["observation_count"] == 0
    s = api.post(f"{base}/suggestions").body
    assert api.post(f"{base}/observations", {"suggestion": s["id"], "value": 1.0}).status == 201
    reply = api.put(base, {**stale, "name": "renamed"})
    assert reply.status == 200, reply.body
    assert reply.body["name"] == "renamed" and reply.body["progress"]["observation_count"] == 1
    fresh = api.get(base).body
    # the other way: an observation deleted since (first/best were objects, now null)
    o = api.post(f"{base}/observations", {"assignments": s["assignments"], "value": 2.0}).body
    counted = api.get(base).body
    assert api.delete(f"{base}/observations/{o['id']}").status == 204
    for progress in (counted["progress"], None, {**fresh["progress"], "observation_count": 7.0}):
        reply = api.put(base, {**counted, "name": "again", "progress": progress})
        assert reply.status == 200, (progress, reply.body)
        assert reply.body["progress"] == fresh["progress"]

    ai = _ai_experiment(api).body
    path = f"/v1/aiexperiments/{ai['id']}"
    stale = api.get(path).body
    run = api.post(f"{path}/training_runs", {"name": "r"})
    assert run.status == 201, run.body
    reply = api.put(path, {**stale, "budget": 5})
    assert reply.status == 200, reply.body
    assert reply.body["budget"] == 5 and reply.body["progress"]["total_run_count"] == 1


def test_a_malformed_progress_sent_back_is_refused(api: Api):
    """What has not progress's shape (not an object, another field, a field missing, a
    count as a string, an observation that is a number) is a 400 naming ``progress``,
    nothing written: it would be dropped unseen."""
    e = api.create_experiment(observation_budget=9)
    base = f"/v1/experiments/{e['id']}"
    fetched = api.get(base).body
    shown = fetched["progress"]
    ai = _ai_experiment(api).body
    ai_path = f"/v1/aiexperiments/{ai['id']}"
    ai_fetched = api.get(ai_path).body
    ai_shown = ai_fetched["progress"]
    cases = [
        (base, fetched, "x", "not a string"),
        (base, fetched, [shown], "not a list"),
        (base, fetched, {**shown, "extra": 1}, "'extra' is not a field"),
        ({k: v for k, v in shown.items() if k != "observation_count"}, None, None, None),
        (base, fetched, {**shown, "observation_count": "1"}, 'not "1"'),
        (base, fetched, {**shown, "observation_count": -1}, "not -1"),
        (base, fetched, {**shown, "observation_budget_consumed": True}, "not true"),
        (base, fetched, {**shown, "best_observation": 3}, "not 3"),
        (base, fetched, {**shown, "object": "experiment"}, 'not "experiment"'),
        (ai_path, ai_fetched, {**ai_shown, "total_run_count": 0.5}, "not 0.5"),
        (ai_path, ai_fetched, {**ai_shown, "remaining_budget": "3"}, 'not "3"'),
        (ai_path, ai_fetched, shown, "'active_run_count'"),
    ]
    cases[3] = (base, fetched, cases[3][0], "no 'observation_count'")
    for path, object_, progress, said in cases:
        before = api.snapshot()
        reply = api.put(path, {**object_, "name": "renamed", "progress": progress})
        assert reply.status == 400, (progress, reply.body)
        assert reply.body["detail"]["field"] == "progress", reply.body
        message = reply.body["message"]
        assert "'progress' is set by the service" in message and said in message, message
        assert "or null, or leave it out" in message, message
        assert api.snapshot() == before and api.get(path).body == object_


def test_sigopt_python_updates_a_stale_fetched_experiment(served):
    """The official client: an experiment fetched before an observation was reported,
    sent back whole with a new name, is taken. Before: ApiException 400 on ``progress``."""
    sigopt = pytest.importorskip("sigopt")
    conn, e = _official_experiment(sigopt, served)
    stale = conn.experiments(e.id).fetch().to_json()
    s = conn.experiments(e.id).suggestions().create()
    conn.experiments(e.id).observations().create(suggestion=s.id, value=1.0)
    updated = conn.experiments(e.id).update(**{**stale, "name": "renamed"})
    assert updated.name == "renamed" and updated.progress.observation_count == 1


def _observation(api: Api, **fields: Any) -> tuple[str, dict[str, Any]]:
    """An observation (value 1.0) of a new one-metric experiment: its path and GET."""
    e = api.create_experiment(observation_budget=9, **fields)
    base = f"/v1/experiments/{e['id']}"
    s = api.post(f"{base}/suggestions").body
    o = api.post(f"{base}/observations", {"suggestion": s["id"], "value": 1.0}).body
    path = f"{base}/observations/{o['id']}"
    return path, api.get(path).body


def test_value_and_values_edited_alike_are_taken_and_unlike_refused(api: Api):
    """A fetched observation edited in both ``value`` and ``values`` saying the same is
    taken. Before: a 422 "give 'value' or 'values', not both". Saying otherwise is a 422
    saying they disagree, nothing written."""
    for metric in (None, "m"):
        named = {"metrics": [{"name": metric}]} if metric else {}
        path, fetched = _observation(api, **named)
        entry = {**fetched["values"][0], "value": 3.0}
        reply = api.put(path, {**fetched, "value": 3, "values": [entry]})
        assert reply.status == 200, reply.body
        assert reply.body["value"] == 3.0 and reply.body["values"][0]["value"] == 3.0
        fetched = api.get(path).body
        both = {"value": 4.0, "value_stddev": 0.5}
        entry = {"name": metric, "value": 4.0, "value_stddev": 0.5}
        reply = api.put(path, {**fetched, **both, "values": [entry]})
        assert reply.status == 200, reply.body
        assert (reply.body["value"], reply.body["value_stddev"]) == (4.0, 0.5)
        fetched = api.get(path).body
        moved = {"value": 7.0, "value_stddev": 0.5}
        for sent, listed in (
            ({"value": 5.0}, {"value": 6.0}),
            (moved, {**moved, "value_stddev": 1}),
        ):
            before = api.snapshot()
            body = {**fetched, **sent, "values": [{"name": metric, **listed}]}
            reply = api.put(path, body)
            assert reply.status == 422, reply.body
            assert reply.body["detail"]["field"] == "values", reply.body
            assert "they disagree" in reply.body["message"], reply.body
            assert api.snapshot() == before and api.get(path).body == fetched


def test_failed_with_a_value_says_to_drop_the_value(api: Api):
    """SigOpt refuses a value with ``failed: true`` ("Observations with a value cannot have
    failed == true"), and so does this service, now telling what to drop: each of
    ``value`` and ``values`` sent. Before: "send failed=true alone", which a caller
    sending back a fetched observation did not see as dropping a field. A fetched one sent
    back whole with both as shown (echoes) stays taken, failed and without its value."""
    path, fetched = _observation(api)
    alike, unlike = ({**fetched["values"][0], "value": v} for v in (3.0, 4.0))
    before = api.snapshot()
    for body, field, dropped in (
        ({"failed": True, "value": 1.0}, "value", "drop 'value' from the body"),
        ({"failed": True, "values": fetched["values"]}, "values", "drop 'values' from the"),
        (
            {"failed": True, "value": 2.0, "value_stddev": 0.1},
            "value",
            "drop 'value' and 'value_stddev' from",
        ),
        ({**fetched, "failed": True, "value": 3.0}, "value", "drop 'value' from"),
        # edited alike, or not, in both: both named (before: 'values' alone, alike; unlike,
        # "they disagree" with no word of failed; each advice refused again once followed)
        (
            {**fetched, "failed": True, "value": 3.0, "values": [alike]},
            "value",
            "drop 'value' and 'values' from",
        ),
        (
            {**fetched, "failed": True, "value": 3.0, "values": [unlike]},
            "value",
            "drop 'value' and 'values' from",
        ),
    ):
        reply = api.put(path, body)
        assert reply.status == 422, reply.body
        assert reply.body["detail"]["field"] == field, reply.body
        assert dropped in reply.body["message"], reply.body
        assert api.snapshot() == before and api.get(path).body == fetched
    reply = api.put(path, {**fetched, "failed": True})
    assert reply.status == 200, reply.body
    assert reply.body["failed"] is True and reply.body["value"] is None


def test_assignments_sent_without_the_suggestion_say_what_was_sent(api: Api):
    """An update of an observation of a suggestion that sends ``assignments`` alone (no
    ``suggestion``) is refused, as SigOpt refuses it, with a message that says so. Before:
    "cannot specify `suggestion` and `assignments`", though no suggestion was sent."""
    path, fetched = _observation(api)
    before = api.snapshot()
    reply = api.put(path, {"assignments": fetched["assignments"], "metadata": {"k": 1}})
    assert reply.status == 400 and reply.body["detail"]["field"] == "assignments", reply.body
    message = reply.body["message"]
    assert "sends assignments but no 'suggestion'" in message, message
    assert f"of suggestion {fetched['suggestion']}" in message, message
    assert "cannot specify" not in message, message
    assert api.snapshot() == before and api.get(path).body == fetched


def test_another_object_is_shown_as_json(api: Api):
    """``object`` that names another kind is shown as the body wrote it. Before:
    Python's repr (``{'a': 1}``, ``True``, ``None``)."""
    path, _fetched = _observation(api)
    base = path.rsplit("/observations/", 1)[0]
    s = api.post(f"{base}/suggestions").body
    ai = _ai_experiment(api).body
    paths = (base, f"/v1/aiexperiments/{ai['id']}", f"{base}/suggestions/{s['id']}", path)
    before = api.snapshot()
    for target in paths:
        for sent, shown in (({"a": 1}, '{"a": 1}'), ([1], "[1]"), (True, "true")):
            reply = api.put(target, {"object": sent})
            assert reply.status == 400 and reply.body["detail"]["field"] == "object", reply.body
            message = reply.body["message"]
            assert message.endswith(f"not {shown}."), (target, message)
    reply = api.put(path, {"experiment": [7]})
    assert reply.status == 400 and "'experiment' is [7] but" in reply.body["message"], reply.body
    assert api.snapshot() == before


def _run(api: Api, project: str = "runs") -> tuple[str, str]:
    """A new run in a new project: its path and the caller's client id."""
    client = api.get("/v1/tokens/self").body["client"]
    made = api.post(f"/v1/clients/{client}/projects/{project}/training_runs", {"name": "r"})
    assert made.status == 201, made.body
    return f"/v1/training_runs/{made.body['id']}", client


def _checkpoint(api: Api, path: str) -> None:
    reply = api.post(f"{path}/checkpoints", {"values": [{"name": "loss", "value": 0.5}]})
    assert reply.status == 201, reply.body


def test_a_stale_fetched_run_sent_back_after_a_checkpoint_is_taken(api: Api):
    """``checkpoint_count`` moves without the run's update (each checkpoint posted): a run
    fetched before a checkpoint and sent back whole is taken, the stale count ignored.
    Before: a 400 "'checkpoint_count' is set by the service ... this run has 1, not 0"."""
    path, _client = _run(api)
    stale = api.get(path).body
    assert stale["checkpoint_count"] == 0
    _checkpoint(api, path)
    for method in ("PUT", "PATCH"):
        reply = api.call(method, path, {**stale, "name": "renamed"})
        assert reply.status == 200, reply.body
        assert reply.body["name"] == "renamed" and reply.body["checkpoint_count"] == 1
    for count in (0, 1, 1.0):  # a whole number up to the run's count now
        reply = api.put(path, {**stale, "name": "again", "checkpoint_count": count})
        assert reply.status == 200, (count, reply.body)
        assert reply.body["checkpoint_count"] == 1
    before = api.get(path).body
    for count in (2, 7, 2**70, 1e308):  # a count the run never had: it would be dropped
        reply = api.put(path, {**stale, "name": "never", "checkpoint_count": count})
        assert reply.status == 400 and reply.body["detail"]["field"] == "checkpoint_count"
        assert "the run's count is 1; it was never" in reply.body["message"], reply.body
        assert api.get(path).body == before


def test_a_malformed_checkpoint_count_sent_back_is_refused(api: Api):
    """What is no count (a string, a fraction, a negative number, null, true) is a 400
    naming ``checkpoint_count``, nothing written: it would be dropped unseen."""
    path, _client = _run(api)
    fetched = api.get(path).body
    for junk, shown in (("1", '"1"'), (0.5, "0.5"), (-1, "-1"), (None, "null"), (True, "true")):
        reply = api.put(path, {**fetched, "name": "renamed", "checkpoint_count": junk})
        assert reply.status == 400, (junk, reply.body)
        assert reply.body["detail"]["field"] == "checkpoint_count", reply.body
        message = reply.body["message"]
        assert "'checkpoint_count' is set by the service" in message, message
        assert f"a whole number of at least 0, not {shown}" in message, message
        assert api.get(path).body == fetched
    # a new run's can be no stale echo: only as a new run renders it
    runs = path.replace("/v1/training_runs/", "/v1/clients/{c}/projects/runs/training_runs/")
    runs = runs.rsplit("/", 1)[0].replace("{c}", api.get("/v1/tokens/self").body["client"])
    for body in ({"checkpoint_count": 3}, {"files": ["1"]}, {"completed": None, "finished": True}):
        reply = api.post(runs, {"name": "new", **body})
        assert reply.status == 400, (body, reply.body)
    assert api.post(runs, {"name": "new", "checkpoint_count": 0}).status == 201


def test_a_stale_fetched_run_sent_back_after_a_file_is_taken(served):
    """``files`` moves as files are uploaded (``run.log_image``), never by an update: a run
    fetched before an upload and sent back whole is taken (the files it had then are the
    first of those it has now). A list of files the run never had in that order is still
    refused, nothing written. Before: a 400 "'files' is not set by an update"."""
    from .test_run_files import PNG, md5

    api = Api(served.service, served.url, served.token)
    path, _client = _run(api)
    stale = api.get(path).body
    described = {"content_type": "image/png", "content_length": len(PNG), "content_md5": md5(PNG)}
    uploads: list[str] = []
    middle: dict[str, Any] = {}
    for _ in range(2):
        made = api.post(f"{path}/files", described)
        assert made.status == 201, made.body
        upload = made.body["upload"]
        sent = requests.put(upload["url"], data=PNG, headers=upload["headers"], timeout=30)
        assert sent.status_code == 204, sent.text
        uploads.append(made.body["id"])
        middle = middle or api.get(path).body  # after the first upload
    assert api.get(path).body["files"] == uploads
    for old in (stale, middle):
        reply = api.put(path, {**old, "name": "renamed"})
        assert reply.status == 200, reply.body
        assert reply.body["files"] == uploads
    fetched = api.get(path).body
    for files in ([uploads[1]], [uploads[1], uploads[0]], [*uploads, "999"], "x", [None]):
        reply = api.put(path, {**fetched, "name": "other", "files": files})
        assert reply.status == 400 and reply.body["detail"]["field"] == "files", reply.body
        assert f"this run has {json.dumps(uploads)}" in reply.body["message"], reply.body
        assert api.get(path).body == fetched


def test_a_run_fetched_active_and_sent_back_finished_is_taken(api: Api):
    """``finished``, ``completed`` and ``observation`` move with the run's state: a run
    fetched active and sent back whole with ``state: "completed"`` (or after another
    request finished it, without ``state``) carries them as they were, and is taken.
    What the run never had (finished true while active, another time, another
    observation) is a 400 naming the field."""
    path, _client = _run(api)
    fetched = api.get(path).body
    assert (fetched["finished"], fetched["completed"]) == (False, None)
    reply = api.put(path, {**fetched, "state": "completed", "name": "done"})
    assert reply.status == 200, reply.body
    assert reply.body["finished"] is True and reply.body["completed"] is not None

    path, _client = _run(api, "other")
    stale = api.get(path).body
    assert api.call("PATCH", path, {"state": "failed"}).status == 200
    finished = api.get(path).body
    stale_body = {k: v for k, v in stale.items() if k != "state"}
    reply = api.put(path, {**stale_body, "name": "renamed"})
    assert reply.status == 200, reply.body
    assert reply.body["state"] == "failed" and reply.body["completed"] == finished["completed"]
    reply = api.put(path, {**stale, "name": "again"})  # its state: refused, and said how
    assert reply.status == 422 and reply.body["detail"]["field"] == "state", reply.body
    assert "Leave 'state' out" in reply.body["message"], reply.body

    path, _client = _run(api, "third")
    active = api.get(path).body
    for field, value in (
        ("finished", True),
        ("finished", "no"),
        ("completed", 5),
        ("completed", "x"),
        ("observation", "12"),
    ):
        reply = api.put(path, {**active, "name": "n", field: value})
        assert reply.status == 400 and reply.body["detail"]["field"] == field, reply.body
        assert f"'{field}' is set by the service" in reply.body["message"], reply.body
        assert api.get(path).body == active
    reply = api.put(path, {**active, "name": "n", "finished": True})
    assert "'state'" in reply.body["message"], reply.body


def test_sigopt_python_updates_a_stale_fetched_run(served):
    """The official client: a run fetched before a checkpoint was posted, sent back whole
    with a new name, is taken. Before: ApiException 400 on ``checkpoint_count``."""
    sigopt = pytest.importorskip("sigopt")
    conn = sigopt.Connection(client_token=served.token)
    conn.set_api_url(served.url)
    client = conn.tokens("self").fetch().client
    conn.clients(client).projects().create(id="stale", name="stale")
    run = conn.clients(client).projects("stale").training_runs().create(name="r")
    stale = conn.training_runs(run.id).fetch().to_json()
    conn.training_runs(run.id).checkpoints().create(values=[{"name": "loss", "value": 0.5}])
    updated = conn.training_runs(run.id).update(**{**stale, "name": "renamed"})
    assert updated.name == "renamed" and updated.checkpoint_count == 1


def test_a_suggestion_closed_since_it_was_fetched_says_which_observation_closed_it(api: Api):
    """A suggestion fetched open, closed by an observation, then sent back whole with its
    metadata edited: ``state: "open"`` may be a stale echo or an attempt to reopen it,
    which SigOpt's update ignores; it stays a 400 naming ``state``, nothing written, now
    saying which observation closed it and to leave ``state`` out (or send "closed").
    Before: only "this suggestion has "closed", not "open"", with no word of why."""
    e = api.create_experiment(observation_budget=9)
    base = f"/v1/experiments/{e['id']}"
    s = api.post(f"{base}/suggestions").body
    path = f"{base}/suggestions/{s['id']}"
    stale = api.get(path).body
    assert stale["state"] == "open"
    o = api.post(f"{base}/observations", {"suggestion": s["id"], "value": 1.0}).body
    closed = api.get(path).body
    before = api.snapshot()
    reply = api.put(path, {**stale, "metadata": {"k": 1}})
    assert reply.status == 400 and reply.body["detail"]["field"] == "state", reply.body
    message = reply.body["message"]
    assert 'this suggestion has "closed", not "open"' in message, message
    assert f"observation {o['id']} was reported for it" in message, message
    assert "leave 'state' out or send \"closed\"" in message, message
    assert api.snapshot() == before and api.get(path).body == closed
    for state in ("closed", None):  # as it says: taken
        body = {**stale, "metadata": {"k": 2}, "state": state}
        if state is None:
            del body["state"]
        reply = api.put(path, body)
        assert reply.status == 200 and reply.body["metadata"] == {"k": 2}, reply.body
    # its observation deleted since: said so
    assert api.delete(f"{base}/observations/{o['id']}").status == 204
    reply = api.put(path, {**stale, "metadata": {"k": 3}})
    assert reply.status == 400 and "(deleted since)" in reply.body["message"], reply.body
    # "closed" on an open one: how a suggestion is closed
    s2 = api.post(f"{base}/suggestions").body
    open_path = f"{base}/suggestions/{s2['id']}"
    reply = api.put(open_path, {**api.get(open_path).body, "state": "closed"})
    assert reply.status == 400 and reply.body["detail"]["field"] == "state", reply.body
    assert "closed by reporting an observation for it" in reply.body["message"], reply.body
    for junk, shown in (("x", '"x"'), (True, "true")):
        reply = api.put(open_path, {"state": junk})
        assert reply.status == 400, reply.body
        assert f'has "open", not {shown}; leave it out' in reply.body["message"], reply.body


def test_sigopt_python_is_told_which_observation_closed_a_stale_suggestion(served):
    """The official client: ApiException 400 naming the observation that closed it."""
    sigopt = pytest.importorskip("sigopt")
    from sigopt.exception import ApiException

    conn, e = _official_experiment(sigopt, served)
    s = conn.experiments(e.id).suggestions().create()
    stale = conn.experiments(e.id).suggestions(s.id).fetch().to_json()
    o = conn.experiments(e.id).observations().create(suggestion=s.id, value=1.0)
    with pytest.raises(ApiException) as caught:
        conn.experiments(e.id).suggestions(s.id).update(**{**stale, "metadata": {"k": 1}})
    assert caught.value.status_code == 400
    assert f"observation {o.id} was reported for it" in str(caught.value)
    del stale["state"]
    updated = conn.experiments(e.id).suggestions(s.id).update(**{**stale, "metadata": {"k": 1}})
    assert updated.metadata.to_json() == {"k": 1} and updated.state == "closed"


def test_a_suggestion_deleted_since_it_was_fetched_cannot_be_updated(api: Api):
    """A suggestion fetched, deleted, then sent back whole with its metadata edited:
    ``deleted: false`` is a stale echo or an attempt to undelete, which an update cannot
    do; left out, the update edited a suggestion that can no longer be observed (SigOpt
    answers a deleted suggestion 404). Either is a 409 now, nothing written, saying it was
    deleted and to create a new suggestion. Before: a 400 "this suggestion has true, not
    false" with no word of why, and with 'deleted' left out a 200 that edited it."""
    e = api.create_experiment(observation_budget=9)
    base = f"/v1/experiments/{e['id']}"
    s = api.post(f"{base}/suggestions").body
    path = f"{base}/suggestions/{s['id']}"
    stale = api.get(path).body
    assert api.delete(path).status == 204
    gone = api.get(path).body
    before = api.snapshot()
    reply = api.put(path, {**stale, "metadata": {"k": 1}})
    assert reply.status == 409 and reply.body["detail"]["field"] == "deleted", reply.body
    message = reply.body["message"]
    assert "this suggestion has true, not false" in message, message
    assert f"Suggestion {s['id']} was deleted since this copy was fetched" in message, message
    assert "an update cannot restore it" in message, message
    assert f"Create a new suggestion (POST {base}/suggestions)" in message, message
    left_out = {k: v for k, v in stale.items() if k != "deleted"}
    for body in (left_out, {**stale, "deleted": True}, {"metadata": {"k": 1}}):
        reply = api.put(path, {**body, "metadata": {"k": 1}})
        assert reply.status == 409 and reply.body["detail"]["field"] == "suggestion", reply.body
        assert f"Suggestion {s['id']} was deleted: " in reply.body["message"], reply.body
        assert "Create a new suggestion" in reply.body["message"], reply.body
    assert api.snapshot() == before and api.get(path).body == gone
    # as it says: a new suggestion takes the metadata
    new = api.post(f"{base}/suggestions").body
    reply = api.put(f"{base}/suggestions/{new['id']}", {"metadata": {"k": 1}})
    assert reply.status == 200 and reply.body["metadata"] == {"k": 1}, reply.body

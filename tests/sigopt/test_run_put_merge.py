"""PUT and MERGE of a training run, as SigOpt's ``TrainingRunsUpdateHandler``
(``zigopt/handlers/training_runs/update.py``) has them: "PUT will replace all values,
MERGE will recursively merge" the maps a body gives; a field the body does not give is
kept by both. sigopt-python sends every run update as MERGE; PATCH is this service's
name for it (embedded and served)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api
from .test_run_maps import runs_rows

AI = {
    "name": "ai",
    "parameters": [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
    "metrics": [{"name": "acc"}],
    "budget": 3,
}

#: a run's maps, logged twice: what the second body gives, and what each verb leaves
FIRST: dict[str, Any] = {
    "assignments": {"a": 1, "b": "two"},
    "metadata": {"m1": 1, "m2": "x"},
    "dev_metadata": {"d1": 1},
    "values": {"acc": {"value": 0.5}, "loss": {"value": 0.2, "value_stddev": 0.1}},
    "logs": {"stdout": {"content": "out"}, "stderr": {"content": "err"}},
    "datasets": {"iris": {}},
    "assignments_meta": {"a": {"source": "user"}},
    "assignments_sources": {"user": {"default_show": True, "sort": 1}},
    "sys_metadata": {"feature_importances": {"type": "gain", "scores": {"f0": 1.0}}},
    "model": {"type": "xgboost"},
    "source_code": {"hash": "abc", "content": "print(1)"},
}
SECOND: dict[str, Any] = {
    "assignments": {"b": "three", "c": 3},
    "metadata": {"m2": "y", "m3": 3},
    "dev_metadata": {"d2": 2},
    "values": {"loss": {"value": 0.1}},
    "logs": {"stdout": {"content": "again"}},
    "datasets": {"mnist": {}},
    "assignments_meta": {"b": {"source": "other"}},
    "assignments_sources": {"other": {"default_show": False, "sort": 2}},
    "sys_metadata": {"feature_importances": {"scores": {"f1": 2.0}}},
    "model": {"type": "lgbm"},
    "source_code": {"hash": "def"},
}
MERGED: dict[str, Any] = {
    "assignments": {"a": 1, "b": "three", "c": 3},
    "metadata": {"m1": 1, "m2": "y", "m3": 3},
    "dev_metadata": {"d1": 1, "d2": 2},
    "values": {"acc": {"value": 0.5}, "loss": {"value": 0.1}},
    "logs": {"stdout": {"content": "again"}, "stderr": {"content": "err"}},
    "datasets": ["iris", "mnist"],
    "assignments_meta": {"a": {"source": "user"}, "b": {"source": "other"}},
    "assignments_sources": {
        "user": {"default_show": True, "sort": 1},
        "other": {"default_show": False, "sort": 2},
    },
    "sys_metadata": {"feature_importances": {"type": "gain", "scores": {"f0": 1.0, "f1": 2.0}}},
    "model": {"type": "lgbm"},  # an entry is set whole by both (SigOpt's builder
    "source_code": {"hash": "def"},  # sets each of its fields, null ones stripped)
}


def merge_verb(api: Api) -> str:
    return "MERGE" if api.mode == "served" else "PATCH"


def _shown(run: dict[str, Any], key: str) -> Any:
    value = run[key]
    if key == "values":
        return {
            name: {
                k: v for k, v in item.items() if k in ("value", "value_stddev") and v is not None
            }
            for name, item in value.items()
        }
    return value


@pytest.fixture
def runs(api: Api) -> str:
    client = api.get("/v1/tokens/self").body["client"]
    return f"/v1/clients/{client}/projects/verbs/training_runs"


@pytest.mark.parametrize("key", list(FIRST))
def test_put_replaces_a_map_and_merge_merges_it(api: Api, runs: str, key: str):
    """PUT merged each map into the run's, as MERGE does, so a map could not be set
    whole: a PUT of ``{"logs": {"stdout": ...}}`` kept ``stderr``. A PUT now sets the map
    it gives in place of the run's; a MERGE merges it (``sys_metadata`` at every level:
    ``feature_importances`` keeps its ``type`` and gains the new scores); the run's
    other fields as they were after both."""
    expected = {"PUT": SECOND[key], merge_verb(api): MERGED[key]}
    if key == "datasets":
        expected["PUT"] = ["mnist"]
    for verb, after in expected.items():
        run = api.post(runs, {"name": "r", **FIRST}).body
        path = f"/v1/training_runs/{run['id']}"
        body = {key: SECOND[key]}
        if key == "assignments_meta":  # its parameter is one of the run's assignments
            body["assignments"] = {"b": "two"}
        reply = api.call(verb, path, body)
        assert reply.status == 200, (verb, key, reply.body)
        fetched = api.get(path).body
        assert _shown(fetched, key) == after, (verb, key, fetched[key])
        untouched = {k for k in FIRST if k not in body}
        assert {k: _shown(fetched, k) for k in untouched} == {
            k: _shown(run, k) for k in untouched
        }, verb
        assert fetched["name"] == "r" and fetched["state"] == "active"


def test_a_put_of_one_field_keeps_the_others(api: Api, runs: str):
    """SigOpt's PUT sets what the body gives and keeps the rest (sigopt-python's
    ``unarchive_run`` PUTs ``{"deleted": false}`` alone)."""
    run = api.post(runs, {"name": "r", **FIRST}).body
    path = f"/v1/training_runs/{run['id']}"
    assert api.put(path, {"deleted": True}).status == 200
    reply = api.put(path, {"deleted": False, "name": "renamed"})
    assert reply.status == 200, reply.body
    kept = {k: v for k, v in reply.body.items() if k not in ("updated", "name")}
    assert kept == {k: v for k, v in run.items() if k not in ("updated", "name")}
    assert reply.body["name"] == "renamed"


def test_a_put_cannot_leave_out_a_suggested_assignment(api: Api, runs: str):
    """A run of an AI experiment keeps the assignments it was suggested: a PUT of
    ``assignments`` without them would remove them, a 422 naming the assignment, nothing
    changed; with them, the PUT sets the others it gives in place of the run's."""
    client = api.get("/v1/tokens/self").body["client"]
    e = api.post(f"/v1/clients/{client}/projects/verbs/aiexperiments", AI).body
    run = api.post(f"/v1/aiexperiments/{e['id']}/training_runs", {"name": "r"}).body
    path = f"/v1/training_runs/{run['id']}"
    x = run["assignments"]["x"]
    assert api.call(merge_verb(api), path, {"assignments": {"batch": 32}}).status == 200
    before = runs_rows(api)
    reply = api.put(path, {"assignments": {"batch": 64}})
    assert reply.status == 422 and reply.body["detail"]["field"] == "assignments.x", reply.body
    assert "cannot be removed" in reply.body["message"]
    assert runs_rows(api) == before
    reply = api.put(path, {"assignments": {"x": x, "depth": 3}})
    assert reply.status == 200 and reply.body["assignments"] == {"x": x, "depth": 3}, reply.body


def test_a_finished_ai_runs_values_cannot_be_replaced_but_may_be_sent_back(api: Api, runs: str):
    """Once a run of an AI experiment finished, its values are its observation's: a PUT
    of other values (``{}`` too, which a PUT would set) is a 409, nothing changed; the
    run fetched whole and sent back (PUT or MERGE) changes nothing and is taken."""
    client = api.get("/v1/tokens/self").body["client"]
    e = api.post(f"/v1/clients/{client}/projects/verbs/aiexperiments", AI).body
    run = api.post(f"/v1/aiexperiments/{e['id']}/training_runs", {"name": "r"}).body
    path = f"/v1/training_runs/{run['id']}"
    done = api.call(
        merge_verb(api), path, {"values": {"acc": {"value": 0.9}}, "state": "completed"}
    )
    assert done.status == 200, done.body
    before = runs_rows(api)
    for body in ({"values": {}}, {"values": {"acc": {"value": 1.0}}}):
        reply = api.put(path, body)
        assert reply.status == 409 and reply.body["detail"]["field"] == "values", reply.body
    assert runs_rows(api) == before
    whole = api.get(path).body
    for verb in ("PUT", merge_verb(api)):
        reply = api.call(verb, path, whole)
        assert reply.status == 200, (verb, reply.body)
        assert reply.body["values"] == whole["values"]


def test_a_run_whose_parameter_has_a_long_name_can_be_sent_back(api: Api, runs: str):
    """A parameter's name runs to 500 characters here, a metadata key to 100 (SigOpt's
    limit, which its assignments share): a run of such an experiment, fetched whole and
    sent back, was refused for its own suggested assignment's key. Its assignment keys
    run to the parameter names' limit; a 501-character one is still refused."""
    name = "p" * 300
    definition = {**AI, "parameters": [{**AI["parameters"][0], "name": name}]}
    client = api.get("/v1/tokens/self").body["client"]
    e = api.post(f"/v1/clients/{client}/projects/verbs/aiexperiments", definition).body
    run = api.post(f"/v1/aiexperiments/{e['id']}/training_runs", {"name": "r"}).body
    path = f"/v1/training_runs/{run['id']}"
    whole = api.get(path).body
    assert list(whole["assignments"]) == [name]
    for verb in ("PUT", merge_verb(api)):
        reply = api.call(verb, path, whole)
        assert reply.status == 200, (verb, reply.body)
    reply = api.call(merge_verb(api), path, {"assignments": {"q" * 501: 1}})
    assert reply.status == 422 and "at most 500" in reply.body["message"], reply.body
    assert "q" * 501 not in api.get(path).body["assignments"]

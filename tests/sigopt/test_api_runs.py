"""The modern API's routes on their own: projects, AI experiments, training runs,
checkpoints, clients and tokens/self, embedded and served."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from sigopt_like.service.store import schema

from .conftest import Api

AI = {
    "name": "ai",
    "parameters": [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
    "metrics": [{"name": "acc"}, {"name": "loss", "objective": "minimize", "strategy": "store"}],
    "budget": 3,
}


def merge(api: Api, rid: str, body: dict):
    return api.call("MERGE" if api.mode == "served" else "PATCH", f"/v1/training_runs/{rid}", body)


@pytest.fixture
def client(api: Api) -> str:
    reply = api.get("/v1/tokens/self")
    assert reply.status == 200 and reply.body["object"] == "token"
    return reply.body["client"]


def test_projects_are_created_on_first_use_and_conflict_on_create(api: Api, client: str):
    first = api.get(f"/v1/clients/{client}/projects/fresh-one")
    assert (
        first.status == 200
        and first.body["id"] == "fresh-one"
        and first.body["name"] == "fresh-one"
    )
    again = api.post(f"/v1/clients/{client}/projects", {"id": "fresh-one"})
    assert again.status == 409 and "fresh-one" in again.body["message"]
    made = api.post(
        f"/v1/clients/{client}/projects", {"id": "other", "name": "Other", "metadata": {"k": 1}}
    )
    assert made.status == 201 and made.body["name"] == "Other"
    renamed = api.put(f"/v1/clients/{client}/projects/other", {"name": "Renamed"})
    assert renamed.body["name"] == "Renamed" and renamed.body["metadata"] == {"k": 1}
    listed = api.get(f"/v1/clients/{client}/projects").body
    assert {p["id"] for p in listed["data"]} == {"fresh-one", "other"}
    bad = api.get(f"/v1/clients/{client}/projects/Not Valid")
    assert bad.status == 422 and bad.body["detail"]["field"] == "project"
    assert api.get("/v1/clients/999999/projects").status == 404
    assert api.get(f"/v1/clients/{client}").body == {
        "object": "client",
        "id": client,
        "name": f"client {client}",
        "organization": client,  # each user is its own organization
        "created": None,
    }


def test_a_project_id_no_url_path_can_hold_is_refused_at_create(api: Api, client: str):
    """A project id of '.' or '..' was taken (sigopt-python's check takes it too), but an
    HTTP client removes such a step from a URL path: ``GET .../projects/..`` reached the
    client, so the project could only be reached by an encoded path. Each way of making a
    project now refuses them with a 422 that says why, nothing made; '...' is a project
    id as any other, and a project made before the rule stays reachable."""
    projects = f"/v1/clients/{client}/projects"
    unit = {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}
    before = api.snapshot()
    for key in (".", ".."):
        encoded = key.replace(".", "%2E")
        for reply, field in [
            (api.post(projects, {"id": key}), "id"),
            (api.get(f"{projects}/{encoded}"), "project"),
            (api.post(f"{projects}/{encoded}/training_runs", {"name": "r"}), "project"),
            (api.post(f"{projects}/{encoded}/aiexperiments", AI), "project"),
            (
                api.post("/v1/experiments", {"name": "e", "project": key, "parameters": [unit]}),
                "project",
            ),
        ]:
            assert reply.status == 422 and reply.body["detail"]["field"] == field, reply.body
            assert "URL path" in reply.body["message"], reply.body
    assert api.snapshot() == before
    assert api.get(projects).body["data"] == []
    made = api.post(projects, {"id": "..."})
    assert made.status == 201 and api.get(f"{projects}/...").body["id"] == "..."
    with api.service.context.store.sigopt.write() as unit_of_work:  # made before the rule
        unit_of_work.projects.create_new(int(client), "..", "old", None, 0)
    old = api.get(f"{projects}/%2E%2E")
    assert old.status == 200 and old.body["name"] == "old", old.body
    filed = api.post("/v1/experiments", {"name": "e", "project": "..", "parameters": [unit]})
    assert filed.status == 201 and filed.body["project"] == "..", filed.body


def test_a_finished_run_becomes_the_experiments_observation(api: Api, client: str):
    e = api.post(f"/v1/clients/{client}/projects/p/aiexperiments", AI)
    assert e.status == 201, e.body
    e = e.body
    assert e["object"] == "aiexperiment" and e["project"] == "p" and e["budget"] == 3
    assert e["progress"]["remaining_budget"] == 3.0
    run = api.post(f"/v1/aiexperiments/{e['id']}/training_runs", {"name": "r1"}).body
    assert run["state"] == "active" and set(run["assignments"]) == {"x"}
    assert run["experiment"] == e["id"] and run["project"] == "p"
    x = run["assignments"]["x"]
    # the suggested assignments are fixed; new ones may be logged
    fixed = merge(api, run["id"], {"assignments": {"x": x + 0.01}})
    assert fixed.status == 422 and fixed.body["detail"]["field"] == "assignments.x"
    assert merge(api, run["id"], {"assignments": {"batch": 32}}).body["assignments"] == {
        "x": x,
        "batch": 32,
    }
    merge(api, run["id"], {"values": {"loss": {"value": 0.5}}})
    missing = merge(api, run["id"], {"state": "completed"})
    assert missing.status == 422 and "'acc'" in missing.body["message"]
    merge(api, run["id"], {"values": {"acc": {"value": 0.9, "value_stddev": 0.01}}})
    merge(api, run["id"], {"metadata": {"gpu": "a100"}, "datasets": {"iris": {}}})
    done = merge(api, run["id"], {"state": "completed"}).body
    assert done["state"] == "completed" and done["observation"] and done["finished"]
    assert done["datasets"] == ["iris"] and done["metadata"] == {"gpu": "a100"}
    late = merge(api, run["id"], {"values": {"acc": {"value": 1.0}}})
    assert late.status == 409
    observations = api.get(f"/v1/experiments/{e['id']}/observations").body["data"]
    (obs,) = observations
    assert obs["assignments"] == {"x": x}  # the experiment's parameters only
    assert {v["name"]: v["value"] for v in obs["values"]} == {"acc": 0.9, "loss": 0.5}
    assert obs["suggestion"] == done["suggestion"]
    closed = api.get(f"/v1/experiments/{e['id']}/suggestions/{done['suggestion']}").body
    assert closed["state"] == "closed"
    # a failed run reports a failed observation
    second = api.post(f"/v1/aiexperiments/{e['id']}/training_runs").body
    assert merge(api, second["id"], {"state": "failed"}).body["state"] == "failed"
    progress = api.get(f"/v1/aiexperiments/{e['id']}").body["progress"]
    assert progress == {
        "object": "progress",
        "active_run_count": 0,
        "finished_run_count": 2,
        "total_run_count": 2,
        "remaining_budget": 1.0,
    }
    assert [
        o["failed"] for o in api.get(f"/v1/experiments/{e['id']}/observations").body["data"]
    ] == [
        True,
        False,
    ]
    best = api.get(f"/v1/aiexperiments/{e['id']}/best_training_runs").body["data"]
    assert [r["id"] for r in best] == [run["id"]]
    runs = api.get(
        f"/v1/clients/{client}/projects/p/training_runs",
        filters=json.dumps([{"field": "experiment", "operator": "==", "value": e["id"]}]),
    ).body
    assert {r["id"] for r in runs["data"]} == {run["id"], second["id"]}
    # an empty include_runs is no answer (the fuzzer found it taken as "false": archived)
    blank = api.call("DELETE", f"/v1/aiexperiments/{e['id']}", include_runs="")
    assert blank.status == 400 and blank.body["detail"]["field"] == "include_runs"
    assert api.get(f"/v1/aiexperiments/{e['id']}").body["state"] == "active"
    kept = api.call("DELETE", f"/v1/aiexperiments/{e['id']}", include_runs="false")
    assert kept.status == 204 and api.get(f"/v1/training_runs/{run['id']}").body["deleted"] is False
    assert api.put(f"/v1/aiexperiments/{e['id']}", {"state": "active"}).status == 200
    api.call("DELETE", f"/v1/aiexperiments/{e['id']}", include_runs="true")
    assert api.get(f"/v1/training_runs/{run['id']}").body["deleted"] is True
    assert api.get(f"/v1/aiexperiments/{e['id']}").body["state"] == "deleted"
    unsupported = api.get(
        f"/v1/clients/{client}/projects/p/training_runs",
        filters=json.dumps([{"field": "state", "operator": "==", "value": "active"}]),
    )
    assert unsupported.status == 400 and unsupported.body["detail"]["field"] == "filters"


def test_runs_outside_experiments_checkpoints_archive_and_batches(api: Api, client: str):
    run = api.post(f"/v1/clients/{client}/projects/solo/training_runs", {"name": "by hand"}).body
    assert run["experiment"] is None and run["project"] == "solo"
    merge(api, run["id"], {"assignments": {"lr": 0.1}, "logs": {"stdout": {"content": "hi"}}})
    merge(api, run["id"], {"model": {"type": "xgboost"}, "values": {"loss": {"value": 0.2}}})
    point = api.post(
        f"/v1/training_runs/{run['id']}/checkpoints", {"values": [{"name": "loss", "value": 0.3}]}
    )
    assert point.status == 201 and point.body["values"][0]["value"] == 0.3
    assert api.get(f"/v1/training_runs/{run['id']}/checkpoints").body["count"] == 1
    fetched = api.get(f"/v1/training_runs/{run['id']}").body
    assert fetched["assignments"] == {"lr": 0.1} and fetched["checkpoint_count"] == 1
    assert fetched["model"] == {"type": "xgboost"} and fetched["logs"] == {
        "stdout": {"content": "hi"}
    }
    assert merge(api, run["id"], {"state": "completed"}).body["state"] == "completed"
    assert merge(api, run["id"], {"state": "active"}).status == 422
    assert api.delete(f"/v1/training_runs/{run['id']}").status == 204
    assert api.get(f"/v1/training_runs/{run['id']}").body["deleted"] is True
    assert api.put(f"/v1/training_runs/{run['id']}", {"deleted": False}).body["deleted"] is False
    batch = api.post(
        f"/v1/clients/{client}/projects/solo/training_runs/batch",
        {
            "runs": [
                {"name": "a", "values": {"m": {"value": 1}}, "state": "completed"},
                {"name": "b"},
            ]
        },
    )
    assert batch.status == 201 and [r["name"] for r in batch.body["data"]] == ["a", "b"]
    assert batch.body["data"][0]["state"] == "completed"
    unknown = merge(api, run["id"], {"colour": "blue"})
    assert unknown.status == 400 and unknown.body["detail"]["field"] == "colour"


def test_null_in_a_run_or_project_update_means_what_a_create_makes_of_it(api: Api, client: str):
    """A null ``name`` in a run or project update, and a null ``state`` in a run update,
    answered 200 and changed nothing. Null now means what a create makes of it, as in an
    experiment update: a run without a name, a run's first state (active: taken when the
    run is active, a 422 naming ``state`` with nothing changed when it has finished), a
    project named after its id."""
    runs = f"/v1/clients/{client}/projects/nulls/training_runs"
    run = api.post(runs, {"name": "r"}).body
    path = f"/v1/training_runs/{run['id']}"
    for verb in ("PUT", "MERGE" if api.mode == "served" else "PATCH"):
        named = api.call(verb, path, {"name": "r"})
        assert named.status == 200 and named.body["name"] == "r", named.body
        reply = api.call(verb, path, {"name": None, "state": None})
        assert reply.status == 200 and reply.body["name"] is None, (verb, reply.body)
        assert reply.body["state"] == "active"
    assert api.get(path).body["name"] is None
    done = merge(api, run["id"], {"state": "completed", "name": "done"}).body
    reopened = merge(api, run["id"], {"state": None, "name": "other"})
    assert reopened.status == 422 and reopened.body["detail"]["field"] == "state", reopened.body
    assert "null" in reopened.body["message"] and "completed" in reopened.body["message"]
    after = api.get(path).body
    assert {k: v for k, v in after.items() if k != "updated"} == {
        k: v for k, v in done.items() if k != "updated"
    }
    made = api.post(f"/v1/clients/{client}/projects", {"id": "named", "name": "Named"})
    assert made.status == 201 and made.body["name"] == "Named"
    reply = api.put(f"/v1/clients/{client}/projects/named", {"name": None})
    assert reply.status == 200 and reply.body["name"] == "named", reply.body
    assert api.get(f"/v1/clients/{client}/projects/named").body["name"] == "named"


#: a run's map fields as logged, and what each renders once cleared by null
LOGGED = {
    "assignments": ({"lr": 0.1}, {}),
    "assignments_meta": ({"lr": {"source": "sigopt"}}, None),
    "assignments_sources": ({"sigopt": {"sort": 1, "default_show": True}}, None),
    "datasets": ({"iris": {}}, []),
    "logs": ({"stdout": {"content": "hello"}}, {}),
    "sys_metadata": ({"feature_importances": {"type": "weight"}}, None),
    "dev_metadata": ({"k": "v"}, None),
    "model": ({"type": "xgboost"}, None),
    "source_code": ({"hash": "abc123"}, None),
    "values": ({"acc": {"value": 0.9}}, {}),
}


def test_null_clears_a_runs_maps_and_undeletes_it(api: Api, client: str):
    """``deleted: null`` and a null map (``logs``, ``values``, ``assignments``...) in a
    run update answered 200 and changed nothing. As SigOpt's MERGE does (it sets the field
    to null and strips nulls: "to delete from a map ... with MERGE you will have to
    explicitly set that field to null"), null now clears the map, and ``deleted: null``
    is a new run's ``false`` (SigOpt's parser reads it so)."""
    runs = f"/v1/clients/{client}/projects/clears/training_runs"
    run = api.post(runs, {"name": "r"}).body
    for verb in ("PUT", "MERGE" if api.mode == "served" else "PATCH"):
        path = f"/v1/training_runs/{run['id']}"
        for key, (logged, empty) in LOGGED.items():
            if key == "assignments_meta":  # an assignment's meta needs the assignment
                assert api.call(verb, path, {"assignments": {"lr": 0.1}}).status == 200
            full = api.call(verb, path, {key: logged})
            assert full.status == 200 and full.body[key] != empty, (verb, key, full.body)
            other = {k: v for k, v in full.body.items() if k not in (key, "updated")}
            reply = api.call(verb, path, {key: None})
            assert reply.status == 200 and reply.body[key] == empty, (verb, key, reply.body)
            assert {k: v for k, v in reply.body.items() if k not in (key, "updated")} == other
            assert api.get(path).body[key] == empty
        assert api.call(verb, path, {"deleted": True}).body["deleted"] is True
        reply = api.call(verb, path, {"deleted": None})
        assert reply.status == 200 and reply.body["deleted"] is False, reply.body
        assert [r["id"] for r in api.get(runs).body["data"]] == [run["id"]]
    bad = merge(api, run["id"], {"deleted": "yes"})
    assert bad.status == 400 and bad.body["detail"]["field"] == "deleted", bad.body


def test_null_cannot_clear_what_a_runs_experiment_fixed(api: Api, client: str):
    """A run of an AI experiment keeps its suggested assignments (null is a 422 naming
    them), and its values once it finished (409); an active run's values may be cleared."""
    e = api.post(f"/v1/clients/{client}/projects/p/aiexperiments", AI).body
    run = api.post(f"/v1/aiexperiments/{e['id']}/training_runs", {"name": "r"}).body
    path = f"/v1/training_runs/{run['id']}"
    before = api.get(path).body
    kept = merge(api, run["id"], {"assignments": None})
    assert kept.status == 422 and kept.body["detail"]["field"] == "assignments", kept.body
    assert "suggested x = " in kept.body["message"]
    assert api.get(path).body == before
    logged = merge(api, run["id"], {"values": {"acc": {"value": 0.5}}}).body
    assert logged["values"]["acc"]["value"] == 0.5
    assert merge(api, run["id"], {"values": None}).body["values"] == {}
    values = {"acc": {"value": 0.9}, "loss": {"value": 0.1}}
    done = merge(api, run["id"], {"values": values, "state": "completed"}).body
    final = merge(api, run["id"], {"values": None})
    assert final.status == 409 and final.body["detail"]["field"] == "values", final.body
    assert api.get(path).body["values"] == done["values"]


def test_ai_experiment_create_refuses_what_it_would_not_honour(api: Api, client: str):
    before = api.snapshot()
    for body, field in [
        ({**AI, "project": "elsewhere"}, "project"),
        ({**AI, "tasks": [{"name": "cheap", "cost": 0.1}]}, "tasks"),
        ({**AI, "budget": 0}, "budget"),
    ]:
        reply = api.post(f"/v1/clients/{client}/projects/p/aiexperiments", body)
        assert 400 <= reply.status < 500 and reply.body["detail"]["field"] == field, reply.body
    assert api.snapshot() == before


def test_a_runs_metadata_merges_key_by_key(api: Api, client: str):
    """sigopt-python's ``run.log_metadata(k, v)`` sends ``{"metadata": {k: v}}`` once per
    key, and SigOpt's MERGE merges maps: each update replaced the whole metadata here, so
    only the last key logged was kept. Keys now merge; ``"metadata": null`` clears it;
    a merge past 100 keys is a 422 with nothing changed. A key given as null is no value
    kept (SigOpt never renders one): the run has no key ``c``."""
    run = api.post(
        f"/v1/clients/{client}/projects/meta/training_runs", {"name": "r", "metadata": {"a": 1}}
    ).body
    assert merge(api, run["id"], {"metadata": {"b": "x"}}).body["metadata"] == {"a": 1, "b": "x"}
    assert merge(api, run["id"], {"metadata": {"a": 2, "c": None}}).body["metadata"] == {
        "a": 2,
        "b": "x",
    }
    many = {f"k{i}": i for i in range(99)}
    reply = merge(api, run["id"], {"metadata": many})
    assert reply.status == 422 and reply.body["detail"]["field"] == "metadata", reply.body
    assert "101 keys" in reply.body["message"]
    fetched = api.get(f"/v1/training_runs/{run['id']}").body
    assert fetched["metadata"] == {"a": 2, "b": "x"}
    assert merge(api, run["id"], {"metadata": None}).body["metadata"] is None


#: the maps of plain values, with a value to log in each: sigopt-python's
#: ``del run.params[k]`` sends ``{"assignments": {k: null}}``, ``run.log_metadata(k, None)``
#: ``{"metadata": {k: null}}``, ``log_dev_metadata`` the same (``sys_metadata`` holds
#: ``feature_importances`` only: tests/sigopt/test_run_maps.py)
VALUE_MAPS = {
    "assignments": 0.1,
    "metadata": "iris",
    "dev_metadata": "v",
}


def test_null_inside_a_runs_value_map_removes_that_key(api: Api, client: str):
    """``{"metadata": {"k": null}}`` (and the same in ``assignments``, ``dev_metadata``)
    was kept as a key whose value is null, rendered ``"k": null``. The null now removes
    the key, the run's other keys as they were, with MERGE and PATCH; a key the run does
    not have is no change. A PUT sets the map whole, without its null keys (SigOpt's PUT
    replaces the map): none is left."""
    runs = f"/v1/clients/{client}/projects/nulls/training_runs"
    run = api.post(runs, {"name": "r"}).body
    path = f"/v1/training_runs/{run['id']}"
    for verb in ("PUT", "MERGE" if api.mode == "served" else "PATCH"):
        for key, value in VALUE_MAPS.items():
            logged = api.call(verb, path, {key: {"gone": value, "kept": value}})
            assert logged.status == 200 and logged.body[key] == {"gone": value, "kept": value}
            other = {k: v for k, v in logged.body.items() if k not in (key, "updated")}
            reply = api.call(verb, path, {key: {"gone": None, "never": None}})
            assert reply.status == 200, (verb, key, reply.body)
            if verb == "PUT":
                assert reply.body[key] == {}, (verb, key, reply.body)
                reply = api.call(verb, path, {key: {"kept": value, "never": None}})
            assert reply.body[key] == {"kept": value}, (verb, key, reply.body)
            assert {k: v for k, v in reply.body.items() if k not in (key, "updated")} == other
            assert api.get(path).body[key] == {"kept": value}
            assert api.call(verb, path, {key: None}).body[key] in (None, {})


def test_null_inside_a_new_runs_value_map_leaves_the_key_out(api: Api, client: str):
    """A run created with ``{"metadata": {"k": null}}`` (or ``assignments``,
    ``dev_metadata``, ``sys_metadata``), alone or in ``upload_runs``'s batch, kept
    ``"k": null``; as SigOpt's parser drops such keys, the run is made without them. A
    run of an AI experiment made with ``metadata`` holding a null too."""
    runs = f"/v1/clients/{client}/projects/nulls/training_runs"
    body = {key: {"gone": None, "kept": value} for key, value in VALUE_MAPS.items()}
    made = api.post(runs, {"name": "r", **body})
    assert made.status == 201, made.body
    batch = api.post(f"{runs}/batch", {"runs": [{"name": "b", **body}]})
    assert batch.status == 201, batch.body
    for run in (made.body, batch.body["data"][0]):
        fetched = api.get(f"/v1/training_runs/{run['id']}").body
        for key, value in VALUE_MAPS.items():
            assert run[key] == fetched[key] == {"kept": value}, (key, run[key], fetched[key])
    e = api.post(f"/v1/clients/{client}/projects/nulls/aiexperiments", AI).body
    ai = api.post(
        f"/v1/aiexperiments/{e['id']}/training_runs",
        {"name": "r", "metadata": {"gone": None, "kept": 1}},
    )
    assert ai.status == 201 and ai.body["metadata"] == {"kept": 1}, ai.body
    assert api.get(f"/v1/training_runs/{ai.body['id']}").body["metadata"] == {"kept": 1}


def test_null_cannot_remove_a_suggested_assignment(api: Api, client: str):
    """A run of an AI experiment keeps the assignments it was suggested: a null one is a
    422 naming it (it cannot be removed), with nothing changed, by itself or beside
    other changes."""
    e = api.post(f"/v1/clients/{client}/projects/p/aiexperiments", AI).body
    run = api.post(f"/v1/aiexperiments/{e['id']}/training_runs", {"name": "r"}).body
    before = api.snapshot()
    for body in (
        {"assignments": {"x": None}},
        {"assignments": {"x": None}, "metadata": {"k": 1}, "name": "other"},
    ):
        reply = merge(api, run["id"], body)
        assert reply.status == 422, reply.body
        assert reply.body["detail"]["field"] == "assignments.x", reply.body
        assert "cannot be removed" in reply.body["message"], reply.body
    assert api.snapshot() == before


def test_a_parameter_an_ai_run_logged_beside_its_suggestion_may_change(api: Api, client: str):
    """A run of an AI experiment held every assignment it had as suggested: one it logged
    itself (``run.params.batch = 32``) could not change, nor be removed
    (``del run.params.batch``), a 422 saying the experiment suggested it. Only the
    suggestion's assignments are held now; the others change and are removed as a run
    outside an experiment's are."""
    e = api.post(f"/v1/clients/{client}/projects/p/aiexperiments", AI).body
    run = api.post(f"/v1/aiexperiments/{e['id']}/training_runs", {"name": "r"}).body
    x = run["assignments"]["x"]
    assert merge(api, run["id"], {"assignments": {"batch": 32}}).status == 200
    changed = merge(api, run["id"], {"assignments": {"batch": 64}})
    assert changed.status == 200 and changed.body["assignments"] == {"x": x, "batch": 64}
    removed = merge(api, run["id"], {"assignments": {"batch": None}})
    assert removed.status == 200 and removed.body["assignments"] == {"x": x}, removed.body
    assert api.get(f"/v1/training_runs/{run['id']}").body["assignments"] == {"x": x}
    held = merge(api, run["id"], {"assignments": {"x": None}})
    assert held.status == 422 and held.body["detail"]["field"] == "assignments.x", held.body


#: the maps whose entries are objects, with an entry to log in each
OBJECT_MAPS = {
    "logs": ("stdout", {"content": "hello"}),
    "assignments_meta": ("lr", {"source": "sigopt"}),
    "assignments_sources": ("sigopt", {"sort": 1, "default_show": True}),
    "datasets": ("iris", {}),
    "values": ("acc", {"value": 0.9}),
}


def test_null_inside_a_runs_object_map_is_refused_as_sigopt_refuses_it(api: Api, client: str):
    """An entry of ``logs``, ``assignments_meta`` or ``assignments_sources`` given as null
    (or as anything but an object) was kept and rendered (``"logs": {"stdout": null}``).
    SigOpt's parser takes these maps' entries as objects only, and refuses a null one with
    a 400: so does this service now, in a create, ``upload_runs`` and an update (PUT and
    MERGE), naming the entry, nothing changed. ``datasets`` and ``values`` refused a null
    entry already, and still do."""
    runs = f"/v1/clients/{client}/projects/objects/training_runs"
    logged = {key: {name: entry} for key, (name, entry) in OBJECT_MAPS.items()}
    run = api.post(runs, {"name": "r", "assignments": {"lr": 0.1}, **logged})
    assert run.status == 201, run.body
    path = f"/v1/training_runs/{run.body['id']}"
    before = api.snapshot()
    for key, (name, _) in OBJECT_MAPS.items():
        for value in (None, 1, "x") if key in ("logs", "assignments_meta") else (None,):
            body = {key: {name: value}}
            for reply, field in (
                (api.post(runs, {"name": "n", **body}), f"{key}.{name}"),
                (api.post(f"{runs}/batch", {"runs": [{"name": "n", **body}]}), None),
                (api.put(path, body), f"{key}.{name}"),
                (merge(api, run.body["id"], body), f"{key}.{name}"),
            ):
                field = field or f"runs[0].{key}.{name}"
                assert reply.status == 400, (key, value, reply.body)
                assert reply.body["detail"]["field"] == field, (key, value, reply.body)
                if value is None and key != "datasets":
                    assert "cannot be null" in reply.body["message"], reply.body
    assert api.snapshot() == before
    assert all(api.get(path).body[key] == run.body[key] for key in OBJECT_MAPS)


def test_a_dataset_is_logged_by_name_and_anything_else_is_refused(api: Api, client: str):
    """A run renders its datasets as names (sigopt-python's ``log_dataset`` sends
    ``{name: {}}``); a value other than ``{}`` was accepted and never shown. It is now a
    400 naming the dataset, in an update and in ``upload_runs``, with the run unchanged."""
    runs = f"/v1/clients/{client}/projects/data/training_runs"
    run = api.post(runs, {"name": "r"}).body
    assert merge(api, run["id"], {"datasets": {"iris": {}}}).body["datasets"] == ["iris"]
    for value in ("x", {"rows": 150}, None, [1]):
        reply = merge(api, run["id"], {"datasets": {"mnist": value}})
        assert reply.status == 400, (value, reply.body)
        assert reply.body["detail"]["field"].startswith("datasets.mnist")
        assert "names only" in reply.body["message"]
    assert api.get(f"/v1/training_runs/{run['id']}").body["datasets"] == ["iris"]
    batch = api.post(f"{runs}/batch", {"runs": [{"name": "b", "datasets": {"d": "x"}}]})
    assert batch.status == 400 and batch.body["detail"]["field"] == "runs[0].datasets.d", batch.body
    assert [r["name"] for r in api.get(runs).body["data"]] == ["r"]


def test_a_run_fetched_whole_is_taken_back_whole(api: Api, client: str):
    """A run's ``datasets`` render as a list of names and its values as
    ``metric_evaluation`` objects; both were refused when the fetched run was sent back
    (``datasets`` must be an object; ``object`` must be ``metric_value``), so a client
    that GETs, edits and PUTs a run could not. Sent back whole, the run is unchanged; a
    list holding other than names, or a value whose ``name`` is not its key, is a 400
    with nothing changed."""
    runs = f"/v1/clients/{client}/projects/data/training_runs"
    run = api.post(runs, {"name": "r"}).body
    update = {
        "datasets": {"iris": {}},
        "metadata": {"a": 1},
        "values": {"acc": {"value": 0.5, "value_stddev": 0.1}},
        "assignments": {"x": 1},
        "logs": {"stdout": {"content": "hi"}},
        "model": {"type": "xgb"},
        "state": "completed",
    }
    assert merge(api, run["id"], update).status == 200
    path = f"/v1/training_runs/{run['id']}"
    whole = api.get(path).body
    assert whole["datasets"] == ["iris"]
    assert whole["values"]["acc"]["object"] == "metric_evaluation"
    for verb in ("PUT", "MERGE" if api.mode == "served" else "PATCH"):
        reply = api.call(verb, path, whole)
        assert reply.status == 200, (verb, reply.body)
        assert {k: v for k, v in reply.body.items() if k != "updated"} == {
            k: v for k, v in whole.items() if k != "updated"
        }
    grown = merge(api, run["id"], {"datasets": ["iris", "mnist"]}).body
    assert grown["datasets"] == ["iris", "mnist"]
    for body, field in (
        ({"datasets": ["iris", 3]}, "datasets[1]"),
        ({"datasets": ["x" * 501]}, "datasets"),
        ({"datasets": {" ": {}}}, "datasets"),
        ({"values": {"acc": {**whole["values"]["acc"], "name": "loss"}}}, "values.acc.name"),
        ({"values": {"acc": {"object": "metric", "value": 1.0}}}, "values.acc.object"),
    ):
        reply = merge(api, run["id"], body)
        assert reply.status == 400 and reply.body["detail"]["field"] == field, reply.body
    after = api.get(path).body
    assert after["datasets"] == ["iris", "mnist"] and after["values"] == whole["values"]
    legacy = {"acc": {"object": "metric_value", "value": 0.7}}
    assert merge(api, run["id"], {"values": legacy}).body["values"]["acc"]["value"] == 0.7


def test_checkpoints_as_sigopt_keeps_them(api: Api, client: str):
    """SigOpt refuses a checkpoint naming a metric twice, one of a run that became its
    experiment's observation, and past 200 per run; all three were stored here (the
    first keeping two values for one metric). Now 422 / 409 / 409, nothing stored."""
    e = api.post(f"/v1/clients/{client}/projects/p/aiexperiments", AI).body
    run = api.post(f"/v1/aiexperiments/{e['id']}/training_runs", {"name": "r"}).body
    path = f"/v1/training_runs/{run['id']}/checkpoints"
    twice = api.post(path, {"values": [{"name": "acc", "value": 1}, {"name": "acc", "value": 2}]})
    assert twice.status == 422 and twice.body["detail"]["field"] == "values[1].name", twice.body
    assert '"acc" is given twice' in twice.body["message"]
    assert api.post(path, {"values": [{"name": "acc", "value": 0.5}]}).status == 201
    values = {"acc": {"value": 0.9}, "loss": {"value": 0.1}}
    assert merge(api, run["id"], {"values": values, "state": "completed"}).status == 200
    late = api.post(path, {"values": [{"name": "acc", "value": 0.95}]})
    assert late.status == 409 and "takes no more checkpoints" in late.body["message"], late.body
    assert api.get(path).body["count"] == 1
    # a run outside any experiment: up to 200
    free = api.post(f"/v1/clients/{client}/projects/p/training_runs", {"name": "free"}).body
    path = f"/v1/training_runs/{free['id']}/checkpoints"
    for i in range(200):
        assert api.post(path, {"values": [{"name": "acc", "value": i}]}).status == 201
    over = api.post(path, {"values": [{"name": "acc", "value": 1}]})
    assert over.status == 409 and "the most a run keeps (200" in over.body["message"], over.body
    assert api.get(f"/v1/training_runs/{free['id']}").body["checkpoint_count"] == 200


def test_a_checkpoint_of_more_values_than_a_request_takes_is_refused(api: Api, client: str):
    """A checkpoint's ``values`` took any number of values (100,000 metrics in one
    checkpoint were kept, and rendered in every read of it); past 10,000 it is a 422 that
    says the limit and to split them, and no checkpoint is kept."""
    run = api.post(f"/v1/clients/{client}/projects/p/training_runs", {"name": "r"}).body
    path = f"/v1/training_runs/{run['id']}/checkpoints"
    many = [{"name": f"m{i}", "value": i} for i in range(10_001)]
    over = api.post(path, {"values": many})
    assert over.status == 422 and over.body["detail"]["field"] == "values", over.body
    assert (
        "'values' has 10,001 metric values; one request takes at most 10,000"
        in (over.body["message"])
    )
    assert "Log at most that many in one checkpoint" in over.body["message"]
    assert api.get(f"/v1/training_runs/{run['id']}").body["checkpoint_count"] == 0
    assert api.post(path, {"values": many[:10_000]}).status == 201


def test_a_runs_maps_keep_at_most_10000_entries(api: Api, client: str):
    """A run's ``values``, ``logs`` and ``datasets`` kept any number of entries (100,000
    values in one update were kept, and rendered in every read of the run and of each
    page of runs), and MERGEs added up without bound. A map that would pass 10,000
    entries is a 422 naming it, and the run is unchanged."""
    run = api.post(f"/v1/clients/{client}/projects/p/training_runs", {"name": "r"}).body
    path = f"/v1/training_runs/{run['id']}"
    logs = {f"l{i}": {"content": "x"} for i in range(6_000)}
    assert merge(api, run["id"], {"logs": logs}).status == 200
    more = {f"m{i}": {"content": "x"} for i in range(4_001)}
    over = merge(api, run["id"], {"logs": more})
    assert over.status == 422 and over.body["detail"]["field"] == "logs", over.body
    assert (
        "'logs' would have 10,001 entries with this update's; a run keeps at most 10,000"
        in (over.body["message"])
    )
    values = {f"v{i}": {"value": i} for i in range(10_001)}
    refused = api.put(path, {"values": values})
    assert refused.status == 422 and refused.body["detail"]["field"] == "values", refused.body
    datasets = api.put(path, {"datasets": [f"d{i}" for i in range(10_001)]})
    assert datasets.status == 422 and datasets.body["detail"]["field"] == "datasets"
    for i in range(101):  # 100 keys a request, as metadata; merged, up to 10,000
        assert merge(api, run["id"], {"assignments": {f"a{i}": i}}).status == 200
    kept = api.get(path).body
    assert len(kept["assignments"]) == 101
    assert len(kept["logs"]) == 6_000 and kept["values"] == {} and kept["datasets"] == []
    batch = api.post(
        f"/v1/clients/{client}/projects/p/training_runs/batch",
        {"runs": [{"name": "b"}, {"name": "c", "values": values}]},
    )
    assert batch.status == 422 and batch.body["detail"]["field"] == "runs[1].values"
    listed = api.get(f"/v1/clients/{client}/projects/p/training_runs").body
    assert listed["count"] == 1


def test_an_ai_experiments_v1_writes_are_refused_its_reads_served(api: Api, client: str):
    """An AI experiment's suggestions and observations come from its runs (SigOpt refuses
    creating them directly). Here a v1 observation was a 201 that no run and no progress
    counted, deleting a run's observation left the run pointing at nothing (and out of
    the best runs), and a v1 suggestion was a 404 "No experiment" for an experiment that
    GET /v1/experiments/{id} answers. Each v1 write is now a 409 saying to create a run."""
    e = api.post(f"/v1/clients/{client}/projects/p/aiexperiments", AI).body
    run = api.post(f"/v1/aiexperiments/{e['id']}/training_runs", {"name": "r"}).body
    values = {"acc": {"value": 0.9}, "loss": {"value": 0.1}}
    done = merge(api, run["id"], {"values": values, "state": "completed"}).body
    base = f"/v1/experiments/{e['id']}"
    point = {
        "assignments": {"x": 0.5},
        "values": [{"name": "acc", "value": 1}, {"name": "loss", "value": 1}],
    }
    before = api.snapshot()
    for method, path, body in [
        ("POST", f"{base}/suggestions", {}),
        ("DELETE", f"{base}/suggestions", None),
        ("DELETE", f"{base}/suggestions/{done['suggestion']}", None),
        ("POST", f"{base}/observations", point),
        ("POST", f"{base}/observations/batch", {"observations": [point]}),
        ("PUT", f"{base}/observations/{done['observation']}", {"values": point["values"]}),
        ("DELETE", f"{base}/observations/{done['observation']}", None),
        ("DELETE", f"{base}/observations", None),
    ]:
        reply = api.call(method, path, body)
        assert reply.status == 409, (method, path, reply.body)
        assert "create a run instead" in reply.body["message"]
        assert api.snapshot() == before
    for path in (base, f"{base}/suggestions", f"{base}/observations", f"{base}/best_assignments"):
        assert api.get(path).status == 200, path
    best = api.get(f"/v1/aiexperiments/{e['id']}/best_training_runs").body["data"]
    assert [r["id"] for r in best] == [run["id"]]


def test_a_runs_filter_names_one_experiment_by_an_ascii_id(api: Api, client: str):
    """``experiment.get_runs()`` sends ``filters=[{"field": "experiment", ...}]``. A value
    of 30 digits or "²" (a digit to ``str.isdigit``, not to ``int``) was a 500, JSON
    nested 5,000 deep too; "١٦" (Arabic-Indic digits) read as experiment 16; with two
    filters the last one alone was applied. Each is now a 4xx naming what is wrong."""
    e = api.post(f"/v1/clients/{client}/projects/p/aiexperiments", AI).body
    api.post(f"/v1/aiexperiments/{e['id']}/training_runs", {"name": "r"})
    path = f"/v1/clients/{client}/projects/p/training_runs"

    def runs(value: object, *more: object) -> object:
        return json.dumps(
            [{"field": "experiment", "operator": "==", "value": v} for v in (value, *more)]
        )

    assert api.get(path, filters=runs(e["id"])).body["count"] == 1
    assert api.get(path, filters=runs(int(e["id"]))).body["count"] == 1
    for value in ("1" * 30, "\u00b2", "".join(chr(0x660 + int(d)) for d in e["id"]), "-1"):
        reply = api.get(path, filters=runs(value))
        assert reply.status == 422 and reply.body["detail"]["field"] == "filters[0].value", value
    for filters in (
        runs(e["id"], "999"),
        json.dumps([{"field": "experiment", "operator": "==", "value": e["id"], "x": 1}]),
        "[" * 1000 + "]" * 1000,  # percent-encoded: 6 KB, under the 8 KB a URL may be
    ):
        reply = api.get(path, filters=filters)
        assert reply.status == 400 and reply.body["detail"]["field"] == "filters", reply.body


def test_a_runs_filter_nested_past_the_depth_limit_is_said_to_be(api: Api, client: str):
    """A list nested past what the JSON parser could read was said not to be a JSON list;
    the limit is the door's (64), counted on the text, so that the answer is the same on
    every Python whatever its recursion limit."""
    from sigopt_like.service.door import MAX_DEPTH

    path = f"/v1/clients/{client}/projects/p/training_runs"
    api.post(path, {"name": "r"})
    for depth in (MAX_DEPTH + 1, 1000):  # 1,000: 6 KB percent-encoded, under a URL's 8 KB
        reply = api.get(path, filters="[" * depth + "]" * depth)
        assert reply.status == 400, reply.body
        assert reply.body["detail"] == {"field": "filters", "limit": MAX_DEPTH}, reply.body
        assert f"nested more than {MAX_DEPTH} levels deep" in reply.body["message"]
        assert "must be a JSON list" not in reply.body["message"]
    # at the limit it is read, and refused for what it says
    reply = api.get(path, filters="[" * MAX_DEPTH + "]" * MAX_DEPTH)
    assert reply.status == 400 and "one experiment only" in reply.body["message"], reply.body
    # brackets inside a string are text, not nesting
    deep_text = json.dumps(
        [{"field": "experiment", "operator": "==", "value": "[" * 100 + '\\"' + "{" * 100}]
    )
    reply = api.get(path, filters=deep_text)
    assert reply.status == 422 and reply.body["detail"]["field"] == "filters[0].value", reply.body


def test_x_response_content_skip_answers_204(api: Api, client: str):
    """sigopt-python sends ``X-Response-Content: skip`` with every log into a run and every
    checkpoint; SigOpt answers those 204 with no body, where this service rendered the
    whole run (logs and all) each time. The change is made either way."""
    run = api.post(f"/v1/clients/{client}/projects/p/training_runs", {"name": "r"}).body
    skip = {"X-Response-Content": "skip", "Content-Type": "application/json"}
    path = f"/v1/training_runs/{run['id']}"
    method = "MERGE" if api.mode == "served" else "PATCH"
    reply = api.call(method, path, data=json.dumps({"metadata": {"k": 1}}), headers=skip)
    assert reply.status == 204 and reply.content == b"", reply
    body = json.dumps({"values": [{"name": "acc", "value": 0.5}]})
    reply = api.call("POST", f"{path}/checkpoints", data=body, headers=skip)
    assert reply.status == 204 and reply.content == b"", reply
    fetched = api.get(path).body
    assert fetched["metadata"] == {"k": 1} and fetched["checkpoint_count"] == 1
    assert merge(api, run["id"], {"metadata": {"j": 2}}).status == 200  # without it: the run


def _runs_and_projects(api: Api) -> dict[str, list[tuple]]:
    """Every row of the tables a run or project request writes (and suggestions, which a
    run of an AI experiment makes first)."""
    with api.service.context.store.database.engine.connect() as conn:
        return {
            t.name: [tuple(r) for r in conn.execute(sa.select(t))]
            for t in (schema.training_runs, schema.sigopt_projects, schema.suggestions)
        }


def test_what_a_run_or_project_renders_is_sent_back_as_rendered_or_refused(api: Api, client: str):
    """The fields the service sets in a run (``project``, ``experiment``, ``completed``,
    ``id``, ``object``...) and in a project (``client``, ``created``...) were taken with any
    value and dropped: ``{"project": "other"}`` answered 200 and moved no run, and an AI
    experiment's run made with ``{"experiment": "999"}`` was a run of its own experiment.
    As rendered they are still taken (a fetched run or project sent back whole); another
    value is a 400 naming the field (with ``runs[i].`` in a batch, as for every field of
    one there), and nothing changes."""
    runs = f"/v1/clients/{client}/projects/echoes/training_runs"
    run = api.post(runs, {"name": "r"}).body
    path = f"/v1/training_runs/{run['id']}"
    ai = api.post(f"/v1/clients/{client}/projects/echoes/aiexperiments", AI).body
    ai_runs = f"/v1/aiexperiments/{ai['id']}/training_runs"
    before = _runs_and_projects(api)
    refused = [
        ("PUT", path, {"project": "elsewhere"}, "project"),
        ("PUT", path, {"experiment": ai["id"]}, "experiment"),
        ("PUT", path, {"completed": 5, "name": "kept?"}, "completed"),
        ("PUT", path, {"id": "999"}, "id"),
        ("PUT", path, {"object": "project"}, "object"),
        ("PUT", path, {"finished": 1}, "finished"),
        ("PUT", path, {"created": 1}, "created"),
        ("POST", runs, {"name": "n", "id": run["id"]}, "id"),
        ("POST", runs, {"name": "n", "experiment": ai["id"]}, "experiment"),
        ("POST", f"{runs}/batch", {"runs": [{"name": "a"}, {"project": "zz"}]}, "runs[1].project"),
        (
            "POST",
            f"{runs}/batch",
            {"runs": [{"name": "a"}, {"values": {"m": {"value": "x"}}}]},
            "runs[1].values.m.value",
        ),
        ("POST", ai_runs, {"experiment": "999"}, "experiment"),
        ("POST", ai_runs, {"suggestion": "1"}, "suggestion"),
        ("POST", f"/v1/clients/{client}/projects", {"id": "p2", "client": "77"}, "client"),
        ("POST", f"/v1/clients/{client}/projects", {"id": "p2", "created": 1}, "created"),
        ("PUT", f"/v1/clients/{client}/projects/echoes", {"object": "experiment"}, "object"),
        ("PUT", f"/v1/clients/{client}/projects/echoes", {"name": "x", "created": 1}, "created"),
    ]
    for verb, where, body, field in refused:
        reply = api.call(verb, where, body)
        assert reply.status == 400, (verb, where, body, reply.body)
        assert reply.body["detail"]["field"] == field, reply.body
        assert _runs_and_projects(api) == before, (verb, where, body)
    whole = api.get(path).body
    assert api.call("PUT", path, {**whole, "name": "again"}).body["name"] == "again"
    project = api.get(f"/v1/clients/{client}/projects/echoes").body
    renamed = api.call("PUT", f"/v1/clients/{client}/projects/echoes", {**project, "name": "E"})
    assert renamed.status == 200 and renamed.body["name"] == "E", renamed.body
    echoed = {"object": "training_run", "experiment": ai["id"], "name": "loop"}
    made = api.post(ai_runs, echoed)
    assert made.status == 201 and made.body["experiment"] == ai["id"], made.body


def test_best_training_runs_are_paged_as_sigopt_pages_them(api: Api, client: str):
    """SigOpt's best-training-runs list takes ``limit``, ``before`` and ``after``
    (``request.get_paging()``); they were a 400 here. Three runs on a two-metric front
    are all best: one at a time, the pages hold each once, best first as unpaged."""
    e = api.post(
        f"/v1/clients/{client}/projects/p/aiexperiments",
        {
            "name": "front",
            "parameters": [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
            "metrics": [{"name": "a"}, {"name": "b"}],
            "budget": 5,
        },
    ).body
    for a, b in ((1.0, 0.0), (0.0, 1.0), (0.5, 0.6)):
        run = api.post(f"/v1/aiexperiments/{e['id']}/training_runs", {"name": "r"}).body
        values = {"a": {"value": a}, "b": {"value": b}}
        assert merge(api, run["id"], {"values": values, "state": "completed"}).status == 200
    path = f"/v1/aiexperiments/{e['id']}/best_training_runs"
    every = [r["id"] for r in api.get(path).body["data"]]
    assert len(every) == 3
    paged, cursor = [], None
    for _ in range(3):
        page = api.get(path, limit="1", **({} if cursor is None else {"before": cursor})).body
        assert page["count"] == 3 and len(page["data"]) == 1, page
        paged.append(page["data"][0]["id"])
        cursor = page["paging"]["before"]
    assert paged == every and cursor is None
    assert [r["id"] for r in api.get(path, limit="2").body["data"]] == every[:2]
    assert api.get(path, limit="-1").status == 400


def test_projects_are_listed_as_sigopt_lists_them(
    api: Api, client: str, monkeypatch: pytest.MonkeyPatch
):
    """SigOpt's project list takes ``sort`` (``updated``, its default, or ``created``),
    ``ascending``, ``user`` and ``deleted``; each was a 400 here, and the list was in the
    order of creation where SigOpt's puts the latest update first."""
    from sigopt_like.service.resources.sigopt import clients as clients_resource

    ticks = iter(range(1_700_000_000, 1_700_000_100))
    monkeypatch.setattr(clients_resource, "now", lambda: next(ticks))
    base = f"/v1/clients/{client}/projects"
    for key in ("p1", "p2", "p3"):
        assert api.post(base, {"id": key}).status == 201
    assert api.put(f"{base}/p1", {"name": "touched"}).status == 200

    def listed(**query: str) -> list[str]:
        reply = api.get(base, **query)
        assert reply.status == 200, reply.body
        return [p["id"] for p in reply.body["data"]]

    assert listed() == ["p1", "p3", "p2"] == listed(sort="updated")
    assert listed(ascending="true") == ["p2", "p3", "p1"]
    assert listed(sort="created") == ["p3", "p2", "p1"]
    assert listed(sort="created", ascending="1") == ["p1", "p2", "p3"]
    assert listed(user=client) == listed(deleted="true") == listed()
    first = api.get(base, limit="2").body
    rest = api.get(base, limit="2", before=first["paging"]["before"]).body
    assert [p["id"] for p in first["data"] + rest["data"]] == ["p1", "p3", "p2"]
    for query in ({"sort": "name"}, {"user": "999999"}, {"deleted": "yes"}):
        reply = api.get(base, **query)
        assert reply.status == 400 and reply.body["detail"]["field"] == next(iter(query))
    unknown = api.get(base, before="999999")
    assert unknown.status == 400 and unknown.body["detail"]["field"] == "before"


def test_another_users_project_is_no_cursor(served):
    """Under ``sort=updated`` a cursor must be one of the caller's own projects: another
    user's is a 400 naming the cursor, as an experiment's is under ``sort=recent``."""
    mine = Api(served.service, served.url, served.token)
    _email, token = served.make_user()
    theirs = Api(served.service, served.url, token)
    their_base = f"/v1/clients/{theirs.get('/v1/tokens/self').body['client']}/projects"
    for key in ("t1", "t2"):
        assert theirs.post(their_base, {"id": key}).status == 201
    cursor = theirs.get(their_base, limit="1").body["paging"]["before"]
    assert cursor is not None
    my_base = f"/v1/clients/{mine.get('/v1/tokens/self').body['client']}/projects"
    assert mine.post(my_base, {"id": "m"}).status == 201
    reply = mine.get(my_base, before=cursor)
    assert reply.status == 400 and reply.body["detail"]["field"] == "before"


def test_a_checkpoint_of_many_values_is_read_at_once(api: Api, client: str):
    """Before: each value's metric was looked for among those before it, so a checkpoint of
    50,000 values held the request two minutes (a checkpoint now takes at most 10,000)."""
    import time

    run = api.post(f"/v1/clients/{client}/projects/p/training_runs", {"name": "wide"}).body
    path = f"/v1/training_runs/{run['id']}/checkpoints"
    values = [{"name": f"m{i}", "value": float(i)} for i in range(9_999)]
    began = time.monotonic()
    reply = api.post(path, {"values": [*values, {"name": "m7", "value": 0.0}]})
    assert time.monotonic() - began < 10
    assert reply.status == 422 and '"m7" is given twice' in reply.body["message"], reply
    assert api.get(path).body["count"] == 0

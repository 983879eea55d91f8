"""A finished run's state changes as sigopt-python's ``allow_state_update`` allows them:
only from completed to failed (its ``log_failure`` after the fact), and the run's
observation follows; any other change of a finished run is a 4xx that says what works."""

from __future__ import annotations

from .conftest import Api

AI = {
    "name": "ai",
    "parameters": [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
    "metrics": [{"name": "acc"}],
    "budget": 3,
}


def _completed_run(api: Api) -> tuple[str, dict]:
    client = api.get("/v1/tokens/self").body["client"]
    e = api.post(f"/v1/clients/{client}/projects/p/aiexperiments", AI).body
    run = api.post(f"/v1/aiexperiments/{e['id']}/training_runs", {"name": "r"}).body
    done = api.put(
        f"/v1/training_runs/{run['id']}",
        {"values": {"acc": {"value": 0.9}}, "state": "completed"},
    ).body
    assert done["state"] == "completed" and done["observation"]
    assert [
        r["id"] for r in api.get(f"/v1/aiexperiments/{e['id']}/best_training_runs").body["data"]
    ] == [run["id"]]
    return e["id"], done


def test_a_completed_run_put_as_failed_fails_its_observation(api: Api):
    eid, done = _completed_run(api)
    failed = api.put(f"/v1/training_runs/{done['id']}", {"state": "failed"})
    assert failed.status == 200, failed.body
    assert failed.body["state"] == "failed" and failed.body["finished"]
    # the run keeps what it logged; its experiment no longer counts it as a success
    assert failed.body["values"]["acc"]["value"] == 0.9
    (obs,) = api.get(f"/v1/experiments/{eid}/observations").body["data"]
    assert obs["id"] == done["observation"] and obs["failed"] is True and obs["values"] == []
    assert api.get(f"/v1/aiexperiments/{eid}/best_training_runs").body["data"] == []
    assert api.get(f"/v1/experiments/{eid}/best_assignments").body["data"] == []
    progress = api.get(f"/v1/aiexperiments/{eid}").body["progress"]
    assert progress["finished_run_count"] == 1 and progress["remaining_budget"] == 2.0


def test_a_failed_run_cannot_complete_and_stays_as_it_was(api: Api):
    eid, done = _completed_run(api)
    api.put(f"/v1/training_runs/{done['id']}", {"state": "failed"})
    before = api.get(f"/v1/training_runs/{done['id']}").body
    again = api.put(f"/v1/training_runs/{done['id']}", {"state": "completed"})
    assert again.status == 422 and again.body["detail"]["field"] == "state"
    assert "the run is failed; it cannot become completed" in again.body["message"]
    assert "Leave 'state' out" in again.body["message"]
    assert api.get(f"/v1/training_runs/{done['id']}").body == before
    (obs,) = api.get(f"/v1/experiments/{eid}/observations").body["data"]
    assert obs["failed"] is True
    active = api.put(f"/v1/training_runs/{done['id']}", {"state": "active"})
    assert active.status == 422 and "cannot become active" in active.body["message"]

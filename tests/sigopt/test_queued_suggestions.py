"""SigOpt's queued suggestions (/v1/experiments/{id}/queued_suggestions), embedded and
served: assignments lined up by the user are what the next suggestions serve, oldest
first, before the engine is asked. They were a 404 before: a SigOpt script that queued a
baseline failed, and one that caught the error ran without it."""

from __future__ import annotations

import pytest

from .conftest import Api
from .test_api_runs import AI, client  # noqa: F401 (the fixture, by name)

POINT = {"x": 1.5, "n": 3, "c": "b"}
OTHER = {"x": -2.0, "n": 7, "c": "a"}


def test_the_next_suggestions_serve_the_queue_oldest_first_then_the_engine(api: Api):
    e = api.create_experiment(parallel_bandwidth=3)
    queue = f"/v1/experiments/{e['id']}/queued_suggestions"
    first = api.post(queue, {"assignments": POINT})
    assert first.status == 201, first.body
    q1 = first.body
    assert q1["object"] == "queued_suggestion" and q1["experiment"] == e["id"]
    assert q1["assignments"] == POINT and isinstance(q1["created"], int)
    q2 = api.post(queue, {"assignments": {"x": -2, "n": 7, "c": "a"}}).body
    assert q2["assignments"] == OTHER  # as the experiment types them (x a double)
    listed = api.get(queue).body
    assert listed["object"] == "pagination" and listed["count"] == 2
    assert [q["id"] for q in listed["data"]] == [q2["id"], q1["id"]]  # newest first
    assert api.get(f"{queue}/{q1['id']}").body == q1

    suggestions = f"/v1/experiments/{e['id']}/suggestions"
    s1 = api.post(suggestions).body
    assert s1["assignments"] == POINT and s1["state"] == "open"
    assert api.get(f"{queue}/{q1['id']}").status == 404  # served: out of the queue
    s2 = api.post(suggestions, {"metadata": {"rig": "B"}}).body
    assert s2["assignments"] == OTHER and s2["metadata"] == {"rig": "B"}
    assert api.get(queue).body["count"] == 0
    s3 = api.post(suggestions).body  # the queue is empty: the engine's own point
    assert s3["assignments"] not in (POINT, OTHER)
    api.post(f"/v1/experiments/{e['id']}/observations", {"suggestion": s1["id"], "value": 2})
    assert api.get(f"{suggestions}/{s1['id']}").body["state"] == "closed"


def test_a_suggestion_given_its_own_assignments_leaves_the_queue_alone(api: Api):
    e = api.create_experiment()
    queue = f"/v1/experiments/{e['id']}/queued_suggestions"
    api.post(queue, {"assignments": POINT})
    mine = api.post(f"/v1/experiments/{e['id']}/suggestions", {"assignments": OTHER}).body
    assert mine["assignments"] == OTHER
    assert [q["assignments"] for q in api.get(queue).body["data"]] == [POINT]


def test_deleted_queued_suggestions_are_not_served(api: Api):
    e = api.create_experiment()
    queue = f"/v1/experiments/{e['id']}/queued_suggestions"
    q1 = api.post(queue, {"assignments": POINT}).body
    api.post(queue, {"assignments": OTHER})
    assert api.delete(f"{queue}/{q1['id']}").status == 204
    assert api.get(f"{queue}/{q1['id']}").status == 404
    assert api.delete(f"{queue}/{q1['id']}").status == 404
    assert api.post(f"/v1/experiments/{e['id']}/suggestions").body["assignments"] == OTHER
    api.post(queue, {"assignments": POINT})
    assert api.delete(queue).status == 204
    assert api.get(queue).body["count"] == 0
    assert api.post(f"/v1/experiments/{e['id']}/suggestions").body["assignments"] != POINT


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"assignments": {"x": 11, "n": 3, "c": "b"}}, 422, "assignments.x"),
        ({"assignments": {"x": 1.5, "n": 3}}, 422, "assignments.c"),
        ({"assignments": {"x": 1.5, "n": 3, "c": "nope"}}, 422, "assignments.c"),
        ({"assignments": {"x": 1.5, "n": 2**70, "c": "b"}}, 422, "assignments.n"),
        ({"assignments": {"x": 1.5, "n": 3, "c": "\ud800"}}, 400, "assignments.c"),
        ({"assignments": {**POINT, "extra": 1}}, 422, "assignments.extra"),
        ({"assignments": "x=1"}, 400, "assignments"),
        ({}, 400, "assignments"),
        ({"assignments": POINT, "metadata": {"k": 1}}, 400, "metadata"),
        ({"assignments": POINT, "task": {"name": "cheap"}}, 422, "task"),
    ],
)
def test_what_the_experiment_would_not_take_is_refused_and_nothing_queued(
    api: Api, body: dict, status: int, field: str
):
    e = api.create_experiment()
    before = api.snapshot()
    reply = api.post(f"/v1/experiments/{e['id']}/queued_suggestions", body)
    assert reply.status == status, reply.body
    assert reply.body["detail"]["field"] == field, reply.body
    assert api.snapshot() == before


def test_a_deleted_experiment_and_another_users_queue_are_refused(api: Api):
    e = api.create_experiment()
    queue = f"/v1/experiments/{e['id']}/queued_suggestions"
    q = api.post(queue, {"assignments": POINT}).body
    api.put(f"/v1/experiments/{e['id']}", {"state": "deleted"})
    before = api.snapshot()
    reply = api.post(queue, {"assignments": OTHER})
    assert reply.status == 409 and "deleted" in reply.body["message"]
    assert api.snapshot() == before
    assert api.get(f"{queue}/{q['id']}").status == 200  # still readable, as suggestions
    assert api.get("/v1/experiments/999999/queued_suggestions").status == 404
    assert api.get(f"{queue}/not-an-id").status in (400, 404)


def test_an_ai_experiments_queue_is_refused_as_its_other_v1_writes(
    api: Api,
    client: str,  # noqa: F811 (the fixture)
):
    e = api.post(f"/v1/clients/{client}/projects/p/aiexperiments", AI).body
    before = api.snapshot()
    reply = api.post(f"/v1/experiments/{e['id']}/queued_suggestions", {"assignments": {"x": 0.5}})
    assert reply.status == 409 and "create a run instead" in reply.body["message"]
    assert api.snapshot() == before


def test_many_clients_at_once_take_each_queued_suggestion_once(served):
    """15 clients asking together: each queued point is served once, then the engine's."""
    import concurrent.futures

    import requests

    base, headers = served.url, served.headers()
    e = requests.post(
        f"{base}/v1/experiments",
        json={
            "name": "race",
            "parameters": [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
        },
        headers=headers,
        timeout=30,
    ).json()
    queue = f"{base}/v1/experiments/{e['id']}/queued_suggestions"
    wanted = [i / 100 for i in range(10)]
    for x in wanted:
        assert requests.post(queue, json={"assignments": {"x": x}}, headers=headers, timeout=30).ok

    def take(_: int) -> tuple[int, float]:
        reply = requests.post(
            f"{base}/v1/experiments/{e['id']}/suggestions", headers=headers, timeout=60
        )
        return reply.status_code, reply.json()["assignments"]["x"]

    with concurrent.futures.ThreadPoolExecutor(15) as pool:
        answers = list(pool.map(take, range(25)))
    assert {status for status, _ in answers} == {201}
    assert sorted(x for _, x in answers if x in wanted) == wanted
    assert requests.get(queue, headers=headers, timeout=30).json()["count"] == 0

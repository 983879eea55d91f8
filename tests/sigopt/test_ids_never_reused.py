"""An id is never given twice: observations and queued suggestions, the rows the service
deletes, on SQLite and PostgreSQL. SQLite gave the next row the largest id in the table
plus one, so the id of a deleted newest row went to the next one: ``GET`` of the deleted
id answered with the new row, and the ``after`` cursor (what the dashboard's experiment
page reads what is new with) skipped it."""

from __future__ import annotations

from typing import Any

import pytest

import sigopt_like

from .conftest import Api

POINT = {"x": 1.5, "n": 3, "c": "b"}


def _ids(reply: Any) -> list[str]:
    assert reply.status == 200, reply.body
    return [item["id"] for item in reply.body["data"]]


@pytest.mark.parametrize("kind", ["observations", "queued_suggestions"])
def test_the_id_of_a_deleted_newest_row_is_not_given_again(served_on_either, kind: str):
    api = Api(served_on_either.service, served_on_either.url, served_on_either.token)
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}/{kind}"
    body = {"assignments": POINT, "value": 1} if kind == "observations" else {"assignments": POINT}
    first = api.post(base, body).body
    newest = api.post(base, body).body
    seen = _ids(api.get(base))
    assert seen == [newest["id"], first["id"]]
    assert api.delete(f"{base}/{newest['id']}").status == 204

    made = api.post(base, body)
    assert made.status == 201, made.body
    assert int(made.body["id"]) > int(newest["id"])
    gone = api.get(f"{base}/{newest['id']}")
    assert gone.status == 404, gone.body
    assert api.get(f"{base}/{made.body['id']}").body == made.body
    # a reader that held the list reads what is new since its newest item, the deleted one
    assert _ids(api.get(base, after=seen[0])) == [made.body["id"]]
    assert _ids(api.get(base)) == [made.body["id"], first["id"]]

    assert api.delete(base).status == 204  # every row: the next one still counts on
    again = api.post(base, body).body
    assert int(again["id"]) > int(made.body["id"])


def test_a_queued_suggestion_served_leaves_its_id_behind(served_on_either):
    """Serving a queued suggestion deletes it from the queue: the next one queued has a
    new id, and the served one's stays a 404."""
    api = Api(served_on_either.service, served_on_either.url, served_on_either.token)
    e = api.create_experiment()
    queue = f"/v1/experiments/{e['id']}/queued_suggestions"
    queued = api.post(queue, {"assignments": POINT}).body
    served = api.post(f"/v1/experiments/{e['id']}/suggestions").body
    assert served["assignments"] == POINT
    again = api.post(queue, {"assignments": POINT}).body
    assert int(again["id"]) > int(queued["id"])
    assert api.get(f"{queue}/{queued['id']}").status == 404


def test_a_deleted_observation_is_a_not_found_through_the_client(conn: sigopt_like.Connection):
    """The same through sigopt_like's own client, embedded and served."""
    e = conn.experiments.create(
        name="ids", parameters=[{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}]
    )
    observations = conn.experiments(e.id).observations
    observations().create(assignments={"x": 0.1}, value=1.0)
    deleted = observations().create(assignments={"x": 0.2}, value=2.0)
    observations(deleted.id).delete()
    made = observations().create(assignments={"x": 0.3}, value=3.0)
    assert int(made.id) > int(deleted.id)
    with pytest.raises(sigopt_like.NotFoundError):
        observations(deleted.id).fetch()
    assert [o.id for o in observations().list(after=deleted.id)] == [made.id]

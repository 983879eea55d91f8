"""One rule for an id of the SigOpt routes, wherever it is written: a path's or a body's
id is ASCII digits (leading zeros too: ``"007"`` is 7) or, in a body, a whole number
(``7`` or ``7.0``: JSON has one number type). What is answered names the id as the
service renders it (``"7"``), never the caller's spelling. A fraction is a 400 naming
the field, a whole number past the ids there can be a 422 giving their range, nothing
written. Embedded and served."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api


def _client(api: Api) -> str:
    return str(api.get("/v1/tokens/self").body["client"])


def test_a_client_and_an_organization_id_read_as_every_other_id(api: Api):
    """Before: ``/v1/clients/07`` was no client (a 404) where ``/v1/experiments/07`` is
    experiment 7."""
    client = _client(api)
    for path in (f"/v1/clients/0{client}", f"/v1/organizations/00{client}"):
        reply = api.get(path)
        assert reply.status == 200 and reply.body["id"] == client, reply.body
    e = api.create_experiment()
    listed = api.get(f"/v1/clients/0{client}/experiments").body
    assert [x["id"] for x in listed["data"]] == [e["id"]]
    other = api.get(f"/v1/clients/{int(client) + 1}")
    assert other.status == 404, other.body


def test_a_missing_id_is_named_as_the_service_writes_it(api: Api):
    """Before: ``/v1/experiments/0999`` was "No experiment with id '0999'", the caller's
    spelling named as if it were the id."""
    e = api.create_experiment()
    cases = [
        ("/v1/experiments/000999", 'No experiment with id "999".'),
        (f"/v1/experiments/0{e['id']}/suggestions/0999", 'No suggestion with id "999"'),
        ("/v1/training_runs/0999", 'No training run with id "999"'),
        ("/v1/clients/0999", 'No client with id "999" for this token.'),
        ("/v1/organizations/0999", 'No organization with id "999" for this token.'),
    ]
    for path, message in cases:
        reply = api.get(path)
        assert reply.status == 404, reply.body
        assert reply.body["message"].startswith(message), reply.body
    reply = api.get("/v1/experiments/abc")  # not an id: named as sent
    assert reply.status == 404 and '"abc"' in reply.body["message"], reply.body


def test_a_body_id_is_taken_as_digits_or_a_whole_number(api: Api):
    """``{"suggestion": 7.0}`` was a 400 "must be an id" where ``7`` and ``"7"`` were
    taken; every form of the id is taken, and the observation names the suggestion as the
    service writes it."""
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}"
    for form in (float, lambda sid: f"00{sid}", int):
        sid = api.post(f"{base}/suggestions").body["id"]
        reply = api.post(f"{base}/observations", {"suggestion": form(sid), "value": 1.0})
        assert reply.status == 201 and reply.body["suggestion"] == sid, reply.body
    sid = api.post(f"{base}/suggestions").body["id"]
    batch = {"observations": [{"suggestion": float(sid), "value": 2.0}]}
    reply = api.post(f"{base}/observations/batch", batch)
    assert reply.status == 201 and reply.body["data"][0]["suggestion"] == sid, reply.body


def test_a_body_id_that_is_no_id_is_refused_naming_the_field(api: Api):
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}"
    sid = int(api.post(f"{base}/suggestions").body["id"])
    before = api.snapshot()
    cases: list[tuple[Any, int, str]] = [
        (sid + 0.5, 400, "must be an id, as a string or a whole number"),
        (2**70, 422, "outside its range: it takes a whole number from 1 to 2147483647"),
        (1e308, 422, "outside its range: it takes a whole number from 1 to 2147483647"),
        (0.0, 422, "outside its range"),
        (True, 400, "must be an id"),
    ]
    for raw, status, words in cases:
        reply = api.post(f"{base}/observations", {"suggestion": raw, "value": 1.0})
        assert reply.status == status, (raw, reply.body)
        assert reply.body["detail"]["field"] == "suggestion", reply.body
        assert reply.body["message"].startswith("'suggestion'"), reply.body
        assert words in reply.body["message"], reply.body
    # NaN is no JSON: the door's 400 says so, before any field is read
    nan = b'{"suggestion": NaN, "value": 1}'
    headers = {"Content-Type": "application/json"}
    reply = api.call("POST", f"{base}/observations", data=nan, headers=headers)
    assert reply.status == 400 and "NaN" in reply.body["message"], reply.body
    assert api.snapshot() == before


def test_a_run_sent_back_may_write_its_ids_in_any_form(api: Api):
    """A run fetched and sent back with ``"id": "07"`` or ``"client": 2.0`` was told
    "this run has "7", not "07"": its ids are the run's in another form. Another id is
    still refused."""
    client = _client(api)
    api.post(f"/v1/clients/{client}/projects", {"id": "p", "name": "p"})
    run = api.post(f"/v1/clients/{client}/projects/p/training_runs", {"name": "r"}).body
    path = f"/v1/training_runs/{run['id']}"
    same = {"id": f"0{run['id']}", "client": float(client), "user": int(client), "name": "r2"}
    reply = api.put(path, same)
    assert reply.status == 200 and reply.body["name"] == "r2", reply.body
    for other in ({"id": str(int(run["id"]) + 1)}, {"client": True}, {"project": "0p"}):
        reply = api.put(path, {**other, "name": "r3"})
        assert reply.status == 400, (other, reply.body)
        assert reply.body["detail"]["field"] == next(iter(other)), reply.body
    assert api.get(path).body["name"] == "r2"
    tag = api.post(f"/v1/clients/{client}/tags", {"name": "t", "color": "#112233"}).body
    reply = api.post(f"{path}/tags", {"id": float(tag["id"])})
    assert reply.status == 200, reply.body
    assert api.get(path).body["tags"] == [tag["id"]]


def test_a_missing_file_and_checkpoint_are_named_as_the_service_writes_them(api: Api):
    """Before: ``/v1/files/0999`` was "No file with id '0999'" and a run's
    ``checkpoints/0999`` "No checkpoint with id '0999'", the caller's spelling."""
    client = _client(api)
    run = api.post(f"/v1/clients/{client}/projects/ids/training_runs", {"name": "r"})
    assert run.status == 201, run.body
    rid = run.body["id"]
    cases = [
        ("/v1/files/0999", 'No file with id "999".'),
        (f"/v1/training_runs/0{rid}/checkpoints/0999", 'No checkpoint with id "999" for'),
    ]
    for path, message in cases:
        reply = api.get(path)
        assert reply.status == 404, reply.body
        assert reply.body["message"].startswith(message), reply.body
    reply = api.call("PUT", "/v1/files/0999/upload", data=b"x", key="x")
    assert reply.status == 404, reply.body
    assert reply.body["message"] == 'No file with id "999" for this upload key.', reply.body


def _updates(api: Api) -> list[tuple[str, str, str, str, Any, Any]]:
    """(path, id, what, field, a value, another value) of an experiment, an AI experiment,
    a suggestion and an observation."""
    client = _client(api)
    api.post(f"/v1/clients/{client}/projects", {"id": "p", "name": "p"})
    x = {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}
    ai_body = {"name": "ai", "parameters": [x], "budget": 3}
    ai = api.post(f"/v1/clients/{client}/projects/p/aiexperiments", ai_body)
    assert ai.status == 201, ai.body
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}"
    s = api.post(f"{base}/suggestions").body
    o = api.post(f"{base}/observations", {"suggestion": s["id"], "value": 1.0}).body
    return [
        (base, e["id"], "experiment", "name", "renamed", "other"),
        (f"/v1/aiexperiments/{ai.body['id']}", ai.body["id"], "AI experiment", "budget", 5, 7),
        (f"{base}/suggestions/{s['id']}", s["id"], "suggestion", "metadata", {"k": 1}, {"k": 2}),
        (f"{base}/observations/{o['id']}", o["id"], "observation", "value", 2.0, 3.0),
    ]


def test_an_update_takes_its_objects_own_id_in_any_form(api: Api):
    """Before: an update whose body carried the object's own id (as a client that fetches
    an object, edits it and sends it back does) was a 400 "'id' is set by the service"
    (an experiment, an observation) or "not a field" (a suggestion). The same id in any
    form a body's id takes is taken; another is a 400 naming ``id``, nothing written."""
    for path, oid, what, field, value, other_value in _updates(api):
        for form in (oid, int(oid), float(oid), f"00{oid}"):
            reply = api.put(path, {field: value, "id": form})
            assert reply.status == 200, (path, form, reply.body)
            assert reply.body["id"] == oid and reply.body[field] == value, reply.body
        before = api.snapshot()
        shown = api.get(path).body
        for other in (str(int(oid) + 100), int(oid) + 100, True, None, "x"):
            reply = api.put(path, {field: other_value, "id": other})
            assert reply.status == 400 and reply.body["detail"]["field"] == "id", reply.body
            assert f"but this is {what} {oid}" in reply.body["message"], reply.body
        assert api.snapshot() == before and api.get(path).body == shown


def test_sigopt_python_sends_an_experiments_own_id_back(served):
    """The official client: ``update(id=e.id, ...)`` is taken; another id is a 400."""
    sigopt = pytest.importorskip("sigopt")
    from sigopt.exception import ApiException

    conn = sigopt.Connection(client_token=served.token)
    conn.set_api_url(served.url)
    x = {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}
    e = conn.experiments().create(name="e", parameters=[x])
    assert conn.experiments(e.id).update(id=e.id, name="renamed").name == "renamed"
    assert conn.experiments(e.id).update(id=int(e.id), name="again").name == "again"
    with pytest.raises(ApiException) as caught:
        conn.experiments(e.id).update(id=str(int(e.id) + 1), name="other")
    assert caught.value.status_code == 400 and "'id'" in str(caught.value)
    assert conn.experiments(e.id).fetch().name == "again"

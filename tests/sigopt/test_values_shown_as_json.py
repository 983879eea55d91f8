"""A refusal shows what the client sent as JSON writes it (``"abc"``), as every body
refusal does: a query parameter, a path id, a project id. Before, these showed Python's
repr (``'abc'``), which no JSON body or URL writes."""

from __future__ import annotations

from .conftest import Api


def _client(api: Api) -> str:
    return str(api.get("/v1/tokens/self").body["client"])


def test_a_query_parameter_is_shown_as_json(api: Api):
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}"
    client = _client(api)
    long = "z" * 60
    cases = [  # (path, query, field, what the message shows)
        ("/v1/experiments", {"user": "abc"}, "user", 'not "abc".'),
        ("/v1/experiments", {"sort": "abc"}, "sort", 'not "abc".'),
        (f"{base}/observations", {"sort": long}, "sort", f'not "{"z" * 40}" ('),  # cut as before
        ("/v1/experiments", {"state": "abc"}, "state", 'not "abc".'),
        ("/v1/experiments", {"before": "abc"}, "before", 'gave out: "abc"'),
        (f"/v1/clients/{client}/projects", {"sort": "abc"}, "sort", 'not "abc".'),
        (f"/v1/clients/{client}/projects", {"user": "abc"}, "user", 'not "abc".'),
        (f"/v1/clients/{client}/projects", {"after": "abc"}, "after", 'gave out: "abc"'),
        (f"{base}/observations", {"sort": "abc"}, "sort", 'not "abc" (SigOpt'),
        (f"{base}/suggestions", {"state": "abc"}, "state", 'not "abc".'),
        (f"{base}/suggestions", {"id": "1,abc"}, "id", 'not "abc".'),
        (f"{base}/metric_importances", {"metric": "abc"}, "metric", "'metric': \"abc\" is"),
    ]
    for path, query, field, shown in cases:
        reply = api.get(path, **query)
        assert reply.status in (400, 422), (path, reply.body)
        assert reply.body["detail"]["field"] == field, (path, reply.body)
        assert shown in reply.body["message"], (path, query, reply.body["message"])
        assert "'abc'" not in reply.body["message"], reply.body
    reply = api.get(f"{base}/suggestions", state=["abc", "open"])  # the door's refusal
    assert reply.status == 400 and '("abc", "open")' in reply.body["message"], reply.body
    reply = api.delete("/v1/aiexperiments/1", include_runs="abc")
    assert reply.status == 400 and 'not "abc".' in reply.body["message"], reply.body


def test_an_id_in_the_path_is_shown_as_json(api: Api):
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}"
    client = _client(api)
    run = api.post(f"/v1/clients/{client}/projects/ids/training_runs", {"name": "r"}).body
    cases = [
        ("/v1/experiments/abc", 'No experiment with id "abc".'),
        ("/v1/experiments/999999", 'No experiment with id "999999".'),
        # what would not print is escaped as JSON escapes it, as repr did: no line broken
        ("/v1/experiments/a%E2%80%A8b%1B", 'No experiment with id "a\\u2028b\\u001b".'),
        ("/v1/aiexperiments/abc", 'No AI experiment with id "abc".'),
        (f"{base}/suggestions/abc", 'No suggestion with id "abc".'),
        (f"{base}/suggestions/999999", f'No suggestion with id "999999" in experiment {e["id"]}.'),
        (f"{base}/observations/abc", 'No observation with id "abc".'),
        (f"{base}/queued_suggestions/abc", 'No queued suggestion with id "abc".'),
        ("/v1/training_runs/abc", 'No training run with id "abc".'),
        (f"/v1/training_runs/{run['id']}/checkpoints/abc", 'No checkpoint with id "abc".'),
        ("/v1/files/abc", 'No file with id "abc".'),
        ("/v1/files/999999", 'No file with id "999999".'),
        ("/v1/clients/abc", 'No client with id "abc" for this token.'),
        ("/v1/organizations/abc", 'No organization with id "abc" for this token.'),
    ]
    for path, message in cases:
        reply = api.get(path)
        assert reply.status == 404, (path, reply.body)
        assert reply.body["message"] == message, (path, reply.body["message"])
    reply = api.put(f"/v1/clients/{client}/projects/nope", {"name": "n"})  # not made on use
    assert reply.status == 404 and reply.body["message"] == 'No project with id "nope".'
    reply = api.delete(f"/v1/training_runs/{run['id']}/tags/abc")
    assert reply.status == 404 and reply.body["message"] == 'No tag with id "abc".', reply.body
    reply = api.call("PUT", "/v1/files/abc/upload", data=b"x", key="x")
    assert reply.status == 404 and reply.body["message"] == 'No file with id "abc".', reply.body


def test_a_project_that_exists_is_named_as_json(api: Api):
    client = _client(api)
    assert api.post(f"/v1/clients/{client}/projects", {"id": "p", "name": "p"}).status == 201
    reply = api.post(f"/v1/clients/{client}/projects", {"id": "p", "name": "p"})
    assert reply.status == 409 and reply.body["message"] == 'A project with id "p" exists.'

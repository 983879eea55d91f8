"""A refusal shows what the client sent as JSON writes it (``"abc"``), as every body
refusal does: a query parameter, a path id, a project id. Before, these showed Python's
repr (``'abc'``), which no JSON body or URL writes."""

from __future__ import annotations

from .conftest import PARAMETERS, Api


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
    # the caller's AI experiment: on an unknown one the refused query is its 404
    assert api.post(f"/v1/clients/{client}/projects", {"id": "p"}).status == 201
    ai = {"name": "ai", "parameters": PARAMETERS, "metrics": [{"name": "m"}]}
    aid = api.post(f"/v1/clients/{client}/projects/p/aiexperiments", ai).body["id"]
    reply = api.delete(f"/v1/aiexperiments/{aid}", include_runs="abc")
    assert reply.status == 400 and 'not "abc".' in reply.body["message"], reply.body
    assert api.get(f"/v1/aiexperiments/{aid}").body["state"] == "active"


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


def test_a_long_value_is_cut_before_it_is_escaped_never_inside_an_escape(api: Api):
    """Before: the whole value was escaped, a character at a time, and then cut to 80
    characters, so the cut fell inside an escape (``"\\u2028...\\u20...``, half of one)
    and a megabyte of line separators was escaped whole for a one-line message."""
    for raw, one in (("%E2%80%A8" * 50, "\\u2028"), ("%F3%A0%80%81" * 50, "\\udb40\\udc01")):
        reply = api.get(f"/v1/experiments/{raw}")
        assert reply.status == 404, reply.body
        message = reply.body["message"]
        # cut, both ends between the quotes, then the length (json_kinds.json_shown)
        assert message.endswith('" (50 characters).'), message
        quoted = message.removeprefix('No experiment with id "').removesuffix('" (50 characters).')
        head, tail = quoted.split("...")
        for end in (head, tail):  # whole escapes on both sides of the cut
            assert end and end.replace(one, "") == "", message
    e = api.create_experiment()
    suggestion = api.post(f"/v1/experiments/{e['id']}/suggestions", {}).body
    path = f"/v1/experiments/{e['id']}/suggestions/{suggestion['id']}"
    reply = api.put(path, {"id": "\u2028" * 300_000})
    assert reply.status == 400 and reply.body["detail"]["field"] == "id", reply.body
    assert "\\u2028" in reply.body["message"] and len(reply.body["message"]) < 1000


def test_a_sessions_task_type_is_shown_as_json(api: Api):
    """The Daptics tasks list's ``type`` showed Python's repr (``not 'bogus'``) where the
    same route's ``status`` shows JSON (``not "bogus"``)."""
    session = api.post("/v1/sessions", {"name": "shown"}).body
    reply = api.get(f"/v1/sessions/{session['id']}/tasks", type="bo\u2028gus")
    assert reply.status == 400 and reply.body["detail"]["field"] == "type", reply.body
    assert reply.body["message"].endswith('not "bo\\u2028gus".'), reply.body

"""A body sent with GET or DELETE is refused, not ignored.

Found as a stranger would, calling the API by hand (curl, another language's client):
``DELETE /v1/experiments/{id}/suggestions`` with ``{"state": "closed"}`` answered 204 and
deleted the open suggestions, the body never read; ``GET .../suggestions`` with
``{"state": "closed"}`` listed every suggestion; ``DELETE /v1/experiments/{id}`` with any
body deleted it. sigopt-python sends the options of a GET or DELETE as query parameters
(``request_driver``), and so does SigOptR: a body there was accepted and not honoured.
Now it is a 400 saying where the options go, and nothing changes.
"""

from __future__ import annotations

import json

from .conftest import Api

JSON = {"Content-Type": "application/json"}


def test_a_body_on_get_or_delete_is_refused_and_nothing_changes(api: Api):
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}"
    opened = api.post(f"{base}/suggestions").body
    before = api.snapshot()
    for method, path, body, takes in (
        ("DELETE", f"{base}/suggestions", {"state": "closed"}, "(it takes state)"),
        ("GET", f"{base}/suggestions", {"state": "closed"}, "(it takes after, before, "),
        ("DELETE", base, {"x": 1}, "send it without one (it takes no options)"),
        ("GET", base, {"state": "active"}, "send it without one (it takes no options)"),
    ):
        reply = api.call(method, path, data=json.dumps(body), headers=JSON)
        assert reply.status == 400, (method, path, reply)
        message = reply.body["message"]
        assert message.startswith(f"{method} {path} takes no request body"), message
        assert takes in message, message
        assert reply.body["detail"] == {"field": "body"}
        assert api.snapshot() == before
    for method, path, empty in (("GET", base, "{}"), ("GET", base, "null"), ("DELETE", base, "{}")):
        # nothing to ignore: some HTTP clients send an empty object with every request
        reply = api.call(method, path, data=empty, headers=JSON)
        assert reply.status in (200, 204), (method, empty, reply)
        if method == "DELETE":
            assert api.get(base).body["state"] == "deleted"
            e = api.create_experiment()
            base = f"/v1/experiments/{e['id']}"
            opened = api.post(f"{base}/suggestions").body
    listed = api.get(f"{base}/suggestions", state="open").body
    assert [s["id"] for s in listed["data"]] == [opened["id"]]
    assert api.get(base).body["state"] == "active"
    assert api.delete(f"{base}/suggestions", state="open").status == 204  # as sigopt-python
    assert api.get(f"{base}/suggestions", state="open").body["data"] == []

"""Every ``202 Accepted`` (a route that starts a task) names the task's URL in
``Location``, RFC 9110's status monitor; a GET of it is the task. Before, none did."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

import requests

import sigopt_like
from sigopt_like import _constants as C
from sigopt_like.service import Service
from tests.service.conftest import Api

FINISHED = {"success", "failed", "cancelled"}
SPACE = {
    "type": "factorial",
    "parameters": [
        {"name": "temperature", "type": "numerical", "values": [40, 60, 80]},
        {"name": "catalyst", "type": "categorical", "values": ["Pd", "Ni"]},
    ],
}


def _followed(api: Api, location: str) -> dict[str, Any]:
    """GET the task at ``location`` (absolute), waiting until it has finished."""
    parts = urlsplit(location)
    assert parts.scheme == "http" and parts.netloc, location
    if api.mode == "served":
        # the URL itself, over the socket: its host is the server's
        assert location.startswith(api.url + "/v1/"), (location, api.url)
    for _ in range(20):
        if api.mode == "served":
            answer = requests.get(
                location,
                params={"wait": 30},
                headers={"Authorization": f"Bearer {api.token}"},
                timeout=60,
            )
            status, task = answer.status_code, answer.json()
        else:
            reply = api.get(parts.path, wait=30)
            status, task = reply.status, reply.body
        assert status == 200, task
        if task["status"] in FINISHED:
            return task
    raise AssertionError(f"{location} did not finish: {task}")


def _accepted(api: Api, reply: Any) -> dict[str, Any]:
    """A 202's task, checked against its Location and followed to its end."""
    assert reply.status == 202, reply
    task = reply.body
    location = reply.headers.get("Location")
    assert location is not None, dict(reply.headers)
    assert urlsplit(location).path == f"/v1/sessions/{task['session']}/tasks/{task['id']}"
    done = _followed(api, location)
    named = ("id", "session", "type")
    assert [done[k] for k in named] == [task[k] for k in named]
    assert done["status"] == "success", done
    return done


def test_every_route_that_starts_a_task_names_it_in_location(api: Api) -> None:
    """The space, simulate, analytics, generate and experiments routes: each 202 has a
    Location whose GET is that task, embedded and over a real socket."""
    sid = api.post("/v1/sessions", {"name": f"where-{api.mode}", "seed": 3}).body["id"]
    body = {"population_size": 3, "replicates": 0, "space": SPACE}
    _accepted(api, api.put(f"/v1/sessions/{sid}/space", body))
    _accepted(api, api.post(f"/v1/sessions/{sid}/simulate", {"ngens": 1}))
    _accepted(api, api.post(f"/v1/sessions/{sid}/analytics", {"gen": 1}))
    _accepted(api, api.post(f"/v1/sessions/{sid}/generate"))
    design = api.get(f"/v1/sessions/{sid}/design").body["table"]
    columns, rows = design["columns"], design["rows"]
    at = columns.index("Response")
    measured = [[*row[:at], 1.5 + i, *row[at + 1 :]] for i, row in enumerate(rows)]
    table = {"type": "designed", "table": {"columns": columns, "rows": measured}}
    _accepted(api, api.post(f"/v1/sessions/{sid}/experiments", table))


def test_a_replayed_202_names_its_task_too(api: Api) -> None:
    """A repeat with the same Idempotency-Key replays the stored body (headers are not
    stored): its Location is read again from the task in it, the same URL."""
    sid = api.post("/v1/sessions", {"name": f"again-{api.mode}"}).body["id"]
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = {"population_size": 3, "replicates": 0, "space": SPACE}
    first = api.call("PUT", f"/v1/sessions/{sid}/space", body, headers=key)
    again = api.call("PUT", f"/v1/sessions/{sid}/space", body, headers=key)
    assert again.headers.get("Idempotent-Replayed") == "true", dict(again.headers)
    assert again.status == 202 and again.body == first.body
    assert again.headers.get("Location") == first.headers.get("Location") is not None
    _accepted(api, again)


def test_no_other_answer_has_a_location(service: Service) -> None:
    """A refused start (409: a task under way) and a 200 name no task to follow."""
    api = Api(service)
    sid = api.post("/v1/sessions", {"name": "none"}).body["id"]
    reply = api.post(f"/v1/sessions/{sid}/generate")
    assert reply.status == 409 and "Location" not in reply.headers, reply
    assert "Location" not in api.get(f"/v1/sessions/{sid}").headers


def test_the_client_s_embedded_transport_follows_the_location(tmp_path, clean_env) -> None:
    """Through a Connection's own embedded transport (no socket): the 202's Location is
    under the embedded base URL, and a GET of it there is the task."""
    with sigopt_like.Connection(database=tmp_path / "e.db") as conn:
        transport = conn.transport
        made = transport.request("POST", "/v1/sessions", json={"name": "embedded"}).json()
        body = {"population_size": 3, "replicates": 0, "space": SPACE}
        started = transport.request("PUT", f"/v1/sessions/{made['id']}/space", json=body)
        assert started.status_code == 202
        location = started.headers["Location"]
        task = started.json()
        assert location == f"{C.EMBEDDED_URL}/v1/sessions/{made['id']}/tasks/{task['id']}"
        followed = transport.request("GET", location.removeprefix(C.EMBEDDED_URL))
        assert followed.json()["id"] == task["id"]
        assert transport.session.get(location, timeout=30).json()["id"] == task["id"]

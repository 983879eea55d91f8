"""Shared pieces of the security suite: the document's operations, a populated user."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import attrs
import requests

from sigopt_like.data import sample_space
from sigopt_like.service.resources.system import openapi_document

#: the routes that need no token (liveness, readiness, metrics, and the three that a
#: caller needs before it has one: login, the API version, the API document)
PUBLIC_ROUTES = {
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/metrics"),
    ("GET", "/v1/version"),
    ("GET", "/v1/openapi.json"),
    ("POST", "/v1/login"),
}


def operations() -> list[tuple[str, str, dict]]:
    """Every (METHOD, path template, operation) of the OpenAPI document."""
    document = json.loads(openapi_document())
    return [
        (method.upper(), path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def fill(template: str, ids: dict[str, str]) -> str:
    """A path template with its parameters replaced from ``ids``."""
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], template)


@attrs.define
class Owned:
    """One user's objects, made through the API: ids by path parameter names."""

    token: str
    session: str
    session_name: str
    task: str
    analytics_file: str
    analytics_url: str
    experiment: str
    suggestion: str
    observation: str

    def ids_for(self, template: str) -> dict[str, str]:
        """The ids that fill ``template`` with this user's objects."""
        if template.startswith("/v1/experiments"):
            return {"eid": self.experiment, "sid": self.suggestion, "oid": self.observation}
        return {"sid": self.session, "tid": self.task, "name": self.analytics_file}


def _check(response: requests.Response, *statuses: int) -> Any:
    assert response.status_code in statuses, (response.status_code, response.text[:500])
    return response.json() if response.content else None


def _wait(base: str, headers: dict, sid: str, task: dict) -> dict:
    deadline = time.monotonic() + 60
    while task["status"] not in ("success", "failed", "canceled"):
        assert time.monotonic() < deadline, task
        task = _check(
            requests.get(
                f"{base}/v1/sessions/{sid}/tasks/{task['id']}",
                params={"wait": "5"},
                headers=headers,
                timeout=30,
            ),
            200,
        )
    assert task["status"] == "success", task
    return task


def populate(base: str, token: str, name: str) -> Owned:
    """A session with a generation, analytics files and tasks; an experiment with a
    suggestion (open) and an observation: all owned by ``token``'s user."""
    h = {"Authorization": f"Bearer {token}"}
    s = requests.Session()
    s.headers.update(h)
    session = _check(s.post(f"{base}/v1/sessions", json={"name": name, "seed": 5}), 200, 201)
    sid = session["id"]
    task = _check(
        s.put(
            f"{base}/v1/sessions/{sid}/space",
            json={
                "space": sample_space("formulation-screen").to_dict(),
                "population_size": 12,
                "replicates": 0,
            },
        ),
        202,
    )
    _wait(base, h, sid, task)
    generated = _wait(base, h, sid, _check(s.post(f"{base}/v1/sessions/{sid}/generate"), 202))
    measured = _check(
        s.post(
            f"{base}/v1/sessions/{sid}/responses/simulate",
            json={"table": generated["result"]["experiments"]},
        ),
        200,
    )
    table = measured.get("table", measured)
    _wait(
        base,
        h,
        sid,
        _check(
            s.post(
                f"{base}/v1/sessions/{sid}/experiments", json={"type": "designed", "table": table}
            ),
            202,
        ),
    )
    analytics = _wait(base, h, sid, _check(s.post(f"{base}/v1/sessions/{sid}/analytics"), 202))
    listing = _check(s.get(f"{base}/v1/sessions/{sid}/analytics"), 200)
    assert listing["files"], listing
    experiment = _check(
        s.post(
            f"{base}/v1/experiments",
            json={
                "name": name,
                "type": "random",
                "observation_budget": 10,
                "parameters": [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
            },
        ),
        201,
    )
    eid = experiment["id"]
    first = _check(s.post(f"{base}/v1/experiments/{eid}/suggestions"), 200, 201)
    observation = _check(
        s.post(
            f"{base}/v1/experiments/{eid}/observations",
            json={"suggestion": first["id"], "value": 1.5},
        ),
        200,
        201,
    )
    open_suggestion = _check(s.post(f"{base}/v1/experiments/{eid}/suggestions"), 200, 201)
    return Owned(
        token=token,
        session=sid,
        session_name=name,
        task=analytics["id"],
        analytics_file=listing["files"][0]["name"],
        analytics_url=listing["files"][0]["url"],
        experiment=eid,
        suggestion=open_suggestion["id"],
        observation=observation["id"],
    )


#: a plausible body per operation, so that only ownership stands in the way
BODIES: dict[tuple[str, str], Any] = {
    ("PUT", "/v1/sessions/{sid}"): {"name": "taken over"},
    ("PUT", "/v1/sessions/{sid}/space"): {
        "space": {
            "type": "factorial",
            "parameters": [
                {"name": "a", "type": "numerical", "values": list(range(20))},
                {"name": "b", "type": "numerical", "values": list(range(20))},
            ],
        },
        "population_size": 10,
        "replicates": 0,
    },
    ("POST", "/v1/sessions/{sid}/experiments"): {
        "type": "designed",
        "table": {"columns": ["a", "Response"], "rows": [[1, 1.0]]},
    },
    ("POST", "/v1/sessions/{sid}/simulate"): {"ngens": 1},
    ("POST", "/v1/sessions/{sid}/responses/simulate"): {
        "table": {"columns": ["a", "Response"], "rows": [[1, None]]}
    },
    ("PUT", "/v1/experiments/{eid}"): {"name": "taken over"},
    ("POST", "/v1/experiments/{eid}/observations"): {"assignments": {"x": 0.5}, "value": 99.0},
    ("POST", "/v1/experiments/{eid}/observations/batch"): {
        "observations": [{"assignments": {"x": 0.5}, "value": 99.0}]
    },
    ("PUT", "/v1/experiments/{eid}/observations/{oid}"): {"value": 99.0},
    ("PUT", "/v1/experiments/{eid}/suggestions/{sid}"): {"metadata": {"k": "v"}},
}

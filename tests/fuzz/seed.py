"""Objects for the fuzzer to find: a campaign with a generation and analytics files,
a SigOpt experiment with a suggestion and an observation, all owned by one caller.

Made through the app's own routes (falcon's in-process test client), so that the
fuzzer's generated ids can be swapped for ids that exist.
"""

from __future__ import annotations

from typing import Any

import attrs
import falcon.testing

from sigopt_like.data import sample_space


@attrs.define
class Seeded:
    """Ids of existing objects, by the path parameter names that reach them."""

    session: str
    task: str
    analytics_file: str
    experiment: str
    suggestion: str
    observation: str


def _ok(result: Any, *statuses: int) -> Any:
    assert result.status_code in statuses, (result.status_code, result.text)
    return result.json


def _wait(client: falcon.testing.TestClient, sid: str, task: dict) -> dict:
    for _ in range(60):
        if task["status"] in ("success", "failed", "canceled"):
            break
        task = _ok(
            client.simulate_get(f"/v1/sessions/{sid}/tasks/{task['id']}", params={"wait": "2"}), 200
        )
    assert task["status"] == "success", task
    return task


def seed_objects(app: Any, headers: dict[str, str]) -> Seeded:
    """Create the objects through ``app`` as the caller of ``headers``."""
    client = falcon.testing.TestClient(app, headers=headers)
    session = _ok(client.simulate_post("/v1/sessions", json={"name": "fuzz", "seed": 3}), 201, 200)
    sid = session["id"]
    space = sample_space("formulation-screen").to_dict()
    task = _ok(
        client.simulate_put(
            f"/v1/sessions/{sid}/space",
            json={"space": space, "population_size": 12, "replicates": 0},
        ),
        202,
    )
    _wait(client, sid, task)
    task = _wait(client, sid, _ok(client.simulate_post(f"/v1/sessions/{sid}/generate"), 202))
    design = task["result"]["experiments"]
    measured = _ok(
        client.simulate_post(f"/v1/sessions/{sid}/responses/simulate", json={"table": design}), 200
    )
    table = measured.get("table", measured)
    _wait(
        client,
        sid,
        _ok(
            client.simulate_post(
                f"/v1/sessions/{sid}/experiments", json={"type": "designed", "table": table}
            ),
            202,
        ),
    )
    analytics = _wait(client, sid, _ok(client.simulate_post(f"/v1/sessions/{sid}/analytics"), 202))
    files = analytics["result"]["files"]
    experiment = _ok(
        client.simulate_post(
            "/v1/experiments",
            json={
                "name": "fuzz",
                "type": "random",
                "observation_budget": 50,
                "parameters": [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
            },
        ),
        201,
    )
    eid = experiment["id"]
    suggestion = _ok(client.simulate_post(f"/v1/experiments/{eid}/suggestions"), 201, 200)
    observation = _ok(
        client.simulate_post(
            f"/v1/experiments/{eid}/observations",
            json={"suggestion": suggestion["id"], "value": 0.5},
        ),
        201,
        200,
    )
    # a second, open suggestion, so that suggestion routes have one to act on
    open_suggestion = _ok(client.simulate_post(f"/v1/experiments/{eid}/suggestions"), 201, 200)
    return Seeded(
        session=sid,
        task=task["id"],
        analytics_file=files[0]["name"],
        experiment=eid,
        suggestion=open_suggestion["id"],
        observation=observation["id"],
    )


def known_ids(path: str, seeded: Seeded) -> dict[str, str]:
    """The path parameters of ``path`` (an OpenAPI template) mapped to existing ids."""
    if path.startswith("/v1/experiments"):
        return {"eid": seeded.experiment, "sid": seeded.suggestion, "oid": seeded.observation}
    return {"sid": seeded.session, "tid": seeded.task, "name": seeded.analytics_file}

"""A stored metric's ``objective``: taken and rendered back, as SigOpt takes every
metric's (sigopt-python's users send it on stored metrics), and directing nothing, as a
stored metric in SigOpt is only tracked. Two seeded experiments that differ only in that
objective get the same suggestions, best assignments, best observation and stopping
criteria; if the objective came to steer any of them, this fails."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api

X = {"name": "x", "type": "double", "bounds": {"min": 0.0, "max": 1.0}}
Y = {"name": "y", "type": "double", "bounds": {"min": 0.0, "max": 1.0}}


def _run(api: Api, objective: str, optimized: dict[str, Any]) -> dict[str, Any]:
    e = api.create_experiment(
        name=f"stored {objective}",
        parameters=[X, Y],
        metrics=[optimized, {"name": "note", "strategy": "store", "objective": objective}],
        observation_budget=8,
        seed=7,
    )
    assert e["metrics"][1]["objective"] == objective  # rendered back as given
    base = f"/v1/experiments/{e['id']}"
    suggested = []
    for _ in range(8):
        s = api.post(f"{base}/suggestions", {}).body
        a = s["assignments"]
        suggested.append(a)
        values = [
            {"name": optimized["name"], "value": a["x"] - a["y"]},
            # the stored metric grows where the optimized one falls: were its objective
            # read, the best (and the suggestions after) would move
            {"name": "note", "value": a["y"] - a["x"]},
        ]
        reply = api.post(f"{base}/observations", {"suggestion": s["id"], "values": values})
        assert reply.status == 201, reply.body
    best = api.get(f"{base}/best_assignments").body["data"]
    progress = api.get(base).body["progress"]["best_observation"]
    stopping = api.get(f"{base}/stopping_criteria").body
    return {
        "suggested": suggested,
        "best": [(b["assignments"], b["values"]) for b in best],
        "progress": progress["assignments"],
        "stopping": stopping,
    }


@pytest.mark.parametrize(
    "optimized",
    [
        {"name": "gain", "objective": "maximize"},
        {"name": "gain", "objective": "minimize"},
        {"name": "gain", "strategy": "constraint", "threshold": 0.0},
    ],
    ids=["maximized", "minimized", "constraint"],
)
def test_a_stored_metric_s_objective_is_kept_and_directs_nothing(
    api: Api, optimized: dict[str, Any]
) -> None:
    assert _run(api, "maximize", optimized) == _run(api, "minimize", optimized)

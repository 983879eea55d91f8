"""The modern sigopt-python API (8.8.x), unchanged, against a served instance:
configured by environment variables only, as its users run it."""

from __future__ import annotations

import pytest

pytest.importorskip("sigopt")

from .conftest import run_sigopt_script


def test_modern_loop_with_environment_variables_only(served, tmp_path):
    out = run_sigopt_script(served, tmp_path, "modern_loop.py", "my-model")
    assert out["project"] == "my-model"
    assert len(out["seen"]) == 6
    assert all(0 <= s["x"] <= 1 and 1 <= s["depth"] <= 6 for s in out["seen"])
    assert out["progress"]["remaining_budget"] == 0.0
    assert out["progress"]["finished_run_count"] == 6
    assert out["runs"] == ["completed"] * 6
    (best,) = out["best"]
    accuracies = [1.0 - (s["x"] - 0.3) ** 2 - 0.01 * s["depth"] for s in out["seen"]]
    assert best["values"]["accuracy"] == pytest.approx(max(accuracies))
    manual = out["manual"]
    assert manual["state"] == "completed" and manual["project"] == "my-model"
    assert manual["assignments"] == {"learning_rate": 0.1}
    assert manual["metadata"] == {"dataset": "iris", "rows": 150}  # each key kept
    assert manual["values"]["loss"]["value"] == 0.25
    assert manual["values"]["loss"]["value_stddev"] == 0.01
    assert manual["experiment"] is None


def test_a_removed_parameter_and_metadata_key_are_gone_from_the_run(served, tmp_path):
    """``del run.params[k]`` and ``run.log_metadata(k, None)`` send the key as null; the
    service kept it as a null value, so the fetched run showed ``k: None`` where the
    script's own ``run.params`` had no ``k``. The run now has no such key."""
    out = run_sigopt_script(served, tmp_path, "run_nulls.py", "nulls")
    run = out["run"]
    assert out["local"] == {"learning_rate": 0.1}
    assert run["assignments"] == {"learning_rate": 0.1}
    assert run["metadata"] == {"dataset": "iris"}
    assert run["dev_metadata"] == {"kept": 1}
    assert run["sys_metadata"] == {"kept": "x"}
    assert run["state"] == "completed" and run["values"]["loss"]["value"] == 0.25


def test_a_parameter_logged_in_an_ai_run_can_be_removed(served, tmp_path):
    """In ``experiment.loop()``, ``del run.params[k]`` of a parameter the script logged
    itself raised (the service held every assignment of the run as suggested, a 422); the
    run keeps only its suggested ``x`` now, and completes."""
    ai = run_sigopt_script(served, tmp_path, "run_nulls.py", "nulls")["ai_run"]
    assert set(ai["assignments"]) == {"x"} and ai["state"] == "completed"

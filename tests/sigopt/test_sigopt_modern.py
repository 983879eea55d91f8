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
    assert run["sys_metadata"] == {"feature_importances": {"type": "weight", "scores": {"f": 1.0}}}
    assert run["state"] == "completed" and run["values"]["loss"]["value"] == 0.25


def test_a_parameter_logged_in_an_ai_run_can_be_removed(served, tmp_path):
    """In ``experiment.loop()``, ``del run.params[k]`` of a parameter the script logged
    itself raised (the service held every assignment of the run as suggested, a 422); the
    run keeps only its suggested ``x`` now, and completes."""
    ai = run_sigopt_script(served, tmp_path, "run_nulls.py", "nulls")["ai_run"]
    assert set(ai["assignments"]) == {"x"} and ai["state"] == "completed"


def test_what_the_run_context_logs_beside_parameters_is_kept_as_sigopt_keeps_it(served, tmp_path):
    """Parameter sources and their display (sigopt-python's xgboost integration), captured
    logs (its CLI), feature importances and dev metadata: each kept as SigOpt keeps it, one
    MERGE at a time; what SigOpt refuses (a sys_metadata key other than
    ``feature_importances``, a source for a parameter the run does not have, a source
    past 30 characters) raises ApiException in the script, as against SigOpt, and changes
    nothing."""
    out = run_sigopt_script(served, tmp_path, "run_maps.py", "maps")
    run = out["run"]
    assert run["state"] == "completed" and run["values"]["loss"]["value"] == 0.25
    assert run["assignments"] == {"eta": 0.3, "max_depth": 6}
    assert run["assignments_meta"] == {
        "eta": {"source": "User Specified"},
        "max_depth": {"source": "XGBoost Defaults"},
    }
    assert run["assignments_sources"] == {
        "User Specified": {"default_show": True, "sort": 2},
        "XGBoost Defaults": {"default_show": False, "sort": 4},
    }
    stdout = run["logs"]["stdout"]["content"]
    assert stdout.startswith("[ WARNING ] The max size has been reached")  # sigopt-python's
    assert len(stdout) <= 1124 and stdout.endswith("line 399\n")
    assert run["logs"]["stderr"] == {"content": ""}
    assert run["sys_metadata"] == {  # SigOpt's MERGE sets each leaf: the scores merge
        "feature_importances": {"type": "weight", "scores": {"f0": 12.0, "f1": 0.5}}
    }
    assert run["deleted"] is False
    assert run["dev_metadata"] == {"xgboost": 1}
    refused = out["refused"]
    assert set(refused) == {"unknown_sys_metadata", "source_of_no_parameter", "long_source"}
    assert refused["unknown_sys_metadata"]["status"] == 400
    assert "sys_metadata.host" in refused["unknown_sys_metadata"]["message"]
    assert refused["source_of_no_parameter"]["status"] == 422
    assert "assignments_meta.gamma" in refused["source_of_no_parameter"]["message"]
    assert refused["long_source"]["status"] == 422
    assert "at most 30" in refused["long_source"]["message"]

"""The modern sigopt-python API (8.8.x), unchanged, against a served instance:
configured by environment variables only, as its users run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sigopt")

SCRIPT = Path(__file__).parent / "scripts" / "modern_loop.py"


def run_script(served, tmp_path: Path, project: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGOPT_")}
    env.update(
        SIGOPT_API_URL=served.url,
        SIGOPT_API_TOKEN=served.token,
        SIGOPT_PROJECT=project,
        SIGOPT_HOME=str(tmp_path / "sigopt-home"),
    )
    done = subprocess.run(
        [sys.executable, str(SCRIPT)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_modern_loop_with_environment_variables_only(served, tmp_path):
    out = run_script(served, tmp_path, "my-model")
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

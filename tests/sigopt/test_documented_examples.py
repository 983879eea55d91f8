"""SigOpt's documented examples (sigopt-python's README and examples/, the docs' optimization
loop pages), run as written with the official client against a served instance."""

from __future__ import annotations

import pytest

pytest.importorskip("sigopt")

from .conftest import run_sigopt_script


def test_sigopts_documented_examples_run_unchanged(served, tmp_path):
    out = run_sigopt_script(served, tmp_path, "documented_examples.py", "examples")
    assert out["readme"] == {"observations": 20, "metrics": [None]}
    docs = out["docs"]
    assert docs["observations"] == 12 and docs["project"] == "sigopt-examples"
    assert len(docs["values"]) == 12 and 0 <= docs["best"] <= 50
    assert -((docs["best"] - 20.0) ** 2) == max(docs["values"])
    assert out["basic"] == 5
    parallel = out["parallel"]
    assert parallel["observations"] == 8 and parallel["open"] == 0
    points = [(p["x1"], p["x2"]) for p in parallel["points"]]
    assert len(set(points)) == 8

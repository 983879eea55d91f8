"""design_benchmark.py's ``--first-seed``: a round judged on fresh seeds runs exactly them.

Before it, rounds 16 and 17 reached seeds 1060 and up by seeding the output file with
placeholder lines for 1000-1059 (benchmarks/README.md)."""

from __future__ import annotations

import json

import pytest

from benchmarks.design_benchmark import main
from sigopt_like._constants import MAX_SEED


def test_the_first_seed_moves_the_seeds_that_run(tmp_path, capsys):
    out = tmp_path / "lines.jsonl"
    args = ["--set", "validation", "--spaces", "f7", "--families", "peaks", "--methods", "random"]
    main([*args, "--first-seed", "1090", "--seeds", "2", "--gens", "1", "--out", str(out)])
    assert [json.loads(line)["seed"] for line in out.read_text().splitlines()] == [1090, 1091]
    assert "2 campaigns to run" in capsys.readouterr().out
    # without it, the set's own seeds
    main([*args, "--seeds", "1", "--gens", "1", "--out", str(out)])
    assert json.loads(out.read_text().splitlines()[-1])["seed"] == 1000


def test_a_negative_first_seed_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--first-seed", "-1", "--out", str(tmp_path / "x.jsonl")])
    assert stop.value.code == 2
    assert "--first-seed must be 0 or more, not -1" in capsys.readouterr().err
    assert not (tmp_path / "x.jsonl").exists()


def test_seeds_past_a_sessions_largest_are_refused_before_anything_runs(tmp_path, capsys):
    """The engine's campaigns are sessions, whose seeds end at ``MAX_SEED``: before, such
    a run ended in the service's 422 as a traceback from the first campaign."""
    out = tmp_path / "x.jsonl"
    with pytest.raises(SystemExit) as stop:
        main(["--first-seed", str(MAX_SEED), "--seeds", "2", "--out", str(out)])
    assert stop.value.code == 2
    assert f"go past {MAX_SEED}" in capsys.readouterr().err
    assert not out.exists()
    # the largest seed itself is one a session takes
    args = ["--set", "validation", "--spaces", "f7", "--families", "peaks", "--methods", "random"]
    main([*args, "--first-seed", str(MAX_SEED), "--seeds", "1", "--gens", "1", "--out", str(out)])
    assert json.loads(out.read_text())["seed"] == MAX_SEED

"""design_benchmark.py's ``--first-seed``: a round judged on fresh seeds runs exactly them.

Before it, rounds 16 and 17 reached seeds 1060 and up by seeding the output file with
placeholder lines for 1000-1059 (benchmarks/README.md)."""

from __future__ import annotations

import json

import pytest

from benchmarks.design_benchmark import main


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

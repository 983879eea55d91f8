"""design_paired: the figures a round's rule is judged on, from the raw lines
(benchmarks/rounds.md, round 16)."""

from __future__ import annotations

import json

import pytest

from benchmarks.design_paired import compare, main, rows
from benchmarks.design_report import load

SEEDS = range(1000, 1008)


def _write(path, method: str, scores_for, family: str = "noisy") -> None:
    with path.open("a") as sink:
        for seed in SEEDS:
            line = {"space": "f7", "family": family, "method": method, "seed": seed}
            line.update(scores=scores_for(seed), seconds=[0.1] * 10)
            sink.write(json.dumps(line) + "\n")


def _base(seed: int) -> list[float]:
    end = 0.95 if seed < 1003 else 1.0  # 1000-1002 end below 0.99
    return [0.8, 0.85, 0.9, 0.92, 0.93, 0.94, 0.94, 0.95, 0.95, end]


def _candidate(seed: int) -> list[float]:
    scores = _base(seed)
    if seed in (1000, 1001):  # freed at the end
        scores[9] = 1.0
    if seed == 1007:  # lost at the end
        scores[9] = 0.96
    if seed == 1005:  # different early only
        scores[2] = 0.91
    return scores


def test_the_table_counts_campaigns_and_tests_each_generation(tmp_path):
    path = tmp_path / "lines.jsonl"
    _write(path, "main", _base)
    _write(path, "cand", _candidate)
    _write(path, "other", _base, family="peaks")  # a cell without both: left out
    comparisons = compare(load([str(path)]), "main", "cand")
    assert [c.cell for c in comparisons] == [("f7", "noisy")]
    lines = rows(comparisons, "main", "cand")
    row = lines[2]
    assert row.startswith("| f7 noisy (1000-1007) | 0.9300 / 0.9812, 5 of 8 ")
    assert "| 0.9300 / 0.9888, 6 of 8 |" in row
    assert "| 4 / 2 / 1 |" in row  # 1000, 1001, 1005, 1007 differ; 2 higher, 1 lower
    assert "| 1.000 / " in row  # generation 5 is the same on every seed
    assert "Campaigns >= 0.99 at the last generation: 5 -> 6 of 8." in lines
    assert lines[-1].endswith("main [1000, 1001, 1002], cand [1002, 1007]")


def test_methods_that_never_ran_side_by_side_are_refused(tmp_path, capsys):
    path = tmp_path / "lines.jsonl"
    _write(path, "main", _base)
    with pytest.raises(SystemExit) as stop:
        main(["--base", "main", "--candidate", "cand", str(path)])
    assert stop.value.code == 2
    assert "no cell has lines of both 'main' and 'cand'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (None, "cannot read"),
        ("{not json\n", "not design_benchmark.py's JSON lines (JSONDecodeError"),
        ('{"space": "f7"}\n', "not design_benchmark.py's JSON lines (KeyError"),
    ],
)
def test_a_missing_or_foreign_file_is_one_line_not_a_traceback(tmp_path, capsys, content, said):
    path = tmp_path / "lines.jsonl"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SystemExit) as stop:
        main(["--base", "main", "--candidate", "cand", str(path)])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert said in err
    assert "Traceback" not in err

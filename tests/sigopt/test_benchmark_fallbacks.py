"""benchmarks/sigopt_benchmark.py counts the suggestions served from the random fallback,
and ``--time-budget`` gives the engine longer: runs on a loaded machine had been judged
as the engine's while some of their suggestions were random (benchmarks/rounds.md)."""

from __future__ import annotations

from benchmarks.sigopt_benchmark import rows_from_log, run_ours


def test_the_fallbacks_are_counted_and_a_longer_budget_leaves_none():
    rushed = run_ours("branin", 3, 6, time_budget=0.0)
    assert rushed["fallbacks"] >= 1, rushed
    patient = run_ours("branin", 3, 6, time_budget=300.0)
    assert patient["fallbacks"] == 0, patient
    assert len(patient["values"]) == len(patient["seconds"]) == 6


def test_a_log_says_its_fallbacks_and_an_older_log_says_it_did_not_count():
    counted = (
        "# branin seed 0 ours: best 0.41 (0.100 s per suggestion) [2 from the random fallback]\n"
        "# branin seed 1 ours: best 0.40 (0.100 s per suggestion) [0 from the random fallback]\n"
    )
    (row,) = rows_from_log(counted)
    assert row["fallbacks"] == 2 and row["seeds"] == 2
    (old,) = rows_from_log("# branin seed 0 ours: best 0.41 (0.100 s per suggestion)\n")
    assert old["fallbacks"] is None

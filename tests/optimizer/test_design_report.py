"""design_report's goals line: where the engine and a peer are both at the optimum on every
paired seed at generation 5, no method can be shown better; the report says so and never
counts the goal as met (benchmarks/README.md)."""

from __future__ import annotations

import json

from benchmarks.design_report import generations_to, goal_numbers, load, to_target, verdict

SEEDS = range(1000, 1008)


def _write(path, method: str, scores_for) -> None:
    with path.open("a") as sink:
        for seed in SEEDS:
            line = {"space": "f7", "family": "bowl_in", "method": method, "seed": seed}
            line.update(scores=scores_for(seed), seconds=[0.1] * 10)
            sink.write(json.dumps(line) + "\n")


def _goal_line(tmp_path, gp_at_5) -> str:
    path = tmp_path / "lines.jsonl"
    _write(path, "engine", lambda s: [0.8, 0.9, 0.95, 0.99, 1.0] + [1.0] * 5)
    _write(path, "random", lambda s: [0.8, 0.85, 0.86, 0.87, 0.88] + [0.9] * 5)
    _write(path, "tpe", lambda s: [0.8, 0.85, 0.86, 0.87, 0.9] + [0.9] * 5)
    _write(path, "baybe", lambda s: [0.8, 0.85, 0.86, 0.87, 0.9])
    _write(path, "gp", lambda s: [0.8, 0.85, 0.9, 0.95, gp_at_5(s)])
    numbers = goal_numbers(load([str(path)])[("f7", "bowl_in")])
    assert numbers is not None
    return verdict(*numbers[1:])


def test_both_at_the_optimum_on_every_seed_is_said_and_not_met(tmp_path):
    line = _goal_line(tmp_path, lambda s: 1.0)
    assert line == "missed: not shown better than gp @5 (both at the optimum on every paired seed)"


def test_a_peer_level_with_the_engine_below_the_optimum_is_only_not_shown(tmp_path):
    # the engine at 1.0 on every seed, the peer at 1.0 on all but one: not a tie at the top
    line = _goal_line(tmp_path, lambda s: 0.99 if s == 1000 else 1.0)
    assert line == "missed: not shown better than gp @5"


def test_an_engine_ahead_of_every_peer_meets_the_goal(tmp_path):
    assert _goal_line(tmp_path, lambda s: 0.9) == "met"


def test_generations_to_the_target_count_a_campaign_that_never_got_there_as_one_more():
    assert generations_to([0.8, 0.99, 1.0], horizon=3) == 2
    assert generations_to([0.8, 0.98, 1.0], horizon=2) == 3  # reached only after the horizon


def test_to_target_tells_apart_two_methods_the_goal_test_cannot(tmp_path):
    # both at the optimum at generation 5 on every seed (the goal's test: not shown better),
    # but the engine got there at generation 2 and the peer at generation 4
    path = tmp_path / "lines.jsonl"
    _write(path, "engine", lambda s: [0.9, 0.995, 1.0, 1.0, 1.0] + [1.0] * 5)
    _write(path, "gp", lambda s: [0.9, 0.95, 0.97, 0.999, 1.0])
    _write(path, "tpe", lambda s: [0.9, 0.995, 1.0, 1.0, 1.0] + [1.0] * 5)
    rows = to_target(load([str(path)]))
    assert rows[0] == "| cell | engine vs tpe | engine vs gp |"
    tpe, gp = rows[2].split(" | ")[1:3]
    assert tpe == "2.00 vs 2.00 of 10 (p = 1.000, 8)"
    assert gp.startswith("2.00 vs 4.00 of 5 (p = 0.00")

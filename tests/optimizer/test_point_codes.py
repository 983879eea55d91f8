"""A space's codes of many observed points at once are the codes of each point alone:
the sequential engine encodes a search's whole history with ``SearchSpace.to_codes``."""

from __future__ import annotations

import numpy as np

from sigopt_like.service.domain import sigopt_rules as rules
from sigopt_like.service.optimizer.sequential import Problem

DEFINITION = {
    "name": "codes",
    "parameters": [
        {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}},
        {
            "name": "lr",
            "type": "double",
            "bounds": {"min": 1e-5, "max": 1},
            "transformation": "log",
        },
        {"name": "n", "type": "int", "bounds": {"min": -3, "max": 7}},
        {"name": "g", "type": "double", "grid": [0.1, 0.5, 2.5]},
        {"name": "k", "type": "categorical", "categorical_values": ["a", "b", "c"]},
        {
            "name": "depth",
            "type": "int",
            "bounds": {"min": 1, "max": 4},
            "conditions": {"model": ["tree"]},
        },
    ],
    "conditionals": [{"name": "model", "values": ["linear", "tree"]}],
}


def points(rng: np.random.Generator, count: int) -> list[dict[str, object]]:
    """Valid points, and points a code refuses: a value off its bounds or grid, not a
    finite number, an unknown category, a missing active parameter; a value just past a
    bound (clamped), or not a float; an inactive parameter given or left out."""
    out: list[dict[str, object]] = []
    for i in range(count):
        model = ["linear", "tree"][int(rng.integers(2))]
        point: dict[str, object] = {
            "x": float(rng.random()),
            "lr": float(10 ** rng.uniform(-5, 0)),
            "n": int(rng.integers(-3, 8)),
            "g": [0.1, 0.5, 2.5][int(rng.integers(3))],
            "k": "abc"[int(rng.integers(3))],
            "model": model,
        }
        if model == "tree" or i % 3 == 0:  # inactive depth given now and then
            point["depth"] = int(rng.integers(1, 5))
        spoil = i % 15
        if spoil == 1:
            point["x"] = 1.5
        elif spoil == 2:
            point["g"] = 0.7
        elif spoil == 3:
            point["k"] = "z"
        elif spoil == 4 and model == "tree":
            del point["depth"]
        elif spoil == 5:
            del point["model"]
        elif spoil == 6:
            point["lr"] = -1.0
        elif spoil == 7:
            point["n"] = 2.5
        elif spoil == 8:
            point["x"] = [float("nan"), float("inf"), -float("inf")][i % 3]
        elif spoil == 9:
            point["x"] = [1 + 1e-12, -1e-12, 1 + 1e-6][i % 3]  # within the tolerance, or not
        elif spoil == 10:
            point["x"] = [0, 1, "0.25", True][i % 4]  # not a float: coded one by one
        out.append(point)
    return out


def test_the_codes_of_many_points_are_each_ones_code():
    space = Problem.from_definition(rules.experiment_create(DEFINITION)).space()
    given = points(np.random.default_rng(7), 400)
    alone = [space.to_code(p) for p in given]
    codes, kept = space.to_codes(given)
    assert kept == [i for i, code in enumerate(alone) if code is not None]
    assert 0 < len(kept) < len(given)  # both kinds were tried
    assert codes.shape == (len(kept), space.n_params)
    np.testing.assert_array_equal(codes, np.array([alone[i] for i in kept]))


def test_no_points_have_no_codes():
    space = Problem.from_definition(rules.experiment_create(DEFINITION)).space()
    codes, kept = space.to_codes([])
    assert codes.shape == (0, space.n_params) and kept == []

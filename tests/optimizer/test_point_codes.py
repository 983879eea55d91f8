"""A space's codes of many observed points at once are the codes of each point alone:
the sequential engine encodes a search's whole history with ``SearchSpace.to_codes``, the
batch engine a design's with the view's ``to_codes``."""

from __future__ import annotations

import numpy as np

from sigopt_like.service.domain import sigopt_rules as rules
from sigopt_like.service.optimizer.sequential import Problem
from sigopt_like.service.optimizer.views import view_for
from sigopt_like.spaces import Space

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


FACTORIAL = Space.from_dict(
    {
        "type": "factorial",
        "parameters": [
            {"name": "a", "type": "numerical", "values": [0, 0.5, 1e-12, 3, -2]},
            {"name": "b", "type": "categorical", "values": ["x", "y", "1"]},
            {"name": "c", "type": "numerical", "values": [1e300, -1e300, 7]},
        ],
    }
)


def factorial_points(rng: np.random.Generator, count: int) -> list[tuple]:
    """Points of FACTORIAL and points its view refuses: a value off every level (or
    within the tolerance of one), an unknown level, numbers as a categorical's strings,
    values near the float limit, not a finite number."""
    a = [0, 0.5, 1e-12, 3, -2, 0.5 + 1e-10, 0.5 + 1e-8, float("nan"), float("inf"), 1, 2.0]
    b = ["x", "y", "1", 1, 1.0, "z"]
    c = [1e300, -1e300, 7, 7.0000001, 1e308, -1.7e308, 10**20]
    return [
        (a[rng.integers(len(a))], b[rng.integers(len(b))], c[rng.integers(len(c))])
        for _ in range(count)
    ]


def test_a_factorial_views_codes_of_many_points_are_each_ones_code():
    """``FactorialView.to_codes`` reads a parameter's values as one column; the codes and
    the refusals are those of ``to_code``, point by point (the nearest level, within the
    tolerance)."""
    view = view_for(FACTORIAL)
    plain = factorial_points(np.random.default_rng(3), 600)
    for given in (plain, [*plain, (True, "x", 7)]):  # a bool: every point read one by one
        codes, fits = view.to_codes(given)
        alone = [view.to_code(p) for p in given]
        assert fits.tolist() == [code is not None for code in alone]
        assert 0 < fits.sum() < len(given)  # both kinds were tried
        expected = np.array([np.zeros(3) if code is None else code for code in alone])
        np.testing.assert_array_equal(codes, expected)
    assert not fits[-1]  # True reads as 1.0, no level of a


def test_points_of_another_length_are_refused_one_by_one():
    view = view_for(FACTORIAL)
    codes, fits = view.to_codes([(0, "x", 7), (0, "x"), (3, "1", 1e300)])
    assert fits.tolist() == [True, False, True]
    assert codes.tolist() == [[0.0, 0.0, 2.0], [0.0, 0.0, 0.0], [3.0, 2.0, 0.0]]


def test_a_mixture_views_codes_of_many_points_are_each_ones_code():
    space = Space.from_dict(
        {
            "type": "mixture",
            "total_units": 10,
            "parameters": [
                {"name": "p", "type": "unit", "min": 1, "max": 8},
                {"name": "q", "type": "unit", "min": 2, "max": 9},
            ],
        }
    )
    codes, fits = view_for(space).to_codes([(5, 5), (2, 8), (9, 1), ("x", 1)])
    assert fits.tolist() == [True, True, False, False]
    assert codes.tolist() == [[5.0, 5.0], [2.0, 8.0], [0.0, 0.0], [0.0, 0.0]]


def test_no_points_have_no_factorial_codes():
    codes, fits = view_for(FACTORIAL).to_codes([])
    assert codes.shape == (0, 3) and fits.shape == (0,)

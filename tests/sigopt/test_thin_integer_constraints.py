"""An all-integer linear-constraint polytope thinner than HiGHS' tolerance (about 1e-6)
with a feasible integer point is taken at creation and suggested only at its feasible
points; a truly empty one is still refused, and one too wide to walk and too hard to
solve is refused within seconds, saying why the search stopped."""

from __future__ import annotations

import time

import numpy as np
import pytest

from sigopt_like.service.domain import sigopt_rules as rules

from .conftest import Api


def _band(low: float, high: float, weights: tuple[float, float], top: int) -> dict:
    terms = [{"name": n, "weight": w} for n, w in zip("xy", weights, strict=True)]
    return {
        "name": "thin",
        "parameters": [{"name": n, "type": "int", "bounds": {"min": 0, "max": top}} for n in "xy"],
        "linear_constraints": [
            {"type": "greater_than", "threshold": low, "terms": terms},
            {"type": "less_than", "threshold": high, "terms": terms},
        ],
    }


# x - 0.999999 y = 503.000007 holds (510, 7) alone among ints 0..1000 (the service's
# slack, 1e-9 of the rows' reach over the box, also takes its neighbours on x - y = 503
# with y < 10, 1e-6 away per step); over 0..100, 44.000007 holds (51, 7) alone, its
# neighbours past the slack
WIDE = _band(503.0000069995, 503.0000070005, (1.0, -0.999999), 1000)
ONE_POINT = _band(44.0000069997, 44.0000070007, (1.0, -0.999999), 100)


def _feasible(body: dict) -> set[tuple[int, int]]:
    """Every integer point of the band, by brute force over its box."""
    top = body["parameters"][0]["bounds"]["max"]
    x, y = (g.ravel() for g in np.meshgrid(np.arange(top + 1), np.arange(top + 1)))
    low, high = (c["threshold"] for c in body["linear_constraints"])
    w = [t["weight"] for t in body["linear_constraints"][0]["terms"]]
    left = w[0] * x + w[1] * y
    ok = (left >= low - 1e-9 * abs(low)) & (left <= high + 1e-9 * abs(high))
    return set(zip(x[ok].tolist(), y[ok].tolist(), strict=True))


def test_a_band_thinner_than_the_solvers_tolerance_with_a_point_is_taken():
    assert _feasible(WIDE) == {(510, 7)} and _feasible(ONE_POINT) == {(51, 7)}
    for body in (WIDE, ONE_POINT):
        assert len(rules.experiment_create(body)["linear_constraints"]) == 2


def test_the_thin_bands_only_point_is_suggested_then_the_space_is_exhausted(api: Api):
    made = api.post("/v1/experiments", ONE_POINT)
    assert made.status == 201, made.body
    first = api.post(f"/v1/experiments/{made.body['id']}/suggestions", {})
    assert first.status == 201 and first.body["assignments"] == {"x": 51, "y": 7}, first.body
    second = api.post(f"/v1/experiments/{made.body['id']}/suggestions", {})
    assert second.status == 409 and second.body["code"] == "space_exhausted", second.body


def test_a_truly_empty_integer_band_is_still_refused_as_empty():
    empty = _band(100.5, 101.5, (2.0, 2.0), 100)  # 2x + 2y is even
    assert _feasible(empty) == set()
    with pytest.raises(rules.RuleError) as caught:
        rules.experiment_create(empty)
    assert caught.value.field == "linear_constraints" and caught.value.status == 422
    assert "no point within the parameters' bounds satisfies every constraint" in (
        caught.value.message
    )


def test_a_band_too_wide_to_walk_and_too_hard_to_solve_is_refused_in_seconds():
    """Five ints over 0..10000 held to an equality of random weights: HiGHS searched for
    minutes. The search stops at its limits and the refusal says so."""
    rng = np.random.default_rng(3)
    names = "abcde"
    point = rng.integers(0, 10001, 5)
    rows = []
    for _ in range(2):
        w = rng.uniform(-1, 1, 5)
        terms = [{"name": n, "weight": float(v)} for n, v in zip(names, w, strict=True)]
        value = float(w @ point)
        rows += [
            {"type": "greater_than", "threshold": value, "terms": terms},
            {"type": "less_than", "threshold": value, "terms": terms},
        ]
    body = {
        "name": "hard",
        "parameters": [
            {"name": n, "type": "int", "bounds": {"min": 0, "max": 10000}} for n in names
        ],
        "linear_constraints": rows,
    }
    start = time.monotonic()
    try:
        rules.experiment_create(body)
    except rules.RuleError as err:
        assert err.field == "linear_constraints" and err.status == 422
        assert "was found" in err.message and "200,000 steps" in err.message
        assert "narrow the bounds" in err.message
    assert time.monotonic() - start < 20

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
    with pytest.raises(rules.RuleError) as caught:
        rules.experiment_create(body)
    assert time.monotonic() - start < 20
    assert caught.value.field == "linear_constraints" and caught.value.status == 422
    assert "was found" in caught.value.message and "well under a second" in caught.value.message
    assert "narrow the bounds" in caught.value.message


def _walked_body(pairs: int) -> dict:
    """The thin band, p0 over 0..199,999 held by a loose row, and 2 * ``pairs`` ints
    0..1 each pair held to 0 by ``q_i + q_i+1 <= 0.5``: HiGHS misses the band, and the
    walk keeps 200,000 partial points through every q column."""
    body = _band(44.0000069997, 44.0000070007, (1.0, -0.999999), 100)
    body["parameters"].append({"name": "p0", "type": "int", "bounds": {"min": 0, "max": 199_999}})
    body["linear_constraints"].append(
        {
            "type": "greater_than",
            "threshold": -1,
            "terms": [{"name": "p0", "weight": 1.0}, {"name": "x", "weight": 1.0}],
        }
    )
    for i in range(0, 2 * pairs, 2):
        body["parameters"] += [
            {"name": f"q{k}", "type": "int", "bounds": {"min": 0, "max": 1}} for k in (i, i + 1)
        ]
        body["linear_constraints"].append(
            {
                "type": "less_than",
                "threshold": 0.5,
                "terms": [{"name": f"q{k}", "weight": 1.0} for k in (i, i + 1)],
            }
        )
    return body


def test_the_walks_whole_work_is_bounded_not_each_columns():
    """99 ints took about a minute to create when the limit held each column's partial
    points (200,000 at each of 97 columns); the whole walk's work is bounded now."""
    body = _walked_body(48)
    assert len(body["parameters"]) == 99
    start = time.monotonic()
    with pytest.raises(rules.RuleError) as caught:
        rules.experiment_create(body)
    assert time.monotonic() - start < 8
    assert caught.value.status == 422 and "was found" in caught.value.message


def _zw_band() -> dict:
    """The one-point band and z, w over 0..400 under a row every point satisfies: the
    walk finds 160,801 points, too many to enumerate, and the band too thin for the
    tightened polytope that rounds hit-and-run's draws."""
    body = _band(44.0000069997, 44.0000070007, (1.0, -0.999999), 100)
    body["parameters"] += [
        {"name": n, "type": "int", "bounds": {"min": 0, "max": 400}} for n in "zw"
    ]
    body["linear_constraints"].append(
        {
            "type": "greater_than",
            "threshold": -1.0,
            "terms": [{"name": "z", "weight": 1.0}, {"name": "w", "weight": 1.0}],
        }
    )
    return body


@pytest.mark.parametrize("api", ["embedded"], indirect=True)
def test_a_walked_bands_suggestions_are_its_points_and_differ(api: Api):
    """Each suggestion was the walk's middle point, {x: 51, y: 7, z: 200, w: 200}, and
    each re-ran the solver and the walk (up to 11 s)."""
    made = api.post("/v1/experiments", _zw_band())
    assert made.status == 201, made.body
    seen = []
    for i in range(4):
        start = time.monotonic()
        s = api.post(f"/v1/experiments/{made.body['id']}/suggestions", {})
        assert time.monotonic() - start < 5
        assert s.status == 201, s.body
        seen.append(s.body["assignments"])
        api.post(
            f"/v1/experiments/{made.body['id']}/observations",
            {"suggestion": s.body["id"], "value": float(i)},
        )
    assert all((a["x"], a["y"]) == (51, 7) for a in seen), seen
    assert len({(a["z"], a["w"]) for a in seen}) == 4, seen

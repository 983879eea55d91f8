"""Numbers at the float limit in SigOpt definitions and observations, found by sending
hostile input to a served instance: each is handled (accepted and modelled, or refused
with a 4xx), never a 500, and the engine does not fail over to its fallback."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pytest

import sigopt_like
from sigopt_like.service.optimizer.polytope import LinearConstraints
from sigopt_like.service.optimizer.surrogate import NOISE_CEILING, GPSurrogate

from .conftest import Api

UNIT = {"type": "double", "bounds": {"min": 0, "max": 1}}


def test_constraint_weights_near_the_float_limit_are_checked_not_a_500(served):
    """The feasibility check took the norm of a row of weights 1e308 (infinite) and
    scipy refused it: ``POST /v1/experiments`` was a 500. Rows are scaled to a largest
    weight of 1 (the same half-space), so the check runs and suggestions honour it."""
    api = Api(served.service, served.url, served.token)
    before = api.snapshot()
    body = {
        "name": "huge weights",
        "parameters": [{"name": "x", **UNIT}, {"name": "y", **UNIT}],
        "linear_constraints": [
            {
                "type": "less_than",
                "threshold": 1e308,
                "terms": [{"name": "x", "weight": 1e308}, {"name": "y", "weight": 1e308}],
            }
        ],
    }
    made = api.post("/v1/experiments", body)
    assert made.status == 201, made.body
    for _ in range(4):
        s = api.post(f"/v1/experiments/{made.body['id']}/suggestions", {}).body
        assert s["assignments"]["x"] + s["assignments"]["y"] <= 1 + 1e-9
    body["linear_constraints"][0]["threshold"] = -1e308  # x + y <= -1: nothing feasible
    refused = api.post("/v1/experiments", body)
    assert refused.status == 422 and refused.body["detail"]["field"] == "linear_constraints"
    assert len(api.snapshot()["sigopt_experiments"]) == len(before["sigopt_experiments"]) + 1


@pytest.mark.parametrize("kind", ["double", "int"])
@pytest.mark.parametrize(
    ("weight", "threshold"), [(0.5, 1e308), (1e-320, 0.5), (-0.5, -1e308), (5e-324, 1e308)]
)
def test_a_threshold_far_beyond_its_weights_is_checked_not_a_500(served, kind, weight, threshold):
    """``x + y <= 1e308`` written with weights 0.5 (or ``0.5`` over weights 1e-320): the
    threshold over the largest weight overflowed to infinity when the row was scaled, and
    scipy's linear program refused it: ``POST /v1/experiments`` was a 500. Such a row is
    scaled by its threshold instead; the constraint is kept (it holds everywhere in the
    box, so suggestions and the box's corner as an observation are taken), and the same
    row the other way round (nothing in the box reaches it) is a 422, nothing stored."""
    api = Api(served.service, served.url, served.token)
    bounds = {"min": 0, "max": 10}
    body = {
        "name": "far threshold",
        "parameters": [{"name": n, "type": kind, "bounds": bounds} for n in ("x", "y")],
        "linear_constraints": [
            {
                "type": "less_than",
                "threshold": threshold,
                "terms": [{"name": "x", "weight": weight}, {"name": "y", "weight": weight}],
            }
        ],
    }
    if weight < 0:
        body["linear_constraints"][0]["type"] = "greater_than"
    made = api.post("/v1/experiments", body)
    assert made.status == 201, made.body
    assert made.body["linear_constraints"][0]["threshold"] == threshold
    eid = made.body["id"]
    for _ in range(3):
        s = api.post(f"/v1/experiments/{eid}/suggestions", {})
        assert s.status == 201, s.body
        observed = api.post(
            f"/v1/experiments/{eid}/observations", {"suggestion": s.body["id"], "value": 1.0}
        )
        assert observed.status == 201, observed.body
    corner = {"assignments": {"x": 10, "y": 10}, "value": 1.0}
    assert api.post(f"/v1/experiments/{eid}/observations", corner).status == 201
    before = api.snapshot()
    body["linear_constraints"][0]["type"] = (
        "less_than" if weight < 0 else "greater_than"
    )  # unreachable in the box
    refused = api.post("/v1/experiments", body)
    assert refused.status == 422, refused.body
    assert refused.body["detail"]["field"] == "linear_constraints"
    assert "no point" in refused.body["message"]
    assert api.snapshot() == before


@pytest.mark.parametrize(
    ("x", "y", "constraint"),
    [
        # x <= y over [0, 1e21]: (0, 0) satisfies it
        ("double", 1e21, ("less_than", 0, [1, -1])),
        # x + y >= 1e24, x an int of 0..10 and y a double of 0..1e25: y = 1e24 does
        ("int", 1e25, ("greater_than", 1e24, [1, 1])),
        # x + y >= 1e308 over [0, 1e308]: x = 1e308 does
        ("double", 1e308, ("greater_than", 1e308, [1, 1])),
    ],
)
def test_feasible_constraints_over_bounds_past_1e20_are_taken(served, x, y, constraint):
    """HiGHS reads every number of 1e20 or more as infinite: the feasibility check's
    linear program, given bounds of 1e21 (or a threshold of 1e24), lost them and answered
    unbounded or infeasible, so a feasible definition was refused with the 422 "no point
    ... satisfies every constraint". The programs now run over the columns scaled to
    the unit box; the definition is taken and its suggestions satisfy the constraint."""
    api = Api(served.service, served.url, served.token)
    kind, threshold, weights = constraint
    x_bounds = {"min": 0, "max": 10 if x == "int" else y}
    body = {
        "name": "wide bounds",
        "parameters": [
            {"name": "x", "type": x, "bounds": x_bounds},
            {"name": "y", "type": "double", "bounds": {"min": 0, "max": y}},
        ],
        "linear_constraints": [
            {
                "type": kind,
                "threshold": threshold,
                "terms": [{"name": n, "weight": w} for n, w in zip("xy", weights, strict=True)],
            }
        ],
    }
    for a in _three_suggestions(api, body):
        left = weights[0] * a["x"] + weights[1] * a["y"]
        slack = 1e-9 * max(abs(threshold), abs(a["x"]), abs(a["y"]), 1.0)
        assert left <= threshold + slack if kind == "less_than" else left >= threshold - slack


def _three_suggestions(api, body):
    """The assignments of three suggestions of the experiment ``body`` makes (both 201)."""
    made = api.post("/v1/experiments", body)
    assert made.status == 201, made.body
    for _ in range(3):
        s = api.post(f"/v1/experiments/{made.body['id']}/suggestions", {})
        assert s.status == 201, s.body
        yield s.body["assignments"]


def _sum_rows(names, low, high, weights=None):
    terms = [
        {"name": n, "weight": w} for n, w in zip(names, weights or [1] * len(names), strict=True)
    ]
    return [
        {"type": "greater_than", "threshold": low, "terms": terms},
        {"type": "less_than", "threshold": high, "terms": terms},
    ]


@pytest.mark.parametrize(
    ("bound", "low", "high"),
    [(1e4, 100.0005, 100.0), (1e6, 0.6, 0.5), (1e6, 0.15, 0.1)],
)
def test_an_empty_polytope_over_wide_bounds_is_refused(served, bound, low, high):
    """``x + y >= 100.0005`` and ``x + y <= 100`` over doubles [0, 10000]: no point. Over
    the columns scaled to [0, 1], HiGHS' tolerance (1e-7 of a width) covered the gap,
    so the definition was a 201 and every suggestion a 409 'space exhausted'. The
    programs run in the columns' own units first, and a point found over unit columns
    must satisfy the constraints too: a 422, nothing stored."""
    api = Api(served.service, served.url, served.token)
    before = api.snapshot()
    body = {
        "name": "empty",
        "parameters": [
            {
                "name": n,
                "type": "double",
                "bounds": {"min": -bound if bound == 1e6 and low == 0.6 else 0, "max": bound},
            }
            for n in "xy"
        ],
        "linear_constraints": _sum_rows("xy", low, high),
    }
    refused = api.post("/v1/experiments", body)
    assert refused.status == 422, refused.body
    assert refused.body["detail"]["field"] == "linear_constraints"
    assert api.snapshot() == before


def test_a_feasible_mixed_int_and_double_definition_is_taken(served):
    """Three ints and a double 7e7 wide with ``0.1 a + 0.1 b + 2 c + d`` held within 1.05
    (a=-157, b=-3726531, c=7827153.6..., d=2726698 satisfies every row): the program over
    unit columns answered a point that failed the constraints, so the definition was a
    422 'no point satisfies'. It is a 201 and its suggestions satisfy every row."""
    api = Api(served.service, served.url, served.token)
    weights = [0.1, 0.1, 2.0, 1.0]
    low, high = 18008336.47052599, 18008337.520525992
    body = {
        "name": "mixed",
        "parameters": [
            {"name": "a", "type": "int", "bounds": {"min": -618, "max": -157}},
            {"name": "b", "type": "int", "bounds": {"min": -3726531, "max": 5296397}},
            {
                "name": "c",
                "type": "double",
                "bounds": {"min": -36869668.26250354, "max": 36869668.26250354},
            },
            {"name": "d", "type": "int", "bounds": {"min": -4412579, "max": 2726698}},
        ],
        "linear_constraints": [
            *_sum_rows("abcd", low, high, weights),
            {
                "type": "greater_than",
                "threshold": -5918409.1,
                "terms": [{"name": "a", "weight": 3.0}, {"name": "d", "weight": 2.0}],
            },
        ],
    }
    for a in _three_suggestions(api, body):
        left = sum(w * a[n] for n, w in zip("abcd", weights, strict=True))
        slack = 1e-9 * 1e8
        assert low - slack <= left <= high + slack, a
        assert 3 * a["a"] + 2 * a["d"] >= -5918409.1 - slack, a


#: definitions from a random comparison that the unit-box programs alone refused (a 422
#: "no point satisfies") though the programs in the columns' own units found a point:
#: (lower bounds, upper bounds, int columns, rows)
REFUSED_FEASIBLE = [
    (
        [-388.0, -8568818.0, -3362157483.592862, -9.0],
        [85504.0, 255166.0, 5586531332.575381, -1.0],
        [True, True, False, True],
        [
            ([(1, 0.5), (3, 1.0), (0, -1.0), (2, 2.0)], "less_than", 5214678840.638659),
            ([(3, 0.1), (0, 3.0)], "greater_than", 113723.699),
            ([(0, 0.1), (2, 3.0)], "less_than", -8227595685.439526),
            ([(0, 0.1), (2, 3.0)], "greater_than", -8227595685.539526),
        ],
    ),
    (
        [-0.0090183508076513, -59.0, -3145.0, -5165468173.386317],
        [0.002748484161155133, 504.0, 3559.0, -1889794373.4570687],
        [False, True, True, False],
        [
            ([(0, 0.5), (3, 2.0), (1, -1.0)], "greater_than", -9076689048.915157),
            ([(2, 1.0), (1, 3.0), (0, -1.0)], "less_than", 2392.002149373388),
            ([(2, 1.0), (1, 3.0), (0, -1.0)], "greater_than", 2392.0011493733878),
            ([(1, 0.5), (2, -1.0), (3, 2.0), (0, 3.0)], "less_than", -4886606329.052152),
            ([(1, 0.5), (2, -1.0), (3, 2.0), (0, 3.0)], "greater_than", -4886606329.101151),
        ],
    ),
]


@pytest.mark.parametrize(("lo", "hi", "integer", "rows"), REFUSED_FEASIBLE)
def test_definitions_the_unit_box_programs_refused_are_taken(served, lo, hi, integer, rows):
    """Each is a 201 and its suggestions satisfy every row (to the service's own 1e-9
    relative slack)."""
    api = Api(served.service, served.url, served.token)
    names = [f"p{i}" for i in range(len(lo))]
    parameters = []
    for name, low, high, whole in zip(names, lo, hi, integer, strict=True):
        kind = "int" if whole else "double"
        parameters.append({"name": name, "type": kind, "bounds": {"min": low, "max": high}})
    constraints = [
        {
            "type": kind,
            "threshold": threshold,
            "terms": [{"name": names[c], "weight": w} for c, w in terms],
        }
        for terms, kind, threshold in rows
    ]
    body = {"name": "mixed", "parameters": parameters, "linear_constraints": constraints}
    polytope = LinearConstraints.build(rows, lo, hi, integer)
    for a in _three_suggestions(api, body):
        point = [a[n] for n in names]
        assert polytope.satisfied(point)[0], point


def test_rows_are_scaled_without_changing_the_half_space():
    rows = [([(0, 1e308), (1, 1e308)], "less_than", 1e308), ([(0, -2.0)], "greater_than", -1.0)]
    polytope = LinearConstraints.build(rows, [0.0, 0.0], [1.0, 1.0], [False, False])
    assert polytope.satisfied([[0.4, 0.5], [0.3, 0.3]]).tolist() == [True, True]
    assert polytope.satisfied([[0.6, 0.5], [0.6, 0.1]]).tolist() == [False, False]
    assert polytope.feasible_point() is not None


@pytest.mark.parametrize("spread", [1.0, 1e-6])
def test_a_value_stddev_near_the_float_limit_is_modelled(tmp_path, caplog, spread):
    """``value_stddev`` 1e308 is finite, so accepted; its square overflowed and every
    later suggestion failed over to the fallback, with a traceback in the log. Capped
    when squared, it still overflowed once scaled to responses spread by 1e-6: a
    RuntimeWarning at every suggestion and a GP fitted on a likelihood of -inf. Such an
    observation now weighs nothing, and every suggestion comes from the engine."""
    caplog.set_level(logging.INFO, logger="sigopt_like.service.suggestions")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with sigopt_like.Connection(database=tmp_path / "noisy.db") as conn:
            e = conn.experiments.create(
                name="noisy", parameters=[{"name": "x", **UNIT}], metrics=[{"name": "m"}]
            )
            for i in range(14):
                s = conn.experiments(e.id).suggestions().create()
                stddev = 1e308 if i % 3 == 0 else 0.01 * spread
                conn.experiments(e.id).observations().create(
                    suggestion=s.id, value=s.assignments["x"] * spread, value_stddev=stddev
                )
    said = [r.getMessage() for r in caplog.records]
    assert not [m for m in said if "engine failed" in m or "random fallback" in m], said
    assert [str(w.message) for w in caught] == []


def test_a_noise_past_the_float_limit_once_scaled_weighs_nothing():
    """The GP's diagonal term of a variance that overflows once scaled to the
    standardised response is the ceiling (finite), so the marginal likelihood its
    hyperparameters are fitted on is finite."""
    x = np.linspace(0, 1, 8).reshape(-1, 1)
    noise = np.where(np.arange(8) % 3 == 0, 1e300, 1e-16)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        model = GPSurrogate(x, x[:, 0] * 1e-6, np.ones(8), 0, noise)
    assert np.isfinite(model.alpha).all() and np.max(model.alpha) <= NOISE_CEILING + 1
    assert np.isfinite(model.gp.log_marginal_likelihood_value_)


def test_a_threshold_and_values_at_the_float_limit_are_modelled(tmp_path, caplog):
    """A constraint metric's threshold of 1e308 with values of -1e308: their distance
    (2e308) overflowed to NaN in the model and every later suggestion failed over."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with sigopt_like.Connection(database=tmp_path / "far.db") as conn:
            e = conn.experiments.create(
                name="far",
                parameters=[{"name": "x", **UNIT}],
                metrics=[
                    {"name": "gain"},
                    {"name": "cost", "strategy": "constraint", "threshold": 1e308},
                ],
            )
            for i in range(12):
                s = conn.experiments(e.id).suggestions().create()
                cost = -1e308 if i % 2 else 1e308 * s.assignments["x"]
                values = [
                    {"name": "gain", "value": s.assignments["x"]},
                    {"name": "cost", "value": cost},
                ]
                conn.experiments(e.id).observations().create(suggestion=s.id, values=values)
    assert not [r for r in caplog.records if "engine failed" in r.getMessage()]
    assert [str(w.message) for w in caught] == []


def test_a_grid_spanning_the_float_range_is_modelled_silently(tmp_path, caplog):
    """Grid values of -1e308 and 1e308: the grid's span overflowed (numpy warnings on
    the console at every suggestion)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with sigopt_like.Connection(database=tmp_path / "grid.db") as conn:
            e = conn.experiments.create(
                name="grid",
                parameters=[
                    {"name": "x", "type": "double", "grid": [-1e308, 0, 1e308]},
                    {"name": "y", **UNIT},
                ],
            )
            seen = set()
            for _ in range(9):
                s = conn.experiments(e.id).suggestions().create()
                seen.add(s.assignments["x"])
                conn.experiments(e.id).observations().create(
                    suggestion=s.id, value=s.assignments["y"]
                )
    assert seen <= {-1e308, 0, 1e308} and len(seen) >= 2
    assert not [r for r in caplog.records if "engine failed" in r.getMessage()]
    assert [str(w.message) for w in caught] == []


def test_a_subnormal_beta_shape_is_refused_and_never_takes_the_server_down(served):
    """``shape_a: 5e-324, shape_b: 1`` was accepted; a few suggestions later scipy's beta
    function overflowed in C++ and std::terminate aborted the whole ``sigopt-like
    serve`` process. The rules refuse shapes beyond what can be computed (a 422), and
    the engine keeps a stored shape within them (a definition stored before)."""
    api = Api(served.service, served.url, served.token)
    before = api.snapshot()
    for shapes in ({"shape_a": 5e-324, "shape_b": 1}, {"shape_a": 1, "shape_b": 1e308}):
        prior = {"name": "beta", **shapes}
        body = {"name": "tiny", "parameters": [{"name": "x", **UNIT, "prior": prior}]}
        reply = api.post("/v1/experiments", body)
        assert reply.status == 422, reply.body
        assert reply.body["detail"]["field"].startswith("parameters[0].prior.shape_")
    assert api.snapshot() == before
    fine = {"name": "beta", "shape_a": 1e-300, "shape_b": 1e300}
    body = {"name": "edge", "parameters": [{"name": "x", **UNIT, "prior": fine}]}
    assert api.post("/v1/experiments", body).status == 201


def test_the_engine_computes_stored_beta_shapes_without_aborting():
    """In a child process: before, it died of std::terminate (SIGABRT)."""
    import subprocess
    import sys

    from sigopt_like.service.domain.sigopt_parameters import BETA_SHAPES
    from sigopt_like.service.optimizer.priors import SHAPE_RANGE

    assert BETA_SHAPES == SHAPE_RANGE
    script = (
        "import numpy as np\n"
        "from sigopt_like.service.optimizer.priors import Prior\n"
        "for a, b in ((5e-324, 1.0), (1.0, 5e-324), (1e308, 5e-324)):\n"
        "    p = Prior('beta', 0.0, 1.0, shape_a=a, shape_b=b)\n"
        "    p.quantile(np.linspace(0, 1, 11)); p.cdf(np.linspace(0, 1, 11))\n"
        "    p.relative_density(np.linspace(0, 1, 11))\n"
        "print('alive')\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and "alive" in done.stdout, done.stderr[-500:]


def test_a_u_shaped_beta_prior_weighs_suggestions_silently(tmp_path, caplog):
    """``shape_a: 0.5, shape_b: 0.5`` (a common choice: the bounds are likely) has an
    infinite density at the bounds: its relative density was inf / inf (NaN weights,
    and a numpy warning on the console at every suggestion)."""
    from sigopt_like.service.optimizer.priors import Prior

    prior = Prior("beta", 0.0, 1.0, shape_a=0.5, shape_b=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        relative = prior.relative_density(np.array([0.0, 0.001, 0.5, 1.0]))
    assert np.all(np.isfinite(relative)) and relative[0] == relative[3] == 1.0
    assert 0 < relative[2] < relative[1] <= 1.0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with sigopt_like.Connection(database=tmp_path / "u.db") as conn:
            beta = {"name": "beta", "shape_a": 0.5, "shape_b": 0.5}
            e = conn.experiments.create(
                name="u", parameters=[{"name": "x", **UNIT, "prior": beta}, {"name": "y", **UNIT}]
            )
            for _ in range(12):
                s = conn.experiments(e.id).suggestions().create()
                conn.experiments(e.id).observations().create(
                    suggestion=s.id, value=s.assignments["y"]
                )
    assert not [r for r in caplog.records if "engine failed" in r.getMessage()]
    assert [str(w.message) for w in caught] == []


@pytest.mark.parametrize("scale", [1e15, 1e100, 1e308])
def test_a_normal_prior_far_wider_than_its_bounds_is_flat(scale):
    """A normal prior of scale 1e100 on [0, 1] is flat there (SigOpt takes any positive
    scale): scipy's truncated normal answered NaN for it, with a numpy warning, and every
    suggestion came at the middle of the bounds; at 1e15 its quantiles were skewed."""
    from sigopt_like.service.optimizer.priors import Prior

    prior = Prior("normal", 0.0, 1.0, mean=0.3, scale=scale)
    u = np.linspace(0.01, 0.99, 9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.allclose(prior.quantile(u), u)
        assert np.allclose(prior.cdf(u), u)
        assert np.allclose(prior.relative_density(u), 1.0)
        wide = Prior("normal", -1e300, 1e300, mean=1e300, scale=scale * 1e300)
        assert np.allclose(wide.relative_density(np.array([-1e300, 0.0, 1e300])), 1.0)


def test_a_normal_prior_narrower_than_a_double_is_computed_silently():
    """A subnormal scale (5e-324) overflowed scipy's standardisation: a warning at every
    suggestion. It is a point at its mean, as a scale of 1e-300 is."""
    from sigopt_like.service.optimizer.priors import Prior

    x = np.array([0.0, 0.3, 1.0])
    for scale in (5e-324, 1e-300):
        prior = Prior("normal", 0.0, 1.0, mean=0.3, scale=scale)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert np.allclose(prior.quantile(np.array([0.1, 0.5, 0.9])), 0.3)
            assert list(prior.cdf(x)) == [0.0, 0.5, 1.0]
            assert list(prior.relative_density(x)) == [0.0, 1.0, 0.0]


def test_suggestions_spread_under_a_flat_normal_prior(tmp_path, caplog):
    """The first suggestions of an experiment whose prior is far wider than its bounds
    cover the bounds (they were all 0.5)."""
    flat = {"name": "normal", "mean": 0.3, "scale": 1e300}
    xs = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with sigopt_like.Connection(database=tmp_path / "flat.db") as conn:
            e = conn.experiments.create(
                name="flat",
                parameters=[{"name": "x", **UNIT, "prior": flat}, {"name": "y", **UNIT}],
                seed=5,  # the spread is checked, not one draw
            )
            for _ in range(8):
                s = conn.experiments(e.id).suggestions().create()
                xs.append(s.assignments["x"])
                conn.experiments(e.id).observations().create(
                    suggestion=s.id, value=-s.assignments["y"]
                )
    # x may repeat at a bound (0.0 twice, with different y: CI saw it unseeded); all at
    # 0.5 was the defect
    assert len(set(xs)) >= 5 and min(xs) < 0.3 and max(xs) > 0.7, xs
    assert not [r for r in caplog.records if "engine failed" in r.getMessage()]
    assert [str(w.message) for w in caught] == []


def test_an_integer_past_64_bits_is_the_double_sigopt_reads(api: Api):
    """Before: an observation's value of 2**70 written as a JSON integer (as sigopt-python
    sends a Python int) was refused at the door, "beyond the integers this service
    stores", where SigOpt reads every number as a double and takes it. Now a field that
    takes any number reads it as the double it denotes, stored and answered as that
    float (a value, values[].value, value_stddev); a whole-number field (an int
    parameter's bound, a budget) still refuses it with a 422 naming the field and the
    integers it takes (as it refuses 1e19), nothing created; an integer past any double
    (10**400) is a 400 naming the field, never a 500."""
    e = api.post("/v1/experiments", {"name": "big", "parameters": [{"name": "x", **UNIT}]}).body
    path = f"/v1/experiments/{e['id']}/observations"
    made = api.post(path, {"assignments": {"x": 0.5}, "value": 2**70, "value_stddev": 2**64})
    assert made.status == 201, made.body
    negative = api.post(path, {"assignments": {"x": 0.5}, "values": [{"value": -(2**70)}]})
    assert negative.status == 201, negative.body
    for reply, value in ((made, float(2**70)), (negative, -float(2**70))):
        for seen in (reply.body, api.get(f"{path}/{reply.body['id']}").body):
            assert type(seen["value"]) is float and seen["value"] == value, seen
            assert seen["values"][0]["value"] == value
    assert made.body["value_stddev"] == float(2**64)
    assert api.get(f"{path}/{made.body['id']}").body["value_stddev"] == float(2**64)
    before = api.snapshot()
    wide = {"name": "n", "type": "int", "bounds": {"min": 0, "max": 2**70}}
    bound = api.post("/v1/experiments", {"name": "b", "parameters": [wide]})
    assert bound.status == 422, bound.body  # as 1e19 there is (was 400)
    assert bound.body["detail"]["field"] == "parameters[0].bounds.max"
    assert bound.body["message"] == (
        "'parameters[0].bounds.max' is 1180591620717411303424, outside its range: it takes a "
        "whole number from -9223372036854775808 to 9223372036854774784 (the whole numbers "
        "within 64 bits that a double holds: SigOpt's bounds are doubles)."
    )
    big_budget = {"name": "b", "parameters": [{"name": "x", **UNIT}], "observation_budget": 2**70}
    budget = api.post("/v1/experiments", big_budget)
    assert budget.status == 422 and budget.body["detail"]["field"] == "observation_budget"
    assert "a whole number from 1 to 9223372036854775807" in budget.body["message"]
    huge = api.post(path, {"assignments": {"x": 0.5}, "value": 10**400})
    assert huge.status == 400 and huge.body["detail"]["field"] == "value", huge.body
    assert "beyond a float's range" in huge.body["message"]
    assert api.snapshot() == before


def test_two_metrics_at_plus_and_minus_1e308_are_scalarised_without_overflow(tmp_path, capfd):
    """Before: with two metrics reported as -1e308 and 1e308, ParEGO's scaling of each to
    [0, 1] took their range, 2e308: numpy's "overflow encountered in subtract" and "invalid
    value encountered in divide" on the user's console, and the scalarised targets were NaN.
    The range is taken in halves, exact for ordinary values."""
    params = [
        {"name": "x", **UNIT},
        {"name": "c", "type": "categorical", "categorical_values": ["a", "b"]},
    ]
    metrics = [{"name": "a"}, {"name": "b"}]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with sigopt_like.Connection(database=tmp_path / "wide.db") as conn:
            e = conn.experiments.create(
                name="wide", parameters=params, metrics=metrics, observation_budget=20
            )
            node = conn.experiments(e.id)
            for i in range(16):
                s = node.suggest()
                v = 1e308 if i % 2 else -1e308
                values = [{"name": "a", "value": v}, {"name": "b", "value": -v}]
                node.report(suggestion=s.id, values=values)
            assert 0.0 <= node.suggest().assignments["x"] <= 1.0
    assert [f"{w.filename}:{w.lineno}: {w.message}" for w in caught] == []
    assert "encountered" not in capfd.readouterr().err


def test_failed_runs_beside_values_at_plus_and_minus_1e308_are_modelled_without_overflow(
    tmp_path, capfd
):
    """Before: with values of -1e308 and 1e308 and a failed run, the failed run was modelled
    as the lowest value less a tenth of their range, 2e308: numpy's "overflow encountered in
    subtract" on the user's console and a worst value of -inf. The range is taken in halves
    (exact for ordinary values), and past the float limit the worst is the lowest float."""
    params = [{"name": "x", **UNIT}, {"name": "y", **UNIT}]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with sigopt_like.Connection(database=tmp_path / "wide.db") as conn:
            e = conn.experiments.create(
                name="wide", parameters=params, metrics=[{"name": "v"}], observation_budget=30
            )
            node = conn.experiments(e.id)
            for i in range(14):
                s = node.suggest()
                if i % 5 == 4:
                    node.report(suggestion=s.id, failed=True)
                else:
                    node.report(suggestion=s.id, value=1e308 if i % 2 else -1e308)
            assert 0.0 <= node.suggest().assignments["x"] <= 1.0
    assert [f"{w.filename}:{w.lineno}: {w.message}" for w in caught] == []
    assert "encountered" not in capfd.readouterr().err


#: bounds the rules accept (a finite span) at the float and int limits, and tiny ones
EXTREME_BOUNDS = [
    {"name": "wide", "type": "double", "bounds": {"min": -8e307, "max": 8e307}},
    {"name": "high", "type": "double", "bounds": {"min": 0, "max": 1.7e308}},
    {"name": "tiny", "type": "double", "bounds": {"min": 1e-308, "max": 2e-308}},
    {"name": "subnormal", "type": "double", "bounds": {"min": 5e-324, "max": 5e-322}},
    {
        "name": "decades",
        "type": "double",
        "bounds": {"min": 5e-324, "max": 1.7e308},
        "transformation": "log",
    },
    {"name": "exact", "type": "int", "bounds": {"min": -(2**53), "max": 2**53}},
    {"name": "whole", "type": "int", "bounds": {"min": -(2**63), "max": 2**63 - 2**10}},
]


@pytest.mark.parametrize("which", ["high", "all"])
def test_bounds_near_the_float_limit_are_searched_by_the_engine(
    tmp_path, caplog, engine_time, which
):
    """Bounds 0 to 1.7e308 (accepted: the span is finite): a mutation step past a
    bound overflowed to infinity, a RuntimeWarning at most suggestions (and, where
    warnings are errors, every suggestion after the first few from the fallback). The
    step is clipped to the bound it passed, silently; every suggestion is the engine's,
    finite and within the bounds."""
    params = EXTREME_BOUNDS if which == "all" else [p for p in EXTREME_BOUNDS if p["name"] == which]
    caplog.set_level(logging.INFO, logger="sigopt_like.service.suggestions")
    served: list[dict] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with sigopt_like.Connection(database=tmp_path / "far.db") as conn:
            e = conn.experiments.create(name="far", parameters=params, observation_budget=14)
            for _ in range(14):
                s = conn.experiments(e.id).suggestions().create()
                served.append(dict(s.assignments))
                value = sum(
                    (s.assignments[p["name"]] / 2 - p["bounds"]["min"] / 2)
                    / (p["bounds"]["max"] / 2 - p["bounds"]["min"] / 2)
                    for p in params
                )
                conn.experiments(e.id).observations().create(suggestion=s.id, value=value)
    said = [r.getMessage() for r in caplog.records]
    assert not [m for m in said if "engine failed" in m or "random fallback" in m], said
    for assignments in served:
        for p in params:
            value = assignments[p["name"]]
            assert np.isfinite(value) and p["bounds"]["min"] <= value <= p["bounds"]["max"]


def test_mutation_at_the_float_limit_stays_within_the_bounds_silently():
    from sigopt_like.service.optimizer.sigopt_space import SearchSpace

    space = SearchSpace(EXTREME_BOUNDS)
    codes = np.vstack([space.lo, space.hi, (space.lo + space.hi) / 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        moved = space.mutate(np.repeat(codes, 200, axis=0), np.random.default_rng(3), 2.5)
    assert np.isfinite(moved).all()
    assert (moved >= space.lo).all() and (moved <= space.hi).all()
    assert (moved == space.hi).any() and (moved == space.lo).any()  # steps past a bound


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_assignments_name_the_parameter(api: Api, literal: str):
    """Before: "The request body is not valid JSON: NaN is not valid JSON", naming no
    field: a caller with ten parameters could not tell which one. A 400 ``invalid_json``
    naming the parameter's place (``assignments.n``), in a suggestion, an observation,
    a batch and an update; nothing written."""
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}"
    made = api.post(f"{base}/observations", {"assignments": {"x": 1, "n": 2, "c": "a"}, "value": 1})
    assert made.status == 201, made.body
    point = f'{{"x": 1.5, "n": {literal}, "c": "a"}}'
    cases = [
        ("POST", f"{base}/suggestions", f'{{"assignments": {point}}}', "assignments.n"),
        ("POST", f"{base}/queued_suggestions", f'{{"assignments": {point}}}', "assignments.n"),
        (
            "POST",
            f"{base}/observations",
            f'{{"assignments": {point}, "value": 1}}',
            "assignments.n",
        ),
        (
            "POST",
            f"{base}/observations/batch",
            f'{{"observations": [{{"assignments": {point}, "value": 1}}]}}',
            "observations[0].assignments.n",
        ),
        (
            "PUT",
            f"{base}/observations/{made.body['id']}",
            f'{{"assignments": {point}}}',
            "assignments.n",
        ),
        (
            "POST",
            f"{base}/observations",
            f'{{"assignments": {{"x": 1, "n": 2, "c": "a"}}, "value": {literal}}}',
            "value",
        ),
    ]
    before = api.snapshot()
    tip = "write null where a value is missing" if literal == "NaN" else "write a finite number"
    for method, path, raw, field in cases:
        reply = api.call(method, path, data=raw, headers={"Content-Type": "application/json"})
        assert reply.status == 400 and reply.body["code"] == "invalid_json", reply.body
        assert reply.body["detail"]["field"] == field, reply.body
        assert f"the field '{field}' is {literal}" in reply.body["message"], reply.body
        assert tip in reply.body["message"], reply.body
    assert api.snapshot() == before

"""The pure rules of SigOpt experiments, suggestions and observations."""

from __future__ import annotations

import math

import pytest

from sigopt_like.service.domain import sigopt_rules as rules

from .conftest import PARAMETERS


def canonical() -> list[dict]:
    return rules.parameters(PARAMETERS)


def test_parameters_are_canonical():
    params = canonical()
    assert params[0] == {"name": "x", "type": "double", "bounds": {"min": -5.0, "max": 10.0}}
    assert params[1] == {"name": "n", "type": "int", "bounds": {"min": 0, "max": 15}}
    assert params[2]["categorical_values"] == ["a", "b", "c"]


def test_optional_parameter_fields_are_canonical():
    raw = {
        "name": "x",
        "type": "double",
        "bounds": {"min": 0.001, "max": 1},
        "default_value": 0.5,
        "precision": 3,
        "transformation": "log",
    }
    (param,) = rules.parameters([raw])
    assert param == {**raw, "bounds": {"min": 0.001, "max": 1.0}}
    prior = {"name": "beta", "shape_a": 2, "shape_b": 5, "object": "prior"}
    (param,) = rules.parameters([{**PARAMETERS[0], "prior": prior, "transformation": "none"}])
    assert param["prior"] == {"name": "beta", "shape_a": 2.0, "shape_b": 5.0}
    assert "transformation" not in param


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (None, "parameters"),
        ([], "parameters"),
        ("x", "parameters"),
        ([{"type": "double", "bounds": {"min": 0, "max": 1}}], "parameters[0].name"),
        ([{"name": "", "type": "double", "bounds": {"min": 0, "max": 1}}], "parameters[0].name"),
        ([{"name": "x", "type": "float", "bounds": {"min": 0, "max": 1}}], "parameters[0].type"),
        ([{"name": "x", "type": "double"}], "parameters[0].bounds"),
        ([{"name": "x", "type": "double", "bounds": {"min": 1, "max": 1}}], "parameters[0].bounds"),
        ([{"name": "x", "type": "double", "bounds": {"min": 2, "max": 1}}], "parameters[0].bounds"),
        (
            [{"name": "x", "type": "double", "bounds": {"min": "a", "max": 1}}],
            "parameters[0].bounds.min",
        ),
        ([{"name": "x", "type": "double", "bounds": {"max": 1}}], "parameters[0].bounds.min"),
        (
            [{"name": "n", "type": "int", "bounds": {"min": 0.5, "max": 3}}],
            "parameters[0].bounds.min",
        ),
        (
            [{"name": "n", "type": "int", "bounds": {"min": 0, "max": 3.2}}],
            "parameters[0].bounds.max",
        ),
        ([{"name": "c", "type": "categorical"}], "parameters[0].categorical_values"),
        (
            [{"name": "c", "type": "categorical", "categorical_values": ["a"]}],
            "parameters[0].categorical_values",
        ),
        (
            [{"name": "c", "type": "categorical", "categorical_values": ["a", "a"]}],
            "parameters[0].categorical_values",
        ),
        (
            [{"name": "c", "type": "categorical", "categorical_values": ["a", ""]}],
            "parameters[0].categorical_values[1]",
        ),
        (
            [{"name": "c", "type": "categorical", "categorical_values": ["a", 3]}],
            "parameters[0].categorical_values[1]",
        ),
        (
            [
                {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}},
                {"name": "x", "type": "int", "bounds": {"min": 0, "max": 1}},
            ],
            "parameters[1].name",
        ),
        (
            [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}, "grid": [0, 1]}],
            "parameters[0].bounds",
        ),
    ],
)
def test_bad_parameters_name_the_field(raw, field):
    with pytest.raises(rules.RuleError) as caught:
        rules.parameters(raw)
    assert caught.value.field == field
    assert field in caught.value.message


def test_metrics_default_to_one_unnamed_maximized():
    assert rules.metrics(None) == [
        {"name": None, "objective": "maximize", "strategy": "optimize", "threshold": None}
    ]


def test_legacy_single_metric_is_accepted():
    (metric,) = rules.metrics(None, {"name": "loss", "objective": "minimize"})
    assert metric["name"] == "loss" and metric["objective"] == "minimize"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ([], "metrics"),
        ([{"name": "a", "objective": "max"}], "metrics[0].objective"),
        ([{"name": "a", "strategy": "guess"}], "metrics[0].strategy"),
        ([{"name": "a"}, {"name": "a"}], "metrics[1].name"),
        ([{"name": "a"}, {"objective": "maximize"}], "metrics[1].name"),
        ([{"name": "a", "strategy": "store"}], "metrics"),
    ],
)
def test_bad_metrics_name_the_field(raw, field):
    with pytest.raises(rules.RuleError) as caught:
        rules.metrics(raw)
    assert caught.value.field == field


def test_assignments_are_canonical():
    out = rules.assignments(canonical(), {"x": 1, "n": 3.0, "c": "b"})
    assert out == {"x": 1.0, "n": 3, "c": "b"}
    assert isinstance(out["x"], float) and isinstance(out["n"], int)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"n": 1, "c": "a"}, "assignments.x"),
        ({"x": 1, "n": 1, "c": "a", "y": 2}, "assignments.y"),
        ({"x": 11, "n": 1, "c": "a"}, "assignments.x"),
        ({"x": -5.5, "n": 1, "c": "a"}, "assignments.x"),
        ({"x": 1, "n": 1.5, "c": "a"}, "assignments.n"),
        ({"x": 1, "n": 16, "c": "a"}, "assignments.n"),
        ({"x": 1, "n": 1, "c": "z"}, "assignments.c"),
        ({"x": "1", "n": 1, "c": "a"}, "assignments.x"),
        ({"x": True, "n": 1, "c": "a"}, "assignments.x"),
        ({"x": 1, "n": 1, "c": 1}, "assignments.c"),
    ],
)
def test_bad_assignments_name_the_field(raw, field):
    with pytest.raises(rules.RuleError) as caught:
        rules.assignments(canonical(), raw)
    assert caught.value.field == field
    assert field in caught.value.message


def test_observation_values():
    metric = rules.metrics(None)
    assert rules.observation_values(metric, {"value": 2, "value_stddev": 0.1}) == (
        [{"name": None, "value": 2.0, "value_stddev": 0.1}],
        False,
    )
    assert rules.observation_values(metric, {"failed": True}) == ([], True)
    assert rules.observation_values(metric, {"values": [{"value": 3}]})[0][0]["value"] == 3.0
    two = rules.metrics([{"name": "a"}, {"name": "b", "objective": "minimize"}])
    values, failed = rules.observation_values(
        two, {"values": [{"name": "b", "value": 1}, {"name": "a", "value": 2}]}
    )
    assert [v["name"] for v in values] == ["a", "b"] and not failed


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "value"),
        ({"failed": True, "value": 1}, "value"),
        ({"failed": "yes"}, "failed"),
        ({"value": "high"}, "value"),
        ({"value": 1, "value_stddev": -1}, "value_stddev"),
        ({"value": 1, "values": [{"value": 1}]}, "values"),
        ({"values": [{"name": "other", "value": 1}]}, "values[0].name"),
        ({"values": [{"value": None}]}, "values[0].value"),
    ],
)
def test_bad_observation_values_name_the_field(body, field):
    with pytest.raises(rules.RuleError) as caught:
        rules.observation_values(rules.metrics(None), body)
    assert caught.value.field == field


def test_multimetric_values_need_every_metric():
    two = rules.metrics([{"name": "a"}, {"name": "b"}])
    with pytest.raises(rules.RuleError) as caught:
        rules.observation_values(two, {"values": [{"name": "a", "value": 1}]})
    assert caught.value.field == "values" and '"b"' in caught.value.message
    with pytest.raises(rules.RuleError):
        rules.observation_values(two, {"value": 1})


def test_best_of_one_metric_respects_objective_and_skips_failed():
    definition = {"metrics": rules.metrics([{"name": "down", "objective": "minimize"}])}
    observations = [
        rules.Observed(1, {}, {"down": 5.0}, False),
        rules.Observed(2, {}, {}, True),
        rules.Observed(3, {}, {"down": 0.5}, False),
        rules.Observed(4, {}, {"down": 0.5}, False),
    ]
    assert rules.best_keys(definition, observations) == [3]
    assert rules.best_keys(definition, observations[1:2]) == []


def _two_peaks(x: float) -> float:
    """The issue table's num_solutions surface: narrow peaks at 0.2 and 0.8."""
    return max(math.exp(-((x - 0.2) ** 2) / 0.003), math.exp(-((x - 0.8) ** 2) / 0.003))


def _multisolution_best(xs: list[float]) -> list[float]:
    definition = rules.experiment_create(
        {
            "name": "two",
            "parameters": [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
            "metrics": [{"name": "f"}],
            "num_solutions": 2,
            "observation_budget": len(xs),
        }
    )
    observed = [rules.Observed(i, {"x": x}, {"f": _two_peaks(x)}, False) for i, x in enumerate(xs)]
    return [xs[k] for k in rules.best_keys(definition, observed)]


def test_multisolution_reports_the_best_of_the_other_peak():
    """Seed 4 of the issue table's num_solutions row: both 0.205 (0.99) and 0.18 (0.875)
    sit on the peak at 0.2; 0.18, the good point farthest from the best, was reported."""
    xs = [0.027, 0.998, 0.512, 0.27, 0.762, 0.724, 0.0, 0.811, 0.359, 0.932]
    xs += [0.825, 0.18, 0.801, 0.123, 0.205, 0.608]
    assert _multisolution_best(xs) == [0.801, 0.205]


def test_multisolution_reports_distinct_solutions_not_two_points_of_one_peak():
    """Seed 53's observations (the engine stayed on the peak at 0.8): its best five are
    all on that peak, and the two reported were 0.800 and 0.814, one solution. The best
    distinct point observed, 0.149 (0.42, on the other peak's flank), is the second."""
    xs = [0.536, 0.001, 1.0, 0.268, 0.772, 0.0, 0.628, 0.925, 0.48, 0.793]
    xs += [0.814, 0.149, 0.799, 0.364, 0.8, 0.8]
    assert _multisolution_best(xs) == [0.8, 0.149]


def test_multisolution_reports_k_solutions_when_none_are_distinct():
    """Observations all close together: still k solutions, as far apart as the best
    share allows."""
    assert _multisolution_best([0.5, 0.52, 0.55, 0.58, 0.6, 0.61]) == [0.61, 0.6]


def test_observation_update_body_merges():
    current = [{"name": None, "value": 1.0, "value_stddev": None}]
    assert rules.observation_update_body(current, False, {"value_stddev": 0.5}) == {
        "value": 1.0,
        "value_stddev": 0.5,
    }
    assert rules.observation_update_body(current, False, {"failed": True}) == {"failed": True}
    assert rules.observation_update_body([], True, {"value": 2}) == {"value": 2}


def test_experiment_update_allows_some_fields_only():
    current = {"parameters": canonical(), "metrics": rules.metrics(None), "type": "offline"}
    assert rules.experiment_update({"name": "b", "observation_budget": 3}, current) == {
        "name": "b",
        "observation_budget": 3,
    }
    assert rules.experiment_update({"parameters": PARAMETERS}, current) == {}
    for body, field in [
        ({"parameters": PARAMETERS[:1]}, "parameters"),
        (
            {"parameters": [*PARAMETERS, {"name": "new", "type": "int"}]},
            f"parameters[{len(PARAMETERS)}].default_value",
        ),
        ({"type": "random"}, "type"),
        ({"observation_budget": 0}, "observation_budget"),
        ({"state": "gone"}, "state"),
        ({"metadata": []}, "metadata"),
    ]:
        with pytest.raises(rules.RuleError) as caught:
            rules.experiment_update(body, current)
        assert caught.value.field == field

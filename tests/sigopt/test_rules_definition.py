"""The rules of a whole SigOpt experiment definition: what is kept, what is refused."""

from __future__ import annotations

import pytest

from sigopt_like.service.domain import sigopt_rules as rules

X = {"name": "x", "type": "double", "bounds": {"min": 0, "max": 10}}
N = {"name": "n", "type": "int", "bounds": {"min": 0, "max": 10}}
C = {"name": "c", "type": "categorical", "categorical_values": ["a", "b"]}
CONDITIONALS = [{"name": "model", "values": ["nn", "tree"]}]
DEPTH = {
    "name": "depth",
    "type": "int",
    "bounds": {"min": 1, "max": 5},
    "conditions": {"model": "nn"},
}
LEAF = {
    "name": "leaf",
    "type": "double",
    "bounds": {"min": 0, "max": 1},
    "conditions": {"model": ["tree"]},
}


def create(**fields):
    return rules.experiment_create({"name": "e", "parameters": [X, N], **fields})


def refused(body_fields: dict, field: str, status: int = 422) -> str:
    with pytest.raises(rules.RuleError) as caught:
        create(**body_fields)
    assert (caught.value.field, caught.value.status) == (field, status), caught.value.message
    assert field in caught.value.message
    return caught.value.message


def constraint(kind="less_than", threshold=5.0, *names, weights=None):
    names = names or ("x", "n")
    weights = weights or [1.0] * len(names)
    return {
        "type": kind,
        "threshold": threshold,
        "terms": [{"name": n, "weight": w} for n, w in zip(names, weights, strict=True)],
    }


def test_definition_is_canonical_with_defaults():
    d = create()
    assert d["conditionals"] == [] and d["linear_constraints"] == []
    assert d["num_solutions"] == 1 and d["parallel_bandwidth"] == 1 and d["project"] is None
    assert d["type"] == "offline"


def test_conditionals_and_conditions_are_kept():
    d = create(parameters=[X, DEPTH, LEAF], conditionals=CONDITIONALS)
    assert d["conditionals"] == CONDITIONALS
    assert d["parameters"][1]["conditions"] == {"model": ["nn"]}
    assert d["parameters"][2]["conditions"] == {"model": ["tree"]}


@pytest.mark.parametrize(
    ("fields", "field", "status"),
    [
        ({"parameters": [X, DEPTH]}, "parameters[1].conditions.model", 400),
        ({"parameters": [X], "conditionals": CONDITIONALS}, "conditionals", 422),
        (
            {
                "parameters": [X, {**DEPTH, "conditions": {"model": "svm"}}],
                "conditionals": CONDITIONALS,
            },
            "parameters[1].conditions.model",
            422,
        ),
        ({"parameters": [DEPTH], "conditionals": CONDITIONALS}, "conditionals", 422),
        (
            {"parameters": [X, DEPTH], "conditionals": [{"name": "model", "values": ["nn"]}]},
            "conditionals[0].values",
            422,
        ),
        (
            {
                "parameters": [X, DEPTH],
                "conditionals": [*CONDITIONALS, {"name": "x", "values": ["p", "q"]}],
            },
            "conditionals[1].name",
            422,
        ),
    ],
)
def test_bad_conditionals_are_refused(fields, field, status):
    refused(fields, field, status)


def test_linear_constraints_are_kept():
    d = create(linear_constraints=[constraint("greater_than", 1.0, "x", "n", weights=[1, -1])])
    (c,) = d["linear_constraints"]
    assert c == {
        "type": "greater_than",
        "threshold": 1.0,
        "terms": [{"name": "x", "weight": 1.0}, {"name": "n", "weight": -1.0}],
    }


def test_constraint_naming_an_unknown_parameter_is_400_that_says_so():
    message = refused(
        {"linear_constraints": [constraint("less_than", 3, "x", "ghost")]},
        "linear_constraints[0].terms[1].name",
        400,
    )
    assert '"ghost" is not a parameter' in message


@pytest.mark.parametrize(
    ("params", "constraints", "field"),
    [
        ([X, C], [constraint("less_than", 3, "x", "c")], "linear_constraints[0].terms[1].name"),
        ([X, N], [constraint("less_than", 3, "x")], "linear_constraints[0].terms"),
        ([X, N], [constraint("less_than", 3, "x", "x")], "linear_constraints[0].terms[1].name"),
        (
            [X, {**X, "name": "y", "bounds": {"min": 1, "max": 10}, "transformation": "log"}],
            [constraint("less_than", 3, "x", "y")],
            "linear_constraints[0].terms[1].name",
        ),
        (
            [X, {"name": "g", "type": "double", "grid": [1, 2]}],
            [constraint("less_than", 3, "x", "g")],
            "linear_constraints[0].terms[1].name",
        ),
        (
            [X, {**X, "name": "y"}],
            [constraint("greater_than", 25, "x", "y")],
            "linear_constraints",
        ),
        (
            [N, {**N, "name": "m"}],
            # 2n + 2m = 7 has no integral solution
            [
                constraint("greater_than", 7, "n", "m", weights=[2, 2]),
                constraint("less_than", 7, "n", "m", weights=[2, 2]),
            ],
            "linear_constraints",
        ),
        (
            [X, {**X, "name": "y"}],
            [{**constraint("less_than", 3, "x", "y"), "type": "eq"}],
            "linear_constraints[0].type",
        ),
    ],
)
def test_bad_linear_constraints_are_refused(params, constraints, field):
    refused({"parameters": params, "linear_constraints": constraints}, field)


def test_integral_constraints_that_have_a_solution_are_accepted():
    d = create(
        parameters=[N, {**N, "name": "m"}],
        linear_constraints=[
            constraint("greater_than", 8, "n", "m", weights=[2, 2]),
            constraint("less_than", 8, "n", "m", weights=[2, 2]),
        ],
    )
    assert len(d["linear_constraints"]) == 2


def test_grid_log_prior_precision_default_are_canonical():
    params = [
        {"name": "g", "type": "int", "grid": [8, 2, 4.0]},
        {"name": "lr", "type": "double", "grid": [0.1, 0.001, 0.01], "transformation": "log"},
        {
            "name": "p",
            "type": "double",
            "bounds": {"min": 0, "max": 1},
            "precision": 2,
            "prior": {"name": "normal", "mean": 0.5, "scale": 0.1},
            "default_value": 0.25,
        },
    ]
    g, lr, p = create(parameters=params)["parameters"]
    assert g == {"name": "g", "type": "int", "grid": [2, 4, 8]}
    assert lr["grid"] == [0.001, 0.01, 0.1] and lr["transformation"] == "log"
    assert p["prior"] == {"name": "normal", "mean": 0.5, "scale": 0.1}
    assert p["precision"] == 2 and p["default_value"] == 0.25


@pytest.mark.parametrize(
    ("param", "field"),
    [
        ({"name": "g", "type": "int", "grid": [1, 1.5]}, "parameters[0].grid[1]"),
        ({"name": "g", "type": "int", "grid": [1, 1]}, "parameters[0].grid"),
        ({"name": "g", "type": "int", "grid": [1]}, "parameters[0].grid"),
        ({**C, "grid": [1, 2]}, "parameters[0].grid"),
        ({**C, "bounds": {"min": 0, "max": 1}}, "parameters[0].bounds"),
        (
            {**N, "transformation": "log", "bounds": {"min": 1, "max": 9}},
            "parameters[0].transformation",
        ),
        ({**X, "transformation": "log"}, "parameters[0].transformation"),
        ({**X, "transformation": "sqrt"}, "parameters[0].transformation"),
        (
            {"name": "g", "type": "double", "grid": [0, 1], "transformation": "log"},
            "parameters[0].transformation",
        ),
        ({**N, "prior": {"name": "normal", "mean": 1, "scale": 1}}, "parameters[0].prior"),
        ({**X, "prior": {"name": "normal", "mean": 11, "scale": 1}}, "parameters[0].prior.mean"),
        ({**X, "prior": {"name": "normal", "mean": 1, "scale": 0}}, "parameters[0].prior.scale"),
        (
            {**X, "prior": {"name": "beta", "shape_a": -1, "shape_b": 1}},
            "parameters[0].prior.shape_a",
        ),
        (
            {
                **X,
                "bounds": {"min": 1, "max": 2},
                "transformation": "log",
                "prior": {"name": "beta", "shape_a": 1, "shape_b": 1},
            },
            "parameters[0].prior",
        ),
        ({**X, "precision": 0}, "parameters[0].precision"),
        ({**N, "precision": 2}, "parameters[0].precision"),
        ({**X, "default_value": 11}, "parameters[0].default_value"),
    ],
)
def test_bad_parameter_options_are_refused(param, field):
    refused({"parameters": [param]}, field)


def test_prior_without_its_numbers_is_400():
    refused(
        {"parameters": [{**X, "prior": {"name": "normal", "mean": 1}}]},
        "parameters[0].prior.scale",
        400,
    )


@pytest.mark.parametrize(
    ("metrics", "field"),
    [
        ([{"name": "a", "strategy": "constraint"}], "metrics[0].threshold"),
        ([{"name": "a", "threshold": 1}], "metrics[0].threshold"),
        (
            [{"name": "a"}, {"name": "s", "strategy": "store", "threshold": 1}],
            "metrics[1].threshold",
        ),
        ([{"name": "a"}, {"name": "b"}, {"name": "c"}], "metrics"),
        ([{"name": "s", "strategy": "store"}], "metrics"),
    ],
)
def test_bad_metric_strategies_are_refused(metrics, field):
    refused({"metrics": metrics}, field)


def test_metric_thresholds_and_all_constraint_experiments_are_accepted():
    two = create(metrics=[{"name": "a", "threshold": 1}, {"name": "b", "objective": "minimize"}])
    assert two["metrics"][0]["threshold"] == 1.0
    search = create(metrics=[{"name": "c", "strategy": "constraint", "threshold": 2}])
    assert search["metrics"][0]["strategy"] == "constraint"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"num_solutions": 3, "metrics": [{"name": "a"}, {"name": "b"}]}, "num_solutions"),
        (
            {"num_solutions": 3, "parameters": [X, DEPTH], "conditionals": CONDITIONALS},
            "num_solutions",
        ),
        ({"num_solutions": 3, "observation_budget": 2}, "num_solutions"),
        ({"num_solutions": 0}, "num_solutions"),
        ({"type": "grid"}, "parameters[0]"),
        ({"type": "bayesian"}, "type"),
        ({"tasks": [{"name": "cheap", "cost": 0.1}]}, "tasks"),
        ({"training_monitor": {"max_checkpoints": 3}}, "training_monitor"),
        ({"project": "Not A Project"}, "project"),
    ],
)
def test_bad_experiment_options_are_refused(fields, field):
    refused(fields, field)


def test_unknown_fields_are_400_not_dropped():
    refused({"linear_constriants": []}, "linear_constriants", 400)


def test_grid_search_budget_defaults_to_the_grid_size():
    d = create(
        type="grid",
        parameters=[
            {"name": "g", "type": "double", "grid": [0.5, 1.5]},
            {**N, "bounds": {"min": 0, "max": 2}},
            {**DEPTH, "bounds": {"min": 1, "max": 2}},
            {**C, "conditions": {"model": "tree"}},
        ],
        conditionals=CONDITIONALS,
    )
    # nn: 2 x 3 x 2 depths; tree: 2 x 3 x 2 leaves
    assert d["observation_budget"] == 24
    assert create(type="grid", parameters=[N], observation_budget=11)["observation_budget"] == 11


def test_a_grid_search_budget_must_be_the_grid_size():
    """SigOpt sets a grid search's budget to the grid's size and refuses another ("does
    not match the computed budget"); a budget of 5 on an 11-point grid was taken. The
    size counts conditionals and the linear constraints' feasible points; an AI
    experiment names its budget ``budget``."""
    small = {"min": 0, "max": 3}
    two = [{**N, "bounds": small}, {**N, "name": "m", "bounds": small}]
    cases = [
        ({"parameters": [N], "observation_budget": 5}, "observation_budget", "11 points"),
        (
            {
                "parameters": two,
                "linear_constraints": [constraint("less_than", 2, "n", "m")],
                "observation_budget": 16,
            },
            "observation_budget",
            "6 points that satisfy",
        ),
    ]
    for body, field, said in cases:
        with pytest.raises(rules.RuleError) as caught:
            create(type="grid", **body)
        assert caught.value.field == field and said in caught.value.message, caught.value.message
    with pytest.raises(rules.RuleError) as caught:
        rules.experiment_create(
            {"name": "g", "type": "grid", "parameters": [N], "budget": 12}, budget_field="budget"
        )
    assert caught.value.field == "budget" and "11 points" in caught.value.message
    fitted = create(
        type="grid",
        parameters=two,
        linear_constraints=[constraint("less_than", 2, "n", "m")],
        observation_budget=6,
    )
    assert fitted["observation_budget"] == 6


def test_project_and_echoed_read_only_fields_are_accepted():
    d = create(project="my-proj_1.0", object="experiment")
    assert d["project"] == "my-proj_1.0"


def test_assignments_follow_conditionals_and_defaults():
    params = rules.parameters(
        [{**X, "default_value": 2.5}, DEPTH, LEAF], rules.conditionals(CONDITIONALS)
    )
    conds = CONDITIONALS
    assert rules.assignments(params, {"model": "nn", "depth": 3}, conditionals=conds) == {
        "x": 2.5,
        "depth": 3,
        "model": "nn",
    }
    for raw, field in [
        ({"x": 1, "depth": 3}, "assignments.model"),
        ({"x": 1, "model": "svm", "depth": 3}, "assignments.model"),
        ({"x": 1, "model": "nn", "depth": 3, "leaf": 0.5}, "assignments.leaf"),
        ({"x": 1, "model": "tree"}, "assignments.leaf"),
    ]:
        with pytest.raises(rules.RuleError) as caught:
            rules.assignments(params, raw, conditionals=conds)
        assert caught.value.field == field, caught.value.message


def test_grid_assignments_must_be_grid_values():
    (g,) = rules.parameters([{"name": "g", "type": "double", "grid": [0.1, 0.2]}])
    assert rules.assignments([g], {"g": 0.2}) == {"g": 0.2}
    with pytest.raises(rules.RuleError) as caught:
        rules.assignments([g], {"g": 0.15})
    assert "grid values" in caught.value.message


def test_experiment_update_keeps_the_definition():
    d = create(
        linear_constraints=[constraint("less_than", 12, "x", "n")], project="p", num_solutions=2
    )
    assert rules.experiment_update(
        {"parallel_bandwidth": 3, "linear_constraints": d["linear_constraints"]}, d
    ) == {"parallel_bandwidth": 3}
    for body, field in [
        ({"linear_constraints": []}, "linear_constraints"),
        ({"num_solutions": 3}, "num_solutions"),
        ({"project": "q"}, "project"),
        ({"conditionals": CONDITIONALS}, "conditionals"),
    ]:
        with pytest.raises(rules.RuleError) as caught:
            rules.experiment_update(body, d)
        assert caught.value.field == field

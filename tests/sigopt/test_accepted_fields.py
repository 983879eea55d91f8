"""Every field an experiment create accepts, at every level (experiment, parameter,
bounds, prior, categorical value, conditional, metric, linear constraint, term), is
honoured: each has a check below that would fail if the field were stored and
ignored. The list of fields comes from the rules themselves, so a field added there
without a check here fails ``test_every_accepted_field_has_a_check``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sigopt_like.service.domain import (
    sigopt_constraints,
    sigopt_metrics,
    sigopt_parameters,
    sigopt_tasks,
)
from sigopt_like.service.domain import sigopt_rules as rules
from sigopt_like.service.optimizer import sequential, sequential_choice

from .conftest import Api

UNIT = {"type": "double", "bounds": {"min": 0, "max": 1}}
X = {"name": "x", **UNIT}
Y = {"name": "y", **UNIT}


@pytest.fixture
def api(service) -> Api:
    """Embedded only: the served path of each option is in test_issue_table.py."""
    return Api(service)


def create(api: Api, **fields: Any) -> dict[str, Any]:
    """An experiment; seeded (3 unless given) so that each check sees the same suggestions
    every run: unseeded, the beta-prior check failed once in a CI rehearsal (3 of 5 below 0.3)."""
    body = {"name": "walk", "parameters": [X], "seed": 3, **fields}
    if "metric" not in fields:
        body.setdefault("metrics", [{"name": "v"}])
    reply = api.post("/v1/experiments", body)
    assert reply.status == 201, reply.body
    return reply.body


def loop(
    api: Api, e: dict, steps: int, evaluate: Callable[[dict], list[dict] | None]
) -> list[dict]:
    """``steps`` suggestions, each reported (``evaluate`` None: a failed observation)."""
    out = []
    for _ in range(steps):
        s = api.post(f"/v1/experiments/{e['id']}/suggestions", {})
        assert s.status == 201, s.body
        a = s.body["assignments"]
        out.append(a)
        values = evaluate(a)
        body = {"suggestion": s.body["id"]}
        body.update({"failed": True} if values is None else {"values": values})
        reply = api.post(f"/v1/experiments/{e['id']}/observations", body)
        assert reply.status == 201, reply.body
    return out


def best(api: Api, e: dict) -> list[dict]:
    return api.get(f"/v1/experiments/{e['id']}/best_assignments").body["data"]


def f(**named: float) -> list[dict]:
    return [{"name": k, "value": v} for k, v in named.items()]


# ---------------------------------------------------------------- experiment


def check_name(api: Api) -> None:
    e = create(api, name="a walk")
    assert api.get(f"/v1/experiments/{e['id']}").body["name"] == "a walk"
    found = api.get("/v1/experiments", search="a walk").body["data"]
    assert [x["id"] for x in found] == [e["id"]]


def check_type(api: Api) -> None:
    grid = [
        {"name": "g", "type": "double", "grid": [1, 2]},
        {"name": "n", "type": "int", "grid": [0, 5]},
    ]
    e = create(api, type="grid", parameters=grid)
    assert e["observation_budget"] == 4
    walked = loop(api, e, 4, lambda a: f(v=1.0))
    assert {(a["g"], a["n"]) for a in walked} == {(1, 0), (1, 5), (2, 0), (2, 5)}
    # random: a flat metric and a monotone one give the same spread-out draws
    r = create(api, type="random", seed=5)
    drawn = loop(api, r, 12, lambda a: f(v=a["x"]))
    assert sum(a["x"] < 0.5 for a in drawn) >= 3, drawn


def check_parameters(api: Api) -> None:
    e = create(api, parameters=[X, {"name": "n", "type": "int", "bounds": {"min": 3, "max": 4}}])
    for a in loop(api, e, 4, lambda a: f(v=a["x"])):
        assert set(a) == {"x", "n"} and a["n"] in (3, 4)


def check_metrics(api: Api) -> None:
    e = create(api, metrics=[{"name": "loss", "objective": "minimize"}])
    seen = loop(api, e, 6, lambda a: f(loss=a["x"]))
    (top,) = best(api, e)
    assert top["assignments"]["x"] == min(a["x"] for a in seen)
    wrong = api.post(
        f"/v1/experiments/{e['id']}/observations", {"assignments": {"x": 0.5}, "values": f(acc=1.0)}
    )
    assert 400 <= wrong.status < 500 and "loss" in wrong.body["message"]


def check_metric(api: Api) -> None:
    e = create(api, metric={"name": "loss", "objective": "minimize"})
    assert [m["name"] for m in e["metrics"]] == ["loss"]
    seen = loop(api, e, 6, lambda a: f(loss=a["x"]))
    assert best(api, e)[0]["assignments"]["x"] == min(a["x"] for a in seen)


def check_conditionals(api: Api) -> None:
    e = create(
        api,
        parameters=[
            X,
            {
                "name": "depth",
                "type": "int",
                "bounds": {"min": 1, "max": 3},
                "conditions": {"model": "tree"},
            },
        ],
        conditionals=[{"name": "model", "values": ["tree", {"name": "linear"}]}],
    )
    seen = loop(api, e, 8, lambda a: f(v=a["x"]))
    assert {a["model"] for a in seen} == {"tree", "linear"}
    assert all(("depth" in a) == (a["model"] == "tree") for a in seen)


def check_linear_constraints(api: Api) -> None:
    less = create(
        api,
        parameters=[X, Y],
        linear_constraints=[
            {
                "type": "less_than",
                "threshold": 0.5,
                "terms": [{"name": "x", "weight": 1}, {"name": "y", "weight": 1}],
            }
        ],
    )
    assert all(a["x"] + a["y"] <= 0.5 + 1e-9 for a in loop(api, less, 8, lambda a: f(v=a["x"])))
    more = create(
        api,
        parameters=[X, Y],
        linear_constraints=[
            {
                "type": "greater_than",
                "threshold": 1.6,
                "terms": [{"name": "x", "weight": 2}, {"name": "y", "weight": 1}],
            }
        ],
    )
    assert all(2 * a["x"] + a["y"] >= 1.6 - 1e-9 for a in loop(api, more, 8, lambda a: f(v=a["y"])))


def check_num_solutions(api: Api) -> None:
    one = create(api, observation_budget=8)
    loop(api, one, 6, lambda a: f(v=a["x"]))
    assert len(best(api, one)) == 1
    two = create(api, num_solutions=2, observation_budget=8)
    loop(api, two, 6, lambda a: f(v=a["x"]))
    assert len(best(api, two)) == 2


def _budget_reaches_the_engine(api: Api, e: dict, n: int) -> None:
    record = api.get(f"/v1/experiments/{e['id']}").body
    assert record["observation_budget"] == n
    problem = sequential.Problem.from_definition(
        rules.experiment_create({"name": "b", "parameters": [X], "observation_budget": n})
    )
    assert problem.observation_budget == n
    # the last quarter of the budget only refines: no exploring suggestions there
    objective = [0.1, 0.5, 0.4, 0.3]
    feasible = [True] * 4
    import numpy as np

    assert sequential_choice.explore_share(np.array(objective), np.array(feasible), 1, 1) == 0
    assert sequential_choice.explore_share(np.array(objective), np.array(feasible), 1, None) > 0


def check_observation_budget(api: Api) -> None:
    _budget_reaches_the_engine(api, create(api, observation_budget=9), 9)


def check_budget(api: Api) -> None:
    """``budget`` is an AI experiment's budget, honoured there; a v1 experiment refuses it
    (SigOpt: "budget is not a valid field"), and an AI experiment ``observation_budget``."""
    client = api.get("/v1/tokens/self").body["client"]
    path = f"/v1/clients/{client}/projects/walk/aiexperiments"
    body = {"name": "ai", "parameters": [X], "metrics": [{"name": "v"}]}
    before = api.snapshot()
    for route, fields, wrong in [
        ("/v1/experiments", {"budget": 7}, "budget"),
        ("/v1/experiments", {"observation_budget": 7, "budget": None}, "budget"),
        (path, {"observation_budget": 3}, "observation_budget"),
        (path, {"budget": 3, "observation_budget": 3}, "observation_budget"),
    ]:
        reply = api.post(route, {**body, **fields})
        assert reply.status == 400 and reply.body["detail"]["field"] == wrong, reply.body
    assert api.snapshot() == before
    ai = api.post(path, {**body, "budget": 3})
    assert ai.status == 201, ai.body
    assert ai.body["budget"] == 3 and ai.body["progress"]["remaining_budget"] == 3.0


def check_parallel_bandwidth(api: Api) -> None:
    # f grows with x: once the model takes over it suggests large x; with ten workers
    # the first ten points are a space-filling design
    def first_ten(**fields: Any) -> int:
        e = create(api, seed=3, **fields)
        return sum(a["x"] < 0.5 for a in loop(api, e, 10, lambda a: f(v=a["x"])))

    assert first_ten(parallel_bandwidth=10) >= 4
    assert first_ten() <= 3
    e = create(
        api,
        parameters=[{"name": "n", "type": "int", "bounds": {"min": 0, "max": 2}}],
        parallel_bandwidth=3,
    )
    open_ = [
        api.post(f"/v1/experiments/{e['id']}/suggestions", {}).body["assignments"]["n"]
        for _ in range(3)
    ]
    assert sorted(open_) == [0, 1, 2]  # open suggestions are considered


def check_metadata(api: Api) -> None:
    e = create(api, metadata={"owner": "walk", "n": 3})
    assert api.get(f"/v1/experiments/{e['id']}").body["metadata"] == {"owner": "walk", "n": 3}


def check_seed(api: Api) -> None:
    def first(seed: int) -> list[dict]:
        return loop(api, create(api, seed=seed), 3, lambda a: f(v=a["x"]))

    assert first(11) == first(11)
    assert first(11) != first(12)


def check_project(api: Api) -> None:
    e = create(api, project="walk-project")
    assert e["project"] == "walk-project"
    client = api.get("/v1/tokens/self").body["client"]
    listed = api.get(f"/v1/clients/{client}/projects/walk-project/experiments").body["data"]
    assert [x["id"] for x in listed] == [e["id"]]


# ---------------------------------------------------------------- parameter


def check_parameter_name_and_type(api: Api) -> None:
    e = create(
        api,
        parameters=[
            {"name": "whole", "type": "int", "bounds": {"min": 0, "max": 9}},
            {"name": "kind", "type": "categorical", "categorical_values": ["p", {"name": "q"}]},
        ],
    )
    for a in loop(api, e, 6, lambda a: f(v=a["whole"])):
        assert set(a) == {"whole", "kind"} and isinstance(a["whole"], int) and a["kind"] in "pq"


def check_bounds(api: Api) -> None:
    e = create(api, parameters=[{"name": "x", "type": "double", "bounds": {"min": 2, "max": 3}}])
    assert all(2 <= a["x"] <= 3 for a in loop(api, e, 6, lambda a: f(v=a["x"])))


def check_grid(api: Api) -> None:
    e = create(api, parameters=[{"name": "x", "type": "double", "grid": [0.1, 0.7, 0.9]}])
    assert all(a["x"] in (0.1, 0.7, 0.9) for a in loop(api, e, 5, lambda a: f(v=a["x"])))


def check_categorical_values(api: Api) -> None:
    values = [{"name": "red", "enum_index": 1}, {"name": "blue", "enum_index": 2}, "green"]
    e = create(api, parameters=[{"name": "c", "type": "categorical", "categorical_values": values}])
    seen = loop(api, e, 6, lambda a: f(v=float(a["c"] == "blue")))
    assert {a["c"] for a in seen} == {"red", "blue", "green"}
    wrong = [{"name": "red", "enum_index": 2}, "blue"]
    reply = api.post(
        "/v1/experiments",
        {
            "name": "w",
            "parameters": [{"name": "c", "type": "categorical", "categorical_values": wrong}],
        },
    )
    assert reply.status == 422
    assert reply.body["detail"]["field"] == "parameters[0].categorical_values[0].enum_index"


def check_transformation(api: Api) -> None:
    lr = {
        "name": "lr",
        "type": "double",
        "bounds": {"min": 1e-5, "max": 1},
        "transformation": "log",
    }
    e = create(api, parameters=[lr])
    seen = loop(api, e, 12, lambda a: f(v=1.0))
    assert sum(a["lr"] < 0.01 for a in seen) >= 5  # uniform: 1 in 100 below 0.01


def check_normal_prior(api: Api) -> None:
    p = {"name": "p", **UNIT, "prior": {"name": "normal", "mean": 0.8, "scale": 0.05}}
    e = create(api, parameters=[p, Y])
    seen = loop(api, e, 5, lambda a: f(v=a["y"]))
    assert sum(0.65 <= a["p"] <= 0.95 for a in seen) >= 4, seen


def check_beta_prior(api: Api) -> None:
    q = {"name": "q", **UNIT, "prior": {"name": "beta", "shape_a": 2, "shape_b": 20}}
    e = create(api, parameters=[q, Y])
    seen = loop(api, e, 5, lambda a: f(v=a["y"]))
    assert sum(a["q"] < 0.3 for a in seen) >= 4, seen


def check_precision(api: Api) -> None:
    e = create(api, parameters=[{**X, "precision": 2}])
    for a in loop(api, e, 6, lambda a: f(v=a["x"])):
        assert a["x"] == round(a["x"], 2)  # two decimal places


def check_default_value(api: Api) -> None:
    e = create(api, parameters=[X, {**Y, "default_value": 0.25}])
    reply = api.post(
        f"/v1/experiments/{e['id']}/observations", {"assignments": {"x": 0.5}, "values": f(v=1.0)}
    )
    assert reply.status == 201, reply.body
    assert reply.body["assignments"] == {"x": 0.5, "y": 0.25}


# ---------------------------------------------------------------- metric


def check_metric_strategy_threshold(api: Api) -> None:
    e = create(
        api,
        parameters=[X, Y],
        metrics=[
            {"name": "gain"},
            {"name": "cost", "objective": "minimize", "strategy": "constraint", "threshold": 0.8},
            {"name": "note", "strategy": "store"},
        ],
    )
    seen = loop(
        api, e, 12, lambda a: f(gain=a["x"] + 1.5 * a["y"], cost=a["x"] + a["y"], note=-a["x"])
    )
    (top,) = best(api, e)
    values = {v["name"]: v["value"] for v in top["values"]}
    feasible = [a["x"] + 1.5 * a["y"] for a in seen if a["x"] + a["y"] <= 0.8]
    assert values["cost"] <= 0.8 and values["gain"] == pytest.approx(max(feasible))


def check_pareto_threshold(api: Api) -> None:
    e = create(api, metrics=[{"name": "a", "threshold": 0.5}, {"name": "b"}], observation_budget=8)
    loop(api, e, 8, lambda a: f(a=a["x"], b=1 - a["x"]))
    front = best(api, e)
    assert front and all(v["value"] >= 0.5 for b in front for v in b["values"] if v["name"] == "a")


# ---------------------------------------------------------------- tasks


def check_tasks(api: Api) -> None:
    """Each suggestion has one of the tasks (its cost as given), the budget is spent in
    cost units, and the best is of the task of cost 1 (a cheap one scores higher)."""
    tasks = [{"name": "full", "cost": 1}, {"name": "cheap", "cost": 0.2}]
    e = create(api, parameters=[X], tasks=tasks, observation_budget=4)
    base = f"/v1/experiments/{e['id']}"
    seen = []
    for _ in range(6):
        s = api.post(f"{base}/suggestions", {}).body
        task = s["task"]["name"]
        assert s["task"]["cost"] == {"full": 1.0, "cheap": 0.2}[task]
        v = s["assignments"]["x"] + (10 if task == "cheap" else 0)
        seen.append((task, v))
        api.post(f"{base}/observations", {"suggestion": s["id"], "values": f(v=v)})
    spent = sum(1.0 if t == "full" else 0.2 for t, _ in seen)
    assert api.get(base).body["progress"]["observation_budget_consumed"] == pytest.approx(spent)
    fulls = [v for t, v in seen if t == "full"]
    top = best(api, e)
    assert [b["values"][0]["value"] for b in top] == ([max(fulls)] if fulls else [])


# ---------------------------------------------------------------- the walk

HONOURED: dict[str, Callable[[Api], None]] = {
    "experiment.name": check_name,
    "experiment.type": check_type,
    "experiment.parameters": check_parameters,
    "experiment.metrics": check_metrics,
    "experiment.metric": check_metric,
    "experiment.conditionals": check_conditionals,
    "experiment.linear_constraints": check_linear_constraints,
    "experiment.num_solutions": check_num_solutions,
    "experiment.observation_budget": check_observation_budget,
    "experiment.budget": check_budget,
    "experiment.parallel_bandwidth": check_parallel_bandwidth,
    "experiment.metadata": check_metadata,
    "experiment.seed": check_seed,
    "experiment.project": check_project,
    "experiment.tasks": check_tasks,
    "task.name": check_tasks,
    "task.cost": check_tasks,
    "parameter.name": check_parameter_name_and_type,
    "parameter.type": check_parameter_name_and_type,
    "parameter.bounds": check_bounds,
    "parameter.grid": check_grid,
    "parameter.categorical_values": check_categorical_values,
    "parameter.transformation": check_transformation,
    "parameter.prior": check_normal_prior,
    "parameter.precision": check_precision,
    "parameter.conditions": check_conditionals,
    "parameter.default_value": check_default_value,
    "bounds.min": check_bounds,
    "bounds.max": check_bounds,
    "prior.name": check_beta_prior,
    "prior.mean": check_normal_prior,
    "prior.scale": check_normal_prior,
    "prior.shape_a": check_beta_prior,
    "prior.shape_b": check_beta_prior,
    "categorical_value.name": check_categorical_values,
    "categorical_value.enum_index": check_categorical_values,
    "conditional.name": check_conditionals,
    "conditional.values": check_conditionals,
    "conditional_value.name": check_conditionals,
    "metric.name": check_metrics,
    "metric.objective": check_metrics,
    "metric.strategy": check_metric_strategy_threshold,
    "metric.threshold": check_pareto_threshold,
    "linear_constraint.type": check_linear_constraints,
    "linear_constraint.threshold": check_linear_constraints,
    "linear_constraint.terms": check_linear_constraints,
    "constraint_term.name": check_linear_constraints,
    "constraint_term.weight": check_linear_constraints,
}


def accepted() -> set[str]:
    """Every field the rules accept in a create, as ``level.field``."""
    p = sigopt_parameters
    levels = {
        "experiment": rules.CREATE_FIELDS,
        "parameter": p.PARAMETER_FIELDS,
        "bounds": p.BOUNDS_FIELDS,
        "prior": ("name", *(k for keys in p.PRIOR_FIELDS.values() for k in keys)),
        "categorical_value": p.CATEGORICAL_VALUE_FIELDS,
        "conditional": p.CONDITIONAL_FIELDS,
        "conditional_value": p.CONDITIONAL_VALUE_FIELDS,
        "metric": sigopt_metrics.METRIC_FIELDS,
        "linear_constraint": sigopt_constraints.CONSTRAINT_FIELDS,
        "constraint_term": sigopt_constraints.TERM_FIELDS,
        "task": sigopt_tasks.TASK_FIELDS,
    }
    return {f"{level}.{key}" for level, keys in levels.items() for key in keys}


def test_every_accepted_field_has_a_check():
    assert accepted() == set(HONOURED)


#: checks that hold for the engine's suggestions, not for the random fallback that answers
#: when a loaded machine runs out of the engine's time budget. With that budget at 0 for
#: every suggestion the priors' checks fail (the fallback draws uniformly: 1 and 2 of 5 in
#: the prior's bulk, 4 needed) and the bandwidth's (without a bandwidth, 7 of 10 below
#: 0.5, 3 at most); at 0 for every second or third suggestion, the seed's too (a seed
#: repeats the engine's points, and a fallback's differ from them)
ENGINE_CHECKS = {check_beta_prior, check_normal_prior, check_parallel_bandwidth, check_seed}


@pytest.mark.parametrize(
    "check", sorted(set(HONOURED.values()), key=lambda c: c.__name__), ids=lambda c: c.__name__
)
def test_accepted_field_is_honoured(
    api: Api, check: Callable[[Api], None], request: pytest.FixtureRequest
):
    if check in ENGINE_CHECKS:
        request.getfixturevalue("engine_time")
    check(api)


UNKNOWN = [
    ({"paramaters": [X]}, "paramaters"),
    ({"id": "7"}, "id"),
    ({"state": "deleted"}, "state"),
    ({"development": True}, "development"),
    ({"parameters": [{**X, "transfomation": "log"}]}, "parameters[0].transfomation"),
    (
        {"parameters": [{**X, "bounds": {"min": 0, "max": 1, "step": 0.1}}]},
        "parameters[0].bounds.step",
    ),
    (
        {"parameters": [{**X, "prior": {"name": "normal", "mean": 0.5, "scale": 0.1, "sd": 1}}]},
        "parameters[0].prior.sd",
    ),
    (
        {
            "parameters": [
                {
                    "name": "c",
                    "type": "categorical",
                    "categorical_values": [{"name": "a", "weight": 2}, "b"],
                }
            ]
        },
        "parameters[0].categorical_values[0].weight",
    ),
    ({"metrics": [{"name": "m", "objectve": "minimize"}]}, "metrics[0].objectve"),
    ({"metric": {"name": "m"}, "metrics": [{"name": "m"}]}, "metric"),
    (
        {
            "parameters": [X, Y],
            "linear_constraints": [
                {
                    "type": "less_than",
                    "threshold": 1,
                    "terms": [{"name": "x", "weight": 1}, {"name": "y", "weight": 1}],
                    "strict": True,
                }
            ],
        },
        "linear_constraints[0].strict",
    ),
    (
        {
            "parameters": [X, Y],
            "linear_constraints": [
                {
                    "type": "less_than",
                    "threshold": 1,
                    "terms": [{"name": "x", "weight": 1, "power": 2}, {"name": "y", "weight": 1}],
                }
            ],
        },
        "linear_constraints[0].terms[0].power",
    ),
    (
        {
            "parameters": [{**X, "conditions": {"m": "a"}}, Y],
            "conditionals": [{"name": "m", "values": ["a", "b"], "default": "a"}],
        },
        "conditionals[0].default",
    ),
    ({"parameters": [{**X, "object": "metric"}]}, "parameters[0].object"),
]


@pytest.mark.parametrize(("fields", "field"), UNKNOWN, ids=[f for _, f in UNKNOWN])
def test_a_field_the_service_would_ignore_is_400_naming_it(api: Api, fields, field):
    before = api.snapshot()
    reply = api.post("/v1/experiments", {"name": "walk", "parameters": [X], **fields})
    assert reply.status == 400, reply.body
    assert reply.body["detail"]["field"] == field and field in reply.body["message"]
    assert api.snapshot() == before


def test_an_experiment_fetched_can_be_created_again_from_its_parts(api: Api):
    """What the service renders for a parameter, a metric, a conditional and a linear
    constraint (``object`` and nulls included) is accepted back as it is."""
    e = create(
        api,
        parameters=[
            {**X, "prior": {"name": "normal", "mean": 0.5, "scale": 0.2}},
            {**Y, "conditions": {"m": "a"}},
            {"name": "c", "type": "categorical", "categorical_values": ["p", "q"]},
            {"name": "n", "type": "int", "bounds": {"min": 0, "max": 5}},
        ],
        conditionals=[{"name": "m", "values": ["a", "b"]}],
        metrics=[{"name": "v", "objective": "minimize"}],
        linear_constraints=[
            {
                "type": "less_than",
                "threshold": 9,
                "terms": [{"name": "x", "weight": 1}, {"name": "n", "weight": 1}],
            }
        ],
    )
    parts = {
        k: e[k] for k in ("name", "parameters", "metrics", "conditionals", "linear_constraints")
    }
    again = api.post("/v1/experiments", {**parts, "object": "experiment"})
    assert again.status == 201, again.body
    assert {k: again.body[k] for k in parts} == parts


def test_an_update_refuses_fields_it_would_ignore(api: Api):
    e = create(api)
    before = api.snapshot()
    for body, field, status in [
        ({"observaton_budget": 3}, "observaton_budget", 400),
        ({"id": "9"}, "id", 400),
        ({"seed": 4}, "seed", 422),
        ({"metric": {"name": "m"}}, "metric", 422),
    ]:
        reply = api.put(f"/v1/experiments/{e['id']}", body)
        assert reply.status == status and reply.body["detail"]["field"] == field, reply.body
    assert api.snapshot() == before
    same = api.put(
        f"/v1/experiments/{e['id']}", {"parameters": e["parameters"], "state": "deleted"}
    )
    assert same.status == 200 and same.body["state"] == "deleted"


@pytest.mark.parametrize("kind", ["offline", "random", "grid"])
def test_precision_on_a_grid_holds_or_is_refused(api: Api, kind: str):
    """``precision`` rounds a bounded double's suggestions; a grid parameter's are its
    grid values as given, so ``grid: [0.123, 0.456, 0.789]`` with ``precision: 1`` was
    created and served 0.123 (the precision stored and ignored). A grid whose values
    have at most that many decimals is taken, and its suggestions hold the precision."""
    off = {"name": "x", "type": "double", "grid": [0.123, 0.456, 0.789], "precision": 1}
    before = api.snapshot()
    body = {"name": "g", "type": kind, "parameters": [off], "metrics": [{"name": "v"}]}
    reply = api.post("/v1/experiments", body)
    assert reply.status == 422, reply.body
    assert reply.body["detail"]["field"] == "parameters[0].precision", reply.body
    assert "0.123" in reply.body["message"] and "grid" in reply.body["message"]
    assert api.snapshot() == before
    e = create(api, type=kind, parameters=[{**off, "grid": [0.1, 0.4, 0.7]}])
    seen = loop(api, e, 3, lambda a: f(v=a["x"]))
    assert sorted(a["x"] for a in seen) == [0.1, 0.4, 0.7]
    # an update's new grid is held to the precision too, nothing changed
    before = api.snapshot()
    grid = {"parameters": [{"name": "x", "grid": [0.1, 0.45]}]}
    reply = api.put(f"/v1/experiments/{e['id']}", grid)
    assert reply.status == 422, reply.body
    assert reply.body["detail"]["field"] == "parameters[0].precision", reply.body
    assert api.snapshot() == before


def test_an_update_takes_the_budget_by_its_kinds_name_only(api: Api):
    """An update took both ``budget`` and ``observation_budget`` for any experiment; as in
    SigOpt's update handler, a v1 experiment refuses ``budget`` and an AI experiment
    ``observation_budget`` (at either route): a 400 naming it, nothing changed."""
    e = create(api, observation_budget=10)
    client = api.get("/v1/tokens/self").body["client"]
    ai = api.post(
        f"/v1/clients/{client}/projects/walk/aiexperiments",
        {"name": "ai", "parameters": [X], "metrics": [{"name": "v"}], "budget": 3},
    ).body
    before = api.snapshot()
    for path, body, wrong in [
        (f"/v1/experiments/{e['id']}", {"budget": 4}, "budget"),
        (f"/v1/experiments/{e['id']}", {"budget": 6, "observation_budget": 6}, "budget"),
        (f"/v1/aiexperiments/{ai['id']}", {"observation_budget": 4}, "observation_budget"),
        (f"/v1/experiments/{ai['id']}", {"observation_budget": 4}, "observation_budget"),
    ]:
        reply = api.put(path, body)
        assert reply.status == 400 and reply.body["detail"]["field"] == wrong, reply.body
    assert api.snapshot() == before
    taken = api.put(f"/v1/experiments/{e['id']}", {"observation_budget": 6})
    assert taken.body["observation_budget"] == 6, taken.body
    assert api.put(f"/v1/aiexperiments/{ai['id']}", {"budget": 5}).body["budget"] == 5
    assert api.put(f"/v1/experiments/{ai['id']}", {"budget": 4}).status == 200
    assert api.get(f"/v1/aiexperiments/{ai['id']}").body["budget"] == 4


def test_a_grid_search_takes_only_its_size_as_budget(api: Api):
    """A budget of 2 on a grid of 3 points was taken; SigOpt refuses a budget that is not
    the grid's size. A 422 naming it, nothing stored; the size itself is taken."""
    grid = {"type": "grid", "parameters": [{"name": "g", "type": "int", "grid": [1, 2, 3]}]}
    before = api.snapshot()
    reply = api.post("/v1/experiments", {"name": "g", **grid, "observation_budget": 2})
    assert reply.status == 422 and reply.body["detail"]["field"] == "observation_budget"
    assert "3 points" in reply.body["message"], reply.body
    assert api.snapshot() == before
    assert create(api, **grid, observation_budget=3)["observation_budget"] == 3


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"type": "grid", "parameters": [{"name": "g", "type": "int", "grid": [1, 2, 3]}]}, "grid"),
        (
            {
                "metrics": [{"name": "a"}, {"name": "b"}],
                "observation_budget": 20,
            },
            "more than one optimized metric",
        ),
        ({"num_solutions": 2, "observation_budget": 20}, "more than one solution"),
    ],
    ids=["grid", "multimetric", "multisolution"],
)
def test_a_budget_sigopt_fixes_cannot_be_updated(api: Api, fields: dict, why: str):
    """SigOpt's update refuses a budget change of a grid search (the grid sets it), of an
    experiment with several optimized metrics and of one with several solutions; it was
    taken here (a grid of 3 points got a budget of 50, a multimetric one lost its budget).
    A 422 naming the budget, nothing changed; the same value sent back is taken, and so
    is null, which SigOpt's update reads as no change."""
    e = create(api, **fields)
    path = f"/v1/experiments/{e['id']}"
    before = api.snapshot()
    reply = api.put(path, {"observation_budget": 50})
    assert reply.status == 422, reply.body
    assert reply.body["detail"]["field"] == "observation_budget", reply.body
    assert why in reply.body["message"], reply.body
    assert api.snapshot() == before
    kept = api.put(path, {"observation_budget": None})
    assert kept.status == 200 and kept.body["observation_budget"] == e["observation_budget"]
    same = api.put(path, {"observation_budget": e["observation_budget"], "name": "kept"})
    assert same.status == 200 and same.body["observation_budget"] == e["observation_budget"]
    assert same.body["name"] == "kept"


def test_a_grid_budget_update_says_the_grid_sets_it_not_set_once(api: Api):
    """A grid's budget change was refused with "(an experiment made without one may set it
    once)", which a grid never may: the 422 says the budget is the grid's size, and that."""
    grid = {"type": "grid", "parameters": [{"name": "g", "type": "int", "grid": [1, 2, 3]}]}
    path = f"/v1/experiments/{create(api, **grid)['id']}"
    before = api.snapshot()
    reply = api.put(path, {"observation_budget": 4})
    assert reply.status == 422 and reply.body["detail"]["field"] == "observation_budget"
    message = reply.body["message"]
    assert "grid's size (3 points)" in message and "set it once" not in message, message
    assert api.snapshot() == before


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"metrics": [{"name": "a"}, {"name": "b"}]}, "more than one optimized metric"),
        ({"num_solutions": 3}, "more than one solution"),
    ],
    ids=["multimetric", "multisolution"],
)
def test_a_budget_sigopt_fixes_may_be_set_once_when_created_without(
    api: Api, fields: dict, why: str
):
    """SigOpt requires these budgets at create; here they are optional, and an update
    refused every budget, so an experiment made without one could never get one. It may
    set one once (several solutions: not fewer than them); after that the budget is fixed."""
    e = create(api, **fields)
    assert e["observation_budget"] is None
    path = f"/v1/experiments/{e['id']}"
    if "num_solutions" in fields:
        before = api.snapshot()
        reply = api.put(path, {"observation_budget": 2})
        assert reply.status == 422 and "num_solutions" in reply.body["message"], reply.body
        assert api.snapshot() == before
    set_once = api.put(path, {"observation_budget": 30})
    assert set_once.status == 200 and set_once.body["observation_budget"] == 30, set_once.body
    assert api.get(path).body["observation_budget"] == 30
    before = api.snapshot()
    reply = api.put(path, {"observation_budget": 40})
    assert reply.status == 422 and why in reply.body["message"], reply.body
    assert api.snapshot() == before
    kept = api.put(path, {"observation_budget": None})  # SigOpt: no change
    assert kept.status == 200 and kept.body["observation_budget"] == 30, kept.body


def test_observations_and_suggestions_refuse_fields_they_would_ignore(api: Api):
    e = create(api)
    s = api.post(f"/v1/experiments/{e['id']}/suggestions", {}).body
    base = {"suggestion": s["id"], "values": f(v=1.0)}
    before = api.snapshot()
    for path, body, field in [
        ("observations", {**base, "id": "77"}, "id"),
        ("observations", {**base, "created": 1}, "created"),
        ("observations", {**base, "object": "suggestion"}, "object"),
        ("observations", {**base, "experiment": "999"}, "experiment"),
        (
            "observations",
            {"suggestion": s["id"], "values": [{"name": "v", "value": 1.0, "stdev": 0.1}]},
            "values[0].stdev",
        ),
        ("suggestions", {"assigments": {"x": 0.5}}, "assigments"),
        ("suggestions", {"state": "closed"}, "state"),
    ]:
        reply = api.post(f"/v1/experiments/{e['id']}/{path}", body)
        assert reply.status == 400 and reply.body["detail"]["field"] == field, (body, reply.body)
    reply = api.put(f"/v1/experiments/{e['id']}/suggestions/{s['id']}", {"state": "closed"})
    assert reply.status == 400 and reply.body["detail"]["field"] == "state", reply.body
    assert api.snapshot() == before
    # as rendered, object and experiment may be sent back
    fine = {**base, "object": "observation", "experiment": e["id"]}
    assert api.post(f"/v1/experiments/{e['id']}/observations", fine).status == 201

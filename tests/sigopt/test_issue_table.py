"""Each row of issue 10's table, through the official client against a served instance
and through our own client embedded: the option is honoured, not just echoed."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import attrs
import pytest

sigopt = pytest.importorskip("sigopt")

import sigopt_like  # noqa: E402

UNIT = {"type": "double", "bounds": {"min": 0, "max": 1}}


@attrs.frozen
class Row:
    """An experiment, how to score an assignment, how many loops, and what must hold."""

    name: str
    definition: dict[str, Any]
    evaluate: Callable[[dict[str, Any]], list[dict[str, Any]] | None]
    steps: int
    check: Callable[[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]], None]
    batch: int = 1
    """Suggestions open at once in each step (all reported after the last one)."""
    seeds: tuple[int, ...] = ()
    """Experiment seeds to run it with, each in turn (none: once, as defined)."""

    def runs(self) -> list[Row]:
        """The row once per seed of ``seeds``, or once as defined."""
        return [
            attrs.evolve(self, definition={**self.definition, "seed": s}) for s in self.seeds
        ] or [self]


def _values(**named: float) -> list[dict[str, Any]]:
    return [{"name": k, "value": v} for k, v in named.items()]


def _check_pareto(suggested, best, experiment):
    front = [(b["values"]["a"], b["values"]["b"]) for b in best]
    assert len(front) >= 3
    for a, b in front:  # nobody on the front is dominated by another front point
        assert not any(a2 >= a and b2 >= b and (a2, b2) != (a, b) for a2, b2 in front)
    assert all(a >= 0.2 for a, _ in front)  # the threshold on metric a


def _check_constraint(suggested, best, experiment):
    (top,) = best
    assert top["values"]["cost"] <= 0.8
    assert top["values"]["gain"] > 0.9
    # suggestions favour the feasible region (the optimum sits on its edge)
    modelled = suggested[8:]
    feasible = [a for a in modelled if a["x"] + a["y"] <= 0.81]
    assert len(feasible) >= 0.6 * len(modelled), [round(a["x"] + a["y"], 2) for a in modelled]


def _check_log(suggested, best, experiment):
    assert sum(a["lr"] < 0.01 for a in suggested) >= 8


def _check_linear(suggested, best, experiment):
    assert all(a["x"] + a["y"] <= 1.0 + 1e-9 and a["a"] + 2 * a["b"] <= 7 for a in suggested)


def _check_conditionals(suggested, best, experiment):
    for a in suggested:
        assert ("depth" in a) == (a["model"] == "tree")
        assert ("alpha" in a) == (a["model"] == "linear")
    assert {a["model"] for a in suggested} == {"tree", "linear"}


def _check_grid(suggested, best, experiment):
    assert all(a["g"] in (0.01, 0.1, 1.0) and a["n"] in (2, 8) for a in suggested)


def _check_num_solutions(suggested, best, experiment):
    assert experiment["num_solutions"] == 2
    found = sorted((b["assignments"]["x"], b["values"]["f"]) for b in best)
    assert len(found) == 2 and found[1][0] - found[0][0] > 0.3, found  # one on each peak
    assert min(f for _, f in found) > 0.9, found  # and each refined, not a flank


def _check_prior(suggested, best, experiment):
    assert sum(0.6 <= a["p"] <= 1.0 for a in suggested) >= 5  # uniform: 2 in 5
    qs = sorted(a["q"] for a in suggested)  # beta(2, 20): the design spreads over its
    assert qs[3] < 0.3 and qs[2] < 0.2, qs  # quantiles (a corner may sit in its tail)
    assert experiment["parameters"][0]["prior"]["mean"] == 0.8


def _check_project(suggested, best, experiment):
    assert experiment["project"] == "kept-project"


def _check_bandwidth(suggested, best, experiment):
    # ten workers, two rounds of five open suggestions: all ten from the space-filling
    # design (without the bandwidth the second round crowds the best, x = 1)
    xs = sorted(a["x"] for a in suggested)
    assert min(b - a for a, b in itertools.pairwise(xs)) > 0.05, [round(x, 3) for x in xs]


def _check_open(suggested, best, experiment):
    assert sorted(a["n"] for a in suggested) == [0, 1, 2]  # three open, three points


def _check_random(suggested, best, experiment):
    # f grows with x: a model would crowd x near 1; random search keeps drawing everywhere
    assert sum(a["x"] < 0.5 for a in suggested) >= 5, sorted(round(a["x"], 2) for a in suggested)


def _check_grid_search(suggested, best, experiment):
    assert experiment["observation_budget"] == 6
    assert sorted((a["g"], a["c"]) for a in suggested) == [
        (g, c) for g in (1, 2, 3) for c in ("a", "b")
    ]


def _check_failed(suggested, best, experiment):
    later = suggested[10:]
    assert sum(a["x"] > 0.6 for a in later) <= 4, [round(a["x"], 2) for a in later]
    (top,) = best
    assert top["assignments"]["x"] <= 0.6 and top["values"]["f"] is not None


def _fails_right(a):
    return None if a["x"] > 0.6 else _values(f=a["x"] + 0.2 * a["y"])


def _check_threshold(suggested, best, experiment):
    assert best and all(b["values"]["a"] >= 0.5 for b in best)


def _two_peaks(a):
    x = a["x"]
    return _values(f=max(math.exp(-((x - 0.2) ** 2) / 0.003), math.exp(-((x - 0.8) ** 2) / 0.003)))


ROWS = [
    Row(
        "pareto",
        {
            "parameters": [{"name": "x", **UNIT}, {"name": "y", **UNIT}],
            "metrics": [{"name": "a", "threshold": 0.2}, {"name": "b"}],
            "observation_budget": 14,
        },
        lambda a: _values(a=a["x"] * (1 - 0.3 * a["y"]), b=(1 - a["x"]) * (1 - 0.3 * a["y"])),
        14,
        _check_pareto,
    ),
    Row(
        "metric constraint",
        {
            "parameters": [{"name": "x", **UNIT}, {"name": "y", **UNIT}],
            "metrics": [
                {"name": "gain"},
                {
                    "name": "cost",
                    "objective": "minimize",
                    "strategy": "constraint",
                    "threshold": 0.8,
                },
            ],
            "observation_budget": 20,
        },
        lambda a: _values(gain=a["x"] + 1.5 * a["y"], cost=a["x"] + a["y"]),
        20,
        _check_constraint,
    ),
    Row(
        "log",
        {
            "parameters": [
                {
                    "name": "lr",
                    "type": "double",
                    "bounds": {"min": 1e-5, "max": 1},
                    "transformation": "log",
                }
            ]
        },
        lambda a: _values(f=1.0),
        20,
        _check_log,
    ),
    Row(
        "linear constraints",
        {
            "parameters": [
                {"name": "x", **UNIT},
                {"name": "y", **UNIT},
                {"name": "a", "type": "int", "bounds": {"min": 0, "max": 7}},
                {"name": "b", "type": "int", "bounds": {"min": 0, "max": 7}},
            ],
            "linear_constraints": [
                {
                    "type": "less_than",
                    "threshold": 1,
                    "terms": [{"name": "x", "weight": 1}, {"name": "y", "weight": 1}],
                },
                {
                    "type": "less_than",
                    "threshold": 7,
                    "terms": [{"name": "a", "weight": 1}, {"name": "b", "weight": 2}],
                },
            ],
        },
        lambda a: _values(f=a["x"] + a["y"] + a["a"] + a["b"]),
        12,
        _check_linear,
    ),
    Row(
        "conditionals",
        {
            "parameters": [
                {"name": "x", **UNIT},
                {
                    "name": "depth",
                    "type": "int",
                    "bounds": {"min": 1, "max": 6},
                    "conditions": {"model": "tree"},
                },
                {"name": "alpha", **UNIT, "conditions": {"model": "linear"}},
            ],
            "conditionals": [{"name": "model", "values": ["tree", "linear"]}],
        },
        lambda a: _values(f=a["x"] + (a["depth"] / 6 if "depth" in a else a["alpha"])),
        10,
        _check_conditionals,
    ),
    Row(
        "grid",
        {
            "parameters": [
                {"name": "g", "type": "double", "grid": [0.01, 0.1, 1.0], "transformation": "log"},
                {"name": "n", "type": "int", "grid": [2, 8]},
            ]
        },
        lambda a: _values(f=-abs(math.log10(a["g"]) + 1) - a["n"]),
        6,
        _check_grid,
    ),
    Row(
        "num_solutions",
        {
            "parameters": [{"name": "x", **UNIT}],
            "num_solutions": 2,
            "observation_budget": 16,
        },
        _two_peaks,
        16,
        _check_num_solutions,
        # before multisolution suggestions took turns per solution, about one seed in
        # three failed: 53 stayed on the peak at 0.8 (last suggestions 0.799, 0.800, 0.800)
        # and reported 0.800 and 0.814; 3 and 6 left one peak at its flank (0.159 at 0.57,
        # 0.826 at 0.80). (Seed 4, which reported 0.18 at 0.875 with 0.205 at 0.99
        # observed, is test_rules.py's.)
        seeds=(53, 3, 6),
    ),
    Row(
        "prior",
        {
            "parameters": [
                {"name": "p", **UNIT, "prior": {"name": "normal", "mean": 0.8, "scale": 0.08}},
                {"name": "q", **UNIT, "prior": {"name": "beta", "shape_a": 2, "shape_b": 20}},
            ],
            "seed": 3,  # unseeded, a model-based step now and then explores below 0.6
        },
        lambda a: _values(f=a["p"]),
        6,
        _check_prior,
    ),
    Row(
        "project",
        {"parameters": [{"name": "x", **UNIT}], "project": "kept-project"},
        lambda a: _values(f=a["x"]),
        1,
        _check_project,
    ),
    Row(
        "metric threshold",
        {
            "parameters": [{"name": "x", **UNIT}],
            "metrics": [{"name": "a", "threshold": 0.5}, {"name": "b"}],
            "observation_budget": 8,
        },
        lambda a: _values(a=a["x"], b=1 - a["x"]),
        8,
        _check_threshold,
    ),
    Row(
        "parallel_bandwidth",
        {"parameters": [{"name": "x", **UNIT}], "parallel_bandwidth": 10, "seed": 2},
        lambda a: _values(f=a["x"]),
        2,
        _check_bandwidth,
        batch=5,
    ),
    Row(
        "open suggestions",
        {"parameters": [{"name": "n", "type": "int", "bounds": {"min": 0, "max": 2}}]},
        lambda a: _values(f=a["n"]),
        1,
        _check_open,
        batch=3,
    ),
    Row(
        "type random",
        {"parameters": [{"name": "x", **UNIT}], "type": "random", "seed": 4},
        lambda a: _values(f=a["x"]),
        16,
        _check_random,
    ),
    Row(
        "type grid",
        {
            "parameters": [
                {"name": "g", "type": "int", "bounds": {"min": 1, "max": 3}},
                {"name": "c", "type": "categorical", "categorical_values": ["a", "b"]},
            ],
            "type": "grid",
        },
        lambda a: _values(f=a["g"]),
        6,
        _check_grid_search,
    ),
    Row(
        "failed observations",
        {
            "parameters": [{"name": "x", **UNIT}, {"name": "y", **UNIT}],
            # unseeded, about one seed in 300 (74143659) probes the edge of the failing
            # region from both sides and has 5 of its last 12 above 0.6 (0.610, 0.613,
            # 0.615, 0.665, 1.0); the served row failed so once here
            "seed": 1,
        },
        _fails_right,
        22,
        _check_failed,
    ),
]


def _drive_sigopt_python(served, row: Row) -> tuple[list, list, dict]:
    conn = sigopt.Connection(client_token=served.token)
    conn.set_api_url(served.url)
    metrics = row.definition.get("metrics", [{"name": "f"}])
    e = conn.experiments().create(name=row.name, **{"metrics": metrics, **row.definition})
    suggested = []
    for _ in range(row.steps):
        opened = [conn.experiments(e.id).suggestions().create() for _ in range(row.batch)]
        for s in opened:
            a = dict(s.assignments)
            suggested.append(a)
            values = row.evaluate(a)
            if values is None:
                conn.experiments(e.id).observations().create(suggestion=s.id, failed=True)
            else:
                conn.experiments(e.id).observations().create(suggestion=s.id, values=values)
    best = [
        {"assignments": dict(b.assignments), "values": {v.name: v.value for v in b.values}}
        for b in conn.experiments(e.id).best_assignments().fetch().iterate_pages()
    ]
    return suggested, best, conn.experiments(e.id).fetch().to_json()


def _drive_ours(tmp_path, row: Row) -> tuple[list, list, dict]:
    with sigopt_like.Connection(database=tmp_path / "table.db") as conn:
        metrics = row.definition.get("metrics", [{"name": "f"}])
        e = conn.experiments.create(name=row.name, **{"metrics": metrics, **row.definition})
        suggested = []
        for _ in range(row.steps):
            opened = [conn.experiments(e.id).suggest() for _ in range(row.batch)]
            for s in opened:
                a = dict(s.assignments)
                suggested.append(a)
                values = row.evaluate(a)
                if values is None:
                    conn.experiments(e.id).report(suggestion=s, failed=True)
                else:
                    conn.experiments(e.id).report(suggestion=s, values=values)
        best = [
            {"assignments": dict(b.assignments), "values": {v.name: v.value for v in b.values}}
            for b in conn.experiments(e.id).best_assignments.fetch()
        ]
        return suggested, best, conn.experiments(e.id).fetch().to_dict()


def _checked(run: Row, outcome: tuple[list, list, dict]) -> None:
    try:
        run.check(*outcome)
    except AssertionError as err:
        raise AssertionError(f"seed {run.definition.get('seed')}: {err}") from err


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_row_through_sigopt_python_served(served, row: Row, engine_time):
    for run in row.runs():
        _checked(run, _drive_sigopt_python(served, run))


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_row_through_our_client_embedded(tmp_path, clean_env, row: Row, engine_time):
    for run in row.runs():
        _checked(run, _drive_ours(tmp_path, run))


CONSTRAINT_ON_AN_UNKNOWN_PARAMETER = {
    "name": "validation",
    "parameters": [{"name": "x", **UNIT}, {"name": "y", **UNIT}],
    "linear_constraints": [
        {
            "type": "less_than",
            "threshold": 1,
            "terms": [{"name": "x", "weight": 1}, {"name": "z", "weight": 1}],
        }
    ],
}


def test_validation_through_sigopt_python_served(served):
    """As SigOpt: a constraint naming an unknown parameter is a 400 that says so, and
    nothing is created."""
    conn = sigopt.Connection(client_token=served.token)
    conn.set_api_url(served.url)
    before = conn.experiments().fetch().count
    with pytest.raises(sigopt.exception.ApiException) as caught:
        conn.experiments().create(**CONSTRAINT_ON_AN_UNKNOWN_PARAMETER)
    assert caught.value.status_code == 400
    assert '"z" is not a parameter of this experiment' in caught.value.message
    assert caught.value.to_json()["detail"]["field"] == "linear_constraints[0].terms[1].name"
    assert conn.experiments().fetch().count == before


def test_validation_through_our_client_embedded(tmp_path, clean_env):
    from sigopt_like.errors import APIError

    with sigopt_like.Connection(database=tmp_path / "validation.db") as conn:
        with pytest.raises(APIError) as caught:
            conn.experiments.create(**CONSTRAINT_ON_AN_UNKNOWN_PARAMETER)
        assert caught.value.status == 400
        assert '"z" is not a parameter of this experiment' in str(caught.value)
        assert caught.value.detail["field"] == "linear_constraints[0].terms[1].name"
        assert list(conn.experiments.list()) == []


STDDEV_XS = [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 1.0]


def _stddev_history() -> list[tuple[dict, list[dict]]]:
    """Readings of -(x - 0.8)^2, and one lucky reading at x = 0.05 with a large stddev."""
    out = [
        ({"x": x}, [{"name": "f", "value": -((x - 0.8) ** 2), "value_stddev": 0.001}])
        for x in STDDEV_XS
    ]
    out.append(({"x": 0.05}, [{"name": "f", "value": 0.5, "value_stddev": 2.0}]))
    return out


def test_value_stddev_through_sigopt_python_served(served, engine_time):
    """Without the stddev the engine goes to x = 0 every time (tests/sigopt/test_engine.py)."""
    conn = sigopt.Connection(client_token=served.token)
    conn.set_api_url(served.url)
    picked = []
    for seed in (1, 2, 3):
        e = conn.experiments().create(
            name="stddev", parameters=[{"name": "x", **UNIT}], metrics=[{"name": "f"}], seed=seed
        )
        for assignments, values in _stddev_history():
            conn.experiments(e.id).observations().create(assignments=assignments, values=values)
        picked.append(conn.experiments(e.id).suggestions().create().assignments["x"])
    assert sum(x > 0.6 for x in picked) >= 2, picked


def test_value_stddev_of_two_optimized_metrics_through_sigopt_python_served(served, engine_time):
    """Stored and ignored before (the scalarised objective had no noise): the lucky
    reading at x = 0.05 drew every seed's suggestion there (tests/sigopt/test_engine.py)."""
    conn = sigopt.Connection(client_token=served.token)
    conn.set_api_url(served.url)
    picked = []
    for seed in range(1, 7):
        e = conn.experiments().create(
            name="stddev, two metrics",
            parameters=[{"name": "x", **UNIT}],
            metrics=[{"name": "f"}, {"name": "g"}],
            seed=seed,
        )
        for x in (0.2, 0.35, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 1.0):
            values = [{"name": "f", "value": -((x - 0.8) ** 2)}]
            values.append({"name": "g", "value": -((x - 0.75) ** 2)})
            conn.experiments(e.id).observations().create(assignments={"x": x}, values=values)
        lucky = [{"name": n, "value": 0.5, "value_stddev": 2.0} for n in ("f", "g")]
        conn.experiments(e.id).observations().create(assignments={"x": 0.05}, values=lucky)
        picked.append(conn.experiments(e.id).suggestions().create().assignments["x"])
    assert sum(x > 0.6 for x in picked) >= 3, picked


def test_value_stddev_through_our_client_embedded(tmp_path, clean_env, engine_time):
    picked = []
    with sigopt_like.Connection(database=tmp_path / "stddev.db") as conn:
        for seed in (1, 2, 3):
            e = conn.experiments.create(
                name="stddev",
                parameters=[{"name": "x", **UNIT}],
                metrics=[{"name": "f"}],
                seed=seed,
            )
            for assignments, values in _stddev_history():
                conn.experiments(e.id).report(assignments=assignments, values=values)
            picked.append(conn.experiments(e.id).suggest().assignments["x"])
    assert sum(x > 0.6 for x in picked) >= 2, picked

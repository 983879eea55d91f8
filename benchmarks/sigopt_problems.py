"""Test functions of the SigOpt benchmark, as SigOpt experiment definitions.

Plain Python (math only): the same file is imported by the benchmark itself and
by the sigoptlite worker, which runs in its own virtual environment.

Each problem is a dict: ``experiment`` (the create body), ``evaluate(assignments)
-> values`` (``[{"name", "value"}]``), ``score(values)`` (the value that counts, or
None when a constraint is broken: the run's best is the best score), ``better``
(``"min"`` or ``"max"``) and ``optimum``.
"""

from __future__ import annotations

import math
from typing import Any

HARTMANN6_A = [
    [10, 3, 17, 3.5, 1.7, 8],
    [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8],
    [17, 8, 0.05, 10, 0.1, 14],
]
HARTMANN6_P = [
    [1312, 1696, 5569, 124, 8283, 5886],
    [2329, 4135, 8307, 3736, 1004, 9991],
    [2348, 1451, 3522, 2883, 3047, 6650],
    [4047, 8828, 8732, 5743, 1091, 381],
]
HARTMANN6_ALPHA = [1.0, 1.2, 3.0, 3.2]


def branin(a: dict[str, Any]) -> float:
    x, y = a["x"], a["y"]
    b, c = 5.1 / (4 * math.pi**2), 5 / math.pi
    return (y - b * x**2 + c * x - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10


def hartmann6(a: dict[str, Any]) -> float:
    x = [a[f"x{i}"] for i in range(6)]
    total = 0.0
    for alpha, row, prow in zip(HARTMANN6_ALPHA, HARTMANN6_A, HARTMANN6_P, strict=True):
        inner = sum(r * (xi - p * 1e-4) ** 2 for r, xi, p in zip(row, x, prow, strict=True))
        total += alpha * math.exp(-inner)
    return -total


MIXED_OFFSET = {"steel": 0.0, "alloy": 0.6, "polymer": 1.1}
MIXED_COST = {"steel": 1.0, "alloy": 2.5, "polymer": 0.5}
MIXED_MAX_COST = 6.0


def mixed_yield(a: dict[str, Any]) -> float:
    """Yield to maximise over a double, an int and a categorical."""
    t, n, m = a["temperature"], a["layers"], a["material"]
    peak = 3.0 * math.exp(-((t - 0.62) ** 2) / 0.02) + 1.5 * math.exp(-((t - 0.2) ** 2) / 0.01)
    return peak - 0.08 * (n - 7) ** 2 + MIXED_OFFSET[m] + 0.3 * math.sin(5 * t * n)


def mixed_cost(a: dict[str, Any]) -> float:
    """Cost (a constraint metric, at most MIXED_MAX_COST): more layers and alloy cost more."""
    return MIXED_COST[a["material"]] * (0.4 * a["layers"] + 2.0 * a["temperature"])


def levy(a: dict[str, Any]) -> float:
    """Levy (minimum 0 at x = 1 in every dimension), over x0..x3."""
    w = [1 + (a[f"x{i}"] - 1) / 4 for i in range(4)]
    total = math.sin(math.pi * w[0]) ** 2
    for wi in w[:-1]:
        total += (wi - 1) ** 2 * (1 + 10 * math.sin(math.pi * wi + 1) ** 2)
    return total + (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)


def ackley(a: dict[str, Any]) -> float:
    """Ackley (minimum 0 at the origin, many local minima around it), over x0..x4."""
    x = [a[f"x{i}"] for i in range(5)]
    n = len(x)
    squares = math.sqrt(sum(v * v for v in x) / n)
    cosines = sum(math.cos(2 * math.pi * v) for v in x) / n
    return -20 * math.exp(-0.2 * squares) - math.exp(cosines) + 20 + math.e


def rosenbrock(a: dict[str, Any]) -> float:
    """Rosenbrock (minimum 0 at x = 1; a curved valley, values up to about 1e6), x0..x3."""
    x = [a[f"x{i}"] for i in range(4)]
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(3))


def styblinski_tang(a: dict[str, Any]) -> float:
    """Styblinski-Tang (minimum -39.16617 n at x = -2.903534 in every dimension; 2^n
    local minima), over x0..x3."""
    return sum(v**4 - 16 * v**2 + 5 * v for v in (a[f"x{i}"] for i in range(4))) / 2


def michalewicz(a: dict[str, Any]) -> float:
    """Michalewicz with m = 10 (minimum -4.687658 in 5-D; steep narrow valleys), x0..x4."""
    x = [a[f"x{i}"] for i in range(5)]
    return -sum(math.sin(v) * math.sin((i + 1) * v * v / math.pi) ** 20 for i, v in enumerate(x))


SHEKEL_A = [
    [4, 4, 4, 4],
    [1, 1, 1, 1],
    [8, 8, 8, 8],
    [6, 6, 6, 6],
    [3, 7, 3, 7],
    [2, 9, 2, 9],
    [5, 5, 3, 3],
    [8, 1, 8, 1],
    [6, 2, 6, 2],
    [7, 3.6, 7, 3.6],
]
SHEKEL_C = [0.1, 0.2, 0.2, 0.4, 0.4, 0.6, 0.3, 0.7, 0.5, 0.5]


def shekel(a: dict[str, Any]) -> float:
    """Shekel with m = 10 (minimum -10.5364 near x = 4; ten narrow wells), over x0..x3."""
    x = [a[f"x{i}"] for i in range(4)]
    return -sum(
        1 / (c + sum((xi - ai) ** 2 for xi, ai in zip(x, row, strict=True)))
        for row, c in zip(SHEKEL_A, SHEKEL_C, strict=True)
    )


def _doubles(n: int, low: float, high: float) -> list[dict[str, Any]]:
    return [
        {"name": f"x{i}", "type": "double", "bounds": {"min": low, "max": high}} for i in range(n)
    ]


def _minimise(name: str, parameters: list[dict[str, Any]], f, optimum: float) -> dict[str, Any]:
    """A problem with one metric ``f`` to minimise."""
    return {
        "experiment": {
            "name": name,
            "parameters": parameters,
            "metrics": [{"name": "f", "objective": "minimize"}],
        },
        "evaluate": _single("f", f),
        "better": "min",
        "optimum": optimum,
    }


def _single(name: str, f):
    return lambda a: [{"name": name, "value": f(a)}]


PROBLEMS: dict[str, dict[str, Any]] = {
    "branin": {
        "experiment": {
            "name": "branin",
            "parameters": [
                {"name": "x", "type": "double", "bounds": {"min": -5.0, "max": 10.0}},
                {"name": "y", "type": "double", "bounds": {"min": 0.0, "max": 15.0}},
            ],
            "metrics": [{"name": "f", "objective": "minimize"}],
        },
        "evaluate": _single("f", branin),
        "better": "min",
        "optimum": 0.397887,
    },
    "hartmann6": {
        "experiment": {
            "name": "hartmann6",
            "parameters": [
                {"name": f"x{i}", "type": "double", "bounds": {"min": 0.0, "max": 1.0}}
                for i in range(6)
            ],
            "metrics": [{"name": "f", "objective": "minimize"}],
        },
        "evaluate": _single("f", hartmann6),
        "better": "min",
        "optimum": -3.32237,
    },
    "mixed": {
        "experiment": {
            "name": "mixed",
            "parameters": [
                {"name": "temperature", "type": "double", "bounds": {"min": 0.0, "max": 1.0}},
                {"name": "layers", "type": "int", "bounds": {"min": 1, "max": 12}},
                {
                    "name": "material",
                    "type": "categorical",
                    "categorical_values": ["steel", "alloy", "polymer"],
                },
            ],
            "metrics": [
                {"name": "yield", "objective": "maximize"},
                {
                    "name": "cost",
                    "objective": "minimize",
                    "strategy": "constraint",
                    "threshold": MIXED_MAX_COST,
                },
            ],
        },
        "evaluate": lambda a: [
            {"name": "yield", "value": mixed_yield(a)},
            {"name": "cost", "value": mixed_cost(a)},
        ],
        "better": "max",
        "optimum": None,
    },
    # Added to TUNE (2026-12-03) to develop the engine on multimodal problems; standard
    # functions on their usual bounds, none of them a HOLDOUT function
    "styblinski4": _minimise("styblinski4", _doubles(4, -5.0, 5.0), styblinski_tang, -156.66468),
    "michalewicz5": _minimise("michalewicz5", _doubles(5, 0.0, math.pi), michalewicz, -4.687658),
    "shekel4": _minimise("shekel4", _doubles(4, 0.0, 10.0), shekel, -10.5364),
}

HOLDOUT: dict[str, dict[str, Any]] = {
    # Chosen before any run and never tuned on: standard test functions with the bounds
    # BoTorch's test problems use (Ackley on [-5, 10]: the optimum is not the centre)
    "levy4": _minimise("levy4", _doubles(4, -10.0, 10.0), levy, 0.0),
    "ackley5": _minimise("ackley5", _doubles(5, -5.0, 10.0), ackley, 0.0),
    "rosenbrock4": _minimise("rosenbrock4", _doubles(4, -5.0, 10.0), rosenbrock, 0.0),
}
PROBLEMS.update(HOLDOUT)


def score(problem: str, values: list[dict[str, Any]]) -> float | None:
    """The value that counts for the best-so-far, or None when infeasible."""
    by_name = {v["name"]: v["value"] for v in values}
    if problem == "mixed":
        return by_name["yield"] if by_name["cost"] <= MIXED_MAX_COST else None
    return by_name["f"]


def experiment(problem: str, budget: int) -> dict[str, Any]:
    """The create body of ``problem`` with an observation budget."""
    return {**PROBLEMS[problem]["experiment"], "observation_budget": budget}

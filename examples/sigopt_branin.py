"""Minimise the Branin function with SigOpt's sequential API on the embedded service.

The loop SigOpt made familiar: create an experiment, then ask for a suggestion,
evaluate it, report the value, until the observation budget is spent; finally
read the best assignments. Everything runs in this process (no server).

Branin on x1 in [-5, 10], x2 in [0, 15] has its global minimum 0.397887 at three
points: (-pi, 12.275), (pi, 2.275), (9.42478, 2.475).

Measured (seeds 1 to 5, observation budget 40): best found 0.39825 to 0.39955, a gap
to the optimum of 0.00036 to 0.00166 (median 0.00040). Random search with the same
budget ends with a median gap of 0.89 (mean 1.28, 2000 simulated runs).

    python examples/sigopt_branin.py [--budget 40] [--seed 1] [--database PATH]
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

import sigopt_like

BRANIN_MINIMUM = 0.397887


def branin(x1: float, x2: float) -> float:
    """The Branin-Hoo function (to minimise)."""
    a, b, c = 1.0, 5.1 / (4 * math.pi**2), 5 / math.pi
    r, s, t = 6.0, 10.0, 1 / (8 * math.pi)
    return a * (x2 - b * x1**2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


def run(database: str, budget: int, seed: int) -> float:
    """Optimise Branin with ``budget`` observations; return the best value found."""
    conn = sigopt_like.Connection(database=database)
    try:
        experiment = conn.experiments.create(
            name="Branin",
            parameters=[
                {"name": "x1", "type": "double", "bounds": {"min": -5.0, "max": 10.0}},
                {"name": "x2", "type": "double", "bounds": {"min": 0.0, "max": 15.0}},
            ],
            metrics=[{"name": "branin", "objective": "minimize"}],
            observation_budget=budget,
            seed=seed,  # ours, not SigOpt's: reproducible suggestions
        )
        exp = conn.experiments(experiment.id)
        for round_ in range(1, budget + 1):
            suggestion = exp.suggest()
            x1, x2 = suggestion.assignments["x1"], suggestion.assignments["x2"]
            value = branin(x1, x2)
            exp.report(suggestion=suggestion.id, value=value)
            print(f"round {round_:3d}: x1={x1:8.4f} x2={x2:8.4f} branin={value:10.4f}")
        (best,) = list(exp.best_assignments.fetch())
        print(
            f"best after {budget} observations: {best.value:.6f} at "
            f"x1={best.assignments['x1']:.4f} x2={best.assignments['x2']:.4f} "
            f"(gap to the optimum {best.value - BRANIN_MINIMUM:.6f})"
        )
        return float(best.value)
    finally:
        conn.close()


def main() -> None:
    """Parse the command line and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=40, help="observations (default 40)")
    parser.add_argument("--seed", type=int, default=1, help="the experiment's seed")
    parser.add_argument("--database", help="SQLite file (default: a temporary one)")
    args = parser.parse_args()
    if args.database:
        run(args.database, args.budget, args.seed)
        return
    with tempfile.TemporaryDirectory() as folder:
        run(str(Path(folder) / "branin.db"), args.budget, args.seed)


if __name__ == "__main__":
    main()

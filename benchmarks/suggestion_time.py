"""Seconds per suggestion of the SigOpt engine at N observations, beside random search.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/suggestion_time.py

For each space (doubles, then a mixed one with ints, categoricals and a constraint
metric, and one five times as wide) an experiment gets ``--observations`` seeded random
points scored on a smooth surface; the table shows the seconds of
``sequential.suggest_next`` over ``--seeds`` seeds with every restart of the objective's
fit, then as a request runs it (the restarts only while the 2.5 s budget of
``suggestion_time_budget_seconds`` affords them, the first fits' evaluations of the
likelihood only while one ends within half of it, the candidate pool's three scorings
each within its share of the time left until ``suggester.CHOICE_SHARE`` of the budget:
``suggester.allowance``), beside the same without the scoring's limit (as served before
it: the baseline), the seconds of a random suggestion measured in the same run, and the
ratio. A request past the budget is served by the random fallback instead.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sigopt_like.service.optimizer import sequential
from sigopt_like.service.resources.sigopt.suggester import allowance
from sigopt_like.service.settings import SUGGESTION_TIME_BUDGET_SECONDS


def definition(name: str) -> dict[str, Any]:
    """An offline experiment's canonical definition (checked by the service's rules)."""
    from sigopt_like.service.domain import sigopt_rules as rules

    if name.startswith("d"):
        n = int(name[1:])
        params = [
            {"name": f"x{i}", "type": "double", "bounds": {"min": 0, "max": 1}} for i in range(n)
        ]
        metrics = [{"name": "f", "objective": "maximize"}]
    else:  # mixed: 8 doubles, 4 ints, 3 categoricals, a constraint metric (wide: x5)
        k = 5 if name == "wide" else 1
        params = [
            {"name": f"x{i}", "type": "double", "bounds": {"min": 0, "max": 1}}
            for i in range(8 * k)
        ]
        params += [
            {"name": f"n{i}", "type": "int", "bounds": {"min": 0, "max": 20}} for i in range(4 * k)
        ]
        params += [
            {"name": f"c{i}", "type": "categorical", "categorical_values": ["a", "b", "c", "d"]}
            for i in range(3 * k)
        ]
        metrics = [
            {"name": "f", "objective": "maximize"},
            {"name": "g", "objective": "minimize", "strategy": "constraint", "threshold": 0.5},
        ]
    body = {"name": name, "parameters": params, "metrics": metrics, "observation_budget": 200}
    return rules.experiment_create(body)


def surface(a: dict[str, Any]) -> list[dict[str, Any]]:
    xs = [float(v) / 20 if isinstance(v, int) else v for k, v in sorted(a.items()) if k[0] in "xn"]
    cat = sum(ord(v) - 97 for k, v in a.items() if k[0] == "c")
    f = sum(math.sin(3 * x + i) * math.exp(-((x - 0.3) ** 2)) for i, x in enumerate(xs)) + 0.1 * cat
    return [{"name": "f", "value": f}, {"name": "g", "value": (xs[0] + xs[1]) / 2}]


def observations(problem: Any, count: int, seed: int) -> list[tuple[dict[str, Any], Any]]:
    out: list[tuple[dict[str, Any], Any]] = []
    for i in range(count):
        a = sequential.random_assignments(problem, [o[0] for o in out], seed * 1000 + i)
        values = surface(a)
        out.append((a, {v["name"]: v["value"] for v in values}))
    return out


def _timed(seconds: list[float]) -> str:
    """Mean / max wall seconds, then how many went over the budget."""
    over = sum(s > SUGGESTION_TIME_BUDGET_SECONDS for s in seconds)
    return f"{statistics.mean(seconds):.2f} / {max(seconds):.2f} | {over} of {len(seconds)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--observations", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--spaces", default="d6,d20,d100,mixed,wide")
    args = parser.parse_args(argv)
    print(f"budget {SUGGESTION_TIME_BUDGET_SECONDS} s, {args.observations} observations")
    warm = sequential.Problem.from_definition(definition("d6"))  # imports (sklearn) untimed
    sequential.suggest_next(warm, observations(warm, 20, 99), seed=0)
    print(
        "| space | every restart: wall mean / max s (CPU) "
        "| scoring unlimited: wall mean / max s | over budget "
        "| as served: wall mean / max s | over budget | candidates unscored "
        "| fit starts skipped | first fits cut | random s | ratio (served / random) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in args.spaces.split(","):
        problem = sequential.Problem.from_definition(definition(name))
        full, cpu, unlimited, served, random_s = [], [], [], [], []
        skipped = cut = unscored = 0
        for seed in range(args.seeds):
            obs = observations(problem, args.observations, seed)
            began = time.perf_counter()
            sequential.random_assignments(problem, [o[0] for o in obs], seed)
            random_s.append(time.perf_counter() - began)
            began, cpu_began = time.perf_counter(), time.thread_time()
            sequential.suggest_next(problem, obs, seed=seed)
            full.append(time.perf_counter() - began)
            cpu.append(time.thread_time() - cpu_began)
            began = time.perf_counter()
            before = allowance(SUGGESTION_TIME_BUDGET_SECONDS)
            before.choice_until = None  # the baseline: the pool scored whole
            sequential.suggest_next(problem, obs, seed=seed, allowance=before)
            unlimited.append(time.perf_counter() - began)
            began = time.perf_counter()
            spent = allowance(SUGGESTION_TIME_BUDGET_SECONDS)
            sequential.suggest_next(problem, obs, seed=seed, allowance=spent)
            served.append(time.perf_counter() - began)
            skipped += spent.skipped
            cut += spent.cut
            unscored += spent.unscored
        mean_r = statistics.mean(random_s)
        print(
            f"| {name} | {statistics.mean(full):.2f} / {max(full):.2f} "
            f"({statistics.mean(cpu):.2f}) | {_timed(unlimited)} | {_timed(served)} "
            f"| {unscored} | {skipped} of {4 * len(served)} | {cut} | {mean_r:.4f} "
            f"| {statistics.mean(served) / mean_r:.0f}x |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""sigopt_like's SigOpt experiments beside sigoptlite, in the same run.

Each method runs the same SigOpt loop (create, then suggest / evaluate / report
``budget`` times) on the same problems (``sigopt_problems.py``) with the same
seeds:

* ``ours``: sigopt_like's own client, embedded (the whole path: client, WSGI,
  service, SQLite, engine);
* ``sigoptlite``: ``sigopt.Connection(driver="lite")`` in a separate virtual
  environment, driven through ``sigoptlite_worker.py`` in a subprocess
  (``--sigoptlite-python``, or ``SIGOPTLITE_PYTHON``);
* ``random``: our service with ``type: "random"`` (a floor).

Reported per problem and method: the best score at the end of the budget (mean,
median, and paired wins / ties / losses of ours against sigoptlite) and the wall
seconds per suggestion (mean, median). Both engines run with one BLAS thread. For ours,
also how many suggestions the service served from its random fallback: the engine has
2.5 s per suggestion, as users' services give it, and a loaded machine turns slower ones
into random points (``--time-budget`` gives the engine longer, to measure the engine
rather than the machine).

    python benchmarks/sigopt_benchmark.py --seeds 10 \\
        --sigoptlite-python /path/to/sigoptlite-venv/bin/python --json out.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import sigopt_problems  # noqa: E402

DEFAULT_BUDGETS = {
    "branin": 40,
    "hartmann6": 60,
    "mixed": 40,
    "styblinski4": 40,
    "michalewicz5": 50,
    "shekel4": 40,
}
"""The problems the engine was developed on."""
HOLDOUT_BUDGETS = {"levy4": 40, "ackley5": 50, "rosenbrock4": 40}
"""Problems held out (``sigopt_problems.HOLDOUT``): run once to report, never tuned on."""
ALL_BUDGETS = {**DEFAULT_BUDGETS, **HOLDOUT_BUDGETS}
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class FallbackCount(logging.Handler):
    """Counts the suggestions the service answered from its random fallback (the engine
    was slower than its time budget, failed, or answered something the rules refuse)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "random fallback" in record.getMessage():
            self.count += 1


@contextlib.contextmanager
def engine_budget(seconds: float | None) -> Iterator[FallbackCount]:
    """Count the fallbacks meanwhile; with ``seconds``, give the engine that long per
    suggestion instead of the service's 2.5 s, a seeded experiment's too (which has no
    budget of its own) (a benchmark on a loaded machine measures the engine, not the
    machine)."""
    from sigopt_like.service.resources.sigopt import suggester, suggestions

    counter = FallbackCount()
    log = logging.getLogger(suggester.LOG.name)
    level, budget = log.level, suggestions.time_budget
    log.addHandler(counter)
    log.setLevel(logging.INFO)
    if seconds is not None:
        suggestions.time_budget = lambda context, experiment: seconds  # type: ignore[assignment]
    try:
        yield counter
    finally:
        suggestions.time_budget = budget  # type: ignore[assignment]
        log.setLevel(level)
        log.removeHandler(counter)


def run_ours(
    problem: str,
    seed: int,
    budget: int,
    kind: str = "offline",
    time_budget: float | None = None,
) -> dict[str, Any]:
    """One loop through sigopt_like's embedded client (``time_budget``: see engine_budget)."""
    import sigopt_like

    spec = sigopt_problems.PROBLEMS[problem]
    with tempfile.TemporaryDirectory() as folder, engine_budget(time_budget) as fallbacks:
        conn = sigopt_like.Connection(database=Path(folder) / "bench.db")
        try:
            body = {**sigopt_problems.experiment(problem, budget), "seed": seed, "type": kind}
            experiment = conn.experiments.create(**body)
            values, seconds = [], []
            for _ in range(budget):
                started = time.perf_counter()
                suggestion = conn.experiments(experiment.id).suggest()
                seconds.append(time.perf_counter() - started)
                reported = spec["evaluate"](dict(suggestion.assignments))
                conn.experiments(experiment.id).report(suggestion=suggestion, values=reported)
                values.append(reported)
        finally:
            conn.close()
    return {"values": values, "seconds": seconds, "fallbacks": fallbacks.count}


def run_sigoptlite(python: str, problem: str, seed: int, budget: int) -> dict[str, Any]:
    """One loop through sigoptlite, in its own environment."""
    done = subprocess.run(
        [python, str(HERE / "sigoptlite_worker.py")],
        input=json.dumps({"problem": problem, "seed": seed, "budget": budget}),
        capture_output=True,
        text=True,
        env={**os.environ, **ONE_THREAD},
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"sigoptlite failed on {problem} seed {seed}:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def best_score(problem: str, values: Sequence[list[dict[str, Any]]]) -> float | None:
    """The best score over a trace (None if no observation was feasible)."""
    better = sigopt_problems.PROBLEMS[problem]["better"]
    scores = [s for s in (sigopt_problems.score(problem, v) for v in values) if s is not None]
    if not scores:
        return None
    return min(scores) if better == "min" else max(scores)


def summarize(problem: str, runs: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    rows = []
    better = sigopt_problems.PROBLEMS[problem]["better"]
    bests = {m: [best_score(problem, r["values"]) for r in rs] for m, rs in runs.items()}
    for method, rs in runs.items():
        finals = [b for b in bests[method] if b is not None]
        seconds = [s for r in rs for s in r["seconds"]]
        row = {
            "problem": problem,
            "method": method,
            "seeds": len(rs),
            "feasible_runs": len(finals),
            "best_mean": statistics.fmean(finals) if finals else None,
            "best_median": statistics.median(finals) if finals else None,
            "seconds_mean": statistics.fmean(seconds),
            "seconds_median": statistics.median(seconds),
            "fallbacks": sum(r.get("fallbacks", 0) for r in rs) if method != "sigoptlite" else None,
        }
        if method == "ours" and "sigoptlite" in bests:
            row["vs_sigoptlite"] = _wins(bests["ours"], bests["sigoptlite"], better)
        rows.append(row)
    return rows


def table(rows: list[dict[str, Any]], budgets: dict[str, int]) -> str:
    def num(x: float | None, digits: int = 4) -> str:
        return "-" if x is None else f"{x:.{digits}f}"

    lines = [
        "| problem (budget) | method | best: mean | best: median | wins/ties/losses vs "
        "sigoptlite | s per suggestion: mean | median | random fallbacks |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        better = sigopt_problems.PROBLEMS[r["problem"]]["better"]
        lines.append(
            f"| {r['problem']} ({budgets[r['problem']]}, {better}) | {r['method']} | "
            f"{num(r['best_mean'])} | {num(r['best_median'])} | {r.get('vs_sigoptlite', '')} | "
            f"{num(r['seconds_mean'], 3)} | {num(r['seconds_median'], 3)} | "
            f"{'-' if r.get('fallbacks') is None else r['fallbacks']} |"
        )
    return "\n".join(lines)


LOG_LINE = re.compile(
    r"# (?P<problem>\S+) seed (?P<seed>\d+) (?P<method>\S+): best (?P<best>\S+) "
    r"\((?P<seconds>[0-9.]+) s per suggestion\)"
    r"(?: \[(?P<fallbacks>\d+) from the random fallback\])?"
)


def rows_from_log(text: str) -> list[dict[str, Any]]:
    """The table's rows from the per-run lines this script prints on stderr (for a run
    stopped early: only seeds where every method finished count). Seconds are each
    run's mean seconds per suggestion, so the median is over runs, not suggestions."""
    runs: dict[str, dict[int, dict[str, tuple[float | None, float, int | None]]]] = {}
    for match in LOG_LINE.finditer(text):
        best = None if match["best"] == "None" else float(match["best"])
        by_seed = runs.setdefault(match["problem"], {})
        by_seed.setdefault(int(match["seed"]), {})[match["method"]] = (
            best,
            float(match["seconds"]),
            None if match["fallbacks"] is None else int(match["fallbacks"]),
        )
    rows = []
    for problem, by_seed in runs.items():
        methods = sorted({m for seed in by_seed.values() for m in seed}, key=METHOD_ORDER.index)
        complete = [seed for seed, done in sorted(by_seed.items()) if set(done) == set(methods)]
        better = sigopt_problems.PROBLEMS[problem]["better"]
        for method in methods:
            bests = [by_seed[s][method][0] for s in complete]
            finals = [b for b in bests if b is not None]
            seconds = [by_seed[s][method][1] for s in complete]
            row: dict[str, Any] = {
                "problem": problem,
                "method": method,
                "seeds": len(complete),
                "feasible_runs": len(finals),
                "best_mean": statistics.fmean(finals) if finals else None,
                "best_median": statistics.median(finals) if finals else None,
                "seconds_mean": statistics.fmean(seconds),
                "seconds_median": statistics.median(seconds),
                "fallbacks": _counted([by_seed[s][method][2] for s in complete]),
            }
            if method == "ours" and "sigoptlite" in methods:
                row["vs_sigoptlite"] = _wins(
                    bests, [by_seed[s]["sigoptlite"][0] for s in complete], better
                )
            rows.append(row)
    return rows


def _counted(counts: Sequence[int | None]) -> int | None:
    """The total, or None when a run's line did not say (logs from before the count)."""
    return None if any(c is None for c in counts) else sum(c for c in counts if c is not None)


def _wins(ours: Sequence[float | None], theirs: Sequence[float | None], better: str) -> str:
    wins = ties = losses = 0
    for a, b in zip(ours, theirs, strict=True):
        if a is None or b is None:
            continue
        gain = (b - a) if better == "min" else (a - b)
        if abs(gain) <= 1e-6 * max(1.0, abs(a), abs(b)):
            ties += 1
        elif gain > 0:
            wins += 1
        else:
            losses += 1
    return f"{wins}/{ties}/{losses}"


METHOD_ORDER = ["ours", "sigoptlite", "random"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--problems",
        default=",".join(DEFAULT_BUDGETS),
        help=f"default: the tuned-on ones; held out: {','.join(HOLDOUT_BUDGETS)}",
    )
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds N.. (default 0)")
    parser.add_argument("--budget", action="append", default=[], help="problem=N (repeatable)")
    parser.add_argument("--methods", default="ours,sigoptlite,random")
    parser.add_argument("--sigoptlite-python", default=os.environ.get("SIGOPTLITE_PYTHON"))
    parser.add_argument(
        "--time-budget",
        type=float,
        help="seconds the engine may take per suggestion (default: the service's 2.5 s, as "
        "users get it; slower suggestions are random ones, counted in the fallbacks column)",
    )
    parser.add_argument("--json", help="write every trace here")
    parser.add_argument(
        "--from-log", help="print the table from a run's stderr lines instead of running"
    )
    args = parser.parse_args(argv)
    if args.from_log:
        print(table(rows_from_log(Path(args.from_log).read_text()), ALL_BUDGETS))
        return 0
    budgets = dict(ALL_BUDGETS)
    for item in args.budget:
        name, _, n = item.partition("=")
        budgets[name] = int(n)
    methods = args.methods.split(",")
    if "sigoptlite" in methods and not args.sigoptlite_python:
        parser.error("sigoptlite needs --sigoptlite-python (or SIGOPTLITE_PYTHON)")
    os.environ.update(ONE_THREAD)
    from sigopt_like.service.optimizer import sequential_choice  # noqa: F401  (warm imports)

    rows: list[dict[str, Any]] = []
    traces: dict[str, Any] = {}
    for problem in args.problems.split(","):
        runs: dict[str, list[dict[str, Any]]] = {m: [] for m in methods}
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            for method in methods:
                if method == "ours":
                    out = run_ours(problem, seed, budgets[problem], time_budget=args.time_budget)
                elif method == "random":
                    out = run_ours(problem, seed, budgets[problem], kind="random")
                else:
                    out = run_sigoptlite(args.sigoptlite_python, problem, seed, budgets[problem])
                runs[method].append(out)
                best = best_score(problem, out["values"])
                print(
                    f"# {problem} seed {seed} {method}: best {best} "
                    f"({statistics.fmean(out['seconds']):.3f} s per suggestion)"
                    + (
                        f" [{out['fallbacks']} from the random fallback]"
                        if "fallbacks" in out
                        else ""
                    ),
                    file=sys.stderr,
                    flush=True,
                )
        rows += summarize(problem, runs)
        traces[problem] = runs
    print(table(rows, budgets))
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "traces": traces}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

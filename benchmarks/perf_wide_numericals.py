"""Design generations of a space of many numerical parameters (a screening design: every
parameter with two levels), against older code and against random design, in one run.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/perf_wide_numericals.py \
        [--params 3000] [--levels 2] [--population 30] [--gens 3] [--rounds 1] \
        [--baseline main | none]

Each side (this checkout, and the code at ``--baseline`` extracted from git) runs in its
own process and designs ``--gens`` generations of ``--population`` experiments with
``design_batch`` on a factorial space of ``--params`` numerical parameters of ``--levels``
levels each, the responses a fixed linear function of the levels; the first generation has
no responses (no model) and is not timed. Printed: the median CPU seconds of a model-based
generation on each side and their ratio, and each side's ratio to a random design of the
same space and population (``view.sample`` plus the distinctness check against the history,
timed in the same process).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from perf_common import REPO, Figure, baseline_checkout, median, python, report

WORKER = r"""
import json, sys, time
import numpy as np
from sigopt_like.service.optimizer import design_batch
from sigopt_like.service.optimizer.engine import untested_rows
from sigopt_like.service.optimizer.views import view_for
from sigopt_like.spaces import Space
import sigopt_like.service.optimizer.portfolio  # the model's imports, before timing

params, levels, gens, population = (int(a) for a in sys.argv[1:5])
space = Space.from_dict({"type": "factorial", "parameters": [
    {"name": f"x{k}", "type": "numerical", "values": list(range(levels))}
    for k in range(params)]})
weights = np.random.default_rng(0).normal(size=params)
view = view_for(space)
observations, engine, random = [], [], []
for gen in range(gens):
    start = time.process_time()
    batch = design_batch(space, observations, batch_size=population, seed=gen)
    if gen:
        engine.append(time.process_time() - start)
        start = time.process_time()
        tested = np.array([view.to_code(p) for p, _ in observations])
        view.from_codes(untested_rows(view.sample(population, np.random.default_rng(gen)), tested))
        random.append(time.process_time() - start)
    observations += [(p, float(weights @ np.asarray(p, dtype=float))) for p in batch]
print(json.dumps([engine, random]))
"""


def _times(code: Path, args: argparse.Namespace) -> tuple[list[float], list[float]]:
    argv = (str(args.params), str(args.levels), str(args.gens), str(args.population))
    done = python(code, "-c", WORKER, *argv, check=True)
    engine, random = json.loads(done.stdout.strip().splitlines()[-1])
    return list(engine), list(random)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--params", type=int, default=3_000)
    parser.add_argument("--levels", type=int, default=2)
    parser.add_argument("--population", type=int, default=30)
    parser.add_argument("--gens", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--baseline", default="main", help="a git ref, or none")
    args = parser.parse_args()
    if args.gens < 2 or args.rounds < 1:
        parser.error(
            "--gens must be at least 2 (the first generation has no model and is not timed)"
            " and --rounds at least 1"
        )
    codes = {"subject": REPO}
    if args.baseline != "none":
        codes["baseline"] = baseline_checkout(args.baseline)
    engine: dict[str, list[float]] = {side: [] for side in codes}
    random: dict[str, list[float]] = {side: [] for side in codes}
    for _ in range(args.rounds):  # interleaved, so that a busy machine slows both alike
        for side, code in codes.items():
            e, r = _times(code, args)
            engine[side] += e
            random[side] += r
    figures = []
    subject = median(engine["subject"])
    if "baseline" in codes:
        baseline = median(engine["baseline"])
        figures.append(
            Figure(
                "model-based generation, this checkout vs baseline",
                subject,
                baseline,
                "s",
                "faster",
                met=subject < baseline,
            )
        )
    for side in codes:
        figures.append(
            Figure(
                f"model-based generation vs random design ({side})",
                median(engine[side]),
                median(random[side]),
                "s",
                "-",
            )
        )
    report(
        f"a generation of {args.population} on {args.params:,} numerical parameters of "
        f"{args.levels} levels, CPU seconds, this checkout vs {args.baseline} "
        f"(medians of {args.rounds} x {args.gens - 1})",
        figures,
    )


if __name__ == "__main__":
    main()

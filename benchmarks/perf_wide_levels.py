"""Design generations of a space with one categorical of many levels, against older code,
measured in the same run.

    python benchmarks/perf_wide_levels.py [--levels 5000] [--categoricals 1] [--gens 4]
        [--population 10] [--rounds 2] [--baseline 667dbaa]

Two processes, this checkout's and the code at ``--baseline`` (extracted from git; the
default is the code before a design narrowed a categorical of more than 1,000 levels to
its tested levels and a sample of the others), each design ``--gens`` generations of
``--population`` experiments with ``design_batch`` on a factorial space of
``--categoricals`` categoricals of ``--levels`` levels each, the responses of a fixed
function of the levels; the first
generation has no responses (no model) and is not timed. Printed: each side's median
seconds of a model-based generation and this checkout's ratio to the baseline's. At
50,000 levels the baseline is killed for memory (a 50,000 x 50,000 matrix): run this
checkout alone there with ``--baseline none``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from perf_common import REPO, Figure, baseline_checkout, median, python, report

BEFORE = "667dbaa"  # a design encoded one feature column per level of every categorical

WORKER = r"""
import json, sys, time
from sigopt_like.service.optimizer import design_batch
from sigopt_like.spaces import Space

levels, count, gens, population = (int(a) for a in sys.argv[1:5])
space = Space.from_dict({"type": "factorial", "parameters": [
    {"name": f"c{k}", "type": "categorical", "values": [f"L{i}" for i in range(levels)]}
    for k in range(count)]})
observations, times = [], []
for gen in range(gens):
    start = time.perf_counter()
    batch = design_batch(space, observations, batch_size=population, seed=gen)
    if gen:
        times.append(time.perf_counter() - start)
    observations += [(p, float(sum(int(v[1:]) for v in p) % 97)) for p in batch]
print(json.dumps(times))
"""


def _times(code: Path, levels: int, count: int, gens: int, population: int) -> list[float]:
    args = (str(levels), str(count), str(gens), str(population))
    done = python(code, "-c", WORKER, *args, check=True)
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", type=int, default=5_000)
    parser.add_argument("--categoricals", type=int, default=1)
    parser.add_argument("--gens", type=int, default=4)
    parser.add_argument("--population", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--baseline", default=BEFORE)
    args = parser.parse_args()
    codes = {"subject": REPO}
    if args.baseline != "none":
        codes["baseline"] = baseline_checkout(args.baseline)
    seconds: dict[str, list[float]] = {side: [] for side in codes}
    for _ in range(args.rounds):  # interleaved, so that a busy machine slows both alike
        for side, code in codes.items():
            seconds[side] += _times(
                code, args.levels, args.categoricals, args.gens, args.population
            )
    subject = median(seconds["subject"])
    baseline = median(seconds["baseline"]) if "baseline" in seconds else float("nan")
    report(
        f"a generation of {args.population} on {args.categoricals} categorical(s) of "
        f"{args.levels:,} levels, "
        f"this checkout vs {args.baseline} (medians of {args.rounds} x {args.gens - 1})",
        [
            Figure(
                "design_batch, a model-based generation",
                subject,
                baseline,
                "s",
                "faster",
                met=subject < baseline if "baseline" in seconds else None,
            )
        ],
    )


if __name__ == "__main__":
    main()

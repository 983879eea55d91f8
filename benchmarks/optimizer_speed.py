"""Seconds per generation of the engine against random search (run by hand, one core).

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/optimizer_speed.py

For each space and population size, a campaign runs a few generations; the
table shows the engine's seconds per model-based generation (mean and worst)
next to random search's, measured in the same run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.optimizer_benchmark import make_space
from sigopt_like.service.optimizer import design_batch
from sigopt_like.service.optimizer.views import code_key, view_for
from sigopt_like.service.simulator import Surface


def random_batch(space, tested: set, n: int, rng) -> list[tuple]:
    view = view_for(space)
    out: dict[tuple, np.ndarray] = {}
    while len(out) < n:
        for code in view.sample(2 * n, rng):
            k = code_key(code)
            if k not in tested and k not in out and len(out) < n:
                out[k] = code
    return view.from_codes(np.array(list(out.values())))


def timed_campaign(space_name: str, population: int, gens: int, seed: int = 0):
    space = make_space(space_name)
    surface = Surface.for_space(space, seed)
    obs: list[tuple[tuple, float]] = []
    engine_times, random_times = [], []
    view = view_for(space)
    rng = np.random.default_rng(seed)
    for gen in range(gens):
        start = time.process_time()
        batch = design_batch(space, obs, batch_size=population, seed=seed + gen)
        if gen:
            engine_times.append(time.process_time() - start)
        start = time.process_time()
        random_batch(space, {code_key(view.to_code(p)) for p, _ in obs}, population, rng)
        if gen:
            random_times.append(time.process_time() - start)
        obs += [(p, surface.value(p)) for p in batch]
    return engine_times, random_times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spaces", default="factorial,mixture,categorical,mixture8")
    ap.add_argument("--populations", default="20,200,2500")
    ap.add_argument("--gens", type=int, default=4)
    args = ap.parse_args()
    print("space        population  tested-before-last  engine s/gen (mean, max)  random s/gen")
    for space_name in args.spaces.split(","):
        for pop in (int(p) for p in args.populations.split(",")):
            e, r = timed_campaign(space_name, pop, args.gens)
            print(
                f"{space_name:<12s} {pop:>10d}  {pop * (args.gens - 1):>18d}  "
                f"{np.mean(e):10.3f}, {np.max(e):8.3f}     {np.mean(r):10.4f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""CPU seconds per generation of the engine beside random search (run by hand, one core).

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/optimizer_speed.py

For each space and population, a campaign runs a few generations on a benchmark
surface (``benchmarks/surfaces.py``); the table shows the engine's CPU seconds
per model-based generation (mean and worst) next to random search's, measured
in the same run, and their ratio. The bars: at most 1 s per generation at a
population of 200 and 5 s at 2,500 on the 7-parameter spaces (f7, m7).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.methods import RandomSearch
from benchmarks.spaces import grid, make_space
from benchmarks.surfaces import make_surface
from sigopt_like.service.optimizer import design_batch


def timed_campaign(space_name: str, population: int, gens: int, seed: int = 0):
    """Engine and random CPU seconds of generations 2..gens (model-based ones).

    The model's modules (scikit-learn) are imported before timing, as the service
    does when it starts (their import costs about a second once per process).
    """
    import sigopt_like.service.optimizer.portfolio  # noqa: F401

    g = grid(make_space(space_name))
    surface = make_surface("peaks", g, seed)
    index = g.index_of() if len(g.codes) <= 30_000 else None
    rand = RandomSearch(g, seed, population, 0)
    observations: list[tuple[tuple, float]] = []
    engine_s, random_s = [], []
    for gen in range(gens):
        start = time.process_time()
        batch = design_batch(
            g.space, observations, batch_size=population, seed=seed + gen, exclude=()
        )
        if gen:
            engine_s.append(time.process_time() - start)
        start = time.process_time()
        rand.ask()
        if gen:
            random_s.append(time.process_time() - start)
        observations += list(zip(batch, _values(g, surface, batch, index), strict=True))
    return engine_s, random_s


def _values(g, surface, points, index) -> list[float]:
    from benchmarks.design_benchmark import true_values

    return true_values(g, surface, points, index).tolist()


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--spaces", default="f7,m7,f6,m5")
    ap.add_argument("--populations", default="20,200,2500")
    ap.add_argument("--gens", type=int, default=3)
    args = ap.parse_args()
    print(
        f"# optimizer_speed: --spaces {args.spaces} --populations {args.populations} "
        f"--gens {args.gens}"
    )
    print(
        "space  population  tested-before-last  engine s/gen (mean, max)  random s/gen  "
        "engine/random"
    )
    for space_name in args.spaces.split(","):
        for pop in (int(p) for p in args.populations.split(",")):
            e, r = timed_campaign(space_name, pop, args.gens)
            print(
                f"{space_name:<6s} {pop:>10d}  {pop * (args.gens - 1):>18d}  "
                f"{np.mean(e):10.3f}, {np.max(e):8.3f}     {np.mean(r):10.4f}  "
                f"{np.mean(e) / max(np.mean(r), 1e-6):10.0f}x",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

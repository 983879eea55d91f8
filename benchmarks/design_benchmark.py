"""Design benchmark on surfaces the engine never saw (run by hand; not a test).

Every cell is (space, family); every method runs the same seeds on the same
surface (paired). A campaign has generations of 20 experiments (population
20, replicates 0; the ``noisy`` family runs each experiment three times,
replicates 2). The score after each generation is the TRUE value of the best
experiment tested so far (surfaces are scaled: worst point 0, optimum 1); with
noise it is the true value of the experiment the method recommends (the
engine's ``best``; a peer's best observed mean).

Results are appended to a JSON-lines file, one line per finished campaign, so
an interrupted run resumes where it stopped (``--out`` again). Tables come from
``design_report.py``.

    python benchmarks/design_benchmark.py --set tune --methods engine,random,tpe \
        --seeds 30 --jobs 2 --out benchmarks/results/raw/tune.jsonl

TUNE cells use seeds 0.. on spaces f6, c6, m5; VALIDATION cells use seeds
1000.. on the held-out spaces f7 (7,200-point factorial with 2 categoricals)
and m7 (7-component mixture, 25 units). HOLDOUT cells are the validation
spaces again with seeds 2000..: surfaces that no decision has looked at.
VALIDATION has decided which engine changes were kept, so it has been tuned
on a little; HOLDOUT is run only to report, never to choose. ``--first-seed``
runs other seeds of a set's spaces, fresh ones to judge a round on (1060 and up
for VALIDATION since round 16).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.methods import start
from benchmarks.spaces import TUNE_SPACES, VALIDATION_SPACES, Grid, grid, make_space
from benchmarks.surfaces import FAMILIES, Surface, applies, make_surface
from sigopt_like._constants import MAX_SEED

BATCH = 20
SEED_BASE = {"tune": 0, "validation": 1000, "holdout": 2000}


def cells(which: str, families: Sequence[str], spaces: Sequence[str] | None) -> list[tuple]:
    """(space, family) pairs of a set (holdout runs on the validation spaces)."""
    names = spaces or (TUNE_SPACES if which == "tune" else VALIDATION_SPACES)
    out = []
    for space_name in names:
        g = cached_grid(space_name)
        out += [(space_name, f) for f in families if applies(f, g)]
    return out


@functools.lru_cache(maxsize=4)
def cached_grid(space_name: str) -> Grid:
    return grid(make_space(space_name))


def run_campaign(space_name: str, family: str, method: str, seed: int, gens: int) -> dict:
    """One campaign: the score and the method's CPU seconds per generation."""
    g = cached_grid(space_name)
    surface: Surface = make_surface(family, g, seed)
    index = g.index_of() if len(g.codes) <= 30_000 else None
    noise = np.random.default_rng([seed, 99])
    campaign = start(method, g, seed, BATCH, surface.replicates)
    scores, seconds = [], []
    best = -np.inf
    try:
        for _ in range(gens):
            t0 = time.process_time()
            rows = campaign.ask()
            seconds.append(time.process_time() - t0)
            truth = true_values(g, surface, rows, index)
            readings = truth + noise.normal(0.0, surface.noise_sd, size=len(truth))
            t0 = time.process_time()
            campaign.tell(rows, readings.tolist())
            seconds[-1] += time.process_time() - t0
            if surface.noise_sd > 0:
                pick = campaign.recommend()
                score = float(true_values(g, surface, [pick], index)[0])
            else:
                best = max(best, float(truth.max()))
                score = best
            scores.append(score / surface.optimum)
    finally:
        campaign.close()
    return {
        "space": space_name,
        "family": family,
        "method": method,
        "seed": seed,
        "scores": scores,
        "seconds": seconds,
    }


def true_values(g: Grid, surface: Surface, rows: Sequence[tuple], index: dict | None) -> np.ndarray:
    """True surface values of points (looked up on the grid)."""
    if index is not None:
        return surface.values[[index[tuple(r)] for r in rows]]
    return surface.values[g.rows_of(rows)]


def _job(args: tuple) -> dict:
    os.nice(int(os.environ.get("BENCH_NICE", "0")))
    return run_campaign(*args)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--set", choices=tuple(SEED_BASE), default="tune")
    ap.add_argument("--families", default=",".join(FAMILIES))
    ap.add_argument("--spaces", default="")
    ap.add_argument("--methods", default="engine,random,tpe")
    ap.add_argument("--seeds", type=int, default=30)
    ap.add_argument(
        "--first-seed",
        type=int,
        default=None,
        help="the first seed (default: the set's own, 0 / 1000 / 2000): fresh seeds for a round",
    )
    ap.add_argument("--gens", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    if args.first_seed is not None and args.first_seed < 0:
        ap.error(f"--first-seed must be 0 or more, not {args.first_seed}")
    base = SEED_BASE[args.set] if args.first_seed is None else args.first_seed
    if base + args.seeds - 1 > MAX_SEED:
        # a session's seed (the engine's campaigns go through the API, which refuses more)
        ap.error(
            f"seeds {base} to {base + args.seeds - 1} go past {MAX_SEED}, "
            "the largest seed a session takes"
        )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = set()
    if out.exists():
        for line in out.read_text().splitlines():
            r = json.loads(line)
            done.add((r["space"], r["family"], r["method"], r["seed"], len(r["scores"])))
    todo = [
        (space, family, method, seed, args.gens)
        for space, family in cells(
            args.set, args.families.split(","), [s for s in args.spaces.split(",") if s]
        )
        for seed in range(base, base + args.seeds)
        for method in args.methods.split(",")
        if (space, family, method, seed, args.gens) not in done
    ]
    print(f"{len(todo)} campaigns to run ({len(done)} already in {out})", flush=True)
    started = time.time()
    with out.open("a") as sink:
        if args.jobs > 1:
            with ProcessPoolExecutor(args.jobs) as pool:
                for r in pool.map(_job, todo):
                    sink.write(json.dumps(r) + "\n")
                    sink.flush()
        else:
            for job in todo:
                sink.write(json.dumps(_job(job)) + "\n")
                sink.flush()
    print(f"done in {time.time() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Side-by-side benchmark of the design engine against baselines (run by hand).

Every method runs on the same seeds: for a seed, all methods share the surface
and the first generation (the engine's space-filling design), then each designs
its own generations. Scores are best TRUE value / global optimum (optimum by
enumeration). In the noisy variant each experiment is run ``replicates`` times
with Gaussian noise and a method is scored by the true value of the experiment
it would recommend: the engine's ``recommend``; the others' best observed mean.

    python benchmarks/optimizer_benchmark.py --seeds 20 --gens 10 \
        --spaces factorial,mixture --methods engine,random,ga,tpe --jobs 2

Optuna is imported lazily (benchmark-only dependency).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
from scipy import stats

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))

from sigopt_like.service.optimizer import design_batch, recommend
from sigopt_like.service.optimizer.views import code_key, view_for
from sigopt_like.service.simulator import Surface, optimum
from sigopt_like.spaces import CategoricalParameter, MixtureComponent, NumericalParameter, Space

BATCH = 20
THRESHOLD = 0.99


def make_space(name: str) -> Space:
    """The benchmark spaces."""
    levels = (0.0, 0.25, 0.5, 0.75, 1.0)
    if name in ("factorial", "noisy"):
        return Space(
            type="factorial",
            parameters=[NumericalParameter(f"x{i}", levels) for i in range(6)],
        )
    if name == "categorical":
        params: list[Any] = [NumericalParameter(f"x{i}", levels) for i in range(2)]
        params += [CategoricalParameter(f"c{i}", ("a", "b", "c", "d")) for i in range(4)]
        params.append(CategoricalParameter("c4", ("u", "v", "w")))
        return Space(type="factorial", parameters=params)
    if name == "mixture":
        comps = [MixtureComponent(f"m{i}", 0, 15) for i in range(5)]
        return Space(type="mixture", parameters=comps, total_units=25)
    if name == "mixture8":
        comps = [MixtureComponent(f"m{i}", 0, 10) for i in range(8)]
        return Space(type="mixture", parameters=comps, total_units=20)
    raise ValueError(f"unknown space {name!r}")


SPACE_NOISE = {"noisy": (2, 0.05)}  # name -> (replicates, noise sd)


# --------------------------------------------------------------------------- methods


def engine_method(space, history, rng, seed, state):
    obs = [(p, v) for p, v in history]
    return design_batch(space, obs, batch_size=BATCH, seed=seed)


def random_method(space, history, rng, seed, state):
    view = view_for(space)
    tested = {code_key(view.to_code(p)) for p, _ in history}
    out, keys = [], set()
    while len(out) < BATCH:
        for code in view.sample(4 * BATCH, rng):
            k = code_key(code)
            if k not in tested and k not in keys and len(out) < BATCH:
                keys.add(k)
                out.append(code)
    return view.from_codes(np.array(out))


def ga_method(space, history, rng, seed, state):
    """Plain GA: tournament selection on observed means, crossover, mutation, no duplicates."""
    view = view_for(space)
    means: dict[tuple, list[float]] = {}
    codes: dict[tuple, np.ndarray] = {}
    for p, v in history:
        c = view.to_code(p)
        k = code_key(c)
        codes[k] = c
        if v is not None:
            means.setdefault(k, []).append(v)
    keys = list(means)
    fit = np.array([np.mean(means[k]) for k in keys])
    pop = np.array([codes[k] for k in keys])
    out, seen = [], set(codes)
    for _ in range(200):
        n = 4 * BATCH
        a = pop[_tournament(fit, n, rng)]
        b = pop[_tournament(fit, n, rng)]
        kids = view.crossover(a, b, rng)
        kids = view.mutate(kids, rng, 1.0)
        for c in kids:
            k = code_key(c)
            if k not in seen:
                seen.add(k)
                out.append(c)
            if len(out) == BATCH:
                return view.from_codes(np.array(out))
    return (
        view.from_codes(np.array(out))
        + random_method(space, history, rng, seed, state)[: BATCH - len(out)]
    )


def _tournament(fit: np.ndarray, n: int, rng) -> np.ndarray:
    a = rng.integers(len(fit), size=n)
    b = rng.integers(len(fit), size=n)
    return np.where(fit[a] >= fit[b], a, b)


class TPE:
    """Optuna TPE (multivariate, constant liar) driven batch by batch via ask/tell."""

    def __init__(self, space, seed: int) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.optuna = optuna
        self.space = space
        sampler = optuna.samplers.TPESampler(multivariate=True, constant_liar=True, seed=seed)
        self.study = optuna.create_study(direction="maximize", sampler=sampler)
        self.told = 0

    def _params(self, point) -> dict[str, Any]:
        params = list(self.space.parameters)
        if self.space.type == "mixture":
            return {p.name: int(v) for p, v in zip(params[:-1], point, strict=False)}
        out = {}
        for p, v in zip(params, point, strict=True):
            out[p.name] = p.values.index(v) if p.type == "numerical" else v
        return out

    def _point(self, trial) -> tuple:
        params = list(self.space.parameters)
        if self.space.type == "mixture":
            units = [trial.suggest_int(p.name, p.min, p.max) for p in params[:-1]]
            return _repair(units, params, self.space.total_units)
        out = []
        for p in params:
            if p.type == "numerical":
                out.append(p.values[trial.suggest_int(p.name, 0, len(p.values) - 1)])
            else:
                out.append(trial.suggest_categorical(p.name, list(p.values)))
        return tuple(out)

    def __call__(self, space, history, rng, seed, state):
        points = []
        trials = []
        for _ in range(BATCH):
            trial = self.study.ask()
            trials.append(trial)
            points.append(self._point(trial))
        state["tpe_trials"] = trials
        return points

    def seed_first(self, points) -> None:
        for p in points:
            self.study.enqueue_trial(self._params(p))


def _repair(units: list[int], params, total: int) -> tuple:
    """Last component takes the rest; push the excess back into the others within bounds."""
    units = [*list(units), total - sum(units)]
    lo = [p.min for p in params]
    hi = [p.max for p in params]
    k = len(units) - 1
    if units[k] > hi[k]:
        extra = units[k] - hi[k]
        units[k] = hi[k]
        for i in range(k):
            add = min(extra, hi[i] - units[i])
            units[i] += add
            extra -= add
    elif units[k] < lo[k]:
        deficit = lo[k] - units[k]
        units[k] = lo[k]
        for i in range(k):
            take = min(deficit, units[i] - lo[i])
            units[i] -= take
            deficit -= take
    return tuple(int(u) for u in units)


# --------------------------------------------------------------------------- one run


def run_one(space_name: str, method: str, seed: int, gens: int) -> dict[str, Any]:
    """One campaign: per generation, the score and the design time."""
    space = make_space(space_name)
    replicates, sd = SPACE_NOISE.get(space_name, (1, 0.0))
    surface = Surface.for_space(space, seed)
    _, opt = optimum(space, surface)
    rng = np.random.default_rng(10_000 + seed)
    noise_rng = np.random.default_rng(20_000 + seed)
    first = design_batch(space, [], batch_size=BATCH, seed=seed)
    history: list[tuple[tuple, float]] = []
    scores, times = [], []
    tpe = TPE(space, seed) if method == "tpe" else None
    state: dict[str, Any] = {}
    if tpe:
        tpe.seed_first(first)
    design: Callable = {"engine": engine_method, "random": random_method, "ga": ga_method}.get(
        method, tpe
    )
    for gen in range(gens):
        start = time.process_time()
        batch = (
            first if gen == 0 and not tpe else design(space, history, rng, seed * 100 + gen, state)
        )
        times.append(time.process_time() - start)
        values = []
        for p in batch:
            readings = [surface.noisy(p, noise_rng, sd) for _ in range(replicates)]
            history += [(p, r) for r in readings]
            values.append(float(np.mean(readings)))
        if tpe:
            for trial, v in zip(state["tpe_trials"], values, strict=True):
                tpe.study.tell(trial, v)
        scores.append(_score(space, surface, history, method, sd > 0) / opt)
    return {"space": space_name, "method": method, "seed": seed, "scores": scores, "times": times}


def _score(space, surface, history, method, noisy: bool) -> float:
    if not noisy:
        return max(surface.value(p) for p, _ in history)
    if method == "engine":
        point, _ = recommend(space, history)
        return surface.value(point)
    sums: dict[tuple, list[float]] = {}
    for p, v in history:
        sums.setdefault(p, []).append(v)
    best = max(sums, key=lambda p: np.mean(sums[p]))
    return surface.value(best)


# --------------------------------------------------------------------------- report


def report(results: list[dict[str, Any]], methods: Sequence[str], gens: int) -> str:
    lines = []
    spaces = list(dict.fromkeys(r["space"] for r in results))
    for space in spaces:
        lines.append(f"\n## space: {space}  (batch {BATCH}, {gens} generations)")
        by = {
            m: sorted(
                (r for r in results if r["space"] == space and r["method"] == m),
                key=lambda r: r["seed"],
            )
            for m in methods
        }
        by = {m: rs for m, rs in by.items() if rs}
        n_seeds = len(next(iter(by.values())))
        lines.append(f"seeds: {n_seeds}")
        header = "method   stat    " + " ".join(f"g{g + 1:<5d}" for g in range(gens))
        lines.append(header)
        for m, rs in by.items():
            s = np.array([r["scores"] for r in rs])
            lines.append(f"{m:<8s} mean    " + " ".join(f"{v:6.3f}" for v in s.mean(axis=0)))
            lines.append(f"{m:<8s} median  " + " ".join(f"{v:6.3f}" for v in np.median(s, axis=0)))
        lines.append("")
        g5, g10 = min(5, gens) - 1, gens - 1
        lines.append(
            f"method   P>=.99@{g5 + 1}  P>=.99@{g10 + 1}  gens-to-.99(median; never)  s/gen   "
            f"Wilcoxon vs tpe @{g5 + 1} / @{g10 + 1} (one-sided, greater)"
        )
        tpe = np.array([r["scores"] for r in by["tpe"]]) if "tpe" in by else None
        for m, rs in by.items():
            s = np.array([r["scores"] for r in rs])
            reach = [
                next((g + 1 for g in range(gens) if row[g] >= THRESHOLD), math.inf) for row in s
            ]
            finite = [x for x in reach if x != math.inf]
            med = np.median(reach) if finite else math.inf
            never = sum(1 for x in reach if x == math.inf)
            sec = float(np.mean([np.mean(r["times"][1:]) for r in rs]))
            wil = ""
            if tpe is not None and m != "tpe" and len(tpe) == len(s):
                p5 = _wilcoxon(s[:, g5], tpe[:, g5])
                wil = f"p={p5:.4f} / p={_wilcoxon(s[:, g10], tpe[:, g10]):.4f}"
            lines.append(
                f"{m:<8s} {np.mean(s[:, g5] >= THRESHOLD):8.2f}  "
                f"{np.mean(s[:, g10] >= THRESHOLD):9.2f}"
                f"  {med!s:>12}; {never:<13d} {sec:6.3f}   {wil}"
            )
        if "random" in by and "engine" in by:
            e = np.array([r["scores"] for r in by["engine"]]).mean(axis=0)
            rnd = np.array([r["scores"] for r in by["random"]]).mean(axis=0)
            lines.append(
                f"engine mean >= random mean at every generation: {bool(np.all(e >= rnd - 1e-12))}"
            )
    return "\n".join(lines)


def _wilcoxon(a: np.ndarray, b: np.ndarray) -> float:
    if np.allclose(a, b):
        return 1.0
    return float(stats.wilcoxon(a, b, alternative="greater", zero_method="zsplit").pvalue)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--seed-offset", type=int, default=0)
    ap.add_argument("--gens", type=int, default=10)
    ap.add_argument("--spaces", default="factorial,mixture,categorical,mixture8,noisy")
    ap.add_argument("--methods", default="engine,random,ga,tpe")
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args(argv)
    methods = args.methods.split(",")
    jobs = [
        (s, m, seed, args.gens)
        for s in args.spaces.split(",")
        for m in methods
        for seed in range(args.seed_offset, args.seed_offset + args.seeds)
    ]
    start = time.time()
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            results = list(pool.map(_run_tuple, jobs))
    else:
        results = [_run_tuple(j) for j in jobs]
    print(f"# optimizer benchmark: {' '.join(sys.argv[1:])}")
    print(report(results, methods, args.gens))
    print(f"\n(total wall time {time.time() - start:.0f} s)")
    return 0


def _run_tuple(job: tuple[str, str, int, int]) -> dict[str, Any]:
    return run_one(*job)


if __name__ == "__main__":
    raise SystemExit(main())

"""Candidate pools for the acquisition step when the space is not enumerated."""

from __future__ import annotations

import numpy as np

from .engine_types import ScoreFn
from .views import View


def generate_pool(
    view: View,
    parents: np.ndarray,
    size: int,
    rng: np.random.Generator,
    score: ScoreFn | None = None,
    heads: np.ndarray | None = None,
) -> np.ndarray:
    """Mutations and crossovers of the best points, local steps, and random samples.

    ``parents`` are codes of the best tested points, best first; ``heads`` the
    best tested point of each distinct basin, which get an equal share of local
    moves so that a second-best basin keeps being refined. When ``score``
    is given, a second round mutates the best-scoring candidates again (a short
    local search on the acquisition), so fine steps near good regions are present.
    """
    parts = [view.sample(int(0.35 * size), rng)]
    if len(parents):
        top = parents[: max(1, min(len(parents), 12))]
        # Many local moves around the very best, fewer around the others.
        weights = 1.0 / (1.0 + np.arange(len(top)))
        picks = rng.choice(len(top), size=int(0.35 * size), p=weights / weights.sum())
        parts.append(view.mutate(top[picks], rng, 1.0))
        parts.append(view.mutate(top[picks[: size // 10]], rng, 2.5))
        wide = parents[: max(2, min(len(parents), 25))]
        a = wide[rng.integers(len(wide), size=int(0.15 * size))]
        b = wide[rng.integers(len(wide), size=len(a))]
        parts.append(view.crossover(a, b, rng))
    if heads is not None and len(heads) > 1:
        picks = rng.integers(len(heads), size=int(0.15 * size))
        parts.append(view.mutate(heads[picks], rng, 1.0))
    pool = np.vstack(parts)
    if score is not None and len(pool):
        s = score(view.encode(pool))
        elite = pool[np.argsort(-s)[: max(10, size // 40)]]
        reps = max(1, size // (5 * len(elite)))
        parts.append(view.mutate(np.repeat(elite, reps, axis=0), rng, 1.0))
        pool = np.vstack(parts)
    return pool

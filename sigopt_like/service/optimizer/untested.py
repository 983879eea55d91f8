"""Untested points of a space too large to enumerate: drawn at random, then walked by rank.

The engine's candidate pool for such a space (mutations and crossovers of the best
points, a share of random samples; ``candidates``) is a sampling device, not a count
of what is left. Late in a campaign most of it is tested already: on a 100,000-point
factorial with 52,500 points tested, a pool of 9,000 candidates held only 1,481
untested ones, the batch of 1,500 came up short and the campaign was declared
exhausted with 47,500 untested points left. The population rule
(``sigopt_like.population``) says a generation can be designed while the space holds
``population_size`` untested points; :func:`untested_codes` finds them whenever they
exist, so that the end of a campaign follows from that rule and not from a sample.
"""

from __future__ import annotations

import math

import numpy as np

from .engine_types import Rankable
from .views import View

SAMPLE_ROUNDS = 3
"""Random draws before walking the ranks."""
MAX_DRAW = 200_000
"""Most codes drawn at random in one round."""
RANK_CHUNK = 65_536
"""Ranks decoded at a time when walking the space."""


def untested_codes(
    view: View, taken: np.ndarray, need: int, want: int, rng: np.random.Generator
) -> np.ndarray:
    """Distinct codes of ``view``'s space that are not rows of ``taken``.

    Returns at least ``need`` of them whenever the space holds that many (up to about
    ``want``, a pool to choose from), else every one there is. Random draws come first
    (cheap while untested points are common); when they find fewer than ``need``, the
    space's ranks are walked from a random start, so a space whose every point but a
    few was tested still yields those few. A space without ranks (a SigOpt space of
    doubles) is only drawn from: there, untested points never run out.
    """
    from .engine import untested_rows

    found = np.zeros((0, view.n_params))
    if need <= 0:
        return found
    # first the one draw of ``want`` the engine always made: where it finds ``need``, the
    # pool (and the seeded stream after it) is what it was, so campaigns that never ran
    # short design exactly as before
    found = untested_rows(view.sample(want, rng), taken)
    if len(found) >= need:
        return found
    size = view.size()
    distinct_taken = len(untested_rows(taken, found)) if len(taken) else 0
    for _ in range(SAMPLE_ROUNDS):
        share = (
            1.0 if size is None else max(size - distinct_taken, 1) / max(size, 1)
        )  # the share of the space still untested: how many draws give ``want`` of them
        n = int(min(MAX_DRAW, max(500, 2 * want, math.ceil(2 * want / share))))
        found = untested_rows(np.vstack([found, view.sample(n, rng)]), taken)
        if len(found) >= want:
            return found[:want]
    if len(found) >= need or size is None or not isinstance(view, Rankable):
        return found
    return _walk_ranks(view, size, taken, found, want, rng)


def _walk_ranks(
    view: Rankable,
    size: int,
    taken: np.ndarray,
    found: np.ndarray,
    want: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """``found`` completed by walking every rank from a random start until ``want``.

    Reached only when random draws find too few untested points, that is when nearly
    every point of the space was tested: the walk then costs about as much as the
    history itself (the space is hardly larger than it).
    """
    from .engine import untested_rows

    if size >= 2**62:  # ranks beyond int64: such a space cannot have been nearly filled
        return found
    start = int(rng.integers(size))
    for offset in range(0, size, RANK_CHUNK):
        ranks = (start + np.arange(offset, min(offset + RANK_CHUNK, size), dtype=np.int64)) % size
        found = untested_rows(np.vstack([found, view.unrank(ranks)]), taken)
        if len(found) >= want:
            return found[:want]
    return found

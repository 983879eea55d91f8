"""The design benchmark's random search draws from a stream no surface uses.

It once used the `noisy` family's own stream, ``[seed, 7]``, so its draws landed on that
surface's peak centres and the baseline "never below random search" was measured
against a random search that knew where the peaks were (benchmarks/README.md).
"""

from __future__ import annotations

import numpy as np

from benchmarks.methods import RandomSearch
from benchmarks.spaces import grid, make_space
from benchmarks.surfaces import FAMILIES


def _first_draws(rng: np.random.Generator) -> list[int]:
    return [int(v) for v in rng.bit_generator.random_raw(8)]


def test_random_search_stream_is_no_surface_stream_nor_the_noise():
    g = grid(make_space("c6"))
    for seed in (0, 1000):
        search = RandomSearch(g, seed, batch=20, replicates=2)
        own = _first_draws(search.rng)
        keys = [*range(len(FAMILIES)), 99]  # surfaces: [seed, family index]; noise
        for key in keys:
            assert own != _first_draws(np.random.default_rng([seed, key]))

"""The shared composition counting: exact against brute force, and one table for both sides."""

import itertools
import random
from collections import Counter

import numpy as np

from sigopt_like import compositions
from sigopt_like.service.optimizer.compositions import Compositions


def brute(lo, hi, total):
    ranges = [range(a, b + 1) for a, b in zip(lo, hi, strict=True)]
    return [p for p in itertools.product(*ranges) if sum(p) == total]


def test_count_and_iteration_match_brute_force():
    for lo, hi, total in [
        ([0, 0, 0], [5, 5, 5], 5),
        ([1, 0, 2], [4, 3, 6], 8),
        ([0, 1], [2, 2], 9),
    ]:
        expected = brute(lo, hi, total)
        assert compositions.count(lo, hi, total) == len(expected)
        assert list(compositions.iter_compositions(lo, hi, total)) == expected


def test_sampler_unranks_every_rank_to_a_distinct_composition():
    sampler = compositions.CompositionSampler([0, 1, 0], [4, 4, 3], 6)
    points = [sampler.unrank(r) for r in range(sampler.count)]
    assert points == brute([0, 1, 0], [4, 4, 3], 6)
    rng = random.Random(3)
    draws = Counter(sampler(rng) for _ in range(4000))
    assert set(draws) <= set(points) and len(draws) == len(points)


def test_the_vectorised_optimizer_table_agrees_with_the_shared_one():
    lo, hi, total = [0, 2, 1, 0], [6, 5, 4, 7], 12
    vectorised = Compositions(lo, hi, total)
    assert len(vectorised) == compositions.count(lo, hi, total)
    assert [tuple(int(v) for v in row) for row in vectorised.enumerate()] == list(
        compositions.iter_compositions(lo, hi, total)
    )
    assert vectorised.sample(5, np.random.default_rng(0)).sum(axis=1).tolist() == [total] * 5

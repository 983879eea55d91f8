"""Exact counting, enumeration and uniform sampling of bounded compositions."""

import itertools

import numpy as np
from scipy import stats

from sigopt_like.service.optimizer.compositions import Compositions


def brute(lo, hi, total):
    ranges = [range(a, b + 1) for a, b in zip(lo, hi, strict=False)]
    return [c for c in itertools.product(*ranges) if sum(c) == total]


def test_count_and_enumerate_match_brute_force():
    for lo, hi, total in [
        ([0, 0, 0], [5, 5, 5], 7),
        ([1, 0, 2, 0], [4, 3, 6, 2], 9),
        ([0], [3], 2),
    ]:
        comp = Compositions(lo, hi, total)
        expected = brute(lo, hi, total)
        assert comp.count == len(expected)
        assert sorted(map(tuple, comp.enumerate().tolist())) == sorted(expected)


def test_infeasible_has_zero_count():
    assert Compositions([0, 0], [2, 2], 5).count == 0
    assert Compositions([3, 3], [4, 4], 5).count == 0


def test_sampling_is_uniform_chi_square():
    comp = Compositions([0, 1, 0], [4, 4, 3], 6)
    points = [tuple(p) for p in comp.enumerate().tolist()]
    rng = np.random.default_rng(7)
    draws = comp.sample(20_000, rng)
    assert np.all(draws.sum(axis=1) == 6)
    counts = np.array([np.sum(np.all(draws == p, axis=1)) for p in points])
    assert counts.sum() == len(draws)
    _, p_value = stats.chisquare(counts)
    assert p_value > 0.001


def test_large_counts_are_exact_python_ints():
    comp = Compositions([0] * 30, [40] * 30, 600)
    assert comp.count > 2**62
    rng = np.random.default_rng(1)
    sample = comp.sample(3, rng)
    assert np.all(sample.sum(axis=1) == 600)
    assert np.all((sample >= 0) & (sample <= 40))

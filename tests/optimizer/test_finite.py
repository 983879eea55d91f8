"""Means and spreads of responses stay finite up to the float limit, and are the usual
arithmetic, bit for bit, for ordinary numbers (so no campaign's designs change)."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

from sigopt_like.service.optimizer import finite

BIG = 1.7e308


def test_ordinary_numbers_take_the_usual_arithmetic_bit_for_bit():
    rng = np.random.default_rng(5)
    values = list(rng.normal(3.0, 2.0, size=50))
    assert finite.mean(values) == statistics.fmean(values)
    assert finite.sample_sd(values) == statistics.stdev(values)
    group = rng.integers(0, 7, size=50)
    counts = np.bincount(group, minlength=7)
    sums = np.bincount(group, weights=values, minlength=7)
    assert np.array_equal(finite.group_means(group, np.array(values), counts), sums / counts)


def test_values_at_the_float_limit_have_a_finite_mean():
    assert finite.mean([BIG, BIG]) == BIG  # the sum overflowed: mean inf
    assert finite.mean([BIG, -BIG, BIG]) == pytest.approx(BIG / 3)  # in any order
    assert finite.mean([BIG, BIG, -BIG]) == pytest.approx(BIG / 3)  # fsum overflowed here
    assert finite.sample_sd([BIG, BIG]) == 0.0
    assert finite.sample_sd([BIG, -BIG]) == math.inf  # 2.4e308: beyond the limit itself
    group, counts = np.array([0, 0, 1, 1]), np.array([2, 2])
    means = finite.group_means(group, np.array([BIG, BIG, -BIG, 1.0]), counts)
    assert means[0] == BIG and means[1] == pytest.approx(-BIG / 2)

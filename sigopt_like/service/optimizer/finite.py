"""Means and spreads of responses that stay finite for every finite response.

A response may be any finite number, up to +-1.8e308 (SigOpt takes any finite metric
value, and so does a Daptics experiments table). Summed or squared as they are, such
numbers overflow: two replicate readings of 1.7e308 had an infinite mean, the model
refused it, and ``best`` answered a 500. Here values larger than ``HUGE`` are divided by
the largest of them before they are summed or squared, and the result is scaled back;
values up to ``HUGE`` take the usual arithmetic unchanged, bit for bit, so campaigns of
ordinary numbers are not affected.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

import numpy as np

FLOAT_MAX = float(np.finfo(float).max)
HUGE = 1e150
"""Beyond this size a value's square (and a sum of many such values) could overflow."""


def unit_of(values: Sequence[float] | np.ndarray) -> float:
    """The divisor that keeps ``values`` summable: 1, or their largest size beyond ``HUGE``."""
    peak = float(np.max(np.abs(np.asarray(values, dtype=float)))) if len(values) else 0.0
    return peak if peak > HUGE else 1.0


def mean(values: Sequence[float]) -> float:
    """The arithmetic mean, finite for finite values (``statistics.fmean`` when small)."""
    unit = unit_of(values)
    if unit == 1.0:
        return statistics.fmean(values)
    return statistics.fmean([v / unit for v in values]) * unit


def sample_sd(values: Sequence[float]) -> float:
    """The sample standard deviation (``statistics.stdev`` when small). The spread of
    values near the float limit can itself exceed it: then ``math.inf``, not an error."""
    unit = unit_of(values)
    if unit == 1.0:
        return statistics.stdev(values)
    sd = statistics.stdev([v / unit for v in values]) * unit
    return sd if math.isfinite(sd) else math.inf


def group_means(group: np.ndarray, values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Mean of ``values`` per group (``group[i]`` the group of ``values[i]``; ``counts``
    the size of each group, at least 1 where a mean is wanted)."""
    unit = unit_of(values)
    sums = np.bincount(group, weights=values / unit, minlength=len(counts))
    return sums / np.maximum(counts, 1) * unit


def half_range(values: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """``(low / 2, (high - low) / 2)`` of ``values``, finite for any finite values.

    Levels from -1e308 to 1e308 span 2e308, beyond the largest float; halved, the span
    is finite, and ``(x / 2 - low / 2) / ((high - low) / 2)`` is ``(x - low) / (high -
    low)`` exactly (halving is exact), so ordinary levels scale bit for bit as before.
    """
    arr = np.asarray(values, dtype=float)
    low = float(arr.min()) / 2.0
    return low, float(arr.max()) / 2.0 - low

"""Noisy responses: replicates that disagree put the GP's length scales under a prior.

On a few noisy means in many features, marginal likelihood alone interpolates the
noise (length scales at the floor or the ceiling); the next batch then scatters far
from the data (benchmarks/rounds.md: TUNE c6 noisy, first model-based batch).
"""

from __future__ import annotations

import numpy as np
import pytest

from sigopt_like.service.domain.codes import Codec, EncodedHistory
from sigopt_like.service.optimizer import design_batch
from sigopt_like.service.optimizer.history import gather, gather_codes
from sigopt_like.service.optimizer.surrogate import LS_MIN, GPSurrogate, tied_groups
from sigopt_like.service.optimizer.views import feature_groups, view_for

from .conftest import factorial

SPACE = factorial(levels=5, n_params=4, categorical=True)


def _truth(point) -> float:
    return -sum((float(v) / 4 - 0.6) ** 2 for v in point[:4])


def _noisy_history(seed: int, replicates: int = 3, sd: float = 0.05) -> list:
    rng = np.random.default_rng(seed)
    points = design_batch(SPACE, [], batch_size=12, seed=seed)
    return [(p, _truth(p) + rng.normal(0, sd)) for p in points for _ in range(replicates)]


def _features_and_means(obs):
    view = view_for(SPACE)
    hist = gather(view, obs)
    return view.encode(hist.scored_codes), hist.means, hist.counts


@pytest.mark.parametrize("seed", [0, 4, 8])
def test_the_prior_keeps_length_scales_off_the_floor_on_a_few_noisy_means(seed):
    X, y, counts = _features_and_means(_noisy_history(seed))
    plain = GPSurrogate(X, y, counts, seed=0)
    assert plain.length_scales.min() <= LS_MIN + 1e-6  # the noise interpolated
    held = GPSurrogate(X, y, counts, seed=0, ls_prior=True)
    assert np.all(held.length_scales > 2 * LS_MIN)


def test_the_prior_leaves_long_length_scales_free():
    X, y, counts = _features_and_means(_noisy_history(0))
    held = GPSurrogate(X, y, counts, seed=0, ls_prior=True)
    assert held.length_scales.max() > 10.0  # a feature that does not matter stays flat


def test_replicates_disagree_only_when_their_readings_differ():
    view = view_for(SPACE)
    noisy = _noisy_history(0)
    assert gather(view, noisy).replicates_disagree
    exact = [(p, _truth(p)) for p, _ in noisy]  # the same point read three times alike
    assert not gather(view, exact).replicates_disagree
    once = noisy[::3]  # no replicates: nothing says the response is noisy
    assert not gather(view, once).replicates_disagree


def test_gather_codes_measures_the_same_disagreement():
    view = view_for(SPACE)
    codec = Codec(SPACE)
    obs = _noisy_history(2)
    encoded = EncodedHistory([codec.encode(p) for p, _ in obs], [y for _, y in obs], [])
    from_codes = gather_codes(view, encoded)
    from_points = gather(view, obs)
    np.testing.assert_allclose(from_codes.deviations, from_points.deviations, rtol=1e-9)
    assert from_codes.deviations.sum() > 0
    assert from_codes.replicates_disagree


def test_a_noisy_history_is_designed_with_the_prior_and_a_noiseless_one_without():
    noisy = _noisy_history(3)
    means: dict = {}
    for p, y in noisy:
        means.setdefault(p, []).append(y)
    agreeing = [(p, float(np.mean(means[p]))) for p, _ in noisy]  # same means, no spread
    with_spread = design_batch(SPACE, noisy, batch_size=10, seed=5)
    without = design_batch(SPACE, agreeing, batch_size=10, seed=5)
    assert with_spread != without


def test_noisy_fits_on_few_points_give_a_categorical_one_length_scale():
    view = view_for(SPACE)
    groups = feature_groups(view)
    block = groups[-1]  # the categorical's three one-hot columns
    assert len(block) == 3
    assert [list(g) for g in tied_groups(groups, noisy=True, n_points=12)] == [list(block)]
    assert tied_groups(groups, noisy=False, n_points=12) == []
    assert tied_groups(groups, noisy=True, n_points=4 * 7) == []  # 4 points per feature: free
    for seed in (0, 4, 8):
        X, y, counts = _features_and_means(_noisy_history(seed))
        model = GPSurrogate(
            X, y, counts, seed=0, ls_prior=True, tied=tied_groups(groups, True, len(y))
        )
        scales = model.length_scales[block]
        assert np.allclose(scales, scales[0])
        free = GPSurrogate(X, y, counts, seed=0, ls_prior=True)
        assert not np.allclose(free.length_scales[block], free.length_scales[block][0])

"""gather_codes: a history given as codes (how the store keeps it) is the same History
as gather builds from points, and design_batch gives the same batch from either."""

from __future__ import annotations

import numpy as np
import pytest

from sigopt_like.service.domain.codes import Codec, EncodedHistory
from sigopt_like.service.optimizer import design_batch
from sigopt_like.service.optimizer.history import _first_occurrences, gather, gather_codes
from sigopt_like.service.optimizer.views import view_for

from .conftest import factorial, mixture


def _observations(space, seed):
    rng = np.random.default_rng(seed)
    points = design_batch(space, [], batch_size=20, seed=seed)
    obs = []
    for p in points + points[:6]:  # replicates
        y = None if rng.random() < 0.15 else float(rng.normal())
        obs.append((p, y))
    obs.append((points[1], -1e9))  # a failed replicate typed as a sentinel
    obs.append((points[0], float("nan")))  # not finite: not a reading
    exclude = design_batch(space, [], batch_size=8, seed=seed + 100)
    return obs, exclude


@pytest.mark.parametrize("make", [factorial, mixture])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_same_history_from_codes_as_from_points(make, seed):
    space = make()
    view = view_for(space)
    codec = Codec(space)
    obs, exclude = _observations(space, seed)
    from_points = gather(view, obs, exclude)
    encoded = EncodedHistory(
        codes=[codec.encode(p) for p, _ in obs],
        values=[y for _, y in obs],
        exclude=[codec.encode(p) for p in exclude],
    )
    from_codes = gather_codes(view, encoded)
    np.testing.assert_array_equal(from_codes.codes, from_points.codes)
    np.testing.assert_array_equal(from_codes.scored, from_points.scored)
    np.testing.assert_allclose(from_codes.means, from_points.means)
    np.testing.assert_array_equal(from_codes.counts, from_points.counts)
    np.testing.assert_array_equal(from_codes.first_seen, from_points.first_seen)
    np.testing.assert_allclose(from_codes.modelled, from_points.modelled)
    np.testing.assert_array_equal(from_codes.modelled_counts, from_points.modelled_counts)
    np.testing.assert_allclose(from_codes.deviations, from_points.deviations)
    assert from_codes.n_observations == from_points.n_observations


@pytest.mark.parametrize("make", [factorial, mixture])
def test_design_batch_is_the_same_from_codes(make):
    space = make()
    codec = Codec(space)
    obs, exclude = _observations(space, 5)
    encoded = EncodedHistory(
        [codec.encode(p) for p, _ in obs], [y for _, y in obs], [codec.encode(p) for p in exclude]
    )
    plain = design_batch(space, obs, batch_size=12, seed=9, exclude=exclude)
    coded = design_batch(space, [], batch_size=12, seed=9, encoded=encoded)
    assert coded == plain


def test_an_empty_history_from_codes():
    view = view_for(factorial())
    hist = gather_codes(view, EncodedHistory([], [], []))
    assert hist.codes.shape == (0, view.n_params)
    assert hist.n_observations == 0 and len(hist.scored) == 0


def test_rows_of_whole_codes_group_as_np_unique_groups_them():
    rng = np.random.default_rng(4)
    whole = rng.integers(0, 7, size=(500, 5)).astype(float)
    whole[:, 2] += 1e6  # offsets and wide spans still make one integer per row
    for arr in (whole, whole + 0.5, np.zeros((3, 2))):  # + 0.5: np.unique(axis=0)
        first, inverse = _first_occurrences(arr)
        _, ref_first, ref_inverse = np.unique(arr, axis=0, return_index=True, return_inverse=True)
        assert sorted(first.tolist()) == sorted(ref_first.tolist())
        np.testing.assert_array_equal(arr[first][inverse], arr)
        np.testing.assert_array_equal(first[inverse], ref_first[ref_inverse.reshape(-1)])

"""The surrogate's guards against over- and under-confidence, and exact ids of huge codes."""

from __future__ import annotations

import warnings

import numpy as np

from sigopt_like.service.optimizer.engine import untested_rows
from sigopt_like.service.optimizer.surrogate import LS_MIN, GPSurrogate


def _smooth_data(n: int = 40, d: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.random((n, d)) * 0.4  # every point in one corner of the cube
    return X, X.sum(axis=1)  # a plane: marginal likelihood wants long length scales


def test_length_scales_never_fall_below_the_floor_on_a_few_noisy_points():
    rng = np.random.default_rng(1)
    X = rng.integers(0, 5, size=(20, 4)) / 4.0
    y = rng.normal(size=20)  # no structure: an unbounded fit shrinks length scales to nothing
    model = GPSurrogate(X, y, np.ones(20, dtype=int), seed=0)
    assert np.all(model.length_scales >= LS_MIN - 1e-9)


def test_exploring_copy_is_uncertain_far_from_the_data_and_keeps_the_data():
    X, y = _smooth_data()
    model = GPSurrogate(X, y, np.ones(len(y), dtype=int), seed=0)
    assert model.length_scales.min() > 1.0  # the fitted model believes in a smooth plane
    explorer = model.exploring()
    far = np.array([[0.95, 0.95, 0.95]])
    _, sd_model = model.predict(far)
    _, sd_explorer = explorer.predict(far)
    assert sd_explorer[0] > 3 * sd_model[0]
    mu, _ = explorer.predict(X[:5])
    assert np.allclose(mu, y[:5], atol=0.05 * np.ptp(y))
    assert np.allclose(model.predict(X[:5])[0], y[:5], atol=0.05 * np.ptp(y))  # unchanged


def test_huge_integral_codes_get_no_integer_id_and_no_cast_warning():
    codes = np.array([[1e300, 2.0], [3.0, 4.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fresh = untested_rows(codes, np.array([[3.0, 4.0]]))
    assert fresh.tolist() == [[1e300, 2.0]]

"""A factorial space's features: categorical levels one-hot, built without a square matrix."""

from __future__ import annotations

import tracemalloc

import numpy as np

from sigopt_like.service.optimizer.views import view_for
from sigopt_like.spaces import CategoricalParameter, NumericalParameter, Space

from .conftest import factorial


def test_a_categorical_of_many_levels_is_encoded_without_a_square_matrix():
    """Before: the view kept np.eye(levels) per categorical, 20 GB for 50,000 levels (and
    minutes of a generate) before a single feature was asked for."""
    values = tuple(f"v{i}" for i in range(50_000))
    space = Space(
        type="factorial",
        parameters=[NumericalParameter("p", (0, 1)), CategoricalParameter("c", values)],
    )
    tracemalloc.start()
    try:
        view = view_for(space)
        features = view.encode(np.array([[0, 0], [1, 49_999], [0, 5]]))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20, peak
    assert features.shape == (3, 50_001) == (3, view.dim)
    assert [int(i) for i in features[:, 1:].argmax(axis=1)] == [0, 49_999, 5]
    assert (np.count_nonzero(features[:, 1:], axis=1) == 1).all()
    assert features[:, 0].tolist() == [0.0, 1.0, 0.0]


def test_one_hot_levels_are_a_unit_apart():
    view = view_for(factorial(levels=3, n_params=1))
    features = view.encode(np.array([[0, 0], [2, 1], [1, 2]]))
    assert features.shape == (3, 1 + 3)
    assert features[:, 0].tolist() == [0.0, 1.0, 0.5]
    for a in range(3):
        for b in range(a + 1, 3):
            assert abs(np.linalg.norm(features[a, 1:] - features[b, 1:]) - 1.0) < 1e-12


def test_numerical_parameters_of_unequal_levels_encode_as_their_scaled_levels():
    """Every parameter numerical: ``encode`` looks the pool up in one padded table; each
    column is still its parameter's levels scaled to [0, 1], none read from the padding."""
    space = Space(
        type="factorial",
        parameters=[
            NumericalParameter("a", (0, 1)),
            NumericalParameter("b", (-4, 0, 2, 8)),
            NumericalParameter("c", (5, 6, 7)),
        ],
    )
    view = view_for(space)
    codes = np.array([[0, 0, 0], [1, 3, 2], [1, 1, 1], [0, 2, 0]])
    features = view.encode(codes)
    assert features.tolist() == [
        [0.0, 0.0, 0.0],
        [1.0, 1.0, 1.0],
        [1.0, 1 / 3, 0.5],
        [0.0, 0.5, 0.0],
    ]

"""Thousands of two-level numerical parameters (a screening design): each generation is a
valid batch, and the wide kernel arithmetic (``wide_fit``) is scikit-learn's kernel."""

from __future__ import annotations

import numpy as np
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

from sigopt_like.service.optimizer import design_batch, is_feasible
from sigopt_like.service.optimizer.engine import untested_rows
from sigopt_like.service.optimizer.surrogate import GPSurrogate
from sigopt_like.service.optimizer.wide_fit import WIDE_FEATURES, matern52_lml
from sigopt_like.spaces import NumericalParameter, Space

WIDTH = 3_000


def screening(width: int = WIDTH) -> Space:
    return Space("factorial", [NumericalParameter(f"x{i}", (0, 1)) for i in range(width)])


def test_a_screening_design_of_3000_parameters_designs_model_based_generations():
    space = screening()
    weights = np.random.default_rng(0).normal(size=WIDTH)
    observations: list[tuple[tuple, float]] = []
    for gen in range(2):  # the second one is fitted on the first's 30 responses
        batch = design_batch(space, observations, batch_size=30, seed=gen)
        assert len(batch) == 30
        assert len(set(batch)) == 30
        assert all(is_feasible(space, p) and len(p) == WIDTH for p in batch)
        assert not set(batch) & {p for p, _ in observations}
        observations += [(p, float(weights @ np.asarray(p, dtype=float))) for p in batch]


def _kernel(d: int):
    return ConstantKernel(1.3) * Matern(length_scale=np.full(d, 0.7), nu=2.5) + WhiteKernel(0.05)


def test_the_wide_likelihood_and_gradient_are_scikit_learns():
    rng = np.random.default_rng(1)
    X, z = rng.integers(0, 2, size=(25, WIDE_FEATURES)).astype(float), rng.normal(size=25)
    kernel = _kernel(WIDE_FEATURES)
    gp = GaussianProcessRegressor(kernel=kernel, alpha=1e-8, optimizer=None).fit(X, z)
    theta = kernel.theta + rng.normal(scale=0.3, size=len(kernel.theta))
    want, want_grad = gp.log_marginal_likelihood(theta, eval_gradient=True)
    got, got_grad = matern52_lml(theta, X, z, 1e-8)
    assert np.isclose(got, want, rtol=1e-10)
    assert np.allclose(got_grad, want_grad, rtol=1e-8, atol=1e-8)


def test_a_wide_model_predicts_and_conditions_as_scikit_learn_would():
    rng = np.random.default_rng(2)
    X = rng.integers(0, 2, size=(30, WIDE_FEATURES)).astype(float)
    near = X[:25].copy()  # tested points with a few levels changed: kernel values far from 0
    near[:, 100:102] = 1.0 - near[:, 100:102]
    pool = np.vstack([near, rng.integers(0, 2, size=(25, WIDE_FEATURES)).astype(float)])
    model = GPSurrogate(X, X[:, :3].sum(axis=1), np.ones(30), seed=0)
    assert model.wide
    assert model.signal(near, X).max() > 1e-3 * model.constant
    # relative only: small kernel values are compared too
    assert np.allclose(model.cross(near, X), model.signal(near, X), rtol=1e-6, atol=0.0)
    believer = model.believer(pool)
    for i in (3, 17):
        want = model.signal(pool, pool[i : i + 1])[:, 0]
        assert np.allclose(believer._column(i)[:25], want[:25], rtol=1e-6, atol=0.0)


def test_untested_rows_of_wide_codes_keep_the_first_of_each_untested_row():
    codes = np.array([[0.0, 1.0] * 40, [1.0, 0.0] * 40, [0.0, 1.0] * 40, [-0.0, 0.0] * 40])
    existing = np.array([[1.0, 0.0] * 40, [0.0, 0.0] * 40])  # -0.0 is the code 0.0
    kept = untested_rows(codes, existing)  # 80 two-level columns: no integer ids
    assert kept.tolist() == [[0.0, 1.0] * 40]

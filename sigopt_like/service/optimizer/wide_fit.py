"""The GP's marginal likelihood and its gradient on wide feature sets, without an
``n x n x features`` array.

scikit-learn's ARD Matern returns its gradient as one ``n x n`` matrix per length scale:
on 3,000 two-level parameters and the 120 points the hyperparameters are fitted on, that
is 43 million floats built and reduced at every L-BFGS-B step (12 of a generation's 30 s).
Here the same gradient is reduced as it is formed, with two matrix products, in ``O(n^2 d)``
time and ``O(n d)`` memory. Same kernel, same formula, other rounding: the engine uses it
only from ``WIDE_FEATURES`` feature columns on, so that every narrower space (the benchmark
families, the examples) designs bit for bit as before.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import cho_solve, cholesky
from scipy.spatial.distance import cdist

WIDE_FEATURES = 256
"""From this many feature columns on, the likelihood is computed here instead of by
scikit-learn (the same value and gradient, rounded differently; narrower spaces keep
scikit-learn's rounding, and with it their designs bit for bit)."""


def matern52_lml(
    theta: np.ndarray, X: np.ndarray, z: np.ndarray, alpha: float | np.ndarray
) -> tuple[float, np.ndarray]:
    """Log marginal likelihood of ``z`` under ``ConstantKernel * Matern(nu=2.5, ARD) +
    WhiteKernel`` with log-hyperparameters ``theta`` (scikit-learn's order: constant,
    the length scales, noise) plus ``alpha`` on the diagonal, and its gradient in
    ``theta``; ``(-inf, 0)`` when the kernel matrix is not positive definite (as
    scikit-learn returns)."""
    n, d = X.shape
    constant = float(np.exp(theta[0]))
    scales = np.exp(theta[1 : 1 + d])
    noise = float(np.exp(theta[1 + d]))
    Xs = X / scales
    r = np.sqrt(5.0 * cdist(Xs, Xs, metric="sqeuclidean"))
    decay = np.exp(-r)
    M = (1.0 + r + r**2 / 3.0) * decay
    K = constant * M
    K[np.diag_indices_from(K)] += noise + alpha
    try:
        L = cholesky(K, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        return -np.inf, np.zeros_like(theta)
    a = cho_solve((L, True), z, check_finite=False)
    lml = -0.5 * float(z @ a) - float(np.log(np.diag(L)).sum()) - n / 2 * np.log(2 * np.pi)
    inner = np.outer(a, a) - cho_solve((L, True), np.eye(n), check_finite=False)
    grad = np.empty(len(theta))
    grad[0] = 0.5 * float((inner * (constant * M)).sum())
    # d K_ij / d log(scale_k) = constant * 5/3 * (1 + r) * exp(-r) * (xs_ik - xs_jk)^2; the
    # sum over i, j of W_ij (xs_ik - xs_jk)^2 is 2 (W 1)^T xs_k^2 - 2 xs_k^T W xs_k
    W = 0.5 * inner * (constant * 5.0 / 3.0) * (1.0 + r) * decay
    grad[1 : 1 + d] = 2.0 * (W.sum(axis=1) @ Xs**2) - 2.0 * np.einsum("ik,ik->k", Xs, W @ Xs)
    grad[1 + d] = 0.5 * float(np.trace(inner)) * noise
    return lml, grad


def matern52_cross(A: np.ndarray, B: np.ndarray, constant: float, scales: np.ndarray) -> np.ndarray:
    """``constant * Matern(nu=2.5)`` between the rows of ``A`` and of ``B`` (length
    ``scales``), distances by one matrix product instead of scipy's ``cdist`` (a
    pool of 2,500 against 60 points in 3,000 features took a second there)."""
    return scaled_cross(A / scales, B / scales, constant)


def scaled_cross(
    As: np.ndarray, Bs: np.ndarray, constant: float, a_sq: np.ndarray | None = None
) -> np.ndarray:
    """:func:`matern52_cross` of rows already divided by the length scales (``a_sq``:
    the squared norms of ``As``'s rows, when the caller keeps them)."""
    a_sq = (As**2).sum(axis=1) if a_sq is None else a_sq
    d2 = a_sq[:, None] + (Bs**2).sum(axis=1)[None, :] - 2.0 * (As @ Bs.T)
    r = np.sqrt(5.0 * np.maximum(d2, 0.0))
    return constant * ((1.0 + r + r**2 / 3.0) * np.exp(-r))

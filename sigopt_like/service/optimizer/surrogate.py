"""Surrogate models over encoded features: an ARD Matern 5/2 GP or ExtraTrees.

Both expose ``predict(X) -> (mean, sd)`` and a ``Believer`` that lowers the
uncertainty around points already put in the batch (kriging believer for the
GP: exact conditioning on a fantasy observation; a distance penalty for trees).
Responses are standardised inside; predictions come back in response units.
Hyperparameters are fitted by L-BFGS-B on the marginal likelihood (on noisy
responses: a prior on short length scales, and one length scale per categorical).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
from scipy.linalg import solve_triangular
from scipy.optimize import minimize
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
from sklearn.utils import check_array

from .allowance import FitStop
from .finite import FLOAT_MAX, unit_of
from .wide_fit import WIDE_FEATURES, matern52_cross, matern52_lml, scaled_cross

LS_MIN = 0.1
"""Shortest length scale (unit features): shorter ones, fitted on a few points, turn levels
into unrelated values and the model into noise (seen on the tune surfaces: 0.02 at 20 points)."""
EXPLORE_CAP = 1.0
"""Length scales above this (in unit features) count as this much when exploring."""
EXPLORE_FACTOR = 2.0
"""Exploring divides the (capped) length scales by this factor."""


LS_PRIOR_FROM = 1.0
"""On noisy responses, length scales shorter than this (unit features) are penalised."""
TIE_POINTS_PER_FEATURE = 4
"""On noisy responses, categorical length scales are tied while there are fewer scored
points than this many per feature."""
LS_PRIOR_SD = 1.5
"""The penalty's spread in log length scale (a half-normal on ``log(LS_PRIOR_FROM / ls)``):
weak, it rules out only what a few noisy points cannot support."""


def standardise(y: np.ndarray) -> tuple[float, float, np.ndarray]:
    """``(shift, scale, z)`` with ``z = (y - shift) / scale`` of mean 0 and sd 1, finite for
    any finite ``y`` (values up to +-1.8e308 included)."""
    unit = unit_of(y)  # beyond HUGE, from a rescaled copy: mean, spread, squares overflow
    u = y / unit
    shift_u = float(u.mean())
    scale_u = float(u.std()) or 1.0
    z = (u - shift_u) / scale_u
    return shift_u * unit, scale_u * unit, z


def unstandardise(shift: float, scale: float, z: np.ndarray) -> np.ndarray:
    """``shift + scale * z`` in the responses' units, kept finite (clipped at the float
    limit instead of overflowing to infinity when the responses are near it)."""
    with np.errstate(over="ignore"):
        return np.clip(shift + scale * np.asarray(z), -FLOAT_MAX, FLOAT_MAX)


def spread(scale: float, sd: np.ndarray) -> np.ndarray:
    """A standard deviation in the responses' units, kept finite as ``unstandardise`` does."""
    with np.errstate(over="ignore"):
        return np.minimum(scale * np.asarray(sd), FLOAT_MAX)


class GPSurrogate:
    """Gaussian process, ARD Matern 5/2 plus a white noise term, fitted on replicate means."""

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray,
        counts: np.ndarray,
        seed: int,
        noise: np.ndarray | None = None,
        ls_prior: bool = False,
        tied: Sequence[np.ndarray] = (),
        stop: FitStop | None = None,
    ) -> None:
        """``noise``: each point's known noise variance in ``y``'s units (SigOpt's
        ``value_stddev`` squared), added to the kernel's diagonal for that point.

        ``ls_prior``: fit the hyperparameters by maximum a posteriori, with a prior
        that penalises length scales shorter than ``LS_PRIOR_FROM`` (half-normal in
        the log, sd ``LS_PRIOR_SD``; longer ones are free), instead of by marginal
        likelihood alone. For noisy responses: with a few noisy means in many
        features, the likelihood is maximised by interpolating the noise (some
        length scales at ``LS_MIN``), and the next batch follows that noise.
        Only short scales are penalised: pulling long ones in too (a two-sided
        prior) made features that do not matter look uncertain and cost the late
        generations on the TUNE cell with four categoricals.

        ``tied``: groups of feature columns fitted with one shared length scale
        (``tied_groups``: a categorical's one-hot block, on noisy responses while
        there are fewer than 4 points per feature). One length scale per level gave
        a 4-categorical space 17 of them to fit on 20 noisy means; ten sat at the
        ceiling and the first model-based batch found less than random search
        (TUNE ``c6 noisy``, benchmarks/rounds.md). With more points, per-level
        scales are free again.

        ``stop``: the hyperparameter fit's stop (``fit_hyperparameters``).
        """
        self.shift, self.scale, z = standardise(y)
        self.alpha = _alpha(noise, self.scale)
        d = X.shape[1]
        kernel = ConstantKernel(1.0, (1e-2, 1e2)) * Matern(
            length_scale=np.full(d, 0.5), length_scale_bounds=(LS_MIN, 2e1), nu=2.5
        ) + WhiteKernel(1e-2, (1e-6, 1.0))
        self.gp = _fit_gp(kernel, X, z, seed, self.alpha, ls_prior, tied, stop)
        self.X = X
        self.z = z
        self.seed = seed
        self.signal = self.gp.kernel_.k1
        self.noise = float(self.gp.kernel_.k2.noise_level)

    def exploring(
        self,
        cap: float = EXPLORE_CAP,
        factor: float = EXPLORE_FACTOR,
        keep: np.ndarray | None = None,
    ) -> GPSurrogate:
        """The same data with length scales ``min(ls, cap) / factor`` (no refit).

        Marginal likelihood favours long length scales once many points sit on one
        smooth peak; that model is then sure nothing lies between its data and stops
        exploring. The shortened copy keeps the posterior mean's shape near the data
        but is uncertain away from it in every dimension, so the explore role of a
        batch goes where nothing was tested, not only where the fitted model doubts.

        ``keep``: feature columns that keep their fitted length scales (the batch engine
        passes a categorical's one-hot columns: shortened, a categorical the model found
        irrelevant made every untested combination of its levels look unexplored).
        """
        out = copy.copy(self)
        scales = np.minimum(self.length_scales, cap) / factor
        if keep is not None:
            scales = np.where(keep, self.length_scales, scales)
        kernel = self.gp.kernel_.clone_with_theta(self.gp.kernel_.theta)
        kernel.set_params(k1__k2__length_scale=scales)
        out.gp = conditioned(kernel, self.X, self.z, self.alpha)
        out.signal = out.gp.kernel_.k1
        return out

    @property
    def length_scales(self) -> np.ndarray:
        return np.atleast_1d(self.signal.k2.length_scale)

    def predict(self, Xp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mu, var, _ = self._posterior(Xp)
        return unstandardise(self.shift, self.scale, mu), spread(self.scale, np.sqrt(var))

    def predict_mean(self, Xp: np.ndarray) -> np.ndarray:
        """Posterior mean only (no variance: much cheaper on big pools)."""
        return unstandardise(self.shift, self.scale, self.cross(Xp, self.X) @ self.gp.alpha_)

    @property
    def wide(self) -> bool:
        """Kernel values by matrix products (``wide_fit``) rather than scikit-learn's."""
        return self.X.shape[1] >= WIDE_FEATURES

    @property
    def constant(self) -> float:
        return float(self.signal.k1.constant_value)

    def cross(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        """The signal kernel between the rows of ``A`` and of ``B``."""
        if self.wide:
            return matern52_cross(A, B, self.constant, self.length_scales)
        return self.signal(A, B)

    def _posterior(self, Xp: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        Kp = self.cross(Xp, self.X)
        V = solve_triangular(self.gp.L_, Kp.T, lower=True, check_finite=False)
        mu = Kp @ self.gp.alpha_
        var = np.maximum(self.signal.diag(Xp) - (V**2).sum(axis=0), 1e-12)
        return mu, var, V

    def believer(self, Xp: np.ndarray) -> Believer:
        mu, var, V = self._posterior(Xp)
        return GPBeliever(self, Xp, mu, var, V)


class GPBeliever:
    """Posterior over a candidate pool, updated as batch points are fixed."""

    def __init__(self, model: GPSurrogate, Xp: np.ndarray, mu, var, V) -> None:
        self.model = model
        self.Xp = Xp
        self.mu_std = mu
        self.var = var.copy()
        self.V = V
        self.updates: list[np.ndarray] = []
        self._scaled: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def mean(self) -> np.ndarray:
        return unstandardise(self.model.shift, self.model.scale, self.mu_std)

    @property
    def sd(self) -> np.ndarray:
        return spread(self.model.scale, np.sqrt(np.maximum(self.var, 1e-12)))

    def add(self, i: int) -> None:
        """Condition on a fantasy observation at pool point ``i`` equal to its mean."""
        col = self._column(i) - self.V.T @ self.V[:, i]
        for u in self.updates:
            col -= u * u[i]
        u = col / np.sqrt(max(col[i], 1e-12) + self.model.noise)
        self.updates.append(u)
        self.var = np.maximum(self.var - u**2, 1e-12)

    def _column(self, i: int) -> np.ndarray:
        """The signal kernel between the pool and pool point ``i``; on wide features from
        the pool divided by the length scales once, not at every fixed point."""
        if not self.model.wide:
            return self.model.signal(self.Xp, self.Xp[i : i + 1])[:, 0]
        if self._scaled is None:
            scaled = self.Xp / self.model.length_scales
            self._scaled = (scaled, (scaled**2).sum(axis=1))
        scaled, sq = self._scaled
        return scaled_cross(scaled, scaled[i : i + 1], self.model.constant, sq)[:, 0]


HYPER_FIT_POINTS = 120
"""Kernel hyperparameters are fitted on at most this many points (best half + random)."""
HYPER_FIT_ITERATIONS = 30
"""L-BFGS-B iterations for the hyperparameters (the optimum is flat; more rarely helps)."""


JITTER = 1e-8
"""The GP's diagonal term for points without a known noise."""


def _alpha(noise: np.ndarray | None, scale: float) -> float | np.ndarray:
    """The GP's per-point diagonal term: jitter, plus a known noise variance scaled
    to the standardised response."""
    if noise is None or not np.any(noise > 0):
        return JITTER
    return JITTER + scaled_noise(noise, scale)


NOISE_CEILING = 1e300
"""A known noise variance in standardised units counts as at most this. Far below it an
observation already weighs nothing; the ceiling keeps the kernel's diagonal finite (a
``value_stddev`` of 1e150 over responses spread by 1e-6 overflowed to infinity: a
RuntimeWarning at every suggestion, and a marginal likelihood of -inf for every
hyperparameter, so the GP's were not fitted)."""


def scaled_noise(noise: np.ndarray, scale: float) -> np.ndarray:
    """Known noise variances in the units of the standardised response (``y / scale``),
    at most NOISE_CEILING."""
    with np.errstate(over="ignore"):  # scale**2 may overflow, or underflow to 0
        return np.minimum(np.asarray(noise, dtype=float) / scale / scale, NOISE_CEILING)


def _fit_gp(
    kernel,
    X: np.ndarray,
    z: np.ndarray,
    seed: int,
    alpha: float | np.ndarray = JITTER,
    ls_prior: bool = False,
    tied: Sequence[np.ndarray] = (),
    stop: FitStop | None = None,
) -> GaussianProcessRegressor:
    """Fit hyperparameters by marginal likelihood (on a subset when large), then all data."""
    subset = np.arange(len(z))
    if len(z) > HYPER_FIT_POINTS:
        rng = np.random.default_rng(seed)
        half = HYPER_FIT_POINTS // 2
        best = np.argsort(-z)[:half]
        rest = np.setdiff1d(np.arange(len(z)), best)
        subset = np.concatenate([best, rng.choice(rest, HYPER_FIT_POINTS - half, replace=False)])
    sub_alpha = alpha[subset] if isinstance(alpha, np.ndarray) else alpha
    theta = fit_hyperparameters(kernel, X[subset], z[subset], sub_alpha, ls_prior, tied, stop)
    tuned = kernel.clone_with_theta(theta)
    return conditioned(tuned, X, z, alpha)


def conditioned(
    kernel, X: np.ndarray, z: np.ndarray, alpha: float | np.ndarray = JITTER
) -> GaussianProcessRegressor:
    """A GP with fixed hyperparameters conditioned on the data (no optimizer)."""
    return GaussianProcessRegressor(kernel=kernel, alpha=alpha, optimizer=None).fit(X, z)


def fit_hyperparameters(
    kernel,
    X: np.ndarray,
    z: np.ndarray,
    alpha: float | np.ndarray = JITTER,
    ls_prior: bool = False,
    tied: Sequence[np.ndarray] = (),
    stop: FitStop | None = None,
) -> np.ndarray:
    """Log-hyperparameters maximising the marginal likelihood within the kernel's bounds
    (with ``ls_prior``: plus the log density of the prior on short length scales).
    ``stop``: asked before each evaluation of the likelihood (the first included) with
    the seconds the one before took, measured on the stop's clock (0.0 before the first;
    the request allowance's clock, which a test pins: measured on the process's own
    clock, real seconds leaked into a decision on the pinned one); when true, the fit
    ends at the best point evaluated so far, or at the kernel's own hyperparameters when
    none was (a request's time budget running out: ``Allowance.stops_fit``). Asked after each
    iteration instead, as it was, a fit begun past the cut still ran its first iteration
    (an evaluation, then a line search's), and one begun before it ran its iteration
    past it: on a loaded machine the widest benchmark space's first fits ran past the
    budget so. Never true, it changes nothing: the same evaluations, the same result.

    L-BFGS-B with a capped number of iterations, run here rather than through
    ``GaussianProcessRegressor(optimizer=...)``: sklearn's fit then checks the
    result against the bounds and issues ``ConvergenceWarning`` ("close to the
    specified lower bound"), which is expected here (a noiseless response drives
    the noise term to its floor) and would print on a user's console. Silencing
    it with ``warnings.catch_warnings`` is not an option: that swaps the
    process-wide filter list, and the service fits in several worker threads at
    once, so one thread's exit restores the filters under another's fit. Nothing
    here warns, and nothing global is touched.
    """
    gp = conditioned(kernel, X, z, alpha)
    scales = _length_scale_slice(kernel)
    # ``reduce[k]``: the free parameter behind full hyperparameter k (tied length scales
    # share one); the prior counts each free length scale once
    reduce = np.arange(len(kernel.theta))
    for cols in tied:
        reduce[scales.start + np.asarray(cols)] = scales.start + int(np.min(cols))
    free, reduce = np.unique(reduce, return_inverse=True)
    lo, hi = scales.start, scales.stop
    penalised = (free >= lo) & (free < hi) if ls_prior else np.zeros(len(free), dtype=bool)
    start = np.log(LS_PRIOR_FROM)
    wide = X.shape[1] >= WIDE_FEATURES  # the same likelihood, without an n x n x d gradient

    best: list[tuple[float, np.ndarray]] = []  # the lowest objective evaluated, and where
    took = [0.0]  # the seconds of the last evaluation

    def objective(r: np.ndarray) -> tuple[float, np.ndarray]:
        if stop is not None and stop.ask(took[0]):
            raise _Stopped
        began = stop.clock() if stop is not None else 0.0
        theta = r[reduce]
        lml, grad_full = (
            matern52_lml(theta, X, z, alpha)
            if wide
            else gp.log_marginal_likelihood(theta, eval_gradient=True, clone_kernel=False)
        )
        grad = np.bincount(reduce, weights=np.asarray(grad_full, dtype=float), minlength=len(r))
        short = np.minimum(r[penalised] - start, 0.0)  # 0 for scales >= LS_PRIOR_FROM
        grad[penalised] -= short / LS_PRIOR_SD**2
        log_prior = -0.5 * float((short**2).sum()) / LS_PRIOR_SD**2
        value = -(float(lml) + log_prior)
        if stop is not None:
            if not best or value < best[0][0]:
                best[:] = [(value, np.array(r))]
            took[0] = stop.clock() - began
        return value, -grad

    try:
        result = minimize(
            objective,
            kernel.theta[free],
            method="L-BFGS-B",
            jac=True,
            bounds=kernel.bounds[free],
            options={"maxiter": HYPER_FIT_ITERATIONS},
        )
    except _Stopped:
        return np.asarray(best[0][1] if best else kernel.theta[free])[reduce]
    return np.asarray(result.x)[reduce]


class _Stopped(Exception):
    """A hyperparameter fit's ``stop`` said so before an evaluation of the likelihood."""


def _length_scale_slice(kernel) -> slice:
    """Where the length scales sit in ``kernel.theta`` (hyperparameters in their order)."""
    start = 0
    for h in kernel.hyperparameters:
        if h.fixed:
            continue
        size = h.n_elements
        if h.name.endswith("length_scale"):
            return slice(start, start + size)
        start += size
    return slice(0, 0)


class TreeSurrogate:
    """ExtraTrees ensemble: mean and spread over trees."""

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray,
        counts: np.ndarray,
        seed: int,
        noise: np.ndarray | None = None,
    ) -> None:
        """``noise`` (known noise variances, as for the GP) weighs each point by its
        precision relative to the response's spread."""
        self.shift, self.scale, z = standardise(y)
        self.model = ExtraTreesRegressor(
            n_estimators=60, min_samples_leaf=2, max_features=0.8, random_state=seed, n_jobs=1
        )
        weight = None if noise is None else 1.0 / (1.0 + scaled_noise(noise, self.scale))
        self.model.fit(X, z, sample_weight=weight)
        self.X = X
        self.length_scales = np.full(X.shape[1], 0.3)

    def predict(self, Xp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # validated (to the trees' float32) once, not by each of the 60 trees: sklearn's
        # check of a pool of 2,500 x 200 features, per tree, was a quarter of the prediction
        X32 = check_array(Xp, dtype=np.float32, order="C")
        per_tree = np.stack([t.predict(X32, check_input=False) for t in self.model.estimators_])
        mu = per_tree.mean(axis=0)
        sd = per_tree.std(axis=0) + 1e-6
        return unstandardise(self.shift, self.scale, mu), spread(self.scale, sd)

    def predict_mean(self, Xp: np.ndarray) -> np.ndarray:
        return self.predict(Xp)[0]

    def believer(self, Xp: np.ndarray) -> Believer:
        mu, sd = self.predict(Xp)
        return DistanceBeliever(Xp, mu, sd, radius=0.25)


class DistanceBeliever:
    """Uncertainty shrunk near fixed batch points (local penalisation)."""

    def __init__(self, Xp: np.ndarray, mu: np.ndarray, sd: np.ndarray, radius: float) -> None:
        self.Xp = Xp
        self.mean = mu
        self._sd = sd
        self.factor = np.ones(len(Xp))
        self.radius2 = radius**2

    @property
    def sd(self) -> np.ndarray:
        return self._sd * self.factor

    def add(self, i: int) -> None:
        d2 = ((self.Xp - self.Xp[i]) ** 2).sum(axis=1)
        self.factor *= 1.0 - np.exp(-d2 / (2 * self.radius2))


Believer = GPBeliever | DistanceBeliever
Surrogate = GPSurrogate | TreeSurrogate


def tied_groups(groups: Sequence[np.ndarray], noisy: bool, n_points: int) -> list[np.ndarray]:
    """Feature columns sharing one length scale: on noisy responses, while there are fewer
    than ``TIE_POINTS_PER_FEATURE`` points per feature, each categorical's one-hot block
    (one length scale per parameter, not per level); none otherwise."""
    n_features = sum(len(g) for g in groups)
    if not noisy or n_points >= TIE_POINTS_PER_FEATURE * n_features:
        return []
    return [g for g in groups if len(g) > 1]


def fit_surrogate(
    X: np.ndarray,
    y: np.ndarray,
    counts: np.ndarray,
    rng: np.random.Generator,
    *,
    gp_max_points: int = 350,
    noise: np.ndarray | None = None,
    ls_prior: bool = False,
    tied: Sequence[np.ndarray] = (),
    stop: FitStop | None = None,
) -> Surrogate:
    """A GP when affordable, else ExtraTrees; ``noise``: each point's known noise
    variance (None: unknown, the GP's white-noise term learns it); ``ls_prior``: the
    GP's length scales under a prior (see ``GPSurrogate``); ``stop``: the GP fit's stop
    (``fit_hyperparameters``)."""
    seed = int(rng.integers(2**31 - 1))
    if len(y) <= gp_max_points:
        return GPSurrogate(X, y, counts, seed, noise, ls_prior, tied, stop)
    return TreeSurrogate(X, y, counts, seed, noise)

"""Choosing one suggestion with surrogate models: constrained expected improvement.

A Gaussian process models the objective; one more models each constraint
(``>= 0`` when met), and another the chance that a run fails when some have.
A candidate's score is its expected improvement over the best *feasible*
observation, times the probability that every constraint holds, times the
probability that it does not fail, times a fading prior weight. Before any
feasible observation exists the score is the probability of feasibility alone,
and a search for many feasible points (no objective) scores that probability
times the distance to the feasible points already found. A suggestion for
another solution of a multisolution experiment improves on the best value at
least the distinct radius from the better solutions, and stays that far from
them. Open suggestions are fantasy observations at the model's mean (kriging
believer), so parallel workers get different points.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import attrs
import numpy as np
from scipy.special import log_ndtr

from .allowance import CHOICE_CHUNK, Allowance, FitStop
from .candidates import generate_pool
from .engine import untested_rows
from .finite import FLOAT_MAX, half_range
from .multisolution import distinct_radius, spread
from .sequential_targets import Targets
from .sigopt_space import SearchSpace
from .surrogate import (
    GPSurrogate,
    Surrogate,
    conditioned,
    fit_hyperparameters,
    fit_surrogate,
    standardise,
)
from .views import nearest_sq_distance

POOL_SIZE = 1500
ZOOM_SEEDS = 8
ZOOM_STEPS = 25
ZOOM_SCALES = (0.3, 0.08, 0.02)
GP_MAX_POINTS = 150
EXPLORE_SHARE = 0.2
"""The share of model-based suggestions that explore (upper confidence bound)."""
STALLED_SHARE = 0.35
FINAL_SHARE = 0.25
"""The last share of the observation budget only exploits (as SigOpt does past it)."""
EXPLORE_BETA = 2.0
PENDING_RADIUS = 0.05
"""Open suggestions push new ones at least about this far away (features in [0, 1])."""
PRIOR_STRENGTH = 4.0
"""The prior weight's exponent is PRIOR_STRENGTH / (number of observations)."""
LS_CAP = 2.0
"""Longest length scale of the objective's GP (unit features) when no noise is reported.
The shared surrogate allows 20, which switches a parameter off (TUNE ``hartmann6``: two
to four of six at 20 in the first fits). SigOpt's engine bounds them by about the
parameter's width too."""
NOISE_MAX = 1e-4
"""Ceiling of the objective GP's noise term (standardised units) when no noise is
reported: SigOpt's engine fits no noise term then (it interpolates). With the shared
ceiling (1), fits on TUNE ``michalewicz5`` put 5-25% of the variance into noise, reading
its narrow ridges as noise; with length scales capped, and no noise allowed, the
variation has to be modelled."""
FIT_RESTARTS = 3
"""Random starts of the objective's hyperparameter fit beside the first fit's (clipped)
result; the best marginal likelihood wins (one start often stops in a poor mode)."""


@attrs.frozen
class Evidence:
    """What the models are fitted on: codes of successful observations with their
    targets, codes of failed ones, open suggestions, and every code already taken."""

    codes: np.ndarray
    targets: Targets
    failed_codes: np.ndarray
    pending: np.ndarray
    taken: np.ndarray
    #: observations (and open suggestions) left before the budget; None: no budget
    budget_left: int | None = None


@attrs.frozen(eq=False)
class Models:
    """The models fitted on one set of targets: the objective's (None without one), each
    constraint's, and the failure model. The next points of a batch reuse them while the
    targets stay the same (the fits read no open suggestion), and the candidate pool
    generated with them, by solution of a multisolution experiment (less the points
    taken since): a batch's later points cost a scoring, not a fit and a pool."""

    targets: Targets
    objective: Surrogate | None
    constraints: tuple[Surrogate, ...]
    failure: FailureModel | None
    pools: dict[int, np.ndarray] = attrs.field(factory=dict)

    def fit_for(self, targets: Targets) -> bool:
        """Whether these models were fitted on ``targets``' values (a new ParEGO
        scalarisation is not; another solution of a multisolution experiment is)."""
        mine = self.targets
        pairs = (
            (mine.objective, targets.objective),
            (mine.constraints, targets.constraints),
            (mine.objective_noise, targets.objective_noise),
            (mine.constraint_noise, targets.constraint_noise),
        )
        return all(
            (a is None and b is None) or (a is not None and b is not None and np.array_equal(a, b))
            for a, b in pairs
        )


def fit_models(
    space: SearchSpace,
    evidence: Evidence,
    rng: np.random.Generator,
    allowance: Allowance | None = None,
) -> Models:
    """The models of ``evidence``'s observations (what :func:`choose` scores with); the
    objective's hyperparameter restarts only while ``allowance`` affords them, and each
    first fit's iterations only until its ``fits_until``."""
    X = space.encode(evidence.codes)
    tg = evidence.targets
    objective = _objective_model(space, X, evidence, rng, allowance)
    stop = None if allowance is None else allowance.fit_stop()
    constraints = tuple(
        _fit(X, tg.constraints[:, k], rng, _column(tg.constraint_noise, k), stop)
        for k in range(tg.constraints.shape[1])
    )
    return Models(tg, objective, constraints, _failure_model(space, evidence))


def choose(
    space: SearchSpace,
    evidence: Evidence,
    rng: np.random.Generator,
    models: Models | None = None,
    allowance: Allowance | None = None,
) -> np.ndarray | None:
    """The code of the next point, or None when no untested candidate exists; ``models``
    fitted on the same observations and targets (else they are fitted here). The
    candidates are scored in chunks until ``allowance``'s ``choice_until`` (the first
    chunk always), the rest left out (see :mod:`.allowance`); without one, all at once."""
    if models is None or not models.fit_for(evidence.targets):
        models = fit_models(space, evidence, rng)
    X = space.encode(evidence.codes)
    tg = evidence.targets
    objective, constraints, failure = models.objective, models.constraints, models.failure
    feasible = np.all(tg.constraints >= 0, axis=1)

    def log_feasibility(feats: np.ndarray) -> np.ndarray:
        out = np.zeros(len(feats))
        for model in constraints:
            mu, sd = model.predict(feats)
            out += log_ndtr(mu / np.maximum(sd, 1e-9))
        if failure is not None:
            out += failure.log_ok(feats)
        return out

    incumbent = _incumbent(tg, feasible, objective, X)
    order = _ranking(tg, feasible)
    better = np.zeros((0, X.shape[1]))  # solutions that this suggestion keeps away from
    if tg.solution and incumbent is not None and tg.objective is not None:
        incumbent, better, order = _other_solution(X, tg, feasible, order, objective)

    def away(feats: np.ndarray) -> np.ndarray:
        """Whether each point is at least the distinct radius from the better solutions."""
        if len(better) == 0:
            return np.ones(len(feats), dtype=bool)
        return nearest_sq_distance(feats, better) >= distinct_radius(X.shape[1]) ** 2

    def quick_score(feats: np.ndarray) -> np.ndarray:
        score = log_feasibility(feats)
        if objective is not None and incumbent is not None:
            mu, sd = objective.predict(feats)
            score = score + _log_ei(mu, sd, incumbent)
        return np.where(away(feats), score, -np.inf)

    passes = [3]  # the scorings left: the generated pool's, the zoom's, the final one

    def timed_quick_score(feats: np.ndarray) -> np.ndarray:
        passes[0] -= 1
        head = np.zeros((0, feats.shape[1]))
        return _in_chunks(quick_score, head, feats, allowance, passes[0] + 1)

    generated = models.pools.get(tg.solution)
    if generated is None:
        pool = models.pools[tg.solution] = _pool(
            space, evidence, evidence.codes[order], rng, timed_quick_score
        )
    else:  # a later point of a batch: the same candidates, less those taken since
        pool = untested_rows(generated, evidence.taken)
    if len(pool) == 0:
        return None
    n_pending = len(evidence.pending)
    pending_feats = space.encode(evidence.pending) if n_pending else np.zeros((0, X.shape[1]))
    model: Surrogate | None = None
    exploring = False
    if not tg.diverse and objective is not None and incumbent is not None:
        if tg.objective is not None:
            share = explore_share(tg.objective, feasible, space.n_params, evidence.budget_left)
            exploring = not tg.solution and rng.random() < share
        if exploring:
            # now and then the most promising untested region instead of the likeliest
            # gain: EI alone settles on one basin and never looks at a better one; the
            # model's exploring copy (shorter length scales) doubts wherever nothing was
            # tried, not only where the fitted model does
            explorer = getattr(objective, "exploring", None)
            model = explorer() if callable(explorer) else objective
        else:
            model = objective
    # whether any candidate is away from the better solutions (the whole pool's answer,
    # not a chunk's: a chunk with none must not let a nearby candidate win)
    any_away = bool(away(space.encode(pool)).any()) if len(better) else True

    def final_score(feats: np.ndarray) -> np.ndarray:
        """The scores of ``feats``: the open suggestions' features first, then candidates'."""
        score = log_feasibility(feats)
        if tg.diverse:
            reference = np.vstack([X[feasible], pending_feats]) if n_pending else X[feasible]
            score = score + _log_novelty(feats, reference)
        elif model is not None and incumbent is not None and tg.objective is not None:
            believer = model.believer(feats)
            for i in range(n_pending):
                believer.add(i)
            if exploring:
                scale = max(standardise(np.asarray(tg.objective, dtype=float))[1], 1e-12)
                with np.errstate(over="ignore"):  # metric values near the float limit
                    ucb = (believer.mean + EXPLORE_BETA * believer.sd - incumbent) / scale
                score = score + np.log(np.maximum(ucb, 0.0) + 1e-9)
            else:
                # kriging believer: the open points are taken to reach their predicted values
                kept = away(feats)
                hopes = believer.mean[:n_pending][kept[:n_pending]]
                hoped = float(np.max(hopes)) if len(hopes) else incumbent
                score = score + _log_ei(believer.mean, believer.sd, max(incumbent, hoped))
                if any_away:
                    score = np.where(kept, score, -np.inf)
        if n_pending:
            score = score + _log_novelty(feats, pending_feats, PENDING_RADIUS)
        return score

    score = _in_chunks(final_score, pending_feats, space.encode(pool), allowance)
    pool = np.vstack([evidence.pending, pool]) if n_pending else pool
    if space.has_priors and len(evidence.codes):
        weight = np.log(np.maximum(space.prior_weight(pool), 1e-300))
        score = score + weight * (PRIOR_STRENGTH / len(evidence.codes))
    score[:n_pending] = -np.inf
    if not np.isfinite(score).any():
        return pool[n_pending + int(rng.integers(len(pool) - n_pending))]
    return pool[int(np.argmax(score + 1e-12 * rng.random(len(score))))]


def _in_chunks(
    score: Callable[[np.ndarray], np.ndarray],
    head: np.ndarray,
    rows: np.ndarray,
    allowance: Allowance | None,
    passes: int = 1,
) -> np.ndarray:
    """``score`` of ``head`` then ``rows`` (features), as one array. With an allowance
    whose ``choice_until`` is set, ``rows`` are scored ``CHOICE_CHUNK`` at a time, each
    chunk beside ``head``, while the next chunk (as long as the last) ends within this
    scoring's share of the time left (``passes``: the scorings left, this one included;
    ``Allowance.choice_pass``); the first chunk is always scored, and the rows left out
    score -inf and are counted in ``unscored``. With the whole time left to the first of
    the choice's three scorings, the two after it ran past the budget on a loaded
    machine."""
    if allowance is None or allowance.choice_until is None or len(rows) <= CHOICE_CHUNK:
        return score(np.vstack([head, rows]) if len(head) else rows)
    until = allowance.choice_pass(passes)
    n = len(head)
    out = np.full(n + len(rows), -np.inf)
    took = 0.0
    for start in range(0, len(rows), CHOICE_CHUNK):
        if start and allowance.stops_choice(until, took):
            allowance.unscored += len(rows) - start
            break
        began = allowance.clock()
        chunk = rows[start : start + CHOICE_CHUNK]
        scored = score(np.vstack([head, chunk]) if n else chunk)
        out[:n] = scored[:n]
        out[n + start : n + start + len(chunk)] = scored[n:]
        took = allowance.clock() - began
    return out


def explore_share(
    objective: np.ndarray, feasible: np.ndarray, n_params: int, budget_left: int | None
) -> float:
    """How often to explore: EXPLORE_SHARE, or STALLED_SHARE once the best feasible value
    has not improved for a while (a basin is exhausted); never in the last FINAL_SHARE of
    the budget, which goes to refining the best."""
    if budget_left is not None and budget_left <= FINAL_SHARE * (len(objective) + budget_left):
        return 0.0
    return STALLED_SHARE if _stalled(objective, feasible, n_params) else EXPLORE_SHARE


def _stalled(objective: np.ndarray, feasible: np.ndarray, n_params: int) -> bool:
    """Whether the best feasible value has not improved for ``max(6, 2 * n_params)``
    observations."""
    if not feasible.any():
        return False
    best_at = int(np.argmax(np.where(feasible, objective, -np.inf)))
    return len(objective) - 1 - best_at >= max(6, 2 * n_params)


def _objective_model(
    space: SearchSpace,
    X: np.ndarray,
    evidence: Evidence,
    rng: np.random.Generator,
    allowance: Allowance | None = None,
) -> Surrogate | None:
    """The objective's model; failed runs count as the worst value seen, so that the
    model itself, not only the failure model, stops hoping for much where runs fail."""
    y = evidence.targets.objective
    noise = evidence.targets.objective_noise
    if y is None:
        return None
    began = allowance.clock() if allowance is not None else 0.0
    stop = None if allowance is None else allowance.fit_stop()
    cut = 0 if allowance is None else allowance.cut
    if len(evidence.failed_codes) == 0:
        model = _fit(X, y, rng, noise, stop)
    else:
        # in halves (exact, so ordinary values give the same worst bit for bit): values of
        # -1e308 and 1e308 span 2e308, and the ptp overflowed (a RuntimeWarning) to a worst
        # of -inf; past the float limit the worst is the lowest float
        low, half_span = half_range(y)
        worst = max(2.0 * (low - 0.1 * half_span), -FLOAT_MAX)
        X_all = np.vstack([X, space.encode(evidence.failed_codes)])
        y_all = np.concatenate([y, np.full(len(evidence.failed_codes), worst)])
        if noise is not None:
            noise = np.concatenate([noise, np.zeros(len(evidence.failed_codes))])
        model = _fit(X_all, y_all, rng, noise, stop)
    reported = noise is not None and bool(np.any(noise > 0))
    # the objective's model only: constraint models need less (a probability of
    # feasibility), and refitting them too doubled the time on TUNE ``mixed``
    if isinstance(model, GPSurrogate) and not reported:
        first = allowance.clock() - began if allowance is not None else 0.0
        if allowance is not None and allowance.cut > cut:
            # cut short, the first fit says the machine cannot afford another: a refit
            # afforded by its time then ran to the deadline, and the choice past the budget
            first = math.inf
        return refit_noiseless(model, rng, allowance, first)
    return model


def _fit(
    X: np.ndarray,
    y: np.ndarray,
    rng: np.random.Generator,
    noise: np.ndarray | None = None,
    stop: FitStop | None = None,
) -> Surrogate:
    if noise is not None and not np.any(noise > 0):
        noise = None
    return fit_surrogate(
        X, y, np.ones(len(y)), rng, gp_max_points=GP_MAX_POINTS, noise=noise, stop=stop
    )


def refit_noiseless(
    model: GPSurrogate,
    rng: np.random.Generator,
    allowance: Allowance | None = None,
    first_fit: float = 0.0,
) -> GPSurrogate:
    """The GP refitted with length scales at most LS_CAP and its noise term at most
    NOISE_MAX, from the first fit (clipped) and FIT_RESTARTS random starts (uniform in
    the log-bounds), keeping the hyperparameters of the best marginal likelihood.

    Each start is fitted only while ``allowance`` affords it: the first while it affords
    another fit as long as the first fit took (``first_fit`` seconds), each random one
    while it affords one as long as the longest refit so far. A start not afforded is
    skipped (none: the first fit's hyperparameters, clipped, are taken as they are), so
    on a loaded machine the request's time budget serves a model point, not the random
    fallback; a start that was afforded but runs past the deadline stops there, at the
    best point it evaluated (``Allowance.stops_refit``). The starts are drawn as before:
    with time enough the result is the same."""
    fitted = model.gp.kernel_
    kernel = fitted.clone_with_theta(fitted.theta)
    ls_low = float(np.exp(kernel.bounds[1, 0]))
    noise_low = float(np.exp(kernel.bounds[-1, 0]))
    kernel.set_params(
        k1__k2__length_scale_bounds=(ls_low, LS_CAP),
        k2__noise_level_bounds=(min(noise_low, NOISE_MAX), NOISE_MAX),
    )
    bounds = kernel.bounds
    starts = [np.clip(fitted.theta, bounds[:, 0], bounds[:, 1])]
    draw = np.random.default_rng(int(rng.integers(2**31 - 1)))
    starts += [draw.uniform(bounds[:, 0], bounds[:, 1]) for _ in range(FIT_RESTARTS)]
    best, best_lml = None, -np.inf
    estimate, longest = first_fit, 0.0
    stop = None if allowance is None else allowance.refit_stop()
    for i, start in enumerate(starts):
        if allowance is not None:
            if not allowance.affords(estimate):
                allowance.skipped += len(starts) - i
                break
            allowance.fitted += 1
        began = allowance.clock() if allowance is not None else 0.0
        theta = fit_hyperparameters(
            kernel.clone_with_theta(start), model.X, model.z, model.alpha, stop=stop
        )
        gp = conditioned(kernel.clone_with_theta(theta), model.X, model.z, model.alpha)
        lml = float(gp.log_marginal_likelihood_value_)
        if best is None or lml > best_lml:
            best, best_lml = gp, lml
        if allowance is not None:
            longest = estimate = max(longest, allowance.clock() - began)
    if best is None:  # no start afforded: the first fit's hyperparameters, clipped
        best = conditioned(kernel.clone_with_theta(starts[0]), model.X, model.z, model.alpha)
    out = copy.copy(model)
    out.gp = best
    out.signal = best.kernel_.k1
    out.noise = float(best.kernel_.k2.noise_level)
    return out


def _column(matrix: np.ndarray | None, k: int) -> np.ndarray | None:
    return None if matrix is None else matrix[:, k]


def _other_solution(
    X: np.ndarray,
    tg: Targets,
    feasible: np.ndarray,
    order: np.ndarray,
    objective: Surrogate | None,
) -> tuple[float, np.ndarray, np.ndarray]:
    """For improving solution ``tg.solution`` (j > 0) of a multisolution experiment:
    the value to improve on, the features of the j better solutions to keep away from,
    and the observations best first, those away from the better solutions first.

    The solutions are the feasible observations best first, each at least the distinct
    radius from the ones before (as the best assignments report them); the value to
    improve on is solution j's (the model's mean there when noise was reported), or the
    lowest value when there is no j-th solution yet.
    """
    assert tg.objective is not None
    value = tg.objective
    noisy = tg.objective_noise is not None and bool(np.any(tg.objective_noise > 0))
    if noisy and objective is not None:
        value = objective.predict_mean(X)
    radius = distinct_radius(X.shape[1])
    rows = order[feasible[order]]
    held = spread(X[rows], radius, tg.solution + 1)
    better = X[rows[held[: tg.solution]]]
    if len(held) > tg.solution:
        incumbent = float(value[rows[held[tg.solution]]])
    else:
        incumbent = float(np.min(value))
    kept = nearest_sq_distance(X[order], better) >= radius**2
    return incumbent, better, np.concatenate([order[kept], order[~kept]])


def _incumbent(
    tg: Targets, feasible: np.ndarray, objective: Surrogate | None, X: np.ndarray
) -> float | None:
    """The value to improve on: the best feasible observation; when observations came
    with a known noise (value_stddev), the best of the model's means at them, so that
    one lucky noisy value does not set the bar."""
    if tg.objective is None or not feasible.any():
        return None
    noisy = tg.objective_noise is not None and bool(np.any(tg.objective_noise > 0))
    if noisy and objective is not None:
        return float(np.max(objective.predict_mean(X[feasible])))
    return float(np.max(tg.objective[feasible]))


@attrs.frozen
class FailureModel:
    """The chance that a run at a point fails: failures and successes nearby, weighted
    by a Gaussian of their distance, shrunk towards the overall failure rate.

    A smoother rather than a Gaussian process: a GP fitted to 0/1 labels often decides
    that they are all noise and predicts the same rate everywhere, which would let the
    objective's model lead straight back into the region that fails.
    """

    feats: np.ndarray
    failed: np.ndarray
    radius: float
    prior_rate: float
    prior_weight: float = 1.0

    def log_ok(self, feats: np.ndarray) -> np.ndarray:
        d2 = nearest_sq_distance_all(feats, self.feats)
        w = np.exp(-d2 / (2.0 * self.radius**2))
        fails = w @ self.failed + self.prior_weight * self.prior_rate
        total = w.sum(axis=1) + self.prior_weight
        return np.log(np.clip(1.0 - fails / total, 1e-6, 1.0))


def _failure_model(space: SearchSpace, evidence: Evidence) -> FailureModel | None:
    if len(evidence.failed_codes) == 0:
        return None
    codes = np.vstack([evidence.codes, evidence.failed_codes])
    failed = np.concatenate([np.zeros(len(evidence.codes)), np.ones(len(evidence.failed_codes))])
    feats = space.encode(codes)
    radius = 0.1 * np.sqrt(feats.shape[1])
    return FailureModel(feats, failed, float(radius), float(failed.mean()))


def nearest_sq_distance_all(feats: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Squared distances from every row of ``feats`` to every row of ``others``."""
    sq = (feats**2).sum(axis=1)[:, None] + (others**2).sum(axis=1)[None, :]
    return np.maximum(sq - 2.0 * feats @ others.T, 0.0)


def _ranking(tg: Targets, feasible: np.ndarray) -> np.ndarray:
    """Observations best first: feasible before infeasible, then by objective (or by
    how little the constraints are broken)."""
    if tg.objective is not None:
        key = tg.objective
    elif tg.constraints.shape[1]:
        key = np.minimum(tg.constraints, 0).sum(axis=1)
    else:
        key = np.zeros(len(feasible))
    return np.lexsort((-key, ~feasible))


def _pool(space, evidence: Evidence, parents: np.ndarray, rng, score) -> np.ndarray:
    """Untested candidates: the whole space when small, else a generated pool."""
    full = space.enumerate()
    if full is not None:
        return untested_rows(full, evidence.taken)
    pool = untested_rows(
        space.canonical(generate_pool(space, parents, POOL_SIZE, rng, score)), evidence.taken
    )
    if len(pool) == 0:
        return pool
    # zoom in: finer and finer steps around the best candidates, so that the last
    # suggestions refine an optimum instead of circling it
    top = pool[np.argsort(-score(space.encode(pool)))[:ZOOM_SEEDS]]
    fine = [space.mutate(np.repeat(top, ZOOM_STEPS, axis=0), rng, s) for s in ZOOM_SCALES]
    zoomed = untested_rows(space.canonical(np.vstack(fine)), evidence.taken)
    return untested_rows(np.vstack([pool, zoomed]), np.zeros((0, pool.shape[1])))


def _log_ei(mu: np.ndarray, sd: np.ndarray, best: float) -> np.ndarray:
    """log of expected improvement over ``best``, accurate far into the tail."""
    sd = np.maximum(sd, 1e-12)
    with np.errstate(over="ignore"):  # metric values near the float limit: mu - best overflows
        z = np.clip((mu - best) / sd, -1e6, 1e6)  # beyond, the ranking is the same
    out = np.empty_like(z)
    tail = z < -6.0
    zt = z[~tail]
    from scipy.stats import norm

    h = zt * norm.cdf(zt) + norm.pdf(zt)
    out[~tail] = np.log(np.maximum(h, 1e-300))
    zz = z[tail]
    out[tail] = -0.5 * zz**2 - 0.5 * np.log(2 * np.pi) - 2.0 * np.log(-zz)
    return out + np.log(sd)


def _log_novelty(feats: np.ndarray, reference: np.ndarray, radius: float = 0.3) -> np.ndarray:
    """log of 1 - exp(-d^2 / 2r^2), d the distance to the nearest reference point and r
    ``radius`` times the typical distance between random points of the feature cube."""
    if len(reference) == 0:
        return np.zeros(len(feats))
    d2 = nearest_sq_distance(feats, reference)
    r2 = (radius**2) * feats.shape[1] / 6.0
    return np.log(np.maximum(1.0 - np.exp(-d2 / (2.0 * r2)), 1e-12))

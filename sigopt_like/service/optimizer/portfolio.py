"""Model-based batch selection: a portfolio against getting stuck on a lower peak.

The batch is split into roles (three; four once stalled), each chosen greedily on the surrogate with
the believer lowering uncertainty around points already in the batch:

* exploit: upper confidence bound with a small beta, anywhere (lands around the
  incumbent and refines it);
* basins: other local optima of the posterior mean (leaders at least ``radius``
  apart, categoricals weighed by the model's length scales: ``basin_weights``),
  each refined by the best UCB point of its neighbourhood; this keeps the
  second-best basin alive, as multiple trust regions do; on noisy responses the leaders
  that a valley of the posterior mean separates from the better ones come first
  (``_valley_test``);
* explore: UCB with a large beta (uncertain regions far from the data, on a copy
  of the GP with shortened length scales: ``exploring_model``);
* cover (stalled batches only): the candidate farthest from the tested points
  in the most projections on three parameters (``coverage``), for a peak narrow
  in a few parameters that no tested point has come near.

Stagnation is explicit: when the best response has not improved for two
generations' worth of observations, the batch moves weight from exploitation to
the other basins, to exploration and to coverage. On noisy responses "the best" is
the model's, within a mean's noise (``noisy_incumbent``), not the best noisy mean.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .candidates import generate_pool
from .coverage import ProjectionCover
from .engine import Settings, untested_rows
from .engine_types import DesignSteps
from .finite import half_range, unit_of
from .history import History
from .surrogate import Believer, GPSurrogate, Surrogate, fit_surrogate, tied_groups
from .views import View, feature_groups, nearest_sq_distance
from .wide_fit import WIDE_FEATURES

EXPLOIT_BETA = 1.0
EXPLORE_BETA = 3.0
SHARES = {"exploit": 0.5, "basin": 0.3, "explore": 0.2, "cover": 0.0}
"""Share of each role in a batch while the best response improves."""
SHARES_STALLED = {"exploit": 0.15, "basin": 0.4, "explore": 0.3, "cover": 0.15}
"""The same once stalled: exploitation gives way to the other basins, exploration and coverage."""
STALLED_AFTER = 2.0
"""Generations without a better point after which a batch counts as stalled."""
DECIDING_EFFECT = 0.35
"""A categorical decides when putting a tested point under another of its levels moves the
posterior mean by at least this share of the observed range, at some tested point."""
DECIDING_POINTS_PER_FEATURE = 3
"""Judged only from this many scored points per feature on (on fewer the fit is too loose)."""
STARVED_SHARE = 0.5
"""A level of a deciding categorical is starved below this share of an even split of the points."""
STARVED_ROLES = ("explore", "basin")
"""The roles whose slots go to a starved level first."""
STARVED_BOUND_SHARE = 0.5
"""A starved level's slots go to candidates with at most this share of their numerical
coordinates at a bound of the candidates (``bound_share``)."""
OPEN_SPREAD = 0.3
"""The levels of a deciding categorical are open (``open_level``) only while the spread of
their best model means exceeds this share of the observed range."""


def stalled_generations(hist: History, batch_size: int, best: int | None = None) -> float:
    """How many generations (of ``batch_size`` points) since the best point first appeared.

    The best point is the best mean, or ``best`` (an index into the scored points): on noisy
    responses the batch engine passes ``noisy_incumbent``.
    """
    if len(hist.means) == 0:
        return 0.0
    replicates = hist.n_observations / max(1, int((hist.counts > 0).sum()))
    top = int(np.argmax(hist.means)) if best is None else int(best)
    best_first = int(hist.first_seen[top])
    return (hist.n_observations - best_first) / max(1.0, batch_size * replicates)


def noisy_incumbent(hist: History, model: Surrogate, mu_tested: np.ndarray) -> int:
    """On noisy responses, the tested point stagnation is counted from: the earliest one the
    model rates within a mean's noise (the GP's fitted noise sd) of its best tested point.

    Counted from the best replicate mean, stagnation restarted whenever a new point next to
    the incumbent read high by luck, and a campaign stuck on a lower peak kept exploiting it
    (TUNE ``m5 noisy``, benchmarks/rounds.md); the model's best point alone can move to a new
    neighbour that it rates higher by less than the noise, which restarts the count as well.
    """
    tol = _noise_sd(model)
    top = np.nonzero(mu_tested >= float(np.max(mu_tested)) - tol)[0]
    return int(top[np.argmin(hist.first_seen[top])])


def _noise_sd(model: Surrogate) -> float:
    """The GP's fitted noise sd in the response's units (0 for other surrogates)."""
    return float(np.sqrt(model.noise) * model.scale) if isinstance(model, GPSurrogate) else 0.0


VALLEY_STEPS = (0.25, 0.5, 0.75)
"""Where between two candidates the posterior mean is read for a valley (``_valley_test``)."""


def _valley_test(
    model: Surrogate, feats: np.ndarray, mean: np.ndarray
) -> Callable[[int, list[int]], bool] | None:
    """For noisy responses, the test ``apart(i, others)``: whether candidate ``i`` lies in
    another basin than each of ``others``, that is, the posterior mean dips between them,
    somewhere on the segment, below the lower of the two by more than the GP's noise sd (a
    hill-valley test). None for a surrogate other than the GP.

    By distance alone, the basin leaders of a campaign stuck on a lower peak broad in most
    parameters were all on that peak (VALIDATION ``f7 noisy`` seeds 1002, 1007, 1016, 1026,
    replayed: eight leaders at least a basin radius apart, each reading 0.7-0.8 of the
    optimum around a peak of 0.86), and the basin slots kept refining it to generation 10.
    The leaders it separates come first (``_basin_leaders``), and the rest are filled by
    distance as before: making them the only leaders cost the first generations on TUNE
    ``f6``/``m5 noisy``, whose basin slots then went to the explore role (round 16), and
    doing so in stalled batches only cost ``c7 noisy`` at generation 10, where a campaign at
    the global peak still needs those slots on its plateau (round 17; benchmarks/rounds.md).
    """
    if not isinstance(model, GPSurrogate):
        return None
    tol = _noise_sd(model)
    steps = np.asarray(VALLEY_STEPS)[:, None]

    def apart(i: int, others: list[int]) -> bool:
        if not others:
            return True
        ends = feats[np.asarray(others)]
        path = (feats[i][None, None, :] + steps[None] * (ends[:, None, :] - feats[i])).reshape(
            -1, feats.shape[1]
        )
        low = model.predict_mean(path).reshape(len(others), len(VALLEY_STEPS)).min(axis=1)
        floor = np.minimum(mean[i], mean[np.asarray(others)]) - tol
        return bool((low < floor).all())

    return apart


def role_counts(batch_size: int, stalled: float, rng: np.random.Generator) -> list[str]:
    """The role of each batch slot, in selection order."""
    shares = SHARES_STALLED if stalled >= STALLED_AFTER else SHARES
    if batch_size == 1:
        role = rng.choice(list(shares), p=list(shares.values()))
        return [str(role)]
    n_basin = round(shares["basin"] * batch_size)
    n_explore = round(shares["explore"] * batch_size)
    n_cover = round(shares["cover"] * batch_size)
    n_exploit = max(1, batch_size - n_basin - n_explore - n_cover)
    roles = (
        ["exploit"] * n_exploit
        + ["basin"] * n_basin
        + ["explore"] * n_explore
        + ["cover"] * n_cover
    )
    return roles[:batch_size]


def model_batch(
    view: View,
    hist: History,
    batch_size: int,
    rng: np.random.Generator,
    untested: np.ndarray | None,
    settings: Settings,
    pending: np.ndarray | None = None,
    on_step: DesignSteps | None = None,
) -> np.ndarray:
    """Choose ``batch_size`` untested codes with the surrogate and the role portfolio
    (``on_step`` told each step as it begins: :data:`~.engine_types.DesignSteps`)."""
    codes = hist.scored_codes
    X = view.encode(codes)
    y = hist.modelled  # a failure typed as a far-off response must not take the model
    model = fit_surrogate(
        X,
        y,
        hist.modelled_counts,
        rng,
        gp_max_points=settings.gp_max_points,
        ls_prior=hist.replicates_disagree,
        tied=tied_groups(feature_groups(view), hist.replicates_disagree, len(hist.scored)),
    )
    if on_step is not None:
        on_step("scoring", len(X))
    mu_tested, _ = model.predict(X)
    order = np.argsort(-mu_tested)
    noisy = hist.replicates_disagree
    weight = basin_weights(view, model, noisy=noisy)
    radius = basin_radius(X * weight, rng)
    heads = _basin_leaders(X * weight, mu_tested, radius, np.ones(len(X), dtype=bool))
    pool = _pool(view, hist, codes[order], codes[heads], batch_size, rng, untested, settings, model)
    if pending is not None and len(pending):
        pool = np.vstack([pending, pool])
    if len(pool) == 0:
        return pool
    if on_step is not None:
        on_step("choosing", len(pool))
    feats = view.encode(pool)
    big_batch = batch_size > 150
    believer = (
        model.believer(feats)
        if not big_batch or not hasattr(model, "gp")
        else _distance_believer(model, feats)
    )
    explorer = (
        exploring_model(view, model, noisy).believer(feats)
        if not big_batch and isinstance(model, GPSurrogate)
        else believer
    )
    available = np.ones(len(pool), dtype=bool)
    if pending is not None and len(pending):
        for i in range(len(pending)):
            believer.add(i)
            if explorer is not believer:
                explorer.add(i)
            available[i] = False
    best = noisy_incumbent(hist, model, mu_tested) if noisy else None
    stalled = stalled_generations(hist, batch_size, best)
    apart = _valley_test(model, feats, believer.mean) if noisy else None
    weighted = feats * weight
    leaders = _basin_leaders(weighted, believer.mean, radius, available, apart=apart)
    # wide features: the basin slots' distances from the weighted pool computed once (the
    # same distances, rounded differently; narrower spaces keep their rounding and designs)
    wide = view.dim >= WIDE_FEATURES
    roles = role_counts(batch_size, stalled, rng)
    deciding = [] if noisy else deciding_categoricals(view, model, X, y)
    # the starved slots' preference, computed once per batch (only a deciding categorical
    # has starved levels)
    interior = (
        bound_share(view, feats) <= STARVED_BOUND_SHARE
        if deciding
        else np.ones(len(feats), dtype=bool)
    )
    cover = ProjectionCover(view, feats, X, rng) if "cover" in roles and not big_batch else None
    if cover is not None and pending is not None:
        for i in range(len(pending)):
            cover.add(i)
    chosen: list[int] = []
    basin_turn = 0
    for role in roles:
        if not available.any():
            break
        starved = (
            starved_level(deciding, X, feats[np.array(chosen, dtype=np.int64)], feats) & available
            if role in STARVED_ROLES and deciding
            else None
        )
        opened = (
            open_level(
                deciding,
                X,
                y,
                feats[np.array(chosen, dtype=np.int64)],
                feats,
                believer,
                explorer,
                available,
                interior,
            )
            if role in STARVED_ROLES and deciding and (starved is None or not starved.any())
            else None
        )
        if starved is not None and starved.any():
            inner = starved & interior
            i = _argmax_ucb(explorer, EXPLORE_BETA, inner if inner.any() else starved)
        elif opened is not None and opened.any():
            i = _argmax_ucb(explorer, EXPLORE_BETA, opened)
        elif role == "basin" and len(leaders) > 1:
            leader = leaders[1 + basin_turn % (len(leaders) - 1)]
            basin_turn += 1
            near = (
                ((weighted - weighted[leader]) ** 2).sum(axis=1)
                if wide
                else (((feats - feats[leader]) * weight) ** 2).sum(axis=1)
            ) <= radius**2
            i = _argmax_ucb(believer, EXPLOIT_BETA, available & near)
            if i < 0:
                i = _argmax_ucb(believer, EXPLOIT_BETA, available)
        elif role == "explore" or role == "basin" or (role == "cover" and cover is None):
            i = _argmax_ucb(explorer, EXPLORE_BETA, available)
        elif role == "cover" and cover is not None:
            i = _argmax_cover(cover, explorer, available)
        else:
            i = _argmax_ucb(believer, EXPLOIT_BETA, available)
        chosen.append(i)
        available[i] = False
        if cover is not None:
            cover.add(i)
        if not big_batch or len(chosen) % 10 == 0:
            believer.add(i)
            if explorer is not believer:
                explorer.add(i)
    return pool[np.array(chosen, dtype=np.int64)]


def basin_weights(view: View, model: Surrogate, noisy: bool = False) -> np.ndarray:
    """Per feature column, how much it counts in the distance between basins.

    A categorical's one-hot columns count by ``min(1, 1 / length scale)`` of the fitted
    GP: a categorical the model found irrelevant (long length scales) no longer separates
    basins. In raw one-hot distance every level of every categorical is a basin of its
    own, so the basin role spent its slots on the levels of categoricals that hardly
    matter around the incumbent, and whole batches stayed in one level of the one that
    decides (TUNE ``c6 categorical``, benchmarks/rounds.md). Numerical columns count
    fully. On noisy responses (``noisy``) the length scales are fitted to noisy means, and
    the raw distance is kept.
    """
    weight = np.ones(view.dim)
    if noisy or not isinstance(model, GPSurrogate):
        return weight
    scales = model.length_scales
    categorical = categorical_columns(view)
    weight[categorical] = np.minimum(1.0, 1.0 / scales[categorical])
    return weight


def exploring_model(view: View, model: GPSurrogate, noisy: bool = False) -> GPSurrogate:
    """The explore role's copy of the GP (``GPSurrogate.exploring``: length scales shortened,
    uncertain wherever nothing was tested), with a categorical's fitted length scales kept
    on noiseless responses. Shortened, a categorical the model found irrelevant made every
    untested combination of its levels look like unexplored ground, and the explore slots
    went to the incumbent under other levels of it (TUNE ``c6 categorical``/``c6 peaks``,
    benchmarks/rounds.md)."""
    return model.exploring(keep=None if noisy else categorical_columns(view))


def deciding_categoricals(
    view: View, model: Surrogate, X: np.ndarray, y: np.ndarray
) -> list[np.ndarray]:
    """The one-hot columns of each categorical whose level decides (noiseless GP fits).

    Its effect is measured, not read from its length scales: each tested point is put
    under every level of the categorical, and the categorical decides if the posterior
    mean then spans at least ``DECIDING_EFFECT`` of the observed range at some point. A
    categorical that only shifts the response (TUNE ``c6 peaks``/``c6 edges``, offsets of
    up to 0.08) stayed at or below 0.25 from the third generation on; one whose levels have
    peaks of their own (TUNE ``c7``, ``c8``, ``c6 categorical``) went above from the third
    or fourth generation. Judging by the shortest one-hot length scale also took the shifting
    ones for deciding (benchmarks/rounds.md, round 6).
    """
    # in halves (exact, so ordinary responses decide as before): responses of -1e308 and
    # 1e308 span 2e308, and their ptp overflowed (numpy warnings on the user's console)
    half_span = half_range(y)[1] if len(y) else 0.0
    if (
        not isinstance(model, GPSurrogate)
        or half_span <= 0.0
        or len(X) < DECIDING_POINTS_PER_FEATURE * view.dim
    ):
        return []
    out = []
    for cols in feature_groups(view):
        if len(cols) < 2:
            continue
        swapped = np.empty((len(cols), len(X)))
        for k, col in enumerate(cols):
            Xs = X.copy()
            Xs[:, cols] = 0.0
            Xs[:, col] = 1.0
            swapped[k] = model.predict_mean(Xs) / 2.0
        if float(np.max(np.ptp(swapped, axis=0))) >= DECIDING_EFFECT * half_span:
            out.append(cols)
    return out


def starved_level(
    deciding: list[np.ndarray], X: np.ndarray, chosen: np.ndarray, feats: np.ndarray
) -> np.ndarray:
    """Mask of the candidates in the least-tested level of a deciding categorical, if that
    level has fewer than ``STARVED_SHARE`` of an even split of the tested and chosen points
    (none otherwise).

    With three or four tested points a level whose peak none came near reads low, the
    model takes it for the baseline the other levels differ from (its one-hot length scale
    goes to the ceiling), and no role goes back there: on TUNE ``c7`` and ``c8`` campaigns
    spent 40 of 80 points in one level and 3 in each of the others, and stayed at a lower
    level's peak for the rest of the campaign. The explore and basin roles' slots go to such
    a level first (its best exploring UCB there), until it has its share.
    """
    for cols in deciding:
        counts = X[:, cols].sum(axis=0) + (chosen[:, cols].sum(axis=0) if len(chosen) else 0.0)
        level = int(np.argmin(counts))
        if counts[level] < STARVED_SHARE * counts.sum() / len(cols):
            return feats[:, cols[level]] > 0.5
    return np.zeros(len(feats), dtype=bool)


def open_level(
    deciding: list[np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    chosen: np.ndarray,
    feats: np.ndarray,
    believer: Believer,
    explorer: Believer,
    available: np.ndarray,
    interior: np.ndarray,
) -> np.ndarray:
    """Mask of the candidates a starved-role slot goes to in an open level of the first
    deciding categorical (none if no level is open).

    A level other than the best tested point's is open while its best exploring UCB among
    its available candidates (those with at most ``STARVED_BOUND_SHARE`` of their numerical
    coordinates at a bound, if it has any) is above the best tested value; among open levels
    the one with the fewest tested and chosen points. Once a level had its starved share it
    got one to four slots a batch, its points read at most 0.2 of the optimum on TUNE ``c7``
    and campaigns stayed at a lower level's peak to generation 5; while the incumbent is that
    low every other level may still hold more, and once it is high they close by themselves.
    No level is open unless the levels' best model means (each among its available
    candidates) spread over more than ``OPEN_SPREAD`` of the observed range: a categorical
    that only shifts the response (VALIDATION ``f7 edges``, spread at most 0.16 of the range)
    keeps its explore and basin slots in the box.
    """
    if not deciding or not len(y):
        return np.zeros(len(feats), dtype=bool)
    cols = deciding[0]
    unit = max(unit_of(believer.mean), unit_of(y))
    tops = [
        float(np.max(believer.mean[m])) / unit
        for m in ((feats[:, col] > 0.5) & available for col in cols)
        if m.any()
    ]
    observed = float(np.max(y)) / unit - float(np.min(y)) / unit
    if len(tops) < 2 or max(tops) - min(tops) <= OPEN_SPREAD * observed:
        return np.zeros(len(feats), dtype=bool)
    incumbent = int(np.argmax(X[int(np.argmax(y)), cols]))
    counts = X[:, cols].sum(axis=0) + (chosen[:, cols].sum(axis=0) if len(chosen) else 0.0)
    ucb = _ucb(explorer.mean, explorer.sd, EXPLORE_BETA)
    top = float(np.max(y)) / max(unit_of(explorer.mean), unit_of(explorer.sd))  # _ucb's units
    best_mask = np.zeros(len(feats), dtype=bool)
    best_count = np.inf
    for k, col in enumerate(cols):
        if k == incumbent or counts[k] >= best_count:
            continue
        level = (feats[:, col] > 0.5) & available
        inner = level & interior
        mask = inner if inner.any() else level
        if mask.any() and float(np.max(ucb[mask])) > top:
            best_mask, best_count = mask, counts[k]
    return best_mask


def bound_share(view: View, feats: np.ndarray) -> np.ndarray:
    """Per candidate, the share of its numerical coordinates at the lowest or highest value
    among the candidates (0 when there are no numerical columns).

    The explore copy's uncertainty is largest far from every tested point, at the corners of
    the box, and a starved level's slots went there: on TUNE ``c7`` 80-100% of their
    coordinates sat at a bound (47% over the grid), while a level's peak can be anywhere in
    the box, and campaigns spent 11-12 points in the best level reading at most 0.10 of its
    peak (benchmarks/rounds.md, round 9b).
    """
    numerical = ~categorical_columns(view)
    if not numerical.any() or not len(feats):
        return np.zeros(len(feats))
    units = feats[:, numerical]
    lo, hi = units.min(axis=0), units.max(axis=0)
    return ((units <= lo + 1e-9) | (units >= hi - 1e-9)).mean(axis=1)


def categorical_columns(view: View) -> np.ndarray:
    """Mask of the feature columns that are a categorical's one-hot columns."""
    mask = np.zeros(view.dim, dtype=bool)
    for cols in feature_groups(view):
        if len(cols) > 1:
            mask[cols] = True
    return mask


def basin_radius(X: np.ndarray, rng: np.random.Generator, share: float = 0.6) -> float:
    """Distance separating basins: a share of the median distance between tested points."""
    sample = X[rng.choice(len(X), size=min(len(X), 200), replace=False)]
    d = np.sqrt(np.maximum(_sq_pairwise(sample), 0.0))
    upper = d[np.triu_indices(len(sample), k=1)]
    return share * float(np.median(upper)) if len(upper) else 1.0


def _sq_pairwise(F: np.ndarray) -> np.ndarray:
    sq = (F**2).sum(axis=1)
    return sq[:, None] + sq[None, :] - 2.0 * F @ F.T


def _ucb(mean: np.ndarray, sd: np.ndarray, beta: float) -> np.ndarray:
    """``mean + beta * sd``. Responses near the float limit (1.7e308 is a valid one) made it
    overflow to infinity everywhere, and the batch was the first candidates in the pool;
    then it is taken in units of the largest value, which orders the candidates the same
    (ordinary values: bit for bit the plain sum)."""
    unit = max(unit_of(mean), unit_of(sd))
    if unit == 1.0:
        return mean + beta * sd
    return mean / unit + beta * (sd / unit)


def _argmax_ucb(believer: Believer, beta: float, mask: np.ndarray) -> int:
    if not mask.any():
        return -1
    score = np.where(mask, _ucb(believer.mean, believer.sd, beta), -np.inf)
    return int(np.argmax(score))


def _argmax_cover(cover: ProjectionCover, explorer: Believer, mask: np.ndarray) -> int:
    """The candidate opening most ground in the projections; ties to the explorer's UCB."""
    ucb = _ucb(explorer.mean, explorer.sd, EXPLORE_BETA)
    # no overflow: _ucb's values are at most (1 + beta) * HUGE, or in units of the largest
    span = float(np.ptp(ucb[mask])) or 1.0
    score = np.where(mask, cover.score + 1e-3 * (ucb - ucb[mask].min()) / span, -np.inf)
    return int(np.argmax(score))


def _basin_leaders(
    feats: np.ndarray,
    mean: np.ndarray,
    radius: float,
    available: np.ndarray,
    limit: int = 8,
    apart: Callable[[int, list[int]], bool] | None = None,
) -> list[int]:
    """Pool points that are the best of the posterior mean within ``radius`` of each other.

    Given ``apart``, the points it separates from every earlier leader come first, and the
    rest of the ``limit`` is filled by distance alone.
    """
    r2 = radius**2
    order = [int(i) for i in np.argsort(-mean)[: max(200, len(mean) // 5)] if available[i]]

    def far(i: int, leaders: list[int]) -> bool:
        return all(((feats[i] - feats[j]) ** 2).sum() > r2 for j in leaders)

    leaders: list[int] = []
    passes = (True, False) if apart is not None else (False,)
    for valley in passes:
        for i in order:
            if len(leaders) >= limit:
                return leaders
            if i in leaders or not far(i, leaders):
                continue
            if valley and apart is not None and not apart(i, leaders):
                continue
            leaders.append(i)
    return leaders


def _distance_believer(model, feats: np.ndarray) -> Believer:
    from .surrogate import DistanceBeliever

    mu, sd = model.predict(feats)
    return DistanceBeliever(feats, mu, sd, radius=0.2)


def _pool(
    view: View,
    hist: History,
    parents: np.ndarray,
    heads: np.ndarray,
    batch_size: int,
    rng: np.random.Generator,
    untested: np.ndarray | None,
    settings: Settings,
    model,
) -> np.ndarray:
    """Candidates: the untested part of an enumerated space, or a generated pool."""
    cap = max(2500, 4 * batch_size, min(8000, int(1.2e6 / max(1, len(hist.means)))))
    if untested is not None:
        pool = untested
    else:
        size = max(settings.pool_size, 6 * batch_size)

        def score(f: np.ndarray) -> np.ndarray:
            mu, sd = model.predict(f)
            return _ucb(mu, sd, EXPLOIT_BETA)

        pool = untested_rows(generate_pool(view, parents, size, rng, score, heads), hist.codes)
    if len(pool) > cap:
        pool = _prescreen(view, hist, model, pool, cap, rng)
    return pool


def _prescreen(view: View, hist: History, model, pool: np.ndarray, cap: int, rng) -> np.ndarray:
    """Cut a large pool cheaply: best posterior means, farthest from data, and random."""
    feats = view.encode(pool)
    mean = np.concatenate(
        [model.predict_mean(c) for c in np.array_split(feats, max(1, len(feats) // 5000))]
    )
    data = view.encode(hist.scored_codes)
    far = nearest_sq_distance(feats, data)
    keep = np.zeros(len(pool), dtype=bool)
    keep[np.argsort(-mean)[: cap // 2]] = True
    keep[np.argsort(-far)[: cap // 5]] = True
    rest = np.nonzero(~keep)[0]
    keep[rng.choice(rest, size=max(0, min(len(rest), cap - int(keep.sum()))), replace=False)] = True
    return pool[keep]

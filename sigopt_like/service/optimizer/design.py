"""Batch designs for factorial and mixture spaces, and the recommended experiment."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from .engine import Settings, propose, why_no_model
from .engine_types import DesignSteps
from .history import EncodedObservations, History, gather, gather_codes
from .narrowing import UNTESTED_KEPT, narrowed
from .threads import single_threaded
from .views import feature_groups, view_for

Observation = tuple[Sequence[Any], "float | None"]


@single_threaded
def design_batch(
    space: Any,
    observations: Sequence[Observation],
    *,
    batch_size: int,
    seed: int,
    exclude: Iterable[Sequence[Any]] = (),
    settings: Settings = Settings(),
    encoded: EncodedObservations | None = None,
    gathered: History | None = None,
    on_step: DesignSteps | None = None,
) -> list[tuple]:
    """``batch_size`` distinct feasible points, none tested nor in ``exclude``.

    ``observations`` are ``(point, response)`` pairs in chronological order;
    replicates are repeated points and ``None`` is a missing response. When
    fewer untested points remain than ``batch_size``, all of them are returned.
    Same inputs and seed give the same batch. ``encoded``: the same history given
    as codes (then ``observations`` and ``exclude`` are not read again);
    ``gathered``: that history already gathered (:func:`gathered_history`), as the
    caller read it for its progress line (then nothing is read again); ``on_step``:
    told each step of a model-based batch as it begins (:data:`~.engine_types.DesignSteps`:
    a watcher's progress; the batch is the same without it).
    """
    view = view_for(space)
    if gathered is not None:
        hist = gathered
    elif encoded is not None:
        hist = gather_codes(view, encoded)
    else:
        hist = gather(view, observations, exclude)
    rng = np.random.default_rng(seed)
    narrow = narrowed(view, hist.codes, max(UNTESTED_KEPT, 2 * int(batch_size)), rng)
    if narrow is None:
        return view.from_codes(propose(view, hist, int(batch_size), rng, settings, on_step=on_step))
    codes = propose(
        narrow.view, narrow.history(hist), int(batch_size), rng, settings, on_step=on_step
    )
    return view.from_codes(narrow.widen(codes))


def gathered_history(space: Any, encoded: EncodedObservations) -> History:
    """The history ``encoded`` as :func:`design_batch` reads it (its ``gathered``)."""
    return gather_codes(view_for(space), encoded)


def without_model(gathered: History, settings: Settings = Settings()) -> str | None:
    """Why :func:`design_batch` on ``gathered`` (:func:`gathered_history`) spreads its
    batch over the space without a model (said to a person), or None when it fits one."""
    return why_no_model(gathered, settings)


RECOMMEND_FIT_POINTS = 4000
"""Most scored points ``recommend`` fits its model on (see :func:`recommend_subset`)."""


@single_threaded
def recommend(
    space: Any,
    observations: Sequence[Observation],
    *,
    encoded: EncodedObservations | None = None,
    fit_points: int = RECOMMEND_FIT_POINTS,
) -> tuple[tuple, float | None]:
    """The tested point with the best *predicted* response, and that prediction.

    The surrogate is fitted on replicate means, so a lucky single reading does
    not win over a point whose replicates agree on a high value. With too few
    responses for a model, the best replicate mean is returned. ``encoded``: the
    same observations given as codes (then ``observations`` is not read). Beyond
    ``fit_points`` scored points the model is fitted on a bounded subset
    (:func:`recommend_subset`).
    """
    from .surrogate import fit_surrogate, tied_groups

    view = view_for(space)
    hist = gather(view, observations) if encoded is None else gather_codes(view, encoded)
    if len(hist.scored) == 0:
        if len(hist.codes):
            return view.from_codes(hist.codes[:1])[0], None
        raise ValueError("no observations to recommend from")
    full = view
    narrow = narrowed(view, hist.codes, 0, np.random.default_rng(0))
    widen: Callable[[np.ndarray], np.ndarray] = np.asarray
    if narrow is not None:  # the tested levels only: the answer is a tested point
        view, hist, widen = narrow.view, narrow.history(hist), narrow.widen
    codes = hist.scored_codes
    if len(hist.scored) < 3:
        best = int(np.argmax(hist.means))
        return full.from_codes(widen(codes[best : best + 1]))[0], float(hist.means[best])
    fit, candidates = recommend_subset(hist.modelled, fit_points)
    model = fit_surrogate(
        view.encode(codes[fit]),
        hist.modelled[fit],
        hist.modelled_counts[fit],
        np.random.default_rng(0),
        ls_prior=hist.replicates_disagree,
        tied=tied_groups(feature_groups(view), hist.replicates_disagree, len(fit)),
    )
    mu, _ = model.predict(view.encode(codes[candidates]))
    best = int(candidates[int(np.argmax(mu))])
    return full.from_codes(widen(codes[best : best + 1]))[0], float(mu[int(np.argmax(mu))])


def recommend_subset(modelled: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """Which scored points the recommendation's model is fitted on, and which it may pick.

    Up to ``limit`` points: all of them, both times (the answer is the one of a model of
    every point). Beyond, the model's cost grows with the history (130,000 responses
    took 17 s of fitting and predicting for one ``best``), while the recommendation is
    a point whose own readings are good: the best ``limit // 2`` by modelled mean are
    the candidates, fitted with an evenly spaced share of the others (in the order they
    were first tested) for the surface around them. Deterministic: the same history
    gives the same subset. Both index arrays are in first-seen order.
    """
    n = len(modelled)
    everything = np.arange(n)
    if n <= limit:
        return everything, everything
    order = np.argsort(-modelled, kind="stable")  # ties: the earlier point first
    top = np.sort(order[: limit // 2])
    rest = np.sort(order[limit // 2 :])
    spread = rest[np.unique(np.linspace(0, len(rest) - 1, limit - len(top)).round().astype(int))]
    return np.sort(np.concatenate([top, spread])), top


def count_space(space: Any) -> int:
    """Exact number of points in a factorial or mixture space."""
    return int(view_for(space).size())


def is_feasible(space: Any, point: Sequence[Any]) -> bool:
    """True if ``point`` is a point of ``space`` (levels, bounds, total units)."""
    return view_for(space).to_code(point) is not None

"""Batch designs for factorial and mixture spaces, and the recommended experiment."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .engine import Settings, propose
from .history import EncodedObservations, gather, gather_codes
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
) -> list[tuple]:
    """``batch_size`` distinct feasible points, none tested nor in ``exclude``.

    ``observations`` are ``(point, response)`` pairs in chronological order;
    replicates are repeated points and ``None`` is a missing response. When
    fewer untested points remain than ``batch_size``, all of them are returned.
    Same inputs and seed give the same batch. ``encoded``: the same history given
    as codes (then ``observations`` and ``exclude`` are not read again).
    """
    view = view_for(space)
    hist = gather(view, observations, exclude) if encoded is None else gather_codes(view, encoded)
    rng = np.random.default_rng(seed)
    return view.from_codes(propose(view, hist, int(batch_size), rng, settings))


@single_threaded
def recommend(space: Any, observations: Sequence[Observation]) -> tuple[tuple, float | None]:
    """The tested point with the best *predicted* response, and that prediction.

    The surrogate is fitted on replicate means, so a lucky single reading does
    not win over a point whose replicates agree on a high value. With too few
    responses for a model, the best replicate mean is returned.
    """
    from .surrogate import fit_surrogate, tied_groups

    view = view_for(space)
    hist = gather(view, observations)
    if len(hist.scored) == 0:
        if len(hist.codes):
            return view.from_codes(hist.codes[:1])[0], None
        raise ValueError("no observations to recommend from")
    codes = hist.scored_codes
    if len(hist.scored) < 3:
        best = int(np.argmax(hist.means))
        return view.from_codes(codes[best : best + 1])[0], float(hist.means[best])
    model = fit_surrogate(
        view.encode(codes),
        hist.modelled,
        hist.modelled_counts,
        np.random.default_rng(0),
        ls_prior=hist.replicates_disagree,
        tied=tied_groups(feature_groups(view), hist.replicates_disagree, len(hist.scored)),
    )
    mu, _ = model.predict(view.encode(codes))
    best = int(np.argmax(mu))
    return view.from_codes(codes[best : best + 1])[0], float(mu[best])


def count_space(space: Any) -> int:
    """Exact number of points in a factorial or mixture space."""
    return int(view_for(space).size())


def is_feasible(space: Any, point: Sequence[Any]) -> bool:
    """True if ``point`` is a point of ``space`` (levels, bounds, total units)."""
    return view_for(space).to_code(point) is not None

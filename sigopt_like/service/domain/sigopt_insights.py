"""What SigOpt tells about an experiment besides its best: stopping criteria and the
importance of each parameter (pure).

**Stopping criteria** (``should_stop`` and its ``reasons``), as SigOpt names them:

* ``observation_budget_reached``: as many observations as ``observation_budget``;
* ``possible_stagnation``: with one optimized metric, none of the latest
  ``STAGNATION_WINDOW`` valid observations beat the best valid one before them, and
  at least ``2 * STAGNATION_WINDOW`` are valid. SigOpt does not publish its own rule;
  this one is ours, and only advice: suggestions are served as before.

**Importances**: how much each parameter explains a metric's values, from a random
forest fitted to the valid observations (their parameters in the unit cube,
categorical levels one-hot; scikit-learn's impurity-based importances, a level's added to
its parameter's). The forest is fitted to the values' ranks, so that one far-off value (a
failure typed as ``-1e9``) does not decide alone. They are shares: they sum to 1 over the
parameters, or are all 0 when the values do not vary. A parameter left inactive by a
conditional counts as one more value. It needs two valid observations; the forest is
seeded with the experiment's seed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .sigopt_best import Observed, is_valid
from .sigopt_metrics import optimized, orientation

STAGNATION_WINDOW = 20
"""Observations without a new best after which an experiment may be stagnating."""
IMPORTANCE_TREES = 100
MIN_IMPORTANCE_OBSERVATIONS = 2


def stopping_reasons(
    definition: Mapping[str, Any], observations: Sequence[Observed], budget: int | None
) -> list[str]:
    """The reasons to stop (see the module's docstring), in SigOpt's words; [] to go on.
    ``observations`` in the order they were reported."""
    reasons = []
    if budget is not None and len(observations) >= budget:
        reasons.append("observation_budget_reached")
    if _stagnating(definition["metrics"], observations):
        reasons.append("possible_stagnation")
    return reasons


def _stagnating(metric_list: Sequence[Mapping[str, Any]], observations: Sequence[Observed]) -> bool:
    opt = optimized(metric_list)
    if len(opt) != 1:
        return False
    sign = orientation(opt[0])
    values = [sign * o.values[opt[0]["name"]] for o in observations if is_valid(metric_list, o)]
    if len(values) < 2 * STAGNATION_WINDOW:
        return False
    return max(values[-STAGNATION_WINDOW:]) <= max(values[:-STAGNATION_WINDOW])


class TooFewObservations(ValueError):
    """Importances need at least ``MIN_IMPORTANCE_OBSERVATIONS`` valid observations."""


def importances(
    definition: Mapping[str, Any],
    observations: Sequence[Observed],
    metric: str | None,
    seed: int,
) -> dict[str, float]:
    """Each parameter's share in explaining ``metric`` (see the module's docstring)."""
    import numpy as np

    from ..optimizer.sigopt_space import SearchSpace

    metric_list = definition["metrics"]
    space = SearchSpace(definition["parameters"], definition.get("conditionals") or ())
    rows, values = [], []
    for o in observations:
        code = space.to_code(o.assignments)
        value = o.values.get(metric)
        if code is None or value is None or not is_valid(metric_list, o):
            continue
        rows.append(code)
        values.append(float(value))
    if len(rows) < MIN_IMPORTANCE_OBSERVATIONS:
        raise TooFewObservations(
            f"Importances need at least {MIN_IMPORTANCE_OBSERVATIONS} valid observations "
            f"(not failed, every threshold met); this experiment has {len(rows)}."
        )
    names = [str(p["name"]) for p in definition["parameters"]]
    y = np.array(values)
    if np.all(y == y[0]):
        return dict.fromkeys(names, 0.0)
    features = space.encode(np.array(rows))
    owner = np.repeat(
        np.arange(space.n_params),
        [d.levels if d.kind in ("categorical", "conditional") else 1 for d in space.dims],
    )
    from scipy.stats import rankdata
    from sklearn.ensemble import RandomForestRegressor

    forest = RandomForestRegressor(
        n_estimators=IMPORTANCE_TREES, random_state=seed % 2**32, n_jobs=1
    )
    forest.fit(features, rankdata(y) / len(y))
    by_dim = np.bincount(owner, weights=forest.feature_importances_, minlength=space.n_params)
    shares = by_dim[: len(names)]
    total = float(shares.sum())
    if total <= 0:
        return dict.fromkeys(names, 0.0)
    return {name: float(share / total) for name, share in zip(names, shares, strict=True)}

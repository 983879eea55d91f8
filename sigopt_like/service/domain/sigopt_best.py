"""Which observations are the best assignments of an experiment (pure).

Only *valid* observations count: not failed, and every metric with a threshold
on its feasible side (constraint metrics, and thresholds of optimized metrics).
Then, as SigOpt:

* one optimized metric: the best valid observation;
* two optimized metrics: the Pareto front of the valid observations;
* no optimized metric (an all-constraint search): every valid observation;
* ``num_solutions`` k > 1: k good and different observations: the best ones
  taken in order of value, skipping any closer than a radius to one already
  taken, with the largest radius that still yields k (distances over the
  parameters scaled to [0, 1], categoricals one-hot).

The result is ordered best first by the first optimized (else constraint) metric.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    import numpy as np

from .sigopt_metrics import optimized, orientation, within_threshold

MULTISOLUTION_TOP_SHARE = 0.3
"""k diverse solutions are chosen among this share of the valid observations (at least k)."""


@attrs.frozen
class Observed:
    """One observation as the selection needs it."""

    key: Any
    assignments: Mapping[str, Any]
    values: Mapping[str | None, float]
    failed: bool


def best_keys(definition: Mapping[str, Any], observations: Sequence[Observed]) -> list[Any]:
    """Keys of the best observations (see the module's docstring), best first."""
    metric_list = definition["metrics"]
    valid = [o for o in observations if is_valid(metric_list, o)]
    if not valid:
        return []
    opt = optimized(metric_list)
    lead = opt[0] if opt else next(m for m in metric_list if m["strategy"] == "constraint")
    sign = orientation(lead)

    def rank(o: Observed) -> float:
        return sign * o.values[lead["name"]]

    if not opt:
        chosen = valid
    elif len(opt) > 1:
        chosen = _pareto(opt, valid)
    elif int(definition.get("num_solutions") or 1) > 1:
        chosen = _diverse(definition, sorted(valid, key=rank, reverse=True))
    else:
        chosen = [max(valid, key=rank)]  # max keeps the earliest of equals
    return [o.key for o in sorted(chosen, key=rank, reverse=True)]


def is_valid(metric_list: Sequence[Mapping[str, Any]], o: Observed) -> bool:
    """Not failed, and every metric that is not stored on the feasible side of its threshold."""
    if o.failed:
        return False
    for m in metric_list:
        if m["strategy"] == "store":
            continue
        value = o.values.get(m["name"])
        if value is None or not within_threshold(m, value):
            return False
    return True


def _pareto(opt: Sequence[Mapping[str, Any]], valid: Sequence[Observed]) -> list[Observed]:
    import numpy as np  # when first needed: an embedded Connection() does not load numpy

    points = np.array([[orientation(m) * o.values[m["name"]] for m in opt] for o in valid])
    front = []
    for i, p in enumerate(points):
        dominated = np.any(np.all(points >= p, axis=1) & np.any(points > p, axis=1))
        duplicate_before = np.any(np.all(points[:i] == p, axis=1))
        if not dominated and not duplicate_before:
            front.append(valid[i])
    return front


def _diverse(definition: Mapping[str, Any], ordered: Sequence[Observed]) -> list[Observed]:
    k = int(definition["num_solutions"])
    top = list(ordered[: max(k, round(MULTISOLUTION_TOP_SHARE * len(ordered)))])
    if len(top) <= k:
        return top
    import numpy as np

    from ..optimizer.sigopt_space import SearchSpace

    space = SearchSpace(definition["parameters"], definition.get("conditionals") or ())
    codes = [space.to_code(o.assignments) for o in top]
    keep = [i for i, c in enumerate(codes) if c is not None]
    feats = space.encode(np.array([codes[i] for i in keep]))
    d = np.sqrt(((feats[:, None, :] - feats[None, :, :]) ** 2).sum(axis=2))
    radii = np.unique(d)
    low, high = 0, len(radii) - 1  # radius 0 always yields k; find the largest that does
    while low < high:
        mid = (low + high + 1) // 2
        if len(_spread(d, radii[mid], k)) == k:
            low = mid
        else:
            high = mid - 1
    return [top[keep[i]] for i in _spread(d, radii[low], k)]


def _spread(d: np.ndarray, radius: float, k: int) -> list[int]:
    """Rows taken in order, each at least ``radius`` from those taken before (up to k)."""
    picked: list[int] = []
    for i in range(len(d)):
        if all(d[i, j] >= radius for j in picked):
            picked.append(i)
            if len(picked) == k:
                break
    return picked

"""Which observations are the best assignments of an experiment (pure).

Only *valid* observations count: not failed, and every metric with a threshold
on its feasible side (constraint metrics, and thresholds of optimized metrics).
Then, as SigOpt:

* one optimized metric: the best valid observation;
* two optimized metrics: the Pareto front of the valid observations;
* no optimized metric (an all-constraint search): every valid observation;
* ``num_solutions`` k > 1: k good and different observations: the best ones
  taken in order of value, skipping any closer than the distinct radius to one
  already taken (``optimizer.multisolution``: distances over the parameters
  scaled to [0, 1], categoricals one-hot). Only when fewer than k valid
  observations are that far apart: the best of the top share at the largest
  radius that still yields k.

The result is ordered best first by the first optimized (else constraint) metric.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from .sigopt_metrics import lead, optimized, orientation, within_threshold

MULTISOLUTION_TOP_SHARE = 0.3
"""When fewer than k valid observations are distinct solutions, k are chosen among this
share of them (at least k), as far apart as k can be."""


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
    first = lead(metric_list)
    sign = orientation(first)

    def rank(o: Observed) -> float:
        return sign * o.values[first["name"]]

    if not opt:
        chosen = valid
    elif len(opt) > 1:
        chosen = _pareto(opt, valid)
    elif reads_assignments(definition):
        chosen = _diverse(definition, sorted(valid, key=rank, reverse=True))
    else:
        chosen = [max(valid, key=rank)]  # max keeps the earliest of equals
    return [o.key for o in sorted(chosen, key=rank, reverse=True)]


def reads_assignments(definition: Mapping[str, Any]) -> bool:
    """Whether :func:`best_keys` reads the observations' assignments (only to tell
    solutions apart when ``num_solutions`` > 1); when not, they may be left empty."""
    return int(definition.get("num_solutions") or 1) > 1


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
    """k solutions among the valid observations ``ordered`` best first: the best ones
    that are distinct; as far apart as k can be among the top share when fewer are.

    It once took the top share's k as far apart as k could be even when distinct ones
    were observed: with two peaks, the second solution was the top-share point farthest
    from the best, not the best of the other peak (0.18 reading 0.875 reported, 0.205
    reading 0.99 observed; 39 seeds in 200 of the issue table's num_solutions row), or a
    second point of the best's own peak (0.814 beside 0.800)."""
    k = int(definition["num_solutions"])
    if len(ordered) <= k:
        return list(ordered)
    import numpy as np

    from ..optimizer.multisolution import solutions
    from ..optimizer.sigopt_space import SearchSpace

    space = SearchSpace(definition["parameters"], definition.get("conditionals") or ())
    codes = [space.to_code(o.assignments) for o in ordered]
    keep = [i for i, c in enumerate(codes) if c is not None]
    feats = space.encode(np.array([codes[i] for i in keep]).reshape(len(keep), space.n_params))
    top = max(k, round(MULTISOLUTION_TOP_SHARE * len(keep)))
    return [ordered[keep[i]] for i in solutions(feats, k, top)]

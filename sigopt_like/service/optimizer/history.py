"""Observations gathered per distinct point: replicate means, counts and order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import attrs
import numpy as np

from .finite import group_means
from .views import View, code_key


@attrs.frozen
class History:
    """Distinct tested points of one campaign, as codes.

    ``codes`` holds every distinct tested point (with or without a response);
    ``scored`` indexes those with at least one response, ``means`` and ``counts``
    are their replicate means and numbers of readings, ``first_seen`` the index of
    the observation that first tested them (chronology, for stagnation);
    ``deviations`` the sum of squared deviations of each scored point's readings
    from their mean (0 for a single reading).
    """

    codes: np.ndarray
    keys: frozenset
    scored: np.ndarray
    means: np.ndarray
    counts: np.ndarray
    first_seen: np.ndarray
    n_observations: int
    deviations: np.ndarray = attrs.field(factory=lambda: np.zeros(0))

    @property
    def scored_codes(self) -> np.ndarray:
        return self.codes[self.scored]

    @property
    def replicates_disagree(self) -> bool:
        """True when repeated readings of a point differ: the response is measured with
        noise (beyond rounding: the pooled spread is above 1e-9 of the means' size)."""
        if len(self.deviations) == 0 or not np.any(self.counts > 1):
            return False
        df = float((self.counts - 1).sum())
        size = max(1.0, float(np.max(np.abs(self.means))))
        with np.errstate(over="ignore", invalid="ignore"):
            pooled = float(self.deviations.sum()) / df / size / size
        return bool(pooled > 1e-18)


def gather(
    view: View,
    observations: Sequence[tuple[Sequence[Any], float | None]],
    exclude: Iterable[Sequence[Any]] = (),
) -> History:
    """Group observations by point (replicates are repeated points) and add exclusions."""
    index: dict[tuple, int] = {}
    rows: list[np.ndarray] = []
    readings: list[list[float]] = []
    counts: list[int] = []
    first: list[int] = []
    n_obs = 0
    for n_obs, (point, value) in enumerate(observations, start=1):
        code = view.to_code(point)
        if code is None:
            continue
        key = code_key(code)
        if key not in index:
            index[key] = len(rows)
            rows.append(code)
            readings.append([])
            counts.append(0)
            first.append(n_obs - 1)
        if value is not None and np.isfinite(float(value)):
            readings[index[key]].append(float(value))
            counts[index[key]] += 1
    keys = set(index)
    extra = []
    for point in exclude:
        code = view.to_code(point)
        if code is not None and code_key(code) not in keys:
            keys.add(code_key(code))
            extra.append(code)
    all_rows = rows + extra
    codes = np.array(all_rows, dtype=float).reshape(len(all_rows), view.n_params)
    cnt = np.array(counts, dtype=np.int64)
    scored = np.nonzero(cnt > 0)[0]
    flat = [float(v) for r in readings for v in r]
    owner = np.repeat(np.arange(len(readings)), [len(r) for r in readings])
    means = group_means(owner, np.array(flat, dtype=float), cnt)[scored]
    deviations = np.array(
        [_squared_deviations(np.array(readings[i]), m) for i, m in zip(scored, means, strict=True)]
    )
    return History(
        codes=codes,
        keys=frozenset(keys),
        scored=scored,
        means=means,
        counts=cnt[scored],
        first_seen=np.array(first, dtype=np.int64)[scored],
        n_observations=n_obs,
        deviations=deviations.reshape(len(scored)),
    )


def _squared_deviations(values: np.ndarray, mean: float) -> float:
    """Sum of squared deviations from ``mean`` (infinite rather than a warning on overflow)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return float(((values - mean) ** 2).sum())


class EncodedObservations(Protocol):
    """Observations already given as codes (how a campaign's store keeps them):
    ``codes`` and ``values`` (None: missing) in the order they were put, and the
    codes of points designed but not tested (``exclude``)."""

    @property
    def codes(self) -> Sequence[Sequence[float]]: ...
    @property
    def values(self) -> Sequence[float | None]: ...
    @property
    def exclude(self) -> Sequence[Sequence[float]]: ...


def gather_codes(view: View, observed: EncodedObservations) -> History:
    """:func:`gather` for observations given as codes: the same History, grouped with
    numpy instead of encoding every point again."""
    n = len(observed.codes)
    arr = np.asarray(observed.codes, dtype=float).reshape(n, view.n_params)
    if n:
        distinct, first_index, inverse = np.unique(
            arr, axis=0, return_index=True, return_inverse=True
        )
        order = np.argsort(first_index, kind="stable")  # by first appearance, as gather
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        group = rank[np.asarray(inverse).reshape(-1)]
        rows = distinct[order]
        first = first_index[order].astype(np.int64)
        vals = np.array([np.nan if v is None else float(v) for v in observed.values])
        ok = np.isfinite(vals)
        cnt = np.bincount(group[ok], minlength=len(rows)).astype(np.int64)
        point_means = group_means(group[ok], vals[ok], cnt)
        with np.errstate(over="ignore", invalid="ignore"):
            squares = (vals[ok] - point_means[group[ok]]) ** 2
        devs = np.bincount(group[ok], weights=squares, minlength=len(rows))
    else:
        rows = np.zeros((0, view.n_params))
        first = np.zeros(0, dtype=np.int64)
        point_means = np.zeros(0, dtype=float)
        cnt = np.zeros(0, dtype=np.int64)
        devs = np.zeros(0, dtype=float)
    keys = {code_key(r) for r in rows}
    extra = []
    for code in observed.exclude:
        row = np.asarray(code, dtype=float)
        key = code_key(row)
        if key not in keys:
            keys.add(key)
            extra.append(row)
    codes = np.vstack([rows, *extra]) if extra else rows
    scored = np.nonzero(cnt > 0)[0]
    return History(
        codes=codes.reshape(len(codes), view.n_params),
        keys=frozenset(keys),
        scored=scored,
        means=point_means[scored],
        counts=cnt[scored],
        first_seen=first[scored],
        n_observations=n,
        deviations=devs[scored],
    )

"""Observations gathered per distinct point: replicate means, counts and order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import numpy as np

from .views import View, code_key


@attrs.frozen
class History:
    """Distinct tested points of one campaign, as codes.

    ``codes`` holds every distinct tested point (with or without a response);
    ``scored`` indexes those with at least one response, ``means`` and ``counts``
    are their replicate means and numbers of readings, ``first_seen`` the index of
    the observation that first tested them (chronology, for stagnation).
    """

    codes: np.ndarray
    keys: frozenset
    scored: np.ndarray
    means: np.ndarray
    counts: np.ndarray
    first_seen: np.ndarray
    n_observations: int

    @property
    def scored_codes(self) -> np.ndarray:
        return self.codes[self.scored]


def gather(
    view: View,
    observations: Sequence[tuple[Sequence[Any], float | None]],
    exclude: Iterable[Sequence[Any]] = (),
) -> History:
    """Group observations by point (replicates are repeated points) and add exclusions."""
    index: dict[tuple, int] = {}
    rows: list[np.ndarray] = []
    sums: list[float] = []
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
            sums.append(0.0)
            counts.append(0)
            first.append(n_obs - 1)
        if value is not None and np.isfinite(float(value)):
            sums[index[key]] += float(value)
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
    means = np.array(sums, dtype=float)[scored] / np.maximum(cnt[scored], 1)
    return History(
        codes=codes,
        keys=frozenset(keys),
        scored=scored,
        means=means,
        counts=cnt[scored],
        first_seen=np.array(first, dtype=np.int64)[scored],
        n_observations=n_obs,
    )

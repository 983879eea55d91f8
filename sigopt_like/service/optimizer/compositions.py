"""Bounded integer compositions, vectorised: exact counting, uniform sampling, enumeration.

A mixture experiment gives each component ``lo[i] <= x[i] <= hi[i]`` units with
``sum(x) == total``. Counting is the shared table of :mod:`sigopt_like.compositions`
(over the units above each minimum); a uniform sample is a
uniform rank in ``[0, count)`` decoded by DP backtracking (unranking), so the
sampling is exactly uniform over the feasible compositions, not approximately.
Enumeration is unranking every rank, vectorised.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...compositions import count_table

_INT64_LIMIT = 2**62


class Compositions:
    """All integer vectors ``x`` with ``lo <= x <= hi`` and ``sum(x) == total``."""

    def __init__(self, lo: Sequence[int], hi: Sequence[int], total: int) -> None:
        self.lo = np.asarray(lo, dtype=np.int64)
        self.hi = np.asarray(hi, dtype=np.int64)
        self.total = int(total)
        self.k = len(self.lo)
        self.cap = self.hi - self.lo
        self.slack = self.total - int(self.lo.sum())
        # ways[i][s]: number of ways for components i..k-1 to take s extra units
        # (the shared table, over the units above each minimum).
        s_max = max(self.slack, 0)
        ways = count_table([0] * self.k, [int(c) for c in self.cap], s_max)
        self._ways = ways
        self.count = ways[0][s_max] if self.slack >= 0 and self.k > 0 else 0
        self._fits = self.count < _INT64_LIMIT
        if self._fits:
            self._ways_arr = np.array(ways, dtype=np.int64)

    def __len__(self) -> int:
        return int(self.count)

    def contains(self, x: Sequence[int]) -> bool:
        """True if ``x`` is one of the compositions."""
        arr = np.asarray(x)
        if arr.shape != (self.k,) or not np.all(np.equal(np.mod(arr, 1), 0)):
            return False
        return bool(
            np.all(arr >= self.lo) and np.all(arr <= self.hi) and int(arr.sum()) == self.total
        )

    def unrank(self, ranks: np.ndarray) -> np.ndarray:
        """Decode ranks in ``[0, count)`` into compositions, shape (n, k)."""
        ranks = np.asarray(ranks, dtype=np.int64).copy()
        n = len(ranks)
        out = np.empty((n, self.k), dtype=np.int64)
        rem = np.full(n, self.slack, dtype=np.int64)
        for i in range(self.k):
            nxt = self._ways_arr[i + 1]
            chosen = np.zeros(n, dtype=np.int64)
            decided = np.zeros(n, dtype=bool)
            # Walk v = 0..cap, subtracting the number of completions for each v.
            for v in range(int(self.cap[i]) + 1):
                left = rem - v
                block = np.where(left >= 0, nxt[np.clip(left, 0, None)], 0)
                take = ~decided & (ranks < block)
                chosen[take] = v
                skip = ~decided & ~take
                ranks[skip] -= block[skip]
                decided |= take
            out[:, i] = chosen
            rem -= chosen
        return out + self.lo

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` exactly uniform compositions (with replacement), shape (n, k)."""
        if self.count == 0:
            raise ValueError("no feasible composition")
        if self._fits:
            return self.unrank(rng.integers(0, self.count, size=n, dtype=np.int64))
        return np.array([self._sample_big(rng) for _ in range(n)], dtype=np.int64)

    def enumerate(self) -> np.ndarray:
        """Every composition, shape (count, k), in rank order."""
        if not self._fits:
            raise ValueError("too many compositions to enumerate")
        return self.unrank(np.arange(self.count, dtype=np.int64))

    def _sample_big(self, rng: np.random.Generator) -> list[int]:
        """Exact sampling with Python integers when the count exceeds int64."""
        rank = int(rng.integers(0, 2**62)) * 2**62 + int(rng.integers(0, 2**62))
        rank %= self.count  # bias below 2**-60 relative, far beyond float precision
        rem = self.slack
        out = []
        for i in range(self.k):
            for v in range(int(self.cap[i]) + 1):
                block = self._ways[i + 1][rem - v] if rem - v >= 0 else 0
                if rank < block:
                    break
                rank -= block
            out.append(v + int(self.lo[i]))
            rem -= v
        return out

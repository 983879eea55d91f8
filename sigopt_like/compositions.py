"""Bounded integer compositions: the points of a mixture space.

A composition gives each component ``lo[i] <= x[i] <= hi[i]`` units with
``sum(x) == total``. Counting is dynamic programming over prefix sums
(components x total steps, exact with Python integers however large); a uniform
sample is a uniform rank in ``[0, count)`` decoded by walking the same table,
so sampling is exactly uniform. Pure Python: the client and the service share it
(the optimizer vectorises the same table with numpy).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence


def count_table(lo: Sequence[int], hi: Sequence[int], total: int) -> list[list[int]]:
    """``ways[i][s]``: compositions of ``s`` units over components ``i..n-1`` within bounds.

    ``ways[0][total]`` is the number of compositions; ``ways[n][0] == 1``.
    """
    n = len(lo)
    total = max(int(total), 0)
    ways = [[0] * (total + 1) for _ in range(n + 1)]
    ways[n][0] = 1
    for i in range(n - 1, -1, -1):
        low, high = max(int(lo[i]), 0), int(hi[i])
        prefix = [0]
        for count in ways[i + 1]:
            prefix.append(prefix[-1] + count)
        row = ways[i]
        for s in range(low, total + 1):
            top = min(high, s)  # x runs over [low, top]; ways[i+1][s - x] over [s - top, s - low]
            if top >= low:
                row[s] = prefix[s - low + 1] - prefix[s - top]
    return ways


def count(lo: Sequence[int], hi: Sequence[int], total: int) -> int:
    """How many compositions there are (exact)."""
    if total < 0:
        return 0
    return count_table(lo, hi, total)[0][total]


def iter_compositions(
    lo: Sequence[int], hi: Sequence[int], total: int
) -> Iterator[tuple[int, ...]]:
    """Every composition, in lexicographic order."""
    if total < 0:
        return
    ways = count_table(lo, hi, total)
    n = len(lo)

    def walk(i: int, left: int) -> Iterator[tuple[int, ...]]:
        if i == n:
            yield ()
            return
        for x in range(int(lo[i]), min(int(hi[i]), left) + 1):
            if ways[i + 1][left - x]:
                for rest in walk(i + 1, left - x):
                    yield (x, *rest)

    if ways[0][total]:
        yield from walk(0, total)


class CompositionSampler:
    """Draws compositions exactly uniformly: an integer rank in [0, count), then unranked."""

    def __init__(self, lo: Sequence[int], hi: Sequence[int], total: int) -> None:
        self.lo = [int(v) for v in lo]
        self.hi = [int(v) for v in hi]
        self.total = int(total)
        self.ways = count_table(self.lo, self.hi, self.total)
        self.count = self.ways[0][self.total] if self.total >= 0 else 0
        if not self.count:
            raise ValueError("the mixture space has no composition summing to total_units")

    def __call__(self, rng: random.Random) -> tuple[int, ...]:
        return self.unrank(rng.randrange(self.count))

    def unrank(self, rank: int) -> tuple[int, ...]:
        """The composition of rank ``rank`` in ``[0, count)`` (lexicographic order)."""
        left = self.total
        point: list[int] = []
        for i in range(len(self.lo)):
            for x in range(self.lo[i], min(self.hi[i], left) + 1):
                block = self.ways[i + 1][left - x]
                if rank < block:
                    point.append(x)
                    left -= x
                    break
                rank -= block
        return tuple(point)

"""A candidate against a baseline on the same seeds: the numbers a round's rule is judged on.

    python benchmarks/design_paired.py --base direct-r16 --candidate hvk-direct \\
        benchmarks/results/raw/variants-validation.jsonl

For each (space, family) cell where both methods ran (on the seeds both ran): the
baseline's and the candidate's mean at generation 5 and at the last generation, with the
share of campaigns at or above 0.99 of the optimum there; how many campaigns differ at
any generation and how many end higher or lower; the two-sided paired Wilcoxon p at
generation 5 and at the last generation, and the smallest p at any generation with the
mean difference there; the seeds below 0.99 at the end under each. Then the campaigns at
or above 0.99 at the end over all cells. Until round 16 these tables came from scripts
kept out of the repository (benchmarks/README.md); this one makes them reproducible from
the raw lines.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import attrs
import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.design_report import THRESHOLD, load_or_exit

GENERATION = 5
"""The early generation every rule looks at (the issue's "better at generation 5")."""


@attrs.frozen
class CellComparison:
    """One cell's paired figures (``before``/``after``: generations x seeds)."""

    cell: tuple[str, str]
    seeds: tuple[int, ...]
    before: np.ndarray
    after: np.ndarray

    @property
    def last(self) -> int:
        return self.before.shape[0] - 1

    @property
    def early(self) -> int:
        """``GENERATION`` (0-based), or the last one in shorter campaigns."""
        return min(GENERATION, self.last + 1) - 1

    def figures(self, which: np.ndarray) -> str:
        """Mean at the early and the last generation, and the campaigns reaching 0.99."""
        return (
            f"{which[self.early].mean():.4f} / {which[self.last].mean():.4f}, "
            f"{self.reached(which)} of {len(self.seeds)}"
        )

    def reached(self, which: np.ndarray) -> int:
        """Campaigns at or above ``THRESHOLD`` at the last generation."""
        return int((which[self.last] >= THRESHOLD).sum())

    def p_value(self, gen: int) -> float:
        """Two-sided paired Wilcoxon p at generation ``gen`` (0-based); 1 when all equal.

        Seeds that score the same under both are dropped (scipy's default, Wilcoxon's own
        rule), as in every round's table since round 2; ``design_report``'s one-sided goal
        test splits them instead, a more cautious convention for a claim of "better".
        """
        a, b = self.after[gen], self.before[gen]
        if np.allclose(a, b):
            return 1.0
        return float(stats.wilcoxon(a, b).pvalue)

    def below(self, which: np.ndarray) -> list[int]:
        return [s for s, v in zip(self.seeds, which[self.last], strict=True) if v < THRESHOLD]


def compare(data: dict, base: str, candidate: str) -> list[CellComparison]:
    """The cells where both methods ran, on the seeds both ran, over the generations both ran."""
    out = []
    for cell in sorted(data):
        a, b = data[cell].get(base, {}), data[cell].get(candidate, {})
        seeds = tuple(sorted(set(a) & set(b)))
        if not seeds:
            continue
        gens = min(min(len(a[s]["scores"]), len(b[s]["scores"])) for s in seeds)
        before = np.array([[a[s]["scores"][g] for s in seeds] for g in range(gens)])
        after = np.array([[b[s]["scores"][g] for s in seeds] for g in range(gens)])
        out.append(CellComparison(cell, seeds, before, after))
    return out


def rows(comparisons: Sequence[CellComparison], base: str, candidate: str) -> list[str]:
    """A Markdown table of the comparisons and the total line."""
    lines = [
        f"| cell (seeds) | {base}: gen {GENERATION} / last, P(>=.99) | {candidate} "
        "| campaigns different (any generation) / higher / lower at the last "
        f"| two-sided Wilcoxon p at {GENERATION} / last; smallest p at any generation |",
        "|---|---|---|---|---|",
    ]
    for c in comparisons:
        ps = [c.p_value(g) for g in range(c.last + 1)]
        worst = int(np.argmin(ps))
        shift = float((c.after[worst] - c.before[worst]).mean())
        differ = int((np.abs(c.after - c.before).max(axis=0) > 0).sum())
        higher = int((c.after[c.last] > c.before[c.last]).sum())
        lower = int((c.after[c.last] < c.before[c.last]).sum())
        lines.append(
            f"| {c.cell[0]} {c.cell[1]} ({c.seeds[0]}-{c.seeds[-1]}) | {c.figures(c.before)} "
            f"| {c.figures(c.after)} | {differ} / {higher} / {lower} "
            f"| {ps[c.early]:.3f} / {ps[c.last]:.3f}; {ps[worst]:.3f} "
            f"(gen {worst + 1}, {shift:+.4f}) |"
        )
    before = sum(c.reached(c.before) for c in comparisons)
    after = sum(c.reached(c.after) for c in comparisons)
    total = sum(len(c.seeds) for c in comparisons)
    lines.append("")
    lines.append(
        f"Campaigns >= {THRESHOLD} at the last generation: {before} -> {after} of {total}."
    )
    for c in comparisons:
        lines.append(
            f"{c.cell[0]} {c.cell[1]}: below {THRESHOLD} at the last generation, {base} "
            f"{c.below(c.before)}, {candidate} {c.below(c.after)}"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("paths", nargs="+", help="JSON-lines files of design_benchmark.py")
    ap.add_argument("--base", required=True, help="the baseline's method name in the lines")
    ap.add_argument("--candidate", required=True, help="the candidate's method name")
    args = ap.parse_args(argv)
    comparisons = compare(load_or_exit(ap, args.paths), args.base, args.candidate)
    if not comparisons:
        ap.error(f"no cell has lines of both {args.base!r} and {args.candidate!r}")
    print("\n".join(rows(comparisons, args.base, args.candidate)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Prior beliefs on double parameters: where the first suggestions go, and a fading
weight on the acquisition afterwards.

SigOpt lets a double parameter carry ``prior``: ``{"name": "normal", "mean",
"scale"}`` (truncated to the bounds) or ``{"name": "beta", "shape_a",
"shape_b"}`` (stretched over the bounds). The initial design draws those
parameters through the prior's quantile function, so its points crowd where the
user believes the good values are; afterwards the acquisition is multiplied by
the prior density raised to a power that shrinks as observations accumulate
(as in piBO), so data wins in the end.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

#: the beta shapes computed (a shape kept within them): a subnormal shape made scipy's
#: beta function overflow in C++, which aborts the whole process (std::terminate), and
#: a definition stored before the rules refused such shapes must not take a server down
SHAPE_RANGE = (1e-300, 1e300)
#: a normal prior this much wider than its bounds is flat on them to 1e-12 (its log
#: density varies by at most (FLAT_WIDTH * width / scale)**2 / 2 there): it is computed as
#: the uniform distribution, since scipy's truncated normal answered NaN (a scale of 1e100
#: on [0, 1]: every suggestion at the middle) or wrong quantiles (1e15) for it
FLAT_WIDTH = 1e-6
#: the narrowest normal computed, relative to its bounds' width: below it, its
#: standardised bounds or density overflow (a scale of 5e-324). At that width it is
#: already a point at its mean to the resolution of the bounds, so nothing is lost.
NARROWEST = 1e-300


@attrs.frozen
class Prior:
    """A prior over ``[lo, hi]``: ``normal`` (mean, scale) or ``beta`` (shape_a, shape_b)."""

    name: str
    lo: float
    hi: float
    mean: float = 0.0
    scale: float = 1.0
    shape_a: float = 1.0
    shape_b: float = 1.0

    @classmethod
    def from_json(cls, raw: Mapping[str, Any], lo: float, hi: float) -> Prior:
        """From a canonical SigOpt prior object (checked by the rules)."""
        if raw["name"] == "normal":
            return cls("normal", lo, hi, mean=float(raw["mean"]), scale=float(raw["scale"]))
        return cls("beta", lo, hi, shape_a=float(raw["shape_a"]), shape_b=float(raw["shape_b"]))

    def _dist(self) -> Any:
        from scipy import stats

        if self.name == "normal":
            width = self.hi - self.lo
            scale = max(self.scale, NARROWEST * width, NARROWEST)
            a = (self.lo - self.mean) / scale
            b = (self.hi - self.mean) / scale
            if max(abs(a), abs(b)) < FLAT_WIDTH:
                return stats.uniform(loc=self.lo, scale=width)
            return stats.truncnorm(a, b, loc=self.mean, scale=scale)
        low, high = SHAPE_RANGE
        a = min(max(self.shape_a, low), high)
        b = min(max(self.shape_b, low), high)
        return stats.beta(a, b, loc=self.lo, scale=self.hi - self.lo)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """Values at probabilities ``u`` (in [0, 1]), inside the bounds."""
        u = np.clip(np.asarray(u, dtype=float), 1e-9, 1 - 1e-9)
        return np.clip(self._dist().ppf(u), self.lo, self.hi)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """Probabilities of values ``x`` (the inverse of :meth:`quantile`)."""
        return np.asarray(self._dist().cdf(np.asarray(x, dtype=float)))

    def relative_density(self, x: np.ndarray) -> np.ndarray:
        """The density at ``x`` divided by its largest value over the bounds (in [0, 1])."""
        dist = self._dist()
        grid = np.linspace(self.lo, self.hi, 257)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            on_grid = dist.pdf(grid)
            dens = np.asarray(dist.pdf(np.asarray(x, dtype=float)), dtype=float)
        # a beta shape below 1 has an infinite density at its bound: the peak is the
        # largest finite one, and an infinite density counts as 1 (inf / inf was NaN,
        # with a numpy warning on the console at every suggestion)
        finite = on_grid[np.isfinite(on_grid)]
        peak = float(finite.max()) if finite.size else 1.0
        if self.name == "normal":
            peak = max(peak, float(dist.pdf(np.clip(self.mean, self.lo, self.hi))))
        # a peak below 1e-300 is real on bounds wider than 1e300 (a floor there turned a
        # flat prior's relative density into 0.5)
        peak = peak if peak > 0 else 1.0
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            relative = np.where(np.isinf(dens), 1.0, dens / peak)
        return np.clip(np.nan_to_num(relative, nan=0.0), 0.0, 1.0)

"""BayBE on a mixture: continuous components under its sum constraint, rounded to whole units.

The discrete BayBE space of every feasible point cannot hold the validation mixture m7
(219,430 compositions), so ``--methods baybe`` on a mixture builds continuous components
with a ``ContinuousLinearConstraint`` and tests the recommendations rounded to whole units.
The check that runs BayBE itself needs the 'bench' extra: benchmarks/peer_checks/.
"""

from __future__ import annotations

import numpy as np

from benchmarks.methods import whole_units
from benchmarks.spaces import make_space


def test_whole_units_sum_to_the_total_within_bounds():
    space = make_space("m7")
    params = list(space.parameters)
    lo = np.array([p.min for p in params], dtype=float)
    hi = np.array([p.max for p in params], dtype=float)
    rng = np.random.default_rng(0)
    for _ in range(300):
        x = rng.dirichlet(np.ones(len(params))) * 25  # some outside the bounds
        units = whole_units(x, params, 25)
        assert sum(units) == 25
        assert all(p.min <= u <= p.max for p, u in zip(params, units, strict=True))
    inside = np.array([3.4, 2.6, 1.5, 6.5, 4.0, 2.0, 5.0])
    assert np.all((inside >= lo) & (inside <= hi))
    assert whole_units(inside, params, 25) == (3, 3, 2, 6, 4, 2, 5)

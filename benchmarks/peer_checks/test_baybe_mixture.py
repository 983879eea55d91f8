"""BayBE on a mixture asks whole, feasible compositions of the grid (needs the 'bench' extra)."""

from __future__ import annotations

from benchmarks.methods import BaybeMixture, start
from benchmarks.spaces import grid, make_space


def test_baybe_on_a_mixture_asks_whole_feasible_compositions():
    g = grid(make_space("m7"))
    campaign = start("baybe", g, seed=1000, batch=4, replicates=0)
    assert isinstance(campaign, BaybeMixture)
    rows = campaign.ask()
    assert len(rows) == 4
    assert len(g.rows_of(rows)) == 4  # every row is a point of the grid
    campaign.tell(rows, [0.1, 0.2, 0.3, 0.4])
    assert campaign.recommend() == rows[3]

"""The Optuna peers ask points of the grid, batch by batch (needs the 'bench' extra)."""

from __future__ import annotations

import pytest

from benchmarks.methods import start
from benchmarks.spaces import grid, make_space


@pytest.mark.parametrize("method", ["tpe", "gp"])
@pytest.mark.parametrize("space", ["f7", "m7"])
def test_optuna_asks_distinct_points_of_the_grid(method: str, space: str):
    g = grid(make_space(space))
    campaign = start(method, g, seed=1000, batch=4, replicates=1)
    for generation in range(2):
        rows = campaign.ask()
        assert len(rows) == 8  # 4 points, each with its replicate
        assert len(g.rows_of(rows)) == 8
        campaign.tell(rows, [float(i + 4 * generation) for i in range(8)])
    assert campaign.recommend() in rows
    campaign.close()

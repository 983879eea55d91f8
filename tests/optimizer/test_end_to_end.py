"""A quick campaign: the engine beats random search on simulated surfaces."""

import numpy as np

from sigopt_like.service.optimizer import design_batch
from sigopt_like.service.optimizer.views import view_for
from sigopt_like.service.simulator import Surface, optimum

from .conftest import factorial, mixture


def campaign(space, surface, seed, engine: bool, gens=6, batch=10):
    obs = []
    view = view_for(space)
    rng = np.random.default_rng(seed)
    for gen in range(gens):
        if engine or gen == 0:
            batch_points = design_batch(space, obs, batch_size=batch, seed=seed + gen)
        else:
            tested = {p for p, _ in obs}
            cand = [p for p in view.from_codes(view.sample(5 * batch, rng)) if p not in tested]
            batch_points = list(dict.fromkeys(cand))[:batch]
        obs += [(p, surface.value(p)) for p in batch_points]
    return max(v for _, v in obs)


def test_engine_beats_random_search():
    wins, ratios, random_ratios = 0, [], []
    for seed in range(3):
        for space in (factorial(levels=4, n_params=4, categorical=False), mixture(k=4, total=12)):
            surface = Surface.for_space(space, seed)
            _, best = optimum(space, surface)
            e = campaign(space, surface, seed, engine=True)
            r = campaign(space, surface, seed, engine=False)
            wins += e >= r
            ratios.append(e / best)
            random_ratios.append(r / best)
    assert wins >= 5
    assert np.mean(ratios) > max(0.95, np.mean(random_ratios))

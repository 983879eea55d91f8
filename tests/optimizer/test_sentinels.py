"""A failed experiment typed as a far-off number (``-1e6``, ``-999``) must not take the
design engine's model: the campaign finds the optimum as if it were not there."""

from __future__ import annotations

import numpy as np

from sigopt_like.service.optimizer import design_batch
from sigopt_like.service.optimizer.sentinels import rein_in

from .conftest import factorial

CENTRE = (5.0, 2.0, 6.0, 3.0)


def response(point) -> float:
    """A smooth single peak (best 0) over four 8-level parameters."""
    return -sum((float(x) - c) ** 2 for x, c in zip(point, CENTRE, strict=False))


def campaign(seed: int, sentinel: float | None, generations: int = 4) -> float:
    """The best response after ``generations`` batches of 12; the worst point of the first
    batch is reported as ``sentinel`` (None: as measured)."""
    space = factorial(levels=8, n_params=4, categorical=False)
    observations: list = []
    for gen in range(generations):
        batch = design_batch(space, observations, batch_size=12, seed=1000 * seed + gen)
        values = [response(p) for p in batch]
        if gen == 0 and sentinel is not None:
            values[int(np.argmin(values))] = sentinel
        observations += list(zip(batch, values, strict=True))
    return max(response(p) for p, _ in observations)


def test_one_sentinel_response_does_not_stop_the_campaign_converging():
    # without the fence the model's whole range went to the sentinel, the model-based
    # batches read the rest as flat, and the best after 4 batches was -6, -5, -9, -6 on
    # these seeds (the optimum, 0, on each without the sentinel and now with it)
    with_sentinel = [campaign(seed, -1e6) for seed in range(4)]
    measured = [campaign(seed, None) for seed in range(4)]
    assert np.mean(with_sentinel) >= np.mean(measured) - 0.5, (with_sentinel, measured)


def test_ordinary_responses_are_modelled_as_measured():
    rng = np.random.default_rng(8)
    for values in (rng.normal(0, 1, 300), rng.uniform(-300, -0.4, 40), np.full(9, 2.0)):
        assert np.array_equal(rein_in(values), values)


def test_a_failed_replicate_typed_as_a_sentinel_designs_as_one_left_blank():
    """Each experiment run three times (noiseless: the replicates agree), one replicate
    of a middling point reported as ``-1e9``. Averaged in, it made that point's mean a
    sentinel and its spread made the campaign read as noisy, so the next batch was
    designed for noise. The models now leave it out of its point, as if left blank; the
    stored mean (the reading users see) keeps it."""
    from sigopt_like.service.optimizer.history import gather
    from sigopt_like.service.optimizer.views import view_for

    space = factorial(levels=8, n_params=4, categorical=False)
    batch = design_batch(space, [], batch_size=10, seed=3)
    runs = [(p, response(p)) for p in batch for _ in range(3)]
    middling = sorted(range(10), key=lambda i: response(batch[i]))[5]

    def with_third_replicate(value):
        obs = list(runs)
        obs[3 * middling + 2] = (batch[middling], value)
        return obs

    failed, blank = with_third_replicate(-1e9), with_third_replicate(None)
    hist = gather(view_for(space), failed)
    assert not hist.replicates_disagree
    i = list(hist.scored).index(middling)
    assert hist.modelled[i] == response(batch[middling]) and hist.modelled_counts[i] == 2
    assert hist.means[i] < -1e8
    for seed in (0, 1):
        assert design_batch(space, failed, batch_size=10, seed=seed) == design_batch(
            space, blank, batch_size=10, seed=seed
        )
    all_failed = list(runs)
    for k in range(3):
        all_failed[3 * middling + k] = (batch[middling], -1e9)
    hist = gather(view_for(space), all_failed)
    i = list(hist.scored).index(middling)
    assert hist.modelled[i] == min(hist.modelled) > -1e8

"""design_batch: feasibility, exclusions, exhaustion, reproducibility, recommendation."""

import numpy as np
import pytest

from sigopt_like.service.optimizer import count_space, design_batch, is_feasible, recommend

from .conftest import factorial, mixture


def quad(point):
    return -sum((float(x) - 2.0) ** 2 for x in point if not isinstance(x, str))


@pytest.mark.parametrize("make", [factorial, mixture])
def test_first_batch_is_feasible_and_distinct(make):
    space = make()
    batch = design_batch(space, [], batch_size=25, seed=3)
    assert len(batch) == 25
    assert len(set(batch)) == 25
    assert all(is_feasible(space, p) for p in batch)


def test_mixture_points_are_ints_summing_to_total(mix_space):
    batch = design_batch(mix_space, [], batch_size=10, seed=0)
    for p in batch:
        assert all(isinstance(v, int) for v in p)
        assert sum(p) == mix_space.total_units


@pytest.mark.parametrize("make", [factorial, mixture])
def test_model_batches_avoid_tested_excluded_and_repeat_nothing(make):
    space = make()
    first = design_batch(space, [], batch_size=15, seed=1)
    obs = [(p, quad(p)) for p in first] + [(p, quad(p) + 0.1) for p in first[:5]]
    obs.append((first[-1], None))
    exclude = design_batch(space, [], batch_size=10, seed=2)
    for seed in range(3):
        batch = design_batch(space, obs, batch_size=15, seed=seed, exclude=exclude)
        assert len(batch) == len(set(batch)) == 15
        assert not set(batch) & ({p for p, _ in obs} | set(exclude))
        assert all(is_feasible(space, p) for p in batch)
        obs += [(p, quad(p)) for p in batch]


def test_exhaustion_returns_what_remains():
    space = factorial(levels=2, n_params=3, categorical=False)
    tested = design_batch(space, [], batch_size=5, seed=0)
    rest = design_batch(space, [(p, 1.0) for p in tested], batch_size=20, seed=0)
    assert len(rest) == count_space(space) - 5 == 3
    assert not set(rest) & set(tested)
    assert design_batch(space, [(p, 1.0) for p in tested + rest], batch_size=4, seed=0) == []


def test_same_seed_same_batch(mix_space):
    first = design_batch(mix_space, [], batch_size=12, seed=5)
    obs = [(p, quad(p)) for p in first]
    a = design_batch(mix_space, obs, batch_size=12, seed=9)
    b = design_batch(mix_space, obs, batch_size=12, seed=9)
    assert a == b
    assert design_batch(mix_space, [], batch_size=12, seed=5) == first


def test_count_and_feasibility(fact_space, mix_space):
    assert count_space(fact_space) == 4**4 * 3
    assert count_space(mix_space) == mix_space.size()
    assert is_feasible(fact_space, (0.0, 1, 2, 3, "b"))
    assert not is_feasible(fact_space, (0.5, 1, 2, 3, "b"))
    assert not is_feasible(fact_space, (0, 1, 2, 3, "z"))
    assert is_feasible(mix_space, (3, 3, 3, 3))
    assert not is_feasible(mix_space, (3, 3, 3, 4))
    assert not is_feasible(mix_space, (12, 0, 0, 0))


def test_recommend_prefers_replicated_mean_over_lucky_reading():
    space = factorial(levels=5, n_params=2, categorical=False)
    rng = np.random.default_rng(0)
    obs = []
    for p in design_batch(space, [], batch_size=12, seed=0):
        obs.append((p, 0.5 + 0.01 * rng.standard_normal()))
    steady, lucky = (4.0, 4.0), (0.0, 0.0)
    obs = [o for o in obs if o[0] not in (steady, lucky)]
    obs += [(steady, 0.80), (steady, 0.82), (steady, 0.81), (steady, 0.79)]
    obs += [(lucky, 0.95), (lucky, 0.30), (lucky, 0.35), (lucky, 0.32)]
    obs += [((3.0, 4.0), 0.7), ((4.0, 3.0), 0.7), ((0.0, 1.0), 0.4), ((1.0, 0.0), 0.4)]
    point, predicted = recommend(space, obs)
    assert point == steady
    assert predicted == pytest.approx(0.8, abs=0.1)


def test_a_first_batch_smaller_than_the_levels_spans_them():
    # Three rows over eight levels: each column's first design reaches the low,
    # middle and high thirds, not always the three lowest levels (0, 1, 2).
    space = factorial(levels=8, n_params=4, categorical=False)
    for seed in range(5):
        batch = design_batch(space, [], batch_size=3, seed=seed)
        for column in zip(*batch, strict=True):
            low, middle, high = sorted(column)
            assert low <= 2 <= middle <= 5 <= high, (seed, column)

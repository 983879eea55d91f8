"""Untested points of spaces too large to enumerate: found whenever the space holds them."""

from __future__ import annotations

import numpy as np
import pytest

from sigopt_like.service.optimizer import design_batch, views
from sigopt_like.service.optimizer.untested import untested_codes

from .conftest import factorial, mixture


@pytest.mark.parametrize("make", [lambda: factorial(5, 3), lambda: mixture(4, 12, 8)])
def test_unrank_numbers_points_as_enumerate_does(make):
    view = views.view_for(make())
    full = view.enumerate()
    assert full is not None
    ranks = np.arange(view.size(), dtype=np.int64)
    np.testing.assert_array_equal(view.unrank(ranks), full)


@pytest.mark.parametrize("spare", [0, 1, 30])
def test_the_last_untested_points_of_a_large_space_are_found(spare):
    # 100,000 points, too many to enumerate; every one tested but ``spare``
    view = views.view_for(factorial(10, 5, categorical=False))
    rng = np.random.default_rng(0)
    left = rng.choice(view.size(), size=spare, replace=False)
    tested = np.setdiff1d(np.arange(view.size()), left)
    found = untested_codes(view, view.unrank(tested), spare, 600, rng)
    np.testing.assert_array_equal(np.sort(found @ 10 ** np.arange(4, -1, -1)), np.sort(left))


def test_while_untested_points_are_common_a_pool_is_drawn_at_random():
    view = views.view_for(mixture(6, 60, 30))
    rng = np.random.default_rng(1)
    taken = view.sample(200, rng)
    found = untested_codes(view, taken, 10, 500, rng)
    assert len(found) == 500 and len(np.unique(found, axis=0)) == 500
    assert not ({tuple(r) for r in found} & {tuple(r) for r in taken})


@pytest.mark.parametrize("make", [lambda: factorial(4, 5, categorical=False), mixture])
def test_a_design_takes_the_last_untested_points_beyond_its_candidates(make, monkeypatch):
    # the engine's candidate pool (mutations of the best points) finds few of them
    monkeypatch.setattr(views, "ENUMERATION_LIMIT", 50)
    space = make()
    full = views.view_for(space).from_codes(views.view_for(space).unrank(np.arange(space.size())))
    spare = set(full[3::41])
    observations = [(p, -sum((float(v) - 2.0) ** 2 for v in p)) for p in full if p not in spare]
    batch = design_batch(space, observations, batch_size=len(spare) - 2, seed=5)
    assert len(set(batch)) == len(batch) == len(spare) - 2 and set(batch) <= spare
    assert set(design_batch(space, observations, batch_size=len(spare), seed=5)) == spare

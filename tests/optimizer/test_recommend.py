"""The recommendation of a long history: a model of bounded size, the same kind of answer."""

from __future__ import annotations

import numpy as np

from sigopt_like.service.domain.codes import EncodedHistory
from sigopt_like.service.optimizer import recommend, surrogate
from sigopt_like.service.optimizer.design import recommend_subset

from .conftest import factorial


def _history(n: int, noise: float, seed: int = 0) -> tuple[list, list[tuple]]:
    """``n`` readings of random points of a 5^4 x 3 factorial (some repeated), a smooth
    response peaking at (3, 3, 3, 3, 'b'); the observations and their codes."""
    space = factorial(5, 4)
    rng = np.random.default_rng(seed)
    codes = np.column_stack([rng.integers(0, 5, (n, 4)), rng.integers(0, 3, n)])
    values = -((codes[:, :4] - 3.0) ** 2).sum(axis=1) - (codes[:, 4] != 1) + rng.normal(0, noise, n)
    points = [(*map(int, c[:4]), "abc"[int(c[4])]) for c in codes]
    return (
        space,
        list(zip(points, values.tolist(), strict=True)),
        [tuple(map(int, c)) for c in codes],
    )


def test_below_the_bound_every_point_is_fitted_and_may_be_picked():
    modelled = np.array([3.0, 1.0, 2.0])
    fit, candidates = recommend_subset(modelled, 3)
    assert fit.tolist() == candidates.tolist() == [0, 1, 2]


def test_beyond_the_bound_the_best_half_are_candidates_fitted_with_a_spread_of_the_rest():
    modelled = np.arange(100, dtype=float)[::-1]  # point 0 is the best
    fit, candidates = recommend_subset(modelled, 20)
    assert candidates.tolist() == list(range(10))
    assert len(fit) == 20 and set(candidates) <= set(fit)
    assert fit[-1] == 99 and np.all(np.diff(fit) > 0)  # the spread reaches the last point
    again = recommend_subset(modelled, 20)
    assert again[0].tolist() == fit.tolist()  # deterministic


def test_a_long_history_fits_a_bounded_model(monkeypatch):
    space, observations, _ = _history(3000, 0.5)
    fitted: list[int] = []
    fit = surrogate.fit_surrogate

    def counting(X, y, *args, **kw):
        fitted.append(len(y))
        return fit(X, y, *args, **kw)

    monkeypatch.setattr(surrogate, "fit_surrogate", counting)
    recommend(space, observations, fit_points=400)
    recommend(space, observations)  # 375 x 3 = 1,125 distinct points, below the default
    assert fitted == [400, len({p for p, _ in observations})]


def test_a_bounded_model_recommends_what_the_whole_one_does():
    # the answer of a model of 400 of the 1,125 distinct points is the optimum, as the
    # whole model's is, and the prediction is near the whole model's (trees smooth it)
    for noise in (0.0, 0.5):
        for seed in (0, 1):
            space, observations, _ = _history(3000, noise, seed)
            whole, expected = recommend(space, observations, fit_points=10_000)
            bounded, predicted = recommend(space, observations, fit_points=400)
            assert bounded == whole == (3, 3, 3, 3, "b")
            assert predicted is not None and expected is not None
            assert abs(predicted - expected) < 0.25


def test_the_stored_codes_give_the_answer_the_points_give():
    space, observations, codes = _history(2000, 0.5, seed=3)
    encoded = EncodedHistory(codes, [y for _, y in observations], [])
    assert recommend(space, observations, encoded=encoded) == recommend(space, observations)

"""Projection coverage: a stalled batch spends a share on the candidate that opens most
new ground in the space's projections on three parameters (benchmarks/rounds.md: TUNE
f6 peaks, a global peak narrow in two or three parameters that no tested point came
near; VALIDATION in round 4)."""

from __future__ import annotations

import numpy as np

from sigopt_like.service.optimizer import design_batch
from sigopt_like.service.optimizer.coverage import ProjectionCover
from sigopt_like.service.optimizer.engine import untested_rows
from sigopt_like.service.optimizer.history import gather
from sigopt_like.service.optimizer.portfolio import SHARES_STALLED, role_counts
from sigopt_like.service.optimizer.views import feature_groups, view_for

from .conftest import factorial, mixture


def test_a_categoricals_one_hot_columns_are_one_group():
    view = view_for(factorial(levels=5, n_params=2, categorical=True))
    groups = feature_groups(view)
    assert [list(g) for g in groups] == [[0], [1], [2, 3, 4]]
    assert len(feature_groups(view_for(mixture(k=4)))) == 4


def test_a_point_repeating_tested_projections_scores_zero_and_new_ground_scores():
    view = view_for(factorial(levels=5, n_params=4, categorical=False))
    tested = np.array([[0, 0, 0, 0], [0, 0, 1, 4], [0, 1, 0, 4], [1, 0, 0, 4]], dtype=float)
    # every 3-parameter projection of [0, 0, 0, 4] is that of a tested point
    old = np.array([0, 0, 0, 4], dtype=float)
    new = np.array([2, 2, 2, 2], dtype=float)
    cands = np.vstack([old, new])
    cover = ProjectionCover(view, view.encode(cands), view.encode(tested), np.random.default_rng(0))
    assert cover.score[0] == 0.0
    assert cover.score[1] > 1.0


def test_a_point_put_in_the_batch_counts_as_tested():
    view = view_for(factorial(levels=5, n_params=3, categorical=False))
    cands = np.array([[2, 2, 2], [2, 2, 3], [0, 0, 0]], dtype=float)
    tested = np.array([[4, 4, 4]], dtype=float)
    cover = ProjectionCover(view, view.encode(cands), view.encode(tested), np.random.default_rng(0))
    before = cover.score.copy()
    cover.add(0)
    after = cover.score
    assert after[0] == 0.0
    assert after[1] < before[1]  # one level from the added point
    assert after[2] == before[2]  # farther than the reach from it: unchanged


def test_a_stalled_batch_has_cover_slots_and_a_progressing_one_has_none():
    rng = np.random.default_rng(0)
    stalled = role_counts(20, 2.0, rng)
    assert stalled.count("cover") == round(SHARES_STALLED["cover"] * 20) == 3
    assert len(stalled) == 20
    assert "cover" not in role_counts(20, 1.5, rng)


SPACE = factorial(levels=4, n_params=5, categorical=False)  # enumerated, pool not cut


TOP = (3, 1, 0, 0, 0)


def _response(point) -> float:
    """A smooth hill in the first two parameters, its best reading at ``TOP`` alone."""
    hill = -((float(point[0]) - 3.0) ** 2) - (float(point[1]) - 1.0) ** 2
    return hill + (0.5 if tuple(point) == TOP else 0.0)


def _stalled_history() -> list:
    """The hill's top in the first batch, then two batches that did not beat it."""
    first = design_batch(SPACE, [], batch_size=20, seed=0)
    obs = [(p, _response(p)) for p in first] + [(TOP, _response(TOP))]
    for seed in (1, 2):
        obs += [(p, _response(p)) for p in design_batch(SPACE, obs, batch_size=20, seed=seed)]
    return obs


def test_a_stalled_batch_takes_the_candidate_opening_most_ground_in_the_projections():
    obs = _stalled_history()
    view = view_for(SPACE)
    hist = gather(view, obs)
    best = int(np.argmax(hist.means))
    assert tuple(hist.scored_codes[best]) == TOP  # stalled since the first batch
    untested = untested_rows(view.enumerate(), hist.codes)
    feats = view.encode(untested)
    score = ProjectionCover(
        view, feats, view.encode(hist.scored_codes), np.random.default_rng(0)
    ).score
    widest = {tuple(int(v) for v in c) for c in untested[score >= score.max() - 1e-9]}
    batch = design_batch(SPACE, obs, batch_size=20, seed=3)
    assert widest & {tuple(int(v) for v in p) for p in batch}

"""Nearest tested point of every candidate: the k-d tree used on large histories finds the
same squared distances as the pairwise scan (which it replaces only above a size)."""

from __future__ import annotations

import numpy as np
import pytest

from sigopt_like.service.optimizer import views
from sigopt_like.service.optimizer.views import nearest_sq_distance


def _scan(feats: np.ndarray, others: np.ndarray) -> np.ndarray:
    diff = feats[:, None, :] - others[None, :, :]
    return (diff**2).sum(axis=2).min(axis=1)


@pytest.mark.parametrize("dims", [3, 6, 12, 20])
def test_the_tree_and_the_scan_agree(monkeypatch: pytest.MonkeyPatch, dims: int) -> None:
    rng = np.random.default_rng(dims)
    # grid-like features, as a factorial space's: many ties, and points on the tested ones
    feats = rng.integers(0, 6, size=(900, dims)) / 5.0
    others = rng.integers(0, 6, size=(300, dims)) / 5.0
    expected = _scan(feats, others)
    scanned = nearest_sq_distance(feats, others)  # 270,000 pairs: the scan
    monkeypatch.setattr(views, "TREE_MIN_PAIRS", 0)  # the same call through the tree
    treed = nearest_sq_distance(feats, others)
    np.testing.assert_allclose(scanned, expected, atol=1e-12)
    np.testing.assert_allclose(treed, expected, atol=1e-12)
    assert treed.shape == (900,) and (treed >= 0).all()
    assert (treed == 0).sum() == (expected < 1e-12).sum()  # tested points are at 0


def test_no_others_is_infinitely_far() -> None:
    feats = np.zeros((4, 3))
    assert np.isinf(nearest_sq_distance(feats, np.zeros((0, 3)))).all()

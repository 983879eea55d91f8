"""A categorical of many levels: each design narrows it to the levels that can matter."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from sigopt_like.service.optimizer import design_batch, is_feasible, recommend
from sigopt_like.service.optimizer.narrowing import (
    LEAST_UNTESTED,
    MOST_COLUMNS,
    NARROW_ABOVE,
    UNTESTED_KEPT,
)
from sigopt_like.service.optimizer.views import FactorialView
from sigopt_like.spaces import CategoricalParameter, NumericalParameter, Space

LEVELS = 5_000  # 50,000 runs as fast narrowed; not narrowed, it needs 20 GB


def wide_space(levels: int = LEVELS) -> Space:
    return Space(
        type="factorial",
        parameters=[
            CategoricalParameter("c", tuple(f"L{i}" for i in range(levels))),
            NumericalParameter("t", (1, 2, 3)),
        ],
    )


def response(point) -> float:
    return float(int(point[0][1:]) % 97) + float(point[1])


def three_generations(
    space: Space, score: Callable[[tuple], float], batch_size: int
) -> list[tuple[tuple, float]]:
    """Three designs in a row, each scored: every batch full, feasible, of distinct points
    none of which was tested before."""
    observations: list[tuple[tuple, float]] = []
    for gen in range(3):
        batch = design_batch(space, observations, batch_size=batch_size, seed=gen)
        assert len(batch) == len(set(batch)) == batch_size
        assert all(is_feasible(space, p) for p in batch)
        assert not {p for p, _ in observations} & set(batch)
        observations += [(p, score(p)) for p in batch]
    return observations


@pytest.fixture
def widths(monkeypatch):
    """The feature width of every matrix the engine encodes (the real encode runs)."""
    seen: list[int] = []
    real = FactorialView.encode

    def recording(self, codes):
        out = real(self, codes)
        seen.append(out.shape[1])
        return out

    monkeypatch.setattr(FactorialView, "encode", recording)
    return seen


def test_a_wide_categorical_is_designed_over_few_columns(widths):
    """Before: every design encoded one column per level (the model's, the candidates'):
    with responses, the 50,000 untested points made a 50,000 x 50,000 matrix (20 GB; the
    worker was killed), and 10,000 levels took a minute a generation."""
    space = wide_space()
    observations = three_generations(space, response, batch_size=10)
    assert widths and max(widths) <= UNTESTED_KEPT + len(observations) + 1
    widths.clear()
    point, predicted = recommend(space, observations)
    assert point in {p for p, _ in observations} and predicted is not None
    assert max(widths) <= len(observations) + 1  # the tested levels only


def test_the_narrowed_design_reaches_every_level_when_few_are_left():
    """Untested levels are sampled, but a batch larger than what is left takes them all."""
    levels = NARROW_ABOVE + 5
    space = Space(
        type="factorial", parameters=[CategoricalParameter("c", tuple(map(str, range(levels))))]
    )
    tested = [((str(i),), float(i % 7)) for i in range(levels - 4)]
    batch = design_batch(space, tested, batch_size=10, seed=0)
    assert sorted(batch) == sorted((str(i),) for i in range(levels - 4, levels))


def test_spaces_below_the_threshold_design_as_before(widths):
    """A categorical of NARROW_ABOVE levels keeps one column per level."""
    space = wide_space(NARROW_ABOVE)
    design_batch(space, [], batch_size=5, seed=0)
    assert set(widths) == {NARROW_ABOVE + 1}
    assert np.all(np.array(widths) == NARROW_ABOVE + 1)


def test_many_categoricals_are_narrowed_to_their_share_of_columns(widths):
    """Before: 50 categoricals of 200 levels (10,000 one-hot columns) took 44 s a
    generation; past MOST_COLUMNS levels in all, each keeps its share of untested ones."""
    space = Space(
        type="factorial",
        parameters=[
            CategoricalParameter(f"c{i}", tuple(f"v{j}" for j in range(100))) for i in range(30)
        ],
    )
    observations = three_generations(
        space, lambda p: float(sum(int(v[1:]) for v in p) % 13), batch_size=6
    )
    assert MOST_COLUMNS < 30 * 100 and LEAST_UNTESTED <= MOST_COLUMNS // 30
    assert widths and max(widths) <= 30 * (MOST_COLUMNS // 30 + len(observations)) < 3_000

"""Small spaces shared by the optimizer tests."""

from __future__ import annotations

import pytest

from sigopt_like.spaces import CategoricalParameter, MixtureComponent, NumericalParameter, Space


def factorial(levels: int = 4, n_params: int = 4, categorical: bool = True) -> Space:
    params = [NumericalParameter(f"p{i}", tuple(range(levels))) for i in range(n_params)]
    if categorical:
        params.append(CategoricalParameter("c", ("a", "b", "c")))
    return Space(type="factorial", parameters=params)


def mixture(k: int = 4, total: int = 12, hi: int = 8, lo: int = 0) -> Space:
    params = [MixtureComponent(f"m{i}", lo, hi) for i in range(k)]
    return Space(type="mixture", parameters=params, total_units=total)


@pytest.fixture
def fact_space() -> Space:
    return factorial()


@pytest.fixture
def mix_space() -> Space:
    return mixture()

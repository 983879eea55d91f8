"""Simulated surfaces: seeded, finite, one global optimum found by enumeration."""

import numpy as np

from sigopt_like.service.simulator import Surface, all_points, optimum
from sigopt_like.spaces import CategoricalParameter, MixtureComponent, NumericalParameter, Space

FACT = Space(
    type="factorial",
    parameters=[
        NumericalParameter("a", (0, 1, 2, 3)),
        NumericalParameter("b", (10, 20, 30)),
        CategoricalParameter("c", ("x", "y", "z")),
    ],
)
MIX = Space(
    type="mixture",
    parameters=[MixtureComponent(f"m{i}", 0, 6) for i in range(4)],
    total_units=10,
)


def test_same_seed_same_surface_other_seed_other_surface():
    for space in (FACT, MIX):
        points = all_points(space)
        a = Surface.for_space(space, 3).values(points)
        b = Surface.for_space(space, 3).values(points)
        c = Surface.for_space(space, 4).values(points)
        assert np.array_equal(a, b)
        assert not np.allclose(a, c)
        assert np.all(np.isfinite(a))


def test_optimum_is_the_best_enumerated_point():
    for space in (FACT, MIX):
        surface = Surface.for_space(space, 11)
        point, value = optimum(space, surface)
        values = surface.values(all_points(space))
        assert value == values.max()
        assert surface.value(point) == value
        assert space.is_valid_point(point)


def test_noisy_is_centred_on_value():
    surface = Surface.for_space(FACT, 0)
    rng = np.random.default_rng(0)
    point = (1.0, 20.0, "y")
    readings = [surface.noisy(point, rng, 0.1) for _ in range(2000)]
    assert abs(np.mean(readings) - surface.value(point)) < 0.02
    assert surface.noisy(point, rng, 0.0) == surface.value(point)


def test_value_accepts_numbers_and_strings_from_tables():
    surface = Surface.for_space(FACT, 1)
    assert surface.value((1, 20, "y")) == surface.value((1.0, 20.0, "y"))

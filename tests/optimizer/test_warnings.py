"""The engine prints nothing on a user's console and leaves the warning filters alone.

A noiseless smooth response drives the GP's noise term to its lower bound, which
sklearn reports as a ``ConvergenceWarning`` when it optimises the hyperparameters
itself. The engine fits them without that check; it must not hide the warning
with ``warnings.catch_warnings`` either, because that swaps the process-wide
filter list while the service fits in several worker threads at once.
"""

from __future__ import annotations

import threading
import time
import warnings

import numpy as np

import sigopt_like
from sigopt_like.service.optimizer.engine import untested_rows
from sigopt_like.service.optimizer.surrogate import GPSurrogate

from .conftest import factorial


def _bowl(point) -> float:
    return -sum((float(v) - 1.5) ** 2 for v in point[:4])


def test_an_embedded_campaign_emits_no_warnings(tmp_path):
    space = factorial(levels=4, n_params=4, categorical=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with sigopt_like.Connection(database=tmp_path / "quiet.db") as conn:
            session = conn.sessions(conn.sessions.create(name="quiet", seed=3).id)
            session.space.put(space=space, population_size=12, replicates=0, wait=True)
            for _ in range(4):
                design = session.generate(wait=True).result.experiments
                responses = [_bowl(row) for row in design.rows]
                session.experiments.put(
                    type="designed", table=design.with_responses(responses), wait=True
                )
            best = session.best.fetch()
    assert best.experiment is not None
    assert [str(w.message) for w in caught] == []


def test_a_fit_whose_noise_term_hits_its_bound_warns_nothing():
    rng = np.random.default_rng(0)
    X = rng.random((60, 4))
    y = -((X - 0.5) ** 2).sum(axis=1)  # noiseless: the likelihood wants no noise at all
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = GPSurrogate(X, y, np.ones(len(y), dtype=int), seed=0)
        model.exploring().predict(X[:3])
    assert model.noise < 1e-4  # the bound was reached: sklearn's own fit would have warned


def test_a_fit_leaves_the_process_wide_warning_filters_alone():
    rng = np.random.default_rng(1)
    X = rng.random((40, 5))
    y = -((X - 0.3) ** 2).sum(axis=1)
    filters = warnings.filters
    swapped = []
    done = threading.Event()

    def fit() -> None:
        try:
            GPSurrogate(X, y, np.ones(len(y), dtype=int), seed=0)
        finally:
            done.set()

    worker = threading.Thread(target=fit)
    worker.start()
    while not done.is_set():  # what any other thread of the service would see meanwhile
        if warnings.filters is not filters:
            swapped.append(True)
            break
        time.sleep(1e-4)
    worker.join()
    assert not swapped


def test_suggestions_over_huge_bounds_are_silent_and_inside_them():
    """Bounds up to 1e308 (and ints up to 2**62): moves never cast a huge span to an int.

    A mutation drew a one-hot level jump for every column, and the count of
    levels of a double spanning 1e308 does not fit an int64 ("invalid value
    encountered in cast"), although only categorical columns use it.
    """
    from sigopt_like.service.optimizer.sequential import from_sigopt_parameters, suggest

    domain = from_sigopt_parameters(
        [
            {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1e308}},
            {"name": "n", "type": "int", "bounds": {"min": -(2**62), "max": 2**62}},
            {"name": "c", "type": "categorical", "categorical_values": ["a", "b", "c"]},
        ]
    )
    observations: list = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for seed in range(12):  # past the first random suggestions: model and moves
            found = suggest(domain, observations, seed=seed)
            assert 0.0 <= found["x"] <= 1e308 and np.isfinite(found["x"])
            assert -(2**62) <= found["n"] <= 2**62
            assert found["c"] in ("a", "b", "c")
            value = np.log1p(found["x"]) + np.log1p(abs(found["n"])) + (found["c"] == "b")
            observations.append((found, float(value)))


def test_metric_values_near_the_float_limit_are_modelled_silently(tmp_path, caplog):
    """Values of +-1e308 are finite, so accepted; the engine then failed on every later
    suggestion ("Input y contains NaN": the mean and spread of the values overflowed) and
    numpy's overflow warnings reached the console. Now they are standardised from a
    rescaled copy, and predictions and scores stay finite."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with sigopt_like.Connection(database=tmp_path / "huge.db") as conn:
            e = conn.experiments.create(
                name="huge",
                parameters=[
                    {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}},
                    {"name": "c", "type": "categorical", "categorical_values": ["a", "b"]},
                ],
                metrics=[{"name": "m"}],
            )
            for i in range(24):
                s = conn.experiments(e.id).suggestions().create()
                sign = 1.0 if i % 2 else -1.0
                value = sign * 1e308 * s.assignments["x"]
                conn.experiments(e.id).observations().create(suggestion=s.id, value=value)
            best = conn.experiments(e.id).best_assignments().fetch().data[0]
    assert [str(w.message) for w in caught] == []
    assert not [r for r in caplog.records if "engine failed" in r.getMessage()]
    assert 0 < best.value <= 1e308


def test_telling_rows_apart_in_a_2000_parameter_space_warns_nothing():
    """The rows' mixed-radix ids were refused by a product of 2,000 radices, which
    overflowed a float: "RuntimeWarning: overflow encountered in reduce" on the console
    of a user generating a 2,000-parameter design."""
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 2, size=(6, 2000)).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fresh = untested_rows(codes, codes[:2])
    assert [tuple(r) for r in fresh] == [tuple(r) for r in codes[2:]]

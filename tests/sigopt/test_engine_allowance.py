"""The engine's optional work (the objective fit's starts) stops when the request's time
budget cannot afford it, counted in work units (starts fitted and skipped), not timed."""

from __future__ import annotations

import numpy as np

from sigopt_like.service.domain import sigopt_rules as rules
from sigopt_like.service.optimizer.allowance import FIRST_FITS_SHARE, Allowance
from sigopt_like.service.optimizer.sequential import Problem, suggest_next, suggest_several
from sigopt_like.service.optimizer.sequential_choice import FIT_RESTARTS
from sigopt_like.service.optimizer.surrogate import GPSurrogate
from sigopt_like.service.resources.sigopt import suggester

STARTS = 1 + FIT_RESTARTS  # the first fit's result, clipped, and the random starts


def observed(n_params: int = 6, count: int = 40) -> tuple[dict, Problem, list]:
    """A noiseless experiment past its space-filling start (the model path)."""
    d = rules.experiment_create(
        {
            "name": "allowance",
            "parameters": [
                {"name": f"x{i}", "type": "double", "bounds": {"min": 0, "max": 1}}
                for i in range(n_params)
            ],
            "metrics": [{"name": "f", "objective": "maximize"}],
        }
    )
    rng = np.random.default_rng(7)
    observations = []
    for _ in range(count):
        a = {f"x{i}": float(v) for i, v in enumerate(rng.random(n_params))}
        observations.append((a, {"f": -sum((v - 0.3) ** 2 for v in a.values())}))
    return d, Problem.from_definition(d), observations


def test_a_spent_allowance_fits_no_start_and_still_answers_from_the_model():
    """Past the deadline no start is fitted (before, all four ran, and a loaded machine's
    request outlasted its budget and was served a random point): the first fit's
    hyperparameters are taken as they are, and the engine still answers."""
    d, problem, observations = observed()
    spent = Allowance(deadline=0.0, clock=lambda: 1.0)
    a = suggest_next(problem, observations, seed=3, allowance=spent)
    assert spent.fitted == 0 and spent.skipped == STARTS
    assert a is not None and rules.assignments(d["parameters"], a, conditionals=[]) == a


def test_an_ample_allowance_fits_every_start_and_changes_nothing():
    _, problem, observations = observed()
    ample = Allowance()
    a = suggest_next(problem, observations, seed=3, allowance=ample)
    assert ample.fitted == STARTS and ample.skipped == 0
    assert a == suggest_next(problem, observations, seed=3)


def test_a_batch_fits_its_models_once_within_the_allowance():
    """A batch of points shares one fit: its starts are counted once."""
    _, problem, observations = observed()
    ample = Allowance()
    points = list(suggest_several(problem, observations, count=3, seed=3, allowance=ample))
    assert len(points) == 3 and ample.fitted == STARTS


def test_the_service_gives_the_engine_most_of_the_budget():
    """A request's engine call ends its optional work by ENGINE_SHARE of the budget, the
    rest kept for choosing the point after the fits."""
    import time

    before = time.monotonic()
    given = suggester.allowance(2.5)
    assert given.deadline is not None
    assert before + 2.5 * suggester.ENGINE_SHARE <= given.deadline <= time.monotonic() + 2.0
    assert 0 < suggester.ENGINE_SHARE < 1


def test_a_spent_allowance_cuts_the_first_fit_short_and_still_answers_from_the_model():
    """Past ``fits_until`` the first fit stops after one iteration (before, it ran its
    30, and on a loaded machine that alone outlasted the budget, so the request was
    served a random point though every restart was skipped)."""
    d, problem, observations = observed()
    spent = Allowance(deadline=0.0, clock=lambda: 1.0, fits_until=0.0)
    a = suggest_next(problem, observations, seed=3, allowance=spent)
    assert spent.cut == 1 and spent.fitted == 0  # the objective's fit, the only one here
    assert a is not None and rules.assignments(d["parameters"], a, conditionals=[]) == a


def test_a_constraint_models_fit_is_cut_short_too():
    """Every first fit stops iterating past ``fits_until``: the objective's and each
    constraint metric's."""
    d = rules.experiment_create(
        {
            "name": "constrained",
            "parameters": [
                {"name": f"x{i}", "type": "double", "bounds": {"min": 0, "max": 1}}
                for i in range(4)
            ],
            "metrics": [
                {"name": "f", "objective": "maximize"},
                {"name": "g", "strategy": "constraint", "objective": "minimize", "threshold": 0.5},
            ],
        }
    )
    rng = np.random.default_rng(5)
    observations = []
    for _ in range(30):
        a = {f"x{i}": float(v) for i, v in enumerate(rng.random(4))}
        observations.append((a, {"f": -((a["x0"] - 0.3) ** 2), "g": a["x1"]}))
    spent = Allowance(deadline=0.0, clock=lambda: 1.0, fits_until=0.0)
    a = suggest_next(Problem.from_definition(d), observations, seed=3, allowance=spent)
    assert spent.cut == 2 and a is not None


def test_the_service_lets_the_first_fits_iterate_for_part_of_the_budget():
    """The first fits stop iterating by FIRST_FITS_SHARE of the engine's share, the rest
    kept for the restarts (when affordable) and for choosing the point."""
    clock = iter([10.0]).__next__
    given = Allowance.within(2.0, clock)
    assert given.deadline == 12.0 and given.fits_until == 10.0 + 2.0 * FIRST_FITS_SHARE
    assert 0 < FIRST_FITS_SHARE < 1


def test_a_spent_choice_scores_part_of_the_pool_and_still_answers_from_the_model():
    """Past ``choice_until`` the candidate pool's scoring stops after its first chunk
    (before, the whole pool was scored whatever the time, and the widest spaces ran past
    the budget on a loaded machine to the random fallback); the best scored candidate
    is the answer."""
    d, problem, observations = observed()
    spent = Allowance(clock=lambda: 1.0, choice_until=0.0)
    a = suggest_next(problem, observations, seed=3, allowance=spent)
    assert spent.unscored > 0 and spent.fitted == STARTS  # the fits were not limited
    assert a is not None and rules.assignments(d["parameters"], a, conditionals=[]) == a


def test_an_ample_choice_scores_the_whole_pool_and_changes_nothing():
    _, problem, observations = observed()
    ample = Allowance(clock=lambda: 0.0, choice_until=1.0)
    pending = [suggest_next(problem, observations, seed=5)]
    a = suggest_next(problem, observations, pending=pending, seed=3, allowance=ample)
    assert ample.unscored == 0
    assert a == suggest_next(problem, observations, pending=pending, seed=3)


def test_the_service_stops_the_choice_before_the_budget_ends():
    import time

    before = time.monotonic()
    given = suggester.allowance(2.5)
    assert given.choice_until is not None and given.deadline is not None
    assert given.deadline < given.choice_until <= time.monotonic() + 2.5 * suggester.CHOICE_SHARE
    assert before + 2.5 * suggester.CHOICE_SHARE <= given.choice_until
    assert suggester.ENGINE_SHARE < suggester.CHOICE_SHARE < 1


def wide_evidence(count: int = 60) -> tuple[Problem, object, object]:
    """The suggestion-time benchmark's widest space (``benchmarks/suggestion_time.py``
    ``wide``: 40 doubles, 20 ints, 15 categoricals and a constraint metric) with
    ``count`` random observations, as the engine's models are fitted on them."""
    from sigopt_like.service.optimizer.sequential import random_assignments
    from sigopt_like.service.optimizer.sequential_choice import Evidence
    from sigopt_like.service.optimizer.sequential_targets import targets, values_matrix

    params = [
        {"name": f"x{i}", "type": "double", "bounds": {"min": 0, "max": 1}} for i in range(40)
    ]
    params += [{"name": f"n{i}", "type": "int", "bounds": {"min": 0, "max": 20}} for i in range(20)]
    params += [
        {"name": f"c{i}", "type": "categorical", "categorical_values": ["a", "b", "c", "d"]}
        for i in range(15)
    ]
    d = rules.experiment_create(
        {
            "name": "wide",
            "parameters": params,
            "metrics": [
                {"name": "f", "objective": "maximize"},
                {"name": "g", "objective": "minimize", "strategy": "constraint", "threshold": 0.5},
            ],
        }
    )
    problem = Problem.from_definition(d)
    space = problem.space()
    points: list[dict] = []
    for i in range(count):
        point = random_assignments(problem, points, 100 + i)
        assert point is not None
        points.append(point)
    outcomes: list = [
        {"f": -sum((a[f"x{i}"] - 0.3) ** 2 for i in range(40)), "g": a["x0"]} for a in points
    ]
    codes, _ = space.to_codes(points)
    values, _ = values_matrix(problem.metrics, outcomes)
    rng = np.random.default_rng(3)
    evidence = Evidence(
        codes=codes,
        targets=targets(problem.metrics, values, 1, rng),
        failed_codes=np.zeros((0, space.n_params)),
        pending=np.zeros((0, space.n_params)),
        taken=codes,
    )
    return problem, space, evidence


def test_a_fit_begun_past_the_cut_evaluates_nothing_on_the_widest_space():
    """The first fits look at the cut before each evaluation of the likelihood: past it a
    fit keeps its starting hyperparameters (length scales 0.5, signal variance 1).
    Looked at only after each iteration, every fit ran its first one (an evaluation and
    a line search's) past the cut, and the widest space of benchmarks/suggestion_time.py
    went past the 2.5 s budget at a load of 10. A first fit cut short leaves no time for
    a refit: every start is skipped."""
    from sigopt_like.service.optimizer.sequential_choice import fit_models

    _, space, evidence = wide_evidence()
    spent = Allowance(deadline=0.0, clock=lambda: 1.0, fits_until=0.0)
    models = fit_models(space, evidence, np.random.default_rng(3), spent)
    assert models.objective is not None and len(models.constraints) == 1
    for model in (models.objective, *models.constraints):
        assert isinstance(model, GPSurrogate)
        assert np.allclose(model.length_scales, 0.5, rtol=0, atol=1e-12)
        assert np.isclose(model.constant, 1.0, rtol=0, atol=1e-12)  # one step moved it
    assert spent.cut == 2 and spent.fitted == 0 and spent.skipped == STARTS


def test_a_refit_afforded_at_the_deadline_evaluates_nothing_past_it():
    """A start that ``affords`` let begin stops before an evaluation that would not end
    before the deadline (before, it ran its 30 iterations whatever the time): at the
    deadline's edge each start is fitted and cut at once, and the engine still answers."""
    d, problem, observations = observed()
    edge = Allowance(deadline=1.0, clock=lambda: 1.0)
    a = suggest_next(problem, observations, seed=3, allowance=edge)
    assert edge.fitted == STARTS and edge.cut == STARTS
    assert a is not None and rules.assignments(d["parameters"], a, conditionals=[]) == a


def test_a_pinned_clock_pins_the_seconds_a_fit_measures_too():
    """The first fits' cut is judged on the allowance's clock only: each evaluation's
    seconds are measured on it too, so a pinned clock one nanosecond before the cut lets
    every fit run whole, whatever the machine's speed, and the point is the one chosen
    without an allowance. Before, the seconds were measured on the process's own clock:
    the first evaluation's real time went past the pinned cut and every fit stopped."""
    _, problem, observations = observed()
    pinned = Allowance(clock=lambda: 1.0, fits_until=1.0 + 1e-9)
    a = suggest_next(problem, observations, seed=3, allowance=pinned)
    assert pinned.cut == 0 and pinned.fitted == STARTS
    assert a == suggest_next(problem, observations, seed=3)


def test_the_service_allowance_changes_nothing_when_the_budget_is_not_reached():
    """Every limit of a request's allowance (the fits' cut, the refits' deadline, the
    choice's three scorings' shares) only stops work that would run past it: with time
    enough, the point is the one the engine chooses without an allowance."""
    from sigopt_like.service.optimizer.sequential import suggest_next as engine

    _, problem, observations = observed(n_params=6, count=30)
    ample = suggester.allowance(1e6)
    assert engine(problem, observations, seed=4, allowance=ample) == engine(
        problem, observations, seed=4
    )
    assert ample.cut == ample.skipped == ample.unscored == 0

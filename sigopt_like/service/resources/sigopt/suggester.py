"""Choosing the next suggestion: the engine under a time budget, or a random fallback.

No HTTP and no database here: the caller passes the experiment's canonical
definition, its observations and the open suggestions. The engine (numpy, scipy,
scikit-learn) is imported on the first suggestion, not when the service starts. The engine runs in a
worker thread; if it raises, answers something the rules refuse, or takes
longer than the budget, a seeded random point that honours the definition
(log scales, grids, conditionals, linear constraints, precision) is served instead.
A seeded experiment has no budget but a :class:`Ceiling`: past it
:class:`EngineBusy` (the service's 503), never a random point, and the engine's call
goes on for the retry (``service.engine_runs``).

:func:`choose_several` chooses the points of several requests waiting together (see
``service.suggestion_batches``) in one engine call: the models are fitted once, and each
point is the one the engine would choose with the ones before it open. What the budget
leaves unchosen falls back, point by point.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

import attrs

from ...domain import sigopt_rules as rules
from ...engine_runs import EngineRuns, StillRunning
from ...settings import SUGGESTION_TIME_BUDGET_SECONDS

if TYPE_CHECKING:  # the engine's package is imported on the first suggestion (above)
    from ...optimizer.allowance import Allowance

LOG = logging.getLogger("sigopt_like.service.suggestions")
MAX_FIT_OBSERVATIONS = 300
"""The engine fits on at most this many of the latest observations."""
ENGINE_SHARE = 0.8
"""The share of the time budget by which the engine's optional work (the objective fit's
random restarts) must end; the rest is for choosing the point after the fits."""
CHOICE_SHARE = 0.9
"""The share of the time budget by which the scoring of the candidate pool stops (the
best candidate scored so far is taken); the rest is for checking the point against the
rules, or a batch's later points' fallbacks. The first chunk of the pool is always
scored (see ``optimizer.allowance``)."""
UNTIMED = None
"""The time budget of a seeded experiment's suggestions: none. With a budget, a loaded
machine skipped the fit's restarts, or served the random fallback, where an idle one did
not, so one seed and one history gave different suggestions; the work done is a function
of the history alone (at most the latest ``MAX_FIT_OBSERVATIONS`` observations and every
restart). Its request waits for the engine up to a :class:`Ceiling`, then is a 503; the
engine goes on, and the retry is served its point."""
REDRAWS = 16
"""How often a random point that rounds onto an open suggestion is drawn again."""


@attrs.frozen
class Ceiling:
    """A seeded experiment's time limit: no budget for the engine (:data:`UNTIMED`), but
    its request waits at most ``seconds``; past it :class:`EngineBusy` is raised and the
    engine's call goes on in ``runs``, where a retry with the same inputs finds it."""

    runs: EngineRuns
    seconds: float


class EngineBusy(Exception):
    """A seeded experiment's engine call outlasted its request's :class:`Ceiling`."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the engine needs longer than {seconds:g} s")
        self.seconds = seconds


#: a request's time limit: a budget in seconds (past it the random fallback), a seeded
#: experiment's ceiling (past it :class:`EngineBusy`), or None (wait however long)
Limit = float | Ceiling | None


@attrs.frozen
class Choice:
    """A chosen assignment and where it came from (``optimizer`` or ``fallback``)."""

    assignments: dict[str, Any]
    source: str


def engine() -> ModuleType:
    """The sequential engine's module (imported on first use)."""
    from ...optimizer import sequential

    return sequential


def choose(
    definition: Mapping[str, Any],
    observations: Sequence[tuple[Mapping[str, Any], Any]],
    pending: Sequence[Mapping[str, Any]],
    *,
    seed: int,
    time_budget: Limit = SUGGESTION_TIME_BUDGET_SECONDS,
    stddevs: Sequence[Mapping[str | None, float | None] | None] = (),
) -> Choice | None:
    """The next assignments, different from every ``pending`` one; None when a grid
    search has no point left, or when open suggestions hold every point of a discrete
    space. Other experiments repeat an observed point once every point is observed.

    ``time_budget`` None: the engine does all its work however long it takes (a seeded
    experiment's, whose point must not depend on the machine's load: :data:`UNTIMED`); a
    :class:`Ceiling`: as None, but past its seconds :class:`EngineBusy` is raised (the
    engine goes on for a retry), never a random point served."""
    sequential = engine()
    problem = sequential.Problem.from_definition(definition)
    if problem.type == "offline":
        recent = list(observations)[-MAX_FIT_OBSERVATIONS:]
        noise = list(stddevs)[-len(recent) :] if recent and stddevs else []
        proposed = _engine_within(problem, recent, pending, seed, time_budget, noise)
        checked = _checked(definition, proposed, pending)
        if checked is not None:
            return Choice(checked, "optimizer")
        LOG.info("suggestion from the random fallback (engine slow, failed or refused)")
    else:  # random and grid search need no model: never a repeat while one is left
        found = _drawn(
            definition,
            pending,
            seed,
            lambda s: sequential.suggest_next(problem, observations, pending=pending, seed=s),
        )
        if found is not None:
            return Choice(found, problem.type)
        if problem.type == "grid":
            return None
    fallback = _fallback(definition, problem, observations, pending, seed)
    return None if fallback is None else Choice(fallback, "fallback")


def _fallback(
    definition: Mapping[str, Any],
    problem: Any,
    observations: Sequence[tuple[Mapping[str, Any], Any]],
    pending: Sequence[Mapping[str, Any]],
    seed: int,
) -> dict[str, Any] | None:
    """The random fallback's point: unlike every open and every observed one while one is
    left, else unlike the open ones (a discrete space all observed repeats a point).

    Unlike the open ones only, it served observed points again: fallback seeds count up
    by one per request (``seed + i``, and the next request's seed is one more), so two
    requests of processes on one database (each its own batches) drew with one seed, and
    the second got the first's point once its client had observed it (closing it): 36 of
    384 suggestions of 32 embedded clients in separate processes on one SQLite file."""
    sequential = engine()
    seen = [*pending, *(assignments for assignments, _ in observations)]
    found = _drawn(
        definition, seen, seed, lambda s: sequential.random_assignments(problem, seen, s)
    )
    if found is not None or len(seen) == len(pending):
        return found
    return _drawn(
        definition, pending, seed, lambda s: sequential.random_assignments(problem, pending, s)
    )


def choose_several(
    definition: Mapping[str, Any],
    observations: Sequence[tuple[Mapping[str, Any], Any]],
    pending: Sequence[Mapping[str, Any]],
    *,
    count: int,
    seed: int,
    time_budget: Limit = SUGGESTION_TIME_BUDGET_SECONDS,
    stddevs: Sequence[Mapping[str | None, float | None] | None] = (),
) -> list[Choice | None]:
    """``count`` next assignments for requests waiting together, each different from
    the ``pending`` ones and from those before it. For an offline experiment one engine
    call within ``time_budget`` chooses them (the models fitted once); each it has not
    chosen by then is a seeded random point (seed ``seed + i``). Random and grid
    searches, and a single request, are :func:`choose` for each in turn. None for each
    that a grid, or a discrete space held by open suggestions, has no point left for."""
    if count == 1 or definition["type"] != "offline":  # no model to share
        return _one_by_one(definition, observations, pending, count, seed, time_budget, stddevs)
    sequential = engine()
    problem = sequential.Problem.from_definition(definition)
    recent = list(observations)[-MAX_FIT_OBSERVATIONS:]
    noise = list(stddevs)[-len(recent) :] if recent and stddevs else []
    proposed = _engine_several_within(problem, recent, pending, count, seed, time_budget, noise)
    if len(proposed) < count:
        LOG.info(
            "%d of %d suggestions from the random fallback (engine slow or failed)",
            count - len(proposed),
            count,
        )
    taken = list(pending)
    chosen: list[Choice | None] = []
    for i in range(count):
        checked = _checked(definition, proposed[i], taken) if i < len(proposed) else None
        choice: Choice | None = None if checked is None else Choice(checked, "optimizer")
        if choice is None:
            found = _fallback(definition, problem, observations, taken, seed + i)
            choice = None if found is None else Choice(found, "fallback")
        if choice is not None:
            taken.append(choice.assignments)
        chosen.append(choice)
    return chosen


def _one_by_one(
    definition: Mapping[str, Any],
    observations: Sequence[tuple[Mapping[str, Any], Any]],
    pending: Sequence[Mapping[str, Any]],
    count: int,
    seed: int,
    time_budget: Limit,
    stddevs: Sequence[Mapping[str | None, float | None] | None],
) -> list[Choice | None]:
    """:func:`choose` ``count`` times, each point then open for the next (random and
    grid searches fit no model, and a single request has nothing to share)."""
    taken = list(pending)
    chosen: list[Choice | None] = []
    for i in range(count):
        choice = choose(
            definition, observations, taken, seed=seed + i, time_budget=time_budget, stddevs=stddevs
        )
        if choice is not None:
            taken.append(choice.assignments)
        chosen.append(choice)
    return chosen


def _drawn(
    definition: Mapping[str, Any],
    pending: Sequence[Mapping[str, Any]],
    seed: int,
    draw: Callable[[int], dict[str, Any] | None],
) -> dict[str, Any] | None:
    """A random, grid or fallback point with its doubles at their ``precision``, as the
    engine's are. A draw that rounds onto an open suggestion is drawn again, with another
    seed, up to ``REDRAWS`` times; only then is a point served as drawn (when open
    suggestions hold nearly every point the precision allows). Served as drawn, a random
    experiment's or a loaded service's suggestions ignored ``precision``."""
    last: dict[str, Any] | None = None
    for attempt in range(REDRAWS):
        found = draw(seed if attempt == 0 else _redraw_seed(seed, attempt))
        if found is None:
            return last
        checked = _checked(definition, found, pending)
        if checked is not None:
            return checked
        last = found
    return last


def _redraw_seed(seed: int, attempt: int) -> int:
    """Another seed for a redraw, unlike the next suggestions' (which count up by one)."""
    return (seed * 6_364_136_223_846_793_005 + attempt * 1_442_695_040_888_963_407) % (2**63)


def _checked(
    definition: Mapping[str, Any],
    proposed: Mapping[str, Any] | None,
    pending: Sequence[Mapping[str, Any]],
) -> dict[str, Any] | None:
    """The proposal if the rules accept it and no open suggestion has it; doubles are
    rounded to their ``precision`` when that keeps the point acceptable. A proposal
    whose rounding lands on an open suggestion is refused (None), not served
    unrounded: at that precision it is the open suggestion."""
    if proposed is None:
        return None
    for candidate in (rules.rounded_to_precision(definition["parameters"], proposed), proposed):
        try:
            checked = rules.assignments(
                definition["parameters"], candidate, conditionals=definition["conditionals"]
            )
        except rules.RuleError:
            continue
        if not rules.satisfies_constraints(definition["linear_constraints"], checked):
            continue
        if any(rules.same_assignments(checked, p) for p in pending):
            return None
        return checked
    return None


def allowance(time_budget: float) -> Allowance:
    """The engine's allowance for optional work (the fit's restarts): ENGINE_SHARE of the
    budget, leaving the rest for choosing the point (or a batch's points) after the fits;
    the candidate pool's scoring stops at CHOICE_SHARE of it."""
    from ...optimizer.allowance import Allowance

    return Allowance.within(time_budget * ENGINE_SHARE, choice_seconds=time_budget * CHOICE_SHARE)


def _budget(time_budget: Limit) -> float | None:
    """The engine's time budget (None: none, a seeded experiment's)."""
    return time_budget if isinstance(time_budget, float | int) else None


def _engine_within(
    problem: Any,
    observations: Sequence[tuple[Mapping[str, Any], Any]],
    pending: Sequence[Mapping[str, Any]],
    seed: int,
    time_budget: Limit,
    stddevs: Sequence[Mapping[str | None, float | None] | None] = (),
) -> dict[str, Any] | None:
    budget = _budget(time_budget)

    def work() -> Any:
        try:
            return engine().suggest_next(
                problem,
                observations,
                pending=pending,
                seed=seed,
                stddevs=stddevs,
                allowance=None if budget is None else allowance(budget),
            )
        except Exception:  # the fallback answers instead
            LOG.exception("the engine failed on a suggestion")
            return None

    if isinstance(time_budget, Ceiling):
        key = time_budget.runs.key(problem, observations, pending, seed, stddevs, 1)
        value = _within_ceiling(time_budget, key, work)
    else:
        outcome: dict[str, Any] = {}
        worker = threading.Thread(
            target=lambda: outcome.update(value=work()), name="sigopt-suggest", daemon=True
        )
        worker.start()
        worker.join(budget)
        if worker.is_alive():
            return None
        value = outcome.get("value")
    return dict(value) if isinstance(value, Mapping) else None


def _within_ceiling(ceiling: Ceiling, key: str, work: Callable[[], Any]) -> Any:
    """``work``'s result from the ceiling's runs (a retry's from the call its first
    request left running); :class:`EngineBusy` past the ceiling."""
    try:
        return ceiling.runs.result(key, work, ceiling.seconds)
    except StillRunning:
        raise EngineBusy(ceiling.seconds) from None


def _engine_several_within(
    problem: Any,
    observations: Sequence[tuple[Mapping[str, Any], Any]],
    pending: Sequence[Mapping[str, Any]],
    count: int,
    seed: int,
    time_budget: Limit,
    stddevs: Sequence[Mapping[str | None, float | None] | None] = (),
) -> list[dict[str, Any]]:
    """The points the engine chose within ``time_budget`` (fewer than ``count`` when it
    ran out of time, failed, or found no more). Past the budget the engine's thread
    stops after the point it is choosing: it does not go on taking CPU for points that
    nobody will be served. Past a :class:`Ceiling` it goes on, for a retry."""
    budget = _budget(time_budget)
    found: list[dict[str, Any]] = []
    stop = threading.Event()

    def work() -> list[dict[str, Any]]:
        try:
            points = engine().suggest_several(
                problem,
                observations,
                count=count,
                pending=pending,
                seed=seed,
                stddevs=stddevs,
                allowance=None if budget is None else allowance(budget),
            )
            for point in points:
                if stop.is_set():
                    break
                found.append(dict(point))
        except Exception:  # the fallback answers instead
            LOG.exception("the engine failed on a batch of suggestions")
        return found

    if isinstance(time_budget, Ceiling):
        key = time_budget.runs.key(problem, observations, pending, seed, stddevs, count)
        return list(_within_ceiling(time_budget, key, work))
    worker = threading.Thread(target=work, name="sigopt-suggest", daemon=True)
    worker.start()
    worker.join(budget)
    stop.set()
    return list(found)

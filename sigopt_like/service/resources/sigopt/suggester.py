"""Choosing the next suggestion: the optimizer under a time budget, or a random fallback.

No HTTP and no database here: the caller passes the experiment's parameters,
its observations oriented so that larger is better, and the open suggestions.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import random
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ... import optimizer
from ...domain import sigopt_rules as rules

LOG = logging.getLogger("sigopt_like.service.suggestions")
DEFAULT_TIME_BUDGET_SECONDS = 2.5
"""The optimizer's share of a suggestion request; past it the fallback answers."""
MAX_FIT_OBSERVATIONS = 300
"""The optimizer fits on at most this many of the latest observations."""
FALLBACK_TRIES = 200


@attrs.frozen
class Choice:
    """A chosen assignment and where it came from (``optimizer`` or ``fallback``)."""

    assignments: dict[str, Any]
    source: str


def choose(
    parameters: Sequence[Mapping[str, Any]],
    observations: Sequence[tuple[Mapping[str, Any], float | None]],
    pending: Sequence[Mapping[str, Any]],
    *,
    seed: int,
    use_optimizer: bool = True,
    time_budget: float = DEFAULT_TIME_BUDGET_SECONDS,
) -> Choice:
    """The next assignments: feasible, and different from every ``pending`` one if possible.

    ``observations`` are ``(assignments, value)`` with larger values better and
    None for failed ones. The optimizer runs in a worker thread; if it raises,
    answers something infeasible or already pending, or takes longer than
    ``time_budget`` seconds, a seeded random assignment is returned instead.
    """
    if use_optimizer:
        proposed = _optimizer_within(
            parameters, list(observations)[-MAX_FIT_OBSERVATIONS:], pending, seed, time_budget
        )
        if proposed is not None:
            try:
                checked = rules.assignments(parameters, proposed)
            except rules.RuleError:
                checked = None
            if checked is not None and not any(rules.same_assignments(checked, p) for p in pending):
                return Choice(checked, "optimizer")
        LOG.info("suggestion from the random fallback (optimizer slow, failed or infeasible)")
    return Choice(random_assignments(parameters, pending, seed), "fallback")


def _optimizer_within(
    parameters: Sequence[Mapping[str, Any]],
    observations: Sequence[tuple[Mapping[str, Any], float | None]],
    pending: Sequence[Mapping[str, Any]],
    seed: int,
    time_budget: float,
) -> dict[str, Any] | None:
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            domain = optimizer.from_sigopt_parameters(parameters)
            outcome["value"] = optimizer.suggest(
                domain, observations, pending=list(pending), seed=seed
            )
        except Exception:  # the fallback answers instead
            LOG.exception("the optimizer failed on a suggestion")

    worker = threading.Thread(target=work, name="sigopt-suggest", daemon=True)
    worker.start()
    worker.join(time_budget)
    if worker.is_alive():
        return None
    value = outcome.get("value")
    return dict(value) if isinstance(value, Mapping) else None


def warm_up() -> threading.Thread:
    """Import the optimizer's model modules in the background, so that neither the
    service's start nor the first suggestion of a process waits for them (they
    take seconds to load). Returns the thread, for callers that want to join it."""

    def load() -> None:
        with contextlib.suppress(ImportError):  # an optimizer without that module
            importlib.import_module(f"{optimizer.__name__}.portfolio")

    thread = threading.Thread(target=load, name="sigopt-like-warm-up", daemon=True)
    thread.start()
    return thread


def random_assignments(
    parameters: Sequence[Mapping[str, Any]],
    pending: Sequence[Mapping[str, Any]],
    seed: int,
) -> dict[str, Any]:
    """A seeded random feasible assignment, not equal to any pending one when possible."""
    rng = random.Random(seed)
    candidate: dict[str, Any] = {}
    for _ in range(FALLBACK_TRIES):
        candidate = {p["name"]: _random_value(p, rng) for p in parameters}
        if not any(rules.same_assignments(candidate, p) for p in pending):
            break
    return candidate


def _random_value(param: Mapping[str, Any], rng: random.Random) -> Any:
    if param["type"] == "categorical":
        return rng.choice(param["categorical_values"])
    lo, hi = param["bounds"]["min"], param["bounds"]["max"]
    if param["type"] == "int":
        return rng.randint(int(lo), int(hi))
    return rng.uniform(float(lo), float(hi))

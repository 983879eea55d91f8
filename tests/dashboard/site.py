"""A served instance with people and data for the dashboard's browser tests and screenshots.

Everything goes through the real client (``sigopt_like.Connection``) against a
real waitress server: campaigns run on the service's simulator, SigOpt
experiments get observations of small analytic functions.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable
from typing import Any

import attrs

import sigopt_like
from sigopt_like.data import load_templates

PASSWORD = "correct horse battery staple"


@attrs.frozen
class Person:
    """A user of the served instance: email, password and an API token."""

    email: str
    password: str
    token: str


def make_person(served: Any, label: str, *, email: str | None = None) -> Person:
    """A new user with a password (to sign in) and an API token (for scripts); ``email``
    by default ``label`` and a random part (unique in a shared instance)."""
    email = email or f"{label}-{uuid.uuid4().hex[:8]}@lab.example"
    accounts = served.service.context.store.accounts
    user = accounts.create_user(email, PASSWORD)
    token = accounts.issue_token(user.id, name="test").token
    return Person(email=email, password=PASSWORD, token=token)


def connect(served: Any, person: Person) -> Any:
    """A client of the served instance as this person."""
    return sigopt_like.Connection(served.url, person.token)


def template(name: str) -> dict[str, Any]:
    """A sample space template shipped with the package."""
    return next(t for t in load_templates() if t["name"] == name)


def simulated_campaign(
    conn: Any,
    name: str,
    *,
    gens: int,
    template_name: str = "formulation-screen",
    seed: int | None = None,
) -> str:
    """A campaign run for ``gens`` simulated generations; its session id. ``seed``: the
    session's (its designs and simulated responses), by default the service's choice."""
    t = template(template_name)
    session = conn.sessions.create(name=name, description=t.get("description", ""), seed=seed)
    campaign = conn.sessions(session.id)
    campaign.space.put(
        space=t["space"],
        population_size=t["population_size"],
        replicates=t["replicates"],
        wait=True,
    )
    if gens:
        campaign.simulate(ngens=gens, wait=True)
    return str(session.id)


def branin(x1: float, x2: float) -> float:
    """The Branin function (three global minima of 0.397887)."""
    b = 5.1 / (4 * math.pi**2)
    c = 5 / math.pi
    t = 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


def _suggest(
    exp: Any, points: random.Random | None, draw: Callable[[random.Random], dict[str, Any]]
) -> Any:
    """The experiment's next suggestion: the optimizer's, or with ``points`` one drawn from
    it (queued first, so that the suggestion is the drawn point)."""
    if points is not None:
        exp.queued_suggestions().create(assignments=draw(points))
    return exp.suggestions().create()


def _branin_point(rng: random.Random) -> dict[str, Any]:
    return {
        "x1": rng.uniform(-5, 10),
        "x2": rng.uniform(0, 15),
        "solvent": rng.choice(["water", "ethanol"]),
    }


def branin_experiment(
    conn: Any, name: str, rounds: int, *, points: random.Random | None = None
) -> str:
    """A one-metric SigOpt experiment with ``rounds`` observations and one open suggestion;
    with ``points``, at points drawn from it (the same every time for the same seed)."""
    e = conn.experiments.create(
        name=name,
        parameters=[
            {"name": "x1", "type": "double", "bounds": {"min": -5, "max": 10}},
            {"name": "x2", "type": "double", "bounds": {"min": 0, "max": 15}},
            {"name": "solvent", "type": "categorical", "categorical_values": ["water", "ethanol"]},
        ],
        metrics=[{"name": "loss", "objective": "minimize"}],
        observation_budget=rounds + 10,
    )
    exp = conn.experiments(e.id)
    for _ in range(rounds):
        s = _suggest(exp, points, _branin_point)
        a = s.assignments
        penalty = 0.0 if a["solvent"] == "ethanol" else 2.0
        exp.observations().create(suggestion=s.id, value=branin(a["x1"], a["x2"]) + penalty)
    _suggest(exp, points, _branin_point)  # left open
    return str(e.id)


def _yield_point(rng: random.Random) -> dict[str, Any]:
    return {"temperature": rng.uniform(20, 120), "stirring": rng.randint(1, 10)}


def two_metric_experiment(
    conn: Any, name: str, rounds: int, *, points: random.Random | None = None
) -> str:
    """A SigOpt experiment trading yield against cost, ``rounds`` observations; with
    ``points``, at points drawn from it."""
    e = conn.experiments.create(
        name=name,
        parameters=[
            {"name": "temperature", "type": "double", "bounds": {"min": 20, "max": 120}},
            {"name": "stirring", "type": "int", "bounds": {"min": 1, "max": 10}},
        ],
        metrics=[
            {"name": "yield", "objective": "maximize"},
            {"name": "cost", "objective": "minimize"},
        ],
        observation_budget=rounds + 20,
    )
    exp = conn.experiments(e.id)
    for _ in range(rounds):
        s = _suggest(exp, points, _yield_point)
        t = s.assignments["temperature"]
        k = s.assignments["stirring"]
        yield_ = 1 - math.exp(-t / 45) + 0.02 * k
        cost = 0.02 * t + 0.15 * k
        exp.observations().create(
            suggestion=s.id,
            values=[{"name": "yield", "value": yield_}, {"name": "cost", "value": cost}],
        )
    return str(e.id)

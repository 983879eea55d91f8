"""The optimizer under a time budget, and its random fallback."""

from __future__ import annotations

import time

import pytest

from sigopt_like.service import optimizer
from sigopt_like.service.domain import sigopt_rules as rules
from sigopt_like.service.resources.sigopt import suggester

from .conftest import PARAMETERS

PARAMS = rules.parameters(PARAMETERS)


def history(n: int) -> list[tuple[dict, float | None]]:
    points = [suggester.random_assignments(PARAMS, [], seed) for seed in range(n)]
    return [(p, -abs(p["x"] - 1) - abs(p["n"] - 3)) for p in points] + [(points[0], None)]


def test_same_inputs_same_suggestion():
    first = suggester.choose(PARAMS, history(8), [], seed=42, time_budget=60)
    again = suggester.choose(PARAMS, history(8), [], seed=42, time_budget=60)
    assert first == again and first.source == "optimizer"
    assert rules.assignments(PARAMS, first.assignments) == first.assignments


def test_slow_optimizer_falls_back_within_budget(monkeypatch):
    def slow(*args, **kwargs):
        time.sleep(2)
        return {"x": 1.0, "n": 1, "c": "a"}

    monkeypatch.setattr(optimizer, "suggest", slow)
    started = time.monotonic()
    choice = suggester.choose(PARAMS, history(5), [], seed=1, time_budget=0.2)
    assert time.monotonic() - started < 1.0
    assert choice.source == "fallback"
    assert rules.assignments(PARAMS, choice.assignments) == choice.assignments


@pytest.mark.parametrize(
    "answer",
    [
        RuntimeError("engine down"),
        {"x": 99.0, "n": 1, "c": "a"},
        {"x": 1.0, "n": 1.5, "c": "a"},
        {"x": 1.0, "n": 1},
        "not a dict",
    ],
)
def test_failing_or_infeasible_optimizer_falls_back(monkeypatch, answer):
    def broken(*args, **kwargs):
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(optimizer, "suggest", broken)
    choice = suggester.choose(PARAMS, history(5), [], seed=3)
    assert choice.source == "fallback"
    assert rules.assignments(PARAMS, choice.assignments) == choice.assignments


def test_pending_answer_falls_back_to_a_different_point(monkeypatch):
    pending = {"x": 1.0, "n": 1, "c": "a"}
    monkeypatch.setattr(optimizer, "suggest", lambda *a, **k: dict(pending))
    choice = suggester.choose(PARAMS, history(5), [pending], seed=3)
    assert choice.source == "fallback" and choice.assignments != pending


def test_random_fallback_avoids_pending_in_a_tiny_space():
    params = rules.parameters(
        [
            {"name": "n", "type": "int", "bounds": {"min": 0, "max": 1}},
            {"name": "c", "type": "categorical", "categorical_values": ["a", "b"]},
        ]
    )
    pending = [{"n": 0, "c": "a"}, {"n": 1, "c": "a"}, {"n": 0, "c": "b"}]
    assert suggester.random_assignments(params, pending, seed=9) == {"n": 1, "c": "b"}


def test_random_experiments_skip_the_optimizer(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("the optimizer must not run")

    monkeypatch.setattr(optimizer, "suggest", boom)
    choice = suggester.choose(PARAMS, history(5), [], seed=5, use_optimizer=False)
    assert choice.source == "fallback"


def test_slow_optimizer_keeps_the_endpoint_fast(api, monkeypatch):
    def slow(*args, **kwargs):
        time.sleep(3)
        return {"x": 1.0, "n": 1, "c": "a"}

    monkeypatch.setattr(optimizer, "suggest", slow)
    monkeypatch.setattr(suggester, "DEFAULT_TIME_BUDGET_SECONDS", 0.3)
    e = api.create_experiment()
    started = time.monotonic()
    reply = api.post(f"/v1/experiments/{e['id']}/suggestions")
    assert reply.status == 201 and time.monotonic() - started < 2.0

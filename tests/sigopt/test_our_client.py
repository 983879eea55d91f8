"""The whole SigOpt loop through sigopt_like's own client, embedded and served."""

from __future__ import annotations

import pytest

from sigopt_like.errors import APIError

from .conftest import PARAMETERS

GOOD = {"x": 1.5, "n": 3, "c": "b"}


def objective(a) -> float:
    return -((a["x"] - 2) ** 2) - (a["n"] - 4) ** 2 + (1.0 if a["c"] == "b" else 0.0)


def test_loop_create_suggest_report_best_list_delete(conn):
    e = conn.experiments.create(name="loop", parameters=PARAMETERS, observation_budget=12)
    assert e.id and e.type == "offline" and [p.name for p in e.parameters] == ["x", "n", "c"]
    values = []
    for _ in range(12):
        s = conn.experiments(e.id).suggest()
        a = s.assignments
        assert -5 <= a["x"] <= 10 and isinstance(a["n"], int) and a["c"] in ("a", "b", "c")
        values.append(objective(a))
        o = conn.experiments(e.id).report(suggestion=s.id, value=values[-1])
        assert o.suggestion == s.id
    best = list(conn.experiments(e.id).best_assignments.fetch())
    assert len(best) == 1 and best[0].value == pytest.approx(max(values))
    observed = list(conn.experiments(e.id).observations.list(limit=5))
    assert len(observed) == 12
    assert conn.experiments(e.id).fetch().progress.observation_count == 12
    for i in range(4):
        conn.experiments.create(name=f"more{i}", parameters=PARAMETERS)
    listed = list(conn.experiments.list(limit=2))
    assert len(listed) == 5 and listed[-1].id == e.id
    conn.experiments(e.id).suggestions.create()
    assert len(list(conn.experiments(e.id).suggestions.list(state="open"))) == 1
    conn.experiments(e.id).suggestions.delete(state="open")
    assert not list(conn.experiments(e.id).suggestions.list(state="open"))
    conn.experiments(e.id).delete()
    assert conn.experiments(e.id).fetch().state == "deleted"


def test_errors_name_the_field(conn):
    e = conn.experiments.create(name="errors", parameters=PARAMETERS)
    with pytest.raises(APIError) as caught:
        conn.experiments(e.id).report(assignments={**GOOD, "x": 42}, value=1.0)
    assert caught.value.status == 422 and "assignments.x" in str(caught.value)
    assert caught.value.detail["field"] == "assignments.x"
    with pytest.raises(APIError) as caught:
        conn.experiments("424242").fetch()
    assert caught.value.status == 404

"""A whole campaign through the client, embedded and over a socket."""

from __future__ import annotations

import pytest

import sigopt_like
from sigopt_like.spaces import Space
from sigopt_like.tables import Table

from .conftest import DATA

POP, REPS, GENS = 10, 1, 3


def test_three_generations_then_history_and_best(conn):
    space = Space.from_csv(DATA / "esd-factorial-4x8.csv", type="factorial")
    session = conn.sessions.create(name="client-campaign")
    s = conn.sessions(session.id)
    task = s.space.put(space=space, population_size=POP, replicates=REPS, wait=True)
    assert task.status == "success"
    assert task.result.space_size == 4096
    tested: set[tuple] = set()
    for gen in range(1, GENS + 1):
        generated = s.generate(wait=True)
        assert generated.status == "success"
        design = generated.result.experiments
        assert isinstance(design, Table)
        assert len(design.rows) == POP * (REPS + 1)
        points = {tuple(r[:-1]) for r in design.rows}
        assert len(points) == POP and not points & tested
        tested |= points
        measured = s.responses.simulate(design)
        update = s.experiments.put(type="designed", table=measured, wait=True)
        assert update.status == "success" and update.result.gen == gen
    history = s.history.fetch()
    assert [g.gen for g in history.generations] == [0, 1, 2, 3]
    csv_text = s.history.csv()
    assert csv_text.splitlines()[0].startswith("Seq_,Gen_,Designed_,param1")
    best = s.best.fetch()
    assert set(best.experiment) == {"param1", "param2", "param3", "param4"}
    assert best.predicted_response is not None
    assert s.fetch().gen == GENS


def test_a_failed_task_raises_with_its_errors(conn):
    # a mixture too large to count at the request (6 components x 10,001 units) holding
    # 15 experiments: its design size is the task's to judge (a factorial's, and a small
    # mixture's, are refused at once)
    space = {
        "type": "mixture",
        "total_units": 10_000,
        "parameters": [
            {"name": f"c{i}", "type": "unit", "min": 1666, "max": 1667} for i in range(6)
        ],
    }
    s = conn.sessions(conn.sessions.create(name="too-small").id)
    with pytest.raises(sigopt_like.errors.TaskFailedError) as info:
        s.space.put(space=space, population_size=16, replicates=2, wait=True)
    assert "15 distinct experiments" in str(info.value)
    assert "at most 15" in str(info.value)
    assert [e.field for e in info.value.errors] == ["population_size"]

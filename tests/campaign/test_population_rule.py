"""The population rule through the client: Daptics' own examples, the example files, the end.

A population is accepted when the space can fill it with distinct untested
experiments; ``remaining`` and the campaign's end follow from the same rule
(``sigopt_like.population``).
"""

from __future__ import annotations

import pytest

import sigopt_like
from sigopt_like.population import MAX_COUNTED_CELLS, counted_at_once
from sigopt_like.spaces import MixtureComponent, NumericalParameter, Space

from .conftest import DATA

# The two spaces of the Daptics client documentation (seed 000), in its own dict form,
# both called "enough combinations to be validated by the backend" at population 30,
# replicates 2.
DAPTICS_FACTORIAL = {
    "type": "factorial",
    "table": {
        "colHeaders": ["Name", "Type", "Value.1", "Value.2", "Value.3", "Value.4"],
        "data": [
            ["param1", "numerical", "0", "1", "2", "3"],
            ["param2", "numerical", "2", "3", "", ""],
            ["param3", "numerical", "0", "1", "2", ""],
            ["param4", "numerical", "0", "1", "2", "3"],
        ],
    },
}
DAPTICS_MIXTURE = {
    "type": "mixture",
    "totalUnits": 25,
    "table": {
        "colHeaders": ["Name", "Type", "Min", "Max"],
        "data": [
            ["param1", "unit", "1", "10"],
            ["param2", "unit", "2", "10"],
            ["param3", "unit", "4", "8"],
            ["param4", "unit", "2", "5"],
        ],
    },
}
EXAMPLE_FILES = [
    ("esd-factorial-3x5", None),
    ("esd-factorial-4x8", None),
    ("esd-factorial-8x5", None),
    ("esd-factorial-9x5", None),
    ("esd-mixture-5", 15),
]


def _put(conn: sigopt_like.Connection, space: Space, population: int, replicates: int):
    session = conn.sessions(conn.sessions.create(name="population-rule").id)
    task = session.space.put(
        space=space, population_size=population, replicates=replicates, wait=True
    )
    return session, task


def test_daptics_factorial_example_runs_to_the_end_of_its_space(conn):
    """96 experiments at population 30: three generations of 30, then a fourth of the 6
    left (Daptics' remaining: generations "until the entire design space has been
    explored"). Before, the campaign ended after three, 6 experiments never tried."""
    space = Space.from_dict(DAPTICS_FACTORIAL)
    session, task = _put(conn, space, 30, 2)
    assert task.status == "success"
    assert task.result.space_size == 96 and task.result.remaining == 4
    seen: set[tuple] = set()
    for gen, size in ((1, 30), (2, 30), (3, 30), (4, 6)):
        design = session.generate(wait=True).result.experiments
        points = {tuple(row[:-1]) for row in design.rows}
        assert len(design.rows) == size * 3 and len(points) == size and not points & seen
        seen |= points
        session.experiments.put(
            type="designed", table=session.responses.simulate(design), wait=True
        )
        assert session.fetch().remaining == 4 - gen
    state = session.fetch()
    assert state.completed is True and state.remaining == 0 and state.gen == 4
    assert len(seen) == 96
    with pytest.raises(sigopt_like.errors.ConflictError, match="completed"):
        session.generate(wait=True)


def test_daptics_mixture_example_is_accepted(conn):
    space = Space.from_dict(DAPTICS_MIXTURE)
    _, task = _put(conn, space, 30, 2)
    assert task.status == "success"
    assert task.result.space_size == space.size()
    assert task.result.remaining == -(-space.size() // 30) >= 1


@pytest.mark.parametrize(("name", "total_units"), EXAMPLE_FILES)
def test_example_space_files_validate_at_the_daptics_population(embedded_conn, name, total_units):
    kind = "mixture" if total_units else "factorial"
    space = Space.from_csv(DATA / f"{name}.csv", type=kind, total_units=total_units)
    _, task = _put(embedded_conn, space, 30, 2)
    assert task.status == "success"
    assert task.result.remaining == min(2**31 - 1, -(-space.size() // 30))


@pytest.mark.parametrize(
    ("components", "total_units", "at_once"),
    [(4, 25, True), (5, 9_999, True), (100, 499, True), (7, 7_142, False), (6, 10_000, False)],
)
def test_a_mixture_is_judged_at_the_request_while_its_count_is_cheap(
    components, total_units, at_once
):
    """components x (total units + 1) cells: at most MAX_COUNTED_CELLS (5 x 10,000 is
    exactly 50,000) is counted at the request; 7 x 7,143 = 50,001 is left to the task."""
    mixture = Space(
        "mixture",
        [MixtureComponent(f"c{i}", 0, total_units) for i in range(components)],
        total_units=total_units,
    )
    assert (components * (total_units + 1) <= MAX_COUNTED_CELLS) is at_once
    assert counted_at_once(mixture) is at_once
    assert counted_at_once(Space.from_dict(DAPTICS_FACTORIAL))


def test_screening_design_with_more_parameters_than_population(embedded_conn):
    screening = Space("factorial", [NumericalParameter(f"f{i}", (-1, 1)) for i in range(33)])
    session, task = _put(embedded_conn, screening, 30, 0)
    assert task.status == "success"
    design = session.generate(wait=True).result.experiments
    assert len({tuple(row[:-1]) for row in design.rows}) == 30


def test_a_population_the_space_cannot_fill_is_refused_saying_what_would_work(conn):
    """A factorial's size is a product of level counts, so the request is refused at
    once (before: a space task that failed): a 422, ValidationError, in the population
    rule's words, no task and the session as it was (its space and population kept)."""
    space = Space.from_dict(DAPTICS_FACTORIAL)
    session, _ = _put(conn, space, 30, 2)
    before = session.fetch()
    with pytest.raises(sigopt_like.errors.ValidationError) as info:
        session.space.put(space=space, population_size=97, replicates=0, wait=True)
    assert info.value.status == 422
    message = str(info.value)
    assert "96 distinct experiments, fewer than population_size 97" in message
    assert "use a population of at most 96" in message
    assert [e["field"] for e in info.value.errors] == ["population_size"]
    assert session.fetch() == before
    assert [t.type for t in session.tasks.list()] == ["space"]
    assert session.space.fetch() == space and before.population_size == 30


def test_a_large_space_runs_to_the_end_its_untested_count_gives(embedded_conn, monkeypatch):
    """The end of a campaign follows the population rule, not the engine's candidates.

    A space too large to enumerate gets a candidate pool of mutations of the best
    points and a share of random samples; late in a campaign most of it is tested.
    A 100,000-point factorial at population 1,500 was declared exhausted with 47,500
    untested points left ("only 1481 untested experiments are left", a pool count).
    Here the same happens in seconds: the enumeration limit is lowered below this
    7,776-point space, and initial experiments test all of it but 300 scattered points.
    """
    from sigopt_like.service.optimizer import views

    monkeypatch.setattr(views, "ENUMERATION_LIMIT", 1_000)
    space = Space("factorial", [NumericalParameter(f"p{i}", tuple(range(6))) for i in range(5)])
    points = [
        tuple(float(v) for v in (i // 1296, i // 216 % 6, i // 36 % 6, i // 6 % 6, i % 6))
        for i in range(space.size())
    ]
    untested = set(points[7::25][:300])
    assert len(untested) == 300
    rows = [[*p, -sum((v - 2.0) ** 2 for v in p)] for p in points if p not in untested]
    session, _ = _put(embedded_conn, space, 150, 0)
    session.experiments.put(
        type="initial", table=sigopt_like.Table(columns=space.columns, rows=rows), wait=True
    )
    assert session.fetch().remaining == 2
    seen: set[tuple] = set()
    for left in (1, 0):
        design = session.generate(wait=True).result.experiments
        designed = {tuple(float(v) for v in row[:-1]) for row in design.rows}
        assert len(design.rows) == 150 and len(designed) == 150
        assert designed <= untested and not designed & seen
        seen |= designed
        session.experiments.put(
            type="designed", table=session.responses.simulate(design), wait=True
        )
        assert session.fetch().remaining == left
    assert seen == untested and session.fetch().completed is True


def test_a_space_of_one_experiment_is_told_in_the_singular(conn):
    """Five components of at most 5 units that must sum to 25 have one composition.
    Before: "the space has 1 distinct experiments" (the example mixture of
    /work/shared/data/spaces at totalUnits 25)."""
    mixture = Space(
        "mixture",
        [MixtureComponent(f"param{i}", 1 if i > 2 else 0, 5) for i in range(1, 6)],
        total_units=25,
    )
    session = conn.sessions(conn.sessions.create(name="one-composition").id)
    with pytest.raises(sigopt_like.errors.ValidationError) as info:
        session.space.put(space=mixture, population_size=30, replicates=2, wait=True)
    assert info.value.status == 422
    assert "the space has 1 distinct experiment, fewer than population_size 30" in str(info.value)


def test_the_last_generation_takes_the_experiments_a_population_cannot_fill(conn):
    """A 36-experiment factorial at population 20: before, the campaign ended after one
    generation (remaining 1 at the space, 0 after it), 16 experiments never tried and
    nothing said so. Daptics' remaining counts generations "until the entire design
    space has been explored" (seed 000): two, the second of the 16 left."""
    space = Space("factorial", [NumericalParameter(n, tuple(range(6))) for n in "ab"])
    session, task = _put(conn, space, 20, 1)
    assert task.result.space_size == 36 and task.result.remaining == 2
    seen: set[tuple] = set()
    for gen, size in ((1, 20), (2, 16)):
        generated = session.generate(wait=True).result
        design = generated.experiments
        points = {tuple(row[:-1]) for row in design.rows}
        assert len(design.rows) == size * 2 and len(points) == size and not points & seen
        assert generated.remaining == 2 - gen and generated.completed is False
        seen |= points
        put = session.experiments.put(
            type="designed", table=session.responses.simulate(design), wait=True
        )
        assert put.result.remaining == 2 - gen and put.result.completed is (gen == 2)
    assert len(seen) == 36
    state = session.fetch()
    assert state.completed is True and state.remaining == 0 and state.status == "completed"
    with pytest.raises(sigopt_like.errors.ConflictError, match="completed"):
        session.generate(wait=True)


def test_a_simulation_runs_the_last_short_generation_too(embedded_conn):
    """``simulate`` plans by the same ``remaining``: 36 experiments at population 20 are
    two generations, not one."""
    space = Space("factorial", [NumericalParameter(n, tuple(range(6))) for n in "ab"])
    session, _ = _put(embedded_conn, space, 20, 0)
    task = session.simulate(ngens=5, wait=True)
    assert task.result.generations_run == 2 and task.result.completed is True
    sizes = {g.gen: len(g.table.rows) for g in session.history.fetch().generations if g.gen}
    assert sizes == {1: 20, 2: 16}

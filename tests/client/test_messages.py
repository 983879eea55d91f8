"""Messages a person reads: each place said once, one numbering, no REST route for Python."""

from __future__ import annotations

import pytest

import sigopt_like
from sigopt_like import ValidationError

SPACE = {
    "type": "factorial",
    "parameters": [
        {"name": "p1", "type": "numerical", "values": list(range(20))},
        {"name": "c", "type": "categorical", "values": list("abcdefgh")},
    ],
}


@pytest.fixture
def designed(embedded_conn):
    session = embedded_conn.sessions(embedded_conn.sessions.create(name="words").id)
    session.space.put(space=SPACE, population_size=10, replicates=0, wait=True)
    rows = session.generate(wait=True).result.experiments.records()
    for row in rows:
        row["Response"] = 1.0
    return session, rows


def test_each_problem_names_its_place_once(designed):
    """Before: 'row 2, column Response: row 2, column Response: ...'. A response that is
    not a number is refused when the table is sent (a 422, no task), named once; a
    designed row may leave it empty, and the answer says so."""
    session, rows = designed
    rows[0]["Response"] = "abc"
    with pytest.raises(ValidationError) as info:
        session.experiments.put(type="designed", table=rows, wait=True)
    words = (
        "row 2, column Response: response 'abc' is not a number (leave the cell empty, '-' "
        "or NA if it was not measured)"
    )
    assert info.value.message == f"The table cannot be stored: {words}"
    (problem,) = info.value.errors
    assert problem["message"] == words


def test_one_numbering_per_message(designed):
    """Before: 'row 3 ... (row 2 of generation 1's design ...)': two numberings."""
    session, rows = designed
    rows[1]["p1"] = (rows[1]["p1"] + 1) % 20
    with pytest.raises(ValidationError) as info:  # at once, no task (it was a task's failure)
        session.experiments.put(type="designed", table=rows, wait=True)
    (problem,) = info.value.errors
    assert problem["row"] == 3 and problem["column"] == "p1"
    assert problem["message"].count("row ") == 1
    assert "generation 1's design" in problem["message"]
    assert str(info.value).count("row 3, column p1") == 1


def test_a_python_user_is_not_shown_a_rest_route(embedded_conn):
    session = embedded_conn.sessions(embedded_conn.sessions.create(name="no-space").id)
    for call in (session.generate, session.design.fetch):
        with pytest.raises(sigopt_like.SigoptLikeError) as info:
            call()
        assert "/v1/" not in str(info.value) and "POST " not in str(info.value)
    with pytest.raises(sigopt_like.SigoptLikeError) as info:
        session.experiments.put(type="initial", table=[{"p1": 1, "c": "a", "Response": 1}])
    assert "/v1/" not in str(info.value)
    assert "space.put" in str(info.value)


def test_a_field_is_named_once(embedded_conn):
    """A population the space cannot fill (within the field's range, 1 to 2500) is refused
    (a factorial's at the request, a 422), in a message that names the field once."""
    session = embedded_conn.sessions(embedded_conn.sessions.create(name="field").id)
    with pytest.raises(ValidationError) as info:
        session.space.put(space=SPACE, population_size=2500, replicates=0, wait=True)
    assert "population_size: population_size" not in str(info.value)

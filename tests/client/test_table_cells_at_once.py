"""One request names every bad header and cell of an experiments table, parameters and
responses alike (422, each by row and column), with nothing stored and no task queued.

Before: the route refused the bad responses first (422), and only once they were fixed
did the update task fail on the bad parameter values (it alone read the session's
space): one table's mistakes told in two rounds. A header that is not the space's
(a column that is no parameter, a parameter with no column) was the task's too.

The headers (``columns``, Daptics' ``colHeaders``) name the columns: seed 000's
put_experiments reads "columns, defined in the colHeaders value of the table, for each
of the defined space parameters", which "must match the names of the parameters ...
exactly"; so columns in another order are taken by their names.
"""

from __future__ import annotations

from typing import Any

import pytest

from sigopt_like import Connection, ValidationError

from .response_tables import SPACE, session_state


@pytest.fixture
def sid(conn: Connection) -> str:
    made = conn.sessions.create(name="at-once").id
    conn.sessions(made).space.put(space=SPACE, population_size=10, replicates=0, wait=True)
    return str(made)


def _post(conn: Connection, sid: str, kind: str, table: dict[str, Any]) -> Any:
    return conn.transport.request_json(
        "POST", f"/v1/sessions/{sid}/experiments", json={"type": kind, "table": table}
    )


def test_bad_responses_and_bad_parameter_values_are_named_in_one_answer(
    conn: Connection, sid: str
) -> None:
    before = session_state(conn, sid)
    table = {
        "columns": ["p1", "c", "Response"],
        "rows": [
            [99, "a", 1.5],  # not a level of p1
            [2, "b", "abc"],  # not a response
            [3, "zz", True],  # neither
            [4, "d", None],  # an initial experiment needs its response
            [5, "e", 2.5],  # fine
        ],
    }
    with pytest.raises(ValidationError) as refused:
        _post(conn, sid, "initial", table)
    assert refused.value.status == 422
    assert [(e["row"], e["column"]) for e in refused.value.errors] == [
        (2, "p1"),
        (3, "Response"),
        (4, "c"),
        (4, "Response"),
        (5, "Response"),
    ]
    assert refused.value.message.startswith("The table cannot be stored: row 2, column p1: ")
    assert "response 'abc' is not a number" in refused.value.errors[1]["message"]
    assert "the response is missing" in refused.value.errors[4]["message"]
    assert session_state(conn, sid) == before  # nothing stored, no task queued
    # the client's put says the same, by the same rows and columns
    with pytest.raises(ValidationError) as said:
        conn.sessions(sid).experiments.put(type="initial", table=table, wait=True)
    assert said.value.errors == refused.value.errors
    assert session_state(conn, sid) == before


def test_a_designed_tables_cells_are_judged_with_its_design(conn: Connection, sid: str) -> None:
    """A designed row may leave its response empty, an extra row may not: known when the
    task is started, so a bad level and an extra row's missing response come together."""
    session = conn.sessions(sid)
    design = session.generate(wait=True).result.experiments
    before = session_state(conn, sid)
    rows = [list(row) for row in design.rows]  # every response empty: allowed
    rows[1][0] = 42  # not a level
    extra = [0, "a", None]  # an extra row's response is required
    table = {"columns": list(design.columns), "rows": [*rows, extra]}
    with pytest.raises(ValidationError) as refused:
        _post(conn, sid, "designed", table)
    n = len(rows)
    assert [(e["row"], e["column"]) for e in refused.value.errors] == [
        (3, "p1"),
        (n + 2, "Response"),
    ]
    assert session_state(conn, sid) == before
    rows[1][0] = design.rows[1][0]
    started = _post(conn, sid, "designed", {"columns": list(design.columns), "rows": rows})
    assert session.tasks(started["id"]).wait(timeout=60).succeeded


def test_daptics_col_headers_name_the_columns_in_any_order(conn: Connection, sid: str) -> None:
    session = conn.sessions(sid)
    table = {"colHeaders": ["Response", "c", "p1"], "data": [["1.5", "b", "3"], ["2", "a", "7"]]}
    started = _post(conn, sid, "INITIAL_EXTRAS_ONLY", table)
    assert session.tasks(started["id"]).wait(timeout=60).succeeded
    stored = session.experiments.fetch(gen=0)
    assert stored.columns == ("p1", "c", "Response")
    assert stored.rows == ((3, "b", 1.5), (7, "a", 2.0))


def test_headers_that_are_not_the_spaces_are_refused_when_sent(conn: Connection, sid: str) -> None:
    """A header naming no parameter, and a parameter no header names: a 422 naming each
    (with a bad response of the same table), no task; before, the task's failure."""
    before = session_state(conn, sid)
    table = {"colHeaders": ["p1", "colour", "Response"], "data": [["1", "a", "x"]]}
    with pytest.raises(ValidationError) as refused:
        _post(conn, sid, "initial", table)
    messages = [e["message"] for e in refused.value.errors]
    assert messages == [
        "row 1, column B: column 'colour' is not a parameter of the space "
        "(the columns are: p1, c, Response)",
        "row 1: column 'c' is missing (the columns are: p1, c, Response)",
        "row 2, column Response: response 'x' is not a number",
    ]
    assert session_state(conn, sid) == before


def test_refused_at_the_start_on_either_database(served_on_either: Any) -> None:
    """The refusal is raised inside the transaction that starts the task (holding the
    session row): on PostgreSQL as on SQLite it is a 422, the row let go, nothing kept,
    and the next table is taken at once."""
    conn = Connection(served_on_either.url, served_on_either.token)
    try:
        sid = str(conn.sessions.create(name="either").id)
        conn.sessions(sid).space.put(space=SPACE, population_size=10, replicates=0, wait=True)
        before = session_state(conn, sid)
        bad = {"columns": ["p1", "c", "Response"], "rows": [[99, "a", "x"]]}
        with pytest.raises(ValidationError) as refused:
            _post(conn, sid, "initial", bad)
        assert [(e["row"], e["column"]) for e in refused.value.errors] == [
            (2, "p1"),
            (2, "Response"),
        ]
        assert session_state(conn, sid) == before
        good = {"columns": ["p1", "c", "Response"], "rows": [[1, "a", 1.5]]}
        started = _post(conn, sid, "initial", good)
        assert conn.sessions(sid).tasks(started["id"]).wait(timeout=60).succeeded
    finally:
        conn.close()

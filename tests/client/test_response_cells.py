"""A Response cell that is not a response whatever the session's design (text that is not
a number, an infinity, a number past a float's range, a boolean, a list or an object) is
refused when the table is sent (422), naming its row and column; the session's
experiments and tasks stay as they were.

Before: sent as plain JSON (``curl``, a script's own HTTP; ``conn.transport`` here), such a
table was accepted (202), and only the update task then failed on it ("response 'abc' is
not a number"): accepted, then failed. A missing response (null, "", "-", NA, NaN text)
is judged by the design, which says which rows may leave it empty: known as the task is
started, so it is refused with the rest (an initial experiment needs its response).
"""

from __future__ import annotations

from typing import Any

import pytest

from sigopt_like import ValidationError

from .response_tables import SPACE, session_state, table_body


@pytest.fixture
def sid(conn: Any) -> str:
    made = conn.sessions.create(name="cells").id
    conn.sessions(made).space.put(space=SPACE, population_size=10, replicates=1, wait=True)
    return str(made)


REFUSED = [
    ("abc", False, "response 'abc' is not a number"),
    ("abc", True, "response 'abc' is not a number"),  # Daptics' string cell
    ("inf", False, "response 'inf' is not a finite number: an infinity is refused"),
    ("-Infinity", True, "response '-Infinity' is not a finite number: an infinity is refused"),
    ("1e999", True, "response '1e999' is too large: a response is at most +-1.8e308"),
    (True, False, "response true is not a number"),
    ([1.5, 2.5], False, "response [1.5, 2.5] is not a number"),
    ({"value": 1.5}, False, "response {'value': 1.5} is not a number"),
    ("1,5", False, "response '1,5' is not a number (write it with '.' as the decimal mark: 1.5)"),
]


@pytest.mark.parametrize(("response", "daptics", "words"), REFUSED)
def test_a_response_that_is_not_one_is_refused_when_sent(
    conn: Any, sid: str, response: Any, daptics: bool, words: str
) -> None:
    before = session_state(conn, sid)
    path = f"/v1/sessions/{sid}/experiments"
    with pytest.raises(ValidationError) as refused:
        conn.transport.request_json("POST", path, json=table_body(response, daptics=daptics))
    assert refused.value.status == 422
    assert refused.value.message == f"The table cannot be stored: row 3, column Response: {words}"
    assert [(e["row"], e["column"]) for e in refused.value.errors] == [(3, "Response")]
    assert session_state(conn, sid) == before  # nothing stored, no task queued


def test_every_refused_cell_is_named(conn: Any, sid: str) -> None:
    before = session_state(conn, sid)
    table = {
        "columns": ["p1", "c", "Response"],
        "rows": [[1, "a", "abc"], [2, "b", 2.5], [3, "c", False], [4, "d", None]],
    }
    with pytest.raises(ValidationError) as refused:
        conn.transport.request_json(
            "POST", f"/v1/sessions/{sid}/experiments", json={"type": "initial", "table": table}
        )
    assert [(e["row"], e["column"]) for e in refused.value.errors] == [
        (2, "Response"),
        (4, "Response"),
        (5, "Response"),  # missing: an initial experiment needs its response
    ]
    assert "the response is missing" in refused.value.errors[2]["message"]
    assert session_state(conn, sid) == before


def test_numbers_and_daptics_number_text_are_still_taken(conn: Any, sid: str) -> None:
    path = f"/v1/sessions/{sid}/experiments"
    for response, daptics, stored in [
        (2.5, False, 2.5),
        (-3, False, -3.0),
        ("4.25", True, 4.25),
        (" 7 ", False, 7.0),
        ("1e3", True, 1000.0),
    ]:
        body = table_body(response, daptics=daptics)
        started = conn.transport.request_json("POST", path, json=body)
        assert conn.sessions(sid).tasks(started["id"]).wait(timeout=60).succeeded
        assert conn.sessions(sid).experiments.fetch(gen=0).responses() == (1.5, stored)


def test_a_missing_response_is_left_to_the_design(conn: Any, sid: str) -> None:
    """NaN text is a missing response, not a refused one: an initial experiment needs a
    measured value, so the answer says so; a designed row may leave it empty."""
    path = f"/v1/sessions/{sid}/experiments"
    before = session_state(conn, sid)
    for missing in (None, "", "NaN", "NA"):
        with pytest.raises(
            ValidationError, match="row 3, column Response: the response is missing"
        ):
            conn.transport.request_json("POST", path, json=table_body(missing))
        assert session_state(conn, sid) == before
    session = conn.sessions(sid)
    design = session.generate(wait=True).result.experiments
    rows = design.records()
    rows[0]["Response"] = "NaN"
    for row in rows[1:]:
        row["Response"] = 1.0
    table = {"columns": list(design.columns), "rows": [list(r.values()) for r in rows]}
    started = conn.transport.request_json(
        "POST", f"/v1/sessions/{sid}/experiments", json={"type": "designed", "table": table}
    )
    assert session.tasks(started["id"]).wait(timeout=60).succeeded
    assert session.experiments.fetch(gen=1).responses()[0] is None

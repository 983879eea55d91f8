"""A response written as a whole number past 2**53, which a float (a response) cannot hold
as written, is refused when the table is sent, naming its row and column and what to
write; the session's experiments and tasks stay as they were.

Before: sent as plain JSON (``curl``, a script's own HTTP; ``conn.transport`` here), a
response of ``9007199254740993`` or ``2**63 - 1`` was accepted (202), and only the update
task then failed on it; one past 64 bits was refused at once. The same mistake, told in
two ways.
"""

from __future__ import annotations

import pytest

from sigopt_like import Table, ValidationError

from .response_tables import SPACE, session_state, table_body

EXACT = (
    "{written} cannot be a response exactly: responses are floats, which hold every whole "
    "number only up to 9007199254740992, and this one would become {held}; write {advice} "
    "if that is what you mean"
)


def test_a_whole_response_past_2_53_is_refused_when_sent(conn):
    sid = conn.sessions.create(name="wide").id
    conn.sessions(sid).space.put(space=SPACE, population_size=10, replicates=1, wait=True)
    before = session_state(conn, sid)
    path = f"/v1/sessions/{sid}/experiments"
    cases = [
        (2**53 + 1, 2**53, "9007199254740992", False),
        (2**63 - 1, 2**63, "9.223372036854776e+18", False),  # not 2**63: refused in turn
        (-(2**53) - 1, -(2**53), "-9007199254740992", False),
        (2**53 + 1, 2**53, "9007199254740992", True),  # Daptics' string cell
    ]
    for written, held, advice, daptics in cases:
        with pytest.raises(ValidationError) as refused:
            conn.transport.request_json("POST", path, json=table_body(written, daptics=daptics))
        words = EXACT.format(written=written, held=held, advice=advice)
        assert refused.value.status == 422
        assert (
            refused.value.message == f"The table cannot be stored: row 3, column Response: {words}"
        )
        assert [(e["row"], e["column"]) for e in refused.value.errors] == [(3, "Response")]
        assert session_state(conn, sid) == before  # nothing stored, no task queued
    # what the refusal says to write is taken, as are 2**53 and a float written as one
    for response in (2**53, 1.2e21, 9.223372036854776e18, -(2**53)):
        started = conn.transport.request_json("POST", path, json=table_body(response))
        assert conn.sessions(sid).tasks(started["id"]).wait(timeout=60).succeeded
        stored = conn.sessions(sid).experiments.fetch(gen=0)
        assert stored.responses() == (1.5, float(response))


def test_the_client_sends_them_and_the_service_alone_judges_them(conn, tmp_path):
    """The client keeps no copy of the rule: a whole-number response, within 64 bits or
    past them (an int, a CSV cell), is sent, and the service refuses it in its words, by
    row and column (``ValidationError``, a 422), nothing stored, no task. Before, the
    client refused it itself (``TableError``) with a second copy of the same rule."""
    sid = conn.sessions.create(name="one-rule").id
    session = conn.sessions(sid)
    session.space.put(space=SPACE, population_size=10, replicates=1, wait=True)
    before = session_state(conn, sid)
    typed = tmp_path / "measured.csv"
    typed.write_text(f"p1,c,Response\n1,a,2\n2,b,{2**70 + 1}\n")
    rows = [(1, "a", 1.5), (2, "b", None)]
    for table, words in (
        (
            Table(columns=["p1", "c", "Response"], rows=[rows[0], (2, "b", 2**53 + 1)]),
            EXACT.format(written=2**53 + 1, held=2**53, advice="9007199254740992"),
        ),
        (
            Table(columns=["p1", "c", "Response"], rows=[rows[0], (2, "b", 2**70)]),
            f"{2**70} cannot be a response as written: responses are floats, which hold "
            f"whole numbers as written only up to 9007199254740992, and this one would come "
            f"back as {float(2**70)!r}; write {float(2**70)!r} if that is what you mean",
        ),
        (
            typed,
            EXACT.format(written=2**70 + 1, held=2**70, advice=repr(float(2**70))),
        ),
    ):
        with pytest.raises(ValidationError) as refused:
            session.experiments.put(type="initial", table=table, wait=True)
        assert refused.value.status == 422
        assert [(e["row"], e["column"]) for e in refused.value.errors] == [(3, "Response")]
        assert refused.value.errors[0]["message"] == f"row 3, column Response: {words}"
        assert session_state(conn, sid) == before

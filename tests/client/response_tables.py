"""What the tests of a table's Response cells share: a session's space, a table of two
rows whose second response is the one under test, and the state a refusal must leave."""

from __future__ import annotations

from typing import Any

from sigopt_like import Space

SPACE = Space.from_dict(
    {
        "type": "factorial",
        "parameters": [
            {"name": "p1", "type": "numerical", "values": list(range(20))},
            {"name": "c", "type": "categorical", "values": list("abcdefgh")},
        ],
    }
)


def table_body(response: Any, *, daptics: bool = False) -> dict[str, Any]:
    """An initial experiments table whose second row's response is ``response`` (Daptics'
    form, every cell a string, with ``daptics``)."""
    rows = [[1, "a", 1.5], [2, "b", response]]
    if daptics:  # Daptics' form: every cell a string
        table = {"colHeaders": ["p1", "c", "Response"], "data": [[str(v) for v in r] for r in rows]}
    else:
        table = {"columns": ["p1", "c", "Response"], "rows": rows}
    return {"type": "initial", "table": table}


def session_state(conn: Any, sid: str) -> tuple[Any, list[Any]]:
    """The session's experiments and its tasks: what a refusal leaves as it was."""
    session = conn.sessions(sid)
    tasks = [(t.id, t.type, t.status) for t in session.tasks.list()]
    return session.history.fetch().to_dict(), tasks

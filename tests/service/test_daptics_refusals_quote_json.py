"""A Daptics refusal quotes a value the client sent as JSON writes it, as SigOpt's do.

Before, these quoted it with Python's repr: an experiments type (``Unknown experiments
type 'm\\u2028x...'``, 100,000 characters whole until the error layer cut the sentence),
the ``format`` query parameter, a space's level that marks a missing value (``'-'``), a
parameter name holding a control character (``'a\\x1bb'``) and a population size or
replicate count given as something else (a 100,000-item list quoted whole).
"""

from __future__ import annotations

from typing import Any

from sigopt_like.json_kinds import json_shown, json_written_short
from sigopt_like.population import check_design_size
from sigopt_like.spaces import Space

LONG_TYPE = "m\u2028x" + "y" * 300


def _session(api: Any, name: str) -> int:
    made = api.post("/v1/sessions", {"name": name})
    assert made.status == 201, made.body
    return int(made.body["id"])


def test_an_unknown_experiments_type_is_quoted_as_json_writes_it(api: Any) -> None:
    sid = _session(api, "types")
    reply = api.post(
        f"/v1/sessions/{sid}/experiments",
        {"type": LONG_TYPE, "table": {"columns": ["a"], "rows": []}},
    )
    assert reply.status == 422, reply.body
    message = reply.body["message"]
    shown = json_shown(LONG_TYPE)
    assert shown.startswith('"m\\u2028xyyy') and shown.endswith('y" (303 characters)')
    assert message.startswith(f"Unknown experiments type {shown}: use one of"), message
    assert "'m" not in message and "\u2028" not in message, message


def test_an_unknown_history_format_is_quoted_as_json_writes_it(api: Any) -> None:
    """A query parameter's value cut says its length after its closing quote; before,
    ``csvio.clip``'s ``(103 characters)`` went inside the quotes, as if it had been sent."""
    sid = _session(api, "formats")
    reply = api.get(f"/v1/sessions/{sid}/history", format="x'y" + "z" * 100)
    assert reply.status == 400, reply.body
    shown = "\"x'y" + "z" * 65 + '...zzzzzzzzzz" (103 characters)'
    assert shown == json_written_short("x'y" + "z" * 100, 100)
    assert reply.body["message"] == (
        f"The query parameter 'format' must be one of json, csv, not {shown}."
    ), reply.body
    reply = api.get(f"/v1/sessions/{sid}/tasks", limit="x" * 100)
    assert reply.status == 400, reply.body
    assert '"' + "x" * 28 + '...xxxxxxxxxx" (100 characters)' in reply.body["message"], reply.body


def test_a_space_quotes_a_level_and_a_name_as_json_writes_them(api: Any) -> None:
    sid = _session(api, "levels")
    levels = [{"name": "a", "type": "categorical", "values": ["-", "b", "c"]}]
    named = [{"name": "a\x1bb", "type": "categorical", "values": ["b", "c"]}]
    for parameters, said in (
        (levels, "'a' has the value \"-\", which marks a missing value"),
        (named, 'parameter name "a\\u001bb" holds the invisible or control character U+001B'),
    ):
        reply = api.put(
            f"/v1/sessions/{sid}/space",
            {
                "population_size": 2,
                "replicates": 0,
                "space": {"type": "factorial", "parameters": parameters},
            },
        )
        assert reply.status == 422, reply.body
        messages = [error["message"] for error in reply.body["detail"]["errors"]]
        assert any(said in m for m in messages), messages
        assert not any("\x1b" in m or "'-'" in m for m in messages), messages


def test_a_population_not_a_whole_number_is_quoted_short() -> None:
    """A Python caller's check (``population.check_design_size``), also the service's."""
    space = Space.from_dict(
        {
            "type": "factorial",
            "parameters": [{"name": "a", "type": "categorical", "values": ["b", "c"]}],
        }
    )
    messages = [p.message for p in check_design_size(space, "2", [0] * 100_000)]
    assert messages[0] == 'population_size must be a whole number, not "2"', messages
    assert messages[1] == (
        "replicates must be a whole number, not [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "
        "0...] (300,000 characters of JSON)"
    ), messages


def test_a_name_with_a_control_character_never_reaches_a_problem_raw(api: Any) -> None:
    """Before: ``parameter 'a<ESC>b<U+202E>' has no type`` carried the ESC and the U+202E
    (which reverses what a terminal shows after it) to whoever read the refusal; a
    problem's message and column now write such characters as JSON's ``\\uXXXX``."""
    sid = _session(api, "escapes")
    reply = api.put(
        f"/v1/sessions/{sid}/space",
        {
            "population_size": 2,
            "replicates": 0,
            "space": {"type": "factorial", "parameters": [{"name": "a\x1bb\u202e", "values": [1]}]},
        },
    )
    assert reply.status == 422, reply.body
    messages = [reply.body["message"]] + [e["message"] for e in reply.body["detail"]["errors"]]
    assert any("parameter 'a\\u001bb\\u202e' has no type" in m for m in messages), messages
    assert not any("\x1b" in m or "\u202e" in m for m in messages), messages

"""A level written as a whole number a float cannot hold is refused, saying what to write;
and what it says to write is taken, as JSON by the service's door too.

Before: a level of ``2**63 - 1`` sent as JSON was told to "write 9223372036854775808",
the whole number its float holds, which is past 64 bits: the door refused it in turn
("beyond the integers this service stores"). Past 64 bits the advice is now the float's
form, which a JSON body and a space file both take.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from sigopt_like import Connection, Space, ValidationError
from sigopt_like.spaces import SpaceError

CASES = [
    (2**63 - 1, "9.223372036854776e+18"),
    (-(2**63) + 1, "-9.223372036854776e+18"),
    (2**53 + 1, "9007199254740992"),  # within 64 bits: the whole number, as before
]


def _space(level: Any) -> dict[str, Any]:
    return {
        "type": "factorial",
        "parameters": [
            {"name": "t", "type": "numerical", "values": [0, level]},
            {"name": "c", "type": "categorical", "values": ["a", "b"]},
        ],
    }


@pytest.mark.parametrize(("written", "advice"), CASES)
def test_a_wide_level_is_told_a_number_the_service_takes(
    conn: Connection, written: int, advice: str
) -> None:
    sid = conn.sessions.create(name="wide-level").id
    path = f"/v1/sessions/{sid}/space"
    body = {"space": _space(written), "population_size": 2, "replicates": 0}
    with pytest.raises(ValidationError) as refused:
        conn.transport.request_json("PUT", path, json=body)
    assert f"{written} cannot be a level exactly" in refused.value.message
    assert f"write {advice} if that is what you mean" in refused.value.message
    assert conn.sessions(sid).tasks.list().data == []  # no task started
    # what it says to write, written so in a JSON body: taken
    body["space"] = _space(json.loads(advice))
    task = conn.transport.request_json("PUT", path, json=body)
    assert conn.sessions(sid).tasks(task["id"]).wait(timeout=60).succeeded
    assert conn.sessions(sid).space.fetch().parameters[0].values[1] == float(json.loads(advice))


@pytest.mark.parametrize(("written", "advice"), CASES)
def test_a_space_file_is_told_the_same(written: int, advice: str) -> None:
    with pytest.raises(SpaceError, match=re.escape(f"write {advice} if that is what you mean")):
        Space.from_csv(f"t,numerical,0,{written}\nc,categorical,a,b\n", type="factorial")
    space = Space.from_csv(f"t,numerical,0,{advice}\nc,categorical,a,b\n", type="factorial")
    assert space.parameters[0].values == (0.0, float(json.loads(advice)))

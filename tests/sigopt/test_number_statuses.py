"""One mistake, one status: a number too large (or too small) for a SigOpt whole-number
field is a 422 naming the field, its range and the number as written, however the number
is written, on a served service (127.0.0.1) and an embedded one.

Before, an integer past 64 bits (``2**70`` written as a JSON integer, or one of more
than Python's 4,300 digits) in ``observation_budget``, ``parallel_bandwidth`` or an int
parameter's bounds was a 400, while ``1e19`` or ``1e308`` in the same field was a 422:
the same mistake, two statuses, two client exceptions. A body that is not JSON
(``NaN``, ``Infinity``) stays a 400 ``invalid_json``; nothing is stored either way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sigopt_like import Connection
from sigopt_like.errors import BadRequestError, ValidationError

from .conftest import Api

INT64_MAX = 2**63 - 1
JSON = {"Content-Type": "application/json"}
DOUBLE = {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}

#: (how the number is written in the body, how the message quotes it)
TOO_BIG = [
    (str(2**70), str(2**70)),
    (str(-(2**70)), str(-(2**70))),
    ("1e19", "1e+19"),
    ("1e308", "1e+308"),
    ("-0.0", "-0.0"),
    ("1" + "0" * 4300, "10000000000000000000... (a number of 4,301 digits)"),
]

#: (field as detail names it, the body with "N" where the number goes, its range)
FIELDS = [
    (
        "observation_budget",
        {"name": "n", "parameters": [DOUBLE], "observation_budget": "N"},
        (1, INT64_MAX),
    ),
    (
        "parallel_bandwidth",
        {"name": "n", "parameters": [DOUBLE], "parallel_bandwidth": "N"},
        (1, 10_000),
    ),
    (
        "parameters[0].bounds.min",
        {
            "name": "n",
            "parameters": [{"name": "i", "type": "int", "bounds": {"min": "N", "max": 0}}],
        },
        (-(2**63), 2**63 - 1024),  # the whole numbers within 64 bits a double holds
    ),
]


def _raw(body: dict[str, Any], number: str) -> str:
    return json.dumps(body).replace('"N"', number)


def _applies(field: str, written: str) -> bool:
    """Whether a number is past ``field``'s range as a 422: -0.0 is within an int bound's
    range (it is 0), and a number past a double's range below a body's top level is the
    door's 400 (docs/sigopt.md), not a field's."""
    if field.startswith("parameters"):
        return written != "-0.0" and len(written) <= 308
    return True


CASES = [
    pytest.param(field, body, within, written, shown, id=f"{field}-{written[:8]}")
    for field, body, within in FIELDS
    for written, shown in TOO_BIG
    if _applies(field, written)
]


@pytest.mark.parametrize(("field", "body", "within", "written", "shown"), CASES)
def test_a_number_past_a_whole_number_field_is_a_422_naming_it(
    api: Api, field: str, body: dict[str, Any], within: tuple[int, int], written: str, shown: str
) -> None:
    before = api.snapshot()
    reply = api.call("POST", "/v1/experiments", data=_raw(body, written), headers=JSON)
    assert reply.status == 422, reply.body
    assert reply.body["code"] == "validation_failed", reply.body
    assert reply.body["detail"]["field"] == field, reply.body
    assert reply.body["message"].startswith(
        f"'{field}' is {shown}, outside its range: it takes a whole number from "
        f"{within[0]} to {within[1]}"
    ), reply.body
    assert api.snapshot() == before


@pytest.mark.parametrize("field", ["observation_budget", "parallel_bandwidth"])
@pytest.mark.parametrize(("written", "shown"), TOO_BIG, ids=[t[0][:8] for t in TOO_BIG])
def test_an_update_answers_the_same(api: Api, field: str, written: str, shown: str) -> None:
    eid = api.create_experiment()["id"]
    before = api.snapshot()
    reply = api.call(
        "PUT", f"/v1/experiments/{eid}", data=_raw({field: "N"}, written), headers=JSON
    )
    assert reply.status == 422, reply.body
    assert reply.body["detail"]["field"] == field and shown in reply.body["message"]
    assert api.snapshot() == before


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_a_token_that_is_not_json_is_a_400(api: Api, token: str) -> None:
    before = api.snapshot()
    body = {"name": "n", "parameters": [DOUBLE], "observation_budget": "N"}
    reply = api.call("POST", "/v1/experiments", data=_raw(body, token), headers=JSON)
    assert reply.status == 400 and reply.body["code"] == "invalid_json", reply.body
    assert api.snapshot() == before


@pytest.mark.parametrize("field", ["observation_budget", "parallel_bandwidth"])
def test_an_integral_float_is_the_whole_number(api: Api, field: str) -> None:
    """``1.0`` is 1: JSON has one number type (docs/sigopt.md)."""
    reply = api.call(
        "POST", "/v1/experiments", data=_raw(FIELDS[0][1] | {field: "N"}, "1.0"), headers=JSON
    )
    assert reply.status == 201, reply.body
    assert reply.body[field] == 1


@pytest.mark.parametrize("value", [2**70, -(2**70), 1e19, 1e308])
def test_our_client_raises_one_exception_for_each(tmp_path: Path, value: float) -> None:
    """The embedded service through our client: a ValidationError (422) for 2**70 as for
    1e19, never BadRequestError; nothing created."""
    conn = Connection(client_token="client", database=tmp_path / "n.db")
    try:
        for field in ("observation_budget", "parallel_bandwidth"):
            with pytest.raises(ValidationError) as caught:
                conn.experiments().create(name="n", parameters=[DOUBLE], **{field: value})
            assert not isinstance(caught.value, BadRequestError)
            assert caught.value.status == 422 and caught.value.detail["field"] == field
            assert "outside its range" in str(caught.value)
        assert list(conn.experiments().fetch().iterate_pages()) == []
    finally:
        conn.close()


#: a Daptics body's whole-number fields: (route, field, the body with "N", its range)
SPACE = {
    "type": "factorial",
    "parameters": [{"name": "a", "type": "numerical", "values": [0, 1, 2, 3]}],
}
DAPTICS = [
    (
        "space",
        "population_size",
        {"space": SPACE, "population_size": "N", "replicates": 1},
        (1, 2500),
    ),
    ("space", "replicates", {"space": SPACE, "population_size": 2, "replicates": "N"}, (0, 27499)),
    ("simulate", "ngens", {"ngens": "N"}, (1, 100)),
    ("", "seed", {"name": "s", "seed": "N"}, (0, 2147483647)),
]

DAPTICS_CASES = [
    pytest.param(route, field, body, within, written, shown, id=f"{field}-{written[:8]}")
    for route, field, body, within in DAPTICS
    for written, shown in TOO_BIG
    if not (written == "-0.0" and within[0] == 0)  # -0.0 is 0, within such a range
]


@pytest.mark.parametrize(("route", "field", "body", "within", "written", "shown"), DAPTICS_CASES)
def test_a_daptics_field_answers_the_same(
    api: Api,
    route: str,
    field: str,
    body: dict[str, Any],
    within: tuple[int, int],
    written: str,
    shown: str,
) -> None:
    """Before: ``population_size`` of 2**70 or 1e19 was a 400 where a SigOpt field's was a
    422. A body's field is a 422 now; a query parameter past its range stays a 400."""
    if route:
        sid = api.post("/v1/sessions", {"name": "n"}).body["id"]
        method = "PUT" if route == "space" else "POST"
        path = f"/v1/sessions/{sid}/{route}"
    else:
        method, path = "POST", "/v1/sessions"
    sessions = api.get("/v1/sessions").body["data"]
    reply = api.call(method, path, data=_raw(body, written), headers=JSON)
    assert reply.status == 422, reply.body
    assert reply.body["code"] == "validation_failed" and reply.body["detail"]["field"] == field
    assert reply.body["message"] == (
        f"The field '{field}' is {shown}, outside its range: it takes a whole number from "
        f"{within[0]} to {within[1]}."
    ), reply.body
    assert api.get("/v1/sessions").body["data"] == sessions
    if route:
        assert api.get(f"/v1/sessions/{sid}/tasks").body["data"] == []

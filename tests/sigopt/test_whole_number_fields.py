"""Every whole-number field of the SigOpt routes answers a number past it with its own
range, in one sentence, however the number is written.

Before, ``"parallel_bandwidth": 2**70`` said "an integer past the 64 bits this service
stores" (each field called its own ``refuse_wide_integer``, 9 places), ``1e19`` said
"must be at most ...", ``0`` "must be at least 1", and an integer past a double's range
(400 digits) or Python's 4,300 digits got the door's words, "beyond a float's range,
which no field takes", naming no range. Now one reader (``sigopt_checks.whole_number``)
says "'<field>' is <number as sent>, outside its range: it takes a whole number from a
to b." for all of them, and nothing is stored.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from sigopt_like.service.domain.sigopt_checks import PARALLEL_BANDWIDTH_NOTE

from .conftest import Api
from .test_openapi_bodies import EXAMPLES, X, example_ids, snapshot

#: integers written in a body (raw JSON text): past 64 bits, past a double's range, past
#: the 4,300 digits Python converts; with how each is shown back
WIDE = (str(2**70), str(2**70))
PAST_DOUBLE = ("1" + "0" * 400, "10000000000000000000... (a number of 401 digits)")
LONG = ("9" * 5000, "99999999999999999999... (a number of 5,000 digits)")
EVERY_WAY = [WIDE, PAST_DOUBLE, LONG, ("1e308", "1e+308"), ("-1", "-1")]
INT64_MAX = 2**63 - 1
JSON = {"Content-Type": "application/json"}
#: what the sentence adds after a field's range, where it says why the range is what it is
WHY = {"parallel_bandwidth": f" ({PARALLEL_BANDWIDTH_NOTE})"}


def _raw(body: dict[str, Any], number: str) -> str:
    """``body`` as JSON text, the string ``"N"`` in it written as the integer ``number``."""
    return json.dumps(body).replace('"N"', number)


def _experiment(**extra: Any) -> dict[str, Any]:
    return {"name": "ranges", "parameters": [X], **extra}


#: (field, the body it is sent in, the range it takes)
TOP_LEVEL = [
    ("observation_budget", _experiment(observation_budget="N"), (1, INT64_MAX)),
    ("parallel_bandwidth", _experiment(parallel_bandwidth="N"), (1, 10_000)),
    ("num_solutions", _experiment(num_solutions="N"), (1, 2**31 - 1)),
    ("seed", _experiment(seed="N"), (0, 2**62)),
]


@pytest.mark.parametrize(("field", "body", "within"), TOP_LEVEL)
def test_a_creates_whole_number_field_says_its_range(api: Api, field, body, within):
    before = api.snapshot()
    for written, shown in EVERY_WAY:
        reply = api.call("POST", "/v1/experiments", data=_raw(body, written), headers=JSON)
        said = f"'{field}' is {shown}, outside its range: it takes a whole number from "
        assert reply.status == 422, (written, reply)  # was 400 past 64 bits
        why = WHY.get(field, "")
        assert reply.body["message"] == f"{said}{within[0]} to {within[1]}{why}.", reply.body
        assert reply.body["detail"]["field"] == field
    assert api.snapshot() == before


def test_an_update_an_ai_budget_and_an_id_say_their_range(api: Api):
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}"
    client = api.get("/v1/tokens/self").body["client"]
    ai_path = f"/v1/clients/{client}/projects/ranges/aiexperiments"
    ai = {"name": "ai", "parameters": [X], "metrics": [{"name": "v"}], "budget": "N"}
    observation = {"assignments": {"x": 1, "n": 1, "c": "a"}, "value": 1, "suggestion": "N"}
    before = api.snapshot()
    for method, path, body, field, within in (
        ("PUT", base, {"parallel_bandwidth": "N"}, "parallel_bandwidth", (1, 10_000)),
        ("PUT", base, {"observation_budget": "N"}, "observation_budget", (1, INT64_MAX)),
        ("POST", ai_path, ai, "budget", (1, INT64_MAX)),
        ("POST", f"{base}/observations", observation, "suggestion", (1, 2**31 - 1)),
    ):
        for written, shown in (WIDE, PAST_DOUBLE, LONG):
            reply = api.call(method, path, data=_raw(body, written), headers=JSON)
            assert reply.status == 422, (path, written, reply)
            assert reply.body["message"] == (
                f"'{field}' is {shown}, outside its range: it takes a whole number from "
                f"{within[0]} to {within[1]}{WHY.get(field, '')}."
            ), reply.body
    assert api.snapshot() == before


def test_nested_whole_numbers_say_their_range(api: Api):
    """An int parameter's assignment takes its bounds (was "an integer past the 64 bits
    this service stores"); a precision 1 to 15 (was "must be an integer from 1 to 15")."""
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}"
    before = api.snapshot()
    for written, shown in (WIDE, ("16", "16"), ("-1", "-1")):
        body = {"assignments": {"x": 1, "n": "N", "c": "a"}, "value": 1}
        reply = api.call("POST", f"{base}/observations", data=_raw(body, written), headers=JSON)
        assert reply.status == 422, reply
        assert reply.body["message"] == (
            f"'assignments.n' is {shown}, outside its range: it takes a whole number from 0 to 15."
        ), reply.body
    precise = {**X, "precision": "N"}
    reply = api.call(
        "POST",
        "/v1/experiments",
        data=_raw(_experiment(parameters=[precise]), WIDE[0]),
        headers=JSON,
    )
    assert reply.status == 422, reply
    assert reply.body["message"] == (
        f"'parameters[0].precision' is {WIDE[1]}, outside its range: it takes a whole number "
        "from 1 to 15."
    )
    assert api.snapshot() == before


def test_an_int_parameters_value_past_its_bounds_is_a_422_wherever_it_is_given(api: Api):
    """Before: 2**70 for an int parameter was a 400 where 1e308 and 16 were 422s, in the
    same sentence: its bounds are the experiment's rule, and past them is a content error
    however the number is written. Every place that takes a value of the parameter:
    observations (create, batch, update), suggestions and queued suggestions with
    assignments, and a parameter's ``default_value``."""
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}"
    made = api.post(f"{base}/observations", {"assignments": {"x": 1, "n": 1, "c": "a"}, "value": 1})
    assert made.status == 201, made.body
    point = {"x": 1, "n": "N", "c": "a"}
    places = (
        ("POST", f"{base}/observations", {"assignments": point, "value": 1}, "assignments.n"),
        (
            "POST",
            f"{base}/observations/batch",
            {"observations": [{"assignments": point, "value": 1}]},
            "observations[0].assignments.n",
        ),
        ("PUT", f"{base}/observations/{made.body['id']}", {"assignments": point}, "assignments.n"),
        ("POST", f"{base}/suggestions", {"assignments": point}, "assignments.n"),
        ("POST", f"{base}/queued_suggestions", {"assignments": point}, "assignments.n"),
    )
    before = api.snapshot()
    for written, shown in (WIDE, (str(-(2**70)), str(-(2**70))), ("1e308", "1e+308")):
        for method, path, body, field in places:
            reply = api.call(method, path, data=_raw(body, written), headers=JSON)
            assert reply.status == 422, (path, written, reply)
            assert reply.body["code"] == "validation_failed", reply.body
            assert reply.body["detail"]["field"] == field, reply.body
            assert reply.body["message"] == (
                f"'{field}' is {shown}, outside its range: it takes a whole number from 0 to 15."
            ), reply.body
        n = {"name": "n", "type": "int", "bounds": {"min": 0, "max": 15}, "default_value": "N"}
        reply = api.call(
            "POST", "/v1/experiments", data=_raw(_experiment(parameters=[n]), written), headers=JSON
        )
        assert reply.status == 422, (written, reply)
        assert reply.body["message"] == (
            f"'parameters[0].default_value' is {shown}, outside its range: it takes a whole "
            "number from 0 to 15."
        ), reply.body
    assert api.snapshot() == before


def test_no_top_level_field_of_any_sigopt_body_takes_an_integer_past_a_double(service):
    """The door leaves an integer past a double's range (or Python's 4,300 digits) at the
    top of a SigOpt body to its field's check, so each field of every body the OpenAPI
    document describes is tried with one: a 4xx naming that field, nothing stored, never a
    5xx (a field that took it unchecked would store an infinity)."""
    api = Api(service)
    ids = example_ids(api)
    tried = 0
    for example in EXAMPLES:
        method, path, body = example(api, ids)
        before = snapshot(api)
        for key in body:
            for written, _ in (PAST_DOUBLE, LONG):
                raw = _raw({**body, key: "N"}, written)
                reply = api.call(method, path, data=raw, headers=JSON)
                where = (example.__name__, key, written[:5])
                assert 400 <= reply.status < 500, (where, reply)
                assert reply.body["detail"]["field"] == key, (where, reply.body)
                assert snapshot(api) == before, where
                tried += 1
        assert 200 <= api.call(method, path, body).status < 300, example.__name__
    assert tried > 100

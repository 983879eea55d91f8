"""Input that says two things at once is refused, never read one way in silence.

A JSON object that names a field twice (``{"value": 1, "value": 2}``) parses in Python
to the last value, the first dropped unseen; a query parameter given twice
(``?state=open&state=closed``) was read as its last value. Both are a 400 naming the
field, with nothing changed, on the embedded and the served service.
"""

from __future__ import annotations

import json

import pytest

from tests.fixtures.api import assert_error

from .conftest import PARAMETERS, Api

JSON = {"Content-Type": "application/json"}


def _raw(api: Api, method: str, path: str, text: str):
    return api.call(method, path, data=text.encode("utf-8"), headers=JSON)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"assignments": {"x": 1, "n": 3, "c": "a"}, "value": 1, "value": 2}', "value"),
        ('{"assignments": {"x": 1, "x": 2, "n": 3, "c": "a"}, "value": 1}', "assignments.x"),
        (
            '{"assignments": {"x": 1, "n": 3, "c": "a"}, "value": 1, '
            '"metadata": {"lab": "A", "lab": "B"}}',
            "metadata.lab",
        ),
    ],
)
def test_an_observation_that_names_a_field_twice_is_refused(api: Api, text: str, field: str):
    e = api.create_experiment(seed=3)
    before = api.snapshot()
    reply = _raw(api, "POST", f"/v1/experiments/{e['id']}/observations", text)
    assert_error(reply, 400, "bad_request", "more than once", field.rsplit(".", 1)[-1])
    assert reply.body["detail"]["field"] == field
    assert api.snapshot() == before


def test_a_definition_that_names_a_field_twice_is_refused(api: Api):
    body = json.dumps({"name": "twice", "parameters": PARAMETERS, "observation_budget": 10})
    text = body.replace('"max": 10}', '"max": 10, "max": 100}', 1)
    assert text != body
    before = api.snapshot()
    reply = _raw(api, "POST", "/v1/experiments", text)
    assert_error(reply, 400, "bad_request", "'max' more than once")
    assert reply.body["detail"]["field"] == "parameters[0].bounds.max"
    assert api.snapshot() == before
    # the same body without the repeat is taken as sent
    assert _raw(api, "POST", "/v1/experiments", body).status == 201


def test_an_update_that_names_a_field_twice_changes_nothing(api: Api):
    e = api.create_experiment(seed=3, observation_budget=10)
    twice = '{"observation_budget": 20, "observation_budget": 30}'
    reply = _raw(api, "PUT", f"/v1/experiments/{e['id']}", twice)
    assert_error(reply, 400, "bad_request", "request body", "more than once")
    assert reply.body["detail"]["field"] == "observation_budget"
    assert api.get(f"/v1/experiments/{e['id']}").body["observation_budget"] == 10


def test_a_query_parameter_given_twice_is_refused(api: Api):
    e = api.create_experiment(seed=3)
    base = f"/v1/experiments/{e['id']}/suggestions"
    opened = [api.post(base).body["id"] for _ in range(2)]
    reply = api.get(base, state=["open", "closed"])
    assert_error(reply, 400, "bad_request", "'state' is given 2 times", '"open", "closed"')
    assert reply.body["detail"]["field"] == "state"
    assert_error(api.get(base, limit=[1, 2]), 400, "bad_request", "'limit' is given 2 times")
    # a DELETE read as its last value deleted the open suggestions: nothing is deleted now
    before = api.snapshot()
    reply = api.delete(base, state=["closed", "open"])
    assert_error(reply, 400, "bad_request", "'state' is given 2 times")
    assert api.snapshot() == before
    listed = api.get(base, state="open").body
    assert sorted(s["id"] for s in listed["data"]) == sorted(opened)


@pytest.mark.parametrize("limit", ["\u0661\u0660", "1_0", "+5", " 5", "5 ", "0x10", "1e1"])
def test_a_query_integer_is_ascii_digits(api: Api, limit: str):
    """Before: ``?limit=`` Arabic-Indic digits, ``1_0``, ``+5`` or `` 5`` were read by
    Python's int() as numbers (no other reader of the URL would); ``-1``, ``7`` work."""
    e = api.create_experiment(seed=3)
    base = f"/v1/experiments/{e['id']}/observations"
    reply = api.get(base, limit=limit)
    assert_error(reply, 400, "bad_request", "'limit' must be a whole number from 0 to 1000")
    assert api.get(base, limit="7").status == 200
    assert_error(api.get(base, limit="-1"), 400, "bad_request", "'limit' is -1,", "from 0 to 1000")


def test_a_query_integer_in_other_digits_says_to_write_ascii_digits(api: Api):
    """Before: ``?limit=`` in Arabic-Indic or fullwidth digits was refused as not "written in
    digits", which it is; the refusal now says which digits, giving the number."""
    e = api.create_experiment(seed=3)
    base = f"/v1/experiments/{e['id']}/observations"
    for limit in ("\u0661\u0660", "\uff11\uff10"):
        reply = api.get(base, limit=limit)
        assert_error(reply, 400, "bad_request", "written in ASCII digits", "ASCII digits: 10)")


@pytest.mark.parametrize("value", [0, -0.0, False, "", [], {}])
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        (lambda v: {"metrics": [{"name": "m", "objective": v}]}, "metrics[0].objective"),
        (lambda v: {"metrics": [{"name": "m", "strategy": v}]}, "metrics[0].strategy"),
        (lambda v: {"type": v}, "type"),
    ],
)
def test_a_choice_sent_as_an_empty_or_false_value_is_refused(api: Api, value, fields, field):
    """Before: ``"objective": 0`` (or false, "", [], {}) was read as not given, so the
    experiment was made to maximize the metric (strategy optimize, type offline), 201."""
    before = api.snapshot()
    reply = api.post(
        "/v1/experiments", {"name": "falsy", "parameters": PARAMETERS, **fields(value)}
    )
    assert reply.status in (400, 422), reply.text
    assert reply.body["detail"]["field"] == field, reply.body
    assert field in reply.body["message"]
    assert api.snapshot() == before

"""The task and auth routes answer an integer in their own words, not the door's.

Before, ``{"name": 2**70}`` to ``POST /v1/tokens`` and ``{"email": 2**70}`` to
``POST /v1/login`` were told that "a whole-number field (a seed, a count, a budget)
takes -9223372036854775808 to 9223372036854775807", of fields that take text; a task's
cancel was told the same of a field it does not have, and took ``{"x": 1}`` (read by no
one) and cancelled all the same. An integer of more than 4,300 digits was "The request
body holds an integer of more than 4300 digits", naming no field. Now the field's own
check answers: a kind, a range, or an unknown field; nothing is made or cancelled.
"""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa

from sigopt_like.service import Service
from sigopt_like.service.store import schema
from sigopt_like.service.worker import Outcome
from tests.fixtures.api import ServiceApi

WIDE = str(2**70)
LONG = "9" * 5000
JSON = {"Content-Type": "application/json"}


def _tokens(service: Service) -> int:
    with service.context.store.database.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(schema.tokens)).scalar_one()


def test_auth_fields_given_an_integer_say_what_they_take(service: Service) -> None:
    api = ServiceApi(service)
    before = _tokens(service)
    for path, raw, field, takes in (
        ("/v1/tokens", '{"name": %s}', "name", "a string"),
        ("/v1/login", '{"email": %s, "password": "secret-pass"}', "email", "a string"),
        ("/v1/login", '{"email": "a@b.c", "password": %s}', "password", "a string"),
    ):
        for number in (WIDE, LONG):
            reply = api.call("POST", path, data=raw % number, headers=JSON)
            assert reply.status == 400, (path, reply)
            assert reply.body["message"] == (
                f"The field '{field}' must be {takes}, not an integer."
            ), reply.body
            assert reply.body["detail"] == {"field": field}
    assert _tokens(service) == before


def test_a_cancel_refuses_a_body_field_and_cancels_nothing(service: Service) -> None:
    release = threading.Event()

    def held(ctx: Any) -> Outcome:
        while not release.wait(0.05):
            ctx.check()
        return Outcome(result={})

    service.context.runner.handlers["space"] = held
    api = ServiceApi(service)
    sid = api.post("/v1/sessions", {"name": "cancel"}).body["id"]
    space = {
        "type": "factorial",
        "parameters": [{"name": "a", "type": "numerical", "values": [0, 1, 2, 3]}],
    }
    body = {"space": space, "population_size": 2, "replicates": 0}
    started = api.put(f"/v1/sessions/{sid}/space", body)
    assert started.status == 202, started
    cancel = f"/v1/sessions/{sid}/tasks/{started.body['id']}/cancel"
    try:
        for number in ("1", WIDE, LONG):
            raw = '{"x": ' + number + "}"
            reply = api.call("POST", cancel, data=raw, headers=JSON)
            assert reply.status == 400, reply
            assert reply.body["message"] == "Unknown field(s) 'x'; allowed: none.", reply.body
            task = api.get(f"/v1/sessions/{sid}/tasks/{started.body['id']}").body
            assert task["cancel_requested"] is False, task
        assert api.post(cancel).status == 200
    finally:
        release.set()


def test_a_task_query_number_past_its_range_gives_the_range(service: Service) -> None:
    api = ServiceApi(service)
    sid = api.post("/v1/sessions", {"name": "waits"}).body["id"]
    space = {
        "type": "factorial",
        "parameters": [{"name": "a", "type": "numerical", "values": [0, 1]}],
    }
    task = api.put(
        f"/v1/sessions/{sid}/space", {"space": space, "population_size": 1, "replicates": 0}
    ).body
    path = f"/v1/sessions/{sid}/tasks/{task['id']}"
    for name, value, within in (("wait", "61", "0 to 60"), ("version", "-1", "0 to 2147483647")):
        reply = api.get(path, **{name: value})
        assert reply.status == 400, reply
        assert reply.body["message"] == (
            f"The query parameter '{name}' is {value}, outside its range: it takes a whole "
            f"number from {within}."
        )


def test_an_integer_of_thousands_of_digits_is_named_where_it_is(service: Service) -> None:
    """A field of a campaign body says its range; a place no field reads is named by the
    door; a table's cell by row and column."""
    api = ServiceApi(service)
    sid = api.post("/v1/sessions", {"name": "digits"}).body["id"]
    shown = "99999999999999999999... (a number of 5,000 digits)"
    reply = api.call(
        "POST", f"/v1/sessions/{sid}/simulate", data='{"ngens": ' + LONG + "}", headers=JSON
    )
    assert reply.status == 422, reply  # the field's range, as of 101 (was 400)
    assert reply.body["message"] == (
        f"The field 'ngens' is {shown}, outside its range: it takes a whole number from 1 to 100."
    )
    reply = api.call("POST", f"/v1/sessions/{sid}/halt", data='{"x": [' + LONG + "]}", headers=JSON)
    assert reply.status == 400 and reply.body["detail"] == {"field": "x[0]"}, reply
    assert reply.body["message"].startswith(f"The field 'x[0]' is {shown}, beyond the integers")
    table = '{"type": "initial", "table": {"columns": ["a", "Response"], "rows": [[1, %s]]}}'
    reply = api.call("POST", f"/v1/sessions/{sid}/experiments", data=table % LONG, headers=JSON)
    assert reply.status == 422, reply
    assert "row 2, column Response" in reply.body["message"], reply.body
    assert api.get(f"/v1/sessions/{sid}").body["status"] == "active"


def test_a_session_update_and_halt_given_an_integer_say_what_they_take(service: Service) -> None:
    """``PUT /v1/sessions/{id}`` and its halt were told the door's 64-bit sentence of
    fields they do not have, or that take text; now the fields' own checks answer."""
    api = ServiceApi(service)
    sid = api.post("/v1/sessions", {"name": "kept"}).body["id"]
    for number in (WIDE, LONG):
        for path, method, raw, message in (
            (f"/v1/sessions/{sid}", "PUT", '{"x": %s}', "Unknown field(s) 'x'"),
            (f"/v1/sessions/{sid}/halt", "POST", '{"x": %s}', "Unknown field(s) 'x'"),
            (f"/v1/sessions/{sid}", "PUT", '{"name": %s}', "The field 'name' must be"),
        ):
            reply = api.call(method, path, data=raw % number, headers=JSON)
            assert reply.status == 400, (path, raw, reply)
            assert reply.body["message"].startswith(message), reply.body
    session = api.get(f"/v1/sessions/{sid}").body
    assert (session["name"], session["status"]) == ("kept", "active")

"""One JSON error body everywhere; strict JSON bodies; a request id on every response."""

from __future__ import annotations

import json

import falcon
import falcon.testing
import pytest

from sigopt_like.service.errors import APIError, install_error_handlers
from sigopt_like.service.http import read_json

from .conftest import assert_error


def test_unknown_route_is_404_with_the_error_body(api):
    reply = api.call("GET", "/v1/nothing-here")
    assert_error(reply, 404, "not_found", "/v1/nothing-here")


def test_wrong_method_is_405_with_the_error_body(api):
    reply = api.call("DELETE", "/v1/sessions")
    assert_error(reply, 405, "method_not_allowed", "DELETE", "allowed")


def test_a_method_no_server_knows_is_a_400_that_names_the_methods(api):
    """Before: Falcon's "Invalid HTTP method", which named neither the method nor the ones
    the service answers (a method it knows, PROPFIND say, was a 405 naming them)."""
    reply = api.call("BREW", "/v1/sessions")
    assert_error(reply, 400, "bad_request", "BREW is not an HTTP method", "GET, HEAD, POST")


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"{not json", ["not valid json"]),
        (b"[1, 2]", ["json object", "list"]),
        (b'"text"', ["json object", "string"]),
        (b"", ["needs a json object"]),
        (b'{"name": NaN}', ["nan"]),
        (b"\xff\xfe", ["utf-8"]),
    ],
)
def test_malformed_body_is_400_and_creates_nothing(api, raw, words):
    reply = api.call("POST", "/v1/sessions", data=raw, headers={"Content-Type": "application/json"})
    assert_error(reply, 400, "invalid_json", *words)
    assert api.sessions_count() == 0


def test_request_id_generated_and_echoed(api):
    generated = api.call("GET", "/health")
    assert len(generated.headers["X-Request-Id"]) == 32
    echoed = api.call("GET", "/v1/nothing", headers={"X-Request-Id": "abc-123"})
    assert echoed.headers["X-Request-Id"] == "abc-123"
    insane = api.call("GET", "/health", headers={"X-Request-Id": "bad id\twith spaces"})
    assert insane.headers["X-Request-Id"] != "bad id\twith spaces"


def test_body_over_the_limit_is_413_naming_the_limit(tmp_path):
    from sigopt_like.service import create_app

    with create_app(database=str(tmp_path / "db.sqlite"), max_body_bytes=100) as svc:
        client = falcon.testing.TestClient(svc.app)
        big = '{"name": "' + "x" * 200 + '"}'
        r = client.simulate_post(
            "/v1/sessions", body=big, headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 413
        assert r.json["code"] == "payload_too_large"
        assert "100 bytes" in r.json["message"]
        assert r.headers["X-Request-Id"]


def _tiny_app() -> falcon.App:
    class Boom:
        def on_get(self, req, resp):
            raise RuntimeError("secret internals")

        def on_post(self, req, resp):
            resp.media = read_json(req)

        def on_put(self, req, resp):
            raise APIError("a teapot", status=418, code="teapot", headers={"X-Why": "tea"})

    app = falcon.App()
    install_error_handlers(app)
    app.add_route("/boom", Boom())
    return app


def test_unexpected_error_is_500_without_internals():
    client = falcon.testing.TestClient(_tiny_app())
    r = client.simulate_get("/boom")
    assert r.status_code == 500
    assert r.json["code"] == "internal"
    assert "secret internals" not in r.text


def test_api_error_keeps_status_code_and_headers():
    client = falcon.testing.TestClient(_tiny_app())
    r = client.simulate_put("/boom")
    assert r.status_code == 418
    assert r.json == {
        "object": "error",
        "status": 418,
        "code": "teapot",
        "message": "a teapot",
        "detail": {},
    }
    assert r.headers["X-Why"] == "tea"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1.0, True])
def test_a_duration_setting_must_be_a_finite_number(tmp_path, value):
    """A NaN lifetime became a 500 where it turned into whole seconds (the first guest
    token of ``guest_token_days=nan``): the settings refuse it when the service is made;
    True, too, is no duration (it was taken as 1 s, 1 hour or 1 day)."""
    from sigopt_like.service import create_app

    names = ("guest_token_days", "dashboard_session_hours", "idempotency_wait_seconds")
    for name in (*names, "task_time_limit_seconds"):
        with pytest.raises(ValueError, match=f"{name} must be a finite number"):
            create_app(database=str(tmp_path / "s.db"), **{name: value})


def test_a_duration_setting_stops_at_a_hundred_years(tmp_path):
    """Past what a timeout or a stored timestamp holds, every request that used the setting
    was a 500: ``suggestion_time_budget_seconds=1e308`` every suggestion (the engine's
    thread join overflowed), ``guest_token_days=1e300`` every guest token (SQLite's integer)."""
    import attrs

    from sigopt_like.service import create_app
    from sigopt_like.service.settings import ServiceSettings

    names = [f.name for f in attrs.fields(ServiceSettings) if f.metadata.get("duration")]
    assert {"suggestion_time_budget_seconds", "guest_token_days"} <= set(names)
    for name in names:
        with pytest.raises(ValueError, match=f"{name} must be at most .* \\(100 years\\)"):
            create_app(database=str(tmp_path / "s.db"), **{name: 1e300})
    years = ServiceSettings(guest_token_days=36_500, dashboard_session_hours=876_000)
    assert years.guest_token_seconds == 36_500 * 86_400  # the longest the CLI takes still is


SPACE = {
    "type": "factorial",
    "parameters": [
        {"name": "t", "type": "numerical", "values": [1, 2, 3]},
        {"name": "c", "type": "categorical", "values": ["a", "b"]},
    ],
}


@pytest.mark.parametrize(
    ("path", "raw", "field", "sent"),
    [
        ("/v1/sessions", '{"name": "wide", "seed": 1e19}', "seed", "1e+19"),
        ("{sid}/space", '{"space": S, "population_size": 1e308, "replicates": 0}',
         "population_size", "1e+308"),
        ("{sid}/space", '{"space": S, "population_size": 2, "replicates": -1e30}',
         "replicates", "-1e+30"),
        ("{sid}/simulate", '{"ngens": 1e20}', "ngens", "1e+20"),
        ("{sid}/generate", '{"gen": 1e20}', "gen", "1e+20"),
        ("{sid}/analytics", '{"gen": 9.3e18}', "gen", "9.3e+18"),
    ],
)  # fmt: skip
def test_a_whole_float_beyond_64_bits_is_named_as_sent(api, path, raw, field, sent):
    """Before: ``"seed": 1e19`` was "The field 'seed' is 10000000000000000000, beyond the
    integers this service stores ...; write it as a decimal: 1e+19": the integer spelt out
    (310 digits for 1e308) and a tip to write what had been written."""
    session = api.post("/v1/sessions", {"name": "wide-floats"}).body
    before = api.get(f"/v1/sessions/{session['id']}").body
    method = "PUT" if path.endswith("space") else "POST"
    reply = api.call(
        method,
        path.replace("{sid}", f"/v1/sessions/{session['id']}"),
        data=raw.replace("S", json.dumps(SPACE)),
        headers={"Content-Type": "application/json"},
    )
    assert_error(reply, 422, "validation_failed", f"'{field}' is {sent},", "whole number")
    assert reply.body["detail"] == {"field": field}
    assert "decimal" not in reply.body["message"] and len(reply.body["message"]) < 200
    assert api.get(f"/v1/sessions/{session['id']}").body == before
    assert api.get("/v1/sessions").body["count"] == 1


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"name": 1e999}', "name"),
        ('{"name": "past-floats", "description": -1e400}', "description"),
        ('{"name": "past-floats", "seed": 1e309}', "seed"),
    ],
)
def test_a_number_past_a_floats_range_is_named_as_such(api, raw, field):
    """Before: "The field 'name' must be a finite number.", as if a text field took numbers;
    the number sent (1e999) is past a float's range, which no field takes."""
    reply = api.call("POST", "/v1/sessions", data=raw, headers={"Content-Type": "application/json"})
    assert_error(reply, 400, "bad_request", f"'{field}'", "beyond a float's range", "1.8e308")
    assert "must be a finite number" not in reply.body["message"]
    assert api.sessions_count() == 0


def test_a_negative_generation_is_a_422_on_generate_as_on_analytics(api):
    """Before: POST .../generate {"gen": -5} was a 409 "The session is at generation 0,
    not -5: generate from the current generation", a conflict with the session's state,
    where .../analytics answered the same number with a 400 naming the field (now a 422
    on both, as every body field's number past its range)."""
    sid = api.post("/v1/sessions", {"name": "negative-gen"}).body["id"]
    assert (
        api.put(
            f"/v1/sessions/{sid}/space", {"space": SPACE, "population_size": 2, "replicates": 0}
        ).status
        == 202
    )
    for route in ("generate", "analytics"):
        reply = api.post(f"/v1/sessions/{sid}/{route}", {"gen": -5})
        assert_error(reply, 422, "validation_failed", "'gen' is -5,", "from 0 to 2147483647")
        assert reply.body["detail"] == {"field": "gen"}
    assert [t["type"] for t in api.get(f"/v1/sessions/{sid}/tasks").body["data"]] == ["space"]


@pytest.mark.parametrize(
    ("path", "raw", "field", "takes"),
    [
        ("", '{"name": "wide-ints", "seed": 1180591620717411303424}', "seed", "0 to 2147483647"),
        ("/{sid}/space", '{"space": S, "population_size": 1180591620717411303424}',
         "population_size", "1 to 2500"),
        ("/{sid}/space", '{"space": S, "population_size": 2, "replicates": -9223372036854775809}',
         "replicates", "0 to 27499"),
        ("/{sid}/generate", '{"gen": 1180591620717411303424}', "gen", "0 to 2147483647"),
    ],
)  # fmt: skip
def test_an_integer_past_64_bits_is_told_a_whole_number_fields_range(api, path, raw, field, takes):
    """Before: "The field 'seed' is 1180591620717411303424, beyond the integers this service
    stores (...); where a field takes any number (a value, a bound), write it as a decimal:
    1.1805916207174113e+21.", a tip that a whole-number field (seed, gen, population_size,
    replicates) then refuses. The door does not know each field's type: its message now
    gives a whole-number field's range, and the decimal only for a field that takes any
    number. On the campaign routes the field itself says its own range (ngens: 1 to 100),
    not the store's."""
    session = api.post("/v1/sessions", {"name": "wide-ints"}).body
    before = api.get("/v1/sessions").body
    reply = api.call(
        "PUT" if path.endswith("space") else "POST",
        "/v1/sessions" + path.replace("{sid}", str(session["id"])),
        data=raw.replace("S", json.dumps(SPACE)),
        headers={"Content-Type": "application/json"},
    )
    assert_error(
        reply,
        422,
        "validation_failed",
        f"The field '{field}' is ",
        f"outside its range: it takes a whole number from {takes}.",
    )
    assert "decimal" not in reply.body["message"]
    assert reply.body["detail"] == {"field": field}
    assert api.get("/v1/sessions").body == before


@pytest.mark.parametrize(
    ("place", "value", "column", "words"),
    [
        ("total_units", 2**70, "total_units",
         "the total units ('total_units'): 1180591620717411303424 is more than 10000, the most "
         "units a mixture's total may be; express the components in coarser units"),
        ("max", 2**70, "Max",
         "parameter 1 ('a'), maximum: 1180591620717411303424 is more than 10000, the most "
         "units a mixture's total may be; express the components in coarser units"),
        ("min", -(2**70), "Min",
         "parameter 1 ('a'), minimum: -1180591620717411303424 is below 0, the fewest units it "
         "may be"),
    ],
)  # fmt: skip
def test_a_mixtures_units_past_64_bits_are_told_the_mixtures_rule(api, place, value, column, words):
    """Before: "the total units ('total_units'): 1180591620717411303424 is beyond the
    integers a space stores (...); write it as a decimal: 1.1805916207174113e+21", and the
    decimal sent as told was refused next by the space task: "total_units 1.18059e+21 is
    too large: the most is 10000". Units are whole numbers of at most 10,000: the 422 says
    so at once, nothing stored. The number is quoted as given, in full (it was
    ``1.18059e+21``, a number no one sent)."""
    sid = api.post("/v1/sessions", {"name": "blend"}).body["id"]
    space: dict = {
        "type": "mixture",
        "total_units": 25,
        "parameters": [{"name": "a", "min": 0, "max": 10}, {"name": "b", "min": 0, "max": 20}],
    }
    if place == "total_units":
        space["total_units"] = value
    else:
        space["parameters"][0][place] = value
    raw = json.dumps({"space": space, "population_size": 2, "replicates": 0})
    reply = api.call(
        "PUT", f"/v1/sessions/{sid}/space", data=raw, headers={"Content-Type": "application/json"}
    )
    assert_error(reply, 422, "validation_failed", words)
    assert "decimal" not in reply.body["message"]
    assert [e["column"] for e in reply.body["detail"]["errors"]] == [column]
    assert api.get(f"/v1/sessions/{sid}/tasks").body["data"] == []


@pytest.mark.parametrize(
    ("path", "raw", "field"),
    [
        ("", '{"name": "halves", "seed": 7.5}', "seed"),
        ("/{sid}/space", '{"space": {space}, "population_size": 2.5, "replicates": 0}',
         "population_size"),
        ("/{sid}/space", '{"space": {space}, "populationSize": 2, "replicates": 0.5}',
         "replicates"),
        ("/{sid}/simulate", '{"ngens": 2.5}', "ngens"),
    ],
)  # fmt: skip
def test_a_fraction_in_a_whole_number_field_is_named_as_sent(api, path, raw, field):
    """Before: "The field 'ngens' must be an integer, not a number.", of 2.5, which is a
    number: the message read as a contradiction. It says a whole number, and the value."""
    session = api.post("/v1/sessions", {"name": "halves"}).body
    before = api.get("/v1/sessions").body
    reply = api.call(
        "PUT" if path.endswith("space") else "POST",
        "/v1/sessions" + path.replace("{sid}", str(session["id"])),
        data=raw.replace("{space}", json.dumps(SPACE)),
        headers={"Content-Type": "application/json"},
    )
    sent = json.loads(raw.replace("{space}", "null"))
    value = sent.get(field, sent.get("populationSize"))
    assert_error(
        reply, 400, "bad_request", f"The field '{field}' must be a whole number, not {value!r}."
    )
    assert reply.body["detail"] == {"field": field}
    assert api.get("/v1/sessions").body == before


def test_a_table_row_that_is_not_a_list_is_named_in_jsons_words(api):
    """Before: "row 2 has a dict but there are 5 columns", "row 4 has a int ...": Python's
    type names for what the JSON sender wrote as an object or a number."""
    session = api.post("/v1/sessions", {"name": "rows"}).body
    sid = session["id"]
    assert (
        api.put(
            f"/v1/sessions/{sid}/space", {"space": SPACE, "population_size": 2, "replicates": 0}
        ).status
        == 202
    )
    api.get(f"/v1/sessions/{sid}/tasks/1", wait=30)
    columns = [p["name"] for p in SPACE["parameters"]] + ["Response"]
    reply = api.post(
        f"/v1/sessions/{sid}/experiments",
        {"type": "initial", "table": {"columns": columns, "rows": [{"a": 1}, "x", 5, None]}},
    )
    assert_error(reply, 422, "validation_failed")
    told = [e["message"] for e in reply.body["detail"]["errors"]]
    width = len(columns)
    assert told == [
        f"row {row} is {kind}, not a list of its {width} cells (one for each column, in order)"
        for row, kind in ((2, "an object"), (3, "a string"), (4, "a number"), (5, "null"))
    ], told
    assert [t["type"] for t in api.get(f"/v1/sessions/{sid}/tasks").body["data"]] == ["space"]


@pytest.mark.parametrize(("blank", "code"), [("\u2028", "U+2028"), ("\x85", "U+0085")])
def test_a_campaign_level_of_only_a_blank_character_is_named(api, blank, code):
    """Before: a categorical level of just U+2028 or U+0085 was a 422 "empty cell between
    values", which named neither the character nor why it reads as empty."""
    sid = api.post("/v1/sessions", {"name": f"blank-level-{code}"}).body["id"]
    space = {
        "type": "factorial",
        "parameters": [
            {"name": "t", "type": "numerical", "values": [1, 2, 3]},
            {"name": "c", "type": "categorical", "values": ["a", blank, "b"]},
        ],
    }
    before = api.get(f"/v1/sessions/{sid}").body
    reply = api.put(
        f"/v1/sessions/{sid}/space", {"space": space, "population_size": 2, "replicates": 0}
    )
    assert_error(reply, 422, "validation_failed", repr(blank), code, "reads as an empty cell")
    assert api.get(f"/v1/sessions/{sid}").body == before

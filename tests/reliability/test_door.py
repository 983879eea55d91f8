"""The door: input that JSON or the store cannot hold is a 4xx naming the field.

Each case is sent to a real server (waitress on 127.0.0.1, auth on), on SQLite
and on PostgreSQL, where the two stores used to differ (PostgreSQL refuses a NUL
in text that SQLite stores; SQLite overflows beyond 64-bit integers where
PostgreSQL overflows beyond 32). After each refusal:

- the answer is the one error body, its ``detail`` naming the field or header;
- the stored state is as before (nothing listed that was not there);
- every answer the owner then gets is strict JSON (no ``Infinity``, no broken
  text), and the request's ``Idempotency-Key`` is not left in progress: sent
  again, it is answered at once with the same refusal.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sigopt_like.service import create_app
from tests.fixtures.servers import ServedInstance
from tests.fixtures.waiting import read_until_closed

pytestmark = pytest.mark.reliability

PARAMS = [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}]


class Door:
    """A served instance and raw HTTP calls to it (bodies sent byte for byte)."""

    def __init__(self, served: ServedInstance, backend: str) -> None:
        self.served = served
        self.backend = backend
        self.http = requests.Session()

    def call(
        self,
        method: str,
        path: str,
        raw: str | bytes | None = None,
        *,
        content_type: str | None = "application/json",
        key: str | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        headers = {**self.served.headers(), **(headers or {})}
        if content_type is not None and raw is not None:
            headers["Content-Type"] = content_type
        if key is not None:
            headers["Idempotency-Key"] = key
        data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
        return self.http.request(
            method, self.served.url + path, data=data, headers=headers, params=params, timeout=60
        )

    def json(self, method: str, path: str, body: Any) -> dict[str, Any]:
        reply = self.call(method, path, json.dumps(body))
        assert reply.status_code < 300, reply.text
        return strict_json(reply.text)

    def state(self) -> dict[str, Any]:
        """What the owner sees: sessions and experiments, each answer strict JSON."""
        out: dict[str, Any] = {}
        for path in ("/v1/sessions", "/v1/experiments"):
            reply = self.call("GET", path, params={"limit": "1000"})
            assert reply.status_code == 200, reply.text
            out[path] = [item["id"] for item in strict_json(reply.text)["data"]]
        return out


def strict_json(text: str) -> Any:
    """Parse JSON, refusing NaN and Infinity (which are not JSON)."""

    def refuse(name: str) -> Any:
        raise ValueError(f"{name} in an answer")

    return json.loads(text, parse_constant=refuse)


def assert_refused(
    reply: requests.Response, field: str, *, status: int = 400, key: str = "field"
) -> None:
    """A 4xx with the one error body whose detail names ``field``."""
    assert reply.status_code == status, reply.text
    body = strict_json(reply.text)
    assert body["object"] == "error" and body["status"] == status, body
    assert body["detail"].get(key) == field, body


@pytest.fixture
def door(either_database: str) -> Iterator[Door]:
    """A served instance (auth on) on SQLite, then on PostgreSQL."""
    database = either_database
    served = ServedInstance(create_app(database=database, auth_required=True), database)
    try:
        yield Door(served, "postgresql" if "://" in database else "sqlite")
    finally:
        served.close()


def experiment(**extra: Any) -> dict[str, Any]:
    return {"name": "door", "parameters": PARAMS, **extra}


# -- strings that cannot be stored or rendered -------------------------------------------


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"name": "lone \\ud800 surrogate"}', "name"),
        ('{"name": "ok", "description": "trail \\udfff"}', "description"),
        ('{"name": "nul \\u0000 byte"}', "name"),
        ('{"name": "ok", "description": "a\\u0000b"}', "description"),
    ],
)
def test_session_text_that_cannot_be_held_is_refused(door: Door, raw: str, field: str) -> None:
    before = door.state()
    assert_refused(door.call("POST", "/v1/sessions", raw), field)
    sid = door.json("POST", "/v1/sessions", {"name": "kept"})["id"]
    assert_refused(door.call("PUT", f"/v1/sessions/{sid}", raw), field)
    after = door.state()
    assert after["/v1/sessions"] == [sid, *before["/v1/sessions"]]
    fetched = strict_json(door.call("GET", f"/v1/sessions/{sid}").text)
    assert fetched["name"] == "kept" and fetched["description"] in ("", None)


def test_a_surrogate_in_metadata_poisons_nothing_and_leaves_no_key_stuck(door: Door) -> None:
    """The issue's first case: metadata with a lone surrogate, sent with a key."""
    eid = door.json("POST", "/v1/experiments", experiment())["id"]
    sug = door.json("POST", f"/v1/experiments/{eid}/suggestions", {})["id"]
    before = door.state()
    bad_experiment = json.dumps(experiment(metadata={"note": "x"})).replace('"x"', '"\\ud800"')
    bad_observation = (
        '{"suggestion": "%s", "value": 1.0, "metadata": {"note": "\\ud83d"}}' % sug  # noqa: UP031
    )
    for method, path, raw, field in (
        ("POST", "/v1/experiments", bad_experiment, "metadata.note"),
        ("POST", f"/v1/experiments/{eid}/observations", bad_observation, "metadata.note"),
        ("PUT", f"/v1/experiments/{eid}", '{"metadata": {"k\\udc00": 1}}', "metadata.k\\udc00"),
    ):
        key = uuid.uuid4().hex
        assert_refused(door.call(method, path, raw, key=key), field)
        # the same key again: the same refusal at once, never "in progress"
        assert_refused(door.call(method, path, raw, key=key), field)
    assert door.state() == before
    for path in (f"/v1/experiments/{eid}", f"/v1/experiments/{eid}/observations"):
        reply = door.call("GET", path)
        assert reply.status_code == 200, reply.text
        strict_json(reply.text)
    good = door.call(
        "POST", f"/v1/experiments/{eid}/observations", json.dumps({"suggestion": sug, "value": 1})
    )
    assert good.status_code == 201, good.text


def test_a_proper_surrogate_pair_is_text(door: Door) -> None:
    reply = door.call("POST", "/v1/sessions", '{"name": "smile \\ud83d\\ude00"}')
    assert reply.status_code == 201, reply.text
    assert strict_json(reply.text)["name"] == "smile \U0001f600"


# -- numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["observation_budget", "parallel_bandwidth"])
@pytest.mark.parametrize("value", [2**63, 2**70, -(2**63) - 1])
def test_integers_beyond_64_bits_are_refused(door: Door, field: str, value: int) -> None:
    before = door.state()
    reply = door.call("POST", "/v1/experiments", json.dumps(experiment(**{field: value})))
    assert_refused(reply, field, status=422)  # as 1e19 is: the field's range, not JSON's
    assert door.state() == before


def test_a_value_past_64_bits_is_stored_as_its_double_on_both_stores(door: Door) -> None:
    """Before: a SigOpt observation's value of 2**70 as a JSON integer (sigopt-python's
    ``value=2**70``) was the door's 400, where SigOpt reads it as a double. Now a value,
    a value_stddev, a metadata number and a double's bound or assignment past 64 bits
    are the doubles they denote, stored as such on SQLite and PostgreSQL (no 64-bit
    column meets them) and answered as floats."""
    wide = {"name": "w", "type": "double", "bounds": {"min": 0, "max": 2**71}}
    created = door.json("POST", "/v1/experiments", experiment(parameters=[wide]))
    assert created["parameters"][0]["bounds"]["max"] == float(2**71)
    path = f"/v1/experiments/{created['id']}/observations"
    body = {"assignments": {"w": 2**70}, "value": -(2**70), "value_stddev": 2**64}
    made = door.json("POST", path, {**body, "metadata": {"k": 2**70}})
    seen = strict_json(door.call("GET", f"{path}/{made['id']}").text)
    for shown in (made, seen):
        assert shown["value"] == -float(2**70) and shown["value_stddev"] == float(2**64)
        assert shown["assignments"] == {"w": float(2**70)}
        assert shown["metadata"] == {"k": float(2**70)}
    assert "1180591620717411303424" not in door.call("GET", path).text  # floats only


@pytest.mark.parametrize("field", ["observation_budget"])  # parallel_bandwidth: 1 to 10,000
def test_large_64_bit_integers_are_stored_on_both_stores(door: Door, field: str) -> None:
    created = door.json("POST", "/v1/experiments", experiment(**{field: 2**40}))
    assert created[field] == 2**40
    assert strict_json(door.call("GET", f"/v1/experiments/{created['id']}").text)[field] == 2**40


@pytest.mark.parametrize("field", ["observation_budget"])  # parallel_bandwidth: 1 to 10,000
def test_the_largest_64_bit_integer_is_stored_exactly(door: Door, field: str) -> None:
    """2**63 - 1 passed the door and then went through a float (rounding up to 2**63):
    a 500 "Python int too large to convert to SQLite INTEGER" on create and on update."""
    top = 2**63 - 1
    created = door.json("POST", "/v1/experiments", experiment(**{field: top}))
    assert created[field] == top
    eid = door.json("POST", "/v1/experiments", experiment())["id"]
    assert door.json("PUT", f"/v1/experiments/{eid}", {field: top})[field] == top
    assert strict_json(door.call("GET", f"/v1/experiments/{eid}").text)[field] == top


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"observation_budget": 1e19}, "observation_budget"),
        ({"parallel_bandwidth": 1e300}, "parallel_bandwidth"),
        ({"observation_budget": 2**41, "num_solutions": 2**40}, "num_solutions"),
    ],
)
def test_counts_beyond_their_column_are_refused(
    door: Door, extra: dict[str, Any], field: str
) -> None:
    """A float as big as 1e19 is finite JSON, so the door lets it by; a count must still
    fit its column (num_solutions is a 32-bit INTEGER on PostgreSQL)."""
    before = door.state()
    body = experiment(metrics=[{"name": "m"}], **extra)
    reply = door.call("POST", "/v1/experiments", json.dumps(body))
    assert_refused(reply, field, status=422)
    assert (
        "outside its range: it takes a whole number from 1 to" in strict_json(reply.text)["message"]
    )
    eid = door.json("POST", "/v1/experiments", experiment())["id"]
    if field != "num_solutions":  # it may only be sent back unchanged
        update = json.dumps({field: extra[field]})
        assert_refused(door.call("PUT", f"/v1/experiments/{eid}", update), field, status=422)
    assert door.state()["/v1/sessions"] == before["/v1/sessions"]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"name": "n", "parameters": [{"name": "x", "type": "double", '
         '"bounds": {"min": 0, "max": 1e400}}]}', "parameters[0].bounds.max"),
        ('{"name": "n", "parameters": [], "metadata": {"m": -1e999}}', "metadata.m"),
        ('{"name": "n", "parameters": [], "metadata": {"m": NaN}}', None),
        ('{"name": "n", "parameters": [], "metadata": {"m": Infinity}}', None),
    ],
)  # fmt: skip
def test_numbers_that_are_not_finite_are_refused(door: Door, raw: str, field: str | None) -> None:
    before = door.state()
    reply = door.call("POST", "/v1/experiments", raw)
    assert reply.status_code == 400, reply.text
    if field is not None:
        assert_refused(reply, field)
    assert door.state() == before


def test_bounds_whose_suggestions_would_not_be_finite_are_refused(door: Door) -> None:
    """The issue's second case: bounds of +-1e308 (their span overflows to infinity)."""
    before = door.state()
    wide = {"name": "x", "type": "double", "bounds": {"min": -1e308, "max": 1e308}}
    reply = door.call("POST", "/v1/experiments", json.dumps(experiment(parameters=[wide])))
    assert 400 <= reply.status_code < 500, reply.text
    assert "parameters[0].bounds" in strict_json(reply.text)["detail"].get("field", ""), reply.text
    assert door.state() == before
    # a span that is finite, though huge, gives finite suggestions
    huge = {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1e308}}
    eid = door.json("POST", "/v1/experiments", experiment(parameters=[huge]))["id"]
    for _ in range(3):
        sug = door.json("POST", f"/v1/experiments/{eid}/suggestions", {})
        assert 0 <= sug["assignments"]["x"] <= 1e308
    listed = door.call("GET", f"/v1/experiments/{eid}/suggestions")
    assert listed.status_code == 200
    strict_json(listed.text)


# -- shape ------------------------------------------------------------------------------


def test_json_nested_100000_deep_is_a_400(door: Door) -> None:
    before = door.state()
    reply = door.call("POST", "/v1/sessions", "[" * 100_000 + "]" * 100_000)
    assert reply.status_code == 400, reply.text
    assert strict_json(reply.text)["code"] == "invalid_json"
    deep = '{"name": "n", "metadata": ' + '{"a": ' * 70 + "1" + "}" * 70 + "}"
    assert_refused(door.call("POST", "/v1/sessions", deep), "metadata" + ".a" * 63)
    assert door.state() == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_that_is_not_json_is_a_415(door: Door, content_type: str | None) -> None:
    before = door.state()
    reply = door.call("POST", "/v1/sessions", '{"name": "typed"}', content_type=content_type)
    assert_refused(reply, "Content-Type", status=415, key="header")
    assert door.state() == before
    ok = door.call(
        "POST", "/v1/sessions", '{"name": "typed"}', content_type="application/json; charset=utf-8"
    )
    assert ok.status_code == 201, ok.text


def test_a_body_that_starts_with_a_byte_order_mark_is_read(door: Door) -> None:
    """A JSON file saved by a Windows editor or PowerShell's ``Out-File`` starts with a UTF-8
    byte order mark, which RFC 8259 section 8.1 lets a parser ignore. Before: a 400 "Unexpected
    UTF-8 BOM (decode using utf-8-sig)", Python's words for the server's own code."""
    reply = door.call("POST", "/v1/sessions", "\ufeff" + '{"name": "marked"}')
    assert reply.status_code == 201, reply.text
    assert strict_json(reply.text)["name"] == "marked"
    inside = door.call("POST", "/v1/sessions", '{"name": "\ufeff"}')  # in a value: as before
    assert inside.status_code == 422, inside.text  # a blank name


# -- query strings and headers ---------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/sessions", {"q": "a\x00b"}, "q"),
        ("/v1/experiments", {"search": "\x00"}, "search"),
        ("/v1/sessions", {"limit": str(2**70)}, "limit"),
    ],
)
def test_query_values_that_cannot_be_held_are_refused(
    door: Door, path: str, params: dict[str, str], field: str
) -> None:
    door.json("POST", "/v1/sessions", {"name": "findable"})
    assert_refused(door.call("GET", path, params=params), field)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/sessions?q=%ff", "q"),
        ("/v1/sessions?limit=5&q=ok%C3%28", "q"),
        ("/v1/experiments?search=%ED%A0%80", "search"),  # a surrogate, UTF-8 encoded
        ("/v1/experiments?%ff=1", "\\xff"),
        ("/v1/sessions?q=%C3%A9&%E2%82%AC%80=1", "\u20ac\\x80"),
    ],
)
def test_query_text_that_is_not_utf8_is_a_400_naming_the_parameter(
    door: Door, path: str, field: str
) -> None:
    """Falcon would decode ``%ff`` to U+FFFD and answer 200 to a search nobody sent."""
    door.json("POST", "/v1/sessions", {"name": "findable"})
    before = door.state()
    reply = door.call("GET", path)
    assert_refused(reply, field)
    assert "UTF-8" in reply.json()["message"]
    assert door.state() == before
    fine = door.call("GET", "/v1/sessions?q=%C3%A9t%C3%A9+x&limit=5")
    assert fine.status_code == 200, fine.text


def test_a_raw_byte_in_a_query_is_refused_by_the_door_too(door: Door) -> None:
    """Waitress refuses a raw non-ASCII byte in the URI itself (its 400, in the JSON
    body); a server that lets it through hands it over as Latin-1, which Falcon would
    decode as such (``é`` sent as UTF-8 would be searched for as ``Ã©``). In process the
    door refuses it."""
    import falcon.testing

    client = falcon.testing.TestClient(door.served.service)
    reply = client.simulate_get(
        "/v1/sessions", query_string="q=\xc3\xa9", headers=door.served.headers()
    )
    assert reply.status_code == 400, reply.text
    assert reply.json["detail"] == {"field": "q"} and "percent-encode" in reply.json["message"]


def test_query_integers_beyond_64_bits_are_refused(door: Door) -> None:
    sid = door.json("POST", "/v1/sessions", {"name": "gens"})["id"]
    reply = door.call("GET", f"/v1/sessions/{sid}/analytics", params={"gen": str(2**70)})
    assert_refused(reply, "gen")


def test_a_header_value_holding_nul_is_refused(door: Door) -> None:
    """Waitress refuses it before the app sees it, now with the service's JSON error
    body (``service/wire_errors.py``; it was waitress's plain text); in process
    (embedded, or a WSGI server that lets it through) the door does, naming the header.
    It is checked from the WSGI environ, not Falcon's dict of every header. Nothing is
    stored either way."""
    import falcon.testing

    before = door.state()
    body = json.dumps({"name": "nul header"})
    served = door.call("POST", "/v1/sessions", body, headers={"X-Request-Note": "a\x00b"})
    assert served.status_code == 400
    assert served.headers["Content-Type"] == "application/json", served.text
    refused = strict_json(served.text)
    assert refused["object"] == "error" and refused["code"] == "bad_request", refused
    assert "not valid HTTP" in refused["message"] and served.headers["X-Request-Id"]
    client = falcon.testing.TestClient(door.served.service)
    headers = {**door.served.headers(), "Content-Type": "application/json"}
    reply = client.simulate_post(
        "/v1/sessions", body=body, headers={**headers, "X-Request-Note": "a\x00b"}
    )
    assert reply.status_code == 400, reply.text
    assert reply.json["detail"] == {"header": "X-Request-Note"}, reply.json
    assert door.state() == before
    fine = client.simulate_post("/v1/sessions", body=body, headers=headers)
    assert fine.status_code == 201, fine.text


def raw_http(url: str, head: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``head`` (a request line and headers, byte for byte) and read the answer."""
    import socket
    from urllib.parse import urlsplit

    where = urlsplit(url)
    with socket.create_connection((where.hostname, where.port), timeout=30) as sock:
        sock.sendall(head)
        answer = read_until_closed(sock)
    top, _, payload = answer.partition(b"\r\n\r\n")
    lines = top.decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), fields, payload


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (b"GET /v1/sessions HTTP/1.1\r\nHost: x\r\nX-Note: a\x00b\r\n", 400),
        (b"GET /v1/sessions?q=\xc3\xa9 HTTP/1.1\r\nHost: x\r\n", 400),
        (b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 1e3\r\n", 400),
    ],
    ids=["nul-header", "raw-byte-uri", "bad-length"],
)
def test_what_sigopt_like_serve_refuses_itself_is_the_json_error(
    tmp_path: Path, head: bytes, status: int
) -> None:
    """``sigopt-like serve`` (a subprocess): waitress's own refusals carry the one JSON
    error body the client reads, not waitress's plain text; the server goes on."""
    from tests.fixtures.servers import ServedProcess

    server = ServedProcess(tmp_path / "wire.db")
    try:
        auth = f"Authorization: Bearer {server.token}\r\n".encode()
        code, fields, payload = raw_http(server.url, head + auth + b"Connection: close\r\n\r\n")
        assert code == status, payload[:300]
        assert fields["Content-Type"] == "application/json", fields
        body = strict_json(payload.decode("utf-8"))
        assert body["object"] == "error" and body["status"] == status, body
        assert body["detail"]["server"] == "waitress", body
        listed = requests.get(f"{server.url}/v1/sessions", headers=server.headers(), timeout=30)
        assert listed.status_code == 200 and listed.json()["data"] == []
    finally:
        server.stop()


def test_an_unknown_task_status_filter_is_a_400(door: Door) -> None:
    sid = door.json("POST", "/v1/sessions", {"name": "tasks"})["id"]
    assert_refused(
        door.call("GET", f"/v1/sessions/{sid}/tasks", params={"status": "bogus"}), "status"
    )
    assert_refused(door.call("GET", f"/v1/sessions/{sid}/tasks", params={"type": "bogus"}), "type")
    for status in ("", "new", "running", "success", "failed", "canceled"):
        reply = door.call("GET", f"/v1/sessions/{sid}/tasks", params={"status": status})
        assert reply.status_code == 200, reply.text


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("GET", "/v1/sessions/{sid}/history", {"format": ""}),  # was json
        ("GET", "/v1/sessions/{sid}/history", {"format": "CSV"}),  # the schema says csv
        ("GET", "/v1/experiments", {"state": ""}),  # was active
        ("DELETE", "/v1/experiments/{eid}/suggestions", {"state": ""}),  # deleted them all
        ("DELETE", "/v1/aiexperiments/{eid}", {"include_runs": ""}),  # archived it
    ],
)
def test_a_blank_or_unlisted_enum_value_is_a_400_not_the_default(
    door: Door, method: str, path: str, params: dict[str, str]
) -> None:
    """Before: a blank value read as the default (the OpenAPI fuzzer found the
    aiexperiment archived by ``?include_runs=``; its enum is true or false)."""
    sid = door.json("POST", "/v1/sessions", {"name": "enums"})["id"]
    parameters = [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}]
    metrics = [{"name": "y"}]
    eid = door.json("POST", "/v1/experiments", {"name": "e", "parameters": parameters})["id"]
    door.json("POST", f"/v1/experiments/{eid}/suggestions", {})
    client = strict_json(door.call("GET", "/v1/tokens/self").text)["client"]
    ai = {"name": "a", "parameters": parameters, "metrics": metrics}
    aid = door.json("POST", f"/v1/clients/{client}/projects/p/aiexperiments", ai)["id"]

    def seen() -> tuple[Any, ...]:
        open_ = door.call("GET", f"/v1/experiments/{eid}/suggestions", params={"state": "open"})
        ai_state = door.call("GET", f"/v1/aiexperiments/{aid}").json()["state"]
        return door.state(), len(open_.json()["data"]), ai_state

    before = seen()
    assert before[1:] == (1, "active")
    target = path.format(sid=sid, eid=aid if "aiexperiments" in path else eid)
    field = next(iter(params))
    assert_refused(door.call(method, target, None, params=params), field)
    assert seen() == before


@pytest.mark.parametrize(
    ("method", "path", "params", "field"),
    [
        ("GET", "/v1/sessions", {"status": "active"}, "status"),  # filtered nothing
        ("GET", "/v1/sessions/{sid}/history", {"gen": "1"}, "gen"),  # every generation
        # sort is taken (id | recent, tests/sigopt/test_experiment_list_query.py)
        ("GET", "/v1/experiments", {"order_by": "name", "limit": "5"}, "order_by"),
        ("GET", "/v1/sessions/{sid}", {"wait": "5"}, "wait"),  # tasks wait, sessions do not
        ("POST", "/v1/sessions", {"dry_run": "true"}, "dry_run"),  # it created one anyway
    ],
)
def test_a_query_parameter_the_route_does_not_take_is_a_400(
    door: Door, method: str, path: str, params: dict[str, str], field: str
) -> None:
    """Before: taken and ignored, a 200 (and the POST created its session)."""
    sid = door.json("POST", "/v1/sessions", {"name": "taken"})["id"]
    before = door.state()
    body = json.dumps({"name": "x"}) if method == "POST" else None
    reply = door.call(method, path.format(sid=sid), body, params=params)
    assert_refused(reply, field)
    message = reply.json()["message"]
    assert f"takes no query parameter '{field}'" in message and path.format(sid=sid) in message
    assert door.state() == before
    assert (
        "it takes after, before, limit, q"
        in door.call("GET", "/v1/sessions", params={"status": "x"}).json()["message"]
    )
    assert "it takes none" in door.call("GET", "/v1/version", params={"v": "1"}).json()["message"]
    for page in ("/", "/health"):  # pages and probes take what browsers and monitors add
        assert door.call("GET", page, params={"utm_source": "mail"}).status_code == 200


def test_an_answer_that_cannot_be_rendered_commits_nothing_and_leaves_no_key(door: Door) -> None:
    """Render before commit, and a 5xx never leaves a key stuck: an experiment whose
    stored metadata cannot be rendered (left by an older version, before the door) is
    renamed with a key. The answer fails (500), the rename is not committed, the same
    key is free at once (a 500 again, never ``idempotency_in_progress``), and once the
    data is mended the same key does the work."""
    import sqlalchemy as sa

    from sigopt_like.service.store import schema

    eid = door.json("POST", "/v1/experiments", experiment())["id"]
    table = schema.sigopt_experiments
    engine = door.served.service.context.store.database.engine

    def stored_name() -> str:
        with engine.connect() as conn:
            return str(conn.execute(sa.select(table.c.name).where(table.c.id == int(eid))).scalar())

    with engine.begin() as conn:  # what no request can store any more
        conn.execute(table.update().where(table.c.id == int(eid)).values(metadata='{"m": NaN}'))
    key = uuid.uuid4().hex
    rename = json.dumps({"name": "renamed"})
    for _ in range(2):
        failed = door.call("PUT", f"/v1/experiments/{eid}", rename, key=key)
        assert failed.status_code == 500, failed.text
        assert strict_json(failed.text)["code"] == "internal"
        assert stored_name() == "door"
    with engine.begin() as conn:
        conn.execute(table.update().where(table.c.id == int(eid)).values(metadata=None))
    done = door.call("PUT", f"/v1/experiments/{eid}", rename, key=key)
    assert done.status_code == 200, done.text
    assert strict_json(done.text)["name"] == "renamed" == stored_name()
    replayed = door.call("PUT", f"/v1/experiments/{eid}", rename, key=key)
    assert replayed.headers.get("Idempotent-Replayed") == "true"


def _rows(door: Door) -> dict[str, list[str]]:
    """Every row of every table but the bookkeeping ones, as text (nothing may change)."""
    import sqlalchemy as sa

    from sigopt_like.service.store import schema

    kept = ("rate_limits", "idempotency_keys", "meta")
    engine = door.served.service.context.store.database.engine
    with engine.connect() as conn:
        return {
            t.name: sorted(map(repr, conn.execute(sa.select(t))))
            for t in schema.metadata.sorted_tables
            if t.name not in kept
        }


HOSTILE = [
    ("a lone surrogate as a key", '{"\\ud800": 1}', "application/json"),
    ("NUL in a value", '{"name": "a\\u0000b"}', "application/json"),
    (  # a metadata number is a double on SigOpt's routes: 2**70 is taken there
        "an integer beyond 64 bits in a whole-number field",
        '{"name": "n", "observation_budget": 1180591620717411303424}',
        "application/json",
    ),
    (
        "an integer beyond a double",
        '{"name": "n", "metadata": {"k": 1' + "0" * 400 + "}}",
        "application/json",
    ),
    ("1e400", '{"name": "n", "metadata": {"k": 1e400}}', "application/json"),
    ("JSON 70 deep", '{"metadata": ' + "[" * 70 + "]" * 70 + "}", "application/json"),
    ("a list", "[]", "application/json"),
    ("null", "null", "application/json"),
    ("not UTF-8", b'{"name": "\xff"}', "application/json"),
    ("text/plain", '{"name": "n"}', "text/plain"),
    ("a form", "name=n", "application/x-www-form-urlencoded"),
]


def test_hostile_bodies_on_every_sigopt_write_route_change_nothing(door: Door) -> None:
    """A stranger's pass, kept: each SigOpt (and dashboard sign-in) write route gets each
    hostile body; every answer is a 4xx with the one JSON error body, and no row of any
    table changes. (The pass that found the 500 fixed in test_extreme_numbers.py sent
    1,491 such requests, every leaf of every body in turn.)"""
    x = [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}]
    client = strict_json(door.call("GET", "/v1/tokens/self").text)["client"]
    eid = door.json("POST", "/v1/experiments", {"name": "h", "parameters": x})["id"]
    sid = door.json("POST", f"/v1/experiments/{eid}/suggestions", {})["id"]
    oid = door.json(
        "POST", f"/v1/experiments/{eid}/observations", {"assignments": {"x": 0.5}, "value": 1}
    )["id"]
    project = f"/v1/clients/{client}/projects/p"
    ai = door.json(
        "POST", f"{project}/aiexperiments", {"name": "ai", "parameters": x, "budget": 5}
    )["id"]
    rid = door.json("POST", f"{project}/training_runs", {"name": "r"})["id"]
    routes = [
        ("POST", "/v1/experiments"),
        ("PUT", f"/v1/experiments/{eid}"),
        ("POST", f"/v1/experiments/{eid}/suggestions"),
        ("PUT", f"/v1/experiments/{eid}/suggestions/{sid}"),
        ("POST", f"/v1/experiments/{eid}/observations"),
        ("POST", f"/v1/experiments/{eid}/observations/batch"),
        ("PUT", f"/v1/experiments/{eid}/observations/{oid}"),
        ("POST", f"/v1/clients/{client}/experiments"),
        ("POST", f"/v1/clients/{client}/projects"),
        ("PUT", project),
        ("POST", f"{project}/aiexperiments"),
        ("POST", f"{project}/training_runs"),
        ("POST", f"{project}/training_runs/batch"),
        ("PUT", f"/v1/aiexperiments/{ai}"),
        ("POST", f"/v1/aiexperiments/{ai}/training_runs"),
        ("PUT", f"/v1/training_runs/{rid}"),
        ("PATCH", f"/v1/training_runs/{rid}"),
        ("POST", f"/v1/training_runs/{rid}/checkpoints"),
        ("POST", "/auth/sign-in"),
    ]
    _refuse_every_one(door, routes, HOSTILE)


def _refuse_every_one(
    door: Door, routes: list[tuple[str, str]], bodies: list[tuple[str, str | bytes, str]]
) -> None:
    """Each body on each route: a 4xx with the one JSON error body, and no row changed."""
    before = _rows(door)
    for method, path in routes:
        for what, raw, content_type in bodies:
            reply = door.call(method, path, raw, content_type=content_type)
            where = (method, path, what)
            assert 400 <= reply.status_code < 500, (where, reply.status_code, reply.text[:300])
            body = strict_json(reply.text)
            assert body["object"] == "error" and body["status"] == reply.status_code, where
    assert _rows(door) == before


def test_hostile_bodies_on_every_campaign_write_route_change_nothing(door: Door) -> None:
    """The same hostile bodies on the Daptics routes. Before: ``POST …/halt`` with ``[]``
    or ``null`` (or ``{"now": true}``) halted the session, the body read as nothing;
    ``/auth/sign-out`` answered 200 to them too. Routes that take no fields refuse any."""
    space = {
        "type": "factorial",
        "parameters": [
            {"name": "a", "type": "numerical", "values": [0, 1, 2, 3]},
            {"name": "c", "type": "categorical", "values": ["x", "y"]},
        ],
    }
    sid = door.json("POST", "/v1/sessions", {"name": "h"})["id"]
    sized = {"space": space, "population_size": 3, "replicates": 0}
    _finish(door, sid, door.json("PUT", f"/v1/sessions/{sid}/space", sized))
    task = _finish(door, sid, door.json("POST", f"/v1/sessions/{sid}/generate", {}))
    campaign = f"/v1/sessions/{sid}"
    routes = [
        ("POST", "/v1/login"),
        ("POST", "/v1/tokens"),
        ("POST", "/v1/sessions"),
        ("PUT", campaign),
        ("POST", f"{campaign}/halt"),
        ("PUT", f"{campaign}/space"),
        ("POST", f"{campaign}/experiments"),
        ("POST", f"{campaign}/generate"),
        ("POST", f"{campaign}/simulate"),
        ("POST", f"{campaign}/responses/simulate"),
        ("POST", f"{campaign}/analytics"),
        ("POST", f"{campaign}/tasks/{task['id']}/cancel"),
        ("POST", "/auth/sign-out"),
    ]
    unknown = ("an unknown field", '{"now": true}', "application/json")
    _refuse_every_one(door, routes, [*HOSTILE, unknown])
    assert door.json("POST", f"{campaign}/halt", {})["status"] == "halted"  # {} is no fields


def test_a_table_sent_as_plain_json_names_its_cells_by_row_and_column(door: Door) -> None:
    """Before: a NUL or a lone surrogate in a cell of a table sent as plain JSON (curl, a
    script's own HTTP: no client table, so no check before sending) was refused by its
    JSON path, "The field 'table.rows[0][1]' contains a NUL character". Now it is named
    by row and column in the client's words (a 422, as the table's other problems), every
    such cell at once, on both table routes, with nothing stored and the key not stuck."""
    space = {
        "type": "factorial",
        "parameters": [
            {"name": "a", "type": "numerical", "values": [0, 1, 2, 3]},
            {"name": "c", "type": "categorical", "values": ["x", "y"]},
        ],
    }
    sid = door.json("POST", "/v1/sessions", {"name": "t"})["id"]
    sized = {"space": space, "population_size": 3, "replicates": 0}
    _finish(door, sid, door.json("PUT", f"/v1/sessions/{sid}/space", sized))
    table = '{"columns": ["a", "c", "Response"], "rows": [[0, "x", 1], [1, "y\\u0000", 2], '
    table += '[2, "x\\ud800", 3], [3, "\\udfff", 4]]}'
    daptics = '{"colHeaders": ["a", "c\\u0000", "Response"], "data": [[0, "x", 1]]}'
    before = _rows(door)
    for path, raw, expected in (
        (f"/v1/sessions/{sid}/experiments", f'{{"type": "initial", "table": {table}}}', None),
        (f"/v1/sessions/{sid}/responses/simulate", f'{{"table": {table}}}', None),
        (f"/v1/sessions/{sid}/experiments", f'{{"type": "initial", "table": {daptics}}}', "B"),
    ):
        key = uuid.uuid4().hex
        for _ in range(2):  # the same key again: the same refusal at once, never in progress
            reply = door.call("POST", path, raw, key=key)
            assert reply.status_code == 422, reply.text
            body = strict_json(reply.text)
            errors = body["detail"]["errors"]
            if expected is not None:
                assert [(e["row"], e["column"]) for e in errors] == [(1, expected)]
                assert errors[0]["message"] == (
                    "row 1, column B: the column name holds a NUL character (U+0000), "
                    "which no table stores; type it again without it"
                )
                continue
            assert [(e["row"], e["column"]) for e in errors] == [(3, "c"), (4, "c"), (5, "c")]
            assert body["message"] == (
                "The table cannot be read: row 3, column c: the cell holds a NUL character "
                "(U+0000), which no table stores; type it again without it"
            )
            assert errors[1]["message"] == (
                "row 4, column c: the cell holds a lone UTF-16 surrogate (\\ud800 at "
                "character 1), which is not text; type it again"
            )
    numbers = '{"columns": ["a", "c", "Response"], "rows": [[0, "x", 1], '
    numbers += '[1180591620717411303424, "y", 1e400], [1, "x", 1e999999]]}'
    reply = door.call(
        "POST", f"/v1/sessions/{sid}/experiments", f'{{"type": "initial", "table": {numbers}}}'
    )
    assert reply.status_code == 422, reply.text
    errors = strict_json(reply.text)["detail"]["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(3, "a"), (3, "Response"), (4, "Response")]
    assert errors[0]["message"] == (
        "row 3, column a: 1180591620717411303424 is beyond the integers a table stores "
        "(-9223372036854775808 to 9223372036854775807); write it as a decimal: "
        "1.1805916207174113e+21"
    )
    assert errors[1]["message"] == (
        "row 3, column Response: the number is beyond the numbers a table holds (about +-1.8e308)"
    )
    assert _rows(door) == before


def test_a_space_sent_as_plain_json_names_its_text_by_parameter_and_level(door: Door) -> None:
    """Before: a NUL or a lone surrogate in a parameter's name or level of a space sent as
    plain JSON (curl, a script's own HTTP) was refused by its JSON path, "The field
    'space.parameters[1].values[0]' contains a NUL character", a place no space file shows.
    Now it is a 422 naming the parameter and level in the client's words, every one at
    once, on both routes that take a space and in Daptics' table form, nothing stored."""
    sid = door.json("POST", "/v1/sessions", {"name": "s"})["id"]
    params = '"type": "factorial", "parameters": [{"name": "a", "type": "numerical", '
    params += '"values": [0, 1]}, {"name": "te\\u0000mp", "type": "categorical", "values": '
    params += '["x", "y"]}, {"name": "c", "type": "categorical", "values": ["x", "y\\ud800"]}]'
    table = '"type": "factorial", "table": {"colHeaders": [], "data": [["a", "numerical", 0, '
    table += '1], ["b", "categorical", "x\\u0000", "y"]]}'
    named = [(2, "Name"), (3, "Value.2")]
    first = "parameter 2: the name holds a NUL character (U+0000), which no space stores; "
    first += "type it again without it"
    second = "parameter 3 ('c'), level 2: the level holds a lone UTF-16 surrogate (\\ud800 at "
    second += "character 1), which is not text; type it again"
    daptics = "parameter 2 ('b'), level 1: the level holds a NUL character (U+0000), which "
    daptics += "no space stores; type it again without it"
    sized = '"population_size": 2, "replicates": 0'
    before = _rows(door)
    for path, raw, places, messages in (
        (
            f"/v1/sessions/{sid}/space",
            f'{{"space": {{{params}}}, {sized}}}',
            named,
            [first, second],
        ),
        (
            f"/v1/sessions/{sid}/simulate",
            f'{{"ngens": 1, "space": {{{params}}}, {sized}}}',
            named,
            [first, second],
        ),
        (
            f"/v1/sessions/{sid}/space",
            f'{{"space": {{{table}}}, {sized}}}',
            [(2, "Value.1")],
            [daptics],
        ),
    ):
        key = uuid.uuid4().hex
        for _ in range(2):  # the same key again: the same refusal at once, never in progress
            reply = door.call("PUT" if path.endswith("space") else "POST", path, raw, key=key)
            assert reply.status_code == 422, reply.text
            body = strict_json(reply.text)
            errors = body["detail"]["errors"]
            assert [(e["row"], e["column"]) for e in errors] == places
            assert [e["message"] for e in errors] == messages
            assert body["message"] == f"The space cannot be read: {messages[0]}"
    assert _rows(door) == before


def test_a_daptics_spaces_headers_and_total_units_are_named_with_its_other_values(
    door: Door,
) -> None:
    """Before: a NUL or a lone surrogate in a Daptics space's ``colHeaders`` or a text
    ``totalUnits`` was a 400 by JSON path ("The field 'space.table.colHeaders[2]'
    contains..."), the one part of a space not named with the others: sent with a level
    that had one too, only the level was named. Now each is in the 422's list, by its
    space-table column and its place in the JSON, nothing stored."""
    sid = door.json("POST", "/v1/sessions", {"name": "s"})["id"]
    mixture = '"type": "mixture", "totalUnits": "1\\u0000", "table": {"colHeaders": ["Name", '
    mixture += '"Type", "Min", "Max\\ud800"], "data": [["a", "unit", 0, 10], ["b", "unit", 0, 10]]}'
    factorial = '"type": "factorial", "table": {"colHeaders": ["Name", "Type", "x\\u0000"], '
    factorial += '"data": [["a", "numerical", 0, 1], ["b", "categorical", "x\\u0000", "y"]]}'
    nul = "holds a NUL character (U+0000), which no space stores; type it again without it"
    lone = (
        "holds a lone UTF-16 surrogate (\\ud800 at character 3), which is not text; type it again"
    )
    sized = '"population_size": 2, "replicates": 0'
    before = _rows(door)
    for raw, places, messages in (
        (
            mixture,
            [(None, "totalUnits"), (None, "Max")],
            [
                f"the total units ('totalUnits') {nul}",
                f"the header of column Max (colHeaders[3]) {lone}",
            ],
        ),
        (
            factorial,
            [(None, "Value.1"), (2, "Value.1")],
            [
                f"the header of column Value.1 (colHeaders[2]) {nul}",
                f"parameter 2 ('b'), level 1: the level {nul}",
            ],
        ),
    ):
        reply = door.call("PUT", f"/v1/sessions/{sid}/space", f'{{"space": {{{raw}}}, {sized}}}')
        assert reply.status_code == 422, reply.text
        body = strict_json(reply.text)
        errors = body["detail"]["errors"]
        assert [(e["row"], e["column"]) for e in errors] == places
        assert [e["message"] for e in errors] == messages
        assert {e["field"] for e in errors} == {"space"}
    assert _rows(door) == before


def _finish(door: Door, sid: str, task: dict[str, Any]) -> dict[str, Any]:
    """The task once finished (long polls), asserting success."""
    for _ in range(12):
        reply = door.call("GET", f"/v1/sessions/{sid}/tasks/{task['id']}", params={"wait": "10"})
        task = strict_json(reply.text)
        if task["status"] in ("success", "failed", "canceled"):
            break
    assert task["status"] == "success", task
    return task


def _values_the_schema_forbids(schema: dict[str, Any]) -> list[str]:
    """Query values that break ``schema`` (an OpenAPI parameter's), one per kind of rule."""
    values: list[str] = []
    if "enum" in schema:
        values += ["bogus", str(schema["enum"][-1]).upper() or "X"]
        values += [] if "" in schema["enum"] else [""]
    elif schema.get("type") == "integer":
        values += ["", "abc", "1.5", "2" * 30]
        values += [str(schema["minimum"] - 1)] if "minimum" in schema else []
        values += [str(schema["maximum"] + 1)] if "maximum" in schema else []
    elif schema.get("type") == "boolean":
        values += ["", "maybe"]
    elif "pattern" in schema:
        values.append("x1")
    if "maxLength" in schema:
        values.append("a" * (schema["maxLength"] + 1))
    return values


def test_every_query_value_the_openapi_document_forbids_is_a_400_naming_it(tmp_path):
    """Each query parameter of every operation in /v1/openapi.json, sent each kind of
    value its schema forbids (not in the enum, blank, not a whole number, out of bounds,
    off the pattern, too long), on objects that exist: a 400 whose ``detail.field``
    names it, and nothing changed. The fuzzer draws such cases at random; this sends
    them all, so that a parameter added to the document without its check fails here
    (the blank ``include_runs`` that archived an AI experiment was one)."""
    from tests.fixtures.api import ServiceApi
    from tests.fixtures.objects import populate

    document = json.loads(
        (Path(__file__).parents[2] / "sigopt_like/service/openapi.json").read_text()
    )
    service = create_app(database=str(tmp_path / "every-query.db"))
    try:
        api = ServiceApi(service)
        made = populate(api, "every-query")

        def seen() -> list[Any]:
            return [
                api.get(path).body
                for path in (
                    "/v1/sessions",
                    f"/v1/sessions/{made.session}/tasks",
                    f"/v1/experiments/{made.experiment}/suggestions",
                    f"/v1/experiments/{made.experiment}/observations",
                    f"/v1/aiexperiments/{made.aiexperiment}",
                    f"/v1/training_runs/{made.run}",
                )
            ]

        before = seen()
        sent = 0
        for template, item in document["paths"].items():
            for method in ("get", "post", "put", "delete"):
                operation = item.get(method)
                if operation is None:
                    continue
                ids = made.ids_for(template)
                path = template.format(**{name: ids[name] for name in ids if name in template})
                for parameter in (*item.get("parameters", ()), *operation.get("parameters", ())):
                    if parameter.get("in") != "query":
                        continue
                    name = parameter["name"]
                    for value in _values_the_schema_forbids(parameter.get("schema", {})):
                        reply = api.call(method.upper(), path, params={name: value})
                        detail = reply.body.get("detail") if isinstance(reply.body, dict) else {}
                        where = (method, template, name, value[:40])
                        assert reply.status == 400, (*where, reply.status, reply.text[:300])
                        assert (detail or {}).get("field") == name, (*where, reply.text[:300])
                        sent += 1
        assert sent > 150  # the document's parameters were all read
        assert seen() == before
    finally:
        service.close()

"""Endpoints' arguments: declared once in the table, seen by inspect, the stub, mypy and calls."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest

import sigopt_like
from sigopt_like import API, _stubgen
from sigopt_like.resources import CALL_OPTIONS, TASK_OPTIONS, Endpoint

from .test_stubs import ROOT, _mypy

OPENAPI = Path(sigopt_like.__file__).with_name("service") / "openapi.json"
#: OpenAPI fields an endpoint does not take, and why.
NOT_TAKEN = {
    # the CSV form is history.csv(), which asks for it itself
    ("GET", "/v1/sessions/{id}/history"): {"format"},
    # the dashboard's download; design.fetch().to_csv() writes the same bytes
    ("GET", "/v1/sessions/{id}/design"): {"format"},
    # long polls are the waiter's: tasks(tid).wait() and wait=True send them
    ("GET", "/v1/sessions/{id}/tasks/{id}"): {"wait", "version"},
    # an AI experiment's budget name (a v1 experiment refuses it); the client updates
    # v1 experiments, with observation_budget
    ("PUT", "/v1/experiments/{id}"): {"budget"},
    # Daptics' name of population_size, so that its params dict is a body as written;
    # the client sends population_size
    ("POST", "/v1/sessions/{id}/simulate"): {"populationSize"},
    ("PUT", "/v1/sessions/{id}/space"): {"populationSize"},
}


def endpoints():
    for parts, endpoint in _stubgen._all_endpoints(API, []):
        yield ".".join([*parts, endpoint.name]), parts, endpoint


def test_a_misspelt_keyword_is_a_type_error_before_any_request(embedded_conn):
    """Before: space.put(populaton_size=30) was sent, and the service answered."""
    session = embedded_conn.sessions(embedded_conn.sessions.create(name="typo").id)
    with pytest.raises(TypeError, match="did you mean 'population_size'"):
        session.space.put(space={"type": "factorial", "parameters": []}, populaton_size=30)
    with pytest.raises(TypeError, match="missing required argument"):
        session.experiments.put(table=[{"a": 1, "Response": 2}])
    with pytest.raises(TypeError, match="unexpected keyword argument 'wait'"):
        session.fetch(wait=True)
    assert list(session.tasks.list()) == []


def test_a_session_timeout_says_sessions_do_not_time_out_not_request_timeout(embedded_conn):
    """Before: ``sessions(sid).update(timeout=...)`` said "did you mean 'request_timeout'?",
    the HTTP timeout of the call, for a name the service refuses because sessions never
    expire; the TypeError now says so, as the service does, and nothing is sent."""
    made = embedded_conn.sessions.create(name="kept", description="before")
    session = embedded_conn.sessions(made.id)
    for call in (
        lambda: session.update(description="x", timeout={"minutes": 5}),
        lambda: embedded_conn.sessions.create(name="other", timeout=300),
    ):
        with pytest.raises(TypeError, match="unexpected keyword argument 'timeout'") as caught:
            call()
        message = str(caught.value)
        assert "Sessions do not time out" in message and "halt()" in message, message
        assert "request_timeout" not in message and "did you mean" not in message, message
    assert session.fetch().description == "before"
    assert [s.name for s in embedded_conn.sessions.list()] == ["kept"]
    # a misspelt option is still told its name
    with pytest.raises(TypeError, match="did you mean 'request_timeout'"):
        session.update(description="x", request_timeut=5)


def test_inspect_shows_each_endpoints_real_arguments(embedded_conn):
    put = inspect.signature(embedded_conn.sessions("1").space.put)
    assert list(put.parameters)[:3] == ["space", "population_size", "replicates"]
    assert put.parameters["space"].default is inspect.Parameter.empty
    assert put.parameters["population_size"].annotation == int | None
    assert {"wait", "timeout", "progress", "export_dir"} <= set(put.parameters)
    for where, _, endpoint in endpoints():
        node_sig = sigopt_like.resources.endpoint_signature(endpoint)
        kinds = {p.kind for p in node_sig.parameters.values()}
        assert inspect.Parameter.VAR_KEYWORD not in kinds or endpoint.handler, where
        if endpoint.handler is None:
            names = list(node_sig.parameters)[1:]
            expected = [p.name for p in endpoint.all_params()] + list(endpoint.options())
            assert names == expected, where


#: endpoints that take any keyword on purpose, and why
OPEN = {
    # SigOpt's calling shapes (data={...} or keyword fields, as sigopt-python's README
    # writes them); the service names what it refuses (sigopt's entries)
    "experiments.create",
    "experiments.suggest",
    "experiments.report",
}


def test_no_endpoint_takes_arbitrary_keywords_unless_it_says_why():
    """Before: 44 of the stub's methods took **kwargs: Any."""
    text = _stubgen.STUB_PATH.read_text(encoding="utf-8")
    assert "**kwargs" not in text
    for where, _, endpoint in endpoints():
        sig = sigopt_like.resources.endpoint_signature(endpoint)
        var = [p for p in sig.parameters.values() if p.kind is inspect.Parameter.VAR_KEYWORD]
        assert not var or where in OPEN, where


def test_mypy_flags_a_misspelt_keyword(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("MYPYPATH", str(ROOT))
    script = (
        "import sigopt_like\n"
        "conn = sigopt_like.Connection()\n"
        "conn.sessions('1').space.put(space={}, populaton_size=30)\n"
        "conn.sessions('1').space.put(space={}, population_size='thirty')\n"
    )
    out, status = _mypy(tmp_path, script)
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert status == 1 and len(errors) == 2, out
    assert '"populaton_size"' in errors[0], out
    assert '"population_size"' in errors[1] and '"str"' in errors[1], out


def _openapi_fields() -> dict[tuple[str, str], set[str] | None]:
    doc = json.loads(OPENAPI.read_text(encoding="utf-8"))
    schemas = doc["components"]["schemas"]
    out: dict[tuple[str, str], set[str] | None] = {}
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            fields = {p["name"] for p in op.get("parameters", []) if p.get("in") == "query"}
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            schema = body.get("schema")
            if schema and "$ref" in schema:
                schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
            if schema is not None:
                properties = schema.get("properties")
                if not properties:
                    out[(method.upper(), _generic(path))] = None  # an open body
                    continue
                # what the service renders may be sent back (readOnly): not an argument
                fields |= {k for k, v in properties.items() if not v.get("readOnly")}
            out[(method.upper(), _generic(path))] = fields
    return out


def _generic(path: str) -> str:
    parts = ["{id}" if p.startswith("{") else p for p in path.split("/")]
    return "/".join(parts)


def _route(parts: list[str], endpoint: Endpoint) -> str:
    if endpoint.path and endpoint.path.startswith("/"):
        return endpoint.path
    segments = ["", "v1"]
    group = API
    for name in parts:
        group = next(g for g in group.groups if g.name == name)
        segments.append(name)
        if group.takes_id and (name != parts[-1] or endpoint in group.item_endpoints):
            segments.append("{id}")
    if endpoint.path:
        segments.append(endpoint.path)
    return "/".join(segments)


def test_the_table_declares_what_the_openapi_document_says():
    fields = _openapi_fields()
    checked = 0
    for where, parts, endpoint in endpoints():
        if endpoint.handler is not None:
            continue
        key = (endpoint.method, _route(parts, endpoint))
        assert key in fields, f"{where}: {key} is not in the OpenAPI document"
        documented = fields[key]
        declared = {p.name for p in endpoint.all_params()}
        if documented is None:  # an open body: whatever is declared must be read by the service
            continue
        assert declared == documented - NOT_TAKEN.get(key, set()), where
        checked += 1
    assert checked >= 30


def test_options_are_not_arguments():
    for where, _, endpoint in endpoints():
        names = {p.name for p in endpoint.params}
        assert not names & {*CALL_OPTIONS, *TASK_OPTIONS}, where

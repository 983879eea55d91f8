"""The OpenAPI document and the Falcon app describe the same routes and methods."""

from __future__ import annotations

import json
import re

import jsonschema_rs
import pytest
import requests

from sigopt_like._constants import MAX_REMAINING
from sigopt_like.service import create_app
from sigopt_like.service.resources.system import openapi_document
from tests.fixtures.api import Reply, parse_body
from tests.fixtures.routes import HTTP_METHODS, registered_routes, shape

from .conftest import assert_error


@pytest.fixture(scope="module")
def document() -> dict:
    return json.loads(openapi_document())


@pytest.fixture(scope="module")
def routes(tmp_path_factory) -> dict[str, set[str]]:
    with create_app(database=str(tmp_path_factory.mktemp("oa") / "db.sqlite")) as svc:
        return {shape(t): m for t, m in registered_routes(svc.app).items()}


def documented(document) -> dict[str, set[str]]:
    return {
        shape(path): {m.upper() for m in item if m.upper() in HTTP_METHODS}
        for path, item in document["paths"].items()
    }


def test_every_registered_route_is_documented(document, routes):
    docs = documented(document)
    missing = {
        t: sorted(m - docs.get(t, set())) for t, m in routes.items() if m - docs.get(t, set())
    }
    assert not missing, f"routes missing from openapi.json: {missing}"


def test_every_documented_route_is_registered(document, routes):
    docs = documented(document)
    missing = {
        t: sorted(m - routes.get(t, set())) for t, m in docs.items() if m - routes.get(t, set())
    }
    assert not missing, f"openapi.json routes the app does not serve: {missing}"


def test_path_parameters_are_declared(document):
    for path, item in document["paths"].items():
        names = set(re.findall(r"\{([^}]+)\}", path))
        for method, op in item.items():
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == names, f"{method.upper()} {path}: {declared} != {names}"


def test_operations_have_ids_and_error_responses(document):
    ids = []
    for path, item in document["paths"].items():
        for method, op in item.items():
            ids.append(op["operationId"])
            if op.get("security") != []:
                assert "401" in op["responses"], f"{method.upper()} {path} lacks 401"
            if "requestBody" in op:
                assert "400" in op["responses"], f"{method.upper()} {path} lacks 400"
    assert len(ids) == len(set(ids))


def test_every_operation_that_reads_the_database_may_answer_503(document):
    """A request the database cannot serve now (down, busy past the wait, a deadlock
    broken) is a 503 with Retry-After; the document listed it for /ready only, so a
    client generated from it, and the fuzz's status check, took any other 503 for a
    contract breach."""
    for path, item in document["paths"].items():
        if not path.startswith(("/v1/", "/auth/", "/ready")):
            continue  # /health, /metrics, the dashboard's page and assets: no database
        for method, op in item.items():
            assert "503" in op["responses"], f"{method.upper()} {path} lacks 503"


def test_document_loads_in_schemathesis(document):
    schemathesis = pytest.importorskip("schemathesis")
    schema = schemathesis.openapi.from_dict(document)
    operations = [op.ok() for op in schema.get_all_operations()]
    assert len(operations) == sum(len(v) for v in documented(document).values())


def _request_schema(document: dict, path: str, method: str) -> jsonschema_rs.Validator:
    body = document["paths"][path][method]["requestBody"]["content"]["application/json"]
    return jsonschema_rs.Draft202012Validator(
        {**body["schema"], "components": document["components"]}
    )


SPACE = {
    "type": "factorial",
    "parameters": [
        {"name": "t", "type": "numerical", "values": [1, 2, 3]},
        {"name": "c", "type": "categorical", "values": ["a", "b"]},
    ],
}


def test_the_document_takes_the_space_bodies_the_service_takes(document, api):
    """Before: the document gave `replicates` a minimum of 1 on PUT .../space and POST
    .../simulate, though 0 (each experiment once) is what the docs' own examples send, and
    it left out that PUT .../space needs population_size and replicates: a client checking
    bodies against it refused the one and sent the other for a 400."""
    space_put = _request_schema(document, "/v1/sessions/{sid}/space", "put")
    simulate = _request_schema(document, "/v1/sessions/{sid}/simulate", "post")
    once = {"space": SPACE, "population_size": 2, "replicates": 0}
    for body, schema, route in (
        (once, space_put, "space"),
        ({"ngens": 1, **once}, simulate, "simulate"),
    ):
        sid = api.post("/v1/sessions", {"name": f"doc-{route}"}).body["id"]
        assert schema.is_valid(body), list(schema.iter_errors(body))
        method = "PUT" if route == "space" else "POST"
        assert api.call(method, f"/v1/sessions/{sid}/{route}", body).status == 202
    sid = api.post("/v1/sessions", {"name": "doc-missing"}).body["id"]
    for missing in ("population_size", "replicates"):
        body = {k: v for k, v in once.items() if k != missing}
        assert not space_put.is_valid(body), missing
        reply = api.put(f"/v1/sessions/{sid}/space", body)
        assert_error(reply, 400, "bad_request", missing, "required")


def test_the_document_says_every_get_answers_head(document, routes):
    """HEAD is served on every GET route (the router's); the document says so once, and
    the probes, whose own HEAD it lists, keep their operations."""
    assert "Every GET operation also answers HEAD" in document["info"]["description"]
    for probe in ("/health", "/ready", "/v1/version"):
        assert "head" in document["paths"][probe] and "HEAD" in routes[probe]


DAPTICS_SPACE = {
    "type": "factorial",
    "table": {"data": [["t", "numerical", 1, 2, 3], ["c", "categorical", "a", "b"]]},
}


def test_the_document_takes_daptics_table_and_space_forms(document, api):
    """Before: `Table` required `columns`/`rows` and `Space` required `parameters`, so a
    client checking bodies against the document refused Daptics' `colHeaders`/`data` and
    `table` forms, which the service takes; and it said one name "wins" over the other
    where the service refuses both together."""
    space_put = _request_schema(document, "/v1/sessions/{sid}/space", "put")
    put_rows = _request_schema(document, "/v1/sessions/{sid}/experiments", "post")
    sid = api.post("/v1/sessions", {"name": "doc-daptics"}).body["id"]
    space_body = {"space": DAPTICS_SPACE, "population_size": 2, "replicates": 0}
    assert space_put.is_valid(space_body), list(space_put.iter_errors(space_body))
    task = api.put(f"/v1/sessions/{sid}/space", space_body)
    assert task.status == 202, task.body
    for _ in range(30):
        done = api.get(f"/v1/sessions/{sid}/tasks/{task.body['id']}", wait=2)
        if done.body["status"] not in ("new", "running"):
            break
    assert done.body["status"] == "success", done.body
    table = {"colHeaders": ["t", "c", "Response"], "data": [[1, "a", 0.5]]}
    rows_body = {"type": "initial", "table": table}
    assert put_rows.is_valid(rows_body), list(put_rows.iter_errors(rows_body))
    assert api.post(f"/v1/sessions/{sid}/experiments", rows_body).status == 202
    both_names = [
        (space_put, "space", {**space_body, "space": {**DAPTICS_SPACE, **SPACE}}),
        (
            space_put,
            "space",
            {**space_body, "space": {**SPACE, "total_units": None, "totalUnits": None}},
        ),
        (put_rows, "experiments", {**rows_body, "table": {**table, "columns": ["t", "c"]}}),
        (put_rows, "experiments", {**rows_body, "table": {**table, "rows": []}}),
        (put_rows, "experiments", {**rows_body, "table": {"data": []}}),
        (space_put, "space", {**space_body, "space": {"type": "factorial"}}),
    ]
    other = api.post("/v1/sessions", {"name": "doc-both"}).body["id"]
    for schema, route, body in both_names:
        assert not schema.is_valid(body), body
        method = "PUT" if route == "space" else "POST"
        reply = api.call(method, f"/v1/sessions/{other}/{route}", body)
        assert 400 <= reply.status < 500, (body, reply.status, reply.body)


#: seed 000's put_experimental_parameters example, its params dict as written
DAPTICS_PARAMS = {
    "populationSize": 30,
    "replicates": 2,
    "space": {
        "type": "mixture",
        "totalUnits": 25,
        "table": {
            "colHeaders": ["Name", "Type", "Min", "Max"],
            "data": [
                ["param1", "unit", "1", "10"],
                ["param2", "unit", "2", "10"],
                ["param3", "unit", "4", "8"],
                ["param4", "unit", "2", "5"],
            ],
        },
    },
}


# Daptics' dict form of a mixture too large to count at the request (6 components x
# (10,000 units + 1) = 60,006 cells, more than population.MAX_COUNTED_CELLS) that holds
# only 15 experiments: its design size is judged by the space task
LARGE_MIXTURE = {
    "type": "mixture",
    "totalUnits": 10_000,
    "table": {
        "colHeaders": ["Name", "Type", "Min", "Max"],
        "data": [[f"c{i}", "unit", "1666", "1667"] for i in range(6)],
    },
}


def test_daptics_params_dict_is_a_space_and_simulate_body(document, api):
    """Daptics' params dict ``{populationSize, replicates, space}`` (put_experimental_parameters,
    start_simulation) is taken as the body, as its space's ``totalUnits`` and ``table`` are.
    Before, ``populationSize`` was a 400 "Unknown field(s)". Both names together are a 400,
    nothing started."""
    space_put = _request_schema(document, "/v1/sessions/{sid}/space", "put")
    simulate = _request_schema(document, "/v1/sessions/{sid}/simulate", "post")
    for schema, route, body in (
        (space_put, "space", DAPTICS_PARAMS),
        (simulate, "simulate", {"ngens": 1, **DAPTICS_PARAMS}),
    ):
        assert schema.is_valid(body), list(schema.iter_errors(body))
        sid = api.post("/v1/sessions", {"name": f"daptics-params-{route}"}).body["id"]
        both = {**body, "population_size": 30}
        assert not schema.is_valid(both)
        method = "PUT" if route == "space" else "POST"
        reply = api.call(method, f"/v1/sessions/{sid}/{route}", both)
        assert_error(reply, 400, "bad_request", "populationSize", "population_size")
        assert api.get(f"/v1/sessions/{sid}/tasks").body["data"] == []
        task = api.call(method, f"/v1/sessions/{sid}/{route}", body)
        assert task.status == 202, task.body
        for _ in range(60):
            done = api.get(f"/v1/sessions/{sid}/tasks/{task.body['id']}", wait=2)
            if done.body["status"] not in ("new", "running"):
                break
        assert done.body["status"] == "success", done.body
        # a refusal names the key as sent (before: 'population_size', a name not sent)
        # (a number past its range is a 422, as every body field's; a wrong kind a 400)
        for bad, status, code in (
            (True, 400, "bad_request"),
            (1e308, 422, "validation_failed"),
            ([[1]], 400, "bad_request"),
        ):
            refused = api.call(
                method, f"/v1/sessions/{sid}/{route}", {**body, "populationSize": bad}
            )
            assert_error(refused, status, code, "'populationSize'")
            assert "population_size" not in refused.body["message"], refused.body
        if route == "simulate":  # without a space it is refused, not ignored
            alone = api.call(
                method, f"/v1/sessions/{sid}/simulate", {"ngens": 1, "populationSize": 5}
            )
            assert_error(alone, 400, "bad_request", "go with a space")
        session = api.get(f"/v1/sessions/{sid}").body
        assert (session["population_size"], session["replicates"]) == (30, 2)


@pytest.mark.parametrize("route", ["space", "simulate"])
def test_a_populationsize_the_task_refuses_is_named_as_sent(api, document, route):
    """Before: ``populationSize: -1`` (or more than the space holds) passed the door and the
    task failed naming 'population_size', a key the caller never sent (the route kept it
    under that name). The task's refusal names the key sent, in its field and its words;
    ours stays named ours; so does the route's refusal of a number past the service's
    range (1 to 2500), at once, in a 422 (a 400 before). A mixture cheap to count (Daptics'
    own) is judged at the request too, a 422 naming the key sent; a larger one by the
    task. Nothing is stored."""
    method = "PUT" if route == "space" else "POST"
    extra = {"ngens": 1} if route == "simulate" else {}
    for key, value in (("populationSize", -1), ("populationSize", 10**6), ("population_size", -1)):
        sid = api.post("/v1/sessions", {"name": f"pop-range-{route}-{key}-{value}"}).body["id"]
        body = {**extra, **DAPTICS_PARAMS, key: value}
        body.pop("populationSize" if key == "population_size" else "population_size", None)
        refused = api.call(method, f"/v1/sessions/{sid}/{route}", body)
        assert_error(refused, 422, "validation_failed", f"'{key}' is {value},", "from 1 to 2500")
        assert "422" in _documented_statuses(document, method, f"/v1/sessions/{{sid}}/{route}")
        assert api.get(f"/v1/sessions/{sid}/tasks").body["data"] == []
    # Daptics' mixture (4 x 26 cells to count) is judged at the request: a population of
    # 2000 it cannot fill is a 422 naming the key sent, no task
    for key in ("populationSize", "population_size"):
        sid = api.post("/v1/sessions", {"name": f"pop-now-{route}-{key}"}).body["id"]
        body = {**extra, **DAPTICS_PARAMS, key: 2000}
        body.pop("populationSize" if key == "population_size" else "population_size", None)
        refused = api.call(method, f"/v1/sessions/{sid}/{route}", body)
        assert_error(refused, 422, "validation_failed", f"fewer than {key} 2000")
        assert refused.body["detail"]["errors"][0]["field"] == key, refused.body
        assert api.get(f"/v1/sessions/{sid}/tasks").body["data"] == []
    # a mixture too large to count at the request (6 x 10,001 cells) holding 15
    # experiments: a population of 16 is the task's refusal, naming the key sent
    cases = [
        ("populationSize", 16, "fewer than populationSize 16"),
        ("population_size", 16, "fewer than population_size 16"),
    ]
    for key, value, said in cases:
        sid = api.post("/v1/sessions", {"name": f"pop-key-{route}-{key}-{value}"}).body["id"]
        body = {**extra, **DAPTICS_PARAMS, "space": LARGE_MIXTURE, key: value}
        body.pop("populationSize" if key == "population_size" else "population_size", None)
        task = api.call(method, f"/v1/sessions/{sid}/{route}", body)
        assert task.status == 202, task.body
        for _ in range(60):
            done = api.get(f"/v1/sessions/{sid}/tasks/{task.body['id']}", wait=2)
            if done.body["status"] not in ("new", "running"):
                break
        assert done.body["status"] == "failed", done.body
        errors = done.body["errors"]
        assert [e["field"] for e in errors] == [key], errors
        assert said in errors[0]["message"], errors
        other = "population_size" if key == "populationSize" else "populationSize"
        assert other not in errors[0]["message"], errors
        session = api.get(f"/v1/sessions/{sid}").body
        assert session["population_size"] is None, session


def test_the_served_document_says_remaining_is_capped(api):
    """Before: a session's ``remaining`` was an integer without a ``maximum`` nor a word of
    its cap, which the service stores as 2**31 - 1 (a lower bound there, shown as
    "2,147,483,647 or more"). The served document says both, and a session at the cap
    (20 ten-level parameters at population 1: 10**20 generations) is valid by it."""
    served = api.get("/v1/openapi.json")
    assert served.status == 200, served
    schemas = served.body["components"]["schemas"]
    for name in ("Session", "SessionSpace"):
        remaining = schemas[name]["properties"]["remaining"]
        assert remaining["maximum"] == MAX_REMAINING and remaining["minimum"] == 0, name
        assert f"{MAX_REMAINING:,} or more" in remaining["description"], name
        assert "lower bound" in remaining["description"], name
    sid = api.post("/v1/sessions", {"name": "at-the-cap"}).body["id"]
    wide = {
        "type": "factorial",
        "parameters": [
            {"name": f"p{i}", "type": "numerical", "values": list(range(10))} for i in range(20)
        ],
    }
    task = api.put(
        f"/v1/sessions/{sid}/space", {"space": wide, "population_size": 1, "replicates": 0}
    )
    assert task.status == 202, task
    for _ in range(60):
        done = api.get(f"/v1/sessions/{sid}/tasks/{task.body['id']}", wait=2)
        if done.body["status"] not in ("new", "running"):
            break
    assert done.body["status"] == "success", done.body
    session = api.get(f"/v1/sessions/{sid}").body
    assert session["remaining"] == MAX_REMAINING
    validator = jsonschema_rs.Draft202012Validator(
        {**schemas["Session"], "components": served.body["components"]}
    )
    assert validator.is_valid(session), list(validator.iter_errors(session))
    assert not validator.is_valid({**session, "remaining": MAX_REMAINING + 1})


def _documented_statuses(document: dict, method: str, path: str) -> set[str]:
    return set(document["paths"][path][method.lower()]["responses"])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/sessions"),
        ("PUT", "/v1/sessions/{sid}/space"),
        ("POST", "/v1/sessions/{sid}/generate"),
        ("POST", "/v1/sessions/{sid}/simulate"),
        ("POST", "/v1/sessions/{sid}/analytics"),
    ],
)
def test_a_route_with_a_whole_number_field_documents_its_422(document, method, path):
    """A number past a body's whole-number field (seed, population_size, replicates, gen,
    ngens) is a 422 validation_failed, as a SigOpt field's: the route lists it."""
    assert "422" in _documented_statuses(document, method, path)


def test_every_json_body_may_answer_415(document, served):
    """The door answers a body that is not JSON with a 415 on every route; the SigOpt
    project, AI experiment, training run and tag routes and the dashboard's sign-in did
    not list it, so a client generated from the document took it for a contract breach
    (found by tests/security/test_fuzz_openapi.py)."""
    lacking = [
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method, op in item.items()
        if "application/json" in op.get("requestBody", {}).get("content", {})
        and "415" not in op["responses"]
    ]
    assert lacking == []
    cid = requests.get(f"{served.url}/v1/tokens/self", headers=served.headers(), timeout=30)
    client = cid.json()["client"]
    answer = requests.post(
        f"{served.url}/v1/clients/{client}/projects",
        data=b"name=x",
        headers={**served.headers(), "Content-Type": "text/plain"},
        timeout=30,
    )
    assert_error(answer_reply(answer), 415, "unsupported_media_type", "must be JSON")
    assert "415" in _documented_statuses(document, "POST", "/v1/clients/{cid}/projects")
    projects = requests.get(
        f"{served.url}/v1/clients/{client}/projects", headers=served.headers(), timeout=30
    )
    assert projects.json()["data"] == []


def test_every_path_with_a_parameter_may_answer_400(document, served):
    """The door answers a path that is not UTF-8 once decoded (``%FF``) with a 400 on every
    route; GET /v1/tokens/{token} and GET /assets/{name} did not list it."""
    lacking = [
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method, op in item.items()
        if "{" in path and "400" not in op["responses"]
    ]
    assert lacking == []
    for path in ("/v1/tokens/%FF", "/assets/%FF"):
        answer = requests.get(served.url + path, headers=served.headers(), timeout=30)
        assert_error(answer_reply(answer), 400, "bad_request", "is not UTF-8")


def test_a_project_id_that_is_not_one_is_a_documented_422(document, served):
    """GET .../projects/{pid}/notes refuses an id that is not a project id with a 422 naming
    the rule (as POST on the same path does); the document did not list it for GET."""
    me = requests.get(f"{served.url}/v1/tokens/self", headers=served.headers(), timeout=30)
    answer = requests.get(
        f"{served.url}/v1/clients/{me.json()['client']}/projects/{'x' * 101}/notes",
        headers=served.headers(),
        timeout=30,
    )
    assert_error(answer_reply(answer), 422, "validation_failed", "is not a project id")
    path = "/v1/clients/{cid}/projects/{pid}/notes"
    assert "422" in _documented_statuses(document, "GET", path)


def answer_reply(answer: requests.Response) -> Reply:
    """A requests answer as the tests' Reply, for assert_error."""
    return Reply(answer.status_code, parse_body(answer.text), answer.headers, answer.text)

"""A space's fields are its own: an unknown key in a space or one of its parameters is a
400 naming it, on ``PUT .../space`` and ``POST .../simulate``; it was dropped (the space
task succeeded, so a misspelt key looked accepted). openapi.json closes Space and
Parameter to match."""

from __future__ import annotations

import json
import time

import pytest
import requests

from sigopt_like.service.resources.campaign import (
    SPACE_FIELDS,
    SPACE_PARAMETER_FIELDS,
    TABLE_FIELDS,
)
from sigopt_like.service.resources.system import openapi_document

SPACE = {
    "type": "factorial",
    "parameters": [
        {"name": "a", "type": "numerical", "values": [1, 2, 3]},
        {"name": "b", "type": "categorical", "values": ["x", "y"]},
    ],
}


def _with(place: str) -> dict:
    space = json.loads(json.dumps(SPACE))
    if place == "space":
        space["zz"] = 1
    else:
        space["parameters"][1]["vaules"] = ["x", "y"]
    return space


@pytest.mark.parametrize(
    ("place", "field"), [("space", "space.zz"), ("parameter", "space.parameters[1].vaules")]
)
def test_an_unknown_space_field_is_a_400_naming_it(served, place, field):
    url, headers = served.url, served.headers()
    sid = requests.post(f"{url}/v1/sessions", json={"name": place}, headers=headers).json()["id"]
    for path, body in [
        (
            f"/v1/sessions/{sid}/space",
            {"space": _with(place), "population_size": 4, "replicates": 0},
        ),
        (
            f"/v1/sessions/{sid}/simulate",
            {"ngens": 1, "space": _with(place), "population_size": 4, "replicates": 0},
        ),
    ]:
        reply = requests.request(
            "PUT" if path.endswith("space") else "POST", url + path, json=body, headers=headers
        )
        assert reply.status_code == 400, reply.text
        assert reply.json()["detail"]["field"] == field
    tasks = requests.get(f"{url}/v1/sessions/{sid}/tasks", headers=headers).json()["data"]
    assert tasks == []
    fine = {"space": SPACE, "population_size": 4, "replicates": 0}
    done = requests.put(f"{url}/v1/sessions/{sid}/space", json=fine, headers=headers)
    assert done.status_code == 202, done.text


def test_the_document_closes_space_and_parameter_with_the_same_fields():
    schemas = json.loads(openapi_document())["components"]["schemas"]
    for name, fields in (("Space", SPACE_FIELDS), ("Parameter", SPACE_PARAMETER_FIELDS)):
        assert schemas[name]["additionalProperties"] is False
        assert set(schemas[name]["properties"]) == set(fields)


def test_an_unknown_table_field_is_a_400_naming_it(served):
    url, headers = served.url, served.headers()
    sid = requests.post(f"{url}/v1/sessions", json={"name": "t"}, headers=headers).json()["id"]
    space = {"space": SPACE, "population_size": 4, "replicates": 0}
    requests.put(f"{url}/v1/sessions/{sid}/space", json=space, headers=headers)
    deadline = time.monotonic() + 60
    while requests.get(f"{url}/v1/sessions/{sid}/space", headers=headers).status_code != 200:
        assert time.monotonic() < deadline, "the space task did not finish"
        time.sleep(0.05)
    table = {"columns": ["a", "b", "Response"], "rows": [[1, "x", 0.5]], "colums": ["a"]}
    for method, path, body in [
        ("POST", f"/v1/sessions/{sid}/experiments", {"type": "initial", "table": table}),
        ("POST", f"/v1/sessions/{sid}/responses/simulate", {"table": table}),
    ]:
        reply = requests.request(method, url + path, json=body, headers=headers)
        assert reply.status_code == 400, reply.text
        assert reply.json()["detail"]["field"] == "table.colums"
    schemas = json.loads(openapi_document())["components"]["schemas"]
    assert schemas["Table"]["additionalProperties"] is False
    assert set(schemas["Table"]["properties"]) == set(TABLE_FIELDS)


def test_a_space_naming_one_thing_twice_is_refused(served):
    """Before: ``total_units`` with Daptics' ``totalUnits``, or ``parameters`` with
    Daptics' ``table``, were both taken, and the second of each pair dropped unseen."""
    url, headers = served.url, served.headers()
    sid = requests.post(f"{url}/v1/sessions", json={"name": "twice"}, headers=headers).json()["id"]
    mixture = {
        "type": "mixture",
        "total_units": 10,
        "totalUnits": 12,
        "parameters": [
            {"name": "a", "type": "unit", "min": 0, "max": 10},
            {"name": "b", "type": "unit", "min": 0, "max": 10},
        ],
    }
    factorial = {**SPACE, "table": {"colHeaders": [], "data": [["z", "numerical", 1, 2]]}}
    for space, said in (
        (mixture, "both 'total_units' and Daptics' 'totalUnits'"),
        (factorial, "both 'parameters' and Daptics' 'table'"),
    ):
        body = {"space": space, "population_size": 2, "replicates": 0}
        reply = requests.put(f"{url}/v1/sessions/{sid}/space", json=body, headers=headers)
        assert 400 <= reply.status_code < 500 and said in reply.text, reply.text
    assert requests.get(f"{url}/v1/sessions/{sid}/space", headers=headers).status_code == 404

"""``parallel_bandwidth`` takes 1 to 10,000 workers (docs/sigopt.md): the engine's
space-filling start has that many points before its model chooses, so ``2**62`` was
taken, stored and made every suggestion a space-filling one, forever, without a word.
Past the limit: a 422 naming the field that gives the range and the reason, nothing
stored, through sigopt-python against a served instance and through the HTTP routes."""

from __future__ import annotations

import jsonschema_rs
import pytest
import sqlalchemy as sa

from sigopt_like.service.store import schema

from .conftest import Api

sigopt = pytest.importorskip("sigopt")
from sigopt.exception import ApiException  # noqa: E402

X = {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}
SAID = "'parallel_bandwidth' is {}, outside its range: it takes a whole number from 1 to 10000"


@pytest.fixture
def conn(served):
    connection = sigopt.Connection(client_token=served.token)
    connection.set_api_url(served.url)
    return connection


def test_sigopt_python_is_refused_past_the_limit(conn, served) -> None:
    api = Api(served.service, served.url, served.token)
    before = api.snapshot()
    for value in (2**62, 10_001):
        with pytest.raises(ApiException) as caught:
            conn.experiments().create(name="wide", parameters=[X], parallel_bandwidth=value)
        assert caught.value.status_code == 422
        message = str(caught.value)
        assert SAID.format(value) in message, message
        assert "space-filling design before the model chooses" in message, message
    assert api.snapshot() == before
    e = conn.experiments().create(name="edge", parameters=[X], parallel_bandwidth=10_000)
    assert e.parallel_bandwidth == 10_000
    before = api.snapshot()
    with pytest.raises(ApiException) as caught:
        conn.experiments(e.id).update(parallel_bandwidth=2**62)
    assert caught.value.status_code == 422 and SAID.format(2**62) in str(caught.value)
    assert api.snapshot() == before
    assert conn.experiments(e.id).update(parallel_bandwidth=16).parallel_bandwidth == 16


def test_an_ai_experiment_is_refused_the_same(api: Api) -> None:
    client = api.get("/v1/tokens/self").body["client"]
    before = api.snapshot()
    reply = api.post(
        f"/v1/clients/{client}/projects/p/aiexperiments",
        {"name": "ai", "parameters": [X], "metrics": [{"name": "v"}], "parallel_bandwidth": 2**62},
    )
    assert reply.status == 422 and reply.body["detail"]["field"] == "parallel_bandwidth"
    assert reply.body["message"].startswith(SAID.format(2**62)), reply.body
    assert {k: v for k, v in api.snapshot().items() if k != "sigopt_projects"} == {
        k: v for k, v in before.items() if k != "sigopt_projects"
    }


def test_a_value_stored_before_the_limit_may_be_sent_back(api: Api) -> None:
    """An experiment made with a wider bandwidth before the limit: an update that sends
    it back as fetched is taken (another change with it too); a new value must fit."""
    e = api.create_experiment(parallel_bandwidth=8)
    with api.service.context.store.database.engine.begin() as db:
        db.execute(
            sa.update(schema.sigopt_experiments)
            .where(schema.sigopt_experiments.c.id == int(e["id"]))
            .values(parallel_bandwidth=2**62)
        )
    fetched = api.get(f"/v1/experiments/{e['id']}").body
    assert fetched["parallel_bandwidth"] == 2**62
    reply = api.put(f"/v1/experiments/{e['id']}", {"name": "renamed", "parallel_bandwidth": 2**62})
    assert reply.status == 200, reply.body
    assert reply.body["name"] == "renamed" and reply.body["parallel_bandwidth"] == 2**62
    reply = api.put(f"/v1/experiments/{e['id']}", {"parallel_bandwidth": 2**62 + 1})
    assert reply.status == 422 and reply.body["detail"]["field"] == "parallel_bandwidth"
    reply = api.put(f"/v1/experiments/{e['id']}", {"parallel_bandwidth": True})
    assert reply.status == 400 and reply.body["detail"]["field"] == "parallel_bandwidth"


@pytest.mark.parametrize("update", ["ExperimentUpdate", "AIExperimentUpdate"])
def test_the_document_lets_a_client_send_the_stored_value_back(api: Api, update: str) -> None:
    """Before: the update bodies declared ``maximum: 10000``, so a client that checks its
    requests against the served document could not send back the stored value that the
    service takes (above). The document now declares no maximum there and says why."""
    document = api.get("/v1/openapi.json").body
    schema_ = {"$ref": f"#/components/schemas/{update}", "components": document["components"]}
    validator = jsonschema_rs.Draft202012Validator(schema_)
    assert validator.is_valid({"parallel_bandwidth": 2**62})
    assert not validator.is_valid({"parallel_bandwidth": 0})
    said = document["components"]["schemas"][update]["properties"]["parallel_bandwidth"]
    assert "1 to 10000 (a 422 past it)" in said["description"]
    assert "stored value" in said["description"] and "sent back unchanged" in said["description"]

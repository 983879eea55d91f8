"""A SigOpt path that names nothing of the caller's is a 404 whatever the body.

Before, most SigOpt routes judged the body first: ``POST /v1/experiments/{another user's
id}/observations/batch`` with ``{"observations": 5}`` was a 400, ``[]`` to
``PUT /v1/experiments/{unknown}`` a 400, a lone surrogate or a JSON nested too deep a 400
(the door's), where an unknown or foreign id is a 404 with a body the route takes: the
answer told a foreign id from a missing one. SigOpt answers a resource not found (or not
the caller's) 404 before it looks at the body.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from sigopt_like.service.store import schema
from tests.fixtures.api import assert_error
from tests.sigopt.conftest import PARAMETERS, Api

sigopt = pytest.importorskip("sigopt")
from sigopt.exception import ApiException  # noqa: E402

#: the tables a refused write could have touched
WRITTEN = (
    schema.sigopt_projects,
    schema.sigopt_project_notes,
    schema.sigopt_tags,
    schema.sigopt_experiments,
    schema.suggestions,
    schema.queued_suggestions,
    schema.observations,
    schema.training_runs,
    schema.run_checkpoints,
    schema.run_files,
    schema.tokens,
)

#: every SigOpt route with an id in its path that takes a body, with a body it refuses
#: (a 4xx of its own for the owner): ``{E}`` experiment, ``{S}`` suggestion, ``{O}``
#: observation, ``{A}`` AI experiment, ``{R}`` training run, ``{C}`` client, ``{P}`` project
ROUTES = [
    ("PUT", "/v1/experiments/{E}", {"name": 5}),
    ("POST", "/v1/experiments/{E}/suggestions", {"assignments": 5, "nonsense": 1}),
    ("PUT", "/v1/experiments/{E}/suggestions/{S}", {"metadata": 5}),
    ("POST", "/v1/experiments/{E}/queued_suggestions", {"value": 1}),
    ("POST", "/v1/experiments/{E}/observations", {"value": "x"}),
    ("POST", "/v1/experiments/{E}/observations/batch", {"observations": 5}),
    ("PUT", "/v1/experiments/{E}/observations/{O}", {"value": "x"}),
    ("POST", "/v1/experiments/{E}/tokens", {"nonsense": 5}),
    ("PUT", "/v1/aiexperiments/{A}", {"name": 5}),
    ("POST", "/v1/aiexperiments/{A}/training_runs", {"name": 5}),
    ("PUT", "/v1/training_runs/{R}", {"name": 5}),
    ("PATCH", "/v1/training_runs/{R}", {"name": 5}),
    ("MERGE", "/v1/training_runs/{R}", {"name": 5}),
    ("POST", "/v1/training_runs/{R}/checkpoints", {"values": 5}),
    ("POST", "/v1/training_runs/{R}/files", {"filename": 5}),
    ("POST", "/v1/training_runs/{R}/tags", {"name": 5}),
    ("POST", "/v1/clients/{C}/experiments", {"name": 5}),
    ("POST", "/v1/clients/{C}/tags", {"name": 5}),
    ("POST", "/v1/clients/{C}/projects", {"id": 5}),
    ("PUT", "/v1/clients/{C}/projects/{P}", {"name": 5}),
    ("POST", "/v1/clients/{C}/projects/{P}/aiexperiments", {"name": 5}),
    ("POST", "/v1/clients/{C}/projects/{P}/notes", {"contents": 5}),
    ("POST", "/v1/clients/{C}/projects/{P}/training_runs", {"name": 5}),
    ("POST", "/v1/clients/{C}/projects/{P}/training_runs/batch", {"runs": 5}),
]

#: bodies the door refuses (a lone surrogate, NUL, a JSON nested too deep, no JSON at all,
#: a field named twice) or a route refuses before its fields (not an object), and numbers
#: past 64 bits and near a double's top, sent as written
HOSTILE = [
    '{"name": "\\ud800"}',
    '{"name": "a\\u0000b"}',
    f'{{"value": {2**70}}}',
    '{"value": 1e308}',
    "[" * 300 + "]" * 300,
    '{"metadata": ' + '{"a": ' * 60 + "1" + "}" * 60 + "}",
    "{not json",
    '{"name": "a", "name": "b"}',
    "[]",
    "5",
]


def _objects(a: Api, path: str) -> dict[str, str]:
    """User A's objects the path names (made only when it names them)."""
    cid = a.get("/v1/tokens/self").body["client"]
    ids = {"C": cid, "P": "mine"}
    if "{E}" in path:
        ids["E"] = a.create_experiment(name="mine")["id"]
        ids["S"] = a.post(f"/v1/experiments/{ids['E']}/suggestions", {}).body["id"]
        observed = {"suggestion": ids["S"], "value": 1.0}
        ids["O"] = a.post(f"/v1/experiments/{ids['E']}/observations", observed).body["id"]
    if "{P}" in path or "{A}" in path or "{R}" in path:
        made = a.post(f"/v1/clients/{cid}/projects", {"id": "mine"})
        assert made.status == 201, made.text
    if "{A}" in path:
        ai = {"name": "mine", "parameters": PARAMETERS, "metrics": [{"name": "m"}]}
        made = a.post(f"/v1/clients/{cid}/projects/mine/aiexperiments", ai)
        assert made.status == 201, made.text
        ids["A"] = made.body["id"]
    if "{R}" in path:
        made = a.post(f"/v1/clients/{cid}/projects/mine/training_runs", {"name": "mine"})
        assert made.status == 201, made.text
        ids["R"] = made.body["id"]
    return ids


def _stored(a: Api) -> dict[str, list[tuple[Any, ...]]]:
    assert a.service is not None
    with a.service.context.store.database.engine.connect() as conn:
        return {t.name: sorted(map(tuple, conn.execute(sa.select(t)))) for t in WRITTEN}


@pytest.mark.parametrize("method, path, refused", ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_an_unknown_or_foreign_id_is_404_before_its_body(served, method, path, refused):
    a = Api(served.service, served.url, served.token)
    b = a.as_user(served.make_user()[1])
    ids = _objects(a, path)
    unknown = {**ids, **{k: "987654" for k in "ESOAR"}, "C": "987654", "P": "nobody"}
    if "{P}" in path and method == "POST" and not path.endswith("/notes"):
        unknown["P"] = "mine"  # a project is made on first use: its client is unknown
    mine, nobodys = path.format(**ids), path.format(**unknown)
    before = _stored(a)
    json_type = {"Content-Type": "application/json"}
    bodies = [json.dumps(refused), *HOSTILE]
    for body in bodies:
        for reply in (
            b.call(method, mine, data=body, headers=json_type),
            a.call(method, nobodys, data=body, headers=json_type),
        ):
            assert_error(reply, 404, "not_found")
            assert "mine" not in reply.text
    # no body at all, where one is required
    assert_error(a.call(method, nobodys), 404, "not_found")
    if "{P}" in path and unknown["P"] != "mine":  # the caller's client, no such project
        nothing = path.format(**{**ids, "P": "nobody"})
        for body in bodies:
            reply = a.call(method, nothing, data=body, headers=json_type)
            assert_error(reply, 404, "not_found", "project")
    assert _stored(a) == before
    # the owner still gets the body's own refusal: the 404 is about the id
    for body in (json.dumps(refused), "[]", '{"name": "\\ud800"}'):
        own = a.call(method, mine, data=body, headers=json_type)
        assert 400 <= own.status < 500 and own.status != 404, (body, own.text)
    assert _stored(a) == before


def test_a_delete_with_a_body_to_another_users_experiment_is_404(served):
    """The door refuses a body on a DELETE (it would not be read); for an experiment that
    is not the caller's it was that 400, where a DELETE without one is a 404."""
    a = Api(served.service, served.url, served.token)
    b = a.as_user(served.make_user()[1])
    eid = a.create_experiment()["id"]
    for path in (f"/v1/experiments/{eid}", f"/v1/experiments/{eid}/suggestions"):
        assert_error(b.call("DELETE", path, {"state": "open"}), 404, "not_found")
        assert_error(a.call("DELETE", path, {"state": "open"}), 400, "bad_request", "body")
    assert a.get(f"/v1/experiments/{eid}").body["state"] == "active"


#: what sigopt-python sends with a value of the wrong type, to user A's objects
_CLIENT_CALLS = [
    ("experiment update", lambda c, i: c.experiments(i["E"]).update(name=5)),
    ("suggestion create", lambda c, i: c.experiments(i["E"]).suggestions().create(nonsense=1)),
    (
        "suggestion update",
        lambda c, i: c.experiments(i["E"]).suggestions(i["S"]).update(metadata=5),
    ),
    (
        "queued suggestion create",
        lambda c, i: c.experiments(i["E"]).queued_suggestions().create(value=1),
    ),
    (
        "observation create",
        lambda c, i: c.experiments(i["E"]).observations().create(suggestion=i["S"], value="x"),
    ),
    (
        "observation batch",
        lambda c, i: c.experiments(i["E"]).observations().create_batch(observations=5),
    ),
    (
        "observation update",
        lambda c, i: c.experiments(i["E"]).observations(i["O"]).update(value="x"),
    ),
    ("experiment token", lambda c, i: c.experiments(i["E"]).tokens().create(nonsense=5)),
]


@pytest.mark.parametrize("call", [c for _, c in _CLIENT_CALLS], ids=[n for n, _ in _CLIENT_CALLS])
def test_sigopt_python_gets_404_for_another_users_experiment_whatever_it_sends(served, call):
    a = Api(served.service, served.url, served.token)
    ids = _objects(a, "{E}")
    other = sigopt.Connection(client_token=served.make_user()[1])
    other.set_api_url(served.url)
    before = _stored(a)
    with pytest.raises(ApiException) as caught:
        call(other, ids)
    assert caught.value.status_code == 404, str(caught.value)
    assert _stored(a) == before


#: a body no GET, HEAD or DELETE reads: the door refuses it (400) on the caller's own path
_UNREAD = '{"a": 1}'
_JSON = {"Content-Type": "application/json"}


def _run_with_file(a: Api) -> tuple[str, str, str]:
    """User A's client, a training run of A's and a file described on it."""
    cid = a.get("/v1/tokens/self").body["client"]
    assert a.post(f"/v1/clients/{cid}/projects", {"id": "mine"}).status == 201
    rid = a.post(f"/v1/clients/{cid}/projects/mine/training_runs", {"name": "mine"}).body["id"]
    described = {
        "name": "f",
        "content_length": 1,
        "content_md5": "1B2M2Y8AsgTpgAmY7PhCfg==",
        "content_type": "image/png",
    }
    made = a.post(f"/v1/training_runs/{rid}/files", described)
    assert made.status == 201, made.text
    return cid, rid, made.body["id"]


def test_a_file_or_organization_not_the_callers_is_404_whatever_it_sends(served):
    """Before: the judge of a refused body returned at once on a path with no client,
    experiment or run, so a body sent to another user's file (``GET /v1/files/{fid}``, its
    content) or organization was the door's 400, where without one it is a 404."""
    a = Api(served.service, served.url, served.token)
    b = a.as_user(served.make_user()[1])
    cid, _, fid = _run_with_file(a)
    reads = [
        ("GET", f"/v1/files/{fid}", "file"),
        ("GET", f"/v1/files/{fid}/content", "file"),
        ("HEAD", f"/v1/files/{fid}/content", None),
        ("GET", f"/v1/organizations/{cid}", "organization"),
        ("GET", f"/v1/organizations/{cid}/experiments", "organization"),
        ("GET", f"/v1/organizations/{cid}/training_runs", "organization"),
    ]
    for method, path, field in reads:
        unknown = path.replace(f"/{fid}", "/987654").replace(f"/{cid}", "/987654")
        for reply in (
            b.call(method, path, data=_UNREAD, headers=_JSON),
            a.call(method, unknown, data=_UNREAD, headers=_JSON),
        ):
            assert reply.status == 404, (method, path, reply.status, reply.text)
            if field is not None:  # a HEAD answers no body
                assert_error(reply, 404, "not_found", field)
        own = a.call(method, path, data=_UNREAD, headers=_JSON)
        assert own.status == 400, (method, path, own.text)


def test_an_unknown_checkpoint_or_tag_of_a_run_is_404_whatever_it_sends(served):
    """Before: only the run was judged, so an unknown checkpoint or tag of the caller's
    run with a body was the door's 400, where without one it is the route's 404."""
    a = Api(served.service, served.url, served.token)
    cid, rid, _ = _run_with_file(a)
    made = a.post(f"/v1/training_runs/{rid}/checkpoints", {"values": [{"name": "m", "value": 1}]})
    assert made.status == 201, made.text
    tag = a.post(f"/v1/clients/{cid}/tags", {"name": "t", "color": "#112233"}).body["id"]
    for method, path, known, field in (
        ("GET", f"/v1/training_runs/{rid}/checkpoints/", made.body["id"], "checkpoint"),
        ("DELETE", f"/v1/training_runs/{rid}/tags/", tag, "tag"),
    ):
        for child in ("987654", "abc"):
            reply = a.call(method, path + child, data=_UNREAD, headers=_JSON)
            assert_error(reply, 404, "not_found")
            assert reply.body["detail"] in ({"field": field}, {}), reply.text
        own = a.call(method, path + known, data=_UNREAD, headers=_JSON)
        assert_error(own, 400, "bad_request", "body")


def test_an_ai_experiment_under_v1_experiments_best_training_runs_is_404_with_a_body(served):
    """``/v1/experiments/{eid}/best_training_runs`` reads only a v1 experiment (its route's
    kind); the judge read any kind there, so an AI experiment's id with a body was the
    door's 400, where without one it is the route's 404."""
    a = Api(served.service, served.url, served.token)
    ids = _objects(a, "{A}")
    path = f"/v1/experiments/{ids['A']}/best_training_runs"
    without = a.call("GET", path)
    assert_error(without, 404, "not_found", "experiment")
    reply = a.call("GET", path, data=_UNREAD, headers=_JSON)
    assert_error(reply, 404, "not_found", "experiment")
    assert reply.body["message"] == without.body["message"]
    own = a.call(
        "GET", f"/v1/aiexperiments/{ids['A']}/best_training_runs", data=_UNREAD, headers=_JSON
    )
    assert_error(own, 400, "bad_request", "body")


def test_a_compressed_body_to_another_users_experiment_is_404(served):
    """Before: the door refused a ``Content-Encoding`` (415) before it judged the path,
    so a gzip-labelled body to another user's experiment was a 415, not its 404."""
    a = Api(served.service, served.url, served.token)
    b = a.as_user(served.make_user()[1])
    eid = a.create_experiment(name="mine")["id"]
    gzip = {**_JSON, "Content-Encoding": "gzip"}
    body = json.dumps({"name": "x"})
    before = _stored(a)
    for reply in (
        b.call("PUT", f"/v1/experiments/{eid}", data=body, headers=gzip),
        a.call("PUT", "/v1/experiments/987654", data=body, headers=gzip),
    ):
        assert_error(reply, 404, "not_found", "experiment")
    assert a.call("PUT", f"/v1/experiments/{eid}", data=body, headers=gzip).status == 415
    assert _stored(a) == before


@pytest.mark.parametrize(
    "tail, query",
    [("", "bogus=1"), ("/suggestions", "bogus=1"), ("/suggestions", "state=zzz")],
)
def test_a_query_refused_on_another_users_experiment_is_404(served, tail, query):
    """Before: the door checked the query parameters before the path, so
    ``GET /v1/experiments/{another user's}/suggestions?bogus=1`` was a 400 where
    ``?limit=abc`` (the route's own check) was the 404."""
    a = Api(served.service, served.url, served.token)
    b = a.as_user(served.make_user()[1])
    eid = a.create_experiment(name="mine")["id"]
    path = f"/v1/experiments/{eid}{tail}?{query}"
    assert_error(b.call("GET", path), 404, "not_found", "experiment")
    assert_error(a.call("GET", f"/v1/experiments/987654{tail}?{query}"), 404, "not_found")
    assert_error(a.call("GET", path), 400, "bad_request")


def test_under_a_project_not_made_a_read_is_404_whatever_its_query(served):
    """Only GET (HEAD) of a project itself makes it on first use: before, every GET under
    a project skipped its judge (``?bogus=1`` to ``.../projects/{unknown}/training_runs``
    was a 400, without it a 404), and HEAD of the project itself was judged (a 404 where
    GET of it is the door's 400)."""
    a = Api(served.service, served.url, served.token)
    cid = a.get("/v1/tokens/self").body["client"]
    for tail in ("/notes", "/training_runs", "/aiexperiments", "/experiments"):
        for method in ("GET", "HEAD"):
            for query in ("", "?bogus=1"):
                reply = a.call(method, f"/v1/clients/{cid}/projects/none{tail}{query}")
                assert reply.status == 404, (method, tail, query, reply.text)
    for method in ("GET", "HEAD"):
        project = f"/v1/clients/{cid}/projects/new-{method.lower()}"
        assert a.call(method, f"{project}?bogus=1").status == 400, method
        assert a.call(method, project).status == 200, method

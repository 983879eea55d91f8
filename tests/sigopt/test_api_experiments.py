"""/v1/experiments over the embedded and the served service."""

from __future__ import annotations

import pytest

from .conftest import PARAMETERS, Api


def test_create_returns_sigopt_experiment(api: Api):
    e = api.create_experiment(
        name="shape",
        observation_budget=30,
        parallel_bandwidth=2,
        metadata={"owner": "lab", "run": 3},
        metrics=[{"name": "yield", "objective": "maximize"}],
    )
    assert e["object"] == "experiment"
    assert e["id"].isdigit()
    assert e["name"] == "shape" and e["type"] == "offline" and e["state"] == "active"
    assert e["observation_budget"] == 30 and e["parallel_bandwidth"] == 2
    assert e["metadata"] == {"owner": "lab", "run": 3}
    assert e["development"] is False and isinstance(e["client"], str)
    assert isinstance(e["created"], int) and isinstance(e["updated"], int)
    x, n, c = e["parameters"]
    assert x["bounds"] == {"object": "bounds", "min": -5, "max": 10} and x["type"] == "double"
    assert n["bounds"]["min"] == 0 and isinstance(n["bounds"]["max"], int)
    assert c["categorical_values"] == [
        {"object": "categorical_value", "name": "a", "enum_index": 1},
        {"object": "categorical_value", "name": "b", "enum_index": 2},
        {"object": "categorical_value", "name": "c", "enum_index": 3},
    ]
    assert e["metrics"] == [
        {
            "object": "metric",
            "name": "yield",
            "objective": "maximize",
            "strategy": "optimize",
            "threshold": None,
        }
    ]
    assert e["progress"] == {
        "object": "progress",
        "observation_count": 0,
        "observation_budget_consumed": 0.0,
        "first_observation": None,
        "last_observation": None,
        "best_observation": None,
    }


def test_default_metric_is_one_unnamed_maximized(api: Api):
    e = api.create_experiment()
    assert [(m["name"], m["objective"]) for m in e["metrics"]] == [(None, "maximize")]
    assert e["parallel_bandwidth"] == 1 and e["observation_budget"] is None


def test_the_one_unnamed_metric_given_twice_in_an_update_is_a_422(api: Api):
    """Found by the OpenAPI fuzz: an update whose ``metrics`` gave two entries without a
    name, on an experiment whose one metric is unnamed, was a 500 (KeyError 'name')."""
    e = api.create_experiment()
    path = f"/v1/experiments/{e['id']}"
    for metrics in ([{}, {}], [{"threshold": 1}, {"objective": "maximize"}]):
        reply = api.put(path, {"metrics": metrics})
        assert reply.status == 422, reply.body  # as a metric named twice is
        assert reply.body["detail"]["field"] == "metrics[1]", reply.body
        assert "given twice" in reply.body["message"]
    assert api.get(path).body == e | {"updated": api.get(path).body["updated"]}
    assert api.put(path, {"metrics": [{}]}).status == 200  # once: no change


def test_fetch_update_delete(api: Api):
    e = api.create_experiment()
    path = f"/v1/experiments/{e['id']}"
    assert api.get(path).body["name"] == "test"
    reply = api.put(path, {"name": "renamed", "metadata": {"k": "v"}, "observation_budget": 12})
    assert reply.status == 200, reply.body
    assert (reply.body["name"], reply.body["metadata"], reply.body["observation_budget"]) == (
        "renamed",
        {"k": "v"},
        12,
    )
    assert api.get(path).body["name"] == "renamed"
    assert api.put(path, {"metadata": None}).body["metadata"] is None
    assert api.delete(path).status == 204
    assert api.get(path).body["state"] == "deleted"
    assert api.delete(path).status == 204
    listed = [x["id"] for x in api.get("/v1/experiments").body["data"]]
    assert e["id"] not in listed
    assert e["id"] in [x["id"] for x in api.get("/v1/experiments", state="all").body["data"]]
    assert e["id"] in [x["id"] for x in api.get("/v1/experiments", state="deleted").body["data"]]
    refused = api.post(f"{path}/suggestions")
    assert refused.status == 409 and "deleted" in refused.body["message"]
    assert api.put(path, {"state": "active"}).body["state"] == "active"
    assert api.post(f"{path}/suggestions").status == 201


def test_a_null_metadata_entry_is_left_out_as_sigopt_leaves_it_out(api: Api):
    """SigOpt's service checks a metadata entry given as null, then drops it
    (``validate_metadata``: ``remove_nones_mapping``); it was stored and shown as null."""
    given = {"a": 1, "gone": None}
    e = api.create_experiment(metadata=given)
    assert e["metadata"] == {"a": 1}
    path = f"/v1/experiments/{e['id']}"
    assert api.put(path, {"metadata": {"b": "x", "gone": None}}).body["metadata"] == {"b": "x"}
    s = api.post(f"{path}/suggestions", {"metadata": given})
    assert s.status == 201 and s.body["metadata"] == {"a": 1}
    o = api.post(
        f"{path}/observations", {"suggestion": s.body["id"], "value": 1, "metadata": given}
    )
    assert o.status == 201 and o.body["metadata"] == {"a": 1}
    assert api.get(path).body["metadata"] == {"b": "x"}


def test_a_whole_metadata_number_within_64_bits_is_kept_exactly(served_on_either):
    """On SQLite and PostgreSQL alike, a metadata number past 2**53 is stored as written,
    not as the double nearest it (as a double, ``2**53 + 1`` would come back
    ``9007199254740992``: taken and not honoured). Past 64 bits it is that double, as
    SigOpt reads every JSON number (docs/sigopt.md), and says so by coming back a float."""
    served = served_on_either
    api = Api(served.service, served.url, served.token)
    exact = {"a": 2**53 + 1, "b": 2**63 - 1, "c": -(2**63), "d": -(2**53) - 1}
    e = api.create_experiment(metadata=exact)
    path = f"/v1/experiments/{e['id']}"
    assert e["metadata"] == exact and api.get(path).body["metadata"] == exact
    s = api.post(f"{path}/suggestions", {"metadata": exact})
    assert s.status == 201 and s.body["metadata"] == exact
    o = api.post(
        f"{path}/observations", {"suggestion": s.body["id"], "value": 1, "metadata": exact}
    )
    assert o.status == 201 and o.body["metadata"] == exact
    assert api.get(f"{path}/observations/{o.body['id']}").body["metadata"] == exact
    assert api.get(f"{path}/suggestions/{s.body['id']}").body["metadata"] == exact
    wide = api.put(path, {"metadata": {"w": 2**64 + 1}}).body["metadata"]["w"]
    assert isinstance(wide, float) and wide == float(2**64)


def test_list_pages_newest_first(api: Api):
    ids = [api.create_experiment(name=f"e{i}")["id"] for i in range(7)]
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"before": cursor} if cursor else {})}
        page = api.get("/v1/experiments", **params).body
        assert page["object"] == "pagination" and page["count"] == 7
        seen += [x["id"] for x in page["data"]]
        cursor = page["paging"]["before"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    newer = api.get("/v1/experiments", limit=2, after=ids[2]).body
    assert [x["id"] for x in newer["data"]] == [ids[4], ids[3]]
    assert [x["name"] for x in api.get("/v1/experiments", search="e5").body["data"]] == ["e5"]


def test_unknown_experiment_is_404_error_body(api: Api):
    for path in ("/v1/experiments/999", "/v1/experiments/abc", "/v1/experiments/999/suggestions"):
        reply = api.get(path)
        assert reply.status == 404
        assert reply.body["object"] == "error" and reply.body["status"] == 404
        assert reply.body["code"] == "not_found" and reply.body["message"]


def test_other_users_experiments_are_404(served):
    owner = Api(served.service, served.url, served.token)
    _, other_token = served.make_user()
    other = owner.as_user(other_token)
    e = owner.create_experiment()
    s = owner.post(f"/v1/experiments/{e['id']}/suggestions").body
    before = owner.snapshot()
    for method, path, body in [
        ("GET", f"/v1/experiments/{e['id']}", None),
        ("PUT", f"/v1/experiments/{e['id']}", {"name": "mine"}),
        ("DELETE", f"/v1/experiments/{e['id']}", None),
        ("GET", f"/v1/experiments/{e['id']}/suggestions", None),
        ("POST", f"/v1/experiments/{e['id']}/suggestions", {}),
        ("GET", f"/v1/experiments/{e['id']}/suggestions/{s['id']}", None),
        ("DELETE", f"/v1/experiments/{e['id']}/suggestions", None),
        ("POST", f"/v1/experiments/{e['id']}/observations", {"suggestion": s["id"], "value": 1}),
        ("GET", f"/v1/experiments/{e['id']}/observations", None),
        ("GET", f"/v1/experiments/{e['id']}/best_assignments", None),
    ]:
        reply = other.call(method, path, body)
        assert reply.status == 404, (method, path, reply.body)
    assert owner.snapshot() == before
    assert other.get("/v1/experiments").body["count"] == 0
    assert owner.get("/v1/experiments").body["count"] == 1


def test_token_is_required_when_served(served):
    import requests

    reply = requests.get(f"{served.url}/v1/experiments", timeout=10)
    assert reply.status_code == 401
    reply = requests.get(f"{served.url}/v1/experiments", auth=("wrong", ""), timeout=10)
    assert reply.status_code == 401


def _param(**overrides):
    return [{**PARAMETERS[0], **overrides}]


BAD_CREATES = [
    ({"parameters": PARAMETERS}, 400, "name"),
    ({"name": "", "parameters": PARAMETERS}, 422, "name"),
    ({"name": 5, "parameters": PARAMETERS}, 400, "name"),
    ({"name": "x"}, 400, "parameters"),
    ({"name": "x", "parameters": []}, 422, "parameters"),
    ({"name": "x", "parameters": _param(bounds={"min": 3, "max": 1})}, 422, "parameters[0].bounds"),
    ({"name": "x", "parameters": _param(type="integer")}, 422, "parameters[0].type"),
    (
        {
            "name": "x",
            "parameters": [{"name": "n", "type": "int", "bounds": {"min": 0.5, "max": 2}}],
        },
        422,
        "parameters[0].bounds.min",
    ),
    (
        {
            "name": "x",
            "parameters": [{"name": "c", "type": "categorical", "categorical_values": ["a", "a"]}],
        },
        422,
        "parameters[0].categorical_values",
    ),
    (
        {
            "name": "x",
            "parameters": [{"name": "c", "type": "categorical", "categorical_values": ["a"]}],
        },
        422,
        "parameters[0].categorical_values",
    ),
    ({"name": "x", "parameters": PARAMETERS + PARAMETERS[:1]}, 422, "parameters[3].name"),
    ({"name": "x", "parameters": PARAMETERS, "observation_budget": 0}, 422, "observation_budget"),
    ({"name": "x", "parameters": PARAMETERS, "parallel_bandwidth": 1.5}, 422, "parallel_bandwidth"),
    ({"name": "x", "parameters": PARAMETERS, "metadata": [1]}, 400, "metadata"),
    (
        {"name": "x", "parameters": PARAMETERS, "metrics": [{"name": "m", "objective": "up"}]},
        422,
        "metrics[0].objective",
    ),
    ({"name": "x", "parameters": PARAMETERS, "type": "grid"}, 422, "parameters[0]"),
    ({"name": "x", "parameters": PARAMETERS, "type": "bayes"}, 422, "type"),
    ({"name": "x", "parameters": PARAMETERS, "seed": -1}, 422, "seed"),
    (
        {"name": "x", "parameters": PARAMETERS, "conditionals": [{"name": "c", "values": ["a"]}]},
        422,
        "conditionals[0].values",
    ),
    # an int past 2**53 that a double rounds: stored rounded before (min 2**62 - 5 read as
    # 2**62, then "min must be less than max"; max 2**60 + 1 kept as 2**60)
    (
        {"parameters": [{"name": "n", "type": "int", "bounds": {"min": 2**62 - 5, "max": 2**62}}]},
        422,
        "parameters[0].bounds.min",
    ),
    (
        {"parameters": [{"name": "n", "type": "int", "bounds": {"min": 0, "max": 2**60 + 1}}]},
        422,
        "parameters[0].bounds.max",
    ),
    (
        {"parameters": [{"name": "n", "type": "int", "grid": [1, 2**60 + 1]}]},
        422,
        "parameters[0].grid[1]",
    ),
    # past the integers the service stores: before, taken, and no value near it reportable
    (
        {"parameters": [{"name": "n", "type": "int", "bounds": {"min": 0, "max": 1e308}}]},
        422,
        "parameters[0].bounds.max",
    ),
]


@pytest.mark.parametrize(("body", "status", "field"), BAD_CREATES)
def test_bad_create_is_refused_and_writes_nothing(api: Api, body, status, field):
    api.create_experiment()
    before = api.snapshot()
    reply = api.post("/v1/experiments", body)
    assert reply.status == status, reply.body
    assert reply.body["detail"]["field"] == field
    assert field in reply.body["message"]
    assert api.snapshot() == before


def test_bad_update_is_refused_and_changes_nothing(api: Api):
    e = api.create_experiment()
    path = f"/v1/experiments/{e['id']}"
    before = api.snapshot()
    for body, field in [
        ({"name": ""}, "name"),
        ({"observation_budget": -3}, "observation_budget"),
        (
            {"parameters": [*PARAMETERS, {"name": "z", "type": "int"}]},
            "parameters[3].default_value",
        ),
        ({"state": "archived"}, "state"),
        ({"metadata": {"k": {"nested": 1}}}, "metadata.k"),
    ]:
        reply = api.put(path, body)
        assert 400 <= reply.status < 500 and reply.body["detail"]["field"] == field, reply.body
    assert api.snapshot() == before


def test_null_in_an_update_changes_nothing_unseen(api: Api):
    """A definition field given as null in an update (``"project": null`` to take the
    experiment out of its project, ``"conditionals": null``, ``"type": null``,
    ``"num_solutions": null``), and a null ``name`` or ``state``, answered 200 and changed
    nothing. Null means what a create makes of it; when that is not the experiment's, it
    is a 422 naming the field, as any other change of the definition, with nothing
    changed. A null that matches (a plain experiment's ``project``) is still taken."""
    conditional = {"name": "model", "values": ["a", "b"]}
    e = api.create_experiment(
        project="nulls",
        type="random",
        conditionals=[conditional],
        parameters=[
            {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}},
            {**PARAMETERS[1], "conditions": {"model": ["a"]}},
        ],
    )
    several = api.create_experiment(num_solutions=2, observation_budget=10)
    before = api.snapshot()
    for eid, field in [
        (e["id"], "project"),
        (e["id"], "conditionals"),
        (e["id"], "type"),
        (e["id"], "parameters"),
        (e["id"], "metrics"),
        (e["id"], "name"),
        (e["id"], "state"),
        (several["id"], "num_solutions"),
    ]:
        reply = api.put(f"/v1/experiments/{eid}", {field: None, "metadata": {"k": 1}})
        assert reply.status == 422 and reply.body["detail"]["field"] == field, reply.body
        assert field in reply.body["message"]
    assert api.snapshot() == before
    plain = api.create_experiment()
    same = {"project": None, "conditionals": None, "type": None, "num_solutions": None}
    reply = api.put(f"/v1/experiments/{plain['id']}", {**same, "name": "renamed"})
    assert reply.status == 200 and reply.body["name"] == "renamed", reply.body


def test_invalid_json_is_400(api: Api):
    before = api.snapshot()
    reply = api.call(
        "POST", "/v1/experiments", data="{nope", headers={"Content-Type": "application/json"}
    )
    assert reply.status == 400 and reply.body["code"] == "invalid_json"
    assert api.snapshot() == before


def test_fetching_an_experiment_reads_its_observations_whole_only_one_by_one(service):
    """The fetch's progress reads every observation to find the best; it read each one
    whole (assignments and metadata, decoded), where the choice reads the values, and
    only the first, last and best observations are rendered: 9.4 -> 3.0 ms at 300. Those
    three are read whole in one statement (it took three for the first and last and
    their count)."""
    import sqlalchemy as sa

    api = Api(service)
    e = api.create_experiment(metrics=[{"name": "v", "objective": "maximize"}])
    base = f"/v1/experiments/{e['id']}"
    items = [
        {
            "assignments": {"x": k / 10, "n": k % 15, "c": "a"},
            "value": (k * 7) % 20,
            "metadata": {"k": k},
        }
        for k in range(20)
    ]
    assert api.post(f"{base}/observations/batch", {"observations": items}).status == 201
    whole: list[tuple[str, object]] = []
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, *args) -> None:
        statements.append(" ".join(statement.split()))
        if statement.lstrip().upper().startswith("SELECT") and "observations.metadata" in statement:
            whole.append((statements[-1], parameters))

    engine = service.context.store.database.engine
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        reply = api.get(base)
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert reply.status == 200, reply.body
    progress = reply.body["progress"]
    assert progress["observation_count"] == 20
    assert progress["best_observation"]["value"] == 19
    assert progress["best_observation"]["metadata"] == {"k": 17}
    assert progress["first_observation"]["metadata"] == {"k": 0}
    assert progress["last_observation"]["metadata"] == {"k": 19}
    # the rendered ones are read whole, by their ids, at once
    assert len(whole) == 1, whole
    ((statement, _),) = whole
    assert statement.endswith("WHERE observations.id IN (?, ?, ?)"), statement
    counted = [s for s in statements if "count(" in s.lower() and "FROM observations" in s]
    assert len(counted) == 1, statements


def _listed_experiments(api: Api) -> list[dict]:
    """Five experiments of every kind a list's progress reads differently: empty, one
    metric either way, two solutions, multitask; six observations each, one failed."""
    made = [
        api.create_experiment(name="empty"),
        api.create_experiment(name="max", metrics=[{"name": "v", "objective": "maximize"}]),
        api.create_experiment(name="min", metrics=[{"name": "v", "objective": "minimize"}]),
        api.create_experiment(name="two", num_solutions=2, observation_budget=20),
        api.create_experiment(
            name="tasks",
            tasks=[{"name": "cheap", "cost": 0.3}, {"name": "full", "cost": 1.0}],
            observation_budget=20,
        ),
    ]
    for e in made[1:]:
        base = f"/v1/experiments/{e['id']}"
        for k in range(6):
            body: dict = {
                "assignments": {"x": k - 2.5, "n": (k * 5) % 16, "c": "abc"[k % 3]},
                "value": (k * 7) % 5,
                "metadata": {"k": k},
            }
            if k == 4:
                body = {"assignments": body["assignments"], "failed": True}
            if e["name"] == "tasks":
                body["task"] = "full" if k % 2 else "cheap"
            reply = api.post(f"{base}/observations", body)
            assert reply.status == 201, reply.body
    return made


def test_a_list_reads_its_experiments_observations_in_three_statements(service):
    """Each listed experiment's progress read its observations with statements of its
    own (four an experiment: 94 statements for a page of 30); the page's are read
    together, and each progress is the one its experiment's fetch gives."""
    import sqlalchemy as sa

    api = Api(service)
    made = _listed_experiments(api)
    alone = {e["id"]: api.get(f"/v1/experiments/{e['id']}").body["progress"] for e in made}
    engine = service.context.store.database.engine
    reads: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:
        if "FROM observations" in statement:
            reads.append(statement)

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        listed = api.get("/v1/experiments", limit=10).body["data"]
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert {e["id"]: e["progress"] for e in listed} == alone
    assert alone[made[3]["id"]]["best_observation"] is not None
    # three for the page (14 before), and the multitask experiment's four (its task costs)
    assert len(reads) == 3 + 4, reads


def test_a_lists_progress_is_each_fetchs_on_either_database(served_on_either):
    """The page's observations read together (spans, scores) give each experiment the
    progress its fetch gives, on SQLite and on PostgreSQL."""
    served = served_on_either
    api = Api(served.service, served.url, served.token)
    made = _listed_experiments(api)
    alone = {e["id"]: api.get(f"/v1/experiments/{e['id']}").body["progress"] for e in made}
    listed = api.get("/v1/experiments", limit=10).body["data"]
    assert {e["id"]: e["progress"] for e in listed} == alone
    assert sum(p["observation_count"] for p in alone.values()) == 24


def test_conditionals_of_many_values_are_read_at_once(api):
    """Before: each conditional value (and each conditional's name) was looked for in the
    list of those before it: 50,000 values held the request a minute, before the 422 that
    says at most 10,000 combinations."""
    import time

    x = {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}
    many = [f"v{i}" for i in range(50_000)]
    parameters = [{**x, "conditions": {"c": ["v0"]}}]
    body = {"name": "t", "parameters": parameters, "conditionals": [{"name": "c", "values": many}]}
    began = time.monotonic()
    reply = api.post("/v1/experiments", body)
    assert time.monotonic() - began < 20
    assert reply.status == 422 and "at most 10000" in reply.body["message"], reply
    body["conditionals"] = [{"name": "c", "values": [*many[:20_000], "v3"]}]
    reply = api.post("/v1/experiments", body)
    assert reply.status == 422 and 'lists "v3" twice' in reply.body["message"], reply
    names = [{"name": f"c{i}", "values": ["a", "b"]} for i in range(9_000)] + [
        {"name": "c1", "values": ["a", "b"]}
    ]
    body = {"name": "t", "parameters": [{**x, "conditions": {"c0": ["a"]}}], "conditionals": names}
    began = time.monotonic()
    reply = api.post("/v1/experiments", body)
    assert time.monotonic() - began < 20
    assert reply.status == 422 and '"c1" is defined twice' in reply.body["message"], reply


def test_conditionals_of_too_many_combinations_to_write_are_a_422(api):
    """Before: the 422 quoted the number of combinations, and 15,000 conditionals of two
    values make 2**15000, 4,516 digits, past the 4,300 Python writes: a 500."""
    x = {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}
    conditionals = [{"name": f"c{i}", "values": ["a", "b"]} for i in range(15_000)]
    body = {
        "name": "t",
        "parameters": [{**x, "conditions": {"c0": ["a"]}}],
        "conditionals": conditionals,
    }
    reply = api.post("/v1/experiments", body)
    assert reply.status == 422, reply
    assert reply.body["message"] == (
        "'conditionals' allow more than 10000 combinations "
        "(2 x 2 x 2 x 2 x 2 x 2 x 2 x 2 x 2 x 2 x ... values); at most 10000."
    )
    assert reply.body["detail"]["field"] == "conditionals"
    body["conditionals"] = [{"name": "c0", "values": [f"v{i}" for i in range(101)]}]
    body["conditionals"] += [{"name": "c1", "values": [f"v{i}" for i in range(100)]}]
    body["parameters"][0]["conditions"] = {"c0": ["v0"]}
    reply = api.post("/v1/experiments", body)
    assert reply.status == 422 and "(101 x 100 values)" in reply.body["message"], reply

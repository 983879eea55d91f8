"""/v1/experiments/{id}/observations (and batch, best_assignments) over both services."""

from __future__ import annotations

import threading

import pytest

from .conftest import Api

GOOD = {"x": 1.5, "n": 3, "c": "b"}


def test_observation_for_a_suggestion_closes_it(api: Api):
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}"
    s = api.post(f"{base}/suggestions").body
    reply = api.post(
        f"{base}/observations",
        {"suggestion": s["id"], "value": 2.5, "value_stddev": 0.1, "metadata": {"lab": "A"}},
    )
    assert reply.status == 201, reply.body
    o = reply.body
    assert o == {
        "object": "observation",
        "id": o["id"],
        "assignments": s["assignments"],
        "value": 2.5,
        "value_stddev": 0.1,
        "values": [
            {"object": "metric_evaluation", "name": None, "value": 2.5, "value_stddev": 0.1}
        ],
        "failed": False,
        "suggestion": s["id"],
        "experiment": e["id"],
        "created": o["created"],
        "updated": o["updated"],
        "metadata": {"lab": "A"},
        "task": None,
    }
    assert api.get(f"{base}/suggestions/{s['id']}").body["state"] == "closed"
    assert api.get(f"{base}/observations/{o['id']}").body == o
    progress = api.get(base).body["progress"]
    assert progress["observation_count"] == 1
    assert progress["first_observation"] == o == progress["last_observation"]
    assert progress["best_observation"] == o


def test_observation_with_assignments_and_failed(api: Api):
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}/observations"
    o = api.post(base, {"assignments": {"x": 1, "n": 3.0, "c": "b"}, "value": -1}).body
    assert o["assignments"] == {"x": 1.0, "n": 3, "c": "b"} and o["suggestion"] is None
    f = api.post(base, {"assignments": GOOD, "failed": True}).body
    assert f["failed"] is True and f["value"] is None and f["values"] == []
    page = api.get(base).body
    assert page["count"] == 2 and [x["id"] for x in page["data"]] == [f["id"], o["id"]]


def test_update_and_delete(api: Api):
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}/observations"
    o = api.post(base, {"assignments": GOOD, "value": 1}).body
    path = f"{base}/{o['id']}"
    assert api.put(path, {"value": 3}).body["value"] == 3.0
    updated = api.put(path, {"value_stddev": 0.5, "metadata": {"k": 1}}).body
    assert (updated["value"], updated["value_stddev"], updated["metadata"]) == (3.0, 0.5, {"k": 1})
    failed = api.put(path, {"failed": True}).body
    assert failed["failed"] is True and failed["value"] is None
    back = api.put(path, {"value": 4}).body
    assert back["failed"] is False and back["value"] == 4.0
    moved = api.put(path, {"assignments": {"x": 2, "n": 1, "c": "a"}}).body
    assert moved["assignments"] == {"x": 2.0, "n": 1, "c": "a"}
    before = api.snapshot()
    for body, field in [
        ({"value": "x"}, "value"),
        ({"failed": True, "value": 1}, "value"),
        ({"assignments": {"x": 99, "n": 1, "c": "a"}}, "assignments.x"),
        ({"value_stddev": -1}, "value_stddev"),
    ]:
        reply = api.put(path, body)
        assert 400 <= reply.status < 500 and reply.body["detail"]["field"] == field, reply.body
    assert api.snapshot() == before
    assert api.delete(path).status == 204
    assert api.get(path).status == 404
    assert api.delete(path).status == 404
    api.post(base, {"assignments": GOOD, "value": 1})
    assert api.delete(base).status == 204
    assert api.get(base).body["count"] == 0


def test_batch_creates_all_in_order(api: Api):
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}"
    s = api.post(f"{base}/suggestions").body
    reply = api.post(
        f"{base}/observations/batch",
        {
            "observations": [
                {"suggestion": s["id"], "value": 1},
                {"assignments": GOOD, "value": 2},
                {"assignments": GOOD, "failed": True},
            ]
        },
    )
    assert reply.status == 201, reply.body
    page = reply.body
    assert page["object"] == "pagination" and page["count"] == 3
    assert [o["value"] for o in page["data"]] == [1.0, 2.0, None]
    assert api.get(f"{base}/suggestions/{s['id']}").body["state"] == "closed"
    assert api.get(f"{base}/observations").body["count"] == 3


def test_a_batch_past_the_limit_says_to_split_it(api: Api):
    """Past 10,000 observations a batch said only that it had "more than 10000 items";
    it now says how many, the limit and to split the batch, and keeps none of it."""
    e = api.create_experiment()
    before = api.snapshot()
    items = [{"assignments": GOOD, "value": 1}] * 10_001
    reply = api.post(f"/v1/experiments/{e['id']}/observations/batch", {"observations": items})
    assert reply.status == 422 and reply.body["detail"]["field"] == "observations", reply.body
    assert reply.body["message"].startswith(
        "'observations' has 10,001 observations; one request takes at most 10,000. "
        "Split them over several requests"
    )
    assert api.snapshot() == before


def test_bad_batch_writes_nothing(api: Api):
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}"
    s = api.post(f"{base}/suggestions").body
    before = api.snapshot()
    cases = [
        (
            [{"assignments": GOOD, "value": 1}, {"assignments": {**GOOD, "n": 99}, "value": 1}],
            "observations[1].assignments.n",
        ),
        (
            [{"suggestion": s["id"], "value": 1}, {"suggestion": s["id"], "value": 2}],
            "observations[1].suggestion",
        ),
        ([{"assignments": GOOD}], "observations[0].value"),
        ([{"assignments": GOOD, "value": 1}, "nope"], "observations[1]"),
    ]
    for items, field in cases:
        reply = api.post(f"{base}/observations/batch", {"observations": items})
        assert 400 <= reply.status < 500, reply.body
        assert reply.body["detail"]["field"] == field and field in reply.body["message"]
        assert api.snapshot() == before
    reply = api.post(f"{base}/observations/batch", {"observations": "all"})
    assert reply.status == 400 and reply.body["detail"]["field"] == "observations"
    assert api.snapshot() == before


def _refusals(closed_id: str, deleted_id: str):
    return [
        ({"suggestion": closed_id, "value": 1}, 409, "suggestion"),
        ({"suggestion": deleted_id, "value": 1}, 409, "suggestion"),
        ({"suggestion": "999999", "value": 1}, 422, "suggestion"),
        ({"suggestion": "abc", "value": 1}, 422, "suggestion"),
        ({"value": 1}, 422, "assignments"),
        ({"assignments": {"n": 3, "c": "b"}, "value": 1}, 422, "assignments.x"),
        ({"assignments": {**GOOD, "extra": 1}, "value": 1}, 422, "assignments.extra"),
        ({"assignments": {**GOOD, "x": 10.5}, "value": 1}, 422, "assignments.x"),
        ({"assignments": {**GOOD, "n": 2.5}, "value": 1}, 422, "assignments.n"),
        ({"assignments": {**GOOD, "n": -1}, "value": 1}, 422, "assignments.n"),
        ({"assignments": {**GOOD, "c": "d"}, "value": 1}, 422, "assignments.c"),
        ({"assignments": "x=1", "value": 1}, 400, "assignments"),
        ({"assignments": GOOD}, 422, "value"),
        ({"assignments": GOOD, "failed": False}, 422, "value"),
        ({"assignments": GOOD, "failed": True, "value": 3}, 422, "value"),
        ({"assignments": GOOD, "value": "3"}, 400, "value"),
        ({"assignments": GOOD, "value": 1, "value_stddev": -0.1}, 422, "value_stddev"),
        ({"assignments": GOOD, "values": [{"name": "other", "value": 1}]}, 422, "values[0].name"),
        ({"assignments": GOOD, "value": 1, "metadata": 7}, 400, "metadata"),
    ]


def test_bad_observations_are_refused_and_write_nothing(api: Api):
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}"
    closed = api.post(f"{base}/suggestions").body
    api.post(f"{base}/observations", {"suggestion": closed["id"], "value": 0})
    deleted = api.post(f"{base}/suggestions").body
    api.delete(f"{base}/suggestions/{deleted['id']}")
    before = api.snapshot()
    for body, status, field in _refusals(closed["id"], deleted["id"]):
        reply = api.post(f"{base}/observations", body)
        assert reply.status == status, (body, reply.body)
        assert reply.body["object"] == "error" and reply.body["status"] == status
        assert reply.body["detail"]["field"] == field, (body, reply.body)
        assert field in reply.body["message"], reply.body
        assert api.snapshot() == before


def test_suggestion_of_another_experiment_is_refused(api: Api):
    first = api.create_experiment()
    second = api.create_experiment()
    s = api.post(f"/v1/experiments/{first['id']}/suggestions").body
    before = api.snapshot()
    reply = api.post(
        f"/v1/experiments/{second['id']}/observations", {"suggestion": s["id"], "value": 1}
    )
    assert reply.status == 422 and reply.body["detail"]["field"] == "suggestion"
    assert api.snapshot() == before


@pytest.mark.parametrize("objective", ["maximize", "minimize"])
def test_best_assignments_respects_the_objective(api: Api, objective):
    e = api.create_experiment(metrics=[{"name": "y", "objective": objective}])
    base = f"/v1/experiments/{e['id']}"
    empty = api.get(f"{base}/best_assignments").body
    assert empty == {
        "object": "pagination",
        "count": 0,
        "data": [],
        "paging": {"before": None, "after": None},
    }
    made = {}
    for v in (3.0, -2.0, 7.0, 1.0):
        made[v] = api.post(
            f"{base}/observations",
            {"assignments": {**GOOD, "x": v}, "value": v, "metadata": {"run": f"r{v}"}},
        ).body
    api.post(f"{base}/observations", {"assignments": GOOD, "failed": True})
    page = api.get(f"{base}/best_assignments").body
    want = made[7.0] if objective == "maximize" else made[-2.0]
    assert page["count"] == 1
    (best,) = page["data"]
    assert best == {
        "object": "best_assignments",
        "id": want["id"],
        "assignments": want["assignments"],
        "metadata": want["metadata"],  # as SigOpt's builder renders it (before: left out)
        "value": want["value"],
        "value_stddev": None,
        "values": want["values"],
    }
    assert best["metadata"] == {"run": f"r{7.0 if objective == 'maximize' else -2.0}"}
    assert api.get(base).body["progress"]["best_observation"]["id"] == want["id"]


def test_multimetric_observations_and_best(api: Api):
    e = api.create_experiment(metrics=[{"name": "up"}, {"name": "down", "objective": "minimize"}])
    base = f"/v1/experiments/{e['id']}"
    a = api.post(
        f"{base}/observations",
        {"assignments": GOOD, "values": [{"name": "up", "value": 5}, {"name": "down", "value": 5}]},
    ).body
    b = api.post(
        f"{base}/observations",
        {
            "assignments": GOOD,
            "values": [
                {"name": "down", "value": 1, "value_stddev": 0.2},
                {"name": "up", "value": 1},
            ],
        },
    ).body
    assert a["value"] is None and [v["name"] for v in b["values"]] == ["up", "down"]
    assert [x["id"] for x in api.get(f"{base}/best_assignments").body["data"]] == [a["id"], b["id"]]
    before = api.snapshot()
    reply = api.post(f"{base}/observations", {"assignments": GOOD, "value": 1})
    assert reply.status == 422 and reply.body["detail"]["field"] == "value"
    reply = api.post(
        f"{base}/observations", {"assignments": GOOD, "values": [{"name": "up", "value": 1}]}
    )
    assert reply.status == 422 and reply.body["detail"]["field"] == "values"
    assert api.snapshot() == before
    s = api.post(f"{base}/suggestions").body
    assert set(s["assignments"]) == {"x", "n", "c"}


def test_a_suggestion_id_is_ascii_digits(api: Api):
    """``"suggestion": "²"`` (a digit to ``str.isdigit``, not to ``int``) was a 500, and
    Arabic-Indic digits were read as the suggestion of that number (while the same text in
    a path is a 404). Both are a 422 naming the field, nothing written."""
    e = api.create_experiment(seed=3)
    base = f"/v1/experiments/{e['id']}"
    s = api.post(f"{base}/suggestions").body
    before = api.snapshot()
    arabic = "".join(chr(0x660 + int(d)) for d in s["id"])
    for raw in ("\u00b2", arabic):
        reply = api.post(f"{base}/observations", {"suggestion": raw, "value": 1.0})
        assert reply.status == 422 and reply.body["detail"]["field"] == "suggestion", reply.body
        assert "is not an id of this service" in reply.body["message"]
    assert api.snapshot() == before
    assert api.post(f"{base}/observations", {"suggestion": s["id"], "value": 1.0}).status == 201


def test_a_text_that_is_no_id_is_shown_as_json(api: Api):
    """The text sent as an id that is none is shown as the body wrote it, in JSON. Before:
    Python's repr (``'abc'``, ``'a"b'``), which no JSON body writes."""
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}"
    before = api.snapshot()
    for raw, shown in (("abc", '"abc"'), ('a"b', '"a\\"b"'), ("\u00e9", '"\u00e9"')):
        reply = api.post(f"{base}/observations", {"suggestion": raw, "value": 1.0})
        assert reply.status == 422 and reply.body["detail"]["field"] == "suggestion", reply.body
        message = reply.body["message"]
        assert f"'suggestion': {shown} is not an id of this service." in message, message
    assert api.snapshot() == before


def test_a_suggestion_id_of_a_wrong_kind_says_what_is_taken(api: Api):
    """``"suggestion": 1.5`` was told "must be an id string" though the whole number 1 is
    taken as well: the refusal names both forms, and what was sent (``1.0``, a whole
    number, is taken: ``test_id_forms``)."""
    e = api.create_experiment(seed=3)
    base = f"/v1/experiments/{e['id']}"
    s = api.post(f"{base}/suggestions").body
    before = api.snapshot()
    fraction = int(s["id"]) + 0.5
    for raw, shown in ((fraction, f"not {fraction!r}"), ([1], "not a list")):
        reply = api.post(f"{base}/observations", {"suggestion": raw, "value": 1.0})
        assert reply.status == 400 and reply.body["detail"]["field"] == "suggestion", reply.body
        message = reply.body["message"]
        assert "an id, as a string or a whole number" in message and shown in message, message
    assert api.snapshot() == before
    reply = api.post(f"{base}/observations", {"suggestion": int(s["id"]), "value": 1.0})
    assert reply.status == 201, reply.body


def test_best_assignments_honour_limit_and_pages(api: Api):
    """An all-constraint search's best assignments are every feasible observation:
    ``limit=2`` answered all of them (the parameter was checked, then ignored). It now
    gives pages of the best-first list whose cursors lead through all of them; with no
    paging parameter, one page holds them all as before."""
    e = api.create_experiment(
        seed=3,
        metrics=[{"name": "g", "strategy": "constraint", "objective": "minimize", "threshold": 1}],
        observation_budget=10,
    )
    base = f"/v1/experiments/{e['id']}"
    batch = [
        {
            "assignments": {"x": float(i), "n": i, "c": "a"},
            "values": [{"name": "g", "value": 0.1 * i}],
        }
        for i in range(5)
    ]
    assert api.post(f"{base}/observations/batch", {"observations": batch}).status == 201
    everything = api.get(f"{base}/best_assignments").body
    assert everything["count"] == 5 and len(everything["data"]) == 5
    assert everything["paging"] == {"before": None, "after": None}
    first = api.get(f"{base}/best_assignments", limit=2).body
    assert first["count"] == 5 and [b["id"] for b in first["data"]] == [
        b["id"] for b in everything["data"][:2]
    ]
    seen, page = [], first
    while True:
        seen += [b["id"] for b in page["data"]]
        if page["paging"]["before"] is None:
            break
        page = api.get(f"{base}/best_assignments", limit=2, before=page["paging"]["before"]).body
    assert seen == [b["id"] for b in everything["data"]]


def test_a_metric_name_on_an_experiment_whose_one_metric_is_unnamed(api: Api):
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}/observations"
    reply = api.post(base, {"assignments": GOOD, "values": [{"name": "yield", "value": 1.0}]})
    assert reply.status == 422, reply.body
    message = reply.body["message"]
    assert '"yield" is not a metric' in message and "None" not in message
    assert "its one metric is unnamed: leave 'name' out" in message
    assert api.get(base).body["count"] == 0
    unnamed = api.post(base, {"assignments": GOOD, "values": [{"value": 1.0}]})
    assert unnamed.status == 201, unnamed.body


def test_reported_assignments_must_satisfy_the_linear_constraints(api: Api):
    """An observation's own assignments (create, batch, update) that break a linear
    constraint are refused naming it, as SigOpt's service refuses them; they used to be
    stored. A suggestion's assignments sent back as an observation's are taken."""
    from .test_api_suggestions import CONSTRAINED

    e = api.create_experiment(**CONSTRAINED)
    base = f"/v1/experiments/{e['id']}/observations"
    outside = {"x": 0.75, "y": 0.5, "k": 1}
    inside = {"x": 0.25, "y": 0.5, "k": 1}
    kept = api.post(base, {"assignments": inside, "value": 1}).body
    before = api.snapshot()
    reply = api.post(base, {"assignments": outside, "value": 1})
    assert reply.status == 422, reply.body
    assert reply.body["detail"]["field"] == "assignments"
    assert "linear_constraints[0] (x + y <= 1)" in reply.body["message"]
    batch = [{"assignments": inside, "value": 2}, {"assignments": outside, "value": 3}]
    reply = api.post(f"{base}/batch", {"observations": batch})
    assert reply.status == 422, reply.body
    assert reply.body["detail"]["field"] == "observations[1].assignments"
    assert reply.body["message"].startswith("'observations[1].assignments' break")
    reply = api.put(f"{base}/{kept['id']}", {"assignments": outside})
    assert reply.status == 422 and reply.body["detail"]["field"] == "assignments"
    assert api.snapshot() == before
    for _ in range(3):
        s = api.post(f"/v1/experiments/{e['id']}/suggestions").body
        sent = api.post(base, {"assignments": s["assignments"], "value": 1})
        assert sent.status == 201, sent.body


def test_null_cannot_clear_an_observations_suggestion_or_assignments(api: Api):
    """``suggestion: null`` on an observation of a suggestion, and ``assignments: null`` on
    one without, answered 200 and changed nothing; SigOpt refuses both. They are a 422
    naming the field, with nothing changed; null where the observation has none (or where
    its assignments are its suggestion's) stays accepted."""
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}"
    own = api.post(f"{base}/observations", {"assignments": GOOD, "value": 1}).body
    s = api.post(f"{base}/suggestions").body
    of_s = api.post(f"{base}/observations", {"suggestion": s["id"], "value": 2}).body
    before = api.snapshot()
    for o, field in ((own, "assignments"), (of_s, "suggestion")):
        reply = api.put(f"{base}/observations/{o['id']}", {field: None})
        assert reply.status == 422 and reply.body["detail"]["field"] == field, reply.body
        assert "leave" in reply.body["message"]
    assert api.snapshot() == before
    for o, field in ((own, "suggestion"), (of_s, "assignments")):
        reply = api.put(f"{base}/observations/{o['id']}", {field: None, "value": 5})
        assert reply.status == 200 and reply.body["value"] == 5.0, reply.body
        assert reply.body["assignments"] == o["assignments"]
        assert reply.body["suggestion"] == o["suggestion"]


def test_suggestion_and_assignments_together_are_refused_as_sigopt_refuses_them(api: Api):
    """SigOpt's observation create refuses ``suggestion`` and ``assignments`` together,
    even when they are the suggestion's own (``validate_mutually_exclusive_properties``:
    a 400, "Cannot specify `suggestion` and `assignments`."), in a batch too, and its
    update refuses ``assignments`` for an observation of a suggestion. They were accepted
    here when they matched; now each is a 400 naming ``assignments``, nothing changed.
    ``assignments: null`` beside a suggestion stays accepted, as SigOpt takes it."""
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}"
    s = api.post(f"{base}/suggestions").body
    before = api.snapshot()
    both = {"suggestion": s["id"], "assignments": s["assignments"], "value": 1}
    for path, body, field in (
        (f"{base}/observations", both, "assignments"),
        (f"{base}/observations/batch", {"observations": [both]}, "observations[0].assignments"),
    ):
        reply = api.post(path, body)
        assert reply.status == 400 and reply.body["detail"]["field"] == field, reply.body
        assert "cannot specify `suggestion` and `assignments`" in reply.body["message"]
    assert api.snapshot() == before
    assert api.get(f"{base}/suggestions/{s['id']}").body["state"] == "open"
    made = api.post(
        f"{base}/observations", {"suggestion": s["id"], "assignments": None, "value": 1}
    )
    assert made.status == 201 and made.body["assignments"] == s["assignments"], made.body
    before = api.snapshot()
    reply = api.put(f"{base}/observations/{made.body['id']}", {"assignments": s["assignments"]})
    assert reply.status == 400 and reply.body["detail"]["field"] == "assignments", reply.body
    assert api.snapshot() == before


def test_a_page_gives_each_observation_its_own_json_columns(api: Api):
    """A page's JSON columns are decoded a column at a time, all rows at once: each row
    keeps its own assignments, values and metadata, a missing one (failed: no values;
    no metadata) included."""
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}"
    items = [
        {"assignments": {"x": k / 4, "n": k, "c": "abc"[k % 3]}, "value": k, "metadata": {"k": k}}
        if k % 3
        else {"assignments": {"x": k / 4, "n": k, "c": "a"}, "failed": True}
        for k in range(7)
    ]
    assert api.post(f"{base}/observations/batch", {"observations": items}).status == 201
    page = api.get(f"{base}/observations", limit=5).body["data"]
    assert [o["assignments"]["n"] for o in page] == [6, 5, 4, 3, 2]
    for o in page:
        k = o["assignments"]["n"]
        assert o["assignments"] == {"x": k / 4, "n": k, "c": "a" if k % 3 == 0 else "abc"[k % 3]}
        assert o["failed"] is (k % 3 == 0)
        assert o["value"] == (None if k % 3 == 0 else k)
        assert o["metadata"] == (None if k % 3 == 0 else {"k": k})


def test_an_observation_on_sqlite_reads_its_experiment_once(service):
    """Each SigOpt write read its experiment twice: a SELECT to lock its row (FOR UPDATE,
    which PostgreSQL needs), then the row. On SQLite the write transaction (BEGIN
    IMMEDIATE) is the lock, so the first read was for nothing and is no longer run."""
    import sqlalchemy as sa

    api = Api(service)
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}"
    made = api.post(f"{base}/suggestions").body
    engine = service.context.store.database.engine
    assert engine.dialect.name == "sqlite"
    reads: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:
        if "FROM sigopt_experiments" in statement:
            reads.append(statement)

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        reply = api.post(f"{base}/observations", {"suggestion": made["id"], "value": 1.5})
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert reply.status == 201, reply.body
    assert len(reads) == 1, reads
    assert api.get(f"{base}/suggestions/{made['id']}").body["state"] == "closed"


def test_an_observation_of_a_suggestion_on_sqlite_is_five_statements(service):
    """An observation's create read its row back after writing it: six statements where
    five do (the write lock, its experiment, its suggestion, the row, the suggestion
    closed). The answer is made from what was written, and is what a read gives."""
    import sqlalchemy as sa

    api = Api(service)
    e = api.create_experiment()
    base = f"/v1/experiments/{e['id']}"
    made = api.post(f"{base}/suggestions").body
    engine = service.context.store.database.engine
    statements: list[str] = []
    here = threading.get_ident()  # the in-process request's; not the service's own threads

    def seen(conn, cursor, statement, *args) -> None:
        if threading.get_ident() == here:
            statements.append(" ".join(statement.split()[:3]))

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        reply = api.post(
            f"{base}/observations",
            {"suggestion": made["id"], "value": 1.5, "value_stddev": 0.25, "metadata": {"k": 1}},
        )
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert reply.status == 201, reply.body
    assert len(statements) == 5, statements
    assert not [s for s in statements if s.startswith("SELECT observations")], statements
    assert api.get(f"{base}/observations/{reply.body['id']}").body == reply.body
    assert reply.body["assignments"] == made["assignments"]
    assert reply.body["metadata"] == {"k": 1} and reply.body["value_stddev"] == 0.25
    assert api.get(f"{base}/suggestions/{made['id']}").body["state"] == "closed"


@pytest.mark.parametrize("kind", ["random", "grid"])
def test_value_stddev_of_a_random_or_grid_search_is_echoed_and_steers_nothing(api: Api, kind: str):
    """SigOpt takes ``value_stddev`` on every kind of experiment; a random or grid search
    reads no observation's value, so it keeps it and answers it back (the observation,
    its ``values``, a list, a fetch), and the suggestions are those of the same history
    without it (docs/sigopt.md, ``value_stddev``)."""
    grid = [{"name": "n", "type": "int", "bounds": {"min": 0, "max": 40}}]
    points = {}
    for noise in (0.25, None):
        e = api.create_experiment(type=kind, parameters=grid, seed=5)
        base = f"/v1/experiments/{e['id']}"
        drawn = []
        for k in range(6):
            s = api.post(f"{base}/suggestions").body
            drawn.append(s["assignments"]["n"])
            body = {"suggestion": s["id"], "value": float(k)}
            made = api.post(f"{base}/observations", {**body, "value_stddev": noise})
            assert made.status == 201, made.body
            assert made.body["value_stddev"] == noise, made.body
            assert made.body["values"][0]["value_stddev"] == noise, made.body
            fetched = api.get(f"{base}/observations/{made.body['id']}").body
            assert fetched["value_stddev"] == noise, fetched
        listed = api.get(f"{base}/observations").body["data"]
        assert [o["value_stddev"] for o in listed] == [noise] * 6
        points[noise] = drawn
    assert points[0.25] == points[None]

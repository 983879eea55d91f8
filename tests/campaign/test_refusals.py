"""Every refusal leaves the session, its history and its tasks exactly as they were."""

from __future__ import annotations

import pytest

from .conftest import small_space

COLUMNS = ["a", "b", "c", "d", "Response"]


@pytest.fixture
def designed(api):
    """A session at generation 1 with its design pending."""
    sid = api.session()
    assert api.put_space(sid, small_space(), 12, 1)["status"] == "success"
    api.put_experiments(sid, "initial", {"columns": COLUMNS, "rows": [[0, 0, 1.5, "x", 1.0]]})
    api.generate(sid)
    return sid


REFUSED_AT_ONCE = [
    ("POST", "generate", None, 409, "design_pending"),
    (
        "PUT",
        "space",
        {"space": small_space(), "population_size": 12, "replicates": 1},
        409,
        "space_locked",
    ),
    (
        "POST",
        "experiments",
        {"type": "initial", "table": {"columns": COLUMNS, "rows": []}},
        409,
        "conflict",
    ),
    (
        "POST",
        "experiments",
        {"type": "later", "table": {"columns": COLUMNS, "rows": []}},
        422,
        "validation_failed",
    ),
    ("POST", "experiments", {"type": "designed", "table": [[1, 2]]}, 400, "bad_request"),
    (
        "POST",
        "experiments",
        {"type": "designed", "table": {"columns": COLUMNS, "rows": [[1]]}},
        422,
        "validation_failed",
    ),
    ("POST", "experiments", {"type": "designed"}, 400, "bad_request"),
    (
        "POST",
        "experiments",
        {"type": "designed", "table": {"columns": COLUMNS, "rows": []}, "extra": 1},
        400,
        "bad_request",
    ),
    (
        "POST",
        "simulate",
        {"ngens": 1, "space": small_space(), "population_size": 12, "replicates": 1},
        409,
        "space_locked",
    ),
    ("POST", "generate", {"gen": "one"}, 400, "bad_request"),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "code"), REFUSED_AT_ONCE)
def test_synchronous_refusals_change_nothing(api, designed, method, path, body, status, code):
    sid = designed
    before = api.snapshot(sid)
    r = api.call(method, f"/v1/sessions/{sid}/{path}", body)
    assert r.status == status, r
    assert r.body["code"] == code, r.body
    assert r.body["message"]
    assert api.snapshot(sid) == before


def test_a_changed_designed_row_is_refused_at_once_and_changes_nothing(api, designed):
    """Before: a task that failed (the match with the design was the task's), though
    it needs only the table and the stored design. Now a 422 naming the row and the
    column, no task, nothing stored."""
    sid = designed
    design = api.get(f"/v1/sessions/{sid}/design").body["table"]
    rows = [list(r) for r in design["rows"]]
    rows[3][0] = (rows[3][0] + 1) % 3  # a level, but not the design's
    errors = api.refused_experiments(sid, "designed", {"columns": design["columns"], "rows": rows})
    assert errors[0]["row"] == 5 and errors[0]["column"] == "a"
    assert "differs from generation 1's design" in errors[0]["message"]
    # a header only: every designed row is missing
    errors = api.refused_experiments(sid, "designed", {"columns": design["columns"], "rows": []})
    assert errors[0]["message"].startswith("the table has 0 rows but the design of generation 1")


def test_a_halted_session_refuses_tasks(api, designed):
    sid = designed
    assert api.post(f"/v1/sessions/{sid}/halt").status == 200
    before = api.snapshot(sid)
    design = api.get(f"/v1/sessions/{sid}/design").body["table"]
    r = api.post(f"/v1/sessions/{sid}/experiments", {"type": "designed", "table": design})
    assert r.status == 409 and r.body["code"] == "session_halted"
    r = api.post(f"/v1/sessions/{sid}/simulate", {"ngens": 1})
    assert r.status == 409 and r.body["code"] == "session_halted"
    assert api.snapshot(sid) == before


def test_other_owners_see_nothing(served):
    from .conftest import Api

    api = Api(served.service, served.url, served.token)
    sid = api.session()
    _, token = served.make_user()
    stranger = Api(served.service, served.url, token)
    for method, path in (
        ("GET", "history"),
        ("GET", "space"),
        ("POST", "generate"),
        ("GET", "tasks"),
        ("GET", "best"),
        ("GET", "analytics"),
    ):
        r = stranger.call(method, f"/v1/sessions/{sid}/{path}")
        assert r.status == 404, (path, r)

"""Sessions: create, list (pagination, search), fetch, update, halt; bad input each."""

from __future__ import annotations

import json
import unicodedata

import pytest
import sqlalchemy as sa

from sigopt_like.service.store import schema

from .conftest import assert_error

FIELDS = {
    "object",
    "id",
    "name",
    "description",
    "status",
    "gen",
    "remaining",
    "completed",
    "population_size",
    "replicates",
    "seed",
    "created",
    "updated",
    "owner",
    "best_response",
    "tag",
}


def create(api, name="s", **extra):
    reply = api.call("POST", "/v1/sessions", {"name": name, **extra})
    assert reply.status == 201, reply.text
    return reply.body


def test_create_returns_the_session(api):
    body = create(api, "alloy", description="first screen")
    assert set(body) == FIELDS
    assert body["object"] == "session"
    assert body["name"] == "alloy"
    assert body["description"] == "first screen"
    assert body["status"] == "active"
    assert body["gen"] == -1
    assert body["remaining"] is None
    assert body["completed"] is False
    assert body["best_response"] is None
    assert body["tag"] is None
    assert body["id"].isdigit() and body["owner"].isdigit()
    assert 0 <= body["seed"] < 2**31
    assert body["created"] == body["updated"]


def test_a_tag_is_given_at_create_and_cannot_change(api):
    """Daptics' session tag: a read-only identifier set by create."""
    made = create(api, "tagged", tag="  AL-7 ")
    assert made["tag"] == "AL-7"
    assert api.call("GET", f"/v1/sessions/{made['id']}").body["tag"] == "AL-7"
    reply = api.call("PUT", f"/v1/sessions/{made['id']}", {"tag": "AL-8", "name": "renamed"})
    assert_error(reply, 400, "bad_request", "tag", "read-only")
    assert reply.body["detail"]["field"] == "tag"
    assert api.call("GET", f"/v1/sessions/{made['id']}").body == made
    # not unique: two campaigns of one project may share it
    assert create(api, "same project", tag="AL-7")["tag"] == "AL-7"


def test_search_finds_a_tag(api):
    create(api, "alpha", tag="Proj-42")
    create(api, "beta")
    page = api.call("GET", "/v1/sessions", params={"q": "proj-4"}).body
    assert [s["name"] for s in page["data"]] == ["alpha"]


def test_create_with_a_seed_keeps_it(api):
    assert create(api, "seeded", seed=12345)["seed"] == 12345


def test_name_is_stripped(api):
    assert create(api, "  padded  ")["name"] == "padded"


def test_duplicate_name_is_409_naming_it_and_leaves_one(api):
    first = create(api, "dup")
    reply = api.call("POST", "/v1/sessions", {"name": "dup"})
    assert_error(reply, 409, "duplicate_name", "'dup'", first["id"])
    assert reply.body["detail"]["existing_id"] == first["id"]
    assert api.sessions_count() == 1


@pytest.mark.parametrize(
    ("body", "status", "code", "words"),
    [
        ({}, 400, "bad_request", ["'name'", "required"]),
        ({"name": 5}, 400, "bad_request", ["'name'", "string"]),
        ({"name": "   "}, 422, "validation_failed", ["blank"]),
        ({"name": ""}, 422, "validation_failed", ["blank"]),
        ({"name": "x" * 201}, 422, "validation_failed", ["201", "200"]),
        ({"name": "a", "description": 3}, 400, "bad_request", ["'description'"]),
        ({"name": "a", "seed": -1}, 422, "validation_failed", ["'seed' is -1,", "0 to 2147483647"]),
        ({"name": "a", "seed": 2**31}, 422, "validation_failed", ["'seed'", "0 to 2147483647"]),
        ({"name": "a", "seed": 2**70}, 422, "validation_failed", ["'seed'", "0 to 2147483647"]),
        ({"name": "a", "seed": 1.5}, 400, "bad_request", ["'seed'", "whole number"]),
        ({"name": "a", "seed": True}, 400, "bad_request", ["'seed'"]),
        ({"name": "a", "status": "halted"}, 400, "bad_request", ["'status'", "allowed"]),
        ({"name": "a", "tag": 7}, 400, "bad_request", ["'tag'", "string"]),
        ({"name": "a", "tag": " \t"}, 422, "validation_failed", ["tag", "blank"]),
        ({"name": "a", "tag": "t" * 201}, 422, "validation_failed", ["tag", "201", "200"]),
    ],
)
def test_bad_create_is_refused_and_creates_nothing(api, body, status, code, words):
    reply = api.call("POST", "/v1/sessions", body)
    assert_error(reply, status, code, *words)
    assert api.sessions_count() == 0


def test_name_of_200_characters_is_fine(api):
    assert len(create(api, "n" * 200)["name"]) == 200


def test_fetch(api):
    made = create(api, "f")
    reply = api.call("GET", f"/v1/sessions/{made['id']}")
    assert reply.status == 200
    assert reply.body == made


@pytest.mark.parametrize("sid", ["999", "abc", "-1", "1.5", "0x1", "9" * 40])
def test_fetch_unknown_is_404(api, sid):
    assert_error(api.call("GET", f"/v1/sessions/{sid}"), 404, "not_found")


def test_update_is_partial(api):
    made = create(api, "u", description="d0")
    reply = api.call("PUT", f"/v1/sessions/{made['id']}", {"description": "d1"})
    assert reply.status == 200, reply.text
    assert reply.body["name"] == "u" and reply.body["description"] == "d1"
    reply = api.call("PUT", f"/v1/sessions/{made['id']}", {"name": "u2"})
    assert reply.body["name"] == "u2" and reply.body["description"] == "d1"
    assert api.call("GET", f"/v1/sessions/{made['id']}").body["name"] == "u2"


def test_update_with_empty_object_changes_nothing(api):
    made = create(api, "same")
    reply = api.call("PUT", f"/v1/sessions/{made['id']}", {})
    assert reply.status == 200
    assert reply.body == made


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": ""}, 422, "validation_failed"),
        ({"name": 1}, 400, "bad_request"),
        ({"description": ["x"]}, 400, "bad_request"),
        ({"gen": 3}, 400, "bad_request"),
        ({"name": "ok", "seed": 3}, 400, "bad_request"),
    ],
)
def test_bad_update_changes_nothing(api, body, status, code):
    made = create(api, "keep", description="kept")
    assert_error(api.call("PUT", f"/v1/sessions/{made['id']}", body), status, code)
    assert api.call("GET", f"/v1/sessions/{made['id']}").body == made


def test_update_to_a_taken_name_is_409_and_changes_nothing(api):
    create(api, "taken")
    other = create(api, "other")
    reply = api.call("PUT", f"/v1/sessions/{other['id']}", {"name": "taken"})
    assert_error(reply, 409, "duplicate_name", "'taken'")
    assert api.call("GET", f"/v1/sessions/{other['id']}").body["name"] == "other"


def test_update_malformed_json_is_400(api):
    made = create(api, "m")
    reply = api.call(
        "PUT",
        f"/v1/sessions/{made['id']}",
        data=b"{oops",
        headers={"Content-Type": "application/json"},
    )
    assert_error(reply, 400, "invalid_json")
    assert api.call("GET", f"/v1/sessions/{made['id']}").body == made


def test_update_unknown_is_404(api):
    assert_error(api.call("PUT", "/v1/sessions/4242", {"name": "x"}), 404, "not_found")


def test_halt(api):
    made = create(api, "h")
    reply = api.call("POST", f"/v1/sessions/{made['id']}/halt")
    assert reply.status == 200, reply.text
    assert reply.body["status"] == "halted"
    again = api.call("POST", f"/v1/sessions/{made['id']}/halt")
    assert again.status == 200 and again.body["status"] == "halted"
    assert api.call("GET", f"/v1/sessions/{made['id']}").body["status"] == "halted"


def test_halt_asks_unfinished_tasks_to_cancel(api):
    made = create(api, "ht")
    engine = api.service.context.store.database.engine
    # no runner may pick up the queued task below: this test watches the halt alone
    api.service.context.runner.shutdown()
    with engine.begin() as conn:
        for status in ("new", "running", "success"):
            conn.execute(
                schema.tasks.insert().values(
                    session_id=int(made["id"]),
                    owner_id=int(made["owner"]),
                    type="generate",
                    status=status,
                    created=0,
                )
            )
    api.call("POST", f"/v1/sessions/{made['id']}/halt")
    with engine.connect() as conn:
        rows = conn.execute(sa.select(schema.tasks.c.status, schema.tasks.c.cancel_requested)).all()
    # a queued task is canceled at once (a runner would run it on the halted session and
    # fail it), a running one by request; a finished one is left as it is
    assert {(r.status, bool(r.cancel_requested)) for r in rows} == {
        ("canceled", False),
        ("running", True),
        ("success", False),
    }


def test_halt_unknown_is_404(api):
    assert_error(api.call("POST", "/v1/sessions/77/halt"), 404, "not_found")


def test_list_is_a_pagination_newest_first(api):
    ids = [create(api, f"s{i}")["id"] for i in range(5)]
    reply = api.call("GET", "/v1/sessions")
    assert reply.status == 200
    body = reply.body
    assert body["object"] == "pagination"
    assert body["count"] == 5
    assert [s["id"] for s in body["data"]] == ids[::-1]
    assert body["paging"] == {"before": None, "after": None}


def test_list_pages_with_before_and_after(api):
    ids = [create(api, f"p{i}")["id"] for i in range(5)]
    seen = []
    params = {"limit": 2}
    while True:
        page = api.call("GET", "/v1/sessions", params=params).body
        assert page["count"] == 5
        seen += [s["id"] for s in page["data"]]
        if page["paging"]["before"] is None:
            break
        params = {"limit": 2, "before": page["paging"]["before"]}
    assert seen == ids[::-1]
    # and back up with `after`
    up = api.call("GET", "/v1/sessions", params={"limit": 2, "after": ids[1]}).body
    assert [s["id"] for s in up["data"]] == [ids[3], ids[2]]
    assert up["paging"]["after"] == ids[3]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "x"},
        {"limit": ""},
        {"limit": -1},
        {"limit": 1001},
        {"before": "zz"},
        {"after": "9" * 19},
        {"before": "\u00b2"},
    ],
)
def test_list_bad_query_is_400(api, params):
    assert_error(api.call("GET", "/v1/sessions", params=params), 400, "bad_request")


def test_list_between_two_cursors(api):
    ids = [create(api, f"w{i}")["id"] for i in range(5)]
    page = api.call("GET", "/v1/sessions", params={"before": ids[4], "after": ids[0]}).body
    assert [s["id"] for s in page["data"]] == [ids[3], ids[2], ids[1]]
    assert page["count"] == 5


def test_integral_float_is_an_integer(api):
    assert create(api, "f", seed=7.0)["seed"] == 7


@pytest.mark.parametrize("sid", ["\u00b2", "\u0663"])
def test_non_ascii_digits_are_not_ids(api, sid):
    assert_error(api.call("GET", f"/v1/sessions/{sid}"), 404, "not_found")


def test_search_by_name_description_and_id(api):
    a = create(api, "Alloy screen", description="copper")
    b = create(api, "polymer", description="Viscosity 50%_test")
    create(api, "other")

    def names(q):
        page = api.call("GET", "/v1/sessions", params={"q": q}).body
        return [s["name"] for s in page["data"]]

    assert names("alloy") == ["Alloy screen"]
    assert names("COPPER") == ["Alloy screen"]
    assert names("50%_") == ["polymer"]
    assert names("%") == ["polymer"]
    assert names(b["id"]) == ["polymer"]
    assert names("nothing-like-it") == []
    assert api.call("GET", "/v1/sessions", params={"q": "alloy"}).body["count"] == 1
    assert a["id"] != b["id"]


@pytest.mark.parametrize("name", ["\x1c\x1f", "\ufeff", "\u3000 \t", "\x85"])
def test_unicode_blank_names_are_blank(api, name):
    assert_error(api.call("POST", "/v1/sessions", {"name": name}), 422, "validation_failed")
    assert api.sessions_count() == 0


def test_name_length_counts_surrounding_spaces(api):
    reply = api.call("POST", "/v1/sessions", {"name": " " + "n" * 200})
    assert_error(reply, 422, "validation_failed", "201", "200")


def test_best_response_is_the_largest_measured(embedded_conn):
    from sigopt_like.data import load_templates

    template = load_templates()[0]
    session = embedded_conn.sessions.create(name="best")
    campaign = embedded_conn.sessions(session.id)
    campaign.space.put(space=template["space"], population_size=5, replicates=0, wait=True)
    campaign.simulate(ngens=2, wait=True)
    measured = [
        row[-1]
        for generation in campaign.history.fetch().generations
        for row in generation.table.rows
        if row[-1] is not None
    ]
    assert measured
    assert campaign.fetch().best_response == max(measured)
    listed = next(s for s in embedded_conn.sessions.list() if s.id == session.id)
    assert listed.best_response == max(measured)


@pytest.mark.parametrize("field", ["name", "tag"])
@pytest.mark.parametrize("text", ["a\nb", "tab\there", "bell\x07", "a\x85b"])
def test_a_name_or_tag_is_one_line_without_control_characters(api, field, text):
    """Before: a name "a\\nb" or a tag "\\x01" was stored (token names and emails refuse
    control characters; a name broke the listing's and the history CSV's lines)."""
    body = {"name": "ok", **{field: text}}
    reply = api.call("POST", "/v1/sessions", body)
    bad = next(char for char in text if unicodedata.category(char) == "Cc")
    assert_error(reply, 422, "validation_failed", "control character", json.dumps(bad))
    assert api.sessions_count() == 0
    created = api.call("POST", "/v1/sessions", {"name": "fine"}).body
    reply = api.call("PUT", f"/v1/sessions/{created['id']}", {"name": text})
    assert_error(reply, 422, "validation_failed", "control character")
    assert api.call("GET", f"/v1/sessions/{created['id']}").body["name"] == "fine"


@pytest.mark.parametrize("field", ["name", "tag"])
@pytest.mark.parametrize(
    "text", ["catalyst\u200b-screen", "bidi\u202eevil", "b\ufeffom", "a\u2060b"]
)
def test_a_name_or_tag_holds_no_invisible_character(api, field, text):
    """Before: stored, so "catalyst\\u200b-screen" was a second session that looked like
    "catalyst-screen" and that a search for it did not find (U+202E turned it around)."""
    hidden = next(char for char in text if unicodedata.category(char) == "Cf")
    reply = api.call("POST", "/v1/sessions", {"name": "ok", field: text})
    assert_error(reply, 422, "validation_failed", f"invisible character U+{ord(hidden):04X}")
    assert api.sessions_count() == 0
    created = api.call("POST", "/v1/sessions", {"name": "fine"}).body
    reply = api.call("PUT", f"/v1/sessions/{created['id']}", {"name": text})  # a tag is fixed
    assert_error(reply, 422, "validation_failed", "invisible character")
    assert api.call("GET", f"/v1/sessions/{created['id']}").body["name"] == "fine"


def test_a_name_with_the_joiners_of_emoji_and_scripts_is_taken(api):
    """U+200D joins 👩 and 🔬 into one emoji, U+200C is part of Persian words."""
    for name in ("👩\u200d🔬 screen", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"):
        reply = api.call("POST", "/v1/sessions", {"name": name})
        assert reply.status == 201 and reply.body["name"] == name, reply.body


def test_names_differing_only_in_unicode_normalisation_are_one_name(api):
    """Before: "café" with one code point for é and with e + a combining accent were two
    sessions of one name (no 409), and a search in one form did not find the other."""
    composed, decomposed = "caf\u00e9 screen", "cafe\u0301 screen"
    first = api.call("POST", "/v1/sessions", {"name": composed, "tag": "t\u00e9"}).body
    reply = api.call("POST", "/v1/sessions", {"name": decomposed})
    assert_error(reply, 409, "duplicate_name", "already exists")
    assert api.sessions_count() == 1
    other = api.call("POST", "/v1/sessions", {"name": "other", "tag": "te\u0301"}).body
    assert other["tag"] == first["tag"] == "t\u00e9"
    reply = api.call("PUT", f"/v1/sessions/{other['id']}", {"name": decomposed})
    assert_error(reply, 409, "duplicate_name", "already exists")
    found = api.call("GET", "/v1/sessions", q="cafe\u0301").body["data"]
    assert [s["id"] for s in found] == [first["id"]]

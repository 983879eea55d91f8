"""Error messages quote what the caller sent clipped: a 100 KB path came back whole in
its 404 (and a 100 KB field name three times in its 422), so one request could make the
service write a body as large as the largest request it reads, for every error."""

from __future__ import annotations

from typing import Any

import pytest
import requests

HUGE = 100_000
#: the length of each huge part of a URL: two in one path stay under the 8 KB a request
#: line may take (past it, both servers answer a 414 before the app sees the request)
HUGE_IN_URL = 2_500
#: the most an error body may take, whatever the input
MAX_BODY = 4_000


def _huge(mark: str, size: int = HUGE) -> str:
    """``size`` characters that start with ``mark`` and end with ``-end``."""
    return mark + "q" * (size - len(mark) - 4) + "-end"


def _cases(eid: str) -> list[tuple[str, str, Any, Any, str]]:
    """(method, path, query, JSON body, the word the answer must still name)."""
    path = _huge("route", HUGE_IN_URL)
    ident = _huge("9id", HUGE_IN_URL)
    name = _huge("field")
    value = _huge("value")
    in_url = _huge("value", HUGE_IN_URL)
    field_in_url = _huge("field", HUGE_IN_URL)
    return [
        ("GET", f"/v1/{_huge('route')}", None, None, "the request line is 100017 bytes"),
        ("GET", f"/v1/{path}", None, None, "route"),
        ("GET", f"/v1/experiments/{ident}", None, None, "9id"),
        ("GET", f"/v1/experiments/{eid}/suggestions/{ident}", None, None, "suggestion"),
        ("GET", f"/v1/sessions/{ident}/tasks/{ident}", None, None, "9id"),
        ("PATCH", f"/v1/experiments/{path}", None, None, "route"),
        ("POST", "/v1/experiments", None, {"name": "n", name: 1, "parameters": []}, "field"),
        (
            "POST",
            "/v1/experiments",
            None,
            {"name": "n", "parameters": [{"name": "x", "type": value}]},
            "value",
        ),
        (
            "POST",
            f"/v1/experiments/{eid}/observations",
            None,
            {"assignments": {name: 0.5}, "value": 1},
            "field",
        ),
        (
            "POST",
            f"/v1/experiments/{eid}/observations",
            None,
            {"assignments": {"x": 0.5}, "values": [{"name": name, "value": 1}]},
            "field",
        ),
        ("POST", f"/v1/experiments/{eid}/observations", None, {"suggestion": value}, "value"),
        ("GET", "/v1/experiments", {"limit": in_url}, None, "limit"),
        ("GET", "/v1/experiments", {"before": in_url}, None, "value"),
        ("GET", "/v1/experiments", {field_in_url: "1"}, None, "field"),
        ("GET", f"/v1/experiments/{eid}/suggestions", {"state": in_url}, None, "value"),
    ]


def test_huge_paths_ids_names_and_values_come_back_clipped(served: Any) -> None:
    http = requests.Session()
    http.headers.update(served.headers())
    created = http.post(
        f"{served.url}/v1/experiments",
        json={
            "name": "echo",
            "parameters": [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
        },
        timeout=30,
    )
    assert created.status_code == 201, created.text
    for method, path, query, body, named in _cases(created.json()["id"]):
        answer = http.request(method, served.url + path, params=query, json=body, timeout=60)
        where = f"{method} {path[:40]}... {str(query)[:40]} {str(body)[:60]}"
        assert 400 <= answer.status_code < 500, (where, answer.status_code, answer.text[:300])
        assert len(answer.content) <= MAX_BODY, (where, len(answer.content), answer.text[:300])
        error = answer.json()
        assert error["object"] == "error", where
        message = error["message"]
        assert named in message, (where, message)
        assert "..." in message or answer.status_code == 414, (where, message)  # not echoed


@pytest.mark.parametrize("spaced", [False, True])
def test_a_long_message_keeps_its_start_and_end(spaced: bool) -> None:
    from sigopt_like.service.errors import MAX_MESSAGE, error_body

    quoted = ("word " if spaced else "w") * 50_000
    body = error_body(400, "bad_request", f"The name '{quoted}' is not known; use another.")
    message = body["message"]
    assert len(message) <= MAX_MESSAGE and message.startswith("The name 'w")
    assert "characters)" in message
    # one run of input is clipped alone, the words around it kept
    assert message.endswith("characters)" if spaced else "is not known; use another.")


def test_many_unknown_fields_are_counted_not_listed(served: Any) -> None:
    """Before: a session body with 20,000 unknown fields came back as a 220 KB 400 that
    named each, and the fields it does take fell off the end of the message."""
    many = {f"k{i:06d}": 1 for i in range(20_000)}
    answer = requests.post(
        f"{served.url}/v1/sessions",
        json={"name": "n", **many},
        headers=served.headers(),
        timeout=60,
    )
    assert answer.status_code == 400, answer.text
    assert len(answer.content) <= MAX_BODY, len(answer.content)
    error = answer.json()
    assert "'k000000'" in error["message"] and "and 19,990 more" in error["message"]
    assert "allowed: " in error["message"] and "name" in error["message"].split("allowed: ")[1]
    assert error["detail"]["fields"][:2] == ["k000000", "k000001"]
    listed = requests.get(f"{served.url}/v1/sessions", headers=served.headers(), timeout=10)
    assert listed.json()["count"] == 0


def test_a_table_with_many_bad_rows_lists_a_hundred_and_counts_the_rest(served: Any) -> None:
    """Before: a table of 20,000 rows of the wrong width was a 422 that listed each row (a
    2 MB body); the problems found checking rows against the space were capped at a
    hundred, the table's own were not."""
    made = requests.post(
        f"{served.url}/v1/sessions", json={"name": "wide"}, headers=served.headers(), timeout=10
    )
    rows = [[1, 2, 3]] * 20_000  # two columns, three values each
    answer = requests.post(
        f"{served.url}/v1/sessions/{made.json()['id']}/experiments",
        json={"type": "initial", "table": {"columns": ["a", "Response"], "rows": rows}},
        headers=served.headers(),
        timeout=60,
    )
    assert answer.status_code == 422, answer.text[:300]
    assert len(answer.content) <= 30_000, len(answer.content)
    errors = answer.json()["detail"]["errors"]
    assert len(errors) == 101
    assert errors[0]["row"] == 2 and errors[99]["row"] == 101
    assert errors[-1] == {
        "message": "... and 19,900 more problems not listed",
        "row": None,
        "column": None,
        "field": "table",
    }


def test_many_unknown_run_fields_are_counted_not_listed(served: Any) -> None:
    """Before: ``fields`` naming 20,000 fields a run does not have came back as a 400 that
    listed each (in ``detail.unknown`` as well), unlike every other unknown-field 400."""
    client = requests.get(f"{served.url}/v1/tokens/self", headers=served.headers(), timeout=10)
    names = ",".join(f"k{i:06d}" for i in range(20_000))
    answer = requests.post(
        f"{served.url}/v1/clients/{client.json()['client']}/projects/p/training_runs/batch",
        json={"runs": [{"name": "a"}], "fields": f"id,{names}"},
        headers=served.headers(),
        timeout=60,
    )
    assert answer.status_code == 400, answer.text[:300]
    assert len(answer.content) <= MAX_BODY, len(answer.content)
    error = answer.json()
    assert "'k000000'" in error["message"] and "and 19,990 more" in error["message"], error
    assert error["detail"]["unknown"][:2] == ["k000000", "k000001"]
    assert len(error["detail"]["unknown"]) == 10


def test_unknown_run_fields_are_shown_as_every_client_key_is(served: Any) -> None:
    """Before: ``detail.unknown`` held the names ``fields`` gave raw, unlike the message and
    every other unknown-field refusal (``json_kinds.path_key``): a line separator as sent,
    and a 5,000-character name whole, past the size of any other error body."""
    from sigopt_like.json_kinds import path_key

    client = requests.get(f"{served.url}/v1/tokens/self", headers=served.headers(), timeout=10)
    long_name = "k" * 5_000
    answer = requests.post(
        f"{served.url}/v1/clients/{client.json()['client']}/projects/p/training_runs/batch",
        json={"runs": [{"name": "a"}], "fields": f"id,x\u2028y,{long_name}"},
        headers=served.headers(),
        timeout=60,
    )
    assert answer.status_code == 400, answer.text[:300]
    assert len(answer.content) <= MAX_BODY, len(answer.content)
    error = answer.json()
    shown = [path_key(long_name), "x\\u2028y"]
    assert error["detail"]["unknown"] == shown, error["detail"]
    assert shown[0] == "k" * 80 + "...kkkkkkkkkk (5,000 characters)"
    assert all(f"'{name}'" in error["message"] for name in shown), error["message"]


def test_unstorable_cells_past_the_cap_are_counted_with_a_thousands_separator(
    served: Any,
) -> None:
    """The door's cap on unstorable cells said "... and 1150 more problems not listed"
    while the table's and space's caps say "1,150": one wording, from one helper."""
    made = requests.post(
        f"{served.url}/v1/sessions", json={"name": "nul"}, headers=served.headers(), timeout=10
    )
    rows = [["a\x00", 1.0]] * 1_250
    answer = requests.post(
        f"{served.url}/v1/sessions/{made.json()['id']}/experiments",
        json={"type": "initial", "table": {"columns": ["a", "Response"], "rows": rows}},
        headers=served.headers(),
        timeout=60,
    )
    assert answer.status_code == 422, answer.text[:300]
    errors = answer.json()["detail"]["errors"]
    assert len(errors) == 101
    assert errors[-1]["message"] == "... and 1,150 more problems not listed", errors[-1]
    assert errors[-1]["field"] == "table"


def test_a_path_that_is_not_utf8_is_a_400_naming_its_bytes(served: Any) -> None:
    """``.../analytics/files/caf%E9.png`` (Latin-1 bytes) was answered "No analytics file
    'caf\\ufffd.png'", and ``/v1/sessions/caf%E9`` "No session with id 'caf\\ufffd'": Falcon
    reads a byte that is not UTF-8 as U+FFFD, an id or name no one sent and none this
    service makes. Such a path is a 400 that shows its bytes; a real U+FFFD (UTF-8
    ``%EF%BF%BD``) is still looked up, and echoed, as sent."""
    made = requests.post(
        f"{served.url}/v1/sessions", json={"name": "files"}, headers=served.headers(), timeout=10
    )
    files = f"{served.url}/v1/sessions/{made.json()['id']}/analytics/files"
    for url, shown in (
        (f"{files}/caf%E9.png", "/analytics/files/caf\\xe9.png'"),
        (f"{served.url}/v1/sessions/caf%E9", "'/v1/sessions/caf\\xe9'"),
        (f"{served.url}/no%E9where", "'/no\\xe9where'"),
    ):
        answer = requests.get(url, headers=served.headers(), timeout=10)
        assert answer.status_code == 400, answer.text
        message = answer.json()["message"]
        assert shown in message and "is not UTF-8" in message, message
        assert "\ufffd" not in message and answer.json()["detail"] == {"field": "path"}
    utf8 = requests.get(f"{files}/caf%EF%BF%BD.png", headers=served.headers(), timeout=10)
    assert utf8.status_code == 404, utf8.text
    assert "No analytics file 'caf\ufffd.png':" in utf8.json()["message"], utf8.text

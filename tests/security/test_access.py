"""Served mode: who gets in, and what they can reach.

- every operation of the OpenAPI document but the public ones answers 401 without a
  token, with a wrong one, a revoked one, a malformed header, or a token in the URL;
- user B can read, change, cancel, delete or download nothing of user A's: each try
  answers exactly what the same try on an id that does not exist answers (a 404,
  no hint), and A's objects are unchanged afterwards;
- analytics files need the same auth as everything else; their URLs hold no token.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from tests.security.helpers import BODIES, PUBLIC_ROUTES, Owned, fill, operations, populate

pytestmark = pytest.mark.security

MISSING = "987654"
ALL_IDS = {
    "sid": "1",
    "tid": "1",
    "eid": "1",
    "oid": "1",
    "qid": "1",
    "name": "x.png",
    "rid": "1",
    "fid": "1",
    "ckid": "1",
    "token": "slk_not-a-token",
    "cid": "1",
    "pid": "p",
}


def _send(
    base: str, method: str, path: str, headers: dict, body: Any = None, params: dict | None = None
) -> requests.Response:
    return requests.request(
        method, base + path, headers=headers, json=body, params=params, timeout=30
    )


def _assert_401(response: requests.Response, what: str) -> None:
    assert response.status_code == 401, (what, response.status_code, response.text[:300])
    body = response.json()
    assert body["object"] == "error" and body["code"] == "unauthorized", (what, body)
    assert "Bearer" in response.headers.get("WWW-Authenticate", ""), what


def test_only_public_routes_are_open(served: Any, figures: Any) -> None:
    ops = operations()
    documented_public = {(m, p) for m, p, op in ops if op.get("security") == []}
    assert documented_public == PUBLIC_ROUTES
    checked = 0
    for method, path, _op in ops:
        url_path = fill(path, ALL_IDS)
        response = _send(served.url, method, url_path, {}, BODIES.get((method, path), {}))
        if (method, path) in PUBLIC_ROUTES:
            assert response.status_code != 401, (method, path)
            continue
        _assert_401(response, f"{method} {path}")
        checked += 1
    # unknown routes say 404, without asking for a token first or listing anything
    response = _send(served.url, "GET", "/v1/admin/users", {})
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    figures(routes_needing_token=checked, public_routes=len(PUBLIC_ROUTES))


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not-a-token",
        "Bearer ",
        "Token abc",
        "Basic !!!not-base64",
        "Basic Om5vdGhpbmc=",  # ':nothing' -> no user name
        "Bearer " + "x" * 5000,
    ],
)
def test_wrong_tokens_are_refused(served: Any, header: str) -> None:
    for method, path in (
        ("GET", "/v1/sessions"),
        ("POST", "/v1/sessions"),
        ("GET", "/v1/experiments"),
    ):
        _assert_401(
            _send(served.url, method, path, {"Authorization": header}, {"name": "no"}),
            f"{header[:20]} {method} {path}",
        )


def test_revoked_token_is_refused_and_basic_form_works(served: Any) -> None:
    _email, token = served.make_user()
    ok = requests.get(f"{served.url}/v1/sessions", auth=(token, ""), timeout=10)
    assert ok.status_code == 200
    assert served.service.context.store.accounts.revoke_token(token=token) == 1
    for headers in ({"Authorization": f"Bearer {token}"},):
        _assert_401(_send(served.url, "GET", "/v1/sessions", headers), "revoked bearer")
    revoked_basic = requests.get(f"{served.url}/v1/sessions", auth=(token, ""), timeout=10)
    _assert_401(revoked_basic, "revoked basic")


def test_token_in_the_url_is_not_accepted(served: Any) -> None:
    for params in (
        {"token": served.token},
        {"access_token": served.token},
        {"api_key": served.token},
    ):
        _assert_401(_send(served.url, "GET", "/v1/sessions", {}, params=params), str(params))


@pytest.fixture
def two_users(served: Any) -> tuple[Owned, Owned]:
    _email_b, token_b = served.make_user()
    a = populate(served.url, served.token, "alpha-secret-project")
    b = populate(served.url, token_b, "beta")
    return a, b


def _normalized(response: requests.Response, ids: dict[str, str]) -> tuple[int, str, str]:
    body = response.json() if response.content else {}
    message = str(body.get("message", ""))
    for value in sorted(set(ids.values()), key=len, reverse=True):
        message = re.sub(rf"(?<![\w.]){re.escape(value)}(?![\w.])", "<id>", message)
    return response.status_code, str(body.get("code")), message


def _snapshot(base: str, owner: Owned) -> dict:
    h = {"Authorization": f"Bearer {owner.token}"}

    def get(path: str) -> Any:
        response = requests.get(base + path, headers=h, timeout=30)
        assert response.status_code == 200, (path, response.text[:300])
        return response.json()

    e = owner.experiment
    tasks = get(f"/v1/sessions/{owner.session}/tasks")
    session = get(f"/v1/sessions/{owner.session}")
    experiment = get(f"/v1/experiments/{e}")
    return {
        "session": {k: session[k] for k in ("name", "description", "status", "gen")},
        "history": get(f"/v1/sessions/{owner.session}/history"),
        "tasks": sorted((t["id"], t["type"], t["status"]) for t in tasks["data"]),
        "experiment": {k: experiment[k] for k in ("name", "state")},
        "suggestions": sorted(
            (s["id"], s["state"]) for s in get(f"/v1/experiments/{e}/suggestions")["data"]
        ),
        "queued": sorted(q["id"] for q in get(f"/v1/experiments/{e}/queued_suggestions")["data"]),
        "observations": sorted(
            (o["id"], o["value"]) for o in get(f"/v1/experiments/{e}/observations")["data"]
        ),
        "analytics": get(f"/v1/sessions/{owner.session}/analytics"),
        "aiexperiment": {
            k: get(f"/v1/aiexperiments/{owner.aiexperiment}")[k] for k in ("name", "state")
        },
        "run": {k: get(f"/v1/training_runs/{owner.run}")[k] for k in ("state", "values", "name")},
        "projects": get(f"/v1/clients/{owner.client}/projects")["data"],
    }


def test_users_cannot_reach_each_others_objects(served: Any, two_users: Any, figures: Any) -> None:
    a, b = two_users
    before = _snapshot(served.url, a)
    b_headers = {"Authorization": f"Bearer {b.token}"}
    tried = 0
    # GETs first, then the writes, so that each write still meets A's object
    ordered = sorted(operations(), key=lambda op: (op[0] != "GET", op[0] == "DELETE"))
    for method, path, _op in ordered:
        if "{" not in path:
            continue
        body = BODIES.get((method, path), {})
        params = (
            {"state": "open"}
            if (method, path) == ("DELETE", "/v1/experiments/{eid}/suggestions")
            else None
        )
        theirs = a.ids_for(path)
        nobody = {k: (MISSING if k != "name" else "nothing.png") for k in theirs}
        got = _send(served.url, method, fill(path, theirs), b_headers, body, params)
        missing = _send(served.url, method, fill(path, nobody), b_headers, body, params)
        what = f"{method} {path}"
        assert got.status_code == 404, (what, got.status_code, got.text[:300])
        assert _normalized(got, theirs) == _normalized(missing, nobody), what
        assert a.session_name not in got.text, what
        tried += 1
        names = re.findall(r"\{(\w+)\}", path)
        if len(names) > 1 and names[-1] not in ("name", "pid"):
            # (file names are per session and project ids per client: names, not ids)
            # B's own parent (session, experiment) with A's child (task, file, suggestion,
            # observation) in it: still nothing
            mixed = {**theirs, names[0]: b.ids_for(path)[names[0]]}
            crossed = _send(served.url, method, fill(path, mixed), b_headers, body, params)
            assert crossed.status_code == 404, (what, "mixed", crossed.text[:300])
            assert a.session_name not in crossed.text, what
            tried += 1
    # B's lists and searches show nothing of A's
    sessions = requests.get(
        f"{served.url}/v1/sessions", params={"q": "alpha"}, headers=b_headers, timeout=10
    ).json()
    assert sessions["count"] == 0 and sessions["data"] == []
    experiments = requests.get(
        f"{served.url}/v1/experiments", params={"state": "all"}, headers=b_headers, timeout=10
    ).json()
    assert {e["id"] for e in experiments["data"]} == {b.experiment}
    # and A's objects did not change
    assert _snapshot(served.url, a) == before
    figures(cross_user_attempts=tried, leaks=0)


def test_analytics_downloads_need_the_same_auth(served: Any, two_users: Any) -> None:
    a, b = two_users
    url = a.analytics_url
    assert url and a.token not in url and "token" not in url.lower()
    absolute = url if url.startswith("http") else served.url + url
    owner = requests.get(absolute, headers={"Authorization": f"Bearer {a.token}"}, timeout=30)
    assert owner.status_code == 200 and len(owner.content) > 0
    _assert_401(requests.get(absolute, timeout=30), "no token")
    _assert_401(requests.get(absolute, params={"token": a.token}, timeout=30), "token in URL")
    other = requests.get(absolute, headers={"Authorization": f"Bearer {b.token}"}, timeout=30)
    assert other.status_code == 404
    # a path that tries to leave the analytics folder is a 404 too, never a file
    for name in ("..%2F..%2Fserved.db", "%2Fetc%2Fpasswd", "...."):
        escape = requests.get(
            f"{served.url}/v1/sessions/{a.session}/analytics/files/{name}",
            headers={"Authorization": f"Bearer {a.token}"},
            timeout=30,
        )
        assert escape.status_code in (400, 404), (name, escape.status_code)
        assert b"SQLite" not in escape.content and b"root:" not in escape.content

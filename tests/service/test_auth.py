"""Served mode: tokens (Bearer or Basic), revocation, login, owners never see each other."""

from __future__ import annotations

import base64

import pytest
import requests

from sigopt_like.service.passwords import hash_password, verify_password
from sigopt_like.service.store import schema
from sigopt_like.service.store.accounts import hash_token

from .conftest import Api, assert_error


@pytest.fixture
def http(served) -> Api:
    return Api(served.service, served.url, served.token)


def bare(served, method, path, **kw):
    return requests.request(method, f"{served.url}{path}", timeout=10, **kw)


def test_no_token_is_401_with_challenge(served):
    r = bare(served, "GET", "/v1/sessions")
    assert r.status_code == 401
    assert r.json()["code"] == "unauthorized"
    assert "token" in r.json()["message"].lower()
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer nope",
        "Bearer ",
        "Token abc",
        "Basic !!!notbase64",
        "Basic " + base64.b64encode(b":").decode(),
    ],
)
def test_wrong_credentials_are_401(served, header):
    r = bare(served, "GET", "/v1/sessions", headers={"Authorization": header})
    assert r.status_code == 401, r.text
    assert r.json()["object"] == "error"
    assert "WWW-Authenticate" in r.headers
    assert "nope" not in r.text


def test_wrong_token_does_not_create(served):
    r = bare(
        served,
        "POST",
        "/v1/sessions",
        json={"name": "x"},
        headers={"Authorization": "Bearer wrong"},
    )
    assert r.status_code == 401
    assert Api(served.service).sessions_count() == 0


def test_bearer_and_basic_both_work(served):
    assert bare(served, "GET", "/v1/sessions", headers=served.headers()).status_code == 200
    r = bare(served, "GET", "/v1/sessions", auth=(served.token, ""))
    assert r.status_code == 200, r.text


def test_revoked_token_is_401(served):
    assert served.service.context.store.accounts.revoke_token(token=served.token) == 1
    r = bare(served, "GET", "/v1/sessions", headers=served.headers())
    assert r.status_code == 401
    assert "revoked" in r.json()["message"]


def test_open_routes_need_no_token(served):
    for path in ("/health", "/ready", "/metrics", "/v1/version", "/v1/openapi.json"):
        assert bare(served, "GET", path).status_code == 200, path


def test_unknown_route_is_404_even_without_token(served):
    assert bare(served, "GET", "/v1/nowhere").status_code == 404


def test_only_the_hash_of_a_token_is_stored(served):
    with served.service.context.store.database.engine.connect() as conn:
        hashes = [r.token_hash for r in conn.execute(schema.tokens.select())]
    assert hash_token(served.token) in hashes
    assert served.token not in hashes


def test_owners_never_see_each_other(served):
    a = Api(served.service, served.url, served.token)
    _, token_b = served.make_user()
    b = Api(served.service, served.url, token_b)
    made = a.call("POST", "/v1/sessions", {"name": "mine", "description": "secret"}).body
    sid = made["id"]
    for reply in (
        b.call("GET", f"/v1/sessions/{sid}"),
        b.call("PUT", f"/v1/sessions/{sid}", {"name": "stolen"}),
        b.call("POST", f"/v1/sessions/{sid}/halt"),
    ):
        assert_error(reply, 404, "not_found")
        assert "mine" not in reply.text
    assert b.call("GET", "/v1/sessions").body["count"] == 0
    assert b.call("GET", "/v1/sessions", params={"q": "secret"}).body["data"] == []
    # the same name is free for B, and A's session is untouched
    assert b.call("POST", "/v1/sessions", {"name": "mine"}).status == 201
    assert a.call("GET", f"/v1/sessions/{sid}").body == made


def test_idempotency_keys_are_per_owner(served):
    _, token_b = served.make_user()
    key = {"Idempotency-Key": "shared-key"}
    ra = Api(served.service, served.url, served.token).call(
        "POST", "/v1/sessions", {"name": "n"}, headers=key
    )
    rb = Api(served.service, served.url, token_b).call(
        "POST", "/v1/sessions", {"name": "n"}, headers=key
    )
    assert ra.status == rb.status == 201
    assert ra.body["id"] != rb.body["id"]
    assert "Idempotent-Replayed" not in rb.headers


def _user_with_password(served, email="pw@example.com", password="correct horse"):
    served.service.context.store.accounts.create_user(email, password)
    return email, password


def test_login_returns_a_working_token(served):
    email, password = _user_with_password(served)
    r = bare(served, "POST", "/v1/login", json={"email": email.upper(), "password": password})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["object"] == "token" and body["user"]["email"] == email
    assert password not in r.text
    ok = bare(served, "GET", "/v1/sessions", headers={"Authorization": f"Bearer {body['token']}"})
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("email", "password"),
    [("pw@example.com", "hunter2-guess"), ("nobody@example.com", "correct horse")],
)
def test_login_wrong_password_or_user_is_401(served, email, password):
    _user_with_password(served)
    r = bare(served, "POST", "/v1/login", json={"email": email, "password": password})
    assert r.status_code == 401
    assert r.json()["message"] == "The email or the password is wrong."
    assert password not in r.text


def test_login_needs_both_fields(served):
    r = bare(served, "POST", "/v1/login", json={"email": "a@b.c"})
    assert r.status_code == 400
    assert "'password'" in r.json()["message"]


def test_login_and_tokens_refuse_fields_they_do_not_know(served):
    """A field the service does not know is a 400 naming it, never ignored (the document
    says additionalProperties: false, so a fuzzer's extra property is negative data)."""
    email, password = _user_with_password(served)
    r = bare(
        served,
        "POST",
        "/v1/login",
        json={"email": email, "password": password, "remember_me": True},
    )
    assert r.status_code == 400 and r.json()["detail"]["fields"] == ["remember_me"]
    r = bare(served, "POST", "/v1/tokens", json={"nmae": "ci"}, headers=served.headers())
    assert r.status_code == 400 and r.json()["detail"]["fields"] == ["nmae"]
    assert "allowed: name" in r.json()["message"]
    schemas = bare(served, "GET", "/v1/openapi.json").json()["components"]["schemas"]
    assert schemas["LoginRequest"]["additionalProperties"] is False
    assert schemas["TokenRequest"]["additionalProperties"] is False


@pytest.fixture
def slow_refill(tmp_path):
    """A served instance whose limits refill one attempt an hour (the window of the
    default limit, 10 a minute, stretched 60 times): the attempts that fill one are
    never given one back while the test runs, however slowly scrypt runs (an attempt
    came back every 6 s: 11 logins took 4 s at a load of 16)."""
    from tests.fixtures.servers import serve_in_thread

    instance = serve_in_thread(tmp_path, rate_limit_window_seconds=3600.0)
    try:
        yield instance
    finally:
        instance.close()


def test_login_is_rate_limited_per_email(slow_refill):
    served = slow_refill
    email, _ = _user_with_password(served)
    limit = served.service.settings.login_attempts_per_minute
    for _ in range(limit):
        r = bare(served, "POST", "/v1/login", json={"email": email, "password": "bad"})
        assert r.status_code == 401
    r = bare(served, "POST", "/v1/login", json={"email": email, "password": "bad"})
    assert r.status_code == 429
    assert r.json()["code"] == "rate_limited"
    assert int(r.headers["Retry-After"]) >= 1
    assert r.json()["message"] == (
        f"Too many login attempts: at most {limit} a minute for one email or one address; "
        f"retry in {r.headers['Retry-After']} s."
    )


def test_login_is_rate_limited_per_address(slow_refill):
    served = slow_refill
    limit = served.service.settings.login_attempts_per_minute
    for i in range(limit):
        bare(served, "POST", "/v1/login", json={"email": f"u{i}@x.org", "password": "bad"})
    r = bare(served, "POST", "/v1/login", json={"email": "fresh@x.org", "password": "bad"})
    assert r.status_code == 429
    assert "Retry-After" in r.headers


def test_post_tokens_makes_another_token_for_the_caller(served):
    r = bare(served, "POST", "/v1/tokens", json={"name": "ci"}, headers=served.headers())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["name"] == "ci" and body["user"]["email"] == served.email
    assert body["token"] != served.token
    assert (
        bare(
            served, "GET", "/v1/sessions", headers={"Authorization": f"Bearer {body['token']}"}
        ).status_code
        == 200
    )
    assert bare(served, "POST", "/v1/tokens").status_code == 401


def test_token_responses_are_never_replayed(served):
    key = {"Idempotency-Key": "tok", **served.headers()}
    first = bare(served, "POST", "/v1/tokens", headers=key).json()["token"]
    second = bare(served, "POST", "/v1/tokens", headers=key).json()["token"]
    assert first != second
    with served.service.context.store.database.engine.connect() as conn:
        stored = [r.response or "" for r in conn.execute(schema.idempotency_keys.select())]
    assert not any(first in text for text in stored)


def test_per_token_request_limit(tmp_path):
    from tests.fixtures.servers import serve_in_thread

    instance = serve_in_thread(tmp_path, requests_per_minute=3)
    try:
        codes = [
            bare(instance, "GET", "/v1/sessions", headers=instance.headers()).status_code
            for _ in range(4)
        ]
        assert codes == [200, 200, 200, 429]
        r = bare(instance, "GET", "/v1/sessions", headers=instance.headers())
        assert r.json()["code"] == "rate_limited" and int(r.headers["Retry-After"]) >= 1
        _, other = instance.make_user()
        ok = bare(instance, "GET", "/v1/sessions", headers=instance.headers(other))
        assert ok.status_code == 200
        assert bare(instance, "GET", "/health").status_code == 200
    finally:
        instance.close()


def test_embedded_mode_belongs_to_the_local_user(service):
    api = Api(service)
    body = api.call("POST", "/v1/sessions", {"name": "local"}).body
    assert body["owner"] == str(service.context.local_user_id)


def test_passwords_are_salted_scrypt():
    one, two = hash_password("pw"), hash_password("pw")
    assert one != two and one.startswith("scrypt$")
    assert verify_password("pw", one) and not verify_password("px", one)
    assert not verify_password("pw", None) and not verify_password("pw", "garbage")


def test_set_password_and_issue_token(service):
    accounts = service.context.store.accounts
    user = accounts.create_user("Someone@Example.com")
    assert user.email == "someone@example.com"
    accounts.set_password("someone@example.com", "pw")
    assert accounts.issue_token(user.id).token


def test_a_token_name_with_control_characters_is_a_422_and_makes_no_token(served):
    """Before: a name holding ESC made a token whose name ``tokens list`` then
    printed as a terminal escape."""
    store = served.service.context.store.accounts
    before = len(store.list_tokens())
    for name in ("\u001b[2Jgone", "n" * 201):
        r = bare(served, "POST", "/v1/tokens", json={"name": name}, headers=served.headers())
        assert r.status_code == 422, r.text
        assert "token name" in r.json()["message"]
    assert len(store.list_tokens()) == before


def test_basic_with_an_email_and_password_says_basic_takes_a_token(served):
    """Before: ``curl -u alice@lab.example:PASSWORD`` (HTTP Basic read as a person's
    sign-in) was "The API token is not valid: it is unknown or was revoked.", though
    no token was sent and the password was right."""
    accounts = served.service.context.store.accounts
    accounts.set_password(served.email, "correct horse battery")
    r = bare(served, "GET", "/v1/sessions", auth=(served.email, "correct horse battery"))
    assert r.status_code == 401, r.text
    message = r.json()["message"]
    assert "not an email and a password" in message and "POST /v1/login" in message, message
    assert "WWW-Authenticate" in r.headers
    assert "correct horse" not in r.text and served.email not in r.text
    login = bare(
        served,
        "POST",
        "/v1/login",
        json={"email": served.email, "password": "correct horse battery"},
    )
    token = login.json()["token"]
    assert bare(served, "GET", "/v1/sessions", auth=(token, "")).status_code == 200


def test_basic_credentials_that_are_not_utf8_say_so(served):
    """Before: base64 decoding to bytes that are not UTF-8 (``\\xff\\xfe:``) was told
    "not valid base64 of 'token:'", though the base64 was valid."""
    header = "Basic " + base64.b64encode(b"\xff\xfe:").decode()
    r = bare(served, "GET", "/v1/sessions", headers={"Authorization": header})
    assert r.status_code == 401 and "WWW-Authenticate" in r.headers, r.text
    message = r.json()["message"]
    assert "valid base64, but what they decode to is not UTF-8 text" in message, message
    r = bare(served, "GET", "/v1/sessions", headers={"Authorization": "Basic !!!"})
    assert r.status_code == 401 and "not valid base64" in r.json()["message"], r.text


#: each route of a session that takes a body, with a body it refuses (a 4xx of its own)
_FOREIGN_BODIES = [
    ("PUT", "space", {"space": 5}),
    ("PUT", "space", {"nonsense": 1}),
    ("POST", "experiments", {"type": "nonsense", "table": {}}),
    ("POST", "experiments", {"table": []}),
    ("POST", "generate", {"gen": "x"}),
    ("POST", "simulate", {"ngens": -1}),
    ("POST", "responses/simulate", {"table": 5}),
    ("PUT", "", {"tag": "t"}),
    ("POST", "halt", {"now": True}),
    ("POST", "tasks/{tid}/cancel", {"now": True}),
    ("POST", "analytics", {"gen": "x"}),
    ("POST", "analytics", {"nonsense": 1}),
]


@pytest.mark.parametrize("method, route, body", _FOREIGN_BODIES)
def test_another_users_or_an_unknown_session_is_404_before_its_body_is_judged(
    served, method, route, body
):
    """Before: PUT /v1/sessions/{another user's id}/space with a body it refuses was a 422
    (the body judged first), where an unknown or foreign session is a 404 with a body
    it takes: the answer told the caller the id was somebody's. A session not the
    caller's is a 404 whatever the body; the owner still gets the body's refusal."""
    a = Api(served.service, served.url, served.token)
    _, token_b = served.make_user()
    b = Api(served.service, served.url, token_b)
    sid = a.call("POST", "/v1/sessions", {"name": "mine"}).body["id"]
    tasks = 0
    if "{tid}" in route:  # a task of A's to cancel: its space's
        levels = [{"name": "c", "type": "categorical", "values": ["x", "y"]}]
        space = {"type": "factorial", "parameters": levels}
        put = {"space": space, "population_size": 2, "replicates": 0}
        started = a.call("PUT", f"/v1/sessions/{sid}/space", put)
        assert started.status == 202, started.text
        tid = started.body["id"]
        route, tasks = route.format(tid=tid), 1
    path = f"/v1/sessions/{sid}/{route}".rstrip("/")
    unknown = f"/v1/sessions/{int(sid) + 1000}/{route}".rstrip("/")
    for reply in (b.call(method, path, body), a.call(method, unknown, body)):
        assert_error(reply, 404, "not_found")
        assert "mine" not in reply.text
    own = a.call(method, path, body)
    assert 400 <= own.status < 500 and own.status != 404, own.text
    assert a.call("GET", f"/v1/sessions/{sid}/tasks").body["count"] == tasks


#: bodies the door refuses before any route reads them: a lone surrogate, a NUL, JSON
#: nested too deep, no JSON at all, a field named twice
_DOOR_REFUSED = [
    '{"name": "\\ud800"}',
    '{"name": "a\\u0000b"}',
    "[" * 300 + "]" * 300,
    "{not json",
    '{"name": "a", "name": "b"}',
]


@pytest.mark.parametrize("method, route", sorted({(m, r) for m, r, _ in _FOREIGN_BODIES}))
def test_a_session_not_the_callers_is_404_before_the_doors_refusal(served, method, route):
    """Before: a body the door refuses (a lone surrogate, a NUL, JSON nested too deep) to
    another user's or an unknown session was the door's 400, where with a body the route
    takes it is a 404: the route's own read of the session came after the door. A refused
    body now first has the session (and task) read; the owner still gets the 400."""
    a = Api(served.service, served.url, served.token)
    b = Api(served.service, served.url, served.make_user()[1])
    sid = a.call("POST", "/v1/sessions", {"name": "mine"}).body["id"]
    if "{tid}" in route:
        levels = [{"name": "c", "type": "categorical", "values": ["x", "y"]}]
        put = {"space": {"type": "factorial", "parameters": levels}, "population_size": 2}
        started = a.call("PUT", f"/v1/sessions/{sid}/space", {**put, "replicates": 0})
        assert started.status == 202, started.text
        route = route.format(tid=started.body["id"])
    path = f"/v1/sessions/{sid}/{route}".rstrip("/")
    unknown = f"/v1/sessions/{int(sid) + 1000}/{route}".rstrip("/")
    json_type = {"Content-Type": "application/json"}
    for body in _DOOR_REFUSED:
        for reply in (
            b.call(method, path, data=body, headers=json_type),
            a.call(method, unknown, data=body, headers=json_type),
        ):
            assert_error(reply, 404, "not_found")
            assert "mine" not in reply.text
        own = a.call(method, path, data=body, headers=json_type)
        assert own.status == 400, own.text
    assert a.call("GET", f"/v1/sessions/{sid}").body["status"] != "halted"


#: every read of a session (and of its task and analytics file), ``{tid}`` a task of its
_SESSION_READS = [
    ("GET", ""),
    ("GET", "space"),
    ("GET", "experiments"),
    ("GET", "design"),
    ("GET", "history"),
    ("GET", "best"),
    ("GET", "analytics"),
    ("GET", "analytics/files/summary.csv"),
    ("HEAD", "analytics/files/summary.csv"),
    ("GET", "tasks"),
    ("GET", "tasks/{tid}"),
    ("GET", "tasks/{tid}/events"),
]


def _session_with_task(a: Api) -> tuple[str, str]:
    """User A's session and the task that validates its space."""
    sid = a.call("POST", "/v1/sessions", {"name": "mine"}).body["id"]
    levels = [{"name": "c", "type": "categorical", "values": ["x", "y"]}]
    put = {"space": {"type": "factorial", "parameters": levels}, "population_size": 2}
    started = a.call("PUT", f"/v1/sessions/{sid}/space", {**put, "replicates": 0})
    assert started.status == 202, started.text
    return sid, started.body["id"]


@pytest.mark.parametrize("method, route", _SESSION_READS)
def test_a_read_of_a_session_not_the_callers_is_404_whatever_it_sends(served, method, route):
    """Before: the session's task list and its analytics files had no judge of their path,
    so a body (which no read takes) sent to another user's or an unknown session was the
    door's 400 "takes no request body", where without one it is a 404; so was a query
    parameter the door or the route refuses (``?bogus=1``, ``?limit=abc``, ``?gen=abc``)."""
    a = Api(served.service, served.url, served.token)
    b = Api(served.service, served.url, served.make_user()[1])
    sid, tid = _session_with_task(a)
    route = route.format(tid=tid)
    path = f"/v1/sessions/{sid}/{route}".rstrip("/")
    unknown = f"/v1/sessions/{int(sid) + 1000}/{route}".rstrip("/")
    asked = [({"data": '{"a": 1}', "headers": {"Content-Type": "application/json"}}, "")]
    asked.append(({}, "?bogus=1"))
    if route == "tasks":
        asked += [({}, "?limit=abc"), ({}, "?status=zzz")]
    if route.startswith("analytics/files"):
        asked.append(({}, "?gen=abc"))
    for sent, query in asked:
        for reply in (
            b.call(method, path + query, **sent),
            a.call(method, unknown + query, **sent),
        ):
            assert reply.status == 404, (query, reply.status, reply.text)
            if method != "HEAD":
                assert_error(reply, 404, "not_found")
                assert "mine" not in reply.text
        # the owner's own refusal, as before: the judge reads no query (an analytics
        # file's ``?gen`` included) and refuses nothing itself
        own = a.call(method, path + query, **sent)
        assert own.status == 400, (query, own.text)

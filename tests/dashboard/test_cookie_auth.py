"""Cookie sign-in, the read-only guard and CSRF, over real HTTP (no browser needed).

- the cookie is HttpOnly, SameSite=Lax, Path=/, expires with the sign-in, and
  is Secure over TLS; it holds a token of its own kind, never the API token;
- a dashboard token works only as the cookie, an API token only in the header;
- a browser may only read unless dashboard actions are on, then only with the
  CSRF token; a change from another site is refused whatever its credentials;
- signing out revokes the session; sign-in attempts are limited.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import falcon.testing
import pytest
import requests

from sigopt_like.service import create_app
from sigopt_like.service.dashboard.cookies import COOKIE_NAME, csrf_token
from tests.dashboard import site
from tests.fixtures.servers import ServedInstance, serve_in_thread


@pytest.fixture(scope="module")
def readonly(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedInstance]:
    """A served instance with the dashboard's default: read-only."""
    instance = serve_in_thread(Path(tmp_path_factory.mktemp("readonly")))
    yield instance
    instance.close()


@pytest.fixture(scope="module")
def with_actions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedInstance]:
    """A served instance whose dashboard may halt sessions and cancel tasks."""
    instance = serve_in_thread(Path(tmp_path_factory.mktemp("actions")), dashboard_actions=True)
    yield instance
    instance.close()


def _sign_in(served: ServedInstance, body: dict[str, Any]) -> requests.Response:
    return requests.post(f"{served.url}/auth/sign-in", json=body, timeout=30)


def _session(served: ServedInstance, person: site.Person) -> tuple[str, str]:
    """Sign in by password: (cookie token, csrf token)."""
    reply = _sign_in(served, {"email": person.email, "password": person.password})
    assert reply.status_code == 201, reply.text
    return reply.cookies[COOKIE_NAME], reply.json()["csrf_token"]


def _with_cookie(token: str, **headers: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE_NAME}={token}", **headers}


def test_sign_in_sets_a_guarded_cookie_of_its_own(readonly: ServedInstance) -> None:
    person = site.make_person(readonly, "cookie")
    reply = _sign_in(readonly, {"email": person.email, "password": person.password})
    assert reply.status_code == 201, reply.text
    header = reply.headers["Set-Cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in header.split(";")}
    assert {"httponly", "path", "max-age"} <= attributes
    assert "samesite=lax" in header.lower()
    assert "secure" not in attributes  # plain http here; see the TLS test
    assert "max-age=43200" in header.lower()  # the default 12 h sign-in
    body = reply.json()
    assert body["signed_in"] and body["user"]["email"] == person.email
    cookie = reply.cookies[COOKIE_NAME]
    assert cookie != person.token and person.token not in reply.text
    assert body["csrf_token"] == csrf_token(cookie)
    # the cookie reads the API like a token; /auth/me knows the person
    listed = requests.get(f"{readonly.url}/v1/sessions", headers=_with_cookie(cookie), timeout=30)
    assert listed.status_code == 200, listed.text
    me = requests.get(f"{readonly.url}/auth/me", headers=_with_cookie(cookie), timeout=30).json()
    assert me["signed_in"] and me["user"]["email"] == person.email and not me["actions"]


def test_sign_in_with_a_token_gives_a_new_session_token(readonly: ServedInstance) -> None:
    person = site.make_person(readonly, "token")
    reply = _sign_in(readonly, {"token": person.token})
    assert reply.status_code == 201, reply.text
    cookie = reply.cookies[COOKIE_NAME]
    assert cookie != person.token
    wrong = _sign_in(readonly, {"token": "not-a-token"})
    assert wrong.status_code == 401 and COOKIE_NAME not in wrong.cookies
    # a dashboard session cannot be traded for another one
    assert _sign_in(readonly, {"token": cookie}).status_code == 401


def test_each_kind_of_token_works_only_in_its_place(readonly: ServedInstance) -> None:
    person = site.make_person(readonly, "kinds")
    cookie, _ = _session(readonly, person)
    as_bearer = requests.get(
        f"{readonly.url}/v1/sessions", headers={"Authorization": f"Bearer {cookie}"}, timeout=30
    )
    assert as_bearer.status_code == 401
    assert "dashboard sign-in" in as_bearer.json()["message"]
    api_in_cookie = requests.get(
        f"{readonly.url}/v1/sessions", headers=_with_cookie(person.token), timeout=30
    )
    assert api_in_cookie.status_code == 401
    me = requests.get(f"{readonly.url}/auth/me", headers=_with_cookie(person.token), timeout=30)
    assert me.json()["signed_in"] is False
    assert COOKIE_NAME in me.headers.get("Set-Cookie", "")  # the bad cookie is cleared


def test_no_api_token_takes_the_name_of_a_dashboard_sign_in(readonly: ServedInstance) -> None:
    """Before: ``POST /v1/tokens {"name": "dashboard session"}`` (or ``sigopt-like tokens
    create --name "dashboard session"``) gave a token that every API call refused ("works
    only in its browser") and that the cookie took, as a sign-in of 12 hours (the command
    line's refusal: tests/service/test_cli.py)."""
    person = site.make_person(readonly, "named")
    bearer = {"Authorization": f"Bearer {person.token}"}
    for name in ("dashboard session", " Dashboard Session "):
        reply = requests.post(
            f"{readonly.url}/v1/tokens", json={"name": name}, headers=bearer, timeout=30
        )
        assert reply.status_code == 422, reply.text  # as a name too long is
        message = reply.json()["message"]
        assert "the name of the dashboard's sign-in tokens" in message, message
        assert "choose another" in message, message
    listed = requests.get(f"{readonly.url}/v1/sessions", headers=bearer, timeout=30)
    assert listed.status_code == 200, listed.text
    # a sign-in still makes its own kind of token
    cookie, _ = _session(readonly, person)
    me = requests.get(f"{readonly.url}/auth/me", headers=_with_cookie(cookie), timeout=30)
    assert me.json()["signed_in"] is True


def test_bad_sign_ins_are_refused_with_a_reason(readonly: ServedInstance) -> None:
    person = site.make_person(readonly, "bad")
    cases = [
        ({"email": person.email, "password": "wrong"}, 401),
        ({"email": person.email}, 400),
        ({"token": person.token, "email": person.email, "password": "x"}, 400),
        ({"password": "x", "colour": "red"}, 400),
        ({"token": 12}, 400),
    ]
    for body, status in cases:
        reply = _sign_in(readonly, body)
        assert reply.status_code == status, (body, reply.text)
        assert reply.json()["message"] and COOKIE_NAME not in reply.cookies


def test_the_dashboard_reads_but_does_not_change_by_default(readonly: ServedInstance) -> None:
    person = site.make_person(readonly, "reader")
    conn = site.connect(readonly, person)
    sid = conn.sessions.create(name="kept").id
    cookie, csrf = _session(readonly, person)
    headers = _with_cookie(cookie, **{"X-CSRF-Token": csrf, "Sec-Fetch-Site": "same-origin"})
    for path in ("/v1/sessions", f"/v1/sessions/{sid}/halt"):
        reply = requests.post(readonly.url + path, json={"name": "n"}, headers=headers, timeout=30)
        assert reply.status_code == 403, reply.text
        assert reply.json()["code"] == "read_only"
        assert "--dashboard-actions" in reply.json()["message"]
    assert [s.name for s in conn.sessions.list()] == ["kept"]
    assert conn.sessions(sid).fetch().status == "active"
    # a script with its API token is not the dashboard
    assert conn.sessions(sid).halt().status == "halted"


def test_dashboard_changes_need_the_csrf_token(with_actions: ServedInstance) -> None:
    person = site.make_person(with_actions, "writer")
    conn = site.connect(with_actions, person)
    sid = conn.sessions.create(name="to halt").id
    cookie, csrf = _session(with_actions, person)
    url = f"{with_actions.url}/v1/sessions/{sid}/halt"
    for wrong in ({}, {"X-CSRF-Token": "0" * 64}, {"X-CSRF-Token": csrf_token(person.token)}):
        reply = requests.post(url, json={}, headers=_with_cookie(cookie, **wrong), timeout=30)
        assert reply.status_code == 403 and reply.json()["code"] == "csrf_failed", reply.text
        assert conn.sessions(sid).fetch().status == "active"
    done = requests.post(url, json={}, headers=_with_cookie(cookie, **{"X-CSRF-Token": csrf}))
    assert done.status_code == 200, done.text
    assert conn.sessions(sid).fetch().status == "halted"


@pytest.mark.parametrize(
    "foreign",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
    ],
)
def test_changes_from_another_site_are_refused(
    with_actions: ServedInstance, foreign: dict[str, str]
) -> None:
    person = site.make_person(with_actions, "victim")
    before = len(list(site.connect(with_actions, person).sessions.list()))
    headers = {"Authorization": f"Bearer {person.token}", **foreign}
    reply = requests.post(f"{with_actions.url}/v1/sessions", json={"name": "x"}, headers=headers)
    assert reply.status_code == 403 and reply.json()["code"] == "cross_origin", reply.text
    sign_in = _sign_in_from(with_actions, person, foreign)
    assert sign_in.status_code == 403 and COOKIE_NAME not in sign_in.cookies
    assert len(list(site.connect(with_actions, person).sessions.list())) == before


def _sign_in_from(served: ServedInstance, person: site.Person, headers: dict[str, str]) -> Any:
    body = {"email": person.email, "password": person.password}
    return requests.post(f"{served.url}/auth/sign-in", json=body, headers=headers, timeout=30)


def test_sign_out_revokes_the_session(readonly: ServedInstance) -> None:
    person = site.make_person(readonly, "leaver")
    cookie, csrf = _session(readonly, person)
    refused = requests.post(f"{readonly.url}/auth/sign-out", headers=_with_cookie(cookie))
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    out = requests.post(
        f"{readonly.url}/auth/sign-out", headers=_with_cookie(cookie, **{"X-CSRF-Token": csrf})
    )
    assert out.status_code == 200 and out.json()["signed_in"] is False
    assert "expires=thu, 01 jan 1970" in out.headers["Set-Cookie"].lower()
    again = requests.get(f"{readonly.url}/v1/sessions", headers=_with_cookie(cookie), timeout=30)
    assert again.status_code == 401 and "sign in" in again.json()["message"]
    # the person's API token is untouched
    assert list(site.connect(readonly, person).sessions.list()) == []


def test_sign_in_attempts_are_limited(tmp_path: Path) -> None:
    served = serve_in_thread(tmp_path, login_attempts_per_minute=3)
    try:
        person = site.make_person(served, "guess")
        answers = [
            _sign_in(served, {"email": person.email, "password": f"guess {i}"}) for i in range(4)
        ]
        assert [a.status_code for a in answers] == [401, 401, 401, 429]
        assert answers[-1].json()["message"] == (
            "Too many sign-in attempts: at most 3 a minute for one email or one address; "
            f"retry in {answers[-1].headers['Retry-After']} s."
        )
    finally:
        served.close()


def test_an_expired_sign_in_is_refused(tmp_path: Path) -> None:
    served = serve_in_thread(tmp_path, dashboard_session_hours=0)
    try:
        person = site.make_person(served, "late")
        cookie, _ = _session(served, person)
        reply = requests.get(f"{served.url}/v1/sessions", headers=_with_cookie(cookie), timeout=30)
        assert reply.status_code == 401 and "expired" in reply.json()["message"]
        me = requests.get(f"{served.url}/auth/me", headers=_with_cookie(cookie), timeout=30)
        assert me.json()["signed_in"] is False
    finally:
        served.close()


def test_a_sign_in_ends_when_it_was_told_whatever_the_hours_now(tmp_path: Path) -> None:
    """Before: ``tokens list`` showed the end a sign-in kept with its token, but the service
    judged it by its making + the ``dashboard_session_hours`` it was started with that day:
    restarted with other hours, a cookie listed "(expired)" still worked, or the reverse. A
    sign-in made before its end was kept falls back to its making + the hours of the day."""
    db = str(tmp_path / "ends.db")
    body = {"email": "ends@lab.example", "password": site.PASSWORD}

    def reads(client: falcon.testing.TestClient, cookie: str) -> int:
        return client.simulate_get("/v1/sessions", headers=_with_cookie(cookie)).status_code

    with create_app(
        database=db, run_tasks=False, auth_required=True, dashboard_session_hours=0
    ) as service:
        user = service.context.store.accounts.create_user(body["email"], site.PASSWORD)
        signed = falcon.testing.TestClient(service.app).simulate_post("/auth/sign-in", json=body)
        assert signed.status_code == 201, signed.text
        short = signed.cookies[COOKIE_NAME].value  # ends as it is made
    with create_app(database=db, run_tasks=False, auth_required=True) as service:  # 12 h
        client = falcon.testing.TestClient(service.app)
        signed = client.simulate_post("/auth/sign-in", json=body)
        long = signed.cookies[COOKIE_NAME].value  # ends in 12 h
        old = service.context.store.accounts.issue_token(user.id, dashboard_session=True)
        assert old.expires is None  # as a sign-in was kept before its end was
        assert reads(client, short) == 401  # not alive again under longer hours
        assert (reads(client, long), reads(client, old.token)) == (200, 200)
    with create_app(
        database=db, run_tasks=False, auth_required=True, dashboard_session_hours=0
    ) as service:
        client = falcon.testing.TestClient(service.app)
        assert reads(client, long) == 200  # not cut short by shorter hours
        me = client.simulate_get("/auth/me", headers=_with_cookie(long)).json
        assert me["signed_in"] and me["expires"] == signed.json["expires"], (me, signed.json)
        assert reads(client, old.token) == 401  # its making + the hours of the day: 0


def test_the_cookie_is_secure_over_tls(tmp_path: Path) -> None:
    with create_app(database=str(tmp_path / "tls.db"), auth_required=True) as service:
        person_email = "tls@lab.example"
        service.context.store.accounts.create_user(person_email, site.PASSWORD)
        client = falcon.testing.TestClient(service.app)
        body = {"email": person_email, "password": site.PASSWORD}
        over_tls = client.simulate_post("/auth/sign-in", json=body, protocol="https")
        assert over_tls.status_code == 201
        assert "secure" in over_tls.headers["Set-Cookie"].lower().split("; ")
        plain = client.simulate_post("/auth/sign-in", json=body, protocol="http")
        assert "secure" not in plain.headers["Set-Cookie"].lower().split("; ")


def test_a_local_dashboard_has_no_sign_in_and_guards_browsers(tmp_path: Path) -> None:
    served = serve_in_thread(tmp_path, auth_required=False)
    try:
        me = requests.get(f"{served.url}/auth/me", timeout=30).json()
        assert me["signed_in"] and not me["auth_required"] and me["user"]["email"]
        assert _sign_in(served, {"token": "x"}).status_code == 400
        browser = {"Origin": served.url, "Sec-Fetch-Site": "same-origin"}
        page = {**browser, "X-CSRF-Token": me["csrf_token"]}
        reply = requests.post(f"{served.url}/v1/sessions", json={"name": "b"}, headers=page)
        assert reply.status_code == 403 and reply.json()["code"] == "read_only"
        script = requests.post(f"{served.url}/v1/sessions", json={"name": "s"}, timeout=30)
        assert script.status_code == 201  # the local Python client is not a browser
    finally:
        served.close()


def test_pages_and_files(readonly: ServedInstance, tmp_path: Path) -> None:
    page = requests.get(readonly.url + "/", timeout=30)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    script = requests.get(readonly.url + "/assets/app.js", timeout=30)
    assert script.headers["Content-Type"].startswith("text/javascript")
    again = requests.get(
        readonly.url + "/assets/app.js", headers={"If-None-Match": script.headers["ETag"]}
    )
    assert again.status_code == 304 and not again.content
    for name in ("nope.js", "index.html", "..%2Fcookies.py", "%2E%2E"):
        missing = requests.get(f"{readonly.url}/assets/{name}", timeout=30)
        assert missing.status_code == 404 and missing.json()["code"] == "not_found", name
    with create_app(database=str(tmp_path / "off.db"), dashboard=False) as service:
        client = falcon.testing.TestClient(service.app)
        assert client.simulate_get("/").status_code == 404
        assert client.simulate_get("/auth/me").status_code == 404


def test_a_local_dashboard_answers_only_to_local_names(tmp_path: Path) -> None:
    local = ("127.0.0.1", "localhost", "::1")
    served = serve_in_thread(tmp_path, auth_required=False, allowed_hosts=local)
    try:
        port = served.url.rsplit(":", 1)[1]
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", "LOCALHOST"):
            reply = requests.get(f"{served.url}/v1/sessions", headers={"Host": host}, timeout=30)
            assert reply.status_code == 200, (host, reply.text)
        for host in (f"rebound.example:{port}", "127.0.0.1.evil.example", ""):
            reply = requests.get(f"{served.url}/v1/sessions", headers={"Host": host}, timeout=30)
            assert reply.status_code == 403, (host, reply.text)
            assert reply.json()["code"] == "host_not_allowed"
    finally:
        served.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_local_dashboard_page_works_with_every_process_on_its_database(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str
) -> None:
    """Two processes of one service without accounts (gunicorn workers, or two
    ``serve --no-auth`` on one database): a page rendered by one may change through the
    other, as the load balancer sends it. The CSRF secret was per process: a 403."""
    if backend == "sqlite":
        database = str(tmp_path / "shared.db")
    else:
        database = request.getfixturevalue("pg_url")
    settings = {"auth_required": False, "dashboard_actions": True}
    first = ServedInstance(create_app(database=database, **settings), database)
    second = ServedInstance(create_app(database=database, **settings), database)
    try:
        sid = requests.post(f"{first.url}/v1/sessions", json={"name": "shared"}, timeout=30)
        sid = sid.json()["id"]
        page = requests.get(f"{first.url}/auth/me", timeout=30).json()["csrf_token"]
        assert requests.get(f"{second.url}/auth/me", timeout=30).json()["csrf_token"] == page
        browser = {"Origin": second.url, "Sec-Fetch-Site": "same-origin"}
        wrong = requests.post(
            f"{second.url}/v1/sessions/{sid}/halt",
            json={},
            headers={**browser, "X-CSRF-Token": "0" * 64},
            timeout=30,
        )
        assert wrong.status_code == 403 and wrong.json()["code"] == "csrf_failed"
        done = requests.post(
            f"{second.url}/v1/sessions/{sid}/halt",
            json={},
            headers={**browser, "X-CSRF-Token": page},
            timeout=30,
        )
        assert done.status_code == 200, done.text
        assert requests.get(f"{first.url}/v1/sessions/{sid}", timeout=30).json()["status"] == (
            "halted"
        )
    finally:
        second.close()
        first.close()
    with create_app(database=database, **settings) as later:  # a restart keeps the secret
        assert later.context.browser_secret() == first.service.context.browser_secret()


def test_the_local_secret_is_made_once_when_processes_race(tmp_path: Path) -> None:
    """Four stores asking a new database for the secret at the same instant get one
    secret (whichever insert won)."""
    import threading

    from sigopt_like.service.store import open_store

    database = str(tmp_path / "race.db")
    stores = [open_store(database) for _ in range(4)]
    start = threading.Barrier(len(stores))
    seen: list[str] = []

    def ask(store: Any) -> None:
        start.wait()
        seen.append(store.accounts.browser_secret())

    threads = [threading.Thread(target=ask, args=(s,)) for s in stores]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert len(seen) == 4 and len(set(seen)) == 1, seen
    finally:
        for store in stores:
            store.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_sign_in_with_an_email_too_long_for_any_user_is_a_400(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str
) -> None:
    """Before: on PostgreSQL an email of 400 characters or more at ``/v1/login`` or
    ``/auth/sign-in`` was a 500 (its rate-limit row did not fit its column)."""
    database = str(tmp_path / "s.db") if backend == "sqlite" else request.getfixturevalue("pg_url")
    served = ServedInstance(create_app(database=database, auth_required=True), database)
    try:
        for length in (400, 100_000):
            email = "a" * length + "@lab.example"
            for path in ("/v1/login", "/auth/sign-in"):
                reply = requests.post(
                    f"{served.url}{path}", json={"email": email, "password": "x" * 12}, timeout=30
                )
                assert reply.status_code in (400, 422), (path, length, reply.text)
                assert "email is longer than 320 characters" in reply.json()["message"]
        fine = requests.post(
            f"{served.url}/v1/login",
            json={"email": "nobody@lab.example", "password": "x" * 12},
            timeout=30,
        )
        assert fine.status_code == 401, fine.text
    finally:
        served.close()


def test_a_sign_in_cookie_reads_a_project_but_never_makes_one(readonly: ServedInstance) -> None:
    """``GET /v1/clients/{c}/projects/{p}`` makes a project on first use (sigopt-python's
    check). Before, the read-only cookie made one too: a link from another site, which
    SameSite=Lax sends the cookie with, wrote to a read-only dashboard."""
    person = site.make_person(readonly, "projects")
    cookie, _ = _session(readonly, person)
    token = {"Authorization": f"Bearer {person.token}"}
    client = requests.get(f"{readonly.url}/v1/tokens/self", headers=token, timeout=30)
    projects = f"{readonly.url}/v1/clients/{client.json()['client']}/projects"
    for method in ("GET", "HEAD"):
        seen = requests.request(
            method, f"{projects}/from-a-link", headers=_with_cookie(cookie), timeout=30
        )
        assert seen.status_code == 404, seen.text
    listed = requests.get(projects, headers=token, timeout=30).json()
    assert [p["id"] for p in listed["data"]] == []
    made = requests.get(f"{projects}/by-a-script", headers=token, timeout=30)
    assert made.status_code == 200, made.text
    read = requests.get(f"{projects}/by-a-script", headers=_with_cookie(cookie), timeout=30)
    assert read.status_code == 200 and read.json()["id"] == "by-a-script", read.text

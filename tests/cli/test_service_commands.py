"""serve, users and tokens: one database for all of them, and a served instance that says so."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from sigopt_like.service.store import Store, open_store
from sigopt_like.service.store.accounts import User
from tests.fixtures.servers import REPO_ROOT, announced_url


def test_users_and_tokens_list_never_show_a_secret(run, tmp_path):
    db = tmp_path / "team.db"
    assert run("users", "create", "ada@lab.example", "--db", db).code == 0
    bob = run("users", "create", "bob@lab.example", "--db", db, "--json").json()
    assert bob["email"] == "bob@lab.example"
    token = run("tokens", "create", "--user", "ada@lab.example", "--name", "laptop", "--db", db)
    secret = token.out.strip()
    issued = run("tokens", "create", "--user", "bob@lab.example", "--db", db, "--json").json()
    assert issued["id"] == 2 and len(issued["token"]) >= 40
    assert run("tokens", "revoke", "--id", "2", "--db", db, "--json").json() == {"revoked": 1}

    users = run("users", "list", "--db", db, "--json").json()
    assert [u["email"] for u in users] == ["ada@lab.example", "bob@lab.example"]
    listed = run("tokens", "list", "--db", db)
    assert listed.code == 0 and "laptop" in listed.out and secret not in listed.out
    tokens = run("tokens", "list", "--db", db, "--json").json()
    assert [(t["user"], t["name"], t["revoked"]) for t in tokens] == [
        ("ada@lab.example", "laptop", False),
        ("bob@lab.example", None, True),
    ]
    assert secret not in json.dumps(tokens)
    only = run("tokens", "list", "--user", "bob@lab.example", "--db", db, "--json").json()
    assert [t["id"] for t in only] == [2]
    assert run("tokens", "list", "--user", "nobody@lab.example", "--db", db).code == 1


def start_serve(*args: str, env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``sigopt-like serve`` on a port of its own choosing (``--port 0``), its output in ``log``."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sigopt_like.cli", "serve", "--port", "0", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**env, "PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"},
        )
    url = announced_url(proc, log, r"serving on (http://127\.0\.0\.1:\d+) ")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            if requests.get(f"{url}/health", timeout=1).status_code == 200:
                return proc, url
        except requests.RequestException:  # refused, or a slow first answer
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(log.read_text())


def stop(proc: subprocess.Popen[bytes], log: Path) -> str:
    proc.terminate()
    proc.wait(timeout=30)
    out = log.read_text()
    assert proc.returncode == 0, out
    return out


def test_users_tokens_and_serve_share_the_default_database(run, clean_env, tmp_path):
    """Before: the README's steps gave a 401 (users/tokens and serve opened two databases)."""
    assert run("users", "create", "alice@lab.example").code == 0
    token = run("tokens", "create", "--user", "alice@lab.example").out.strip()
    log = tmp_path / "serve.log"
    proc, url = start_serve(env=dict(os.environ), log=log)
    try:
        answer = requests.get(
            f"{url}/v1/sessions", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert answer.status_code == 200
        assert requests.get(f"{url}/v1/sessions?limit=3", timeout=10).status_code == 401
    finally:
        out = stop(proc, log)
    from sigopt_like.config import default_database_path

    # serve says which database it opened, and logs each request in access-log form
    assert f"database {default_database_path()}" in out
    assert '"GET /v1/sessions HTTP/1.1" 200 ' in out
    assert '"GET /v1/sessions?limit=3 HTTP/1.1" 401 ' in out
    assert token not in out


def test_serve_redacts_secrets_in_logged_queries(tmp_path):
    from sigopt_like.service.access_log import redacted_query

    assert redacted_query("gen=2&token=abc&api_key=x") == "gen=2&token=***&api_key=***"
    assert redacted_query("") == ""


@contextlib.contextmanager
def ada_in_a_team_database(run, tmp_path: Path) -> Iterator[tuple[Path, Store, User]]:
    """``team.db`` with the user ada@lab.example, made by ``users create``: (its path, the
    store open on it, ada); the store is closed on leaving, before the commands read it."""
    db = tmp_path / "team.db"
    assert run("users", "create", "ada@lab.example", "--db", db).code == 0
    store = open_store(str(db))
    try:
        ada = store.accounts.find_user("ada@lab.example")
        assert ada is not None
        yield db, store, ada
    finally:
        store.close()


def test_tokens_list_says_when_guest_tokens_expire(run, tmp_path):
    with ada_in_a_team_database(run, tmp_path) as (db, store, ada):
        store.accounts.issue_token(ada.id, "laptop")
        ended = store.accounts.issue_token(ada.id, "guest", experiment_id=1, lifetime=-60)
        later = store.accounts.issue_token(ada.id, "guest", experiment_id=1, lifetime=86_400)
        store.accounts.issue_token(ada.id, "guest", experiment_id=2)  # made before 0010
    listed = run("tokens", "list", "--db", db, "--json").json()
    assert [t["expires"] for t in listed] == [None, ended.expires, later.expires, None]
    table = run("tokens", "list", "--db", db).out.splitlines()
    assert table[0].split()[-1] == "expires"
    assert table[1].rstrip().endswith("laptop  no")  # an API token does not expire
    assert table[2].endswith(" UTC (expired)") and table[3].endswith(" UTC")
    assert table[4].endswith("made + serve's --guest-token-days")


def test_an_api_token_has_no_end_made_listed_or_applied(run, tmp_path):
    """An API token does not end (no command, POST /v1/login or /v1/tokens makes one with
    an end). Before: ``issue_token(uid, "ci", lifetime=1)`` was taken, ``tokens list``
    said "(expired)" and the service still let the token in. Now the store refuses the
    lifetime (nothing made), and a row holding an end (as that call wrote) is listed and
    treated as the API token it is, with no end."""
    import sqlite3

    import falcon.testing

    from sigopt_like.service import create_app
    from sigopt_like.service.store.accounts import AccountError, token_ends

    with ada_in_a_team_database(run, tmp_path) as (db, store, ada):
        with pytest.raises(AccountError, match="An API token does not end: give no lifetime"):
            store.accounts.issue_token(ada.id, "ci", lifetime=1)
        assert store.accounts.list_tokens() == []
        issued = store.accounts.issue_token(ada.id, "ci")
    with sqlite3.connect(db) as conn:  # a row holding an end, as the refused call wrote
        conn.execute("UPDATE tokens SET expires = 1 WHERE id = ?", (issued.id,))
    assert token_ends("ci", None, 0, 1, 60) is None
    listed = run("tokens", "list", "--db", db, "--json").json()
    assert [t["expires"] for t in listed] == [None]
    table = run("tokens", "list", "--db", db).out.splitlines()
    assert table[1].split()[-2:] == ["ci", "no"], table  # no end, not "(expired)"
    with create_app(database=str(db), run_tasks=False, auth_required=True) as app:
        client = falcon.testing.TestClient(app)
        headers = {"Authorization": f"Bearer {issued.token}"}
        assert client.simulate_get("/v1/experiments", headers=headers).status_code == 200


def test_tokens_list_says_when_a_dashboard_sign_in_expires(run, tmp_path):
    """Before: a dashboard sign-in's token was listed with no end ("expires" blank, null in
    JSON), so one that had ended hours ago read as a live token."""
    import falcon.testing

    from sigopt_like.service import create_app
    from sigopt_like.service.settings import ServiceSettings

    db = tmp_path / "team.db"
    with create_app(database=str(db), run_tasks=False, auth_required=True) as app:
        accounts = app.context.store.accounts
        ada = accounts.create_user("ada@lab.example", "long enough")
        token = accounts.issue_token(ada.id, "laptop").token
        signed = falcon.testing.TestClient(app).simulate_post(
            "/auth/sign-in", json={"token": token}
        )
        assert signed.status_code == 201, signed.text
    listed = run("tokens", "list", "--db", db, "--json").json()
    assert [t["name"] for t in listed] == ["laptop", "dashboard session"], listed
    lifetime = int(ServiceSettings().dashboard_session_hours * 3600)
    assert listed[0]["expires"] is None  # an API token does not expire
    assert listed[1]["expires"] == listed[1]["created"] + lifetime
    table = run("tokens", "list", "--db", db).out.splitlines()
    assert table[1].split()[-2:] == ["laptop", "no"], table  # nothing in "expires"
    assert "dashboard session" in table[2] and table[2].endswith(" UTC"), table


def test_tokens_commands_on_an_unknown_user_say_where_the_users_are(run, tmp_path):
    """Before: ``tokens list --user`` and ``tokens revoke --user`` of an email no user has
    said "No user with email 'x'." and no more, where ``tokens create`` and ``users
    set-password`` said how to find the users."""
    db = tmp_path / "team.db"
    assert run("users", "list", "--db", db).code == 0
    for command, then in (("list", ""), ("revoke", "; nothing revoked")):
        done = run("tokens", command, "--user", "nobody@lab.example", "--db", db)
        assert done.code == 1, done
        said = "No user with email 'nobody@lab.example' ('sigopt-like users list' shows the users)"
        assert done.err.strip().endswith(said + then), done.err


def test_tokens_list_says_an_old_dashboard_sign_in_s_end_is_not_known(run, tmp_path):
    """A sign-in made before its end was kept with its token ends at its making + the
    ``dashboard_session_hours`` of the service it is used on: serve's 12, or a gunicorn's
    own. First (blank "expires", null in JSON) a day-old one read as live; then it was
    listed as ending 12 h after its making, as if known: under a gunicorn given 48 hours
    a live sign-in read "(expired)". Now its end reads as not kept, with the end the
    default hours give; a sign-in whose end was kept reads as before."""
    import sqlite3

    from sigopt_like.service import create_app

    db = tmp_path / "team.db"
    with create_app(database=str(db), run_tasks=False, auth_required=True) as app:
        accounts = app.context.store.accounts
        ada = accounts.create_user("ada@lab.example", "long enough")
        old = accounts.issue_token(ada.id, dashboard_session=True)  # no end, as before
        fresh = accounts.issue_token(ada.id, dashboard_session=True)
        kept = accounts.issue_token(ada.id, dashboard_session=True, lifetime=3600)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE tokens SET created = created - 86400 WHERE id = ?", (old.id,))
    conn.close()
    listed = {t["id"]: t for t in run("tokens", "list", "--db", db, "--json").json()}
    assert listed[old.id]["expires"] is None, listed
    assert listed[old.id]["expires_by_default"] == listed[old.id]["created"] + 12 * 3600
    assert listed[fresh.id]["expires"] is None, listed
    assert listed[fresh.id]["expires_by_default"] == fresh.created + 12 * 3600, listed
    assert listed[kept.id]["expires"] == kept.expires, listed
    assert listed[kept.id]["expires_by_default"] is None, listed
    table = run("tokens", "list", "--db", db).out.splitlines()
    not_kept = "end not kept: made + the service's hours (12 h by default: "
    assert not_kept in table[1] and table[1].endswith(" UTC, expired)"), table
    assert not_kept in table[2] and table[2].endswith(" UTC)"), table
    assert "not kept" not in table[3] and table[3].endswith(" UTC"), table


def test_serve_without_tasks_says_who_runs_them(tmp_path):
    """Before: the start line of 'serve --no-tasks' read like any other, and a task queued
    there waited for a worker nobody had been told to start."""
    db = tmp_path / "team.db"
    log = tmp_path / "serve.log"
    proc, _ = start_serve("--no-tasks", "--db", str(db), env=dict(os.environ), log=log)
    out = stop(proc, log)
    assert f"database {db}; tasks run only by 'sigopt-like worker --db {db}'" in out
    proc, _ = start_serve("--db", str(db), env=dict(os.environ), log=log)
    assert "tasks run only by" not in stop(proc, log)


def test_serve_without_tasks_never_prints_a_worker_command_with_a_hidden_password(tmp_path, pg_url):
    """Before: ``serve --no-tasks`` on a URL with a password printed "tasks run only by
    'sigopt-like worker --db postgresql+psycopg://postgres:***@/...'", a command whose
    password, ``***``, would log nobody in."""
    with_password = pg_url.replace("postgres@", "postgres:s3cret@", 1)
    assert with_password != pg_url  # the test server trusts its socket: any password works
    log = tmp_path / "serve.log"
    env = {**os.environ, "SIGOPT_LIKE_DATABASE": with_password}
    out = stop(*start_serve("--no-tasks", env=env, log=log)[:1], log)
    assert "tasks run only by 'sigopt-like worker' with the same SIGOPT_LIKE_DATABASE" in out
    assert "s3cret" not in out and "worker --db" not in out
    env = {k: v for k, v in os.environ.items() if k != "SIGOPT_LIKE_DATABASE"}
    out = stop(*start_serve("--no-tasks", "--db", with_password, env=env, log=log)[:1], log)
    assert "'sigopt-like worker' with SIGOPT_LIKE_DATABASE set to this URL" in out
    assert "s3cret" not in out and "worker --db" not in out


def test_an_allowed_host_no_request_could_match_is_refused(tmp_path):
    """Before: ``--allowed-host ''`` (or a URL, or a name with its port) was taken and the
    server answered every request, ``/health`` too, with a 403 "This server answers only
    to ; ..."; now each is a usage error before anything is served."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    db = tmp_path / "db.sqlite3"
    cases = {
        "": "the host name is empty",
        "http://doe.lab.example:8080/": "--allowed-host doe.lab.example",
        "doe.lab.example:8080": "has a port",
        "[::1]:8080": "--allowed-host ::1",
        ":80": "the port), e.g. doe.lab.example",  # before: it said give "--allowed-host "
    }
    command = [sys.executable, "-m", "sigopt_like.cli", "serve", "--port", "0", "--db", str(db)]
    for name, said in cases.items():
        done = subprocess.run(
            [*command, "--allowed-host", name],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, (name, done.stderr)
        assert said in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_an_allowed_host_is_honoured_in_any_case(tmp_path):
    log = tmp_path / "serve.log"
    db = tmp_path / "db.sqlite3"
    proc, url = start_serve(
        "--db",
        str(db),
        "--allowed-host",
        "LocalHost",
        "--allowed-host",
        "[::1]",
        "--allowed-host",
        "127.0.0.1",
        env=dict(os.environ),
        log=log,
    )
    try:
        port = url.rpartition(":")[2]
        for host, status in (("localhost", 200), (f"[::1]:{port}", 200), ("evil.example", 403)):
            answer = requests.get(f"{url}/health", headers={"Host": host}, timeout=10)
            assert answer.status_code == status, (host, answer.text)
    finally:
        stop(proc, log)


def test_serve_on_every_address_prints_an_address_a_client_can_open(tmp_path):
    """Before: ``serve --host 0.0.0.0`` printed ``serving on http://0.0.0.0:PORT``, which
    no browser or client can open; now this machine's loopback, and what others use."""
    import socket

    log = tmp_path / "serve.log"
    db = str(tmp_path / "team.db")
    proc, url = start_serve("--host", "0.0.0.0", "--db", db, env=dict(os.environ), log=log)
    out = stop(proc, log)  # start_serve reached /health at the printed 127.0.0.1 URL
    assert "http://0.0.0.0" not in out
    port = url.rsplit(":", 1)[1]
    assert (
        f"other machines use this machine's name or address, e.g. http://{socket.gethostname()}:{port}"
        in out
    )


def _ipv6_loopback_problem() -> str | None:
    """Why this machine cannot listen on ::1, or None when it can (a real bind)."""
    import socket

    if not socket.has_ipv6:
        return "this Python was built without IPv6"
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError as err:
        return f"no IPv6 loopback here ({err})"
    return None


def test_serve_on_every_ipv6_address_prints_the_ipv6_loopback(tmp_path):
    """``serve --host ::`` prints ``http://[::1]:PORT``, which answers. Before, this part
    of the test above returned early, silently, where IPv6 was missing: a pass that tested
    nothing, which CI's rule (every skip fails) could not see. Now it is a skip that says
    why, so CI (where ::1 binds) runs it or fails."""
    problem = _ipv6_loopback_problem()
    if problem is not None:
        pytest.skip(problem)
    log = tmp_path / "serve6.log"
    db = str(tmp_path / "team.db")
    with open(log, "wb") as sink:
        proc6 = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sigopt_like.cli",
                "serve",
                "--port",
                "0",
                "--host",
                "::",
                "--db",
                db,
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"},
        )
    url6 = announced_url(proc6, log, r"serving on (http://\[::1\]:\d+) ")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                assert requests.get(f"{url6}/health", timeout=1).status_code == 200
                break
            except requests.RequestException:
                time.sleep(0.1)
        else:
            raise AssertionError(log.read_text())
    finally:
        stop(proc6, log)


@pytest.mark.parametrize(
    "command",
    [
        ("users", "list"),
        ("users", "create", "ada@lab.example"),
        ("tokens", "create", "--user", "ada@lab.example"),
        ("tokens", "list"),
        ("worker",),
    ],
)
def test_a_database_that_refuses_is_named_by_every_service_command(
    run, postgres_server, monkeypatch, command
):
    """Before: 'users', 'tokens' and 'worker' said "cannot use the database: connection
    failed: ... database "no_such_db" does not exist", not the URL a team's several
    (in --db, $SIGOPT_LIKE_DATABASE, a config file) they used; 'serve' named it."""
    url = postgres_server.format(db="no_such_db").replace("postgres@", "postgres:s3cret@", 1)
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", url)  # as docs/service.md advises
    if command[:2] == ("users", "create"):
        monkeypatch.setattr("sys.stdin", io.StringIO("a password\n"))
        command = (*command, "--password-stdin")
    done = run(*command)
    assert done.code == 1 and "Traceback" not in done.err, done
    named = url.replace("postgres:s3cret@", "postgres:***@", 1)
    assert f"cannot use the database {named}: " in done.err, done.err
    assert 'database "no_such_db" does not exist' in done.err and "s3cret" not in done.err


def test_the_dashboard_pages_team_command_lets_the_team_in(tmp_path):
    """Before: docs/dashboard.md's "sigopt-like serve --db /srv/doe/doe.sqlite3  # a team:
    open http://HOST:8080/ and sign in" listened on 127.0.0.1 (serve's default), which no
    other machine reaches, and its "serving on" line did not say so. Run as written (its
    database here, a port of its own), it listens on every address; serve on the default
    host says only this machine reaches it."""
    import shlex

    page = (REPO_ROOT / "docs" / "dashboard.md").read_text()
    line = next(text for text in page.splitlines() if "# a team" in text)
    argv = shlex.split(line.split("#", 1)[0])
    assert argv[:2] == ["sigopt-like", "serve"], line
    argv[argv.index("--db") + 1] = str(tmp_path / "team.db")
    log = tmp_path / "team.log"
    proc, _ = start_serve(*argv[2:], env=dict(os.environ), log=log)
    team = stop(proc, log)
    assert "listening on every address" in team and "only this machine" not in team, team

    log = tmp_path / "local.log"
    proc, _ = start_serve("--db", str(tmp_path / "team.db"), env=dict(os.environ), log=log)
    local = stop(proc, log)
    assert "only this machine can reach it: --host 0.0.0.0" in local, local


def test_serve_with_an_allowed_host_says_the_printed_url_is_refused(tmp_path):
    """Before: ``serve --allowed-host doe.lab.example`` printed ``serving on
    http://127.0.0.1:PORT`` and nothing else; opening it, ``/health`` too, was a 403
    ``host_not_allowed``. The line says so and names the URL to open."""
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sigopt_like.cli", "serve", "--port", "0",
             "--db", str(tmp_path / "team.db"), "--allowed-host", "doe.lab.example"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
    try:
        url = announced_url(proc, log, r"serving on (http://127\.0\.0\.1:\d+) ")
        port = url.rpartition(":")[2]
        line = log.read_text()
        said = "it answers only to doe.lab.example (--allowed-host), so that URL, /health"
        assert said in line and f"open http://doe.lab.example:{port}" in line, line
        assert requests.get(f"{url}/health", timeout=10).status_code == 403
        named = requests.get(
            f"{url}/health", headers={"Host": f"doe.lab.example:{port}"}, timeout=10
        )
        assert named.status_code == 200, named.text
    finally:
        stop(proc, log)


def test_an_internationalised_allowed_host_matches_what_browsers_send(tmp_path):
    """Before: ``serve --allowed-host bücher.example`` was taken as typed, but a browser
    opening ``http://bücher.example/`` sends ``Host: xn--bcher-kva.example``: every request,
    ``/health`` too, was a 403. The name is kept in punycode, and the line says both forms;
    the WSGI factory's ``allowed_hosts`` setting does the same."""
    from sigopt_like.service.settings import ServiceSettings

    assert ServiceSettings(allowed_hosts=("Bücher.example",)).allowed_hosts == (
        "xn--bcher-kva.example",
    )
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sigopt_like.cli", "serve", "--port", "0",
             "--db", str(tmp_path / "team.db"), "--allowed-host", "bücher.example"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1",
                 "PYTHONIOENCODING": "utf-8"},
        )  # fmt: skip
    try:
        url = announced_url(proc, log, r"serving on (http://127\.0\.0\.1:\d+) ")
        port = url.rpartition(":")[2]
        line = log.read_text(encoding="utf-8")
        said = "it answers only to xn--bcher-kva.example (bücher.example) (--allowed-host)"
        assert said in line and f"open http://xn--bcher-kva.example:{port}" in line, line
        sent = {"Host": f"xn--bcher-kva.example:{port}"}  # what a browser sends
        answer = requests.get(f"{url}/health", headers=sent, timeout=10)
        assert answer.status_code == 200, answer.text
    finally:
        stop(proc, log)


def test_users_create_says_the_local_users_work_stays_with_it(run, tmp_path):
    """A team user is id 2 (the local user, 1, owns what was made without a token and is
    never listed). Before, ``users create`` on a database used a week by commands without
    ``--host`` said only "created user alice@lab.example (id 2)"; served with tokens, that
    database then listed nothing for her, and nothing said where her work was. The note
    says it, on standard error (``--json`` stays JSON); a fresh database gets none."""
    fresh = run("users", "create", "ada@lab.example", "--db", tmp_path / "fresh.db")
    assert fresh.code == 0 and fresh.err == "", fresh
    assert fresh.out == "created user ada@lab.example (id 2)\n", fresh.out
    db = tmp_path / "used.db"
    assert run("sessions", "create", "mine", "--db", db).code == 0
    made = run("experiments", "create", "--name", "e", "-p", "x:double:0:1", "--db", db)
    assert made.code == 0, made
    alice = run("users", "create", "alice@lab.example", "--db", db, "--json")
    assert alice.code == 0 and alice.json()["id"] == 2, alice
    assert alice.err == (
        "sigopt-like: note: this database's 1 session and 1 SigOpt experiment were made "
        "without a token (by commands without --host, or 'serve --no-auth') and belong to "
        "its local user, whom no token or sign-in reaches: alice@lab.example will not see "
        "them (commands without --host still do)\n"
    ), alice.err
    assert [u["id"] for u in run("users", "list", "--db", db, "--json").json()] == [2]


def test_the_local_work_note_on_one_thing_is_in_the_singular(run, tmp_path):
    """Before: a database with one session made without a token read "this database's 1
    session were made without a token ... will not see them"."""
    db = tmp_path / "one.db"
    assert run("sessions", "create", "mine", "--db", db).code == 0
    alice = run("users", "create", "alice@lab.example", "--db", db)
    assert alice.code == 0, alice
    assert alice.err == (
        "sigopt-like: note: this database's 1 session was made without a token (by commands "
        "without --host, or 'serve --no-auth') and belongs to its local user, whom no token "
        "or sign-in reaches: alice@lab.example will not see it (commands without --host "
        "still do)\n"
    ), alice.err


def test_a_dashboard_on_another_host_does_what_its_help_says(run, tmp_path):
    """Before, the help said anyone reaching the port "reads all": in fact every request
    counts as the local user, while another user's work is neither listed nor reachable.
    And "read-only" held for browsers only: a plain HTTP client with no token created,
    renamed and deleted the local user's work. Now any change is a 403 read_only, whoever
    sends it, and the stored state is as before; the help and the warning say so."""
    said = " ".join(run("dashboard", "--help").out.split())
    assert "It is read-only for everyone, browser or script (any change is a 403" in said
    assert "anyone who reaches the port can read the local user's" in said
    assert (
        "work of users made by 'sigopt-like users create' is neither listed nor reachable" in said
    )

    db = tmp_path / "lab.db"
    made_here = run("sessions", "create", "mine", "--db", db)
    assert made_here.code == 0, made_here
    assert run("users", "create", "bob@lab.example", "--db", db).code == 0
    token = run("tokens", "create", "--user", "bob@lab.example", "--db", db).out.strip()
    bob = {"Authorization": f"Bearer {token}"}
    log = tmp_path / "serve.log"
    proc, url = start_serve("--db", str(db), "--no-tasks", env=dict(os.environ), log=log)
    try:
        made = requests.post(f"{url}/v1/sessions", json={"name": "bobs"}, headers=bob, timeout=10)
        assert made.status_code == 201, made.text
    finally:
        stop(proc, log)
    bobs = made.json()["id"]

    log = tmp_path / "dashboard.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sigopt_like.cli", "dashboard", "--db", str(db),
             "--host", "127.0.0.2", "--port", "0"],
            stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
    try:
        url = announced_url(proc, log, r"serving on (http://127\.0\.0\.2:\d+) ")
        text = log.read_text()
        assert "anyone who can reach this port can read the local user's work" in text
        assert "create, change and delete" not in text
        before = requests.get(f"{url}/v1/sessions", timeout=10).json()["data"]
        assert [s["name"] for s in before] == ["mine"]
        sid = before[0]["id"]
        assert requests.get(f"{url}/v1/sessions/{bobs}", timeout=10).status_code == 404
        experiment = {
            "name": "e",
            "parameters": [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
        }
        tries = [
            requests.post(f"{url}/v1/sessions", json={"name": "stranger"}, timeout=10),
            requests.put(f"{url}/v1/sessions/{sid}", json={"name": "renamed"}, timeout=10),
            requests.delete(f"{url}/v1/sessions/{sid}", timeout=10),
            requests.post(f"{url}/v1/sessions/{sid}/halt", json={}, timeout=10),
            requests.post(f"{url}/v1/experiments", json=experiment, timeout=10),
        ]
        for refused in tries:
            assert refused.status_code == 403, (refused.request.method, refused.text)
            error = refused.json()
            assert error["code"] == "read_only", refused.text
            assert "read-only" in error["message"]
            assert "'sigopt-like dashboard --actions'" in error["message"]
            assert "'sigopt-like serve'" in error["message"]
        after = requests.get(f"{url}/v1/sessions", timeout=10).json()["data"]
        assert after == before
        assert requests.get(f"{url}/v1/experiments", timeout=10).json()["data"] == []
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_changed_password_locks_out_a_user_whose_tokens_were_revoked(run, tmp_path, monkeypatch):
    """Before: no command changed a password, so revoking the tokens of a person who
    left ('tokens revoke --user') did not lock them out: POST /v1/login with their
    password gave them a new token. 'users set-password' changes it: the old one signs in
    no more, the new one does; nothing else is touched (an unknown user, a short
    password, no --password-stdin: refused, the password as it was)."""
    from sigopt_like.service import create_app

    db = str(tmp_path / "team.db")
    monkeypatch.setattr("sys.stdin", io.StringIO("old password\n"))
    assert run("users", "create", "bob@lab.example", "--db", db, "--password-stdin").code == 0

    def signs_in(password: str) -> bool:
        with create_app(database=db, auth_required=True, run_tasks=False) as service:
            return (
                service.context.store.accounts.check_password("bob@lab.example", password)
                is not None
            )

    refused = [
        (("users", "set-password", "bob@lab.example", "--db", db), "x\n", 2),
        (
            ("users", "set-password", "nobody@lab.example", "--db", db, "--password-stdin"),
            "new password\n",
            1,
        ),
        (
            ("users", "set-password", "local@localhost", "--db", db, "--password-stdin"),
            "new password\n",
            1,
        ),
        (
            ("users", "set-password", "bob@lab.example", "--db", db, "--password-stdin"),
            "short\n",
            1,
        ),
    ]
    for command, typed, code in refused:
        monkeypatch.setattr("sys.stdin", io.StringIO(typed))
        done = run(*command)
        assert done.code == code, (command, done)
        assert ". (" not in done.err, done.err  # one sentence: "No user with email 'x' (...)"
        assert signs_in("old password") and not signs_in("new password")
    monkeypatch.setattr("sys.stdin", io.StringIO("new password\n"))
    done = run("users", "set-password", "bob@lab.example", "--db", db, "--password-stdin")
    assert done.code == 0, done
    assert "changed the password of bob@lab.example" in done.out
    assert "tokens revoke --user bob@lab.example" in done.out
    assert not signs_in("old password") and signs_in("new password")
    monkeypatch.setattr("sys.stdin", io.StringIO("third password\n"))
    done = run("users", "set-password", "bob@lab.example", "--db", db, "--password-stdin", "--json")
    assert done.code == 0 and done.json() == {"email": "bob@lab.example", "password_changed": True}
    assert signs_in("third password")

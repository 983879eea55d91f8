"""Where a command goes when a host is set elsewhere, and what it shows of that host.

A host exported (``SIGOPT_LIKE_HOST``) or in a config file beside ``--db`` was obeyed and
``--db`` ignored; a host's password (``http://user:secret@host``) and a ``?token=`` in it
were printed whole in the messages that name the host (a query in a host is refused now:
only its refusal quotes one). Each test ran the real command and failed before its fix.
"""

from __future__ import annotations

import http.server
import io
import json
import logging
import os
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import sigopt_like
from sigopt_like.config import ConfigError, resolve_config
from sigopt_like.database_targets import redact_database_url
from sigopt_like.errors import APIConnectionError
from sigopt_like.url_redaction import (
    SHOWN_URL_CHARACTERS,
    RedactedURLs,
    redact_url,
    shown_url,
)

ROOT = Path(__file__).resolve().parents[2]
#: secrets every test below puts in a host's URL; none may show anywhere
SECRETS = ("s3cret", "tok123", "tok456", "tok789", "p@ss", "w0rd")
HOST = "http://bob:s3cret@127.0.0.1:9/lab"


def shows_no_secret(text: str) -> bool:
    return not any(secret in text for secret in SECRETS)


@pytest.mark.parametrize(
    "argv",
    [("sessions", "list"), ("experiments", "list"), ("tasks", "list", "1"), ("best", "1")],
    ids=" ".join,
)
@pytest.mark.parametrize("where", ["environment", "config file"])
def test_db_beside_a_host_set_elsewhere_is_refused_naming_both(
    run, clean_env, monkeypatch, argv, where
):
    """Before: ``SIGOPT_LIKE_HOST=... sigopt-like sessions list --db x.db`` ignored --db and
    asked the exported host (only --host beside --db was refused). Refused now, as
    ``Connection(database=...)`` refuses it: a usage error naming --db, the host (its
    secrets hidden), where that host was set, and the two ways out; nothing is opened."""
    monkeypatch.setenv("SIGOPT_LIKE_MAX_RETRY_TIME", "1")  # before the fix: a quick failure
    if where == "environment":
        monkeypatch.setenv("SIGOPT_LIKE_HOST", HOST)
        source = "environment variable SIGOPT_LIKE_HOST"
        way_out = "unset SIGOPT_LIKE_HOST for the embedded service"
    else:
        config = clean_env / "team.json"
        config.write_text(json.dumps({"host": HOST}))
        monkeypatch.setenv("SIGOPT_LIKE_CONFIG", str(config))
        source = f"config file {config}"
        way_out = f"remove 'host' (and its token or login) from {config} for the embedded service"
    database = clean_env / "x.db"
    done = run(*argv, "--db", database)
    assert done.code == 2, done
    said = done.err.strip().splitlines()[-1]
    assert said == (
        "Error: --db is for the embedded service, but a host is set: "
        "http://bob:***@127.0.0.1:9/lab "
        f"(from {source}); {way_out}, or leave out --db to use that host."
    ), said
    assert not database.exists() and done.out == ""
    # the advice followed: without the host, --db is the embedded service's database
    monkeypatch.delenv("SIGOPT_LIKE_HOST", raising=False)
    monkeypatch.delenv("SIGOPT_LIKE_CONFIG", raising=False)
    assert run("sessions", "list", "--db", database).code == 0
    assert database.exists()


def test_db_beside_both_host_variables_advice_followed_literally_reaches_embedded(
    run, clean_env, monkeypatch
):
    """Before: with SIGOPT_LIKE_HOST and DAPTICS_HOST (and a login for each) exported,
    ``--db x.db`` said "unset SIGOPT_LIKE_HOST (and its token)"; once it was, the same
    refusal came back naming DAPTICS_HOST. Every variable that sets the host or a login is
    named now; unsetting exactly those reaches the embedded service."""
    exported = {
        "SIGOPT_LIKE_HOST": "http://127.0.0.1:9",
        "SIGOPT_LIKE_TOKEN": "t",
        "DAPTICS_HOST": "http://127.0.0.1:8",
        "DAPTICS_USER": "a@b.example",
        "DAPTICS_PASSWORD": "p",
    }
    for name, value in exported.items():
        monkeypatch.setenv(name, value)
    database = clean_env / "x.db"
    done = run("sessions", "list", "--db", database)
    assert done.code == 2, done
    said = done.err.strip().splitlines()[-1]
    unset = said.split("; unset ", 1)[1].split(" for the embedded service")[0]
    named = unset.replace(" and ", ", ").split(", ")
    assert sorted(named) == sorted(exported), said
    for name in named:
        monkeypatch.delenv(name)
    assert run("sessions", "list", "--db", database).code == 0
    assert database.exists()


def test_an_empty_hosts_advice_names_a_login_under_both_names(clean_env, monkeypatch):
    """Before: ``host=""`` with DAPTICS_HOST, DAPTICS_PASSWORD and SIGOPT_LIKE_PASSWORD
    exported said to unset DAPTICS_HOST and SIGOPT_LIKE_PASSWORD; DAPTICS_PASSWORD, left
    behind, brought a refusal back. Followed literally, the advice reaches the embedded
    service."""
    exported = {"DAPTICS_HOST": "http://127.0.0.1:9", "DAPTICS_PASSWORD": "p"}
    exported["SIGOPT_LIKE_PASSWORD"] = "q"
    for name, value in exported.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        sigopt_like.Connection(host="")
    said = str(caught.value)
    unset = said.split("for the embedded service unset ", 1)[1].split(" (leaving out")[0]
    named = unset.replace(" and ", ", ").split(", ")
    assert sorted(named) == sorted(exported), said
    for name in named:
        monkeypatch.delenv(name)
    with sigopt_like.Connection(host="", database=str(clean_env / "y.db")) as conn:
        assert conn.config.embedded


def test_the_daptics_host_variable_beside_db_is_named(run, clean_env, monkeypatch):
    monkeypatch.setenv("DAPTICS_HOST", "http://127.0.0.1:9")
    done = run("sessions", "list", "--db", clean_env / "x.db")
    assert done.code == 2 and "(from environment variable DAPTICS_HOST); unset DAPTICS_HOST" in (
        done.err
    ), done


@pytest.mark.parametrize("host_from", ["environment", "--host"])
def test_an_empty_db_beside_a_host_is_refused_as_without_one(
    run, clean_env, monkeypatch, host_from
):
    """Before: ``--db ""`` (``--db "$DB"`` with DB unset) beside a host, exported or given
    with --host, was taken for no --db and the command went to the host (here a closed
    port: exit 1 after its retries); without a host it is a usage error. Refused now in
    the same words, before any request."""
    monkeypatch.setenv("SIGOPT_LIKE_MAX_RETRY_TIME", "1")
    if host_from == "environment":
        monkeypatch.setenv("SIGOPT_LIKE_HOST", HOST)
        done = run("sessions", "list", "--db", "")
        rest = "--db is for the embedded service, but a host is set: http://bob:***@127.0.0.1"
    else:
        done = run("sessions", "list", "--host", HOST, "--db", "")
        rest = "--db is for the embedded service; it cannot go with --host"
    assert done.code == 2, done
    said = done.err.strip().splitlines()[-1]
    assert said.startswith(f"Error: --db is empty: name a SQLite file or a database URL; {rest}"), (
        said
    )
    assert shows_no_secret(done.err) and done.out == ""
    assert list(clean_env.glob("*.db")) == []


@pytest.mark.parametrize("where", ["environment", "config file"])
def test_an_unreachable_host_is_named_without_its_password_or_tokens(
    run, clean_env, monkeypatch, where
):
    """Before: the retry notice and the final error printed ``http://bob:s3cret@...``
    whole, for a host read from the environment or a config file."""
    monkeypatch.setenv("SIGOPT_LIKE_MAX_RETRY_TIME", "1")
    if where == "environment":
        monkeypatch.setenv("SIGOPT_LIKE_HOST", HOST)
    else:
        config = clean_env / "team.json"
        config.write_text(json.dumps({"host": HOST}))
        monkeypatch.setenv("SIGOPT_LIKE_CONFIG", str(config))
    done = run("sessions", "list")
    assert done.code == 1, done
    shown = "http://bob:***@127.0.0.1:9/lab"
    notice, error = done.err.strip().splitlines()
    assert notice.startswith(f"sigopt-like: {shown} cannot be reached"), notice
    assert error.startswith(f"sigopt-like: error: GET {shown}/v1/version failed"), error
    assert shows_no_secret(done.err + done.out), done.err


@pytest.mark.parametrize(
    ("host", "shown"),
    [
        # a lone surrogate (a byte the terminal's encoding could not read)
        ("http://bob:s3cret@lab\udce9.example:9", "bob:***@lab\\udce9.example"),
        ("http://bob:s3cret@lab\x00.example:9", "bob:***@lab\\x00.example"),
        ("http://bob:s3cret@" + "a" * 5000 + ".example", "'http://bob:***@aaaa"),
        ("http://bob:s3cret@127.0.0.1:0/lab", "bob:***@127.0.0.1:0/lab"),
        # fifty 60-character labels: each passes, the whole name is past DNS's 253
        ("http://bob:s3cret@" + ("a" * 60 + ".") * 50 + "invalid:9", "'http://bob:***@aaaa"),
        # where the password ends cannot be judged: the whole user part but the name hidden
        # (before: 'http://bob:***@ss w0rd@127.0.0.1:9', and the second quoted whole)
        ("http://bob:p@ss w0rd@127.0.0.1:9", "not 'http://bob:***@127.0.0.1:9' (from"),
        ("http://bob:x://s3cret@127.0.0.1:9", "not 'http://bob:***@127.0.0.1:9' (from"),
    ],
    ids=["surrogate", "nul", "long", "port-0", "long-name", "at-then-space", "scheme-inside"],
)
def test_a_refused_host_is_quoted_without_its_password(run, clean_env, monkeypatch, host, shown):
    """Before: "'host' must be the service's URL ... not 'http://bob:s3cret@...'", from
    --host, the environment or a config file alike."""
    config = clean_env / "team.json"
    config.write_text(json.dumps({"host": host}))
    runs = [run("sessions", "list", "--host", host)]
    monkeypatch.setenv("SIGOPT_LIKE_CONFIG", str(config))
    runs.append(run("sessions", "list"))
    if "\x00" not in host:  # no environment variable holds a NUL
        monkeypatch.setenv("SIGOPT_LIKE_HOST", host)
        runs.append(run("sessions", "list"))
    for done in runs:
        assert done.code == 1 and "'host' must be the service's URL" in done.err, done
        assert shown in done.err and shows_no_secret(done.err), done.err


@pytest.mark.parametrize(
    ("host", "shown"),
    [
        ("http://127.0.0.1:9/?x=1#f", "'http://127.0.0.1:9/?x=1#f'"),
        ("http://bob:s3cret@127.0.0.1:9/?token=tok123", "'http://bob:***@127.0.0.1:9/?token=***'"),
        # where the password ends cannot be told (a '?' in it, or an '@' in the query):
        # nothing after the user is quoted, no wrong host named, no password's end shown
        ("http://bob:p@ss?w0rd@127.0.0.1:9", "'http://bob:***@...'"),
        ("http://bob:pw@127.0.0.1:9/?email=bob@lab.example", "'http://bob:***@...'"),
        ("http://bob:pw@127.0.0.1:9/#x@evil.example", "'http://bob:***@...'"),
        ("http://127.0.0.1:9/lab#top", "'http://127.0.0.1:9/lab#top'"),
        ("127.0.0.1:9?", "'127.0.0.1:9?'"),
        ("http://127.0.0.1:9/?page=" + "2" * 3000, "'http://127.0.0.1:9/?page=222"),
    ],
    ids=[
        "query-and-fragment",
        "token",
        "at-then-query",
        "at-in-query",
        "at-in-fragment",
        "fragment",
        "empty-query",
        "long",
    ],
)
def test_a_host_with_a_query_or_fragment_is_refused_naming_its_source(
    run, clean_env, monkeypatch, host, shown
):
    """Before: taken, and every request went to ``http://127.0.0.1:9/?x=1#f/v1/version``
    (retried for minutes, then an error naming that URL), which no service answers."""
    monkeypatch.setenv("SIGOPT_LIKE_MAX_RETRY_TIME", "1")  # before the fix: a quick failure
    config = clean_env / "team.json"
    config.write_text(json.dumps({"host": host}))
    runs = {"argument": run("sessions", "list", "--host", host)}
    monkeypatch.setenv("SIGOPT_LIKE_CONFIG", str(config))
    runs[f"config file {config}"] = run("sessions", "list")
    monkeypatch.setenv("SIGOPT_LIKE_HOST", host)
    runs["environment variable SIGOPT_LIKE_HOST"] = run("sessions", "list")
    for source, done in runs.items():
        said = done.err.strip()
        assert done.code == 1 and len(said.splitlines()) == 1, done
        assert said.startswith(
            f"sigopt-like: error: 'host' has a query or fragment (a '?' or '#' part): {shown}"
        ), said
        assert f"(from {source}); " in said and "Drop that part" in said, said
        assert "--token, SIGOPT_LIKE_TOKEN" in said and shows_no_secret(said), said
        assert len(said) < 600, said  # the long query is cut short
    with pytest.raises(ConfigError) as caught:
        sigopt_like.Connection(host, token="t")
    assert "(from argument)" in str(caught.value) and shows_no_secret(str(caught.value))
    # the advice followed: the same host without the '?' part is taken as it is
    for name in ("SIGOPT_LIKE_HOST", "SIGOPT_LIKE_CONFIG"):
        monkeypatch.delenv(name)
    bare = host.partition("?")[0].partition("#")[0]
    expected = "http://" + bare.removeprefix("http://").rstrip("/")
    assert resolve_config(bare, token="t").host == expected


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("http://u:p%40ss@[::1]:8080/", "http://u:***@[::1]:8080/"),
        ("http://u:p@ss@[::1]:8080", "http://u:***@[::1]:8080"),
        ("http://u:pa/ss@h:1", "http://u:***@h:1"),
        ("http://[::1]:8080/?page=2", "http://[::1]:8080/?page=2"),
        ("http://u@h/?mail=a@b.example", "http://u@h/?mail=a@b.example"),
        ("http://h/?ACCESS_TOKEN=tok123;Secret=s3cret&key=k&x=1", None),
        ("http://h/?%74oken=tok123", "http://h/?%74oken=***"),
        ("postgresql://me:s3cret@db/lab?password=s3cret&sslmode=require", None),
        # sslkey is a file's path only in a database URL's message (redact_database_url)
        ("http://h/?sslkey=MIIEvQ&x=1", "http://h/?sslkey=***&x=1"),
        # a scheme after a digit or a '-' (a mistyped --db): still a URL, its password hidden
        (
            "1postgresql+psycopg://me:s3cret@127.0.0.1:1/db",
            "1postgresql+psycopg://me:***@127.0.0.1:1/db",
        ),
        ("-postgresql://me:s3cret@h/db", "-postgresql://me:***@h/db"),
        ("1http://bob:s3cret@h:9/", "1http://bob:***@h:9/"),
        # an empty user name: requests still sends the password (Basic auth)
        ("http://:s3cret@127.0.0.1:9", "http://:***@127.0.0.1:9"),
        ("postgresql+psycopg://:s3cret@127.0.0.1:1/db", "postgresql+psycopg://:***@127.0.0.1:1/db"),
        # a space or a line break in the password (the pattern stopped at either)
        ("http://bob:s3 cret@127.0.0.1:9", "http://bob:***@127.0.0.1:9"),
        ("http://bob:s3\ncret@127.0.0.1:9/x?page=2", "http://bob:***@127.0.0.1:9/x?page=2"),
        ("http://u:s3?cr@et@h/ and a@b.example", "http://u:***@h/ and a@b.example"),
        ("http://u:s3/c@ret@h/?x=a@b.example", "http://u:***@h/?x=a@b.example"),
        # an '@' after a plain host is in its query: no password, no other host named
        ("http://127.0.0.1:9/?email=bob@lab.example", "http://127.0.0.1:9/?email=bob@lab.example"),
        ("http://[::1]:8080/x?email=bob@lab.example", "http://[::1]:8080/x?email=bob@lab.example"),
        # free text quoting URLs: each password hidden, the words around kept
        (
            "not 'http://bob:s3 cret@h:9' (from x); see http://u:pw@h2/ or mail a@b.example",
            "not 'http://bob:***@h:9' (from x); see http://u:***@h2/ or mail a@b.example",
        ),
        ("host 'http://h:9' refused; mail bob@lab.example", None),
    ],
)
def test_redact_url_hides_passwords_and_secret_query_values(url, redacted):
    said = redact_url(url)
    assert shows_no_secret(said), said
    if redacted is not None:
        assert said == redacted
    elif shows_no_secret(url):  # nothing to hide: the text as it was
        assert said == url
    assert "x=1" in said or "x=1" not in url
    assert "sslmode=require" in said or "sslmode" not in url


_TIMED_REDACTION = """
import sys, time
from sigopt_like.url_redaction import redact_url, shown_url
text = {text}
start = time.perf_counter()
redact_url(text)
shown_url(text)
print(time.perf_counter() - start)
"""


@pytest.mark.parametrize(
    "text",
    ['"x" * 1_000_000', '"http://u:" + "a" * 1_000_000', '"http://" * 150_000'],
)
def test_redact_url_of_a_megabyte_finishes(text):
    """Before: a URL's start (``scheme://``) was searched from every letter of a run of
    letters, each search reading the rest of the run: 40,000 letters took 6 s, a megabyte
    never ended (and the command line quoting a 60,000-letter host took 49 s). A child
    process, so that without the fix the test fails at its timeout instead of hanging; the
    bound is a guard with more than 100 times the room needed (0.05 s here)."""
    done = subprocess.run(
        [sys.executable, "-c", _TIMED_REDACTION.format(text=text)],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    assert float(done.stdout) < 10, done.stdout


def test_a_config_and_a_connection_repr_hide_the_hosts_secrets(clean_env):
    config = resolve_config("http://bob:s3cret@127.0.0.1:9/lab", token="t")
    assert "bob:***@127.0.0.1:9/lab" in repr(config), repr(config)
    with sigopt_like.Connection("http://bob:s3cret@127.0.0.1:9", token="t") as conn:
        assert repr(conn) == "Connection(host='http://bob:***@127.0.0.1:9', token='***')"


def test_a_host_whose_password_holds_a_space_is_refused_without_it(clean_env):
    """Before: "... not 'http://bob:s3 cret@127.0.0.1:9'": the pattern stopped at the
    space, and the refusal of the malformed host quoted the password whole."""
    for password in ("s3 cret", "s3\ncret"):
        with pytest.raises(ConfigError, match="'host' must be the service's URL") as caught:
            sigopt_like.Connection(host=f"http://bob:{password}@127.0.0.1:9", token="t")
        assert "http://bob:***@127.0.0.1:9" in str(caught.value), caught.value
        assert "cret" not in str(caught.value), caught.value


def test_the_reprs_hide_a_postgresql_databases_password(clean_env, pg_url):
    """Before: ``database='postgresql+psycopg://postgres:s3cret@...'`` in both reprs. A
    real PostgreSQL (which trusts the test's user, the password unused)."""
    url = sa.make_url(pg_url).set(password="s3cret").render_as_string(hide_password=False)
    config = resolve_config(database=url)
    assert "database='postgresql+psycopg://postgres:***@/" in repr(config), repr(config)
    with sigopt_like.Connection(database=url) as conn:
        assert conn.health().status == "ok"
        assert repr(conn).startswith("Connection(database='postgresql+psycopg://postgres:***@/")
        assert shows_no_secret(repr(conn)), repr(conn)
    with sigopt_like.Connection(database=":memory:") as conn:  # a file's path as before
        assert repr(conn) == "Connection(database=':memory:')"


def test_a_traceback_of_an_unreachable_host_hides_its_secrets(clean_env):
    """Before: the final message was redacted but the chained urllib3 and requests errors
    named the host as requests saw it in the user's traceback. A query in a host is refused
    now, so what can still be there is the password of its user part: the traceback shows
    none, and the chain is cut for such a host, so no cause's words (whatever URL they
    quote) are printed after the message. A real unreachable port; the cause's words stay
    in the message."""
    conn = sigopt_like.Connection(HOST, token="t", retries={"max_time": 0.3})
    with pytest.raises(APIConnectionError) as caught:
        conn.experiments().list()
    shown = "".join(traceback.format_exception(caught.value))
    assert shows_no_secret(shown), shown
    assert "Connection refused" in str(caught.value), caught.value
    assert "http://bob:***@127.0.0.1:9/lab" in str(caught.value), caught.value
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    # a host with nothing to hide keeps the chain: the cause's detail for debugging
    plain = sigopt_like.Connection("http://127.0.0.1:9", token="t", retries={"max_time": 0.3})
    with pytest.raises(APIConnectionError) as caught:
        plain.experiments().list()
    assert caught.value.__cause__ is not None


def test_a_bad_log_call_through_the_redacting_filter_is_reported_not_raised(capsys):
    """Before: ``logger.debug("value %d", "x")`` raised TypeError at the caller once -v
    installed the filter; logging itself reports it ("--- Logging error ---") and goes on."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactedURLs())
    logger = logging.getLogger("tests.host_secrets.bad_call")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        logger.debug("value %d", "not a number")  # returns: no TypeError here
        logger.debug("GET %s", "/?token=tok123&page=2")
    finally:
        logger.removeHandler(handler)
    assert "--- Logging error ---" in capsys.readouterr().err
    assert stream.getvalue() == "GET /?token=***&page=2\n"


class _NotTheService(http.server.BaseHTTPRequestHandler):
    """Another web server: a 404 page for every request."""

    def do_GET(self) -> None:  # http.server calls it by this name
        body = b"<html>not here</html>"
        self.send_response(404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def other_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotTheService)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_verbose_logs_and_another_servers_answer_hide_the_hosts_secrets(clean_env, other_server):
    """Before: the "answered GET ... with 404" message named the host with its password
    (``-vv`` logged urllib3's request line "GET /?token=tok123...", from a host's query:
    such a host is refused now). The real program, in a process of its own, as a user
    runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIGOPT_LIKE_", "DAPTICS_"))}
    host = f"http://bob:s3cret@{other_server}/lab"
    env.update(SIGOPT_LIKE_HOST=host, PYTHONPATH=str(ROOT), HOME=str(clean_env / "home"))
    done = subprocess.run(
        [sys.executable, "-m", "sigopt_like", "-vv", "sessions", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done
    assert "GET /lab/v1/version HTTP/1.1" in done.stderr, done.stderr
    assert f"http://bob:***@{other_server}/lab answered GET" in done.stderr
    assert shows_no_secret(done.stderr + done.stdout), done.stderr


def test_an_empty_host_names_every_login_variable_to_unset(clean_env, monkeypatch):
    """Before: host='' with SIGOPT_LIKE_EMAIL and SIGOPT_LIKE_PASSWORD exported (and a
    host) said "unset SIGOPT_LIKE_HOST and SIGOPT_LIKE_EMAIL": the password was left."""
    monkeypatch.setenv("SIGOPT_LIKE_EMAIL", "a@b.example")
    monkeypatch.setenv("SIGOPT_LIKE_PASSWORD", "p@ss")
    monkeypatch.setenv("SIGOPT_LIKE_HOST", "http://bob:s3cret@127.0.0.1:9")
    with pytest.raises(ConfigError) as caught:
        sigopt_like.Connection(host="", database=str(clean_env / "never.db"))
    said = str(caught.value)
    assert "unset SIGOPT_LIKE_HOST, SIGOPT_LIKE_EMAIL and SIGOPT_LIKE_PASSWORD" in said, said
    assert "(from environment variable SIGOPT_LIKE_EMAIL and environment variable " in said
    assert shows_no_secret(said)
    # the advice followed: the embedded service
    for name in ("SIGOPT_LIKE_HOST", "SIGOPT_LIKE_EMAIL", "SIGOPT_LIKE_PASSWORD"):
        monkeypatch.delenv(name)
    with sigopt_like.Connection(host="", database=":memory:") as conn:
        assert conn.embedded and conn.health().status == "ok"


def test_an_empty_host_options_advice_names_both_host_variables(run, clean_env, monkeypatch):
    """Before: with SIGOPT_LIKE_HOST and DAPTICS_HOST exported, ``--host ""`` said to
    unset SIGOPT_LIKE_HOST "(and its token, email and password)"; once it was, the
    command went to DAPTICS_HOST. Followed literally, the advice reaches the embedded
    service."""
    exported = {"SIGOPT_LIKE_HOST": "http://127.0.0.1:9", "DAPTICS_HOST": "http://127.0.0.1:8"}
    exported["DAPTICS_PASSWORD"] = "p"
    for name, value in exported.items():
        monkeypatch.setenv(name, value)
    done = run("sessions", "list", "--host", "")
    assert done.code == 2, done
    said = done.err.strip().splitlines()[-1]
    unset = said.split("for the embedded service unset ", 1)[1].removesuffix(" too")
    named = unset.replace(" and ", ", ").split(", ")
    assert sorted(named) == sorted(exported), said
    for name in named:
        monkeypatch.delenv(name)
    database = clean_env / "x.db"
    assert run("sessions", "list", "--db", database).code == 0 and database.exists()


def test_an_empty_host_option_names_the_host_that_leaving_it_out_reaches(
    run, clean_env, monkeypatch
):
    """Before: ``--host ""`` with SIGOPT_LIKE_HOST exported said "leave --host out for the
    embedded service", which reached the exported host."""
    monkeypatch.setenv("SIGOPT_LIKE_HOST", "http://bob:s3cret@127.0.0.1:9")
    done = run("sessions", "list", "--host", "")
    assert done.code == 2, done
    assert done.err.strip().splitlines()[-1] == (
        "Error: --host is empty: give the service's URL, or leave --host out to use "
        "http://bob:***@127.0.0.1:9 (from environment variable SIGOPT_LIKE_HOST); for the "
        "embedded service unset SIGOPT_LIKE_HOST too"
    )
    assert shows_no_secret(done.err)
    monkeypatch.delenv("SIGOPT_LIKE_HOST")  # the advice followed: the embedded service
    assert run("sessions", "list", "--db", clean_env / "x.db").code == 0
    done = run("sessions", "list", "--host", "")  # no host anywhere: as before
    assert done.err.strip().splitlines()[-1] == (
        "Error: --host is empty: give the service's URL, or leave --host out for the "
        "embedded service"
    )


@pytest.mark.parametrize("option", ["--max-body-bytes", "--max-table-rows"])
@pytest.mark.parametrize("where", ["--host", "environment", "config file"])
def test_an_embedded_limit_beside_a_host_names_where_the_host_was_set(
    run, clean_env, monkeypatch, option, where
):
    """Before: "a served one (--host) has its own limit", for a host exported as
    SIGOPT_LIKE_HOST or in a config file too, where no --host was given."""
    host = "http://bob:s3cret@127.0.0.1:9"
    argv = ["sessions", "list", option, "5"]
    if where == "--host":
        argv += ["--host", host, "--token", "t"]
        served = "--host"
    elif where == "environment":
        monkeypatch.setenv("SIGOPT_LIKE_HOST", host)
        monkeypatch.setenv("SIGOPT_LIKE_TOKEN", "t")
        served = "http://bob:***@127.0.0.1:9, from environment variable SIGOPT_LIKE_HOST"
    else:
        config = clean_env / "team.json"
        config.write_text(json.dumps({"host": host, "token": "t"}))
        monkeypatch.setenv("SIGOPT_LIKE_CONFIG", str(config))
        served = f"http://bob:***@127.0.0.1:9, from config file {config}"
    done = run(*argv)
    assert done.code == 2 and done.out == "", done
    assert done.err.strip().splitlines()[-1] == (
        f"Error: {option} is for the embedded service; a served one ({served}) has its own "
        f"limit (sigopt-like serve {option}, where it is started)"
    ), done.err
    assert shows_no_secret(done.err)


def test_a_database_urls_key_file_is_shown_and_its_passphrase_hidden(run, clean_env):
    """Before: ``?sslkey=/path/key.pem`` (the client key's file, not a secret) showed as
    ``sslkey=***`` ("key" looks secret): the message hid the path a person had to check.
    Its passphrase, ``sslpassword``, stays hidden. The real command, on a port where no
    PostgreSQL listens."""
    url = "postgresql+psycopg://me:s3cret@127.0.0.1:1/lab?sslkey=/k/key.pem&sslpassword=p@ss"
    done = run("users", "list", "--db", url)
    assert done.code == 1, done
    shown = "postgresql+psycopg://me:***@127.0.0.1:1/lab?sslkey=/k/key.pem&sslpassword=***"
    assert f"cannot use the database {shown}: " in done.err, done.err
    assert shows_no_secret(done.err + done.out), done.err
    assert redact_database_url(url) == shown
    assert redact_url(url) == shown.replace("/k/key.pem", "***")  # elsewhere, hidden


LONG_PATH = "/lab" + "p" * 3000
#: 190 characters: a host name is at most 253 (DNS's limit)
LONG_NAME = "a" * 60 + "." + "b" * 60 + "." + "c" * 60 + ".invalid"


@pytest.mark.parametrize(
    ("host", "start", "end"),
    [
        (
            f"http://bob:s3cret@127.0.0.1:9{LONG_PATH}",
            "http://bob:***@127.0.0.1:9/labppp",
            "ppp/v1/version failed (",
        ),
        (f"http://{LONG_NAME}:9", "http://aaaa", "cccc.invalid:9/v1/version failed: "),
    ],
    ids=["path", "host-name"],
)
def test_a_long_host_is_shown_with_its_middle_elided(run, clean_env, monkeypatch, host, start, end):
    """Before: a host with a 3,000-character path (or a 190-character host name) was
    printed whole in the retry notice, the error and the --db refusal: lines of 6,000
    characters in which the host, its port and the API path were hard to find."""
    monkeypatch.setenv("SIGOPT_LIKE_MAX_RETRY_TIME", "1")
    monkeypatch.setenv("SIGOPT_LIKE_HOST", host)
    done = run("sessions", "list")
    assert done.code == 1, done
    lines = done.err.strip().splitlines()
    assert all(len(line) < 500 for line in lines), [len(line) for line in lines]
    error = lines[-1]
    assert error.startswith(f"sigopt-like: error: GET {start}") and end in error, error
    assert "..." in error and shows_no_secret(done.err), done.err
    refused = run("sessions", "list", "--db", clean_env / "x.db")
    said = refused.err.strip().splitlines()[-1]
    assert refused.code == 2 and len(said) < 400, said
    assert said.startswith(f"Error: --db is for the embedded service, but a host is set: {start}")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9" + LONG_PATH + "/v1/version",
        f"https://{LONG_NAME}:8443/v1/version",
        "http://" + "u" * 500 + ":s3cret@lab.example:9/v1/version",
        "http://lab.example:9/v1/version",
    ],
)
def test_shown_url_keeps_the_scheme_host_port_and_the_paths_end(url):
    shown = shown_url(url)
    assert len(shown) <= SHOWN_URL_CHARACTERS and shows_no_secret(shown), shown
    assert shown.split("://")[0] == url.split("://")[0] and shown.endswith("/v1/version"), shown
    port = url.split("/")[2].rpartition(":")[2]
    assert f":{port}/" in shown, shown
    assert ("..." in shown) == (len(url) > SHOWN_URL_CHARACTERS)


@pytest.mark.parametrize(
    ("exported", "given", "named"),
    [
        (  # before: a token hid the exported password ("unset ... and SIGOPT_LIKE_TOKEN")
            {"SIGOPT_LIKE_TOKEN": "tok123", "SIGOPT_LIKE_PASSWORD": "p@ss"},
            {},
            "unset SIGOPT_LIKE_HOST, SIGOPT_LIKE_TOKEN and SIGOPT_LIKE_PASSWORD (",
        ),
        (  # before: the email argument was not named
            {"SIGOPT_LIKE_PASSWORD": "p@ss"},
            {"email": "a@b.example"},
            "unset SIGOPT_LIKE_HOST and SIGOPT_LIKE_PASSWORD, and leave out the email argument",
        ),
    ],
    ids=["token-and-password", "email-argument"],
)
def test_an_empty_hosts_advice_followed_literally_reaches_the_embedded_service(
    clean_env, monkeypatch, exported, given, named
):
    monkeypatch.setenv("SIGOPT_LIKE_HOST", "http://bob:s3cret@127.0.0.1:9")
    for name, value in exported.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        sigopt_like.Connection(host="", database=":memory:", **given)
    said = str(caught.value)
    assert named in said and shows_no_secret(said), said
    # the advice, word for word: unset each variable named, leave out each argument named
    for name in [*exported, "SIGOPT_LIKE_HOST"]:
        assert name in said
        monkeypatch.delenv(name)
    kept = {key: value for key, value in given.items() if f"the {key} argument" not in said}
    with sigopt_like.Connection(host="", database=":memory:", **kept) as conn:
        assert conn.embedded and conn.health().status == "ok"

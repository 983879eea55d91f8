"""Secrets stay secret: hashed at rest, never in logs, errors or reprs.

- tokens are stored as SHA-256 hashes and passwords as scrypt hashes: no column
  of any table holds a token or a password in clear;
- logging captured (every logger, DEBUG) through a served run with a login, token
  use, a wrong token and a wrong password never shows a token or a password; nor
  does the output of ``sigopt-like serve`` itself;
- errors raised by the client, ``repr(Connection)`` and ``repr`` of its config hide them.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from typing import Any

import pytest
import requests
import sqlalchemy as sa

import sigopt_like
from sigopt_like.errors import AuthenticationError
from sigopt_like.service.store.accounts import hash_token

pytestmark = pytest.mark.security

PASSWORD = "correct horse battery staple 9f3e"


def _all_values(engine: sa.Engine) -> list[tuple[str, str, str]]:
    """(table, column, text) of every non-null value in the database."""
    out = []
    with engine.connect() as conn:
        names = [
            r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        for name in names:
            result = conn.exec_driver_sql(f'SELECT * FROM "{name}"')
            columns = list(result.keys())
            for row in result:
                for column, value in zip(columns, row, strict=True):
                    if value is not None:
                        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                        out.append((name, column, text))
    return out


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name} {text} {record.__dict__!r}")


@pytest.fixture
def captured_logs() -> Any:
    handler = _Collect()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_secrets_are_hashed_at_rest_and_never_logged(served: Any, captured_logs: Any) -> None:
    engine = served.service.context.store.database.engine
    email = "lab-robot@example.com"
    served.service.context.store.accounts.create_user(email, PASSWORD)
    # login through the client (email + password), then use the token it got
    with sigopt_like.Connection(served.url, email=email, password=PASSWORD) as conn:
        login_token = conn.transport.token
        assert login_token
        session = conn.sessions.create(name="secret-check")
        conn.sessions(session.id).fetch()
        assert login_token not in repr(conn) and PASSWORD not in repr(conn)
        assert PASSWORD not in repr(conn.config) and login_token not in repr(conn.config)
    issued = served.service.context.store.accounts.issue_token(1, name="cli")
    tokens = [served.token, login_token, issued.token]
    # a wrong password and a wrong token: the errors do not echo them
    bad = requests.post(
        f"{served.url}/v1/login", json={"email": email, "password": PASSWORD + "x"}, timeout=10
    )
    assert bad.status_code == 401 and PASSWORD not in bad.text
    wrong_token = "wrong-" + served.token
    with (
        sigopt_like.Connection(served.url, wrong_token) as conn,
        pytest.raises(AuthenticationError) as caught,
    ):
        conn.sessions.list()
    error = caught.value
    assert wrong_token not in str(error) and wrong_token not in repr(error)
    assert wrong_token not in repr(error.body) and wrong_token not in repr(error.detail)
    assert not any(wrong_token in str(v) for v in error.headers.values())

    values = _all_values(engine)
    assert values, "the database is empty?"
    for table, column, text in values:
        for secret in [*tokens, PASSWORD]:
            assert secret not in text, f"{table}.{column} holds a secret in clear"
    stored_hashes = {t for _tb, c, t in values if c == "token_hash"}
    assert {hash_token(t) for t in tokens} <= stored_hashes
    password_hashes = [t for tb, c, t in values if tb == "users" and c == "password_hash"]
    assert password_hashes and all(h.startswith("scrypt$") for h in password_hashes)

    assert captured_logs.lines, "nothing was logged at all?"
    for line in captured_logs.lines:
        for secret in [*tokens, wrong_token, PASSWORD]:
            assert secret not in line, f"a secret in the log: {line[:200]}"


def test_served_process_output_holds_no_secret(served_process: Any) -> None:
    email = "operator@example.com"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "sigopt_like.cli",
            "users",
            "create",
            email,
            "--password-stdin",
            "--db",
            served_process.database,
        ],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    base = served_process.url
    login = requests.post(
        f"{base}/v1/login", json={"email": email, "password": PASSWORD}, timeout=30
    )
    assert login.status_code == 201
    token = login.json()["token"]
    h = {"Authorization": f"Bearer {token}"}
    assert (
        requests.post(f"{base}/v1/sessions", json={"name": "p"}, headers=h, timeout=30).status_code
        == 201
    )
    requests.get(
        f"{base}/v1/sessions", headers={"Authorization": "Bearer nope-" + token}, timeout=30
    )
    requests.post(f"{base}/v1/login", json={"email": email, "password": "x" + PASSWORD}, timeout=30)
    requests.get(f"{base}/v1/sessions", headers=served_process.headers(), timeout=30)
    # a script that put its token where it does not belong: the path (as an id, or as the
    # whole path), a query value of an innocent name, the user agent, the referrer; the
    # access log line and the error's message say slk_*** instead
    misplaced = [
        requests.get(f"{base}/v1/sessions/{token}", headers=h, timeout=30),
        requests.get(f"{base}/{token}", timeout=30),
        requests.get(f"{base}/v1/sessions", params={"q": token}, headers=h, timeout=30),
        requests.get(
            f"{base}/health",
            headers={"User-Agent": f"robot {token}", "Referer": f"http://lab/?t={token}"},
            timeout=30,
        ),
    ]
    assert [r.status_code for r in misplaced] == [404, 404, 200, 200]
    for reply in misplaced:
        assert token not in reply.text
    assert "slk_***" in misplaced[0].json()["message"]
    served_process.stop()
    output = served_process.output()
    for secret in (PASSWORD, token, served_process.token):
        assert secret not in output
    assert output.count("slk_***") >= 5, output[-2000:]


def test_tokens_are_compared_by_hash_in_constant_time() -> None:
    """A token is found by its SHA-256 (the secret never reaches a comparison) and the
    found hash is compared again with hmac.compare_digest."""
    import inspect

    from sigopt_like.service import passwords
    from sigopt_like.service.store.accounts import AccountStore

    lookup = inspect.getsource(AccountStore.token_owner)
    assert "hash_token(token)" in lookup and "compare_digest" in lookup
    assert "compare_digest" in inspect.getsource(passwords.verify_password)
    assert "scrypt" in inspect.getsource(passwords.hash_password)


def test_every_line_sigopt_like_serve_logs_is_redacted_whoever_writes_it() -> None:
    """waitress logs "Client disconnected while serving <path>" with the path as sent, and
    a traceback may quote a URL: before, only the access log and the service's own
    messages were redacted. ``serve``'s logging (``log_served``) redacts every line."""
    import io

    from sigopt_like.service.log_redaction import log_served

    token = "slk_" + "Ab3-_x" * 7
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    out = io.StringIO()
    root.handlers = [logging.StreamHandler(out)]  # as -v leaves it: serve keeps it
    root.setLevel(logging.INFO)
    try:
        log_served()
        waitress = logging.getLogger("waitress")
        # as waitress writes it: the path already in the message, no args
        waitress.info(f"Client disconnected while serving /v1/experiments/1/{token}")
        waitress.info("Client disconnected while serving %s", f"/{token}")
        try:
            raise ValueError(f"bad URL http://lab/?token={token}")
        except ValueError:
            waitress.exception("Exception while serving %s", "/v1/sessions")
        logging.getLogger("sigopt_like.service").warning("x %s", token, stack_info=True)
    finally:
        root.handlers, root.level = saved
    text = out.getvalue()
    assert "Client disconnected" in text and "ValueError" in text
    assert token not in text and token[:12] not in text
    assert text.count("slk_***") == 4, text


def test_a_worker_never_logs_its_database_password(pg_url: str) -> None:
    """Before: ``sigopt-like worker`` began with 'running 4 threads on
    postgresql+psycopg://app:<the password>@db/...', in clear, in every worker's log.
    The password is hidden in the URL's user part and in its query (libpq's
    ``password=``); the server here trusts its socket, so either is accepted."""
    import os
    import time
    from pathlib import Path

    url = pg_url.replace("postgres@", "postgres:s3cret-in-user@", 1) + "&password=s3cret-in-query"
    repo = Path(__file__).resolve().parents[2]
    worker = subprocess.Popen(
        [sys.executable, "-m", "sigopt_like.service.worker", "--db", url],
        env={**os.environ, "PYTHONPATH": str(repo), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 60
    try:
        assert worker.stdout is not None
        while time.monotonic() < deadline:
            line = worker.stdout.readline()
            if not line:
                break
            lines.append(line)
            if " running " in line:
                break
    finally:
        worker.terminate()
        rest, _ = worker.communicate(timeout=30)
    text = "".join(lines) + rest
    assert " running " in text, text
    assert "s3cret" not in text, text
    assert "postgres:***@" in text and "password=***" in text, text

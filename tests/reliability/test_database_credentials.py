"""A PostgreSQL role's password changed while the service serves: connections made before
go on, and each new one is refused ("password authentication failed"). A request that
needs a new connection is a 500 ``database_unreadable`` naming the role and what to do
(start the service again with the current password, or give the role back the one it
has), ``/ready`` a 503 in the same words, and no outage is logged: the server answers.
Before, a 503 "The service's database does not answer (restarting or down); retry in a
moment", which clients retried until their deadline, and an outage logged.

The shared test server trusts every local connection, so these run on a server of their
own that asks for passwords (``scram-sha-256``; its administrator, ``postgres``, trusted).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from sigopt_like.service import create_app
from tests.fixtures.postgres import administrator, new_database, running_postgres
from tests.fixtures.servers import ServedInstance

pytestmark = pytest.mark.reliability

OUTAGE_LOG = "sigopt_like.service.database"
FIRST, SECOND = "first-Secret-1", "second-Secret-2"


@pytest.fixture(scope="module")
def password_server() -> Iterator[str]:
    """A PostgreSQL server that asks every role but ``postgres`` for its password; its
    URL with a ``{db}`` placeholder."""
    folder = tempfile.mkdtemp(prefix="sigopt-like-hba-")
    os.chmod(folder, 0o755)  # the server runs as another user (nobody) under root
    hba = Path(folder) / "pg_hba.conf"
    hba.write_text("local all postgres trust\nlocal all all scram-sha-256\n")
    hba.chmod(0o644)
    try:
        with running_postgres(f"hba_file={hba}") as server:
            yield server
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def _role_with_password(server: str) -> Iterator[tuple[str, str, Callable[..., None]]]:
    """A fresh database on ``server`` with the service's tables, and a role granted what
    the service needs there, its password :data:`FIRST`: the role's name, the database's
    URL as the role without its password, and a function that runs statements as the
    server's administrator."""
    from sigopt_like.service.store import open_store

    url = new_database(server)
    open_store(url).close()  # the tables, made by their owner
    role = f"lab_{uuid.uuid4().hex[:8]}"
    with administrator(url) as says:

        def admin_says(*statements: str) -> None:
            says(*(statement.format(role=role) for statement in statements))

        admin_says(
            f"CREATE ROLE {{role}} LOGIN PASSWORD '{FIRST}'",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
            "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}",
        )
        yield role, url.replace("postgres@", f"{role}@", 1), admin_says


def _assert_credentials_refused(body: dict[str, object], role: str) -> None:
    said = str(body["message"])
    assert body["code"] == "database_unreadable", body
    assert f"refuses the credentials of the role {role}" in said, said
    assert f'password authentication failed for user "{role}"' in said, said
    assert "Start the service again with the role's current password" in said, said
    assert f"ALTER ROLE {role} PASSWORD" in said, said
    assert FIRST not in said and SECOND not in said, said
    assert "does not answer" not in said, said


def test_a_password_changed_while_serving_is_said_so(
    password_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Served with tokens (the token's read, on a connection of its own, is then a new
    connection too), the role's password changed, and the service's connections closed
    (as its pool replaces them): every request is a 500 ``database_unreadable`` that
    names the role and what to do, ``/ready`` a 503 in the same words, one WARNING line
    and no outage nor traceback in the log; the password given back, it serves again
    with no restart."""
    with _role_with_password(password_server) as (role, url, admin_says):
        database = url.replace(f"{role}@", f"{role}:{FIRST}@", 1)
        served = ServedInstance(
            create_app(database=database, auth_required=True, run_tasks=False),
            database,
            threads=4,
        )
        sessions, headers = f"{served.url}/v1/sessions", served.headers()
        keyed = {**headers, "Idempotency-Key": uuid.uuid4().hex}  # as the clients send it
        try:
            assert requests.get(sessions, headers=headers, timeout=30).status_code == 200
            admin_says(f"ALTER ROLE {{role}} PASSWORD '{SECOND}'")
            served.service.context.store.database.dispose()  # each next one is new
            with caplog.at_level(logging.DEBUG, logger="sigopt_like"):
                for answer in (
                    requests.get(sessions, headers=headers, timeout=30),
                    requests.post(sessions, json={"name": "x"}, headers=keyed, timeout=30),
                    requests.get(sessions, headers=headers, timeout=30),
                ):
                    assert answer.status_code == 500, answer.text
                    _assert_credentials_refused(answer.json(), role)
                    assert answer.json()["detail"]["role"] == role, answer.text
                ready = requests.get(f"{served.url}/ready", timeout=30)
                assert ready.status_code == 503, ready.text
                _assert_credentials_refused(ready.json(), role)
            assert [r.getMessage() for r in caplog.records if r.name == OUTAGE_LOG] == []
            assert [r.getMessage() for r in caplog.records if r.exc_info] == []
            admin_says(f"ALTER ROLE {{role}} PASSWORD '{FIRST}'")
            assert requests.get(sessions, headers=headers, timeout=30).status_code == 200
            assert requests.get(f"{served.url}/ready", timeout=30).status_code == 200
            admin_says("ALTER ROLE {role} NOLOGIN")  # its right to log in taken instead
            served.service.context.store.database.dispose()
            answer = requests.get(sessions, headers=headers, timeout=30)
            assert answer.status_code == 500 and answer.json()["code"] == "database_unreadable"
            said = answer.json()["message"]
            assert f"refuses the credentials of the role {role} (PostgreSQL: role" in said, said
            assert f'role "{role}" is not permitted to log in' in said, said
        finally:
            served.close()


def test_a_password_kept_in_a_pgpass_file_is_mended_there_without_a_restart(
    password_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The password in a .pgpass file (the URL has none): refused once it changed, and
    served again once the file has the new one, as the message says: libpq reads the
    file at each new connection."""
    import falcon.testing

    from sigopt_like.service.store.errors import Unreadable
    from sigopt_like.service.worker import TaskRunner

    passfile = tmp_path / "pgpass"

    def keep(password: str) -> None:
        passfile.write_text(f"*:*:*:*:{password}\n")
        passfile.chmod(0o600)  # libpq ignores a file others may read

    keep(FIRST)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    with _role_with_password(password_server) as (role, url, admin_says):
        service = create_app(database=url, auth_required=False, run_tasks=False)
        try:
            client = falcon.testing.TestClient(service.app)
            assert client.simulate_get("/v1/sessions").status_code == 200
            admin_says(f"ALTER ROLE {{role}} PASSWORD '{SECOND}'")
            service.context.store.database.dispose()
            refused = client.simulate_get("/v1/sessions")
            assert refused.status_code == 500, refused.text
            _assert_credentials_refused(refused.json, role)
            assert "a .pgpass file is read at each new connection" in refused.json["message"]
            runner = TaskRunner(service.context.store, service.settings, threads=0)
            with pytest.raises(Unreadable) as claiming:  # a worker's loops: the same words
                runner.claim()
            assert f"refuses the credentials of the role {role}" in claiming.value.message
            keep(SECOND)
            assert client.simulate_get("/v1/sessions").status_code == 200  # no restart
            assert runner.claim() is None
        finally:
            service.close()


@contextlib.contextmanager
def _tcp_server_with_rules() -> Iterator[tuple[str, Callable[[str], None]]]:
    """A PostgreSQL server that listens on 127.0.0.1 too, its pg_hba.conf trusting
    ``postgres`` and the rules a test writes: its URL (``{db}`` placeholder, Unix socket)
    and a function that puts rules for TCP connections first and reloads the server."""
    folder = tempfile.mkdtemp(prefix="sigopt-like-hba-")
    os.chmod(folder, 0o755)  # the server runs as another user (nobody) under root
    hba = Path(folder) / "pg_hba.conf"
    base = "local all postgres trust\nhost all postgres 127.0.0.1/32 trust\n"
    hba.write_text(base + "host all all 127.0.0.1/32 trust\n")
    hba.chmod(0o644)
    try:
        with running_postgres(f"hba_file={hba}", "listen_addresses='127.0.0.1'") as server:
            admin = sa.create_engine(server.format(db="postgres"), isolation_level="AUTOCOMMIT")

            def rules(text: str) -> None:
                hba.write_text(base + text)
                with admin.connect() as sql:
                    assert sql.exec_driver_sql("SELECT pg_reload_conf()").scalar()

            try:
                yield server, rules
            finally:
                admin.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _refused_so(url: str, words: str) -> None:
    """Wait (10 s at most) until a new connection to ``url`` is refused in ``words``: the
    server reads its reloaded pg_hba.conf a moment after it is asked to."""
    deadline = time.monotonic() + 10
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        while True:
            try:
                engine.connect().close()
                said = "connected"
            except sa.exc.OperationalError as err:
                said = str(err.orig)
            if words in said:
                return
            assert time.monotonic() < deadline, said
            time.sleep(0.1)
    finally:
        engine.dispose()


def test_a_connection_refused_by_pg_hba_says_the_rule_that_refused_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """pg_hba.conf changed while the service serves over TCP: a ``reject`` line for its
    role, then no line for it, then ``ident`` (no ident server answers). Each request is a
    500 ``database_unreadable`` in the server's words, its detail naming the method as the
    server said it (``reject``, none, ``Ident``), and no outage logged. Before, a reject or
    a missing line was an outage ("does not answer (restarting or down); retry in a
    moment": a 503 retried until the clients' deadline, of a server that answered), and an
    Ident refusal's detail named the role alone."""
    import falcon.testing

    with _tcp_server_with_rules() as (server, rules):
        url = new_database(server)
        role = f"lab_{uuid.uuid4().hex[:8]}"
        with administrator(url) as admin_says:
            admin_says(f"CREATE ROLE {role} LOGIN", f"GRANT ALL ON SCHEMA public TO {role}")
        port = sa.make_url(url).query["port"]
        name = sa.make_url(url).database
        database = f"postgresql+psycopg://{role}@127.0.0.1:{port}/{name}"
        service = create_app(database=database, auth_required=False, run_tasks=False)
        try:
            client = falcon.testing.TestClient(service.app)
            assert client.simulate_get("/v1/sessions").status_code == 200
            cases = [
                (
                    f"host all {role} 127.0.0.1/32 reject\n",
                    f'pg_hba.conf rejects connection for host "127.0.0.1", user "{role}", '
                    f'database "{name}", no encryption',
                    "reject",
                ),
                (
                    "",
                    f'no pg_hba.conf entry for host "127.0.0.1", user "{role}", '
                    f'database "{name}", no encryption',
                    None,
                ),
                (
                    f"host all {role} 127.0.0.1/32 ident\n",
                    f'Ident authentication failed for user "{role}"',
                    "Ident",
                ),
            ]
            with caplog.at_level(logging.DEBUG, logger="sigopt_like"):
                for rule, said, method in cases:
                    rules(rule)
                    _refused_so(database, said)
                    service.context.store.database.dispose()  # each next one is new
                    answer = client.simulate_get("/v1/sessions")
                    assert answer.status_code == 500, answer.text
                    body = answer.json
                    assert body["code"] == "database_unreadable", body
                    assert f"(PostgreSQL: {said})" in body["message"], body
                    assert "does not answer" not in body["message"], body
                    assert body["detail"]["role"] == role, body
                    assert body["detail"]["method"] == method, body
            assert [r.getMessage() for r in caplog.records if r.name == OUTAGE_LOG] == []
            rules(f"host all {role} 127.0.0.1/32 trust\n")
            _refused_so(database, "connected")
            assert client.simulate_get("/v1/sessions").status_code == 200  # no restart
        finally:
            service.close()

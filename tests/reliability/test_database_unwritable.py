"""The database file made unwritable while the service uses it (``chattr +i``: what a
read-only file system or a file locked by an administrator does to an open file): every
write is a 507 ``database_unwritable`` that says what to do and stores nothing, with no
traceback in the log, and writes work again once the file is writable. Before, a 500
"internal" ("The service failed to store this request's result") and a traceback.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import sigopt_like
from sigopt_like.errors import ServerError
from tests.fixtures.postgres import administrator

pytestmark = pytest.mark.reliability


def _chattr(flag: str, paths: list[Path]) -> None:
    subprocess.run(["chattr", flag, *map(str, paths)], check=True, capture_output=True)


@contextmanager
def immutable(db: Path) -> Iterator[None]:
    # not the -shm file: SQLite maps it in memory, and a write there would be a SIGBUS
    files = [p for p in (db, Path(f"{db}-wal")) if p.exists()]
    try:
        _chattr("+i", files)
    except (OSError, subprocess.CalledProcessError) as err:  # not root, or no ext2/3/4
        pytest.skip(f"chattr +i is not available here: {err}")
    try:
        yield
    finally:
        _chattr("-i", files)


def test_an_unwritable_database_refuses_writes_in_words(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    if shutil.which("chattr") is None:
        pytest.skip("no chattr")
    db = tmp_path / "lab.sqlite3"
    with sigopt_like.Connection(database=str(db), task_processes=0) as conn:
        first = conn.sessions.create(name="robot-run-1")
        with immutable(db), caplog.at_level(logging.WARNING, logger="sigopt_like"):
            for call in (
                lambda: conn.sessions.create(name="robot-run-2"),
                lambda: conn.sessions(first.id).update(description="unwritable"),
            ):
                with pytest.raises(ServerError) as refused:
                    call()
                assert refused.value.status == 507
                assert refused.value.code == "database_unwritable"
                assert "nothing of this request was stored" in refused.value.message
            assert conn.sessions(first.id).fetch().description == ""  # reads go on
        assert [r.getMessage() for r in caplog.records if r.exc_info] == []
        # writable again: every write works again. Before, a pooled connection that had
        # refused a write went on refusing them, one request in two or three (most runs:
        # not every refusal left its connection so, as which step of SQLite's refuses varies)
        names = [f"robot-run-{i}" for i in range(2, 12)]
        for name in names:
            conn.sessions.create(name=name)
        assert sorted(s.name for s in conn.sessions.list()) == sorted(["robot-run-1", *names])


def test_a_postgresql_role_whose_write_rights_are_revoked_is_told_what_to_grant(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A real role that loses INSERT, UPDATE and DELETE while the service runs (an
    administrator's REVOKE): every write is a 507 ``database_unwritable`` in PostgreSQL's
    words (the role, what to grant), nothing is stored, reads go on, no traceback is
    logged, and after a GRANT writes work again without a restart. Before, a 500
    "internal" and a traceback per write."""
    import uuid

    from sigopt_like.service.store import open_store

    open_store(pg_url).close()  # the schema, made by its owner
    role = f"writer_{uuid.uuid4().hex[:8]}"  # roles are the server's, shared by the tests
    tables = "ALL TABLES IN SCHEMA public"
    with administrator(pg_url) as says:

        def admin_says(*statements: str) -> None:
            says(*(statement.format(role=role) for statement in statements))

        admin_says(
            "CREATE ROLE {role} LOGIN",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {tables} TO {{role}}",
            "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}",
        )
        database = pg_url.replace("postgres@", f"{role}@", 1)
        with sigopt_like.Connection(database=database, task_processes=0) as conn:
            first = conn.sessions.create(name="robot-run-1")
            admin_says(f"REVOKE INSERT, UPDATE, DELETE ON {tables} FROM {{role}}")
            with caplog.at_level(logging.WARNING, logger="sigopt_like"):
                for call in (
                    lambda: conn.sessions.create(name="robot-run-2"),
                    lambda: conn.sessions(first.id).update(description="refused"),
                ):
                    with pytest.raises(ServerError) as refused:
                        call()
                    said = refused.value.message
                    assert refused.value.status == 507, said
                    assert refused.value.code == "database_unwritable", said
                    assert "nothing of this request was stored" in said, said
                    assert f"role {role}" in said and "GRANT" in said, said
                    assert "file" not in said, said  # SQLite's words do not fit here
                assert conn.sessions(first.id).fetch().description == ""  # reads go on
            assert [r.getMessage() for r in caplog.records if r.exc_info] == []
            admin_says(f"GRANT INSERT, UPDATE, DELETE ON {tables} TO {{role}}")
            conn.sessions.create(name="robot-run-3")  # no restart needed
            assert sorted(s.name for s in conn.sessions.list()) == ["robot-run-1", "robot-run-3"]


def _granted_back(message: str) -> list[str]:
    """The GRANT statements a refusal's message gives, to run as its administrator."""
    found = re.search(r"\((GRANT [^)]*)\)", message)
    assert found is not None, message
    return found.group(1).split("; ")


@contextmanager
def _role_in_schema(pg_url: str, schema: str) -> Iterator[tuple[str, str, Callable[..., None]]]:
    """A real role granted what the service needs on tables made in ``schema`` (the
    search_path of the role that made them, and of this one): its name, its database URL,
    and a function that runs statements as the server's administrator."""

    from sigopt_like.service.store import open_store

    tag = uuid.uuid4().hex[:8]  # roles are the server's, shared by the tests
    owner, role = f"owner_{tag}", f"lab_{tag}"
    with administrator(pg_url) as says:

        def admin_says(*statements: str) -> None:
            says(*(statement.format(role=role, schema=schema) for statement in statements))

        admin_says(
            f"CREATE ROLE {owner} LOGIN",
            f"CREATE SCHEMA {{schema}} AUTHORIZATION {owner}",
            f"ALTER ROLE {owner} SET search_path = {{schema}}",
            "CREATE ROLE {role} LOGIN",
            "ALTER ROLE {role} SET search_path = {schema}",
        )
        open_store(pg_url.replace("postgres@", f"{owner}@", 1)).close()  # tables in schema
        admin_says(
            "GRANT USAGE ON SCHEMA {schema} TO {role}",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
            "GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        )
        yield role, pg_url.replace("postgres@", f"{role}@", 1), admin_says


def test_a_role_whose_tables_are_in_another_schema_is_told_to_grant_there(pg_url: str) -> None:
    """The tables made in schema ``lab`` (the search_path of the roles): the 507 of a
    role whose writes are revoked names ``lab`` in its GRANT, and running that GRANT mends
    it. Before, it named ``public``, where the GRANT did nothing."""
    with (
        _role_in_schema(pg_url, "lab") as (role, database, admin_says),
        sigopt_like.Connection(database=database, task_processes=0) as conn,
    ):
        conn.sessions.create(name="robot-run-1")
        admin_says("REVOKE INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} FROM {role}")
        with pytest.raises(ServerError) as refused:
            conn.sessions.create(name="robot-run-2")
        said = refused.value.message
        assert refused.value.status == 507 and refused.value.code == "database_unwritable", said
        assert "IN SCHEMA lab" in said and "SCHEMA public" not in said, said
        assert f"TO {role};" in said, said
        admin_says(*_granted_back(said))  # what it says to run, run as said
        conn.sessions.create(name="robot-run-2")


def test_a_postgresql_role_whose_read_rights_are_revoked_is_told_what_to_grant(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A real role that loses SELECT while the service runs (tables in schema ``lab``):
    each request that reads is a 500 ``database_unreadable`` naming the role, the table,
    and the GRANT to run in ``lab``; one WARNING line says it to the operator, however many
    requests meet it, with no traceback; running the GRANT it names mends it without a
    restart. Before, a 500 "internal" ("The service failed on this request") and a
    traceback per request."""
    with (
        _role_in_schema(pg_url, "lab") as (role, database, admin_says),
        sigopt_like.Connection(database=database, task_processes=0) as conn,
    ):
        first = conn.sessions.create(name="robot-run-1")
        admin_says("REVOKE SELECT ON ALL TABLES IN SCHEMA {schema} FROM {role}")
        with caplog.at_level(logging.DEBUG, logger="sigopt_like"):
            for call in (
                lambda: conn.sessions.list(),
                lambda: conn.sessions(first.id).fetch(),
                lambda: conn.sessions.list(),
            ):
                with pytest.raises(ServerError) as refused:
                    call()
                said = refused.value.message
                assert refused.value.status == 500, said
                assert refused.value.code == "database_unreadable", said
                assert f"role {role} a read of table sessions" in said, said
                assert "ON ALL TABLES IN SCHEMA lab" in said, said
        assert [r.getMessage() for r in caplog.records if r.exc_info] == []
        warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warned) == 1 and f"role {role} a read of table sessions" in warned[0], warned
        admin_says(*_granted_back(said))
        assert conn.sessions(first.id).fetch().name == "robot-run-1"  # no restart needed


def test_a_served_role_refused_its_reads_answers_in_words_and_is_not_ready(pg_url: str) -> None:
    """Served with tokens, a role that loses SELECT: the token's own read (a point read,
    on the driver's connection) is the same 500 ``database_unreadable`` naming the table
    ``tokens``; ``/ready`` is a 503 ``database_unreadable`` in the same words. Before, a
    500 "internal" and a traceback, and ``/ready`` said "The database does not answer"
    though it did."""
    import falcon.testing

    from sigopt_like.service import create_app

    with _role_in_schema(pg_url, "lab") as (role, database, admin_says):
        service = create_app(database=database, auth_required=True, run_tasks=False)
        try:
            accounts = service.context.store.accounts
            user = accounts.create_user("operator@example.com", "a-long-enough-password")
            bearer = {"Authorization": f"Bearer {accounts.issue_token(user.id).token}"}
            client = falcon.testing.TestClient(service.app)
            assert client.simulate_get("/v1/sessions", headers=bearer).status_code == 200
            admin_says("REVOKE SELECT ON ALL TABLES IN SCHEMA {schema} FROM {role}")
            listed = client.simulate_get("/v1/sessions", headers=bearer)
            assert listed.status_code == 500, listed.text
            assert listed.json["code"] == "database_unreadable", listed.text
            assert f"role {role} a read of table tokens" in listed.json["message"], listed.text
            assert listed.json["detail"] == {"role": role, "table": "tokens", "schema": "lab"}
            ready = client.simulate_get("/ready")
            assert ready.status_code == 503, ready.text
            assert ready.json["code"] == "database_unreadable", ready.text
            assert "does not answer" not in ready.json["message"], ready.text
            assert "GRANT SELECT" in ready.json["message"], ready.text
        finally:
            service.close()


def test_a_service_loop_refused_its_reads_says_one_line_and_no_traceback(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An embedded service whose role loses SELECT: its look for queued tasks (a loop
    that retries on its own) says the refusal in one WARNING line, naming the GRANT, with
    no traceback. Before, an ERROR "looking for queued tasks failed; retrying" with a
    traceback (and then a line ending ".; retrying")."""
    import time

    from sigopt_like.service.task_processes import WATCH_SECONDS

    with (
        _role_in_schema(pg_url, "lab") as (role, database, admin_says),
        sigopt_like.Connection(database=database) as conn,
    ):
        conn.sessions.create(name="robot-run-1")
        with caplog.at_level(logging.WARNING, logger="sigopt_like"):
            admin_says("REVOKE SELECT ON ALL TABLES IN SCHEMA {schema} FROM {role}")
            time.sleep(2 * WATCH_SECONDS + 1)
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
    [said] = [r.getMessage() for r in caplog.records if "queued tasks" in r.getMessage()]
    assert f"refuses the role {role} a read of table tasks" in said, said
    assert "ON ALL TABLES IN SCHEMA lab" in said, said
    assert said.endswith(". No restart is needed; retrying"), said  # it was ".; retrying"


def test_a_role_that_loses_its_schema_is_told_where_its_tables_were(pg_url: str) -> None:
    """A real role whose USAGE on the schema of its tables (``lab``) is revoked while the
    service runs: PostgreSQL then shows it no such table. Each request that reads is a 500
    ``database_unreadable`` naming the schema the tables were in at the start and the
    GRANT, which mends it without a restart. Before, a 500 "internal" and a traceback."""
    with (
        _role_in_schema(pg_url, "lab") as (role, database, admin_says),
        sigopt_like.Connection(database=database, task_processes=0) as conn,
    ):
        first = conn.sessions.create(name="robot-run-1")
        admin_says("REVOKE USAGE ON SCHEMA {schema} FROM {role}")
        for call in (lambda: conn.sessions.list(), lambda: conn.sessions(first.id).fetch()):
            with pytest.raises(ServerError) as refused:
                call()
            said = refused.value.message
            assert refused.value.status == 500, said
            assert refused.value.code == "database_unreadable", said
            assert f"shows the role {role} no table sessions" in said, said
            assert "were in schema lab at its start" in said, said
        admin_says(*_granted_back(said))
        assert conn.sessions(first.id).fetch().name == "robot-run-1"  # no restart needed


def test_a_running_task_refused_a_read_goes_back_to_the_queue_in_one_line(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A real role that loses SELECT on ``sessions`` while a task runs (tables in schema
    ``lab``): the task goes back to the queue saying why, its runner logs one WARNING line
    naming the role, the table and the GRANT, with no traceback, and once the GRANT is run
    the task runs again to its end. Before, the task failed "unexpectedly: Unreadable"
    with a traceback in the log."""
    from sigopt_like.service import create_app
    from sigopt_like.service.task_kinds import default_handlers
    from sigopt_like.service.worker import TaskRunner
    from tests.campaign.conftest import Api

    handlers = default_handlers()
    space = handlers["space"]
    runs: list[int] = []

    with _role_in_schema(pg_url, "lab") as (role, database, admin_says):

        def refused_midway(context: object) -> object:
            runs.append(1)
            if len(runs) == 1:  # its administrator revokes a read as the task runs
                admin_says("REVOKE SELECT ON {schema}.sessions FROM {role}")
            return space(context)  # type: ignore[arg-type]

        with create_app(database=database, run_tasks=False) as service:
            api = Api(service)
            sid = api.session()
            task = api.queue_space(sid)
            runner = TaskRunner(
                service.context.store,
                service.settings,
                handlers={**handlers, "space": refused_midway},
                threads=0,
            )
            with caplog.at_level(logging.DEBUG, logger="sigopt_like"):
                assert runner.run_one()
            row = service.context.store.tasks.find(int(task["id"]))
            assert row is not None and row.status == "new", row
            assert "refused" in row.progress_message and "read" in row.progress_message, row
            assert f"role {role} a read of table sessions" in row.progress_message, row
            assert [r.getMessage() for r in caplog.records if r.exc_info] == []
            warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
            assert len(warned) == 1, warned
            assert f"role {role} a read of table sessions" in warned[0], warned
            assert "ON ALL TABLES IN SCHEMA lab" in warned[0], warned
            admin_says(*_granted_back(warned[0]))
            assert runner.run_one()
            done = api.get(f"/v1/sessions/{sid}/tasks/{task['id']}").body
            assert done["status"] == "success", done
            assert len(runs) == 2


#: run as the server's administrator: at the commit of the first claim (a deferred
#: trigger, so after every statement of the claim), the role loses SELECT on ``tasks``
#: but for the columns a requeue reads, so that its worker's read of the task it has just
#: claimed is refused, its requeue is stored, and no claim after it reads a task
_REVOKE_AT_FIRST_CLAIM = (
    "CREATE SCHEMA hooks",
    "CREATE TABLE hooks.once (armed boolean)",
    "INSERT INTO hooks.once VALUES (true)",
    """CREATE FUNCTION hooks.revoke_at_claim() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER AS $$
    BEGIN
        DELETE FROM hooks.once;
        IF FOUND THEN
            REVOKE SELECT ON {schema}.tasks FROM {role};
            GRANT SELECT (id, status, worker, version, attempts, heartbeat)
                ON {schema}.tasks TO {role};
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE CONSTRAINT TRIGGER revoke_at_claim AFTER UPDATE ON {schema}.tasks
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.status = 'running')
    EXECUTE FUNCTION hooks.revoke_at_claim()""",
)


def test_a_task_whose_read_is_refused_after_its_claim_says_the_refusal(
    pg_url: str, tmp_path: Path
) -> None:
    """A real ``sigopt-like worker`` whose role loses SELECT on ``tasks`` as it claims a
    task (at the claim's commit): the task goes back to the queue, its progress message
    the refusal's (the role, the table, the GRANT), not "the database did not answer",
    which sent its reader looking for an outage; granted back, the task runs to its end."""
    import os
    import signal
    import sys
    import time

    import sqlalchemy as sa

    from sigopt_like.service import create_app
    from tests.campaign.conftest import Api

    with _role_in_schema(pg_url, "lab") as (role, database, admin_says):
        with create_app(database=database, run_tasks=False) as service:
            api = Api(service)
            task = int(api.queue_space(api.session())["id"])
        admin_says(*_REVOKE_AT_FIRST_CLAIM)
        admin = sa.create_engine(pg_url)

        def task_row() -> sa.Row[tuple[str, str]]:
            with admin.connect() as sql:
                return sql.execute(
                    sa.text("SELECT status, progress_message FROM lab.tasks WHERE id = :id"),
                    {"id": task},
                ).one()

        def until(done: Callable[[], bool]) -> None:
            deadline = time.monotonic() + 60
            while not done():
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, (task_row(), log.read_text()[-3000:])
                time.sleep(0.2)

        log = tmp_path / "worker.log"
        command = [sys.executable, "-m", "sigopt_like", "worker", "--db", database]
        with open(log, "w") as out:
            proc = subprocess.Popen(
                [*command, "--threads", "1"],
                cwd=Path(__file__).resolve().parents[2],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            until(lambda: task_row().progress_message.startswith("requeued"))
            status, said = task_row()
            assert status == "new", said
            assert "did not answer" not in said, said
            assert said.startswith(
                "requeued: the database refused the service's role as its "
                "run began; it runs again once that is mended."
            ), said
            assert f"refuses the role {role} a read of table tasks" in said, said
            assert "ON ALL TABLES IN SCHEMA lab" in said, said
            admin_says("GRANT SELECT ON {schema}.tasks TO {role}")
            until(lambda: task_row().status == "success")
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
            admin.dispose()
    text = log.read_text()
    assert f"task {task} could not be read after its claim (" in text, text[-3000:]
    assert "Traceback" not in text, text[-3000:]


def test_a_claim_refused_for_want_of_select_is_a_refused_read(pg_url: str) -> None:
    """A claim is a ``SELECT ... FOR UPDATE``, which PostgreSQL refuses for want of
    SELECT as for want of UPDATE: a role that lost SELECT on ``tasks`` (its UPDATE kept)
    is told its read was refused (``database_unreadable``), and one that lost UPDATE (its
    SELECT kept) its write (``database_unwritable``). Before, both were a refused write,
    "reads go on", which sent its administrator to grant the wrong privilege."""
    from sigopt_like.service import create_app
    from sigopt_like.service.store.errors import Unreadable, Unwritable
    from sigopt_like.service.worker import TaskRunner
    from tests.campaign.conftest import Api

    with (
        _role_in_schema(pg_url, "lab") as (role, database, admin_says),
        create_app(database=database, run_tasks=False) as service,
    ):
        runner = TaskRunner(service.context.store, service.settings, threads=0)
        assert runner.claim() is None  # granted: nothing queued
        admin_says("REVOKE SELECT ON {schema}.tasks FROM {role}")
        with pytest.raises(Unreadable) as unread:
            runner.claim()
        assert f"role {role} a read of table tasks" in unread.value.message
        assert unread.value.detail == {"role": role, "table": "tasks", "schema": "lab"}
        admin_says("GRANT SELECT ON {schema}.tasks TO {role}")
        # a task queued: a claim looks for one in a read first, and writes only then
        api = Api(service)
        api.queue_space(api.session())
        admin_says("REVOKE UPDATE ON {schema}.tasks FROM {role}")
        with pytest.raises(Unwritable) as unwritten:
            runner.claim()
        assert f"refuses the writes of the role {role}" in unwritten.value.message


@pytest.mark.parametrize("schema", ["Lab Team", 'lab"x', "Lab", "lab\nx"])
def test_a_claim_refused_for_want_of_select_is_a_refused_read_in_any_schema(
    pg_url: str, schema: str
) -> None:
    """The same in a schema whose name holds a space, a quote, capitals or a line break:
    a role that lost SELECT on ``tasks`` is told its read was refused. The store knows
    its schema as a statement spells it (``"Lab Team"``, PostgreSQL's own quoting), so
    the role's SELECT is asked of ``"Lab Team".tasks``: quoted once more (three
    double quotes each side), the table is not found, the question fails, and the role would be told
    its writes were refused and that "reads go on"."""
    from sigopt_like.service import create_app
    from sigopt_like.service.store.errors import Unreadable
    from sigopt_like.service.worker import TaskRunner

    quoted = '"' + schema.replace('"', '""') + '"'
    with (
        _role_in_schema(pg_url, quoted) as (role, database, admin_says),
        create_app(database=database, run_tasks=False) as service,
    ):
        runner = TaskRunner(service.context.store, service.settings, threads=0)
        assert runner.claim() is None  # granted: nothing queued
        admin_says("REVOKE SELECT ON {schema}.tasks FROM {role}")
        with pytest.raises(Unreadable) as unread:
            runner.claim()
        assert f"role {role} a read of table tasks" in unread.value.message
        assert unread.value.detail == {"role": role, "table": "tasks", "schema": quoted}


def test_a_served_role_whose_connect_is_revoked_is_told_what_to_grant(pg_url: str) -> None:
    """A real role whose CONNECT on the database is revoked while the service runs (its
    sessions ended, so each request needs a new connection): each request is a 500
    ``database_unreadable`` naming the role, the database and the GRANT CONNECT, and
    ``/ready`` a 503 in the same words; running that GRANT mends it without a restart.
    Before, a 503 "The service's database does not answer (restarting or down); retry
    in a moment", retried by clients until their deadline, though it answered."""
    import falcon.testing
    import sqlalchemy as sa

    from sigopt_like.service import create_app

    name = sa.make_url(pg_url).database
    with _role_in_schema(pg_url, "lab") as (role, database, admin_says):
        service = create_app(database=database, auth_required=False, run_tasks=False)
        try:
            client = falcon.testing.TestClient(service.app)
            assert client.simulate_get("/v1/sessions").status_code == 200
            admin_says(
                f"REVOKE CONNECT ON DATABASE {name} FROM PUBLIC",
                f"REVOKE CONNECT ON DATABASE {name} FROM {{role}}",
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'",
            )
            for _ in range(2):
                listed = client.simulate_get("/v1/sessions")
                assert listed.status_code == 500, listed.text
                assert listed.json["code"] == "database_unreadable", listed.text
                said = listed.json["message"]
                assert f"refuses the role {role} a connection to database {name}" in said
                assert f"(GRANT CONNECT ON DATABASE {name} TO {role})" in said, said
                assert listed.json["detail"] == {"role": role, "database": name}, listed.text
            ready = client.simulate_get("/ready")
            assert ready.status_code == 503, ready.text
            assert ready.json["code"] == "database_unreadable", ready.text
            assert "GRANT CONNECT" in ready.json["message"], ready.text
            admin_says(f"GRANT CONNECT ON DATABASE {name} TO {{role}}")
            assert client.simulate_get("/v1/sessions").status_code == 200  # no restart
        finally:
            service.close()


def test_a_database_dropped_while_serving_is_said_so(pg_url: str) -> None:
    """The service's PostgreSQL database dropped while it serves (``DROP DATABASE ...
    WITH (FORCE)`` ends its sessions): each request is a 500 ``database_unreadable``
    saying the database no longer exists, and ``/ready`` a 503 in the same words. Before,
    a 503 "does not answer (restarting or down); retry in a moment", which clients
    retried until their deadline, and an outage logged, of a server that answered."""
    import falcon.testing
    import sqlalchemy as sa

    from sigopt_like.service import create_app

    url = sa.make_url(pg_url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    service = create_app(database=pg_url, auth_required=False, run_tasks=False)
    try:
        client = falcon.testing.TestClient(service.app)
        assert client.simulate_get("/v1/sessions").status_code == 200
        with admin.connect() as sql:
            sql.exec_driver_sql(f"DROP DATABASE {url.database} WITH (FORCE)")
        for answer in (
            client.simulate_get("/v1/sessions"),
            client.simulate_post("/v1/sessions", json={"name": "x"}),
        ):
            assert answer.status_code == 500, answer.text
            assert answer.json["code"] == "database_unreadable", answer.text
            said = answer.json["message"]
            assert f"database {url.database} no longer exists on its server" in said, said
        ready = client.simulate_get("/ready")
        assert ready.status_code == 503 and "no longer exists" in ready.json["message"]
    finally:
        service.close()
        admin.dispose()


def test_a_database_whose_name_has_a_space_is_named_whole_when_connect_is_revoked(
    pg_url: str,
) -> None:
    """Before: PostgreSQL's ``permission denied for database "lab db ..."`` was read up to
    its first space, so the 500 named database ``lab``, and its GRANT CONNECT another
    database; the same words at a start (``describe_opening_error``) too."""
    import falcon.testing
    import sqlalchemy as sa

    from sigopt_like.database_targets import describe_opening_error
    from sigopt_like.service import create_app
    from sigopt_like.service.store import open_store

    name = f"lab db {uuid.uuid4().hex[:6]}"
    url = sa.make_url(pg_url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as sql:
        sql.exec_driver_sql(f'CREATE DATABASE "{name}"')
    spaced = url.set(database=name).render_as_string(hide_password=False)
    try:
        with _role_in_schema(spaced, "lab") as (role, database, admin_says):
            service = create_app(database=database, auth_required=False, run_tasks=False)
            try:
                client = falcon.testing.TestClient(service.app)
                assert client.simulate_get("/v1/sessions").status_code == 200
                admin_says(
                    f'REVOKE CONNECT ON DATABASE "{name}" FROM PUBLIC',
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE usename = '{role}'",
                )
                listed = client.simulate_get("/v1/sessions")
                assert listed.status_code == 500, listed.text
                said = listed.json["message"]
                assert f"refuses the role {role} a connection to database {name} (" in said
                assert f'(GRANT CONNECT ON DATABASE "{name}" TO {role})' in said, said
                assert listed.json["detail"] == {"role": role, "database": name}, listed.text
                with pytest.raises(Exception) as opening:
                    open_store(database).close()
                line = describe_opening_error(opening.value, database)
                assert line is not None and f'DATABASE "{name}" TO {role})' in line, line
                admin_says(f'GRANT CONNECT ON DATABASE "{name}" TO {{role}}')  # as it says
                assert client.simulate_get("/v1/sessions").status_code == 200
            finally:
                service.close()
    finally:
        with admin.connect() as sql:
            sql.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.mark.parametrize("name", ["my t", 'my"t', "lab x.y", "audit\nlog"])
def test_a_table_whose_name_has_a_space_or_a_quote_is_named_whole(pg_url: str, name: str) -> None:
    """PostgreSQL's own words of a real table refused (printed bare: "permission denied
    for table my t") and of one it does not show (in its quotes: 'relation "my"t" does
    not exist'): the store reads each name whole. Before, the first was cut at its space
    (``my``) and the second at its inner quote (``my``); a line break cut the first and
    hid the second (``None``)."""
    import sqlalchemy as sa

    from sigopt_like.service.store.refusals import hidden_table, refused_table

    quoted = '"' + name.replace('"', '""') + '"'
    role = f"peek_{uuid.uuid4().hex[:8]}"  # roles are the server's, shared by the tests
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    peek = sa.create_engine(pg_url.replace("postgres@", f"{role}@", 1))
    try:
        with admin.connect() as sql:
            sql.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
            sql.exec_driver_sql(f"CREATE TABLE {quoted} (a int)")
        with peek.connect() as sql, pytest.raises(sa.exc.ProgrammingError) as refused:
            sql.exec_driver_sql(f"SELECT a FROM {quoted}")
        assert f"permission denied for table {name}" in str(refused.value.orig)
        assert refused_table(refused.value) == name
        with peek.connect() as sql, pytest.raises(sa.exc.ProgrammingError) as hidden:
            sql.exec_driver_sql(f'SELECT a FROM {quoted[:-1]} gone"')
        assert hidden_table(hidden.value) == f"{name} gone", str(hidden.value.orig)
    finally:
        peek.dispose()
        admin.dispose()


def test_a_refusal_whose_postgresql_message_holds_a_line_break_is_said_whole(
    pg_url: str,
) -> None:
    """PostgreSQL's words naming a schema with a line break in its name (``audit<LF>log``,
    where an administrator's trigger on ``sessions`` keeps its notes): the 507 of a write
    refused (no USAGE on that schema) and the 500 of a table gone (the notes' table
    dropped) give the driver's whole message on one line, the line break written
    ``\\n``. Before, both were cut at the line break: "permission denied for schema
    audit", a schema that does not exist."""
    with (
        _role_in_schema(pg_url, "lab") as (role, database, admin_says),
        sigopt_like.Connection(database=database, task_processes=0) as conn,
    ):
        audit = 'U&"audit\\000alog"'
        admin_says(
            f"CREATE SCHEMA {audit}",
            f"CREATE TABLE {audit}.entries (note text)",
            "CREATE FUNCTION public.note_session() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN INSERT INTO {audit}.entries VALUES (NEW.name); RETURN NEW; END $$",
            "CREATE TRIGGER noted AFTER INSERT ON {schema}.sessions "
            "FOR EACH ROW EXECUTE FUNCTION public.note_session()",
        )
        try:
            with pytest.raises(ServerError) as refused:
                conn.sessions.create(name="robot-run-1")
            said = refused.value.message
            assert refused.value.status == 507, said
            assert refused.value.code == "database_unwritable", said
            assert "(PostgreSQL: permission denied for schema audit\\nlog)" in said, said
            assert f"writes of the role {role}" in said, said
            assert "\n" not in said, said

            admin_says(f"GRANT USAGE ON SCHEMA {audit} TO {{role}}", f"DROP TABLE {audit}.entries")
            with pytest.raises(ServerError) as refused:
                conn.sessions.create(name="robot-run-2")
            said = refused.value.message
            assert refused.value.status == 500, said
            assert refused.value.code == "database_unreadable", said
            assert 'relation "audit\\nlog.entries" does not exist' in said, said
            assert "no table audit\\nlog.entries" in said and "\n" not in said, said
            assert refused.value.detail["table"] == "audit\nlog.entries", refused.value.detail
            assert [s.name for s in conn.sessions.list()] == []  # nothing stored
        finally:
            admin_says(
                "DROP TRIGGER noted ON {schema}.sessions",
                "DROP FUNCTION public.note_session()",
                f"DROP SCHEMA {audit} CASCADE",
            )


def test_a_served_role_whose_name_holds_a_line_break_is_named_on_one_line(
    pg_url: str,
) -> None:
    """A served role ``lab<LF>w ...`` whose INSERT is revoked, then its SELECT, then its
    USAGE on the schema: the 507 of a write, the 500 of a read and the 500 of tables it is
    shown no more each say the role on one line (its line break written ``\\n``), their
    GRANTs in the escaped form, and ``detail["role"]`` names it whole. Before, the
    messages printed the name as it is and its line break cut them in two."""
    import urllib.parse

    import falcon.testing

    from sigopt_like.service import create_app
    from sigopt_like.service.store import open_store
    from sigopt_like.service.store.migrate import SchemaOutOfReach

    tag = uuid.uuid4().hex[:6]  # roles are the server's, shared by the tests
    role, shown, escaped = f"lab\nw {tag}", f"role lab\\nw {tag}", f'U&"lab\\000aw {tag}"'
    schema = f"lw_{tag}"
    owner = f"owner_{tag}"
    with administrator(pg_url) as admin_says:
        admin_says(
            f"CREATE ROLE {owner} LOGIN",
            f"CREATE SCHEMA {schema} AUTHORIZATION {owner}",
            f"ALTER ROLE {owner} SET search_path = {schema}",
            f'CREATE ROLE "{role}" LOGIN',
            f'ALTER ROLE "{role}" SET search_path = {schema}',
        )
        open_store(pg_url.replace("postgres@", f"{owner}@", 1)).close()  # its tables
        admin_says(
            f'GRANT USAGE ON SCHEMA {schema} TO "{role}"',
            f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO "{role}"',
            f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO "{role}"',
        )
        served = pg_url.replace("postgres@", f"{urllib.parse.quote(role, safe='')}@", 1)
        service = create_app(database=served, auth_required=False, run_tasks=False)
        try:
            client = falcon.testing.TestClient(service.app)
            assert client.simulate_get("/v1/sessions").status_code == 200
            admin_says(f'REVOKE INSERT ON {schema}.sessions FROM "{role}"')
            written = client.simulate_post("/v1/sessions", json={"name": "x"})
            assert written.status_code == 507, written.text
            said = written.json["message"]
            assert "\n" not in said and f"the writes of the {shown} (" in said, said
            assert f"TO {escaped};" in said, said
            admin_says(f'REVOKE SELECT ON {schema}.sessions FROM "{role}"')
            read = client.simulate_get("/v1/sessions")
            assert read.status_code == 500, read.text
            assert read.json["code"] == "database_unreadable", read.text
            assert read.json["detail"]["role"] == role, read.text
            said = read.json["message"]
            assert "\n" not in said and f"refuses the {shown} a read of table" in said, said
            assert f"TO {escaped};" in said, said
            admin_says(
                f'GRANT SELECT, INSERT ON {schema}.sessions TO "{role}"',
                f'REVOKE USAGE ON SCHEMA {schema} FROM "{role}"',
            )
            hidden = client.simulate_get("/v1/sessions")
            assert hidden.status_code == 500, hidden.text
            assert hidden.json["detail"]["role"] == role, hidden.text
            said = hidden.json["message"]
            assert "\n" not in said and f"shows the {shown} no table" in said, said
        finally:
            service.close()
        with pytest.raises(SchemaOutOfReach) as out_of_reach:  # a new start, refused
            open_store(served)
        said = str(out_of_reach.value)
        assert "\n" not in said and f"of the {shown} holds a sigopt_like" in said, said
        assert f"TO {escaped};" in said, said


def test_a_database_and_a_role_whose_names_hold_a_line_break_are_named_whole(
    pg_url: str,
) -> None:
    """A database ``lab<LF>db ...`` whose CONNECT is revoked while the service serves it,
    then its role ``lab<LF>x ...`` made NOLOGIN: each request is a 500
    ``database_unreadable`` whose detail names the database, then the role, whole, and
    whose message says them on one line (the line break written ``\\n``), its GRANT
    CONNECT naming that very database. Before, PostgreSQL's words were read line by
    line: the database was named ``lab`` and the role was missed (``detail["role"]`` the
    URL's, the message cut)."""
    import urllib.parse

    import falcon.testing
    import sqlalchemy as sa

    from sigopt_like.service import create_app
    from sigopt_like.service.store import open_store

    tag = uuid.uuid4().hex[:6]
    name, role = f"lab\ndb {tag}", f"lab\nx {tag}"
    url = sa.make_url(pg_url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as sql:
        sql.exec_driver_sql(f'CREATE DATABASE "{name}"')
        sql.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
    owned = url.set(database=name)
    open_store(owned.render_as_string(hide_password=False)).close()  # its tables
    inside = sa.create_engine(owned, isolation_level="AUTOCOMMIT")
    with inside.connect() as sql:
        sql.exec_driver_sql(
            f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"'
        )
        sql.exec_driver_sql(f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
    inside.dispose()
    served = owned.render_as_string(hide_password=False).replace(
        "postgres@", f"{urllib.parse.quote(role, safe='')}@", 1
    )
    ends = f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"
    service = create_app(database=served, auth_required=False, run_tasks=False)
    try:
        client = falcon.testing.TestClient(service.app)
        assert client.simulate_get("/v1/sessions").status_code == 200
        with admin.connect() as sql:
            sql.exec_driver_sql(f'REVOKE CONNECT ON DATABASE "{name}" FROM PUBLIC')
            sql.exec_driver_sql(ends)
        listed = client.simulate_get("/v1/sessions")
        assert listed.status_code == 500, listed.text
        assert listed.json["code"] == "database_unreadable", listed.text
        assert listed.json["detail"] == {"role": role, "database": name}, listed.text
        said = listed.json["message"]
        assert "\n" not in said, said
        assert f"a connection to database lab\\ndb {tag} (PostgreSQL: permission" in said
        assert f'(GRANT CONNECT ON DATABASE U&"lab\\000adb {tag}" TO U&"lab\\000ax {tag}")' in said

        with admin.connect() as sql:
            sql.exec_driver_sql(f'GRANT CONNECT ON DATABASE "{name}" TO PUBLIC')
            sql.exec_driver_sql(f'ALTER ROLE "{role}" NOLOGIN')
            sql.exec_driver_sql(ends)
        for answer in (
            client.simulate_get("/v1/sessions"),
            client.simulate_post("/v1/sessions", json={"name": "x"}),
        ):
            assert answer.status_code == 500, answer.text
            assert answer.json["code"] == "database_unreadable", answer.text
            assert answer.json["detail"]["role"] == role, answer.text
            said = answer.json["message"]
            assert "\n" not in said, said
            assert f'role "lab\\nx {tag}" is not permitted to log in' in said, said
            assert f'ALTER ROLE U&"lab\\000ax {tag}" PASSWORD' in said, said
        with admin.connect() as sql:
            sql.exec_driver_sql(f'ALTER ROLE "{role}" LOGIN')
        assert client.simulate_get("/v1/sessions").status_code == 200  # nothing was stored
        assert client.simulate_get("/v1/sessions").json["data"] == []
    finally:
        service.close()
        with admin.connect() as sql:
            sql.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
            sql.exec_driver_sql(f'DROP ROLE "{role}"')
        admin.dispose()

"""The database file made unwritable while the service uses it (``chattr +i``: what a
read-only file system or a file locked by an administrator does to an open file): every
write is a 507 ``database_unwritable`` that says what to do and stores nothing, with no
traceback in the log, and writes work again once the file is writable. Before, a 500
"internal" ("The service failed to store this request's result") and a traceback.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import sigopt_like
from sigopt_like.errors import ServerError

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

    import sqlalchemy as sa

    from sigopt_like.service.store import open_store

    open_store(pg_url).close()  # the schema, made by its owner
    role = f"writer_{uuid.uuid4().hex[:8]}"  # roles are the server's, shared by the tests
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")

    def admin_says(*statements: str) -> None:
        with admin.connect() as sql:
            for statement in statements:
                sql.exec_driver_sql(statement.format(role=role))

    tables = "ALL TABLES IN SCHEMA public"
    try:
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
    finally:
        admin.dispose()

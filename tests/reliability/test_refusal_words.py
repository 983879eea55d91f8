"""The words of the store's refusals (``store/refusals.py``, pure functions of an error)
and the worker's words around them: each names the mend that fits what was refused, in
statements PostgreSQL takes as printed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import psycopg
import pytest

from sigopt_like.service import create_app
from sigopt_like.service.store.database import _from_driver
from sigopt_like.service.store.refusals import (
    connect_grant,
    connection_refused,
    create_grant,
    credentials_refused,
    grants_needed,
    identifier,
)
from sigopt_like.service.task_kinds import default_handlers
from sigopt_like.service.worker import TaskRunner
from tests.campaign.conftest import Api


def _refused(said: str) -> psycopg.OperationalError:
    """A new connection refused, in psycopg's words."""
    return psycopg.OperationalError(
        f"connection failed: connection to server failed: FATAL:  {said}"
    )


def test_a_password_refused_is_told_to_mend_the_password() -> None:
    refusal = credentials_refused(_refused('password authentication failed for user "lab"'), None)
    assert refusal is not None
    assert "ALTER ROLE lab PASSWORD" in refusal.message, refusal.message
    assert refusal.detail == {"role": "lab", "method": "password"}


@pytest.mark.parametrize("method", ["GSSAPI", "LDAP", "certificate", "Peer", "Ident", "PAM"])
def test_another_methods_refusal_is_not_told_to_change_a_password(method: str) -> None:
    """Before: every "<method> authentication failed" was told the role's password had
    changed, and to start the service with its current one or ALTER ROLE ... PASSWORD."""
    said = f'{method} authentication failed for user "lab"'
    refusal = credentials_refused(_refused(said), "other")
    assert refusal is not None
    assert "PASSWORD" not in refusal.message and "password" not in refusal.message.lower()
    assert f"the server's authentication ({method}) refused role lab" in refusal.message
    assert "pg_hba.conf" in refusal.message and said in refusal.message
    assert refusal.detail == {"role": "lab", "method": method}  # as the server said it


def test_a_role_whose_name_needs_quotes_is_named_so_in_the_statements() -> None:
    """Before: a role ``Lab-X`` was printed bare (``ALTER ROLE Lab-X PASSWORD``), a
    statement PostgreSQL refuses; ``Lab`` bare names the role ``lab``."""
    said = 'password authentication failed for user "Lab-X"'
    refusal = credentials_refused(_refused(said), None)
    assert refusal is not None
    assert 'ALTER ROLE "Lab-X" PASSWORD' in refusal.message, refusal.message
    assert "role Lab-X (" in refusal.message  # the prose names it as PostgreSQL did
    assert connect_grant("Lab-X", "Lab db") == 'GRANT CONNECT ON DATABASE "Lab db" TO "Lab-X"'
    assert create_grant('a"b', "Lab") == 'GRANT USAGE, CREATE ON SCHEMA "Lab" TO "a""b"'
    assert "TO user;" not in grants_needed("user", "lab")  # a keyword: quoted
    assert grants_needed("user", "lab").startswith('GRANT USAGE ON SCHEMA lab TO "user";')
    assert connect_grant("lab_1", "t0a") == "GRANT CONNECT ON DATABASE t0a TO lab_1"
    assert identifier("<role>") == "<role>"  # the role not known: left as a placeholder
    denied = connection_refused(_refused('permission denied for database "Lab-db"'), None)
    assert denied is not None
    assert '(GRANT CONNECT ON DATABASE "Lab-db" TO <role>)' in denied.message, denied.message


class _PoolTimeout(psycopg.OperationalError):
    """As psycopg_pool's PoolTimeout: a subclass of psycopg's, of a module of its own."""


_PoolTimeout.__module__ = "psycopg_pool"


def test_only_the_drivers_own_errors_are_read_unwrapped() -> None:
    """Before: ``startswith("psycopg")`` took psycopg_pool's errors for the driver's."""
    assert _from_driver(psycopg.OperationalError("x"))
    assert _from_driver(psycopg.errors.UndefinedTable("x"))
    assert not _from_driver(_PoolTimeout("x"))
    assert not _from_driver(RuntimeError("x"))


def test_a_task_whose_connection_is_refused_through_its_runs_is_not_said_refused_a_read(
    tmp_path: Path,
) -> None:
    """Before: a task whose every run met its role's credentials refused failed "the
    service's database refused it a read through 1 runs", which sent its reader to the
    role's SELECT."""
    handlers = default_handlers()

    def refused(context: Any) -> Any:
        cause = _refused('password authentication failed for user "lab"')
        refusal = credentials_refused(cause, None)
        assert refusal is not None
        raise refusal from cause

    with create_app(database=str(tmp_path / "db.sqlite"), run_tasks=False) as service:
        api = Api(service)
        sid = api.session()
        task = api.queue_space(sid)
        runner = TaskRunner(
            service.context.store,
            attrs.evolve(service.settings, task_max_attempts=1),
            handlers={**handlers, "space": refused},
            threads=0,
        )
        assert runner.run_one()
        done = api.get(f"/v1/sessions/{sid}/tasks/{task['id']}").body
    assert done["status"] == "failed", done
    said = done["progress"]["message"]
    assert said.startswith(
        "space could not run: the service's database refused it through 1 runs"
    ), said
    assert "a read" not in said.split(". ")[0], said

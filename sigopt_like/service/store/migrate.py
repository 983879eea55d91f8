"""Bringing a database to this release's schema, with Alembic's migrations.

Opening a database at the current revision costs one read (Alembic is not even
imported). A new, empty database gets every table at once and is stamped at
the head revision. A database of an older release is migrated step by step by
Alembic (``migrations/versions``); one made by 0.1.0, which predates Alembic,
is recognised by ``meta.schema_version = 1`` and migrated from revision 0001.
A database of a newer release is refused. Writers are serialised while
migrating (SQLite's write lock; a PostgreSQL advisory lock).

Changing the schema: edit ``schema.py`` AND add a revision in
``migrations/versions`` (``alembic -c sigopt_like/service/store/migrations/alembic.ini
revision -m "..."``), append it to :data:`REVISIONS`, and record its number in
``meta.schema_version``. ``tests/store/test_migrations.py`` checks that the
migrated schema equals ``schema.py`` on SQLite and PostgreSQL.
"""

from __future__ import annotations

import time

import sqlalchemy as sa

from ...database_targets import UnusableDatabase, on_one_line
from . import schema
from .database import WRITE_OPTION
from .refusals import grants_needed, one_line_identifier

#: every revision in order; the last is the head this release writes
REVISIONS = (
    "0001",
    "0002",
    "0003",
    "0004",
    "0005",
    "0006",
    "0007",
    "0008",
    "0009",
    "0010",
    "0011",
    "0012",
    "0013",
    "0014",
    "0015",
    "0016",
    "0017",
    "0018",
)
HEAD = REVISIONS[-1]
SCHEMA_VERSION = len(REVISIONS)
SCRIPTS = "sigopt_like.service.store:migrations"
LOCAL_USER_EMAIL = "local@localhost"
_PG_LOCK = 7_313_245_771  # pg_advisory_xact_lock key: "migrating sigopt_like"

#: Alembic's own version table, as Alembic creates it
version_table = sa.Table(
    "alembic_version",
    sa.MetaData(),
    sa.Column("version_num", sa.String(32), nullable=False),
    sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


class SchemaTooNew(RuntimeError):
    """The database was written by a newer release of sigopt_like."""


class SchemaOutOfReach(UnusableDatabase):
    """A sigopt_like database is in a schema of the role's search_path that the role may
    not use: its tables are not made anew in the next schema."""


#: the schemas holding a ``meta`` table that the role connected may not use; pg_catalog,
#: not information_schema, which hides from a role what it may not use
_HIDDEN_DATABASES = (
    "SELECT n.nspname, quote_ident(n.nspname), current_user, "
    "current_setting('search_path') FROM pg_catalog.pg_namespace n "
    "JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid "
    "WHERE c.relname = 'meta' AND c.relkind IN ('r', 'p') "
    "AND NOT has_schema_privilege(n.oid, 'USAGE')"
)


def current_revision(conn: sa.Connection) -> str | None:
    """The revision recorded in the database, or None if it has none."""
    if not sa.inspect(conn).has_table(version_table.name):
        return None
    return conn.execute(sa.select(version_table.c.version_num)).scalar()


def prepare(engine: sa.Engine) -> None:
    """Bring the database to :data:`HEAD` (see the module docstring)."""
    with engine.connect() as conn:
        if _at_head(conn):
            return
    with engine.connect() as conn, conn.execution_options(**{WRITE_OPTION: True}).begin():
        if conn.dialect.name == "postgresql":
            # a migration's data steps work in Python between statements, for as long as
            # the data takes: the idle-in-transaction timeout (db.py) would end it part
            # way, rolled back and begun again at every start
            conn.exec_driver_sql("SET LOCAL idle_in_transaction_session_timeout = 0")
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_LOCK)))
        revision = current_revision(conn)
        if revision is None and not _is_release_0_1(conn):
            _refuse_a_database_out_of_reach(conn)
            if _has_tables(conn):
                raise RuntimeError(
                    "The database has tables but no sigopt_like schema revision; "
                    "it is not a sigopt_like database (or not one this release can read)."
                )
            schema.metadata.create_all(conn)
            _stamp(conn, HEAD)
        elif revision != HEAD:
            if revision is not None and revision not in REVISIONS:
                raise SchemaTooNew(
                    f"The database has schema revision {revision}, newer than this release "
                    f"understands ({HEAD}); upgrade sigopt_like."
                )
            if revision is None:  # made by 0.1.0, before migrations existed
                _stamp(conn, REVISIONS[0])
            upgrade(conn)
        _seed(conn)


def upgrade(conn: sa.Connection, target: str = "head") -> None:
    """Run Alembic's migrations on ``conn`` (inside its transaction) up to ``target``."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPTS)
    config.attributes["connection"] = conn
    command.upgrade(config, target)


def _at_head(conn: sa.Connection) -> bool:
    try:
        return current_revision(conn) == HEAD
    finally:
        conn.rollback()


def _refuse_a_database_out_of_reach(conn: sa.Connection) -> None:
    """Refuse (:class:`SchemaOutOfReach`) when a schema of the role's search_path that
    the role may not use (its USAGE revoked) holds a sigopt_like database. PostgreSQL
    skips such a schema: before, the service's tables were made anew, empty, in the next
    one (``public``), and the operator's data seemed gone while new data went there."""
    if conn.dialect.name != "postgresql":
        return
    for name, quoted, role, search_path in conn.exec_driver_sql(_HIDDEN_DATABASES):
        if name in _search_path_schemas(search_path, role):
            raise SchemaOutOfReach(
                f"schema {one_line_identifier(quoted)} of the search_path "
                f"({on_one_line(search_path)}) of the role {on_one_line(role)} holds "
                "a sigopt_like database, but the role may not use that schema: nothing was "
                "made in another schema; its administrator grants it that "
                f"({grants_needed(role, quoted)}), or sets the role's search_path to the "
                "schema it is to use"
            )


def _search_path_schemas(search_path: str, role: str) -> list[str]:
    """The schema names of a ``search_path`` setting (``"$user"`` is ``role``)."""
    names = []
    for item in search_path.split(","):
        name = item.strip()
        if len(name) > 1 and name.startswith('"') and name.endswith('"'):
            name = name[1:-1].replace('""', '"')
        else:
            name = name.lower()  # PostgreSQL folds an unquoted name
        names.append(role if name == "$user" else name)
    return names


def _has_tables(conn: sa.Connection) -> bool:
    return bool(sa.inspect(conn).get_table_names())


def _is_release_0_1(conn: sa.Connection) -> bool:
    if not sa.inspect(conn).has_table(schema.meta.name):
        return False
    version = conn.execute(
        sa.select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")
    ).scalar()
    return version == "1"


def _stamp(conn: sa.Connection, revision: str) -> None:
    version_table.create(conn, checkfirst=True)
    conn.execute(sa.delete(version_table))
    conn.execute(sa.insert(version_table).values(version_num=revision))


def _seed(conn: sa.Connection) -> None:
    """The schema number (for /ready) and the local user that owns embedded data."""
    meta = schema.meta
    number = str(SCHEMA_VERSION)
    found = conn.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
    if found is None:
        conn.execute(sa.insert(meta).values(key="schema_version", value=number))
    elif found != number:
        conn.execute(sa.update(meta).where(meta.c.key == "schema_version").values(value=number))
    users = schema.users
    if conn.execute(sa.select(users.c.id).where(users.c.email == LOCAL_USER_EMAIL)).first() is None:
        conn.execute(sa.insert(users).values(email=LOCAL_USER_EMAIL, created=int(time.time())))

"""Which database a command uses, and checks that say what is wrong before opening it.

One rule for every command and for ``Connection()``: ``--db``, else
``$SIGOPT_LIKE_DATABASE``, else the config file's ``database``, else the file
in the user's data folder. Only that last, default place has its folder made
for it: a folder named by the user that does not exist is a mistake to report,
not to create.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import click

from .errors import POSTGRES_EXTRA, CommandError, redact_url

SQLITE_MAGIC = b"SQLite format 3\x00"
#: the driver module each PostgreSQL dialect imports.
POSTGRES_DRIVERS = {"": "psycopg2", "psycopg": "psycopg", "psycopg2": "psycopg2"}


def configured_target() -> str | None:
    """The database named by the environment or the config file, if any."""
    from ..config import resolve_config

    return resolve_config().database


def default_target() -> str:
    """The database used when ``--db`` is not given."""
    from ..config import default_database_path

    return configured_target() or str(default_database_path())


def choose(db: str | None) -> str:
    """The database a command opens, checked (see :func:`check`)."""
    if db is not None and not db.strip():  # before: the default database, silently
        raise click.UsageError(
            "--db is empty: name a SQLite file or a database URL, or leave --db out "
            "for the default database"
        )
    if db:
        return check(db, made_for_you=False)
    named = configured_target()
    if named:
        return check(named, made_for_you=False)
    return check(default_target(), made_for_you=True)


def existing(target: str, *, what: str) -> str:
    """``target`` (from :func:`choose`), refused when it cannot be a database that another
    process already uses: a SQLite file that does not exist yet (a mistyped path became
    a new, empty database: an empty dashboard, a worker waiting for tasks that never
    come) or an in-memory one (each process has its own). ``what`` says who needs it."""
    file = (
        target.split("://", 1)[1][1:].split("?", 1)[0] if target.startswith("sqlite://") else target
    )
    if "://" in target and not target.startswith("sqlite://"):
        return target  # a server's database: it exists if it can be reached
    if file in ("", ":memory:"):
        raise CommandError(
            f"{what} needs a database other processes use; an in-memory one is its own "
            "process's: name the file your scripts or 'sigopt-like serve' use"
        )
    if not Path(file).is_file():
        raise CommandError(
            f"no database at {file}: {what} needs an existing one; name the file your "
            "scripts or 'sigopt-like serve' use (--db or $SIGOPT_LIKE_DATABASE)"
        )
    return target


def check(target: str, *, made_for_you: bool) -> str:
    """``target`` if it can be opened as a database; CommandError saying why not.

    A SQLite path must not be a folder, its folder must exist (unless it is the
    default place, ``made_for_you``), and an existing file must be a SQLite
    database. A PostgreSQL URL needs its driver installed.
    """
    if target == ":memory:":
        return target
    if "://" in target:
        scheme, _, rest = target.partition("://")
        dialect, _, driver = scheme.partition("+")
        if dialect == "sqlite":
            file = rest.removeprefix("/").split("?", 1)[0]
            if file in ("", ":memory:") or file.startswith(("file:", ":memory:")):
                return target
            hint = ""
            if not file.startswith("/") and Path("/" + file).parent.is_dir():
                # sqlite:///tmp/x.db is tmp/x.db, in the current folder (SQLAlchemy's rule)
                hint = f" (sqlite:/// names a file in the current folder: for /{file} write sqlite:////{file})"
            _check_file(file, shown=target, made_for_you=made_for_you, hint=hint)
            return target
        if dialect not in ("postgresql", "postgres"):
            raise CommandError(
                f"the database {redact_url(target)} is neither a SQLite file nor PostgreSQL: "
                "name a file (--db ~/doe.sqlite3) or a postgresql+psycopg://... URL"
            )
        if dialect == "postgres":  # SQLAlchemy 1.4 dropped it: "Can't load plugin" before
            raise CommandError(
                f"the database {redact_url(target)} starts with postgres://, which SQLAlchemy "
                f"does not read: write {redact_url('postgresql+psycopg://' + rest)}"
            )
        module = POSTGRES_DRIVERS.get(driver, driver)
        if not driver and importlib.util.find_spec(module) is None and _installed("psycopg"):
            # postgresql:// means psycopg2 to SQLAlchemy; the extra installs psycopg (3)
            raise CommandError(
                f"the database {redact_url(target)} asks for the {module!r} driver, which is "
                "not installed; the installed one is psycopg: write the URL as "
                f"{redact_url('postgresql+psycopg://' + rest)}"
            )
        if importlib.util.find_spec(module) is None:
            raise CommandError(
                f"the database {redact_url(target)} is PostgreSQL, and its driver "
                f"{module!r} is not installed: {POSTGRES_EXTRA} "
                "(and write the URL as postgresql+psycopg://...)"
            )
        return target
    return _check_file(target, shown=target, made_for_you=made_for_you)


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _check_file(target: str, *, shown: str, made_for_you: bool, hint: str = "") -> str:
    """The SQLite file ``target`` (expanded), checked as :func:`check` says."""
    path = Path(target).expanduser()
    if path.is_dir():
        raise CommandError(
            f"the database {shown} is a folder; name a file in it, "
            f"e.g. --db {path / 'sigopt-like.db'}"
        )
    if path.exists() and not path.is_file():  # /dev/null: "disk I/O error" before
        raise CommandError(
            f"the database {shown} is not a regular file (a device or a pipe); name a file"
        )
    if not path.parent.is_dir():
        if not made_for_you:
            raise CommandError(
                f"the database's folder {path.parent} does not exist; create it first "
                f"(mkdir -p {path.parent}) or name another file{hint}"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file() and path.stat().st_size > 0:
        with open(path, "rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
        if head != SQLITE_MAGIC:
            raise CommandError(
                f"{shown} is not a sigopt-like database (not a SQLite file); "
                "name a new file, or the database that serve uses"
            )
    return os.fspath(path)

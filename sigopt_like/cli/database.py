"""Which database a command uses, and checks that say what is wrong before opening it.

One rule for every command and for ``Connection()``: ``--db``, else
``$SIGOPT_LIKE_DATABASE``, else the config file's ``database``, else the file
in the user's data folder. Only that last, default place has its folder made
for it: a folder named by the user that does not exist is a mistake to report,
not to create.
"""

from __future__ import annotations

import click

from .. import database_targets
from .errors import CommandError


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


def refusing_writes(err: Exception, target: str) -> str | None:
    """One line for the start of a server or a worker on a database that takes no write
    (``Store.check_writes``: a read-only file, folder or file system), naming it and
    saying what to do, as the other commands say it; None if ``err`` is not that."""
    from ..database_targets import describe_opening_error
    from ..service.store.errors import Unwritable

    if isinstance(err, Unwritable) and err.__cause__ is not None:
        return describe_opening_error(err.__cause__, target)
    return describe_opening_error(err, target)


def existing(target: str, *, what: str) -> str:
    """``target`` (from :func:`choose`) if it can be a database that another process
    already uses (see :func:`sigopt_like.database_targets.shared`); CommandError if not."""
    try:
        return database_targets.shared(target, what=what)
    except database_targets.UnusableDatabase as err:
        raise CommandError(str(err)) from None


def check(target: str, *, made_for_you: bool) -> str:
    """``target`` if it can be opened as a database (see
    :func:`sigopt_like.database_targets.check`); CommandError saying why not."""
    try:
        return database_targets.check(target, made_for_you=made_for_you)
    except database_targets.UnusableDatabase as err:
        raise CommandError(str(err)) from None

"""Whether a database can be opened, said in one line before anything opens it.

The command line (``--db``) and the WSGI factory (``application(database=...)``, which
gunicorn loads) take the same targets and must say the same sentence about a wrong one;
this module is that one definition. It is a pure module, like :mod:`sigopt_like.config`,
so that both can import it: the service must not import the command line.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import urllib.parse
from pathlib import Path

from . import url_redaction
from ._constants import MEMORY_DATABASES

POSTGRES_EXTRA = "pip install 'sigopt_like[postgres]'"
SQLITE_MAGIC = b"SQLite format 3\x00"
#: the driver module each PostgreSQL dialect imports.
POSTGRES_DRIVERS = {"": "psycopg2", "psycopg": "psycopg", "psycopg2": "psycopg2"}


class UnusableDatabase(ValueError):
    """A database target that cannot be opened; the message says why and what to write."""


#: a ``%`` that is not a percent-escape (two hex digits must follow it)
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def quoted(name: object) -> str:
    """A file's name or path in a one-line message: as written, or quoted whole as Python
    writes a string (``'a\\nb.db'``) when it holds a line break or another character
    that does not print. Before, a SQLite path with a line break split the message."""
    text = str(name)
    return text if text.isprintable() else repr(text)


def shell_word(name: object) -> str:
    """A file's name or path as one word a shell reads back as it is, for a command a
    message advises: ``shlex.quote``'s when it prints (any POSIX shell), else the ANSI-C
    form ``$'/tmp/a\\nb'``, which stays on the message's one line and which bash, zsh and
    ksh read (POSIX.1-2024's sh too; dash does not yet). Before, the advice wrote Python's
    ``'/tmp/a\\nb'``, which bash takes as a backslash and an ``n``. A relative name that
    begins with ``-`` is written ``./-q``, so that the command does not read it as an
    option (``mkdir -p -q/z`` said "invalid option -- 'q'")."""
    text = str(name)
    if text.startswith("-"):
        text = "./" + text
    if text.isprintable():
        return shlex.quote(text)
    out = []
    for char in text:
        if char in "\\'":
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        else:  # each byte the file system gets, so a control or surrogate escape is exact
            out.extend(f"\\x{byte:02x}" for byte in os.fsencode(char))
    return "$'" + "".join(out) + "'"


def redact_database_url(text: str) -> str:
    """A database URL (or a message quoting one) with its secrets hidden
    (:func:`sigopt_like.url_redaction.redact_url`), its client key's file (``?sslkey=``)
    shown for the person to check it."""
    return url_redaction.redact_url(text, key_files_shown=True)


def _named(target: str) -> str:
    """A database in a message: its password hidden, quoted whole if it does not print."""
    return quoted(redact_database_url(target))


def first_line(err: BaseException) -> str:
    """The first line of what ``err`` says (of the driver's error, for a SQLAlchemy one,
    whose own text adds the statement and a link); its type's name if it says nothing.

    A PostgreSQL error's first line is its whole primary message (the driver's
    ``diag.message_primary``), a line break in it written ``\\n``: before, a schema
    named with a line break ("permission denied for schema lab<LF>x") was cut at it,
    and the hint named schema ``lab``."""
    cause = getattr(err, "orig", None) or err
    primary = getattr(getattr(cause, "diag", None), "message_primary", None)
    if isinstance(primary, str) and primary.strip():
        return on_one_line(primary.strip())
    text = str(cause).strip()
    return text.splitlines()[0] if text else type(err).__name__


#: how a control character of a database's message is written on its one line
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def on_one_line(text: str) -> str:
    """``text`` with its line breaks and other control characters escaped (``\\n``), for
    a one-line message."""
    return _CONTROL.sub(
        lambda found: _ESCAPES.get(found.group(), f"\\u{ord(found.group()):04x}"), text
    )


def describe_opening_error(err: BaseException, target: str | None = None) -> str | None:
    """One line for an error met while opening a database (a missing driver, one the
    server refused, a file it cannot read), naming ``target`` if given; None if ``err``
    is not one of those."""
    if isinstance(err, ModuleNotFoundError) and (err.name or "").startswith("psycopg"):
        return f"a PostgreSQL database needs the psycopg driver: {POSTGRES_EXTRA}"
    named = f" {_named(target)}" if target else ""
    if isinstance(err, UnusableDatabase):  # the store's own refusal at its opening
        return f"cannot use the database{named}: {err}"
    if type(err).__module__.startswith("sqlalchemy"):
        said = redact_database_url(first_line(err))
        hint = _privilege_hint(err, target) or _unwritable_hint(said, target)
        return f"cannot use the database{named}: {said}{hint}"
    if isinstance(err, OSError):
        where = f": {err.filename}" if err.filename else ""
        return f"{err.strerror or err}{where}"
    return None


#: what PostgreSQL says of a schema a role may not make a table in (or look into): the
#: name as it is, unquoted, to the end of its line (``lab x`` was cut at its space, so the
#: hint named schema ``lab`` and its GRANT another schema)
_DENIED_SCHEMA = re.compile(r"permission denied for schema (.+)", re.DOTALL)


def _primary_message(err: BaseException) -> str:
    """What ``err`` says, whole: the driver's primary message of a PostgreSQL error (a
    name in it may hold a line break), else its first line."""
    cause = getattr(err, "orig", None) or err
    primary = getattr(getattr(cause, "diag", None), "message_primary", None)
    return primary if isinstance(primary, str) and primary.strip() else first_line(err)


def _privilege_hint(err: BaseException, target: str | None) -> str:
    """What to do about a PostgreSQL role that may not do what was asked (one granted only
    SELECT, refused at ``serve``'s or ``worker``'s write check, or ``users create``'s
    write): PostgreSQL's words alone, "permission denied for table meta", said neither
    what the service needs nor what to grant, of a table the role could read. The GRANTs
    are the run-time refusals' (:func:`~.service.store.refusals.grants_needed`), in the
    schema the store finds its tables in (:func:`~.service.store.db.schema_of`): before,
    no schema and no GRANT were named, and a GRANT on ``public`` did nothing for tables
    in another schema. A schema the role may not make the tables in, at a first use,
    is said so, with the GRANT that lets it: it was told to grant it SELECT, INSERT,
    UPDATE and DELETE on tables that did not exist. A role that may not connect to the
    database (its CONNECT revoked) is given the GRANT CONNECT."""
    from .service.store.db import schema_of
    from .service.store.refusals import (  # the store's words
        connect_grant,
        create_grant,
        denied_database,
        grants_needed,
        identifier,
        is_privilege_error,
    )

    user = urllib.parse.urlsplit(target).username if target and "://" in target else None
    grantee = urllib.parse.unquote(user) if user else None
    # a line break in the URL's role cut the one line in two: written ``\n``, as
    # PostgreSQL's own words of it are (:func:`first_line`)
    role = f"the role {on_one_line(grantee)}" if grantee else "this role"
    database = denied_database(err)
    if database is not None:  # its CONNECT revoked: PostgreSQL's words alone before
        grant = connect_grant(grantee or "<role>", database)
        return f"; {role} may not connect to it: its administrator grants it that ({grant})"
    if not is_privilege_error(err):
        return ""
    denied = _DENIED_SCHEMA.search(_primary_message(err))
    if denied:  # making its tables, at a first use, in a schema it may not create in
        named = denied.group(1)
        shown = named if named.isprintable() else identifier(named)  # a line break: escaped
        return (
            f"; {role} may not make the service's tables in schema {shown}, the "
            "first of its search_path, at this first use of the database: grant it that "
            f"({create_grant(grantee or '<role>', named)}), or make them once as "
            "a role that may (any command run as it), then grant this one what the "
            "service needs there"
        )
    schema = (schema_of(target) if target else None) or "public"
    return (
        f"; {role} lacks a privilege the service needs (it reads and writes every table): "
        "grant it SELECT, INSERT, UPDATE and DELETE on the database's tables and USAGE on "
        f"its sequences ({grants_needed(grantee or '<role>', schema)}), or connect as the "
        "role that owns them"
    )


def _unwritable_hint(said: str, target: str | None) -> str:
    """What to do about a SQLite file that cannot be written, where SQLite's words leave it
    out: before, a read-only file was only "attempt to write a readonly database", and a
    new file in a folder this user cannot write, or a file in a folder that takes no new
    file, "unable to open database file"."""
    if target is None or "://" in target or target in MEMORY_DATABASES:
        return ""
    path = Path(target).expanduser()
    folder = path.parent
    if said == "attempt to write a readonly database":
        return (
            f"; make it writable, and its folder {quoted(folder)} too (SQLite writes its -wal and "
            "-shm files there), or give a database this user can write"
        )
    unwritable_folder = folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK)
    if said == "unable to open database file" and unwritable_folder and not path.exists():
        return f"; its folder {quoted(folder)} is not writable for this user: name a file elsewhere"
    if said == "unable to open database file" and folder.is_dir() and not path.exists():
        # a folder that takes no new file whoever asks (/proc, /sys): before, SQLite's
        # words alone, which say neither why nor what to do
        return f"; its folder {quoted(folder)} takes no new file: name a file elsewhere"
    if said == "unable to open database file" and path.is_file():
        # the file is there; its -wal and -shm files cannot be made beside it (a folder
        # made immutable or read-only, a read-only mount): SQLite's words alone before
        return (
            "; the file is there, but SQLite must also make its -wal and -shm files beside "
            f"it: make its folder {quoted(folder)} writable for this user (and the file readable "
            "and writable), or copy the database into a folder that is"
        )
    return ""


def check(target: str, *, made_for_you: bool, option: str = "--db ") -> str:
    """``target`` if it can be opened as a database; UnusableDatabase saying why not.

    A SQLite path must not be a folder, its folder must exist (unless it is the
    default place, ``made_for_you``), and an existing file must be a SQLite
    database. A PostgreSQL URL needs its driver installed, and no unencoded ``@`` in its
    password. ``option`` is how the reader names a database in examples (``--db ``, or
    ``database=`` for ``Connection``).
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
            _check_file_name(file, target)  # before the look below: it cannot stat one
            hint = ""
            if not file.startswith("/") and Path("/" + file).parent.is_dir():
                # sqlite:///tmp/x.db is tmp/x.db, in the current folder (SQLAlchemy's rule)
                hint = f" (sqlite:/// names a file in the current folder: for /{file} write sqlite:////{file})"
            _check_file(file, shown=target, made_for_you=made_for_you, hint=hint, option=option)
            return target
        if dialect not in ("postgresql", "postgres"):
            raise UnusableDatabase(
                f"the database {_named(target)} is neither a SQLite file nor PostgreSQL: "
                f"name a file ({option}~/doe.sqlite3) or a postgresql+psycopg://... URL"
            )
        if dialect == "postgres":  # SQLAlchemy 1.4 dropped it: "Can't load plugin" before
            raise UnusableDatabase(
                f"the database {_named(target)} starts with postgres://, which SQLAlchemy "
                f"does not read: write {redact_database_url('postgresql+psycopg://' + rest)}"
            )
        if rest.split("?", 1)[0].count("@") > 1:
            # SQLAlchemy ends the password at its first @: before, 'p@ss@db' connected to
            # a host named 'ss@db' and the error quoted that part of the password
            raise UnusableDatabase(
                f"the database {_named(target)} has more than one '@' before its query: "
                "an @ in a password, user name or database name must be percent-encoded as "
                '%40 (and a % as %25), e.g. python3 -c "import urllib.parse; '
                "print(urllib.parse.quote(input(), safe=''))\""
            )
        _check_escapes(target, rest)
        module = POSTGRES_DRIVERS.get(driver, driver)
        if not driver and importlib.util.find_spec(module) is None and _installed("psycopg"):
            # postgresql:// means psycopg2 to SQLAlchemy; the extra installs psycopg (3)
            raise UnusableDatabase(
                f"the database {_named(target)} asks for the {module!r} driver, which is "
                "not installed; the installed one is psycopg: write the URL as "
                f"{redact_database_url('postgresql+psycopg://' + rest)}"
            )
        if importlib.util.find_spec(module) is None:
            raise UnusableDatabase(
                f"the database {_named(target)} is PostgreSQL, and its driver "
                f"{module!r} is not installed: {POSTGRES_EXTRA} "
                "(and write the URL as postgresql+psycopg://...)"
            )
        _check_url_reads(target)
        return target
    return _check_file(target, shown=target, made_for_you=made_for_you, option=option)


def shared(target: str, *, what: str) -> str:
    """``target`` (from :func:`check`), refused when it cannot be a database that another
    process already uses: a SQLite file that does not exist yet (a mistyped path became
    a new, empty database: an empty dashboard, a worker waiting for tasks that never
    come) or an in-memory one (each process has its own). ``what`` says who needs it."""
    if "://" in target and not target.startswith("sqlite://"):
        return target  # a server's database: it exists if it can be reached
    file = target.split("://", 1)[1][1:].split("?", 1)[0] if "://" in target else target
    if in_memory(target):
        raise UnusableDatabase(
            f"{what} needs a database other processes use; an in-memory one is its own "
            "process's: name the file your scripts or 'sigopt-like serve' use"
        )
    if not Path(file).is_file():
        raise UnusableDatabase(
            f"no database at {quoted(file)}: {what} needs an existing one; name the file your "
            "scripts or 'sigopt-like serve' use (--db or $SIGOPT_LIKE_DATABASE)"
        )
    return target


def in_memory(target: str) -> bool:
    """Whether ``target`` is an in-memory SQLite database (any of its spellings): one that
    only the process that opens it sees."""
    if target in MEMORY_DATABASES:
        return True
    if not target.startswith("sqlite://"):
        return False
    return target.split("://", 1)[1][1:].split("?", 1)[0] in ("", ":memory:")


#: why a server cannot use an in-memory database with tokens on, and with its tasks left
#: to workers: the words ``serve`` and the WSGI factory both say
NOBODY_SIGNS_IN = (
    "no user can be added to it ('sigopt-like users create' opens the database from "
    "another process), so with tokens on nobody could sign in"
)
NO_WORKER_REACHES_IT = (
    "no worker can reach it ('sigopt-like worker' is another process), so no task would ever run"
)


def only_this_process(named: str, whys: list[str], keep: str, ways: list[str]) -> str:
    """The refusal of an in-memory database a server could not use as asked: ``named``
    (how it was given) ``is an in-memory database, which only this process sees``, then
    each reason in ``whys``, a file to keep (``keep``) and the ``ways`` out."""
    return (
        f"{named} is an in-memory database, which only this process sees: "
        f"{'; and '.join(whys)}; name a file that the service keeps ({keep}), or "
        f"{' and '.join(ways)}"
    )


def _check_escapes(target: str, rest: str) -> None:
    """UnusableDatabase if ``rest`` (the URL after ``://``) holds a ``%`` that is not
    followed by two hex digits. Every ``%XX`` of a URL is read as the character it encodes
    (the URL standard; SQLAlchemy and libpq do so), so a password typed ``ab%41`` is
    ``abA``; a ``%`` that begins no escape (``%zz``, a trailing ``%``) was passed on as it
    stood, the same mistake left unsaid, and the server's "password authentication
    failed" never named it. The message names the part, never the password."""
    bad = _BAD_ESCAPE.search(rest)
    if bad is None:
        return
    at = rest.find("@")
    query = rest.find("?", max(at, 0))
    slash = rest.find("/", max(at, 0))
    if bad.start() < at:
        part = "user name or password"
    elif 0 <= query < bad.start():
        part = "query"
    elif 0 <= slash < bad.start():
        part = "database name"
    else:
        part = "host"
    raise UnusableDatabase(
        f"the database {_named(target)} has a '%' in its {part} that is not followed by "
        "two hex digits: in a URL every %XX is read as the character it encodes (%41 as A), "
        'so a % itself is written %25 (and an @ %40), e.g. python3 -c "import urllib.parse; '
        "print(urllib.parse.quote(input(), safe=''))\""
    )


def _check_url_reads(target: str) -> None:
    """UnusableDatabase if the host and port of ``target`` cannot be read (before:
    SQLAlchemy's ValueError, a traceback, for a port that is not a number, such as
    ``host:5432x``, ``host:`` or ``[::1``). Read with the standard library: this module
    is outside the store, the one room that imports SQLAlchemy."""
    try:
        parts = urllib.parse.urlsplit(target)
        parts.port  # noqa: B018 - reading it is the check (a ValueError if not a number)
    except ValueError as err:
        what = str(err)
        if "IPv6" in what:
            what = "its host, an IPv6 address, has no closing ']'"
        elif "range" in what:
            what = "its port is beyond 65535"
        else:
            what = "its port, after the host and ':', is not a number"
        raise _unreadable(target, what) from err
    if parts.netloc.endswith(":"):
        raise _unreadable(target, "its port, after the host and ':', is not a number")


def _unreadable(target: str, what: str) -> UnusableDatabase:
    return UnusableDatabase(
        f"the database {_named(target)} is not a URL that can be read: {what}; write "
        "postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE (PORT a number, or left out "
        "with its ':')"
    )


def _check_file_name(target: str, shown: str) -> None:
    """Refuse a name no file can have: before, ``Connection(database="a\\x00.db")`` was a
    ValueError "embedded null byte", and a lone surrogate (``"\\ud800.db"``) a
    UnicodeEncodeError, neither naming the database."""
    if "\x00" in target:
        raise UnusableDatabase(
            f"the database {shown!r} holds a NUL character (U+0000), which no file name "
            "holds; type the name again"
        )
    try:
        encoded = os.fsencode(target)
    except UnicodeEncodeError as err:
        raise UnusableDatabase(
            f"the database {shown!r} holds {target[err.start]!r} (a lone UTF-16 surrogate, "
            "not text), which no file name holds; type the name again"
        ) from None
    from .csvio import clip, too_long

    reason = too_long(encoded)
    if reason is not None:  # before: "File name too long: ", the name quoted whole
        raise UnusableDatabase(
            f"the database {clip(shown, 80)!r} holds {reason}, which no file name holds; "
            "type the name again"
        )


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _check_file(
    target: str, *, shown: str, made_for_you: bool, hint: str = "", option: str = "--db "
) -> str:
    """The SQLite file ``target`` (expanded), checked as :func:`check` says."""
    _check_file_name(target, shown)
    shown = quoted(shown)
    path = Path(target).expanduser()
    if path.is_dir():
        raise UnusableDatabase(
            f"the database {shown} is a folder; name a file in it, "
            f"e.g. {option}{quoted(path / 'sigopt-like.db')}"
        )
    if path.exists() and not path.is_file():  # /dev/null: "disk I/O error" before
        raise UnusableDatabase(
            f"the database {shown} is not a regular file (a device or a pipe); name a file"
        )
    if not path.parent.is_dir():
        above = next((p for p in path.parents if p.exists()), None)
        if above is not None and not above.is_dir():  # before: "does not exist; mkdir -p"
            raise UnusableDatabase(
                f"the database {shown} cannot be made: {quoted(above)} is a file, not a folder; "
                "name a file in a folder"
            )
        if not made_for_you:
            raise UnusableDatabase(
                f"the database's folder {quoted(path.parent)} does not exist; create it first "
                f"(mkdir -p {shell_word(path.parent)}) or name another file{hint}"
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise UnusableDatabase(
                f"the database's folder {quoted(path.parent)} cannot be made: {err.strerror or err}"
            ) from None
    if path.is_file() and path.stat().st_size > 0:
        with open(path, "rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
        if head != SQLITE_MAGIC:
            raise UnusableDatabase(
                f"{shown} is not a sigopt-like database (not a SQLite file); "
                "name a new file, or the database that serve uses"
            )
    return os.fspath(path)

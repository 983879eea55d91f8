"""What the database's errors mean, and how each is told: pure functions of an error
(no connection, no query) that say whether it is busy, full, unwritable, a privilege
refused, tables hidden, a connection limit or refusal (its credentials included), or a
server unreachable or not up yet, and the messages and GRANTs that a refusal names.

:mod:`.database` turns them into the store's typed errors
(:func:`~.database.translate_errors`), asking the database where a refusal needs it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ...database_targets import first_line, on_one_line
from .errors import Unreadable

if TYPE_CHECKING:
    from .database import Database

_BUSY_WORDS = ("database is locked", "database table is locked", "could not serialize")
_BUSY_SQLSTATES = frozenset({"40001", "40P01", "55P03"})  # serialization, deadlock, lock timeout


def _says(orig: object, sqlstates: frozenset[str], words: tuple[str, ...]) -> bool:
    """Whether a driver's error ``orig`` has one of ``sqlstates`` or says one of ``words``
    (lowercase; matched in its text, lowered)."""
    if getattr(orig, "sqlstate", None) in sqlstates:
        return True
    text = str(orig).lower()
    return any(word in text for word in words)


#: SQLite's SQLITE_FULL, the system's ENOSPC and EDQUOT, PostgreSQL's disk_full
_FULL_WORDS = ("database or disk is full", "no space left on device", "disk quota exceeded")
_FULL_SQLSTATES = frozenset({"53100"})


def is_full_error(err: BaseException | None) -> bool:
    """Whether a database error means "no room left to write" (a full disk or quota),
    itself or the error it happened in the handling of: SQLite may roll the whole
    transaction back on a full disk, and undoing the savepoint then fails too."""
    while err is not None:
        if _says(getattr(err, "orig", err), _FULL_SQLSTATES, _FULL_WORDS):
            return True
        err = err.__context__
    return False


#: SQLite's SQLITE_READONLY and SQLITE_IOERR (a write refused by the system: a file
#: made immutable or read-only under an open connection), the system's EROFS
_UNWRITABLE_WORDS = ("readonly database", "disk i/o error", "read-only file system")


def is_unwritable_error(err: BaseException) -> bool:
    """Whether a database error means "the file cannot be written" (not a full disk)."""
    orig = getattr(err, "orig", err)
    return any(word in str(orig).lower() for word in _UNWRITABLE_WORDS)


#: PostgreSQL's insufficient_privilege
_NO_PRIVILEGE_SQLSTATE = "42501"
#: a statement that writes, or locks rows to write them (which needs UPDATE): its first
#: word, or a row lock clause
_WRITE_STATEMENT = re.compile(
    r"^\s*(?:INSERT|UPDATE|DELETE|MERGE)\b|\bFOR\s+(?:NO\s+KEY\s+)?UPDATE\b", re.IGNORECASE
)


def is_privilege_error(err: BaseException) -> bool:
    """Whether a database error is PostgreSQL's insufficient_privilege: the role may not
    do what the statement asked (read, write, make a table, use a schema)."""
    return getattr(getattr(err, "orig", err), "sqlstate", None) == _NO_PRIVILEGE_SQLSTATE


def is_write_refused_error(err: BaseException) -> bool:
    """Whether a database error means "this PostgreSQL role may not write here" (a
    permission denied to a statement that writes: INSERT, UPDATE or DELETE revoked, or
    never granted). A read refused so is not one: the role cannot read, which no
    answer about writes would cure."""
    if not is_privilege_error(err):
        return False
    return bool(_WRITE_STATEMENT.search(str(getattr(err, "statement", None) or "")))


def is_read_refused_error(err: BaseException) -> bool:
    """Whether a database error means "this PostgreSQL role may not read here" (a
    permission denied to a statement that does not write: its SELECT revoked, or never
    granted, or a raw driver error of a point read, which only reads)."""
    return is_privilege_error(err) and not is_write_refused_error(err)


#: what PostgreSQL names in a permission denied ("permission denied for table sessions";
#: "relation" before PostgreSQL 15): the name as it is, unquoted, to the end of the
#: message (``my t`` was cut at its space, ``audit<LF>log`` at its line break)
_DENIED_OBJECT = re.compile(
    r"permission denied for (?:table|relation|view|sequence) (.+)\Z", re.DOTALL
)


def _primary(err: BaseException) -> str:
    """PostgreSQL's whole primary message of ``err`` (the driver's
    ``diag.message_primary``, line breaks of a name in it kept), or, where the driver
    gives none, the first line of what it says."""
    orig = getattr(err, "orig", None) or err
    primary = getattr(getattr(orig, "diag", None), "message_primary", None)
    if isinstance(primary, str) and primary.strip():
        return primary.strip()
    text = str(orig).strip()
    return text.splitlines()[0] if text else ""


def refused_table(err: BaseException) -> str | None:
    """The table a permission denied names, if it names one: its whole name, a line
    break in it too (it was cut there, and a 500's ``detail["table"]`` was null)."""
    found = _DENIED_OBJECT.search(_primary(err))
    return found.group(1) if found else None


#: what a statement a refusal prints names for a role it does not know
UNKNOWN_ROLE = "<role>"


def identifier(name: str) -> str:
    """``name`` as a PostgreSQL statement must spell it: as it is where it is a simple
    lowercase name, else in double quotes (inner ones doubled), as PostgreSQL's own
    ``quote_ident`` does (SQLAlchemy's quoting of the dialect). A role ``Lab-X`` printed
    bare in a GRANT or an ALTER ROLE made a statement PostgreSQL refuses, or one that
    names another role (``Lab`` folded to ``lab``). :data:`UNKNOWN_ROLE` is left as it is."""
    if name == UNKNOWN_ROLE:
        return name
    if not name.isprintable():
        return _escaped_identifier(name)
    from sqlalchemy.dialects import postgresql  # here: a SQLite store never loads the dialect

    return str(postgresql.dialect().identifier_preparer.quote(name))


def _escaped_identifier(name: str) -> str:
    """``name``, which holds a line break or another control character, in PostgreSQL's
    Unicode-escaped quoted form (``U&"lab\\000ax"`` for lab, a line feed, x): one line
    that a statement takes as that very name. Before, the name was printed as it is, and
    its line break cut the one line of a refusal (and its GRANT) in two."""
    spelled = "".join(
        ch
        if ch.isprintable() and ch not in '\\"'
        else {"\\": "\\\\", '"': '""'}.get(ch)
        or (f"\\{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\+{ord(ch):06x}")
        for ch in name
    )
    return f'U&"{spelled}"'


def one_line_identifier(spelled: str) -> str:
    """An identifier as PostgreSQL spells it (``quote_ident``'s, or a name as a message
    gives it) on one line: a quoted one holding a control character (a schema
    ``"lab<LF>x"``) in the escaped form of :func:`identifier`; any other as it is."""
    if spelled.isprintable():
        return spelled
    if len(spelled) > 1 and spelled.startswith('"') and spelled.endswith('"'):
        return identifier(spelled[1:-1].replace('""', '"'))
    return identifier(spelled)


def grants_needed(grantee: str, schema: str) -> str:
    """The GRANTs that give ``grantee`` (a role's name, quoted here where it must be) what
    the service needs in ``schema`` (spelled as a statement needs it: the store asks
    PostgreSQL for it so): the one text of every refusal, at run time (this module's
    messages) and at a start (:func:`sigopt_like.database_targets.describe_opening_error`)."""
    grantee, schema = identifier(grantee), one_line_identifier(schema)
    return (
        f"GRANT USAGE ON SCHEMA {schema} TO {grantee}; GRANT SELECT, INSERT, UPDATE, DELETE "
        f"ON ALL TABLES IN SCHEMA {schema} TO {grantee}; GRANT USAGE ON ALL SEQUENCES IN "
        f"SCHEMA {schema} TO {grantee}"
    )


def create_grant(grantee: str, schema: str) -> str:
    """The GRANT that lets ``grantee`` make the service's tables in ``schema`` (both names
    as PostgreSQL's words give them: quoted here where they must be)."""
    return f"GRANT USAGE, CREATE ON SCHEMA {identifier(schema)} TO {identifier(grantee)}"


def write_refused_message(err: BaseException, role: str | None, schema: str | None = None) -> str:
    """What a write refused for want of a privilege is told: which ``role`` (when the
    database's URL names it), what to grant in which ``schema`` (the one the service's
    tables are in; ``public`` when it could not be asked)."""
    named = f"role {on_one_line(role)}" if role else "role the service connects as"
    said = first_line(err)
    return (
        f"The service's database refuses the writes of the {named} (PostgreSQL: {said}): "
        "nothing of this request was stored; reads go on. Grant it SELECT, INSERT, UPDATE "
        "and DELETE on the service's tables and USAGE on its sequences "
        f"({grants_needed(role or '<role>', schema or 'public')}), then send it again: no restart "
        "is needed."
    )


def read_refused_message(err: BaseException, role: str | None, schema: str | None = None) -> str:
    """What a read refused for want of a privilege is told: which ``role``, which table
    (as PostgreSQL names it), what to grant in which ``schema``."""
    named = f"role {on_one_line(role)}" if role else "role the service connects as"
    said = first_line(err)
    table = refused_table(err)
    where = f"table {table}" if table else "the service's tables"
    grants = grants_needed(role or "<role>", schema or "public")
    return (
        f"The service's database refuses the {named} a read of {where} (PostgreSQL: "
        f"{said}): no retry succeeds until its administrator grants the role what the "
        "service needs: SELECT, INSERT, UPDATE and "
        f"DELETE on its tables and USAGE on its sequences ({grants}). "
        "No restart is needed."
    )


#: PostgreSQL's undefined_table, met by a service whose tables were there at its start
_NO_TABLE_SQLSTATE = "42P01"
#: (the name in PostgreSQL's quotes, whatever it holds: ``my"t`` was cut at its quote,
#: ``audit<LF>log.entries`` not found at all)
_NO_RELATION = re.compile(r'relation "(.*)" does not exist', re.DOTALL)


def is_tables_hidden_error(err: BaseException) -> bool:
    """Whether a database error means "PostgreSQL shows this role no such table": the
    service's tables, made or checked at its start, are out of its reach (USAGE on their
    schema revoked, or the role's search_path changed), or were dropped."""
    orig = getattr(err, "orig", err)
    return getattr(orig, "sqlstate", None) == _NO_TABLE_SQLSTATE


def hidden_table(err: BaseException) -> str | None:
    """The table a "does not exist" names, if it names one (whole, a line break too)."""
    found = _NO_RELATION.search(_primary(err))
    return found.group(1) if found else None


def tables_hidden_message(err: BaseException, role: str | None, schema: str | None) -> str:
    """What a request that finds none of the service's tables is told: the schema they
    were found in at the start, and what to grant."""
    named = f"role {on_one_line(role)}" if role else "role the service connects as"
    said = first_line(err)
    found = _NO_RELATION.search(said)
    where = f"table {found.group(1)}" if found else "one of the service's tables"
    home = f"schema {one_line_identifier(schema)}" if schema else "their schema"
    return (
        f"The service's database shows the {named} no {where} (PostgreSQL: {said}): the "
        f"service's tables were in {home} at its start, and this role may no longer use "
        "it (its USAGE revoked), or they were dropped. No retry succeeds until its "
        f"administrator grants it back ({grants_needed(role or '<role>', schema or 'public')}); "
        "no restart is needed."
    )


def is_busy_error(err: BaseException) -> bool:
    """Whether a database error means "locked or not serialisable: try again"."""
    return _says(getattr(err, "orig", err), _BUSY_SQLSTATES, _BUSY_WORDS)


#: PostgreSQL's too_many_connections: its max_connections reached (or a role's or a
#: database's CONNECTION LIMIT); refused at connect, where psycopg gives no sqlstate
_LIMIT_SQLSTATES = frozenset({"53300"})
_LIMIT_WORDS = (
    "too many clients already",
    "remaining connection slots are reserved",
    "too many connections for",
)
#: what a request refused so is told (a 503 with Retry-After, retried by the clients)
CONNECTION_LIMIT_MESSAGE = (
    "The service's database refuses more connections (its max_connections is reached); "
    "retry in a moment. Nothing of this request was stored."
)


def is_connection_limit_error(err: BaseException | None) -> bool:
    """Whether a database error means "the server refuses another connection: it has as
    many as it allows" (PostgreSQL's "sorry, too many clients already"), itself or what it
    wraps. The server is up and answers: this is no outage, only a crowd."""
    while err is not None:
        if _says(getattr(err, "orig", None) or err, _LIMIT_SQLSTATES, _LIMIT_WORDS):
            return True
        err = err.__cause__
    return False


#: what PostgreSQL says, refusing a new connection, of a database that answers: this
#: role may not connect to it (its CONNECT revoked), or it no longer exists (dropped)
#: (the name as PostgreSQL quotes it, whatever it holds: ``"lab db"`` was cut at its space,
#: so the message named database ``lab`` and its GRANT CONNECT another database)
_NO_CONNECT = re.compile(r'permission denied for database "(.*?)"(?=\n|\Z)', re.DOTALL)
_NO_DATABASE = re.compile(r'database "(.*)" does not exist', re.DOTALL)
#: what PostgreSQL (and libpq) say, refusing a new connection, of credentials no longer
#: good: the role's password changed or expired ("password authentication failed for
#: user"; a role dropped is said so too under password authentication), another method's
#: credentials refused ("GSSAPI", "LDAP", "certificate", "Peer", "Ident" ... authentication
#: failed), a password now asked for, the role dropped (under trust) or made NOLOGIN
_BAD_CREDENTIALS = re.compile(
    r'(?P<method>\w+) authentication failed for user "(?P<user>.*?)"(?=\n|\Z)'
    r"|fe_sendauth: no password supplied"
    r'|role "(?P<role>.*)" (?:does not exist|is not permitted to log in)',
    re.DOTALL,
)
#: what PostgreSQL says refusing a new connection by its pg_hba.conf alone, asking for no
#: credentials: a line whose method is ``reject`` matched it, or no line matched it
_HBA_REFUSED = re.compile(
    r"(?P<verdict>pg_hba\.conf rejects connection|no pg_hba\.conf entry) for host "
    r'"(?P<host>[^"]*)", user "(?P<user>.*)", database "(?P<database>.*?)"(?=,|\n|\Z)'
    r"(?:, [\w ]*encryption)?",  # "no encryption", "SSL encryption", "GSS encryption"
    re.DOTALL,
)
#: where libpq's text of a refused connection starts a new part: a field of the server's
#: error ("DETAIL:  ", "HINT:  ") or another attempt's words ("connection to server ...");
#: a name quoted last on its line ends at a quote that ends a line, since libpq may add a
#: line of its own ("password retrieved from file ...")
_NEXT_PART = re.compile(r"\n(?=[A-Z]+:  |connection to server |Multiple connection attempts)")


def _refusal_line(err: BaseException | None, pattern: re.Pattern[str]) -> re.Match[str] | None:
    """The match of ``pattern`` in what ``err`` (or what it wraps) says, if any: in each
    part of libpq's text (:data:`_NEXT_PART`), so that a name holding a line break
    (``"lab<LF>db"``) is read whole. Before, it was searched line by line: such a name
    was cut, or its refusal missed (an outage said)."""
    while err is not None:
        orig = getattr(err, "orig", None) or err
        for part in _NEXT_PART.split(str(orig)):
            found = pattern.search(part)
            if found:
                return found
        err = err.__cause__
    return None


def denied_database(err: BaseException) -> str | None:
    """The database a new connection was refused to for want of CONNECT, if it was."""
    found = _refusal_line(err, _NO_CONNECT)
    return found.group(1) if found else None


def connect_grant(grantee: str, database_name: str) -> str:
    """The GRANT that lets ``grantee`` connect to the database ``database_name`` (both
    quoted where they must be)."""
    return f"GRANT CONNECT ON DATABASE {identifier(database_name)} TO {identifier(grantee)}"


def connection_refused(err: BaseException, database: Database | None) -> Unreadable | None:
    """The :class:`~.errors.Unreadable` of a new connection the server answered and
    refused: this role's CONNECT on the database revoked, the database dropped, or the
    role's credentials refused (:func:`credentials_refused`) while the service ran; None
    if ``err`` is not one. Before, each was a 503 "The service's database does not answer
    (restarting or down); retry in a moment", which clients retried until their
    deadline, and an outage logged, though it answered."""
    role = database.role if database is not None else None
    named = f"role {on_one_line(role)}" if role else "role the service connects as"
    credentials = credentials_refused(err, role)
    if credentials is not None:
        return credentials
    denied = _refusal_line(err, _NO_CONNECT)
    if denied is not None:
        name = denied.group(1)
        return Unreadable(
            f"The service's database refuses the {named} a connection to database "
            f"{on_one_line(name)} (PostgreSQL: {on_one_line(denied.group(0))}): no retry "
            "succeeds until its administrator "
            f"grants it ({connect_grant(role or '<role>', name)}). No restart is needed.",
            detail={"role": role, "database": name},
        )
    missing = _refusal_line(err, _NO_DATABASE)
    if missing is not None:
        name = missing.group(1)
        return Unreadable(
            f"The service's database {on_one_line(name)} no longer exists on its server "
            f"(PostgreSQL: {on_one_line(missing.group(0))}): it was dropped or renamed "
            "while the service ran, and no "
            "retry succeeds until it is back (restored, or renamed back); to serve another "
            "database, restart the service on it.",
            detail={"role": role, "database": name},
        )
    return None


def credentials_refused(err: BaseException, role: str | None) -> Unreadable | None:
    """The :class:`~.errors.Unreadable` of a new connection refused the credentials the
    service was started with (``role``, its database URL's user, when PostgreSQL's words
    name none): the role's password changed or expired, or the role dropped or made
    NOLOGIN, while the service ran. Connections made before go on, so the refusal comes
    when the pool makes a new one. None if ``err`` is not one."""
    hba = _refusal_line(err, _HBA_REFUSED)
    if hba is not None:
        return _hba_refused(hba)
    found = _refusal_line(err, _BAD_CREDENTIALS)
    if found is None:
        return None
    user = found.group("user") or found.group("role") or role
    named = f"role {on_one_line(user)}" if user else "role the service connects as"
    said = on_one_line(found.group(0))
    method = found.group("method")
    if method is not None and method.lower() != "password":
        # not a password's: "change its password" sent its reader to the wrong mend
        return Unreadable(
            f"The service's database refuses the credentials of the {named} (PostgreSQL: "
            f"{said}): the server's authentication ({method}) refused role "
            f"{on_one_line(user or UNKNOWN_ROLE)}: check the server's pg_hba.conf (the "
            "method it asks of "
            "this role and this host) and the credentials that method uses; no retry "
            "succeeds until they are mended.",
            detail={"role": user, "method": method},
        )
    return Unreadable(
        f"The service's database refuses the credentials of the {named} (PostgreSQL: "
        f"{said}): its password was changed or has expired, or the role was "
        "dropped or may no longer log in, since the service started, and no retry "
        "succeeds with the password it was started with. Start the service again with "
        "the role's current password (in its database URL, or PGPASSWORD), or give the "
        f"role back the password the service has (ALTER ROLE {identifier(user or UNKNOWN_ROLE)} "
        "PASSWORD "
        "...); a password kept in a .pgpass file is read at each new connection: correct "
        "it there and no restart is needed.",
        detail={"role": user, "method": method},
    )


def _hba_refused(found: re.Match[str]) -> Unreadable:
    """The refusal of a connection that the server's pg_hba.conf turned away before any
    credentials: a ``reject`` line, or no line for this host, role and database. Before,
    neither was read as a refusal: each was an outage, a 503 "does not answer (restarting
    or down); retry in a moment", of a server that answered and said which rule refused."""
    user, host = found.group("user"), found.group("host")
    shown, database = on_one_line(user), on_one_line(found.group("database"))
    rejected = found.group("verdict").startswith("pg_hba.conf rejects")
    why = "a line there whose method is reject matches" if rejected else "no line there lets in"
    return Unreadable(
        f"The service's database refuses the role {shown} a connection (PostgreSQL: "
        f"{on_one_line(found.group(0))}): the server's pg_hba.conf refused it before any "
        f"credentials ({why} role {shown} from host {host} to database {database}). "
        "No retry succeeds "
        "until its administrator lets that role in there (a line for this host, role "
        "and database, before any that rejects it) and reloads the server's configuration "
        "(SELECT pg_reload_conf()); the service needs no restart.",
        detail={"role": user, "method": "reject" if rejected else None, "host": host},
    )


#: PostgreSQL's connection exceptions (08...) and operator interventions (57P01 admin
#: shutdown, 57P02 crash shutdown, 57P03 cannot connect now)
_GONE_SQLSTATE_PREFIXES = ("08", "57P")


def is_unreachable_error(err: BaseException | None) -> bool:
    """Whether a database error means "the database server cannot be reached, or dropped
    the connection" (down, restarting, refusing connections), itself or what it wraps.
    A server refusing a connection because it has as many as it allows is not one
    (:func:`is_connection_limit_error`): it answers, and logging an outage misled; nor
    one refusing this role a connection, or naming a database that no longer exists
    (:func:`connection_refused`)."""
    if err is None or is_connection_limit_error(err) or connection_refused(err, None):
        return False
    while err is not None:
        if getattr(err, "connection_invalidated", False):  # sqlalchemy saw a disconnect
            return True
        orig = getattr(err, "orig", None) or err
        state = getattr(orig, "sqlstate", None)
        if state is not None and str(state).startswith(_GONE_SQLSTATE_PREFIXES):
            return True
        if state is None and _is_psycopg_operational(type(orig)):
            # psycopg's own: "connection failed", "the connection is lost", and its
            # ConnectionTimeout ("connection timeout expired"), a subclass: before, a
            # server that took a connection and never answered was no outage
            return True
        err = err.__cause__
    return False


def _is_psycopg_operational(kind: type) -> bool:
    """Whether ``kind`` is psycopg's (2 or 3) OperationalError, or a subclass of it."""
    return any(
        base.__name__ == "OperationalError" and base.__module__.startswith("psycopg")
        for base in kind.__mro__
    )


#: what the drivers say when the server's host name does not resolve (a container's name
#: not yet in DNS, or a typo): libpq's words, and psycopg's (3.2 and later resolve it
#: themselves; before, that was a start stopped at once rather than waited for)
_UNRESOLVED_WORDS = ("could not translate host name", "failed to resolve host")
#: no sqlstate says an unresolved host: a connection that never reached a server has none
_NO_SQLSTATES: frozenset[str] = frozenset()

#: PostgreSQL's cannot_connect_now (starting up, shutting down, in recovery)
_NOT_UP_SQLSTATES = frozenset({"57P03"})
#: what libpq says when a PostgreSQL server is not there yet, or not letting anyone in yet
#: (not a mistake in the URL: a wrong password or a missing database is said otherwise)
_NOT_UP_WORDS = (
    "connection refused",
    "no such file or directory",  # its Unix socket: the server is not running
    "is not currently accepting connections",
    "the database system is starting up",
    "the database system is shutting down",
    "the database system is in recovery mode",
    "the database system is not yet accepting connections",
    "timeout expired",
    "timed out",
    "no route to host",
    "network is unreachable",
    *_UNRESOLVED_WORDS,
    "server closed the connection unexpectedly",
)


def is_unresolved_host_error(err: BaseException | None) -> bool:
    """Whether a database error means "the server's host name does not resolve": not in
    DNS yet (a boot, a container platform) or mistyped. Waited for as a server not up yet,
    and said so, with the driver's words, so that a typo shows at once."""
    while err is not None:
        if _says(getattr(err, "orig", None) or err, _NO_SQLSTATES, _UNRESOLVED_WORDS):
            return True
        err = err.__cause__
    return False


def is_not_up_error(err: BaseException | None) -> bool:
    """Whether an error met opening a PostgreSQL database means "its server is not up, or
    lets no one in, yet" (worth waiting for), not a mistake in the URL (a wrong password,
    a database that does not exist)."""
    if not is_unreachable_error(err):
        return False
    while err is not None:
        if _says(getattr(err, "orig", None) or err, _NOT_UP_SQLSTATES, _NOT_UP_WORDS):
            return True
        err = err.__cause__
    return False

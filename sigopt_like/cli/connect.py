"""The Connection a command talks through: embedded on ``--db``, or a served host."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import click

from .output import visible
from .quoting import SHOWN_CHARACTERS

if TYPE_CHECKING:
    from ..interface import Connection


def connection(
    ctx: click.Context,
    host: str | None,
    token: str | None,
    db: str | None,
    max_body_bytes: int | None = None,
    max_table_rows: int | None = None,
) -> Connection:
    """A Connection for this command, closed when the command ends.

    With ``--host`` (or ``SIGOPT_LIKE_HOST``, or a config file's host) it talks
    to that service with ``--token`` (or the environment's); otherwise it runs
    the service in this process on the database :func:`.database.choose` picks, its
    tasks in threads of this process, its request bodies up to ``max_body_bytes``
    (``--max-body-bytes``; else the service's default), its tables up to
    ``max_table_rows`` rows (``--max-table-rows``; else the service's default).
    """
    from ..config import database_beside_host, host_source, resolve_config
    from ..interface import Connection
    from ..url_redaction import shown_url
    from . import database, notices

    if host is not None and not host.strip():  # e.g. --host "$HOST" with HOST unset
        raise click.UsageError(f"--host is empty: give the service's URL, or {_without_host()}")
    if token is not None and not token.strip():
        raise click.UsageError("--token is empty: give the API token, or leave --token out")
    # an empty --db (--db "$DB" with DB unset) is refused beside a host as it is without
    # one: before, it was taken for no --db and the command went to the host
    empty_db = (
        "--db is empty: name a SQLite file or a database URL; "
        if db is not None and not db.strip()
        else ""
    )
    if host and db is not None:
        raise click.UsageError(
            f"{empty_db}--db is for the embedded service; it cannot go with --host"
        )
    config = resolve_config(host, token)
    if db is not None and not config.embedded:
        # a host exported (SIGOPT_LIKE_HOST) or in a config file, beside --db: before, --db
        # was ignored without a word and the command went to that host. Refused, as
        # Connection(database=...) refuses it, naming both and the two ways out
        raise click.UsageError(
            empty_db + database_beside_host(str(config.host), host_source(config), "--db")
        )
    kwargs: dict[str, Any] = {}
    if config.embedded:
        if token:
            raise click.UsageError("--token needs --host (or SIGOPT_LIKE_HOST)")
        kwargs["database"] = database.choose(db)
        # a command is one short process: its memory goes back when it ends, so a worker
        # process for its tasks (Connection's default) would only add its start
        kwargs["task_processes"] = 0
        if max_body_bytes is not None:
            kwargs["max_body_bytes"] = max_body_bytes
        if max_table_rows is not None:
            kwargs["max_table_rows"] = max_table_rows
    else:  # a served service's limits are the server's
        for option, value in (
            ("--max-body-bytes", max_body_bytes),
            ("--max-table-rows", max_table_rows),
        ):
            if value is not None:
                # before: "(--host)", for a host exported or in a config file too
                served = "--host"
                if not host:
                    served = f"{shown_url(str(config.host))}, from {host_source(config)}"
                raise click.UsageError(
                    f"{option} is for the embedded service; a served one ({served}) has its "
                    f"own limit (sigopt-like serve {option}, where it is started)"
                )
    conn = Connection(host, token, **kwargs)
    ctx.call_on_close(conn.close)
    if not config.embedded and not ctx.find_root().params.get("verbose"):
        notice = notices.install(str(config.host), conn.transport.retries.max_time)
        ctx.call_on_close(lambda: notices.remove(notice))
    return conn


def _without_host() -> str:
    """What leaving ``--host`` out does: the embedded service, or the host exported or in
    a config file (before, "leave --host out for the embedded service" there reached
    that host), with what to unset for the embedded service."""
    from ..config import host_source, resolve_config, setting_variables
    from ..errors import ConfigError
    from ..url_redaction import shown_url

    try:
        configured = resolve_config()
    except ConfigError:  # a setting elsewhere is wrong: the command says so once --host is
        configured = None
    if configured is None or configured.embedded:
        return "leave --host out for the embedded service"
    source = host_source(configured)
    if source.startswith("environment variable "):
        # every variable for the host and a login, ours and Daptics': before, only the
        # one read, and once it was unset DAPTICS_HOST brought the host back
        names = setting_variables(("host", "token", "email", "password"))
        unset = "unset " + (", ".join(names[:-1]) + " and " if len(names) > 1 else "")
        unset += names[-1]
    else:
        unset = (
            f"remove 'host' from {source.removeprefix('config file ')} "
            "(and its token, email and password)"
        )
    return (
        f"leave --host out to use {shown_url(str(configured.host))} (from {source}); for "
        f"the embedded service {unset} too"
    )


#: what each id argument names, as a usage error says it
ID_NAMES = {
    "sid": "The session id",
    "tid": "The task id",
    "eid": "The experiment id",
    "suggestion": "The suggestion id",
}
#: where a usage error about an id points to find one
ID_LISTS = {
    "sid": "'sigopt-like sessions list' shows them",
    "tid": "'sigopt-like tasks list SID' shows them",
    "eid": "'sigopt-like experiments list' shows them",
    "suggestion": "'sigopt-like experiments suggest EID' gives one",
}
#: an id as the service gives them out: ASCII digits ("²" and "٨" pass str.isdigit())
_ID_DIGITS = re.compile(r"[0-9]+")


class IdType(click.ParamType):
    """An id as given on the command line: a whole number, like 1.

    Anything else (``abc``, ``1.5``, ``a/b``, blank) is a usage error (exit 2) that
    says what an id looks like and where to find one, before any request: the service
    only ever gives out such ids, so it would answer "not found", as if the id were
    well formed and merely unknown. An unknown well-formed id stays the service's 404.
    """

    name = "id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        """The id's text, surrounding blanks dropped; a usage error if it is not one."""
        text = str(value).strip()
        if _ID_DIGITS.fullmatch(text):
            return text
        key = param.name if param is not None else None
        what = ID_NAMES.get(key or "", "An id")
        where = ID_LISTS.get(key or "")
        # bytes a terminal sent in another encoding, as typed ('caf\xe9'), not '\udce9'
        shown = str(value).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        shown = visible(shown)  # an ESC or a U+202E typed is not sent to the terminal raw
        quoted = f"'{shown}'"
        if len(shown) > SHOWN_CHARACTERS:  # a 100,000-character argument is not printed back
            quoted = f"'{shown[:SHOWN_CHARACTERS]}'... ({len(shown):,} characters)"
        self.fail(
            f"not an id: {quoted}. {what} is a whole number, like 1"
            + (f" ({where})." if where else "."),
            param,
            ctx,
        )


#: the type of every id a command takes (sessions, tasks, experiments, suggestions)
ID = IdType()


def negative_id(err: click.NoSuchOption) -> click.UsageError | None:
    """A usage error for a negative number where a command takes an id (``sessions show
    -1``), or None: click reads ``-1`` as an option, and said "No such option '-1'"."""
    given = err.option_name  # "-1" of "-1.5" too: click reads it as "-1" and ".5"
    if err.ctx is None or not re.fullmatch(r"-\d+", given):
        return None
    ids = [
        p.name
        for p in err.ctx.command.params
        if isinstance(p, click.Argument) and isinstance(p.type, IdType)
    ]
    if not ids:
        return None
    what = ID_NAMES.get(ids[0] or "", "An id") if len(ids) == 1 else "An id"
    return click.UsageError(
        f"{what} must be a positive whole number, like 1 (a negative number reads as an option).",
        err.ctx,
    )

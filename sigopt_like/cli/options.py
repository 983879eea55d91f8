"""Options shared by commands: where the service is, --json, --quiet."""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click

from .. import csvio
from .._constants import (
    INT64_MAX,
    INT64_MIN,
    MAX_BODY_LIMIT,
    MAX_GENERATION,
    MAX_SIMULATED_GENERATIONS,
    MAX_TABLE_ROWS_LIMIT,
    MAX_TASK_PROCESSES,
    MAX_TASK_THREADS,
)
from ..models import Task
from ..progress import ProgressArg, describe
from .connect import connection
from .quoting import typed as _shown

HOST_HELP = "URL of a served instance (default: $SIGOPT_LIKE_HOST, else the embedded service)."
TOKEN_HELP = "API token for --host (default: $SIGOPT_LIKE_TOKEN)."


def _unbounded(kind: click.ParamType) -> bool:
    return getattr(kind, "min", None) is None and getattr(kind, "max", None) is None


class WholeNumbers(click.IntRange):
    """A ``click.IntRange`` whose refusal names the option, the value and what would work
    (``what``): click's own was "'abc' is not a valid integer range" for ``serve --port
    abc``, which names a type, not the number wanted; ``what`` follows its "not in the
    range" too, so that the reader learns what the range is of."""

    def __init__(self, min: int | None = None, max: int | None = None, *, what: str) -> None:
        super().__init__(min, max)
        self.what = what
        if _unbounded(self):  # the help's metavar: not "INTEGER RANGE" with no range
            self.name = "integer"

    def _describe_range(self) -> str:
        # the help's "[x<=None]" (click's, for a range with neither end) said nothing true
        return "" if _unbounded(self) else super()._describe_range()

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            try:
                int(value)
            except ValueError:
                self.fail(f"{_shown(value)} is not a whole number", param, ctx)
            if csvio.ascii_digits(value) is not None:  # int() reads U+0661 as 1
                tip = csvio.ascii_digits_tip(value)
                self.fail(f"{_shown(value)} is not a whole number{tip}", param, ctx)
        return super().convert(value, param, ctx)

    def fail(
        self, message: str, param: click.Parameter | None = None, ctx: click.Context | None = None
    ) -> NoReturn:
        super().fail(f"{message.rstrip('.')}: give {self.what}.", param, ctx)


class Choices(click.Choice):  # type: ignore[type-arg]
    """A ``click.Choice`` whose missing-option message is one line: click's own put each
    choice on a line of its own ("Error: Missing option '--type'. Choose from:", then a
    tab, "factorial," and a tab, "mixture"), four lines where the rest say one."""

    def get_missing_message(self, param: click.Parameter, ctx: click.Context | None) -> str:
        names = [str(choice) for choice in self.choices]
        return f"Choose {', '.join(names[:-1])} or {names[-1]}."


class FiniteFloatRange(click.FloatRange):
    """A FloatRange that refuses NaN (every comparison with NaN is false, so click's bounds
    let it through: before, ``serve --guest-token-days nan`` started, and its first guest
    token was a 500), and whose refusal says what would work (``what``), as
    :class:`WholeNumbers` does."""

    def __init__(
        self,
        min: float | None = None,
        max: float | None = None,
        min_open: bool = False,
        *,
        what: str,
        nan_ok: bool = False,
    ) -> None:
        super().__init__(min, max, min_open=min_open)
        self.what = what
        if _unbounded(self):
            self.name = "float"
        #: NaN passed on, for a command that says more of it (``observe --value nan``)
        self.nan_ok = nan_ok

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            try:
                float(value)
            except ValueError:
                # a decimal comma (``--value 0,93``, as a European keyboard writes it):
                # before, only "'0,93' is not a number", with no word of the comma
                tip = csvio.decimal_comma_tip(value)
                self.fail(f"{_shown(value)} is not a number{tip}", param, ctx)
            if csvio.ascii_digits(value) is not None:  # float() reads U+0661 as 1
                tip = csvio.ascii_digits_tip(value)
                self.fail(f"{_shown(value)} is not a number{tip}", param, ctx)
        converted = super().convert(value, param, ctx)
        if math.isnan(converted) and not self.nan_ok:
            self.fail(f"{_shown(value)} is not a number", param, ctx)
        return converted

    def _describe_range(self) -> str:
        return "" if _unbounded(self) else super()._describe_range()

    def fail(
        self, message: str, param: click.Parameter | None = None, ctx: click.Context | None = None
    ) -> NoReturn:
        super().fail(f"{message.rstrip('.')}: give {self.what}.", param, ctx)


#: a TCP port; the socket call would wrap 99999 to 34463
PORT = WholeNumbers(0, 65535, what="a port from 0 to 65535 (0: any free port)")
PORT_HELP = "Port (0: any free port, printed at start)."
#: limits and counts that must be at least one
POSITIVE = WholeNumbers(min=1, what="a whole number of at least 1")
#: threads of one process: each holds a stack, and the system's limit on them is far below
#: what an integer allows (before, ``serve --threads 100000`` died of SIGABRT mid-start)
THREADS = WholeNumbers(
    1, MAX_TASK_THREADS, what=f"a number of threads from 1 to {MAX_TASK_THREADS}"
)
#: the worker processes a service starts for its tasks (``ServiceSettings.task_processes``)
TASK_PROCESSES = WholeNumbers(
    0,
    MAX_TASK_PROCESSES,
    what=f"a number of worker processes from 0 to {MAX_TASK_PROCESSES} (0: none)",
)
#: an id the database stores (a signed 64-bit integer): before, ``tokens revoke --id``
#: with 23 digits was an OverflowError traceback from the database driver
ID = WholeNumbers(1, 2**63 - 1, what="an id as 'sigopt-like tokens list' shows it, like 3")
#: a generation of a session (``_constants.MAX_GENERATION``): before, 23 digits in
#: ``analytics --gen`` were a 400 advising to write the generation "as a decimal"
GENERATION = WholeNumbers(0, MAX_GENERATION, what="a generation number, like 1")
#: a generation that has a design (``design --gen``): designs are numbered from 1, and the
#: service's "query parameter 'gen' must be at least 1" named no option
DESIGNED_GENERATION = WholeNumbers(
    1, MAX_GENERATION, what="the number of a designed generation, like 1"
)
#: a count the service stores in a 64-bit column (``experiments create --budget``)
COUNT = WholeNumbers(1, INT64_MAX, what="a whole number of at least 1")
#: the generations one ``simulate`` runs (the service's limit, said before any call)
SIMULATED_GENERATIONS = WholeNumbers(
    1,
    MAX_SIMULATED_GENERATIONS,
    what=f"a number of generations from 1 to {MAX_SIMULATED_GENERATIONS}",
)
#: a body limit (``ServiceSettings.max_body_bytes``), for ``serve`` and the embedded
#: service's commands alike: before, the latter took ``--max-body-bytes 2**70``
BODY_BYTES = WholeNumbers(1, MAX_BODY_LIMIT, what=f"a number of bytes from 1 to {MAX_BODY_LIMIT}")
#: a table row limit (``ServiceSettings.max_table_rows``), for the same commands
TABLE_ROWS = WholeNumbers(
    1, MAX_TABLE_ROWS_LIMIT, what=f"a number of rows from 1 to {MAX_TABLE_ROWS_LIMIT}"
)
#: the whole numbers the service stores, for an int parameter's bounds
WHOLE = (INT64_MIN, INT64_MAX)
#: one text for the embedded service's commands and the service's own (serve, worker,
#: tokens...): each opens the database it names
DB_HELP = (
    "The service's database: a SQLite file, or a SQLAlchemy URL such as "
    "postgresql+psycopg://user:password@host/db (default: $SIGOPT_LIKE_DATABASE, else a SQLite "
    "file in the user data folder)."
)

#: the embedded service's body limit on its commands (``Connection(max_body_bytes=...)``)
BODY_LIMIT_HELP = (
    "The embedded service's largest request body, up to 1 GiB (default: 10 MiB), for a "
    "large table or space; a served one has its own (sigopt-like serve --max-body-bytes)."
)


#: the embedded service's table row limit on its commands (``Connection(max_table_rows=...)``)
ROW_LIMIT_HELP = (
    "The embedded service's largest table, in rows, up to 10,000,000 (default: 100,000); a "
    "served one has its own (sigopt-like serve --max-table-rows)."
)


def db_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--db``: the database of the embedded service or of a service command."""
    return click.option("--db", metavar="PATH|URL", default=None, help=DB_HELP)(f)


def connected(f: Callable[..., Any]) -> Callable[..., Any]:
    """--host, --token, --db, --max-body-bytes and --max-table-rows; the command gets
    ``conn``, a ready Connection."""

    @click.option("--host", metavar="URL", default=None, help=HOST_HELP)
    @click.option("--token", metavar="TOKEN", default=None, help=TOKEN_HELP)
    @db_option
    @click.option(
        "--max-body-bytes", type=BODY_BYTES, default=None, metavar="BYTES", help=BODY_LIMIT_HELP
    )
    @click.option(
        "--max-table-rows", type=TABLE_ROWS, default=None, metavar="ROWS", help=ROW_LIMIT_HELP
    )
    @click.pass_context
    @functools.wraps(f)
    def wrapper(
        ctx: click.Context,
        host: str | None,
        token: str | None,
        db: str | None,
        max_body_bytes: int | None,
        max_table_rows: int | None,
        **kwargs: Any,
    ) -> Any:
        return f(connection(ctx, host, token, db, max_body_bytes, max_table_rows), **kwargs)

    return wrapper


def json_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--json``: print the data as JSON instead of text."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(f)


def quiet_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--quiet``: no progress shown while waiting for the task."""
    return click.option(
        "-q", "--quiet", is_flag=True, help="Show no progress while the task runs."
    )(f)


def progress(quiet: bool) -> ProgressArg:
    """What a command passes as ``progress=``: nothing with --quiet, a bar on a terminal,
    else one line on standard error each time the task's state or phase changes."""
    if quiet:
        return None
    if sys.stderr.isatty():
        return True
    return PhaseLines()


class PhaseLines:
    """Prints ``describe(task)`` to standard error when the status, phase or warnings
    change."""

    def __init__(self) -> None:
        self.last: tuple[Any, ...] | None = None

    def __call__(self, task: Task) -> None:
        key = (task.status, task.phase, tuple(task.warnings or ()))  # a worker found gone too
        if key != self.last:
            self.last = key
            click.echo(describe(task), err=True)

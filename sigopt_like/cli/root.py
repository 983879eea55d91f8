"""The command tree, the global options, and how errors become exit statuses."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from .._version import __version__
from ..url_redaction import RedactedURLs
from . import admin, campaign, experiments
from .connect import negative_id
from .dashboard import dashboard
from .errors import CommandError, describe_error, undecodable_arguments
from .placement import misplaced_option

#: what :func:`main` returns for a command stopped by Ctrl-C: 128 + SIGINT, as shells
#: report it (the ``sigopt-like`` program itself ends by SIGINT: see :func:`program`)
INTERRUPTED = 130
#: what :func:`main` returns when the reader of its output went away (``| head -1``):
#: 128 + SIGPIPE, as shells report a command that pipe ended (the program ends by SIGPIPE)
OUTPUT_CLOSED = 141


#: the commands that run until stopped, printing only where they listen
SERVERS = frozenset({"serve", "worker", "dashboard"})


class OutputClosed(Exception):
    """Standard output (or error) is a pipe whose reader went away (``| head -1``)."""


class Root(click.Group):
    """The command tree's root: a write to a pipe whose reader went away raises
    :class:`OutputClosed`, which :func:`main` turns into :data:`OUTPUT_CLOSED`.

    Before, Click caught it and exited 1 without a word, the status of "an API, data or
    file error (one line)"; a command whose output ``head`` cut short is no failure, and
    a shell knows it by the SIGPIPE the program then ends by (see :func:`program`).
    ``--help`` is written while the context is made, the commands' output while they run:
    both are watched here."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except BrokenPipeError as err:
            raise OutputClosed(str(err)) from err

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError as err:
            raise OutputClosed(str(err)) from err

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """The command ``args`` name; refused before it runs when standard output is
        closed (``>&-``: Python's ``sys.stdout`` is None) and it prints its result there.

        Before, that result was dropped without a word and the exit status was 0: a token
        ``tokens create`` makes, shown once, was lost. A server prints only where it
        listens, and may be started so by a supervisor: it runs as before."""
        name, command, rest = super().resolve_command(ctx, args)
        if sys.stdout is None and name not in SERVERS:
            raise CommandError(
                "standard output is closed (>&-), and this command prints its result there: "
                "give it one (> out.txt, or > /dev/null to drop it); nothing was done"
            )
        return name, command, rest


CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

EPILOG = """\b
A campaign from the command line (embedded service, nothing to start):
  sigopt-like sessions create alloy-screen
  sigopt-like space put 1 space.csv --type factorial --population 20 --replicates 1
  sigopt-like generate 1
  sigopt-like design 1 -o gen1.csv        # fill in Response in the lab
  sigopt-like experiments put 1 gen1.csv --type designed --generate-next
  sigopt-like best 1

\b
Against a served instance: --host URL --token TOKEN on any command, or
SIGOPT_LIKE_HOST and SIGOPT_LIKE_TOKEN in the environment.
Exit status: 0 done (serve, worker and dashboard stopped by Ctrl-C or SIGTERM
too: a stop asked for), 1 an API, data or file error (a missing input file too),
2 a usage error, 130 interrupted by Ctrl-C (a task the command started is canceled).
"""


@click.group(cls=Root, context_settings=CONTEXT, epilog=EPILOG)
@click.version_option(
    __version__, "--version", prog_name="sigopt-like", message="%(prog)s %(version)s"
)
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="Log to standard error: -v retries and task progress, -vv every request.",
)
def cli(verbose: int) -> None:
    """sigopt_like: design-of-experiments campaigns and SigOpt-style experiments.

    Every command talks to the embedded service (a SQLite file: a command's --db) unless
    a host is given; commands that start a task wait for it and show its progress: a
    progress bar when tqdm is installed (the progress extra), else one line per step.
    """
    if verbose:
        logging.basicConfig(
            level=logging.DEBUG if verbose > 1 else logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s %(message)s",
            stream=sys.stderr,
        )
        for handler in logging.getLogger().handlers:  # a host's password or ?token= unshown
            if not any(isinstance(f, RedactedURLs) for f in handler.filters):
                handler.addFilter(RedactedURLs())


for command in (*campaign.COMMANDS, experiments.experiments, *admin.COMMANDS, dashboard):
    cli.add_command(command)


def default_database() -> str:
    """The database the service commands and the embedded client use when none is given.

    ``$SIGOPT_LIKE_DATABASE``, else the ``database`` of the config file, else the
    file in the user's data folder: the same rule as ``Connection()``.
    """
    from .database import default_target

    return default_target()


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit status (0 ok, 1 failed, 2 usage, 130 Ctrl-C)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = cli.main(args=args, prog_name="sigopt-like", standalone_mode=False)
    except click.exceptions.ClickException as err:
        shown: click.ClickException = err
        if isinstance(err, click.NoSuchOption):
            shown = negative_id(err) or misplaced_option(err, args) or err
        shown.show()
        return shown.exit_code
    except click.exceptions.Abort as err:
        # Click turns Ctrl-C into Abort (raised from the KeyboardInterrupt; a prompt's
        # "from None" keeps it as the context): before, every Ctrl-C read "aborted" and
        # exit 1, as a prompt's end of input does, and a script could not tell them apart
        if isinstance(err.__cause__ or err.__context__, KeyboardInterrupt):
            click.echo("sigopt-like: interrupted", err=True)
            return INTERRUPTED
        click.echo("sigopt-like: aborted", err=True)
        return 1
    except OutputClosed:  # nothing to say: the reader is gone, and wanted no more
        return OUTPUT_CLOSED
    except CommandError as err:
        # a message quoting what was typed may hold a lone surrogate (bytes no encoding
        # reads), which no terminal can be written: escaped here, for every message, where
        # each message quoting a name had to remember it (the missing FILE's did not)
        said = str(err).encode("utf-8", "backslashreplace").decode("utf-8")
        click.echo(f"sigopt-like: error: {said}", err=True)
        return 1
    except Exception as err:  # a user's mistake reads as one line, not a traceback
        text = describe_error(err)
        if text is None or os.environ.get("SIGOPT_LIKE_TRACEBACK"):
            raise
        undecodable = undecodable_arguments(args) if "surrogate" in text else None
        if undecodable:  # else the service's "lone UTF-16 surrogate" is all one reads
            text = f"{undecodable}\n  ({text})"
        click.echo(f"sigopt-like: error: {text}", err=True)
        return 1
    return result if isinstance(result, int) else 0


def program() -> NoReturn:
    """The ``sigopt-like`` program (its console script, ``python -m sigopt_like``): run
    :func:`main` on ``sys.argv`` and exit with its status; stopped by Ctrl-C, end by
    SIGINT itself, not by exit status 130.

    A shell tells a command that died of SIGINT from one that exited 130: a script's loop
    (``for f in *.csv; do sigopt-like experiments put 1 "$f" ...; done``) stops at the
    first, and went on to the next file after the second, so Ctrl-C stopped one command
    of the loop, not the loop. The proper way (https://www.cons.org/cracauer/sigint.html)
    is to do one's cleanup (the command's task canceled, its connection closed: main has
    returned), restore SIGINT's default action and send it to oneself. :func:`main`
    itself returns 130, for a caller in the same process (a test, a script's wrapper).
    On Windows, where no signal ends a process so, the exit status is 130.

    So too a command whose output's reader went away (``sigopt-like history 1 | head
    -1``): it ends by SIGPIPE, as ``cat`` or ``yes`` would, silently, and ``$?`` (with
    ``set -o pipefail``) is 141, not the 1 of a failure."""
    code = main()
    by = {INTERRUPTED: "SIGINT", OUTPUT_CLOSED: "SIGPIPE"}.get(code)
    if by is not None and sys.platform != "win32":
        for stream in (sys.stdout, sys.stderr):  # no interpreter teardown flushes them
            with contextlib.suppress(OSError, ValueError):  # closed or broken: nothing kept
                stream.flush()
        number = getattr(signal, by)
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
    sys.exit(code)

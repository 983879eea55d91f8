"""The campaign commands: sessions, space, generate, design, history, best, analytics, simulate.

Each command is a thin shell over one or two calls of the Python API; those
that start a task wait for it, showing its progress on standard error (a bar when
tqdm is installed, else one line per step) unless ``--quiet``, and cancel it when
stopped with Ctrl-C (:mod:`.interrupts`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import csvio
from .._constants import MAX_REMAINING, MAX_SEED
from ..models import TASK_RESULTS, TASK_STATUSES
from ..wording import counted
from .connect import ID
from .earlier_outputs import is_earlier_history
from .errors import CommandError
from .files import (
    CSV_OUTPUT,
    FOLDER,
    INPUT,
    force_option,
    is_standard_stream,
    output_file_folder,
    output_folder,
    read_input,
    refusal_to_replace_files,
    refuse_to_replace,
)
from .interrupts import canceled_on_interrupt
from .options import (
    DESIGNED_GENERATION,
    GENERATION,
    SIMULATED_GENERATIONS,
    Choices,
    WholeNumbers,
    connected,
    json_option,
    progress,
    quiet_option,
)
from .output import assignment, echo_fields, echo_json, echo_table, last_design_note

if TYPE_CHECKING:
    from ..interface import Connection
    from ..models import Session
    from ..spaces import Space

#: what a design's -o file may hold, said when it is kept
LAB_GUESS = "the lab's responses?"
SPACE_TYPES = Choices(["factorial", "mixture"], case_sensitive=False)
#: the types ``tasks.list(type=...)`` takes: space, update, generate, simulate, analytics
TASK_TYPES = Choices(list(TASK_RESULTS), case_sensitive=False)
#: the statuses ``tasks.list(status=...)`` takes: new, running, success, failed, canceled
TASK_STATUS_CHOICES = Choices(list(TASK_STATUSES), case_sensitive=False)


@click.group()
def sessions() -> None:
    """Create, list, show and halt sessions (design campaigns).

    \b
    Example:
      sigopt-like sessions create alloy-screen --description "first screen"
      sigopt-like sessions list
    """


@sessions.command("create")
@click.argument("name")
@click.option("--description", "-d", default=None, help="What the campaign is for.")
@click.option(  # before: 2**70 was the service's "beyond ... 2**63-1", of a seed of 31 bits
    "--seed",
    type=WholeNumbers(0, MAX_SEED, what=f"a seed from 0 to {MAX_SEED}"),
    default=None,
    help="The optimizer's seed (reproducible designs).",
)
@click.option(
    "--tag", "-t", default=None, help="A read-only identifier for the session (Daptics' tag)."
)
@json_option
@connected
def sessions_create(
    conn: Connection,
    name: str,
    description: str | None,
    seed: int | None,
    tag: str | None,
    as_json: bool,
) -> None:
    """Create a session named NAME; prints its id.

    \b
    Example:
      sigopt-like sessions create alloy-screen -d "5 factors, 1,200 recipes" --tag AL-7
    """
    session = conn.sessions.create(name=name, description=description, seed=seed, tag=tag)
    if as_json:
        echo_json(session)
    else:
        click.echo(f"created session {session.id} ({session.name})")


@sessions.command("list")
@click.option(
    "--search", "-s", "query", default=None, help="Only names, descriptions or tags with this."
)
@json_option
@connected
def sessions_list(conn: Connection, query: str | None, as_json: bool) -> None:
    """List your sessions, newest first.

    \b
    Example:
      sigopt-like sessions list --search alloy
    """
    found = list(conn.sessions.list(q=query))
    if as_json:
        echo_json(found)
        return
    echo_table(
        ((s.id, s.name, s.status, _generation(s.gen), s.description) for s in found),
        ["id", "name", "status", "gen", "description"],
    )


@sessions.command("show")
@click.argument("sid", type=ID)
@json_option
@connected
def sessions_show(conn: Connection, sid: str, as_json: bool) -> None:
    """Show session SID: its state, generation and design size.

    \b
    Example:
      sigopt-like sessions show 1 --json
    """
    session = conn.sessions(sid).fetch()
    if as_json:
        echo_json(session)
    else:
        _echo_session(session)


@sessions.command("halt")
@click.argument("sid", type=ID)
@json_option
@connected
def sessions_halt(conn: Connection, sid: str, as_json: bool) -> None:
    """Halt session SID: no more designs are generated for it.

    \b
    Example:
      sigopt-like sessions halt 1
    """
    session = conn.sessions(sid).halt()
    if as_json:
        echo_json(session)
    else:
        click.echo(f"session {session.id} ({session.name}) is {session.status}")


def _generation(gen: int | None) -> int | str | None:
    """A session's generation as a person reads it: the contract's -1 is "no space yet".

    ``--json`` keeps the number.
    """
    return "no space yet" if gen is not None and gen < 0 else gen


def _remaining(remaining: int | None) -> int | str | None:
    """A session's ``remaining`` as a person reads it: the service's cap (``MAX_REMAINING``,
    an INTEGER column) is a lower bound, shown as "2,147,483,647 or more", not as a count.

    ``--json`` keeps the number.
    """
    return f"{remaining:,} or more" if remaining == MAX_REMAINING else remaining


def _echo_session(session: Session) -> None:
    echo_fields(
        [
            ("id", session.id),
            ("name", session.name),
            ("tag", session.tag),
            ("description", session.description),
            ("status", session.status),
            ("generation", _generation(session.gen)),
            ("population", session.population_size),
            ("replicates", session.replicates),
            ("remaining", _remaining(session.remaining)),
            ("completed", session.completed),
        ]
    )


@click.group()
def space() -> None:
    """Set or show a session's experimental space.

    \b
    Example:
      sigopt-like space put 1 space.csv --type factorial --population 20 --replicates 1
    """


@space.command("put")
@click.argument("sid", type=ID)
@click.argument("file", type=INPUT)
@click.option("--type", "space_type", type=SPACE_TYPES, required=True, help="The kind of space.")
@click.option(
    "--total-units",
    type=WholeNumbers(what="a whole number of units, like 100"),
    default=None,
    help="Mixture: units every recipe sums to.",
)
@click.option(
    "--population",
    type=WholeNumbers(what="a number of experiments, like 20"),
    required=True,
    help="Distinct experiments per design (each run replicates + 1 times).",
)
@click.option(
    "--replicates",
    type=WholeNumbers(what="a number of repeats, like 1 (0: each experiment is run once)"),
    required=True,
    help="Repeats of each designed experiment (0: each is run once).",
)
@json_option
@quiet_option
@connected
def space_put(
    conn: Connection,
    sid: str,
    file: Path,
    space_type: str,
    total_units: int | None,
    population: int,
    replicates: int,
    as_json: bool,
    quiet: bool,
) -> None:
    """Validate FILE as session SID's space and set the design's size.

    FILE has no header row: one parameter a line, `name,numerical,1,2,3` or
    `name,categorical,a,b` for a factorial space, `name,unit,min,max` for a
    mixture (then --total-units).

    \b
    Example:
      sigopt-like space put 1 space.csv --type factorial --population 20 --replicates 1
      sigopt-like space put 2 blend.csv --type mixture --total-units 25 --population 20 \\
          --replicates 0
    """
    from ..spaces import MIXTURE, Space

    if space_type.lower() == MIXTURE and total_units is None:
        raise click.UsageError(
            "Missing option '--total-units': a mixture needs the units every experiment's "
            "components add up to (e.g. --total-units 25)"
        )
    if space_type.lower() != MIXTURE and total_units is not None:
        raise click.UsageError("--total-units is for --type mixture only; leave it out")
    value = Space.from_csv(read_input(file, conn), type=space_type, total_units=total_units)
    _check_design_size(value, population, replicates)
    with canceled_on_interrupt(conn, sid, "space"):
        task = conn.sessions(sid).space.put(
            space=value,
            population_size=population,
            replicates=replicates,
            wait=True,
            progress=progress(quiet),
        )
    if as_json:
        echo_json(task)
        return
    result = task.result
    click.echo(
        f"session {sid}: space validated, {result.space_size:,} possible experiments; "
        f"designs of {result.population_size} x {result.replicates + 1} experiments"
    )


def _check_design_size(value: Space, population: int, replicates: int) -> None:
    """Refuse, before any call, a --population or --replicates the population rule
    refuses, in its own words, one line naming each option.

    Before, only values past 64 bits were refused here; the others (``--population 0``,
    ``--replicates -1``) queued a space task that failed after its progress lines, with
    "Task 2 (space) of session 1 failed:" and the problem on a line of its own.

    A mixture too large to count at once (``population.counted_at_once``: more than
    50,000 components x units cells) is not counted here: the service's space task
    judges whether it can fill the population, as it does for any client. Before, the
    command counted it first (half a minute and more for 1,000 components of 10,000
    units), then the service counted it again."""
    from ..population import check_design_size, counted_at_once

    options = {"population_size": "--population", "replicates": "--replicates"}
    count = counted_at_once(value)
    problems = check_design_size(value, population, replicates, count=count)
    if problems:
        raise CommandError(
            "; ".join(
                f"{options.get(problem.field or '', '--population')}: {problem.message}"
                for problem in problems
            )
        )


@space.command("show")
@click.argument("sid", type=ID)
@json_option
@connected
def space_show(conn: Connection, sid: str, as_json: bool) -> None:
    """Print session SID's validated space (in the space file form, or --json).

    \b
    Example:
      sigopt-like space show 1 > validated_space.csv
    """
    value = conn.sessions(sid).space.fetch()
    if as_json:
        echo_json(value)
    else:
        click.echo(value.to_csv(), nl=False)


@click.command()
@click.argument("sid", type=ID)
@click.option("-o", "--output", type=CSV_OUTPUT, default=None, help="Also write the design here.")
@force_option
@json_option
@quiet_option
@connected
def generate(
    conn: Connection, sid: str, output: Path | None, force: bool, as_json: bool, quiet: bool
) -> None:
    """Generate the next design of session SID.

    An -o file that exists and holds something else (the lab's responses) is left as it
    is, and nothing is designed, unless --force is given.

    \b
    Example:
      sigopt-like generate 1 -o gen1.csv
    """
    to_stdout = is_standard_stream(output)  # -o -: the CSV is the output, words go to stderr
    if output is not None and not to_stdout:
        output_file_folder(output)
        refuse_to_replace(output, None, force=force, guess=LAB_GUESS)  # a new design
    with canceled_on_interrupt(conn, sid, "generate"):
        task = conn.sessions(sid).generate(wait=True, progress=progress(quiet))
    design = task.result.experiments
    if to_stdout:
        click.echo(design.to_csv(), nl=False)
    elif output is not None:
        try:
            design.to_csv(output)
        except OSError as err:  # a full disk, say: the design is kept all the same
            from .errors import CommandError, describe_os_error

            raise CommandError(
                f"{describe_os_error(err)}; generation {task.result.gen} is designed and "
                f"kept: write it out with sigopt-like design {sid} -o design.csv"
            ) from err
    if as_json:
        echo_json(task)
        return
    designed = counted(len(design), "experiment")
    said = f"session {sid}: generation {task.result.gen} designed, {designed}"
    said += last_design_note(task.result)
    if to_stdout:
        click.echo(said, err=True)
        return
    click.echo(said)
    if output is not None:
        click.echo(f"wrote {output}: fill in the Response column, then send it back with")
        click.echo(f"  sigopt-like experiments put {sid} {output} --type designed")
    else:
        click.echo(f"write it out with: sigopt-like design {sid} -o design.csv")


def _json_or_output(as_json: bool, output: Path | None) -> None:
    """Refuse ``--json`` with ``-o FILE``: the JSON was printed and ``-o`` left unwritten,
    without a word (``-o -`` is standard output, where the JSON goes)."""
    if as_json and output is not None and not is_standard_stream(output):
        raise click.UsageError(
            "--json prints the table as JSON; -o writes it as CSV: give one of them"
        )


@click.command()
@click.argument("sid", type=ID)
@click.option(
    "--gen", type=DESIGNED_GENERATION, default=None, help="The generation (default: the latest)."
)
@click.option(
    "-o", "--output", type=CSV_OUTPUT, default=None, help="Write the CSV here (else print)."
)
@force_option
@json_option
@connected
def design(
    conn: Connection,
    sid: str,
    gen: int | None,
    output: Path | None,
    force: bool,
    as_json: bool,
) -> None:
    """Write a design of session SID as CSV, with an empty Response column to fill in.

    An -o file that exists and holds something else (the lab's responses) is left as it
    is unless --force is given.

    \b
    Example:
      sigopt-like design 1 -o gen1.csv
      sigopt-like design 1 --gen 2 > gen2.csv
    """
    _json_or_output(as_json, output)
    if output is not None and not is_standard_stream(output):
        output_file_folder(output)
    table = conn.sessions(sid).design.fetch(gen=gen)
    if as_json:
        echo_json(table)
    elif output is not None and not is_standard_stream(output):
        refuse_to_replace(output, table.to_csv(), force=force, guess=LAB_GUESS)
        table.to_csv(output)
        click.echo(f"wrote {output} ({counted(len(table), 'experiment')})")
    else:
        click.echo(table.to_csv(), nl=False)


@click.command()
@click.argument("sid", type=ID)
@click.option(
    "-o", "--output", type=CSV_OUTPUT, default=None, help="Write the CSV here (else print)."
)
@force_option
@json_option
@connected
def history(conn: Connection, sid: str, output: Path | None, force: bool, as_json: bool) -> None:
    """Every generation of session SID as one CSV (Seq_, Gen_, Designed_ columns).

    An -o file that exists and holds something else is left as it is unless --force is
    given; an earlier history export of this session is replaced.

    \b
    Example:
      sigopt-like history 1 -o history.csv
    """
    _json_or_output(as_json, output)
    campaign = conn.sessions(sid)
    if as_json:
        echo_json(campaign.history.fetch())
        return
    if is_standard_stream(output):
        output = None  # -o -: printed
    if output is not None:
        output_file_folder(output)
    text = campaign.history.csv()
    if output is not None:
        refuse_to_replace(output, text, force=force, earlier=is_earlier_history)
        csvio.write_text_file(output, text)
        click.echo(f"wrote {output} ({counted(max(0, len(text.splitlines()) - 1), 'experiment')})")
    else:
        click.echo(text, nl=False)


@click.command()
@click.argument("sid", type=ID)
@json_option
@connected
def best(conn: Connection, sid: str, as_json: bool) -> None:
    """The experiment session SID recommends, and its predicted response.

    \b
    Example:
      sigopt-like best 1
    """
    found = conn.sessions(sid).best.fetch()
    if as_json:
        echo_json(found)
        return
    experiment: Any = found.experiment or {}
    pairs = experiment.items() if hasattr(experiment, "items") else []
    click.echo("recommended: " + ", ".join(assignment(k, v) for k, v in pairs))
    echo_fields(
        [("predicted response", found.predicted_response), ("observed mean", found.observed_mean)]
    )


@click.command()
@click.argument("sid", type=ID)
@click.option(
    "-o",
    "--output",
    "directory",
    type=FOLDER,
    help=(
        "Download the files into this folder (made if missing, in a folder that exists; "
        "else only list them)."
    ),
)
@click.option("--gen", type=GENERATION, default=None, help="The generation (default: the latest).")
@json_option
@quiet_option
@force_option
@connected
def analytics(
    conn: Connection,
    sid: str,
    directory: Path | None,
    gen: int | None,
    as_json: bool,
    quiet: bool,
    force: bool,
) -> None:
    """Make the plots and summaries of a generation of session SID; download them to -o DIR.

    Files of the same names in DIR that hold something else are left as they are, and
    none is written, unless --force is given; an earlier download of this session's
    analytics is replaced.

    \b
    Example:
      sigopt-like analytics 1 -o plots/
    """
    if directory is not None:
        output_folder(directory, make=True)
    campaign = conn.sessions(sid)
    with canceled_on_interrupt(conn, sid, "analytics"):
        task = campaign.analytics.create(gen=gen, wait=True, progress=progress(quiet))
    written = _download_analytics(campaign, directory, task, force=force) if directory else []
    if as_json:
        echo_json({"task": task, "files": [str(p) for p in written]})
        return
    names = [f.name for f in task.result.files]
    click.echo(f"session {sid}: analytics of generation {task.result.gen}: {', '.join(names)}")
    for path in written:
        click.echo(f"wrote {path}")


def _download_analytics(campaign: Any, directory: Path, task: Any, *, force: bool) -> list[Path]:
    """The analytics files of ``task``'s generation written into ``directory`` by the
    Python client's download, whose rule (:mod:`sigopt_like.analytics_output`) keeps a
    file that holds something else and is not this session's earlier download, and then
    writes none (:func:`~.files.refusal_to_replace_files`), unless ``force``."""
    from ..errors import AnalyticsFilesExistError

    gen = task.result.gen
    try:
        written: list[Path] = campaign.analytics.download(directory, gen=gen, overwrite=force)
    except AnalyticsFilesExistError as refused:
        raise refusal_to_replace_files(
            refused.paths, done=f"the analytics of generation {gen} are made"
        ) from None
    return written


@click.command()
@click.argument("sid", type=ID)
@click.option(
    "--generations", "-n", type=SIMULATED_GENERATIONS, required=True, help="How many generations."
)
@json_option
@quiet_option
@connected
def simulate(conn: Connection, sid: str, generations: int, as_json: bool, quiet: bool) -> None:
    """Run generations of session SID against the simulated lab (its space must be set).

    \b
    Example:
      sigopt-like simulate 1 --generations 5
    """
    with canceled_on_interrupt(conn, sid, "simulate"):
        task = conn.sessions(sid).simulate(ngens=generations, wait=True, progress=progress(quiet))
    if as_json:
        echo_json(task)
        return
    history = getattr(task.result, "history", None)
    rows = []
    for generation in getattr(history, "generations", []):
        table = generation.table
        if not table:
            continue
        responses = [v for v in table.responses() if v is not None]
        rows.append((generation.gen, len(table), max(responses, default=None)))
    echo_table(rows, ["gen", "experiments", "best response"])


@click.group()
def tasks() -> None:
    """List a session's tasks, and cancel one (the way out of "task_running").

    \b
    Example:
      sigopt-like tasks list 1
      sigopt-like tasks cancel 1 2
    """


@tasks.command("list")
@click.argument("sid", type=ID)
@click.option(
    "--type",
    "task_type",
    type=TASK_TYPES,
    default=None,
    help="Only the tasks of this type (any case), as tasks.list(type=...) in Python.",
)
@click.option(
    "--status",
    "task_status",
    type=TASK_STATUS_CHOICES,
    default=None,
    help="Only the tasks in this status (any case), as tasks.list(status=...) in Python.",
)
@json_option
@connected
def tasks_list(
    conn: Connection, sid: str, task_type: str | None, task_status: str | None, as_json: bool
) -> None:
    """List session SID's tasks, newest first.

    \b
    Example:
      sigopt-like tasks list 1
      sigopt-like tasks list 1 --type simulate
      sigopt-like tasks list 1 --status failed
    """
    found = list(conn.sessions(sid).tasks.list(type=task_type, status=task_status, result="omit"))
    if as_json:
        echo_json(found)
        return
    rows = (
        (t.id, t.type, t.status, t.phase, t.progress.message if t.progress else "") for t in found
    )
    echo_table(rows, ["id", "type", "status", "phase", "progress"])
    # a running task whose worker is gone: "running" alone is not true of it
    for task in found:
        for warning in task.warnings or []:
            click.echo(f"sigopt-like: warning: task {task.id}: {warning}", err=True)


@tasks.command("cancel")
@click.argument("sid", type=ID)
@click.argument("tid", type=ID)
@json_option
@connected
def tasks_cancel(conn: Connection, sid: str, tid: str, as_json: bool) -> None:
    """Cancel task TID of session SID (a task that is done stays as it ended).

    The way out when every command on the session answers "task_running" (a task left
    running or queued); 'sigopt-like tasks list SID' shows its id.

    \b
    Example:
      sigopt-like tasks cancel 1 2
    """
    task = conn.sessions(sid).tasks(tid).cancel()
    if as_json:
        echo_json(task)
    else:
        said = (
            "canceled"
            if task.status == "canceled"
            else "cancel requested: it stops at its next step"
        )
        click.echo(f"task {task.id} ({task.type}) of session {sid}: {said}")


COMMANDS = (sessions, space, generate, design, history, best, analytics, simulate, tasks)

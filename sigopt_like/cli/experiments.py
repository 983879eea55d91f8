"""``sigopt-like experiments ...``: a campaign's measured experiments, and SigOpt experiments.

``experiments put SID FILE`` sends a session's experiments (Daptics); the other
subcommands are SigOpt's sequential API: ``create``, ``list``, ``show``,
``suggest``, ``observe`` and ``best``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import csvio, error_codes
from ..errors import ConflictError, InvalidRequestError
from ..wording import counted
from .connect import ID
from .errors import CommandError
from .files import INPUT, read_input, shown
from .interrupts import canceled_on_interrupt
from .options import (
    COUNT,
    WHOLE,
    Choices,
    FiniteFloatRange,
    connected,
    json_option,
    progress,
    quiet_option,
)
from .output import echo_fields, echo_json, echo_table, last_design_note, visible

if TYPE_CHECKING:
    from ..interface import Connection
    from ..models import Experiment

TYPES = Choices(["initial", "designed", "final"], case_sensitive=False)
PARAMETER_HELP = (
    "A parameter: NAME:double:MIN:MAX, NAME:int:MIN:MAX or NAME:categorical:A,B,C (repeat it)."
)


@click.group()
def experiments() -> None:
    """A session's measured experiments (put), and SigOpt experiments (create ... best).

    \b
    Examples:
      sigopt-like experiments put 1 gen1.csv --type designed --generate-next
      sigopt-like experiments create --name lr -p lr:double:0.0001:0.1 --metric accuracy
      sigopt-like experiments suggest 1
    """


@experiments.command("put")
@click.argument("sid", type=ID)
@click.argument("file", type=INPUT)
@click.option("--type", "kind", type=TYPES, required=True, help="Which experiments these are.")
@click.option("--generate-next", is_flag=True, help="Then generate the next design.")
@click.option(
    "--replace",
    is_flag=True,
    help="Sent again: drop the experiments put before that FILE leaves out (else refused).",
)
@json_option
@quiet_option
@connected
def experiments_put(
    conn: Connection,
    sid: str,
    file: Path,
    kind: str,
    generate_next: bool,
    replace: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Send FILE, experiments with their responses, to session SID.

    FILE has a header row: the parameters' names and Response. `initial`
    experiments come before the first design, `designed` ones are a design
    with its responses filled in, `final` ones end the campaign.

    \b
    Example:
      sigopt-like experiments put 1 gen1.csv --type designed --generate-next
    """
    from ..spaces import RESPONSE
    from ..tables import Table

    table = Table.from_csv(read_input(file, conn))
    if table.rows and RESPONSE in table.columns:
        at = table.columns.index(RESPONSE)
        if all(row[at] is None for row in table.rows):
            # before: accepted without a word, and with --generate-next the next design
            # was made from nothing
            click.echo(
                f"sigopt-like: note: no experiment in {shown(file)} has a Response: the campaign "
                "learns nothing from them (fill in the Response column with the lab's "
                "results before sending the file)",
                err=True,
            )
    with canceled_on_interrupt(conn, sid, "update", "generate"):
        task = conn.sessions(sid).experiments.put(
            type=kind,
            table=table,
            generate_next=generate_next or None,
            replace=replace or None,
            wait=True,
            progress=progress(quiet),
        )
    if as_json:
        echo_json(task)
    elif task.type == "generate":
        design = task.result.experiments
        click.echo(
            f"session {sid}: {counted(len(table), 'experiment')} accepted; generation "
            f"{task.result.gen} designed, {counted(len(design), 'experiment')}"
            f"{last_design_note(task.result)}: sigopt-like design {sid} -o design.csv"
        )
    else:
        click.echo(f"session {sid}: {counted(len(table), kind + ' experiment')} accepted")
        if kind != "final" and getattr(task.result, "completed", False):
            click.echo(
                f"session {sid}: the campaign is completed: every experiment of its space "
                "was designed or tested"
            )
        skipped = getattr(task.result, "next_task_skipped", None)
        if generate_next and skipped:
            # before: the next design was silently not made, and nothing said why
            click.echo(f"sigopt-like: note: no next design: {skipped}", err=True)


def parse_parameter(text: str) -> dict[str, Any]:
    """``NAME:double:MIN:MAX``, ``NAME:int:MIN:MAX`` or ``NAME:categorical:A,B`` as SigOpt JSON."""
    parts = text.split(":")
    if len(parts) == 3 and parts[1] == "categorical":
        values = [v.strip() for v in parts[2].split(",") if v.strip()]
        return {"name": parts[0], "type": "categorical", "categorical_values": values}
    if len(parts) == 4 and parts[1] in ("double", "int"):
        kind = "whole numbers" if parts[1] == "int" else "finite numbers"
        if any(csvio.ascii_digits(p) is not None for p in parts[2:]):  # int() reads U+0661 as 1
            tip = csvio.ascii_digits_tip(":".join(parts[2:]))
            raise click.BadParameter(f"{text!r}: the bounds must be {kind}{tip}")
        try:
            low, high = (float(p) if parts[1] == "double" else int(p) for p in parts[2:])
        except ValueError as err:
            raise click.BadParameter(f"{text!r}: the bounds must be {kind}") from err
        if not (math.isfinite(low) and math.isfinite(high)):  # '1e999' reads as infinity
            raise click.BadParameter(f"{text!r}: the bounds must be {kind}")
        if parts[1] == "int" and not all(WHOLE[0] <= bound <= WHOLE[1] for bound in (low, high)):
            # before: a 400 advising to write the bound "as a decimal", which an int refuses
            raise click.BadParameter(
                f"{text!r}: the bounds must be whole numbers from {WHOLE[0]} to {WHOLE[1]}"
            )
        return {"name": parts[0], "type": parts[1], "bounds": {"min": low, "max": high}}
    raise click.BadParameter(
        f"{text!r} is not NAME:double:MIN:MAX, NAME:int:... or ...:categorical"
    )


@experiments.command("create")
@click.argument("file", required=False, type=INPUT)
@click.option("--name", default=None, help="The experiment's name.")
@click.option("-p", "--parameter", "parameters", multiple=True, help=PARAMETER_HELP)
@click.option("--metric", default=None, help="The metric's name.")
@click.option("--minimize", is_flag=True, help="Minimize the metric (default: maximize).")
@click.option("--budget", type=COUNT, default=None, help="How many observations you plan.")
@json_option
@connected
def experiments_create(
    conn: Connection,
    file: Path | None,
    name: str | None,
    parameters: tuple[str, ...],
    metric: str | None,
    minimize: bool,
    budget: int | None,
    as_json: bool,
) -> None:
    """Create a SigOpt experiment from options, or from FILE (the JSON body SigOpt takes).

    \b
    Examples:
      sigopt-like experiments create --name catalyst -p temperature:double:20:120 \\
          -p solvent:categorical:water,ethanol --metric yield --budget 40
      sigopt-like experiments create experiment.json
    """
    body: dict[str, Any] = {} if file is None else _experiment_file(file, conn)
    if name is not None:
        body["name"] = name
    if parameters:
        body["parameters"] = [parse_parameter(p) for p in parameters]
    if metric is not None or minimize:
        objective = "minimize" if minimize else "maximize"
        # --metric "" is the service's to refuse (before: silently the metric 'value')
        body["metrics"] = [{"name": "value" if metric is None else metric, "objective": objective}]
    if budget is not None:
        body["observation_budget"] = budget
    if not body.get("parameters"):  # before: "... or FILE", with a FILE given
        where = f' or a "parameters" list in {shown(file)}' if file is not None else " or FILE"
        raise click.UsageError(f"an experiment needs parameters: -p NAME:double:MIN:MAX{where}")
    if "name" not in body:  # before: the service's "'name' must be a string, not null"
        where = f' or a "name" in {shown(file)}' if file is not None else ""
        raise click.UsageError(f"an experiment needs a name: --name NAME{where}")
    # the service names a field it does not take (before, a list of seven here refused
    # linear_constraints, conditionals, num_solutions, tasks and project, all honoured);
    # data=: a field named like a call option (headers, idempotency_key) is the body's
    try:
        experiment = conn.experiments.create(data=body)
    except InvalidRequestError as err:  # a 400 or a 422 naming a field
        if file is None or not err.detail.get("field"):
            raise
        raise CommandError(f"{shown(file)}: {err.message}") from err
    if as_json:
        echo_json(experiment)
    else:
        click.echo(f"created experiment {experiment.id} ({visible(str(experiment.name))})")


class _RepeatedField(ValueError):
    """A JSON object of the file names a field twice."""


def _one_of_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _RepeatedField(key)
        seen[key] = value
    return seen


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (write a finite number, or null for a missing one)")


class _OutOfRange(ValueError):
    """A number of the file that no field takes (JSON, but no number the service reads)."""


def _finite(text: str) -> float:
    """A JSON number with a fraction or an exponent, refused past a float's range (before:
    ``1e999`` read as infinity, and the error named no file and suggested failed=True)."""
    value = float(text)
    if not math.isfinite(value):
        raise _OutOfRange(f"{text} is beyond the numbers a field takes (about +-1.8e308)")
    return value


def _whole(text: str) -> int:
    """A JSON whole number, refused past a float's range before Python's own digit limit
    (before: "Exceeds the limit (4300 digits) ...; use sys.set_int_max_str_digits()")."""
    digits = len(text.lstrip("-"))
    if digits > 309:
        raise _OutOfRange(
            f"a number of {digits:,} digits is beyond the numbers a field takes (about 1.8e308)"
        )
    return int(text)


def _experiment_file(file: Path, conn: Any) -> dict[str, Any]:
    """The experiment a JSON file (or standard input) holds, read as the service reads a
    body: a field named twice is refused (before, the last silently won: the service,
    which refuses it, never saw the file), NaN and Infinity are not JSON, and a UTF-8
    byte order mark (Notepad's) is allowed."""
    try:
        body = json.loads(
            read_input(file, conn).decode("utf-8-sig"),
            object_pairs_hook=_one_of_each,
            parse_constant=_not_json,
            parse_float=_finite,
            parse_int=_whole,
        )
    except _RepeatedField as err:
        raise CommandError(
            f"{shown(file)} names the field {str(err)!r} more than once in one object; "
            "only one of its values would be kept, so give it once"
        ) from err
    except _OutOfRange as err:
        raise CommandError(f"{shown(file)}: {err}") from err
    except UnicodeDecodeError as err:  # before: the codec's own words
        raise CommandError(
            f"{shown(file)} is not UTF-8 text (byte {err.object[err.start]:#04x} at byte "
            f"{err.start + 1:,}): save it as UTF-8, as JSON is"
        ) from err
    except ValueError as err:
        raise CommandError(f"{shown(file)} is not JSON: {err}") from err
    except RecursionError as err:  # before: a traceback
        raise CommandError(f"{shown(file)} is nested too deeply to be an experiment") from err
    if not isinstance(body, dict):
        raise CommandError(f"{shown(file)} must hold a JSON object (the experiment)")
    return body


@experiments.command("list")
@json_option
@connected
def experiments_list(conn: Connection, as_json: bool) -> None:
    """List your SigOpt experiments, newest first.

    \b
    Example:
      sigopt-like experiments list --json
    """
    found = list(conn.experiments.list())
    if as_json:
        echo_json(found)
        return
    rows = [(e.id, e.name, e.state, _observations(e), e.observation_budget) for e in found]
    echo_table(rows, ["id", "name", "state", "observations", "budget"])


@experiments.command("show")
@click.argument("eid", type=ID)
@json_option
@connected
def experiments_show(conn: Connection, eid: str, as_json: bool) -> None:
    """Show SigOpt experiment EID: its parameters, metrics and progress.

    \b
    Example:
      sigopt-like experiments show 1
    """
    experiment = conn.experiments(eid).fetch()
    if as_json:
        echo_json(experiment)
        return
    _echo_experiment(experiment)


def _observations(e: Experiment) -> int | None:
    return getattr(e.progress, "observation_count", None)


def _echo_experiment(e: Experiment) -> None:
    echo_fields(
        [
            ("id", e.id),
            ("name", e.name),
            ("state", e.state),
            ("metrics", ", ".join(f"{m.name} ({m.objective})" for m in e.metrics)),
            ("observations", _observations(e)),
            ("budget", e.observation_budget),
        ]
    )
    for p in e.parameters:
        if p.type == "categorical":
            where = ", ".join(str(v.name) for v in p.categorical_values or [])
        else:
            where = f"{p.bounds.min} .. {p.bounds.max}" if p.bounds else ""
        click.echo(f"  {visible(str(p.name))} ({p.type}): {visible(where)}")


@experiments.command("suggest")
@click.argument("eid", type=ID)
@json_option
@connected
def experiments_suggest(conn: Connection, eid: str, as_json: bool) -> None:
    """A new suggestion for SigOpt experiment EID: the point to try next.

    \b
    Example:
      sigopt-like experiments suggest 1
    """
    try:
        suggestion = conn.experiments(eid).suggest()
    except ConflictError as err:
        # chosen by the answer's code, not its wording: a reworded message kept the advice
        if err.code not in (error_codes.SPACE_EXHAUSTED, error_codes.GRID_EXHAUSTED):
            raise
        # the service's advice is the API's ("delete one"): say what this command line has;
        # a grid search's walk is freed only by deleting an open suggestion (a report
        # spends its point)
        delete = f"sigopt-like experiments delete-suggestion {eid} --suggestion ID"
        if err.code == error_codes.GRID_EXHAUSTED:
            raise CommandError(
                f"the service refused: {err}; delete an open one to have it suggested again "
                f"({delete})"
            ) from err
        raise CommandError(
            f"the service refused: {err}; report one (sigopt-like experiments observe {eid} "
            f"--suggestion ID --value V) or delete one ({delete})"
        ) from err
    if as_json:
        echo_json(suggestion)
        return
    pairs = ", ".join(f"{k}={v}" for k, v in (suggestion.assignments or {}).items())
    click.echo(f"suggestion {suggestion.id}: {pairs}")


@experiments.command("delete-suggestion")
@click.argument("eid", type=ID)
@click.option(
    "--suggestion", "-s", type=ID, metavar="ID", required=True, help="The suggestion's id."
)
@json_option
@connected
def experiments_delete_suggestion(
    conn: Connection, eid: str, suggestion: str, as_json: bool
) -> None:
    """Delete an open suggestion of SigOpt experiment EID (one never to be reported).

    \b
    Example:
      sigopt-like experiments delete-suggestion 1 --suggestion 4
    """
    conn.experiments(eid).suggestions(suggestion).delete()
    if as_json:  # the service answers a deletion with no body
        echo_json({"object": "suggestion", "id": suggestion, "experiment": eid, "deleted": True})
    else:
        click.echo(f"deleted suggestion {suggestion} of experiment {eid}")


@experiments.command("observe")
@click.argument("eid", type=ID)
@click.option(
    "--suggestion", "-s", type=ID, metavar="ID", required=True, help="The suggestion's id."
)
@click.option(
    "--value",
    type=FiniteFloatRange(
        what="the metric's value, like 0.93 (a run that failed: --failed)", nan_ok=True
    ),
    default=None,
    help="The metric's value.",
)
@click.option(
    "--stddev",
    type=FiniteFloatRange(what="a standard deviation, like 0.05", nan_ok=True),
    default=None,
    help="Its standard deviation.",
)
@click.option("--failed", is_flag=True, help="The run failed: no value.")
@json_option
@connected
def experiments_observe(
    conn: Connection,
    eid: str,
    suggestion: str,
    value: float | None,
    stddev: float | None,
    failed: bool,
    as_json: bool,
) -> None:
    """Report the result of a suggestion of SigOpt experiment EID.

    \b
    Examples:
      sigopt-like experiments observe 1 --suggestion 4 --value 0.93
      sigopt-like experiments observe 1 --suggestion 5 --failed
    """
    if value is None and not failed:
        raise click.UsageError("give --value V, or --failed")
    if failed and (value is not None or stddev is not None):  # before: the service's 422
        raise click.UsageError(
            "--failed reports a run that gave no value: it goes without --value and --stddev"
        )
    for name, number in (("--value", value), ("--stddev", stddev)):
        if number is not None and not math.isfinite(number):  # before: "failed=True"
            hint = "; a run that failed is reported with --failed" if name == "--value" else ""
            raise click.BadParameter(f"{number} is not a finite number{hint}", param_hint=name)
    observation = conn.experiments(eid).report(
        suggestion=suggestion, value=value, value_stddev=stddev, failed=failed or None
    )
    if as_json:
        echo_json(observation)
    else:
        outcome = "failed" if observation.failed else f"value {observation.value}"
        click.echo(f"observation {observation.id} of suggestion {suggestion}: {outcome}")


@experiments.command("best")
@click.argument("eid", type=ID)
@json_option
@connected
def experiments_best(conn: Connection, eid: str, as_json: bool) -> None:
    """The best assignments of SigOpt experiment EID so far.

    \b
    Example:
      sigopt-like experiments best 1
    """
    found = list(conn.experiments(eid).best_assignments.fetch())
    if as_json:
        echo_json(found)
        return
    if not found:
        click.echo("no observation yet")
    for item in found:
        pairs = ", ".join(f"{k}={v}" for k, v in (item.assignments or {}).items())
        click.echo(f"best: {pairs} (value {item.value})")

"""``sigopt-like demo``: a whole simulated campaign on the embedded service.

The demo uses only the public client, as a user's script would::

    conn = sigopt_like.Connection(database=..., export_dir=out)
    session = conn.sessions.create(name=..., seed=...)
    conn.sessions(sid).space.put(space=space, population_size=20, replicates=1, wait=True)
    for each generation:
        design = conn.sessions(sid).generate(wait=True).result.experiments
        measured = conn.sessions(sid).responses.simulate(design)
        conn.sessions(sid).experiments.put(type="designed", table=measured, wait=True)
    conn.sessions(sid).best.fetch()
    conn.sessions(sid).analytics.create(wait=True); ...analytics.download(out)

and leaves in ``--out`` the auto-exported CSV files (validated space, one design
per generation, the history) and the analytics plots (PNG, PDF) and summaries.
By default the state lives in a fresh SQLite file inside ``--out``, so the demo
never touches the user's own store.
"""

from __future__ import annotations

import argparse
import math
import shlex
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import attrs

from . import csvio
from ._constants import MAX_SEED, MAX_SIMULATED_GENERATIONS
from .database_targets import quoted, shell_word
from .errors import SigoptLikeError
from .new_files import refusal
from .wording import counted

DEFAULT_OUT = "sigopt-like-demo"
DEFAULT_GENERATIONS = 6
DEFAULT_SEED = 7
DEFAULT_POPULATION = 20
DEFAULT_REPLICATES = 1
DATABASE_FILE = "demo.sqlite3"
HISTORY_FILE = "auto_history.csv"
# the files a demo wrote in --out, as ``sha256sum`` lists them: the next demo there
# removes those still unchanged (a longer earlier run's auto_gen files were left beside
# the new ones), and never a file it did not write
WRITTEN_FILE = "demo.files.sha256"
SAMPLE_SPACES = {"factorial": "formulation-screen", "mixture": "coating-mixture"}
OPTIMUM_KEYS = ("surface_optimum", "optimum")

Echo = Callable[[str], None]


@attrs.frozen
class DemoOptions:
    """What to run: where, how many generations, which sample space, which seed."""

    out: Path
    generations: int = DEFAULT_GENERATIONS
    space: str = "factorial"
    database: Path | None = None
    seed: int = DEFAULT_SEED
    population_size: int = DEFAULT_POPULATION
    replicates: int = DEFAULT_REPLICATES

    @property
    def database_path(self) -> Path:
        """The SQLite file: ``--database``, else ``demo.sqlite3`` inside ``out``."""
        return self.database if self.database is not None else self.out / DATABASE_FILE


@attrs.frozen
class GenerationLine:
    """What the demo reports for one generation."""

    gen: int
    experiments: int
    best_so_far: float | None
    optimum: float | None = None

    def text(self) -> str:
        """``gen 3: 40 experiments, best so far 0.912 (93% of the surface optimum)``."""
        best = "no response yet" if self.best_so_far is None else f"{self.best_so_far:.3f}"
        line = f"gen {self.gen}: {counted(self.experiments, 'experiment')}, best so far {best}"
        if self.best_so_far is not None and self.optimum:
            line += f" ({self.best_so_far / self.optimum:.0%} of the surface optimum)"
        return line


@attrs.frozen
class DemoResult:
    """What a demo run did: its session, lines, recommendation and files written."""

    session_id: str
    lines: tuple[GenerationLine, ...]
    recommendation: Any
    out: Path
    files: tuple[Path, ...]


# --------------------------------------------------------------------------- command line


class _Parser(argparse.ArgumentParser):
    """argparse, its usage error said in one line with the way to the help, as the other
    commands say theirs (before: argparse's usage block, four lines, came first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\nTry '{self.prog} --help' for help.\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``sigopt-like demo`` argument parser."""
    parser = _Parser(
        prog="sigopt-like demo",
        description=(
            "Run a whole simulated design-of-experiments campaign on the embedded "
            "service and write its designs, history and analytics plots to a folder."
        ),
        epilog="Example:\n  sigopt-like demo --out demo-run --generations 4 --space mixture",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--out",
        "-o",
        "--output",
        dest="out",
        default=DEFAULT_OUT,
        help=(
            f"folder for the CSV files and plots, made if missing in a folder that exists "
            f"(default: ./{DEFAULT_OUT})"
        ),
    )
    parser.add_argument(
        "--generations",
        "-n",
        dest="generations",
        # the generations one simulate runs: before, 2**70 was taken and the demo ran until
        # the space was exhausted
        type=_whole_number(1, MAX_SIMULATED_GENERATIONS),
        default=DEFAULT_GENERATIONS,
        help=(
            f"number of design generations, 1 to {MAX_SIMULATED_GENERATIONS} "
            f"(default: {DEFAULT_GENERATIONS})"
        ),
    )
    parser.add_argument(
        "--space",
        choices=sorted(SAMPLE_SPACES),
        default="factorial",
        help="sample space: a formulation factorial or a coating mixture (default: factorial)",
    )
    parser.add_argument(
        "--database",
        "--db",
        dest="database",
        default=None,
        help=f"SQLite file for the service's state (default: a fresh {DATABASE_FILE} in --out)",
    )
    parser.add_argument(
        "--seed",
        type=_whole_number(0, MAX_SEED),
        default=DEFAULT_SEED,
        help=f"seed of the campaign and its simulated surface (default: {DEFAULT_SEED})",
    )
    parser.add_argument(
        "--population-size",
        "--population",
        dest="population_size",
        type=_whole_number(1),
        default=DEFAULT_POPULATION,
        help=f"designed experiments per generation (default: {DEFAULT_POPULATION})",
    )
    parser.add_argument(
        "--replicates",
        type=_whole_number(0),
        default=DEFAULT_REPLICATES,
        help=f"replicates of each designed experiment (default: {DEFAULT_REPLICATES})",
    )
    return parser


def _whole_number(least: int, most: int | None = None) -> Callable[[str], int]:
    """An argument type for whole numbers from ``least`` to ``most``: refused by the
    parser, before the demo makes its folder and database (a negative seed or replicate
    count had been refused by the service only after both were made)."""

    def parse(text: str) -> int:
        try:
            value = csvio.ascii_number(text, int, "a whole number")
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
        if value < least:
            raise argparse.ArgumentTypeError(f"{value} must be at least {least}")
        if most is not None and value > most:
            raise argparse.ArgumentTypeError(f"{value} must be at most {most}")
        return value

    return parse


def _design_size_problem(space: str, population_size: int, replicates: int) -> str | None:
    """What the population rule refuses in ``--population`` and ``--replicates`` for the
    sample space, one clause per option, or None.

    Before, the service refused them after the demo had made its folder and database:
    ``--population 5000`` as "Task 1 (space) of session 1 failed", 23 digits as a 400 that
    said to write the population "as a decimal"."""
    from sigopt_like.data import sample_space
    from sigopt_like.population import check_design_size

    options = {"population_size": "--population", "replicates": "--replicates"}
    problems = check_design_size(sample_space(SAMPLE_SPACES[space]), population_size, replicates)
    return (
        "; ".join(
            f"{options.get(problem.field or '', '--population')}: {problem.message}"
            for problem in problems
        )
        or None
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``sigopt-like demo``; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.out.strip():  # a shell variable left unset: its files went in the current folder
        empty = "is empty" if not args.out else "is only blanks"
        parser.error(f"--out {args.out!r} {empty}: name a folder for the files")
    if args.database is not None and not args.database.strip():
        # a shell variable left unset, as the other commands' --db "" (before: a fresh
        # database in --out, silently, the option given and not honoured)
        empty = "is empty" if not args.database else "is only blanks"
        parser.error(
            f"--db {args.database!r} {empty}: name a SQLite file, or leave --db out for a "
            f"fresh {DATABASE_FILE} in --out"
        )
    out = Path(args.out)
    if out.exists() and not out.is_dir():  # was "File exists: ..."
        parser.error(f"--out {args.out} is a file, not a folder: name a folder for the files")
    above = next((p for p in out.parents if p.exists()), None)
    if above is not None and not above.is_dir():  # was "Not a directory: notes.txt/run"
        parser.error(f"--out {args.out}: {above} is a file, not a folder: name a folder")
    if not out.parent.is_dir():  # as --db and -o: the folder named is made, not those above
        parser.error(
            f"--out {args.out}: the folder {quoted(out.parent)} does not exist; create it "
            f"first (mkdir -p {shell_word(out.parent)}) or name another"
        )
    design_size = _design_size_problem(args.space, args.population_size, args.replicates)
    if design_size:
        parser.error(design_size)
    if args.database:  # before: "cannot use the database: unable to open database file"
        from sigopt_like.database_targets import UnusableDatabase, check

        try:
            check(args.database, made_for_you=False)
        except UnusableDatabase as exc:
            print(f"sigopt-like demo: {exc}", file=sys.stderr)
            return 1
    try:  # before the folder is made (run_demo says it too, before it removes anything)
        _refuse_a_configured_host(db_given=bool(args.database))
    except SigoptLikeError as exc:
        print(f"sigopt-like demo: {exc}", file=sys.stderr)
        return 1
    try:  # before: /proc/x was "no such file or folder: /proc/x", the folder it was to make
        out.mkdir(exist_ok=True)
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        print(f"sigopt-like demo: --out: the folder {out} cannot be made ({why})", file=sys.stderr)
        return 1
    # in the words of every -o command; before, a read-only folder ran into the campaign's
    # first write: "Read-only file system: DIR/demo.files.sha256"
    refused = refusal(out)
    if refused is not None:
        said = f"--out: the folder {out} {refused}; nothing was done."
        print(f"sigopt-like demo: {said}", file=sys.stderr)
        return 1
    options = DemoOptions(
        out=out,
        generations=args.generations,
        space=args.space,
        database=Path(args.database) if args.database else None,
        seed=args.seed,
        population_size=args.population_size,
        replicates=args.replicates,
    )
    try:
        run_demo(options)
    except SigoptLikeError as exc:
        print(f"sigopt-like demo: {exc}", file=sys.stderr)
        return 1
    return 0


# --------------------------------------------------------------------------- the campaign


def run_demo(options: DemoOptions, echo: Echo = print) -> DemoResult:
    """Run the campaign described by ``options``, reporting to ``echo``; return what it did."""
    import sigopt_like
    from sigopt_like.data import sample_space
    from sigopt_like.embedded import require_service

    # before removing anything: without the service's extra, the demo removed the earlier
    # run's files and its database, then stopped
    require_service()
    _refuse_a_configured_host(db_given=options.database is not None)
    out = options.out
    out.mkdir(parents=True, exist_ok=True)
    _remove_earlier_run(out)
    if options.database is None:
        _remove_database(options.database_path)
    before = _exports_in(out)
    template = SAMPLE_SPACES[options.space]
    space = sample_space(template)

    with sigopt_like.Connection(database=str(options.database_path), export_dir=str(out)) as conn:
        session_id, lines, recommendation = _campaign(conn, template, space, options, echo)

    files = tuple(
        sorted(
            p
            for p in out.iterdir()
            if p.is_file() and not _is_database(p) and p.name != WRITTEN_FILE
        )
    )
    _record_written(out, before)
    echo(_files_text(out, files, options.database_path))
    return DemoResult(
        session_id=session_id,
        lines=tuple(lines),
        recommendation=recommendation,
        out=out,
        files=files,
    )


def _campaign(
    conn: Any, template: str, space: Any, options: DemoOptions, echo: Echo
) -> tuple[str, list[GenerationLine], Any]:
    """The campaign itself, on an open connection whose export folder is ``options.out``."""
    out = options.out
    session = _create_session(conn, template, options.seed)
    campaign = conn.sessions(session.id)
    task = campaign.space.put(
        space=space,
        population_size=options.population_size,
        replicates=options.replicates,
        wait=True,
    )
    echo(_header(template, space, task.result, options))

    fetched = campaign.fetch()
    optimum = _surface_optimum(fetched)
    lines: list[GenerationLine] = []
    best: float | None = None
    for _ in range(options.generations):
        generated = campaign.generate(wait=True).result  # also writes auto_genN_design.csv
        measured = campaign.responses.simulate(generated.experiments)
        campaign.experiments.put(type="designed", table=measured, wait=True)
        if optimum is None and not lines and getattr(conn, "embedded", False):
            optimum = local_surface_optimum(space, fetched.seed, measured)
        best = _best(best, _responses(measured))
        line = GenerationLine(
            gen=int(generated.gen), experiments=len(measured), best_so_far=best, optimum=optimum
        )
        lines.append(line)
        echo(line.text())
        if generated.remaining is not None and generated.remaining <= 0:
            echo("the space is exhausted: every experiment has been designed")
            break

    recommendation = campaign.best.fetch()
    echo(_recommendation_text(space, recommendation, optimum or _surface_optimum(recommendation)))

    # With export_dir set the analytics task already saved its files; downloading
    # them again under the same auto_genN_ names shows the call without duplicates.
    campaign.analytics.create(wait=True)
    campaign.analytics.download(str(out), name_by_gen=True)
    if not (out / HISTORY_FILE).exists():
        campaign.history.fetch().to_csv(str(out / HISTORY_FILE))
    return str(session.id), lines, recommendation


def _refuse_a_configured_host(*, db_given: bool) -> None:
    """A ConfigError, before anything is made or removed, if a host is set (exported as
    SIGOPT_LIKE_HOST, or a config file's): the demo runs on the embedded service, on its
    own database, which the Connection refuses beside a host. Before, that refusal came
    in the library's words ("'database' is for the embedded service ... leave out
    'database'"), naming no --db and advising what the demo cannot do, after the earlier
    run's files and database had been removed."""
    from .config import database_beside_host, host_source, resolve_config
    from .errors import ConfigError

    configured = resolve_config()
    if configured.embedded:
        return
    source = host_source(configured)
    given = "--db" if db_given else "the demo"
    said = database_beside_host(str(configured.host), source, given, host_usable=False)
    raise ConfigError(said, path=configured.config_path if source.startswith("config") else None)


def _create_session(conn: Any, template: str, seed: int) -> Any:
    """A new session named after the sample space; a suffix is added on a name clash."""
    from sigopt_like.errors import ConflictError

    description = f"sigopt-like demo: simulated campaign on the {template} sample space"
    for attempt in range(1, 100):
        name = f"demo {template}" if attempt == 1 else f"demo {template} ({attempt})"
        try:
            return conn.sessions.create(name=name, description=description, seed=seed)
        except ConflictError as exc:
            if getattr(exc, "code", None) != "duplicate_name":
                raise
    raise RuntimeError("could not find a free session name for the demo")


class EarlierFilesError(SigoptLikeError):
    """``--out`` holds ``auto_gen`` files that no earlier demo there wrote as they are."""


def _remove_earlier_run(out: Path) -> None:
    """Remove the files an earlier demo wrote in ``out`` (listed in WRITTEN_FILE) that are
    unchanged; refuse, changing nothing, when other ``auto_gen`` files are there: this
    run would leave them beside its own (a longer earlier run's generations), and the
    demo deletes no file it did not write."""
    listed = _read_written(out)
    ours = [
        out / name
        for name, digest in listed.items()
        if (out / name).is_file() and _sha256(out / name) == digest
    ]
    others = sorted(
        p.name
        for p in out.iterdir()
        if p.name.startswith("auto_gen") and p.is_file() and p not in ours
    )
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise EarlierFilesError(
            f"--out {out} holds files of an earlier run that this demo did not write, or "
            f"that were changed since ({shown}); it deletes no such file, and would leave "
            "them beside its own. Name a new folder with --out, or move them away."
        )
    for path in ours:
        path.unlink()
    (out / WRITTEN_FILE).unlink(missing_ok=True)


def _exports_in(out: Path) -> dict[str, tuple[int, int, int]]:
    """Each ``auto_`` file in ``out`` and its (inode, size, mtime in ns)."""
    found = {}
    for path in out.iterdir():
        if path.name.startswith("auto_") and path.is_file():
            stat = path.stat()
            found[path.name] = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
    return found


def _record_written(out: Path, before: Mapping[str, tuple[int, int, int]]) -> None:
    """List in WRITTEN_FILE the ``auto_`` files this run wrote (new or changed)."""
    written = sorted(name for name, seen in _exports_in(out).items() if before.get(name) != seen)
    text = "".join(f"{_sha256(out / name)}  {name}\n" for name in written)
    (out / WRITTEN_FILE).write_text(text, encoding="utf-8")


def _read_written(out: Path) -> dict[str, str]:
    """The names and SHA-256 digests WRITTEN_FILE lists (none when it is missing)."""
    path = out / WRITTEN_FILE
    if not path.is_file():
        return {}
    listed = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        digest, _, name = line.partition("  ")
        if len(digest) == 64 and name and Path(name).name == name:
            listed[name] = digest
    return listed


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _remove_database(path: Path) -> None:
    """Delete the demo's own SQLite file (and its WAL/SHM companions) for a fresh start."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        companion = path.with_name(path.name + suffix)
        if companion.is_file():
            companion.unlink()


def _is_database(path: Path) -> bool:
    return path.name.startswith(DATABASE_FILE)


# --------------------------------------------------------------------------- numbers


def _responses(table: Any) -> list[float]:
    """The numeric responses of a Table (missing ones skipped)."""
    values = table.responses() if callable(getattr(table, "responses", None)) else ()
    return [v for v in (_number(x) for x in values) if v is not None]


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _best(current: float | None, responses: Sequence[float]) -> float | None:
    """The larger of the best so far and this generation's best."""
    candidates = [*responses, *([] if current is None else [current])]
    return max(candidates) if candidates else None


def _surface_optimum(obj: Any) -> float | None:
    """The simulated surface's optimum, when the service reports it (a positive number)."""
    extra = getattr(obj, "extra", None)
    sources = [extra] if isinstance(extra, Mapping) else []
    if isinstance(obj, Mapping):
        sources.append(obj)
    for source in sources:
        for key in OPTIMUM_KEYS:
            value = source.get(key)
            if isinstance(value, Mapping):
                value = value.get("value", value.get("response"))
            number = _number(value)
            if number is not None and number > 0:
                return number
    return None


def local_surface_optimum(space: Any, seed: Any, measured: Any) -> float | None:
    """The optimum of the embedded service's simulated surface, or None if unsure.

    The service does not report its surface's optimum, but when it runs in this
    process its simulator is importable: the surface of ``(space, seed)`` is
    rebuilt and its optimum found by enumeration. The answer is used only if
    the rebuilt surface gives back every response the service just simulated
    (``measured``), so a simulator that works differently yields None, never a
    wrong percentage.
    """
    try:
        from sigopt_like.service.simulator import Surface, optimum
    except ImportError:
        return None
    if not isinstance(seed, int) or measured is None or not len(measured):
        return None
    try:
        surface = Surface.for_space(space, seed)
        columns = list(measured.columns)
        positions = [columns.index(name) for name in space.names]
        points = [
            tuple(p.coerce(row[k]) for p, k in zip(space.parameters, positions, strict=True))
            for row in measured.rows
        ]
        expected = surface.values(points)
        for got, want in zip(measured.responses(), expected, strict=True):
            number = _number(got)
            if number is None or not math.isclose(number, float(want), abs_tol=1e-4):
                return None
        value = optimum(space, surface)[1]
    except (ValueError, KeyError, TypeError, IndexError):
        return None
    return value if math.isfinite(value) and value > 0 else None


# --------------------------------------------------------------------------- text


def _header(template: str, space: Any, result: Any, options: DemoOptions) -> str:
    size = getattr(result, "space_size", None) or space.size()
    per_gen = options.population_size * (options.replicates + 1)
    kind = space.type
    if space.type == "mixture":
        kind = f"mixture of {space.total_units} units"
    return (
        f"sigopt-like demo: '{template}' space ({kind}, {len(space.parameters)} parameters, "
        f"{size:,} possible experiments)\n"
        f"{_count(options.generations, 'generation')} of {per_gen} experiments "
        f"(population {options.population_size}, "
        f"{_count(options.replicates, 'replicate') or 'no replicates'}), "
        f"seed {options.seed}"
    )


def _recommendation_text(space: Any, recommendation: Any, optimum: float | None) -> str:
    experiment = getattr(recommendation, "experiment", None)
    values = _experiment_values(space, experiment)
    text = "recommended: " + (", ".join(f"{k}={_show(v)}" for k, v in values) or "none yet")
    details = []
    predicted = _number(getattr(recommendation, "predicted_response", None))
    observed = _number(getattr(recommendation, "observed_mean", None))
    if predicted is not None:
        details.append(f"predicted {predicted:.3f}")
    if observed is not None:
        details.append(f"observed mean {observed:.3f}")
    if optimum:
        details.append(f"surface optimum {optimum:.3f}")
    return text + (f" ({', '.join(details)})" if details else "")


def _experiment_values(space: Any, experiment: Any) -> list[tuple[str, Any]]:
    """``(name, value)`` pairs of a recommended experiment, in the space's order."""
    if isinstance(experiment, Mapping):
        if isinstance(experiment.get("values"), Mapping):
            experiment = experiment["values"]
        return [(name, experiment[name]) for name in space.names if name in experiment]
    if isinstance(experiment, Sequence) and not isinstance(experiment, str):
        return list(zip(space.names, experiment, strict=False))
    return []


def _show(value: Any) -> str:
    number = _number(value)
    if number is not None and number.is_integer():
        return str(int(number))
    return f"{number:g}" if number is not None else str(value)


def _files_text(out: Path, files: Sequence[Path], database: Path) -> str:
    """``wrote 14 files (3 designs, ..., 4 plots) to DIR; the campaign is in DB (...)``,
    counting what is there and naming the database that holds the campaign."""
    names = [p.name for p in files]
    parts = [
        "the space" if "auto_validated_space.csv" in names else "",
        _count(sum(n.endswith("_design.csv") for n in names), "design"),
        _count(sum(n.endswith("_experiments.csv") for n in names), "experiments table"),
        "the history" if HISTORY_FILE in names else "",
        _count(sum(n.endswith("summary.csv") for n in names), "summary", "summaries"),
        _count(sum(n.endswith((".png", ".pdf")) for n in names), "plot"),
    ]
    listed = ", ".join(p for p in parts if p)
    kept = database.resolve()
    return (
        f"wrote {len(files)} files ({listed}) to {out.resolve()}; the campaign is in {kept} "
        f"(see it: sigopt-like dashboard --db {shlex.quote(str(kept))})"
    )


def _count(n: int, word: str, plural: str | None = None) -> str:
    if n == 0:
        return ""
    return f"{n} {word if n == 1 else plural or word + 's'}"


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

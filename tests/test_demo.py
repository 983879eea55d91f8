"""``sigopt-like demo``: a whole simulated campaign into a folder, and its pieces."""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import pytest

from sigopt_like import demo
from sigopt_like.demo import DemoOptions, GenerationLine, build_parser

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PDF_SIGNATURE = b"%PDF-"
CLIENT_ENV = (
    "SIGOPT_LIKE_HOST",
    "SIGOPT_LIKE_TOKEN",
    "SIGOPT_LIKE_CONFIG",
    "SIGOPT_LIKE_DATABASE",
    "SIGOPT_LIKE_EXPORT_DIR",
)


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No client settings from the environment, and a home that is not the user's."""
    for name in CLIENT_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / "config"))
    monkeypatch.chdir(tmp_path)


# --------------------------------------------------------------------------- pieces


def test_parser_defaults():
    args = build_parser().parse_args([])
    assert args.out == "sigopt-like-demo"
    assert args.generations == 6
    assert args.space == "factorial"
    assert args.database is None


def test_parser_rejects_zero_generations(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--generations", "0"])
    assert "at least 1" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv", [["--generations", "abc"], ["--space", "bogus"], ["extra"], ["--seed"]]
)
def test_a_usage_error_is_one_line_and_the_way_to_the_help(capsys, argv):
    """Before: argparse's four-line usage block came first, the error on the last line."""
    with pytest.raises(SystemExit) as exited:
        demo.main(argv)
    assert exited.value.code == 2
    first, second = capsys.readouterr().err.splitlines()
    assert first.startswith("sigopt-like demo: error: "), first
    assert second == "Try 'sigopt-like demo --help' for help."


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--seed", "-1", "-1 must be at least 0"),
        ("--seed", str(2**31), f"{2**31} must be at most {2**31 - 1}"),
        ("--replicates", "-1", "-1 must be at least 0"),
        ("--seed", "seven", "'seven' is not a whole number"),
        ("--seed", "\u0667", "is not a whole number (write it in ASCII digits: 7)"),
        # before, 2**70 generations were taken: the demo ran until the space was exhausted
        ("--generations", str(2**70), f"argument --generations/-n: {2**70} must be at most 100"),
        ("--generations", "101", "argument --generations/-n: 101 must be at most 100"),
        ("-n", "0", "argument --generations/-n: 0 must be at least 1"),
    ],
)
def test_a_seed_or_replicates_out_of_range_is_refused_before_anything_is_made(
    tmp_path, capsys, option, value, says
):
    """Before: the service refused them (422, or a failed task) after the demo had made
    its folder and database."""
    out = tmp_path / "run"
    with pytest.raises(SystemExit) as exited:
        demo.main(["--out", str(out), option, value])
    assert exited.value.code == 2
    assert says in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--population", "5000"], "--population: the space has 1200 distinct experiments"),
        (["--population", str(2**70)], "--population: the space has 1200 distinct"),
        (["--replicates", "100000"], "--replicates: a design of population_size x"),
        (["--replicates", str(2**70)], "--replicates: a design of population_size x"),
        (["--space", "mixture", "--population", "3000"], "--population: "),
    ],
)
def test_a_design_the_sample_space_cannot_hold_is_refused_before_anything_is_made(
    tmp_path, capsys, argv, says
):
    """Before: the service refused them after the demo had made its folder and database,
    as "Task 1 (space) of session 1 failed" or a 400 saying to write the population "as a
    decimal", without the demo's "error:"."""
    out = tmp_path / "run"
    with pytest.raises(SystemExit) as exited:
        demo.main(["--out", str(out), *argv])
    assert exited.value.code == 2
    first, second = capsys.readouterr().err.splitlines()
    assert first.startswith("sigopt-like demo: error: ") and says in first, first
    assert "decimal" not in first and second == "Try 'sigopt-like demo --help' for help."
    assert not out.exists()


def test_the_demos_largest_seed_is_the_services():
    """One bound for both (``_constants.MAX_SEED``): the largest seed a session takes
    parses, and one more is refused."""
    from sigopt_like.service.resources.sessions import MAX_SEED

    parser = demo.build_parser()
    assert parser.parse_args(["--seed", str(MAX_SEED)]).seed == MAX_SEED
    with pytest.raises(SystemExit):
        parser.parse_args(["--seed", str(MAX_SEED + 1)])


def test_an_out_that_is_a_file_is_a_usage_error(tmp_path, capsys):
    """Before: ``demo --out notes.txt`` said "File exists: notes.txt" (exit 1)."""
    notes = tmp_path / "notes.txt"
    notes.write_text("mine\n")
    with pytest.raises(SystemExit) as exited:
        demo.main(["--out", str(notes)])
    assert exited.value.code == 2
    assert f"--out {notes} is a file, not a folder" in capsys.readouterr().err
    assert notes.read_text() == "mine\n"


def test_an_out_or_database_in_a_missing_folder_is_refused_as_db_is(tmp_path, capsys, clean_env):
    """Before: ``demo --out reslts/run`` and ``--db reslts/x.db`` made every missing
    folder, while every other command's ``--db`` refused one. The folder named is made,
    not those above it."""
    from sigopt_like import cli

    assert cli.main(["demo", "--out", str(tmp_path / "reslts" / "run"), "-n", "1"]) == 2
    err = capsys.readouterr().err
    assert f"the folder {tmp_path / 'reslts'} does not exist; create it first" in err, err
    missing = tmp_path / "reslts" / "x.db"
    assert cli.main(["demo", "--db", str(missing), "--out", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert f"the database's folder {missing.parent} does not exist" in err, err
    assert not (tmp_path / "reslts").exists() and not (tmp_path / "run").exists()


def test_the_mkdir_a_missing_out_folder_advises_makes_it(tmp_path, capsys, clean_env):
    """Before: ``demo --out "no such/run"`` advised ``mkdir -p .../no such``, which bash
    reads as two folders. The advice is one shell word now: run, it makes the folder."""
    import re
    import subprocess

    from sigopt_like import cli

    out = tmp_path / "no such" / "run"
    assert cli.main(["demo", "--out", str(out), "-n", "1"]) == 2
    err = capsys.readouterr().err
    advised = re.search(r"\(mkdir -p (.+?)\) or name another", err)
    assert advised is not None, err
    subprocess.run(["bash", "-c", f"mkdir -p {advised.group(1)}"], cwd=tmp_path, check=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["no such"], err


@pytest.mark.parametrize("out", ["", "  "])
def test_an_empty_out_is_a_usage_error_and_writes_nothing(tmp_path, capsys, clean_env, out):
    """Before: ``sigopt-like demo --out "$OUT"`` with OUT unset ran the campaign into the
    current folder (13 files and a database beside the user's own), where the other
    commands' ``-o ""`` is a usage error."""
    from sigopt_like import cli

    assert cli.main(["demo", "--out", out, "-n", "1"]) == 2
    err = capsys.readouterr().err
    assert f"--out {out!r} is " in err and "name a folder for the files" in err, err
    assert not list(tmp_path.glob("auto_*")) and not list(tmp_path.glob("*.sqlite3"))


@pytest.mark.parametrize("db", ["", "  "])
def test_an_empty_db_is_refused_as_the_other_commands_refuse_it(tmp_path, capsys, clean_env, db):
    """Before: ``demo --db ""`` (a shell variable left unset) ran on a fresh database in
    --out, silently, and ``--db " "`` was taken as a file named " "; the other commands'
    ``--db ""`` is a usage error."""
    from sigopt_like import cli

    out = tmp_path / "out"
    assert cli.main(["demo", "--db", db, "--out", str(out), "-n", "1"]) == 2
    err = capsys.readouterr().err
    assert f"--db {db!r} is " in err and "leave --db out for a fresh demo.sqlite3" in err, err
    assert not out.exists()


def test_an_out_that_cannot_be_made_is_said_so_before_anything_is_made(tmp_path, capsys, clean_env):
    """Before: ``--out notes.txt/run`` said "Not a directory: notes.txt/run" and ``--out
    /proc/run`` "no such file or folder: /proc/run", the folder the demo was asked to make."""
    from sigopt_like import cli

    notes = tmp_path / "notes.txt"
    notes.write_text("mine\n")
    assert cli.main(["demo", "--out", str(notes / "run"), "-n", "1"]) == 2
    err = capsys.readouterr().err
    assert f"--out {notes / 'run'}: {notes} is a file, not a folder" in err, err
    if Path("/proc/self").is_dir():  # Linux: a folder that takes no new folder
        assert cli.main(["demo", "--out", "/proc/run", "-n", "1"]) == 1
        err = capsys.readouterr().err
        assert err.startswith("sigopt-like demo: --out: the folder /proc/run cannot be made"), err
        assert err.count("\n") == 1
    assert notes.read_text() == "mine\n"


def test_a_database_the_demo_cannot_use_is_named_before_anything_is_made(tmp_path, capsys):
    """Before: ``--db`` naming a folder, a CSV file or /dev/null ran into "cannot use the
    database: unable to open database file" (or "file is not a database") after the
    output folder was made; now the other commands' words, and nothing made."""
    folder = tmp_path / "a-folder"
    folder.mkdir()
    text = tmp_path / "space.csv"
    text.write_text("temperature,numerical,1,2\n")
    for database, says in (
        (folder, "is a folder; name a file in it"),
        (text, "is not a sigopt-like database (not a SQLite file)"),
    ):
        out = tmp_path / "out"
        assert demo.main(["--db", str(database), "--out", str(out), "-n", "1"]) == 1
        err = capsys.readouterr().err
        assert err.startswith("sigopt-like demo: ") and says in err and err.count("\n") == 1, err
        assert not out.exists()


def test_default_database_is_inside_out(tmp_path):
    options = DemoOptions(out=tmp_path / "demo")
    assert options.database_path.parent == tmp_path / "demo"
    other = DemoOptions(out=tmp_path / "demo", database=tmp_path / "x.db")
    assert other.database_path == tmp_path / "x.db"


def test_generation_line_text():
    line = GenerationLine(gen=3, experiments=40, best_so_far=0.9123, optimum=0.98)
    assert line.text() == "gen 3: 40 experiments, best so far 0.912 (93% of the surface optimum)"
    assert GenerationLine(3, 40, 0.9123).text() == "gen 3: 40 experiments, best so far 0.912"
    assert (
        GenerationLine(1, 40, None).text() == "gen 1: 40 experiments, best so far no response yet"
    )


def test_surface_optimum_is_read_when_reported():
    class WithExtra:
        extra = {"surface_optimum": 1.25}

    class Without:
        extra = {}

    assert demo._surface_optimum(WithExtra()) == 1.25
    assert demo._surface_optimum({"optimum": {"value": 2.0}}) == 2.0
    assert demo._surface_optimum(Without()) is None
    assert demo._surface_optimum(None) is None


def test_best_so_far():
    assert demo._best(None, []) is None
    assert demo._best(None, [0.2, 0.5]) == 0.5
    assert demo._best(0.7, [0.2, 0.5]) == 0.7


# --------------------------------------------------------------------------- the campaign


def _files(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir())


def _one(out: Path, suffix: str) -> Path:
    found = [p for p in out.iterdir() if p.name.endswith(suffix)]
    assert found, f"no file ending with {suffix!r} in {_files(out)}"
    return found[0]


@pytest.mark.parametrize("space", ["factorial", "mixture"])
def test_demo_runs_a_campaign(tmp_path, capsys, clean_env, space):
    out = tmp_path / "demo-out"
    code = demo.main(
        [
            "--out",
            str(out),
            "--generations",
            "3",
            "--space",
            space,
            "--seed",
            "5",
            "--population-size",
            "10",
        ]
    )
    printed = capsys.readouterr()
    assert code == 0, printed.err
    lines = printed.out.splitlines()

    # a header naming the space, one line per generation, the recommendation, the folder
    assert lines[0].startswith("sigopt-like demo: '")
    gen_lines = [line for line in lines if re.match(r"^gen \d+: ", line)]
    assert [line.split(":")[0] for line in gen_lines] == ["gen 1", "gen 2", "gen 3"]
    for line in gen_lines:
        assert re.match(r"^gen \d+: 20 experiments, best so far -?\d+\.\d{3}", line), line
        assert re.search(r"\(\d+% of the surface optimum\)$", line), line
    bests = [float(re.search(r"best so far (-?\d+\.\d+)", line).group(1)) for line in gen_lines]
    assert bests == sorted(bests)
    assert any(line.startswith("recommended: ") for line in lines)
    assert str(out.resolve()) in lines[-1]
    assert len(lines) <= 12
    # before, the last line named the files but not the database that holds the campaign
    database = out.resolve() / "demo.sqlite3"
    assert lines[-1].endswith(
        f"; the campaign is in {database} (see it: sigopt-like dashboard --db {database})"
    ), lines[-1]
    assert database.is_file()

    # the auto-exported CSV files
    for gen in (1, 2, 3):
        design = out / f"auto_gen{gen}_design.csv"
        assert design.is_file(), _files(out)
        with design.open(newline="") as handle:
            rows = list(csv.reader(handle))
        assert rows[0][-1] == "Response"
        assert len(rows) == 1 + 20
    history = out / "auto_history.csv"
    assert history.is_file(), _files(out)
    with history.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3 * 20
    assert {row["Gen_"] for row in rows} == {"1", "2", "3"}

    # the analytics
    assert _one(out, "responses_by_generation.png").read_bytes().startswith(PNG_SIGNATURE)
    assert _one(out, "responses_by_generation.pdf").read_bytes().startswith(PDF_SIGNATURE)
    assert _one(out, "response_vs_parameters.png").read_bytes().startswith(PNG_SIGNATURE)
    assert _one(out, "response_vs_parameters.pdf").read_bytes().startswith(PDF_SIGNATURE)

    # the state stayed in the demo's own folder
    assert not (tmp_path / "home").exists() or not any((tmp_path / "home").rglob("*.db"))


def test_demo_starts_fresh_when_run_twice(tmp_path, capsys, clean_env):
    out = tmp_path / "again"
    argv = ["--out", str(out), "--generations", "1", "--population-size", "10"]
    assert demo.main(argv) == 0
    assert demo.main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines if line.startswith("gen ")] == [
        line for line in lines if line.startswith("gen 1: ")
    ]


def test_a_demo_without_the_service_extra_deletes_nothing(tmp_path, capsys, clean_env, monkeypatch):
    """Before: run where the service's extra is missing, the demo first removed the
    earlier run's files and its database, then stopped ("needs the 'service' extra")."""
    out = tmp_path / "kept"
    argv = ["--out", str(out), "--generations", "1", "--population-size", "10"]
    assert demo.main(argv) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert "demo.files.sha256" in before and "auto_gen1_design.csv" in before
    monkeypatch.setitem(sys.modules, "sigopt_like.service", None)  # as without falcon
    assert demo.main(argv) == 1
    assert "needs the 'service' extra" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


@pytest.mark.parametrize("where", ["environment", "config file"])
def test_a_host_set_elsewhere_is_refused_in_the_demos_words_and_nothing_removed(
    tmp_path, capsys, clean_env, monkeypatch, where
):
    """Before: with SIGOPT_LIKE_HOST exported, ``demo --db y.db`` said "'database' is for
    the embedded service ... or leave out 'database' to use that host" (no --db named, and
    the demo never uses a host), after it had removed the earlier run's files and database.
    """
    from sigopt_like import cli

    out = tmp_path / "kept"
    argv = ["demo", "--out", str(out), "--generations", "1", "--population-size", "10"]
    assert cli.main(argv) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert "demo.sqlite3" in before and "auto_gen1_design.csv" in before
    host = "http://bob:s3cret@127.0.0.1:9"
    if where == "environment":
        monkeypatch.setenv("SIGOPT_LIKE_HOST", host)
        source = "environment variable SIGOPT_LIKE_HOST"
        unset = "unset SIGOPT_LIKE_HOST"
    else:
        config = tmp_path / "team.json"
        config.write_text(f'{{"host": "{host}", "token": "t"}}')
        monkeypatch.setenv("SIGOPT_LIKE_CONFIG", str(config))
        source = f"config file {config}"
        unset = f"remove 'host' (and its token or login) from {config}"
    database, fresh = tmp_path / "y.db", tmp_path / "fresh"
    capsys.readouterr()
    for extra, given in (
        (["--db", str(database)], "--db"),
        ([], "the demo"),
        (["--out", str(fresh)], "the demo"),
    ):
        assert cli.main([*argv, *extra]) == 1
        err = capsys.readouterr().err
        assert err.startswith(
            f"sigopt-like demo: {given} is for the embedded service, but a host is set: "
            f"http://bob:***@127.0.0.1:9 (from {source}); {unset}"
        ), err
        assert err.count("\n") == 1 and "s3cret" not in err and "leave out" not in err, err
        assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
        assert not database.exists() and not fresh.exists()


def test_a_shorter_run_removes_the_earlier_runs_files_and_no_other(tmp_path, capsys, clean_env):
    """Before: a 1-generation demo into the folder of a 2-generation one left the earlier
    auto_gen2_* files beside the new ones. Now the files an earlier demo wrote (listed in
    demo.files.sha256) go, if unchanged; any other auto_gen file stops the demo, and no
    file the demo did not write is deleted."""
    out = tmp_path / "again"
    argv = ["--out", str(out), "--population-size", "10", "--generations"]
    assert demo.main([*argv, "2"]) == 0
    assert (out / "auto_gen2_design.csv").is_file()
    (out / "notes.txt").write_text("mine\n")
    assert demo.main([*argv, "1"]) == 0
    assert not list(out.glob("auto_gen2_*")), _files(out)
    assert (out / "auto_gen1_design.csv").is_file()
    assert (out / "notes.txt").read_text() == "mine\n"

    # a file the demo did not write, or one it wrote and that was changed since
    for name, text in (("auto_gen7_mine.csv", "a,b\n"), ("auto_gen1_design.csv", "edited\n")):
        (out / name).write_text(text)
        kept = {p.name: p.read_bytes() for p in out.iterdir()}
        capsys.readouterr()
        assert demo.main([*argv, "1"]) == 1
        err = capsys.readouterr().err
        said = "files of an earlier run that this demo did not write, or that were changed since"
        assert f"{said} ({name})" in err
        assert {p.name: p.read_bytes() for p in out.iterdir()} == kept  # nothing changed
        (out / name).unlink()


def test_console_script_passes_options_to_the_demo(tmp_path, capsys, clean_env):
    """``sigopt-like demo --out DIR ...`` reaches ``demo.main`` with its options."""
    from sigopt_like import cli

    out = tmp_path / "via-cli"
    code = cli.main(["demo", "--out", str(out), "--generations", "1", "--population-size", "10"])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert (out / "auto_gen1_design.csv").is_file()
    assert "gen 1: 20 experiments" in printed.out


def test_the_last_line_names_a_database_given_with_database(tmp_path, capsys, clean_env):
    """``--database`` elsewhere: the last line names that file, quoted for a shell."""
    out, database = tmp_path / "out", tmp_path / "my lab" / "kept.sqlite3"
    database.parent.mkdir()
    argv = ["--out", str(out), "--database", str(database), "--generations", "1"]
    assert demo.main([*argv, "--population-size", "10"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.endswith(
        f"; the campaign is in {database} (see it: sigopt-like dashboard --db '{database}')"
    ), last
    assert database.is_file() and not (out / "demo.sqlite3").exists()

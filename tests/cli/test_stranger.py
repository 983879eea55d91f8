"""Mistakes met by following the docs as a stranger would: a fresh install, the pages'
commands as written, then the same commands with the files a lab actually has.

Each test failed before its fix.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click
import pytest

import sigopt_like
from tests.fixtures.servers import REPO_ROOT, announced_url

from .conftest import Run
from .test_errors import one_line


@pytest.fixture
def mixture_session(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Session 1 on a database of its own, no space yet."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "blend.db"))
    assert run("sessions", "create", "blend").code == 0
    return run


def _space_put(run: Run, path: Path, total: int = 15) -> list[str]:
    done = run("space", "put", "1", path, "--type", "mixture", "--total-units", total,
               "--population", "2", "--replicates", "0", "-q")  # fmt: skip
    assert done.code == 1 and "Traceback" not in done.err, done
    assert run("space", "show", "1").code == 1  # nothing stored
    return done.err.strip().splitlines()


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        ("a,unit,0,10.5\nb,unit,0,10\n", "row 1, column D (Max): maximum '10.5' is not a whole"),
        ("a,unit,0,x\nb,unit,0,y\n", "row 1, column D (Max): maximum 'x' is not a whole"),
        ("a,units,0,10\n", "row 1, column B (Type): unknown parameter type 'units'"),
    ],
)
def test_a_row_that_cannot_be_read_is_the_only_problem_told(
    mixture_session, tmp_path, rows, problem
):
    """Before: a component whose maximum was ``10.5`` was left out of the space, and the
    rules on the rows together were judged without it: "a mixture space needs at least two
    components" (the file has two) and "the maximums add up to 10, less than total_units
    15"; a file whose rows were all unreadable was also "the space has no parameters"."""
    path = tmp_path / "blend.csv"
    path.write_text(rows)
    lines = _space_put(mixture_session, path)
    told = "\n".join(lines)
    assert problem in told, told
    for follow_on in ("no parameters", "at least two components", "add up to"):
        assert follow_on not in told, told


def test_a_bound_written_1e308_is_quoted_as_written(mixture_session, tmp_path):
    """Before: "maximum 1000000000000000010979063629440455417404923096773118463368106829031
    575854049114915371633289784946888990612496697211725156115902837431400883283070091981
    46046... of 'a' is above total_units 15", the float 1e308 as its 309 digits."""
    path = tmp_path / "blend.csv"
    path.write_text("a,unit,-1e308,1e308\nb,unit,0,10\n")
    told = "\n".join(_space_put(mixture_session, path))
    assert "minimum -1e+308 of 'a' is negative" in told, told
    assert "maximum 1e+308 of 'a' is above total_units 15" in told, told
    assert "00000000000" not in told


AFTER = "{} goes after the command"
BEFORE = "{} goes before the command, right after sigopt-like"


@pytest.mark.parametrize(
    ("argv", "told", "fixed"),
    [
        ("--db {db} sessions list", AFTER.format("--db"), "sessions list --db {db}"),
        ("--json sessions list", AFTER.format("--json"), "sessions list --json"),
        ("sessions --db={db} list", AFTER.format("--db"), "sessions list --db={db}"),
        ("sessions list --db {db} -vv", BEFORE.format("-v"), "-vv sessions list --db {db}"),
        # the demo's options are argparse's, which Click did not know: "No such option"
        ("--db {db} demo --help", AFTER.format("--db"), "demo --help --db {db}"),
        ("-n 2 demo --help", AFTER.format("-n"), "demo --help -n 2"),
        # every misplaced option at once: before, one, then the next on the next run
        ("--db {db} --json sessions list", "--db and --json go after the command",
         "sessions list --db {db} --json"),
        ("--json sessions list --db {db} -vv",
         AFTER.format("--json") + ", and " + BEFORE.format("-v"),
         "-vv sessions list --db {db} --json"),
    ],
)  # fmt: skip
def test_an_option_on_the_wrong_side_of_the_command_says_where_it_goes(
    run: Run, tmp_path: Path, argv: str, told: str, fixed: str
) -> None:
    """Before: ``sigopt-like --db lab.db sessions list`` was "No such option '--db'", an
    option every command has, ``--json`` there "Did you mean '--version'?", and
    ``sessions list -v`` "No such option '-v'", though ``sigopt-like --help`` lists it.
    The usage error shows the command line with the option moved, and that line runs."""
    db = str(tmp_path / "lab.db")
    done = run(*argv.format(db=db).split())
    assert done.code == 2, done
    last = done.err.strip().splitlines()[-1]
    assert last == f"Error: {told}: sigopt-like {fixed.format(db=db)}", done.err
    if "-vv" not in fixed:  # -vv would set up logging in the test's own process
        assert run(*shlex.split(fixed.format(db=db))).code == 0


def test_an_unknown_option_left_after_the_moves_is_said_with_them(run: Run) -> None:
    """Misplaced options are hinted at once, and an option no command takes is said
    with them, not found only when the moved line is run."""
    done = run("--json", "sessions", "list", "--jsn")
    assert done.code == 2, done
    assert done.err.strip().splitlines()[-1] == (
        "Error: --json goes after the command: sigopt-like sessions list --jsn --json; "
        "then: No such option '--jsn'. Did you mean '--json'?"
    ), done.err


def test_an_unknown_option_is_still_clicks_own_words(run: Run) -> None:
    done = run("--population", "3", "sessions", "list")
    assert done.code == 2 and "No such option '--population'" in done.err, done


UNCLOSED = 'a cell there begins with a quote (") that is never closed'


@pytest.mark.parametrize(
    ("kind", "text", "row"),
    [
        ("space", 'temp,numerical,1,2\n"solvent,categorical,water,DMSO\n', 2),
        ("space", '"temp,numerical,1,2\nsolvent,categorical,water,DMSO\n', 1),
        ("initial", 'temp,solvent,Response\n"1,water,0.5\n2,DMSO,0.7\n', 2),
    ],
)
def test_a_quote_never_closed_is_named_not_the_rows_it_swallowed(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, text: str, row: int
) -> None:
    """Before: a cell opened with a quote that is never closed took the rest of the file
    (the csv module reads to the end looking for the closing quote), and the message was
    about the result: "row 2 has 1 cells but the header has 5 columns (column B 'pressure'
    onwards are missing)", or "parameter 'temp,numerical,1,2 ...' has no type"."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "quotes.db"))
    assert run("sessions", "create", "quotes").code == 0
    space = tmp_path / "space.csv"
    space.write_text("temp,numerical,1,2\nsolvent,categorical,water,DMSO\n")
    path = tmp_path / "file.csv"
    path.write_text(text)
    sized = ("--type", "factorial", "--population", "2", "--replicates", "0", "-q")
    if kind == "space":
        done = run("space", "put", "1", path, *sized)
    else:
        assert run("space", "put", "1", space, *sized).code == 0
        done = run("experiments", "put", "1", path, "--type", kind, "-q")
    assert done.code == 1, done
    lines = done.err.strip().splitlines()
    assert len(lines) == 1 and f"row {row}: {UNCLOSED}" in lines[0], done.err
    assert "has no type" not in lines[0] and "cells but the header" not in lines[0]
    tasks = run("tasks", "list", "1", "--json").json()
    assert [t["type"] for t in tasks] == ([] if kind == "space" else ["space"])


def test_a_cell_past_the_csv_limit_is_said_in_a_readers_words(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: "row 2: cannot read CSV: field larger than field limit (131072)", the csv
    module's words; a quote never closed early in a large file ends there too."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "long.db"))
    assert run("sessions", "create", "long").code == 0
    path = tmp_path / "space.csv"
    path.write_text('temp,numerical,1,2\n"solvent,categorical,water,DMSO\n' + "x," * 100_000)
    done = run("space", "put", "1", path, "--type", "factorial", "--population", "2",
               "--replicates", "0", "-q")  # fmt: skip
    assert done.code == 1, done
    line = done.err.strip()
    assert "row 2: a cell there has more than 131,072 characters" in line, line
    assert "field limit" not in line and "quote" in line


def test_a_long_cell_with_no_quote_is_not_told_to_close_one(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: a file of one 200,000-character line with no quote in it (text pasted into
    the wrong file) was told "if a cell begins with a quote (") that is never closed ...
    close the quote or remove it", a quote it did not have."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "long.db"))
    assert run("sessions", "create", "long").code == 0
    for name in ("space.csv", "experiments.csv"):
        path = tmp_path / name
        path.write_text("temp,numerical,1,2\n" + "x" * 200_000 + "\n")
        command = ("space", "put", "1", path, "--type", "factorial", "--population", "2",
                   "--replicates", "0", "-q")  # fmt: skip
        if name == "experiments.csv":
            command = ("experiments", "put", "1", path, "--type", "initial", "-q")
        done = run(*command)
        assert done.code == 1, done
        line = done.err.strip()
        assert len(line.splitlines()) == 1, line
        assert "row 2: a cell there has more than 131,072 characters" in line, line
        assert "quote" not in line and "is this the file you meant?" in line, line


@pytest.mark.parametrize("body", ['{"name": "x"}', '{"name": "x", "parameters": []}'])
def test_an_experiment_file_without_parameters_is_named(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str
) -> None:
    """Before: "an experiment needs parameters: -p NAME:double:MIN:MAX or FILE", said
    of the FILE given, as if none had been."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "e.db"))
    path = tmp_path / "experiment.json"
    path.write_text(body)
    done = run("experiments", "create", path)
    assert done.code == 2, done
    assert done.err.strip().splitlines()[-1] == (
        f'Error: an experiment needs parameters: -p NAME:double:MIN:MAX or a "parameters" '
        f"list in {path}"
    ), done.err
    assert run("experiments", "create").err.strip().endswith("-p NAME:double:MIN:MAX or FILE")


def test_simulate_without_a_space_says_how_to_set_one_here(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: "give 'space', 'population_size' and 'replicates', or put a space first":
    fields of the HTTP body, which ``sigopt-like simulate`` has no option for, and no word
    of the command that puts one, as every other route's "space_required" has."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "sim.db"))
    assert run("sessions", "create", "sim").code == 0
    done = run("simulate", "1", "-n", "1", "-q")
    assert done.code == 1, done
    assert "409 space_required" in done.err and "sigopt-like space put" in done.err, done.err
    assert run("tasks", "list", "1", "--json").json() == []


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32"])
def test_a_utf16_file_without_its_mark_is_one_problem_with_no_raw_nul(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, encoding: str
) -> None:
    """Before: a space file saved as UTF-16 without its byte order mark (or as UTF-32) was
    six problems, "unknown parameter type '\\x00n\\x00u\\x00m...'", the NULs written raw to
    the terminal; an experiments table so saved, one problem a cell, each column named
    with its NULs. It is one line saying what the file is and how to save it."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "wide.db"))
    assert run("sessions", "create", "wide").code == 0
    text = "temp,numerical,1,2\nsolvent,categorical,water,DMSO\n"
    space = tmp_path / "space.csv"
    space.write_bytes(text.encode(encoding))
    sized = ("--type", "factorial", "--population", "2", "--replicates", "0", "-q")
    table = tmp_path / "initial.csv"
    table.write_bytes("temp,solvent,Response\n1,water,0.5\n".encode(encoding))
    plain = tmp_path / "plain.csv"
    plain.write_text(text)
    for args, what in (
        (("space", "put", "1", space, *sized), "space"),
        (("experiments", "put", "1", table, "--type", "initial", "-q"), "table"),
    ):
        if what == "table":
            assert run("space", "put", "1", plain, *sized).code == 0
        done = run(*args)
        assert done.code == 1 and "\x00" not in done.err, done
        assert done.err.strip() == (
            f"sigopt-like: error: invalid {what}: the file has a NUL character between its "
            "letters: it is UTF-16 or UTF-32 text, not UTF-8; save it as 'CSV UTF-8 (Comma "
            "delimited)'"
        ), done.err


@pytest.mark.parametrize("cell", ["\x00", "num\x00erical"])
def test_a_nul_in_a_type_cell_is_shown_escaped(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cell: str
) -> None:
    """Before: a lone NUL as a space file's type was "unknown parameter type '\\x00'" with
    the NUL itself written to the terminal; it is shown escaped, as a level's is."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "nul.db"))
    assert run("sessions", "create", "nul").code == 0
    space = tmp_path / "space.csv"
    space.write_text(f"temp,{cell},1,2\nsolvent,categorical,water,DMSO\n")
    done = run("space", "put", "1", space, "--type", "factorial", "--population", "2",
               "--replicates", "0", "-q")  # fmt: skip
    assert done.code == 1 and "\x00" not in done.err, done
    shown = repr(cell)  # '\\x00', as written in a message
    assert f"row 1, column B (Type): unknown parameter type {shown}; " in done.err, done.err
    assert run("space", "show", "1").code == 1  # nothing stored


@pytest.mark.parametrize("seed", ["-1", str(2**70)])
def test_a_seed_out_of_range_is_a_usage_error_naming_the_range(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: str
) -> None:
    """Before: ``sessions create s --seed 1180591620717411303424`` was the service's 400
    "beyond the integers this service stores: ... -9223372036854775808 to
    9223372036854775807 ...", a range the seed (0 to 2**31 - 1) does not take either."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "seed.db"))
    done = run("sessions", "create", "s", "--seed", seed)
    assert done.code == 2, done
    assert "'--seed'" in done.err and "0<=x<=2147483647" in done.err, done.err
    assert run("sessions", "create", "s", "--seed", "2147483647").code == 0


@pytest.mark.parametrize("gen", ["0", "-1", str(2**70)])
def test_design_gen_outside_the_designs_is_a_usage_error(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gen: str
) -> None:
    """Before: ``design 1 --gen 0`` was the service's "The query parameter 'gen' must be at
    least 1", an HTTP word for an option the reader typed as --gen (and 2**70 "at most
    2147483647"), after connecting; ``analytics --gen`` already took its range."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "gen.db"))
    assert run("sessions", "create", "s").code == 0
    done = run("design", "1", f"--gen={gen}")
    assert done.code == 2, done
    assert "'--gen'" in done.err and "1<=x<=2147483647" in done.err, done.err


@pytest.mark.parametrize(
    ("variable", "value", "setting"),
    [
        ("SIGOPT_LIKE_VERIFY_SSL_CERTIFICATES", "maybe", "'verify'"),
        ("SIGOPT_LIKE_TIMEOUT", "abc", "'timeout'"),
        ("SIGOPT_LIKE_MAX_TRIES", "-3", "'max_tries'"),
        ("DAPTICS_VERIFY_SSL_CERTIFICATES", "maybe", "'verify'"),
    ],
)
def test_a_wrong_value_in_the_environment_names_its_variable(
    run: Run, served, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, setting: str
) -> None:
    """Before: "'verify' must be true, false or the path of a CA bundle; 'maybe' is
    neither, and no such file exists (from environment)": the team's shell set
    SIGOPT_LIKE_VERIFY_SSL_CERTIFICATES, a name the message did not give and that
    'verify' does not lead to."""
    monkeypatch.setenv("SIGOPT_LIKE_HOST", served.url)
    monkeypatch.setenv("SIGOPT_LIKE_TOKEN", served.token)
    monkeypatch.setenv(variable, value)
    done = run("sessions", "list")
    assert done.code == 1 and "Traceback" not in done.err, done
    assert setting in done.err and f"(from environment variable {variable})" in done.err, done
    monkeypatch.delenv(variable)
    assert run("sessions", "list").code == 0  # the server was fine all along


@pytest.mark.parametrize(
    "args",
    [
        ("design", "1", "-o", "a\x00b"),
        (
            "space",
            "put",
            "1",
            "\x00",
            "--type",
            "factorial",
            "--population",
            "2",
            "--replicates",
            "0",
        ),
        ("experiments", "create", "a\x00.json"),
        ("analytics", "1", "-o", "out\x00", "-q"),
    ],
)
def test_a_nul_in_a_file_argument_is_a_usage_error(run: Run, args: tuple[str, ...]) -> None:
    """Before: Python's "ValueError: embedded null byte" traceback (a NUL reaches a command
    run from a script, ``cli.main([...])``; a shell cannot pass one)."""
    done = run(*args)
    assert done.code == 2 and "Traceback" not in done.err, done
    assert "holds a NUL character (U+0000), which no file name holds" in done.err, done.err


@pytest.mark.parametrize("host", ["x" * 5000, f"https://lab.{'x' * 64}.example"])
def test_a_host_name_no_dns_holds_is_refused_before_any_request(run: Run, host: str) -> None:
    """Before: a part of a host name past 63 characters was urllib3's LocationParseError
    traceback ("label empty or too long") at the first request; a 5,000-character --host
    is now quoted cut short."""
    done = run("sessions", "list", "--host", host, "--token", "t")
    assert done.code == 1 and "Traceback" not in done.err, done
    assert "'host' must be the service's URL, like http://127.0.0.1:8080" in done.err
    assert len(done.err) < 400, done.err


#: seconds within which a host name that does not resolve is said: far under the 120 s
#: of retries a service restarting is given, which such a name had before
UNRESOLVED_SAID_WITHIN = 30


@pytest.mark.parametrize("host", ["nohost.invalid", "http://nohost.invalid:1234", "-1"])
def test_a_host_name_that_does_not_resolve_is_said_at_once(
    run: Run, host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: a name DNS does not know (a typo; ``.invalid`` never resolves) was retried
    for the two minutes meant for a service restarting, then "Name or service not known".
    A refused connection is still retried (tests/cli/test_mistakes.py)."""
    monkeypatch.delenv("SIGOPT_LIKE_MAX_RETRY_TIME", raising=False)
    monkeypatch.delenv("SIGOPT_LIKE_MAX_TRIES", raising=False)
    started = time.monotonic()
    done = run("sessions", "list", "--host", host, "--token", "t")
    # "at once": well under the 120 s retried before; 30 s leaves room for a busy machine
    # and a resolver that is slow to say no (before, 5 s)
    assert time.monotonic() - started < UNRESOLVED_SAID_WITHIN, done
    assert done.code == 1 and "Traceback" not in done.err, done
    name = host.removeprefix("http://").split(":")[0]
    assert done.err.strip().splitlines() == [
        f"sigopt-like: error: GET {'' if '://' in host else 'https://'}{host}/v1/version "
        f"failed: the host name {name!r} does not resolve (Name or service not known): check "
        "its spelling, and that this machine's DNS (or /etc/hosts) knows it; is --host (or "
        "$SIGOPT_LIKE_HOST) the service's URL?"
    ], done.err


def test_a_connection_to_a_host_that_does_not_resolve_raises_a_typed_error() -> None:
    started = time.monotonic()
    conn = sigopt_like.Connection(host="http://nohost.invalid:1234", token="t")
    with conn, pytest.raises(sigopt_like.HostNotFoundError) as raised:
        conn.sessions.list()
    assert time.monotonic() - started < UNRESOLVED_SAID_WITHIN
    assert raised.value.host == "nohost.invalid"
    assert isinstance(raised.value, sigopt_like.APIConnectionError)  # caught as before


def _helps(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command line whose ``--help`` a person can read, the top one first."""
    found = [path]
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            found += _helps(sub, (*path, name))
    return found


def test_no_help_promises_a_progress_bar_without_naming_tqdm(run: Run) -> None:
    """Before: ``sigopt-like --help`` said commands wait "with a progress bar", and
    ``--quiet`` "No progress bar": without tqdm (not in the ``service`` extra) a stranger
    saw one line per step. A help that speaks of a bar now says tqdm draws it."""
    from sigopt_like.cli.root import cli as root

    lacking = []
    for path in _helps(root):
        done = run(*path, "--help")
        assert done.code == 0, (path, done)
        text = " ".join(done.out.split())
        if "progress bar" in text and "tqdm" not in text:
            lacking.append(" ".join(path) or "sigopt-like")
    assert not lacking, lacking


def test_a_session_without_a_space_says_so_where_json_keeps_minus_one(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: ``sessions list`` and ``sessions show`` printed ``-1`` as the generation of
    a session with no space, a number no person reads as "no space yet"."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "fresh.db"))
    assert run("sessions", "create", "fresh").code == 0
    listed = run("sessions", "list")
    assert listed.code == 0 and "no space yet" in listed.out, listed
    assert "-1" not in listed.out, listed.out
    shown = run("sessions", "show", "1")
    assert shown.code == 0 and "generation: no space yet" in shown.out, shown.out
    assert run("sessions", "list", "--json").json()[0]["gen"] == -1
    assert run("sessions", "show", "1", "--json").json()["gen"] == -1


def test_a_task_whose_worker_is_gone_is_said_where_its_state_is(
    run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: the service's task ``warnings`` (a running task whose worker is gone) were
    shown by neither ``tasks list`` nor the progress line: both said "running", with the
    progress that worker last wrote, for as long as no worker ran."""
    import socket
    import subprocess
    import sys
    import time

    import requests

    from sigopt_like import Connection
    from sigopt_like.cli.options import PhaseLines
    from tests.fixtures.servers import serve_in_thread

    served = serve_in_thread(tmp_path, run_tasks=False)
    try:
        made = requests.post(
            f"{served.url}/v1/sessions", json={"name": "lost"}, headers=served.headers(),
            timeout=10,
        )  # fmt: skip
        assert made.status_code == 201, made.text
        store = served.service.context.store
        owner = store.accounts.token_owner(served.token).user_id  # type: ignore[union-attr]
        store.tasks.start(owner, int(made.json()["id"]), "space", {}, int(time.time()))
        ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                               capture_output=True, text=True, check=True)  # fmt: skip
        worker = f"{socket.gethostname()}:{ended.stdout.strip()}:gone"  # its process ended
        claimed = store.tasks.claim(worker, int(time.time()))
        assert claimed is not None and claimed.status == "running"

        listed = run("tasks", "list", made.json()["id"], "--host", served.url,
                     "--token", served.token)  # fmt: skip
        assert listed.code == 0 and "running" in listed.out, listed
        assert f"warning: task {claimed.id}: its worker was last heard from" in listed.err
        assert "is gone" in listed.err, listed.err

        conn = Connection(served.url, served.token)
        task = conn.sessions(made.json()["id"]).tasks(str(claimed.id)).fetch()
        capsys.readouterr()
        PhaseLines()(task)  # what a waiting command prints on standard error
        line = capsys.readouterr().err
        assert line.startswith(f"space task {claimed.id}: running"), line
        assert "(warning: its worker was last heard from" in line, line
    finally:
        served.close()


def _unprivileged(argv: list[str], cwd: Path) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of ``sigopt-like ARGV`` as a user whom file modes
    bind: as root, with the capabilities that override them dropped (``setpriv``); as
    anyone else, as is."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.fail("root, and no setpriv (util-linux) to drop the override of file modes")
        prefix = [setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGOPT_LIKE_")}
    env.update(PYTHONPATH=str(REPO_ROOT), HOME=str(cwd), XDG_DATA_HOME=str(cwd / "data"))
    return [*prefix, sys.executable, "-m", "sigopt_like", *argv], env


def _as_a_user_without_privilege(
    argv: list[str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess:
    """``sigopt-like ARGV`` as a user whom file modes bind (see :func:`_unprivileged`)."""
    command, env = _unprivileged(argv, cwd)
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=timeout)  # fmt: skip


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="no /dev/null on this system")
def test_an_output_that_is_a_device_is_written_whatever_its_folder(run: Run) -> None:
    """Before: ``design 1 -o /dev/null`` (and ``history``, ``generate``) as a user who may
    not make files in /dev said "the folder /dev is not writable; nothing was done", of a
    device written in place, no file made beside it."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() == 0 and setpriv is None:
        pytest.skip("root, and no setpriv (util-linux) to run as a user who cannot write /dev")
    if os.access("/dev", os.W_OK) and os.geteuid() != 0:
        pytest.skip("this user may make files in /dev")
    prefix = [] if os.geteuid() != 0 else [str(setpriv), "--reuid", "65534", "--regid",
                                            "65534", "--clear-groups", "--"]  # fmt: skip
    shared = Path(tempfile.mkdtemp(prefix="sigopt-like-device-"))  # reachable by that user
    try:
        shared.chmod(0o777)
        db = shared / "lab.db"
        assert run("sessions", "create", "s", "--db", db).code == 0
        space = REPO_ROOT / "tests" / "data" / "esd-factorial-4x8.csv"
        sized = ("--type", "factorial", "--population", "5", "--replicates", "0", "-q")
        assert run("space", "put", "1", space, *sized, "--db", db).code == 0
        for made in shared.iterdir():
            made.chmod(0o666)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SIGOPT_LIKE_")}
        env.update(PYTHONPATH=str(REPO_ROOT), HOME=str(shared))
        env.update({f"XDG_{d}_HOME": str(shared / d.lower()) for d in ("CONFIG", "DATA", "CACHE")})
        for argv in (["generate", "1", "-q"], ["design", "1"], ["history", "1"]):
            command = [*prefix, sys.executable, "-m", "sigopt_like", *argv]
            command += ["-o", "/dev/null", "--db", str(db)]
            done = subprocess.run(command, capture_output=True, text=True, env=env,
                                  cwd=shared, timeout=120)  # fmt: skip
            assert done.returncode == 0 and done.stderr == "", (argv, done)
            assert argv[0] == "generate" or done.stdout.startswith("wrote /dev/null ("), done
    finally:
        shutil.rmtree(shared)


def test_an_unreadable_file_is_said_in_the_commands_own_words(run: Run, tmp_path: Path) -> None:
    """Before: Click's "File 'space.csv' is not readable; nothing was done", naming
    neither the argument nor what to do, where a missing FILE says both."""
    db = tmp_path / "lab.db"
    assert run("sessions", "create", "s", "--db", db).code == 0
    locked = tmp_path / "space.csv"
    locked.write_text("Name,Type,Values\nx,numerical,1 2\n")
    locked.chmod(0o000)
    argv = ["space", "put", "1", "space.csv", "--type", "factorial", "--db", str(db)]
    done = _as_a_user_without_privilege(argv, tmp_path)
    assert done.returncode == 1, done
    assert done.stderr.strip() == (
        "sigopt-like: error: FILE: the file 'space.csv' cannot be read by this user "
        "(permission denied); check its permissions (ls -l space.csv); nothing was done"
    ), done.stderr


@pytest.mark.parametrize("command", ["serve", "dashboard"])
def test_a_port_only_root_may_take_says_which_to_give(
    run: Run, tmp_path: Path, command: str
) -> None:
    """Before: "cannot listen on 127.0.0.1:80: Permission denied", naming no way out. Run as
    a user who may not bind a port below 1024: as root, with that capability dropped."""
    if int(Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text()) <= 80:
        pytest.skip("this machine lets any user take port 80")
    db = tmp_path / "lab.db"
    assert run("sessions", "create", "s", "--db", db).code == 0
    command_line, env = _unprivileged([command, "--port", "80", "--db", str(db)], tmp_path)
    if os.geteuid() == 0:
        command_line = ["setpriv", "--bounding-set", "-net_bind_service", "--",
                        *command_line[command_line.index("--") + 1 :]]  # fmt: skip
    done = subprocess.run(command_line, capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=60)  # fmt: skip
    assert done.returncode == 1, done
    assert done.stderr.strip().splitlines()[-1] == (
        "sigopt-like: error: cannot listen on 127.0.0.1:80: permission denied (a port below "
        "1024 needs root or CAP_NET_BIND_SERVICE); choose a port from 1024, e.g. --port 8080"
    ), done.stderr


@pytest.fixture
def read_only_database(run: Run, tmp_path: Path) -> Path:
    """A database with one session, its file read-only in a folder that is writable."""
    db = tmp_path / "ro" / "lab.db"
    db.parent.mkdir()
    assert run("sessions", "create", "kept", "--db", db).code == 0
    db.chmod(0o444)
    return db


@pytest.mark.parametrize(
    "argv",
    [
        ("users", "create", "ann@lab.example"),
        ("tokens", "revoke", "--id", "1"),
        ("sessions", "create", "more"),
    ],
    ids=" ".join,
)
def test_a_read_only_database_is_one_line_saying_what_to_do(
    read_only_database: Path, tmp_path: Path, argv: tuple[str, ...]
) -> None:
    """Before: ``users create`` on a read-only database file was a 60-line traceback
    ending in the store's ``Unwritable``; the others say the same one line."""
    done = _as_a_user_without_privilege([*argv, "--db", str(read_only_database)], tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) <= 2 and lines[-1].startswith("sigopt-like: error: "), lines
    assert "writable" in lines[-1], lines


def test_a_read_only_database_file_and_an_unwritable_folder_say_what_to_do(
    run: Run, tmp_path: Path
) -> None:
    """Before: SQLite's words alone, "attempt to write a readonly database" (where it may
    be the folder that needs to be writable) and "unable to open database file" (a new
    file in a folder this user cannot write), neither saying what to do."""
    locked = tmp_path / "locked"
    locked.mkdir()
    assert run("sessions", "create", "kept", "--db", locked / "lab.db").code == 0
    locked.chmod(0o555)
    (locked / "lab.db").chmod(0o444)
    try:
        for argv in (("sessions", "list"), ("users", "list"), ("serve", "--port", "0")):
            done = _as_a_user_without_privilege([*argv, "--db", str(locked / "lab.db")], tmp_path)
            assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
            assert done.stderr.strip().splitlines()[-1] == (
                f"sigopt-like: error: cannot use the database {locked / 'lab.db'}: attempt to "
                f"write a readonly database; make it writable, and its folder {locked} too "
                "(SQLite writes its -wal and -shm files there), or give a database this user "
                "can write"
            ), (argv, done.stderr)
        done = _as_a_user_without_privilege(
            ["sessions", "list", "--db", str(locked / "new.db")], tmp_path
        )
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.strip() == (
            f"sigopt-like: error: cannot use the database {locked / 'new.db'}: unable to open "
            f"database file; its folder {locked} is not writable for this user: name a file "
            "elsewhere"
        ), done.stderr
    finally:
        locked.chmod(0o755)


def test_a_database_in_a_folder_that_takes_no_new_file_says_what_to_do(
    run: Run, tmp_path: Path
) -> None:
    """The file there and writable, its folder taking no new file whoever asks (made
    immutable, as a read-only mount does; root included): SQLite cannot make its -wal
    and -shm files beside it. Before: SQLite's "unable to open database file" alone, of
    a file that is there, saying neither why nor what to do."""
    locked = tmp_path / "locked"
    locked.mkdir()
    db = locked / "lab.db"
    assert run("sessions", "create", "kept", "--db", db).code == 0
    if shutil.which("chattr") is None:
        pytest.skip("no chattr")
    made = subprocess.run(["chattr", "+i", str(locked)], capture_output=True)
    if made.returncode != 0:  # not root, or no ext2/3/4
        pytest.skip(f"chattr +i is not available here: {made.stderr!r}")
    try:
        for argv in (("sessions", "list"), ("serve", "--port", "0")):
            line = one_line(run(*argv, "--db", db))
            assert line == (
                f"sigopt-like: error: cannot use the database {db}: unable to open database "
                "file; the file is there, but SQLite must also make its -wal and -shm files "
                f"beside it: make its folder {locked} writable for this user (and the file "
                "readable and writable), or copy the database into a folder that is"
            ), (argv, line)
    finally:
        subprocess.run(["chattr", "-i", str(locked)], check=True)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="Linux's /proc")
@pytest.mark.parametrize(
    "argv", [("sessions", "list"), ("users", "list"), ("serve", "--port", "0")]
)
def test_a_database_in_a_folder_that_takes_no_file_says_what_to_do(
    run: Run, argv: tuple[str, ...]
) -> None:
    """Before: ``--db /proc/lab.db`` was SQLite's "unable to open database file" alone, for
    every user, root included (who may write anywhere else), saying neither why nor what
    to do."""
    said = "takes no new file"  # as root, who may write in any other folder
    if not os.access("/proc", os.W_OK | os.X_OK):
        said = "is not writable for this user"
    line = one_line(run(*argv, "--db", "/proc/lab.db"))
    assert line == (
        "sigopt-like: error: cannot use the database /proc/lab.db: unable to open database "
        f"file; its folder /proc {said}: name a file elsewhere"
    ), line


@pytest.mark.parametrize(
    "argv", [("serve", "--port", "0"), ("worker",), ("dashboard", "--port", "0")], ids=" ".join
)
def test_a_server_on_a_read_only_database_says_one_line_and_no_library_noise(
    run: Run, tmp_path: Path, argv: tuple[str, ...]
) -> None:
    """Before: "ERROR backoff Giving up _use_wal(...) after 1 tries" (the retry library's
    own log line, for an error it was told not to retry) and the task runner's "could not
    say this runner runs (...)" came before the one line that says what to do."""
    locked = tmp_path / "locked"
    locked.mkdir()
    assert run("sessions", "create", "kept", "--db", locked / "lab.db").code == 0
    locked.chmod(0o555)
    (locked / "lab.db").chmod(0o444)
    try:
        done = _as_a_user_without_privilege([*argv, "--db", str(locked / "lab.db")], tmp_path)
    finally:
        locked.chmod(0o755)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sigopt-like: error: cannot use the"), lines


@pytest.mark.parametrize(
    "argv",
    [("serve", "--port", "0"), ("worker",), ("dashboard", "--port", "0", "--actions")],
    ids=" ".join,
)
def test_a_server_or_worker_refuses_a_read_only_database_file_at_its_start(
    read_only_database: Path, tmp_path: Path, argv: tuple[str, ...]
) -> None:
    """A read-only file in a writable folder opens and reads (SQLite in WAL mode): before,
    ``serve`` and ``dashboard --actions`` started on it and failed on the first write, and
    ``worker`` retried its heartbeat for ever; each ran until this test's timeout."""
    try:
        done = _as_a_user_without_privilege(
            [*argv, "--db", str(read_only_database)], tmp_path, timeout=30
        )
    except subprocess.TimeoutExpired as err:
        pytest.fail(f"{argv[0]} started on a read-only database: {err.stderr!r}")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip() == (
        f"sigopt-like: error: cannot use the database {read_only_database}: attempt to write "
        f"a readonly database; make it writable, and its folder {read_only_database.parent} "
        "too (SQLite writes its -wal and -shm files there), or give a database this user "
        "can write"
    ), done.stderr


def test_the_dashboard_shows_a_read_only_database_and_says_it_changes_nothing(
    read_only_database: Path, tmp_path: Path
) -> None:
    """The local dashboard without --actions only reads: a database one may only read (an
    archived campaign) is shown, with a note; a write sent through it is the dashboard's
    403 ``read_only`` (before the database is tried: it was a 507), never a 500."""
    import requests

    command, env = _unprivileged(
        ["dashboard", "--port", "0", "--db", str(read_only_database)], tmp_path
    )
    log = tmp_path / "dashboard.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, text=True,
                                env={**env, "PYTHONUNBUFFERED": "1"}, cwd=tmp_path)  # fmt: skip
    try:
        url = announced_url(proc, log, r"serving on (http://127\.0\.0\.1:\d+)")
        told = log.read_text()
        assert (
            f"sigopt-like: note: the database {read_only_database} cannot be written by this "
            "user: the dashboard shows it and changes nothing" in told
        ), told
        listed = requests.get(f"{url}/v1/sessions", timeout=30)
        assert listed.status_code == 200 and listed.json()["data"][0]["name"] == "kept"
        made = requests.post(f"{url}/v1/sessions", json={"name": "more"}, timeout=30)
        assert made.status_code == 403, made.text
        assert made.json()["code"] == "read_only", made.text
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.parametrize("argv", [("sessions", "list"), ("sessions", "create", "more")])
def test_an_embedded_command_on_a_read_only_database_says_only_its_answer(
    read_only_database: Path, tmp_path: Path, argv: tuple[str, ...]
) -> None:
    """Before: "could not say this runner runs (The service's database could not be
    written ...)" came first, from the embedded service's task runner, on every command."""
    done = _as_a_user_without_privilege([*argv, "--db", str(read_only_database)], tmp_path)
    assert "could not say this runner runs" not in done.stderr, done.stderr
    if argv[1] == "list":
        assert done.returncode == 0 and done.stderr == "" and "kept" in done.stdout, done
    else:
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 1 and len(lines) == 1 and "writable" in lines[0], lines


#: what a stranger types where a number, an id or a name is wanted: a word, a negative
#: number, one past 64 bits, a float past any count, nothing, and the bytes 0xff 0xfe of a
#: terminal that is not UTF-8 (Python's argv holds them as lone surrogates)
HOSTILE = ["abc", "-1", str(2**70), "1e308", "", "\udcff\udcfe"]
SPACE_PUT = ("space", "put", "1", "{space}", "--type", "factorial")
#: commands, with ``{}`` where the hostile value goes; every value is wrong in each place
#: (none starts a server: a server's options are refused before it listens)
WRONG_IN_EVERY_VALUE = [
    ("sessions", "show", "{}"),
    ("sessions", "halt", "{}"),
    ("sessions", "create", "n", "--seed", "{}"),
    ("sessions", "list", "--max-body-bytes", "{}"),
    ("sessions", "list", "--max-table-rows", "{}"),
    ("tasks", "cancel", "1", "{}"),
    ("design", "1", "--gen", "{}"),
    ("analytics", "1", "--gen", "{}"),
    ("simulate", "1", "--generations", "{}"),
    (*SPACE_PUT, "--population", "{}", "--replicates", "0"),
    ("experiments", "show", "{}"),
    ("experiments", "put", "1", "{}", "--type", "initial"),
    ("experiments", "create", "--name", "n", "-p", "{}"),
    ("experiments", "create", "--name", "n", "-p", "x:double:0:1", "--budget", "{}"),
    ("serve", "--port", "{}"),
    ("serve", "--port", "0", "--max-body-bytes", "{}"),
    ("serve", "--port", "0", "--threads", "{}"),
    ("dashboard", "--port", "{}"),
    ("worker", "--threads", "{}"),
    ("tokens", "create", "--user", "{}"),
    ("tokens", "revoke", "--id", "{}"),
    ("users", "create", "{}"),
]
#: commands given a folder where a file goes (or the database)
GIVEN_A_FOLDER = [
    ("space", "put", "1", "{}", "--type", "factorial", "--population", "2", "--replicates", "0"),
    ("experiments", "create", "{}"),
    ("history", "1", "-o", "{}"),
    ("design", "1", "-o", "{}"),
    ("sessions", "list", "--db", "{}"),
    ("users", "list", "--db", "{}"),
    ("tokens", "list", "--db", "{}"),
    ("worker", "--db", "{}"),
    ("serve", "--port", "0", "--db", "{}"),
    ("dashboard", "--port", "0", "--db", "{}"),
]


def _says_what_to_do(done: Any) -> None:
    """Exit status 1 or 2, nothing on standard output, no traceback, and a short say: one
    line, or click's usage error (its usage line, its help hint and the error)."""
    lines = done.err.strip().splitlines()
    assert done.code in (1, 2) and done.out == "", done
    assert "Traceback" not in done.err and 1 <= len(lines) <= 4, done.err
    said = [line for line in lines if line.startswith(("sigopt-like: error: ", "Error: "))]
    assert len(said) == 1, done.err  # a detail may follow it, in parentheses


@pytest.mark.parametrize("value", HOSTILE, ids=ascii)
@pytest.mark.parametrize("template", WRONG_IN_EVERY_VALUE, ids=" ".join)
def test_a_strangers_value_is_a_usage_error_or_one_line(
    run: Run, tmp_path: Path, template: tuple[str, ...], value: str
) -> None:
    """The stranger's sweep: every command given each wrong value where a number, an id or
    a name goes answers a usage error (2) or one line (1), never a traceback."""
    space = tmp_path / "space.csv"
    space.write_text("temp,numerical,40,50,60,70\n")
    argv = [part.format(value, space=space) for part in template]
    _says_what_to_do(run(*argv))


@pytest.mark.parametrize("template", GIVEN_A_FOLDER, ids=" ".join)
def test_a_folder_where_a_file_goes_is_a_usage_error_or_one_line(
    run: Run, tmp_path: Path, template: tuple[str, ...]
) -> None:
    folder = tmp_path / "a folder"
    folder.mkdir()
    _says_what_to_do(run(*(part.format(folder) for part in template)))
    assert list(folder.iterdir()) == []  # nothing written into it


@pytest.mark.parametrize(
    "argv",
    [
        ("sessions", "show", b"\xff\xfe"),
        ("tokens", "create", "--user", b"ann\xff@lab.example"),
        ("serve", "--port", b"\xff"),
    ],
    ids=lambda argv: " ".join(map(ascii, argv)),
)
def test_bytes_that_are_not_utf8_on_a_real_command_line(
    tmp_path: Path, argv: tuple[str | bytes, ...]
) -> None:
    """The bytes of a terminal that is not UTF-8, as a shell passes them (decoded by
    Python with surrogateescape, not as the in-process sweep gives them)."""
    done = _run_bytes(tmp_path, argv)
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode in (1, 2) and done.stdout == b"", err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 4, err


def test_a_value_that_is_not_utf8_is_named_even_where_a_file_has_its_name(
    tmp_path: Path,
) -> None:
    """Before: the "not UTF-8" message skipped any argument naming a file that exists (a
    file name may be any bytes), so ``tokens create --user`` with a file of that name in
    the folder ended in the codec's "surrogates not allowed"."""
    user = b"ann\xff@lab.example"
    (tmp_path / os.fsdecode(user)).touch()
    done = _run_bytes(tmp_path, ("tokens", "create", "--user", user))
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 1 and "surrogates not allowed" not in err.splitlines()[0], err
    assert err.startswith(
        "sigopt-like: error: the command line holds text that is not UTF-8 "
        "('ann\\xff@lab.example'): set the terminal to UTF-8"
    ), err


def _run_bytes(tmp_path: Path, argv: tuple[str | bytes, ...]) -> subprocess.CompletedProcess:
    """``sigopt-like ARGV`` as a shell runs it, its bytes as given, in ``tmp_path``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGOPT_LIKE_")}
    env.update(PYTHONPATH=str(REPO_ROOT), HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "d"))
    return subprocess.run(
        [sys.executable.encode(), b"-m", b"sigopt_like", *map(os.fsencode, argv)],
        capture_output=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("argv", "choices"),
    [
        (("space", "put", "1"), "factorial or mixture"),
        (("experiments", "put", "1"), "initial, designed or final"),
    ],
    ids=["space put", "experiments put"],
)
def test_a_missing_type_is_one_line_naming_the_choices(
    run: Run, tmp_path: Path, argv: tuple[str, ...], choices: str
) -> None:
    """Before: "Error: Missing option '--type'. Choose from:", then a line for each
    choice ("\\tfactorial," and "\\tmixture"), where every other usage error is one line."""
    table = tmp_path / "table.csv"
    table.write_text("a,b\n")
    done = run(*argv, table)
    lines = [line for line in done.err.splitlines() if line.strip()]
    assert done.code == 2 and len(lines) == 3, lines  # Usage, Try ... --help, Error
    assert lines[-1] == f"Error: Missing option '--type'. Choose {choices}.", lines


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for name, command in group.commands.items():
        found.append((*path, name))
        if isinstance(command, click.Group):
            found += _commands(command, (*path, name))
    return found


def test_no_help_shows_a_range_of_none(run: Run) -> None:
    """Before: ``space put --help`` showed "--total-units INTEGER RANGE ... [x<=None]" (and
    the same for --population, --replicates, and ``experiments observe``'s --value and
    --stddev): click's words for a range with neither end, read as "at most None"."""
    from sigopt_like.cli.root import cli

    for path in _commands(cli):
        done = run(*path, "--help")
        assert done.code == 0, (path, done)
        assert "=None" not in done.out, (path, done.out)


def test_a_token_on_standard_input_that_is_not_utf8_is_said_so(run: Run, tmp_path: Path) -> None:
    """Before: bytes that are not UTF-8 on ``tokens revoke --token-stdin`` (a token file
    saved as UTF-16, a terminal in Latin-1) said "the text cannot be stored or looked up:
    'utf-8' codec can't encode characters in position 0-1: surrogates not allowed"."""
    db = tmp_path / "t.db"
    assert run("users", "create", "ann@lab.example", "--db", db).code == 0
    for typed in (b"\xff\xfe", "slk_caf\u00e9\n".encode("latin-1")):
        done = _tokens_revoke(b"--token-stdin", b"--db", os.fsencode(db), input=typed)
        told = done.stderr.decode()
        assert done.returncode == 1 and told == (
            "sigopt-like: error: the token read from standard input is not UTF-8 text, and "
            "no token is (a token is letters, digits, '-' and '_'): copy it again as plain "
            "text; nothing revoked\n"
        ), told


def _tokens_revoke(*args: bytes, **options: Any) -> subprocess.CompletedProcess[bytes]:
    """``python -m sigopt_like tokens revoke ARGS`` (bytes, as a terminal passes them), with
    none of this shell's SIGOPT_LIKE_ variables; its output as bytes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGOPT_LIKE_")}
    argv = [sys.executable.encode(), b"-m", b"sigopt_like", b"tokens", b"revoke", *args]
    env["PYTHONPATH"] = str(REPO_ROOT)
    return subprocess.run(argv, capture_output=True, env=env, timeout=60, **options)


def test_a_token_argument_that_is_not_utf8_is_not_said_to_be_standard_inputs(
    run: Run, tmp_path: Path
) -> None:
    """Before: ``tokens revoke`` given a TOKEN argument of bytes that are not UTF-8 (a
    terminal in Latin-1) said "the token read from standard input is not UTF-8 text",
    though nothing was read from standard input."""
    db = tmp_path / "t.db"
    assert run("users", "create", "ann@lab.example", "--db", db).code == 0
    done = _tokens_revoke(b"slk_caf\xe9", b"--db", os.fsencode(db), stdin=subprocess.DEVNULL)
    told = done.stderr.decode()
    assert done.returncode == 1 and told == (
        "sigopt-like: error: the token on the command line is not UTF-8 text, and no token "
        "is (a token is letters, digits, '-' and '_'): copy it again as plain text; nothing "
        "revoked\n"
    ), told


def test_tasks_list_takes_the_type_the_python_api_takes(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: ``tasks list 1 --type generate`` said "No such option '--type'. Did you mean
    '--token'?", though ``conn.sessions(1).tasks.list(type="generate")`` filters by it."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "typed.db"))
    _factorial_session(run, "typed")
    everything = run("tasks", "list", "1", "--json").json()
    assert [t["type"] for t in everything] == ["generate", "space"], everything
    for given, kept in [("generate", ["generate"]), ("SPACE", ["space"]), ("simulate", [])]:
        done = run("tasks", "list", "1", "--type", given, "--json")
        assert done.code == 0, done
        assert [t["type"] for t in done.json()] == kept, (given, done.out)
    shown = run("tasks", "list", "1", "--type", "space")
    assert shown.code == 0 and "space validated" in shown.out, shown
    assert "generate" not in shown.out, shown.out
    done = run("tasks", "list", "1", "--type", "bogus")
    assert done.code == 2 and done.out == "", done
    assert "'bogus' is not one of 'space', 'update', 'generate', 'simulate', 'analytics'" in (
        done.err
    ), done.err


def test_tasks_list_takes_the_status_the_python_api_takes(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: ``tasks list 1 --status failed`` said "No such option '--status'", though
    ``conn.sessions(1).tasks.list(status="failed")`` filters by it: on the embedded service
    and on a real ``serve``."""
    import time

    import requests

    from tests.fixtures.servers import serve_in_thread

    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "statused.db"))
    _factorial_session(run, "statused")
    for given, kept in [("success", ["generate", "space"]), ("SUCCESS", ["generate", "space"]),
                        ("running", []), ("failed", [])]:  # fmt: skip
        done = run("tasks", "list", "1", "--status", given, "--json")
        assert done.code == 0, done
        assert [t["type"] for t in done.json()] == kept, (given, done.out)
    both = run("tasks", "list", "1", "--status", "Success", "--type", "space", "--json")
    assert [t["type"] for t in both.json()] == ["space"], both
    done = run("tasks", "list", "1", "--status", "bogus")
    assert done.code == 2 and done.out == "", done
    assert "'bogus' is not one of 'new', 'running', 'success', 'failed', 'canceled'" in (
        done.err
    ), done.err

    served = serve_in_thread(tmp_path / "served", run_tasks=False)
    try:
        made = requests.post(
            f"{served.url}/v1/sessions", json={"name": "waiting"}, headers=served.headers(),
            timeout=10,
        )  # fmt: skip
        assert made.status_code == 201, made.text
        sid = made.json()["id"]
        store = served.service.context.store
        owner = store.accounts.token_owner(served.token).user_id  # type: ignore[union-attr]
        store.tasks.start(owner, int(sid), "space", {}, int(time.time()))
        there = ("--host", served.url, "--token", served.token, "--json")

        def listed(status: str) -> list[str]:
            done = run("tasks", "list", sid, "--status", status, *there)
            assert done.code == 0, done
            return [t["status"] for t in done.json()]

        assert listed("NEW") == ["new"] and listed("success") == []
        tid = run("tasks", "list", sid, *there).json()[0]["id"]
        assert run("tasks", "cancel", sid, tid, *there).code == 0
        assert listed("new") == [] and listed("canceled") == ["canceled"]
    finally:
        served.close()


def _on_a_read_only_mount(folder: Path, argv: list[str], cwd: Path) -> str:
    """The last line ``sigopt-like ARGV`` writes on standard error (exit 1) while
    ``folder`` is a read-only bind mount of itself, in a mount namespace of its own (as
    root, file modes do not refuse a write: a read-only file system does)."""
    done = _run_on_a_read_only_mount(folder, argv, cwd)
    assert done.returncode == 1 and done.stdout == "", done
    assert "Traceback" not in done.stderr, done.stderr
    return done.stderr.strip().splitlines()[-1]


def _run_on_a_read_only_mount(
    folder: Path, argv: list[str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """``sigopt-like ARGV`` run while ``folder`` is a read-only bind mount of itself (see
    :func:`_on_a_read_only_mount`)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("no unshare (util-linux)")
    namespace = [unshare, "--mount"] if os.geteuid() == 0 else [unshare, "-rm"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGOPT_LIKE_")}
    env.update(PYTHONPATH=str(REPO_ROOT), HOME=str(cwd), XDG_DATA_HOME=str(cwd / "data"))
    script = 'mount --bind -o ro "$1" "$1" || exit 99; shift; exec "$@"'
    command = [*namespace, "sh", "-c", script, "sh", str(folder)]
    command += [sys.executable, "-m", "sigopt_like", *argv]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd, timeout=120)
    if done.returncode == 99:
        pytest.skip(f"no read-only bind mount here: {done.stderr.strip()}")
    return done


def test_design_and_history_say_a_read_only_folder_as_generate_and_the_demo_do(
    run: Run, tmp_path: Path
) -> None:
    """Before: ``design 1 -o DIR/gen1.csv`` and ``history 1 -o DIR/h.csv`` on a read-only
    folder said "the folder DIR is not writable", and an existing file there Click's usage
    error "File 'DIR/old.csv' is not writable." (exit 2), where ``generate -o`` and
    ``demo --out`` say the folder "takes no new file (Read-only file system)"."""
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "old.csv").write_text("")
    db = tmp_path / "lab.db"
    _factorial_session(run, "s", "--db", db)
    why = f"the folder {locked} takes no new file (Read-only file system); nothing was done."
    for command in ("design", "history", "generate"):
        for name in ("new.csv", "old.csv"):
            argv = [command, "1", "-o", str(locked / name), "--db", str(db)]
            line = _on_a_read_only_mount(locked, argv, tmp_path)
            assert line == f"sigopt-like: error: -o/--output: {why}", (argv, line)
    assert sorted(p.name for p in locked.iterdir()) == ["old.csv"]
    assert (locked / "old.csv").read_text() == ""
    assert [t["type"] for t in run("tasks", "list", "1", "--db", db, "--json").json()] == [
        "generate",
        "space",
    ]  # nothing designed by the refused generate


def test_an_output_through_a_link_is_judged_by_the_folder_it_is_written_in(
    run: Run, tmp_path: Path
) -> None:
    """The file is written beside the file a link leads to. Before, the link's own folder
    was checked: ``-o out/link.csv --force`` leading into a read-only folder was Click's
    usage error "File '...' is not writable." (exit 2), and ``-o locked/link.csv`` (a
    link in a read-only folder, leading into a writable one) was refused although the
    write succeeds."""
    locked, out = tmp_path / "locked", tmp_path / "out"
    locked.mkdir()
    out.mkdir()
    (locked / "old.csv").write_text("old\n")
    (out / "link.csv").symlink_to(locked / "old.csv")
    (locked / "link.csv").symlink_to(out / "target.csv")
    db = tmp_path / "lab.db"
    _factorial_session(run, "s", "--db", db)
    why = (
        f"the folder {locked} (where the link {out / 'link.csv'} leads) takes no new file "
        "(Read-only file system); nothing was done."
    )
    for command in ("design", "history", "generate"):
        argv = [command, "1", "-o", str(out / "link.csv"), "--force", "--db", str(db)]
        line = _on_a_read_only_mount(locked, argv, tmp_path)
        assert line == f"sigopt-like: error: -o/--output: {why}", (argv, line)
        assert (locked / "old.csv").read_text() == "old\n"
    for command in ("design", "history"):
        argv = [command, "1", "-o", str(locked / "link.csv"), "--force", "--db", str(db)]
        done = _run_on_a_read_only_mount(locked, argv, tmp_path)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done
        assert "param1,param2" in (out / "target.csv").read_text(), argv
        assert (locked / "link.csv").is_symlink()
        (out / "target.csv").unlink()
    assert sorted(p.name for p in locked.iterdir()) == ["link.csv", "old.csv"]
    assert [t["type"] for t in run("tasks", "list", "1", "--db", db, "--json").json()] == [
        "generate",
        "space",
    ]  # nothing designed by the refused generate


def test_an_output_through_a_link_into_a_missing_folder_names_the_link(
    run: Run, tmp_path: Path
) -> None:
    """A plain ``-o missing/sub/x.csv`` is refused (the folders above the file are never
    made), and a link leading there follows that rule. Before, the message named only the
    folder the link leads to, one the user never typed: now it says the link too."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "dangling.csv").symlink_to(tmp_path / "missing" / "sub" / "target.csv")
    (tmp_path / "plain").write_text("a file\n")
    (out / "through.csv").symlink_to(tmp_path / "plain" / "target.csv")
    db = tmp_path / "lab.db"
    _factorial_session(run, "s", "--db", db)
    plain = run("design", "1", "-o", tmp_path / "missing" / "sub" / "x.csv", "--db", db)
    assert plain.code == 1 and "does not exist; create it first" in plain.err, plain.err
    missing = tmp_path / "missing" / "sub"
    linked = run("design", "1", "-o", out / "dangling.csv", "--db", db)
    assert linked.code == 1, linked.err
    assert (
        f"the folder {missing} (where the link {out / 'dangling.csv'} leads) does not exist; "
        "create it first"
    ) in linked.err, linked.err
    through = run("design", "1", "-o", out / "through.csv", "--db", db)
    assert through.code == 1, through.err
    assert (
        f"{tmp_path / 'plain'} (the link {out / 'through.csv'} leads through it) is a file, "
        "not a folder"
    ) in through.err, through.err
    assert not (tmp_path / "missing").exists()
    assert sorted(p.name for p in out.iterdir()) == ["dangling.csv", "through.csv"]


def test_the_python_export_folder_says_a_read_only_folder_as_the_o_commands_do(
    tmp_path: Path,
) -> None:
    """Before: ``space.put(..., export_dir=DIR)`` on a read-only folder said "The export
    folder DIR is not writable", where the commands' ``-o`` and the demo's ``--out`` say
    it "takes no new file (Read-only file system)"."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("no unshare (util-linux)")
    locked = tmp_path / "locked"
    locked.mkdir()
    script = (
        "import sys, sigopt_like\n"
        "conn = sigopt_like.Connection(database=sys.argv[1])\n"
        "session = conn.sessions(conn.sessions.create(name='e').id)\n"
        "space = {'type': 'factorial', 'parameters': [{'name': 'a', 'type': 'numerical',"
        " 'values': [1, 2, 3]}]}\n"
        "try:\n"
        "    session.space.put(space=space, population_size=2, replicates=0, wait=True,"
        " export_dir=sys.argv[2])\n"
        "except sigopt_like.ConfigError as err:\n"
        "    print(err, len(list(session.tasks.list())))\n"
    )
    namespace = [unshare, "--mount"] if os.geteuid() == 0 else [unshare, "-rm"]
    mounted = 'mount --bind -o ro "$1" "$1" || exit 99; shift; exec "$@"'
    command = [*namespace, "sh", "-c", mounted, "sh", str(locked), sys.executable, "-c",
               script, str(tmp_path / "e.db"), str(locked)]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGOPT_LIKE_")}
    env.update(PYTHONPATH=str(REPO_ROOT), HOME=str(tmp_path))
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    if done.returncode == 99:
        pytest.skip(f"no read-only bind mount here: {done.stderr.strip()}")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done
    assert done.stdout == (
        f"The export folder {locked} takes no new file (Read-only file system); nothing was "
        "started. 0\n"
    ), done.stdout


def test_the_demo_says_a_read_only_out_folder_as_the_o_commands_do(
    run: Run, tmp_path: Path
) -> None:
    """Before: ``demo --out DIR`` on a read-only folder said "sigopt-like: error: Read-only
    file system: DIR/demo.files.sha256", where ``generate -o`` says the folder "takes no
    new file (...); nothing was done"."""
    locked = tmp_path / "locked"
    locked.mkdir()
    db = tmp_path / "lab.db"
    _factorial_session(run, "s", "--db", db, generate=False)
    why = f"the folder {locked} takes no new file (Read-only file system); nothing was done."
    generate = ["generate", "1", "-o", str(locked / "gen1.csv"), "--db", str(db)]
    assert _on_a_read_only_mount(locked, generate, tmp_path) == (
        f"sigopt-like: error: -o/--output: {why}"
    )
    demo = ["demo", "--out", str(locked), "--generations", "1"]
    assert _on_a_read_only_mount(locked, demo, tmp_path) == f"sigopt-like demo: --out: {why}"
    assert list(locked.iterdir()) == []


def _factorial_session(run: Run, name: str, *db: object, generate: bool = True) -> None:
    """Session 1, ``name``, with the 4x8 factorial space at population 5 and (``generate``)
    its first design, on the database ``db`` names (``--db PATH``) or the environment's."""
    assert run("sessions", "create", name, *db).code == 0
    space = REPO_ROOT / "tests" / "data" / "esd-factorial-4x8.csv"
    sized = ("--type", "factorial", "--population", "5", "--replicates", "0", "-q")
    assert run("space", "put", "1", space, *sized, *db).code == 0
    if generate:
        assert run("generate", "1", "-q", *db).code == 0


def test_a_csv_output_named_as_a_workbook_is_refused_before_anything_is_done(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: ``design 1 -o gen1.xlsx`` wrote CSV text under a workbook's name, and Excel,
    going by the name, refused to open it ("the file format or file extension is not
    valid"): the design the lab was to fill in. Now a usage error names the .csv to give,
    and nothing is written or started (``generate -o`` runs no generate)."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "wb.db"))
    monkeypatch.chdir(tmp_path)
    _factorial_session(run, "workbook", generate=False)
    for args in (
        ("generate", "1", "-o", "gen1.xlsx"),
        ("design", "1", "-o", "gen1.XLS"),
        ("history", "1", "-o", "sub dir/h.ods"),
    ):
        done = run(*args)
        assert done.code == 2, (args, done)
        assert "names an Excel workbook" in done.err or "names a LibreOffice" in done.err
        assert "but this command writes CSV text" in done.err, done.err
    assert (
        "name it 'gen1.csv' (Excel and LibreOffice open a .csv)"
        in run("generate", "1", "-o", "gen1.xlsx").err
    )
    assert not list(tmp_path.glob("gen1*")) and not (tmp_path / "sub dir").exists()
    assert [t["type"] for t in run("tasks", "list", "1", "--json").json()] == ["space"]
    assert run("generate", "1", "-o", "gen1.csv", "-q").code == 0  # a .csv goes on as before
    assert (tmp_path / "gen1.csv").read_text().startswith("param1,param2,param3,param4,Response\n")

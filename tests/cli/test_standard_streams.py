"""``-`` for a file: standard input to read, standard output to write, as Unix tools.

Before, ``-`` was a file named "-": ``design 1 -o -`` wrote one in the current folder,
and ``space put 1 -`` read that file instead of what was piped in.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import sigopt_like
from sigopt_like._constants import MAX_BODY_LIMIT
from tests.fixtures.servers import REPO_ROOT

from .conftest import DATA
from .test_errors import one_line

SIZED = ("--type", "factorial", "--population", "5", "--replicates", "0", "-q")


def pipe_in(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))


def test_a_campaign_through_pipes(run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "p.db"))
    monkeypatch.chdir(tmp_path)
    assert run("sessions", "create", "piped").code == 0
    pipe_in(monkeypatch, (DATA / "esd-factorial-4x8.csv").read_text())
    assert run("space", "put", "1", "-", *SIZED).code == 0

    generated = run("generate", "1", "-o", "-", "-q")
    assert generated.code == 0
    design = generated.out  # the CSV alone: what it did is on standard error
    assert design.splitlines()[0] == "param1,param2,param3,param4,Response"
    assert len(design.splitlines()) == 6
    assert "generation 1 designed, 5 experiments" in generated.err
    assert run("design", "1", "-o", "-").out == design
    assert run("history", "1", "-o", "-").out.startswith("Seq_,Gen_,Designed_,param1")

    measured = "".join(line.rstrip(",\n") + ",0.5\n" for line in design.splitlines()[1:])
    pipe_in(monkeypatch, design.splitlines()[0] + "\n" + measured)
    assert run("experiments", "put", "1", "-", "--type", "designed", "-q").code == 0
    assert [r.split(",")[-1] for r in run("design", "1").out.splitlines()[1:]] == [""] * 5
    history = run("history", "1").out.splitlines()[1:]
    assert [row.split(",")[-1] for row in history] == ["0.5"] * 5
    assert not (tmp_path / "-").exists()


def test_an_experiment_definition_through_a_pipe(run, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "e.db"))
    body = {
        "name": "piped",
        "parameters": [{"name": "x", "type": "int", "bounds": {"min": 0, "max": 9}}],
    }
    pipe_in(monkeypatch, json.dumps(body))
    created = run("experiments", "create", "-", "--json")
    assert created.code == 0 and created.json()["name"] == "piped"
    pipe_in(monkeypatch, json.dumps({**body, "colour": "red"}))
    refused = run("experiments", "create", "-")
    assert refused.code == 1 and "standard input: 'colour' is not a field" in refused.err


def test_hostile_experiment_definitions_through_a_pipe(run, tmp_path, monkeypatch) -> None:
    """Each is one line and status 1, nothing created; a JSON nested 100,000 deep was a
    RecursionError traceback."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "h.db"))
    bounds = '{"name": "x", "parameters": [{"name": "a", "type": "int", "bounds": %s}]}'
    for text, said in (
        ("[" * 100_000 + "]" * 100_000, "standard input is nested too deeply"),
        ("\x00{}", "standard input is not JSON"),
        (
            bounds % '{"min": 0, "max": 1180591620717411303424}',
            "is 1180591620717411303424, outside",
        ),
        (bounds.replace('"x"', '"x\\ud800"') % '{"min": 0, "max": 1}', "lone UTF-16 surrogate"),
    ):
        pipe_in(monkeypatch, text)
        done = run("experiments", "create", "-")
        assert done.code == 1 and said in done.err and "Traceback" not in done.err
    assert "x" not in run("experiments", "list").out


def test_an_experiment_file_out_of_range_or_not_utf8_is_said_in_its_words(
    run, tmp_path, monkeypatch
):
    """Before: 1e999 read as infinity (the error named no file and suggested failed=True),
    5,000 digits were "use sys.set_int_max_str_digits()", and a Latin-1 byte the codec's
    own "'utf-8' codec can't decode byte 0xe9 in position 12"."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "r.db"))
    body = '{"name": "%s", "parameters": [{"name": "a", "type": "double", "bounds": %s}]}'
    for raw, said in (
        (
            (body % ("x", '{"min": 0, "max": 1e999}')).encode(),
            "x.json: 1e999 is beyond the numbers",
        ),
        (
            (body % ("x", '{"min": 0, "max": %s}' % ("9" * 5000))).encode(),
            "x.json: a number of 5,000 digits is beyond the numbers a field takes",
        ),
        (
            (body % ("cafX", '{"min": 0, "max": 1}')).encode().replace(b"cafX", b"caf\xe9"),
            "x.json is not UTF-8 text (byte 0xe9 at byte 14): save it as UTF-8",
        ),
    ):
        (tmp_path / "x.json").write_bytes(raw)
        done = run("experiments", "create", str(tmp_path / "x.json"))
        assert done.code == 1 and said in done.err, done.err
        assert "failed=True" not in done.err and "set_int_max_str_digits" not in done.err
    assert run("experiments", "list", "--json").json() == []


def test_an_experiment_file_refused_by_a_field_names_the_file_for_400_and_422(
    run, tmp_path, monkeypatch
):
    """Before: the file's name led a 400 naming a field ("x.json: 'name' must be ..."),
    but a 422 naming one (``observation_budget`` of 2**70, past its range) came without
    it, as if typed on the command line."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "f.db"))
    double = '{"name": "a", "type": "double", "bounds": {"min": 0, "max": 1}}'
    for extra, said in (
        ('"name": 3', "x.json: "),  # a 400: not a string
        (f'"name": "x", "observation_budget": {2**70}', "x.json: 'observation_budget' is "),
        ('"name": "x", "observation_budget": 0', "x.json: 'observation_budget' is 0"),
    ):
        (tmp_path / "x.json").write_text("{" + extra + ', "parameters": [' + double + "]}")
        done = run("experiments", "create", str(tmp_path / "x.json"))
        assert done.code == 1 and said in done.err, done.err
    assert run("experiments", "list", "--json").json() == []


class EndlessInput(io.RawIOBase):
    """Standard input that never ends (``yes | sigopt-like ... -``), and that fails the
    test if asked for all of it: a read of everything would never return."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        buffer[:] = b"1" * len(buffer)
        return len(buffer)

    def readall(self) -> bytes:
        raise AssertionError("the whole of an endless input was asked for")


def test_an_endless_input_is_refused_at_the_body_limit(run, tmp_path, monkeypatch) -> None:
    """Before: ``space put 1 /dev/zero`` (or an endless pipe as ``-``) read on until the
    system killed the process; now reading stops past the service's default body limit,
    one line names it, and nothing is stored. A regular file is read whole (below).
    The line names the command's --max-body-bytes (before: "for a service started with a
    larger --max-body-bytes, save it to a file", which the embedded service refused too)."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "z.db"))
    assert run("sessions", "create", "endless").code == 0
    said = (
        "goes on past 10 MiB, the largest request the embedded service takes by default; "
        "nothing was sent (give this command a larger --max-body-bytes)"
    )
    for argv in (
        ("space", "put", "1", "-", *SIZED),
        ("experiments", "put", "1", "-", "--type", "initial", "-q"),
        ("experiments", "create", "-"),
    ):
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BufferedReader(EndlessInput())))
        assert one_line(run(*argv)) == f"sigopt-like: error: standard input {said}", argv
    if Path("/dev/zero").exists():
        for argv in (
            ("space", "put", "1", "/dev/zero", *SIZED),
            ("experiments", "put", "1", "/dev/zero", "--type", "initial", "-q"),
        ):
            assert one_line(run(*argv)) == f"sigopt-like: error: /dev/zero {said}", argv
    shown = run("sessions", "show", "1", "--json").json()
    assert shown["gen"] == -1
    assert run("experiments", "list", "--json").json() == []
    with sigopt_like.Connection(database=str(tmp_path / "z.db")) as conn:
        assert list(conn.sessions("1").tasks.list()) == []


def test_a_regular_file_past_the_default_limit_is_the_services_to_refuse(
    run, tmp_path, monkeypatch
) -> None:
    """A file has an end, so the command line sends it whole and the service answers by
    its own limit (a 413 naming it): one started with a larger --max-body-bytes takes it."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "f.db"))
    assert run("sessions", "create", "big").code == 0
    big = tmp_path / "big.csv"
    # 11.1 MB in 140,000 rows (a wide text column: 1,400,000 short rows took the command
    # 15 s and more to read, for the same proof)
    big.write_text("temp,note,Response\n" + f"100,{'n' * 70},0.5\n" * 140_000)
    assert big.stat().st_size > 10 * 1024 * 1024
    line = one_line(run("experiments", "put", "1", str(big), "--type", "initial", "-q"))
    assert "goes on past" not in line and "413" in line, line


LONG_LEVELS = [f"{name}-" + "m" * 150 for name in ("alpha", "beta", "gamma")]


def test_max_body_bytes_sets_the_embedded_services_limit(run, tmp_path, monkeypatch) -> None:
    """Before: a table past the embedded service's 10 MiB could not be sent by any
    command (``Connection(max_body_bytes=...)`` raised it for scripts only); with a host,
    the option is refused, the server having its own limit."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "b.db"))
    space = tmp_path / "space.csv"
    space.write_text("temp,numerical,40,50,60,70\ncat,categorical," + ",".join(LONG_LEVELS) + "\n")
    assert run("sessions", "create", "big").code == 0
    assert run("space", "put", "1", str(space), *SIZED).code == 0
    big = tmp_path / "big.csv"
    rows = (f"{40 + 10 * (k % 4)},{LONG_LEVELS[k % 3]},{k / 7:.3f}\n" for k in range(64_000))
    big.write_text("temp,cat,Response\n" + "".join(rows))  # 11 MiB as JSON
    put = ("experiments", "put", "1", str(big), "--type", "initial", "-q")
    line = one_line(run(*put))
    assert "413" in line and "a command's --max-body-bytes" in line, line
    assert run("history", "1").out.count("\n") == 1  # the header alone: nothing stored
    assert run(*put, "--max-body-bytes", str(30 * 1024 * 1024)).code == 0
    assert run("history", "1").out.count("\n") == 64_001
    # lowered, it is honoured too: the service refuses, and an endless input stops there
    line = one_line(run("sessions", "create", "x" * 2000, "--max-body-bytes", "1000"))
    assert "413" in line and "the limit is 1000 bytes" in line, line
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BufferedReader(EndlessInput())))
    line = one_line(run("experiments", "create", "-", "--max-body-bytes", "5000"))
    assert line == (
        "sigopt-like: error: standard input goes on past 5,000 bytes, the largest request "
        "this command's --max-body-bytes lets the embedded service take; nothing was sent"
    ), line
    for value in ("0", "-5", "ten"):
        refused = run("sessions", "list", "--max-body-bytes", value)
        assert refused.code == 2 and "--max-body-bytes" in refused.err, refused.err
    served = run(
        "sessions", "list", "--host", "http://127.0.0.1:9", "--token", "t", "--max-body-bytes", "5"
    )
    assert served.code == 2, served
    assert "--max-body-bytes is for the embedded service" in served.err, served.err
    assert "sigopt-like serve --max-body-bytes" in served.err, served.err


def test_a_huge_max_body_bytes_reads_standard_input_whole(run, tmp_path, monkeypatch):
    """Before: standard input was read in one ``read(limit + 1)``, a traceback for a limit
    the option took (OverflowError past 2**63, MemoryError at 1 TiB: a buffered read sets
    its whole size aside first). It is read a chunk at a time, up to the limit; the option
    now takes up to 1 GiB (tests/cli/test_limit_ranges.py), which is not set aside either."""
    limit = MAX_BODY_LIMIT
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "h.db"))
    body = {
        "name": "piped",
        "parameters": [{"name": "x", "type": "int", "bounds": {"min": 0, "max": 9}}],
    }
    stdin = io.TextIOWrapper(io.BufferedReader(io.BytesIO(json.dumps(body).encode())))
    monkeypatch.setattr("sys.stdin", stdin)
    created = run("experiments", "create", "-", "--json", "--max-body-bytes", str(limit))
    assert created.code == 0 and created.json()["name"] == "piped", created


def test_max_table_rows_sets_the_embedded_services_row_limit(run, tmp_path, monkeypatch) -> None:
    """Before: the embedded service's tables were bounded at 100,000 rows and no command
    could change it; now ``--max-table-rows`` sets it (a lowered limit is honoured too),
    and with a host it is refused, the server having its own."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "r.db"))
    space = tmp_path / "space.csv"
    space.write_text("temp,numerical,40,50,60,70\ncat,categorical,a,b,c\n")
    assert run("sessions", "create", "rows").code == 0
    assert run("space", "put", "1", str(space), *SIZED).code == 0
    table = tmp_path / "four.csv"
    table.write_text("temp,cat,Response\n40,a,1\n50,b,2\n60,c,3\n70,a,4\n")
    put = ("experiments", "put", "1", str(table), "--type", "initial", "-q")
    line = one_line(run(*put, "--max-table-rows", "3"))
    assert "413" in line and "the limit is 3 " in line and "--max-table-rows" in line, line
    assert run("history", "1").out.count("\n") == 1  # the header alone: nothing stored
    assert run(*put, "--max-table-rows", "4").code == 0
    assert run("history", "1").out.count("\n") == 5
    for value in ("0", "-5", "ten"):
        refused = run("sessions", "list", "--max-table-rows", value)
        assert refused.code == 2 and "--max-table-rows" in refused.err, refused.err
    served = run(
        "sessions", "list", "--host", "http://127.0.0.1:9", "--token", "t", "--max-table-rows", "5"
    )
    assert served.code == 2, served
    assert "--max-table-rows is for the embedded service" in served.err, served.err
    assert "sigopt-like serve --max-table-rows" in served.err, served.err


def test_a_closed_standard_input_for_dash_is_said_in_one_line(run, tmp_path, monkeypatch):
    """Before: ``space put 1 - ... <&-`` was an AttributeError traceback ('NoneType'
    object has no attribute 'buffer'): Python's sys.stdin is None then."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "closed.db"))
    assert run("sessions", "create", "closed").code == 0
    monkeypatch.setattr("sys.stdin", None)
    for argv in (("space", "put", "1", "-", *SIZED), ("experiments", "put", "1", "-",
                                                     "--type", "initial")):  # fmt: skip
        assert one_line(run(*argv)) == (
            "sigopt-like: error: FILE is -, standard input, and standard input is closed: "
            "give the file's path, or send it with < file.csv or a pipe; nothing was done"
        )
    assert run("space", "show", "1").code == 1  # nothing stored


@pytest.mark.skipif(sys.platform == "win32", reason="SIGPIPE is POSIX")
@pytest.mark.parametrize("argv", [["--help"], ["sessions", "list", "--json"]])
def test_output_whose_reader_went_away_ends_by_sigpipe(tmp_path, argv) -> None:
    """Before: ``sigopt-like sessions list --json | head -0`` exited 1 without a word
    (Click's answer to EPIPE), the status of a failure that says one line; now the
    program ends by SIGPIPE, silently, as ``cat`` would (``$?`` 141 with pipefail)."""
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the command writes
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT),
           "SIGOPT_LIKE_DATABASE": str(tmp_path / "pipe.db")}  # fmt: skip
    try:
        done = subprocess.run([sys.executable, "-m", "sigopt_like", *argv], stdout=write,
                              stderr=subprocess.PIPE, text=True, env=env, timeout=60)  # fmt: skip
    finally:
        os.close(write)
    assert done.returncode == -signal.SIGPIPE, done
    assert done.stderr == "", done.stderr


def test_a_closed_standard_output_is_refused_before_anything_is_done(run, tmp_path, monkeypatch):
    """Before: ``sigopt-like sessions create x >&-`` made the session, dropped the line
    naming it and exited 0 (a token ``tokens create`` made, shown once, was lost so)."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "closed.db"))
    assert run("sessions", "create", "kept").code == 0
    with monkeypatch.context() as closed:
        closed.setattr("sys.stdout", None)
        done = run("sessions", "create", "dropped")
    assert one_line(done) == (
        "sigopt-like: error: standard output is closed (>&-), and this command prints its "
        "result there: give it one (> out.txt, or > /dev/null to drop it); nothing was done"
    )
    assert [s["name"] for s in run("sessions", "list", "--json").json()] == ["kept"]


@pytest.mark.parametrize(("encoding", "named"), [("latin-1", "iso8859-1"), ("cp1252", "cp1252")])
def test_a_name_the_outputs_encoding_cannot_write_is_one_line_saying_what_to_set(
    tmp_path, encoding, named
) -> None:
    """Before: ``sigopt-like sessions show 1`` of a session named with an emoji, on a
    Latin-1 terminal (or on Windows, output redirected to a file in its code page), was a
    traceback ending "UnicodeEncodeError: 'latin-1' codec can't encode character"."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT),
           "SIGOPT_LIKE_DATABASE": str(tmp_path / "enc.db")}  # fmt: skip

    def sigopt_like_(*argv: str, **more: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "sigopt_like", *argv], capture_output=True,
                              text=True, env={**env, **more}, timeout=60)  # fmt: skip

    said = [
        f"sigopt-like: error: the output's encoding ({named}) cannot write '\\u2615': what "
        "the command did is done, only its output could not be written; to see it, set "
        "PYTHONIOENCODING=utf-8 (or a UTF-8 locale, e.g. LANG=C.UTF-8) and list or show it"
    ]
    # the create acts, then cannot print its result: before, the message said "run the
    # command again", which was refused (409 duplicate_name) as the session existed
    done = sigopt_like_("sessions", "create", "Caf\u00e9 \u2615 screen", PYTHONIOENCODING=encoding)
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip().splitlines() == said, done.stderr
    done = sigopt_like_("sessions", "list", "--json", PYTHONIOENCODING="utf-8")
    assert [s["name"] for s in json.loads(done.stdout)] == ["Caf\u00e9 \u2615 screen"], done
    done = sigopt_like_("sessions", "show", "1", PYTHONIOENCODING=encoding)
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip().splitlines() == said, done.stderr
    done = sigopt_like_("sessions", "show", "1", PYTHONIOENCODING="utf-8")
    assert done.returncode == 0 and "Caf\u00e9 \u2615 screen" in done.stdout, done

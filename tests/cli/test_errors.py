"""A user's mistake is one readable line and exit 1; a usage error exit 2; never a traceback."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import uuid
from collections.abc import Callable, Iterator

import pytest

from sigopt_like import __version__
from tests.fixtures.postgres import administrator

from .conftest import DATA


def one_line(result) -> str:
    assert result.code == 1, result
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("sigopt-like: error: ")
    return lines[0]


def test_version_and_exit_statuses(run):
    done = run("--version")
    assert done.code == 0 and done.out.strip() == f"sigopt-like {__version__}"
    assert run("sessions", "show").code == 2  # a missing argument
    assert run("space", "put", "1", "nofile.csv", "--type", "factorial").code == 1  # a file
    assert run("space", "put", "1", DATA / "esd-mixture-5.csv", "--type", "cubic").code == 2


def test_a_file_argument_that_cannot_be_read_is_a_file_error(run, tmp_path, monkeypatch):
    """Before: Click's four-line usage error and exit 2 ("Invalid value for 'FILE': File
    'nofile.csv' does not exist."), while the help's exit statuses call a file error 1."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "files.db"))
    assert run("sessions", "create", "files").code == 0
    for argv in (
        ("space", "put", "1", tmp_path / "nofile.csv", "--type", "factorial"),
        ("experiments", "put", "1", tmp_path / "nofile.csv", "--type", "designed"),
        ("experiments", "put", "1", tmp_path, "--type", "designed"),  # a folder
    ):
        line = one_line(run(*argv))
        assert f"'{argv[3]}'" in line and line.endswith("; nothing was done"), line
    assert "does not exist" in one_line(run(*argv[:3], tmp_path / "x.csv", "--type", "designed"))
    shown = run("sessions", "show", "1", "--json").json()  # stored state unchanged
    assert shown["population_size"] is None and shown["gen"] == -1
    # an empty name is still a usage error: the command line is what is wrong
    assert run("space", "put", "1", "", "--type", "factorial").code == 2


def test_a_missing_file_is_said_in_the_commands_own_words(run, tmp_path, monkeypatch):
    """Before: Click's "File 'nofile.csv' does not exist; nothing was done", naming
    neither the argument nor the folder a relative name was looked for in, where a
    missing -o folder says which option, and what to do."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "files.db"))
    monkeypatch.chdir(tmp_path)
    assert run("sessions", "create", "files").code == 0
    line = one_line(run("space", "put", "1", "nofile.csv", "--type", "factorial"))
    assert line == (
        f"sigopt-like: error: FILE: the file 'nofile.csv' does not exist (looked for in "
        f"{os.getcwd()}); check its name, or give - to read standard input; nothing was done"
    ), line
    missing = tmp_path / "gone.csv"
    line = one_line(run("experiments", "put", "1", missing, "--type", "designed"))
    assert line.startswith(f"sigopt-like: error: FILE: the file '{missing}' does not exist;")


def test_a_folder_given_as_a_file_is_said_in_the_commands_own_words(run, tmp_path, monkeypatch):
    """Before: Click's "File 'lab' is a directory; nothing was done", naming neither the
    argument nor what to do, where a missing FILE says both."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "files.db"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lab").mkdir()
    assert run("sessions", "create", "files").code == 0
    for argv in (("space", "put", "1", "lab", "--type", "factorial"),
                 ("experiments", "put", "1", "lab", "--type", "designed")):  # fmt: skip
        assert one_line(run(*argv)) == (
            "sigopt-like: error: FILE: 'lab' is a folder, not a file; name a file in it, or "
            "give - to read standard input; nothing was done"
        )


def test_local_numbers_out_of_range_are_usage_errors(run):
    """Before: --port 99999 served on port 34463 (the socket call wraps it)."""
    for args in (
        ("serve", "--port", "99999"),
        ("serve", "--port", "-1"),
        ("serve", "--threads", "0"),
        ("serve", "--requests-per-minute", "0"),
        # before: taken, a limit in name only
        ("serve", "--requests-per-minute", str(2**70)),
        ("serve", "--requests-per-minute", "1000001"),
        # before: taken, a limit in name only (a body is held whole in memory)
        ("serve", "--max-body-bytes", str(10**23)),
        ("serve", "--max-body-bytes", str(2**30 + 1)),
        ("serve", "--max-body-bytes", "0"),
        ("serve", "--max-table-rows", str(2**70)),
        ("serve", "--max-table-rows", "10000001"),
        ("serve", "--guest-token-days", "0"),
        ("serve", "--guest-token-days", "-3"),
        # before: 100,000 threads died of SIGABRT mid-start (the system's limit)
        ("serve", "--threads", "100000"),
        ("serve", "--task-threads", "5000"),
        # before: an OverflowError traceback from the database driver
        ("tokens", "revoke", "--id", "99999999999999999999999"),
        ("worker", "--threads", "-2"),
        # before: a "can't start new thread" traceback, then a worker that never stopped
        ("worker", "--threads", "100000"),
        ("dashboard", "--port", "70000"),
        # before: the service's 400 or 422 after a call, the 400 advising to write the
        # number "as a decimal", which these options (whole numbers) then refuse
        ("analytics", "1", "--gen", str(2**70)),
        ("analytics", "1", "--gen", "-1"),
        ("simulate", "1", "--generations", "101"),
        ("simulate", "1", "--generations", str(2**70)),
        ("experiments", "create", "--name", "n", "-p", "x:double:0:1", "--budget", str(2**70)),
        ("experiments", "create", "--name", "n", "-p", "x:double:0:1", "--budget", "0"),
    ):
        done = run(*args)
        assert done.code == 2, (args, done)
        assert "is not in the range" in done.err
    done = run("serve", "--max-body-bytes", str(10**23))
    assert "give a number of bytes from 1 to 1073741824" in done.err, done.err
    done = run("serve", "--max-table-rows", "10000001")
    assert "give a number of rows from 1 to 10000000" in done.err, done.err
    done = run("experiments", "create", "--name", "n", "-p", f"x:int:0:{2**63}")
    assert done.code == 2, done
    assert f"the bounds must be whole numbers from {-(2**63)} to {2**63 - 1}" in done.err


def test_a_lifetime_that_is_not_a_number_is_a_usage_error(run):
    """Before: ``serve --guest-token-days nan`` started (NaN is in every range: each
    comparison with it is false), and its first guest token was a 500."""
    done = run("serve", "--guest-token-days", "nan")
    assert done.code == 2 and "'nan' is not a number" in done.err


def test_an_address_serve_cannot_listen_on_is_a_usage_error(run, tmp_path):
    """Before: each was a traceback ending "ValueError: Invalid host/port specified."; a
    URL is what the client commands take as --host, so it is the likely mistake."""
    db = str(tmp_path / "serve.db")
    assert run("users", "create", "a@example.com", "--db", db).code == 0  # the file exists
    for host, says in (
        ("http://127.0.0.1", "is a URL; serve's --host is the address to listen on"),
        ("127.0.0.1:8080", "holds a port: give the address to --host and the port to --port"),
        ("", "it is empty"),
        ("nosuchhost.invalid", "this machine has no address of that name"),
        # TEST-NET-1 (RFC 5737), an address no machine here has: before, exit status 1 and
        # "cannot listen on 192.0.2.1:0: Cannot assign requested address", saying not what
        # to give instead
        ("192.0.2.1", "it is not an address of this machine; give one it has"),
    ):
        for command in ("serve", "dashboard"):
            done = run(command, "--host", host, "--port", "0", "--db", db)
            assert done.code == 2, (host, done)
            assert "Traceback" not in done.err and says in done.err, (host, done.err)
            # before: the dashboard first warned "serving ... without accounts"
            assert "warning" not in done.err, (host, done.err)
    from sigopt_like.cli.admin import listen_url

    assert listen_url("::1", 8080) == "http://[::1]:8080"  # it printed http://::1:8080
    assert listen_url("127.0.0.1", 8080) == "http://127.0.0.1:8080"


def test_api_errors_show_the_services_message(run, tmp_path, monkeypatch):
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "e.db"))
    assert run("sessions", "create", "twice").code == 0
    line = one_line(run("sessions", "create", "twice"))
    assert "409 duplicate_name" in line and "already exists" in line
    line = one_line(run("sessions", "show", "12345"))
    assert "404" in line and "12345" in line


def test_a_bad_file_names_its_problems(run, tmp_path, monkeypatch):
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "e.db"))
    sid = run("sessions", "create", "bad-file", "--json").json()["id"]
    bad = tmp_path / "space.csv"
    bad.write_text("temperature,numerical,20,oops,40\n")
    done = run(
        "space", "put", sid, bad, "--type", "factorial", "--population", "2", "--replicates", "0"
    )
    assert done.code == 1 and "Traceback" not in done.err
    assert "row 1" in done.err and "oops" in done.err


def test_db_naming_a_folder(run, tmp_path):
    """Before: a 117-line traceback."""
    line = one_line(run("sessions", "list", "--db", tmp_path))
    assert "is a folder" in line


def test_db_naming_a_file_that_is_not_a_database(run, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n" * 10)
    line = one_line(run("users", "list", "--db", text))
    assert "not a sigopt-like database" in line
    assert text.read_text() == "not a database\n" * 10


def test_db_in_a_folder_that_does_not_exist_is_not_created(run, tmp_path):
    """Before: --db /nonexistent/x.sqlite3 silently created /nonexistent."""
    missing = tmp_path / "nonexistent" / "x.sqlite3"
    for argv in (("sessions", "list"), ("users", "create", "a@example.com"), ("serve",)):
        line = one_line(run(*argv, "--db", missing))
        assert "does not exist" in line
    assert not missing.parent.exists()


def test_a_sqlite_path_with_a_line_break_is_named_quoted_on_the_one_line(run, tmp_path):
    """Before: the message split at the path's line break ("the database's folder .../a",
    then "b does not exist"); such a path is quoted whole, as Python writes a string."""
    missing = tmp_path / "a\nb" / "x.db"
    line = one_line(run("sessions", "list", "--db", missing))
    assert repr(str(missing.parent)) in line
    assert "does not exist" in line
    not_a_folder = tmp_path / "f\ng"
    not_a_folder.write_text("a file\n")
    line = one_line(run("sessions", "list", "--db", not_a_folder / "x.db"))
    assert f"{str(not_a_folder / 'x.db')!r} cannot be made: {str(not_a_folder)!r}" in line
    notes = tmp_path / "n\notes.db"
    notes.write_text("not a database\n")
    line = one_line(run("tokens", "list", "--db", notes))
    assert f"{str(notes)!r} is not a sigopt-like database" in line
    assert not missing.parent.exists()


def test_the_mkdir_a_sqlite_path_with_a_line_break_is_advised_makes_its_folder(run, tmp_path):
    """Before: the advice read (mkdir -p '/tmp/.../a\\nb'), Python's quoting, which bash
    takes as a backslash and an n, so pasting it made the wrong folder. Each advised
    command, run by bash, now makes the very folder the database needs."""
    for name in ("a\nb", "it's\t\\x", "plain dir"):
        missing = tmp_path / name / "x.db"
        line = one_line(run("sessions", "list", "--db", missing))
        advised = re.search(r"\(mkdir -p (.+?)\) or name another file", line)
        assert advised is not None, line
        assert not missing.parent.exists()
        subprocess.run(["bash", "-c", f"mkdir -p {advised.group(1)}"], cwd=tmp_path, check=True)
        assert missing.parent.is_dir(), (line, sorted(os.listdir(tmp_path)))


def test_postgres_without_its_driver_names_the_extra(run):
    """Before: ModuleNotFoundError. (pg8000 is not installed here; psycopg is.)"""
    line = one_line(run("users", "list", "--db", "postgresql+pg8000://me:s3cret@db.invalid/doe"))
    assert "sigopt_like[postgres]" in line
    assert "s3cret" not in line


def test_postgres_urls_sqlalchemy_cannot_load_say_the_one_to_write(run):
    """Before: postgres:// and postgresql:// said "pip install 'sigopt_like[postgres]'",
    which was installed (psycopg is; postgresql:// means psycopg2, and SQLAlchemy reads
    no postgres:// at all)."""
    line = one_line(run("worker", "--db", "postgres://me:s3cret@db.invalid/doe"))
    assert "write postgresql+psycopg://me:***@db.invalid/doe" in line
    assert "s3cret" not in line
    line = one_line(run("worker", "--db", "postgresql://me@db.invalid/doe"))
    assert "'psycopg2' driver" in line and "installed one is psycopg" in line
    assert "pip install" not in line


def test_an_unencoded_at_in_a_database_password_is_refused_without_quoting_it(run, pg_url):
    """Before: SQLAlchemy ended the password at its first @, so 'p@ss@...' connected to a
    host named 'ss' and the error said "failed to resolve host 'ss'": a piece of the
    password, and no word of what to write. Its percent-encoded form is accepted (this
    test server trusts its socket, so any password connects)."""
    raw = pg_url.replace("postgres@", "postgres:p@ss/w%rd@", 1)
    for argv in (("users", "list"), ("worker",), ("serve", "--port", "0")):
        line = one_line(run(*argv, "--db", raw))
        assert "%40" in line and "percent-encoded" in line, line
        assert "ss/w" not in line and "w%rd" not in line, line
    encoded = pg_url.replace("postgres@", "postgres:p%40ss%2Fw%25rd@", 1)
    done = run("users", "create", "a@example.com", "--db", encoded)
    assert done.code == 0, done.err


@pytest.mark.parametrize("password", ["s3c%zzret", "s3cret%", "s3cret%4", "%"])
def test_a_percent_that_begins_no_escape_in_a_database_url_is_refused(run, password):
    """Before: a '%' not followed by two hex digits went to the server as it stood, while
    '%41' beside it was read as 'A': the same mistake (a raw % in a password) said nothing,
    or "password authentication failed". Now one line naming the part, not the password."""
    url = f"postgresql+psycopg://app:{password}@db.invalid/sigopt"
    for argv in (("users", "list"), ("worker",), ("serve", "--port", "0")):
        line = one_line(run(*argv, "--db", url))
        assert "'%' in its user name or password" in line, line
        assert "%25" in line and "%41 as A" in line, line
        assert "s3c" not in line, line


def test_a_percent_escape_in_a_database_url_is_read_as_its_character(run, pg_url):
    """The URL standard: '%41' is 'A' and '%25' a '%' (this test server trusts its
    socket, so any password connects: the URL is accepted and used)."""
    for password in ("s3cret%41", "s3c%25ret"):
        url = pg_url.replace("postgres@", f"postgres:{password}@", 1)
        done = run("users", "list", "--db", url)
        assert done.code == 0, done.err


def test_a_stray_percent_in_a_database_name_or_query_names_that_part(run):
    line = one_line(run("users", "list", "--db", "postgresql+psycopg://app@db.invalid/doe%"))
    assert "in its database name" in line, line
    line = one_line(run("users", "list", "--db", "postgresql+psycopg://db.invalid/d?sslmode=%x"))
    assert "in its query" in line, line


def test_a_database_url_whose_port_is_not_a_number_is_one_line(run):
    """Before: a 30-line traceback ending in SQLAlchemy's "ValueError: invalid literal for
    int() with base 10: 'notaport'", from every command and the worker."""
    for url in (
        "postgresql+psycopg://app:s3cret@127.0.0.1:notaport/sigopt",
        "postgresql+psycopg://app:s3cret@127.0.0.1:/sigopt",
        "postgresql+psycopg://app:s3cret@[::1/sigopt",
    ):
        for argv in (("users", "list"), ("worker",), ("serve", "--port", "0")):
            line = one_line(run(*argv, "--db", url))
            assert "is not a URL that can be read" in line, line
            assert "s3cret" not in line, line
        reason = "IPv6" if "[" in url else "port, after the host and ':', is not a number"
        assert reason in line, line


def test_serve_on_a_busy_port(run, tmp_path):
    """Before: a 21-line traceback."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = one_line(run("serve", "--port", port, "--db", tmp_path / "s.db"))
    assert f"port {port}" in line and "already in use" in line


def test_token_without_host_is_a_usage_error(run):
    assert run("sessions", "list", "--token", "abc").code == 2
    assert run("sessions", "list", "--host", "http://x.invalid", "--db", "a.db").code == 2


def test_experiments_create_refuses_bad_parameters(run, tmp_path, monkeypatch):
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "e.db"))
    assert run("experiments", "create", "-p", "lr:double:low:high").code == 2
    assert run("experiments", "create", "--name", "no-parameters").code == 2
    # before: int() read Arabic-Indic digits, and the experiment's bounds were 1 and 5
    done = run("experiments", "create", "--name", "n", "-p", "k:int:\u0661:\u0665")
    assert done.code == 2 and "(write it in ASCII digits: 1:5)" in done.err, done


def test_the_worker_module_reads_its_threads_in_ascii_digits(capsys):
    """Before: ``python -m sigopt_like.service.worker --threads`` U+0662 ran two threads
    (int() reads Arabic-Indic digits); now a usage error, as ``sigopt-like worker``'s."""
    from sigopt_like.service import worker

    with pytest.raises(SystemExit) as exited:
        worker.main(["--threads", "\u0662"])
    assert exited.value.code == 2
    assert "is not a whole number (write it in ASCII digits: 2)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("idle", "said"),
    [
        ("\u0662", "'\u0662' is not a number of seconds (write it in ASCII digits: 2)"),
        ("nan", "'nan' is not a number of seconds from 0 to 3,155,760,000 (100 years)"),
        ("inf", "'inf' is not a number of seconds from 0"),
        ("-1", "'-1' is not a number of seconds from 0"),
        ("abc", "'abc' is not a number of seconds"),
    ],
)
def test_the_worker_module_reads_its_idle_exit_as_other_numbers(capsys, idle, said):
    """Before: ``--idle-exit`` was read by ``float``: U+0662 was two seconds, ``nan`` a
    worker that never stopped idle, ``inf`` and ``-1`` taken, ``abc`` "invalid float
    value"; now each is one usage line saying the range (the service's own setting's)."""
    from sigopt_like.service import worker

    with pytest.raises(SystemExit) as exited:
        worker.main(["--db", "unused.db", "--idle-exit", idle])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"error: argument --idle-exit: {said}" in err, err
    assert "Traceback" not in err


def test_the_worker_module_takes_the_idle_exit_a_service_passes():
    """A service passes ``str(task_process_idle_seconds)``, from 0 (stop once idle)."""
    from sigopt_like.service.worker import seconds_argument

    assert [seconds_argument(str(s)) for s in (0.0, 1e-05, 120.0, 3155760000.0)] == [
        0.0,
        1e-05,
        120.0,
        3155760000.0,
    ]


def all_commands():
    from sigopt_like.cli.root import cli

    def walk(group, path):
        for name, command in sorted(group.commands.items()):
            if hasattr(command, "commands"):
                yield from walk(command, [*path, name])
            yield [*path, name]

    return list(walk(cli, []))


@pytest.mark.parametrize("argv", all_commands(), ids=" ".join)
def test_every_command_has_help_with_an_example(run, argv):
    done = run(*argv, "--help")  # demo passes --help to the demo's own options
    assert done.code == 0, done.err
    assert "Example" in done.out, done.out
    assert "sigopt-like " in done.out.split("Example", 1)[1]


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_a_service_commands_db_help_names_its_own_database(run, command):
    """``serve --help`` and ``worker --help`` called ``--db`` the "Embedded service's
    database", where it is the database they serve or work on (PostgreSQL included)."""
    done = run(command, "--help")
    text = " ".join(done.out.split())
    assert done.code == 0 and "Embedded service's database" not in text
    assert "--db PATH|URL The service's database" in text and "postgresql" in text


def test_the_top_level_help_lists_the_campaign(run):
    done = run("--help")
    assert done.code == 0
    for command in ("sessions", "space", "generate", "design", "experiments", "serve", "users"):
        assert command in done.out
    assert "Exit status" in done.out


def test_the_demo_takes_its_own_options(run):
    done = run("demo", "--help")
    assert done.code == 0 and "--generations" in done.out
    assert run("demo", "--generations", "many").code == 2


#: commands that print no data: they run something (or print another program's text)
NO_DATA = {("serve",), ("worker",), ("demo",), ("dashboard",)}


@pytest.mark.parametrize("argv", all_commands(), ids=" ".join)
def test_every_command_that_prints_data_has_json(run, argv):
    from sigopt_like.cli.root import cli

    command = cli
    for name in argv:
        command = command.commands[name]
    if hasattr(command, "commands") or tuple(argv) in NO_DATA:
        return
    assert any("--json" in p.opts for p in command.params), argv


def test_db_naming_a_device_or_a_relative_sqlite_url(run, tmp_path, monkeypatch):
    """Before: ``--db /dev/null`` was "cannot use the database: disk I/O error", and
    ``sqlite:///tmp/x.db`` (SQLAlchemy: tmp/x.db in the current folder) only said that a
    folder ``tmp`` does not exist, not how to write the absolute path."""
    line = one_line(run("sessions", "list", "--db", "/dev/null"))
    assert "/dev/null is not a regular file" in line
    monkeypatch.chdir(tmp_path)
    line = one_line(run("sessions", "list", "--db", "sqlite:///tmp/x.db"))
    assert "the database's folder tmp does not exist" in line
    assert "for /tmp/x.db write sqlite:////tmp/x.db" in line


def test_a_token_with_a_byte_the_terminal_could_not_decode(run, monkeypatch):
    # a token typed or pasted in a terminal that is not UTF-8 arrives with a lone
    # surrogate: before, a UnicodeEncodeError traceback when the header was written
    monkeypatch.setenv("SIGOPT_LIKE_TOKEN", "slk_secret\udce9")
    monkeypatch.setenv("SIGOPT_LIKE_HOST", "http://127.0.0.1:9")
    result = run("sessions", "list")
    assert result.code == 1 and "Traceback" not in result.err
    assert "'token' has a byte that is not text" in result.err
    assert "slk_secret" not in result.err + result.out


@pytest.mark.parametrize("argv", all_commands(), ids=" ".join)
def test_every_option_is_explained_and_no_help_tells_its_history(run, argv):
    """Before: ``serve --threads`` and ``analytics -o`` had no help text, and ``tasks
    cancel --help`` told what happened "Before this command" (a changelog's line)."""
    import click

    from sigopt_like.cli.root import cli

    done = run(*argv, "--help")
    assert done.code == 0, done.err
    assert "Before " not in done.out and "before:" not in done.out, done.out
    command = cli
    for name in argv:
        command = command.commands[name]
    unexplained = [
        param.opts
        for param in command.params
        if isinstance(param, click.Option) and param.name != "help" and not param.help
    ]
    assert not unexplained, unexplained


def test_serve_names_a_database_it_cannot_open(run):
    """Before: "cannot use the database: unable to open database file", naming none (the
    client commands, the dashboard and the worker name it)."""
    line = one_line(run("serve", "--db", "/proc/sigopt-like-test.db", "--port", "0"))
    assert "cannot use the database /proc/sigopt-like-test.db: " in line, line


def test_an_empty_file_or_folder_is_a_usage_error(run, tmp_path, monkeypatch):
    """Before: ``analytics -o ""`` (a shell variable left unset) wrote the files into the
    current folder, and ``design -o ""`` was "a folder where a file was expected: .", after
    the call; now nothing is called."""
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    for args, said in (
        (("analytics", "1", "-o", "", "-q"), "'' is empty: name a folder"),
        (("design", "1", "-o", ""), "'' is empty: name a file (or - for standard"),
        (("generate", "1", "-o", " ", "-q"), "' ' is only blanks: name a file"),
        (("history", "1", "-o", ""), "'' is empty: name a file"),
        (("space", "put", "1", "", "--type", "factorial"), "'' is empty: name a file"),
        (("experiments", "create", ""), "'' is empty: name a file"),
    ):
        done = run(*args)
        assert done.code == 2 and said in done.err, (args, done)
    assert list(here.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("serve", "--port", "abc"), "'--port': 'abc' is not a whole number: give a port from 0"),
        (("serve", "--port", "1e308"), "'--port': '1e308' is not a whole number: give a port"),
        (("serve", "--port", "99999"), "in the range 0<=x<=65535: give a port from 0 to 65535"),
        (("serve", "--threads", "many"), "'many' is not a whole number: give a number of threads"),
        (  # never served: before, 2**70 was taken (a bad --host then stops it at once)
            ("serve", "--task-processes", str(2**70), "--host", "http://x"),
            "give a number of worker processes from 0",
        ),
        (("serve", "--keep-alive-timeout", "x"), "'x' is not a whole number: give whole seconds"),
        (("serve", "--request-read-timeout", "soon"), "'soon' is not a number: give seconds"),
        (("serve", "--guest-token-days", "nan"), "'nan' is not a number: give days above 0"),
        (
            ("serve", "--max-body-bytes", "10MB"),
            "'10MB' is not a whole number: give a number of bytes from 1 to",
        ),
        (
            ("worker", "--threads", "\x00"),
            "'\\x00' is not a whole number: give a number of threads",
        ),
        (("worker", "--threads", "4\udce9"), "'4\\udce9' is not a whole number"),
        (("tokens", "revoke", "--id", "x" * 100), "... (100 characters) is not a whole number"),
        # before: int() and float() read Arabic-Indic and fullwidth digits, so these served
        # on port 12 and waited 5 seconds
        (
            ("serve", "--port", "\u0661\u0662"),
            "is not a whole number (write it in ASCII digits: 12): give a port",
        ),
        (
            ("serve", "--request-read-timeout", "\uff15"),
            "is not a number (write it in ASCII digits: 5): give seconds",
        ),
        # before: "'0,93' is not a number", with no word of the decimal comma a European
        # keyboard (and a sheet copied from) writes
        (
            ("experiments", "observe", "1", "-s", "1", "--value", "0,93"),
            "'0,93' is not a number (write it with '.' as the decimal mark: 0.93): give the "
            "metric's value",
        ),
        (
            ("experiments", "observe", "1", "-s", "1", "--value", "1", "--stddev", "0,1"),
            "'0,1' is not a number (write it with '.' as the decimal mark: 0.1): give a "
            "standard deviation",
        ),
    ],
)
def test_a_value_an_option_cannot_take_says_what_would_work(run, args, says):
    """Before: click's own "Invalid value for '--port': 'abc' is not a valid integer
    range.", which names a type, not the number wanted; the project's other refusals name
    the option, the value and what to give."""
    done = run(*args)
    assert done.code == 2 and "Traceback" not in done.err, done
    assert f"Invalid value for {says}" in done.err or says in done.err, done.err
    assert "valid integer" not in done.err and "valid float" not in done.err, done.err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("design", "/" + "x" * 100_000), "not an id: '/xxxx"),
        (("serve", "--host", "http://" + "x" * 100_000), "is a URL; serve's --host is"),
        (("serve", "--host", "x" * 100_000 + ":80"), "holds a port"),
        (("design", "1", "-o", " " * 100_000), "is only blanks: name a file"),
    ],
    ids=["session id", "host URL", "host with a port", "blank output"],
)
def test_a_huge_value_typed_is_quoted_short(run, args, says):
    """Before: each of these refusals quoted the 100,000-character value whole (a
    100,130-character line); now its start and its length, as a number's refusal does."""
    done = run(*args)
    assert done.code == 2 and says in done.err, done.err[:300]
    assert ",0" in done.err and " characters)" in done.err, done.err[:300]
    assert len(done.err) < 1_000, len(done.err)


def test_a_postgresql_role_that_may_only_read_is_refused_at_the_start(run, pg_url):
    """A real role granted SELECT alone: ``serve`` and ``worker`` try one write at their
    start (``Store.check_writes``) and exit in one line. Before, the line was PostgreSQL's
    "permission denied for table meta", of a table that role could read: it said neither
    that the service writes nor what to grant."""

    from sigopt_like.service.store import open_store

    open_store(pg_url).close()  # the schema made by its owner
    role = f"reader_{uuid.uuid4().hex[:8]}"  # roles are the server's, shared by the tests
    with administrator(pg_url) as admin_says:
        admin_says(
            f"CREATE ROLE {role} LOGIN", f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"
        )
    reader = pg_url.replace("postgres@", f"{role}@", 1)
    for argv in (("serve", "--port", "0"), ("worker",)):
        line = one_line(run(*argv, "--db", reader))
        assert f"cannot use the database {reader}: permission denied for table" in line, line
        assert f"the role {role} lacks a privilege the service needs" in line, line
        assert "grant it SELECT, INSERT, UPDATE and DELETE" in line, line
    line = one_line(run("users", "create", "a@example.com", "--db", reader))
    assert f"cannot use the database {reader}: permission denied for table" in line, line
    assert f"the role {role} lacks a privilege the service needs" in line, line
    assert f"GRANT USAGE ON SCHEMA public TO {role}; GRANT SELECT, INSERT" in line, line


def test_a_role_whose_name_has_a_line_break_is_named_on_the_one_line(run, pg_url):
    """A real role ``lab<LF>r ...`` granted SELECT alone, then its CONNECT revoked:
    ``users create`` names it on its one line, its line break written ``\\n``, and its
    GRANTs in PostgreSQL's escaped form (``U&"lab\\000ar ..."``), which mend it. Before,
    "the role" was followed by the URL's name as it is, its line break cutting the line."""
    import urllib.parse

    import sqlalchemy as sa

    from sigopt_like.service.store import open_store

    open_store(pg_url).close()  # the schema made by its owner
    tag = uuid.uuid4().hex[:6]  # roles are the server's, shared by the tests
    role, escaped = f"lab\nr {tag}", f'U&"lab\\000ar {tag}"'
    name = sa.make_url(pg_url).database
    with administrator(pg_url) as admin_says:
        try:
            admin_says(
                f'CREATE ROLE "{role}" LOGIN',
                f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"',
            )
            reader = pg_url.replace("postgres@", f"{urllib.parse.quote(role, safe='')}@", 1)
            line = one_line(run("users", "create", "a@example.com", "--db", reader))
            assert f"the role lab\\nr {tag} lacks a privilege the service needs" in line, line
            assert f"GRANT USAGE ON SCHEMA public TO {escaped}; GRANT SELECT" in line, line
            admin_says(f"REVOKE CONNECT ON DATABASE {name} FROM PUBLIC")
            line = one_line(run("users", "create", "a@example.com", "--db", reader))
            assert f"the role lab\\nr {tag} may not connect to it" in line, line
            grant = f"GRANT CONNECT ON DATABASE {name} TO {escaped}"
            assert f"({grant})" in line, line
            admin_says(grant)  # what it says to run, run as said
            line = one_line(run("users", "create", "a@example.com", "--db", reader))
            assert f"the role lab\\nr {tag} lacks a privilege" in line, line
        finally:
            admin_says(f"GRANT CONNECT ON DATABASE {name} TO PUBLIC")


def test_the_worker_module_names_the_role_refused_at_its_start(pg_url, capsys):
    """``python -m sigopt_like.service.worker`` on a role that may only read tables made
    in schema ``lab``: its one line names the database, the role and the GRANTs to it in
    ``lab``, as ``sigopt-like worker`` does. Before, it was given no target: its hint said
    "this role" and "TO <role>" of a URL that named the role (its CONNECT revoked), and a
    write refused at its start was a traceback."""
    import sqlalchemy as sa

    from sigopt_like.service import worker
    from tests.reliability.test_database_unwritable import _role_in_schema

    with _role_in_schema(pg_url, "lab") as (role, reader, admin_says):
        admin_says("REVOKE INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} FROM {role}")
        capsys.readouterr()
        assert worker.command(["--db", reader, "--threads", "1"]) == 1
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in lines[0], lines
        line = lines[0]
        assert line.startswith(
            f"python -m sigopt_like.service.worker: error: cannot use the database {reader}: "
        ), line
        assert f"the role {role} lacks a privilege" in line, line
        assert f"GRANT USAGE ON SCHEMA lab TO {role}; GRANT SELECT" in line, line
        assert "<role>" not in line and "this role" not in line, line
        name = sa.make_url(pg_url).database
        admin_says(f"REVOKE CONNECT ON DATABASE {name} FROM PUBLIC")  # refused at its open
        assert worker.command(["--db", reader, "--threads", "1"]) == 1
        line = capsys.readouterr().err.strip()
        assert f"the role {role} may not connect to it" in line, line
        assert f"(GRANT CONNECT ON DATABASE {name} TO {role})" in line, line


def test_a_role_refused_at_the_start_is_given_the_grants_of_its_schema(run, pg_url):
    """A real role that may only read tables made in schema ``lab`` (its search_path):
    ``serve``, ``worker`` and ``users create`` each name, in their one line, the GRANTs
    in ``lab`` that the service's run-time refusals name, and running them mends it.
    Before, the line named no schema and no GRANT ("grant it SELECT, INSERT, UPDATE and
    DELETE on the database's tables"), and a GRANT on ``public`` did nothing here."""
    from tests.reliability.test_database_unwritable import _granted_back, _role_in_schema

    with _role_in_schema(pg_url, "lab") as (role, reader, admin_says):
        admin_says("REVOKE INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} FROM {role}")
        for argv in (("serve", "--port", "0"), ("worker",), ("users", "create", "a@b.example")):
            line = one_line(run(*argv, "--db", reader))
            assert f"cannot use the database {reader}: permission denied for table" in line
            assert f"GRANT USAGE ON SCHEMA lab TO {role}; GRANT SELECT" in line, line
            assert "ON ALL TABLES IN SCHEMA lab" in line and "public" not in line, line
        admin_says(*_granted_back(line))  # what it says to run, run as said
        done = run("users", "create", "a@b.example", "--db", reader)
        assert done.code == 0, done


@contextlib.contextmanager
def _role_without_create(
    pg_url: str, schema: str
) -> Iterator[tuple[str, str, Callable[..., None]]]:
    """A real role whose search_path's first schema is ``schema`` (an SQL identifier, quoted
    where it needs it), USAGE granted there, not CREATE: its name, its database URL, and a
    function running statements as the server's administrator."""

    role = f"maker_{uuid.uuid4().hex[:8]}"  # roles are the server's, shared by the tests
    with administrator(pg_url) as admin_says:
        admin_says(
            f"CREATE ROLE {role} LOGIN",
            f"CREATE SCHEMA {schema}",
            f"GRANT USAGE ON SCHEMA {schema} TO {role}",
            f"ALTER ROLE {role} SET search_path = {schema}",
        )
        yield role, pg_url.replace("postgres@", f"{role}@", 1), admin_says


def test_a_role_that_may_not_make_the_tables_is_told_to_grant_create(run, pg_url):
    """A real role whose search_path's first schema, ``lab``, is not its own (USAGE
    granted, not CREATE), on a database whose tables are not made yet: ``users create``
    says in one line that it may not make them there and the GRANT that lets it, which
    mends it. Before, it was told to grant SELECT, INSERT, UPDATE and DELETE on tables
    that did not exist, which did nothing."""
    with _role_without_create(pg_url, "lab") as (role, maker, admin_says):
        line = one_line(run("users", "create", "a@b.example", "--db", maker))
        assert "permission denied for schema lab" in line, line
        assert "may not make the service's tables in schema lab" in line, line
        grant = f"GRANT USAGE, CREATE ON SCHEMA lab TO {role}"
        assert f"({grant})" in line and "SELECT, INSERT" not in line, line
        admin_says(grant)  # what it says to run, run as said
        done = run("users", "create", "a@b.example", "--db", maker)
        assert done.code == 0, done


def test_a_schema_whose_name_has_a_space_is_named_whole_in_the_grant_create(run, pg_url):
    """A real role whose search_path's first schema is ``lab x`` (USAGE granted, not
    CREATE): PostgreSQL prints the name bare ("permission denied for schema lab x"), and
    ``users create`` names it whole, its GRANT quoted as a statement needs it, which mends
    it. Before, the name was read up to its space: the hint named schema ``lab``, and its
    GRANT another schema (or none: PostgreSQL refused it)."""
    with _role_without_create(pg_url, '"lab x"') as (role, maker, admin_says):
        line = one_line(run("users", "create", "a@b.example", "--db", maker))
        assert "permission denied for schema lab x;" in line, line
        assert "may not make the service's tables in schema lab x, the first" in line, line
        grant = f'GRANT USAGE, CREATE ON SCHEMA "lab x" TO {role}'
        assert f"({grant})" in line, line
        admin_says(grant)  # what it says to run, run as said
        done = run("users", "create", "a@b.example", "--db", maker)
        assert done.code == 0, done


def test_a_schema_whose_name_has_a_line_break_is_named_whole_on_one_line(run, pg_url):
    """A real role whose search_path's first schema is ``lab<LF>x``: ``users create`` names
    it whole on its one line, escaped, and its GRANT in PostgreSQL's own escaped form
    (``U&"lab\\000ax"``), a statement that mends it. Before, PostgreSQL's message was read
    to its first line break: the hint named schema ``lab``, and its GRANT another schema."""
    with _role_without_create(pg_url, '"lab\nx"') as (role, maker, admin_says):
        line = one_line(run("users", "create", "a@b.example", "--db", maker))
        assert "permission denied for schema lab\\nx;" in line, line
        assert 'may not make the service\'s tables in schema U&"lab\\000ax", the' in line, line
        grant = f'GRANT USAGE, CREATE ON SCHEMA U&"lab\\000ax" TO {role}'
        assert f"({grant})" in line, line
        admin_says(grant)  # what it says to run, run as said
        done = run("users", "create", "a@b.example", "--db", maker)
        assert done.code == 0, done


def test_a_role_that_may_not_connect_is_told_the_grant(run, pg_url):
    """A real role whose CONNECT on the database is revoked: ``users create``, ``serve``
    and ``worker`` say in one line that it may not connect, and the GRANT CONNECT that
    lets it. Before, PostgreSQL's "permission denied for database" alone."""
    import sqlalchemy as sa

    name = sa.make_url(pg_url).database
    role = f"shut_{uuid.uuid4().hex[:8]}"  # roles are the server's, shared by the tests
    with administrator(pg_url) as admin_says:
        admin_says(f"CREATE ROLE {role} LOGIN", f"REVOKE CONNECT ON DATABASE {name} FROM PUBLIC")
    shut = pg_url.replace("postgres@", f"{role}@", 1)
    for argv in (("users", "create", "a@b.example"), ("serve", "--port", "0"), ("worker",)):
        line = one_line(run(*argv, "--db", shut))
        assert f'permission denied for database "{name}"' in line, line
        assert f"the role {role} may not connect to it" in line, line
        assert f"(GRANT CONNECT ON DATABASE {name} TO {role})" in line, line


def test_a_role_that_loses_the_schema_of_its_tables_makes_none_in_the_next(run, pg_url):
    """A real role whose search_path is ``lab, public``, its tables in ``lab``, loses its
    USAGE on ``lab``: ``users create``, ``serve`` and ``worker`` refuse in one line naming
    ``lab`` and the GRANT USAGE, and make nothing in ``public``; once granted, the old data
    is there. Before, PostgreSQL skipped ``lab`` and the tables were made anew, empty, in
    ``public``: "created user ... (id 2)", the operator's data seemingly gone."""
    from tests.reliability.test_database_unwritable import _granted_back, _role_in_schema

    with _role_in_schema(pg_url, "lab") as (role, url, admin_says):
        admin_says(
            "ALTER ROLE {role} SET search_path = lab, public",
            "GRANT USAGE, CREATE ON SCHEMA public TO {role}",  # it could make them there
        )
        assert run("users", "create", "first@b.example", "--db", url).code == 0
        tables = _tables_of(pg_url)
        admin_says("REVOKE USAGE ON SCHEMA {schema} FROM {role}")
        for argv in (("users", "create", "a@b.example"), ("serve", "--port", "0"), ("worker",)):
            line = one_line(run(*argv, "--db", url))
            assert f"cannot use the database {url}: schema lab of the search_path" in line
            assert f"(GRANT USAGE ON SCHEMA lab TO {role}; GRANT SELECT" in line, line
            assert _tables_of(pg_url) == tables  # nothing made in public
        admin_says(*_granted_back(line))  # what it says to run, run as said
        done = run("users", "list", "--db", url)
        assert done.code == 0 and "first@b.example" in done.out, done
        assert _tables_of(pg_url) == tables


def _tables_of(pg_url: str) -> list[tuple[str, str]]:
    """Every schema's tables but the server's own, asked as its administrator."""
    import sqlalchemy as sa

    admin = sa.create_engine(pg_url)
    try:
        with admin.connect() as conn:
            found = conn.exec_driver_sql(
                "SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN "
                "('pg_catalog', 'information_schema') ORDER BY 1, 2"
            )
            return [(str(schema), str(table)) for schema, table in found]
    finally:
        admin.dispose()


def test_a_served_command_without_a_token_says_how_to_give_one(run, served, monkeypatch):
    """Before: a command with SIGOPT_LIKE_HOST and no token repeated only the service's
    advice, an HTTP header ("send 'Authorization: Bearer <token>'"), which a person at a
    command line does not write; a token sent and refused is not told it sent none."""
    monkeypatch.setenv("SIGOPT_LIKE_HOST", served.url)
    monkeypatch.delenv("SIGOPT_LIKE_TOKEN", raising=False)
    none = run("sessions", "list")
    assert none.code == 1
    assert "401 unauthorized" in none.err
    assert "this command sent no token: give --token, or export SIGOPT_LIKE_TOKEN" in none.err
    wrong = run("sessions", "list", "--token", "slk_not-a-token")
    assert wrong.code == 1
    assert "The API token is not valid" in wrong.err
    assert "sent no token" not in wrong.err
    assert run("sessions", "list", "--token", served.token).code == 0

"""Mistakes a newcomer makes on the command line, found by trying it as one.

Each test failed before its fix; each mistake gets one line a person can act on
and a non-zero exit status, never a traceback and never a silent success.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
from pathlib import Path

import pytest

import sigopt_like
from sigopt_like.spaces import SpaceError

from .conftest import DATA
from .test_errors import one_line


def test_a_sqlite_url_opens_that_file(run, tmp_path, monkeypatch):
    """Before: the URL went through Path(), which made it the relative file
    ``sqlite:/<path>`` under the current folder."""
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "team.sqlite3"
    done = run("sessions", "create", "by-url", "--db", f"sqlite:///{target}")
    assert done.code == 0, done
    assert target.is_file()
    assert not (tmp_path / "sqlite:").exists()
    listed = run("sessions", "list", "--db", str(target))
    assert "by-url" in listed.out


def test_connection_database_url_is_not_a_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "api.sqlite3"
    with sigopt_like.Connection(database=f"sqlite:///{target}") as conn:
        conn.sessions.create(name="url")
    assert target.is_file() and not (tmp_path / "sqlite:").exists()


def test_a_database_url_of_another_kind_is_refused(run, tmp_path, monkeypatch):
    """Before: ``--db mysql://x/y`` made the folder ``mysql:/x`` and a SQLite file in it."""
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    line = one_line(run("sessions", "list", "--db", "mysql://me:s3cret@db.example/doe"))
    assert "neither a SQLite file nor PostgreSQL" in line and "s3cret" not in line
    assert os.listdir(here) == []


def test_a_sqlite_url_in_a_missing_folder_is_not_created(run, tmp_path):
    missing = tmp_path / "nonexistent" / "x.db"
    line = one_line(run("sessions", "list", "--db", f"sqlite:///{missing}"))
    assert "does not exist" in line
    assert not Path(missing).parent.exists()


def test_campaign_commands_on_postgresql_use_it(run, pg_url, tmp_path, monkeypatch):
    """Before: ``--db postgresql+psycopg://...`` on a campaign command made a SQLite file
    named after the URL (password included) in the current folder, and exited 0."""
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    assert run("sessions", "create", "on-postgres", "--db", pg_url).code == 0
    assert os.listdir(here) == []
    with sigopt_like.Connection(database=pg_url) as conn:
        assert [s.name for s in conn.sessions.list()] == ["on-postgres"]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_server_that_is_down_is_said_at_once_and_in_words(run, monkeypatch):
    """Before: silence for the whole retry deadline (two minutes by default), then
    urllib3's repr: "Max retries exceeded ... NewConnectionError('<urllib3.connection.
    HTTPConnection object at 0x7f...>: Failed to establish a new connection: ...')"."""
    monkeypatch.setenv("SIGOPT_LIKE_MAX_TRIES", "3")
    url = f"http://127.0.0.1:{closed_port()}"
    done = run("sessions", "list", "--host", url, "--token", "t0ken")
    assert done.code == 1 and "Traceback" not in done.err
    notice, error = done.err.strip().splitlines()
    assert notice.startswith(f"sigopt-like: {url} cannot be reached (ConnectionError)")
    assert "trying again for up to 120 s (Ctrl-C to stop" in notice
    assert error.startswith(f"sigopt-like: error: GET {url}/v1/")
    assert "failed (3 tries in" in error and error.count("Connection refused") == 1
    assert "is the service running, and is --host" in error
    assert "object at 0x" not in error and "Max retries" not in error


def test_the_notice_names_the_setting_that_shortens_the_retries_and_it_is_honoured(
    run, monkeypatch
):
    """Before: the line said "up to 120 s" and nothing about how to wait less; the
    deadline could only be set in a config file (no environment variable read it)."""
    monkeypatch.setenv("SIGOPT_LIKE_MAX_RETRY_TIME", "1.5")
    url = f"http://127.0.0.1:{closed_port()}"
    start = time.monotonic()
    done = run("sessions", "list", "--host", url, "--token", "t0ken")
    took = time.monotonic() - start
    assert done.code == 1, done.err
    notice, error = done.err.strip().splitlines()
    assert "trying again for up to 2 s" in notice  # 1.5 s, rounded
    assert "SIGOPT_LIKE_MAX_RETRY_TIME=SECONDS shortens it" in notice
    assert error.startswith(f"sigopt-like: error: GET {url}/v1/")
    assert took < 10, took


def test_a_host_that_is_another_web_server_is_said_in_words(run, tmp_path):
    """Before: a --host on another web server's port (python -m http.server, a notebook)
    printed "the service refused: 404 not_found: <!DOCTYPE HTML> <html lang=...", the
    other server's page as the service's words."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format, *args):  # its lines would share the command's stderr
            pass

    handler = functools.partial(Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        line = one_line(run("sessions", "list", "--host", url, "--token", "t0ken"))
    finally:
        server.shutdown()
        server.server_close()
    assert "<" not in line and "the service refused" not in line, line
    assert f"{url} answered GET /v1/sessions with 404" in line, line
    assert f"is {url} the URL 'sigopt-like serve' printed" in line, line


def test_the_notice_is_shown_once_and_not_with_verbose(run, monkeypatch):
    monkeypatch.setenv("SIGOPT_LIKE_MAX_TRIES", "3")
    url = f"http://127.0.0.1:{closed_port()}"
    done = run("-v", "sessions", "list", "--host", url, "--token", "t0ken")
    assert done.code == 1
    # -v logs every retry instead (the first as a WARNING record), not the notice's line
    assert "trying again for up to" not in done.err


def test_a_host_that_is_not_a_url_is_refused_at_once(run):
    """Before: ``ftp://x`` reached requests ("No connection adapters"), ``http://`` and
    ``http://a b`` were retried for two minutes (as the host ``http``)."""
    for host in ("ftp://lab.example", "http://", "http://exa mple", "http://h:99999"):
        start = time.monotonic()
        line = one_line(run("sessions", "list", "--host", host, "--token", "t0ken"))
        assert "'host' must be the service's URL, like http://127.0.0.1:8080" in line, line
        assert time.monotonic() - start < 10


def test_config_mistakes_are_one_line(run, tmp_path, monkeypatch):
    """Before: SIGOPT_LIKE_MAX_TRIES=0 was a traceback (attrs' ValueError), a config
    "file" that is a folder was said not to exist, and any word in
    SIGOPT_LIKE_VERIFY_SSL_CERTIFICATES was taken as a CA bundle's path."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "c.db"))
    cases = {
        ("SIGOPT_LIKE_MAX_TRIES", "0"): "'max_tries' must be a whole number of tries, 1 or more",
        ("SIGOPT_LIKE_MAX_TRIES", "2.5"): "'max_tries' must be a whole number of tries",
        ("SIGOPT_LIKE_CONFIG", str(tmp_path)): "is a folder; name the JSON file in it",
        ("SIGOPT_LIKE_VERIFY_SSL_CERTIFICATES", "maybe"): "'maybe' is neither",
    }
    for (name, value), said in cases.items():
        with monkeypatch.context() as env:
            env.setenv(name, value)
            line = one_line(run("sessions", "list"))
            assert said in line, line
    config = tmp_path / "sigopt-like.json"
    config.write_text('{"max_retry_time": -1}')
    monkeypatch.setenv("SIGOPT_LIKE_CONFIG", str(config))
    said = "'max_retry_time' must be a finite number of seconds, 0 to 31536000 (a year), not -1"
    assert said in one_line(run("sessions", "list"))


def test_a_config_file_nested_too_deeply_is_one_line(run, tmp_path, monkeypatch):
    """Before: a config file of 100,000 lists inside each other was the JSON decoder's
    RecursionError, a traceback."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "d.db"))
    config = tmp_path / "deep.json"
    config.write_text("[" * 100_000 + "]" * 100_000)
    monkeypatch.setenv("SIGOPT_LIKE_CONFIG", str(config))
    done = run("sessions", "list")
    assert done.code != 0 and "Traceback" not in done.err and "RecursionError" not in done.err
    line = one_line(done)
    assert f"The config file {config} is nested too deeply to be read as JSON" in line, line


def test_space_put_needs_population_and_replicates(run, tmp_path, monkeypatch):
    """Before: leaving either out reached the service and came back as exit 1 with
    "400 bad_request: The field 'population_size' is required" (the help's own mixture
    example had no --replicates, so it failed as written)."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "p.db"))
    space = DATA / "esd-factorial-4x8.csv"
    assert run("sessions", "create", "sized").code == 0
    done = run("space", "put", "1", space, "--type", "factorial", "--replicates", "1")
    assert done.code == 2 and "Missing option '--population'" in done.err
    done = run("space", "put", "1", space, "--type", "factorial", "--population", "5")
    assert done.code == 2 and "Missing option '--replicates'" in done.err


def test_space_put_help_examples_run_as_written(run, tmp_path, monkeypatch):
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "h.db"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "space.csv").write_text(
        "temperature,numerical,20,40,60,80\ncatalyst,categorical,Pd,Pt,Ni,Cu,Fe,Co\n"
    )
    (tmp_path / "blend.csv").write_text("a,unit,0,10\nb,unit,0,10\nc,unit,5,15\n")
    help_text = run("space", "put", "--help").out.replace("\\\n", " ")
    lines = help_text.splitlines()
    examples = [line.split() for line in lines if line.strip().startswith("sigopt-like space put")]
    assert len(examples) == 2
    for number, argv in enumerate(examples, 1):
        assert run("sessions", "create", f"example-{number}").code == 0
        done = run(*argv[1:], "-q")
        assert done.code == 0, (argv, done)


def test_choices_ignore_case(run, tmp_path, monkeypatch):
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "c.db"))
    assert run("sessions", "create", "cased").code == 0
    space = DATA / "esd-mixture-5.csv"
    argv = ("space", "put", "1", space, "--type", "Mixture", "--total-units", "15")
    done = run(*argv, "--population", "5", "--replicates", "0", "-q")
    assert done.code == 0, done


def test_the_dashboard_of_a_database_that_does_not_exist(run, tmp_path):
    """Before: ``dashboard --db ~/doe.sqlite3`` (the README's line) on a mistyped or
    missing file created an empty database and served an empty dashboard."""
    missing = tmp_path / "doe.sqlite3"
    line = one_line(run("dashboard", "--db", missing, "--port", "0"))
    assert f"no database at {missing}" in line
    assert not missing.exists()


def test_a_space_file_of_the_other_kind_is_one_problem(run, tmp_path, monkeypatch):
    """Before: a mixture file read as factorial (or the reverse) gave one line per row,
    then "the space has no parameters" (and "needs at least two components")."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "k.db"))
    assert run("sessions", "create", "kinds").code == 0
    sized = ("--population", "5", "--replicates", "0")
    mixture, factorial = DATA / "esd-mixture-5.csv", DATA / "esd-factorial-4x8.csv"
    line = one_line(run("space", "put", "1", mixture, "--type", "factorial", *sized))
    assert "every row has the type 'unit' of a mixture space" in line
    assert "read it as a mixture space with its total_units" in line
    args = ("--type", "mixture", "--total-units", "15", *sized)
    line = one_line(run("space", "put", "1", factorial, *args))
    assert "this is a factorial space file, not a mixture one" in line
    with pytest.raises(SpaceError) as caught:
        sigopt_like.Space.from_csv(mixture, type="factorial")
    assert len(caught.value.problems) == 1


def test_a_bad_total_is_said_once(run, tmp_path, monkeypatch):
    """Before: total_units -15 also reported every component's maximum as above it."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "t.db"))
    assert run("sessions", "create", "total").code == 0
    args = ("--type", "mixture", "--total-units", "-15", "--population", "5", "--replicates", "0")
    line = one_line(run("space", "put", "1", DATA / "esd-mixture-5.csv", *args))
    assert line.endswith("invalid space: total_units must be a positive whole number, not -15")


def test_a_problem_is_said_once(run, tmp_path, monkeypatch):
    """Before: "'parameters[0].bounds': min (5.0) must be less than max (1.0). [field
    parameters[0].bounds: 'parameters[0].bounds': min (5.0) must be ...]", and a failed
    task's problem read "row 1: row 1 should be the header row ..."."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "o.db"))
    line = one_line(run("experiments", "create", "--name", "x", "-p", "a:double:5:1"))
    assert line.count("must be less than max") == 1, line
    assert run("sessions", "create", "once").code == 0
    space = ("--type", "factorial", "--population", "5", "--replicates", "0", "-q")
    assert run("space", "put", "1", DATA / "esd-factorial-4x8.csv", *space).code == 0
    assert run("generate", "1", "-q").code == 0
    odd = tmp_path / "odd.csv"
    odd.write_text("x\n")
    done = run("experiments", "put", "1", odd, "--type", "designed", "-q")
    assert done.code == 1 and "row 1 should be the header row" in done.err
    assert "row 1: row 1" not in done.err


def test_revoking_a_token_that_is_not_there_says_so(run, tmp_path):
    """Before: "revoked 0 token(s)" on standard output, exit 1, and no word on why."""
    db = tmp_path / "t.db"
    assert run("users", "create", "ann@lab.example", "--db", db).code == 0
    line = one_line(run("tokens", "revoke", "--id", "99", "--db", db))
    assert "no active token with id 99: nothing revoked" in line
    line = one_line(run("tokens", "revoke", "not-a-token", "--db", db))
    assert "no active token of that value" in line


def test_a_token_never_reads_as_an_option(run, tmp_path):
    """Before: one token in 64 started with '-', and ``tokens revoke TOKEN`` was a usage error.

    CI met it: ``secrets.token_urlsafe`` draws '-' as the first character 1 time in 64.
    """
    db = tmp_path / "t.db"
    assert run("users", "create", "ann@lab.example", "--db", db).code == 0
    for _ in range(3):
        secret = run("tokens", "create", "--user", "ann@lab.example", "--db", db).out.strip()
        assert secret.startswith("slk_") and len(secret) >= 40
        done = run("tokens", "revoke", secret, "--db", db)
        assert (done.code, done.out.strip()) == (0, "revoked 1 token(s)")
    # a 0.1.0 token may still start with '-': after '--' it is a value, as the help says
    done = run("tokens", "revoke", "--db", db, "--", "-Zm9vYmFy")
    assert done.code == 1 and "no active token of that value" in one_line(done)
    assert "after '--'" in run("tokens", "revoke", "--help").out


def test_a_space_file_given_as_experiments_is_named(run, tmp_path, monkeypatch):
    """Before: one "row N has 5 cells but the header has 7 columns" per parameter."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "s.db"))
    assert run("sessions", "create", "swap").code == 0
    space = DATA / "esd-factorial-4x8.csv"
    sized = ("--type", "factorial", "--population", "5", "--replicates", "0", "-q")
    assert run("space", "put", "1", space, *sized).code == 0
    uneven = tmp_path / "space.csv"  # rows of different widths, as most space files
    uneven.write_text("param1,numerical,0,1,2,3,4\nparam2,numerical,0,1\nparam3,numerical,0,1,2\n")
    line = one_line(run("experiments", "put", "1", uneven, "--type", "initial"))
    assert "this is a space file, not an experiments table" in line


def test_a_design_sent_back_without_responses_is_noticed(run, tmp_path, monkeypatch):
    """Before: a design sent back as it came (every Response empty) was accepted
    without a word, and --generate-next designed the next generation from nothing."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "n.db"))
    monkeypatch.chdir(tmp_path)
    assert run("sessions", "create", "forgot").code == 0
    sized = ("--type", "factorial", "--population", "5", "--replicates", "0", "-q")
    assert run("space", "put", "1", DATA / "esd-factorial-4x8.csv", *sized).code == 0
    assert run("generate", "1", "-o", "gen1.csv", "-q").code == 0
    done = run("experiments", "put", "1", "gen1.csv", "--type", "designed", "-q")
    assert done.code == 0
    assert "note: no experiment in gen1.csv has a Response" in done.err


def small_campaign(run, tmp_path, monkeypatch, space: str) -> None:
    """Session 1 of a fresh database, its space put at population 4 (a 4-point space)."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "small.db"))
    monkeypatch.chdir(tmp_path)
    Path("space.csv").write_text(space)
    assert run("sessions", "create", "small").code == 0
    sized = ("--type", "factorial", "--population", "4", "--replicates", "0", "-q")
    assert run("space", "put", "1", "space.csv", *sized).code == 0


def test_generate_next_on_an_exhausted_space_says_why_there_is_no_design(
    run, tmp_path, monkeypatch
):
    """Before: ``experiments put --generate-next`` of a design that used up the space said
    only "accepted", and no next design came; the Python result dropped the reason."""
    small_campaign(run, tmp_path, monkeypatch, "a,numerical,1,2\nb,categorical,x,y\n")
    assert run("generate", "1", "-o", "gen1.csv", "-q").code == 0
    lines = Path("gen1.csv").read_text().splitlines()
    Path("gen1.csv").write_text(
        "\n".join([lines[0], *(f"{r}{i}" for i, r in enumerate(lines[1:]))])
    )
    done = run("experiments", "put", "1", "gen1.csv", "--type", "designed", "--generate-next", "-q")
    assert done.code == 0, done
    assert "note: no next design: The campaign is completed" in done.err
    with sigopt_like.Connection() as conn:
        assert conn.sessions("1").fetch().completed
        campaign = conn.sessions(conn.sessions.create(name="in python").id)
        space = sigopt_like.Space.from_csv("space.csv", type="factorial")
        campaign.space.put(space=space, population_size=4, replicates=0, wait=True)
        design = campaign.generate(wait=True).result.experiments
        measured = sigopt_like.Table(
            columns=design.columns, rows=[(*row[:-1], i) for i, row in enumerate(design.rows)]
        )
        put = campaign.experiments.put(
            type="designed", table=measured, generate_next=True, wait=True
        )
    assert put.type == "update" and put.result.next_task is None
    assert put.result.completed and "completed" in put.result.next_task_skipped


def test_the_demo_takes_the_option_names_of_the_other_commands(run, tmp_path):
    """Before: ``demo -o DIR`` (as ``design -o``), ``--db`` and ``--population`` were
    "unrecognized arguments"; only --out, --database and --population-size worked."""
    out = tmp_path / "demo-run"
    argv = ("-o", out, "-n", "1", "--population", "4", "--db", tmp_path / "d.db")
    done = run("demo", *argv)
    assert done.code == 0, done
    assert (out / "auto_gen1_design.csv").is_file() and (tmp_path / "d.db").is_file()


def test_an_empty_host_token_or_db_is_a_usage_error(run, tmp_path, monkeypatch):
    """Before: ``--host "$HOST"`` with HOST unset (an empty --host) used the embedded
    service on the local database without a word, and ``--db ""`` the default one."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "e.db"))
    for argv, said in (
        (("sessions", "list", "--host", ""), "--host is empty"),
        (("sessions", "list", "--host", "http://127.0.0.1:9", "--token", " "), "--token is"),
        (("sessions", "list", "--db", ""), "--db is empty"),
        (("users", "list", "--db", ""), "--db is empty"),
    ):
        done = run(*argv)
        assert done.code == 2 and said in done.err, (argv, done)
    assert not (tmp_path / "e.db").exists()


def test_a_host_given_with_the_api_prefix_works(run, served):
    """Before: ``--host http://127.0.0.1:PORT/v1`` asked for /v1/v1/sessions: a 404."""
    for host in (f"{served.url}/v1", f"{served.url}/v1/"):
        done = run(
            "sessions", "create", f"prefixed{len(host)}", "--host", host, "--token", served.token
        )
        assert done.code == 0, done


def test_a_token_name_is_also_its_label(run, tmp_path):
    """Before: ``tokens list --help`` called the column "label", and ``--label`` was
    "No such option"; the column prints as "name"."""
    db = tmp_path / "l.db"
    assert run("users", "create", "ann@lab.example", "--db", db).code == 0
    args = ("--user", "ann@lab.example", "--db", db)
    assert run("tokens", "create", *args, "--label", "laptop").code == 0
    assert "laptop" in run("tokens", "list", "--db", db).out
    assert "id, user, name, revoked" in run("tokens", "--help").out


def test_a_file_that_is_not_the_design_is_said_in_a_few_lines(run, tmp_path, monkeypatch):
    """Before: the seed's experiments.csv sent as generation 1's responses printed one
    line per row (90), none saying that the file was not this generation's design."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "d.db"))
    assert run("sessions", "create", "other-file").code == 0
    sized = ("--type", "factorial", "--population", "30", "--replicates", "2", "-q")
    assert run("space", "put", "1", DATA / "esd-factorial-4x8.csv", *sized).code == 0
    assert run("generate", "1", "-q").code == 0
    done = run("experiments", "put", "1", DATA / "experiments.csv", "--type", "designed", "-q")
    assert done.code == 1 and "Traceback" not in done.err
    lines = done.err.strip().splitlines()
    # the design is drawn afresh each run: now and then one of the file's rows is in it
    differ = re.search(r"(\d+) of the 90 designed rows differ from generation 1's design", lines[1])
    assert differ is not None and int(differ[1]) >= 85, lines[1]
    more = int(differ[1]) - 11  # one problem per differing row and the file's, 12 shown
    assert len(lines) == 2 + 12 and lines[-1] == f"  ... and {more} more problems like these"


def test_a_host_on_this_machine_without_a_scheme_is_plain_http(run, served, monkeypatch):
    """Before: ``--host 127.0.0.1:PORT`` meant https://, and the plain-HTTP ``serve``
    that printed ``http://127.0.0.1:PORT`` never answered the TLS handshake: silence for
    two minutes of retries, then a timeout that named no cause."""
    port = served.url.rsplit(":", 1)[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
        done = run("sessions", "create", f"via-{host[:3]}", "--host", host, "--token", served.token)
        assert done.code == 0, done
    with sigopt_like.Connection(f"127.0.0.1:{port}/", served.token) as conn:
        assert {s.name for s in conn.sessions.list()} == {"via-127", "via-loc"}
    from sigopt_like.config import resolve_config

    assert resolve_config(host="doe.lab.example:8080").host == "https://doe.lab.example:8080"
    assert resolve_config(host="[::1]:8080").host == "http://[::1]:8080"


def test_https_to_a_plain_http_service_names_its_http_url(run, served, monkeypatch):
    """``sigopt-like serve`` answers a TLS handshake at once in plain HTTP: the call fails
    at once (no retry: another try gets the same answer; before, a notice and 2 minutes
    of retries) and the error says which URL it answers on."""
    monkeypatch.setenv("SIGOPT_LIKE_MAX_TRIES", "5")
    port = served.url.rsplit(":", 1)[1]
    done = run("sessions", "list", "--host", f"https://127.0.0.1:{port}", "--token", "t0ken")
    assert done.code == 1 and "Traceback" not in done.err
    (error,) = done.err.strip().splitlines()
    assert "tries" not in error and "retrying" not in error, error
    assert (
        f"answers plain HTTP (TLS is a proxy's job): if it runs there, its URL is "
        f"http://127.0.0.1:{port}" in error
    ), error
    from sigopt_like.transport import RetryPolicy

    with (
        pytest.raises(sigopt_like.errors.APIConnectionError, match=f"http://127.0.0.1:{port}"),
        sigopt_like.Connection(
            f"https://127.0.0.1:{port}",
            "t0ken",
            timeout=(2.0, 1.0),
            retries=RetryPolicy(max_tries=1),
        ) as conn,
    ):
        conn.sessions.list()


def test_an_output_that_cannot_be_written_stops_the_task_before_it_runs(run, tmp_path, monkeypatch):
    """Before: ``generate 1 -o notes.txt/gen1.csv`` designed generation 1, then failed to
    write ("File exists: notes.txt"); the next ``generate`` was a 409 (the design is
    pending) and the user had to find ``design 1 -o`` to get it."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "o.db"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("a file, not a folder\n")
    assert run("sessions", "create", "out").code == 0
    sized = ("--type", "factorial", "--population", "5", "--replicates", "0", "-q")
    assert run("space", "put", "1", DATA / "esd-factorial-4x8.csv", *sized).code == 0
    # a file error is exit 1, as the help's exit statuses say (it was 2, a usage error)
    for argv, said in (
        (("generate", "1", "-o", "notes.txt/gen1.csv"), "notes.txt is a file, not a folder"),
        (("analytics", "1", "-o", "notes.txt/plots"), "notes.txt is a file, not a folder"),
        (("analytics", "1", "-o", "/proc/sigopt-like-plots"), "cannot be made"),
        # root may write in any folder but this one: a permission check let the task run
        (("generate", "1", "-o", "/proc/gen1.csv"), "-o/--output: the folder /proc "),
    ):
        done = run(*argv, "-q")
        assert done.code == 1, done
        assert said in done.err and "; nothing was done" in done.err
    shown = run("sessions", "show", "1", "--json").json()
    assert shown["gen"] == 0
    with sigopt_like.Connection(database=str(tmp_path / "o.db")) as conn:
        assert [t.type for t in conn.sessions("1").tasks.list()] == ["space"]
    (tmp_path / "new").mkdir()
    assert run("generate", "1", "-o", "new/gen1.csv", "-q").code == 0
    assert (tmp_path / "new" / "gen1.csv").is_file()


def test_an_output_in_a_missing_folder_is_refused_as_a_database_in_one_is(
    run, tmp_path, monkeypatch
):
    """Before: ``-o reslts/gen1.csv`` made every missing folder (``generate`` made them even
    when its task then failed) while ``--db reslts/lab.db`` refused one. Now both make the
    file or folder named, never the folders above it, and say ``mkdir -p`` before anything
    is done."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "o.db"))
    monkeypatch.chdir(tmp_path)
    assert run("sessions", "create", "out").code == 0
    sized = ("--type", "factorial", "--population", "5", "--replicates", "0", "-q")
    assert run("space", "put", "1", DATA / "esd-factorial-4x8.csv", *sized).code == 0
    for argv in (
        ("generate", "1", "-o", "reslts/gen1.csv", "-q"),
        ("analytics", "1", "-o", "reslts/plots", "-q"),
    ):
        line = one_line(run(*argv))
        assert "the folder reslts does not exist; create it first (mkdir -p reslts)" in line
        assert line.endswith("nothing was done."), line
    assert not (tmp_path / "reslts").exists()
    assert run("sessions", "show", "1", "--json").json()["gen"] == 0  # nothing designed
    assert "mkdir -p reslts" in one_line(run("sessions", "list", "--db", "reslts/lab.db"))
    assert run("generate", "1", "-q").code == 0
    for argv in (("design", "1", "-o", "reslts/gen1.csv"), ("history", "1", "-o", "reslts/h.csv")):
        assert "(mkdir -p reslts)" in one_line(run(*argv))
    assert not (tmp_path / "reslts").exists()
    done = run("analytics", "1", "-o", "plots", "-q")  # the folder named is made
    assert done.code == 0 and any((tmp_path / "plots").iterdir()), done


def test_an_empty_metric_name_is_refused_not_renamed(run, tmp_path, monkeypatch):
    """Before: ``--metric ""`` (``--metric "$METRIC"`` with METRIC unset) made an experiment
    whose metric was silently named 'value'."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "m.db"))
    line = one_line(
        run("experiments", "create", "--name", "e", "-p", "x:double:0:1", "--metric", "")
    )
    assert "'metrics[0].name' must not be empty" in line, line
    assert run("experiments", "list", "--json").json() == []
    done = run("experiments", "create", "--name", "e", "-p", "x:double:0:1", "--minimize")
    assert (
        done.code == 0
        and run("experiments", "show", "1", "--json").json()["metrics"][0]["name"] == "value"
    )


def test_sigopt_numbers_on_the_command_line_say_what_they_must_be(run, tmp_path, monkeypatch):
    """Before: ``-p x:int:0:1.5`` said "the bounds must be numbers"; ``-p x:double:-1e999:1``
    and ``--value nan`` reached the client's encoder, whose message speaks Python
    ("failed=True") to a person at a terminal; ``--stddev inf`` likewise."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "e.db"))
    for spec, says in (
        ("x:int:0:1.5", "the bounds must be whole numbers"),
        ("x:double:-1e999:1", "the bounds must be finite numbers"),
    ):
        done = run("experiments", "create", "--name", "e", "-p", spec)
        assert done.code == 2 and says in done.err, done
    assert run("experiments", "create", "--name", "e", "-p", "x:double:0:1").code == 0
    assert run("experiments", "suggest", "1").code == 0
    for option, value, says in (
        (
            "--value",
            "nan",
            "nan is not a finite number; a run that failed is reported with --failed",
        ),
        ("--stddev", "inf", "inf is not a finite number"),
    ):
        extra = ("--value", "1") if option == "--stddev" else ()
        done = run("experiments", "observe", "1", "-s", "1", option, value, *extra)
        assert done.code == 2 and says in done.err and "failed=True" not in done.err, done
    assert (
        "observation 1 of suggestion 1: value 1.0"
        in run("experiments", "observe", "1", "-s", "1", "--value", "1").out
    )


def test_a_name_typed_in_another_encoding_is_named_as_typed(tmp_path):
    """Before: a Latin-1 terminal's ``café`` reached the service as a lone surrogate, and
    the only line was the service's "lone UTF-16 surrogate (\\udce9 at character 3)".
    A file name in such bytes is still a file name: only text sent as text is refused."""
    import json
    import subprocess
    import sys

    from tests.fixtures.servers import REPO_ROOT

    env = {**os.environ, "LC_ALL": "C.UTF-8", "PYTHONPATH": str(REPO_ROOT)}
    env.pop("SIGOPT_LIKE_DATABASE", None)
    database = os.fsencode(tmp_path) + b"/caf\xe9.db"  # a legitimate path in Latin-1 bytes

    def cli(*args: bytes) -> subprocess.CompletedProcess[str]:
        command = [os.fsencode(sys.executable), b"-m", b"sigopt_like.cli", *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)

    refused = cli(b"sessions", b"create", b"caf\xe9", b"--db", database)
    assert refused.returncode == 1, refused
    first = refused.stderr.splitlines()[0]
    assert "not UTF-8 ('caf\\xe9')" in first and "UTF-8" in first.split(":", 2)[2]
    assert "Traceback" not in refused.stderr
    made = cli(b"sessions", b"create", b"cafe", b"--db", database, b"--json")
    assert made.returncode == 0, made
    listed = cli(b"sessions", b"list", b"--db", database, b"--json")
    assert [session["name"] for session in json.loads(listed.stdout)] == ["cafe"]
    # an id in such bytes: a UnicodeEncodeError traceback before; and "%31" showed session 1
    # (now a usage error, as any id that is not a whole number: named as typed)
    shown = cli(b"sessions", b"show", b"caf\xe9", b"--db", database)
    assert shown.returncode == 2 and "Traceback" not in shown.stderr, shown
    assert "not an id: 'caf\\xe9'" in shown.stderr, shown
    escaped = cli(b"sessions", b"show", b"%31", b"--db", database)
    assert escaped.returncode == 2 and "not an id: '%31'" in escaped.stderr, escaped


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_a_design_written_to_a_full_device_is_an_error(run, tmp_path, monkeypatch):
    """Before: ``-o`` a path of a full device (here a link to /dev/full) printed "wrote
    ... (5 experiments)" with status 0: the rename had put a regular file there."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "f.db"))
    assert run("sessions", "create", "full").code == 0
    sized = ("--type", "factorial", "--population", "5", "--replicates", "0", "-q")
    assert run("space", "put", "1", DATA / "esd-factorial-4x8.csv", *sized).code == 0
    full = tmp_path / "gen1.csv"
    full.symlink_to("/dev/full")
    done = run("generate", "1", "-o", full, "-q")
    assert done.code == 1 and "wrote" not in done.out
    assert one_line(done) == (
        f"sigopt-like: error: No space left on device: {full}; generation 1 is designed "
        "and kept: write it out with sigopt-like design 1 -o design.csv"
    )
    assert full.is_symlink()


def test_an_email_that_is_no_address_is_refused_saying_why(run, tmp_path):
    """Before: anything with an ``@`` made a user: ``ann@``, ``@lab``, a 64-letter label,
    ``a b@lab.example``; the account then could not be told apart in lists or typed."""
    db = tmp_path / "e.db"
    for email, said in (
        ("ann@", "local-part@domain"),
        ("@lab.example", "local-part@domain"),
        ("ann@" + "x" * 64 + ".example", "not a host name"),
        ("ann@lab..example", "not a host name"),
        ("a b@lab.example", "no spaces"),
        ("ann\x1b[31m@lab.example", "control characters"),
        ("ann\udcff@lab.example", "not UTF-8 text"),  # a byte the shell passed undecoded
        ("a" * 65 + "@lab.example", "at most 64"),
    ):
        done = run("users", "create", email, "--db", db)
        assert done.code == 1 and said in done.err and "Traceback" not in done.err, (email, done)
    # a lab's own network: dotless, special-use, address literal, internationalised
    for email in ("ann@localhost", "ann@lab.local", "ann@[192.0.2.1]", "zoë@labör.example"):
        assert run("users", "create", email, "--db", db).code == 0, email
    listed = run("users", "list", "--db", db).out
    assert "ann@lab.local" in listed and "ann@\n" not in listed and "a b@" not in listed


def test_a_token_name_with_control_characters_or_too_long_is_refused(run, tmp_path):
    """Before: ``tokens create --name`` took any length and terminal escapes, which
    ``tokens list`` then printed to the operator's terminal."""
    db = tmp_path / "t.db"
    assert run("users", "create", "ann@lab.example", "--db", db).code == 0
    args = ("tokens", "create", "--user", "ann@lab.example", "--db", db)
    for name, said in (("\x1b[2Jgone", "control characters"), ("n" * 201, "at most 200")):
        done = run(*args, "--name", name)
        assert done.code == 1 and said in done.err and "Traceback" not in done.err, done
    assert "\x1b" not in run("tokens", "list", "--db", db).out
    assert run(*args, "--name", "n" * 200).code == 0


def test_an_undecodable_argument_that_reaches_the_database_is_one_line(run, tmp_path):
    """Before: ``tokens create --name $'lap\\xfftop'`` (a Latin-1 terminal) was a
    traceback ending in "surrogates not allowed"; so was ``--user`` with such a byte."""
    db = tmp_path / "u.db"
    assert run("users", "create", "ann@lab.example", "--db", db).code == 0
    for args in (
        ("--user", "ann@lab.example", "--name", "lap\udcfftop"),
        ("--user", "ann\udcff@lab.example"),
    ):
        done = run("tokens", "create", *args, "--db", db)
        assert done.code == 1 and "Traceback" not in done.err, done
        assert "not UTF-8" in done.err and "LANG=C.UTF-8" in done.err, done
    assert "lap" not in run("tokens", "list", "--db", db).out


def test_best_quotes_names_and_levels_that_hold_a_comma_or_an_equals_sign(
    run, tmp_path, monkeypatch
):
    """Before: ``recommended: a,b=y z=1, c=x`` read several ways once names could hold
    commas; such names and levels are quoted now, the others printed as before."""
    small_campaign(run, tmp_path, monkeypatch, '"a,b",categorical,"y z=1",w\nc,numerical,1,2\n')
    assert run("simulate", "1", "--generations", "1", "-q").code == 0
    line = run("best", "1").out.splitlines()[0]
    assert line.startswith('recommended: "a,b"=') and ", c=" in line
    assert '="y z=1"' in line or "=w" in line


def _with_a_space(run, tmp_path, monkeypatch, name: str) -> Path:
    """Session 1 with the 4 x 8 factorial space (population 5, no replicates); its database."""
    database = tmp_path / f"{name}.db"
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(database))
    assert run("sessions", "create", name).code == 0
    sized = ("--type", "factorial", "--population", "5", "--replicates", "0", "-q")
    assert run("space", "put", "1", DATA / "esd-factorial-4x8.csv", *sized).code == 0
    return database


@pytest.mark.skipif(not Path("/proc/version").is_file(), reason="no /proc on this system")
def test_an_output_that_cannot_be_written_is_named_as_given(run, tmp_path, monkeypatch):
    """Before: ``design 1 -o /proc/version`` said "no such file or folder:
    /proc/.version.3628dd091ac5.tmp", the hidden temporary file beside it."""
    _with_a_space(run, tmp_path, monkeypatch, "unwritable")
    assert run("generate", "1", "-q").code == 0
    # --force: /proc/version holds something else, which design -o leaves as it is unless told
    line = one_line(run("design", "1", "-o", "/proc/version", "--force"))
    # said of the folder before anything is fetched, as generate -o says it
    assert line == (
        "sigopt-like: error: -o/--output: the folder /proc takes no new file; nothing was done."
    ), line


@pytest.mark.skipif(not Path("/proc/version").is_file(), reason="no /proc on this system")
@pytest.mark.parametrize("output", ["/proc/version", "/proc/sigopt-like-history.csv"])
def test_an_output_in_a_folder_that_takes_no_file_says_so(run, tmp_path, monkeypatch, output):
    """Before: ``-o /proc/version`` said "no such file or folder: /proc/version", of a
    file that exists (/proc refuses the new file written beside it)."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "proc.db"))
    assert run("sessions", "create", "proc").code == 0
    line = one_line(run("history", "1", "-o", output, "--force"))  # /proc/version holds text
    assert "no such file" not in line, line
    assert line == (
        "sigopt-like: error: -o/--output: the folder /proc takes no new file; nothing was done."
    ), line


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="no /proc on this system")
def test_a_file_that_fails_to_read_is_named(run, tmp_path, monkeypatch):
    """Before: ``space put 1 /proc/self/mem`` (a file that opens, then fails to read, as
    a bad disk or a lost network share does) said "error: Input/output error" alone."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "eio.db"))
    assert run("sessions", "create", "eio").code == 0
    space = ("--type", "factorial", "--population", "2", "--replicates", "0", "-q")
    done = run("space", "put", "1", "/proc/self/mem", *space)
    assert done.code == 1 and one_line(done).endswith(": /proc/self/mem"), done
    done = run("experiments", "put", "1", "/proc/self/mem", "--type", "initial", "-q")
    assert done.code == 1 and one_line(done).endswith(": /proc/self/mem"), done


def test_a_nul_in_a_csv_cell_is_named_by_row_and_column(run, tmp_path, monkeypatch):
    """Before: the service's door refused it as "The field 'table.rows[0][4]' contains a
    NUL character", a place no spreadsheet shows; a space's level likewise as
    'space.parameters[1].values[0]'."""
    database = _with_a_space(run, tmp_path, monkeypatch, "nul")
    table = tmp_path / "initial.csv"
    table.write_text("param1,param2,param3,param4,Response\n1,2,3,4,0.5\n1,2,3,5,0\x00.5\n")
    line = one_line(run("experiments", "put", "1", table, "--type", "initial", "-q"))
    assert "row 3, column E (Response): the cell holds a NUL character" in line, line
    space = tmp_path / "space.csv"
    space.write_text("temperature,numerical,40,60\ncatalyst,categorical,Pd,P\x00t\n")
    argv = ("space", "put", "1", space, "--type", "factorial", "--population", "2")
    line = one_line(run(*argv, "--replicates", "0", "-q"))
    said = "invalid space: row 2, column D (Value.2): 'catalyst' has the value 'P\\x00t': it"
    assert said in line and "holds a NUL character" in line, line
    with sigopt_like.Connection(database=str(database)) as conn:
        assert [t.type for t in conn.sessions("1").tasks.list()] == ["space"]


def test_a_population_beyond_64_bits_gets_the_population_rule(run, tmp_path, monkeypatch):
    """Before: ``--population`` of 2**70 was told it was "beyond the integers this service
    stores" (the door's words for any field) rather than the population rule's limit."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "big.db"))
    assert run("sessions", "create", "big").code == 0
    space = ("space", "put", "1", DATA / "esd-factorial-4x8.csv", "--type", "factorial")
    big = str(2**70)
    line = one_line(run(*space, "--population", big, "--replicates", "0", "-q"))
    assert line == (
        f"sigopt-like: error: --population: the space has 4096 distinct experiments, fewer "
        f"than population_size {big}: a generation needs {big} distinct experiments; use a "
        "population of at most 2500, or add levels or parameters"
    )  # the rule's words, as a failed space task says them of --population 5000
    line = one_line(run(*space, "--population", "5", "--replicates", big, "-q"))
    assert line.startswith("sigopt-like: error: --replicates: a design of") and "5499" in line
    line = one_line(run(*space, "--population", f"-{big}", "--replicates", "0", "-q"))
    assert "is not a positive whole number" in line
    assert run("sessions", "show", "1", "--json").json()["gen"] == -1


def test_a_population_or_replicates_the_rule_refuses_is_one_line_and_no_task(
    run, tmp_path, monkeypatch
):
    """Before: ``--population 0`` or ``--replicates -1`` queued a space task that failed
    after its progress lines, the problem on a line of its own under "Task 2 (space) of
    session 1 failed:"; now one line naming the option, and no task is queued."""
    database = tmp_path / "rule.db"
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(database))
    assert run("sessions", "create", "rule").code == 0
    space = ("space", "put", "1", DATA / "esd-factorial-4x8.csv", "--type", "factorial")
    done = run(*space, "--population", "0", "--replicates", "0")
    assert done.code == 1 and done.err == (
        "sigopt-like: error: --population: population_size 0 is not a positive whole number: "
        "a generation is population_size distinct experiments, so use 1 or more\n"
    ), done
    done = run(*space, "--population", "5", "--replicates", "-1")
    assert done.code == 1 and done.err.count("\n") == 1, done
    assert done.err.startswith("sigopt-like: error: --replicates: replicates -1 is negative")
    done = run(*space, "--population", "-3", "--replicates", "-1")
    assert done.code == 1 and done.err.count("\n") == 1, done
    assert "--population: population_size -3" in done.err and "; --replicates: " in done.err
    with sigopt_like.Connection(database=str(database)) as conn:
        assert list(conn.sessions("1").tasks.list()) == []


def test_a_mixture_without_total_units_names_the_option(run, tmp_path, monkeypatch):
    """Before: "invalid space: a mixture space needs total_units", the Python name; a
    factorial space with --total-units likewise ("total_units applies to mixture spaces
    only")."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "mix.db"))
    assert run("sessions", "create", "mix").code == 0
    sized = ("--population", "5", "--replicates", "0", "-q")
    done = run("space", "put", "1", DATA / "esd-mixture-5.csv", "--type", "mixture", *sized)
    assert done.code == 2 and "Missing option '--total-units'" in done.err, done
    factorial = ("space", "put", "1", DATA / "esd-factorial-4x8.csv", "--type", "factorial")
    done = run(*factorial, "--total-units", "15", *sized)
    assert done.code == 2 and "--total-units is for --type mixture only" in done.err, done
    assert run("sessions", "show", "1", "--json").json()["gen"] == -1


def test_showing_a_space_not_yet_put_says_how_to_put_one(run, tmp_path, monkeypatch):
    """A 404, as docs/contract.md promises for GET .../space before one is validated, in
    the words of the routes' 409 ``space_required`` (before: "put one first", naming
    neither the command nor the call)."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "show.db"))
    assert run("sessions", "create", "bare").code == 0
    line = one_line(run("space", "show", "1"))
    assert "404 not_found" in line and "sigopt-like space put on the command line" in line


def test_users_and_tokens_say_when_a_configured_host_is_not_theirs(run, monkeypatch, tmp_path):
    """Before: with only SIGOPT_LIKE_HOST set (Alice's shell in the README), ``users
    create`` added the user to the data folder's database, which the served instance
    does not use, and said "created user" alone; its login then failed."""
    monkeypatch.setenv("SIGOPT_LIKE_HOST", "http://alice:s3cret@doe.lab.example:8080")
    done = run("users", "create", "bob@lab.example")
    assert done.code == 0 and "created user bob@lab.example" in done.out, done
    note = done.err.strip()
    assert note.startswith("sigopt-like: note: users and tokens act on a database itself"), note
    assert "doe.lab.example:8080 is not used: give --db" in note and "s3cret" not in note
    assert run("tokens", "list").err == done.err
    named = run("tokens", "list", "--db", tmp_path / "named.db")
    assert named.code == 0 and named.err == "", named  # a named database: nothing to say
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "team.db"))
    done = run("users", "create", "carol@lab.example")
    assert done.code == 0 and done.err == "", done


def test_a_running_task_can_be_listed_and_canceled_from_the_command_line(
    run, tmp_path, monkeypatch
):
    """Before: a task left running (a command stopped with Ctrl-C on the embedded service)
    answered every later generate with "task_running: ... wait for it to finish or cancel
    it", and no command could cancel it (or list it)."""
    database = tmp_path / "tasks.db"
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(database))
    assert run("sessions", "create", "long").code == 0
    space = ("--type", "factorial", "--population", "5", "--replicates", "0", "-q")
    assert run("space", "put", "1", DATA / "esd-factorial-4x8.csv", *space).code == 0
    with sigopt_like.Connection(database=str(database), task_processes=0) as conn:
        task = conn.sessions("1").simulate(ngens=100)
        listed = run("tasks", "list", "1")
        assert listed.code == 0 and f"{task.id}   simulate" in listed.out, listed
        done = run("tasks", "cancel", "1", task.id)
        assert done.code == 0 and f"task {task.id} (simulate) of session 1: " in done.out, done
        with pytest.raises(sigopt_like.TaskCanceledError):
            conn.sessions("1").tasks(task.id).wait(timeout=60)
    line = one_line(run("tasks", "cancel", "1", task.id))
    assert "already finished with status 'canceled'" in line, line
    assert run("generate", "1", "-q").code == 0


def test_an_experiment_without_a_name_is_a_usage_error(run, tmp_path):
    """Before: the command sent no name and printed the service's 400, "'name' must be
    a string, not null", which names no option; exit 1."""
    done = run("experiments", "create", "-p", "x:double:0:1")
    assert done.code == 2, done
    assert "an experiment needs a name: --name NAME" in done.err and "Traceback" not in done.err
    body = tmp_path / "experiment.json"
    parameter = {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}
    body.write_text(json.dumps({"parameters": [parameter]}))
    done = run("experiments", "create", str(body))
    assert done.code == 2 and f'or a "name" in {body}' in done.err, done
    assert run("experiments", "list").out.count("\n") <= 1  # nothing was created
    assert run("experiments", "create", str(body), "--name", "named").code == 0


def test_an_experiment_file_is_the_body_sigopt_takes(run, tmp_path):
    """Before: `experiments create FILE` ("the JSON body SigOpt takes") refused any field
    but seven ("unknown fields ['linear_constraints', 'num_solutions']"), all of which the
    service honours; a field named twice in the file silently kept its last value (the
    service, which refuses that, never saw the file); a file saved with a UTF-8 byte order
    mark (Notepad) was "not JSON: Unexpected UTF-8 BOM (decode using utf-8-sig)"."""
    square = [{"name": n, "type": "double", "bounds": {"min": 0, "max": 1}} for n in ("a", "b")]
    body = {
        "name": "constrained",
        "parameters": square,
        "linear_constraints": [
            {"type": "less_than", "threshold": 1, "terms": [{"name": n, "weight": 1} for n in "ab"]}
        ],
        "conditionals": [],
        "num_solutions": 1,
        "metrics": [{"name": "y"}],
        "observation_budget": 20,
    }
    path = tmp_path / "experiment.json"
    path.write_text(json.dumps(body))
    created = run("experiments", "create", str(path), "--json")
    assert created.code == 0, created
    assert created.json()["linear_constraints"][0]["threshold"] == 1
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({**body, "name": "notepad"}).encode())
    assert run("experiments", "create", str(path)).code == 0
    twice = json.dumps({"name": "first", "parameters": square})[:-1] + ', "name": "second"}'
    path.write_text(twice)
    done = run("experiments", "create", str(path))
    assert done.code == 1 and "names the field 'name' more than once" in done.err, done
    path.write_text(json.dumps({**body, "name": "odd", "colour": "red"}))
    done = run("experiments", "create", str(path))
    assert done.code == 1 and f"{path}: 'colour' is not a field" in done.err, done
    names = [e["name"] for e in run("experiments", "list", "--json").json()]
    assert sorted(names) == ["constrained", "notepad"]


def test_revoking_an_empty_or_padded_token(run, tmp_path, monkeypatch):
    """Before: an empty token (an empty file on --token-stdin, a "$TOKEN" left unset) was
    "no active token of that value", as a wrong one is; a token file with a blank around
    the token (an editor's trailing space, a CRLF line pasted with a tab) revoked nothing."""
    import io
    import sys

    db = tmp_path / "t.db"
    assert run("users", "create", "ann@lab.example", "--db", db).code == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    line = one_line(run("tokens", "revoke", "--token-stdin", "--db", db))
    assert "the token is empty (read from standard input): nothing revoked" in line
    line = one_line(run("tokens", "revoke", "", "--db", db))
    assert "the token is empty: nothing revoked" in line
    secret = run("tokens", "create", "--user", "ann@lab.example", "--db", db).out.strip()
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"  {secret} \t\r\n"))
    done = run("tokens", "revoke", "--token-stdin", "--db", db)
    assert (done.code, done.out.strip()) == (0, "revoked 1 token(s)"), done


def test_failed_with_a_value_is_a_usage_error(run, tmp_path, monkeypatch):
    """Before: ``observe --failed --value 1`` was sent, and the service's 422 spoke of the
    API's fields ("send failed=true alone or a value without failed"), exit 1."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "e.db"))
    assert run("experiments", "create", "--name", "e", "-p", "x:double:0:1").code == 0
    assert run("experiments", "suggest", "1").code == 0
    for extra in (("--value", "1"), ("--stddev", "0.1")):
        done = run("experiments", "observe", "1", "-s", "1", "--failed", *extra)
        assert done.code == 2, done
        assert "--failed reports a run that gave no value" in done.err
        assert "failed=true" not in done.err
    done = run("experiments", "observe", "1", "-s", "1", "--failed")
    assert done.code == 0 and "failed" in done.out, done


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (("sessions", "show", "-1"), "The session id must be a positive whole number"),
        (("best", "-1.5"), "The session id must be a positive whole number"),
        (("experiments", "show", "-3"), "The experiment id must be a positive whole number"),
        (("tasks", "cancel", "1", "-2"), "An id must be a positive whole number"),
    ],
)
def test_a_negative_id_is_a_usage_error_that_says_so(run, tmp_path, monkeypatch, argv, words):
    """Before: "No such option '-1'" (click reads a negative number as an option), as if
    the command had been mistyped; an option that does not exist still says so."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "ids.db"))
    done = run(*argv)
    assert done.code == 2 and words in done.err and "No such option" not in done.err, done
    assert "like 1 (a negative number reads as an option)" in done.err
    assert not (tmp_path / "ids.db").exists()
    typo = run("sessions", "show", "-x")
    assert typo.code == 2 and "No such option '-x'" in typo.err, typo


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (("sessions", "show", "abc"), "The session id is a whole number, like 1"),
        (("generate", "abc"), "'sigopt-like sessions list' shows them"),
        (("design", "1.5"), "The session id is a whole number, like 1"),
        (("experiments", "show", "²"), "The experiment id is a whole number, like 1"),
        (("tasks", "cancel", "1", "x"), "'sigopt-like tasks list SID' shows them"),
        (("experiments", "observe", "1", "-s", "zz", "--value", "1"), "The suggestion id is"),
    ],
)
def test_a_malformed_id_is_a_usage_error_not_a_missing_session(
    run, tmp_path, monkeypatch, argv, words
):
    """Before: ``generate abc`` asked the service, whose 404 "No session with id 'abc'"
    (exit 1) read as if such an id could exist; the service only gives out whole numbers.
    A well-formed id that does not exist is still the service's 404."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "ids.db"))
    done = run(*argv)
    assert done.code == 2 and "not an id" in done.err and words in done.err, done
    assert "404" not in done.err and not (tmp_path / "ids.db").exists()
    unknown = run(*[("99" if part in ("abc", "1.5", "²", "x", "zz") else part) for part in argv])
    assert unknown.code == 1 and "404 not_found" in unknown.err, unknown


@pytest.mark.parametrize(
    ("typed", "escaped"), [("\x1b[2J\x1b[31mx", "\\x1b[2J\\x1b[31mx"), ("1\u202e2", "1\\u202e2")]
)
def test_a_malformed_id_is_shown_escaped(run, tmp_path, monkeypatch, typed, escaped):
    """Before: the usage error for an id that is not one quoted it raw, so an escape
    sequence typed (or pasted) cleared the screen and a U+202E turned the rest of the line
    right to left; the 404 it replaced showed them escaped."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "ids.db"))
    done = run("generate", typed)
    assert done.code == 2 and f"not an id: '{escaped}'" in done.err, done.err
    assert "\x1b" not in done.err and "\u202e" not in done.err, done.err


def test_json_with_an_output_file_is_refused_not_half_done(run, tmp_path, monkeypatch):
    """Before: ``design 1 --json -o gen1.csv`` (and ``history``) printed JSON and wrote no
    file, without a word; ``-o -`` (standard output, where the JSON goes) is still taken."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "j.db"))
    monkeypatch.chdir(tmp_path)
    assert run("sessions", "create", "json").code == 0
    sized = ("--type", "factorial", "--population", "5", "--replicates", "0", "-q")
    assert run("space", "put", "1", DATA / "esd-factorial-4x8.csv", *sized).code == 0
    assert run("generate", "1", "-q").code == 0
    for command in ("design", "history"):
        done = run(command, "1", "--json", "-o", "out.csv")
        assert done.code == 2 and "--json prints the table as JSON; -o writes it" in done.err
        assert not (tmp_path / "out.csv").exists()
        done = run(command, "1", "--json", "-o", "-")
        assert done.code == 0 and done.json(), done


def test_every_point_suggested_names_the_commands_that_free_one(run, tmp_path, monkeypatch):
    """Before: the service's "report or delete one", and the command line had no command
    to delete a suggestion."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "e.db"))
    made = run("experiments", "create", "--name", "t", "-p", "a:categorical:x,y", "--metric", "m")
    assert made.code == 0, made.err
    assert run("experiments", "suggest", "1").code == 0
    assert run("experiments", "suggest", "1").code == 0
    done = run("experiments", "suggest", "1")
    assert done.code == 1 and "409 space_exhausted" in done.err, done.err
    assert "sigopt-like experiments observe 1 --suggestion ID --value V" in done.err, done.err
    assert "sigopt-like experiments delete-suggestion 1 --suggestion ID" in done.err, done.err
    done = run("experiments", "delete-suggestion", "1", "--suggestion", "1")
    assert done.code == 0 and done.out == "deleted suggestion 1 of experiment 1\n", done.err
    done = run("experiments", "suggest", "1")
    assert done.code == 0 and done.out.startswith("suggestion 3: a="), done.err
    done = run("experiments", "delete-suggestion", "1", "--suggestion", "99")
    assert done.code == 1 and "404 not_found" in done.err
    for blank in ("", " ", "a/b"):  # before: "" was a ValueError's traceback
        done = run("experiments", "delete-suggestion", "1", "--suggestion", blank)
        assert done.code == 2 and "Traceback" not in done.err, done.err
        assert "not an id" in done.err, done.err


def test_a_grid_search_walked_through_names_only_the_delete(run, tmp_path, monkeypatch):
    """A grid search that has suggested every point is freed only by deleting an open
    suggestion (a report spends its point): before, the advice named `observe` too."""
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "g.db"))
    definition = tmp_path / "grid.json"
    definition.write_text(
        '{"name": "g", "type": "grid", "metrics": [{"name": "m"}], "observation_budget": 2,'
        ' "parameters": [{"name": "a", "type": "categorical", "categorical_values": ["x", "y"]}]}',
        encoding="utf-8",
    )
    assert run("experiments", "create", str(definition)).code == 0
    assert run("experiments", "suggest", "1").code == 0
    assert run("experiments", "suggest", "1").code == 0
    done = run("experiments", "suggest", "1")
    assert done.code == 1 and "been suggested" in done.err, done.err
    assert "sigopt-like experiments delete-suggestion 1 --suggestion ID" in done.err, done.err
    assert "experiments observe" not in done.err, done.err


@pytest.mark.parametrize("grid", [False, True])
def test_the_suggest_advice_is_chosen_by_the_answers_code_not_its_words(
    run, tmp_path, monkeypatch, grid
):
    """Before: the advice was chosen by matching the service's wording ("been suggested",
    "has an open suggestion"), so a reworded message lost it without a word."""
    from sigopt_like.service.errors import Conflict
    from sigopt_like.service.resources.sigopt import suggestions

    made = suggestions._exhausted

    def reworded(definition):
        answer = made(definition)
        return Conflict("No point is left.", code=answer.code, detail=answer.detail)

    monkeypatch.setattr(suggestions, "_exhausted", reworded)
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "w.db"))
    definition = tmp_path / "e.json"
    definition.write_text(
        '{"name": "w", "type": "%s", "metrics": [{"name": "m"}], "observation_budget": 2,'
        ' "parameters": [{"name": "a", "type": "categorical", "categorical_values": ["x", "y"]}]}'
        % ("grid" if grid else "offline"),
        encoding="utf-8",
    )
    assert run("experiments", "create", str(definition)).code == 0
    assert run("experiments", "suggest", "1").code == 0
    assert run("experiments", "suggest", "1").code == 0
    done = run("experiments", "suggest", "1")
    code = "grid_exhausted" if grid else "space_exhausted"
    assert done.code == 1 and f"409 {code}: No point is left." in done.err, done.err
    assert "sigopt-like experiments delete-suggestion 1 --suggestion ID" in done.err, done.err
    assert ("experiments observe 1 --suggestion ID" in done.err) is not grid, done.err


@pytest.mark.parametrize("name", ["no such", "a\nb", "-q"])
def test_the_mkdir_an_output_in_a_missing_folder_advises_makes_its_folder(
    run, tmp_path, monkeypatch, name
):
    """Before: ``history 1 -o "no such/h.csv"`` advised ``mkdir -p no such``, which makes
    two folders, ``no`` and ``such``, and a line break in the folder's name split the
    message, and ``mkdir -p -q`` read the folder ``-q`` as an option. The advice is now
    one shell word, which bash, run in the same folder, turns into the very folder the
    output needs."""
    import subprocess

    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "o.db"))
    monkeypatch.chdir(tmp_path)
    assert run("sessions", "create", "out").code == 0
    missing = f"./{name}/h.csv"
    line = one_line(run("history", "1", "-o", missing))
    advised = re.search(r"\(mkdir -p (.+?)\) or name another", line)
    assert advised is not None, line
    subprocess.run(["bash", "-c", f"mkdir -p {advised.group(1)}"], cwd=tmp_path, check=True)
    assert (tmp_path / name).is_dir(), (line, sorted(os.listdir(tmp_path)))
    assert {"no", "such", "a", "b", "a\\nb"}.isdisjoint(os.listdir(tmp_path)), line
    assert run("history", "1", "-o", missing).code == 0

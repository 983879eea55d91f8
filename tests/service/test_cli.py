"""The ``sigopt-like`` console script: users, tokens, serve, demo."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
import requests

from sigopt_like import cli
from sigopt_like.service.store import open_store


def child_env() -> dict[str, str]:
    """The environment of a child ``python -m sigopt_like.cli``, able to import this checkout."""
    import os

    from tests.fixtures.servers import REPO_ROOT

    return {**os.environ, "PYTHONPATH": str(REPO_ROOT)}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_users_create_and_tokens_create_work_against_a_served_instance(served, capsys):
    db = served.database
    code, out, _ = run(capsys, "users", "create", "cli@example.com", "--db", db)
    assert code == 0 and "cli@example.com" in out
    code, out, err = run(capsys, "tokens", "create", "--user", "cli@example.com", "--db", db)
    assert code == 0
    token = out.strip()
    assert len(token) >= 40 and "\n" not in token
    assert "shown once" in err
    r = requests.get(
        f"{served.url}/v1/sessions", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert r.status_code == 200
    # revoke it by value: it stops working
    code, out, _ = run(capsys, "tokens", "revoke", token, "--db", db)
    assert code == 0 and "revoked 1" in out
    r = requests.get(
        f"{served.url}/v1/sessions", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert r.status_code == 401


def test_a_short_password_is_refused_and_no_user_is_made(tmp_path, capsys, monkeypatch):
    """Before: any password of one character or more was taken ("pw", "1")."""
    db = str(tmp_path / "short.db")
    short = "the password has 7 characters; choose one of at least 8"
    for typed, said in (("\n", "the password is empty"), ("7 chars\n", short)):
        monkeypatch.setattr(sys, "stdin", io.StringIO(typed))
        argv = ("users", "create", "a@example.com", "--password-stdin", "--db", db)
        code, _, err = run(capsys, *argv)
        assert code == 1 and said in err and "no user was created" in err
    code, out, _ = run(capsys, "users", "list", "--db", db, "--json")
    assert code == 0 and "a@example.com" not in out
    monkeypatch.setattr(sys, "stdin", io.StringIO("8 chars!\n"))
    assert run(capsys, "users", "create", "a@example.com", "--password-stdin", "--db", db)[0] == 0


def test_a_password_no_sign_in_could_send_is_refused(tmp_path, capsys, monkeypatch):
    """Before: a NUL in the password was taken (and no JSON sign-in could ever send it:
    the door refuses NUL), and Latin-1 bytes on standard input (lone surrogates once
    read) were a UnicodeEncodeError traceback from the password hash."""
    db = str(tmp_path / "odd.db")
    latin = io.TextIOWrapper(io.BytesIO(b"mot de passe \xe9t\xe9\n"), errors="surrogateescape")
    for stdin, said in (
        (io.StringIO("pass\x00word123\n"), "holds a NUL character"),
        (latin, "the password is not UTF-8 text"),
    ):
        monkeypatch.setattr(sys, "stdin", stdin)
        code, _, err = run(
            capsys, "users", "create", "o@example.com", "--password-stdin", "--db", db
        )
        assert code == 1 and said in err and "no user was created" in err, err
        assert "Traceback" not in err
    code, out, _ = run(capsys, "users", "list", "--db", db, "--json")
    assert code == 0 and "o@example.com" not in out


def test_a_password_longer_than_a_sign_in_takes_or_endless_is_refused(
    tmp_path, capsys, monkeypatch
):
    """Before: a 2,000-character password made a user no sign-in could use (POST /v1/login
    and the dashboard take 1,024), and /dev/zero as standard input was read until memory
    ran out (no line end); ``tokens revoke --token-stdin`` too."""
    db = str(tmp_path / "long.db")
    for password, code, said in (
        ("p" * 2000, 1, "the password is longer than 1,024 characters, the most a sign-in takes"),
        ("p" * 1025, 1, "the password is longer than 1,024 characters"),
        ("p" * 1024, 0, "created user"),
    ):
        monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
        email = f"u{len(password)}@example.com"
        done = run(capsys, "users", "create", email, "--password-stdin", "--db", db)
        assert done[0] == code and said in done[1] + done[2], done
    store = open_store(db)
    try:
        assert store.accounts.check_password("u1024@example.com", "p" * 1024) is not None
    finally:
        store.close()
    for argv, said in (
        (["users", "create", "z@example.com", "--password-stdin"], "holds a NUL character"),
        (["tokens", "revoke", "--token-stdin"], "no active token of that value"),
    ):
        with open("/dev/zero", "rb") as endless:
            done = subprocess.run(
                [sys.executable, "-m", "sigopt_like", *argv, "--db", db],
                stdin=endless,
                capture_output=True,
                text=True,
                env=child_env(),
                timeout=60,
            )
        assert done.returncode == 1 and said in done.stderr, done


def test_users_create_with_password_stdin_enables_login(tmp_path, capsys, monkeypatch):
    db = str(tmp_path / "cli.db")
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret pass\n"))
    code, _, _ = run(capsys, "users", "create", "pw@example.com", "--password-stdin", "--db", db)
    assert code == 0
    store = open_store(db)
    try:
        assert store.accounts.check_password("pw@example.com", "s3cret pass") is not None
        assert store.accounts.check_password("pw@example.com", "s3cret pass\n") is None
    finally:
        store.close()


def test_duplicate_user_and_unknown_user_fail_cleanly(tmp_path, capsys):
    db = str(tmp_path / "cli.db")
    assert run(capsys, "users", "create", "a@example.com", "--db", db)[0] == 0
    code, _, err = run(capsys, "users", "create", "a@example.com", "--db", db)
    assert code == 1 and "already exists" in err
    code, _, err = run(capsys, "tokens", "create", "--user", "b@example.com", "--db", db)
    assert code == 1 and "users create" in err
    code, _, err = run(capsys, "users", "create", "not-an-email", "--db", db)
    assert code == 1 and "email" in err


def test_tokens_revoke_by_user_and_id(tmp_path, capsys):
    db = str(tmp_path / "cli.db")
    run(capsys, "users", "create", "r@example.com", "--db", db)
    for _ in range(2):
        run(capsys, "tokens", "create", "--user", "r@example.com", "--db", db)
    code, out, _ = run(capsys, "tokens", "revoke", "--id", "1", "--db", db)
    assert code == 0 and "revoked 1" in out
    code, out, _ = run(capsys, "tokens", "revoke", "--user", "r@example.com", "--db", db)
    assert code == 0 and "revoked 1" in out
    code, out, err = run(capsys, "tokens", "revoke", "--user", "r@example.com", "--db", db)
    assert code == 1 and out == ""  # nothing left to revoke: said on stderr, with why
    assert "no active token for that user: nothing revoked" in err


def test_usage_errors_exit_2(capsys):
    assert cli.main(["sessions", "create"]) == 2
    assert cli.main(["tokens", "revoke"]) == 2
    assert cli.main(["no-such-command"]) == 2


def test_default_database_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(tmp_path / "env.db"))
    assert cli.default_database() == str(tmp_path / "env.db")
    monkeypatch.delenv("SIGOPT_LIKE_DATABASE")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    assert cli.default_database().startswith(str(tmp_path))


def test_demo_is_wired_lazily(capsys, monkeypatch):
    import importlib

    real = importlib.import_module

    def no_demo(name, *a, **k):
        if name == "sigopt_like.demo":
            raise ModuleNotFoundError("No module named 'sigopt_like.demo'", name=name)
        return real(name, *a, **k)

    monkeypatch.setattr(importlib, "import_module", no_demo)
    code, _, err = run(capsys, "demo")
    assert code == 1 and "not available" in err


def test_serve_subprocess_answers_health_and_needs_tokens(served_process):
    r = requests.get(f"{served_process.url}/health", timeout=5)
    assert r.json()["status"] == "ok"
    assert requests.get(f"{served_process.url}/v1/sessions", timeout=5).status_code == 401
    r = requests.get(
        f"{served_process.url}/v1/sessions", headers=served_process.headers(), timeout=5
    )
    assert r.status_code == 200
    served_process.stop()
    assert served_process.process.returncode == 0
    assert "serving on http://127.0.0.1" in served_process.output()
    store = open_store(served_process.database)
    try:
        assert store.accounts.find_user(served_process.email) is not None
    finally:
        store.close()


def test_console_script_help_runs():
    done = subprocess.run(
        [sys.executable, "-m", "sigopt_like.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env=child_env(),
    )
    assert done.returncode == 0 and "serve" in done.stdout


def test_the_worker_modules_threads_are_1_to_1024(tmp_path):
    """Before: ``--threads 100000`` was a "can't start new thread" traceback, and ``-1`` or
    ``0`` a worker "running -1 threads" that never ran a task; a service made with such a
    ``task_threads`` too."""
    from sigopt_like.service import create_app

    db = str(tmp_path / "w.db")
    assert cli.main(["users", "list", "--db", db]) == 0  # the database exists
    for threads in ("100000", "0", "-1"):
        done = subprocess.run(
            [sys.executable, "-m", "sigopt_like.service.worker", "--db", db, "--threads", threads],
            capture_output=True,
            text=True,
            timeout=60,
            env=child_env(),
        )
        assert done.returncode == 2, done
        assert f"argument --threads: {threads} is not 1 to 1024 threads" in done.stderr
        assert "Traceback" not in done.stderr
    for threads in (0, 5000):
        with pytest.raises(ValueError, match="task_threads must be 1 to 1024 threads"):
            create_app(database=db, task_threads=threads)


def test_a_worker_needs_a_database_other_processes_use(tmp_path, capsys):
    """Before: a mistyped path became a new, empty database, and the worker waited there
    for tasks that never come; ``:memory:`` flooded the terminal with SQL errors."""
    missing = tmp_path / "typo.db"
    code, _, err = run(capsys, "worker", "--db", str(missing))
    assert code == 1 and f"no database at {missing}: a worker needs an existing one" in err
    assert not missing.exists()
    for memory in (":memory:", "sqlite:///:memory:"):
        code, _, err = run(capsys, "worker", "--db", memory)
        assert code == 1 and "an in-memory one is its own process's" in err


def test_the_worker_module_says_a_database_it_cannot_use_in_one_line(tmp_path):
    """``python -m sigopt_like.service.worker``, which docs/service.md gives as the same as
    ``sigopt-like worker``. Before: an unknown host was a 40-line traceback; a missing
    file or folder was created and the worker said "running 2 threads" on it; ``:memory:``
    ran on a database of its own; and every start began with runpy's RuntimeWarning that
    the module was imported twice. (An unknown host is no longer one of these: it is
    waited for, as a server not up yet, its log line saying why.)"""
    cases = {
        str(tmp_path / "typo.db"): "no database at",
        f"sqlite:///{tmp_path}/no/such/x.db": "does not exist",
        ":memory:": "an in-memory one is its own process's",
        "postgresql+psycopg://app:s3c%zz@db.invalid/doe": "not followed by two hex digits",
        # a host name that does not resolve is waited for (DNS may be late at boot), saying
        # why: tests/reliability/test_database_restart.py::
        # test_a_worker_whose_database_host_name_does_not_resolve_waits_saying_why
    }
    for db, said in cases.items():
        done = subprocess.run(
            [sys.executable, "-m", "sigopt_like.service.worker", "--db", db],
            capture_output=True,
            text=True,
            env=child_env(),
            timeout=60,
        )
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 1 and len(lines) == 1, (db, done.stderr)
        assert lines[0].startswith("python -m sigopt_like.service.worker: error: "), lines
        assert said in lines[0] and "s3c" not in lines[0], lines
    assert not (tmp_path / "typo.db").exists() and not (tmp_path / "no").exists()


def test_worker_subcommand_starts_and_stops_on_sigterm(tmp_path):
    import signal
    import time

    db = str(tmp_path / "worker.db")
    open_store(db).close()  # the database the app processes use (a worker needs one)
    proc = subprocess.Popen(
        [sys.executable, "-m", "sigopt_like.cli", "worker", "--db", db, "--threads", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=child_env(),
    )
    try:
        deadline = time.monotonic() + 60
        lines = []
        while time.monotonic() < deadline:  # wait for its "running" log line
            line = proc.stdout.readline() if proc.stdout else ""
            lines.append(line)
            if "running" in line or not line:
                break
        assert proc.poll() is None, "".join(lines)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_every_spelling_of_an_in_memory_sqlite_database_is_one_database(tmp_path):
    """Before: ``sqlite:///`` and ``sqlite:///:memory:`` opened a new, empty database on
    each connection, so the second found no tables (a 500 and a traceback of the task
    watcher's thread), and ``sqlite://:memory:`` was a ValueError traceback."""
    for db in ("sqlite:///", "sqlite:///:memory:", "sqlite://:memory:"):
        done = subprocess.run(
            [sys.executable, "-m", "sigopt_like", "sessions", "create", "x", "--db", db],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
            env=child_env(),
        )
        assert (done.returncode, done.stdout) == (0, "created session 1 (x)\n"), done.stderr
        assert "Traceback" not in done.stderr, done.stderr
        code = subprocess.run(
            [sys.executable, "-m", "sigopt_like", "worker", "--db", db],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
            env=child_env(),
        )
        assert code.returncode == 1 and "an in-memory one is its own process's" in code.stderr


def _serve_refused(*args: str, env: dict[str, str] | None = None) -> str:
    """What ``sigopt-like serve --port 0 ARGS`` says as it refuses to start (in its own
    process: one that starts instead fails the test after 60 s, not hang it)."""
    done = subprocess.run(
        [sys.executable, "-m", "sigopt_like.cli", "serve", "--port", "0", *args],
        capture_output=True,
        text=True,
        env=env or child_env(),
        timeout=60,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr, done
    assert not done.stdout, done  # never "serving on"
    return done.stderr


def test_serve_refuses_an_in_memory_database_nobody_could_use(tmp_path):
    """Before: ``serve --db :memory:`` (tokens on) started, and no user could ever be added
    to its database ('users create' opens the database from its own process): every
    request was a 401 that no token could cure. With ``--no-tasks`` no worker can reach it
    either. With --no-auth and tasks here it is a fine scratch server (and the dashboard's
    ``:memory:``, which runs no task, still opens)."""
    for memory in (":memory:", "sqlite://", "sqlite:///:memory:"):
        err = _serve_refused("--db", memory)
        assert f"--db {memory} is an in-memory database, which only this process sees" in err
        assert "nobody could sign in" in err and "--no-auth" in err and "--db team.sqlite3" in err
    err = _serve_refused("--db", ":memory:", "--no-auth", "--no-tasks")
    assert "no task would ever run" in err and "leave out --no-tasks" in err, err
    err = _serve_refused(env={**child_env(), "SIGOPT_LIKE_DATABASE": ":memory:"})
    assert "$SIGOPT_LIKE_DATABASE (or the config file's database), :memory:," in err, err


def _worker_process(db: str, log) -> subprocess.Popen:
    """``sigopt-like worker --db DB --threads 1``, its log lines in ``log``."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "sigopt_like.cli", "worker", "--db", db, "--threads", "1"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**child_env(), "PYTHONUNBUFFERED": "1"},
        )


def _stopped(proc: subprocess.Popen, log) -> str:
    """SIGTERM to the worker; its whole log once it exited (0)."""
    import signal

    try:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return log.read_text()


def test_a_worker_stopped_by_sigterm_says_so_and_what_it_interrupted(tmp_path):
    """Before: a worker stopped by SIGTERM (systemd, docker stop, a deploy) logged nothing:
    whether it had stopped, why, and that the task it ran went back to the queue were
    left to guess. It logs one line: the signal, and each task it interrupted."""
    import time

    from sigopt_like.service import create_app
    from tests.campaign.conftest import Api

    db = str(tmp_path / "worker.db")
    log = tmp_path / "idle.log"
    open_store(db).close()
    proc = _worker_process(db, log)
    deadline = time.monotonic() + 60
    while " running 1 threads on " not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    out = _stopped(proc, log)
    assert out.count("stopped by SIGTERM; no task was running") == 1, out
    space = {
        "type": "factorial",
        "parameters": [
            {"name": f"p{i}", "type": "numerical", "values": [0, 1, 2, 3, 4, 5]} for i in range(5)
        ],
    }
    with create_app(database=db, run_tasks=False) as app:
        api = Api(app)
        sid = api.session()
        log = tmp_path / "busy.log"
        proc = _worker_process(db, log)
        try:
            assert api.put_space(sid, space, 12, 0)["status"] == "success"
            tid = api.post(f"/v1/sessions/{sid}/simulate", {"ngens": 100}).body["id"]
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                record = app.context.store.tasks.find(int(tid))
                if record.status == "running" and record.progress_fraction > 0:
                    break
                time.sleep(0.05)
            else:
                raise AssertionError("the simulate task never got going")
        finally:
            out = _stopped(proc, log)
        line = next(line for line in out.splitlines() if "stopped by SIGTERM" in line)
        assert "WARNING" in line, line
        assert f"interrupting task {tid} (simulate, session {sid}): back in the queue" in line
        assert app.context.store.tasks.find(int(tid)).status == "new"  # given back


def test_tokens_create_refuses_the_name_of_a_dashboard_sign_in(tmp_path, capsys, monkeypatch):
    """Before: ``tokens create --name "dashboard session"`` printed a token that every API
    call refused as a dashboard sign-in's ("works only in its browser")."""
    db = str(tmp_path / "named.db")
    monkeypatch.setattr(sys, "stdin", io.StringIO("long enough\n"))
    assert run(capsys, "users", "create", "n@lab.example", "--password-stdin", "--db", db)[0] == 0
    code, out, err = run(
        capsys,
        "tokens",
        "create",
        "--user",
        "n@lab.example",
        "--name",
        "dashboard session",
        "--db",
        db,
    )
    assert code == 1 and out == "", (out, err)
    assert "the name of the dashboard's sign-in tokens" in err and "No token was made" in err, err
    code, out, _ = run(capsys, "tokens", "list", "--db", db, "--json")
    assert code == 0 and out.strip() == "[]", out


def test_serve_refuses_an_allowed_host_no_browser_could_send():
    """Before: ``serve --allowed-host $'\\xe9'`` (a byte that is not UTF-8), a name with a
    blank, or a label past 63 characters was taken: the server answered every request
    403 and printed "open http://\\udce9:8080"."""
    for name in ("\udce9", "a b", "x" * 64 + ".example"):
        err = _serve_refused("--db", ":memory:", "--no-auth", "--allowed-host", name)
        assert "Invalid value for '--allowed-host'" in err, err
        assert "is not a host name: give one a browser can open" in err, err


def test_serve_refuses_an_allowed_host_pattern_list_or_quoted_name():
    """Before: ``--allowed-host '*'`` (Django's "every host"), ``doe,other`` or a name with
    its quotes kept (``"'doe'"``, from a service file) was taken, and the server answered
    every request, /health included, 403 "This server answers only to ...". A real name
    is still taken (see the test above for the punycode form)."""
    for name, said in (
        ("*", "'*' is a pattern, and the Host check compares whole names: leave"),
        ("*.lab.example", "is a pattern"),
        ("doe,other", "is a list: give one name per --allowed-host (--allowed-host doe "),
        ("'doe'", "is not a host name: give one a browser can open"),
        ("<doe>", "is not a host name: give one a browser can open"),
        (
            "doe, ,other",
            "give one name per --allowed-host (--allowed-host doe --allowed-host other)",
        ),
        # before: "give one name per --allowed-host ()"
        (",", "',' names no host, only commas; name one, e.g. doe.lab.example"),
        (" , ", "' , ' names no host, only commas; name one, e.g. doe.lab.example"),
    ):
        err = _serve_refused("--db", ":memory:", "--no-auth", "--allowed-host", name)
        assert "Invalid value for '--allowed-host'" in err and said in err, (name, err)


def test_a_password_or_token_on_several_lines_is_refused_and_line_ends_are_not_read(
    tmp_path, capsys, monkeypatch
):
    """Before: standard input's first line was taken and the rest dropped without a word
    (``printf 'new\\nold\\n'`` made the password "new"); a closed standard input (``<&-``)
    was a traceback. Now the line ends after the one line are dropped (echo's, CRLF, an
    editor's blank line), several lines are refused in one line, and so is no input."""
    db = str(tmp_path / "lines.db")
    for typed, said in (
        ("new pass\nold pass\n", "standard input holds 2 lines, and a password is one"),
        ("\ngood password\n", "standard input holds 2 lines"),
        ("good\rpassword", "standard input holds 2 lines"),
        ("\n\n", "the password is empty"),
        (None, "standard input is closed, and the password is read from it"),
    ):
        monkeypatch.setattr(sys, "stdin", None if typed is None else io.StringIO(typed))
        code, _, err = run(
            capsys, "users", "create", "l@example.com", "--password-stdin", "--db", db
        )
        assert code == 1 and said in err and err.endswith("no user was created\n"), err
        assert err.count("\n") == 1, err
    code, out, _ = run(capsys, "users", "list", "--db", db, "--json")
    assert code == 0 and "l@example.com" not in out
    for number, typed in enumerate((" spaced pass \n\n", " spaced pass \r\n", " spaced pass ")):
        monkeypatch.setattr(sys, "stdin", io.StringIO(typed))
        email = f"l{number}@example.com"
        assert run(capsys, "users", "create", email, "--password-stdin", "--db", db)[0] == 0
        store = open_store(db)
        try:  # blanks on the line are the password's
            assert store.accounts.check_password(email, " spaced pass ") is not None
        finally:
            store.close()
    token = run(capsys, "tokens", "create", "--user", "l0@example.com", "--db", db)[1].strip()
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{token}\nsomething else\n"))
    code, _, err = run(capsys, "tokens", "revoke", "--token-stdin", "--db", db)
    assert code == 1 and "standard input holds 2 lines, and a token is one" in err, err
    assert err.rstrip().endswith("nothing revoked"), err
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{token}\n\n"))
    assert run(capsys, "tokens", "revoke", "--token-stdin", "--db", db)[0] == 0


def test_a_password_at_a_terminal_is_asked_for_and_not_shown(tmp_path):
    """Before: ``users create EMAIL --password-stdin`` typed at a terminal waited without
    a word, and the password then typed was shown on the screen. It is asked for (twice),
    hidden, on a real terminal (a pseudo-terminal that is the command's own)."""
    import fcntl
    import os
    import select
    import termios

    leader, follower = os.openpty()

    def own_the_terminal() -> None:
        os.setsid()
        fcntl.ioctl(follower, termios.TIOCSCTTY, 0)

    child = subprocess.Popen(
        [sys.executable, "-m", "sigopt_like", "users", "create", "t@x.example", "--password-stdin"],
        stdin=follower,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**child_env(), "SIGOPT_LIKE_DATABASE": str(tmp_path / "tty.db")},
        preexec_fn=own_the_terminal,
    )
    os.close(follower)
    shown = b""

    def until(word: bytes) -> None:
        nonlocal shown
        while word not in shown:
            ready, _, _ = select.select([leader], [], [], 30)
            assert ready, shown
            shown += os.read(leader, 1024)

    try:
        until(b"Password (not shown): ")
        os.write(leader, b"terminal pass\n")
        until(b"Repeat for confirmation: ")
        os.write(leader, b"terminal pass\n")
        out, err = child.communicate(timeout=60)
    finally:
        child.kill()
        os.close(leader)
    assert child.returncode == 0, err
    assert b"created user t@x.example" in out and b"terminal pass" not in shown
    store = open_store(str(tmp_path / "tty.db"))
    try:
        assert store.accounts.check_password("t@x.example", "terminal pass") is not None
    finally:
        store.close()


def test_a_worker_runs_tasks_with_its_time_limit_and_attempts(tmp_path, pg_url):
    """The scaled-out shape on a real PostgreSQL: an app process that runs no task and a
    ``sigopt-like worker`` process. Before: the worker command took neither flag, so a
    deployment's time limit and attempts never reached the processes that run its tasks
    (``application(task_time_limit_seconds=...)`` was taken and ignored)."""
    import time

    import sqlalchemy as sa

    from sigopt_like.service import create_app
    from tests.campaign.conftest import Api

    with create_app(database=pg_url, run_tasks=False) as app:
        api = Api(app)
        sid = api.session()
        store = app.context.store
        owner = store.accounts.local_user_id()
        # a task whose worker, on another host, stopped during its first run (lease lapsed)
        other = api.session()  # a session runs one task at a time
        lost = store.tasks.start(owner, int(other), "generate", {}, 0)
        engine = sa.create_engine(pg_url)
        try:
            with engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "UPDATE tasks SET status = 'running', worker = 'elsewhere:1:gone', "
                        "heartbeat = 0, attempts = 1 WHERE id = :id"
                    ),
                    {"id": int(lost.id)},
                )
        finally:
            engine.dispose()
        queued = api.queue_space(sid)
        log = tmp_path / "worker.log"
        limits = ["--threads", "1", "--task-time-limit", "1e-6", "--task-max-attempts", "1"]
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "sigopt_like.cli", "worker", "--db", pg_url, *limits],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**child_env(), "PYTHONUNBUFFERED": "1"},
            )
        try:
            timed_out = api.wait(sid, queued, timeout=120)
            assert timed_out["status"] == "failed", (timed_out, log.read_text())
            assert [e["message"] for e in timed_out["errors"]] == [
                "the task ran longer than the limit of 1e-06 s"
            ], timed_out
            deadline = time.monotonic() + 60  # its first heartbeat takes the lost one over
            while store.tasks.find(int(lost.id)).status != "failed":
                assert time.monotonic() < deadline, (store.tasks.find(int(lost.id)), log)
                time.sleep(0.2)
            record = store.tasks.find(int(lost.id))
            assert record.attempts == 1, record  # one run allowed: given up, not run again
            given_up = api.get(f"/v1/sessions/{other}/tasks/{lost.id}").body
            assert "interrupted 1 times" in given_up["errors"][0]["message"], given_up
        finally:
            _stopped(proc, log)


def test_the_worker_command_refuses_a_time_limit_or_attempts_out_of_range(capsys):
    """In the worker module's words (``python -m sigopt_like.service.worker``)."""
    for flag, value, said in [
        ("--task-max-attempts", "0", "0 is not 1 to 1000 runs"),
        ("--task-max-attempts", "1001", "1001 is not 1 to 1000 runs"),
        ("--task-time-limit", "nan", "'nan' is not a number of seconds from 0 to"),
        ("--task-time-limit", "-1", "'-1' is not a number of seconds from 0 to"),
    ]:
        code, out, err = run(capsys, "worker", flag, value)
        assert code == 2 and out == "", (code, out, err)
        assert f"Invalid value for '{flag}': {said}" in err, err

"""Ctrl-C on a command that waits for its task cancels that task (a real process, a
real SIGINT, the embedded service on a database file)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import sigopt_like
from tests.fixtures.servers import free_port

from .conftest import DATA

# SIGINT as a terminal's Ctrl-C finds the command: a shell's background job (a CI
# runner's, say) starts its children with SIGINT ignored, and Python keeps that
START = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('sigopt_like', run_name='__main__', alter_sys=True)"
)


def _finished_generations(conn: sigopt_like.Connection, least: int) -> bool:
    """Whether the running simulate task (of 100 generations, which the space has room
    for) has finished ``least``: its progress is 0.05 + 0.9 * i / 100 as generation i + 1
    begins (a message such as "designing" lasts too short a time to be seen by polling)."""
    for task in _running(conn, "simulate"):
        fraction = task.progress.fraction if task.progress is not None else None
        if fraction is not None and fraction >= 0.05 + 0.9 * least / 100:
            return True
    return False


def _running(conn: sigopt_like.Connection, kind: str) -> list[sigopt_like.Task]:
    return [t for t in conn.sessions("1").tasks.list(status="running") if t.type == kind]


@contextlib.contextmanager
def _started(args: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    """``sigopt-like ARGS`` started in a process group of its own, as a terminal's job:
    Ctrl-C (SIGINT to the group) reaches the command and the worker process its
    embedded service started alike; killed on the way out if still running."""
    child = subprocess.Popen(
        [sys.executable, "-c", START, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        yield child
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def _stopped_once_it_says(
    args: list[str],
    env: dict[str, str],
    marker: str,
    stop: signal.Signals,
    *,
    on_stderr: bool = True,
) -> tuple[str, str]:
    """Run ``sigopt-like ARGS`` (see :func:`_started`), read its standard error (or
    output) up to the first line holding ``marker``, send ``stop`` to its group, and
    assert it exits 0 (a stop asked for); that line ("" if it never came) and all it
    wrote on standard error."""
    with _started(args, env) as child:
        stream = child.stderr if on_stderr else child.stdout
        assert stream is not None
        line = stream.readline()
        while line and marker not in line:
            line = stream.readline()
        os.killpg(child.pid, stop)
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, (out, err)
        return line, err


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
def test_ctrl_c_on_a_waiting_command_cancels_the_task_it_started(run, tmp_path, monkeypatch):
    """Before: the process stopped, its task stayed "running" on the database, and every
    later generate of the session said "task_running: ... cancel it"."""
    database = tmp_path / "interrupted.db"
    monkeypatch.setenv("SIGOPT_LIKE_DATABASE", str(database))
    assert run("sessions", "create", "long").code == 0
    space = ("--type", "factorial", "--population", "5", "--replicates", "0", "-q")
    assert run("space", "put", "1", DATA / "esd-factorial-4x8.csv", *space).code == 0
    env = {**os.environ, "PYTHONPATH": str(Path(sigopt_like.__file__).resolve().parents[1])}
    with (
        _started(["simulate", "1", "-n", "100", "-q"], env) as child,
        sigopt_like.Connection(database=str(database), task_processes=0) as conn,
    ):
        deadline = time.monotonic() + 120
        while not _finished_generations(conn, 2):
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the simulate task never ran 2 generations"
            time.sleep(0.2)
        (task,) = _running(conn, "simulate")
        os.killpg(child.pid, signal.SIGINT)
        out, err = child.communicate(timeout=120)
        # dead of SIGINT itself, as a shell expects of a command Ctrl-C stopped (before:
        # exit status 130, which a shell's loop took for a failure and went on; before
        # that, "aborted" and exit 1, Click's answer to a prompt's end of input too)
        assert child.returncode == -signal.SIGINT, (out, err)
        assert err.endswith("sigopt-like: interrupted\n"), (out, err)
        assert f"canceled task {task.id} (simulate) of session 1" in err, err
        # the command waited for its task to stop, which kept the generations it
        # finished (before: the command exited at once, its embedded service's worker
        # process with it, before the cancel took effect, and they were lost)
        kept = re.search(r"canceled after (\d+) of 100 generations; the \1 finished are kept", err)
        assert kept and int(kept[1]) >= 2, err
        assert conn.sessions("1").fetch().gen == int(kept[1]), err
        with pytest.raises(sigopt_like.TaskCanceledError):
            conn.sessions("1").tasks(task.id).wait(timeout=60)
    assert run("generate", "1", "-q").code == 0


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
@pytest.mark.parametrize(
    ("command", "stop"), [("serve", signal.SIGINT), ("dashboard", signal.SIGTERM)]
)
def test_a_server_stopped_says_so_and_exits_0(tmp_path, command, stop):
    """Before: ``serve`` and ``dashboard`` stopped by Ctrl-C (or SIGTERM) exited 0 without
    a word: an operator's terminal or log did not say whether it stopped or died."""
    database = tmp_path / "served.db"
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(sigopt_like.__file__).resolve().parents[1]),
        "SIGOPT_LIKE_DATABASE": str(database),
    }
    made = subprocess.run(
        [sys.executable, "-m", "sigopt_like", "sessions", "create", "s"], env=env, timeout=60
    )
    assert made.returncode == 0
    args = [command, "--port", "0", "--db", str(database)]
    line, err = _stopped_once_it_says(args, env, "serving on", stop, on_stderr=False)
    url = re.search(r"serving on (\S+)", line)
    assert url, line
    said = f"sigopt-like: stopped serving on {url[1]} ({stop.name})"
    assert err.strip().splitlines()[-1] == said, err


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_a_worker_stopped_while_waiting_for_its_database_says_so(stop):
    """Before: a worker stopped while its PostgreSQL server was not up exited 0 without a
    word, where ``serve`` says it stopped; now one line names the signal and the wait."""
    pytest.importorskip("psycopg")
    url = f"postgresql+psycopg://nobody:secret@127.0.0.1:{free_port()}/nothing"
    env = {**os.environ, "PYTHONPATH": str(Path(sigopt_like.__file__).resolve().parents[1])}
    line, err = _stopped_once_it_says(["worker", "--db", url], env, "does not answer", stop)
    assert line, "the worker did not say it waits for the database"
    last = err.strip().splitlines()[-1]
    assert f"worker stopped by {stop.name} while waiting for the database" in last, err
    assert "127.0.0.1" in last and "secret" not in last, err

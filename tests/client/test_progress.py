"""progress= while waiting (bar, log lines, callables) and timeouts that are honoured."""

from __future__ import annotations

import asyncio
import logging
import sys

import pytest

import sigopt_like
from sigopt_like import TaskTimeoutError
from sigopt_like.models import Task
from sigopt_like.progress import describe, reporter

SPACE = {
    "type": "factorial",
    "parameters": [
        {"name": "p1", "type": "numerical", "values": list(range(20))},
        {"name": "c", "type": "categorical", "values": list("abcdefgh")},
    ],
}


def ready_session(conn: sigopt_like.Connection, name: str):
    session = conn.sessions(conn.sessions.create(name=name).id)
    session.space.put(space=SPACE, population_size=10, replicates=1, wait=True)
    return session


def test_wait_with_a_timeout_under_the_long_poll_works(conn):
    """Before: embedded generate(wait=True, timeout=10) was a 400 ('9.99999' not an integer)."""
    session = ready_session(conn, "short-timeout")
    done = session.generate(wait=True, timeout=10)
    assert done.succeeded and done.result.gen == 1
    again = session.tasks(done.id).wait(timeout=3.5)
    assert again.succeeded


def test_auto_task_timeout_under_the_long_poll_works(tmp_path, clean_env):
    with sigopt_like.Connection(database=tmp_path / "a.db", auto_task_timeout=7) as conn:
        session = conn.sessions(conn.sessions.create(name="auto").id)
        assert session.space.put(space=SPACE, population_size=10, replicates=1).succeeded
        assert session.generate().succeeded


def test_progress_true_draws_a_bar_with_phase_and_message(embedded_conn, capsys):
    """Before: wait=True, progress=True raised TypeError: 'bool' object is not callable."""
    session = ready_session(embedded_conn, "bar")
    done = session.generate(wait=True, progress=True)
    assert done.succeeded
    err = capsys.readouterr().err
    assert "generate" in err and "100%" in err and "|" in err


def test_progress_true_without_tqdm_logs_lines(embedded_conn, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # as if tqdm were not installed
    session = ready_session(embedded_conn, "log")
    with caplog.at_level(logging.INFO, logger="sigopt_like.tasks"):
        session.generate(wait=True, progress=True)
    lines = [r.getMessage() for r in caplog.records if r.name == "sigopt_like.tasks"]
    assert lines and lines[-1].startswith("generate task") and "success" in lines[-1]


def test_an_async_callable_gets_each_update_and_can_stop_them(embedded_conn):
    seen: list[Task] = []

    async def first_only(task: Task) -> bool:
        await asyncio.sleep(0)
        seen.append(task)
        return False  # Daptics: False means no more callbacks

    session = ready_session(embedded_conn, "async")
    assert session.generate(wait=True, progress=first_only).succeeded
    assert len(seen) == 1

    every: list[str] = []

    async def all_of_them(task: Task) -> None:
        every.append(str(task.status))

    async def from_async_code() -> Task:
        return session.simulate(ngens=1, wait=True, progress=all_of_them)

    assert asyncio.run(from_async_code()).succeeded
    assert every[-1] == "success"


def test_daptics_example_coroutine_reads_the_task_as_its_dict(embedded_conn):
    """Seed 000's task_updated_coroutine example reads the task as a dict ("if 'progress'
    in task", "task['status'] == 'running'"). Before, progress= handed it the Task model
    and the example raised TypeError ("argument of type 'Task' is not iterable")."""
    seen: list[tuple[str, dict]] = []

    async def my_coroutine(task, **kwargs):
        if "progress" in task:
            seen.append((task["status"], task["progress"]))
        if task["status"] == "running":  # noqa: SIM103 (the seed's example as written)
            return True
        return False

    session = ready_session(embedded_conn, "daptics-coroutine")
    done = session.generate(wait=True, progress=my_coroutine)
    assert done.succeeded and seen[-1][0] == "success"
    assert seen[-1][1] == {"fraction": 1.0, "message": done.progress.message}
    assert done["result"]["gen"] == 1 and "result" in done and done.get("nothing", 7) == 7
    assert "phase" in done and "cancel_requested" not in Task.from_dict({"id": "1"})
    with pytest.raises(KeyError):
        Task.from_dict({"id": "1"})["result"]


def test_a_bad_progress_argument_is_refused_before_the_task_starts(embedded_conn):
    session = ready_session(embedded_conn, "bad-progress")
    with pytest.raises(TypeError, match="progress="):
        session.generate(wait=True, progress="yes")
    assert [t.type for t in session.tasks.list()] == ["space"]


def test_a_timeout_raises_in_time_and_leaves_the_task_running(embedded_conn):
    session = ready_session(embedded_conn, "slow")
    seen: list[Task] = []
    with pytest.raises(TaskTimeoutError) as info:
        session.simulate(ngens=50, wait=True, timeout=0.3, progress=seen.append)
    assert info.value.task.status in ("new", "running")
    session.tasks(info.value.task.id).cancel()


def test_describe_names_type_status_phase_fraction_and_message():
    task = Task.from_dict(
        {
            "id": "7",
            "type": "generate",
            "status": "running",
            "phase": "optimizing",
            "progress": {"fraction": 0.4, "message": "fitting the surrogate"},
        }
    )
    assert describe(task) == "generate task 7: running (optimizing) 40% fitting the surrogate"
    assert reporter(None) is None and reporter(False) is None


def test_listing_tasks_by_an_unknown_type_or_status_is_a_400(conn):
    """Before: tasks.list(type="bogus") silently gave an empty list."""
    session = ready_session(conn, "filters")
    for name in ("type", "status"):
        with pytest.raises(sigopt_like.SigoptLikeError) as info:
            session.tasks.list(**{name: "bogus"})
        assert info.value.status == 400
        assert f"'{name}' must be one of" in str(info.value)
    assert [t.type for t in session.tasks.list(type="space")] == ["space"]


PROGRESS_WITHOUT_TQDM = """
import sys

sys.modules["tqdm"] = None  # the README's install: no progress extra
import sigopt_like

space = {SPACE!r}
with sigopt_like.Connection(database="p.db", task_processes=0) as conn:
    session = conn.sessions(conn.sessions.create(name="plain").id)
    session.space.put(space=space, population_size=10, replicates=1, wait=True, progress=True)
    session.generate(wait=True, progress=True)
"""


def test_progress_true_without_tqdm_or_logging_shows_lines(tmp_path, clean_env):
    """Before: with tqdm not installed (`pip install ".[service]"`, as the README says) and
    no logging set up, progress=True showed nothing: its lines were INFO records, which
    Python drops when no handler is configured. The tutorial promises a progress bar."""
    import os
    import subprocess

    script = tmp_path / "progress.py"
    script.write_text(PROGRESS_WITHOUT_TQDM.replace("{SPACE!r}", repr(SPACE)))
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "PYTHONPATH": root}
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stderr.splitlines()
    assert any(line.startswith("space task") and "success" in line for line in lines), lines
    assert any(line.startswith("generate task") and "100%" in line for line in lines), lines
    assert done.stdout == ""

"""The examples in examples/ run against the embedded service, each in its own process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CLIENT_ENV = (
    "SIGOPT_LIKE_HOST",
    "SIGOPT_LIKE_TOKEN",
    "SIGOPT_LIKE_CONFIG",
    "SIGOPT_LIKE_DATABASE",
    "SIGOPT_LIKE_EXPORT_DIR",
)


def run_example(
    name: str, tmp_path: Path, *args: str, status: int = 0
) -> subprocess.CompletedProcess[str]:
    """Run ``examples/<name>`` with a database in ``tmp_path``; fail with its stderr
    unless it exits with ``status``."""
    env = {k: v for k, v in os.environ.items() if k not in CLIENT_ENV}
    env["HOME"] = str(tmp_path / "home")
    root = str(EXAMPLES.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--database", str(tmp_path / "ex.db"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=240,
    )
    assert done.returncode == status, done.stderr
    return done


def test_sessions_basics(tmp_path):
    out = run_example("sessions_basics.py", tmp_path).stdout
    assert "created session " in out
    assert "duplicate refused: duplicate_name" in out
    assert "3 sessions, 2 on the first page" in out
    listed = [line.strip() for line in out.splitlines() if line.startswith("  ")]
    assert len(listed) == 3
    assert listed[0].endswith("alloy follow-up")  # newest first
    assert "search 'alloy': alloy follow-up, alloy screen" in out
    assert "fetched " in out
    assert "updated description: 'hardness and cost of a ternary alloy'" in out
    assert (tmp_path / "ex.db").is_file()


def test_campaign_quickstart(tmp_path):
    files = tmp_path / "files"
    out = run_example("campaign_quickstart.py", tmp_path, "--out", str(files)).stdout
    assert "space validated: 240 possible experiments" in out
    for gen in (1, 2, 3):
        assert f"generation {gen}: 24 experiments, best " in out
    assert "recommended experiment: " in out
    assert "predicted response: " in out
    assert "history: 72 experiments saved to history.csv" in out
    for name in ("auto_gen1_design.csv", "auto_gen3_design.csv", "history.csv", "space.csv"):
        assert (files / name).is_file(), sorted(p.name for p in files.iterdir())


def test_sessions_basics_run_again_on_its_kept_database_says_why_it_stops(tmp_path):
    """Before: a second run on the ``--database`` its docstring says to keep died with a
    ConflictError traceback; it now says in one line what to do."""
    run_example("sessions_basics.py", tmp_path)
    again = run_example("sessions_basics.py", tmp_path, status=1)
    assert "Traceback" not in again.stderr
    assert "holds this example's sessions from an earlier run" in again.stderr
    assert "give another --database" in again.stderr


def test_campaign_quickstart_run_again_goes_on_with_its_campaign(tmp_path):
    """Before: a second run on a kept ``--database`` died with a ConflictError traceback
    (the session's name is taken); the campaign is in the database, so it goes on."""
    run_example("campaign_quickstart.py", tmp_path, "--generations", "1")
    out = run_example("campaign_quickstart.py", tmp_path, "--generations", "1").stdout
    assert "continuing session 1: 240 possible experiments" in out
    assert "generation 2: 24 experiments, best " in out
    assert "history: 48 experiments saved to history.csv" in out


def test_campaign_quickstart_goes_on_from_a_run_stopped_before_its_space(tmp_path):
    """Before: a run stopped between ``sessions.create`` and ``space.put`` left a session
    the next run died on (NotFoundError 404, "no validated space yet"); it puts it."""
    import sigopt_like

    with sigopt_like.Connection(database=str(tmp_path / "ex.db")) as conn:
        conn.sessions.create(name="quickstart", description="catalyst screen", seed=11)
    done = run_example("campaign_quickstart.py", tmp_path, "--generations", "1")
    assert "Traceback" not in done.stderr
    assert "space validated: 240 possible experiments" in done.stdout
    assert "generation 1: 24 experiments, best " in done.stdout
    assert "history: 24 experiments saved to history.csv" in done.stdout


def test_campaign_quickstart_goes_on_from_a_run_stopped_with_a_design_pending(tmp_path):
    """Before: a run stopped after a ``generate``, before the responses went back
    (Ctrl-C), left a design the next run died on (ConflictError 409 design_pending); it
    sends the pending design's responses, then goes on."""
    import sigopt_like

    run_example("campaign_quickstart.py", tmp_path, "--generations", "1")
    with sigopt_like.Connection(database=str(tmp_path / "ex.db")) as conn:
        assert conn.sessions("1").generate(wait=True).result.gen == 2  # left pending
    done = run_example("campaign_quickstart.py", tmp_path, "--generations", "1")
    assert "Traceback" not in done.stderr
    assert "generation 2 (left pending by an earlier run): responses sent" in done.stdout
    assert "generation 3: 24 experiments, best " in done.stdout
    assert "history: 72 experiments saved to history.csv" in done.stdout


def test_campaign_quickstart_waits_for_a_task_an_earlier_run_left_queued(tmp_path):
    """Before: Ctrl-C during a wait stops the waiting, not the task, and the next run
    died on it (ConflictError 409 task_running, "Task 2 (generate) is queued"); it waits
    for that task, then goes on. The task is left queued by a service that runs none."""
    import falcon.testing

    from sigopt_like.service import create_app

    run_example("campaign_quickstart.py", tmp_path, "--generations", "1")
    with create_app(database=str(tmp_path / "ex.db"), run_tasks=False) as service:
        client = falcon.testing.TestClient(service)
        left = client.simulate_post("/v1/sessions/1/generate", json={})
        assert left.status_code == 202 and left.json["status"] == "new", left.text
    done = run_example("campaign_quickstart.py", tmp_path, "--generations", "1")
    assert "Traceback" not in done.stderr
    said = f"waiting for task {left.json['id']} (generate) left by an earlier run"
    assert said in done.stdout
    assert "generation 2 (left pending by an earlier run): responses sent" in done.stdout
    assert "generation 3: 24 experiments, best " in done.stdout


def test_campaign_quickstart_stops_when_the_space_is_used_up(tmp_path):
    """Before: asked for more generations than the space's 240 experiments hold (20 of
    12), a run died with a traceback (409 campaign_completed); it says so and ends."""
    done = run_example("campaign_quickstart.py", tmp_path, "--generations", "22")
    assert "Traceback" not in done.stderr
    assert "generation 20: 24 experiments, best " in done.stdout
    assert "the campaign is completed: the space has no untested experiment left" in done.stdout
    assert "history: 480 experiments saved to history.csv" in done.stdout


def test_examples_default_to_a_temporary_store(tmp_path):
    """Without --database, nothing is written to the working folder or the home folder."""
    env = {k: v for k, v in os.environ.items() if k not in CLIENT_ENV}
    env["HOME"] = str(tmp_path / "home")
    env["PYTHONPATH"] = str(EXAMPLES.parent)
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "sessions_basics.py")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.iterdir()) == [] or not any(tmp_path.rglob("*.db*"))

"""Several scripts, each with an embedded ``Connection``, on one SQLite file at once.

- 4 processes work ONE session (generate, put the measured design) and their own
  sessions and SigOpt experiments (suggest, observe, read) side by side: no 5xx, no
  "database is locked", every conflict a 409 ``task_running`` or ``design_pending``,
  and every session, experiment and observation stored once;
- a script killed with its task worker (``kill -9`` of its process group) while its
  generate runs: the next script on the file finds the task taken over and finished.

Size: ``SIGOPT_LIKE_PROCESS_ROUNDS`` (rounds per process).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

import sigopt_like
from sigopt_like.data import sample_space
from tests.fixtures.faults import env_int
from tests.reliability.test_crash_restart import SPACE, integrity, script_env

pytestmark = [pytest.mark.reliability, pytest.mark.concurrency, pytest.mark.timeout(300)]

PROCESSES = 4
ROUNDS = env_int("SIGOPT_LIKE_PROCESS_ROUNDS", 4)
OBSERVATIONS = 5

LAB_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import sigopt_like
    from sigopt_like.errors import ConflictError
    database, tag, shared = sys.argv[1], sys.argv[2], sys.argv[3]
    rounds, observations = int(sys.argv[4]), int(sys.argv[5])
    done = {"sessions": 0, "designs": 0, "experiments": [], "observations": 0, "conflicts": []}
    with sigopt_like.Connection(database=database) as conn:
        campaign = conn.sessions(shared)
        for i in range(rounds):
            conn.sessions.create(name=f"{tag}-{i}")
            done["sessions"] += 1
            try:
                task = campaign.generate(wait=True)
                measured = campaign.responses.simulate(task.result.experiments)
                campaign.experiments.put(type="designed", table=measured, wait=True)
                done["designs"] += 1
            except ConflictError as err:
                done["conflicts"].append([err.status, err.code, err.message])
            experiment = conn.experiments.create(
                name=f"{tag}-{i}",
                type="random",
                observation_budget=50,
                parameters=[{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
            )
            done["experiments"].append(str(experiment.id))
            for j in range(observations):
                sug = conn.experiments(experiment.id).suggestions().create()
                conn.experiments(experiment.id).observations().create(
                    suggestion=sug.id, value=float(j)
                )
                done["observations"] += 1
            list(conn.sessions.list(limit=20))
            campaign.fetch()
            list(campaign.tasks.list(limit=10))
    print(json.dumps(done))
    """
)


def test_scripts_working_one_session_and_experiments_at_once(
    tmp_path: Path, clean_env: Any, figures: Any
) -> None:
    database = tmp_path / "lab.db"
    with sigopt_like.Connection(database=database) as conn:
        shared = conn.sessions.create(name="shared", seed=3)
        conn.sessions(shared.id).space.put(
            space=sample_space("formulation-screen"), population_size=12, replicates=0, wait=True
        )
    script_args = [str(shared.id), str(ROUNDS), str(OBSERVATIONS)]
    children = [
        subprocess.Popen(
            [sys.executable, "-c", LAB_SCRIPT, str(database), f"p{p}", *script_args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=script_env(),
        )
        for p in range(PROCESSES)
    ]
    reports = []
    for child in children:
        out, err = child.communicate(timeout=280)
        assert child.returncode == 0, err[-2000:]
        assert "database is locked" not in err and "Traceback" not in err, err[-2000:]
        reports.append(json.loads(out.strip().splitlines()[-1]))
    conflicts = [c for r in reports for c in r["conflicts"]]
    assert all(status == 409 for status, _code, _msg in conflicts), conflicts
    assert {code for _s, code, _m in conflicts} <= {"task_running", "design_pending"}, conflicts
    designs = sum(r["designs"] for r in reports)
    assert designs >= 1  # someone's generate and put went through
    experiments = [e for r in reports for e in r["experiments"]]
    assert len(experiments) == len(set(experiments)) == PROCESSES * ROUNDS
    with sigopt_like.Connection(database=database) as conn:
        names = [s.name for s in conn.sessions.list(limit=1000)]
        assert sorted(names) == sorted(
            ["shared"] + [f"p{p}-{i}" for p in range(PROCESSES) for i in range(ROUNDS)]
        )
        counts = [conn.experiments(e).fetch().progress.observation_count for e in experiments]
        assert counts == [OBSERVATIONS] * len(experiments)
        generations = conn.sessions(shared.id).history.fetch().generations
        # each design that was generated and put once, in order, whole
        assert [g.gen for g in generations] == list(range(designs + 1))
        assert all(len(g.table.rows) == 12 for g in generations[1:])
        tasks = list(conn.sessions(shared.id).tasks.list(limit=100))
        assert {t.status for t in tasks} == {"success"}
    assert integrity(str(database)) == "ok"
    figures(
        processes=PROCESSES,
        designs=designs,
        conflicts_409=len(conflicts),
        observations=sum(counts),
        lost=0,
    )


KILLED_GROUP_SCRIPT = textwrap.dedent(
    """
    import sys, time
    import sigopt_like
    from sigopt_like.spaces import Space
    conn = sigopt_like.Connection(database=sys.argv[1])  # tasks in a worker process
    session = conn.sessions.create(name="killed", seed=5)
    campaign = conn.sessions(session.id)
    campaign.space.put(space=Space.from_csv(sys.argv[2]), population_size=2500,
                       replicates=0, wait=True)
    task = campaign.generate(wait=False)
    while campaign.tasks(task.id).fetch().status == "new":
        time.sleep(0.002)
    print(session.id, task.id, campaign.tasks(task.id).fetch().status, flush=True)
    time.sleep(600)  # until its process group is killed
    """
)


def test_a_script_killed_with_its_worker_leaves_the_task_to_the_next_script(
    tmp_path: Path, clean_env: Any, figures: Any
) -> None:
    """kill -9 of the script AND its task worker process (its whole process group, as
    an out-of-memory kill or a killed job does): nobody gives the task back, yet the
    next script on the file sees the worker's pid gone, takes the task over and
    finishes it, its work applied once."""
    database = tmp_path / "killed.db"
    script = subprocess.Popen(
        [sys.executable, "-c", KILLED_GROUP_SCRIPT, str(database), SPACE.to_csv()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=script_env(),
        start_new_session=True,
    )
    try:
        assert script.stdout is not None
        session_id, task_id, status = script.stdout.readline().split()
        assert status == "running"
        os.killpg(script.pid, signal.SIGKILL)
    finally:
        script.kill()
        script.wait(30)
    killed = time.monotonic()
    assert integrity(str(database)) == "ok"
    with sigopt_like.Connection(database=database) as conn:
        campaign = conn.sessions(session_id)
        task = campaign.tasks(task_id).wait(timeout=120)
        taken_over_in = time.monotonic() - killed
        assert task.status == "success" and task.result.gen == 1, task
        assert [g.gen for g in campaign.history.fetch().generations] == [0, 1]
        measured = campaign.responses.simulate(task.result.experiments)
        assert campaign.experiments.put(type="designed", table=measured, wait=True).status == (
            "success"
        )
    assert taken_over_in < 60
    figures(taken_over_seconds=round(taken_over_in, 1))

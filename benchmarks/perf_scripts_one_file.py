"""Several scripts on one SQLite file: how long the first task waits for a worker.

    python benchmarks/perf_scripts_one_file.py [--scripts 6] [--rounds 3]
        [--baseline c3800b5] [--warm-worker]

Each round, on a new database file holding one session with its space: ``--scripts``
fresh interpreters start at once, each with its embedded ``Connection`` on the file
(task worker processes, the default), and each asks for a generate of that session: one
is queued, the others get a 409 ``task_running`` naming it. Timed in the script that got
it: from the 202 to the task's claim by a worker (polled every 10 ms). Counted: the
worker processes the scripts started, read in each script once the task has finished
and every script's queue watch has looked again. Alternating round by round, this
checkout against the code at ``--baseline``: by default c3800b5, whose idle scripts
left a task another script queued to that script's worker for a 5 s grace by the task's
``created`` (whole seconds), before the store's runner promise
(``service/task_processes.py``); cbfa7ef is the code before that grace. ``--warm-worker``:
a ``sigopt-like worker`` on the file started before the scripts.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from perf_common import REPO, baseline_checkout, env_with_path, median, python

BEFORE = "c3800b5"

SETUP = r"""
import json, sys
import sigopt_like
with sigopt_like.Connection(database=sys.argv[1], task_processes=0) as conn:
    s = conn.sessions.create(name="shared")
    space = sigopt_like.Space.from_dict({"type": "factorial", "parameters": [
        {"name": f"p{i}", "type": "numerical", "values": list(range(10))} for i in range(4)]})
    conn.sessions(s.id).space.put(space=space, population_size=10, replicates=0, wait=True)
    print(s.id)
"""

SCRIPT = r"""
import json, sys, time
import sigopt_like
from sigopt_like.errors import ConflictError
database, sid, settle = sys.argv[1], sys.argv[2], float(sys.argv[3])
out = {}
with sigopt_like.Connection(database=database) as conn:
    c = conn.sessions(sid)
    try:
        task = c.generate(wait=False)
        accepted = time.perf_counter()
        while c.tasks(task.id).fetch().status == "new":
            time.sleep(0.01)
        out["queued"] = time.perf_counter() - accepted
    except ConflictError as err:
        out["conflict"] = err.code
    while any(t.status in ("new", "running") for t in c.tasks.list(limit=5)):
        time.sleep(0.05)
    time.sleep(settle)  # every queue watch has looked again
    out["workers"] = len(conn.service.task_processes.pids)
print(json.dumps(out))
"""


def one_round(code: Path, folder: Path, name: str, scripts: int, warm: bool) -> dict:
    database = str(folder / f"{name}.db")
    setup = python(code, "-c", SETUP, database)
    if setup.returncode != 0:
        raise SystemExit(f"setup failed:\n{setup.stderr[-3000:]}")
    sid = setup.stdout.strip().splitlines()[-1]
    env = env_with_path(code)
    worker = None
    if warm:
        worker = subprocess.Popen(
            [sys.executable, "-m", "sigopt_like", "worker"],
            env={**env, "SIGOPT_LIKE_DATABASE": database},
            cwd=str(code),
            stderr=subprocess.DEVNULL,
        )
        time.sleep(5)  # its imports done, it claims from the queue
    try:
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", SCRIPT, database, sid, "2.5"],
                env=env,
                cwd=str(code),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(scripts)
        ]
        results = []
        for proc in procs:
            stdout, stderr = proc.communicate(timeout=600)
            if proc.returncode != 0:
                raise SystemExit(f"a script failed:\n{stderr[-3000:]}")
            results.append(json.loads(stdout.strip().splitlines()[-1]))
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(30)
    [queued] = [r["queued"] for r in results if "queued" in r]
    return {"queued": queued, "workers": sum(r["workers"] for r in results)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scripts", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", default=BEFORE)
    parser.add_argument("--warm-worker", action="store_true")
    args = parser.parse_args(argv)
    codes = {"subject": REPO, "baseline": baseline_checkout(args.baseline)}
    runs: dict[str, list[dict]] = {"subject": [], "baseline": []}
    with tempfile.TemporaryDirectory(prefix="perf-scripts-") as tmp:
        for i in range(args.rounds):
            for side, code in codes.items():
                runs[side].append(
                    one_round(code, Path(tmp), f"{side}{i}", args.scripts, args.warm_worker)
                )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"\n== {args.scripts} scripts on one SQLite file, the first generate "
        f"({os.cpu_count()} cores, load average {load:.1f}"
        f"{', a warm worker on the file' if args.warm_worker else ''}; "
        f"medians of {args.rounds} rounds)"
    )
    for side, title in (("subject", "this checkout"), ("baseline", args.baseline)):
        queued = [r["queued"] for r in runs[side]]
        workers = [r["workers"] for r in runs[side]]
        print(
            f"{title:>14}: queued {median(queued):.2f} s "
            f"(rounds: {', '.join(f'{q:.2f}' for q in queued)}); "
            f"worker processes started: {', '.join(map(str, workers))}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""What the default worker process costs a script: the first tasks' latency, close().

    python benchmarks/perf_first_task.py [--rounds 5]

Each run is a fresh interpreter (imports count) on a new database file:
``Connection(database=...)`` (tasks in a worker process, the default) against
``Connection(database=..., task_processes=0)`` (threads of the script), alternating
round by round. Timed in the script: the first task (a space; the worker's start
and imports), the first generate (scikit-learn's import, in whichever process runs
the task), a second generate (both warm), everything from before ``import
sigopt_like`` to the first design, and ``close()`` (the worker stops).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from perf_common import REPO, Figure, median, python, report

SCRIPT = r"""
import json, sys, time
t0 = time.perf_counter()
import sigopt_like
args = json.loads(sys.argv[1])
kw = {} if args["processes"] is None else {"task_processes": args["processes"]}
conn = sigopt_like.Connection(database=args["database"], **kw)
c = conn.sessions(conn.sessions.create(name="first").id)
space = sigopt_like.Space.from_dict({"type": "factorial", "parameters": [
    {"name": f"p{i}", "type": "numerical", "values": list(range(10))} for i in range(6)]})
t1 = time.perf_counter()
c.space.put(space=space, population_size=20, replicates=0, wait=True)
t2 = time.perf_counter()
c.generate(wait=True)
t3 = time.perf_counter()
c.experiments.put(type="designed", table=c.responses.simulate(c.design.fetch()), wait=True)
t4 = time.perf_counter()
c.generate(wait=True)
t5 = time.perf_counter()
conn.close()
t6 = time.perf_counter()
print(json.dumps({"space": t2 - t1, "generate": t3 - t2, "generate2": t5 - t4,
                  "to_design": t3 - t0, "close": t6 - t5}))
"""

FIELDS = (
    ("space", "the first task (a space)"),
    ("generate", "the first generate (the optimizer's imports)"),
    ("generate2", "a later generate (warm)"),
    ("to_design", "import + Connection() + space + first design"),
    ("close", "close() after the tasks"),
)


def run(folder: Path, name: str, processes: int | None) -> dict[str, float]:
    args = {"database": str(folder / f"{name}.db"), "processes": processes}
    out = python(REPO, "-c", SCRIPT, json.dumps(args))
    if out.returncode != 0:
        raise SystemExit(f"{name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    threads: list[dict[str, float]] = []
    worker: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="perf-first-") as tmp:
        folder = Path(tmp)
        for i in range(args.rounds):
            threads.append(run(folder, f"threads{i}", 0))
            worker.append(run(folder, f"worker{i}", None))
    figures = [
        Figure(
            f"{label}: worker process vs threads",
            median([r[key] for r in worker]) * 1e3,
            median([r[key] for r in threads]) * 1e3,
            "ms",
            "-",
        )
        for key, label in FIELDS
    ]
    report(
        f"the default worker process vs task_processes=0, embedded (medians of {args.rounds})",
        figures,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

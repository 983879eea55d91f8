"""``GET /v1/sessions/{sid}/best`` on a session of 130,000 responses, against the code before.

    python benchmarks/perf_best.py [--rows 130000] [--rounds 2] [--baseline 6c33b0f]

One SQLite database, made once: a 10^6-point factorial (6 parameters x 10 levels) put
at population 20, then one ``initial`` put of ``--rows`` experiments (random points,
some repeated, a smooth response with noise) on a service allowing 150,000 rows.
Then, round after round, a process with the code before the change (``--baseline``,
extracted from git) and one with this checkout each open the database embedded and
call ``sessions(sid).best.fetch()``: once to load the optimizer's libraries (as a
service does at its first ``best``), then ``--calls`` times, timed. The figure is the
median of the timed calls, this checkout over the baseline; both answers are printed.
``--baseline 6c8510f`` measures against the code before ``best`` read the campaign as
stored, without decoding it (1.62 s; see CHANGELOG.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from perf_common import REPO, Figure, baseline_checkout, median, python, report

BEFORE = "6c33b0f"  # the code before `best` read stored codes and bounded its model

SETUP = r"""
import sys, numpy as np, sigopt_like
from sigopt_like import embedded
from sigopt_like.service import create_app

def start(database, *, task_processes=None):
    return create_app(database=database, auth_required=False, task_processes=task_processes,
                      max_table_rows=150_000)

embedded.start_embedded_service = start
database, n = sys.argv[1], int(sys.argv[2])
conn = sigopt_like.Connection(database=database, task_processes=0)
space = sigopt_like.Space.from_dict({"type": "factorial", "parameters": [
    {"name": f"p{i}", "type": "numerical", "values": list(range(10))} for i in range(6)]})
sid = conn.sessions.create(name="best").id
s = conn.sessions(sid)
s.space.put(space=space, population_size=20, replicates=0, wait=True)
rng = np.random.default_rng(0)
codes = rng.integers(0, 10, size=(n, 6))
y = -((codes - 6.3) ** 2).sum(axis=1) + rng.normal(0, 1, n)
rows = [[*map(int, c), round(float(v), 4)] for c, v in zip(codes, y)]
table = sigopt_like.Table(columns=space.columns, rows=rows)
s.experiments.put(type="initial", table=table, wait=True, timeout=1200)
print(sid)
conn.close()
"""

MEASURE = r"""
import json, sys, time, sigopt_like
database, sid, calls = sys.argv[1], sys.argv[2], int(sys.argv[3])
conn = sigopt_like.Connection(database=database, task_processes=0)
best = conn.sessions(sid).best
start = time.perf_counter(); best.fetch(); first = time.perf_counter() - start
times = []
for _ in range(calls):
    start = time.perf_counter(); answer = best.fetch(); times.append(time.perf_counter() - start)
print(json.dumps({"first": first, "times": times, "experiment": answer.experiment,
                  "predicted": answer.predicted_response}))
conn.close()
"""


def measure(code: Path, database: str, sid: str, calls: int) -> dict:
    out = python(code, "-c", MEASURE, database, sid, str(calls), check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=130_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--calls", type=int, default=2)
    parser.add_argument("--baseline", default=BEFORE)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database = str(Path(folder) / "best.db")
        made = python(REPO, "-c", SETUP, database, str(args.rows), check=True)
        sid = made.stdout.strip().splitlines()[-1]
        old = baseline_checkout(args.baseline)
        base: list[float] = []
        subj: list[float] = []
        answers: dict[str, dict] = {}
        for _ in range(args.rounds):
            for name, code, out in (("baseline", old, base), ("subject", REPO, subj)):
                result = measure(code, database, sid, args.calls)
                out.extend(result["times"])
                answers[name] = result
    report(
        f"GET /v1/sessions/{{sid}}/best, {args.rows:,} responses (embedded, medians)",
        [
            Figure(
                f"best.fetch(), this checkout vs {args.baseline}",
                median(subj),
                median(base),
                "s",
                "<= 0.25x",
                median(subj) <= 0.25 * median(base),
            )
        ],
    )
    for name, result in answers.items():
        print(
            f"{name:<9} first call {result['first']:.2f} s; answer {result['experiment']} "
            f"predicted {result['predicted']:.4f}"
        )


if __name__ == "__main__":
    main()

"""How long a table of too many rows takes to be refused (its 413), against older code,
measured in the same run.

    python benchmarks/perf_table_rows.py [--rows 1000000] [--rounds 3] [--calls 2]
        [--baseline f18e050]

The body is ``POST /v1/sessions/{sid}/experiments`` with a table of ``--rows`` empty rows
(``{"columns": [...], "rows": [[], [], ...]}``, 3 MB at a million rows: within the 10 MiB
body limit, ten times the 100,000-row table limit). Two processes, this checkout's and the
code at ``--baseline`` (extracted from git; the default is the code before the door
counted a table's rows before checking every cell), each with an embedded service on
SQLite and a session with a space, are asked in turn, round after round, for ``--calls``
timed calls through ``falcon.testing`` (the app's WSGI callable, every middleware, no
network). Printed: each side's median seconds and this checkout's ratio to the
baseline's.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from perf_common import REPO, Figure, baseline_checkout, median, python, report

BEFORE = "f18e050"  # the door checked every cell of the table before the rows were counted

WORKER = r"""
import json, sys, time
from falcon import testing
from sigopt_like.service import create_app

rows, calls = int(sys.argv[1]), int(sys.argv[2])
space = {"type": "factorial", "parameters": [
    {"name": "a", "type": "numerical", "values": [0, 1, 2]},
    {"name": "b", "type": "categorical", "values": ["x", "y"]}]}
body = ('{"type": "initial", "table": {"columns": ["a", "b", "Response"], "rows": ['
        + ",".join(["[]"] * rows) + "]}}").encode()
headers = {"Content-Type": "application/json"}
with create_app(database="sqlite://") as service:
    client = testing.TestClient(service.app)
    sid = client.simulate_post("/v1/sessions", json={"name": "rows"}).json["id"]
    task = client.simulate_put(f"/v1/sessions/{sid}/space",
                               json={"space": space, "population_size": 2, "replicates": 0})
    for _ in range(200):
        got = client.simulate_get(f"/v1/sessions/{sid}/tasks/{task.json['id']}?wait=1").json
        if got["status"] == "success":
            break
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        reply = client.simulate_post(f"/v1/sessions/{sid}/experiments", body=body,
                                     headers=headers)
        times.append(time.perf_counter() - start)
        assert reply.status_code == 413, reply.text[:300]
print(json.dumps(times))
"""


def _times(code: Path, rows: int, calls: int) -> list[float]:
    done = python(code, "-c", WORKER, str(rows), str(calls), check=True)
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=2)
    parser.add_argument("--baseline", default=BEFORE)
    args = parser.parse_args()
    codes = {"baseline": baseline_checkout(args.baseline), "subject": REPO}
    seconds: dict[str, list[float]] = {"baseline": [], "subject": []}
    for _ in range(args.rounds):  # interleaved, so that a busy machine slows both alike
        for side, code in codes.items():
            seconds[side] += _times(code, args.rows, args.calls)
    report(
        f"a table of {args.rows:,} empty rows refused (413), this checkout vs "
        f"{args.baseline} (medians of {args.rounds} x {args.calls} calls)",
        [
            Figure(
                "POST .../experiments, the 413",
                median(seconds["subject"]),
                median(seconds["baseline"]),
                "s",
                "faster",
                met=median(seconds["subject"]) < median(seconds["baseline"]),
            )
        ],
    )


if __name__ == "__main__":
    main()

"""The cost of single requests inside the app (WSGI, no socket), against /health and
against older code, measured in the same run.

    python benchmarks/perf_requests.py [--observations 300] [--rounds 20] [--calls 10]
        [--baseline 4b92ffe] [--only suggestion ...] [--postgres | --pg ADMIN_URL]
        [--profile]

Two processes, this checkout's and the code at ``--baseline`` (extracted from git; the
default is the code before the request costs of issue #12's store room were cut), each
on its own database holding the same data: an embedded SQLite file, or with
``--postgres`` a database each on a throw-away PostgreSQL server (``initdb`` and
``pg_ctl``, as ``migration_time.py`` starts one, with ``fsync=off`` as the tests'), or
with ``--pg`` on the server of that admin URL. The data: an experiment (6 doubles, one
metric) with ``--observations`` observations, a random search with as many, and a few
Daptics sessions, one with a finished task. Each is asked in turn, round after round,
for ``--calls`` timed calls of one request through ``falcon.testing`` (the app's WSGI
callable, every middleware, no network):

* ``GET /health`` (the baseline of each process: the app's fixed cost);
* ``GET /v1/experiments/{id}`` (SigOpt's fetch, its progress included);
* ``GET /v1/experiments/{id}/observations?limit=100`` (a page of 100);
* ``GET /v1/experiments?limit=100``: a page of 22 experiments (the two above and 20 of
  50 observations), each with its progress;
* ``POST /v1/experiments/{id}/suggestions`` of the random search (the engine's walk
  reads every observation; the open suggestion is deleted after each, untimed);
* ``POST /v1/experiments/{id}/observations`` of a suggestion (made untimed before);
* ``POST /v1/experiments/{id}/suggestions`` of the random search given its point (no
  engine; deleted after each, untimed);
* ``POST /v1/experiments/{id}/queued_suggestions`` of the random search (the queue is
  emptied after each, untimed);
* ``GET /v1/sessions/{sid}`` and ``GET /v1/sessions/{sid}/tasks/{tid}``.

Printed: each request's median in each process, its ratio to that process's
``/health``, and this checkout's ratio to the baseline's with the spread of the rounds'
ratios (on a machine shared with other jobs, a request whose code did not change moves
by up to 20% between runs).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import pstats
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from migration_time import fresh_database, throwaway_server
from perf_common import REPO, Figure, baseline_checkout, env_with_path, median, report

BEFORE = "4b92ffe"  # the code before this room's cuts (experiment fetch: 7-8 ms at 300)

WORKER = r"""
import cProfile, json, os, sys, time
from falcon import testing
import sigopt_like

database, observations = sys.argv[1], int(sys.argv[2])
conn = sigopt_like.Connection(database=database, task_processes=0)
app = conn.service
params = [{"name": f"p{i}", "type": "double", "bounds": {"min": 0, "max": 1}} for i in range(6)]
batch = [{"assignments": {f"p{i}": (k * 7 + i) % 100 / 100 for i in range(6)},
          "value": (k * 37) % 101 / 100, "metadata": {"k": k}} for k in range(observations)]
ids = []
for kind in ("offline", "random"):
    e = conn.experiments.create(name=kind, type=kind, parameters=params, metrics=[{"name": "v"}],
                                observation_budget=10 * observations + 1000)
    for start in range(0, observations, 200):
        conn.experiments(e.id).observations.create_batch(batch[start : start + 200])
    ids.append(str(e.id))
eid, rid = ids
for j in range(20):  # a list's page: 22 experiments, 20 of them with 50 observations
    e = conn.experiments.create(name=f"listed-{j}", parameters=params, metrics=[{"name": "v"}])
    conn.experiments(e.id).observations.create_batch(batch[:50])
space = sigopt_like.Space.from_dict({"type": "factorial", "parameters": [
    {"name": f"f{i}", "type": "numerical", "values": list(range(5))} for i in range(3)]})
sids = [str(conn.sessions.create(name=f"s{i}").id) for i in range(5)]
task = conn.sessions(sids[0]).space.put(space=space, population_size=10, replicates=1, wait=True)
tid = str(task.id)


def call(method, path, query="", body=None, status=200):
    result = testing.simulate_request(app, method, path, query_string=query, json=body)
    assert result.status_code == status, (path, result.status_code, result.text)
    return result


def suggestion():
    call("POST", f"/v1/experiments/{rid}/suggestions", body={}, status=201)


def untimed_after_suggestion():
    call("DELETE", f"/v1/experiments/{rid}/suggestions", query="state=open", status=204)


def observation(made):
    call("POST", f"/v1/experiments/{rid}/observations",
         body={"suggestion": made, "value": 0.5}, status=201)


def given():
    call("POST", f"/v1/experiments/{rid}/suggestions",
         body={"assignments": {f"p{i}": 0.25 for i in range(6)}}, status=201)


def queued():
    call("POST", f"/v1/experiments/{rid}/queued_suggestions",
         body={"assignments": {f"p{i}": 0.5 for i in range(6)}}, status=201)


def untimed_after_queued():
    call("DELETE", f"/v1/experiments/{rid}/queued_suggestions", status=204)


def untimed_before_observation():
    return call("POST", f"/v1/experiments/{rid}/suggestions", body={}, status=201).json["id"]


REQUESTS = {
    "health": lambda: call("GET", "/health"),
    "experiment": lambda: call("GET", f"/v1/experiments/{eid}"),
    "observations": lambda: call("GET", f"/v1/experiments/{eid}/observations", "limit=100"),
    "experiments": lambda: call("GET", "/v1/experiments", "limit=100"),
    "suggestion": suggestion,
    "observation": observation,
    "given": given,
    "queued": queued,
    "session": lambda: call("GET", f"/v1/sessions/{sids[0]}"),
    "task": lambda: call("GET", f"/v1/sessions/{sids[0]}/tasks/{tid}"),
}
BEFORE = {"observation": untimed_before_observation}
AFTER = {
    "suggestion": untimed_after_suggestion,
    "given": untimed_after_suggestion,
    "queued": untimed_after_queued,
}
profile_to = os.environ.get("PERF_REQUESTS_PROFILE")  # --profile: the timed calls' stats
profiler = cProfile.Profile() if profile_to else None
print("ready", flush=True)
for line in sys.stdin:  # "<request> <count>": answered with the count's seconds
    name, count = line.split()
    times = []
    profiled = profiler is not None and name != "health"
    for _ in range(int(count)):
        args = (BEFORE[name](),) if name in BEFORE else ()
        start = time.perf_counter()
        if profiled:
            profiler.enable()
        REQUESTS[name](*args)
        if profiled:
            profiler.disable()
        times.append(time.perf_counter() - start)
        if name in AFTER:
            AFTER[name]()
    print(json.dumps(times), flush=True)
if profiler is not None:
    profiler.dump_stats(profile_to)
conn.close()
"""

REQUESTS = (
    ("health", "GET /health"),
    ("experiment", "GET experiment"),
    ("observations", "GET observations, page of 100"),
    ("experiments", "GET experiments, page of 22"),
    ("suggestion", "POST suggestion, random search"),
    ("observation", "POST observation"),
    ("given", "POST suggestion given its point"),
    ("queued", "POST queued suggestion"),
    ("session", "GET session"),
    ("task", "GET session's task"),
)


class Worker:
    """One process serving one checkout's app; asked for timed calls."""

    def __init__(
        self, code: Path, database: str, observations: int, profile_to: str | None = None
    ) -> None:
        env = env_with_path(code)
        if profile_to is not None:
            env["PERF_REQUESTS_PROFILE"] = profile_to
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WORKER, database, str(observations)],
            env=env,
            cwd=str(code),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the worker of {code} did not start")

    def ask(self, name: str, count: int) -> list[float]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{name} {count}\n")
        self.proc.stdin.flush()
        return [float(t) for t in json.loads(self.proc.stdout.readline())]

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(60)


def _print_profile(path: str, lines: int = 25) -> None:
    """The functions of the profiled calls by their own time, then by their cumulative
    time (the warm-up calls included)."""
    stats = pstats.Stats(path)
    for order in ("tottime", "cumulative"):
        print(f"\n== this checkout's profiled calls, by {order}")
        stats.sort_stats(order).print_stats(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--observations", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--baseline", default=BEFORE)
    parser.add_argument(
        "--only",
        action="append",
        choices=[name for name, _ in REQUESTS[1:]],
        help="time this request (and /health) alone; repeatable",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--postgres",
        action="store_true",
        help="each process on a database of a throw-away PostgreSQL server",
    )
    where.add_argument("--pg", help="each process on a new database of this admin URL's server")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile this checkout's timed calls (not /health) with cProfile and print "
        "the functions that took the most time (use with --only)",
    )
    args = parser.parse_args(argv)
    chosen = [
        (n, label) for n, label in REQUESTS if n == "health" or not args.only or n in args.only
    ]
    codes = {"baseline": baseline_checkout(args.baseline), "subject": REPO}
    times: dict[tuple[str, str], list[float]] = {}
    ratios: dict[str, list[float]] = {}  # each round's subject/baseline, to show the spread
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="perf-requests-"))
        # fsync off, as the tests' server: a commit's flush to disk, the same in both
        # processes, would drown the statements measured in the noise of a loaded disk
        admin = stack.enter_context(throwaway_server("fsync=off")) if args.postgres else args.pg
        profile_to = str(Path(tmp) / "subject.prof") if args.profile else None
        workers = {
            side: Worker(
                code,
                fresh_database(admin) if admin else str(Path(tmp) / f"{side}.db"),
                args.observations,
                profile_to if side == "subject" else None,
            )
            for side, code in codes.items()
        }
        try:
            for worker in workers.values():  # warm
                for name, _ in chosen:
                    worker.ask(name, 5)
            for _ in range(args.rounds):
                for name, _ in chosen:
                    medians = {}
                    for side, worker in workers.items():
                        got = worker.ask(name, args.calls)
                        times.setdefault((side, name), []).extend(got)
                        medians[side] = median(got)
                    ratios.setdefault(name, []).append(medians["subject"] / medians["baseline"])
        finally:
            for worker in workers.values():
                worker.close()
        if profile_to is not None:
            _print_profile(profile_to)
    ms = {key: median(values) * 1e3 for key, values in times.items()}
    on = "PostgreSQL" if args.postgres or args.pg else "SQLite"
    for side, title in (("subject", "this checkout"), ("baseline", args.baseline)):
        report(
            f"{title}: requests in the app vs its GET /health (medians, ms,"
            f" {args.observations} observations, {on})",
            [
                Figure(label, ms[(side, name)], ms[(side, "health")], "ms", "-")
                for name, label in chosen[1:]
            ],
        )
    report(
        f"this checkout vs {args.baseline}, same requests, interleaved (medians, ms, {on})",
        [
            Figure(
                label,
                ms[("subject", name)],
                ms[("baseline", name)],
                "ms",
                "-",
                note=f"rounds' ratios {min(ratios[name]):.2f}-{max(ratios[name]):.2f}x",
            )
            for name, label in chosen
        ],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A long campaign: the cost of a generation as the history grows, what a design costs
to store, and the memory a campaign leaves behind.

    python benchmarks/perf_generations.py [--gens 30] [--population 100] [--sessions 2]
                                          [--no-baseline]

Each campaign runs in a fresh interpreter on the embedded service (``Connection``):
space, then ``--gens`` rounds of generate, simulated responses, upload. Printed:

* generate at generation 30 vs generation 3 (goal: ratio <= 1.5), for a space the
  engine samples (8 parameters x 10 levels) and one it enumerates (6 x 6): the median
  of generations 28-30 against that of generations 3-5, over ``--sessions`` campaigns
  (one timing per campaign swung either way on a loaded machine);
* bytes stored per designed experiment, and how many copies of a design are kept,
  against 0.1.0 run in the same way in the same run (its code from git);
* RSS of the process after the campaign (goal <= 150 MB embedded), and of a
  ``sigopt-like serve`` process after the same campaign through HTTP (goal <= 200 MB),
  against 0.1.0's. By default both run their tasks in a worker process that stops when
  idle: its RSS right after the campaign is printed beside (the memory moved there, and
  goes back to the system when it stops). The same with the tasks in threads of the
  process (``task_processes=0``, ``serve --task-processes 0``), and ``serve --no-tasks``
  with a ``sigopt-like worker`` beside it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from perf_common import (
    REPO,
    Figure,
    baseline_checkout,
    env_with_path,
    free_port,
    median,
    process,
    python,
    report,
    rss_mb,
    serve_command,
    wait_http,
    worker_command,
    write_token,
)

CAMPAIGN = r"""
import json, sqlite3, sys, time
import sigopt_like
args = json.loads(sys.argv[1])
space = sigopt_like.Space.from_dict({"type": "factorial", "parameters": [
    {"name": f"p{i}", "type": "numerical", "values": list(range(args["levels"]))}
    for i in range(args["params"])]})
if args.get("url"):
    conn = sigopt_like.Connection(args["url"], args["token"])
elif "task_processes" in args:
    conn = sigopt_like.Connection(database=args["database"], task_processes=args["task_processes"])
else:
    conn = sigopt_like.Connection(database=args["database"])
session = conn.sessions.create(name="perf", seed=args["seed"])
c = conn.sessions(session.id)
c.space.put(space=space, population_size=args["population"], replicates=0, wait=True)
seconds = []
for gen in range(1, args["gens"] + 1):
    t = time.perf_counter()
    c.generate(wait=True)
    seconds.append(time.perf_counter() - t)
    table = c.responses.simulate(c.design.fetch())
    c.experiments.put(type="designed", table=table, wait=True)
out = {"seconds": seconds}
def rss(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
if not args.get("url"):
    out["rss_mb"] = rss("self")
    workers = getattr(conn.service, "task_processes", None)
    out["worker_mb"] = sum(rss(pid) for pid in workers.pids) if workers is not None else 0
    out["workers"] = len(workers.pids) if workers is not None else 0
    conn.close()
    db = sqlite3.connect(args["database"])
    size = 0
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'"):
        if name in ("generations", "experiment_rows", "tasks"):
            cols = [r[1] for r in db.execute(f'PRAGMA table_info("{name}")')]
            for col in cols:
                sql = f'SELECT COALESCE(SUM(LENGTH("{col}")), 0) FROM "{name}"'
                size += db.execute(sql).fetchone()[0]
    out["bytes"] = size
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    gcols = [r[1] for r in db.execute('PRAGMA table_info("generations")')]
    one = lambda sql: db.execute(sql).fetchone()[0] > 0
    out["copies"] = sum([
        "design" in gcols and one("SELECT COUNT(*) FROM generations WHERE design IS NOT NULL"),
        "codes" in gcols and one("SELECT COUNT(*) FROM generations WHERE design_rows > 0"),
        "experiment_rows" in tables and one("SELECT COUNT(*) FROM experiment_rows WHERE designed"),
        one("SELECT COUNT(*) FROM tasks WHERE type = 'generate' AND result LIKE '%experiments%'"),
        one("SELECT COUNT(*) FROM tasks WHERE type = 'update' AND params LIKE '%rows%'"),
    ])
print(json.dumps(out))
"""

SAMPLED = {"params": 8, "levels": 10}
ENUMERATED = {"params": 6, "levels": 6}


def campaign(code: Path, folder: Path, name: str, **args: object) -> dict:
    args = {**args, "database": str(folder / f"{name}.db")}
    out = python(code, "-c", CAMPAIGN, json.dumps(args))
    if out.returncode != 0:
        raise SystemExit(f"campaign {name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def children_rss_mb(pid: int) -> float:
    """RSS of the processes whose parent is ``pid`` (serve's task worker), MB."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            total += rss_mb(int(stat.parent.name))
    return total


def served_rss(
    code: Path,
    folder: Path,
    name: str,
    split: bool = False,
    extra: tuple[str, ...] = (),
    **args: object,
) -> tuple[float, float]:
    """RSS of the serve process after the campaign, and of its children (its task
    worker); ``split``: ``--no-tasks`` and a ``sigopt-like worker`` process beside it."""
    import contextlib

    database = str(folder / f"{name}.db")
    token = write_token(database, code)
    port = free_port()
    cmd = [*serve_command(database, port, split=split), *extra]
    worker = worker_command(database)
    with contextlib.ExitStack() as stack:
        proc = stack.enter_context(process(cmd, env=env_with_path(code), cwd=code))
        if split:
            stack.enter_context(process(worker, env=env_with_path(code), cwd=code))
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/health")
        run = python(REPO, "-c", CAMPAIGN, json.dumps({**args, "url": url, "token": token}))
        if run.returncode != 0:
            raise SystemExit(f"served campaign {name} failed:\n{run.stderr[-3000:]}")
        return rss_mb(proc.pid), children_rss_mb(proc.pid)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gens", type=int, default=30)
    parser.add_argument("--population", type=int, default=100)
    parser.add_argument("--sessions", type=int, default=2)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args(argv)
    common = {"gens": args.gens, "population": args.population}
    early = min(3, args.gens)
    figures = []
    with tempfile.TemporaryDirectory(prefix="perf-gens-") as tmp:
        folder = Path(tmp)
        runs = {}
        for label, space in (("sampled", SAMPLED), ("enumerated", ENUMERATED)):
            runs[label] = [
                campaign(REPO, folder, f"{label}{s}", seed=s, **space, **common)
                for s in range(args.sessions)
            ]
            # three generations at each end: one timing per campaign is at the load's mercy
            late = median(
                [t for r in runs[label] for t in r["seconds"][max(early, args.gens - 3) :]]
            )
            first = median([t for r in runs[label] for t in r["seconds"][early - 1 : early + 2]])
            figures.append(
                Figure(
                    f"generate at gens {args.gens - 2}-{args.gens} vs {early}-{early + 2} "
                    f"({label} {space['params']}x{space['levels']}, pop {args.population})",
                    late,
                    first,
                    "s",
                    "<= 1.5x",
                    late / first <= 1.5,
                )
            )
        ours = runs["sampled"][0]
        threads = campaign(REPO, folder, "threads", seed=0, task_processes=0, **SAMPLED, **common)
        designed = args.gens * args.population
        rss_served, rss_served_worker = served_rss(
            REPO, folder, "served", seed=0, **SAMPLED, **common
        )
        rss_threads, _ = served_rss(
            REPO, folder, "threads", extra=("--task-processes", "0"), seed=0, **SAMPLED, **common
        )
        rss_split, _ = served_rss(REPO, folder, "split", split=True, seed=0, **SAMPLED, **common)
        if args.no_baseline:
            base = {"bytes": float("nan"), "rss_mb": float("nan"), "copies": float("nan")}
            base_served = float("nan")
        else:
            old = baseline_checkout()
            base = campaign(old, folder, "baseline", seed=0, **SAMPLED, **common)
            base_served, _ = served_rss(old, folder, "baseline-served", seed=0, **SAMPLED, **common)
        figures += [
            Figure(
                "copies of a design stored vs 0.1.0",
                ours["copies"],
                base["copies"],
                "",
                "once",
                ours["copies"] == 1,
            ),
            Figure(
                "bytes stored per designed experiment vs 0.1.0",
                ours["bytes"] / designed,
                base["bytes"] / designed,
                "B",
                "-",
            ),
            Figure(
                f"RSS after a {args.gens}-generation campaign, embedded, vs 0.1.0",
                ours["rss_mb"],
                base["rss_mb"],
                "MB",
                "<= 150 MB",
                ours["rss_mb"] <= 150,
                f"its {ours['workers']} task worker process(es): {ours['worker_mb']:.0f} MB "
                "until it stops, idle",
            ),
            Figure(
                "  the same with Connection(task_processes=0), vs 0.1.0",
                threads["rss_mb"],
                base["rss_mb"],
                "MB",
                "<= 150 MB",
                threads["rss_mb"] <= 150,
                "tasks in threads of the script",
            ),
            Figure(
                f"RSS of serve after a {args.gens}-generation campaign, vs 0.1.0",
                rss_served,
                base_served,
                "MB",
                "<= 200 MB",
                rss_served <= 200,
                f"its task worker process: {rss_served_worker:.0f} MB until it stops, idle",
            ),
            Figure(
                "  the same with serve --task-processes 0, vs 0.1.0",
                rss_threads,
                base_served,
                "MB",
                "<= 200 MB",
                rss_threads <= 200,
                "tasks in threads of serve",
            ),
            Figure(
                "  the same with serve --no-tasks + a worker process, vs 0.1.0",
                rss_split,
                base_served,
                "MB",
                "<= 200 MB",
                rss_split <= 200,
            ),
        ]
    report("a long campaign (embedded unless said)", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Per-call costs of the client and the service (issue #12's first rows).

    python benchmarks/perf_calls.py [--rounds 30] [--per-round 50]
        [--suggest-rounds 40] [--suggest-calls 20] [--suggest-baseline 44f48c6]

* embedded ``sessions(sid).fetch()`` (goal <= 150 us), against a raw sqlite3 point
  read of the same row in the same file;
* served ``sessions(sid).fetch()`` against a raw ``requests`` GET of the same URL
  (goal <= 1.10x);
* served ``sessions.create()`` (an Idempotency-Key on every call) against a raw
  ``requests`` POST of the same body without a key (goal <= 1.20x);
* embedded SigOpt ``experiments(id).suggestions().create()`` of a random search with 100
  observations, against the code at ``--suggest-baseline`` (extracted from git; the
  default is the code that read the store twice for a lone request): a process of
  each on its own database, asked in turn for 20 timed calls, round after round.

The server is ``sigopt-like serve`` (auth on) on 127.0.0.1, run by this checkout.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

import sigopt_like

sys.path.insert(0, str(Path(__file__).resolve().parent))
from perf_common import (
    REPO,
    Figure,
    baseline_checkout,
    env_with_path,
    free_port,
    interleaved,
    median,
    process,
    report,
    serve_command,
    wait_http,
    write_token,
)

SUGGEST_BEFORE = "44f48c6"  # a lone suggestion request read the store twice


def embedded(rounds: int, per_round: int, folder: Path) -> list[Figure]:
    database = folder / "embedded.db"
    with sigopt_like.Connection(database=str(database)) as conn:
        sid = conn.sessions.create(name="bench").id
        raw = sqlite3.connect(database)
        sql = "SELECT * FROM sessions WHERE id = ? AND owner_id = ?"

        def point_read() -> None:
            raw.execute(sql, (int(sid), 1)).fetchone()

        session = conn.sessions(sid)
        for _ in range(200):  # warm both
            session.fetch()
            point_read()
        base, subject = interleaved(point_read, session.fetch, rounds, per_round)
        raw.close()
    us_subject, us_base = median(subject) * 1e6, median(base) * 1e6
    return [
        Figure(
            "embedded sessions(sid).fetch() vs raw sqlite3 point read",
            us_subject,
            us_base,
            "us",
            "<= 150 us",
            us_subject <= 150,
        )
    ]


def served(rounds: int, per_round: int, folder: Path) -> list[Figure]:
    database = str(folder / "served.db")
    token = write_token(database, REPO)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = serve_command(database, port)
    with process(cmd, env=env_with_path(REPO), cwd=REPO):
        wait_http(f"{url}/health")
        headers = {"Authorization": f"Bearer {token}"}
        raw = requests.Session()
        with sigopt_like.Connection(url, token) as conn:
            sid = conn.sessions.create(name="bench").id
            session = conn.sessions(sid)
            get_url = f"{url}/v1/sessions/{sid}"

            def raw_get() -> None:
                raw.get(get_url, headers=headers).raise_for_status()

            names = (f"bench-{i}" for i in itertools.count())

            def raw_post() -> None:
                raw.post(
                    f"{url}/v1/sessions", json={"name": next(names)}, headers=headers
                ).raise_for_status()

            def create() -> None:
                conn.sessions.create(name=next(names))

            for _ in range(100):
                session.fetch()
                raw_get()
            get_base, get_subject = interleaved(raw_get, session.fetch, rounds, per_round)
            post_base, post_subject = interleaved(raw_post, create, rounds, max(5, per_round // 5))
        raw.close()
    fetch = Figure(
        "served sessions(sid).fetch() vs raw requests GET",
        median(get_subject) * 1e3,
        median(get_base) * 1e3,
        "ms",
        "<= 1.10x",
    )
    post = Figure(
        "served sessions.create() vs raw POST without a key",
        median(post_subject) * 1e3,
        median(post_base) * 1e3,
        "ms",
        "<= 1.20x",
    )
    return [
        Figure(**{**_fields(fetch), "met": fetch.ratio <= 1.10}),
        Figure(**{**_fields(post), "met": post.ratio <= 1.20}),
    ]


SUGGEST = r"""
import json, sys, time, sigopt_like
database = sys.argv[1]
params = [{"name": f"x{i}", "type": "double", "bounds": {"min": 0, "max": 1}} for i in range(4)]
with sigopt_like.Connection(database=database, task_processes=0) as conn:
    e = conn.experiments().create(name="bench", type="random", parameters=params)
    exp = conn.experiments(e.id)
    exp.observations().create_batch(observations=[
        {"assignments": {p["name"]: (k * (i + 3) % 97) / 97 for i, p in enumerate(params)},
         "value": float(k)} for k in range(100)])
    for line in sys.stdin:  # a count of calls to time; answered with their seconds
        times = []
        for _ in range(int(line)):
            start = time.perf_counter()
            exp.suggestions().create()
            times.append(time.perf_counter() - start)
            exp.suggestions().delete(state="open")  # untimed: each request alone
        print(json.dumps(times), flush=True)
"""


def suggestions(rounds: int, calls: int, ref: str, folder: Path) -> list[Figure]:
    """Two processes, the baseline's and this checkout's, each on its own database, asked
    in turn for ``calls`` timed suggestions, ``rounds`` times (after 20 each to warm)."""
    old = baseline_checkout(ref)
    base: list[float] = []
    subj: list[float] = []
    ratios: list[float] = []  # each round's, to show how far the rounds spread
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", SUGGEST, str(folder / f"suggest-{name}.db")],
            env=env_with_path(code),
            cwd=str(code),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name, code in (("baseline", old), ("subject", REPO))
    ]

    def ask(worker: subprocess.Popen, count: int) -> list[float]:
        assert worker.stdin is not None and worker.stdout is not None
        worker.stdin.write(f"{count}\n")
        worker.stdin.flush()
        return [float(t) for t in json.loads(worker.stdout.readline())]

    try:
        for worker in workers:
            ask(worker, 20)
        for _ in range(rounds):
            medians = []
            for worker, out in zip(workers, (base, subj), strict=True):
                times = ask(worker, calls)
                out.extend(times)
                medians.append(median(times))
            ratios.append(medians[1] / medians[0])
    finally:
        for worker in workers:
            if worker.stdin is not None:
                worker.stdin.close()
            worker.wait(60)
    return [
        Figure(
            f"embedded suggestions().create(), random, vs {ref}",
            median(subj) * 1e3,
            median(base) * 1e3,
            "ms",
            "< 1.00x",
            median(subj) < median(base),
            note=f"rounds' ratios {min(ratios):.2f}-{max(ratios):.2f}x, "
            f"median {median(ratios):.2f}x",
        )
    ]


def _fields(figure: Figure) -> dict:
    import attrs

    return attrs.asdict(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--per-round", type=int, default=50)
    parser.add_argument("--suggest-rounds", type=int, default=40)
    parser.add_argument("--suggest-calls", type=int, default=20)
    parser.add_argument("--suggest-baseline", default=SUGGEST_BEFORE)
    parser.add_argument(
        "--only-suggestions", action="store_true", help="the suggestion figure alone"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="perf-calls-") as tmp:
        folder = Path(tmp)
        figures: list[Figure] = []
        if not args.only_suggestions:
            figures += embedded(args.rounds, args.per_round, folder)
            figures += served(args.rounds, args.per_round, folder)
        figures += suggestions(
            args.suggest_rounds, args.suggest_calls, args.suggest_baseline, folder
        )
    report("per-call costs (medians, interleaved)", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Per-call costs of the client and the service (issue #12's first rows).

    python benchmarks/perf_calls.py [--rounds 30] [--per-round 50]

* embedded ``sessions(sid).fetch()`` (goal <= 150 us), against a raw sqlite3 point
  read of the same row in the same file;
* served ``sessions(sid).fetch()`` against a raw ``requests`` GET of the same URL
  (goal <= 1.10x);
* served ``sessions.create()`` (an Idempotency-Key on every call) against a raw
  ``requests`` POST of the same body without a key (goal <= 1.20x).

The server is ``sigopt-like serve`` (auth on) on 127.0.0.1, run by this checkout.
"""

from __future__ import annotations

import argparse
import itertools
import sqlite3
import sys
import tempfile
from pathlib import Path

import requests

import sigopt_like

sys.path.insert(0, str(Path(__file__).resolve().parent))
from perf_common import (
    REPO,
    Figure,
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


def _fields(figure: Figure) -> dict:
    import attrs

    return attrs.asdict(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--per-round", type=int, default=50)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="perf-calls-") as tmp:
        folder = Path(tmp)
        figures = embedded(args.rounds, args.per_round, folder)
        figures += served(args.rounds, args.per_round, folder)
    report("per-call costs (medians, interleaved)", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

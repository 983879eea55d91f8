"""Served throughput with 8 clients: ``serve`` and gunicorn (the service's settings module:
its gthread-based worker) with 1, 2 and 4 worker processes, against 0.1.0's ``serve``
measured in the same run.

    python benchmarks/perf_throughput.py [--seconds 8] [--clients 8] [--rounds 2]

Every server runs on a SQLite file with auth on; each client is a thread of one
load process (``http.client``, keep-alive) repeating ``GET /v1/sessions/{sid}``
with a token, the call behind ``sessions(sid).fetch()``. Requests per second are
the median over ``--rounds`` (servers alternate round by round). The goal of
issue #12: at least twice 0.1.0's throughput.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
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
    serve_command,
    wait_http,
    write_token,
)

LOAD = r"""
import http.client, json, sys, threading, time
host, port, path, token, clients, seconds = sys.argv[1:7]
clients, seconds = int(clients), float(seconds)
headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
counts, errors = [0] * clients, [0] * clients
stop = time.monotonic() + seconds
def run(i):
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    while time.monotonic() < stop:
        conn.request("GET", path, headers=headers)
        r = conn.getresponse(); r.read()
        if r.status == 200: counts[i] += 1
        else: errors[i] += 1
threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
start = time.monotonic()
for t in threads: t.start()
for t in threads: t.join()
elapsed = time.monotonic() - start
print(json.dumps({"rps": sum(counts) / elapsed, "errors": sum(errors)}))
"""

SESSION = r"""
import sys, sigopt_like
conn = sigopt_like.Connection(sys.argv[1], sys.argv[2])
print(conn.sessions.create(name="load").id)
"""


def _gunicorn(workers: int, database: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",  # the service's settings: its worker (gthread with serve's door), keep-alive
        "python:sigopt_like.service.gunicorn_conf",
        "--workers",
        str(workers),
        "--threads",
        "8",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        f"sigopt_like.service.wsgi:application(database={database!r})",
    ]


def measure(
    code: Path, cmd: Sequence[str], port: int, token: str, sid: str, clients: int, seconds: float
) -> float:
    url = f"http://127.0.0.1:{port}"
    with process(cmd, env=env_with_path(code), cwd=code):
        wait_http(f"{url}/health")
        warm = python(
            REPO,
            "-c",
            LOAD,
            "127.0.0.1",
            str(port),
            f"/v1/sessions/{sid}",
            token,
            str(clients),
            "1.0",
        )
        if warm.returncode != 0:
            raise SystemExit(warm.stderr[-2000:])
        out = python(
            REPO,
            "-c",
            LOAD,
            "127.0.0.1",
            str(port),
            f"/v1/sessions/{sid}",
            token,
            str(clients),
            str(seconds),
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        if result["errors"]:
            raise SystemExit(f"{cmd[2:4]}: {result['errors']} requests failed")
        return float(result["rps"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    old = baseline_checkout()
    with tempfile.TemporaryDirectory(prefix="perf-load-") as tmp:
        folder = Path(tmp)
        setups = {}
        for name, code in (("baseline", old), ("ours", REPO)):
            database = str(folder / f"{name}.db")
            token = write_token(database, code)
            port = free_port()
            with process(serve_command(database, port), env=env_with_path(code), cwd=code):
                wait_http(f"http://127.0.0.1:{port}/health")
                made = python(REPO, "-c", SESSION, f"http://127.0.0.1:{port}", token, check=True)
            setups[name] = (database, token, made.stdout.strip().splitlines()[-1])
        variants = {
            "0.1.0 serve (waitress)": (
                old,
                lambda p: serve_command(setups["baseline"][0], p),
                "baseline",
            ),
            "serve (waitress)": (REPO, lambda p: serve_command(setups["ours"][0], p), "ours"),
        }
        for workers in (1, 2, 4):
            variants[f"gunicorn (service worker), {workers} worker(s) x 8 threads"] = (
                REPO,
                lambda p, w=workers: _gunicorn(w, setups["ours"][0], p),
                "ours",
            )
        results: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.rounds):
            for name, (code, make, setup) in variants.items():
                port = free_port()
                _, token, sid = setups[setup]
                results[name].append(
                    measure(code, make(port), port, token, sid, args.clients, args.seconds)
                )
    base = median(results["0.1.0 serve (waitress)"])
    figures = [
        Figure(
            f"served fetch throughput, {args.clients} clients: {name}",
            median(values),
            base,
            "rps",
            ">= 2x",
            median(values) / base >= 2.0,
        )
        for name, values in results.items()
        if name != "0.1.0 serve (waitress)"
    ]
    report("served throughput vs 0.1.0's serve (medians; higher is better)", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Many SigOpt clients on one experiment: fallback share and latency (run by hand).

    python benchmarks/concurrent_suggestions.py --clients 20 --rounds 10

Starts a served instance (waitress, the app as ``sigopt-like serve`` builds it, in a
process of its own, on a fresh SQLite file, default time budget 2.5 s) twice:

1. ``per-request``: each suggestion request runs its own engine call, as before the
   requests of one experiment were coalesced (its lines are replaced by one that never
   batches: the rest of the code is the same);
2. ``coalesced``: the service as it ships: requests of one experiment that wait
   together share one engine call.

In each, ``--clients`` threads loop as sigopt-python's users do (``POST
/v1/experiments/{id}/suggestions``, evaluate, ``POST .../observations``) ``--rounds``
times on one experiment that starts with ``--observations`` observations (so every
suggestion needs a model fit). Prints per mode the share of suggestions from the random
fallback (``/metrics``), the engine calls, and the suggestion latency p50 / p90 / max;
``--json`` writes the same.

Every POST carries an ``Idempotency-Key`` of its own, the same on its retries (a dropped
connection, a 503), as docs/integrators.md tells clients to: a suggestion whose answer
was lost is then replayed, not made twice. Before, none did, unlike the library and
sigopt-python's users who follow the docs; that the service replays a repeated key is
checked once, on the experiment's creation, before the clients start.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Hashable, Iterator, Sequence
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODES = ("per-request", "coalesced")
PARAMETERS = [{"name": f"x{i}", "type": "double", "bounds": {"min": 0, "max": 1}} for i in range(5)]


class OneCallPerRequest:
    """A line that never batches: each request runs its own engine call, with its whole
    budget, on inputs it reads itself (what every request did before requests were
    coalesced). It answers what the suggestion route asks a line (``busy``, ``stored``)
    as :class:`~sigopt_like.service.suggestion_batches.SuggestionBatches` does: before,
    it lacked ``stored`` (added to the route since), and every request of this mode was
    a 500."""

    def __init__(self) -> None:
        self._asked = itertools.count()

    def busy(self, key: Hashable) -> bool:
        return True  # the route then leaves the inputs to the engine call, which reads them

    def stored(self) -> int:
        return next(self._asked)  # never the same twice: no call reuses inputs read before

    @contextlib.contextmanager
    def turn(
        self, key: Hashable, choose: Callable[[int], Sequence[Any]], release: Any = None
    ) -> Iterator[Any]:
        yield choose(1)[0]


def serve(database: str, port: int, mode: str, threads: int) -> None:
    """The server process: one service on ``database``, served on ``port``."""
    from sigopt_like.service import create_app
    from sigopt_like.service.serving import create_server

    service = create_app(database=database, auth_required=False, task_processes=0)
    if mode == "per-request":
        service.context.suggestion_batches = OneCallPerRequest()  # type: ignore[assignment]
    create_server(service, "127.0.0.1", port, threads=threads).run()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(database: str, mode: str, threads: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [sys.executable, __file__, "--serve", database, "--port", str(port), "--mode", mode]
    cmd += ["--threads", str(threads)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = open(Path(database).with_suffix(".log"), "wb")  # noqa: SIM115 - the child keeps it
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/health", timeout=1).ok:
                return proc, url
        except requests.ConnectionError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


#: tries of one POST: a connection dropped, a timeout or a 503 is retried with the same key
POST_TRIES = 3


class Unanswered(Exception):
    """A POST that got no answer in :data:`POST_TRIES` tries."""


def post(session: requests.Session, url: str, body: Any, timeout: float) -> requests.Response:
    """One logical POST: a new ``Idempotency-Key``, kept on each retry of it; Unanswered
    when no try got an answer."""
    headers = {"Idempotency-Key": f"bench-{uuid.uuid4().hex}"}
    for attempt in range(1, POST_TRIES + 1):
        try:
            reply = session.post(url, json=body, headers=headers, timeout=timeout)
        except (requests.ConnectionError, requests.Timeout) as err:
            if attempt == POST_TRIES:
                path = "/" + url.split("/", 3)[-1]
                why = "no answer in time" if isinstance(err, requests.Timeout) else "refused"
                raise Unanswered(
                    f"POST {path} got no answer in {POST_TRIES} tries ({why})"
                ) from err
        else:
            if reply.status_code != 503 or attempt == POST_TRIES:
                return reply
        time.sleep(0.5 * attempt)
    raise AssertionError("unreachable")


def unanswered(mode: str, err: Unanswered, proc: subprocess.Popen, log: Path) -> str:
    """One line on a service that stopped answering: what failed, and what to check.
    Before, a client thread printed a ConnectionError traceback (one per thread) and the
    run went on without it; a POST of the main thread ended the run in a traceback."""
    status = proc.poll()
    state = "was still running" if status is None else f"had exited (status {status})"
    tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
    last = f"; the last line of its log: {tail[0][:200]}" if tail else "; its log is empty"
    return (
        f"{mode}: {err}: the service {state}{last} (check memory and the --clients "
        "threads the machine can run)"
    )


def check_replay(session: requests.Session, url: str, body: Any, made: requests.Response) -> None:
    """Stop unless the service answers a repeat of ``made``'s key with its stored answer."""
    key = made.request.headers["Idempotency-Key"]
    again = session.post(url, json=body, headers={"Idempotency-Key": key}, timeout=60)
    if again.headers.get("Idempotent-Replayed") != "true" or again.json() != made.json():
        raise SystemExit(f"the service did not replay an Idempotency-Key: {again.text[:160]}")


def value(assignments: dict[str, float]) -> float:
    """A smooth surface with its peak at 0.3 in every coordinate."""
    return -sum((v - 0.3) ** 2 for v in assignments.values())


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def run_mode(mode: str, args: argparse.Namespace, workdir: str) -> dict[str, Any]:
    database = str(Path(workdir) / f"{mode}.db")
    proc, url = start_server(database, mode, max(args.clients + 4, 8))
    try:
        http = requests.Session()
        experiment = {
            "name": "concurrent",
            "parameters": PARAMETERS,
            "seed": 5,
            "parallel_bandwidth": args.clients,
        }
        made = post(http, f"{url}/v1/experiments", experiment, timeout=60)
        made.raise_for_status()
        check_replay(http, f"{url}/v1/experiments", experiment, made)
        eid = made.json()["id"]
        rng = random.Random(1)
        start = [{p["name"]: rng.random() for p in PARAMETERS} for _ in range(args.observations)]
        post(
            http,
            f"{url}/v1/experiments/{eid}/observations/batch",
            {"observations": [{"assignments": a, "value": value(a)} for a in start]},
            timeout=60,
        ).raise_for_status()
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        gate = threading.Barrier(args.clients)

        unanswered_posts: list[Unanswered] = []

        def client(k: int) -> None:
            try:
                rounds(k)
            except Unanswered as err:  # this client stops; the run stops after the others
                with lock:
                    unanswered_posts.append(err)

        def rounds(k: int) -> None:
            session = requests.Session()
            jitter = random.Random(k)
            gate.wait(60)
            for _ in range(args.rounds):
                began = time.perf_counter()
                reply = post(session, f"{url}/v1/experiments/{eid}/suggestions", {}, timeout=120)
                took = time.perf_counter() - began
                if reply.status_code != 201:
                    with lock:
                        errors.append(f"suggestion {reply.status_code}: {reply.text[:160]}")
                    continue
                with lock:
                    latencies.append(took)
                suggestion = reply.json()
                time.sleep(args.evaluate * jitter.uniform(0.5, 1.5))  # the client's own work
                observed = post(
                    session,
                    f"{url}/v1/experiments/{eid}/observations",
                    {"suggestion": suggestion["id"], "value": value(suggestion["assignments"])},
                    timeout=120,
                )
                if observed.status_code != 201:  # counted; the client goes on, as a loop would
                    with lock:
                        errors.append(f"observation {observed.status_code}: {observed.text[:160]}")

        began = time.perf_counter()
        # daemons: Ctrl-C ends the run without waiting for every client's last request
        threads = [
            threading.Thread(target=client, args=(k,), daemon=True) for k in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began
        if unanswered_posts:
            raise unanswered_posts[0]
        text = http.get(f"{url}/metrics", timeout=60).text
    except Unanswered as err:
        raise SystemExit(unanswered(mode, err, proc, Path(database).with_suffix(".log"))) from None
    finally:
        proc.terminate()
        proc.wait(30)
    sources = {
        source: metric(text, f'sigopt_like_suggestion_choices_total{{source="{source}"}}')
        for source in ("optimizer", "fallback", "random")
    }
    total = sum(sources.values())
    if not latencies:  # before: "no median for empty data", the errors unsaid
        failed = "\n  ".join(sorted(set(errors))[:5])
        raise SystemExit(f"{mode}: no suggestion was made; the service answered:\n  {failed}")
    ordered = sorted(latencies)
    return {
        "mode": mode,
        "suggestions": int(total),
        "errors": errors,
        "by_source": {k: int(v) for k, v in sources.items()},
        "fallback_share": sources["fallback"] / total if total else None,
        "engine_calls": int(metric(text, "sigopt_like_suggestion_batch_size_count")),
        "latency_p50_s": statistics.median(ordered),
        # interpolated as the median is (a nearest rank put p90 below p50 on 2 samples)
        "latency_p90_s": (
            statistics.quantiles(ordered, n=10, method="inclusive")[8]
            if len(ordered) > 1
            else ordered[0]
        ),
        "latency_max_s": ordered[-1],
        "wall_s": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--observations", type=int, default=20)
    parser.add_argument(
        "--evaluate",
        type=float,
        default=0.05,
        help="seconds each client works on a suggestion (0.5x-1.5x)",
    )
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--json", help="write the results to this file")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=24, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.mode, args.threads)
        return
    try:
        run(args)
    except KeyboardInterrupt:  # before: a traceback from the thread joins
        raise SystemExit("interrupted: the servers it started are stopped") from None


def run(args: argparse.Namespace) -> None:
    """Run each mode of ``args.modes``, print its line, and write ``--json``."""
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        for mode in args.modes.split(","):
            result = run_mode(mode, args, workdir)
            results.append(result)
            print(
                f"{mode:12s} suggestions {result['suggestions']:4d}  "
                f"fallback {result['by_source']['fallback']:3d} "
                f"({100 * (result['fallback_share'] or 0):.1f}%)  "
                f"random {result['by_source']['random']:3d}  "
                f"engine calls {result['engine_calls']:4d}  "
                f"latency p50 {result['latency_p50_s']:.2f} s  "
                f"p90 {result['latency_p90_s']:.2f} s  "
                f"max {result['latency_max_s']:.2f} s  wall {result['wall_s']:.1f} s"
                + (f"  errors {len(result['errors'])}" if result["errors"] else ""),
                flush=True,
            )
            for error in sorted(set(result["errors"]))[:5]:
                print(f"  {error}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()

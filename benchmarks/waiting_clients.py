"""How fast a served instance answers others while many clients wait on tasks (run by hand).

    python benchmarks/waiting_clients.py --waiters 200 --requests 400

Starts ``sigopt-like serve --no-tasks`` (the real command, default 8 request
threads, on a fresh SQLite file) so that every task stays queued, makes one
queued task per waiter, then measures, one request after another, ``GET /health``
and another user's ``GET /v1/sessions`` and ``POST /v1/sessions``:

1. with no one waiting (the baseline, measured in the same run);
2. while ``--waiters`` clients wait, half on event streams and half on long
   polls (``?wait=60``, sent again when answered, as the client does), all held
   open by one thread of this script (raw sockets and a selector, so that the
   waiters cost the machine next to nothing).

Prints p50 / p90 / p99 / max latencies in milliseconds per phase and request,
how many waiters were confirmed waiting (a stream's first event received, a long
poll not answered early), and writes the same as JSON (``--json``).
"""

from __future__ import annotations

import argparse
import json
import os
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sigopt_like.service.store import open_store  # noqa: E402

SPACE = {"type": "factorial", "parameters": [{"name": "t", "type": "numerical", "values": [1, 2]}]}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(database: str, port: int) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "sigopt_like.cli", "serve", "--no-tasks", "--db", database]
    cmd += ["--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = open(Path(database).with_suffix(".log"), "wb")  # noqa: SIM115 - the child keeps it
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).ok:
                return proc
        except requests.ConnectionError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


class Waiters:
    """Many raw HTTP requests held open by one thread; long polls are sent again."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.address = (host, port)
        self.token = token
        self.selector = selectors.DefaultSelector()
        self.streams_confirmed = 0
        self.polls_reissued = 0
        self.polls_answered_early = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._lock = threading.Lock()

    def open(self, path: str, kind: str) -> None:
        sock = socket.create_connection(self.address)
        sock.setblocking(False)
        self._send(sock, path)
        state = {"path": path, "kind": kind, "buf": b"", "sent": time.monotonic(), "seen": False}
        with self._lock:
            self.selector.register(sock, selectors.EVENT_READ, state)

    def _send(self, sock: socket.socket, path: str) -> None:
        request = (
            f"GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {self.token}\r\n"
            "Accept: text/event-stream, application/json\r\n\r\n"
        ).encode()
        sock.setblocking(True)
        sock.sendall(request)
        sock.setblocking(False)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                ready = self.selector.select(timeout=0.2) if self.selector.get_map() else []
            for key, _ in ready:
                sock, state = key.fileobj, key.data
                try:
                    chunk = sock.recv(65536)  # type: ignore[union-attr]
                except BlockingIOError:
                    continue
                if not chunk:
                    with self._lock:
                        self.selector.unregister(sock)
                    sock.close()  # type: ignore[union-attr]
                    continue
                state["buf"] += chunk
                if state["kind"] == "stream" and not state["seen"] and b"event: task" in chunk:
                    state["seen"] = True
                    self.streams_confirmed += 1
                if state["kind"] == "poll" and b"\r\n\r\n" in state["buf"]:
                    head, _, body = state["buf"].partition(b"\r\n\r\n")
                    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                    if len(body) >= length:
                        if time.monotonic() - state["sent"] < 50:
                            self.polls_answered_early += 1
                        state["buf"] = b""
                        state["sent"] = time.monotonic()
                        self.polls_reissued += 1
                        self._send(sock, state["path"])  # type: ignore[arg-type]


def measure(url: str, token: str, count: int) -> dict[str, list[float]]:
    http = requests.Session()
    headers = {"Authorization": f"Bearer {token}"}
    out: dict[str, list[float]] = {
        "GET /health": [],
        "GET /v1/sessions": [],
        "POST /v1/sessions": [],
    }
    for _ in range(count):
        for name, call in (
            ("GET /health", lambda: http.get(f"{url}/health", timeout=30)),
            (
                "GET /v1/sessions",
                lambda: http.get(f"{url}/v1/sessions?limit=10", headers=headers, timeout=30),
            ),
            (
                "POST /v1/sessions",
                lambda: http.post(
                    f"{url}/v1/sessions",
                    json={"name": f"m-{time.monotonic_ns()}"},
                    headers=headers,
                    timeout=30,
                ),
            ),
        ):
            started = time.perf_counter()
            reply = call()
            elapsed = time.perf_counter() - started
            if reply.status_code >= 400:
                raise SystemExit(f"{name}: {reply.status_code} {reply.text[:200]}")
            out[name].append(elapsed * 1000)
    return out


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]

    return {
        "n": len(ordered),
        "p50": round(statistics.median(ordered), 2),
        "p90": round(pct(0.90), 2),
        "p99": round(pct(0.99), 2),
        "max": round(ordered[-1], 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--waiters", type=int, default=200)
    parser.add_argument("--requests", type=int, default=400, help="of each kind, per phase")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="sigopt-like-bench-"))
    database = str(folder / "bench.db")
    store = open_store(database)
    accounts = store.accounts
    owner = accounts.create_user("waiter@example.com")
    other = accounts.create_user("other@example.com")
    owner_token = accounts.issue_token(owner.id).token
    other_token = accounts.issue_token(other.id).token
    store.database.engine.dispose()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(database, port)
    try:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {owner_token}"
        tasks = []
        for i in range(args.waiters):
            sid = http.post(f"{url}/v1/sessions", json={"name": f"w{i}"}).json()["id"]
            body = {"space": SPACE, "population_size": 2, "replicates": 0}
            tid = http.put(f"{url}/v1/sessions/{sid}/space", json=body).json()["id"]
            tasks.append((sid, tid))

        measure(url, other_token, 20)  # warm up
        baseline = measure(url, other_token, args.requests)

        waiters = Waiters("127.0.0.1", port, owner_token)
        half = args.waiters // 2
        for i, (sid, tid) in enumerate(tasks):
            if i < half:
                waiters.open(f"/v1/sessions/{sid}/tasks/{tid}/events", "stream")
            else:
                waiters.open(f"/v1/sessions/{sid}/tasks/{tid}?wait=60", "poll")
        waiters.start()
        deadline = time.monotonic() + 60
        while waiters.streams_confirmed < half and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)
        loaded_started = time.monotonic()
        loaded = measure(url, other_token, args.requests)
        loaded_seconds = time.monotonic() - loaded_started
        confirmed = {
            "streams_open_with_first_event": waiters.streams_confirmed,
            "long_polls": args.waiters - half,
            "long_polls_answered_before_50s": waiters.polls_answered_early,
        }
        waiters.stop()
    finally:
        server.terminate()
        server.wait(10)

    result: dict[str, Any] = {
        "command": "python benchmarks/waiting_clients.py " + " ".join(argv or sys.argv[1:]),
        "waiters": args.waiters,
        "requests_per_kind": args.requests,
        "waiting": confirmed,
        "loaded_phase_seconds": round(loaded_seconds, 1),
        "baseline_ms": {k: summary(v) for k, v in baseline.items()},
        "while_waiting_ms": {k: summary(v) for k, v in loaded.items()},
        "cpus": os.cpu_count(),
        "at": time.strftime("%Y-%m-%d"),
    }
    print(f"# {result['command']}")
    print(f"waiting: {confirmed}")
    print(f"{'request':20} {'phase':14} {'p50':>8} {'p90':>8} {'p99':>8} {'max':>8}  (ms)")
    for name in baseline:
        for phase, data in (
            ("no waiters", result["baseline_ms"]),
            (f"{args.waiters} waiting", result["while_waiting_ms"]),
        ):
            s = data[name]
            cells = " ".join(f"{s[k]:8.1f}" for k in ("p50", "p90", "p99", "max"))
            print(f"{name:20} {phase:14} {cells}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""How soon a halt answers the clients waiting on its session's queued task (run by hand).

    python benchmarks/halt_wake.py [--baseline f2ca565] [--rounds 30]

Two servers, ``sigopt-like serve --no-tasks`` (every task stays queued) on fresh SQLite
files: this checkout's and the code at ``--baseline`` (extracted from git). Round after
round, interleaved, on each: a session with a queued task, a long poll on that task
(``?wait=30``) let settle for 0.3 s, then ``POST /v1/sessions/{id}/halt``. Measured: from
the halt's answer to the long poll's (which is checked to be the canceled task).
Prints the medians and the 90th percentiles, and this checkout's ratio to the baseline.

Within one process a halt now wakes its waiters at once; a halt served by another
process (gunicorn workers, several servers on PostgreSQL) is seen at the task watch's
next read of the database, ``task_watch.POLL_SECONDS`` (0.25 s) at most.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from perf_common import (
    REPO,
    Figure,
    baseline_checkout,
    env_with_path,
    free_port,
    median,
    percentile,
    process,
    report,
    serve_command,
    wait_http,
    write_token,
)

SPACE = {
    "space": {
        "type": "factorial",
        "parameters": [{"name": "t", "type": "numerical", "values": [1, 2, 3]}],
    },
    "population_size": 3,
    "replicates": 0,
}


@contextlib.contextmanager
def server(code: Path, folder: str) -> Iterator[tuple[str, requests.Session]]:
    """A served instance of the code at ``code``: its URL and an authorized session."""
    database = str(Path(folder) / f"{code.name}.db")
    token = write_token(database, code)
    port = free_port()
    cmd = serve_command(database, port, split=True)
    with process(cmd, env=env_with_path(code), cwd=str(code)):
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/health")
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {token}"
        yield url, http


def one_round(url: str, http: requests.Session, number: int) -> float:
    """Seconds from a halt's answer to the answer of a long poll on the halted task."""
    sid = http.post(f"{url}/v1/sessions", json={"name": f"wake {number}"}, timeout=30).json()["id"]
    task = http.put(f"{url}/v1/sessions/{sid}/space", json=SPACE, timeout=30).json()
    assert task["status"] == "new", task
    answered: list[float] = []
    polled: list[dict] = []
    poller = requests.Session()
    poller.headers.update(http.headers)

    def poll() -> None:
        answer = poller.get(
            f"{url}/v1/sessions/{sid}/tasks/{task['id']}", params={"wait": 30}, timeout=60
        )
        answered.append(time.perf_counter())
        polled.append(answer.json())

    thread = threading.Thread(target=poll)
    thread.start()
    time.sleep(0.3)
    halted = http.post(f"{url}/v1/sessions/{sid}/halt", timeout=30)
    halted_at = time.perf_counter()
    assert halted.json()["status"] == "halted", halted.text
    thread.join(60)
    assert polled and polled[0]["status"] == "canceled", polled
    return max(0.0, answered[0] - halted_at)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", default="f2ca565")
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    codes = {"baseline": baseline_checkout(args.baseline), "subject": REPO}
    seconds: dict[str, list[float]] = {"baseline": [], "subject": []}
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as stack:
        servers = {side: stack.enter_context(server(code, folder)) for side, code in codes.items()}
        for number in range(args.rounds):
            for side in ("baseline", "subject"):
                url, http = servers[side]
                seconds[side].append(one_round(url, http, number))
    ms = {side: [s * 1000 for s in values] for side, values in seconds.items()}
    report(
        f"halt to long-poll answer, one process, {args.rounds} rounds: "
        f"this checkout vs {args.baseline}",
        [
            Figure("median", median(ms["subject"]), median(ms["baseline"]), "ms", "lower"),
            Figure(
                "90th percentile",
                percentile(ms["subject"], 90),
                percentile(ms["baseline"], 90),
                "ms",
                "lower",
            ),
            Figure("max", max(ms["subject"]), max(ms["baseline"]), "ms", "lower"),
        ],
    )


if __name__ == "__main__":
    main()

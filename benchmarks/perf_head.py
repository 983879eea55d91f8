"""HEAD against GET on JSON routes: what a HEAD costs, and what it could still save.

    python benchmarks/perf_head.py [--observations 1000] [--rounds 5]

A HEAD of a route with a GET runs the GET (``middleware/routing.py``) and drops the
body: the reads that decide its status and the rendering that gives its Content-Length
(the GET's, as ``docs/contract.md`` promises). This prints, in one run, interleaved:

- in the app (``falcon.testing``, no socket): HEAD against GET of an observation list
  of ``--observations`` items (one page) and of one experiment;
- the JSON encoding's share of that GET: the most a HEAD could save by leaving out
  its Content-Length (which HTTP allows) and not encoding the body;
- over ``serve``'s waitress on 127.0.0.1 (a keep-alive connection): HEAD against GET of
  the same list, where HEAD saves sending the body.
"""

from __future__ import annotations

import argparse
import http.client
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from perf_common import Figure, interleaved, median, report


def _fill(conn: Any, observations: int) -> str:
    """An experiment of 8 parameters with ``observations`` observations; its id."""
    params = [{"name": f"p{i}", "type": "double", "bounds": {"min": 0, "max": 1}} for i in range(8)]
    e = conn.experiments.create(name="head", parameters=params, metrics=[{"name": "v"}])
    batch = [
        {"assignments": {f"p{i}": (k * 7 + i) % 100 / 100 for i in range(8)}, "value": k / 1e3}
        for k in range(observations)
    ]
    for start in range(0, observations, 200):
        conn.experiments(e.id).observations.create_batch(batch[start : start + 200])
    return str(e.id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--observations", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from falcon import testing

    import sigopt_like
    from sigopt_like.service.json_answers import dumps
    from sigopt_like.service.serving import create_server

    folder = tempfile.mkdtemp(prefix="perf-head-")
    conn = sigopt_like.Connection(database=f"{folder}/head.db", task_processes=0)
    eid = _fill(conn, args.observations)
    app = conn.service
    listing = f"/v1/experiments/{eid}/observations"
    query = f"limit={min(args.observations, 1000)}"

    def in_app(method: str, path: str, query_string: str = "") -> Any:
        result = testing.simulate_request(app, method, path, query_string=query_string)
        assert result.status_code == 200, result.text
        return result

    body = in_app("GET", listing, query).json
    figures = []
    for name, path, qs in (
        (f"list of {args.observations} observations", listing, query),
        ("one experiment", f"/v1/experiments/{eid}", ""),
    ):
        get, head = interleaved(
            lambda p=path, q=qs: in_app("GET", p, q),
            lambda p=path, q=qs: in_app("HEAD", p, q),
            args.rounds,
            10,
        )
        figures.append(
            Figure(
                f"in the app, HEAD vs GET: {name}", median(head) * 1e3, median(get) * 1e3, "ms", "-"
            )
        )
    encode: list[float] = []
    for _ in range(args.rounds * 10):
        start = time.perf_counter()
        dumps(body)
        encode.append(time.perf_counter() - start)
    get_list = figures[0].baseline
    figures.append(
        Figure(
            "JSON encoding of that list vs its GET (a HEAD's most)",
            median(encode) * 1e3,
            get_list,
            "ms",
            "-",
            note="what leaving out HEAD's Content-Length could save",
        )
    )

    server = create_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        link = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=30)

        def served(method: str) -> None:
            link.request(method, f"{listing}?{query}")
            answer = link.getresponse()
            answer.read()
            assert answer.status == 200, answer.status

        get, head = interleaved(lambda: served("GET"), lambda: served("HEAD"), args.rounds, 10)
        figures.append(
            Figure(
                "served (waitress), HEAD vs GET: the list",
                median(head) * 1e3,
                median(get) * 1e3,
                "ms",
                "-",
            )
        )
        link.close()
    finally:
        server.close()
        conn.close()
    report("HEAD against GET (subject: HEAD; baseline: GET, same run)", figures)


if __name__ == "__main__":
    main()

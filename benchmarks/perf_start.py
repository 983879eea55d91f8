"""Start-up costs of the client and the embedded service, in fresh processes.

    python benchmarks/perf_start.py [--runs 15]

* ``import sigopt_like`` (``from sigopt_like import Connection``) against
  ``import requests`` (goal <= 1.20x);
* import + ``Connection()`` + the first embedded call, against the import alone
  (goal <= 2.0x), on a database that exists (the usual case; a new one is noted);
* what ``Connection()`` loaded and started: heavy modules, threads; and the floor of
  the second figure: importing SQLAlchemy and Falcon alone, in a fresh interpreter;
* both against the old code (``--against``, by default 0.1.0), run the same way in the
  same rounds: what a script waits for before its first answer, in milliseconds.

Each run is a new interpreter; the times are taken inside it (``perf_counter``
around the statements), so interpreter start-up counts for neither side. Runs
alternate between the two sides; medians are reported. "The import" is the same
statement in both figures: ``from sigopt_like import Connection`` (the package
imports its public names on first use, so a bare ``import sigopt_like`` loads
almost nothing and would be no baseline).

The package is byte-compiled first (``compileall``), as ``pip install`` leaves it:
``requests`` and every other installed library come with their ``.pyc`` files, and
an environment with ``PYTHONDONTWRITEBYTECODE=1`` (this project's sandboxes) would
otherwise compile the checkout's sources again in every run, a cost no installed
copy pays (it was 18 of the 28 ms that the client's own modules took to import).
"""

from __future__ import annotations

import argparse
import compileall
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from perf_common import BASELINE_REF, REPO, Figure, baseline_checkout, median, python, report

IMPORT_REQUESTS = """
import time, json
t = time.perf_counter()
import requests
print(json.dumps({"import": time.perf_counter() - t}))
"""

IMPORT_CLIENT = """
import time, json
t = time.perf_counter()
from sigopt_like import Connection
print(json.dumps({"import": time.perf_counter() - t}))
"""

#: the floor of an embedded start: the service's two libraries, imported and nothing else
IMPORT_SERVICE_LIBRARIES = """
import time, json
t = time.perf_counter()
import sqlalchemy, sqlalchemy.dialects.sqlite, falcon
print(json.dumps({"import": time.perf_counter() - t}))
"""

START = """
import time, json, sys, threading
t0 = time.perf_counter()
from sigopt_like import Connection
t1 = time.perf_counter()
conn = Connection(database=sys.argv[1])
t2 = time.perf_counter()
conn.sessions.list(limit=1)
t3 = time.perf_counter()
heavy = sorted(m for m in ("numpy", "scipy", "sklearn", "matplotlib", "pandas", "alembic")
               if m in sys.modules)
threads = sorted(t.name for t in threading.enumerate() if t is not threading.main_thread())
conn.close()
print(json.dumps({"import": t1 - t0, "connection": t2 - t1, "first_call": t3 - t2,
                  "heavy": heavy, "threads": threads}))
"""


def _run(code: str, *args: str, where: Path = REPO) -> dict:
    out = python(where, "-c", code, *args, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _total(start: dict) -> float:
    return start["import"] + start["connection"] + start["first_call"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--against", default=BASELINE_REF, help="the old code's git ref ('' for none)"
    )
    args = parser.parse_args(argv)
    old = baseline_checkout(args.against) if args.against else None
    for code in (REPO, old):
        if code is not None:  # byte-compiled, as an installed copy is
            compileall.compile_dir(str(code / "sigopt_like"), quiet=1)
    requests_s: list[float] = []
    client_s: list[float] = []
    starts: list[dict] = []
    libraries_s: list[float] = []
    old_client_s: list[float] = []
    old_starts: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="perf-start-") as tmp:
        database = str(Path(tmp) / "start.db")
        old_database = str(Path(tmp) / "old.db")
        fresh = _run(START, str(Path(tmp) / "fresh.db"))  # creates the schema
        _run(START, database)  # the database exists from here on
        if old is not None:
            _run(START, old_database, where=old)
        for _ in range(args.runs):
            requests_s.append(_run(IMPORT_REQUESTS)["import"])
            client_s.append(_run(IMPORT_CLIENT)["import"])
            starts.append(_run(START, database))
            libraries_s.append(_run(IMPORT_SERVICE_LIBRARIES)["import"])
            if old is not None:
                old_client_s.append(_run(IMPORT_CLIENT, where=old)["import"])
                old_starts.append(_run(START, old_database, where=old))
    imp = median(client_s) * 1e3
    req = median(requests_s) * 1e3
    alone = median([s["import"] for s in starts]) * 1e3
    total = median([_total(s) for s in starts]) * 1e3
    parts = (
        f"Connection() {median([s['connection'] for s in starts]) * 1e3:.0f} ms, first call "
        f"{median([s['first_call'] for s in starts]) * 1e3:.1f} ms; new database: "
        f"{(fresh['connection'] + fresh['first_call']) * 1e3:.0f} ms"
    )
    last = starts[-1]
    report(
        "start-up (medians of fresh interpreters, interleaved)",
        [
            Figure(
                "import sigopt_like vs import requests",
                imp,
                req,
                "ms",
                "<= 1.20x",
                imp / req <= 1.20,
            ),
            Figure(
                "import + Connection() + first embedded call vs import alone",
                total,
                alone,
                "ms",
                "<= 2.0x",
                total / alone <= 2.0,
                parts,
            ),
            *(
                [
                    Figure(
                        f"  import sigopt_like vs the old code's ({args.against})",
                        imp,
                        median(old_client_s) * 1e3,
                        "ms",
                        "-",
                    ),
                    Figure(
                        f"  import + Connection() + first call vs the old code's ({args.against})",
                        total,
                        median([_total(s) for s in old_starts]) * 1e3,
                        "ms",
                        "-",
                    ),
                ]
                if old is not None
                else []
            ),
        ],
    )
    print(
        f"loaded by Connection(): {', '.join(last['heavy']) or 'nothing heavy'}; "
        f"threads: {', '.join(last['threads']) or 'none'}"
    )
    floor = median(libraries_s) * 1e3
    print(
        f"floor: importing SQLAlchemy + its SQLite dialect + Falcon alone takes {floor:.0f} ms, "
        f"so import + start cannot be under {(alone + floor) / alone:.2f}x the import alone"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

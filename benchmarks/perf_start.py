"""Start-up costs of the client and the embedded service, in fresh processes.

    python benchmarks/perf_start.py [--runs 15]

* ``import sigopt_like`` (``from sigopt_like import Connection``) against
  ``import requests`` (goal <= 1.20x);
* import + ``Connection()`` + the first embedded call, against the import alone
  (goal <= 2.0x), on a database that exists (the usual case; a new one is noted);
* what ``Connection()`` loaded and started: heavy modules, threads; and the floor of
  the second figure: the service's libraries (SQLAlchemy, its SQLite dialect, the
  ``sqlite3`` driver, Falcon) imported in the same interpreter right after the client's
  import, as an embedded start meets them (what ``requests`` already loaded, such as
  ``http.client``, ``email`` or ``urllib.request``, is not counted twice); then the same
  libraries doing the least an embedded call needs (a Falcon app with one route, an
  engine on the file, one Core ``SELECT`` through the app); and, for comparison with
  earlier runs, the old figure: the libraries imported in a fresh interpreter, which
  counts again the standard library that ``requests`` loads;
* both against the old code (``--against``, by default 0.1.0), run the same way in the
  same rounds: what a script waits for before its first answer, in milliseconds.

Each run is a new interpreter; the times are taken inside it (``perf_counter``; the
CPU time of the process, ``process_time``, is printed too: other jobs on a shared
machine move it less), around the statements, so interpreter start-up counts for neither side. Runs
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

#: the old floor: the service's libraries imported alone in a fresh interpreter (this
#: counts again what ``requests`` already loaded: http.client, email, urllib.request, ...)
IMPORT_SERVICE_LIBRARIES = """
import time, json
t = time.perf_counter()
import sqlalchemy, sqlalchemy.dialects.sqlite, sqlite3, falcon
print(json.dumps({"import": time.perf_counter() - t}))
"""

#: the floor of an embedded start: the client imported (timed, the ratio's denominator),
#: then the service's libraries in the same interpreter, as an embedded start meets them;
#: then the least work these libraries do for a first embedded call: a Falcon app with
#: one route, an engine on the file, one Core SELECT through the app
FLOOR = """
import time, json, sys, io
c0, t0 = time.process_time(), time.perf_counter()
from sigopt_like import Connection
c1, t1 = time.process_time(), time.perf_counter()
import sqlalchemy as sa, sqlalchemy.dialects.sqlite, sqlite3, falcon
c2, t2 = time.process_time(), time.perf_counter()
meta = sa.MetaData()
table = sa.Table("meta", meta, sa.Column("key", sa.String(64), primary_key=True),
                 sa.Column("value", sa.Text, nullable=False))
engine = sa.create_engine("sqlite:///" + sys.argv[1])

class Rows:
    def on_get(self, req, resp):
        with engine.connect() as conn:
            rows = conn.execute(sa.select(table).limit(1))
            resp.media = {"data": [dict(row._mapping) for row in rows]}

app = falcon.App()
app.add_route("/v1/rows", Rows())
environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/v1/rows", "QUERY_STRING": "",
           "SERVER_NAME": "x", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
           "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr}
body = b"".join(app(environ, lambda status, headers, exc_info=None: None))
c3, t3 = time.process_time(), time.perf_counter()
assert body.startswith(b'{"data"'), body
engine.dispose()
print(json.dumps({"import": t1 - t0, "libraries": t2 - t1, "least_work": t3 - t2,
                  "cpu_import": c1 - c0, "cpu_libraries": c2 - c1, "cpu_least_work": c3 - c2}))
"""

START = """
import time, json, sys, threading
c0, t0 = time.process_time(), time.perf_counter()
from sigopt_like import Connection
c1, t1 = time.process_time(), time.perf_counter()
conn = Connection(database=sys.argv[1])
t2 = time.perf_counter()
conn.sessions.list(limit=1)
c3, t3 = time.process_time(), time.perf_counter()
heavy = sorted(m for m in ("numpy", "scipy", "sklearn", "matplotlib", "pandas", "alembic")
               if m in sys.modules)
threads = sorted(t.name for t in threading.enumerate() if t is not threading.main_thread())
conn.close()
print(json.dumps({"import": t1 - t0, "connection": t2 - t1, "first_call": t3 - t2,
                  "cpu_import": c1 - c0, "cpu_start": c3 - c1, "heavy": heavy,
                  "threads": threads}))
"""


def _run(code: str, *args: str, where: Path = REPO) -> dict:
    out = python(where, "-c", code, *args, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _total(start: dict) -> float:
    return start["import"] + start["connection"] + start["first_call"]


def _floor_ms(floors: list[dict[str, float]], prefix: str) -> tuple[float, float, float]:
    """Medians in ms of the floor runs: the import, the libraries after it, and the
    libraries with the least work of a first call (``prefix`` "cpu_" for CPU time)."""

    def ms(*keys: str) -> float:
        return median([sum(f[prefix + k] for k in keys) for f in floors]) * 1e3

    return ms("import"), ms("libraries"), ms("libraries", "least_work")


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
    floors: list[dict] = []
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
            floors.append(_run(FLOOR, database))
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
    floor_import, libraries, least = _floor_ms(floors, "")
    print(
        f"floor: SQLAlchemy + its SQLite dialect + sqlite3 + Falcon, imported right after "
        f"the client's import in the same interpreter (as an embedded start meets them), add "
        f"{libraries:.0f} ms to its {floor_import:.0f} ms: import + start cannot be under "
        f"{(floor_import + libraries) / floor_import:.2f}x the import alone; with the least "
        f"work of a first call (a Falcon app with one route, an engine, one SELECT through "
        f"the app) {least:.0f} ms: {(floor_import + least) / floor_import:.2f}x"
    )
    cpu_import = median([s["cpu_import"] for s in starts]) * 1e3
    cpu_total = median([s["cpu_import"] + s["cpu_start"] for s in starts]) * 1e3
    cpu_floor_import, cpu_libraries, cpu_least = _floor_ms(floors, "cpu_")
    print(
        f"the same in CPU time (the process's own, less moved by other jobs on the machine): "
        f"import {cpu_import:.0f} ms, import + Connection() + first call {cpu_total:.0f} ms, "
        f"{cpu_total / cpu_import:.2f}x; floor {1 + cpu_libraries / cpu_floor_import:.2f}x, "
        f"with the least work {1 + cpu_least / cpu_floor_import:.2f}x"
    )
    old_floor = median(libraries_s) * 1e3
    print(
        f"old floor figure (counts twice the standard library requests already loaded): the "
        f"same libraries imported alone in a fresh interpreter take {old_floor:.0f} ms, "
        f"{(alone + old_floor) / alone:.2f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

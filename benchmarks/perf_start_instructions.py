"""Start-up costs counted in instructions executed (valgrind), which other jobs on a
shared machine do not move, where ``perf_start.py``'s times are.

    python benchmarks/perf_start_instructions.py [--against REF]

Each line is one fresh interpreter run under ``valgrind --tool=callgrind`` (about 25 s
each, run in parallel); the count of an interpreter that imports only what the scripts
share is taken off each, so the figures are the statements' own: the client's import,
the service's libraries after it (the floor), the least work they do for a first call,
the embedded start (import + ``Connection()`` + first call, as ``perf_start.py`` times
it), the same with the garbage collector off (what its collections cost), a remote
``Connection()`` (what any start pays: attrs, the configuration, the transport), and
the campaign models built on their own. With ``--against REF`` the start of the code at
that git ref is counted too.
"""

from __future__ import annotations

import argparse
import compileall
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from perf_common import REPO, baseline_checkout, env_with_path
from perf_start import FLOOR, START

BASE = "import time, json, sys, io, threading\n"
IMPORT = BASE + "from sigopt_like import Connection\n"
LIBRARIES = IMPORT + "import sqlalchemy, sqlalchemy.dialects.sqlite, sqlite3, falcon\n"
NO_GC = (
    BASE + "import gc\nfrom sigopt_like import Connection\ngc.disable()\n"
    "c = Connection(database=sys.argv[1]); c.sessions.list(limit=1); c.close()\n"
)
REMOTE = IMPORT + "c = Connection('http://127.0.0.1:9', 'token')\n"
MODELS_BEFORE = (
    IMPORT + "import attrs, sigopt_like.spaces, sigopt_like.tables, sigopt_like.config\n"
)
MODELS = MODELS_BEFORE + "import sigopt_like.models\n"
VALGRIND = ("valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null")


def count(code: Path, script: str, database: str) -> float:
    """Millions of instructions of one run of ``script`` importing the code at ``code``."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as file:
        file.write(script)
    out = subprocess.run(
        [*VALGRIND, sys.executable, file.name, database],
        env={**env_with_path(code), "PYTHONHASHSEED": "0"},
        cwd=str(code),
        capture_output=True,
        text=True,
        check=True,
    )
    Path(file.name).unlink()
    found = re.search(r"Collected : (\d+)", out.stderr)
    if found is None:
        raise RuntimeError(out.stderr[-2000:])
    return int(found.group(1)) / 1e6


def _first_start(code: Path, database: Path) -> str:
    """Make ``database`` with one start of ``code`` (the measured starts open one that exists)."""
    subprocess.run(
        [sys.executable, "-c", START, str(database)],
        env=env_with_path(code),
        cwd=code,
        check=True,
        capture_output=True,
    )
    return str(database)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", default="", help="also count the start of this git ref")
    parser.add_argument("--jobs", type=int, default=4)
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed", file=sys.stderr)
        return 2
    old = baseline_checkout(args.against) if args.against else None
    for code in (REPO, old):
        if code is not None:
            compileall.compile_dir(str(code / "sigopt_like"), quiet=1)
    with tempfile.TemporaryDirectory(prefix="perf-start-ir-") as tmp:
        database = _first_start(REPO, Path(tmp) / "start.db")
        runs = {
            "base": (REPO, BASE),
            "import": (REPO, IMPORT),
            "libraries": (REPO, LIBRARIES),
            "least": (REPO, FLOOR),
            "start": (REPO, START),
            "no_gc": (REPO, NO_GC),
            "remote": (REPO, REMOTE),
            "models_before": (REPO, MODELS_BEFORE),
            "models": (REPO, MODELS),
        }
        if old is not None:
            old_database = _first_start(old, Path(tmp) / "old.db")
            runs["old_start"] = (old, START)
        with ThreadPoolExecutor(args.jobs) as pool:
            futures = {
                name: pool.submit(
                    count, code, script, old_database if name == "old_start" else database
                )
                for name, (code, script) in runs.items()
            }
            n = {name: future.result() for name, future in futures.items()}
    base = n["base"]
    imp = n["import"] - base
    floor = n["libraries"] - base
    least = n["least"] - base
    start = n["start"] - base
    lines = [
        ("the import (from sigopt_like import Connection)", imp, ""),
        (
            "  + SQLAlchemy, its SQLite dialect, sqlite3, Falcon",
            floor - imp,
            f"floor {floor / imp:.2f}x",
        ),
        ("  + their least work for a first call", least - floor, f"floor {least / imp:.2f}x"),
        ("import + Connection() + first embedded call", start, f"{start / imp:.2f}x the import"),
        ("  above the floor", start - floor, ""),
        ("  above the least-work floor, of which:", start - least, ""),
        ("    garbage collections (the run with gc off: less)", n["start"] - n["no_gc"], ""),
        ("    a remote Connection() (attrs, config, transport)", n["remote"] - n["import"], ""),
        ("    the campaign models (sigopt_like.models)", n["models"] - n["models_before"], ""),
    ]
    print("\n== start-up in instructions executed (millions; valgrind)")
    for name, value, note in lines:
        print(f"{name:<54} {value:8.0f} M   {note}".rstrip())
    if old is not None:
        old_start = n["old_start"] - base
        print(
            f"{'the start of ' + args.against:<54} {old_start:8.0f} M   "
            f"{old_start / imp:.2f}x the import; above the floor {old_start - floor:.0f} M"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

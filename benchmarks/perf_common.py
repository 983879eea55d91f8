"""Shared pieces of the performance scripts (``perf_*.py``): timing, servers, reports.

Every figure is printed next to its baseline measured in the same run, as a
ratio, with the goal of issue #12. Measurements are interleaved (baseline, then
subject, round after round) and summarised by medians, so that a busy machine
slows both alike.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import attrs

REPO = Path(__file__).resolve().parents[1]
BASELINE_REF = "5dfe3e8"  # sigopt_like 0.1.0, for the figures whose baseline is the old code


@attrs.frozen
class Figure:
    """One line of the report: subject vs baseline, their ratio, and the goal."""

    name: str
    subject: float
    baseline: float
    unit: str
    goal: str
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.subject / self.baseline if self.baseline else float("inf")

    def line(self) -> str:
        verdict = {True: "met", False: "NOT MET", None: "-"}[self.met]
        return (
            f"{self.name:<58} {self.subject:>10.{_digits(self.subject)}f} {self.unit:<4}"
            f" vs {self.baseline:>10.{_digits(self.baseline)}f} {self.unit:<4}"
            f" ratio {self.ratio:>6.2f}x   goal {self.goal:<12} {verdict}"
            + (f"   ({self.note})" if self.note else "")
        )


def _digits(value: float) -> int:
    return 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 3


def report(title: str, figures: Sequence[Figure]) -> None:
    """Print a block of figures."""
    print(f"\n== {title}")
    for figure in figures:
        print(figure.line())
    sys.stdout.flush()


def interleaved(
    baseline: Callable[[], object], subject: Callable[[], object], rounds: int, per_round: int
) -> tuple[list[float], list[float]]:
    """Per-call seconds of ``baseline`` and ``subject``, alternating in rounds."""
    base: list[float] = []
    subj: list[float] = []
    for _ in range(rounds):
        for fn, out in ((baseline, base), (subject, subj)):
            for _ in range(per_round):
                start = time.perf_counter()
                fn()
                out.append(time.perf_counter() - start)
    return base, subj


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100), nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 60.0) -> None:
    """Wait until ``url`` answers (any status)."""
    import requests

    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextlib.contextmanager
def process(
    cmd: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> Iterator[subprocess.Popen]:
    """A child process (its own group), stopped with SIGTERM then SIGKILL."""
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in finally, after the child
    proc = subprocess.Popen(
        list(cmd),
        env=env,
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if proc.returncode not in (0, -signal.SIGTERM, -signal.SIGKILL):
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace")[-3000:])
        log.close()


def serve_command(database: str, port: int, *, split: bool = False) -> list[str]:
    """``sigopt-like serve`` on 127.0.0.1:``port`` over ``database`` (``split``: no tasks,
    a ``worker_command`` process runs them)."""
    return [
        sys.executable,
        "-m",
        "sigopt_like",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--db",
        database,
        *(["--no-tasks"] if split else []),
    ]


def worker_command(database: str) -> list[str]:
    """A task worker process over ``database``."""
    return [sys.executable, "-m", "sigopt_like.service.worker", "--db", database]


def rss_mb(pid: int) -> float:
    """Resident memory of a process, MB (from /proc)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def commit_of(ref: str, repo: Path = REPO) -> str:
    """The commit ``ref`` names now in ``repo`` (a branch such as ``main`` moves)."""
    return subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--verify", f"{ref}^{{commit}}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def baseline_checkout(
    ref: str = BASELINE_REF, *, repo: Path = REPO, cache: Path | None = None
) -> Path:
    """An extracted copy of ``repo`` at ``ref`` (the old code, for baselines).

    ``ref`` is resolved to the commit it names now and the copy is kept by that commit
    (under ``cache``, the temporary folder by default): a branch such as ``main`` that
    has moved since an earlier run gets a new copy, never the stale one. The copy is
    extracted beside its place and renamed into it, so an interrupted run leaves no
    half copy behind to be taken for a whole one.
    """
    commit = commit_of(ref, repo)
    folder = Path(tempfile.gettempdir()) if cache is None else cache
    target = folder / f"sigopt-like-baseline-{commit}"
    if not (target / "sigopt_like").is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(repo), "archive", commit], check=True, capture_output=True
        ).stdout
        staging = Path(tempfile.mkdtemp(prefix=f"{target.name}.", dir=folder))
        try:
            subprocess.run(["tar", "-x", "-C", str(staging)], input=archive, check=True)
            with contextlib.suppress(OSError):  # another run's copy of it got there first
                staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def env_with_path(path: Path | str) -> dict[str, str]:
    """This environment with ``path`` first on PYTHONPATH (which code a child imports;
    run the child with ``cwd=path`` too: the current folder comes first on its path)."""
    return {**os.environ, "PYTHONPATH": str(path)}


def python(code: Path | str, *args: str, **kw: object) -> subprocess.CompletedProcess:
    """Run ``python *args`` importing sigopt_like from the checkout at ``code``."""
    return subprocess.run(
        [sys.executable, *args],
        env=env_with_path(code),
        cwd=str(code),
        capture_output=True,
        text=True,
        **kw,  # type: ignore[call-overload]
    )


def write_token(database: str, code: Path | str) -> str:
    """Create a user and a token in ``database`` with the code at ``code``; the token."""
    script = (
        "import sys\n"
        "try:\n"
        "    from sigopt_like.service.store import open_store\n"
        "    s = open_store(sys.argv[1]); a = s.accounts\n"
        "    u = a.create_user('bench@example.com'); print(a.issue_token(u.id).token); s.close()\n"
        "except ImportError:\n"
        "    from sigopt_like.service.store.db import open_database\n"
        "    from sigopt_like.service.accounts import create_user, issue_token\n"
        "    e = open_database(sys.argv[1]); u = create_user(e, 'bench@example.com')\n"
        "    print(issue_token(e, u.id).token)\n"
    )
    out = python(code, "-c", script, database, check=True)
    return out.stdout.strip().splitlines()[-1]

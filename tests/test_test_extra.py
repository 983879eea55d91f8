"""Every optional module a test reaches for is one the 'test' extra installs.

CI installs ``.[test]`` and fails any skipped test, so a test that skips without a
benchmark-only dependency (BayBE, Optuna: the 'bench' extra) passes on a developer's
machine and turns CI red. This check fails on that machine first.
"""

from __future__ import annotations

import ast
import re
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

from packaging.requirements import Requirement

TESTS = Path(__file__).resolve().parent
PROJECT = TESTS.parent


def _optional_modules() -> dict[str, list[str]]:
    """Top-level module -> the test files that ``importorskip`` it."""
    found: dict[str, list[str]] = {}
    for path in sorted(TESTS.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", None) == "importorskip"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                top = node.args[0].value.split(".")[0]
                found.setdefault(top, []).append(str(path.relative_to(PROJECT)))
    return found


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed_by_test_extra() -> set[str]:
    """The distributions ``pip install .[test]`` brings: its requirements and theirs."""
    wanted = [
        Requirement(r)
        for r in requires("sigopt_like") or []
        if Requirement(r).marker is None or Requirement(r).marker.evaluate({"extra": "test"})
    ]
    seen: set[str] = set()
    while wanted:
        req = wanted.pop()
        name = _canonical(req.name)
        if name in seen:
            continue
        seen.add(name)
        try:
            inner = requires(req.name) or []
        except PackageNotFoundError:
            continue
        for text in inner:
            sub = Requirement(text)
            extras = req.extras or {""}
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in extras):
                wanted.append(sub)
    return seen


def test_every_importorskip_names_a_module_the_test_extra_installs() -> None:
    modules = _optional_modules()
    assert "sigopt" in modules  # the scan sees the SigOpt client's tests
    installed = _installed_by_test_extra()
    owners = packages_distributions()
    outside = {
        module: files
        for module, files in modules.items()
        if not any(_canonical(d) in installed for d in owners.get(module, []))
    }
    assert not outside, (
        f"these tests need modules the 'test' extra does not install, so CI would skip "
        f"(and fail) them: {outside}; add the distribution to the 'test' extra in setup.py, "
        f"or move the check where its extra is installed (benchmarks/peer_checks/)"
    )

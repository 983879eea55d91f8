"""Layers one way, checked by import-linter: the contracts are in pyproject.toml
(``[tool.importlinter]``) and ``lint-imports`` checks them; this module runs it, so the
README's test command and CI do too. The client imports the service only to start it
embedded; nothing but ``python -m sigopt_like`` imports the command line; only the store
speaks SQL; the service imports only the client's pure modules; resources over the store
over the domain over the optimizer; the HTTP layer on top.

Before, one rule (the service never imports the command line) was checked by a
hand-written walk of the files here, and the others by nobody: the error hierarchy, a pure
module the service imports through ``tables``, imported the transport (and ``requests``)
for its Retry-After parser.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sigopt_like

PACKAGE = Path(sigopt_like.__file__).resolve().parent
PROJECT = PACKAGE.parent


def _lint_imports(where: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` (the one next to this Python, as a developer runs it) in ``where``,
    which it reads the contracts and the package from; no cache left behind."""
    program = Path(sys.executable).with_name("lint-imports")
    found = str(program) if program.exists() else shutil.which("lint-imports")
    assert found, "lint-imports is missing: pip install -e '.[test]' installs import-linter"
    return subprocess.run(
        [found, "--no-cache", "--no-logo", *args],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_import_contracts_are_kept() -> None:
    done = _lint_imports(PROJECT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert " 0 broken." in done.stdout, done.stdout


#: (contract id, file under sigopt_like/, an import added at its end, a module the
#: broken contract's report names); each is a form a forbidden import has taken or could:
#: relative, inside a function (lazy), or of an outside package
FORBIDDEN = [
    (
        "client-starts-service",
        "transport.py",
        "def _stores():\n    from .service.store import db\n",
        "sigopt_like.transport",
    ),
    (
        "cli-on-top",
        "service/wsgi.py",
        "def _check():\n    from ..cli.database import check\n",
        "sigopt_like.service.wsgi",
    ),
    (
        "sql-in-store",
        "service/resources/system.py",
        "def _count():\n    import sqlalchemy\n",
        "sigopt_like.service.resources.system",
    ),
    (
        "drivers-in-store",
        "service/worker.py",
        "def _driver():\n    import psycopg\n",
        "sigopt_like.service.worker",
    ),
    (
        "service-pure-client",
        "errors.py",  # as RateLimitError.retry_after once did
        "def _parse():\n    from .transport import parse_retry_after\n",
        "sigopt_like.errors",
    ),
    (
        "service-layers",
        "service/domain/campaign.py",
        "def _store():\n    from ..store import errors\n",
        "sigopt_like.service.domain.campaign",
    ),
    (
        "http-on-top",
        "service/store/sessions.py",
        "def _http():\n    import falcon\n",
        "sigopt_like.service.store.sessions",
    ),
    (
        "optimizer-alone",
        "service/optimizer/engine.py",
        "def _simulate():\n    from .. import simulator\n",
        "sigopt_like.service.optimizer.engine",
    ),
]


@pytest.mark.parametrize(
    ("contract", "file", "added", "importer"), FORBIDDEN, ids=[row[0] for row in FORBIDDEN]
)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, contract: str, file: str, added: str, importer: str
) -> None:
    """Not blind: in a copy of the package with one forbidden import added, the contract
    that forbids it is broken, and its report names the module that imports."""
    shutil.copy(PROJECT / "pyproject.toml", tmp_path)
    shutil.copytree(PACKAGE, tmp_path / "sigopt_like", ignore=shutil.ignore_patterns("__pycache__"))
    kept = _lint_imports(tmp_path, "--contract", contract)
    assert kept.returncode == 0, kept.stdout + kept.stderr  # the copy as it is: kept
    with (tmp_path / "sigopt_like" / file).open("a", encoding="utf-8") as out:
        out.write("\n\n" + added)
    broken = _lint_imports(tmp_path, "--contract", contract)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "Contracts: 0 kept, 1 broken." in broken.stdout, broken.stdout
    assert importer in broken.stdout, broken.stdout


def test_the_privilege_sqlstate_is_told_in_one_place() -> None:
    """PostgreSQL's insufficient_privilege (SQLSTATE 42501) is the store's to recognise
    (``store/refusals.py``: ``is_privilege_error``); the pure module that says why a
    database cannot be opened asks it there, lazily, as it does for the GRANTs it names.
    Before, ``database_targets.py`` held a second copy of the code."""
    holders = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if '"42501"' in path.read_text(encoding="utf-8")
    )
    assert holders == ["service/store/refusals.py"], holders

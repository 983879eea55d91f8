"""Layers one way: the command line is built on the service and the client, never the
reverse. The WSGI factory once imported the command line's database check (lazily, so
nothing failed); the check now lives in a pure module both import."""

from __future__ import annotations

import ast
from pathlib import Path

import sigopt_like

PACKAGE = Path(sigopt_like.__file__).resolve().parent
SERVICE = PACKAGE / "service"


def _imported_modules(source: str, path: Path) -> set[str]:
    """Every module a file at ``path`` with ``source`` imports, at any depth of the file,
    relative imports resolved (``from ..cli import x`` gives ``sigopt_like.cli`` and
    ``sigopt_like.cli.x``)."""
    package = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _reaches_cli(source: str, path: Path) -> list[str]:
    return sorted(
        name
        for name in _imported_modules(source, path)
        if name == "sigopt_like.cli" or name.startswith("sigopt_like.cli.")
    )


def test_the_service_never_imports_the_command_line() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): found
        for path in sorted(SERVICE.rglob("*.py"))
        if (found := _reaches_cli(path.read_text(encoding="utf-8"), path))
    }
    assert offenders == {}, f"the service imports the command line: {offenders}"


def test_the_check_sees_relative_and_lazy_imports() -> None:
    """Not blind: the form the WSGI factory used (relative, inside a function) is found,
    and a sibling module of the same name is not taken for the command line's."""
    lazy = "def application():\n    from ..cli.database import check\n    from .. import cli\n"
    assert _reaches_cli(lazy, SERVICE / "wsgi.py") == [
        "sigopt_like.cli",
        "sigopt_like.cli.database",
        "sigopt_like.cli.database.check",
    ]
    assert _reaches_cli("import sigopt_like.cli.root\n", SERVICE / "app.py") == [
        "sigopt_like.cli.root"
    ]
    assert _reaches_cli("from .store import database\n", SERVICE / "wsgi.py") == []


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

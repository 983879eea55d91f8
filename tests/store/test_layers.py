"""The store is the one room that speaks SQL: no other module of the package imports
SQLAlchemy (or a database driver), and the resources reach data only through the
stores they are handed."""

from __future__ import annotations

import ast
from pathlib import Path

import sigopt_like

PACKAGE = Path(sigopt_like.__file__).resolve().parent
STORE = PACKAGE / "service" / "store"
SQL_MODULES = ("sqlalchemy", "sqlite3", "psycopg", "psycopg2", "alembic")
#: modules allowed to keep their own SQL for a while (none now)
NOT_YET_MOVED: tuple[Path, ...] = ()


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _speaks_sql(path: Path) -> list[str]:
    return sorted(name for name in _imports(path) if name.split(".")[0] in SQL_MODULES)


def test_only_the_store_imports_sqlalchemy() -> None:
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.is_relative_to(STORE) or any(path.is_relative_to(p) for p in NOT_YET_MOVED):
            continue
        found = _speaks_sql(path)
        if found:
            offenders[str(path.relative_to(PACKAGE))] = found
    assert offenders == {}, f"SQL outside service/store/: {offenders}"


def test_the_check_sees_an_import(tmp_path: Path) -> None:
    """The check is not blind: it finds each form of import it must refuse."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import sqlalchemy as sa\nfrom sqlalchemy.orm import Session\n"
        "def f():\n    import sqlite3\n",
        encoding="utf-8",
    )
    assert _speaks_sql(sample) == ["sqlalchemy", "sqlalchemy.orm", "sqlite3"]


def test_the_allow_list_only_names_what_still_speaks_sql() -> None:
    """An allow-list entry goes as soon as its modules stop importing SQL."""
    for folder in NOT_YET_MOVED:
        assert any(_speaks_sql(p) for p in folder.rglob("*.py")), (
            f"{folder.relative_to(PACKAGE)} no longer speaks SQL: remove it from NOT_YET_MOVED"
        )

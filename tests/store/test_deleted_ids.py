"""No table whose rows the store deletes can give a deleted row's id to a new row.

SQLite gives an ``INTEGER PRIMARY KEY`` the largest id in the table plus one unless the
table is AUTOINCREMENT, so deleting the newest row hands its id to the next one (what
revision 0015 fixed for ``observations`` and ``queued_suggestions``). A table added
later with hard deletes could miss it: this test finds every table the store deletes
rows of, by reading the store's own source, and inspects the real schema, new and
migrated, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from sigopt_like.service.store import migrate, open_store

STORE = Path(migrate.__file__).resolve().parent

#: tables whose rows are deleted but whose ids never leave the store: no request names
#: one, no cursor pages over them, no row points at them. A reused id there is harmless;
#: a table joins this list only with the reason.
IDS_NEVER_SHOWN = {
    "generations": "addressed by (session, gen); its id is never shown",
    "analytics_files": "addressed by (session, gen, name); its id only orders a listing",
    "idempotency_keys": "addressed by (owner, key); a claim's id lives in its transaction",
}

_SQL_DELETE = re.compile(r"\bDELETE\s+FROM\s+\"?(\w+)", re.IGNORECASE)


def _resolve(node: ast.expr, module: object) -> object:
    """The object a name or dotted name of ``module`` stands for (None if not simple)."""
    if isinstance(node, ast.Name):
        return getattr(module, node.id, None)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, module)
        return None if owner is None else getattr(owner, node.attr, None)
    return None


def _deletes_in(path: Path) -> tuple[set[str], list[str]]:
    """The tables a store module deletes rows of, and the deletes whose table it cannot
    name (``file:line``)."""
    module = importlib.import_module(f"sigopt_like.service.store.{path.stem}")
    tables: set[str] = set()
    unnamed: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            tables.update(_SQL_DELETE.findall(node.value))
            continue
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "delete":
            if isinstance(func.value, ast.Name) and func.value.id in ("sa", "sqlalchemy"):
                target = node.args[0] if node.args else None  # sa.delete(T)
            elif not node.args and not node.keywords:
                target = func.value  # T.delete()
            else:
                continue  # a method of ours called delete, with its arguments
        elif isinstance(func, ast.Name) and func.id == "delete" and node.args:
            target = node.args[0]  # from sqlalchemy import delete
        else:
            continue
        table = None if target is None else _resolve(target, module)
        if isinstance(table, sa.Table):
            tables.add(table.name)
        else:
            unnamed.append(f"{path.name}:{node.lineno}")
    return tables, unnamed


def deleted_tables() -> set[str]:
    """Every table the store deletes rows of (its migrations aside)."""
    tables: set[str] = set()
    unnamed: list[str] = []
    for path in sorted(STORE.glob("*.py")):
        found, unknown = _deletes_in(path)
        tables |= found
        unnamed += unknown
    assert not unnamed, f"deletes whose table this test cannot name: {unnamed}"
    return tables


def test_the_scan_finds_the_deletes_known_today() -> None:
    """The source scan works: it sees the deletes revision 0015 was written for."""
    found = deleted_tables()
    assert {"observations", "queued_suggestions"} <= found
    assert set(IDS_NEVER_SHOWN) <= found, "a table of IDS_NEVER_SHOWN is no longer deleted"


def _integer_key(inspector: sa.Inspector, table: str) -> str | None:
    """The table's primary key column when the key is one integer column, else None
    (a key of several columns, or of text, is the row's own values: none is given)."""
    columns = inspector.get_pk_constraint(table)["constrained_columns"]
    if len(columns) != 1:
        return None
    kinds = {c["name"]: c["type"] for c in inspector.get_columns(table)}
    return columns[0] if isinstance(kinds[columns[0]], sa.Integer) else None


def _why_reused(conn: sa.Connection, table: str, column: str) -> str | None:
    """Why a deleted ``table.column`` id can be given again (None: it cannot)."""
    if conn.dialect.name == "sqlite":
        sql = conn.execute(
            sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"),
            {"t": table},
        ).scalar_one()
        if re.search(r"\bAUTOINCREMENT\b", sql, re.IGNORECASE):
            return None
        return "it is not AUTOINCREMENT: SQLite gives the largest id kept plus one"
    sequence = conn.execute(
        sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table, "c": column}
    ).scalar()
    if sequence is None:
        return "no sequence gives its ids: whoever inserts chooses them"
    cycles = conn.execute(
        sa.text(
            "SELECT cycle FROM pg_sequences "
            "WHERE format('%I.%I', schemaname, sequencename)::regclass = CAST(:s AS regclass)"
        ),
        {"s": sequence},
    ).scalar_one()
    return f"its sequence {sequence} cycles back to the start" if cycles else None


def reused_ids(engine: sa.Engine) -> dict[str, str]:
    """The deleted tables of ``engine``'s database whose ids can be given twice, and why."""
    found: dict[str, str] = {}
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        present = set(inspector.get_table_names())
        for table in sorted(deleted_tables() - set(IDS_NEVER_SHOWN)):
            assert table in present, f"the store deletes rows of {table}, not in the schema"
            column = _integer_key(inspector, table)
            if column is None:
                continue
            why = _why_reused(conn, table, column)
            if why is not None:
                found[table] = f"{table}.{column}: {why}"
    return found


def _database(dialect: str, path: Path, request: pytest.FixtureRequest) -> str:
    if dialect == "sqlite":
        return f"sqlite:///{path}"
    return str(request.getfixturevalue("pg_url"))


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
@pytest.mark.parametrize("made", ["new", "migrated"])
def test_no_deleted_row_gives_its_id_to_a_new_row(
    dialect: str, made: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A new database (``schema.py``) and one built by every migration from the first."""
    url = _database(dialect, tmp_path / "ids.db", request)
    if made == "migrated":
        engine = sa.create_engine(url)
        with engine.connect() as conn, conn.begin():
            migrate.upgrade(conn)
        engine.dispose()
    open_store(url).close()
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            assert migrate.current_revision(conn) == migrate.HEAD
        assert reused_ids(engine) == {}
    finally:
        engine.dispose()

"""Fixtures of the store's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sigopt_like.service.store import Store, open_store


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An open store on a fresh SQLite file, then on a fresh PostgreSQL database; closed
    after the test."""
    if request.param == "sqlite":
        database = str(tmp_path / "store.db")
    else:
        database = request.getfixturevalue("pg_url")
    opened = open_store(database)
    try:
        yield opened
    finally:
        opened.close()

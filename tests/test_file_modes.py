"""Files the library writes get the permissions the umask gives, like any other file."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import sigopt_like
from sigopt_like import exports
from sigopt_like.tables import Table


@contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


TABLE = Table(columns=["a", "Response"], rows=[[1, 2.5]])


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_tables_and_exports_follow_the_umask(tmp_path, mask, expected):
    """Before: 0600 whatever the umask, so colleagues could not read them."""
    with umask(mask):
        written = [
            Path(TABLE.to_csv(tmp_path / "t.csv") and tmp_path / "t.csv"),
            exports.export_design(tmp_path / "out", 1, TABLE),
            exports.export_analytics_file(tmp_path / "out", 1, "plot.png", b"\x89PNG"),
        ]
    for path in written:
        assert mode(path) == expected, path
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


def test_analytics_downloads_and_history_follow_the_umask(embedded_conn, tmp_path):
    space = {
        "type": "factorial",
        "parameters": [
            {"name": "p1", "type": "numerical", "values": list(range(20))},
            {"name": "c", "type": "categorical", "values": list("abcdefgh")},
        ],
    }
    session = embedded_conn.sessions(embedded_conn.sessions.create(name="modes").id)
    session.space.put(space=space, population_size=10, replicates=0, wait=True)
    session.simulate(ngens=1, wait=True)
    session.analytics.create(wait=True)
    with umask(0o022):
        files = session.analytics.download(tmp_path / "plots")
        session.history.csv(tmp_path / "history.csv")
    assert files and all(mode(p) == 0o644 for p in files)
    assert mode(tmp_path / "history.csv") == 0o644
    assert isinstance(sigopt_like.Table.from_csv(tmp_path / "history.csv"), Table)

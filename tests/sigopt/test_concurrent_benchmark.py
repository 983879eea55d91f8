"""``benchmarks/concurrent_suggestions.py`` runs both its modes, as its docs say, and
sends what the docs tell clients to send (an Idempotency-Key on every POST)."""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path

import pytest

from benchmarks import concurrent_suggestions

CLIENTS, ROUNDS = 2, 2


@pytest.mark.parametrize("mode", concurrent_suggestions.MODES)
def test_each_mode_makes_every_suggestion_under_a_key_of_its_own(mode: str, tmp_path: Path) -> None:
    """Before: no POST of the benchmark carried an Idempotency-Key (docs/integrators.md
    tells every client to, so that a retried suggestion is not made twice), and the
    ``per-request`` mode's stand-in line lacked ``stored``: every suggestion was a 500
    and the run ended in "no median for empty data"."""
    args = argparse.Namespace(clients=CLIENTS, rounds=ROUNDS, observations=3, evaluate=0.0)
    result = concurrent_suggestions.run_mode(mode, args, str(tmp_path))
    assert result["errors"] == [] and result["suggestions"] == CLIENTS * ROUNDS, result
    with sqlite3.connect(f"file:{tmp_path / (mode + '.db')}?mode=ro", uri=True) as db:
        keyed = dict(db.execute("SELECT path, COUNT(DISTINCT key) FROM idempotency_keys "
                                "GROUP BY path").fetchall())  # fmt: skip
    assert keyed["/v1/experiments"] == 1, keyed  # its repeat replayed, not stored again
    assert keyed["/v1/experiments/1/suggestions"] == CLIENTS * ROUNDS, keyed
    assert keyed["/v1/experiments/1/observations"] == CLIENTS * ROUNDS, keyed

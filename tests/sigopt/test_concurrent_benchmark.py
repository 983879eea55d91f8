"""``benchmarks/concurrent_suggestions.py`` runs both its modes, as its docs say, and
sends what the docs tell clients to send (an Idempotency-Key on every POST)."""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
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


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
@pytest.mark.parametrize("dies", ["before the experiment", "under the clients"])
def test_a_service_that_stops_answering_ends_the_run_in_one_line(
    dies: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: once the service stopped answering, each client thread printed a
    ConnectionError traceback after its 3 tries and the run went on without it (a POST of
    the main thread ended it in one). Now the run stops in one line saying which POST got
    no answer, whether the service had exited, its log's last line, and what to check.
    The service is really killed: at its start, or when the clients' first suggestion
    is asked for."""
    started: list[subprocess.Popen] = []
    real_start, real_post = concurrent_suggestions.start_server, concurrent_suggestions.post

    def start(*args: object) -> tuple[subprocess.Popen, str]:
        proc, url = real_start(*args)  # type: ignore[arg-type]
        started.append(proc)
        return proc, url

    def post(session: object, url: str, *args: object, **kwargs: object) -> object:
        first = dies == "before the experiment" or url.endswith("/suggestions")
        if first and started[0].poll() is None:
            started[0].kill()
            started[0].wait(30)
        return real_post(session, url, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(concurrent_suggestions, "start_server", start)
    monkeypatch.setattr(concurrent_suggestions, "post", post)
    args = argparse.Namespace(clients=CLIENTS, rounds=ROUNDS, observations=3, evaluate=0.0)
    with pytest.raises(SystemExit) as stopped:
        concurrent_suggestions.run_mode("coalesced", args, str(tmp_path))
    said = str(stopped.value.code)
    path = "/v1/experiments" if dies == "before the experiment" else "/v1/experiments/1/suggestions"
    assert said.startswith(f"coalesced: POST {path} got no answer in 3 tries (refused)"), said
    assert "the service had exited (status -9)" in said and "\n" not in said, said
    assert "check memory" in said, said

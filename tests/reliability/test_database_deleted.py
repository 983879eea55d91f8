"""The database file deleted (its folder removed) or replaced while an embedded service
has it open: every call is a 507 ``database_gone`` that names the file and says what to
do. Before, SQLite kept writing to the unlinked file through its open descriptors: each
call "succeeded", everything written since was lost when the script ended, and the next
start made a new, empty database at the path.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

import pytest

import sigopt_like
from sigopt_like.errors import ServerError
from sigopt_like.service.store.db import open_database
from sigopt_like.service.store.errors import DatabaseGone

pytestmark = pytest.mark.reliability


def _gone(err: ServerError, db: Path, state: str) -> None:
    assert err.status == 507
    assert err.code == "database_gone"
    assert f"The database file {db} {state}" in err.message
    assert "nothing of this request was stored" in err.message


def test_a_deleted_database_folder_refuses_writes_and_makes_no_new_file(tmp_path: Path) -> None:
    folder = tmp_path / "campaigns"
    db = folder / "lab.sqlite3"
    with sigopt_like.Connection(database=str(db), task_processes=0) as conn:
        first = conn.sessions.create(name="robot-run-1")
        shutil.rmtree(folder)
        with pytest.raises(ServerError) as created:
            conn.sessions.create(name="robot-run-2")
        _gone(created.value, db, "was deleted")
        with pytest.raises(ServerError) as updated:
            conn.sessions(first.id).update(description="after the folder went")
        _gone(updated.value, db, "was deleted")
    assert not db.exists()  # no new, empty database where the campaign was


def test_a_replaced_database_file_refuses_writes_and_keeps_the_new_file(tmp_path: Path) -> None:
    db = tmp_path / "lab.sqlite3"
    with sigopt_like.Connection(database=str(db), task_processes=0) as conn:
        conn.sessions.create(name="robot-run-1")
        copy = tmp_path / "restored.sqlite3"
        shutil.copyfile(db, copy)
        copy.replace(db)  # another file at the path (a restore by `mv`)
        with pytest.raises(ServerError) as created:
            conn.sessions.create(name="robot-run-2")
        _gone(created.value, db, "was replaced by another file")
    with sigopt_like.Connection(database=str(db), task_processes=0) as again:
        assert [s.name for s in again.sessions.list()] == ["robot-run-1"]


def test_a_new_connection_to_a_deleted_database_makes_no_empty_one(tmp_path: Path) -> None:
    """A connection opened after the file went (the pool grows under load, or was
    emptied) is refused too, instead of SQLite making a new, empty file at the path."""
    db = tmp_path / "lab.sqlite3"
    engine = open_database(db)
    try:
        db.unlink()
        engine.dispose()  # the next connection is a new one
        with pytest.raises(DatabaseGone, match="was deleted"):
            engine.connect()
        assert not db.exists()
    finally:
        engine.dispose()


SPACE = {
    "type": "factorial",
    "parameters": [
        {"name": "temperature", "type": "numerical", "values": list(range(20, 121))},
        {"name": "catalyst", "type": "categorical", "values": ["Pd", "Pt", "Ni", "Cu"]},
    ],
}


def test_a_task_running_when_the_database_goes_stops_in_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The task's runner and its claim loop say the file went in one line each: they
    logged an ERROR with a traceback ("task 2 (simulate) failed", "claiming a task
    failed; retrying"), as for a bug, and the script's wait raises the 507."""
    folder = tmp_path / "campaigns"
    db = folder / "lab.sqlite3"
    with sigopt_like.Connection(database=str(db), task_processes=0) as conn:
        session = conn.sessions(conn.sessions.create(name="robot-run-1").id)
        session.space.put(space=SPACE, population_size=20, replicates=0, wait=True)
        task = session.simulate(ngens=100)
        deadline = time.monotonic() + 60
        while session.tasks(task.id).fetch().status != "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        with caplog.at_level(logging.WARNING, logger="sigopt_like"):
            shutil.rmtree(folder)
            with pytest.raises(ServerError) as waited:
                session.tasks(task.id).wait(timeout=60)
            _gone(waited.value, db, "was deleted")
            time.sleep(0.5)  # the claim loop's next try
    said = [r for r in caplog.records if r.name.startswith("sigopt_like.service")]
    assert any("stops: The database file" in r.getMessage() for r in said), said
    assert [r.getMessage() for r in said if r.levelno >= logging.ERROR or r.exc_info] == []


def test_reads_of_a_deleted_database_are_refused_not_answered_from_it(tmp_path: Path) -> None:
    """A point read (``sessions(id).fetch()``: a detached connection, no transaction)
    went on answering from the unlinked file after the folder was removed, so a script
    that only read saw its campaign as if nothing had happened."""
    folder = tmp_path / "campaigns"
    db = folder / "lab.sqlite3"
    with sigopt_like.Connection(database=str(db), task_processes=0) as conn:
        first = conn.sessions.create(name="robot-run-1")
        assert conn.sessions(first.id).fetch().name == "robot-run-1"  # a reader is made
        shutil.rmtree(folder)
        for read in (lambda: conn.sessions(first.id).fetch(), conn.sessions.list):
            with pytest.raises(ServerError) as refused:
                read()
            _gone(refused.value, db, "was deleted")
    assert not db.exists()

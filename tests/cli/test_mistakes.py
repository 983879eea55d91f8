"""Mistakes a newcomer makes on the command line, found by trying it as one.

Each test failed before its fix; each mistake gets one line a person can act on
and a non-zero exit status, never a traceback and never a silent success.
"""

from __future__ import annotations

import os
from pathlib import Path

import sigopt_like

from .test_errors import one_line


def test_a_sqlite_url_opens_that_file(run, tmp_path, monkeypatch):
    """Before: the URL went through Path(), which made it the relative file
    ``sqlite:/<path>`` under the current folder."""
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "team.sqlite3"
    done = run("sessions", "create", "by-url", "--db", f"sqlite:///{target}")
    assert done.code == 0, done
    assert target.is_file()
    assert not (tmp_path / "sqlite:").exists()
    listed = run("sessions", "list", "--db", str(target))
    assert "by-url" in listed.out


def test_connection_database_url_is_not_a_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "api.sqlite3"
    with sigopt_like.Connection(database=f"sqlite:///{target}") as conn:
        conn.sessions.create(name="url")
    assert target.is_file() and not (tmp_path / "sqlite:").exists()


def test_a_database_url_of_another_kind_is_refused(run, tmp_path, monkeypatch):
    """Before: ``--db mysql://x/y`` made the folder ``mysql:/x`` and a SQLite file in it."""
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    line = one_line(run("sessions", "list", "--db", "mysql://me:s3cret@db.example/doe"))
    assert "neither a SQLite file nor PostgreSQL" in line and "s3cret" not in line
    assert os.listdir(here) == []


def test_a_sqlite_url_in_a_missing_folder_is_not_created(run, tmp_path):
    missing = tmp_path / "nonexistent" / "x.db"
    line = one_line(run("sessions", "list", "--db", f"sqlite:///{missing}"))
    assert "does not exist" in line
    assert not Path(missing).parent.exists()


def test_campaign_commands_on_postgresql_use_it(run, pg_url, tmp_path, monkeypatch):
    """Before: ``--db postgresql+psycopg://...`` on a campaign command made a SQLite file
    named after the URL (password included) in the current folder, and exited 0."""
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    assert run("sessions", "create", "on-postgres", "--db", pg_url).code == 0
    assert os.listdir(here) == []
    with sigopt_like.Connection(database=pg_url) as conn:
        assert [s.name for s in conn.sessions.list()] == ["on-postgres"]

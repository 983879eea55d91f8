"""Rate limits counted in the database: one limit for every process of a service."""

from __future__ import annotations

from pathlib import Path

import falcon.testing
import pytest

from sigopt_like.service import create_app
from sigopt_like.service.store import open_store


@pytest.fixture
def limits(tmp_path: Path):
    store = open_store(tmp_path / "limits.db")
    try:
        yield store.rate_limits
    finally:
        store.close()


def test_a_burst_of_limit_then_one_per_interval(limits) -> None:
    """GCRA: ``limit`` events at once, then one every window/limit seconds."""
    now = 1000.0
    assert [limits.hit("s", "k", 4, 60.0, now) for _ in range(4)] == [None] * 4
    wait = limits.hit("s", "k", 4, 60.0, now)
    assert wait == pytest.approx(15.0)  # the next one fits a quarter window later
    assert limits.hit("s", "k", 4, 60.0, now + 14.9) == pytest.approx(0.1)
    assert limits.hit("s", "k", 4, 60.0, now + 15.0) is None
    assert limits.hit("s", "k", 4, 60.0, now + 15.0) == pytest.approx(15.0)


def test_refused_events_are_not_counted_and_keys_are_apart(limits) -> None:
    now = 50.0
    for _ in range(2):
        assert limits.hit("s", "a", 2, 10.0, now) is None
    for _ in range(10):  # hammering while refused does not push the wait further
        assert limits.hit("s", "a", 2, 10.0, now) == pytest.approx(5.0)
    assert limits.hit("s", "b", 2, 10.0, now) is None  # another key
    assert limits.hit("t", "a", 2, 10.0, now) is None  # another scope


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_key_longer_than_its_column_is_counted_like_any_other(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str
) -> None:
    """Before: on PostgreSQL a key over the column's 400 characters (an email of 100,000
    characters at a login) failed the insert ("value too long"), a 500."""
    database = str(tmp_path / "l.db") if backend == "sqlite" else request.getfixturevalue("pg_url")
    store = open_store(database)
    try:
        limits = store.rate_limits
        long, other = "e" * 5000, "e" * 4999 + "f"
        for _ in range(2):
            assert limits.hit("login", long, 2, 10.0, 50.0) is None
        assert limits.hit("login", long, 2, 10.0, 50.0) == pytest.approx(5.0)
        assert limits.hit("login", other, 2, 10.0, 50.0) is None  # another key still
    finally:
        store.close()


def test_keys_whose_window_passed_are_purged(limits) -> None:
    limits.hit("s", "old", 2, 10.0, 0.0)
    limits.hit("s", "new", 2, 10.0, 100.0)
    assert limits.purge(50.0) == 1
    assert limits.hit("s", "new", 2, 10.0, 100.0) is None


def test_two_processes_on_one_database_enforce_one_limit(tmp_path: Path) -> None:
    """Two service instances (as two ``serve`` processes would be) on one database:
    a token's budget is spent across both, never twice."""
    database = str(tmp_path / "shared.db")
    settings = {"auth_required": True, "requests_per_minute": 4, "run_tasks": False}
    with (
        create_app(database=database, **settings) as one,
        create_app(database=database, **settings) as two,
    ):
        accounts = one.context.store.accounts
        token = accounts.issue_token(accounts.create_user("shared@example.com").id).token
        headers = {"Authorization": f"Bearer {token}"}
        clients = [falcon.testing.TestClient(one), falcon.testing.TestClient(two)]
        codes = [
            clients[i % 2].simulate_get("/v1/sessions", headers=headers).status_code
            for i in range(6)
        ]
        assert codes == [200, 200, 200, 200, 429, 429]


def test_login_attempts_are_counted_across_processes(tmp_path: Path) -> None:
    database = str(tmp_path / "login.db")
    settings = {"auth_required": True, "login_attempts_per_minute": 3, "run_tasks": False}
    with (
        create_app(database=database, **settings) as one,
        create_app(database=database, **settings) as two,
    ):
        one.context.store.accounts.create_user("who@example.com", "right")
        body = {"email": "who@example.com", "password": "wrong"}
        clients = [falcon.testing.TestClient(one), falcon.testing.TestClient(two)]
        codes = [clients[i % 2].simulate_post("/v1/login", json=body).status_code for i in range(4)]
        assert codes == [401, 401, 401, 429]

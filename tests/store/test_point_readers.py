"""Point reads (the token lookup of every served request, a session fetch) use a small,
bounded set of connections: one per thread was one PostgreSQL connection per waitress
thread, and ``serve`` has 264 of them (8 + 256 waiting slots), past PostgreSQL's default
``max_connections`` of 100: after about a hundred requests every new thread's first read
failed with "too many clients" (a 500)."""

from __future__ import annotations

import sqlite3
import threading

import pytest
import requests
import sqlalchemy as sa

from sigopt_like.service import create_app
from sigopt_like.service.store.database import MAX_POINT_READERS
from tests.fixtures.servers import ServedInstance


def _connections(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
            ).scalar_one()
        )


def test_a_served_instance_on_postgresql_holds_a_bounded_number_of_connections(pg_url):
    served = ServedInstance(create_app(database=pg_url, auth_required=True), pg_url)
    engine = served.service.context.store.database.engine
    http = requests.Session()
    failures: list[str] = []

    def calls(n: int) -> None:
        with requests.Session() as own:
            for _ in range(n):
                r = own.get(f"{served.url}/v1/sessions", headers=served.headers(), timeout=60)
                if r.status_code != 200:
                    failures.append(r.text[:200])

    try:
        for _ in range(150):  # one after another: waitress hands them to ever other threads
            reply = http.get(f"{served.url}/v1/sessions", headers=served.headers(), timeout=60)
            assert reply.status_code == 200, reply.text
        workers = [threading.Thread(target=calls, args=(40,)) for _ in range(12)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=120)
        assert failures == []
        pool = engine.pool.size() + engine.pool.overflow() if hasattr(engine.pool, "size") else 15
        assert _connections(engine) <= MAX_POINT_READERS + pool + 2
    finally:
        served.close()


def test_a_point_reader_broken_by_its_read_is_not_lent_again(tmp_path):
    with create_app(database=str(tmp_path / "r.db")) as service:
        database = service.context.store.database
        with pytest.raises(sqlite3.ProgrammingError), database.point_reader() as broken:
            broken.close()  # what a server restart does to it
            broken.execute("SELECT 1")
        with database.point_reader() as conn:
            assert conn is not broken and conn.execute("SELECT 1").fetchone() == (1,)

"""The pool lends its most recently returned connection first (``db.POOL_LIFO``): after
a burst opened several connections, sequential requests keep to one warm connection
instead of cycling through all of them (SQLAlchemy's default order, FIFO).

The server is ``tests/fixtures/postgres.py``'s (a real PostgreSQL)."""

from __future__ import annotations

import threading

from sigopt_like.service.store import open_store

BURST = 6


def test_after_a_burst_sequential_reads_keep_to_one_connection(pg_url):
    store = open_store(pg_url)
    try:
        together = threading.Barrier(BURST)
        backends: set[int] = set()

        def read_while_the_others_do() -> None:
            with store.database.read() as conn:
                together.wait(30)  # all BURST connections lent at once
                backends.add(int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()))

        threads = [threading.Thread(target=read_while_the_others_do) for _ in range(BURST)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(backends) == BURST  # the pool holds that many now
        sequential = set()
        for _ in range(2 * BURST):
            with store.database.read() as conn:
                sequential.add(int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()))
        assert len(sequential) == 1, f"sequential reads went round {len(sequential)} connections"
    finally:
        store.close()

"""PostgreSQL drops every connection (a restart, a failover, an administrator): the
served app answers the next requests as if nothing happened, on new connections."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from sigopt_like.service import create_app
from tests.fixtures.servers import ServedInstance

pytestmark = [pytest.mark.reliability]


def _drop_connections(url: str) -> int:
    """Terminate every other connection to the database, as a server restart does."""
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return len(
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).all()
            )
    finally:
        admin.dispose()


def test_requests_after_the_database_dropped_its_connections_are_answered(pg_url: str) -> None:
    """Before: every idle point-read connection (the token check of each request) answered
    one request 500 AdminShutdown after a PostgreSQL restart (typed against the
    docs/service.md scale-out steps: 3 of a campaign's first requests after a restart)."""
    service = create_app(database=pg_url, auth_required=True, run_tasks=False)
    served = ServedInstance(service, pg_url)
    url, headers = f"{served.url}/v1/sessions", served.headers()

    def get(_: int) -> int:
        return requests.get(url, headers=headers, timeout=30).status_code

    try:
        with ThreadPoolExecutor(8) as pool:  # several idle readers, as a busy server has
            assert set(pool.map(get, range(40))) == {200}
        assert _drop_connections(pg_url) >= 1
        assert [get(i) for i in range(3)] == [200] * 3
        assert requests.post(url, json={"name": "after"}, headers=headers, timeout=30).ok
        assert _drop_connections(pg_url) >= 1
        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(get, range(40))) == {200}
    finally:
        served.close()

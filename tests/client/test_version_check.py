"""The version check: once per Connection, lazily, thread-safe; too old -> VersionError."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

import sigopt_like
from sigopt_like.interface import version_tuple

from .faulty_server import FaultyServer, Reply, faulty_server


@pytest.fixture
def server() -> Iterator[FaultyServer]:
    yield from faulty_server()


def test_too_old_client_raises_version_error(server, clean_env):
    server.play(
        Reply(body={"object": "version", "api_version": "1", "min_client_version": "99.0.0"})
    )
    with sigopt_like.Connection(server.url, "t") as conn:
        assert server.requests == []  # nothing at construction
        with pytest.raises(sigopt_like.VersionError) as info:
            conn.sessions.list()
    assert info.value.min_client_version == "99.0.0"
    assert "pip install -U sigopt_like" in str(info.value)
    assert [r.path for r in server.requests] == ["/v1/version"]


def test_version_is_fetched_once_across_threads(server, clean_env):
    server.play(
        Reply(
            body={
                "object": "version",
                "api_version": "1",
                "min_client_version": "0.0.1",
                "data": [],
                "count": 0,
                "paging": {},
            }
        )
    )
    barrier = threading.Barrier(8)
    with sigopt_like.Connection(server.url, "t") as conn:

        def work():
            barrier.wait(5)
            for _ in range(3):
                conn.sessions.list()

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    paths = [r.path for r in server.requests]
    assert paths.count("/v1/version") == 1
    assert paths.count("/v1/sessions") == 24


def test_a_service_without_the_version_route_is_accepted(server, clean_env):
    server.play(
        Reply(status=404, body={"code": "not_found", "message": "no"}),
        Reply(body={"object": "session", "id": "1"}),
    )
    with sigopt_like.Connection(server.url, "t") as conn:
        assert conn.sessions("1").fetch().id == "1"


def test_version_tuple():
    assert version_tuple("0.10.1") > version_tuple("0.9.9")
    assert version_tuple("1.2.0rc1") == (1, 2, 0)
    assert version_tuple("2") > version_tuple("1.99")


def test_an_embedded_connection_sends_no_version_request(tmp_path, clean_env):
    """The embedded service is this package: its first call is the call alone (before, a
    GET /v1/version went first)."""
    from sigopt_like.service.resources.system import MIN_CLIENT_VERSION

    assert version_tuple(MIN_CLIENT_VERSION) <= version_tuple(sigopt_like.__version__)
    with sigopt_like.Connection(database=str(tmp_path / "v.db")) as conn:
        service = conn.service
        paths: list[str] = []

        def app(environ, start_response):
            paths.append(environ["PATH_INFO"])
            return service(environ, start_response)

        adapter = conn.transport.direct.__self__  # the WSGIAdapter mounted on the session
        adapter.app = app
        assert list(conn.sessions.list(limit=1)) == []
        assert conn.version().min_client_version == MIN_CLIENT_VERSION
    assert paths == ["/v1/sessions", "/v1/version"]

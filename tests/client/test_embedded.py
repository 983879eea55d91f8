"""The WSGI adapter: environ from the request, lazy streaming bodies, closing."""

from __future__ import annotations

import json
import sys
import threading

import pytest
import requests

import sigopt_like
from sigopt_like import _constants as C
from sigopt_like.embedded import WSGIAdapter
from sigopt_like.transport import Transport


def session_for(app) -> requests.Session:
    session = requests.Session()
    session.mount(C.EMBEDDED_URL, WSGIAdapter(app))
    return session


def test_environ_carries_the_request():
    seen = {}

    def app(environ, start_response):
        seen.update({k: v for k, v in environ.items() if k != "wsgi.input"})
        seen["body"] = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        start_response(
            "201 Created", [("Content-Type", "application/json"), ("X-Request-Id", "r1")]
        )
        return [b'{"ok": ', b"true}"]

    response = session_for(app).post(
        C.EMBEDDED_URL + "/v1/things/a%20b?x=1&y=two", json={"k": "v"}, headers={"X-Custom": "c"}
    )
    assert response.status_code == 201 and response.reason == "Created"
    assert response.json() == {"ok": True}
    assert response.headers["x-request-id"] == "r1"
    assert seen["REQUEST_METHOD"] == "POST"
    assert seen["PATH_INFO"] == "/v1/things/a b"
    assert seen["QUERY_STRING"] == "x=1&y=two"
    assert seen["CONTENT_TYPE"] == "application/json"
    assert json.loads(seen["body"]) == {"k": "v"}
    assert seen["CONTENT_LENGTH"] == str(len(seen["body"]))
    assert seen["HTTP_X_CUSTOM"] == "c"
    assert seen["REMOTE_ADDR"] == "127.0.0.1"
    assert "HTTP_CONTENT_TYPE" not in seen


def test_streaming_body_is_read_lazily_and_closed():
    release = threading.Event()
    closed = threading.Event()

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/event-stream")])

        def body():
            try:
                yield b"data: one\n\n"
                assert release.wait(5), "the client read past the first event before it was sent"
                yield b"data: two\n\n"
                yield b"data: three\n\n"
            finally:
                closed.set()

        return body()

    response = session_for(app).get(C.EMBEDDED_URL + "/events", stream=True)
    lines = response.iter_lines()
    assert next(lines) == b"data: one"
    release.set()  # only now may the app go on
    rest = [line for line in lines if line]
    assert rest == [b"data: two", b"data: three"]
    assert closed.is_set()


def test_closing_a_stream_early_closes_the_apps_iterable():
    closed = threading.Event()

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/event-stream")])

        def body():
            try:
                while True:
                    yield b"data: tick\n\n"
            finally:
                closed.set()

        return body()

    response = session_for(app).get(C.EMBEDDED_URL + "/events", stream=True)
    assert next(response.iter_lines()) == b"data: tick"
    response.close()
    assert closed.is_set()


def test_errors_of_the_app_become_typed_errors_through_the_transport():
    def app(environ, start_response):
        start_response(
            "409 Conflict", [("Content-Type", "application/json"), ("X-Request-Id", "abc")]
        )
        return [
            json.dumps(
                {
                    "object": "error",
                    "status": 409,
                    "code": "task_running",
                    "message": "Task 4 is running.",
                }
            ).encode()
        ]

    transport = Transport(C.EMBEDDED_URL, session=session_for(app), embedded=True)
    with pytest.raises(sigopt_like.ConflictError) as info:
        transport.request("POST", "/v1/x", json={})
    assert str(info.value) == "409 task_running: Task 4 is running. (request abc)"


def test_embedded_connection_closes_its_service(tmp_path, clean_env):
    conn = sigopt_like.Connection(database=tmp_path / "e.db")
    assert conn.embedded and conn.transport.base_url == C.EMBEDDED_URL
    assert conn.transport.session.trust_env is False
    assert conn.version().api_version == "1"
    closed = []
    original = conn.service.close
    conn.service.close = lambda: (closed.append(True), original())
    with conn:
        pass
    conn.close()  # twice is fine
    assert closed == [True]


def test_missing_service_extra_says_what_to_install(tmp_path, clean_env, monkeypatch):
    monkeypatch.setitem(sys.modules, "sigopt_like.service", None)  # as if falcon were absent
    with pytest.raises(sigopt_like.ServiceNotInstalledError) as info:
        sigopt_like.Connection(database=tmp_path / "n.db")
    assert "pip install 'sigopt_like[service]'" in str(info.value)
    assert isinstance(info.value, ImportError) and isinstance(info.value, sigopt_like.ConfigError)


def test_no_socket_is_opened_in_embedded_mode(tmp_path, clean_env, monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("embedded mode opened a socket")

    with sigopt_like.Connection(database=tmp_path / "s.db") as conn:
        monkeypatch.setattr(socket, "create_connection", refuse)
        monkeypatch.setattr(socket.socket, "connect", refuse)
        assert conn.health().status == "ok"


def test_the_direct_call_builds_the_same_environ_as_the_adapter():
    """The transport's direct call and a request through the mounted adapter give the
    app the same environ (paths with spaces and non-ASCII characters included)."""
    seen: list[dict] = []

    def app(environ, start_response):
        seen.append(
            {k: v for k, v in environ.items() if k not in ("wsgi.input", "wsgi.errors")}
            | {"body": environ["wsgi.input"].read()}
        )
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]

    adapter = WSGIAdapter(app)
    session = requests.Session()
    session.mount(C.EMBEDDED_URL, adapter)
    headers = {"X-Custom": "c", "Content-Type": "application/json"}
    for path in ("/v1/things/a b", "/v1/things/é/ü", "/v1/plain"):
        session.post(
            C.EMBEDDED_URL + path,
            params=[("x", "1"), ("y", "two words")],
            data=b'{"k": 1}',
            headers=headers,
        )
        adapter.call("POST", path, [("x", "1"), ("y", "two words")], b'{"k": 1}', headers)
        through_requests, direct = seen[-2], seen[-1]
        for key in (
            "REQUEST_METHOD",
            "PATH_INFO",
            "QUERY_STRING",
            "CONTENT_LENGTH",
            "CONTENT_TYPE",
            "HTTP_X_CUSTOM",
            "body",
        ):
            assert direct[key] == through_requests[key], (path, key)


def test_an_embedded_call_skips_the_session_but_not_the_transport(tmp_path, clean_env, monkeypatch):
    """Embedded calls do not go through ``requests.Session.request`` (work only a network
    needs) yet keep the transport's models, typed errors and request ids."""
    with sigopt_like.Connection(database=str(tmp_path / "direct.db")) as conn:
        made = conn.sessions.create(name="direct")

        def no_session(*args, **kwargs):
            raise AssertionError("an embedded call went through requests.Session.request")

        monkeypatch.setattr(requests.Session, "request", no_session)
        fetched = conn.sessions(made.id).fetch()
        assert isinstance(fetched, sigopt_like.Session) and fetched.name == "direct"
        with pytest.raises(sigopt_like.NotFoundError) as caught:
            conn.sessions("999999").fetch()
        assert caught.value.status == 404 and caught.value.request_id

"""A request the server refuses before reading it (a URL, headers or an ``Expect`` it does
not take): a typed error the caller can catch with the other requests it cannot read,
and the service's code even when something in front of the service answers instead."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import sigopt_like
from sigopt_like import errors
from sigopt_like.service.errors import default_code
from tests.client.faulty_server import FaultyServer, Reply


@pytest.fixture
def served_conn(served: Any, clean_env: Any) -> Iterator[sigopt_like.Connection]:
    conn = sigopt_like.Connection(served.url, served.token)
    try:
        yield conn
    finally:
        conn.close()


def test_a_refused_request_is_a_bad_request_error_with_its_code(
    served_conn: sigopt_like.Connection,
) -> None:
    """Before: a 414, 431 or 417 of the service was a bare ``APIError``, caught by no
    ``except BadRequestError`` / ``InvalidRequestError`` a caller writes for a request the
    service could not read."""
    cases = [
        (lambda: served_conn.sessions.list(q="a" * 9000), 414, "uri_too_long"),
        (
            lambda: served_conn.sessions.list(headers={f"X-N{i}": "1" for i in range(120)}),
            431,
            "header_fields_too_large",
        ),
        (
            lambda: served_conn.sessions.list(headers={"Expect": "teapot"}),
            417,
            "expectation_failed",
        ),
    ]
    for call, status, code in cases:
        with pytest.raises(errors.BadRequestError) as info:
            call()
        assert isinstance(info.value, errors.InvalidRequestError)
        assert (info.value.status, info.value.code) == (status, code), str(info.value)
    assert served_conn.sessions.list().data == []  # the connection still works


@pytest.mark.parametrize(
    ("status", "code"),
    [(414, "uri_too_long"), (417, "expectation_failed"), (431, "header_fields_too_large")],
)
def test_a_refusal_in_front_of_the_service_gets_the_services_code(
    clean_env: Any, status: int, code: str
) -> None:
    """Before: a proxy's plain-text 414, 417 or 431 in front of the service was code
    ``error``, an ``APIError``; now the code the service itself gives that status."""
    server = FaultyServer()
    try:
        server.play(Reply(kind="text", status=status, body="<html>refused</html>"))
        with (
            sigopt_like.Connection(server.url, "tok") as conn,
            pytest.raises(errors.BadRequestError) as info,
        ):
            conn.sessions.list()
        assert (info.value.status, info.value.code) == (status, code)
        assert info.value.code == default_code(status)
    finally:
        server.close()


def test_the_clients_fallback_codes_are_the_services() -> None:
    for status in (400, 401, 403, 404, 405, 408, 409, 411, 413, 414, 415, 417, 422, 429, 431):
        assert errors.api_error(status, None).code == default_code(status), status
    for status in (500, 503, 507):
        assert errors.api_error(status, None).code == default_code(status), status

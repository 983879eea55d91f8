"""A request the server refuses before reading it (a URL, headers or an ``Expect`` it does
not take): a typed error the caller can catch with the other requests it cannot read,
and the service's code even when something in front of the service answers instead."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from typing import Any

import pytest

import sigopt_like
from sigopt_like import errors
from sigopt_like.error_codes import IN_FRONT_CODES, SERVICE_CODES, default_code
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


def test_every_status_the_service_or_a_proxy_gives_has_its_own_type_and_code() -> None:
    """Before: a 408 (the service's read timeout, or a proxy's) was a bare ``APIError``,
    and the client kept its own copy of the service's codes, which lacked 505's."""
    for status in (*SERVICE_CODES, *IN_FRONT_CODES):
        assert errors.error_class_for(status) is not errors.APIError, status
        assert errors.api_error(status, None).code == default_code(status), status
    assert errors.error_class_for(410) is errors.APIError  # neither the service's nor common
    assert (default_code(410), default_code(520)) == ("error", "internal")


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (408, "request_timeout", errors.RequestTimeoutError),
        (501, "not_implemented", errors.ServerError),
        (502, "bad_gateway", errors.ServerError),
        (504, "gateway_timeout", errors.ServerError),
        (505, "http_version_not_supported", errors.ServerError),
        (410, "error", errors.APIError),
    ],
)
def test_a_status_without_the_services_body_gets_its_type_and_code(
    clean_env: Any, status: int, code: str, kind: type[errors.APIError]
) -> None:
    """A page of a proxy in front of the service (or of a server that is not it), through
    the real transport. Before: a 502, 504, 501 or 505 was code ``internal``, which says
    the service failed on the request (a 505's code is the service's own
    ``http_version_not_supported``); a 408 was a bare ``APIError``, neither a
    ``TimeoutError`` nor caught by anything narrower than ``except APIError``."""
    server = FaultyServer()
    try:
        server.play(Reply(kind="text", status=status, body="<html>in front</html>"))
        with (
            sigopt_like.Connection(server.url, "tok", retries=1) as conn,
            pytest.raises(errors.APIError) as info,
        ):
            conn.sessions.list()
        assert type(info.value) is kind, repr(info.value)
        assert (info.value.status, info.value.code) == (status, code)
        assert str(info.value).startswith(f"{status} {code}: "), str(info.value)
        assert type(pickle.loads(pickle.dumps(info.value))) is kind
        if status == 408:  # caught with the other timeouts, and sent again as it was
            assert isinstance(info.value, TimeoutError)
            assert not isinstance(info.value, errors.InvalidRequestError)
    finally:
        server.close()

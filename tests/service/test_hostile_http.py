"""Hostile HTTP against a real server (raw sockets): a charset the service does not read
in, a Transfer-Encoding waitress does not implement, a body over the limit announced or
streamed. Each a 4xx that says what to send instead, nothing stored, never a 5xx or a
wait."""

from __future__ import annotations

import json
import socket
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

import sigopt_like
from sigopt_like.errors import PayloadTooLargeError
from sigopt_like.service import create_app
from tests.fixtures.piecewise import (
    REFUSED_HEADS,
    assert_a_refused_head_is_read_while_its_body_comes,
    assert_a_stalled_refused_body_is_let_go,
    assert_health_among_more_refused_senders_than_connections,
    assert_health_among_refused_senders,
    send_in_pieces,
)
from tests.fixtures.servers import IN_THREADS, ServedInstance, ServedProcess
from tests.fixtures.waiting import read_until_closed

LIMIT = 64 * 1024
#: how every 413 of the service says to raise the limit, the app's and waitress's
SETTING = (
    "the service's max_body_bytes setting: Connection(max_body_bytes=...) or a command's "
    "--max-body-bytes for the embedded service, sigopt-like serve --max-body-bytes for a "
    "served one"
)


@pytest.fixture
def small(tmp_path: Path) -> Any:
    """A served instance whose bodies are at most ``LIMIT`` bytes."""
    database = str(tmp_path / f"small-{uuid.uuid4().hex[:8]}.db")
    service = create_app(database=database, auth_required=True, max_body_bytes=LIMIT, **IN_THREADS)
    instance = ServedInstance(service, database)
    try:
        yield instance
    finally:
        instance.close()


def _send(served: Any, head: str, body: bytes = b"", wait: float = 5.0) -> tuple[int, dict, float]:
    """Send ``head`` (request line and headers, without the blank line) and ``body`` on a
    new connection; the status, the JSON body and the seconds the answer took."""
    port = int(served.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        started = time.monotonic()
        sock.sendall(
            f"{head}\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {served.token}\r\n"
            "Connection: close\r\n\r\n".encode()
            + body
        )
        # a reset: the server closed with the body still coming
        answer = read_until_closed(sock, ends_on=(ConnectionResetError,))
        took = time.monotonic() - started
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), json.loads(rest.partition(b"\r\n\r\n")[2]), took


def _post(served: Any, headers: str, body: bytes) -> tuple[int, dict, float]:
    """POST /v1/sessions with ``headers`` (CRLF-separated lines) and ``body``."""
    return _send(served, f"POST /v1/sessions HTTP/1.1\r\n{headers}", body)


def _sessions(served: Any) -> int:
    listed = requests.get(f"{served.url}/v1/sessions", headers=served.headers(), timeout=10)
    return int(listed.json()["count"])


def test_a_charset_other_than_utf8_is_a_415_not_a_body_read_as_utf8(served: Any) -> None:
    """Before: ``charset=latin-1`` was accepted and the body read as UTF-8 all the same
    (``\xc3\xa9``, "Ã©" in Latin-1, became "é")."""
    body = '{"name": "caf\u00c3\u00a9"}'.encode("latin-1")
    for charset in ("latin-1", '"ISO-8859-1"', "utf-16"):
        headers = f"Content-Type: application/json; charset={charset}\r\n"
        status, error, _ = _post(served, headers + f"Content-Length: {len(body)}", body)
        assert status == 415, error
        assert "charset=" in error["message"] and "UTF-8" in error["message"], error
    assert _sessions(served) == 0
    for charset in ("utf-8", '"UTF-8"', "utf8"):
        made = requests.post(
            f"{served.url}/v1/sessions",
            data=json.dumps({"name": f"ok {charset}"}).encode(),
            headers={**served.headers(), "Content-Type": f"application/json; charset={charset}"},
            timeout=10,
        )
        assert made.status_code == 201, made.text
    assert _sessions(served) == 3


def test_a_transfer_encoding_waitress_does_not_implement_is_a_400(served: Any) -> None:
    """Before: 501 with code ``internal``, "not implemented": a 5xx for the client's
    request."""
    chunk = b'{"name": "gz"}'
    body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(chunk), chunk)
    for coding in ("gzip, chunked", "identity", "deflate"):
        headers = f"Content-Type: application/json\r\nTransfer-Encoding: {coding}"
        status, error, _ = _post(served, headers, body)
        assert status == 400, error
        assert error["code"] == "bad_request"
        assert "'Transfer-Encoding: chunked' alone" in error["message"], error
    assert _sessions(served) == 0


def test_a_body_over_the_limit_is_a_413_before_it_is_sent(small: Any) -> None:
    """Before: waitress waited for (and buffered, to a temporary file, before any token
    was checked) up to 1 GB of a body the app then refused: an announced 50 MB body
    with nothing sent got no answer at all."""
    head = "POST /v1/sessions HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: "
    # given 30 s to come and 10 s as the bound: a server waiting for the body never
    # answers (the read times out), and a busy machine has room to answer at once
    status, error, took = _send(small, head + str(50 * 1024 * 1024), wait=30)
    assert status == 413, error
    assert error["code"] == "payload_too_large"
    assert error["message"] == (
        f"The request body is {50 * 1024 * 1024} bytes; the limit is {LIMIT} bytes ({SETTING})."
    )
    assert error["detail"]["limit"] == LIMIT
    # before: "exceeds max_body of LIMIT + 1", waitress's own setting, one byte more
    assert error["detail"]["reason"] == f"exceeds max_body of {LIMIT}", error
    assert took < 10, took
    # streamed in chunks (no Content-Length): refused once past the limit
    piece = b" " * 8192
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for _ in range(LIMIT // 8192 + 2))
    chunked = "POST /v1/sessions HTTP/1.1\r\nContent-Type: application/json\r\n"
    status, error, _ = _send(small, chunked + "Transfer-Encoding: chunked", chunks)
    assert status == 413, error
    assert error["message"] == (
        f"The request body is larger than the limit of {LIMIT} bytes ({SETTING})."
    )
    # a body of the limit exactly is read
    exact = b'{"name": "exact"' + b" " * (LIMIT - len(b'{"name": "exact"}')) + b"}"
    assert len(exact) == LIMIT
    status, made, _ = _send(
        small,
        f"POST /v1/sessions HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {LIMIT}",
        exact,
    )
    assert status == 201, made
    assert _sessions(small) == 1


def test_what_a_request_sends_cannot_forge_or_flood_log_lines(served_process: Any) -> None:
    """Before: a path's ``%0d%0a`` ended the access log's line and began a forged one
    (``2026-12-05 09:00:00,000 ERROR forged``), a ``%22`` closed its quoted request, and a
    100 KB User-Agent was a 100 KB line, every request (one over 8 KB is now a 431 at the
    door, as under gunicorn: 8 KB is the most a line can be sent)."""
    forged = "2026-12-05%2009:00:00,000%20ERROR%20forged"
    port = int(served_process.url.rsplit(":", 1)[1])
    for path in (f"/v1/sessions/%0d%0a{forged}", f"/v1/x%22%20200%201%20%22-%22%0a{forged}"):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                f'User-Agent: "{"a" * 8000}\r\n\r\n'.encode()
            )
            read_until_closed(sock)
    requests.get(f"{served_process.url}/health", timeout=10)  # its line follows theirs
    lines = served_process.output().splitlines()
    stamped = [line for line in lines[1:] if line[:4].isdigit()]
    assert stamped == lines[1:], [line[:200] for line in lines if not line[:4].isdigit()]
    assert not [line for line in lines if " ERROR forged" in line.split('"', 1)[0]], lines
    logged = [line for line in lines if "sigopt_like.access" in line and "/v1/" in line]
    assert len(logged) == 2, [line[:200] for line in lines]
    assert "/v1/sessions/%0D%0A2026-12-05%2009:00:00,000%20ERROR%20forged HTTP/1.1" in logged[0]
    assert '"GET /v1/x%22%20200%201%20%22-%22%0A' in logged[1]
    assert all(len(line) < 2_500 for line in logged), [len(line) for line in logged]
    assert "...(7001 more)" in logged[0] and "\\x22" in logged[0]


def test_an_http_1_0_request_with_a_transfer_encoding_is_a_400_not_a_bodiless_one(
    served: Any,
) -> None:
    """Before: HTTP/1.0 has no Transfer-Encoding, so the server read no body and answered
    as if none was sent: a chunked suggestion with its own assignments made another."""
    experiment = requests.post(
        f"{served.url}/v1/experiments",
        json={
            "name": "framing",
            "parameters": [{"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}],
        },
        headers=served.headers(),
        timeout=10,
    ).json()
    path = f"/v1/experiments/{experiment['id']}/suggestions"
    chunk = b'{"assignments": {"x": 0.25}}'
    body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(chunk), chunk)
    head = f"POST {path} HTTP/1.0\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked"
    status, error, _ = _send(served, head, body)
    assert status == 400, error
    assert "send HTTP/1.1, or the body with a Content-Length" in error["message"], error
    listed = requests.get(f"{served.url}{path}", headers=served.headers(), timeout=10).json()
    assert listed["count"] == 0, listed
    # HTTP/1.0 with a Content-Length is read as ever
    status, made, _ = _send(
        served,
        f"POST {path} HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: {len(chunk)}",
        chunk,
    )
    assert status == 201 and made["assignments"] == {"x": 0.25}, made


def test_a_compressed_or_merely_labelled_body_is_a_415(served: Any) -> None:
    """Before: a gzipped body was "not UTF-8 (byte 1)", and a plain one labelled gzip or
    br was accepted, the label not honoured."""
    import gzip

    plain = b'{"name": "coded"}'
    for coding, body in (("gzip", gzip.compress(plain)), ("gzip", plain), ("br", plain)):
        headers = f"Content-Type: application/json\r\nContent-Encoding: {coding}\r\n"
        status, error, _ = _post(served, headers + f"Content-Length: {len(body)}", body)
        assert status == 415, error
        assert error["detail"] == {"header": "Content-Encoding"}
        assert "send the body uncompressed" in error["message"], error
    assert _sessions(served) == 0
    headers = "Content-Type: application/json\r\nContent-Encoding: identity\r\n"
    status, made, _ = _post(served, headers + f"Content-Length: {len(plain)}", plain)
    assert status == 201, made


def test_an_integer_of_thousands_of_digits_is_a_422_in_the_callers_terms(served: Any) -> None:
    """Before: the message told the caller to "use sys.set_int_max_str_digits()"; then
    "The request body holds an integer of more than 4300 digits", naming no field. Now the
    field's own check answers it with the field's range, the number by its length (a 422,
    as every number past a body field's range: docs/contract.md)."""
    body = b'{"name": "digits", "seed": ' + b"9" * 5000 + b"}"
    headers = f"Content-Type: application/json\r\nContent-Length: {len(body)}"
    status, error, _ = _post(served, headers, body)
    assert status == 422 and error["code"] == "validation_failed", error
    assert error["message"] == (
        "The field 'seed' is 99999999999999999999... (a number of 5,000 digits), outside "
        "its range: it takes a whole number from 0 to 2147483647."
    ), error
    assert error["detail"] == {"field": "seed"}


def test_served_413s_name_the_setting_as_the_apps_does(tmp_path: Path) -> None:
    """Before: waitress's 413 under ``sigopt-like serve`` (a body over the limit, refused
    before the app sees it) said "The request body is N bytes; the limit is L bytes."
    without saying how to raise it, while the app's 413 (a body one byte over, which
    waitress leaves to it) named ``serve --max-body-bytes``. Both now say the same."""
    limit = 4096
    server = ServedProcess(tmp_path / "limited.db", "--max-body-bytes", str(limit))
    try:
        headers = {**server.headers(), "Content-Type": "application/json"}
        said = {}
        for size in (limit + 1, 3 * limit):  # the app's 413, then waitress's
            body = b'{"name": "x"' + b" " * (size - len(b'{"name": "x"}')) + b"}"
            answer = requests.post(
                f"{server.url}/v1/sessions", data=body, headers=headers, timeout=30
            )
            assert answer.status_code == 413, answer.text
            error = answer.json()
            assert error["code"] == "payload_too_large" and error["detail"]["limit"] == limit
            said[size] = error["message"]
        for size, message in said.items():
            assert message == (
                f"The request body is {size} bytes; the limit is {limit} bytes ({SETTING})."
            ), message
        # streamed in chunks past the limit (requests sends an iterable chunked)
        answer = requests.post(
            f"{server.url}/v1/sessions",
            data=iter([b'{"name": "x"', b" " * 2 * limit, b"}"]),
            headers=headers,
            timeout=30,
        )
        assert answer.status_code == 413, answer.text
        assert answer.json()["message"] == (
            f"The request body is larger than the limit of {limit} bytes ({SETTING})."
        )
        # the client's typed exception carries it
        conn = sigopt_like.Connection(host=server.url, token=server.token)
        with pytest.raises(PayloadTooLargeError, match="sigopt-like serve --max-body-bytes"):
            conn.sessions.create(name="x" * (3 * limit))
        assert (
            requests.get(f"{server.url}/v1/sessions", headers=headers, timeout=30).json()["count"]
            == 0
        )
    finally:
        server.stop()


def _address(served: Any) -> tuple[str, int]:
    return "127.0.0.1", int(served.url.rsplit(":", 1)[1])


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_declared_too_large_is_413_while_the_client_still_sends(
    small: Any, chunked: bool
) -> None:
    """Before: waitress answered a Content-Length over the limit 413 and closed with the
    body still coming: the kernel reset the connection and a client sending it in pieces
    (a file read in blocks, a slow network) saw a reset after 64 KiB, not the 413 (and
    so for chunks past the limit). The channel now reads the body away (a lingering
    close, bounded) before closing."""
    declared = 11 * 1024 * 1024
    seen = send_in_pieces(
        _address(small),
        declared,
        headers=f"Authorization: Bearer {small.token}\r\n",
        chunked=chunked,
    )
    assert seen.send_error is None and seen.sent == declared, seen
    assert seen.status == 413 and seen.body is not None, seen
    assert seen.body["code"] == "payload_too_large" and seen.body["detail"]["limit"] == LIMIT
    said = f"{declared} bytes; the limit" if not chunked else f"larger than the limit of {LIMIT}"
    assert said in seen.body["message"], seen.body
    assert SETTING in seen.body["message"], seen.body
    assert _sessions(small) == 0


def test_refused_bodies_read_away_leave_the_server_answering(small: Any) -> None:
    """20 clients each still sending a refused 640 KiB (8 KiB every 100 ms): waitress reads
    them away in its socket loop, ``/health`` is answered while all of them still come, and
    each reads its 413."""
    assert_health_among_refused_senders(small.url, _address(small))


def test_refused_senders_past_the_connections_leave_health_a_connection(tmp_path: Path) -> None:
    """Before: every refused body lingered, so as many clients sending refused bodies as
    the server takes connections held them all (for up to ``serving.LINGER_SECONDS``),
    and ``/health`` waited for one to end (5 s behind 600 senders under ``serve``'s
    defaults; 7 s here). At most ``serving.LINGER_SHARE`` of them linger now."""
    database = str(tmp_path / "crowded.db")
    service = create_app(database=database, auth_required=True, max_body_bytes=LIMIT, **IN_THREADS)
    crowded = ServedInstance(service, database, threads=2, connection_limit=12)
    try:
        assert_health_among_more_refused_senders_than_connections(
            crowded.url, _address(crowded), 12
        )
    finally:
        crowded.close()


def test_a_refused_body_that_stops_coming_is_not_waited_for(small: Any) -> None:
    """Reading a refused body away is bounded: the 413 is whole at once (the channel shuts
    its side), and a client that stops sending the body without closing has the
    connection closed once ``serving.LINGER_IDLE_SECONDS`` pass without a byte (its next
    bytes are then reset), not after the whole ``serving.LINGER_SECONDS``."""
    assert_a_stalled_refused_body_is_let_go(_address(small), LIMIT)


@pytest.mark.parametrize(
    ("target", "headers", "status"),
    [c[1:] for c in REFUSED_HEADS],
    ids=[c[0] for c in REFUSED_HEADS],
)
def test_a_head_refused_while_its_body_comes_is_read_not_reset(
    small: Any, target: str, headers: str, status: int
) -> None:
    """Before: only a 413 lingered; waitress's 400 (a NUL in a header, a malformed
    Content-Length) and the channel's 431, 414 and 417 closed the connection with the body
    still coming, and the client's send was reset after 64 KiB."""
    assert_a_refused_head_is_read_while_its_body_comes(_address(small), target, headers, status)


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_a_nul_in_the_url_path_is_a_400_on_every_store(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Before: ``%00`` in a path segment looked up by name (an analytics file's) reached
    PostgreSQL, which refuses NUL in text: a 500 there (a 404 on SQLite). No id or name
    holds a NUL, so the path is refused at the door, before anything is looked up."""
    database = str(tmp_path / "nul.db") if store == "sqlite" else request.getfixturevalue("pg_url")
    service = create_app(database=database, auth_required=True, **IN_THREADS)
    instance = ServedInstance(service, database)
    try:
        headers = {**instance.headers(), "Content-Type": "application/json"}
        made = requests.post(
            f"{instance.url}/v1/sessions", json={"name": "nul"}, headers=headers, timeout=30
        )
        sid = made.json()["id"]
        before = requests.get(f"{instance.url}/v1/sessions", headers=headers, timeout=30).json()
        for path in (
            f"/v1/sessions/{sid}/analytics/files/a%00.png",
            f"/v1/sessions/{sid}%00",
            "/v1/experiments/1%00",
            "/v1/clients/1/projects/p%00",
        ):
            for method in ("GET", "HEAD", "DELETE"):
                answer = requests.request(method, instance.url + path, headers=headers, timeout=30)
                assert answer.status_code == 400, (method, path, answer.text[:300])
                if method != "HEAD":
                    error = answer.json()
                    assert error["detail"] == {"field": "path"}, error
                    assert "contains a NUL character (%00)" in error["message"], error
        after = requests.get(f"{instance.url}/v1/sessions", headers=headers, timeout=30).json()
        assert after == before
    finally:
        instance.close()


def test_a_nul_in_the_url_path_echoes_the_path_the_client_sent(tmp_path: Path) -> None:
    """Before: the 400 echoed WSGI's Latin-1 text of the path's bytes, so
    ``/v1/sessions/caf%C3%A9%00`` was shown as "/v1/sessions/caf\u00c3\u00a9\\u0000", a
    path no one sent; it is shown decoded as UTF-8 (bytes that are not, escaped), as the
    400 for a path that is not UTF-8 shows it."""
    database = str(tmp_path / "nul.db")
    instance = ServedInstance(create_app(database=database, **IN_THREADS), database)
    try:
        for sent, shown in (
            ("/v1/sessions/caf%C3%A9%00", "/v1/sessions/caf\u00e9\\u0000"),
            ("/v1/sessions/caf%E9%00", "/v1/sessions/caf\\xe9\\u0000"),
        ):
            answer = requests.get(instance.url + sent, headers=instance.headers(), timeout=30)
            assert answer.status_code == 400, (sent, answer.text[:300])
            error = answer.json()
            assert error["message"].startswith(
                f"The URL path '{shown}' contains a NUL character (%00)"
            ), (sent, error)
            assert error["detail"] == {"field": "path"}, error
    finally:
        instance.close()

"""A revoked token stops working at once, on answers already under way too.

A task's event stream (``GET /v1/sessions/{sid}/tasks/{tid}/events``) can stay open
for the task's time limit (an hour by default). It was let in by its token once, and
went on sending the task, its progress and at last its result, after that token was
revoked or the dashboard session that opened it was signed out. Now it asks again,
at most a second apart, and ends: the client's next request is the 401.

The server runs no tasks, so the task stays queued and its stream waits; cancelling
it (with another, valid token) is the change the stream would report.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from sigopt_like.service.dashboard.cookies import COOKIE_NAME
from tests.fixtures.servers import ServedInstance, serve_in_thread

pytestmark = pytest.mark.security

SPACE = {
    "type": "factorial",
    "parameters": [{"name": "t", "type": "numerical", "values": [1, 2, 3]}],
}


class Stream:
    """One event stream read over a raw socket, with ``header`` as its credential."""

    def __init__(self, url: str, path: str, header: str) -> None:
        host, _, port = url.removeprefix("http://").partition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{header}\r\n\r\n"
        self.sock.sendall(request.encode())
        self.received = b""
        self.ended = False

    def read_for(self, seconds: float, until: bytes | None = None) -> None:
        """Read what arrives for ``seconds``, or until ``until`` arrives or the stream ends."""
        deadline = time.monotonic() + seconds
        while not self.ended and (until is None or until not in self.received):
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                return
            self.received += chunk
            # the server closed the connection, or ended the chunked body
            self.ended = not chunk or self.received.endswith(b"\r\n0\r\n\r\n")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def idle_server(tmp_path: Path) -> Iterator[ServedInstance]:
    """A served instance that runs no tasks: a task stays queued, its stream open."""
    served = serve_in_thread(tmp_path, run_tasks=False)
    try:
        yield served
    finally:
        served.close()


def _queued_task(served: ServedInstance) -> tuple[str, str]:
    http = requests.Session()
    http.headers.update(served.headers())
    sid = http.post(f"{served.url}/v1/sessions", json={"name": "streamed"}, timeout=30).json()
    task = http.put(
        f"{served.url}/v1/sessions/{sid['id']}/space",
        json={"space": SPACE, "population_size": 3, "replicates": 0},
        timeout=30,
    ).json()
    assert task["status"] == "new", task
    return sid["id"], task["id"]


def _stream_ends_unheard(served: ServedInstance, sid: str, tid: str, stream: Stream) -> None:
    """After the credential went: the task changes, the stream ends without telling it."""
    time.sleep(1.2)  # the stream asks at most a second apart
    cancel = requests.post(
        f"{served.url}/v1/sessions/{sid}/tasks/{tid}/cancel", headers=served.headers(), timeout=30
    )
    assert cancel.status_code == 200 and cancel.json()["status"] == "canceled", cancel.text
    stream.read_for(5, until=b'"status":"canceled"')
    assert b'"status":"canceled"' not in stream.received, stream.received[-300:]
    assert stream.ended, stream.received[-300:]


def test_a_stream_ends_when_its_token_is_revoked(idle_server: ServedInstance) -> None:
    served = idle_server
    sid, tid = _queued_task(served)
    accounts = served.service.context.store.accounts
    user = accounts.find_user(served.email)
    assert user is not None
    second = accounts.issue_token(user.id, name="streaming")
    path = f"/v1/sessions/{sid}/tasks/{tid}/events"
    stream = Stream(served.url, path, f"Authorization: Bearer {second.token}")
    try:
        stream.read_for(10, until=b"event: task")
        assert b'"status":"new"' in stream.received, stream.received[:300]
        assert accounts.revoke_token(token_id=second.id) == 1
        _stream_ends_unheard(served, sid, tid, stream)
    finally:
        stream.close()
    again = requests.get(
        served.url + path, headers={"Authorization": f"Bearer {second.token}"}, timeout=30
    )
    assert again.status_code == 401


def test_a_dashboard_stream_ends_when_its_session_signs_out(idle_server: ServedInstance) -> None:
    served = idle_server
    sid, tid = _queued_task(served)
    signed_in = requests.post(
        f"{served.url}/auth/sign-in", json={"token": served.token}, timeout=30
    )
    assert signed_in.status_code == 201, signed_in.text
    cookie, csrf = signed_in.cookies[COOKIE_NAME], signed_in.json()["csrf_token"]
    path = f"/v1/sessions/{sid}/tasks/{tid}/events"
    stream = Stream(served.url, path, f"Cookie: {COOKIE_NAME}={cookie}")
    try:
        stream.read_for(10, until=b"event: task")
        assert b'"status":"new"' in stream.received, stream.received[:300]
        out = requests.post(
            f"{served.url}/auth/sign-out",
            headers={"Cookie": f"{COOKIE_NAME}={cookie}", "X-CSRF-Token": csrf},
            timeout=30,
        )
        assert out.status_code == 200 and out.json()["signed_in"] is False
        _stream_ends_unheard(served, sid, tid, stream)
    finally:
        stream.close()


def test_a_stream_of_a_valid_token_still_reports_the_change(idle_server: ServedInstance) -> None:
    """The check ends only streams whose credential went."""
    served = idle_server
    sid, tid = _queued_task(served)
    path = f"/v1/sessions/{sid}/tasks/{tid}/events"
    stream = Stream(served.url, path, f"Authorization: Bearer {served.token}")
    try:
        stream.read_for(10, until=b"event: task")
        time.sleep(1.2)
        requests.post(
            f"{served.url}/v1/sessions/{sid}/tasks/{tid}/cancel",
            headers=served.headers(),
            timeout=30,
        )
        stream.read_for(10, until=b'"status":"canceled"')
        assert b'"status":"canceled"' in stream.received, stream.received[-300:]
    finally:
        stream.close()


def test_a_long_poll_whose_token_is_revoked_meanwhile_gets_the_401(
    idle_server: ServedInstance,
) -> None:
    """The other waiting answer, ``?wait=S``: the task it waited for is not given."""
    served = idle_server
    sid, tid = _queued_task(served)
    accounts = served.service.context.store.accounts
    user = accounts.find_user(served.email)
    assert user is not None
    second = accounts.issue_token(user.id, name="polling")
    path = f"/v1/sessions/{sid}/tasks/{tid}?wait=30"
    poll = Stream(served.url, path, f"Authorization: Bearer {second.token}")
    try:
        watch = served.service.context.task_watch
        assert watch is not None
        deadline = time.monotonic() + 10
        while watch.waiting < 1:  # the poll reached the server and waits
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert accounts.revoke_token(token_id=second.id) == 1
        requests.post(
            f"{served.url}/v1/sessions/{sid}/tasks/{tid}/cancel",
            headers=served.headers(),
            timeout=30,
        )
        poll.read_for(10, until=b"}")
        assert poll.received.startswith(b"HTTP/1.1 401"), poll.received[:300]
        assert b"canceled" not in poll.received and second.token.encode() not in poll.received
    finally:
        poll.close()

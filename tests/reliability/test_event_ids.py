"""A task's event stream honours ``Last-Event-ID`` (what EventSource sends back when it
reconnects): each event's ``id`` is the task's version; a reconnect with the id of the
task as it is now gets nothing it has (the next event is the next change), of a finished
task a 204 (EventSource's "stop reconnecting"); an older id gets the task at once; a
malformed one is ignored, as if absent. Before, every reconnect was sent the state it had.

Over a real server, with raw requests: the header byte for byte, and what came back
before anything changed."""

from __future__ import annotations

import re
import time

import pytest
import requests
import sqlalchemy as sa

from sigopt_like.service.event_ids import event_id, seen_by_client
from sigopt_like.service.store import schema
from sigopt_like.service.worker import TaskRunner
from tests.fixtures.servers import ServedInstance
from tests.fixtures.waiting import RawRequest, queued_tasks, read_until_closed

EVENT_ID = re.compile(rb"event: task\nid: ([^\n]*)\ndata: (\{[^\n]*\})\n")


def _stream(served: ServedInstance, sid: str, tid: str, last: str | None) -> RawRequest:
    headers = {"Authorization": f"Bearer {served.token}", "Accept": "text/event-stream"}
    if last is not None:
        headers["Last-Event-ID"] = last
    return RawRequest(served.url, f"/v1/sessions/{sid}/tasks/{tid}/events", headers)


def _ids(raw: bytes) -> list[str]:
    return [m.group(1).decode() for m in EVENT_ID.finditer(raw)]


def _task(served: ServedInstance, sid: str, tid: str) -> dict:
    url = f"{served.url}/v1/sessions/{sid}/tasks/{tid}"
    return requests.get(url, headers=served.headers(), timeout=30).json()


def test_a_reconnect_with_the_current_id_waits_for_the_next_change(
    idle_server: ServedInstance,
) -> None:
    """A queued task (it stays as it is on this server): a stream without the header is
    sent it at once, with its version as id; a reconnect with that id is sent nothing,
    and then the change (a cancel) when it comes, with the next id, and ends."""
    served = idle_server
    [(sid, tid)] = queued_tasks(served, 1)
    version = _task(served, sid, tid)["version"]
    first = _stream(served, sid, tid, None)
    again = _stream(served, sid, tid, str(version))
    try:
        assert first.read_until(b"\n\n", 10) and first.read_until(b"event: task", 10)
        first.read_until(b"}\n\n", 10)
        assert _ids(first.received) == [str(version)], first.received
        assert again.read_until(b"retry: 1000", 10), again.received
        assert b"200 OK" in again.received.split(b"\r\n", 1)[0], again.received
        # two seconds with the task unchanged: nothing sent (before: the task again)
        assert not again.read_until(b"event: task", 2), again.received
        cancel = f"{served.url}/v1/sessions/{sid}/tasks/{tid}/cancel"
        assert requests.post(cancel, headers=served.headers(), timeout=30).status_code == 200
        assert again.read_until(b"event: task", 10), again.received
        again.read_until(None, 10)  # the stream ends after the finished task
        assert again.ended
        ids = _ids(again.received)
        assert ids == [str(_task(served, sid, tid)["version"])] and int(ids[0]) > version
        assert b'"status":"canceled"' in again.received
    finally:
        first.close()
        again.close()


def test_a_finished_task_resumed_at_its_last_id_is_a_204(idle_server: ServedInstance) -> None:
    """The client has the finished task's last state and nothing more will come: 204 No
    Content, which tells EventSource to stop reconnecting (a stream that just ended is
    reconnected to every second). An older id gets the last state at once."""
    served = idle_server
    [(sid, tid)] = queued_tasks(served, 1)
    queued = _task(served, sid, tid)["version"]
    cancel = f"{served.url}/v1/sessions/{sid}/tasks/{tid}/cancel"
    requests.post(cancel, headers=served.headers(), timeout=30).raise_for_status()
    last = _task(served, sid, tid)["version"]
    assert last > queued
    done = _stream(served, sid, tid, str(last))
    try:
        answer = read_until_closed(done.sock, ends_on=(TimeoutError,))
    finally:
        done.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 204"), answer
    assert body == b"" and b"event:" not in answer
    older = _stream(served, sid, tid, str(queued))
    try:
        assert older.read_until(b"}\n\n", 10), older.received
        assert older.received.startswith(b"HTTP/1.1 200")
        assert _ids(older.received) == [str(last)]
    finally:
        older.close()


def test_a_reconnect_told_of_its_worker_gone_is_not_told_again(
    idle_server: ServedInstance,
) -> None:
    """A running task whose worker's lease lapsed (its worker on another host, last heard
    from long ago) is sent with ``warnings`` and the id ``<version>-gone``; a reconnect
    with that id is sent nothing, one with the bare version (it had the task without the
    warning) is sent the warning at once."""
    served = idle_server
    [(sid, tid)] = queued_tasks(served, 1)
    store = served.service.context.store
    claimer = TaskRunner(store, served.service.settings, threads=0)
    assert claimer.claim() == int(tid)
    with store.database.write() as conn:
        conn.execute(
            sa.update(schema.tasks)
            .where(schema.tasks.c.id == int(tid))
            .values(worker="elsewhere:1:x", heartbeat=int(time.time()) - 3600)
        )
    task = _task(served, sid, tid)
    assert task["status"] == "running" and task["warnings"], task
    version = task["version"]
    told = _stream(served, sid, tid, None)
    same = _stream(served, sid, tid, f"{version}-gone")
    untold = _stream(served, sid, tid, str(version))
    try:
        assert told.read_until(b"}\n\n", 10), told.received
        assert _ids(told.received) == [f"{version}-gone"]
        assert untold.read_until(b"}\n\n", 10), untold.received
        assert _ids(untold.received) == [f"{version}-gone"]
        assert same.read_until(b"retry: 1000", 10) and same.received.startswith(b"HTTP/1.1 200")
        assert not same.read_until(b"event: task", 2), same.received
    finally:
        told.close()
        same.close()
        untold.close()


@pytest.mark.parametrize(
    "malformed", ["", "abc", "7x", "-1", "1.5", "99999999999", "3-gone-gone", "2147483648"]
)
def test_a_malformed_last_event_id_is_ignored_as_if_absent(
    idle_server: ServedInstance, malformed: str
) -> None:
    """Not a 400 (the header is the browser's; a 4xx fails an EventSource for good): the
    stream is as without it, the task sent at once."""
    served = idle_server
    [(sid, tid)] = queued_tasks(served, 1)
    version = _task(served, sid, tid)["version"]
    stream = _stream(served, sid, tid, malformed)
    try:
        assert stream.read_until(b"}\n\n", 10), stream.received
        assert stream.received.startswith(b"HTTP/1.1 200"), stream.received
        assert _ids(stream.received) == [str(version)]
    finally:
        stream.close()


def test_an_event_id_says_whether_the_worker_was_gone() -> None:
    """``7`` and ``7-gone`` are two states of one version: a client that was told of its
    worker gone is not told again on a reconnect, nor one that was not told it is."""
    assert event_id(7, False) == "7" and event_id(7, True) == "7-gone"
    assert seen_by_client("7") == (7, False)
    assert seen_by_client(" 7-gone ") == (7, True)
    assert seen_by_client(str(2**31 - 1)) == (2**31 - 1, False)
    for bad in (None, "", "x", "7-gon", "-gone", "2147483648", "+7", "0x7"):
        assert seen_by_client(bad) is None, bad

"""Many clients waiting on tasks do not stop the server answering everyone else.

A served instance built as ``sigopt-like serve`` builds it (8 request threads)
runs no tasks, so every task stays queued and every waiter keeps waiting. Then
more event streams and long polls than the server has request threads are held
open at once, and:

- ``/health`` and another user's calls are still answered (the issue: with 8
  streams open, they timed out);
- a waiter whose task changes hears of it at once (one watcher wakes it);
- beyond the instance's waiting slots, a long poll answers at once and a stream
  sends the task and ends, so waiters never hold the threads others need.

How fast they are answered while 200 clients wait is measured in
``benchmarks/waiting_clients.py`` (docs/reliability.md quotes it).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests

from tests.fixtures.faults import env_int
from tests.fixtures.servers import ServedInstance, serve_in_thread
from tests.fixtures.waiting import RawRequest, queued_tasks

pytestmark = [pytest.mark.reliability, pytest.mark.concurrency]

STREAMS = env_int("SIGOPT_LIKE_WAITING_STREAMS", 24)
POLLS = env_int("SIGOPT_LIKE_WAITING_POLLS", 24)


def open_waiter(url: str, path: str, token: str) -> RawRequest:
    """One waiting request (an event stream or a long poll) with ``token``."""
    accept = "text/event-stream, application/json"
    return RawRequest(url, path, {"Authorization": f"Bearer {token}", "Accept": accept})


def test_more_waiters_than_threads_leave_health_and_others_answered(
    idle_server: ServedInstance, figures
) -> None:
    served = idle_server
    tasks = queued_tasks(served, STREAMS + POLLS)
    waiters: list[RawRequest] = []
    try:
        for sid, tid in tasks[:STREAMS]:
            waiters.append(
                open_waiter(served.url, f"/v1/sessions/{sid}/tasks/{tid}/events", served.token)
            )
        for sid, tid in tasks[STREAMS:]:
            waiters.append(
                open_waiter(served.url, f"/v1/sessions/{sid}/tasks/{tid}?wait=60", served.token)
            )
        # every stream is open and has sent the queued task
        for waiter in waiters[:STREAMS]:
            assert waiter.read_until(b"event: task", 30), waiter.received[:300]
        watch = served.service.context.task_watch
        assert watch is not None
        deadline = time.monotonic() + 30  # the long polls reach the server and wait
        while watch.waiting < STREAMS + POLLS:
            assert time.monotonic() < deadline, watch.waiting
            time.sleep(0.05)
        assert not any(w.has_answered() for w in waiters[STREAMS:])

        # while they all wait: health and another user's calls are answered
        _, other = served.make_user()
        started = time.monotonic()
        assert requests.get(f"{served.url}/health", timeout=10).status_code == 200
        listed = requests.get(
            f"{served.url}/v1/sessions", headers=served.headers(other), timeout=10
        )
        assert listed.status_code == 200 and listed.json()["count"] == 0
        created = requests.post(
            f"{served.url}/v1/sessions",
            json={"name": "other"},
            headers=served.headers(other),
            timeout=10,
        )
        assert created.status_code == 201
        answered_in = time.monotonic() - started

        # a change reaches its waiters at once: cancel one streamed and one polled task
        http = requests.Session()
        http.headers.update(served.headers())
        for index in (0, STREAMS):
            sid, tid = tasks[index]
            assert http.post(f"{served.url}/v1/sessions/{sid}/tasks/{tid}/cancel").ok
        assert waiters[0].read_until(b'"status":"canceled"', 10), waiters[0].received[-300:]
        assert waiters[STREAMS].read_until(b'"status": "canceled"', 10), waiters[STREAMS].received
        # the others still wait
        assert not waiters[STREAMS + 1].has_answered()
        deadline = time.monotonic() + 10  # the two answered give their slots back
        while watch.waiting > STREAMS + POLLS - 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert watch.waiting == STREAMS + POLLS - 2, watch.waiting
        figures(streams=STREAMS, long_polls=POLLS, others_answered_in_seconds=round(answered_in, 3))
    finally:
        for waiter in waiters:
            waiter.close()


def test_waiters_beyond_the_slots_are_answered_at_once(tmp_path: Path) -> None:
    served = serve_in_thread(tmp_path, run_tasks=False, max_waiting_requests=3)
    waiters: list[RawRequest] = []
    try:
        tasks = queued_tasks(served, 5)
        for sid, tid in tasks[:3]:
            waiters.append(
                open_waiter(served.url, f"/v1/sessions/{sid}/tasks/{tid}/events", served.token)
            )
        for waiter in waiters:
            assert waiter.read_until(b"event: task", 30)
        # the slots are taken: a fourth stream sends the task and ends ...
        sid, tid = tasks[3]
        reply = requests.get(
            f"{served.url}/v1/sessions/{sid}/tasks/{tid}/events",
            headers=served.headers(),
            timeout=10,
        )
        assert reply.status_code == 200 and reply.text.count("event: task") == 1
        # ... and a long poll answers at once, saying why
        sid, tid = tasks[4]
        reply = requests.get(
            f"{served.url}/v1/sessions/{sid}/tasks/{tid}",
            params={"wait": 60},
            headers=served.headers(),
            timeout=10,
        )
        assert reply.status_code == 200 and reply.headers.get("X-Wait-Refused") == "slots"
        assert json.loads(reply.text)["status"] == "new"
        # a stream that ends (its task finished) gives its slot back
        sid, tid = tasks[0]
        assert requests.post(
            f"{served.url}/v1/sessions/{sid}/tasks/{tid}/cancel", headers=served.headers()
        ).ok
        assert waiters[0].read_until(b'"status":"canceled"', 10)
        watch = served.service.context.task_watch
        assert watch is not None
        deadline = time.monotonic() + 10
        while watch.waiting > 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert watch.waiting == 2
    finally:
        for waiter in waiters:
            waiter.close()
        served.close()

"""Many clients waiting on tasks do not stop the server answering everyone else.

A served instance built as ``sigopt-like serve`` builds it (8 request threads)
runs no tasks, so every task stays queued and every waiter keeps waiting. Then
more event streams and long polls than the server has request threads are held
open at once, and:

- ``/health`` and another user's calls are still answered (the issue: with 8
  streams open, they timed out);
- a waiter whose task changes hears of it at once (one watcher wakes it);
- beyond the instance's waiting slots, a long poll answers at once and a stream
  sends the task and ends, so waiters never hold the threads others need;
- an operator sees them on /metrics, in a gauge of their own.

How fast they are answered while 200 clients wait is measured in
``benchmarks/waiting_clients.py`` (docs/reliability.md quotes it).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from sigopt_like.service.graceful_stop import StopSignals
from sigopt_like.service.resources import tasks as task_routes
from tests.fixtures.faults import env_int
from tests.fixtures.servers import (
    ServedInstance,
    ServedProcess,
    gunicorn_answering,
    serve_in_thread,
    start_gunicorn,
    stop_gunicorn,
    token_in,
    wsgi_factory,
)
from tests.fixtures.waiting import QUEUED_SPACE, RawRequest, queued_tasks

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


def test_a_long_poll_while_the_server_stops_is_refused_for_stopping(tmp_path: Path) -> None:
    """Before: a stopping server's watch gives no slot, so a long poll arriving while it
    stopped was answered ``X-Wait-Refused: slots``, though slots were free."""
    served = serve_in_thread(tmp_path, run_tasks=False, max_waiting_requests=3)
    try:
        ((sid, tid),) = queued_tasks(served, 1)
        served.service.stop_waiting()  # as gunicorn's worker does on SIGTERM
        began = time.monotonic()
        reply = requests.get(
            f"{served.url}/v1/sessions/{sid}/tasks/{tid}",
            params={"wait": 60},
            headers=served.headers(),
            timeout=10,
        )
        assert time.monotonic() - began < 5
        assert reply.status_code == 200, reply.text[:300]
        assert reply.headers.get("X-Wait-Refused") == "stopping", reply.headers
        assert json.loads(reply.text)["status"] == "new"
    finally:
        served.close()


IN_FLIGHT = "sigopt_like_http_requests_in_flight"
STREAMS_OPEN = 'sigopt_like_http_streams_open{kind="event_stream"}'
POLLS_WAITING = 'sigopt_like_http_streams_open{kind="long_poll"}'


def _gauges(url: str) -> dict[str, float]:
    """The in-flight and waiting gauges of /metrics (its own request is in flight)."""
    text = requests.get(f"{url}/metrics", timeout=10).text
    pattern = r"^(sigopt_like_http_(?:requests_in_flight|streams_open)\S*) (\S+)$"
    return {name: float(value) for name, value in re.findall(pattern, text, re.M)}


def _gauges_become(url: str, expected: dict[str, float], seconds: float = 30) -> dict[str, float]:
    """The gauges once they read ``expected`` (an assertion error after ``seconds``)."""
    deadline = time.monotonic() + seconds
    while True:
        gauges = _gauges(url)
        if gauges == expected:
            return gauges
        assert time.monotonic() < deadline, (gauges, expected)
        time.sleep(0.05)


def test_waiting_clients_have_a_gauge_of_their_own(
    idle_server: ServedInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An open event stream was in no gauge (its body is sent after its request is
    answered) and a waiting long poll was a request in flight, so /metrics could not say
    how many clients waited. ``sigopt_like_http_streams_open{kind}`` counts them, from
    the stream's first byte and while the poll waits, until they end or their client
    goes away; in flight counts the other requests."""
    # a client gone is noticed at the stream's next write: a keep-alive, every 0.2 s here
    monkeypatch.setattr(task_routes, "HEARTBEAT_SECONDS", 0.2)
    served = idle_server
    (stream_sid, stream_tid), (poll_sid, poll_tid) = queued_tasks(served, 2)
    stream = open_waiter(
        served.url, f"/v1/sessions/{stream_sid}/tasks/{stream_tid}/events", served.token
    )
    poll = open_waiter(
        served.url, f"/v1/sessions/{poll_sid}/tasks/{poll_tid}?wait=60", served.token
    )
    try:
        assert stream.read_until(b"event: task", 30), stream.received[:300]
        # the long poll reaches the server and waits; the stream is counted since before
        # its first byte; in flight is the /metrics request alone
        _gauges_become(served.url, {IN_FLIGHT: 1.0, STREAMS_OPEN: 1.0, POLLS_WAITING: 1.0})
        assert not poll.has_answered()

        stream.close()  # its client goes away
        _gauges_become(served.url, {IN_FLIGHT: 1.0, STREAMS_OPEN: 0.0, POLLS_WAITING: 1.0})

        cancel = f"{served.url}/v1/sessions/{poll_sid}/tasks/{poll_tid}/cancel"
        assert requests.post(cancel, headers=served.headers(), timeout=10).ok
        assert poll.read_until(b'"status": "canceled"', 10), poll.received[-300:]
        _gauges_become(served.url, {IN_FLIGHT: 1.0, STREAMS_OPEN: 0.0, POLLS_WAITING: 0.0})
    finally:
        stream.close()
        poll.close()


def _wait_on(task: str, headers: dict[str, str]) -> tuple[list[threading.Thread], dict[str, Any]]:
    """A long poll (``wait=60``) and an event stream on the ``task`` URL, each in a
    thread: ``answers`` gets the poll's response and the stream's lines (or the error
    each ended with) once they end, and when each ended (``ended``: ``time.monotonic()``)."""
    answers: dict[str, Any] = {}

    def poll() -> None:
        try:
            answers["poll"] = requests.get(task, params={"wait": 60}, headers=headers)
        except requests.RequestException as err:
            answers["poll"] = err
        answers.setdefault("ended", []).append(time.monotonic())

    def stream() -> None:
        try:
            with requests.get(f"{task}/events", headers=headers, stream=True) as events:
                answers["stream"] = list(events.iter_lines(decode_unicode=True))
        except requests.RequestException as err:
            answers["stream"] = err
        answers.setdefault("ended", []).append(time.monotonic())

    waiters = [threading.Thread(target=poll), threading.Thread(target=stream)]
    for waiter in waiters:
        waiter.start()
    return waiters, answers


def _both_wait(url: str, count: int = 1) -> None:
    """Once the server at ``url`` counts ``count`` long polls and as many event streams
    waiting."""
    metrics = ""
    deadline = time.monotonic() + 30
    while f"{POLLS_WAITING} {count}.0" not in metrics or f"{STREAMS_OPEN} {count}.0" not in metrics:
        assert time.monotonic() < deadline, metrics
        time.sleep(0.1)
        metrics = requests.get(f"{url}/metrics", timeout=10).text


def test_a_stopping_gunicorn_worker_answers_its_waiting_clients(tmp_path: Path) -> None:
    """SIGTERM to gunicorn while a long poll (``wait=60``) and an event stream wait on a
    queued task: the poll is answered the task (200) and the stream ends after its event,
    at once, and gunicorn exits. Before, they held the worker for its whole graceful
    timeout (30 s: a restart took that long) and were then cut off, each client seeing
    its connection reset instead of an answer."""
    database = str(tmp_path / "stopping.db")
    headers = {"Authorization": f"Bearer {token_in(database)}"}
    factory = wsgi_factory(database)
    proc, log = start_gunicorn(tmp_path, factory, threads=4)
    try:
        url = gunicorn_answering(proc, log)
        sid = requests.post(f"{url}/v1/sessions", json={"name": "s"}, headers=headers).json()
        body = {"space": QUEUED_SPACE, "population_size": 3, "replicates": 0}
        put = requests.put(f"{url}/v1/sessions/{sid['id']}/space", json=body, headers=headers)
        task = f"{url}/v1/sessions/{sid['id']}/tasks/{put.json()['id']}"
        waiters, answers = _wait_on(task, headers)
        _both_wait(url)
        stopped = time.monotonic()
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"gunicorn still ran 15 s after SIGTERM: its waiting clients held it\n"
                f"{log.read_text()}"
            )
        for waiter in waiters:
            waiter.join(timeout=30)
        assert time.monotonic() - stopped < 15
        polled = answers["poll"]
        assert isinstance(polled, requests.Response), polled
        assert polled.status_code == 200 and polled.json()["status"] == "new", polled.text
        lines = answers["stream"]
        assert isinstance(lines, list) and "event: task" in lines, lines
    finally:
        if proc.poll() is None:
            stop_gunicorn(proc)


def test_a_stopping_serve_answers_its_waiting_clients(tmp_path: Path) -> None:
    """SIGTERM to ``sigopt-like serve`` while long polls (``wait=60``) and event streams
    wait on queued tasks (``--no-tasks``: they stay queued): each poll is answered the
    task (200), each stream ends after its event (its chunked body whole: no reset), and
    serve exits 0 within its grace, saying it stopped, with no traceback. Before, its
    signal handler stopped waitress's loop at once: serve exited only after waitress
    had waited 5 s for its threads, and closed the service under the waiting requests,
    so whether an answer was sent was a race with the process's exit (by hand, of 20
    waiting clients 6 to 12 got a 500 or a cut connection), and its log could show a
    traceback (a request thread waking the closed loop)."""
    count = 8
    served = ServedProcess(tmp_path / "stopping.db", "--no-tasks")
    try:
        clients = [
            _wait_on(f"{served.url}/v1/sessions/{sid}/tasks/{tid}", served.headers())
            for sid, tid in queued_tasks(served, count)
        ]
        _both_wait(served.url, count)
        assert served.process is not None
        stopped = time.monotonic()
        served.process.send_signal(signal.SIGTERM)
        try:
            code = served.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pytest.fail(f"serve still ran 15 s after SIGTERM:\n{served.output()}")
        for waiters, answers in clients:
            for waiter in waiters:
                waiter.join(timeout=30)
            polled = answers["poll"]
            assert isinstance(polled, requests.Response), (polled, served.output())
            assert polled.status_code == 200, (polled.text, served.output())
            assert polled.json()["status"] == "new", polled.text
            lines = answers["stream"]
            assert isinstance(lines, list), (lines, served.output())
            assert "event: task" in lines, (lines, served.output())
        # answered at once (a waiter is woken at once, and waits a second at most), so
        # well before the 5 s that waitress, stopped under them, waited for its threads
        # before the service was closed and they were woken. Timed from the signal to
        # the clients' last answer, not to serve's exit: its closing and the interpreter's
        # exit took part of the margin on a busy machine.
        answered = max(at for _, answers in clients for at in answers["ended"]) - stopped
        assert answered < 4, (answered, served.output())
        assert code == 0, served.output()
        assert "Traceback" not in served.output(), served.output()
        last = served.output().strip().splitlines()[-1]
        assert last == f"sigopt-like: stopped serving on {served.url} (SIGTERM)", last
    finally:
        served.kill()


def test_a_second_stop_signal_stops_at_once() -> None:
    """The first SIGTERM or Ctrl-C asks ``serve`` to stop once its clients are answered;
    a second one stops it at once (``KeyboardInterrupt``), naming the first."""
    signals = StopSignals()
    signals(signal.SIGTERM, None)
    assert signals.asked == "SIGTERM"
    with pytest.raises(KeyboardInterrupt):
        signals(signal.SIGINT, None)
    assert signals.asked == "SIGTERM"


def _slots_free(url: str, path: str, headers: dict[str, str], seconds: float) -> bool:
    """Whether a long poll (``wait=1``) gets a waiting slot within ``seconds`` (not
    ``X-Wait-Refused: slots``)."""
    deadline = time.monotonic() + seconds
    while True:
        polled = requests.get(f"{url}{path}?wait=1", headers=headers, timeout=30)
        assert polled.status_code == 200, polled.text
        if polled.headers.get("X-Wait-Refused") != "slots":
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


@pytest.mark.parametrize("server", ["serve", "gunicorn"])
def test_abandoned_long_polls_give_their_slots_back(tmp_path: Path, server: str) -> None:
    """As many long polls (``wait=60``) as the instance has waiting slots (4 here), whose
    clients then go away (a script stopped with Ctrl-C): their slots are free again within
    seconds, and a new client's poll waits. Before, a long poll wrote nothing while it
    waited and neither server looked at its connection: each abandoned poll held its slot
    for its whole minute, and every new client meanwhile was refused its wait
    (``X-Wait-Refused: slots``), under waitress and under gunicorn."""
    slots = 4
    proc = None
    served = None
    if server == "serve":
        served = serve_in_thread(tmp_path, run_tasks=False, max_waiting_requests=slots)
        url, token = served.url, served.token
    else:
        database = str(tmp_path / "abandoned.db")
        token = token_in(database)
        factory = wsgi_factory(database, run_tasks=False, max_waiting_requests=slots)
        proc, log = start_gunicorn(tmp_path, factory, threads=slots + 4)
        url = gunicorn_answering(proc, log)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        sid = requests.post(f"{url}/v1/sessions", json={"name": "s"}, headers=headers).json()
        body = {"space": QUEUED_SPACE, "population_size": 3, "replicates": 0}
        put = requests.put(f"{url}/v1/sessions/{sid['id']}/space", json=body, headers=headers)
        path = f"/v1/sessions/{sid['id']}/tasks/{put.json()['id']}"
        polls = [open_waiter(url, f"{path}?wait=60", token) for _ in range(slots)]
        try:
            deadline = time.monotonic() + 30
            while _gauges(url).get(POLLS_WAITING) != slots:  # every slot taken
                assert time.monotonic() < deadline, (_gauges(url), [p.received for p in polls])
                time.sleep(0.05)
            refused = requests.get(f"{url}{path}?wait=1", headers=headers, timeout=30)
            assert refused.headers.get("X-Wait-Refused") == "slots", refused.headers
            assert not any(poll.has_answered() for poll in polls)
        finally:
            for poll in polls:
                poll.close()  # the clients go away
        assert _slots_free(url, path, headers, 10), "abandoned polls still hold the slots"
    finally:
        if served is not None:
            served.close()
        if proc is not None and proc.poll() is None:
            stop_gunicorn(proc)


def test_an_event_stream_reconnecting_in_a_loop_is_limited_per_token(tmp_path: Path) -> None:
    """With every waiting slot held, a client reconnecting to a task's event stream at once
    in a loop (each answer: the task once, then the end) is a fast client like any other:
    past the token's ``requests_per_minute`` it is a 429 with ``Retry-After``, while
    another user's calls are answered; no thread stays held by the loop."""
    served = serve_in_thread(
        tmp_path, run_tasks=False, max_waiting_requests=1, requests_per_minute=20
    )
    try:
        ((sid, tid),) = queued_tasks(served, 1)
        path = f"/v1/sessions/{sid}/tasks/{tid}"
        held = open_waiter(served.url, f"{path}/events", served.token)
        try:
            assert held.read_until(b"event: task", 30), held.received[:300]
            loop = requests.Session()
            statuses = []
            for _ in range(40):
                answer = loop.get(f"{served.url}{path}/events", headers=served.headers())
                statuses.append(answer.status_code)
                if answer.status_code == 429:
                    assert int(answer.headers["Retry-After"]) >= 1, answer.headers
                    assert answer.json()["code"] == "rate_limited", answer.text
                    break
                assert b"event: task" in answer.content  # sent once, then ended
            assert statuses[-1] == 429 and len(statuses) <= 21, statuses
            _, other = served.make_user()  # another user's budget is their own
            listed = requests.get(
                f"{served.url}/v1/sessions", headers=served.headers(other), timeout=10
            )
            assert listed.status_code == 200, listed.text
            assert requests.get(f"{served.url}/health", timeout=5).status_code == 200
        finally:
            held.close()
    finally:
        served.close()

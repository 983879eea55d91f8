"""A ``serve`` stopped while a request still runs past its grace (a real server process on
127.0.0.1, a real SQLite write lock held by this test): the request is answered, its write
whole, and a new request is refused 503 with ``Retry-After`` and ``Connection: close``."""

from __future__ import annotations

import http.client
import json
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from sigopt_like.service.graceful_stop import STOP_GRACE_SECONDS
from tests.fixtures.servers import ServedProcess

pytestmark = [pytest.mark.reliability]


def _post_session(served: ServedProcess, name: str, answers: dict[str, Any]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=60)
    try:
        conn.request(
            "POST",
            "/v1/sessions",
            body=json.dumps({"name": name}),
            headers={**served.headers(), "Content-Type": "application/json"},
        )
        answer = conn.getresponse()
        answers["status"] = answer.status
        answers["body"] = answer.read()
    except Exception as err:  # a cut connection: what the stop did before
        answers["error"] = err
    finally:
        conn.close()


def test_a_request_running_past_the_grace_is_answered_before_the_service_closes(
    tmp_path: Path,
) -> None:
    """A session created while another process holds SQLite's write lock waits for it (the
    busy timeout); SIGTERM comes, the grace passes, and the lock is then let go. Before,
    serve closed its service and exited at the grace's end: the request's client saw its
    connection cut, and a client on a kept-alive connection too. Now a request arriving
    past the grace is a 503 with Retry-After, ``Connection: close`` and the X-Request-Id it
    sent, the running one is answered 201, its session stored once, and serve exits 0."""
    served = ServedProcess(tmp_path / "late.db", "--no-tasks")
    try:
        # a kept-alive connection, opened before the stop, used after the grace
        kept = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
        kept.request("GET", "/health")
        assert kept.getresponse().read()
        lock = sqlite3.connect(served.database, isolation_level=None, timeout=30)
        lock.execute("BEGIN IMMEDIATE")
        answers: dict[str, Any] = {}
        poster = threading.Thread(target=_post_session, args=(served, "late", answers))
        try:
            poster.start()
            time.sleep(1.0)  # the request is in the service, waiting for the write lock
            assert served.process is not None
            served.process.send_signal(signal.SIGTERM)
            time.sleep(STOP_GRACE_SECONDS + 1.5)
            assert served.process.poll() is None, served.output()  # still answering it
            sent = {**served.headers(), "X-Request-Id": "client-late.1"}
            kept.request("GET", "/v1/sessions", headers=sent)
            refused = kept.getresponse()
            body = json.loads(refused.read())
            assert refused.status == 503, (body, served.output())
            assert body["code"] == "unavailable" and "stopping" in body["message"], body
            assert refused.getheader("Retry-After") == "1"
            assert refused.getheader("Connection") == "close"
            # the client's id, as the running service echoes it (before: a new one)
            assert refused.getheader("X-Request-Id") == "client-late.1"
        finally:
            lock.execute("ROLLBACK")
            lock.close()
            poster.join(timeout=60)
        assert "error" not in answers, (answers, served.output())
        assert answers["status"] == 201, (answers, served.output())
        assert json.loads(answers["body"])["name"] == "late"
        try:
            code = served.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail(f"serve still ran 30 s after the request was answered:\n{served.output()}")
        assert code == 0, served.output()
        assert "Traceback" not in served.output(), served.output()
        assert "cut off" not in served.output(), served.output()
        with sqlite3.connect(served.database) as stored:
            names = [row[0] for row in stored.execute("SELECT name FROM sessions")]
        assert names == ["late"], names
    finally:
        served.kill()


def _create_sessions_until_refused(
    served: ServedProcess, prefix: str, answers: list[tuple[str, int, str | None]]
) -> BaseException | None:
    """Create sessions one after another on one kept-alive connection (http.client opens a
    new one after an answer that closes it) until a connection is refused; each answer is
    ``(name, status, Connection header)``. Returns the error that ended the loop."""
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    headers = {**served.headers(), "Content-Type": "application/json"}
    try:
        for number in range(100_000):
            name = f"{prefix}-{number}"
            try:
                conn.request(
                    "POST", "/v1/sessions", body=json.dumps({"name": name}), headers=headers
                )
                answer = conn.getresponse()
                answer.read()
            except BaseException as err:  # refused: the server is down; else a cut request
                return err
            answers.append((name, answer.status, answer.getheader("Connection")))
        return None
    finally:
        conn.close()


def test_busy_kept_alive_clients_are_told_to_close_not_cut_when_serve_stops(
    tmp_path: Path,
) -> None:
    """Four clients create sessions in a loop, each on a kept-alive connection, when serve
    gets SIGTERM. Each answer from then on says ``Connection: close``, so each client's next
    request goes to a new connection, refused once serve is down: no request is cut, and
    the sessions stored are exactly those answered 201. Before, answers during the stop
    kept the connections alive, the clients went on sending on them, and each one's last
    request met the reset of a server exiting with it unread (sent or not, nobody knew)."""
    served = ServedProcess(tmp_path / "busy.db", "--no-tasks")
    try:
        answers: list[list[tuple[str, int, str | None]]] = [[] for _ in range(4)]
        ended: list[BaseException | None] = [None] * 4

        def client(number: int) -> None:
            ended[number] = _create_sessions_until_refused(served, f"c{number}", answers[number])

        threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(1.5)  # every client is mid-loop
        assert served.process is not None
        assert all(answers), (answers, served.output())
        served.process.send_signal(signal.SIGTERM)
        for thread in threads:
            thread.join(timeout=60)
        code = served.process.wait(timeout=30)
        assert code == 0, served.output()
        cut = [err for err in ended if not isinstance(err, ConnectionRefusedError)]
        assert not cut, (cut, served.output()[-2000:])
        for mine in answers:  # each client's last answer told it to close the connection
            assert mine[-1][2] == "close", mine[-3:]
        with sqlite3.connect(served.database) as stored:
            names = sorted(row[0] for row in stored.execute("SELECT name FROM sessions"))
        created = sorted(name for mine in answers for name, status, _ in mine if status == 201)
        assert names == created
    finally:
        served.kill()

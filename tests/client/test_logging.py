"""Log records under ``sigopt_like``: a DEBUG line per call, INFO per retry, no secrets."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import sigopt_like
from sigopt_like.transport import RetryPolicy, Transport

from .faulty_server import Reply, faulty_server

LINE = re.compile(
    r"^(GET|POST|PUT|DELETE) (/\S*) (\d{3}|\w+) \d+ ms request_id=(\S+) retries=(\d+)$"
)


def http_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "sigopt_like.http"]


def test_one_debug_line_per_call_with_status_time_and_request_id(conn, caplog):
    """Before: no record came from a sigopt_like logger, embedded or served."""
    with caplog.at_level(logging.DEBUG, logger="sigopt_like"):
        session = conn.sessions.create(name="logged")
        conn.sessions(session.id).fetch()
        with contextlib.suppress(sigopt_like.NotFoundError):
            conn.sessions("999999").fetch()
    lines = http_lines(caplog)
    matched = [LINE.match(line) for line in lines]
    assert all(matched), lines
    calls = [(m.group(1), m.group(2), m.group(3)) for m in matched if m]
    assert ("POST", "/v1/sessions", "201") in calls
    assert ("GET", f"/v1/sessions/{session.id}", "200") in calls
    assert ("GET", "/v1/sessions/999999", "404") in calls
    assert all(m.group(4) != "-" and m.group(5) == "0" for m in matched if m)
    token = conn.transport.token
    if token:
        assert all(token not in r.getMessage() for r in caplog.records)


def test_retries_are_logged_at_info():
    for server in faulty_server():
        server.play(
            Reply(status=503, body={"object": "error", "message": "busy"}),
            Reply(body={"object": "health", "status": "ok"}),
        )
        transport = Transport(
            server.url,
            token="s3cret-token",
            retries=RetryPolicy(max_tries=3),
            jitter=lambda step: 0.0,
        )
        records: list[logging.LogRecord] = []
        handler = logging.Handler(logging.DEBUG)
        handler.emit = records.append  # type: ignore[method-assign]
        logger = logging.getLogger("sigopt_like")
        logger.addHandler(handler)
        old = logger.level
        logger.setLevel(logging.DEBUG)
        try:
            transport.request_json("GET", "/health", check_version=False)
        finally:
            logger.removeHandler(handler)
            logger.setLevel(old)
        infos = [r.getMessage() for r in records if r.levelno == logging.INFO]
        debugs = [r.getMessage() for r in records if r.levelno == logging.DEBUG]
        assert infos == ["GET /health: 503; retrying in 0.00 s (try 2 of 3)"]
        assert len(debugs) == 1 and debugs[0].endswith("retries=1")
        assert not any("s3cret" in r.getMessage() for r in records)


def test_a_plain_script_is_told_at_the_first_retry_that_the_host_cannot_be_reached(
    tmp_path,
):
    """Before: a script with no logging set up waited out the two-minute deadline in
    silence (each retry was an INFO record, which Python shows to no one)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"  # closed once the block ends
    script = "import sigopt_like\nsigopt_like.Connection().sessions.list()\n"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SIGOPT_LIKE_")},
        "SIGOPT_LIKE_HOST": url,
        "SIGOPT_LIKE_TOKEN": "t0ken",
        "SIGOPT_LIKE_MAX_RETRY_TIME": "2",
        "PYTHONPATH": str(Path(sigopt_like.__file__).parent.parent),
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    warned = [line for line in done.stderr.splitlines() if "retrying for up to" in line]
    assert warned == [
        f"GET /v1/version: {url} cannot be reached (ConnectionError); retrying for up to "
        "2 s (SIGOPT_LIKE_MAX_RETRY_TIME or the Connection's retries={'max_time': seconds} "
        "shortens it)"
    ], done.stderr
    assert "APIConnectionError" in done.stderr

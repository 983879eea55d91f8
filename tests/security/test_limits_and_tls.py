"""Rate limits, and TLS on the client side.

- login attempts are limited per email and per address: a 429 with Retry-After,
  even for the right password once the limit is reached;
- a per-token request limit answers 429 with Retry-After, and the client's
  back-off honours it: every call of a burst succeeds, later;
- TLS certificates are verified by default (a self-signed server is refused with
  a typed error); ``verify=False`` works but warns; ``verify=<CA file>`` works.
"""

from __future__ import annotations

import http.server
import json
import shutil
import ssl
import subprocess
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

import sigopt_like
from sigopt_like.errors import APIConnectionError
from sigopt_like.transport import InsecureTransportWarning
from tests.fixtures.servers import serve_in_thread

pytestmark = pytest.mark.security


def test_login_attempts_are_rate_limited(tmp_path: Path) -> None:
    # an hour's window: no attempt comes back while scrypt runs on a loaded machine
    served = serve_in_thread(tmp_path, rate_limit_window_seconds=3600.0)
    try:
        _login_attempts_are_rate_limited(served)
    finally:
        served.close()


def _login_attempts_are_rate_limited(served: Any) -> None:
    served.service.context.store.accounts.create_user("limited@example.com", "right password")
    limit = served.service.context.settings.login_attempts_per_minute
    url = f"{served.url}/v1/login"
    statuses = []
    for _ in range(limit):
        r = requests.post(
            url, json={"email": "limited@example.com", "password": "guess"}, timeout=30
        )
        statuses.append(r.status_code)
    assert statuses == [401] * limit
    blocked = requests.post(
        url, json={"email": "limited@example.com", "password": "right password"}, timeout=30
    )
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) >= 1
    body = blocked.json()
    assert body["code"] == "rate_limited" and str(limit) in body["message"]


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[Any]:
    """A served instance allowing 4 requests per token per 2-second window (the real
    limiter, with a shorter window so that the test takes seconds, not minutes)."""
    instance = serve_in_thread(tmp_path, requests_per_minute=4, rate_limit_window_seconds=2.0)
    try:
        yield instance
    finally:
        instance.close()


def _count_429(url: str) -> float:
    text = requests.get(f"{url}/metrics", timeout=10).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("sigopt_like_http_requests_total") and 'status="429"' in line
    )


def test_client_backoff_honours_the_request_limit(limited: Any, figures: Any) -> None:
    # 4 at once, then one every 0.5 s: a burst meets the limit within a few requests
    # (the fifth unless they are slower than 0.5 s each; not always the sixth when loaded)
    for _ in range(40):
        raw = requests.get(f"{limited.url}/v1/sessions", headers=limited.headers(), timeout=10)
        if raw.status_code != 200:
            break
    assert raw.status_code == 429
    assert raw.json()["code"] == "rate_limited" and "4" in raw.json()["message"]
    assert 1 <= int(raw.headers["Retry-After"]) <= 2
    before = _count_429(limited.url)
    started = time.monotonic()
    with sigopt_like.Connection(limited.url, limited.token) as conn:
        names = [conn.sessions.create(name=f"burst-{i}").name for i in range(10)]
        listed = {s.name for s in conn.sessions.list(limit=100)}
    elapsed = time.monotonic() - started
    assert names == [f"burst-{i}" for i in range(10)]
    assert set(names) <= listed and len(listed) == 10  # each created once
    refused = _count_429(limited.url) - before
    assert refused >= 1, "the limit never bit: the test proves nothing"
    assert elapsed >= 2.0  # the client waited for the window
    figures(rate_limited_answers=int(refused), calls=11, seconds=round(elapsed, 1))


# -- TLS ---------------------------------------------------------------------------------


class _Version(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps(
            {
                "object": "version",
                "api_version": "1",
                "server_version": "0.1.0",
                "min_client_version": "0.1.0",
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTPS server on 127.0.0.1 with a self-signed certificate: (url, cert file)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Version)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", cert
    finally:
        server.shutdown()
        server.server_close()


def test_tls_is_verified_by_default(tls_server: tuple[str, Path]) -> None:
    url, cert = tls_server
    with warnings.catch_warnings():
        warnings.simplefilter("error", InsecureTransportWarning)
        conn = sigopt_like.Connection(url, "t0ken", retries=1)
        assert conn.transport.verify is True
        with pytest.raises(APIConnectionError) as caught:
            conn.version()
        assert "certificate" in str(caught.value).lower() or "ssl" in str(caught.value).lower()
        conn.close()
        with sigopt_like.Connection(url, "t0ken", verify=str(cert), retries=1) as trusted:
            assert trusted.version().api_version == "1"


def test_turning_verification_off_works_but_warns(
    tls_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _cert = tls_server
    with pytest.warns(InsecureTransportWarning):
        conn = sigopt_like.Connection(url, "t0ken", verify=False, retries=1)
    with conn, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert conn.version().api_version == "1"
    monkeypatch.setenv("SIGOPT_LIKE_VERIFY_SSL_CERTIFICATES", "false")
    with pytest.warns(InsecureTransportWarning):
        sigopt_like.Connection(url, "t0ken", retries=1).close()

"""Behind a reverse proxy that ends TLS, the links the service writes (a 202's
``Location``, a SigOpt file's upload ``url``) say ``https``: their scheme is the WSGI
server's ``wsgi.url_scheme``, which takes the proxy's ``X-Forwarded-Proto`` only from a
peer the server trusts: ``serve --trusted-proxy ADDRESS``, gunicorn's
``--forwarded-allow-ips``. A real ``sigopt-like serve`` and a real gunicorn on 127.0.0.1.
Before, ``serve`` had no way to trust a proxy: every link said ``http``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.fixtures.servers import (
    REPO_ROOT,
    announced_url,
    gunicorn_answering,
    start_command,
    start_gunicorn,
    stop_gunicorn,
    wsgi_factory,
)

SPACE = {
    "type": "factorial",
    "parameters": [{"name": "temperature", "type": "numerical", "values": [40, 60, 80]}],
}
#: what a TLS-ending proxy sends on: the client's Host, and the scheme it used
FROM_PROXY = {"Host": "doe.example.org", "X-Forwarded-Proto": "https"}


def _links(url: str) -> tuple[str, str]:
    """A 202's Location and a SigOpt file's upload URL, asked through "the proxy"."""
    sid = requests.post(f"{url}/v1/sessions", json={"name": "behind"}, headers=FROM_PROXY).json()
    body = {"population_size": 3, "replicates": 0, "space": SPACE}
    started = requests.put(
        f"{url}/v1/sessions/{sid['id']}/space", json=body, headers=FROM_PROXY, timeout=30
    )
    assert started.status_code == 202, started.text
    client = requests.get(f"{url}/v1/tokens/self", headers=FROM_PROXY, timeout=30).json()["client"]
    run = requests.post(
        f"{url}/v1/clients/{client}/projects/p/training_runs",
        json={"name": "r"},
        headers=FROM_PROXY,
        timeout=30,
    ).json()
    described = {"content_type": "image/png", "content_length": 3, "content_md5": "x" * 22 + "=="}
    made = requests.post(
        f"{url}/v1/training_runs/{run['id']}/files",
        json=described,
        headers=FROM_PROXY,
        timeout=30,
    )
    assert made.status_code == 201, made.text
    return started.headers["Location"], made.json()["upload"]["url"]


def _schemes(url: str) -> set[tuple[str, str]]:
    return {(urlsplit(link).scheme, urlsplit(link).netloc) for link in _links(url)}


@pytest.fixture
def serve_trusting(tmp_path: Path) -> Iterator[object]:
    """``sigopt-like serve --no-auth --port 0`` with ``args``, its URL once it listens."""
    started: list[object] = []

    def start(*args: str) -> str:
        database = str(tmp_path / f"serve-{len(started)}.db")
        argv = ("serve", "--no-auth", "--quiet-access", "--task-processes", "0", "--port", "0")
        proc, log = start_command(tmp_path, f"serve{len(started)}", database, *argv, *args)
        started.append(proc)
        return announced_url(proc, log, r"serving on (http://\S+?)[;, ]")

    yield start
    for proc in started:
        proc.terminate()  # type: ignore[attr-defined]
        proc.wait(30)  # type: ignore[attr-defined]


def test_serve_takes_https_from_the_proxy_it_trusts(serve_trusting) -> None:
    """With ``--trusted-proxy 127.0.0.1`` the links say https, at the client's Host."""
    assert _schemes(serve_trusting("--trusted-proxy", "127.0.0.1")) == {
        ("https", "doe.example.org")
    }


def test_serve_takes_no_scheme_from_a_peer_it_does_not_trust(serve_trusting) -> None:
    """Without the option, or trusting another address, the header is dropped: http."""
    assert _schemes(serve_trusting()) == {("http", "doe.example.org")}
    assert _schemes(serve_trusting("--trusted-proxy", "10.1.2.3")) == {("http", "doe.example.org")}


@pytest.mark.parametrize(
    ("value", "reason"),
    [("https, http", "multiple values"), ("ftp", "unsupported proto value")],
    ids=["a-list", "another-scheme"],
)
def test_serve_refuses_a_malformed_scheme_from_its_proxy_in_json(
    serve_trusting, value: str, reason: str
) -> None:
    """A scheme waitress cannot take from the proxy it trusts is the service's JSON 400,
    which names the header and says what it takes. Before, waitress's plain text ("Bad
    Request ... Header "X-Forwarded-Proto" malformed."), which no client reads as the
    service's error; the metrics did not count it either."""
    url = serve_trusting("--trusted-proxy", "127.0.0.1")
    answer = requests.get(f"{url}/v1/version", headers={"X-Forwarded-Proto": value}, timeout=30)
    assert answer.status_code == 400, answer.text
    assert answer.headers["Content-Type"] == "application/json", answer.text
    said = answer.json()
    assert (said["object"], said["status"], said["code"]) == ("error", 400, "bad_request")
    assert said["detail"]["header"] == "X-Forwarded-Proto", said
    assert reason in said["detail"]["reason"], said
    assert "http or https" in said["message"] and value in said["message"], said
    assert answer.headers["X-Request-Id"], answer.headers
    metrics = requests.get(f"{url}/metrics", timeout=30).text
    counted = [
        line
        for line in metrics.splitlines()
        if line.startswith("sigopt_like_http_requests_total")
        and 'status="400"' in line
        and "/v1/version" in line
    ]
    assert counted, metrics
    # what waitress takes goes on as before (upper case too), and so does a request
    # after the refusal
    taken = requests.get(f"{url}/v1/version", headers={"X-Forwarded-Proto": "HTTPS"}, timeout=30)
    assert taken.status_code == 200, taken.text


def test_serve_drops_a_malformed_scheme_from_a_peer_it_does_not_trust(serve_trusting) -> None:
    """The header of a peer not trusted is dropped unread, malformed or not: no 400."""
    url = serve_trusting("--trusted-proxy", "10.1.2.3")
    answer = requests.get(f"{url}/v1/version", headers={"X-Forwarded-Proto": "ftp"}, timeout=30)
    assert answer.status_code == 200, answer.text


def test_serve_refuses_a_proxy_that_is_no_ip_address(tmp_path: Path) -> None:
    """A host name would never match the peer's address: a usage error, not ignored."""
    command = [sys.executable, "-m", "sigopt_like.cli", "serve", "--port", "0"]
    done = subprocess.run(
        [*command, "--db", str(tmp_path / "db.sqlite3"), "--trusted-proxy", "proxy.lan"],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "--trusted-proxy" in done.stderr and "not an IP address" in done.stderr, done.stderr


@pytest.mark.parametrize(
    ("allowed", "scheme"), [("127.0.0.1", "https"), ("10.1.2.3", "http")], ids=["trusted", "not"]
)
def test_gunicorn_takes_https_from_the_proxy_it_trusts(
    tmp_path: Path, allowed: str, scheme: str
) -> None:
    """gunicorn's ``--forwarded-allow-ips`` (and its ``secure_scheme_headers``) set
    ``wsgi.url_scheme``, which the links follow, through the service's worker."""
    database = str(tmp_path / "g.db")
    factory = wsgi_factory(database, auth_required=False, task_processes=0)
    proc, log = start_gunicorn(
        tmp_path, factory, threads=2, args=("--forwarded-allow-ips", allowed)
    )
    try:
        url = gunicorn_answering(proc, log)
        assert _schemes(url) == {(scheme, "doe.example.org")}
    finally:
        stop_gunicorn(proc)

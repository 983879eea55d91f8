"""Health, readiness, metrics, version and the served OpenAPI document."""

from __future__ import annotations

import json
import re

import sqlalchemy as sa
from prometheus_client import REGISTRY

from sigopt_like._version import __version__
from sigopt_like.service import create_app

from .conftest import Api, assert_error


def test_health(api):
    reply = api.call("GET", "/health")
    assert reply.status == 200
    assert reply.body == {"object": "health", "status": "ok"}


def test_health_needs_no_database(service):
    api = Api(service)
    database = service.context.store.database
    real = database.engine
    database.engine = None  # type: ignore[assignment]
    try:
        assert api.call("GET", "/health").status == 200
    finally:
        database.engine = real


def test_ready(api):
    reply = api.call("GET", "/ready")
    assert reply.status == 200
    assert reply.body["status"] == "ok" and reply.body["schema_version"] >= 1


def test_ready_is_503_when_the_database_is_gone(service):
    api = Api(service)
    database = service.context.store.database
    real = database.engine
    database.engine = sa.create_engine("sqlite:////nonexistent-dir/nothing/x.db")
    try:
        reply = api.call("GET", "/ready")
    finally:
        database.engine.dispose()
        database.engine = real
    assert_error(reply, 503, "unavailable", "database")


def test_version(api):
    reply = api.call("GET", "/v1/version")
    assert reply.body == {
        "object": "version",
        "api_version": "1",
        "server_version": __version__,
        "min_client_version": "0.1.0",
    }


def test_openapi_is_served(api):
    reply = api.call("GET", "/v1/openapi.json")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.body["openapi"].startswith("3.1")
    assert "/v1/sessions" in reply.body["paths"]


def test_metrics_count_requests_by_route_method_and_status(api):
    api.call("POST", "/v1/sessions", {"name": "m"})
    api.call("GET", "/v1/sessions/1")
    api.call("GET", "/v1/sessions/999")
    api.call("GET", "/no/such/path")
    reply = api.call("GET", "/metrics")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/plain")
    text = reply.text
    assert (
        'sigopt_like_http_requests_total{method="POST",route="/v1/sessions",status="201"} 1.0'
        in text
    )
    assert (
        'sigopt_like_http_requests_total{method="GET",route="/v1/sessions/{sid}",status="404"} 1.0'
        in text
    )
    assert 'route="unmatched",status="404"' in text
    assert "sigopt_like_http_request_duration_seconds_bucket" in text
    assert "sigopt_like_tasks_total" in text or "sigopt_like_tasks" in text


def test_invented_methods_make_no_new_metric_series(served):
    """Any token is a method to waitress and Falcon (a 400 or a 405): before, each new one
    was a label value of its own, 16 more series a route, made by anyone without a token."""
    import requests

    for i in range(40):
        reply = requests.request(f"X{i}", f"{served.url}/health", timeout=30)
        assert reply.status_code in (400, 405), reply.text
    requests.request("PROPFIND", f"{served.url}/v1/sessions", timeout=30)
    text = requests.get(f"{served.url}/metrics", timeout=30).text
    methods = set(re.findall(r'method="([^"]*)"', text))
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}
    counted = re.search(
        r'sigopt_like_http_requests_total\{method="other",route="unmatched",status="(\d+)"\} (\S+)',
        text,
    )
    assert counted is not None and float(counted.group(2)) >= 1.0  # still counted, as other
    assert 'route="/health",status="405"' not in text  # /health has no such method


def test_each_service_has_its_own_registry(tmp_path):
    with (
        create_app(database=str(tmp_path / "a.db")) as one,
        create_app(database=str(tmp_path / "b.db")) as two,
    ):
        assert one.context.metrics.registry is not two.context.metrics.registry
        Api(one).call("GET", "/health")
        assert b'route="/health"' in one.context.metrics.render()
        assert b'route="/health"' not in two.context.metrics.render()
    names = {m.name for m in REGISTRY.collect()}
    assert not any(name.startswith("sigopt_like") for name in names)


def test_options_answers_with_allow(api):
    reply = api.call("OPTIONS", "/v1/sessions")
    assert reply.status == 200
    assert "POST" in reply.headers["Allow"]


def test_openapi_body_matches_the_package_file():
    from sigopt_like.service.resources.system import openapi_document

    assert json.loads(openapi_document())["info"]["title"] == "sigopt_like"


def test_head_answers_the_probes_as_their_get_does(served):
    """Load balancers and uptime checkers send HEAD: it was a 405 on /health."""
    import requests

    for path in ("/health", "/ready", "/v1/version"):
        got = requests.get(f"{served.url}{path}", timeout=30)
        head = requests.head(f"{served.url}{path}", timeout=30)
        assert head.status_code == got.status_code == 200, (path, head.status_code)
        assert head.content == b""
        assert head.headers["Content-Type"] == got.headers["Content-Type"]
        assert head.headers["Content-Length"] == got.headers["Content-Length"]
    text = requests.get(f"{served.url}/metrics", timeout=30).text
    assert 'sigopt_like_http_requests_total{method="HEAD",route="/health",status="200"}' in text


def test_head_on_any_get_route_answers_as_its_get(served):
    """HEAD on a resource's GET route was a 405 (only the probes took it): now the GET's
    status and headers, no body, as HTTP says of HEAD; a route with no GET stays a 405."""
    import requests

    auth = served.headers()
    sid = requests.post(
        f"{served.url}/v1/sessions", json={"name": "head"}, headers=auth, timeout=30
    ).json()["id"]
    for path in ("/v1/sessions", f"/v1/sessions/{sid}", "/v1/sessions/999999", "/openapi.json"):
        got = requests.get(f"{served.url}{path}", headers=auth, timeout=30)
        head = requests.head(f"{served.url}{path}", headers=auth, timeout=30)
        assert head.status_code == got.status_code, (path, head.status_code, got.status_code)
        assert head.content == b"", path
        assert head.headers["Content-Type"] == got.headers["Content-Type"], path
        assert head.headers["Content-Length"] == str(len(got.content)), path
    unauthorized = requests.head(f"{served.url}/v1/sessions", timeout=30)
    assert unauthorized.status_code == 401 and unauthorized.content == b""
    post_only = requests.head(f"{served.url}/v1/sessions/{sid}/simulate", headers=auth, timeout=30)
    assert post_only.status_code == 405 and "HEAD" not in post_only.headers["Allow"]
    options = requests.options(f"{served.url}/v1/sessions", headers=auth, timeout=30)
    assert "HEAD" in options.headers["Allow"], options.headers


def _selected_columns(engine, run):
    """The SQL statements ``run()`` has the service execute (SQLAlchemy's own events)."""
    import sqlalchemy as sa

    said: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        said.append(statement)

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        answer = run()
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    return answer, said


def test_head_of_an_analytics_file_reads_its_size_not_its_bytes(served):
    """Before: HEAD ran the GET, which read the whole file (plots, tables of megabytes)
    from the database to send none of it. Now its stored size gives the Content-Length
    the GET's body has."""
    import re

    import requests

    from sigopt_like.service.store.analytics import StoredFile

    auth = served.headers()
    sid = requests.post(
        f"{served.url}/v1/sessions", json={"name": "heads"}, headers=auth, timeout=30
    ).json()["id"]
    data = bytes(range(256)) * 800  # 200 KB
    store = served.service.context.store
    store.analytics.replace(int(sid), 1, [StoredFile("table.csv", 1, "text/csv", data)], 0)
    url = f"{served.url}/v1/sessions/{sid}/analytics/files/table.csv"
    engine = store.database.engine
    got, get_sql = _selected_columns(engine, lambda: requests.get(url, headers=auth, timeout=30))
    head, head_sql = _selected_columns(engine, lambda: requests.head(url, headers=auth, timeout=30))
    assert got.status_code == head.status_code == 200 and got.content == data
    assert head.content == b""
    for name in ("Content-Type", "Content-Length", "Content-Disposition"):
        assert head.headers[name] == got.headers[name], name
    reads_bytes = re.compile(r"analytics_files\.data\b(?!\))")  # length(...data) is no read
    assert any(reads_bytes.search(sql) for sql in get_sql), get_sql
    assert not any(reads_bytes.search(sql) for sql in head_sql), head_sql
    for gen in ("1", "2"):  # a generation without it: the GET's 404
        missing = f"{url}?gen={gen}"
        got = requests.get(missing, headers=auth, timeout=30)
        head = requests.head(missing, headers=auth, timeout=30)
        assert head.status_code == got.status_code == (200 if gen == "1" else 404)
    other = requests.head(url, headers=served.headers(served.make_user()[1]), timeout=30)
    assert other.status_code == 404

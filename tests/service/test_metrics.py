"""The service's metrics: counted in plain Python, rendered as prometheus_client would.

``ServiceMetrics`` keeps its counts itself and imports prometheus_client only to render
them (issue #12: an embedded start that never serves /metrics never loads it). The text
must be what prometheus_client's own Counter, Histogram and Gauge print for the same
requests and tasks, with their ``_created`` series off (``disable_created_metrics()``,
the library's switch: ours never writes them).
"""

from __future__ import annotations

import json
import math
import re

import falcon.testing
import prometheus_client.metrics
import pytest
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    enable_created_metrics,
    generate_latest,
)

from sigopt_like.service import Service
from sigopt_like.service.middleware.metrics import (
    COUNTED_METHODS,
    EVENT_STREAM,
    LONG_POLL,
    REQUEST_BUCKETS,
    TASK_BUCKETS,
    UNMATCHED_ROUTE,
    ServiceMetrics,
)
from sigopt_like.service.resources.system import openapi_document

#: (route, method, status, seconds): bounds exactly, between, past the last bound, NaN
REQUESTS = [
    ("/v1/sessions", "POST", "201", 0.004),
    ("/v1/sessions", "POST", "201", 0.01),
    ("/v1/sessions", "POST", "400", 0.3),
    ("/v1/sessions/{sid}", "GET", "200", 0.0),
    ("/v1/sessions/{sid}", "GET", "404", 12.5),
    ("unmatched", "GET", "404", 7.5),
    ("/v1/sessions/{sid}", "GET", "200", math.nan),
]
TASKS = [("space", "success", 0.2), ("generate", "success", 1.0), ("generate", "failed", 4000.0)]
CHOICES = ["optimizer", "optimizer", "fallback", "grid"]
#: requests served by each optimizer call: one alone, three together, 40 past the last bucket
BATCHES = [1, 3, 40]
WORKER_SEEN_AGE = 12.5


@pytest.fixture
def created_off():
    """prometheus_client's instruments without their ``_created`` series (its own switch,
    process-wide: as it was afterwards)."""
    was_on = prometheus_client.metrics._use_created
    disable_created_metrics()
    try:
        yield
    finally:
        if was_on:
            enable_created_metrics()


def _prometheus_text() -> str:
    """The same events through prometheus_client's instruments, as the service had them."""
    registry = CollectorRegistry(auto_describe=True)
    requests = Counter(
        "sigopt_like_http_requests",
        "HTTP requests by route template, method and status.",
        ["route", "method", "status"],
        registry=registry,
    )
    latency = Histogram(
        "sigopt_like_http_request_duration_seconds",
        "Time spent handling HTTP requests, by route template and method.",
        ["route", "method"],
        registry=registry,
        buckets=(0.01, 0.05, 0.25, 1.0, 5.0, float("inf")),
    )
    in_flight = Gauge(
        "sigopt_like_http_requests_in_flight",
        "HTTP requests being handled now (long polls waiting are not).",
        registry=registry,
    )
    streams = Gauge(
        "sigopt_like_http_streams_open",
        "Requests waiting on a task now: event streams open, long polls waiting.",
        ["kind"],
        registry=registry,
    )
    worker_seen_age = Gauge(
        "sigopt_like_task_worker_seen_age_seconds",
        "Seconds since a task worker last said it runs on this database "
        "(+Inf: none ever did), on a service that runs no tasks itself.",
        registry=registry,
    )
    tasks = Counter(
        "sigopt_like_tasks",
        "Tasks by type and final status.",
        ["type", "status"],
        registry=registry,
    )
    task_seconds = Histogram(
        "sigopt_like_task_duration_seconds",
        "Time tasks ran, by type.",
        ["type"],
        registry=registry,
        buckets=(0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800, float("inf")),
    )
    choices = Counter(
        "sigopt_like_suggestion_choices",
        "SigOpt suggestions by how they were chosen: optimizer, fallback (the optimizer "
        "was slow, failed or refused), random or grid.",
        ["source"],
        registry=registry,
    )
    batches = Histogram(
        "sigopt_like_suggestion_batch_size",
        "SigOpt suggestion requests of one experiment served by one choice (requests "
        "waiting together share one optimizer call).",
        registry=registry,
        buckets=(1, 2, 4, 8, 16, 32, float("inf")),
    )
    in_flight.inc()  # one request still running
    streams.labels(kind="event_stream").inc()  # one stream open
    streams.labels(kind="long_poll")  # none waiting: shown at 0
    worker_seen_age.set(WORKER_SEEN_AGE)
    for route, method, status, seconds in REQUESTS:
        in_flight.inc()
        in_flight.dec()
        requests.labels(route=route, method=method, status=status).inc()
        latency.labels(route=route, method=method).observe(seconds)
    for task_type, status, seconds in TASKS:
        tasks.labels(type=task_type, status=status).inc()
        task_seconds.labels(type=task_type).observe(seconds)
    for source in CHOICES:
        choices.labels(source=source).inc()
    for count in BATCHES:
        batches.observe(count)
    return generate_latest(registry).decode()


def _ours() -> ServiceMetrics:
    metrics = ServiceMetrics.create()
    metrics.request_started()  # one request still running
    for route, method, status, seconds in REQUESTS:
        metrics.request_started()
        metrics.request_finished(route, method, status, seconds)
    for task_type, status, seconds in TASKS:
        metrics.task_finished(task_type, status, seconds)
    for source in CHOICES:
        metrics.suggestion_chosen(source)
    for count in BATCHES:
        metrics.suggestions_batched(count)
    metrics.task_worker_seen(WORKER_SEEN_AGE)
    return metrics


def test_the_text_is_prometheus_clients_for_the_same_events(created_off):
    theirs = _prometheus_text()
    metrics = _ours()
    with metrics.waiting(EVENT_STREAM):  # one stream open
        ours = metrics.render().decode()
    assert 'le="+Inf"' in ours and "NaN" in ours  # the cases are met
    assert ours == theirs


def test_the_buckets_are_few_and_end_at_infinity():
    assert len(REQUEST_BUCKETS) < len(Histogram.DEFAULT_BUCKETS)
    assert list(REQUEST_BUCKETS) == sorted(REQUEST_BUCKETS)
    assert REQUEST_BUCKETS[-1] == TASK_BUCKETS[-1] == math.inf


def test_no_created_series_whatever_the_process_says(monkeypatch):
    """A ``_created`` sample was one more series a counter and a histogram child (910 of
    /metrics' lines at its worst); they are never written, nor is prometheus_client's
    process-wide switch touched (an embedding program's own metrics keep theirs)."""
    monkeypatch.delenv("PROMETHEUS_DISABLE_CREATED_SERIES", raising=False)
    was_on = prometheus_client.metrics._use_created
    text = _ours().render().decode()
    assert "_created" not in text and "sigopt_like_tasks_total" in text
    assert prometheus_client.metrics._use_created is was_on


def _gauges(metrics: ServiceMetrics) -> dict[str, float]:
    text = metrics.render().decode()
    found = re.findall(
        r"^(sigopt_like_http_(?:requests_in_flight|streams_open)\S*) (\S+)$", text, re.M
    )
    return {name: float(value) for name, value in found}


def test_a_waiting_long_poll_leaves_in_flight_for_the_streams_gauge():
    """In flight counts the requests holding the threads everyone needs; a long poll
    waits on a waiting slot's thread, so while it waits it is counted as waiting."""
    metrics = ServiceMetrics.create()
    metrics.request_started()
    in_flight = "sigopt_like_http_requests_in_flight"
    polls = 'sigopt_like_http_streams_open{kind="long_poll"}'
    streams = 'sigopt_like_http_streams_open{kind="event_stream"}'
    assert _gauges(metrics) == {in_flight: 1.0, streams: 0.0, polls: 0.0}
    with metrics.waiting(LONG_POLL):
        assert _gauges(metrics) == {in_flight: 0.0, streams: 0.0, polls: 1.0}
    assert _gauges(metrics) == {in_flight: 1.0, streams: 0.0, polls: 0.0}
    metrics.request_finished("/v1/sessions/{sid}/tasks/{tid}", "GET", "200", 0.5)
    with metrics.waiting(EVENT_STREAM):  # sent after its request was answered
        assert _gauges(metrics) == {in_flight: 0.0, streams: 1.0, polls: 0.0}
    assert _gauges(metrics) == {in_flight: 0.0, streams: 0.0, polls: 0.0}


def test_the_registry_is_made_once_and_reads_the_counts_as_they_grow():
    metrics = ServiceMetrics.create()
    assert metrics.registry is metrics.registry
    assert b"sigopt_like_http_requests_total{" not in metrics.render()
    metrics.request_started()
    metrics.request_finished("/health", "GET", "200", 0.001)
    assert (
        b'sigopt_like_http_requests_total{method="GET",route="/health",status="200"} 1.0'
        in metrics.render()
    )


def _documented_operations() -> set[tuple[str, str]]:
    """(route template, method) of every operation the OpenAPI document lists, and HEAD
    where it lists GET (its description: every GET route answers HEAD)."""
    paths = json.loads(openapi_document())["paths"]
    listed = {(path, method.upper()) for path, item in paths.items() for method in item}
    return listed | {(path, "HEAD") for path, method in listed if method == "GET"}


def _every_route_with_every_method(service: Service) -> str:
    """/metrics after every documented route was asked with every counted method, as
    anyone can without a token (the worst case of its size for one instance)."""
    client = falcon.testing.TestClient(service.app)
    for path in sorted({path for path, _ in _documented_operations()}):
        for method in sorted(COUNTED_METHODS):
            client.simulate_request(method, re.sub(r"\{[^}]+\}", "1", path))
    return client.simulate_get("/metrics").text


def _series(text: str, family: str) -> set[tuple[str, str]]:
    """(route, method) of each series of ``family`` in the text."""
    found = re.findall(rf'^{family}\{{(?:le="[^"]*",)?method="([^"]*)",route="([^"]*)"', text, re.M)
    return {(route, method) for method, route in found}


def test_a_method_a_route_has_not_makes_no_series_of_that_route(service):
    """A 405 (and Falcon's OPTIONS answer) was counted under the route's own label: each
    route by each method a new counter and histogram, 1 MB of /metrics made by anyone
    without a token. They are counted under ``unmatched``, as an unknown path is."""
    text = _every_route_with_every_method(service)
    operations = _documented_operations()
    for family in (
        "sigopt_like_http_requests_total",
        "sigopt_like_http_request_duration_seconds_bucket",
    ):
        series = _series(text, family)
        assert series, family
        routed = {s for s in series if s[0] != UNMATCHED_ROUTE}
        assert routed <= operations, sorted(routed - operations)[:10]
        unmatched = {method for route, method in series if route == UNMATCHED_ROUTE}
        assert unmatched <= COUNTED_METHODS  # at most one series a method
    refused = [line for line in text.splitlines() if 'status="405"' in line]
    assert refused and all(f'route="{UNMATCHED_ROUTE}"' in line for line in refused)


#: /metrics' budget with every documented route asked with every counted method: a fixed
#: part (process, task and stream families) and about 1 KB for each documented operation
#: (its counters by status and one histogram), so a new route does not need this test
#: edited. It was 1,037,096 bytes for 98 operations (about 10.6 KB each): a 405 made series
#: of the route's own, 15 buckets a histogram, and a ``_created`` line a child
FIXED_BYTES = 15_000
BYTES_PER_OPERATION = 1_300


def test_metrics_stay_small_when_every_route_is_asked_with_every_method(service):
    text = _every_route_with_every_method(service)
    size = len(text.encode())
    budget = FIXED_BYTES + BYTES_PER_OPERATION * len(_documented_operations())
    assert size < budget, (size, budget)
    assert "sigopt_like_http_request_duration_seconds_bucket" in text  # latency is there

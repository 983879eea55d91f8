"""Prometheus metrics of one service instance, in its own registry.

``ServiceMetrics`` holds the registry and the instruments; the campaign's task
runner counts tasks through ``context.metrics.tasks`` and
``context.metrics.task_seconds``.
"""

from __future__ import annotations

import time
from typing import Any

import attrs
import falcon
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

UNMATCHED_ROUTE = "unmatched"


@attrs.define
class ServiceMetrics:
    """A per-app registry and its instruments."""

    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    in_flight: Gauge
    tasks: Counter
    task_seconds: Histogram

    @classmethod
    def create(cls) -> ServiceMetrics:
        """Fresh instruments in a fresh registry (never the global one)."""
        registry = CollectorRegistry(auto_describe=True)
        return cls(
            registry=registry,
            requests=Counter(
                "sigopt_like_http_requests",
                "HTTP requests by route template, method and status.",
                ["route", "method", "status"],
                registry=registry,
            ),
            latency=Histogram(
                "sigopt_like_http_request_duration_seconds",
                "Time spent handling HTTP requests, by route template and method.",
                ["route", "method"],
                registry=registry,
            ),
            in_flight=Gauge(
                "sigopt_like_http_requests_in_flight",
                "HTTP requests being handled now.",
                registry=registry,
            ),
            tasks=Counter(
                "sigopt_like_tasks",
                "Tasks by type and final status.",
                ["type", "status"],
                registry=registry,
            ),
            task_seconds=Histogram(
                "sigopt_like_task_duration_seconds",
                "Time tasks ran, by type.",
                ["type"],
                registry=registry,
                buckets=(0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800, float("inf")),
            ),
        )

    def render(self) -> bytes:
        """The Prometheus text exposition of this registry."""
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Count every request by route template, method and status, and time it."""

    def __init__(self, metrics: ServiceMetrics) -> None:
        self.metrics = metrics
        #: the labelled instruments already made: (route, method, status) -> counter, ...
        self._children: dict[tuple[str, str, str], tuple[Any, Any]] = {}

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Start the clock."""
        req.context.metrics_started = time.perf_counter()
        self.metrics.in_flight.inc()

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        """Record the request under its route template (``unmatched`` for unknown paths)."""
        started = getattr(req.context, "metrics_started", None)
        if started is None:
            return
        route = req.uri_template or UNMATCHED_ROUTE
        self.metrics.in_flight.dec()
        key = (route, req.method, str(resp.status_code))
        children = self._children.get(key)
        if children is None:  # labels() validates and locks: once per label set
            children = (
                self.metrics.requests.labels(route=route, method=req.method, status=key[2]),
                self.metrics.latency.labels(route=route, method=req.method),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(time.perf_counter() - started)

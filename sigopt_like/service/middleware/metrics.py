"""Prometheus metrics of one service instance, in its own registry.

``ServiceMetrics`` counts requests (by route template, method and status, and their
durations), the requests in flight, the clients waiting on a task (open event streams,
long polls while they wait: :meth:`ServiceMetrics.waiting`), and tasks (by type and final
status, and their durations): the campaign's task runner counts tasks through
``context.metrics.task_finished``.

The counts are kept here, in plain Python under one lock; ``prometheus_client`` is
imported only when they are first rendered (``GET /metrics``, or :meth:`render`), into
a registry of this instance whose one collector reads them. So a service that is never
asked for its metrics, such as an embedded ``Connection()``, never loads it nor the
HTTP server modules its exposition imports (issue #12: a light embedded start). The
text is what ``prometheus_client``'s ``Counter``, ``Histogram`` and ``Gauge`` print for
the same counts with its ``_created`` series off (``disable_created_metrics()``): the
same families, samples (``_total``, ``_bucket``, ``_count``, ``_sum``) and order
(``tests/service/test_metrics.py`` compares the two). No ``_created`` sample is written,
whatever ``PROMETHEUS_DISABLE_CREATED_SERIES`` says: in the text format Prometheus
scrapes, each is one more series a child (a counter's lines doubled), holding only when
the child was first counted. prometheus_client's own switch
is for its instruments and process-wide; this registry's families are built here, so
leaving them out is this instance's alone and changes nothing else in the process.
It also counts how SigOpt suggestions were chosen (the optimizer, or the random fallback
when the optimizer took longer than its budget, failed or was refused) and how many
requests each choice served (concurrent requests of one experiment share one), and, on a service
that runs no tasks itself, shows how long ago a task worker last said it runs on the
database (:meth:`ServiceMetrics.task_worker_seen`, set by ``GET /metrics`` at each
scrape): what ``/ready`` calls degraded past ``LEASE_SECONDS``, as a number to alert on.

Under gunicorn with the service's settings module, each worker's ``ServiceMetrics``
counts into prometheus_client's multiprocess files instead (once: its own counts above
stay empty, as nothing reads them there), and its registry answers every
worker's counts (:mod:`.shared_metrics`); prometheus_client is then loaded when the app
is made. Elsewhere nothing of this changes.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import falcon

from .routing import has_responder
from .shared_metrics import SharedCounts, shared_counts

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

#: the route label of every answer no responder of a route gave: an unknown path (404),
#: a method the route has not (Falcon's 405) and Falcon's own OPTIONS answer. Anyone can
#: send those without a token; under the route's own label each was a new series (65
#: routes by 7 methods made /metrics 1 MB), here they are at most one per method
UNMATCHED_ROUTE = "unmatched"
#: the methods counted under their own name; any other is counted as ``other``, so that
#: a client cannot make new series (memory, and a longer ``/metrics``) by inventing
#: methods: waitress and Falcon pass any token as a method, each answered 400 or 405
COUNTED_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"
#: the request durations' buckets, for this service's latencies: a call answers in a few
#: milliseconds (p50 2-20 ms, p99 5-160 ms in docs/reliability.md, idle to loaded), a
#: SigOpt suggestion within its 2.5 s budget (``suggestion_time_budget_seconds``), a long
#: poll within 60 s (``+Inf``). Six, where prometheus_client's default has fifteen: every
#: route and method has a histogram, each bucket is a line of /metrics, and with every
#: documented route and method asked /metrics stays near 100 KB (eight made it 128 KB)
REQUEST_BUCKETS = (0.01, 0.05, 0.25, 1.0, 5.0, math.inf)
#: the kinds of waiting request in ``sigopt_like_http_streams_open{kind}``
EVENT_STREAM = "event_stream"
LONG_POLL = "long_poll"
WAITING_KINDS = (EVENT_STREAM, LONG_POLL)
#: how many suggestion requests one choice served (``sigopt_like_suggestion_batch_size``)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, math.inf)
TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800, math.inf)
#: the gauge of seconds since a task worker last said it runs on the database
TASK_WORKER_SEEN_AGE = "sigopt_like_task_worker_seen_age_seconds"
TASK_WORKER_SEEN_HELP = (
    "Seconds since a task worker last said it runs on this database "
    "(+Inf: none ever did), on a service that runs no tasks itself."
)
IN_FLIGHT = "sigopt_like_http_requests_in_flight"
IN_FLIGHT_HELP = "HTTP requests being handled now (long polls waiting are not)."
STREAMS_OPEN = "sigopt_like_http_streams_open"
STREAMS_OPEN_HELP = "Requests waiting on a task now: event streams open, long polls waiting."


class _Family:
    """One counter or histogram family: its label sets' values."""

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str],
        buckets: Sequence[float] = (),
    ) -> None:
        self.name = name
        self.documentation = documentation
        self.labelnames = tuple(labelnames)
        self.buckets = tuple(float(b) for b in buckets)
        #: label values -> [count] (a counter) or
        #: [sum, count in each bucket...] (a histogram; not cumulative)
        self.children: dict[tuple[str, ...], list[float]] = {}
        #: the same family in the counts the workers share (None: this process alone);
        #: with it, counts go there alone (``children`` stays empty: /metrics reads the
        #: shared files, so counting here too was work on every request, never read)
        self.shared: Any = None

    def share(self, counts: SharedCounts) -> None:
        """Count into ``counts`` too (its instrument of this family)."""
        if self.buckets:
            self.shared = counts.histogram(
                self.name, self.documentation, self.labelnames, self.buckets
            )
        else:
            self.shared = counts.counter(self.name, self.documentation, self.labelnames)

    def _shared_child(self, labels: tuple[str, ...]) -> Any:
        return self.shared.labels(*labels) if labels else self.shared

    def count(self, labels: tuple[str, ...]) -> None:
        if self.shared is not None:  # counted once, where /metrics reads it
            self._shared_child(labels).inc()
            return
        child = self.children.get(labels)
        if child is None:
            self.children[labels] = [1.0]
        else:
            child[0] += 1.0

    def observe(self, labels: tuple[str, ...], value: float) -> None:
        if self.shared is not None:
            self._shared_child(labels).observe(value)
            return
        child = self.children.get(labels)
        if child is None:
            child = self.children[labels] = [0.0] * (1 + len(self.buckets))
        child[0] += value
        for i, bound in enumerate(self.buckets):
            if value <= bound:  # as prometheus_client: a NaN falls in no bucket
                child[1 + i] += 1.0
                break


class ServiceMetrics:
    """The counts of one service instance, and its own Prometheus registry (made on
    first use: never the global one).

    With ``shared`` (a gunicorn worker: :mod:`.shared_metrics`), it counts into the
    counts every worker of that gunicorn shares instead, and its registry answers those."""

    def __init__(self, shared: SharedCounts | None = None) -> None:
        self._lock = threading.Lock()
        self._in_flight = 0.0
        self._open = dict.fromkeys(WAITING_KINDS, 0.0)
        #: seconds since a task worker was last heard from, or None: not shown
        self._worker_seen_age: float | None = None
        self._requests = _Family(
            "sigopt_like_http_requests",
            "HTTP requests by route template, method and status.",
            ("route", "method", "status"),
        )
        self._latency = _Family(
            "sigopt_like_http_request_duration_seconds",
            "Time spent handling HTTP requests, by route template and method.",
            ("route", "method"),
            REQUEST_BUCKETS,
        )
        self._tasks = _Family(
            "sigopt_like_tasks", "Tasks by type and final status.", ("type", "status")
        )
        self._task_seconds = _Family(
            "sigopt_like_task_duration_seconds", "Time tasks ran, by type.", ("type",), TASK_BUCKETS
        )
        self._choices = _Family(
            "sigopt_like_suggestion_choices",
            "SigOpt suggestions by how they were chosen: optimizer, fallback (the optimizer "
            "was slow, failed or refused), random or grid.",
            ("source",),
        )
        self._batches = _Family(
            "sigopt_like_suggestion_batch_size",
            "SigOpt suggestion requests of one experiment served by one choice (requests "
            "waiting together share one optimizer call).",
            (),
            BATCH_BUCKETS,
        )
        if shared is None:  # shown from the start (the shared histogram is, unlabelled)
            self._batches.children[()] = [0.0] * (1 + len(BATCH_BUCKETS))
        self._registry: CollectorRegistry | None = None
        self._registry_lock = threading.Lock()  # registering reads the counts (their lock)
        self._shared = shared
        self._shared_in_flight: Any = None
        self._shared_open: Any = None
        if shared is not None:
            for family in self._families():
                family.share(shared)
            self._shared_in_flight = shared.live_gauge(IN_FLIGHT, IN_FLIGHT_HELP)
            self._shared_open = shared.live_gauge(STREAMS_OPEN, STREAMS_OPEN_HELP, ("kind",))
            for kind in WAITING_KINDS:  # shown from the start, at 0
                self._shared_open.labels(kind)

    @classmethod
    def create(cls) -> ServiceMetrics:
        """Fresh counts (their registry is made when first rendered), shared with the
        other workers of a gunicorn whose settings module named a folder for them
        (``$SIGOPT_LIKE_METRICS_DIR``, :mod:`.shared_metrics`), unless prometheus_client
        was imported before that folder was named: then counted alone, with a warning."""
        return cls(shared_counts())

    def _families(self) -> tuple[_Family, ...]:
        return (
            self._requests,
            self._latency,
            self._tasks,
            self._task_seconds,
            self._choices,
            self._batches,
        )

    def _add_in_flight(self, value: float) -> None:
        if self._shared_in_flight is not None:
            self._shared_in_flight.inc(value)
        else:
            self._in_flight += value

    def _add_open(self, kind: str, value: float) -> None:
        if self._shared_open is not None:
            self._shared_open.labels(kind).inc(value)
        else:
            self._open[kind] += value

    def request_started(self) -> None:
        """A request came in (the in-flight gauge)."""
        with self._lock:
            self._add_in_flight(1.0)

    def request_finished(self, route: str, method: str, status: str, seconds: float) -> None:
        """A request was answered: counted under its route template, and timed."""
        with self._lock:
            self._add_in_flight(-1.0)
            self._requests.count((route, method, status))
            self._latency.observe((route, method), seconds)

    def request_refused(self, route: str, method: str, status: str) -> None:
        """A request the server answered itself, before the app (a body too large, headers
        past the limits, a request too slow to arrive): counted as an answered one, never
        in flight, and not timed (``door_records``): a 408 is answered after the read
        timeout the server waited for it (30 s by default), which the duration histogram
        of the app's answers showed as a request that slow."""
        with self._lock:
            self._requests.count((route, method, status))

    @contextlib.contextmanager
    def waiting(self, kind: str) -> Iterator[None]:
        """For the block, one more open ``kind`` (:data:`EVENT_STREAM`, :data:`LONG_POLL`)
        in ``sigopt_like_http_streams_open``.

        An event stream's body is sent after its request was answered (no longer in
        flight); a long poll waits inside its request, which leaves the in-flight gauge
        while it waits: in flight counts the requests that hold the threads everyone
        needs, this gauge the waiting ones, which hold the waiting slots' threads.
        """
        leaves_flight = 1.0 if kind == LONG_POLL else 0.0
        with self._lock:
            self._add_open(kind, 1.0)
            self._add_in_flight(-leaves_flight)
        try:
            yield
        finally:
            with self._lock:
                self._add_open(kind, -1.0)
                self._add_in_flight(leaves_flight)

    def task_finished(self, task_type: str, status: str, seconds: float) -> None:
        """A task ended with ``status`` after ``seconds``."""
        with self._lock:
            self._tasks.count((task_type, status))
            self._task_seconds.observe((task_type,), seconds)

    def suggestion_chosen(self, source: str) -> None:
        """A SigOpt suggestion's assignments were chosen by ``source``."""
        with self._lock:
            self._choices.count((source,))

    def suggestions_batched(self, count: int) -> None:
        """One choice (an optimizer call) served ``count`` waiting suggestion requests."""
        with self._lock:
            self._batches.observe((), float(count))

    def task_worker_seen(self, age: float | None) -> None:
        """A task worker last said it runs on the database ``age`` seconds ago (``inf``:
        none ever did); None leaves the gauge out (a service that runs its own tasks, or a
        database that did not answer)."""
        with self._lock:
            self._worker_seen_age = age

    @property
    def registry(self) -> CollectorRegistry:
        """This instance's registry (its one collector reads the counts above); with
        shared counts, every worker's counts and this process's task worker gauge."""
        with self._registry_lock:
            if self._registry is None:
                from prometheus_client import CollectorRegistry

                if self._shared is not None:
                    self._registry = self._shared.registry(_WorkerSeenCollector(self))
                else:
                    registry = CollectorRegistry(auto_describe=True)
                    registry.register(_Collector(self))
                    self._registry = registry
            return self._registry

    def render(self) -> bytes:
        """The Prometheus text exposition of this registry."""
        from prometheus_client import generate_latest

        return generate_latest(self.registry)

    def collect(self) -> Iterator[Any]:
        """The metric families, as prometheus_client's instruments would give them."""
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            HistogramMetricFamily,
        )
        from prometheus_client.utils import floatToGoString

        with self._lock:  # a snapshot: every family as of one moment
            in_flight = self._in_flight
            streams_open = dict(self._open)
            families = [(f, {k: list(v) for k, v in f.children.items()}) for f in self._families()]
        for family, children in families:
            if family is self._tasks:  # the registry's order: requests, latency, gauges, tasks
                yield GaugeMetricFamily(IN_FLIGHT, IN_FLIGHT_HELP, value=in_flight)
                streams = GaugeMetricFamily(STREAMS_OPEN, STREAMS_OPEN_HELP, labels=("kind",))
                for kind, value in streams_open.items():
                    streams.add_metric((kind,), value)
                yield streams
                yield from self.collect_worker_seen()
            if not family.buckets:
                counter = CounterMetricFamily(
                    family.name, family.documentation, labels=family.labelnames
                )
                for labels, (value,) in children.items():
                    counter.add_metric(labels, value)
                yield counter
                continue
            histogram = HistogramMetricFamily(
                family.name, family.documentation, labels=family.labelnames
            )
            for labels, (total, *counts) in children.items():
                cumulative, buckets = 0.0, []
                for bound, count in zip(family.buckets, counts, strict=True):
                    cumulative += count
                    buckets.append((floatToGoString(bound), cumulative))
                histogram.add_metric(labels, buckets, total)
            yield histogram

    def collect_worker_seen(self) -> Iterator[Any]:
        """The task worker gauge, when shown: this process's reading at the scrape (set
        by ``GET /metrics`` just before), never summed over the workers."""
        from prometheus_client.core import GaugeMetricFamily

        with self._lock:
            age = self._worker_seen_age
        if age is not None:
            yield GaugeMetricFamily(TASK_WORKER_SEEN_AGE, TASK_WORKER_SEEN_HELP, value=age)


class _WorkerSeenCollector:
    """What a CollectorRegistry of shared counts asks of this process: the task worker
    gauge."""

    def __init__(self, metrics: ServiceMetrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Any]:
        return self._metrics.collect_worker_seen()


class _Collector:
    """What a CollectorRegistry asks: the families of one ServiceMetrics."""

    def __init__(self, metrics: ServiceMetrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Any]:
        return self._metrics.collect()


class MetricsMiddleware:
    """Count every request by route template, method and status, and time it.

    ``router`` (the app's) tells whether the route has a responder for the method; without
    one the request is counted under :data:`UNMATCHED_ROUTE`.
    """

    def __init__(self, metrics: ServiceMetrics, router: Any = None) -> None:
        self.metrics = metrics
        self._router = router

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Start the clock."""
        req.context.metrics_started = time.perf_counter()
        self.metrics.request_started()

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        """Record the request under its route template (``unmatched`` for an unknown path
        or a method the route has not) and its method (``other`` for one outside
        :data:`COUNTED_METHODS`)."""
        started = getattr(req.context, "metrics_started", None)
        if started is None:
            return
        route = req.uri_template
        if route is None or not has_responder(self._router, req, resource):
            route = UNMATCHED_ROUTE
        self.metrics.request_finished(
            route,
            req.method if req.method in COUNTED_METHODS else OTHER_METHOD,
            str(resp.status_code),
            time.perf_counter() - started,
        )

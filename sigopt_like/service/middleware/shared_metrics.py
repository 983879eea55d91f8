"""The service's counts shared by the worker processes of one gunicorn.

Under gunicorn with ``--workers 2`` or more, each worker is a process with its own
:class:`~.metrics.ServiceMetrics`, and a scrape of the shared port reaches whichever
worker takes it: counters went back and forth between the workers' counts. The gunicorn
settings module (``sigopt_like.service.gunicorn_conf``, through
:mod:`~sigopt_like.service.gunicorn_metrics`) makes a private folder for this server,
names it in ``$SIGOPT_LIKE_METRICS_DIR`` and in prometheus_client's
``$PROMETHEUS_MULTIPROC_DIR`` before any worker starts; a ``ServiceMetrics`` made where
the first names a folder also counts into prometheus_client's instruments in
multiprocess mode (:class:`SharedCounts`: one file per process in that folder), and
``/metrics`` answers what every worker counted (prometheus_client's
``MultiProcessCollector``): counters and histograms summed, the gauges of requests in
flight and waiting summed over the workers alive (``livesum``: a worker that exited
leaves them, ``child_exit``).

prometheus_client chooses where its instruments count when it is first imported: a
gunicorn settings file that imports it before ``sigopt_like.service.gunicorn_conf``
names the folder (``import prometheus_client`` then ``from ...gunicorn_conf import *``)
leaves it counting in each process's memory. Then :func:`shared_counts` answers None:
each worker counts alone, as before the folder (``/metrics`` answers the worker that
takes the scrape), writes nothing into the folder, and logs one warning saying so and
how to get the summed counts (:data:`UNSHARED_WARNING`), rather than fail to boot.

Only ``$SIGOPT_LIKE_METRICS_DIR`` turns this on: ``sigopt-like serve`` (one process) and
an embedded ``Connection()`` count in plain Python only, as before, even in a program
that has ``$PROMETHEUS_MULTIPROC_DIR`` set for its own metrics.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

#: the folder of this gunicorn's shared counts (set by the gunicorn settings module)
METRICS_DIR_ENV = "SIGOPT_LIKE_METRICS_DIR"
#: prometheus_client's own: which folder its instruments write to (multiprocess mode)
PROMETHEUS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"

LOG = logging.getLogger("sigopt_like.service")

#: logged by a gunicorn worker whose counts cannot be shared (:func:`shared_counts`)
UNSHARED_WARNING = (
    "/metrics counts this gunicorn worker's requests alone, not summed over the workers "
    "(each scrape answers the worker that takes it): prometheus_client was imported "
    "before the gunicorn settings module named the folder the workers share "
    f"(${PROMETHEUS_DIR_ENV}), "
    "so its counts stay in each process. For summed counts, import "
    "sigopt_like.service.gunicorn_conf before prometheus_client in the settings file, or "
    "do not import prometheus_client there"
)


def shared_metrics_dir() -> str | None:
    """The folder this process shares its counts in, or None: it counts alone.

    Raises ValueError when ``$SIGOPT_LIKE_METRICS_DIR`` names a folder that is not there
    or that ``$PROMETHEUS_MULTIPROC_DIR`` does not name too (prometheus_client would
    write elsewhere, or keep its counts in memory)."""
    path = os.environ.get(METRICS_DIR_ENV, "").strip()
    if not path:
        return None
    if not os.path.isdir(path):
        raise ValueError(
            f"${METRICS_DIR_ENV} is {path}, which is not a folder: the gunicorn settings "
            "module sets it; unset it to count each process alone"
        )
    if os.environ.get(PROMETHEUS_DIR_ENV) != path:
        raise ValueError(
            f"${METRICS_DIR_ENV} is {path} but ${PROMETHEUS_DIR_ENV} is "
            f"{os.environ.get(PROMETHEUS_DIR_ENV)!r}: both must name the same folder"
        )
    return path


def _imported_too_early() -> bool:
    """Whether prometheus_client chose, when first imported, to keep its values in this
    process's memory (``$PROMETHEUS_MULTIPROC_DIR`` was not set yet)."""
    from prometheus_client import values

    return values.ValueClass is values.MutexValue


def shared_counts() -> SharedCounts | None:
    """The counts this process shares with the other workers of its gunicorn, or None:
    it counts alone (no folder named; or prometheus_client was imported before it was,
    which logs :data:`UNSHARED_WARNING` and writes nothing there)."""
    path = shared_metrics_dir()
    if path is None:
        return None
    if _imported_too_early():
        LOG.warning(UNSHARED_WARNING)
        return None
    return SharedCounts(path)


class SharedCounts:
    """prometheus_client instruments in multiprocess mode, one for each family of a
    ServiceMetrics, in no registry (``/metrics`` reads their files): what this process
    adds to the counts every worker shares."""

    def __init__(self, path: str) -> None:
        if _imported_too_early():
            # prometheus_client chose where its values live when first imported: here it
            # was imported before $PROMETHEUS_MULTIPROC_DIR was set, and its instruments
            # would count in this process's memory, not in the shared folder
            raise RuntimeError(
                f"prometheus_client was imported before ${PROMETHEUS_DIR_ENV} was set: "
                "its counts would not be shared by the workers (shared_counts() answers "
                "None then)"
            )
        self.path = path

    def counter(self, name: str, documentation: str, labelnames: Sequence[str]) -> Any:
        """A counter family's shared instrument."""
        from prometheus_client import Counter

        return Counter(name, documentation, labelnames, registry=None)

    def histogram(
        self, name: str, documentation: str, labelnames: Sequence[str], buckets: Sequence[float]
    ) -> Any:
        """A histogram family's shared instrument."""
        from prometheus_client import Histogram

        return Histogram(name, documentation, labelnames, registry=None, buckets=buckets)

    def live_gauge(self, name: str, documentation: str, labelnames: Sequence[str] = ()) -> Any:
        """A gauge summed over the workers alive (``livesum``)."""
        from prometheus_client import Gauge

        return Gauge(name, documentation, labelnames, registry=None, multiprocess_mode="livesum")

    def registry(self, local: Any) -> CollectorRegistry:
        """A registry of every worker's counts, and ``local``'s families (a collector of
        what this process reads at each scrape, not summed)."""
        from prometheus_client import CollectorRegistry
        from prometheus_client.multiprocess import MultiProcessCollector

        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.path)
        registry.register(local)
        return registry

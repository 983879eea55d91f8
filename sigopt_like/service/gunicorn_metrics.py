"""The folder a gunicorn's workers share their counts in (``/metrics``), from its start
to its exit: see :mod:`~.middleware.shared_metrics`.

The gunicorn settings module calls :func:`prepare_shared_metrics` when gunicorn reads
it, in gunicorn's master process, before the app is loaded (``--preload`` included) and
before any worker is forked. It makes a private folder of this server's own
(``tempfile.mkdtemp``: mode 0700, a new name each start, so never another server's nor
one left by an earlier run, whose files prometheus_client would add to the counts) and
names it in ``$SIGOPT_LIKE_METRICS_DIR`` and ``$PROMETHEUS_MULTIPROC_DIR``, which the
workers inherit. gunicorn reads the settings again when told to reload (SIGHUP): the
folder is kept then (its name carries the master's pid). :func:`worker_exited`
(gunicorn's ``child_exit``) drops the gauges of a worker that exited; the folder is
removed when the master exits (not by a worker, which exits through ``sys.exit`` too).
A master killed with SIGKILL leaves its folder in the temporary folder, never read again.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from typing import Any

from .middleware.shared_metrics import METRICS_DIR_ENV, PROMETHEUS_DIR_ENV

_PREFIX = "sigopt-like-metrics-"


def _owned_prefix() -> str:
    return f"{_PREFIX}{os.getpid()}-"


def prepare_shared_metrics() -> str:
    """This gunicorn's folder of shared counts, made on its first call in this process
    and named in the environment the workers inherit."""
    path = os.environ.get(METRICS_DIR_ENV, "")
    if (
        path
        and os.path.basename(path).startswith(_owned_prefix())
        and os.path.isdir(path)
        and os.environ.get(PROMETHEUS_DIR_ENV) == path
    ):
        return path  # gunicorn read its settings again (a reload): the same server
    path = tempfile.mkdtemp(prefix=_owned_prefix())
    os.environ[METRICS_DIR_ENV] = path
    os.environ[PROMETHEUS_DIR_ENV] = path
    atexit.register(_remove, path, os.getpid())
    return path


def _remove(path: str, owner: int) -> None:
    if os.getpid() == owner:  # a forked worker exiting runs this too: not its folder
        shutil.rmtree(path, ignore_errors=True)


def worker_exited(server: Any, worker: Any) -> None:
    """gunicorn's ``child_exit``: the gauges a worker that exited last said (requests in
    flight, waiting) leave the sums; what it counted stays in them."""
    path = os.environ.get(METRICS_DIR_ENV)
    if path:
        from prometheus_client.multiprocess import mark_process_dead

        mark_process_dead(worker.pid, path)

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

A master killed with SIGKILL (or by the OOM killer) cannot remove its folder: the next
gunicorn to start removes the folders left so (:func:`remove_abandoned`). A folder is in
use while its master or one of its workers lives: the master holds a ``flock`` on the
folder itself from its making on, which its forked workers share and the kernel lets go
when the last of them ends. A folder is removed only when that lock can be taken and the
master's pid in its name is not alive, so never a live server's (one of another user is
not looked at), and one made before the lock was (with no lock held) by its pid alone.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import re
import shutil
import tempfile
from typing import Any

from .middleware.shared_metrics import METRICS_DIR_ENV, PROMETHEUS_DIR_ENV

_PREFIX = "sigopt-like-metrics-"
#: a folder's name: the prefix, its master's pid, mkdtemp's random part
_NAME = re.compile(re.escape(_PREFIX) + r"([0-9]+)-")


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
    remove_abandoned(tempfile.gettempdir())
    path = tempfile.mkdtemp(prefix=_owned_prefix())
    held = _lock(path)  # held (with the workers, who inherit it) until this server ends
    if held is None:
        raise OSError(f"cannot lock the metrics folder {path}")
    os.environ[METRICS_DIR_ENV] = path
    os.environ[PROMETHEUS_DIR_ENV] = path
    atexit.register(_remove, path, os.getpid())
    return path


def remove_abandoned(folder: str) -> list[str]:
    """Remove the metrics folders in ``folder`` (the temporary folder) that this user's
    gunicorns left when killed: no process holds the folder's lock and its master's pid
    is not alive. Returns the paths removed."""
    removed: list[str] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        found = _NAME.match(entry.name)
        if found is None or not entry.is_dir(follow_symlinks=False):
            continue
        with contextlib.suppress(OSError):
            if entry.stat(follow_symlinks=False).st_uid != os.geteuid():
                continue  # another user's (and not ours to remove from a shared /tmp)
            held = _lock(entry.path)
            if held is None:
                continue  # a live server's, or its workers'
            try:
                if not _alive(int(found.group(1))):
                    shutil.rmtree(entry.path, ignore_errors=True)
                    removed.append(entry.path)
            finally:
                os.close(held)
    return removed


def _lock(path: str) -> int | None:
    """An open descriptor of the folder ``path`` holding its exclusive ``flock``, or None
    when another process holds it."""
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return None
    return descriptor


def _alive(pid: int) -> bool:
    """Whether a process of this ``pid`` runs (one of another user's included)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OverflowError, ValueError):
        return False
    return True


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

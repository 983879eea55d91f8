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
folder's lock file (:data:`LOCK_FILE`), which its forked workers share and the kernel
lets go when the last of them ends. The folder is made and locked under a name of its own
(``sigopt-like-metrics-making-...``), then renamed to its own: so it is never seen
unlocked, and no other start, looking, can keep this one from starting. A folder is
removed only when its lock file is there and its lock can be taken, so never a live
server's (one of another user is not looked at). So is a folder being made, left by a
start killed while it made it (before, those stayed for good): its lock file appears in
it already locked (made under another name, locked, then renamed), so one found free is
a dead start's; one being made that has no lock file yet (its start killed in that
moment) is removed once it is :data:`MAKING_ABANDONED_SECONDS` old, a start taking
milliseconds to lock it. A folder without the lock file, as the versions before it made,
is never removed: its master's pid does not prove it gone (under ``--daemon`` the folder
is named after the process that read the settings, which exits as gunicorn goes on):
delete those by hand once their gunicorns have stopped.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import re
import shutil
import stat
import tempfile
import time
from typing import Any

from .middleware.shared_metrics import METRICS_DIR_ENV, PROMETHEUS_DIR_ENV

_PREFIX = "sigopt-like-metrics-"
#: a folder's name: the prefix, its master's pid, mkdtemp's random part
_NAME = re.compile(re.escape(_PREFIX) + r"([0-9]+)-")
#: the name a folder is made and locked under, before it is renamed (never matches _NAME)
_MAKING_PREFIX = f"{_PREFIX}making-"
#: the file in a folder whose ``flock`` its master and workers hold while they live
LOCK_FILE = "folder.lock"
#: the name the lock file is made and locked under, in a folder being made
_MAKING_LOCK_FILE = f"{LOCK_FILE}.making"
#: a folder being made that has no lock file is taken for abandoned once this old
MAKING_ABANDONED_SECONDS = 600


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
    temporary = tempfile.gettempdir()
    remove_abandoned(temporary)
    # held (with the workers, who inherit it) until this server ends
    path, _held = _make_locked_folder(temporary)
    os.environ[METRICS_DIR_ENV] = path
    os.environ[PROMETHEUS_DIR_ENV] = path
    atexit.register(_remove, path, os.getpid())
    return path


def remove_abandoned(folder: str) -> list[str]:
    """Remove the metrics folders in ``folder`` (the temporary folder) that this user's
    gunicorns left when killed: its lock file is there and no process holds its lock
    (a folder being made too; one being made with no lock file once it is
    :data:`MAKING_ABANDONED_SECONDS` old). Returns the paths removed."""
    removed: list[str] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        making = entry.name.startswith(_MAKING_PREFIX)
        if not (making or _NAME.match(entry.name)) or not entry.is_dir(follow_symlinks=False):
            continue
        with contextlib.suppress(OSError):
            found = entry.stat(follow_symlinks=False)
            if found.st_uid != os.geteuid():
                continue  # another user's (and not ours to remove from a shared /tmp)
            lock_file = os.path.join(entry.path, LOCK_FILE)
            if making and not os.path.lexists(lock_file):
                # its start was killed before it had a lock file, or is making it now
                if time.time() - found.st_mtime >= MAKING_ABANDONED_SECONDS:
                    shutil.rmtree(entry.path, ignore_errors=True)
                    removed.append(entry.path)
                continue
            held = _lock(lock_file)
            if held is None:
                continue  # a live server's or its workers', or one an older version made
            try:
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(entry.path)
            finally:
                os.close(held)
    return removed


def _make_locked_folder(folder: str) -> tuple[str, int]:
    """A new private folder of this process's in ``folder``, and the open descriptor of
    its lock file holding the lock: made and locked under a name of its own (which
    :func:`remove_abandoned` takes for a start's being made), then renamed, so never
    seen unlocked."""
    making = tempfile.mkdtemp(prefix=_MAKING_PREFIX, dir=folder)
    try:
        held = os.open(
            os.path.join(making, _MAKING_LOCK_FILE),
            os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
            0o600,
        )
        fcntl.flock(held, fcntl.LOCK_EX)  # no one else opens it under this name
        # its lock file is locked from the moment it is there: a start that finds it free
        # knows this one was killed while making it (``remove_abandoned``)
        os.rename(os.path.join(making, _MAKING_LOCK_FILE), os.path.join(making, LOCK_FILE))
        path = os.path.join(
            folder, _owned_prefix() + os.path.basename(making)[len(_MAKING_PREFIX) :]
        )
        os.rename(making, path)
    except BaseException:
        shutil.rmtree(making, ignore_errors=True)
        raise
    return path, held


def _lock(path: str) -> int | None:
    """An open descriptor of the lock file ``path`` holding its exclusive ``flock``, or
    None when another process holds it or there is no such regular file. Opened without
    waiting and only if a regular file: before, a FIFO there blocked every gunicorn's start
    forever, and a directory there was taken as a lock and its whole folder removed."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:  # none there, a symbolic link (ELOOP), or not ours to open
        return None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            os.close(descriptor)
            return None
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # BlockingIOError: a live server's lock
        os.close(descriptor)
        return None
    return descriptor


def _remove(path: str, owner: int) -> None:
    if os.getpid() == owner:  # a forked worker exiting runs this too: not its folder
        shutil.rmtree(path, ignore_errors=True)


def master_exited(server: Any) -> None:
    """gunicorn's ``on_exit``, in the master once its workers have ended: removes this
    server's folder. The ``atexit`` removal cannot under ``--daemon``: the master is then
    not the process that read the settings and made the folder, which exited."""
    path = os.environ.get(METRICS_DIR_ENV, "")
    if _NAME.match(os.path.basename(path)) and os.environ.get(PROMETHEUS_DIR_ENV) == path:
        shutil.rmtree(path, ignore_errors=True)


def worker_exited(server: Any, worker: Any) -> None:
    """gunicorn's ``child_exit``: the gauges a worker that exited last said (requests in
    flight, waiting) leave the sums; what it counted stays in them."""
    path = os.environ.get(METRICS_DIR_ENV)
    if path:
        from prometheus_client.multiprocess import mark_process_dead

        mark_process_dead(worker.pid, path)

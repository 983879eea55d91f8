"""What ``/ready`` says about who runs the service's tasks.

A service runs its tasks itself (threads, or worker processes it starts on demand), or
leaves them to ``sigopt-like worker`` processes on its database (``serve --no-tasks``,
the WSGI factory: the scale-out steps). In the second case nothing in the app process
knows whether a worker runs: an idle worker leaves no trace in the tasks it has not
claimed. So every task runner says it runs, in one ``meta`` row, when it starts and at
each heartbeat (every ``HEARTBEAT_SECONDS``); a runner not heard from for
``LEASE_SECONDS`` is gone, as a task's worker is.

With none, the answer stays 200 and says ``"status": "degraded"`` with a warning,
rather than a 503: a readiness probe's 503 takes the instance out of its load
balancer, and the same missing worker would take out every instance at once, turning
"new tasks wait" into "nothing answers" (sessions, SigOpt suggestions and observations,
the dashboard and the tasks already done all work without a worker), and a rolling
restart of the workers would make every app flap. The database is checked with a 503,
as before: without it nothing works.
"""

from __future__ import annotations

import attrs

from .settings import ServiceSettings
from .store import Store
from .worker import lease_seconds


@attrs.frozen
class TaskWorkers:
    """Who runs the tasks: ``in_process`` (this service), ``seen`` (a worker said it runs
    within ``LEASE_SECONDS``) or ``none``; when one was last seen; a warning for ``none``."""

    state: str
    last_seen: int | None = None
    warning: str | None = None


def runs_its_own_tasks(settings: ServiceSettings) -> bool:
    """Whether this service runs tasks itself (threads, or processes it starts)."""
    return settings.run_tasks and bool(settings.worker_processes or settings.task_threads > 0)


def task_workers(settings: ServiceSettings, store: Store, now: float | None = None) -> TaskWorkers:
    """Who runs this service's tasks (a database read when it does not itself).

    A runner's beat is written by the database's clock, as a task's lease is, and judged
    by it (``now`` None: :meth:`TaskStore.lease_now`): a live worker on a host a minute
    behind this one's clock read as gone ("degraded")."""
    if runs_its_own_tasks(settings):
        return TaskWorkers("in_process")
    now = store.tasks.lease_now() if now is None else now
    seen = store.tasks.runner_last_seen()
    if seen is not None and now - seen <= lease_seconds():
        return TaskWorkers("seen", seen)
    if seen is None:
        head = "no task worker has ever run on this database"
    else:
        head = f"no task worker has run on this database for {max(0, int(now - seen))} s"
    return TaskWorkers(
        "none",
        seen,
        f"{head}, and this service runs no tasks "
        "itself (serve --no-tasks, or the WSGI factory): tasks queued now wait until a "
        "'sigopt-like worker' runs on the database",
    )

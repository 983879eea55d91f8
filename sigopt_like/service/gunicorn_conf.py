"""gunicorn settings for the service: the protections ``sigopt-like serve`` has, under gunicorn.

    gunicorn -c python:sigopt_like.service.gunicorn_conf --workers 2 --threads 40 \\
        --bind 0.0.0.0:8080 'sigopt_like.service.wsgi:application(max_waiting_requests=32)'

Settings given on the command line win over these (gunicorn reads this module first).

- ``worker_class``: :class:`~.gunicorn_worker.ServiceWorker`, gunicorn's threaded worker
  with ``serve``'s read deadline (408 for a slow client; ``$SIGOPT_LIKE_REQUEST_READ_TIMEOUT``
  seconds, default 30, as ``serve --request-read-timeout``), bodies read whole (a chunked one
  too, 413 past ``max_body_bytes``) and its refusals of malformed HTTP in the JSON body.
- ``keepalive``: an idle connection is closed after :data:`~.serving.KEEP_ALIVE_SECONDS`,
  as under ``serve``.
- ``limit_request_line``, ``limit_request_fields``, ``limit_request_field_size``: 8190
  bytes (gunicorn's largest short of unlimited; its default is 4094), and gunicorn's own
  defaults of 100 headers of 8190 bytes each, the limits of ``serve`` too; past them a
  request is a 414 ``uri_too_long`` or a 431 ``header_fields_too_large``, as under
  ``serve`` (``serving.REQUEST_LINE_BYTES``...).
- ``timeout``: gunicorn restarts a worker whose loop has not turned in this long (a worker's
  threads answering requests do not count; the loop turns each second).
- ``control_socket_disable``, ``control_socket``: gunicorn 25.1+ opens a control socket
  for ``gunicornc`` at one path per user (``$XDG_RUNTIME_DIR/gunicorn.ctl`` or
  ``~/.gunicorn/gunicorn.ctl``), which a second gunicorn of the same user takes over (it
  removes the first one's socket) and either removes when it stops. So it is off here
  unless ``$SIGOPT_LIKE_GUNICORN_CONTROL_SOCKET`` names a path for this instance (one per
  instance). gunicorn's ``--no-control-socket`` can only turn it off: the variable, not
  ``--control-socket``, turns it on. Its folder must exist: else gunicorn stops at once,
  saying so (gunicorn itself would make the folders).
- ``child_exit``, ``on_exit`` and a folder of this server's own for the counts its
  workers share: ``/metrics`` answers what every worker counted (:mod:`~.gunicorn_metrics`;
  made here, before anything imports prometheus_client, removed when gunicorn exits,
  ``--daemon`` too; one a gunicorn killed with SIGKILL left is removed at the next start).
"""

from __future__ import annotations

import os

from sigopt_like.service.gunicorn_metrics import (
    master_exited,
    prepare_shared_metrics,
    worker_exited,
)
from sigopt_like.service.gunicorn_worker import read_seconds_from_env
from sigopt_like.service.serving import (
    KEEP_ALIVE_SECONDS,
    REQUEST_FIELD_BYTES,
    REQUEST_FIELDS,
    REQUEST_LINE_BYTES,
)

# a read deadline that cannot be used stops gunicorn here, in one line, not each worker
read_seconds_from_env()
# before the app is loaded (--preload too) and the workers are forked
prepare_shared_metrics()
child_exit = worker_exited
on_exit = master_exited  # --daemon too

worker_class = "sigopt_like.service.gunicorn_worker.ServiceWorker"
keepalive = int(KEEP_ALIVE_SECONDS)
limit_request_line = REQUEST_LINE_BYTES
limit_request_fields = REQUEST_FIELDS
limit_request_field_size = REQUEST_FIELD_BYTES
timeout = 30

#: the control socket's path for this instance; unset or empty: no control socket
CONTROL_SOCKET_ENV = "SIGOPT_LIKE_GUNICORN_CONTROL_SOCKET"
_control_socket = os.environ.get(CONTROL_SOCKET_ENV, "").strip()
control_socket_disable = not _control_socket
if _control_socket:
    control_socket = os.path.abspath(os.path.expanduser(_control_socket))
    # before: gunicorn made the missing folders (a mistyped one included) and listened
    # there; a path in a folder that is not there stops the start here, in one line
    if not os.path.isdir(os.path.dirname(control_socket)):
        raise ValueError(
            f"${CONTROL_SOCKET_ENV} is {control_socket}, in a folder that does not exist: "
            "create the folder first, or name a path in an existing one"
        )

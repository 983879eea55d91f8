"""How ``sigopt-like serve`` stops: its waiting clients are answered first.

On SIGTERM or Ctrl-C the service stops letting requests wait (a waiting long poll
answers the task as it is, an event stream ends after its last event: the service's
``stop_waiting``), the server stops taking connections, and its loop runs on until
every request it has is answered and its answer sent, for at most
:data:`STOP_GRACE_SECONDS`. A request still running then is waited for, its answer sent,
for at most ``in_flight.LATE_SECONDS`` more, while any new one is refused (503
``unavailable``, ``Retry-After``, ``Connection: close``); then it stops, and the service
closes. A second signal stops it at once.

Before, the signal stopped waitress's loop at once: an answer written afterwards was
never sent, and a waiting client saw its connection cut about 6 s later (waitress
waits 5 s for its threads) instead of an answer. A gunicorn worker stops the same
way through ``gunicorn_worker.ServiceWorker.handle_exit``.

Written here because waitress offers no graceful stop of its own (``close()`` stops at
once); this drives its loop with its own ``asyncore`` and reads its channels' pending
requests and output, so a waitress release that renames those fails the serve tests.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from typing import Any

import attrs
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer

from .in_flight import LATE_SECONDS, InFlightRequests

#: how long a stopping server gives the requests it has to be answered and sent
STOP_GRACE_SECONDS = 5.0
#: how often the loop looks whether it was asked to stop (it sleeps in ``poll()``)
LOOK_SECONDS = 0.2
#: how long a stopping server waits, once its requests are answered, for a connection that
#: sent or received anything that recently: an answer given just before the stop kept it
#: alive, and its client's next request may be on its way (answered, with ``Connection:
#: close``, rather than met by the reset of a server that exits with it unread)
QUIET_SECONDS = 0.5
#: how long idle request threads are given to end, once the requests are answered
THREADS_END_SECONDS = 1.0


@attrs.define
class StopSignals:
    """A signal handler: the first SIGTERM or SIGINT asks the server to stop (``asked``
    names it), a second one stops it at once (``KeyboardInterrupt``)."""

    asked: str | None = None

    def __call__(self, signum: int, frame: object) -> None:
        if self.asked is not None:
            raise KeyboardInterrupt
        self.asked = signal.Signals(signum).name

    def install(self) -> None:
        """Handle SIGTERM, and SIGINT unless it is ignored (a shell's background job:
        Ctrl-C is not meant for it)."""
        signal.signal(signal.SIGTERM, self)
        if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            signal.signal(signal.SIGINT, self)


def run_until_stopped(
    server: Any,
    stop_waiting: Callable[[], None],
    stopping: Callable[[], bool],
    grace_seconds: float = STOP_GRACE_SECONDS,
    in_flight: InFlightRequests | None = None,
    late_seconds: float = LATE_SECONDS,
) -> None:
    """Run the waitress ``server`` (made by ``serving.create_server``) until
    ``stopping()``; then call ``stop_waiting()``, stop taking connections, and run on
    until every request is answered and sent, for at most ``grace_seconds``; past it, the
    requests ``in_flight`` still answers are waited for (their answers sent) at most
    ``late_seconds`` more, and new ones refused (``in_flight.refuse_new``). Before, the
    service was closed under a request running past the grace: a 500 or a cut
    connection, and a request of several writes cut between them. A
    ``KeyboardInterrupt`` (a second signal) goes through at once: the caller closes the
    server and the service."""
    socket_map = _socket_map(server)
    use_poll = server.adj.asyncore_use_poll
    while socket_map and not stopping():
        server.asyncore.loop(LOOK_SECONDS, use_poll, socket_map, count=1)
    stop_waiting()
    if in_flight is not None:
        # each answer from now on closes its connection: before, answers during the grace
        # kept them alive, so busy clients went on sending on them (the loop settled only
        # between their requests, or past the grace, when the next ones were refused 503),
        # and a request sent as the server exited met a reset: sent or not, nobody knew
        in_flight.close_connections()
    for listener in [server, *socket_map.values()]:
        if isinstance(listener, BaseWSGIServer):
            # its listening socket alone: its trigger still wakes the loop when a
            # request thread has written an answer
            server.asyncore.dispatcher.close(listener)
    deadline = time.monotonic() + grace_seconds
    while socket_map and not _settled(socket_map):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        server.asyncore.loop(min(LOOK_SECONDS, left), use_poll, socket_map, count=1)
    if in_flight is not None and not _settled(socket_map):
        in_flight.refuse_new()
        deadline = time.monotonic() + late_seconds
        while socket_map and (in_flight.count or not _settled(socket_map)):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            server.asyncore.loop(min(LOOK_SECONDS, left), use_poll, socket_map, count=1)
    # the request threads, idle now, end; one still answering is left to end with the
    # process (waitress logs how many)
    left = max(deadline - time.monotonic(), THREADS_END_SECONDS)
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=left)


def _settled(socket_map: dict[int, Any]) -> bool:
    """Whether no connection has a request being answered, an answer left to send, or
    anything sent or received in the last :data:`QUIET_SECONDS`."""
    quiet_since = time.time() - QUIET_SECONDS  # waitress stamps ``last_activity`` so
    return not any(
        isinstance(channel, HTTPChannel)
        and (
            channel.requests
            or channel.total_outbufs_len
            or (channel.connected and channel.last_activity > quiet_since)
        )
        for channel in list(socket_map.values())
    )


def _socket_map(server: Any) -> dict[int, Any]:
    """The socket map of one listening server, or of the several a
    ``MultiSocketServer`` runs."""
    socket_map: dict[int, Any] = server.map if hasattr(server, "map") else server._map
    return socket_map

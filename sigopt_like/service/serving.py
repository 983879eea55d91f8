"""How a service instance is served over HTTP: waitress, sized for waiting clients.

A WSGI server gives each request one thread for its whole life, and a client
waiting on a task (an event stream, a long poll) holds its thread while it
waits. So the pool has two parts: ``threads`` for ordinary requests, plus one
thread per waiting slot of the instance (``settings.max_waiting_requests``,
enforced by :class:`sigopt_like.service.task_watch.TaskWatch`). Waiters can hold
at most their slots' threads; the ``threads`` others always remain for
``/health`` and everyone's calls. Connections are allowed for all of them and
more, and waitress polls its sockets with ``poll()`` (no 1024-descriptor limit of
``select()``). What waitress refuses before the app sees it (a NUL in a header, a
raw non-ASCII byte in the URI) is answered with the service's JSON error body
(``wire_errors``), and so is a request that takes too long to arrive (408,
``slow_clients``: a slowloris client held a connection for as long as it trickled).
A connection idle between requests is closed after :data:`KEEP_ALIVE_SECONDS`.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from .app import Service

if TYPE_CHECKING:
    from .starting import StartingService

#: threads for ordinary requests (waiting requests get their own on top)
DEFAULT_THREADS = 8
#: how long a request may take to arrive (``serve --request-read-timeout``), plus a
#: second for each ``slow_clients.MIN_BYTES_PER_SECOND`` bytes received
DEFAULT_READ_SECONDS = 30.0
#: a refused body (a Content-Length over the body limit, or a body behind a head refused
#: 400, 408, 414, 417 or 431) is read and thrown away after the refusal, so that a client
#: still sending it reads the refusal and not a reset (a lingering close, as nginx's
#: ``lingering_close``): at most this many bytes of it, ...
LINGER_BYTES = 64 * 1024 * 1024
#: ... for at most this long in all (nginx's ``lingering_time``) ...
LINGER_SECONDS = 10.0
#: ... and this long without a byte of it (nginx's ``lingering_timeout``); then the
#: connection closes. Both servers linger in their socket loop: no request thread waits.
LINGER_IDLE_SECONDS = 2.0
#: ... and at most this share of the connections a server takes (waitress's
#: ``connection_limit``, a gunicorn worker's ``worker_connections``) linger at once; past
#: it a refusal closes at once (its client may then see a reset, as before lingering), so
#: that clients sending refused bodies cannot hold every connection for LINGER_SECONDS:
#: 600 of them at once made ``/health`` wait 5 s for a connection under ``serve``
LINGER_SHARE = 0.5
#: open connections allowed beyond one per thread (keep-alive clients, queued requests)
SPARE_CONNECTIONS = 256
#: how long a connection may stay idle between requests (``serve --keep-alive-timeout``):
#: long enough for a script's next call, short enough that idle clients do not hold the
#: connections (waitress's own 120 s let 256 idle clients fill them for two minutes)
KEEP_ALIVE_SECONDS = 15
#: how often waitress looks for idle connections to close (its default: every 30 s)
CLEANUP_SECONDS = 2
#: the longest request line (method, URI, version), in bytes: past it a request is a 414
#: under ``serve`` and under gunicorn (``gunicorn_conf``'s ``limit_request_line``: the
#: largest gunicorn takes short of "unlimited"; its default, 4094, refused URLs that
#: waitress, which has no such limit, served up to 256 KB), so that one URL is not served
#: by one server and refused by the other
REQUEST_LINE_BYTES = 8190
#: the most header fields a request may have, and the longest one ("Name: value"), in
#: bytes: past either a request is a 431 (gunicorn's ``limit_request_fields`` and
#: ``limit_request_field_size`` defaults)
REQUEST_FIELDS = 100
REQUEST_FIELD_BYTES = 8190


#: the one header ``serve --trusted-proxy`` takes from its proxy: the scheme the client
#: used (gunicorn's ``secure_scheme_headers`` has it too, from ``forwarded_allow_ips``)
FORWARDED_SCHEME_HEADERS = frozenset({"x-forwarded-proto"})


def trusted_proxy_options(address: str | None) -> dict[str, Any]:
    """waitress options that take the request's scheme (``wsgi.url_scheme``, so the
    ``https`` of a 202's ``Location``, of a SigOpt file's ``url`` and of the dashboard's
    cookie) from the ``X-Forwarded-Proto`` of requests whose peer is ``address`` (an IP
    address, or ``*``: any peer); None: from no one, every such header dropped.

    Raises ValueError for an ``address`` that is not an IP address (waitress compares the
    peer's address as text, so a host name would never match)."""
    if address is None:
        return {}
    address = address.strip()
    if address != "*":
        try:
            address = str(ipaddress.ip_address(address))  # the form the peer's is written in
        except ValueError:
            raise ValueError(
                f"{address!r} is not an IP address: give the proxy's address as the server "
                "sees it (e.g. 127.0.0.1 for a proxy on this machine), or * for any peer"
            ) from None
    return {"trusted_proxy": address, "trusted_proxy_headers": set(FORWARDED_SCHEME_HEADERS)}


def linger_slots(connections: int) -> int:
    """How many of a server's ``connections`` may linger at once (:data:`LINGER_SHARE`)."""
    return max(1, int(connections * LINGER_SHARE))


def server_options(
    service: Service | StartingService,
    threads: int = DEFAULT_THREADS,
    keep_alive: int = KEEP_ALIVE_SECONDS,
) -> dict[str, Any]:
    """waitress options for ``service`` with ``threads`` request threads, closing a
    connection idle for ``keep_alive`` seconds."""
    waiting = max(0, int(service.settings.max_waiting_requests))
    total = threads + waiting
    return {
        # a larger body is refused (413) as soon as its Content-Length, or its chunks, say
        # so: before, waitress read up to 1 GB of it, to a temporary file and before any
        # token was checked, for the app to refuse it then
        "max_request_body_size": service.settings.max_body_bytes + 1,
        "threads": total,
        "connection_limit": total + SPARE_CONNECTIONS,
        "asyncore_use_poll": True,
        "channel_timeout": keep_alive,
        "cleanup_interval": min(CLEANUP_SECONDS, keep_alive),
        "clear_untrusted_proxy_headers": True,
        "ident": "sigopt-like",
    }


def create_server(
    service: Service | StartingService,
    host: str,
    port: int,
    *,
    threads: int = DEFAULT_THREADS,
    app: Any = None,
    read_seconds: float = DEFAULT_READ_SECONDS,
    keep_alive: int = KEEP_ALIVE_SECONDS,
    **options: Any,
) -> Any:
    """A waitress server for ``service`` on ``host:port`` (0: any free port), not yet
    running; ``app`` wraps the service (an access log, say); a request that takes longer
    than ``read_seconds`` to arrive is a 408 (``slow_clients``); a connection idle for
    ``keep_alive`` seconds between requests is closed; ``options`` override waitress
    settings."""
    from waitress.server import create_server as waitress_server

    from .proxy_refusals import check_forwarded_scheme
    from .wire_errors import answer_in_json

    served = app if app is not None else service
    channel = channel_class(read_seconds, service.settings.max_body_bytes, served)
    if not keep_alive >= 1:
        raise ValueError(f"the keep-alive timeout must be at least 1 s, not {keep_alive!r}")
    settings = {**server_options(service, threads, keep_alive), **options}
    server = waitress_server(served, host=host, port=port, **settings)
    # a trusted proxy's malformed X-Forwarded-Proto in the service's JSON body too
    check_forwarded_scheme(server, served)
    # waitress's own refusals in the service's JSON body, and a deadline for slow clients
    return answer_in_json(server, channel)


def channel_class(read_seconds: float, body_limit: int, served_app: Any = None) -> type[Any]:
    """The waitress channel of a server whose requests have ``read_seconds`` to arrive
    (``slow_clients``) and bodies at most ``body_limit`` bytes, each refusal in JSON and
    recorded in ``served_app``'s metrics and access log (``door_records``)."""
    from .client_gone import PeekingChannel
    from .judged_heads import JudgingChannel
    from .slow_clients import ReadDeadlineChannel

    if not read_seconds > 0:
        raise ValueError(f"the request read timeout must be positive, not {read_seconds!r}")
    parser = type("ServiceParser", (ReadDeadlineChannel.parser_class,), {"served_app": served_app})
    settings = {
        "read_seconds": read_seconds,
        "body_limit": body_limit,
        "served_app": served_app,
        "parser_class": parser,
    }
    # a long poll sees its client gone (client_gone), and gives its waiting slot back; a
    # request's credentials only the store can judge are judged before 100 Continue
    # (judged_heads), its read deadline checked meanwhile (slow_clients)
    return type("ServiceChannel", (PeekingChannel, JudgingChannel, ReadDeadlineChannel), settings)

"""Whether the client of a request that waits (a long poll, an event stream) went away.

A long poll writes nothing while it waits, so neither server noticed its client close
the connection: it held its waiting slot (and its thread) until its ``wait`` ran out, and
a crowd of abandoned polls (scripts stopped with Ctrl-C, say) left new clients refused
(``X-Wait-Refused: slots``) for up to a minute. The socket is peeked, not read: an end of
stream or a reset means the client is gone; bytes waiting (a pipelined request) or none
at all mean it may still be there. An end of stream is also what a client that half-closes
after its request (``shutdown(SHUT_WR)``) shows, and nothing tells the two apart: such a
client's wait is ended early too, within a second, and it is answered the task as it is
(it polls again). Under TLS (gunicorn's ``--certfile``) the socket is not peeked but
polled for a hang-up (:func:`tls_peer_closed`), where the platform says one (Linux).
"""

from __future__ import annotations

import select
import socket
import ssl
from collections.abc import Callable
from typing import Any

#: waitress puts its channel's check here (``serving``'s channel peeks at its socket)
WAITRESS_KEY = "waitress.client_disconnected"
#: gunicorn puts the request's socket here
GUNICORN_KEY = "gunicorn.socket"


def peer_closed(sock: socket.socket) -> bool:
    """Whether the other end of ``sock`` closed it (or reset it), without taking a byte;
    never raises. A TLS socket (an ``ssl.SSLSocket``, under gunicorn's ``--certfile``) is
    asked through :func:`tls_peer_closed`.

    An end of stream cannot be told from a half-close: a client that sent its request and
    then shut its sending side (``shutdown(SHUT_WR)``) reads as gone too, so its long poll
    or stream is answered (with the task as it is) within a second, and it polls again."""
    if isinstance(sock, ssl.SSLSocket):
        return tls_peer_closed(sock)
    try:
        if sock.fileno() < 0:
            return True  # closed under us
        # asked first whether a peek would block: a socket with a timeout set waits out
        # its timeout in recv (whatever MSG_DONTWAIT says) and would read as gone; and
        # Windows has no MSG_DONTWAIT
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return False
        dontwait = getattr(socket, "MSG_DONTWAIT", 0)
        return sock.recv(1, socket.MSG_PEEK | dontwait) == b""
    except (BlockingIOError, InterruptedError, TimeoutError):
        return False  # nothing to read: still connected
    except OSError:
        return True  # reset, or the socket closed under us
    except ValueError:
        return False  # a socket that cannot be peeked: not known to be gone


def tls_peer_closed(sock: ssl.SSLSocket) -> bool:
    """Whether the client of a TLS socket closed (or reset, or half-closed) its connection,
    touching neither its bytes nor its TLS state; never raises. Before, a TLS client was
    never seen gone, and an abandoned long poll held its waiting slot to its wait's end.

    The ``ssl.SSLSocket`` refuses a peek (ValueError), and a peek under it at the TCP
    stream is not enough: a client that closes cleanly sends a TLS alert (close_notify)
    before its end of stream, so the peek reads the alert's first byte, never the empty
    read that says the end. So the descriptor is polled for ``POLLRDHUP`` (the peer shut
    its sending side: set even with bytes still unread before the end), ``POLLHUP`` and
    ``POLLERR`` (a reset); poll reads nothing. Where there is no ``POLLRDHUP`` (not
    Linux) the client is not known to be gone: False, as before."""
    rdhup = getattr(select, "POLLRDHUP", None)
    if rdhup is None or not hasattr(select, "poll"):
        return False
    try:
        descriptor = sock.fileno()
        if descriptor < 0:
            return True  # closed under us
        poller = select.poll()
        poller.register(descriptor, select.POLLIN | rdhup)
        events = poller.poll(0)
    except (OSError, ValueError):
        return False  # cannot be asked: not known to be gone
    hung_up = rdhup | select.POLLHUP | select.POLLERR | select.POLLNVAL
    return any(event & hung_up for _, event in events)


def gone_check(environ: dict[str, Any]) -> Callable[[], bool]:
    """A callable saying whether the client of the request of ``environ`` is gone; never,
    where the server gives no way to know (the embedded transport: the caller is here)."""
    check = environ.get(WAITRESS_KEY)
    if callable(check):
        return check  # type: ignore[no-any-return]
    sock = environ.get(GUNICORN_KEY)
    if isinstance(sock, socket.socket):
        return lambda: peer_closed(sock)
    return _never


def _never() -> bool:
    return False


class PeekingChannel:
    """A waitress channel mixin whose ``check_client_disconnected`` (the check waitress puts
    in each request's environ) peeks at the socket: waitress's own says only what its loop
    saw, and its loop does not read a connection whose request is being answered, so a
    client that went away mid-request was never seen gone. A client that half-closes after
    its request reads as gone too (see :func:`peer_closed`): its wait ends within a second,
    answered, rather than held to its end."""

    connected: bool
    socket: Any

    def check_client_disconnected(self) -> bool:
        """Whether the client closed (or reset) the connection."""
        sock = self.socket
        return not self.connected or sock is None or peer_closed(sock)

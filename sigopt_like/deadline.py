"""A deadline for a whole HTTP answer, not only for each socket read.

requests and urllib3 time each socket read: a server that sends a byte every few seconds
never trips a read timeout and holds the call for ever (urllib3's ``Timeout`` says so;
its ``total`` is per read too). No library bounds the whole answer of a blocking call, so
this module does, without a thread: :class:`DeadlineAdapter` is the ``requests`` adapter
the transport mounts, and every socket read of an answer it receives (status line,
headers, body) waits at most what is left until that answer's deadline, then raises
``socket.timeout``, which urllib3 and requests report as a read timeout.

The transport says how long an answer may take by passing ``timeout`` as
:class:`Timeouts`, a (connect, read) pair with a ``whole`` attribute: seconds from the
request sent to the answer's last byte, or None for no bound beyond each read's (an
event stream, which lasts as long as its task). Any other adapter takes it as the plain
pair it also is.

A ``requests.Session`` the caller hands in gets one too, for the service's URL only
(:func:`mount_for`): the timeout they gave is honoured there as on a session of the
transport's own, and their adapters for anything else are left as they are.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import io
import socket
import threading
import time
from typing import Any

import requests
import requests.adapters


class Timeouts(tuple):  # type: ignore[type-arg]
    """``(connect, read)`` seconds, and ``whole``: seconds for the whole answer (or None)."""

    whole: float | None

    def __new__(cls, connect: float, read: float, whole: float | None) -> Timeouts:
        made = super().__new__(cls, (connect, read))
        made.whole = whole
        return made


class DeadlineAdapter(requests.adapters.HTTPAdapter):
    """An ``HTTPAdapter`` whose answers end by their deadline (see the module docstring)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        if not hasattr(self, "_answer"):
            #: the ``whole`` seconds of the answer this thread is waiting for
            self._answer = threading.local()
        _pace(self.poolmanager, self._answer)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        _pace(manager, self._answer)
        return manager

    def send(  # type: ignore[override]
        self, request: Any, stream: bool = False, timeout: Any = None, **kwargs: Any
    ) -> requests.Response:
        self._answer.whole = getattr(timeout, "whole", None)
        try:
            return super().send(request, stream=stream, timeout=timeout, **kwargs)
        finally:
            self._answer.whole = None


def mount_for(session: requests.Session, base_url: str) -> DeadlineAdapter | None:
    """Give ``session`` a :class:`DeadlineAdapter` for the URLs under ``base_url`` alone,
    set up as the adapter it would have used there (pool sizes, ``max_retries``); the
    adapter this call mounted, or None (one was there already, or the deadline cannot
    be kept so: :func:`keeps_deadlines` says which).

    Only in place of requests' own ``HTTPAdapter`` (the session's default, or one the
    caller configured for a scheme or a host), and never over an adapter mounted for
    this very URL: a subclass (a custom TLS context, a test's mock, a Unix-socket
    transport) or an adapter meant for the service is the caller's choice to keep.
    Adapters mounted for narrower URLs keep their precedence (requests picks the
    longest prefix).
    """
    prefix = base_url.rstrip("/") + "/"
    try:
        current = session.get_adapter(prefix)
    except requests.exceptions.InvalidSchema:  # the caller mounted nothing for it
        return None
    if type(current) is not requests.adapters.HTTPAdapter:
        return None
    if prefix.lower() in {key.lower() for key in session.adapters}:
        return None  # an adapter of theirs for this very URL
    adapter = DeadlineAdapter(
        pool_connections=getattr(current, "_pool_connections", 10),
        pool_maxsize=getattr(current, "_pool_maxsize", 10),
        max_retries=current.max_retries,
        pool_block=getattr(current, "_pool_block", False),
    )
    session.mount(prefix, adapter)
    return adapter


def keeps_deadlines(session: requests.Session, base_url: str) -> bool:
    """Whether ``session`` sends the requests under ``base_url`` through a
    :class:`DeadlineAdapter`."""
    try:
        return isinstance(session.get_adapter(base_url.rstrip("/") + "/"), DeadlineAdapter)
    except requests.exceptions.InvalidSchema:
        return False


def _pace(manager: Any, answer: threading.local) -> None:
    """Make every pool of ``manager`` build connections whose answers keep a deadline."""
    classes = dict(manager.pool_classes_by_scheme)  # a copy: 1.26 shares the module's
    for scheme, pool in list(classes.items()):
        if getattr(pool, "paced", False):
            continue
        connection = type(
            "Paced" + pool.ConnectionCls.__name__,
            (pool.ConnectionCls,),
            {"response_class": functools.partial(_PacedResponse, answer=answer)},
        )
        classes[scheme] = type(
            "Paced" + pool.__name__, (pool,), {"ConnectionCls": connection, "paced": True}
        )
    manager.pool_classes_by_scheme = classes


class _PacedResponse(http.client.HTTPResponse):
    """An answer read through :class:`_PacedReader` when its thread set a deadline."""

    def __init__(self, sock: Any, *args: Any, answer: threading.local, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        whole = getattr(answer, "whole", None)
        if whole is not None:
            reader = _PacedReader(self.fp.detach(), sock, time.monotonic() + whole, whole)
            self.fp = io.BufferedReader(reader)


class _PacedReader(io.RawIOBase):
    """Socket reads that never wait past ``until`` (a ``time.monotonic()`` instant)."""

    def __init__(self, raw: Any, sock: socket.socket, until: float, whole: float) -> None:
        super().__init__()
        self.raw = raw
        self.sock = sock
        self.until = until
        self.whole = whole

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self.until - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"the whole answer took longer than {self.whole:g} s")
        each = self.sock.gettimeout()
        self.sock.settimeout(left if each is None else min(each, left))
        try:
            return int(self.raw.readinto(buffer))
        finally:
            with contextlib.suppress(OSError):  # closed meanwhile: nothing to restore
                self.sock.settimeout(each)

    def fileno(self) -> int:
        return int(self.raw.fileno())

    def close(self) -> None:
        if not self.closed:
            self.raw.close()
        super().close()

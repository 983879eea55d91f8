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

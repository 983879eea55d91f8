"""Request limits: body size, and request rates per token (and login attempts).

Rates are counted in the database (``store/rate_limits.py``), so that every
process of a service enforces one limit; nothing is kept in the module.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable
from typing import Any

import falcon

from ..errors import RateLimited
from ..http import body_too_large
from ..settings import ServiceSettings
from ..store.errors import Busy
from ..store.rate_limits import RateLimitStore

PURGE_EVERY_SECONDS = 60.0


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds for each key of one scope, the
    count shared through the database by every process of the service."""

    def __init__(
        self,
        store: RateLimitStore,
        scope: str,
        limit: int,
        window: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit = limit
        self.window = window
        self._store = store
        self._scope = scope
        self._clock = clock

    def hit(self, key: str | tuple[str, ...]) -> float | None:
        """Count one event for ``key`` (a tuple is joined with ``:``); None if allowed,
        else the seconds until one would be."""
        text = key if isinstance(key, str) else ":".join(map(str, key))
        return self._store.hit(self._scope, text, self.limit, self.window, self._clock())


def retry_after_seconds(wait: float) -> int:
    """A Retry-After value: whole seconds, at least 1."""
    return max(1, math.ceil(wait))


def count_attempt(limiter: RateLimiter, what: str, *keys: str | tuple[str, ...]) -> None:
    """Count one ``what`` attempt (``"login"``, ``"sign-in"``) against each of ``keys``
    (an email's, an address's); :class:`RateLimited` (its Retry-After the longest wait)
    once any of them is past ``limiter``'s limit."""
    waits = [wait for wait in (limiter.hit(key) for key in keys) if wait]
    if waits:
        seconds = retry_after_seconds(max(waits))
        raise RateLimited(
            f"Too many {what} attempts: at most {limiter.limit} a minute for one email "
            f"or one address; retry in {seconds} s.",
            retry_after=seconds,
        )


class BodyLimitMiddleware:
    """Refuse bodies over ``settings.max_body_bytes`` before reading them (413)."""

    def __init__(self, context: Any) -> None:
        self.limit = context.settings.max_body_bytes

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Check Content-Length up front; read_json enforces the limit on chunked bodies."""
        req.context.max_body_bytes = self.limit
        length = req.content_length
        if length is not None and length > self.limit:
            raise body_too_large(self.limit, length)


class RateLimitMiddleware:
    """Per-token request budget (``settings.requests_per_minute``; None turns it off)."""

    def __init__(self, store: RateLimitStore, settings: ServiceSettings) -> None:
        per_minute = settings.requests_per_minute
        self._store = store
        self.limiter = (
            RateLimiter(store, "requests", per_minute, settings.rate_limit_window_seconds)
            if per_minute
            else None
        )
        self._last_purge = 0.0
        self._lock = threading.Lock()

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: object, params: dict
    ) -> None:
        """Count the request against its token (after auth); 429 with Retry-After if over."""
        token_id = getattr(req.context, "token_id", None)
        if self.limiter is None or token_id is None:
            return
        self._maybe_purge()
        wait = self.limiter.hit(str(token_id))
        if wait is not None:
            raise RateLimited(
                f"Too many requests with this token: the limit is {self.limiter.limit} "
                f"a minute; retry in {retry_after_seconds(wait)} s.",
                retry_after=retry_after_seconds(wait),
                detail={"limit_per_minute": self.limiter.limit},
            )

    def _maybe_purge(self) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last_purge < PURGE_EVERY_SECONDS:
                return
            self._last_purge = now
        with contextlib.suppress(Busy):  # another writer holds the lock: purge next time
            self._store.purge(time.time())

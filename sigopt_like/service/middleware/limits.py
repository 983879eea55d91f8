"""Request limits: body size, and request rates per token.

The limiter state lives in the middleware (or the service context), never in
the module, so that two services in one process never share it.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import Any

import falcon

from ..errors import PayloadTooLarge, RateLimited

_MAX_KEYS_BEFORE_PRUNE = 10_000


class SlidingWindowLimiter:
    """At most ``limit`` events per ``window`` seconds for each key (thread-safe)."""

    def __init__(
        self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: dict[Hashable, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: Hashable) -> float | None:
        """Record one event for ``key``; None if allowed, else seconds until one would be."""
        now = self._clock()
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.window:
                events.popleft()
            if len(events) >= self.limit:
                return max(events[0] + self.window - now, 0.001)
            events.append(now)
            if len(self._events) > _MAX_KEYS_BEFORE_PRUNE:
                self._prune(now)
            return None

    def _prune(self, now: float) -> None:
        stale = [k for k, ev in self._events.items() if not ev or ev[-1] <= now - self.window]
        for key in stale:
            del self._events[key]


def retry_after_seconds(wait: float) -> int:
    """A Retry-After value: whole seconds, at least 1."""
    return max(1, math.ceil(wait))


class BodyLimitMiddleware:
    """Refuse bodies over ``settings.max_body_bytes`` before reading them (413)."""

    def __init__(self, context: Any) -> None:
        self.limit = context.settings.max_body_bytes

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Check Content-Length up front; read_json enforces the limit on chunked bodies."""
        req.context.max_body_bytes = self.limit
        length = req.content_length
        if length is not None and length > self.limit:
            raise PayloadTooLarge(
                f"The request body is {length} bytes; the limit is {self.limit} bytes.",
                detail={"limit": self.limit},
            )


class RateLimitMiddleware:
    """Per-token request budget (``settings.requests_per_minute``; None turns it off)."""

    def __init__(self, context: Any) -> None:
        per_minute = context.settings.requests_per_minute
        self.limiter = SlidingWindowLimiter(per_minute) if per_minute else None

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: object, params: dict
    ) -> None:
        """Count the request against its token (after auth); 429 with Retry-After if over."""
        token_id = getattr(req.context, "token_id", None)
        if self.limiter is None or token_id is None:
            return
        wait = self.limiter.hit(token_id)
        if wait is not None:
            raise RateLimited(
                f"Too many requests with this token: the limit is {self.limiter.limit} "
                f"a minute; retry in {retry_after_seconds(wait)} s.",
                retry_after=retry_after_seconds(wait),
                detail={"limit_per_minute": self.limiter.limit},
            )

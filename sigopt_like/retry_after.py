"""A Retry-After header in seconds (RFC 9110 section 10.2.3), for the transport's retries
and for :attr:`~sigopt_like.errors.RateLimitError.retry_after`.

Its own module, stdlib only, so that the error hierarchy (a pure module the service
imports too, through ``tables``) reads the header without importing the transport and,
with it, ``requests``.
"""

from __future__ import annotations

import email.utils
import time


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """A Retry-After header in seconds: delta seconds or an HTTP date; None if unusable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)

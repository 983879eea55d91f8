"""The ``id`` of a task's server-sent events, and the ``Last-Event-ID`` a client
reconnecting with gives back.

An event's id is what the client has: the task's version (``7``), with ``-gone`` when it
was sent because the task's worker was found gone (``7-gone``: the same version, now with
``warnings``; its worker writes nothing, so the version alone does not change). A
reconnect (EventSource does it by itself, with the header) whose id is the task as it is
now is sent nothing until the next change; before, the stream sent every reconnect the
state it already had.
"""

from __future__ import annotations

import re

from .http import INT32_MAX

#: the header a reconnecting EventSource sends, with the id of the last event it had
LAST_EVENT_ID = "Last-Event-ID"
#: what an id adds when its event says the task's worker is gone
GONE_MARK = "-gone"
_ID = re.compile(r"([0-9]{1,10})(" + re.escape(GONE_MARK) + r")?")


def event_id(version: int, gone: bool) -> str:
    """The id of the event that tells of a task at ``version`` (its worker ``gone`` or not)."""
    return f"{version}{GONE_MARK if gone else ''}"


def seen_by_client(raw: str | None) -> tuple[int, bool] | None:
    """What a client reconnecting with ``Last-Event-ID: raw`` has, as (version, gone), or
    None when it says nothing usable: absent, empty (an EventSource given no id yet, or
    an id reset, sends it empty) or malformed.

    A malformed id is ignored as if absent, not refused with a 400: the header is the
    browser's (EventSource sends back whatever id it last read), so nobody could fix the
    request; and a 4xx to an EventSource fails it for good (it never reconnects), where
    ignoring the id costs one event sent again."""
    if raw is None:
        return None
    match = _ID.fullmatch(raw.strip())
    if match is None:
        return None
    version = int(match.group(1))
    if version > INT32_MAX:  # a task's versions are 32-bit (an INTEGER column)
        return None
    return version, match.group(2) is not None

"""The ``X-Request-Id`` of an answer: the one the caller (or its proxy) sent, when it is
sane, else a new one. One rule for the app's answers (``middleware.request_id``) and the
door's refusals, answered before the app (``wire_errors``, ``proxy_refusals``,
``gunicorn_worker``): a client or proxy that names its requests finds each in the logs
by its own name, whichever answered it."""

from __future__ import annotations

import os
import re

HEADER = "X-Request-Id"
#: an id echoed as sent: letters, digits, ``.``, ``_`` and ``-``, 1 to 128 of them (a
#: repeated header, joined with commas by the server, is no such id)
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._-]{1,128}")


def sent_id(given: str | None) -> str | None:
    """``given`` (the request's ``X-Request-Id``, as its server gives it) when it may be
    echoed; None when it is absent or not sane."""
    return given if given and _ACCEPTABLE.fullmatch(given) else None


def answer_id(given: str | None) -> str:
    """The id of an answer to a request that sent ``given``: it, when sane, else 128 new
    random bits."""
    return sent_id(given) or os.urandom(16).hex()

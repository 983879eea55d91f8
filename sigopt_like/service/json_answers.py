"""The service's answers in JSON: UTF-8, never ``NaN`` or ``Infinity``, and a lone UTF-16
surrogate written as its ``\\uXXXX`` escape.

The door refuses a lone surrogate in what is sent (``door.py``), but databases written
by releases before it hold some (in metadata, a parameter's name): those are read back
as Python strings that UTF-8 cannot encode, and every answer holding one, the owner's
whole experiment list among them, was a 500 for good (the dashboard said only "The
service answered HTTP 500"). Such an answer is written with ASCII escapes instead, which
JSON allows: the stored value comes back as it was stored.
"""

from __future__ import annotations

import json
from typing import Any


def dumps(media: Any) -> bytes:
    """``media`` as a JSON body; ValueError for a number that is not finite."""
    text = json.dumps(media, ensure_ascii=False, allow_nan=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate stored by an older release
        return json.dumps(media, allow_nan=False).encode("ascii")

"""What a decoded JSON value is, in JSON's words ("an object", "a number"), for messages
that tell a person what they sent instead of what was expected.

One function for the service's SigOpt checks and the tables' readers: each had its own
copy, one saying "text" and the other "a string" of the same value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def json_kind(value: Any) -> str:
    """``"null"``, ``"a boolean"``, ``"a string"``, ``"a number"``, ``"an object"``,
    ``"a list"``, or the Python type's name for anything JSON cannot hold."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__

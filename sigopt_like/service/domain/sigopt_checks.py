"""Small checks shared by the SigOpt rules (pure: no HTTP, no database).

Every check either returns a canonical value or raises :class:`RuleError`, whose
``field`` names the offending field in SigOpt's JSON (``parameters[1].bounds``,
``assignments.x``, ``observations[2].value``) so that the HTTP layer can answer
with a message a person can act on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ...json_kinds import json_kind
from ..wide_integers import WideInteger

MAX_NAME_LENGTH = 500
MAX_METADATA_KEYS = 100
MAX_METADATA_STRING = 500
#: SigOpt's limit on a metadata key's length (its service refuses longer ones too)
MAX_METADATA_KEY = 100
#: the widest integer column (BIGINT on PostgreSQL, INTEGER on SQLite)
MAX_STORED_INT = 2**63 - 1
#: an INTEGER column on PostgreSQL (num_solutions)
MAX_INT32 = 2**31 - 1


class RuleError(ValueError):
    """A broken rule: ``status`` 400 for a wrong JSON shape, 422 for a wrong content."""

    def __init__(self, message: str, field: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


# ---------------------------------------------------------------- small checks


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def number(value: Any, field: str) -> float:
    """A finite JSON number, as a float (an integer past 64 bits as the double it
    denotes, as SigOpt reads it: see ``..wide_integers``)."""
    if not is_number(value):
        raise RuleError(f"'{field}' must be a number, not {kind(value)}.", field, 400)
    if not math.isfinite(value):
        raise RuleError(f"'{field}' must be a finite number.", field)
    return float(value)


def refuse_wide_integer(value: Any, field: str, takes: str) -> None:
    """A 400 naming ``field`` if ``value`` was written as an integer past 64 bits (which
    the door reads as the double it denotes on SigOpt's routes): a whole-number field
    takes no such integer, and says what it ``takes`` ("a whole number from 1 to 10")."""
    if isinstance(value, WideInteger):
        raise RuleError(
            f"'{field}' is {value.written}, an integer past the 64 bits this service "
            f"stores: it takes {takes}.",
            field,
            400,
        )


def positive_int_or_none(value: Any, field: str, maximum: int = MAX_STORED_INT) -> int | None:
    """None, or an integer from 1 to ``maximum`` (an integral float is accepted).

    Exact: an integer is never passed through a float (``2**63 - 1`` would round up
    to ``2**63`` and overflow the column), and a float as big as ``1e19`` or ``1e300``
    (finite, integral, JSON) is refused rather than stored as a 20-digit integer.
    """
    if value is None:
        return None
    refuse_wide_integer(value, field, f"a whole number from 1 to {maximum}")
    x = number(value, field)
    if x != math.floor(x):
        raise RuleError(f"'{field}' must be an integer, not {value!r}.", field)
    if x < 1:
        raise RuleError(f"'{field}' must be at least 1, not {value!r}.", field)
    exact = value if isinstance(value, int) else int(x)
    if exact > maximum:
        raise RuleError(f"'{field}' must be at most {maximum}, not {value!r}.", field)
    return exact


def name_text(value: Any, field: str, *, required: bool = True) -> str | None:
    """A non-empty string of at most MAX_NAME_LENGTH characters."""
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise RuleError(f"'{field}' must be a string, not {kind(value)}.", field, 400)
    if not value.strip():
        raise RuleError(f"'{field}' must not be empty.", field)
    if len(value) > MAX_NAME_LENGTH:
        raise RuleError(f"'{field}' is longer than {MAX_NAME_LENGTH} characters.", field)
    return value


def metadata(
    value: Any,
    field: str = "metadata",
    *,
    keep_nulls: bool = False,
    max_key: int = MAX_METADATA_KEY,
) -> dict[str, Any] | None:
    """None, or an object of at most 100 keys (each at most ``max_key`` characters) whose
    values are strings, numbers or null; a key given as null is checked, then left out, as
    SigOpt's service leaves it out (``validate_metadata``: ``remove_nones_mapping``).
    ``keep_nulls`` keeps them: a run update's null removes the run's key."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise RuleError(f"'{field}' must be an object, not {kind(value)}.", field, 400)
    if len(value) > MAX_METADATA_KEYS:
        raise RuleError(f"'{field}' has more than {MAX_METADATA_KEYS} keys.", field)
    out: dict[str, Any] = {}
    for key, item in value.items():
        if len(key) > max_key:  # JSON object keys are text
            shown = f"{key[:10]}...{key[-10:]}"
            raise RuleError(
                f"'{field}': the key '{shown}' is {len(key)} characters long; a key there "
                f"has at most {max_key}.",
                field,
            )
        where = f"{field}.{key}"
        if isinstance(item, str):
            if len(item) > MAX_METADATA_STRING:
                raise RuleError(
                    f"'{where}' is longer than {MAX_METADATA_STRING} characters.", where
                )
        elif item is not None and not is_number(item):
            raise RuleError(
                f"'{where}' must be a string, a number or null, not {kind(item)}.", where, 400
            )
        elif is_number(item) and not math.isfinite(item):
            raise RuleError(f"'{where}' must be a finite number.", where)
        elif isinstance(item, WideInteger):  # a number is a double, as SigOpt keeps it
            item = float(item)
        if item is not None or keep_nulls:
            out[str(key)] = item
    return out


kind = json_kind
"""What a JSON value is, in JSON's words (``..json_kinds``)."""


def seed(value: Any, field: str = "seed") -> int | None:
    """None, or the experiment's seed: an integer from 0 to 2**62 (an extension of ours)."""
    if value is None:
        return None
    refuse_wide_integer(value, field, "a whole number from 0 to 2**62")
    x = number(value, field)
    if x != math.floor(x) or not 0 <= x <= 2**62:
        raise RuleError(f"'{field}' must be an integer from 0 to 2**62, not {value!r}.", field)
    return int(value)


def object_of(value: Any, field: str) -> Mapping[str, Any]:
    """A JSON object, or a 400 naming the field."""
    if not isinstance(value, Mapping):
        raise RuleError(f"'{field}' must be an object, not {kind(value)}.", field, 400)
    return value


def known_fields(item: Mapping[str, Any], allowed: tuple[str, ...], field: str, what: str) -> None:
    """A 400 naming the first key of ``item`` that is not in ``allowed``: a field this
    service does not know would otherwise be stored and ignored (a misspelt
    ``transfomation`` would silently give a linear scale). ``object``, as the service
    renders it, may be sent back: it must then name the object ``what`` is."""
    for key, value in item.items():
        where = f"{field}.{key}" if field else str(key)
        if key == "object":
            if value != what:
                raise RuleError(f"'{where}' must be {what!r}, not {value!r}.", where, 400)
            continue
        if key not in allowed:
            raise RuleError(
                f"'{where}' is not a field of this {what} object (fields: {', '.join(allowed)}); "
                "remove it or fix its spelling.",
                where,
                400,
            )


def list_of(value: Any, field: str) -> list[Any]:
    """A JSON list, or a 400 naming the field."""
    if not isinstance(value, (list, tuple)):
        raise RuleError(f"'{field}' must be a list, not {kind(value)}.", field, 400)
    return list(value)

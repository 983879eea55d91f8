"""Small helpers the resource modules share: strict JSON bodies, query
parameters, page requests and pagination objects, timestamps and the caller's identity."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

import falcon

from .. import csvio
from .._constants import INT64_MAX, INT64_MIN
from ..json_kinds import json_shown, json_written, json_written_short, path_key
from .door import check_content_type, parse_json
from .errors import (
    APIError,
    BadRequest,
    NotFound,
    PayloadTooLarge,
    ValidationFailed,
    body_too_large_message,
)
from .store.pages import Page, PageRequest
from .whole_numbers import (
    MOST_DIGITS,
    STORED_WHOLE,
    WholeRange,
    digits_shown,
    outside_sentence,
    whole_shown,
)
from .wide_integers import WideInteger

_ID_TEXT = re.compile(r"[0-9]{1,18}")
#: the largest id there can be: the id columns are INTEGER, 32 bits on PostgreSQL, which
#: refuses a larger number in a query ("integer out of range": before, a 500)
MAX_ID = 2**31 - 1
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
#: the latest unix second a query can name: the time columns are BIGINT (64 bits), so a
#: period past 2038 (2**31 seconds) is compared, not refused
MAX_UNIX_SECONDS = INT64_MAX
DEFAULT_PAGE_LIMIT = 100
Item = TypeVar("Item")
MAX_PAGE_LIMIT = 1000
_UNREAD = object()


def now() -> int:
    """Integer unix seconds, the API's timestamp."""
    return int(time.time())


def owner_id(req: falcon.Request) -> int:
    """The id of the user making this request (set by the auth middleware)."""
    return int(req.context.user_id)


def body_too_large(limit: int, length: int | None = None) -> PayloadTooLarge:
    """The 413 of a body over ``limit`` bytes (``length``: its Content-Length, when
    known), naming the setting that raises the limit (before, only the number: an
    embedded caller had nothing to raise)."""
    return PayloadTooLarge(body_too_large_message(limit, length), detail={"limit": limit})


def body_bytes(req: falcon.Request) -> bytes:
    """The raw request body, read once (bounded by the body limit) and cached.

    The idempotency middleware and ``read_json`` both read it through here.
    A body over ``req.context.max_body_bytes`` is a 413 that names the limit.
    """
    cached = getattr(req.context, "raw_body", None)
    if cached is not None:
        return cached
    length = req.content_length
    if not length:  # no Content-Length: WSGI (and Falcon's bounded stream) give no body
        req.context.raw_body = b""
        return b""
    limit = getattr(req.context, "max_body_bytes", None)
    if limit is not None and length is not None and length > limit:
        raise body_too_large(limit, length)
    raw = req.bounded_stream.read(limit + 1) if limit is not None else req.bounded_stream.read()
    if limit is not None and len(raw) > limit:
        raise body_too_large(limit)
    req.context.raw_body = raw
    return raw


def read_json(req: falcon.Request, *, required: bool = True) -> dict[str, Any]:
    """The request body as a JSON object; a 400 that says what is wrong otherwise.

    The body passed the door (``sigopt_like.service.door``): JSON, finite
    numbers, 64-bit integers, no NUL or lone surrogate, bounded depth. Here it
    must also be an object.
    """
    body = getattr(req.context, "json_body", _UNREAD)
    if body is _UNREAD:
        raw = body_bytes(req)
        if raw.strip():
            check_content_type(req.content_type)
            body = parse_json(raw)
            req.context.json_body = body
        else:
            body = None
    if body is None and not body_bytes(req).strip():
        if required:
            raise BadRequest("The request needs a JSON object body.", code="invalid_json")
        return {}
    if not isinstance(body, dict):
        raise BadRequest(
            f"The request body must be a JSON object, not {_json_type_name(type(body))}.",
            code="invalid_json",
        )
    return body


#: the unknown fields an error names (a body of 20,000 made a 220 KB error)
MAX_NAMED_FIELDS = 10

#: how many characters of a query parameter's value a refusal shows, as JSON writes it
#: (``json_kinds.json_written_short``: cut, its two ends between the quotes and its length
#: after them; before, ``csvio.clip``'s length went inside the quotes, ``"x...y (300
#: characters)"``, as if the client had sent it)
QUERY_SHOWN = 60


def named_fields(names: list[str]) -> str:
    """``'a', 'b' and 1,234 more``: the first :data:`MAX_NAMED_FIELDS` of ``names``, quoted,
    and how many more there are. Each is shown as :func:`~..json_kinds.path_key` shows a
    client's key (escaped, a long one by its ends and length), as ``detail.field`` is."""
    named = ", ".join(f"'{path_key(name)}'" for name in names[:MAX_NAMED_FIELDS])
    more = len(names) - MAX_NAMED_FIELDS
    return f"{named} and {more:,} more" if more > 0 else named


def unknown_fields(unknown: list[str], then: str) -> BadRequest:
    """The 400 for ``unknown`` fields (sorted), followed by ``then``: the first
    :data:`MAX_NAMED_FIELDS` named (in the message and ``detail.fields``), with how many
    more."""
    return BadRequest(
        f"Unknown field(s) {named_fields(unknown)}; {then}",
        detail={"fields": [path_key(name) for name in unknown[:MAX_NAMED_FIELDS]]},
    )


def reject_unknown(body: Mapping[str, Any], allowed: frozenset[str] | set[str]) -> None:
    """A 400 naming the fields of ``body`` that are not in ``allowed``: a field the
    service does not know is refused, never stored and ignored."""
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise unknown_fields(unknown, f"allowed: {', '.join(sorted(allowed)) or 'none'}.")


def field(
    body: Mapping[str, Any],
    name: str,
    kind: type | tuple[type, ...],
    *,
    required: bool = False,
    default: Any = None,
    within: WholeRange | None = None,
) -> Any:
    """One field of a JSON body, type-checked; a 400 naming the field otherwise (a 422 for
    a number past its range).

    A whole-number field (``kind`` int) takes the numbers ``within`` (least, most), else
    those the store holds (64 bits); any number past them, written as ``101``, ``1e308``
    or a 22-digit integer, is refused in one sentence that gives that range
    (:func:`outside_range`)."""
    if name not in body or body[name] is None:
        if required:
            raise BadRequest(f"The field '{name}' is required.", detail={"field": name})
        return default
    value = body[name]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if bool not in kinds and isinstance(value, bool) and (int in kinds or float in kinds):
        raise BadRequest(
            f"The field '{name}' must be a number, not a boolean.", detail={"field": name}
        )
    if float in kinds and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    whole = int in kinds and float not in kinds and not isinstance(value, bool)
    wide = isinstance(value, WideInteger)  # an integer of more digits than Python reads
    if whole and (
        wide or isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    ):
        # named as sent (1e+308, not its 309 digits) with the field's own range: before,
        # 1e308 and 2**70 in ngens (1 to 100) quoted the store's 64-bit range
        least, most = within or STORED_WHOLE
        if wide or not least <= value <= most:
            raise outside_range("field", name, whole_shown(value), (least, most))
        value = int(value)  # JSON has one number type: 3.0 is the integer 3
    if int in kinds and float not in kinds and isinstance(value, float) and math.isfinite(value):
        # before: "must be an integer, not a number", of 2.5, which is a number
        raise BadRequest(
            f"The field '{name}' must be a whole number, not {json_shown(value)}.",
            detail={"field": name},
        )
    if wide or not isinstance(value, kinds):
        names = " or ".join(_json_type_name(k) for k in kinds)
        given = _json_type_name(int if wide else type(value))
        raise BadRequest(
            f"The field '{name}' must be {names}, not {given}.",
            detail={"field": name},
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise BadRequest(f"The field '{name}' must be a finite number.", detail={"field": name})
    return value


def outside_range(
    what: Literal["field", "query parameter"], name: str, shown: str, within: WholeRange
) -> APIError:
    """The refusal of a number past a whole-number field's (or query parameter's) range:
    the one sentence every such field says, with the range it takes (``whole_numbers``).

    A body's field answers it with a 422 ``validation_failed``, as a SigOpt field does
    (``sigopt_checks.whole_number``): before, ``population_size`` of ``2**70`` or ``1e19``
    was a 400 where ``observation_budget`` of ``1e19`` was a 422, one mistake answered
    with two statuses. A query parameter stays a 400, as every query parameter's
    refusal is: a query string is part of the request's address, not a field of a body
    (docs/contract.md)."""
    sentence = outside_sentence(f"The {what} '{name}'", shown, within)
    if what == "field":
        return ValidationFailed(sentence, detail={"field": name})
    return BadRequest(sentence, detail={"field": name})


def _json_type_name(kind: type) -> str:
    return {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "a boolean",
        list: "a list",
        tuple: "a list",
        dict: "an object",
        type(None): "null",
    }.get(kind, kind.__name__)


_QUERY_INTEGER = re.compile(r"-?[0-9]+", re.ASCII)
#: a decimal written as JSON writes one (``1e308``, ``2.0``): read for its range only
_QUERY_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?", re.ASCII)


#: what SigOpt's service reads as a boolean query parameter (``Request.string_to_bool``:
#: true or false in any case, 1 or 0)
QUERY_TRUE = ("true", "1")
QUERY_FALSE = ("false", "0")


def query_flag(req: falcon.Request, name: str) -> bool | None:
    """A boolean query parameter as SigOpt reads one: true or false in any case
    (sigopt-python sends ``str(True)``), 1 or 0; None when it is not given; a 400 naming
    it otherwise (a blank one too)."""
    raw = req.get_param(name)
    if raw is None:
        return None
    lowered = raw.lower()
    if lowered not in QUERY_TRUE + QUERY_FALSE:
        raise BadRequest(
            f"The query parameter '{name}' must be true or false (or 1 or 0), not "
            f"{json_written_short(raw, QUERY_SHOWN)}.",
            detail={"field": name},
        )
    return lowered in QUERY_TRUE


def query_int(
    req: falcon.Request,
    name: str,
    default: int | None = None,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    within: WholeRange | None = None,
) -> int | None:
    """An integer query parameter, checked; a 400 naming it otherwise (a blank one too).

    A bound not given is that of a signed 32-bit integer: the integer columns a query
    parameter is compared with (generations, versions) are INTEGER, 32 bits on PostgreSQL,
    which refuses a larger number in the query (before: a 500 there). A time is compared
    with a BIGINT column: its caller gives the bounds (up to :data:`MAX_UNIX_SECONDS`). A
    bound given is kept within 64 bits. ``within`` (least, most) gives both. A number past
    them is refused in a body's field's words (:func:`outside_range`), with the range, but
    as a 400, as every refusal of a query parameter is.
    """
    if within is not None:
        minimum, maximum = within
    raw = req.get_param(name)
    if raw is None:
        return default
    # ASCII digits only: int() also reads Arabic-Indic digits, "1_0", "+5" and " 5 ", which no
    # other reader of the URL would take for that number
    low = INT32_MIN if minimum is None else max(minimum, INT64_MIN)
    high = INT32_MAX if maximum is None else min(maximum, INT64_MAX)
    if not _QUERY_INTEGER.fullmatch(raw):
        shown = json_written_short(raw, QUERY_SHOWN)
        if _QUERY_NUMBER.fullmatch(raw) and not low <= float(raw) <= high:
            # 1e308 written as a decimal: its range, as a body's field says it
            raise outside_range("query parameter", name, shown, (low, high))
        raise BadRequest(
            f"The query parameter '{name}' must be a whole number from {low} to {high}, "
            f"written in ASCII digits, not {shown}{csvio.ascii_digits_tip(raw)}.",
            detail={"field": name},
        )
    if len(raw.lstrip("-")) > MOST_DIGITS:  # past any range, and Python's int() limit
        raise outside_range("query parameter", name, digits_shown(raw), (low, high))
    value = int(raw)
    if not low <= value <= high:
        raise outside_range("query parameter", name, str(value), (low, high))
    return value


def query_bool(req: falcon.Request, name: str, default: bool = False) -> bool:
    """A boolean query parameter (true/false/1/0/yes/no); a blank one is a 400."""
    raw = req.get_param(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise BadRequest(
        f"The query parameter '{name}' must be true or false, not {json_written(raw)}.",
        detail={"field": name},
    )


def is_id_text(raw: str) -> bool:
    """Whether ``raw`` reads as an id: ASCII digits, a number up to :data:`MAX_ID`."""
    return bool(_ID_TEXT.fullmatch(raw)) and int(raw) <= MAX_ID


def parse_id(raw: str, what: str) -> int:
    """An id from the path; anything but a positive integer is simply not found."""
    if not is_id_text(raw):
        raise NotFound(f"No {what} with id {raw!r}.")
    return int(raw)


def page_request(req: falcon.Request, default_limit: int = DEFAULT_PAGE_LIMIT) -> PageRequest:
    """The page a request asks for: ``limit`` (default ``default_limit``, 100 unless
    given; at most 1000), ``before`` and ``after`` cursors (ids this service gave out; a
    400 otherwise)."""
    limit = query_int(req, "limit", default_limit, minimum=0, maximum=MAX_PAGE_LIMIT)
    assert limit is not None  # it has a default
    before = req.get_param("before")
    after = req.get_param("after")
    return PageRequest(
        limit=limit,
        before=_cursor(before, "before") if before else None,
        after=_cursor(after, "after") if after else None,
    )


def render_page(page: Page[Item], render: Callable[[Item], dict[str, Any]]) -> dict[str, Any]:
    """A store page as SigOpt's pagination object.

    ``paging.before`` / ``paging.after`` are the cursors of the next page each way,
    or null where there is nothing more.
    """
    return {
        "object": "pagination",
        "count": page.count,
        "data": [render(item) for item in page.items],
        "paging": {"before": page.before, "after": page.after},
    }


def _cursor(raw: str, name: str) -> int:
    """A cursor: an id, or a position in a fixed list (ASCII digits: "²" passes
    ``str.isdigit()``); a 400 naming it otherwise. One past the largest id there can be
    (:data:`MAX_ID`) reads as that id, which pages the same (every id is below it, none
    above), so the database never sees a number its id column cannot hold (a 500 on
    PostgreSQL)."""
    if not _ID_TEXT.fullmatch(raw):
        raise BadRequest(
            f"The cursor '{name}' is not one this service gave out: {json_written(raw)}.",
            detail={"field": name},
        )
    return min(int(raw), MAX_ID)


def paginate_list(
    items: list[dict[str, Any]], req: falcon.Request, default_limit: int = DEFAULT_PAGE_LIMIT
) -> dict[str, Any]:
    """A page of a fixed list, in its own order; cursors are positions (opaque to callers).

    ``before=k`` gives the items after position k (the next page), ``after=k``
    the page before it, as the contract's iteration expects; ``limit`` defaults to
    ``default_limit``.
    """
    limit = query_int(req, "limit", default_limit, minimum=0, maximum=MAX_PAGE_LIMIT)
    assert limit is not None
    raw_before, raw_after = req.get_param("before"), req.get_param("after")
    if raw_before and raw_after:
        raise BadRequest("Give 'before' or 'after', not both.")
    if raw_after:
        end = min(_cursor(raw_after, "after") - 1, len(items))
        start = max(0, end - limit)
    else:
        start = min(_cursor(raw_before, "before"), len(items)) if raw_before else 0
        end = min(start + limit, len(items))
    return {
        "object": "pagination",
        "count": len(items),
        "data": items[start:end],
        "paging": {
            "before": str(end) if end < len(items) and end > start else None,
            "after": str(start + 1) if start > 0 else None,
        },
    }

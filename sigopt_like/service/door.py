"""The door: input that JSON or the store cannot hold is refused before anything runs.

Every request body and query string passes here (``DoorMiddleware``) before a
resource sees it, so each resource may assume what the door guarantees:

- a body is ``application/json`` (or ``application/*+json``), UTF-8, one JSON
  value, nested at most :data:`MAX_DEPTH` deep;
- no string in it (key or value) holds a NUL byte or a lone UTF-16 surrogate
  (``"\\ud800"``): PostgreSQL refuses NUL in text while SQLite stores it, and a
  lone surrogate cannot be encoded as UTF-8, so the answer that echoes it back
  could not be rendered;
- every integer fits in a signed 64-bit column (both stores' widest integer), except on
  a route whose resource says ``numbers_as_doubles`` (every SigOpt route): there, as
  SigOpt reads every JSON number as a double, an integer past 64 bits is read as the
  double it denotes (``wide_integers.WideInteger``, a float that remembers the integer as
  written). A field that takes any number (a value, a ``value_stddev``, a double's bound
  or assignment, a metadata number) takes it as that float, stored and answered as it;
  a whole-number field (a budget, an int parameter's bound or assignment, an id) reads
  it with the shared reader (``sigopt_checks.whole_number``), which refuses any number
  past the field's range with a 422 giving that range, the integer quoted as written (as
  it refuses ``1e19``).
  The door stays the one place that reads numbers: which fields take doubles is the
  field checks' knowledge, not its own. An integer of more digits than Python converts
  (4,300) is a ``WideInteger`` on every route (was Python's own ValueError wording,
  naming no field), refused naming its place;
- on a route whose resource says ``fields_judge_integers`` (the campaign, task, auth
  and SigOpt routes), such an integer as a top-level field of the body, past 64 bits or
  past a double's range, is left to that field's check, which names the field's own
  range (``ngens`` takes 1 to 100, not the store's 64 bits; ``http.field``,
  ``sigopt_checks.whole_number``), or its kind (``email`` takes text);
- a body's ``table`` has no more rows than the route takes (``max_table_rows``): they
  are counted as soon as the body is parsed, a 413 before any cell is checked;
- every number is finite (``1e400`` parses as infinity, and so does an integer literal
  past a double's range on a SigOpt route; NaN and Infinity are not JSON: a 400
  ``invalid_json`` naming their place, ``assignments.x``);
- no JSON object names a field twice (``{"value": 1, "value": 2}``): a parser keeps one
  of the two and drops the other unseen, so neither is taken;
- every query parameter (name and value) is UTF-8 once its percent-escapes are
  decoded (``%ff`` is not text; decoded with replacement characters it would be
  searched for as ``\ufffd``), percent-encoded rather than raw bytes, and holds no
  NUL byte; no header value holds a NUL byte; the URL's path is UTF-8 once decoded too,
  and holds no NUL;
- a GET, HEAD or DELETE carries no body (``middleware.door``): no route reads one, so
  ``DELETE .../suggestions`` with ``{"state": "closed"}`` deleted the open suggestions,
  the body unread; their options are query parameters, as sigopt-python sends them;
- no query parameter of a ``/v1`` route is given twice (``?state=open&state=closed``):
  a route takes one value of each, and the other would be dropped unseen;
- every query parameter of a ``/v1`` route is one that its operation in the OpenAPI
  document declares (``/v1/sessions?status=active`` filtered nothing and was a 200 with
  every session: an option taken and not honoured is refused instead). Pages and
  probes (``/``, ``/health``) take whatever a browser or a monitor adds.

On a route whose resource has a ``judge_path`` (every SigOpt route:
``resources.sigopt.owned_paths``; every session route), a query, a ``Content-Encoding`` or
a body refused here or by the resource is first judged against the path
(``resources.lazy.path_before_body``): an unknown or foreign id is the route's 404
whatever is sent, so a refusal does not tell the two apart.

One body is not JSON: a run's file (``PUT /v1/files/{fid}/upload``, a resource with
``takes_bytes``), which its resource checks against the file's description instead.

A refusal is a 400 (415 for a body that is not JSON) whose ``detail.field`` names
the offending place, e.g. ``metadata.note`` or ``parameters[0].bounds.max``; in a
body's ``table`` such a cell is a 422 naming each by row and column (``detail.errors``),
as the table's other problems are.
The rules are generic on purpose: they describe what can be stored and
rendered, not what a field means (the resources and the domain check that).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import unquote_to_bytes

from sigopt_like._constants import INT64_MAX, INT64_MIN
from sigopt_like.csvio import clip
from sigopt_like.json_kinds import json_written_short, path_key
from sigopt_like.space_wire import unstorable_values
from sigopt_like.spaces import capped_problems
from sigopt_like.table_wire import unstorable_cells
from sigopt_like.url_redaction import looks_secret

from .errors import APIError, BadRequest, ValidationFailed, too_many_rows
from .url_secrets import HEADER_HINT
from .whole_numbers import digits_shown
from .wide_integers import WideInteger, read_exact_integer, read_integer

#: JSON nested deeper than this is refused (the service's own bodies need fewer than 10).
MAX_DEPTH = 64
_JSON_TYPES = ("application/json",)


class UnsupportedMediaType(APIError):
    """415: the request body is not JSON."""

    status, code = 415, "unsupported_media_type"


class _JsonConstant(float):
    """NaN or Infinity in a body: Python's JSON reads them, JSON has none. Kept as a
    marked float while the body is parsed, so that :func:`check_value` refuses it naming
    its place (``assignments.x``); before, the 400 said "NaN is not valid JSON" and not
    where."""

    written: str = ""

    def __new__(cls, written: str) -> _JsonConstant:
        made = super().__new__(cls, written)
        made.written = written
        return made


class _NotJsonNumber(BadRequest):
    """400 ``invalid_json``: a NaN or an Infinity at a named place of a body."""


def _refuse_constant(item: _JsonConstant, where: str) -> None:
    """A 400 ``invalid_json`` naming the place (``where``; ``""``: the whole body)."""
    name = item.written
    tip = "write null where a value is missing" if name == "NaN" else "write a finite number"
    place = f"the field '{_printable(where)}' is" if where else "it is"
    raise _NotJsonNumber(
        f"The request body is not valid JSON: {place} {name}, which JSON does not have ({tip}).",
        code="invalid_json",
        detail={"field": _printable(where or "body")},
    )


def is_json_media(content_type: str | None) -> bool:
    """Whether a Content-Type names JSON: ``application/json`` or ``application/<x>+json``."""
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media in _JSON_TYPES or (media.startswith("application/") and media.endswith("+json"))


def check_content_type(content_type: str | None) -> None:
    """Refuse (415) a body whose Content-Type is missing or not JSON, or that says the
    body is in another charset than UTF-8: JSON's only one (RFC 8259), and the one the
    body is read in (before, ``charset=latin-1`` was accepted and not honoured)."""
    if not is_json_media(content_type):
        shown = f"'{clip(content_type, 100)}'" if content_type else "missing"
        raise UnsupportedMediaType(
            f"The request body must be JSON with 'Content-Type: application/json'; "
            f"the Content-Type is {shown}.",
            detail={"header": "Content-Type"},
        )
    assert content_type is not None
    charset = _charset(content_type)
    if charset is not None and charset.lower() not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(
            f"The request body is read as UTF-8, JSON's encoding, but the Content-Type says "
            f"charset={charset[:40]}: send the body as UTF-8, with "
            "'Content-Type: application/json' (or charset=utf-8).",
            detail={"header": "Content-Type"},
        )


def _charset(content_type: str) -> str | None:
    """The ``charset`` parameter of a Content-Type (its quotes removed), or None."""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"')
    return None


class _RepeatedName(dict):  # type: ignore[type-arg]
    """A JSON object that named ``repeated`` more than once (refused by :func:`check_value`)."""

    repeated: str = ""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object; one that names a field twice is marked for :func:`check_value`."""
    value = dict(pairs)
    if len(value) == len(pairs):
        return value
    marked = _RepeatedName(value)
    seen: set[str] = set()
    for name, _ in pairs:
        if name in seen:
            marked.repeated = name
            break
        seen.add(name)
    return marked


def parse_json(
    raw: bytes,
    *,
    numbers_as_doubles: bool = False,
    fields_judge_integers: bool = False,
    max_table_rows: int | None = None,
) -> Any:
    """Decode a UTF-8 JSON body and check it (:func:`check_value`); a 400 otherwise.

    ``numbers_as_doubles`` (SigOpt's routes): an integer past 64 bits is read as the
    double it denotes (see the module), not refused. ``fields_judge_integers`` (the
    campaign, task, auth and SigOpt routes): an integer past 64 bits (or past a double's
    range, or Python's 4,300 digits) that is a top-level field of an object body is left
    to the field's check, which gives the field's own range (``http.field``,
    ``sigopt_checks.whole_number``).
    ``max_table_rows`` (a route that takes a ``table``): a table of more rows is a 413
    before any of its cells is checked (before, a 3 MB body of a million empty rows took
    seconds of checking each one, then the 413)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BadRequest(
            f"The request body is not UTF-8 (byte {err.start}).", code="invalid_json"
        ) from err
    # a UTF-8 byte order mark, as Windows editors and PowerShell's Out-File write one: RFC
    # 8259 section 8.1 lets a parser ignore it, and it is (it was a 400 "Unexpected UTF-8
    # BOM (decode using utf-8-sig)", Python's words for the server's code)
    text = text.removeprefix("\ufeff")
    try:
        value = json.loads(
            text,
            parse_constant=_JsonConstant,
            object_pairs_hook=_object,
            parse_int=read_integer if numbers_as_doubles else read_exact_integer,
        )
    except RecursionError as err:
        raise _too_deep("body") from err
    except json.JSONDecodeError as err:
        raise BadRequest(
            f"The request body is not valid JSON: {err}.", code="invalid_json"
        ) from err
    if max_table_rows is not None and isinstance(value, dict):
        rows = table_rows(value.get("table"))
        if rows is not None and len(rows) > max_table_rows:
            raise too_many_rows(len(rows), max_table_rows)
    try:
        check_value(value, top_integers_judged=fields_judge_integers, doubles=numbers_as_doubles)
    except _NotJsonNumber:
        raise  # not JSON: no table's or space's cell check before that
    except BadRequest:
        _check_named_places(value)  # a table's cells by row and column, a space's by level
        raise
    return value


def table_rows(table: Any) -> list[Any] | None:
    """The rows of a body's ``table`` (``rows``, or Daptics' ``data``), or None when it has
    no list of them."""
    if not isinstance(table, dict):
        return None
    rows = table.get("rows", table.get("data"))
    return rows if isinstance(rows, list) else None


#: at most this many of a table's cells (a space's values) are named in one answer
_MAX_NAMED_CELLS = 100
#: the body fields whose unstorable text is named in the client's words, not a JSON path:
#: a table's by row and column (``table_wire.unstorable_cells``: "row 2, column c", not
#: "table.rows[0][1]"), a space's by parameter and level (``space_wire.unstorable_values``:
#: "parameter 2 ('temp'), level 1", not "space.parameters[1].values[0]")
_NAMED_PLACES: tuple[tuple[str, Callable[[Mapping[str, Any]], list[Any]]], ...] = (
    ("table", unstorable_cells),
    ("space", unstorable_values),
)


def _check_named_places(body: Any) -> None:
    """Refuse (422, as the table's or space's other problems) a body whose ``table`` or
    ``space`` holds what none stores (a NUL, a lone surrogate, an integer past 64 bits, a
    number past a float's range), naming every such place in the client's words."""
    if not isinstance(body, dict):
        return
    for key, find in _NAMED_PLACES:
        part = body.get(key)
        problems = find(part) if isinstance(part, dict) else []
        if not problems:
            continue
        listed = [p.to_dict() for p in capped_problems(problems, key, _MAX_NAMED_CELLS)]
        raise ValidationFailed(f"The {key} cannot be read: {problems[0].message}", listed)


def _as_decimal(item: int | float) -> str:
    """What a field that takes any number (a value, a bound: a float there, as SigOpt's
    JSON reads it) may take instead of ``item``, if a float can hold it; the end of the
    sentence. The door does not know each field's type, so the sentence must be true for
    a whole-number field too (before: "write it as a decimal" to a seed or a budget,
    which such a field then refused)."""
    try:
        double = float(item)
    except OverflowError:  # past 1.8e308: no number this service takes
        double = math.inf
    if not math.isfinite(double):  # a WideInteger of thousands of digits is infinite
        return ", and beyond the numbers it takes (about 1.8e308)."
    return (
        f"; a field that takes any number (a value, a bound) may have it written as a "
        f"decimal instead: {double!r}."
    )


def check_value(
    value: Any, where: str = "", *, top_integers_judged: bool = False, doubles: bool = False
) -> None:
    """Refuse (400 naming the place) what JSON or the store cannot hold; see the module.

    Walks without recursion, so that any depth is reported rather than crashing.
    ``top_integers_judged``: an integer past 64 bits (a ``WideInteger`` too) that is a
    field of the object ``value`` is left to that field's own check (see
    :func:`parse_json`). ``doubles``: a finite ``WideInteger`` is a number (SigOpt's
    routes); elsewhere it is an integer past what Python reads, refused as too wide.
    """
    judged_depth = 2 if top_integers_judged and isinstance(value, dict) else 0
    stack: list[tuple[Any, str, int]] = [(value, where, 1)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            check_text(item, path or "body")
        elif isinstance(item, bool) or item is None:
            continue
        elif depth == judged_depth and (isinstance(item, (int, WideInteger))):
            continue  # its field's own check says what it takes
        elif isinstance(item, int) or (isinstance(item, WideInteger) and not doubles):
            if isinstance(item, WideInteger) or not INT64_MIN <= item <= INT64_MAX:
                shown = digits_shown(item.written if isinstance(item, WideInteger) else str(item))
                raise BadRequest(
                    f"The field '{path or 'body'}' is {shown}, beyond the integers this "
                    f"service stores: a whole-number field (a seed, a count, a budget) takes "
                    f"{INT64_MIN} to {INT64_MAX} (2**63-1){_as_decimal(item)}",
                    detail={"field": path or "body"},
                )
        elif isinstance(item, _JsonConstant):
            _refuse_constant(item, path)
        elif isinstance(item, float):
            if not math.isfinite(item):
                # only a literal past a float's range gets here (NaN is refused above):
                # before, "must be a finite number" read as if a text field took numbers
                raise BadRequest(
                    f"The field '{path or 'body'}' holds a number beyond a float's range "
                    "(about +-1.8e308; JSON's 1e400 reads as infinity), which no field takes.",
                    detail={"field": path or "body"},
                )
        elif isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                raise _too_deep(path or "body")
            if isinstance(item, _RepeatedName):
                _refuse_repeated(item.repeated, path)
            if isinstance(item, dict):
                for key, child in item.items():
                    # the key as a path shows it: the messages below quote the path
                    shown = path_key(str(key))
                    child_path = f"{path}.{shown}" if path else shown
                    check_text(key, child_path)
                    stack.append((child, child_path, depth + 1))
            else:
                stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item))


def _refuse_repeated(name: str, path: str) -> None:
    shown = path_key(name)
    where = f"{path}.{shown}" if path else shown
    owner = f"The object '{_printable(path)}'" if path else "The request body"
    raise BadRequest(
        f"{owner} names the field '{shown}' more than once; only one of its "
        "values would be kept, so send the field once, with the value you mean.",
        detail={"field": _printable(where)},
    )


def check_text(text: str, where: str, *, what: str = "field") -> None:
    """Refuse a NUL byte or a lone UTF-16 surrogate in ``text`` (400 naming ``where``)."""
    if "\x00" in text:
        raise BadRequest(
            f"The {what} '{_printable(where)}' contains a NUL character (\\u0000), "
            "which this service does not store.",
            detail={"field": _printable(where)},
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:  # only lone surrogates cannot be encoded
        raise BadRequest(
            f"The {what} '{_printable(where)}' contains a lone UTF-16 surrogate "
            f"(\\u{ord(text[err.start]):04x} at character {err.start}), which is not text.",
            detail={"field": _printable(where)},
        ) from None


def check_query_string(query: str) -> None:
    """Refuse (400 naming the parameter) a query string whose names or values are not
    UTF-8 once their percent-escapes are decoded, or that holds raw non-ASCII bytes.

    Falcon decodes ``%ff`` to U+FFFD and a raw byte as Latin-1, so the resources would
    see text the caller never sent; the door reads the query string (Latin-1, as WSGI
    hands it over) itself. Waitress already refuses raw non-ASCII bytes in a URI (its
    own 400); the check keeps other servers and in-process calls the same.
    """
    if query.isascii() and "%" not in query:
        return  # nothing to decode: the common case costs one scan
    for piece in query.split("&"):
        name, _, value = piece.partition("=")
        if not piece.isascii():
            shown = _printable(name if not name.isascii() else _query_text(name))
            raise BadRequest(
                f"The query parameter '{shown}' holds a byte that is not ASCII; "
                "percent-encode it (UTF-8, e.g. %C3%A9 for \u00e9).",
                detail={"field": shown},
            )
        for part in (name, value):
            try:
                _query_text(part).decode("utf-8")
            except UnicodeDecodeError as err:
                shown = _printable(_query_text(name))
                raise BadRequest(
                    f"The query parameter '{shown}' is not UTF-8 once its percent-escapes "
                    f"are decoded (byte {err.start}); encode the text as UTF-8 before "
                    "percent-encoding it.",
                    detail={"field": shown},
                ) from None


def check_path(path_info: str) -> None:
    """Refuse (400) a URL path that is not UTF-8 once its percent-escapes are decoded.

    WSGI hands the path over as Latin-1 text of its bytes, and Falcon decodes bytes that
    are not UTF-8 to U+FFFD: ``/v1/sessions/caf%E9`` was a 404 for "caf\ufffd", an id no
    one sent. Every id and name this service makes is UTF-8, so such a path names nothing.

    Nor does one that holds a NUL (``%00``): no id or name holds one, and PostgreSQL
    refuses it in the text a name is looked up by (``.../analytics/files/a%00`` was a 500
    there, a 404 on SQLite).
    """
    if "\x00" in path_info:
        # shown decoded as the client sent it (UTF-8), not as WSGI's Latin-1 text of it
        shown = _printable(path_info.encode("latin-1", "replace"))
        raise BadRequest(
            f"The URL path '{shown}' contains a NUL character (%00), which "
            "no id or name holds; remove it from the URL.",
            detail={"field": "path"},
        )
    if path_info.isascii():
        return  # the common case costs one scan
    raw = path_info.encode("latin-1", "replace")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as err:
        shown = _printable(raw)
        raise BadRequest(
            f"The URL path '{shown}' is not UTF-8 once its percent-escapes are decoded "
            f"(byte {err.start}); encode ids and names as UTF-8 before percent-encoding "
            "them (e.g. %C3%A9 for \u00e9).",
            detail={"field": "path"},
        ) from None


def _query_text(part: str) -> bytes:
    """The bytes of one query name or value: '+' is a space, %XX escapes decoded."""
    return unquote_to_bytes(part.replace("+", " "))


def _printable(where: str | bytes) -> str:
    """A place name safe to echo in an answer (its own NULs, surrogates and, given as
    bytes, what is not UTF-8 escaped)."""
    if isinstance(where, bytes):
        return where.decode("utf-8", "backslashreplace").replace("\x00", "\\u0000")
    return where.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\u0000")


def nested_deeper_than(text: str, limit: int) -> bool:
    """Whether the JSON ``text`` opens more than ``limit`` lists or objects inside each
    other, counted on the text (brackets in strings skipped), so that the answer does not
    depend on how deep this interpreter's JSON parser can recurse."""
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def _too_deep(where: str) -> BadRequest:
    return BadRequest(
        f"The request body is nested more than {MAX_DEPTH} levels deep (at '{where}').",
        code="invalid_json",
        detail={"field": where, "limit": MAX_DEPTH},
    )


#: the HTTP methods of an OpenAPI path item (its other keys are not operations)
_OPERATIONS = ("get", "put", "post", "delete", "patch", "head", "options")


QueryParameters = Mapping[str, "tuple[str, ...] | None"]
"""A route's query parameters: each name with the values its schema's enum allows (None
where the schema lists none)."""


def declared_query_parameters(
    document: Mapping[str, Any],
) -> dict[tuple[str, str], QueryParameters]:
    """``{(path template, METHOD): {name: enum or None}}`` of an OpenAPI document's query
    parameters (the path item's and the operation's); HEAD as GET."""
    declared: dict[tuple[str, str], QueryParameters] = {}
    for path, item in document.get("paths", {}).items():
        shared = _query_parameters(item.get("parameters", ()))
        for method in _OPERATIONS:
            if method in item:
                own = _query_parameters(item[method].get("parameters", ()))
                declared[(path, method.upper())] = {**shared, **own}
        if "get" in item and "head" not in item:
            declared[(path, "HEAD")] = declared[(path, "GET")]
    return declared


def _query_parameters(parameters: Iterable[Mapping[str, Any]]) -> dict[str, tuple[str, ...] | None]:
    return {
        p["name"]: _enum(p.get("schema", {}))
        for p in parameters
        if p.get("in") == "query" and "name" in p
    }


def _enum(schema: Mapping[str, Any]) -> tuple[str, ...] | None:
    return tuple(str(v) for v in schema["enum"]) if "enum" in schema else None


def check_query_parameters(
    params: Mapping[str, str | list[str]], method: str, path: str, known: QueryParameters
) -> None:
    """Refuse (400 naming it) a query parameter that ``method path`` does not take or
    that is given more than once, or a value its enum does not list: a blank one
    included, which no handler may read as its default (``?include_runs=`` once
    archived an AI experiment)."""
    for name, value in params.items():
        if name in known and isinstance(value, list):
            shown = ", ".join(json_written_short(v, 100) for v in value)
            raise BadRequest(
                f"The query parameter '{name}' is given {len(value)} times ({shown}); "
                f"{method} {path} takes one value of it: give it once.",
                detail={"field": name},
            )
        if name not in known:
            shown = _printable(clip(name, 100))
            takes = f"it takes {', '.join(sorted(known))}" if known else "it takes none"
            hint = f"; if it holds a token, {HEADER_HINT}" if looks_secret(name) else ""
            raise BadRequest(
                f"{method} {path} takes no query parameter '{shown}' ({takes}){hint}.",
                detail={"field": shown},
            )
        allowed = known[name]
        if allowed is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            if item not in allowed:
                listed = ", ".join(repr(v) if v == "" else v for v in allowed)
                raise BadRequest(
                    f"The query parameter '{name}' must be one of {listed}, "
                    f"not {json_written_short(item, 100)}.",
                    detail={"field": name},
                )

"""Small checks shared by the SigOpt rules (pure: no HTTP, no database).

Every check either returns a canonical value or raises :class:`RuleError`, whose
``field`` names the offending field in SigOpt's JSON (``parameters[1].bounds``,
``assignments.x``, ``observations[2].value``) so that the HTTP layer can answer
with a message a person can act on.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any

from ...json_kinds import json_kind, json_shown, path_key
from ..whole_numbers import WholeRange, outside_sentence, whole_shown
from ..wide_integers import WideInteger
from .labels import label_problem

MAX_NAME_LENGTH = 500
MAX_METADATA_KEYS = 100
MAX_METADATA_STRING = 500
#: SigOpt's limit on a metadata key's length (its service refuses longer ones too)
MAX_METADATA_KEY = 100
#: the widest integer column (BIGINT on PostgreSQL, INTEGER on SQLite)
MAX_STORED_INT = 2**63 - 1
#: an INTEGER column on PostgreSQL (num_solutions)
MAX_INT32 = 2**31 - 1
INT32_MIN, INT32_MAX = -(2**31), MAX_INT32
#: the most items one request's list takes (an observation batch, a training run batch,
#: a checkpoint's values): sigopt-python's ``upload_runs`` sends at most this many runs a
#: request; more would hold the store's write lock and the request's memory without bound
MAX_LIST_ITEMS = 10_000

#: the whole numbers each SigOpt field takes, in one place: :func:`whole_number` refuses
#: any number past its field's range (written ``0``, ``1e308`` or an integer past 64 bits,
#: quoted as written) in one sentence that gives the range. A file's ``content_length``
#: takes 1 to the service's body limit, an int parameter's assignment its bounds or grid.
BUDGETS: WholeRange = (1, MAX_STORED_INT)  # observation_budget, budget
#: ours (SigOpt names no limit): the engine's space-filling start has at least this many
#: points, so that so many workers starting together get spread-out points, and only then
#: does the model choose; past 10,000 (the most observations one batch takes) the model
#: would be left out of every experiment of a practical size, and ``2**62`` was taken and
#: made every suggestion a space-filling one, forever, without a word
MAX_PARALLEL_BANDWIDTH = 10_000
PARALLEL_BANDWIDTHS: WholeRange = (1, MAX_PARALLEL_BANDWIDTH)
PARALLEL_BANDWIDTH_NOTE = (
    "the number of workers asking for suggestions at once; that many first suggestions "
    "are a space-filling design before the model chooses, so a larger number would keep "
    "the model out of the search"
)
NUM_SOLUTIONS: WholeRange = (1, MAX_INT32)
SEEDS: WholeRange = (0, 2**62)  # ours: makes an experiment's suggestions reproducible
PRECISIONS: WholeRange = (1, 15)  # decimals of a double parameter's suggestions
#: an int parameter's bound or grid value: the whole doubles within 64 bits (SigOpt's
#: bounds are doubles; one past 2**53 must also be one a double holds exactly)
INT_PARAMETER_VALUES: WholeRange = (-(2**63), 2**63 - 2**10)
#: a run map's ``sort`` (an INTEGER column)
RUN_MAP_SORTS: WholeRange = (INT32_MIN, INT32_MAX)
#: an id given as a number in a body (a suggestion's, a tag's): the id columns are
#: INTEGER, 32 bits on PostgreSQL (``http.MAX_ID``)
IDS: WholeRange = (1, MAX_INT32)


class RuleError(ValueError):
    """A broken rule: ``status`` 400 for a wrong JSON shape, 422 for a wrong content."""

    def __init__(self, message: str, field: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


# ---------------------------------------------------------------- small checks


def key_path(field: str, key: Any) -> str:
    """The path of the key ``key`` of the object at ``field`` (``assignments.x``; the key
    alone at the top), the key shown by :func:`..json_kinds.path_key`: every path a
    refusal builds from a client's key is built here, so that none carries a line
    separator, a control or format character or a lone surrogate into a message."""
    shown = path_key(str(key))
    return f"{field}.{shown}" if field else shown


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_finite_number(value: Any) -> bool:
    return is_number(value) and math.isfinite(value)


def is_count(value: Any) -> bool:
    """A whole number of at least 0 (``3`` or ``3.0``; not ``true``, ``0.5``, ``1e999``):
    what a count the service moves may be when it is sent back stale."""
    return is_finite_number(value) and value >= 0 and value == int(value)


def number(value: Any, field: str) -> float:
    """A finite JSON number, as a float (an integer past 64 bits as the double it
    denotes, as SigOpt reads it: see ``..wide_integers``)."""
    if not is_number(value):
        raise RuleError(f"'{field}' must be a number, not {kind(value)}.", field, 400)
    if not math.isfinite(value):
        # only an integer written past a double's range gets here (the door refuses 1e400
        # and leaves such an integer at the top of a body to its field)
        raise RuleError(
            f"'{field}' is {whole_shown(value)}, beyond a float's range (about +-1.8e308), "
            "which no field takes.",
            field,
            400,
        )
    return float(value)


def whole_number(value: Any, field: str, within: WholeRange, *, note: str = "") -> int:
    """A whole number from ``within``'s least to its most (an integral float is read as
    the integer: JSON has one number type); a RuleError naming ``field`` otherwise.

    The one check of every SigOpt whole-number field: a number past the range, however
    written (``0``, ``1e308``, an integer past 64 bits that the door read as the double it
    denotes, or past a double's range), is refused in one sentence giving the range, the
    number quoted as sent (``whole_numbers``); ``note`` says why the range is what it is.
    A 422 however the number is written: before, an integer written past 64 bits was a
    400 (what the door answered before it left such an integer to the field), where
    ``1e19`` in the same field was a 422, so one mistake had two statuses.
    Exact: an integer is never passed through a float (``2**63 - 1`` would round up to
    ``2**63`` and overflow the column), and a float as big as ``1e19`` is refused rather
    than stored as a 20-digit integer.
    """
    if not is_number(value):
        raise RuleError(f"'{field}' must be a whole number, not {kind(value)}.", field, 400)
    least, most = within
    wide = isinstance(value, WideInteger)  # past 64 bits: past every range here
    if wide or not (math.isfinite(value) and least <= value <= most):
        sentence = outside_sentence(f"'{field}'", whole_shown(value), within)
        raise RuleError(f"{sentence[:-1]} ({note})." if note else sentence, field, 422)
    if value != math.floor(value):
        raise RuleError(f"'{field}' must be a whole number, not {json_shown(value)}.", field)
    # Python compares an int with a float exactly: 2.0**63 is past 2**63 - 1 above
    return value if isinstance(value, int) else int(value)


def same_id(sent: Any, shown: str) -> bool:
    """Whether ``sent`` is the id ``shown`` (as rendered: ``"12"``) in any form an id is
    taken in a body: its digits, with leading zeros too (``"012"``, as a path reads
    ``/v1/experiments/012``), or the whole number (``12``, ``12.0``: JSON has one number
    type); never ``true`` for ``1``."""
    if isinstance(sent, bool) or not shown.isascii() or not shown.isdigit():
        return False
    if isinstance(sent, str):
        # ASCII digits only ("²" and "٨٣" pass str.isdigit()); the zeros stripped first,
        # so that no number of them reaches int()'s limit on digits
        return sent.isascii() and sent.isdigit() and (sent.lstrip("0") or "0") == shown
    return is_number(sent) and sent == int(shown)


def same_value(sent: Any, shown: Any) -> bool:
    """Whether ``sent`` equals ``shown`` as JSON values do, at every depth: objects with
    the same keys and lists of the same length, item by item, numbers by value (``1`` is
    ``1.0``), but a boolean only a boolean (Python's ``True == 1`` took ``{"x": true}``
    sent back for ``{"x": 1.0}`` as an unchanged echo)."""
    if isinstance(sent, bool) or isinstance(shown, bool):
        return isinstance(sent, bool) and isinstance(shown, bool) and sent is shown
    if isinstance(sent, Mapping) and isinstance(shown, Mapping):
        return sent.keys() == shown.keys() and all(same_value(sent[k], shown[k]) for k in sent)
    if isinstance(sent, list | tuple) and isinstance(shown, list | tuple):
        return len(sent) == len(shown) and all(map(same_value, sent, shown))
    return bool(sent == shown)


def without_own_id(body: Mapping[str, Any], shown: str, what: str) -> dict[str, Any]:
    """An update's ``body`` without its ``id``, which may be the updated object's own
    (``shown``, as rendered) in any form :func:`same_id` takes (``12``, ``"12"``,
    ``12.0``): a client that fetches an object, edits it and sends it back whole sends
    its id. Another id is a 400 naming ``id``: an update cannot change it (nor is the
    object updated the one the body names)."""
    if "id" not in body:
        return dict(body)
    sent = body["id"]
    if not same_id(sent, shown):
        raise RuleError(
            f"'id' is {json_shown(sent)}, but this is {what} {shown}: an update cannot change an "
            f"id. Leave 'id' out, or send this {what}'s own id ({json_shown(shown)}).",
            "id",
            400,
        )
    return {k: v for k, v in body.items() if k != "id"}


def positive_int_or_none(value: Any, field: str, within: WholeRange = BUDGETS) -> int | None:
    """None, or a whole number ``within`` (least 1) read by :func:`whole_number`."""
    return None if value is None else whole_number(value, field, within)


def parallel_bandwidth(value: Any) -> int:
    """``parallel_bandwidth``: 1 when None, else a whole number within
    :data:`PARALLEL_BANDWIDTHS`, refused past it with the reason
    (:data:`PARALLEL_BANDWIDTH_NOTE`)."""
    if value is None:
        return 1
    return whole_number(
        value, "parallel_bandwidth", PARALLEL_BANDWIDTHS, note=PARALLEL_BANDWIDTH_NOTE
    )


def name_text(
    value: Any, field: str, *, required: bool = True, kept: Collection[str] = ()
) -> str | None:
    """A non-empty string of at most MAX_NAME_LENGTH characters, holding no character a
    name may not (:func:`name_characters`) unless it is one of ``kept``: the names stored
    before that rule, which an update may send back unchanged."""
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise RuleError(f"'{field}' must be a string, not {kind(value)}.", field, 400)
    if not value.strip():
        raise RuleError(f"'{field}' must not be empty.", field)
    if len(value) > MAX_NAME_LENGTH:
        raise RuleError(f"'{field}' is longer than {MAX_NAME_LENGTH} characters.", field)
    if value not in kept:
        name_characters(value, field)
    return value


def name_characters(text: str, field: str, subject: str = "") -> None:
    """A 422 naming ``field`` when ``text`` holds a control character (C0, DEL, C1), in the
    words a Daptics session's name is refused with (``labels``): before, an experiment,
    run or file named ``"\x1b[2J"`` cleared the terminal of whoever listed it."""
    problem = label_problem(text, subject or f"'{field}'", "name", invisible=False)
    if problem is not None:
        raise RuleError(problem[0], field)


def key_characters(key: str, field: str, kept: Collection[str] = ()) -> None:
    """A 422 naming ``field`` when the key ``key`` of its map holds a character a name may
    not (:func:`name_characters`), unless it is one of ``kept`` (stored before the rule):
    a key is a name a person reads (a log's, a dataset's, a metric's)."""
    if key not in kept:
        name_characters(key, field, f"'{field}': the key {json_shown(key)}")


def metadata(
    value: Any,
    field: str = "metadata",
    *,
    keep_nulls: bool = False,
    max_key: int = MAX_METADATA_KEY,
    kept: Collection[str] = (),
) -> dict[str, Any] | None:
    """None, or an object of at most 100 keys (each at most ``max_key`` characters) whose
    values are strings, numbers or null; a key given as null is checked, then left out, as
    SigOpt's service leaves it out (``validate_metadata``: ``remove_nones_mapping``).
    A key holds no character a name may not, unless it is one of ``kept`` (stored before).
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
            raise RuleError(
                f"'{field}': the key {json_shown(key)} is {len(key)} characters long; a key there "
                f"has at most {max_key}.",
                field,
            )
        key_characters(key, field, kept)
        where = key_path(field, key)
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
    """None, or the experiment's seed: a whole number from 0 to 2**62 (ours)."""
    return None if value is None else whole_number(value, field, SEEDS)


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
        where = key_path(field, key)
        if key == "object":
            if value != what:
                raise RuleError(
                    f"'{where}' must be {json_shown(what)}, not {json_shown(value)}.", where, 400
                )
            continue
        if key not in allowed:
            raise RuleError(
                f"'{where}' is not a field of this {what} object (fields: {', '.join(allowed)}); "
                "remove it or fix its spelling.",
                where,
                400,
            )


def at_most_items(
    items: Any, field: str, what: str, advice: str = "", limit: int = MAX_LIST_ITEMS
) -> None:
    """A 422 naming ``field`` when the list has more than ``limit`` items, saying what to
    do (``advice``; by default, to split it over several requests)."""
    if len(items) > limit:
        advice = advice or f"Split them over several requests of at most {limit:,} each"
        raise RuleError(
            f"'{field}' has {len(items):,} {what}; one request takes at most {limit:,}. "
            f"{advice} (nothing was kept).",
            field,
        )


def list_of(value: Any, field: str) -> list[Any]:
    """A JSON list, or a 400 naming the field."""
    if not isinstance(value, (list, tuple)):
        raise RuleError(f"'{field}' must be a list, not {kind(value)}.", field, 400)
    return list(value)

"""What a training run's maps hold, entry by entry, as SigOpt's server checks it (pure).

SigOpt's ``TrainingRunRequestParser`` (``zigopt/handlers/training_runs/parser.py``)
builds each entry into a protobuf message, so an entry holds that message's fields
and nothing else:

- ``logs``: ``{name: {"content": text}}``, ``content`` required; text longer than
  :data:`MAX_LOG_LENGTH` characters is cut to that length (kept, not refused);
- ``assignments_meta``: ``{parameter: {"source": text}}``, ``source`` required, at most
  :data:`MAX_SOURCE_LENGTH` characters, never :data:`RESERVED_SOURCE` (SigOpt sets it on
  the assignments it suggests), and each key names one of the run's assignments
  (``validate_assignments_meta``);
- ``assignments_sources``: ``{source: {"default_show": bool, "sort": integer}}``, both
  required, the source's name at most :data:`MAX_SOURCE_LENGTH` characters, ``sort`` a
  32-bit integer (SigOpt's ``AssignmentsSources.sort`` is an ``int32``);
- ``sys_metadata``: ``{"feature_importances": {"type": text, "scores": {feature:
  number}}}`` only (SigOpt's ``SysMetadata`` message), at most :data:`MAX_FEATURES`
  scores, names and type at most :data:`MAX_FEATURE_TEXT` characters, each score a
  32-bit float (``map<string, float>``), kept as SigOpt keeps it.

SigOpt drops a field it does not know inside these entries; this service refuses it
(a 400 naming it), as it refuses every field it would not keep.
"""

from __future__ import annotations

import struct
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from .sigopt_checks import (
    RUN_MAP_SORTS,
    RuleError,
    is_number,
    json_shown,
    key_characters,
    key_path,
    kind,
    known_fields,
    object_of,
    whole_number,
)

#: SigOpt's ``MAX_LOG_LENGTH``: 1024 characters and room for the disclaimer sigopt-python
#: adds when it cuts a log (``maybe_truncate_log``)
MAX_LOG_LENGTH = 1024 + 100
#: SigOpt's ``MAX_SOURCE_LENGTH``: an assignment's source, and a source's name
MAX_SOURCE_LENGTH = 30
#: SigOpt's ``OPTIMIZED_ASSIGNMENT_SOURCE``: set by SigOpt itself, refused from a caller
RESERVED_SOURCE = "SigOpt"
#: SigOpt's ``FEATURE_IMPORTANCES_MAX_NUM_FEATURE`` and ``..._KEY_MAX_LENGTH``
MAX_FEATURES = 50
MAX_FEATURE_TEXT = 100
LOG_FIELDS = ("content",)
ASSIGNMENT_META_FIELDS = ("source",)
ASSIGNMENT_SOURCE_FIELDS = ("default_show", "sort")
SYS_METADATA_FIELDS = ("feature_importances",)
#: what SigOpt's parser keeps of a run's ``model`` (``parse_training_run_model``) and
#: ``source_code`` (``parse_source_code``): strings, each optional
MODEL_FIELDS = ("type",)
SOURCE_CODE_FIELDS = ("content", "hash")
FEATURE_IMPORTANCES_FIELDS = ("type", "scores")
#: the largest finite 32-bit float
FLOAT32_MAX = struct.unpack("<f", b"\xff\xff\x7f\x7f")[0]


def _text(entry: Mapping[str, Any], key: str, where: str, *, required: bool) -> str | None:
    value = entry.get(key)
    if value is None:
        if required:
            raise RuleError(f"'{where}.{key}' is required (a string).", f"{where}.{key}", 400)
        return None
    if not isinstance(value, str):
        raise RuleError(
            f"'{where}.{key}' must be a string, not {kind(value)}.", f"{where}.{key}", 400
        )
    return value


def logs(entries: Mapping[str, Any], kept: Collection[str] = ()) -> dict[str, dict[str, Any]]:
    """Each log as kept: ``{"content": text}``, text cut to MAX_LOG_LENGTH characters; a
    log's name holds no character a name may not, unless stored before (``kept``)."""
    out: dict[str, dict[str, Any]] = {}
    for name, entry in entries.items():
        key_characters(name, "logs", kept)
        where = key_path("logs", name)
        known_fields(entry, LOG_FIELDS, where, "log")
        content = _text(entry, "content", where, required=True)
        assert content is not None
        out[str(name)] = {"content": content[:MAX_LOG_LENGTH]}
    return out


def texts(raw: Any, field: str, names: tuple[str, ...]) -> dict[str, str]:
    """A run's ``model`` (``{"type": text}``) or ``source_code`` (``{"content": text,
    "hash": text}``) as SigOpt's parser keeps it: those strings, each optional (null is
    left out); another field, which SigOpt drops, is a 400 naming it."""
    given = object_of(raw, field)
    known_fields(given, names, field, field)
    out: dict[str, str] = {}
    for name in names:
        value = _text(given, name, field, required=False)
        if value is not None:
            out[name] = value
    return out


def assignments_meta(
    entries: Mapping[str, Any], kept: Collection[str] = ()
) -> dict[str, dict[str, Any]]:
    """Each parameter's ``{"source": text}``; that each names an assignment of the run
    is :func:`check_meta_names`'s, and a key holds no character a name may not, unless
    stored before (``kept``)."""
    out: dict[str, dict[str, Any]] = {}
    for name, entry in entries.items():
        key_characters(name, "assignments_meta", kept)
        where = key_path("assignments_meta", name)
        known_fields(entry, ASSIGNMENT_META_FIELDS, where, "assignments_meta")
        source = _text(entry, "source", where, required=True)
        assert source is not None
        if len(source) > MAX_SOURCE_LENGTH:
            raise RuleError(
                f"'{where}.source' is {len(source)} characters long; a source has at most "
                f"{MAX_SOURCE_LENGTH}.",
                f"{where}.source",
            )
        out[str(name)] = {"source": source}
    return out


def check_reserved_sources(meta: Mapping[str, Any], current: Mapping[str, Any] | None) -> None:
    """No entry of ``meta`` gives :data:`RESERVED_SOURCE`, except one the run already has
    (a run of an AI experiment fetched and sent back): SigOpt sets that source itself, on
    the assignments it suggests (``validate_assignments_meta``)."""
    for name, entry in meta.items():
        if entry.get("source") != RESERVED_SOURCE:
            continue
        if (current or {}).get(name) == {"source": RESERVED_SOURCE}:
            continue
        where = key_path("assignments_meta", name)
        raise RuleError(
            f"'{where}.source': {json_shown(RESERVED_SOURCE)} is reserved for the assignments an "
            "experiment suggests; name another source.",
            f"{where}.source",
        )


def suggested_sources(assignments: Iterable[str]) -> dict[str, Any]:
    """What SigOpt sets on a new run of an AI experiment (``aiexperiments/training_runs/
    create.py``): each suggested assignment's source is :data:`RESERVED_SOURCE`, shown by
    default and sorted first."""
    return {
        "assignments_meta": {name: {"source": RESERVED_SOURCE} for name in assignments},
        "assignments_sources": {RESERVED_SOURCE: {"default_show": True, "sort": 1}},
    }


def check_meta_names(meta: Iterable[str], assignments: Iterable[str]) -> None:
    """Every key of ``assignments_meta`` names an assignment: of the body or the run (as
    SigOpt's ``validate_assignments_meta`` has it)."""
    known = set(assignments)
    missing = [name for name in meta if name not in known]
    if missing:
        where = key_path("assignments_meta", missing[0])
        raise RuleError(
            f"'{where}': the run has no assignment {json_shown(missing[0])}; an assignment's meta "
            "describes one of the run's assignments (set the parameter first, or in the same "
            "update).",
            where,
        )


def assignments_sources(
    entries: Mapping[str, Any], kept: Collection[str] = ()
) -> dict[str, dict[str, Any]]:
    """Each source's ``{"default_show": bool, "sort": integer}``; a source's name holds no
    character a name may not, unless stored before (``kept``)."""
    out: dict[str, dict[str, Any]] = {}
    for name, entry in entries.items():
        key_characters(name, "assignments_sources", kept)
        where = key_path("assignments_sources", name)
        if len(name) > MAX_SOURCE_LENGTH:
            raise RuleError(
                f"'assignments_sources': the source name {json_shown(name)} is {len(name)} "
                f"characters long; a source's name has at most {MAX_SOURCE_LENGTH}.",
                where,
            )
        known_fields(entry, ASSIGNMENT_SOURCE_FIELDS, where, "assignments_sources")
        show = entry.get("default_show")
        if not isinstance(show, bool):
            given = "missing" if show is None else kind(show)
            raise RuleError(
                f"'{where}.default_show' must be true or false, not {given}.",
                f"{where}.default_show",
                400,
            )
        out[str(name)] = {"default_show": show, "sort": _sort(entry.get("sort"), where)}
    return out


def _sort(value: Any, where: str) -> int:
    field = f"{where}.sort"
    if not is_number(value):
        given = "missing" if value is None else kind(value)
        raise RuleError(f"'{field}' must be an integer (a number), not {given}.", field, 400)
    return whole_number(value, field, RUN_MAP_SORTS)


def sys_metadata(raw: Any, *, keep_nulls: bool, kept: Collection[str] = ()) -> dict[str, Any]:
    """``{"feature_importances": {...}}`` as kept; a null ``feature_importances``,
    ``type`` or ``scores`` is kept when ``keep_nulls`` (an update's null removes it), left
    out otherwise. A feature's name holds no character a name may not, unless stored
    before (``kept``)."""
    given = object_of(raw, "sys_metadata")
    known_fields(given, SYS_METADATA_FIELDS, "sys_metadata", "sys_metadata")
    out: dict[str, Any] = {}
    if "feature_importances" in given:
        found = given["feature_importances"]
        if found is not None:
            out["feature_importances"] = _feature_importances(
                found, keep_nulls=keep_nulls, kept=kept
            )
        elif keep_nulls:
            out["feature_importances"] = None
    return out


def _feature_importances(raw: Any, *, keep_nulls: bool, kept: Collection[str]) -> dict[str, Any]:
    where = "sys_metadata.feature_importances"
    given = object_of(raw, where)
    known_fields(given, FEATURE_IMPORTANCES_FIELDS, where, "feature_importances")
    out: dict[str, Any] = {}
    kind_ = _text(given, "type", where, required=False)
    if kind_ is not None:
        if len(kind_) > MAX_FEATURE_TEXT:
            raise RuleError(
                f"'{where}.type' is {len(kind_)} characters long; at most {MAX_FEATURE_TEXT}.",
                f"{where}.type",
            )
        out["type"] = kind_
    elif "type" in given and keep_nulls:
        out["type"] = None
    if given.get("scores") is not None:
        out["scores"] = _scores(given["scores"], f"{where}.scores", kept)
    elif "scores" in given and keep_nulls:
        out["scores"] = None
    return out


def _scores(raw: Any, where: str, kept: Collection[str]) -> dict[str, float]:
    scores = object_of(raw, where)
    if len(scores) > MAX_FEATURES:
        raise RuleError(f"'{where}' has {len(scores)} features; at most {MAX_FEATURES}.", where)
    out: dict[str, float] = {}
    for name, value in scores.items():
        if len(name) > MAX_FEATURE_TEXT:
            raise RuleError(
                f"'{where}': the feature name {json_shown(name)} is {len(name)} characters "
                f"long; at most {MAX_FEATURE_TEXT}.",
                where,
            )
        key_characters(name, where, kept)
        field = key_path(where, name)
        if not is_number(value):
            raise RuleError(f"'{field}' must be a number, not {kind(value)}.", field, 400)
        if not abs(value) <= FLOAT32_MAX:
            raise RuleError(
                f"'{field}' is {json_shown(value)}; a score is a 32-bit float, at most "
                f"{FLOAT32_MAX:.8g} in size.",
                field,
            )
        out[str(name)] = float32(value)
    return out


def float32(value: float) -> float:
    """``value`` as a 32-bit float keeps it, in its shortest form (as protobuf renders a
    ``float``: 0.1 stays 0.1, 0.123456789 becomes 0.12345679)."""
    single = struct.unpack("<f", struct.pack("<f", value))[0]
    for digits in range(1, 10):
        short = float(f"{single:.{digits}g}")
        if struct.pack("<f", short) == struct.pack("<f", single):
            return short
    return float(single)


def merge_patch(current: Any, patch: Any) -> Any:
    """``patch`` merged into ``current`` at every level, a key given as null removed: what
    SigOpt's MERGE makes of ``sys_metadata`` (``get_json_paths_and_values`` sets each
    leaf; ``feature_importances.scores`` merge feature by feature)."""
    if not isinstance(patch, Mapping):
        return patch
    out = dict(current) if isinstance(current, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def without_nulls(value: Any) -> Any:
    """``value`` without the keys given as null, at every level (as SigOpt strips them)."""
    if not isinstance(value, Mapping):
        return value
    return {k: without_nulls(v) for k, v in value.items() if v is not None}

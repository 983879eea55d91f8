"""Rules of training runs and projects, as sigopt-python's modern API writes them (pure).

A run is updated as SigOpt's ``TrainingRunsUpdateHandler`` updates it: its MERGE
merges each map the body gives into the run's, and sigopt-python sends every update as
MERGE, one field at a time (``{"values": {"acc": {"value": 0.9}}}``, ``{"assignments":
{"lr": 0.1}}``, ``{"metadata": {"k": "v"}}``, ``{"state": "completed"}``...); its PUT sets
each field the body gives, a map in place of the run's (fields it does not give are
kept). PATCH is this service's name for MERGE. A run of an AI experiment keeps the
assignments it was suggested; when it finishes, it becomes the experiment's
observation: ``failed`` as a failed one, ``completed`` with a value for every
metric of the experiment.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import attrs

from ...json_kinds import path_key
from . import sigopt_run_maps as run_maps
from .sigopt_checks import (
    MAX_LIST_ITEMS,
    MAX_METADATA_KEYS,
    MAX_NAME_LENGTH,
    RuleError,
    at_most_items,
    is_number,
    json_shown,
    key_characters,
    key_path,
    kind,
    known_fields,
    metadata,
    name_text,
    number,
    object_of,
    same_id,
    same_value,
)
from .sigopt_progress import check_progress
from .sigopt_run_echoes import MOVED_ELSEWHERE, check_stale, stale_files
from .sigopt_run_project import project_refusal

STATES = ("active", "completed", "failed")
#: the state of a new run, and what an update's null ``state`` stands for
NEW_RUN_STATE = "active"
FINISHED = ("completed", "failed")
#: mapping fields a MERGE merges key by key (``sys_metadata`` at every level), a PUT
#: replaces whole
MERGED_FIELDS = (
    "assignments",
    "assignments_meta",
    "assignments_sources",
    "datasets",
    "logs",
    "sys_metadata",
    "dev_metadata",
)
REPLACED_FIELDS = ("model", "source_code")
#: maps whose entries are objects (``{"logs": {"stdout": {"content": ...}}}``): an entry
#: that is not one, null too, is a 400, as SigOpt's parser refuses it
#: (``ValidationType.objectOf(ValidationType.object)``); ``datasets`` too, whose entries
#: are ``{}`` only (``_datasets``)
OBJECT_MAPS = ("assignments_meta", "assignments_sources", "logs", "values")
#: the map fields a run update clears when it gives them as null, as SigOpt's MERGE does
#: (its update sets the field to null, then strips nulls: "with MERGE you will have to
#: explicitly set that field to null"); ``metadata`` null clears it too
CLEARED_FIELDS = (*MERGED_FIELDS, *REPLACED_FIELDS, "values")
#: what a run create and a run update take (beside ECHOED_FIELDS, sent back as rendered)
RUN_CREATE_FIELDS = ("name", "metadata", *MERGED_FIELDS, *REPLACED_FIELDS, "values", "state")
RUN_UPDATE_FIELDS = (
    "name",
    "metadata",
    "state",
    "values",
    "deleted",
    *MERGED_FIELDS,
    *REPLACED_FIELDS,
)
#: what a run of an AI experiment takes when created (its assignments are suggested)
SUGGESTED_RUN_CREATE_FIELDS = ("name", "metadata")
#: a logged metric value: ``{"values": {metric: {value, value_stddev}}}``
RUN_VALUE_FIELDS = ("value", "value_stddev")
#: what a run renders in a metric value beside those, which may be sent back (and is dropped)
RUN_VALUE_ECHOED_FIELDS = ("object", "name")
CHECKPOINT_FIELDS = ("values", "metadata")
CHECKPOINT_VALUE_FIELDS = ("name", "value")
#: the most checkpoints a run keeps (SigOpt's limit too)
MAX_CHECKPOINTS = 200
PROJECT_FIELDS = ("id", "name", "metadata")
#: what the service renders in a project, which may be sent back as rendered (check_echoed)
PROJECT_ECHOED_FIELDS = ("object", "client", "user", "created", "updated")
#: the echoed fields that are ids of this service (a project's is its own text): sent
#: back in any form a body's id takes (``sigopt_checks.same_id``)
ID_FIELDS = ("id", "client", "user", "experiment", "suggestion", "observation")
#: what a new run cannot be given: the service sets them when it makes the run
CREATE_SET_BY_SERVICE = ("id", "created", "updated")
#: what the service renders in a run, which may be sent back as rendered (check_echoed)
ECHOED_FIELDS = (
    "object",
    "id",
    "created",
    "updated",
    "client",
    "user",
    "project",
    "experiment",
    "suggestion",
    "observation",
    "checkpoint_count",
    "best_checkpoint",
    "finished",
    "completed",
    "files",
    "tags",
)


@attrs.frozen
class RunUpdate:
    """What an update body changes: column values and fields merged into ``fields``."""

    columns: dict[str, Any]
    fields: dict[str, Any]
    assignments: dict[str, Any] | None
    values: dict[str, dict[str, Any]] | None
    state: str | None
    #: the map fields the body gives as null (``assignments``, ``values``, ``logs``...),
    #: which the update clears
    cleared: tuple[str, ...] = ()


def run_names(name: str | None, *maps: Mapping[str, Any] | None) -> frozenset[str]:
    """A stored run's or project's name and the keys of its maps (metadata, assignments,
    dev_metadata): what an update may send back though stored before ``name_text``
    refused their characters."""
    return frozenset([*([name] if name else []), *(k for m in maps for k in m or {})])


def named_maps(fields: Mapping[str, Any]) -> tuple[Mapping[str, Any] | None, ...]:
    """The maps of a run's ``fields`` whose keys are names (a dataset's, a log's, an
    assignment's source, a feature's, a dev_metadata key): with :func:`run_names`, the
    keys an update may send back though stored before the names' rule."""
    importances = (fields.get("sys_metadata") or {}).get("feature_importances") or {}
    keys = ("dev_metadata", "datasets", "logs", "assignments_meta", "assignments_sources")
    return (*(fields.get(key) for key in keys), importances.get("scores"))


def run_create(body: Mapping[str, Any], *, suggested: bool = False) -> dict[str, Any]:
    """``name`` and ``metadata`` of a new run (all sigopt-python sends). A run in a
    project may carry more (``upload_runs``: values, state, ...), applied as an update;
    a run of an AI experiment (``suggested``) takes only these two, so that nothing
    else is accepted and dropped."""
    _known(body, SUGGESTED_RUN_CREATE_FIELDS if suggested else RUN_CREATE_FIELDS)
    for key in CREATE_SET_BY_SERVICE:
        if key in body:
            raise RuleError(
                f"'{key}' is set by the service when it makes the run; leave it out of a new run.",
                key,
                400,
            )
    _echoed_lists(body, (), ())
    out = {
        "name": name_text(body.get("name"), "name", required=False),
        # a null entry leaves the key out, as SigOpt's parser drops null metadata
        # entries (validate_metadata: remove_nones_mapping)
        "metadata": metadata(body.get("metadata")),
    }
    return out


def run_update(body: Mapping[str, Any], *, kept: Collection[str] = ()) -> RunUpdate:
    """The changes of a MERGE (or PUT) body of a run; the fields the service renders that
    it sends back are held to the run by :func:`check_echoed`. ``kept``: the run's name
    and keys stored before the names' rule (``name_text``), which may be sent back."""
    _known(body, RUN_UPDATE_FIELDS)
    columns: dict[str, Any] = {}
    # null means what a new run makes of it, as an experiment update reads null: no name,
    # and (below) state active, held to the run's state by check_state_change
    if "name" in body:
        columns["name"] = name_text(body["name"], "name", required=False, kept=kept)
    if "metadata" in body:  # a null entry removes the run's key (merged_metadata)
        columns["metadata"] = metadata(body["metadata"], keep_nulls=True, kept=kept)
    if "deleted" in body:
        # null: a new run's (not deleted), as SigOpt's parser reads it
        deleted = False if body["deleted"] is None else body["deleted"]
        if not isinstance(deleted, bool):
            raise RuleError("'deleted' must be true, false or null.", "deleted", 400)
        columns["deleted"] = deleted
    state = NEW_RUN_STATE if "state" in body and body["state"] is None else body.get("state")
    if state is not None and state not in STATES:
        raise RuleError(
            f"'state' must be one of {', '.join(STATES)}, not {json_shown(state)}.", "state"
        )
    fields: dict[str, Any] = {}
    for key in MERGED_FIELDS:
        if body.get(key) is not None:
            raw = _datasets_by_name(body[key]) if key == "datasets" else body[key]
            fields[key] = _map(key, raw, kept)
    for key in REPLACED_FIELDS:
        if body.get(key) is not None:
            names = run_maps.MODEL_FIELDS if key == "model" else run_maps.SOURCE_CODE_FIELDS
            fields[key] = run_maps.texts(body[key], key, names)
    _datasets(fields.get("datasets"), kept)
    assignments = fields.pop("assignments", None)
    values = _values(body["values"], kept) if body.get("values") is not None else None
    cleared = tuple(k for k in CLEARED_FIELDS if k in body and body[k] is None)
    return RunUpdate(columns, fields, assignments, values, state, cleared)


def _map(key: str, raw: Any, kept: Collection[str] = ()) -> dict[str, Any]:
    """One map of MERGED_FIELDS as kept, each entry checked as SigOpt checks it
    (``sigopt_run_maps``); ``assignments`` and ``dev_metadata`` are metadata there, as
    ``metadata`` is (``parse_metadata``: strings, numbers or null, at most 100 keys)."""
    if key == "sys_metadata":
        return run_maps.sys_metadata(raw, keep_nulls=True, kept=kept)
    if key == "assignments":
        # a key names a parameter, and this service's parameter names run to
        # MAX_NAME_LENGTH (SigOpt's, and its metadata keys, stop at 100): a run of an
        # experiment with a longer name, fetched and sent back, must be taken
        return dict(metadata(raw, key, keep_nulls=True, max_key=MAX_NAME_LENGTH, kept=kept) or {})
    if key == "dev_metadata":
        return dict(metadata(raw, key, keep_nulls=True, kept=kept) or {})
    if key not in OBJECT_MAPS:
        return dict(object_of(raw, key))
    entries = _entries(raw, key)
    if key == "logs":
        return run_maps.logs(entries, kept)
    if key == "assignments_meta":
        return run_maps.assignments_meta(entries, kept)
    if key == "assignments_sources":
        return run_maps.assignments_sources(entries, kept)
    return dict(entries)


def _known(body: Mapping[str, Any], allowed: Sequence[str]) -> None:
    for key in body:
        if key not in allowed and key not in ECHOED_FIELDS:
            raise RuleError(
                f"'{key_path('', key)}' is not a field of a training run this service keeps "
                f"(fields: {', '.join(allowed)}).",
                key_path("", key),
                400,
            )


def check_echoed(
    body: Mapping[str, Any],
    shown: Mapping[str, Any],
    echoed: Sequence[str] = ECHOED_FIELDS,
    what: str = "run",
    *,
    fetched: bool = False,
) -> None:
    """The fields the service renders that a body sends back (``echoed``: a run's, or
    PROJECT_ECHOED_FIELDS) must be as ``shown``, the run or project as it renders (after
    the update, for an update: a fetched run sent back whole is taken, and what the
    update itself sets, such as ``completed`` with its ``state``, is the run's). Any other
    value would be dropped unseen (``{"project": "other"}`` moved no run, ``{"experiment":
    "7"}`` tied none): a 400 naming it. A key ``shown`` lacks is one the service sets
    when it makes the object (a create cannot give it); ``updated`` of an existing one
    may be any timestamp (or null), since the update itself moves it: only what is no
    timestamp at all (a string, a list, ``true``) is a 400, as it would be dropped; so
    may an experiment's ``progress``, which observations and runs move, of any values in
    its shape (``sigopt_progress``), and a run's fields that other requests move (its
    ``checkpoint_count``, ``files``...) as they were when it was fetched
    (``sigopt_run_echoes``), when ``fetched`` (an update: a new run's can be no stale
    echo, so they stay as rendered)."""
    if what == "run":
        _echoed_lists(body, shown.get("files", ()), shown.get("tags", ()), stale=fetched)
    for key in echoed:
        if key not in body or (what == "run" and key in ("files", "tags")):
            continue
        if key not in shown:
            raise RuleError(
                f"'{key}' is set by the service when it makes the {what}; leave it out of "
                f"a new {what}.",
                key,
                400,
            )
        if key == "updated":
            _check_updated(body[key], what)
            continue
        if key == "progress":  # moves by itself too: stale is taken, malformed is not
            check_progress(body[key], shown[key], what)
            continue
        if fetched and what == "run" and key in MOVED_ELSEWHERE:  # so do these
            check_stale(key, body[key], shown)
            continue
        if _same_echo(body[key], shown[key], key in ID_FIELDS):
            continue
        if what == "run" and key == "project":
            raise project_refusal(body[key], shown)
        raise RuleError(
            f"'{key}' is set by the service and not changed by a request: this {what} has "
            f"{json_shown(shown[key])}, not {json_shown(body[key])}; leave it out, or send it as "
            f"the {what} renders it.",
            key,
            400,
        )


def _check_updated(sent: Any, what: str) -> None:
    """``updated`` sent back: a timestamp (a number) or null, whichever; before, any value
    (``[[]]``, ``"x"``, ``true``) was taken and dropped unseen."""
    if sent is not None and not is_number(sent):
        raise RuleError(
            f"'updated' is set by the service (the update moves it): send the timestamp the "
            f"{what} renders, or leave it out, not {kind(sent)}.",
            "updated",
            400,
        )


def without_echoes(
    body: Mapping[str, Any], shown: Mapping[str, Any], echoed: Sequence[str], what: str
) -> dict[str, Any]:
    """An update's ``body`` without the ``echoed`` fields (those the service sets) that
    ``shown``, the object as a GET answers it now, renders: each sent back is held to
    it by :func:`check_echoed` (equal, an id in any form, is taken and changes nothing;
    another value is a 400 naming it). A client that fetches an experiment, a suggestion
    or an observation, edits a field and sends it back whole sends them all."""
    sent = tuple(key for key in echoed if key in shown)
    check_echoed(body, shown, sent, what)
    return {key: value for key, value in body.items() if key not in sent}


def _same_echo(sent: Any, shown: Any, is_id: bool = False) -> bool:
    """``sent`` is ``shown`` as a client may send it back: equal, an id (``is_id``) in
    any form a body's id is taken in (``same_id``: ``"012"``, ``12.0``; before, a run
    sent back with ``"experiment": "012"`` was told it has "12", not "012"), but never
    ``true`` for ``1``, at any depth (``same_value``)."""
    if is_id and isinstance(shown, str):
        return same_id(sent, shown)
    return same_value(sent, shown)


def _echoed_lists(
    body: Mapping[str, Any], files: Sequence[str], tags: Sequence[str], *, stale: bool = False
) -> None:
    """``files`` and ``tags`` may be sent back as the run renders them (its uploaded files,
    its tags' ids), and are then dropped; another value would be dropped unseen, so it is a
    400: files come from ``run.log_image``, tags are added and removed at
    ``/v1/training_runs/{id}/tags``, as in SigOpt. ``files`` may also be sent back as it
    was before more files were uploaded (its first ones: ``sigopt_run_echoes``) when it
    may be ``stale`` (an update's); ``tags`` may not, since a client may have edited the
    list meaning to change them."""
    sent = body.get("files")
    if sent is not None and sent != list(files) and not (stale and stale_files(sent, files)):
        raise RuleError(
            "'files' is not set by an update: a run's files are those run.log_image uploads "
            f"(POST /v1/training_runs/{{id}}/files); this run has {json_shown(list(files))} (a "
            "run fetched before an upload may send back the files it had then).",
            "files",
            400,
        )
    sent = body.get("tags")
    if sent is not None and (
        not isinstance(sent, list)
        or [str(t) if isinstance(t, int) and not isinstance(t, bool) else t for t in sent]
        != list(tags)
    ):
        raise RuleError(
            "'tags' is not set by a run's create or update: add a tag to a run with "
            'POST /v1/training_runs/{id}/tags {"id": <tag id>} and remove it with '
            f"DELETE /v1/training_runs/{{id}}/tags/<tag id>; this run has "
            f"{json_shown(list(tags))} (if another request tagged it since it was fetched, leave "
            "'tags' out).",
            "tags",
            400,
        )


def _datasets_by_name(sent: Any) -> Any:
    """``datasets`` as the run renders it, a list of names, is the same as ``{name: {}}``
    for each: a run fetched and sent back whole is then taken as it is."""
    if not isinstance(sent, list):
        return sent
    names: dict[str, Any] = {}
    for i, name in enumerate(sent):
        if not isinstance(name, str):
            raise RuleError(
                f"'datasets[{i}]' must be a dataset's name (a string), not {kind(name)}.",
                f"datasets[{i}]",
                400,
            )
        names[name] = {}
    return names


def _datasets(logged: Mapping[str, Any] | None, kept: Collection[str] = ()) -> None:
    """A dataset is logged by name: sigopt-python's ``run.log_dataset(name)`` sends
    ``{"datasets": {name: {}}}``, and a run renders its datasets as the list of names.
    So the only value kept is ``{}``; anything else would be stored and never shown. A
    name is held to the length and characters of every other name (a 100,000-character
    one was kept, and ``"a\\nb"`` broke the dashboard's list of datasets), unless stored
    before the names' rule (``kept``)."""
    for name, value in (logged or {}).items():
        if not str(name).strip() or len(str(name)) > MAX_NAME_LENGTH:
            raise RuleError(
                f"A dataset's name must be a non-empty string of at most {MAX_NAME_LENGTH} "
                f"characters, as every name here (this one has {len(str(name))}).",
                "datasets",
                400,
            )
        key_characters(str(name), "datasets", kept)
        if value == {}:
            continue
        where = key_path("datasets", name)
        if isinstance(value, Mapping):
            where = key_path(where, next(iter(value)))
            given = "a field"
        else:
            given = kind(value)
        raise RuleError(
            f"'{where}' is not kept: a run keeps its datasets' names only, each with the "
            f"value {{}} (run.log_dataset(name) sends {{name: {{}}}}), not {given}.",
            where,
            400,
        )


def _entries(raw: Any, key: str) -> Mapping[str, Any]:
    """``raw``, a map of OBJECT_MAPS whose entries must be objects; a 400 naming the first
    that is not. Null does not remove an entry there: SigOpt refuses it too; only the maps
    of plain values (assignments and the metadata maps) take a null."""
    entries = object_of(raw, key)
    for name, value in entries.items():
        where = key_path(key, name)
        if value is None:
            raise RuleError(
                f"'{where}' cannot be null: each entry of '{key}' is an object, and one "
                f"cannot be removed by itself (SigOpt refuses a null one too); "
                f"'\"{key}\": null' clears them all.",
                where,
                400,
            )
        if not isinstance(value, Mapping):
            raise RuleError(f"'{where}' must be an object, not {kind(value)}.", where, 400)
    return entries


def _values(raw: Any, kept: Collection[str] = ()) -> dict[str, dict[str, Any]]:
    """A run's metric values; a metric's name holds no character a name may not, as a
    checkpoint's, unless stored before the names' rule (``kept``)."""
    out: dict[str, dict[str, Any]] = {}
    for name, item in _entries(raw, "values").items():
        key_characters(str(name), "values", kept)
        where = key_path("values", name)
        item = _as_rendered(object_of(item, where), str(name), where)
        known_fields(item, RUN_VALUE_FIELDS, where, "metric_evaluation")
        if item.get("value") is None:
            raise RuleError(f"'{where}.value' is required.", f"{where}.value", 400)
        value = number(item["value"], f"{where}.value")
        stddev = item.get("value_stddev")
        if stddev is not None:
            stddev = number(stddev, f"{where}.value_stddev")
            if stddev < 0:
                raise RuleError(
                    f"'{where}.value_stddev' must not be negative.", f"{where}.value_stddev"
                )
        out[str(name)] = {"value": value, "value_stddev": stddev}
    return out


def _as_rendered(item: Mapping[str, Any], name: str, where: str) -> Mapping[str, Any]:
    """A metric value as a run renders it (``object`` ``metric_evaluation``, its ``name``)
    is taken back with its echoed fields dropped; ``metric_value``, this service's word
    before, is still taken. A ``name`` other than the key would be dropped unseen: a 400."""
    out = dict(item)
    if out.get("object") == "metric_value":
        out["object"] = "metric_evaluation"
    sent = out.pop("name", name)
    if sent != name:
        raise RuleError(
            f"'{where}.name' must be the metric's name, {json_shown(name)}, as the run renders it "
            f"(the key of 'values' names the metric), not {json_shown(sent)}.",
            f"{where}.name",
            400,
        )
    return out


def _merged_map(current: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    """``new`` merged into ``current`` key by key; a key ``new`` gives as null is removed
    (sigopt-python's ``del run.params[k]`` sends ``{"assignments": {k: null}}``,
    ``run.log_metadata(k, None)`` ``{"metadata": {k: null}}``; OBJECT_MAPS' entries
    cannot be null)."""
    out = {**(current or {}), **new}
    return {k: v for k, v in out.items() if not (v is None and k in new)}


def next_map(
    current: Mapping[str, Any] | None, new: Mapping[str, Any], *, replace: bool
) -> dict[str, Any]:
    """A map of the run after an update gives ``new``: ``new`` itself for PUT
    (``replace``; SigOpt's PUT sets the field whole), or ``new`` merged into ``current``
    key by key for MERGE (and PATCH); a key given as null is left out either way."""
    if replace:
        return {k: v for k, v in new.items() if v is not None}
    return _merged_map(current, new)


def merged(current: Mapping[str, Any], update: RunUpdate, *, replace: bool) -> dict[str, Any]:
    """The run's ``fields`` after the update: each map it gives replaces the run's
    (``replace``, PUT) or is merged into it (MERGE: key by key, ``sys_metadata`` at every
    level, as SigOpt's MERGE sets each leaf); without the ones it clears, nor the keys it
    gives as null."""
    out = {
        k: dict(v) if isinstance(v, Mapping) else v
        for k, v in current.items()
        if k not in update.cleared
    }
    for key, value in update.fields.items():
        if replace or key not in MERGED_FIELDS:
            out[key] = run_maps.without_nulls(value)
        elif key == "sys_metadata":
            out[key] = run_maps.merge_patch(out.get(key), value)
        else:
            out[key] = _merged_map(out.get(key), value)
        if key != "sys_metadata":  # its feature importances have their own limit
            check_entries(key, out[key])
    return out


def check_entries(key: str, entries: Mapping[str, Any]) -> None:
    """A 422 when a run's map (``values``, ``logs``, ``datasets``, ...) would keep more
    than MAX_LIST_ITEMS entries: each is rendered in every read of the run and of every
    page of runs it is in."""
    if len(entries) > MAX_LIST_ITEMS:
        raise RuleError(
            f"'{key}' would have {len(entries):,} entries with this update's; a run keeps at "
            f"most {MAX_LIST_ITEMS:,}. Log fewer, or spread them over several runs (nothing "
            "was kept).",
            key,
        )


def merged_metadata(
    current: Mapping[str, Any] | None, new: Mapping[str, Any] | None, *, replace: bool = False
) -> dict[str, Any] | None:
    """A run's metadata after an update: its keys merged into the run's (sigopt-python's
    ``run.log_metadata(k, v)`` sends one key at a time), a key given as null removed
    (``run.log_metadata(k, None)``), or in place of the run's (``replace``, PUT);
    ``"metadata": null`` clears it."""
    if new is None:
        return None
    out = next_map(current, new, replace=replace)
    if len(out) > MAX_METADATA_KEYS:
        raise RuleError(
            f"'metadata' would have {len(out)} keys with this update's; a run keeps at most "
            f"{MAX_METADATA_KEYS}.",
            "metadata",
        )
    return out


def cleared_assignments(current: Mapping[str, Any], fixed: Sequence[str]) -> dict[str, Any]:
    """Assignments after an update gives ``"assignments": null``: none, unless some are
    ``fixed`` (a suggestion's), which cannot change."""
    if fixed:
        shown = ", ".join(f"{path_key(name)} = {json_shown(current.get(name))}" for name in fixed)
        raise RuleError(
            f"'assignments' cannot be null: this run was suggested {shown} by its "
            "experiment, and those cannot change; leave 'assignments' out of the update.",
            "assignments",
        )
    return {}


def merged_assignments(
    current: Mapping[str, Any], new: Mapping[str, Any], fixed: Sequence[str], *, replace: bool
) -> dict[str, Any]:
    """Assignments after an update, merged into the run's or in place of them
    (``replace``, PUT), a key given as null removed (sigopt-python's ``del
    run.params[k]``); the ``fixed`` ones (a suggestion's) cannot change, nor be removed
    (by a null, or by a PUT that leaves them out)."""
    for name in fixed:
        if (name in new and new[name] is None) or (replace and name not in new):
            how = "given as null" if name in new else "left out of a PUT's assignments"
            raise RuleError(
                f"'{key_path('assignments', name)}': this run was suggested {path_key(name)} = "
                f"{json_shown(current.get(name))} by its experiment; it cannot be removed ({how}).",
                key_path("assignments", name),
            )
        if name in new and new[name] != current.get(name):
            raise RuleError(
                f"'{key_path('assignments', name)}': this run was suggested {path_key(name)} = "
                f"{json_shown(current.get(name))} by its experiment; it cannot change.",
                key_path("assignments", name),
            )
    return next_map(current, new, replace=replace)


def observation_of_run(
    metrics: Sequence[Mapping[str, Any]], values: Mapping[str, Mapping[str, Any]], state: str
) -> tuple[list[dict[str, Any]], bool]:
    """``(values, failed)`` of the observation a finishing run reports to its experiment."""
    if state == "failed":
        return [], True
    out = []
    for m in metrics:
        name = m["name"]
        logged = values.get(name) if name is not None else _only(values)
        if logged is None:
            # the call is Python's, so the name in it is written as Python writes it
            raise RuleError(
                f"'state': the run cannot complete without a value for metric {json_shown(name)} "
                f"of its experiment; log it (run.log_metric({name!r}, value)) or end the run as "
                "failed.",
                "state",
            )
        out.append(
            {"name": name, "value": logged["value"], "value_stddev": logged.get("value_stddev")}
        )
    return out, False


def _only(values: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Any] | None:
    return next(iter(values.values())) if len(values) == 1 else None


def check_state_change(current: str, new: str, *, null: bool = False) -> None:
    """A finished run may only go from completed to failed (``null``: the body gave
    ``state`` as null, which stands for a new run's state)."""
    if current == new or current == "active":
        return
    if current == "completed" and new == "failed":
        return
    if null:
        raise RuleError(
            f"'state': null stands for {new}, a new run's state, and the run is {current}; "
            f"it cannot become {new}. Leave 'state' out to keep it {current}.",
            "state",
        )
    raise RuleError(
        f"'state': the run is {current}; it cannot become {new}. Leave 'state' out to keep it "
        f"{current} (a run fetched before it finished carries its old state).",
        "state",
    )


def checkpoint(
    body: Mapping[str, Any], *, kept: Collection[str] = ()
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """``(values, metadata)`` of a new checkpoint: values ``[{name, value}]``. ``kept``:
    the metric names the run holds already (stored before the names' rule)."""
    known_fields(body, CHECKPOINT_FIELDS, "", "checkpoint")
    raw = body.get("values")
    if not isinstance(raw, (list, tuple)):
        raise RuleError("'values' must be a list of {name, value} objects.", "values", 400)
    at_most_items(raw, "values", "metric values", "Log at most that many in one checkpoint")
    out: list[dict[str, Any]] = []
    names: set[str | None] = set()  # before: a scan of `out` per value (50,000: 2 min)
    for i, item in enumerate(raw):
        item = object_of(item, f"values[{i}]")
        known_fields(item, CHECKPOINT_VALUE_FIELDS, f"values[{i}]", "checkpoint_value")
        name = name_text(item.get("name"), f"values[{i}].name", kept=kept)
        if name in names:
            raise RuleError(
                f"'values[{i}].name': metric {json_shown(name)} is given twice in this "
                "checkpoint; give each metric once.",
                f"values[{i}].name",
            )
        names.add(name)
        out.append({"name": name, "value": number(item.get("value"), f"values[{i}].value")})
    return out, metadata(body.get("metadata"))


def project_fields(
    body: Mapping[str, Any],
    *,
    creating: bool,
    pid: str | None = None,
    kept: Collection[str] = (),
) -> dict[str, Any]:
    """``name`` and ``metadata`` of a project body (``id`` is read by the caller). A null
    ``name`` stands for the project's id (its name when a create gives none): ``pid`` in
    an update of project ``pid``; a create names the project after its id itself."""
    for key in body:
        if key not in PROJECT_FIELDS and key not in PROJECT_ECHOED_FIELDS:
            raise RuleError(
                f"'{key_path('', key)}' is not a field of a project.", key_path("", key), 400
            )
    out: dict[str, Any] = {}
    if "name" in body or creating:
        out["name"] = name_text(body.get("name"), "name", required=False, kept=kept) or pid
    if "metadata" in body:  # kept: the stored name and keys an update may send back
        out["metadata"] = metadata(body["metadata"], kept=kept)
    return out

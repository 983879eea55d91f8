"""Rules of observation values: one value per metric, or failed (pure).

A failed observation has no value. Otherwise there is a ``value`` (with an
optional ``value_stddev``) for a one-metric experiment, or ``values``
``[{name, value, value_stddev}]`` naming every metric.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .sigopt_checks import (
    RuleError,
    is_number,
    json_shown,
    kind,
    known_fields,
    number,
    same_value,
)

#: one metric's value in ``values``
METRIC_EVALUATION_FIELDS = ("name", "value", "value_stddev")


def observation_values(
    metric_list: Sequence[Mapping[str, Any]], body: Mapping[str, Any], field: str = ""
) -> tuple[list[dict[str, Any]], bool]:
    """``(values, failed)`` of an observation body.

    A failed observation has no value (nor ``value_stddev``). Otherwise there is a
    ``value`` (with an optional ``value_stddev``) for a one-metric experiment, or
    ``values`` ``[{name, value, value_stddev}]`` naming every metric (a
    ``value_stddev`` beside them would belong to none: refused). ``values`` of a
    one-metric experiment may leave the name out.
    """
    pre = f"{field}." if field else ""
    failed = body.get("failed")
    if failed is None:
        failed = False
    if not isinstance(failed, bool):
        raise RuleError(f"'{pre}failed' must be true or false.", f"{pre}failed", 400)
    value, values = body.get("value"), body.get("values")
    stddev = body.get("value_stddev")
    if failed:
        given = [
            key
            for key, sent in (("value", value), ("values", values), ("value_stddev", stddev))
            if sent not in (None, [])
        ]
        if given:
            raise RuleError(
                f"'{pre}{given[0]}': a failed observation has no value, as in SigOpt "
                f'("Observations with a value cannot have failed == true"): drop '
                f"{_said(given, pre)} from the body (or send null) to mark it failed, or "
                "leave 'failed' out to keep the value.",
                f"{pre}{given[0]}",
            )
        return [], True
    if value is not None and values is not None:
        raise RuleError(f"'{pre}values': give 'value' or 'values', not both.", f"{pre}values")
    if values is not None and stddev is not None:  # it would belong to no metric
        raise RuleError(
            f"'{pre}value_stddev' goes with 'value'; with 'values', give each metric's "
            "value_stddev in its entry of 'values'.",
            f"{pre}value_stddev",
        )
    if value is None and values is None:
        raise RuleError(
            f"'{pre}value' is missing: an observation needs a value (or values), or failed=true.",
            f"{pre}value",
        )
    if value is not None:
        if len(metric_list) > 1:
            raise RuleError(
                f"'{pre}value': this experiment has {len(metric_list)} metrics; "
                "send 'values' with one entry per metric.",
                f"{pre}value",
            )
        entry = {
            "name": metric_list[0]["name"],
            "value": value,
            "value_stddev": stddev,
        }
        return [_evaluation(entry, f"{pre}value", f"{pre}value_stddev")], False
    return _values(metric_list, values, f"{pre}values"), False


def _said(keys: Sequence[str], pre: str) -> str:
    """``'value'``, ``'value' and 'values'``, ``'value', 'values' and 'value_stddev'``."""
    quoted = [f"'{pre}{key}'" for key in keys]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"


def metrics_said(names: Sequence[Any]) -> str:
    """An experiment's metrics as a refusal names them (its one metric may be unnamed)."""
    known = ", ".join(str(n) for n in names if n is not None)
    return f"metrics: {known}" if known else "its one metric is unnamed: leave 'name' out"


def _values(metric_list: Sequence[Mapping[str, Any]], raw: Any, field: str) -> list[dict]:
    if not isinstance(raw, (list, tuple)):
        raise RuleError(f"'{field}' must be a list, not {kind(raw)}.", field, 400)
    names = [m["name"] for m in metric_list]
    by_name: dict[Any, dict[str, Any]] = {}
    for i, item in enumerate(raw):
        where = f"{field}[{i}]"
        if not isinstance(item, Mapping):
            raise RuleError(f"'{where}' must be an object, not {kind(item)}.", where, 400)
        known_fields(item, METRIC_EVALUATION_FIELDS, where, "metric_evaluation")
        name = item.get("name")
        if name is None and len(names) == 1:
            name = names[0]
        if name not in names:
            raise RuleError(
                f"'{where}.name': {json_shown(name)} is not a metric of this experiment "
                f"({metrics_said(names)}).",
                f"{where}.name",
            )
        if name in by_name:
            raise RuleError(
                f"'{where}.name': metric {json_shown(name)} is given twice.", f"{where}.name"
            )
        entry = {"name": name, "value": item.get("value"), "value_stddev": item.get("value_stddev")}
        by_name[name] = _evaluation(entry, f"{where}.value", f"{where}.value_stddev")
    missing = [n for n in names if n not in by_name]
    if missing:
        raise RuleError(
            f"'{field}' has no value for metric {json_shown(missing[0])}; give one value per "
            "metric.",
            field,
        )
    return [by_name[n] for n in names]


def _evaluation(entry: Mapping[str, Any], value_field: str, stddev_field: str) -> dict:
    if entry["value"] is None:
        raise RuleError(f"'{value_field}' is missing.", value_field)
    value = number(entry["value"], value_field)
    stddev = entry["value_stddev"]
    if stddev is not None:
        stddev = number(stddev, stddev_field)
        if stddev < 0:
            raise RuleError(f"'{stddev_field}' must not be negative.", stddev_field)
    return {"name": entry["name"], "value": value, "value_stddev": stddev}


def without_echoed_values(body: Mapping[str, Any], shown: Mapping[str, Any]) -> dict[str, Any]:
    """An update's ``body`` that sends both ``value`` and ``values``, as a fetched
    observation sent back whole does, without the one that is as ``shown`` (the
    observation as a GET answers it now): the other is the edit (both as shown: no
    change: both are dropped; before, a multi-metric observation's ``value: null`` was
    kept as the edit, a 422 "'value' is missing"). Both edited stay both, which the
    update refuses."""
    if "value" not in body or "values" not in body:
        return dict(body)
    singles = ("value", "value_stddev")
    echoed: set[str] = set()
    if same_value(body["values"], shown.get("values")):
        echoed.add("values")
    if all(same_value(body.get(k), shown.get(k)) for k in singles if k in body):
        echoed.update(singles)
    if not echoed:
        # a failed observation has no value: the failed rule names each sent, merged or not
        return dict(body) if body.get("failed") is True else _one_of_agreeing(body)
    return {k: v for k, v in body.items() if k not in echoed}


def _one_of_agreeing(body: Mapping[str, Any]) -> dict[str, Any]:
    """An update that edits both ``value`` (with ``value_stddev``) and ``values``, as one
    who edits a fetched observation consistently does (``value: 3.0`` and ``values:
    [{"name": "m", "value": 3.0}]``): when ``values`` has one entry and it says what
    ``value`` says, ``values`` alone (before, a 422 "give 'value' or 'values', not both");
    when it says otherwise, a 422 saying they disagree. A null ``value_stddev`` on one side
    says nothing (the other side's is taken); two numbers must be equal. A null ``value``
    or ``values``, or ``values`` other than a list of one object (several metrics), is
    left to the update's own rules."""
    values = body["values"]
    if body["value"] is None or not isinstance(values, list) or len(values) != 1:
        return dict(body)
    entry = values[0]
    if not isinstance(entry, Mapping):
        return dict(body)
    stddev, listed_stddev = body.get("value_stddev"), entry.get("value_stddev")
    for field, sent, listed in (
        ("value", body["value"], entry.get("value")),
        ("value_stddev", stddev, stddev if listed_stddev is None else listed_stddev),
    ):
        if sent is not None and not _same_number(sent, listed):
            raise RuleError(
                f"'values': 'values[0].{field}' is {json_shown(listed)} but '{field}' is "
                f"{json_shown(sent)}: they disagree. Send the value once (in 'value' or in "
                "'values'), or both alike.",
                "values",
            )
    merged = {**entry, "value_stddev": stddev if listed_stddev is None else listed_stddev}
    kept = {k: v for k, v in body.items() if k not in ("value", "value_stddev")}
    return {**kept, "values": [merged]}


def _same_number(sent: Any, listed: Any) -> bool:
    """Two numbers of equal value (``3`` is ``3.0``), or the same JSON value otherwise
    (``null`` and ``null``; a boolean is not a number)."""
    if is_number(sent) and is_number(listed):
        return bool(sent == listed)
    return same_value(sent, listed)


def observation_update_body(
    values: Sequence[Mapping[str, Any]], failed: bool, body: Mapping[str, Any]
) -> dict[str, Any]:
    """The body an observation would have after a partial update with ``body``.

    Fields not sent keep their value; sending a value un-fails a failed
    observation; sending ``failed=true`` drops the stored value.
    """
    merged: dict[str, Any]
    if failed:
        merged = {"failed": True}
    elif len(values) == 1:
        merged = {"value": values[0]["value"], "value_stddev": values[0]["value_stddev"]}
    else:
        merged = {"values": [dict(v) for v in values]}
    if "values" in body:
        merged.pop("value", None)
        merged.pop("value_stddev", None)
    if "value" in body:
        merged.pop("values", None)
    if body.get("failed") is True:
        for key in ("value", "value_stddev", "values"):
            merged.pop(key, None)
    elif "failed" not in body and ("value" in body or "values" in body):
        merged.pop("failed", None)
    merged.update({k: body[k] for k in ("value", "value_stddev", "values", "failed") if k in body})
    return merged

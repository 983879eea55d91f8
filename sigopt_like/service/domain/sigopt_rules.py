"""Rules of SigOpt experiments, suggestions and observations (pure: no HTTP, no database).

Every check either returns a canonical value or raises :class:`RuleError`, whose
``field`` names the offending field in SigOpt's JSON (``parameters[1].bounds``,
``assignments.x``, ``observations[2].value``) so that the HTTP layer can answer
with a message a person can act on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

PARAMETER_TYPES = ("double", "int", "categorical")
OBJECTIVES = ("maximize", "minimize")
STRATEGIES = ("optimize", "constraint", "store")
EXPERIMENT_TYPES = ("offline", "random")
MAX_PARAMETERS = 100
MAX_METRICS = 16
MAX_NAME_LENGTH = 500
MAX_METADATA_KEYS = 100
MAX_METADATA_STRING = 500
PASSTHROUGH_PARAMETER_FIELDS = ("default_value", "prior", "precision", "transformation")
UNSUPPORTED_EXPERIMENT_FIELDS = ("conditionals", "linear_constraints")


class RuleError(ValueError):
    """A broken rule: ``status`` 400 for a wrong JSON shape, 422 for a wrong content."""

    def __init__(self, message: str, field: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


# ---------------------------------------------------------------- small checks


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def number(value: Any, field: str) -> float:
    """A finite JSON number."""
    if not _is_number(value):
        raise RuleError(f"'{field}' must be a number, not {_kind(value)}.", field, 400)
    if not math.isfinite(value):
        raise RuleError(f"'{field}' must be a finite number.", field)
    return float(value)


def positive_int_or_none(value: Any, field: str) -> int | None:
    """None, or an integer of at least 1 (an integral float is accepted)."""
    if value is None:
        return None
    x = number(value, field)
    if x != math.floor(x):
        raise RuleError(f"'{field}' must be an integer, not {value!r}.", field)
    if x < 1:
        raise RuleError(f"'{field}' must be at least 1, not {value!r}.", field)
    return int(x)


def name_text(value: Any, field: str, *, required: bool = True) -> str | None:
    """A non-empty string of at most MAX_NAME_LENGTH characters."""
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise RuleError(f"'{field}' must be a string, not {_kind(value)}.", field, 400)
    if not value.strip():
        raise RuleError(f"'{field}' must not be empty.", field)
    if len(value) > MAX_NAME_LENGTH:
        raise RuleError(f"'{field}' is longer than {MAX_NAME_LENGTH} characters.", field)
    return value


def metadata(value: Any, field: str = "metadata") -> dict[str, Any] | None:
    """None, or an object of at most 100 keys whose values are strings, numbers or null."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise RuleError(f"'{field}' must be an object, not {_kind(value)}.", field, 400)
    if len(value) > MAX_METADATA_KEYS:
        raise RuleError(f"'{field}' has more than {MAX_METADATA_KEYS} keys.", field)
    out: dict[str, Any] = {}
    for key, item in value.items():
        where = f"{field}.{key}"
        if isinstance(item, str):
            if len(item) > MAX_METADATA_STRING:
                raise RuleError(
                    f"'{where}' is longer than {MAX_METADATA_STRING} characters.", where
                )
        elif item is not None and not _is_number(item):
            raise RuleError(
                f"'{where}' must be a string, a number or null, not {_kind(item)}.", where, 400
            )
        elif _is_number(item) and not math.isfinite(item):
            raise RuleError(f"'{where}' must be a finite number.", where)
        out[str(key)] = item
    return out


def _kind(value: Any) -> str:
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


# ---------------------------------------------------------------- parameters


def parameters(raw: Any, field: str = "parameters") -> list[dict[str, Any]]:
    """Canonical parameter definitions from SigOpt's JSON.

    double / int need ``bounds`` with min < max (integral for int); categorical
    needs at least two distinct, non-empty ``categorical_values`` given as
    strings or ``{"name": ...}`` objects. Names are unique. ``default_value``,
    ``prior``, ``precision`` and ``transformation`` are kept as given, not used.
    """
    if raw is None:
        raise RuleError(f"'{field}' is required: a list of parameter definitions.", field, 400)
    if not isinstance(raw, (list, tuple)):
        raise RuleError(f"'{field}' must be a list, not {_kind(raw)}.", field, 400)
    if not raw:
        raise RuleError(f"'{field}' must define at least one parameter.", field)
    if len(raw) > MAX_PARAMETERS:
        raise RuleError(f"'{field}' has more than {MAX_PARAMETERS} parameters.", field)
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        param = parameter(item, f"{field}[{i}]")
        if param["name"] in seen:
            raise RuleError(
                f"'{field}[{i}].name': the parameter name {param['name']!r} is used twice; "
                "names must be unique within an experiment.",
                f"{field}[{i}].name",
            )
        seen.add(param["name"])
        out.append(param)
    return out


def parameter(item: Any, field: str) -> dict[str, Any]:
    """One canonical parameter definition (see :func:`parameters`)."""
    if not isinstance(item, Mapping):
        raise RuleError(f"'{field}' must be an object, not {_kind(item)}.", field, 400)
    name = name_text(item.get("name"), f"{field}.name")
    kind = item.get("type")
    if kind not in PARAMETER_TYPES:
        raise RuleError(
            f"'{field}.type' of parameter {name!r} must be one of "
            f"{', '.join(PARAMETER_TYPES)}, not {kind!r}.",
            f"{field}.type",
        )
    if item.get("grid") not in (None, []):
        raise RuleError(
            f"'{field}.grid' is not supported by this service; give bounds instead.",
            f"{field}.grid",
        )
    out: dict[str, Any] = {"name": name, "type": kind}
    if kind == "categorical":
        out["categorical_values"] = _categorical_values(item.get("categorical_values"), field)
    else:
        out["bounds"] = _bounds(item.get("bounds"), kind, field)
    for key in PASSTHROUGH_PARAMETER_FIELDS:
        if item.get(key) is not None:
            out[key] = item[key]
    return out


def _bounds(raw: Any, kind: str, field: str) -> dict[str, float | int]:
    where = f"{field}.bounds"
    if raw is None:
        raise RuleError(f"'{where}' is required for a {kind} parameter.", where, 400)
    if not isinstance(raw, Mapping):
        raise RuleError(f"'{where}' must be an object with min and max.", where, 400)
    for key in ("min", "max"):
        if raw.get(key) is None:
            raise RuleError(f"'{where}.{key}' is required.", f"{where}.{key}", 400)
    lo = number(raw["min"], f"{where}.min")
    hi = number(raw["max"], f"{where}.max")
    if kind == "int":
        for key, x in (("min", lo), ("max", hi)):
            if x != math.floor(x):
                raise RuleError(
                    f"'{where}.{key}' of an int parameter must be an integer, not {x!r}.",
                    f"{where}.{key}",
                )
        lo, hi = int(lo), int(hi)
    if not lo < hi:
        raise RuleError(
            f"'{where}': min ({raw['min']!r}) must be less than max ({raw['max']!r}).", where
        )
    return {"min": lo, "max": hi}


def _categorical_values(raw: Any, field: str) -> list[str]:
    where = f"{field}.categorical_values"
    if raw is None:
        raise RuleError(f"'{where}' is required for a categorical parameter.", where, 400)
    if not isinstance(raw, (list, tuple)):
        raise RuleError(f"'{where}' must be a list, not {_kind(raw)}.", where, 400)
    names: list[str] = []
    for j, value in enumerate(raw):
        text = value.get("name") if isinstance(value, Mapping) else value
        if not isinstance(text, str):
            raise RuleError(
                f"'{where}[{j}]' must be a string or an object with a string 'name'.",
                f"{where}[{j}]",
                400,
            )
        if not text.strip():
            raise RuleError(f"'{where}[{j}]' must not be empty.", f"{where}[{j}]")
        if text in names:
            raise RuleError(f"'{where}' lists {text!r} twice; values must be distinct.", where)
        names.append(text)
    if len(names) < 2:
        raise RuleError(f"'{where}' needs at least two values.", where)
    return names


# ---------------------------------------------------------------- metrics


def metrics(raw: Any, legacy: Any = None, field: str = "metrics") -> list[dict[str, Any]]:
    """Canonical metrics: ``[{"name", "objective", "strategy", "threshold"}]``.

    Without ``metrics`` (nor the deprecated single ``metric``) an experiment has
    one unnamed metric to maximize.
    """
    if raw is None and legacy is not None:
        raw, field = [legacy], "metric"
    if raw is None:
        return [{"name": None, "objective": "maximize", "strategy": "optimize", "threshold": None}]
    if not isinstance(raw, (list, tuple)):
        raise RuleError(f"'{field}' must be a list, not {_kind(raw)}.", field, 400)
    if not raw:
        raise RuleError(f"'{field}' must define at least one metric.", field)
    if len(raw) > MAX_METRICS:
        raise RuleError(f"'{field}' has more than {MAX_METRICS} metrics.", field)
    out = [
        _metric(item, f"{field}[{i}]" if field == "metrics" else field, len(raw) > 1)
        for i, item in enumerate(raw)
    ]
    names = [m["name"] for m in out]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise RuleError(
                f"'{field}[{i}].name': metric {name!r} is defined twice.", f"{field}[{i}].name"
            )
    if not any(m["strategy"] == "optimize" for m in out):
        raise RuleError(f"'{field}' needs at least one metric with strategy 'optimize'.", field)
    return out


def _metric(item: Any, field: str, named: bool) -> dict[str, Any]:
    if isinstance(item, str):
        item = {"name": item}
    if not isinstance(item, Mapping):
        raise RuleError(f"'{field}' must be an object, not {_kind(item)}.", field, 400)
    name = name_text(item.get("name"), f"{field}.name", required=named)
    objective = item.get("objective") or "maximize"
    if objective not in OBJECTIVES:
        raise RuleError(
            f"'{field}.objective' must be maximize or minimize, not {objective!r}.",
            f"{field}.objective",
        )
    strategy = item.get("strategy") or "optimize"
    if strategy not in STRATEGIES:
        raise RuleError(
            f"'{field}.strategy' must be one of {', '.join(STRATEGIES)}, not {strategy!r}.",
            f"{field}.strategy",
        )
    threshold = item.get("threshold")
    if threshold is not None:
        threshold = number(threshold, f"{field}.threshold")
    return {"name": name, "objective": objective, "strategy": strategy, "threshold": threshold}


def primary_metric(metric_list: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The metric the optimizer works on: the first with strategy ``optimize``."""
    return next(m for m in metric_list if m["strategy"] == "optimize")


def orientation(metric: Mapping[str, Any]) -> float:
    """+1 when larger is better for ``metric``, -1 when smaller is."""
    return 1.0 if metric["objective"] == "maximize" else -1.0


# ---------------------------------------------------------------- assignments


def assignments(
    params: Sequence[Mapping[str, Any]], raw: Any, field: str = "assignments"
) -> dict[str, Any]:
    """Canonical assignments: exactly the experiment's parameter names, each feasible.

    Int values must be integral (``3.0`` is read as ``3``), doubles within their
    bounds, categorical values one of the parameter's names.
    """
    if not isinstance(raw, Mapping):
        raise RuleError(f"'{field}' must be an object, not {_kind(raw)}.", field, 400)
    names = [p["name"] for p in params]
    extra = [k for k in raw if k not in names]
    if extra:
        where = f"{field}.{extra[0]}"
        raise RuleError(
            f"'{where}': {extra[0]!r} is not a parameter of this experiment "
            f"(parameters: {', '.join(names)}).",
            where,
        )
    out: dict[str, Any] = {}
    for param in params:
        name = param["name"]
        where = f"{field}.{name}"
        if raw.get(name) is None:
            raise RuleError(f"'{where}' is missing: every parameter needs a value.", where)
        out[name] = assignment(param, raw[name], where)
    return out


def assignment(param: Mapping[str, Any], value: Any, field: str) -> Any:
    """One value checked against one parameter definition."""
    if param["type"] == "categorical":
        if not isinstance(value, str):
            raise RuleError(
                f"'{field}' must be one of the categorical values "
                f"{param['categorical_values']}, not {value!r}.",
                field,
            )
        if value not in param["categorical_values"]:
            raise RuleError(
                f"'{field}': {value!r} is not one of the categorical values "
                f"{param['categorical_values']}.",
                field,
            )
        return value
    if not _is_number(value):
        raise RuleError(f"'{field}' must be a number, not {_kind(value)}.", field)
    if not math.isfinite(value):
        raise RuleError(f"'{field}' must be a finite number.", field)
    if param["type"] == "int":
        if value != math.floor(value):
            raise RuleError(f"'{field}' must be an integer, not {value!r}.", field)
        value = int(value)
    else:
        value = float(value)
    lo, hi = param["bounds"]["min"], param["bounds"]["max"]
    if value < lo:
        raise RuleError(f"'{field}' = {value!r} is below the minimum {lo!r}.", field)
    if value > hi:
        raise RuleError(f"'{field}' = {value!r} is above the maximum {hi!r}.", field)
    return value


def same_assignments(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two canonical assignments are the same point."""
    return dict(a) == dict(b)


# ---------------------------------------------------------------- observation values


def observation_values(
    metric_list: Sequence[Mapping[str, Any]], body: Mapping[str, Any], field: str = ""
) -> tuple[list[dict[str, Any]], bool]:
    """``(values, failed)`` of an observation body.

    A failed observation has no value. Otherwise there is a ``value`` (with an
    optional ``value_stddev``) for a one-metric experiment, or ``values``
    ``[{name, value, value_stddev}]`` naming every metric. ``values`` of a
    one-metric experiment may leave the name out.
    """
    pre = f"{field}." if field else ""
    failed = body.get("failed")
    if failed is None:
        failed = False
    if not isinstance(failed, bool):
        raise RuleError(f"'{pre}failed' must be true or false.", f"{pre}failed", 400)
    value, values = body.get("value"), body.get("values")
    if failed:
        for key, given in (("value", value), ("values", values)):
            if given not in (None, []):
                raise RuleError(
                    f"'{pre}{key}': a failed observation has no value; "
                    "send failed=true alone or a value without failed.",
                    f"{pre}{key}",
                )
        return [], True
    if value is not None and values is not None:
        raise RuleError(f"'{pre}values': give 'value' or 'values', not both.", f"{pre}values")
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
            "value_stddev": body.get("value_stddev"),
        }
        return [_evaluation(entry, f"{pre}value", f"{pre}value_stddev")], False
    return _values(metric_list, values, f"{pre}values"), False


def _values(metric_list: Sequence[Mapping[str, Any]], raw: Any, field: str) -> list[dict]:
    if not isinstance(raw, (list, tuple)):
        raise RuleError(f"'{field}' must be a list, not {_kind(raw)}.", field, 400)
    names = [m["name"] for m in metric_list]
    by_name: dict[Any, dict[str, Any]] = {}
    for i, item in enumerate(raw):
        where = f"{field}[{i}]"
        if not isinstance(item, Mapping):
            raise RuleError(f"'{where}' must be an object, not {_kind(item)}.", where, 400)
        name = item.get("name")
        if name is None and len(names) == 1:
            name = names[0]
        if name not in names:
            raise RuleError(
                f"'{where}.name': {name!r} is not a metric of this experiment "
                f"(metrics: {', '.join(str(n) for n in names)}).",
                f"{where}.name",
            )
        if name in by_name:
            raise RuleError(f"'{where}.name': metric {name!r} is given twice.", f"{where}.name")
        entry = {"name": name, "value": item.get("value"), "value_stddev": item.get("value_stddev")}
        by_name[name] = _evaluation(entry, f"{where}.value", f"{where}.value_stddev")
    missing = [n for n in names if n not in by_name]
    if missing:
        raise RuleError(
            f"'{field}' has no value for metric {missing[0]!r}; give one value per metric.",
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


# ---------------------------------------------------------------- best observations


def best_per_metric(
    metric_list: Sequence[Mapping[str, Any]],
    observations: Sequence[tuple[Any, Sequence[Mapping[str, Any]], bool]],
) -> list[Any]:
    """Keys of the best observation for each optimized metric, without repeats.

    ``observations`` are ``(key, values, failed)`` in creation order; ties go to
    the earliest. Failed observations never count.
    """
    best: list[Any] = []
    for metric in metric_list:
        if metric["strategy"] != "optimize":
            continue
        sign = orientation(metric)
        top: tuple[float, Any] | None = None
        for key, values, failed in observations:
            if failed:
                continue
            value = next((v["value"] for v in values if v["name"] == metric["name"]), None)
            if value is None:
                continue
            if top is None or sign * value > top[0]:
                top = (sign * value, key)
        if top is not None and top[1] not in best:
            best.append(top[1])
    return best


# ---------------------------------------------------------------- experiment bodies


def experiment_create(body: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical fields of a new experiment from a create body.

    Unknown fields are ignored (``project``, ``client``, ``num_solutions``, ...);
    conditionals and linear constraints are refused as unsupported. ``seed``
    (ours, optional) makes the suggestions reproducible.
    """
    for key in UNSUPPORTED_EXPERIMENT_FIELDS:
        if body.get(key) not in (None, []):
            raise RuleError(f"'{key}' is not supported by this service.", key)
    kind = body.get("type") or "offline"
    if kind not in EXPERIMENT_TYPES:
        raise RuleError(
            f"'type' must be one of {', '.join(EXPERIMENT_TYPES)}, not {kind!r}.", "type"
        )
    return {
        "name": name_text(body.get("name"), "name"),
        "type": kind,
        "parameters": parameters(body.get("parameters")),
        "metrics": metrics(body.get("metrics"), body.get("metric")),
        "observation_budget": positive_int_or_none(
            body.get("observation_budget"), "observation_budget"
        ),
        "parallel_bandwidth": positive_int_or_none(
            body.get("parallel_bandwidth"), "parallel_bandwidth"
        ),
        "metadata": metadata(body.get("metadata")),
        "seed": seed(body.get("seed")),
    }


def seed(value: Any, field: str = "seed") -> int | None:
    """None, or the experiment's seed: an integer from 0 to 2**62 (an extension of ours)."""
    if value is None:
        return None
    x = number(value, field)
    if x != math.floor(x) or not 0 <= x <= 2**62:
        raise RuleError(f"'{field}' must be an integer from 0 to 2**62, not {value!r}.", field)
    return int(value)


def experiment_update(body: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """The changed fields of an experiment from a (partial) update body.

    name, metadata, observation_budget, parallel_bandwidth and state may
    change; parameters, metrics and type may only be sent back unchanged.
    """
    changes: dict[str, Any] = {}
    if body.get("name") is not None:
        changes["name"] = name_text(body["name"], "name")
    if "metadata" in body:
        changes["metadata"] = metadata(body["metadata"])
    for key in ("observation_budget", "parallel_bandwidth"):
        if key in body:
            changes[key] = positive_int_or_none(body[key], key)
    if body.get("state") is not None:
        if body["state"] not in ("active", "deleted"):
            raise RuleError(f"'state' must be active or deleted, not {body['state']!r}.", "state")
        changes["state"] = body["state"]
    if body.get("parameters") is not None and parameters(body["parameters"]) != list(
        current["parameters"]
    ):
        raise RuleError("'parameters' cannot change after the experiment is created.", "parameters")
    if body.get("metrics") is not None and metrics(body["metrics"]) != list(current["metrics"]):
        raise RuleError("'metrics' cannot change after the experiment is created.", "metrics")
    if body.get("type") is not None and body["type"] != current["type"]:
        raise RuleError("'type' cannot change after the experiment is created.", "type")
    return changes


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

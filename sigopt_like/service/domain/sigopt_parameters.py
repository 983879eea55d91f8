"""Rules of SigOpt parameters and conditionals (pure).

Canonical parameter: ``{"name", "type"}`` plus, as they apply, ``bounds {min,
max}``, ``grid`` (sorted values, instead of bounds), ``categorical_values``
(names, in the given order), ``transformation: "log"``, ``prior`` (normal or
beta), ``conditions {conditional: [values]}``, ``default_value`` and
``precision``. What SigOpt refuses is refused here, naming the field: bounds
and grid together, a log scale on a non-positive range or on an int, a prior on
anything but a plain double, a condition on an unknown conditional...
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from ...json_kinds import json_written, path_key
from .sigopt_checks import (
    INT_PARAMETER_VALUES,
    PRECISIONS,
    RuleError,
    is_number,
    json_shown,
    key_path,
    kind,
    known_fields,
    list_of,
    name_characters,
    name_text,
    number,
    object_of,
    whole_number,
)
from .text_forms import OTHER_FORM, NamesRead, apart, reads_as

PARAMETER_TYPES = ("double", "int", "categorical")
MAX_PARAMETERS = 100
MAX_GRID_VALUES = 10_000
#: a categorical's values in an optimized (``offline``) experiment: the model has a feature
#: per value, and past a few hundred a suggestion outgrew its time budget (7 s at 1,000
#: values, 51 s at 10,000), so the random fallback answered every one
MAX_OPTIMIZED_CATEGORICAL_VALUES = 200
MAX_PRECISION = PRECISIONS[1]
TRANSFORMATIONS = ("log",)
PRIORS = ("normal", "beta")
#: a beta prior's shapes (a subnormal one overflows scipy's beta function in C++,
#: which aborted the whole server process)
BETA_SHAPES = (1e-300, 1e300)
MAX_CONDITIONAL_COMBINATIONS = 10_000
PARAMETER_FIELDS = (
    "name",
    "type",
    "bounds",
    "grid",
    "categorical_values",
    "transformation",
    "prior",
    "precision",
    "conditions",
    "default_value",
)
BOUNDS_FIELDS = ("min", "max")
PRIOR_FIELDS = {"normal": ("mean", "scale"), "beta": ("shape_a", "shape_b")}
CATEGORICAL_VALUE_FIELDS = ("name", "enum_index")
CONDITIONAL_FIELDS = ("name", "values")
CONDITIONAL_VALUE_FIELDS = ("name",)


def parameters(
    raw: Any,
    conditionals: Sequence[Mapping[str, Any]] = (),
    field: str = "parameters",
    *,
    kept: Collection[str] = (),
    stored: Sequence[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """Canonical parameter definitions; ``conditionals`` are the experiment's canonical ones,
    ``kept`` the names and values stored before the names' rule (``name_text``). In an
    update, ``stored`` are the experiment's parameters: names (and a parameter's
    categorical values) stored as they are pass the check for two that read the same
    (see :class:`NamesRead`)."""
    if raw is None:
        raise RuleError(f"'{field}' is required: a list of parameter definitions.", field, 400)
    items = list_of(raw, field)
    if not items:
        raise RuleError(f"'{field}' must define at least one parameter.", field)
    if len(items) > MAX_PARAMETERS:
        raise RuleError(f"'{field}' has more than {MAX_PARAMETERS} parameters.", field)
    out: list[dict[str, Any]] = []
    by_name = {p["name"]: p for p in stored}
    seen = NamesRead(by_name)
    for i, item in enumerate(items):
        name = item.get("name") if isinstance(item, Mapping) else None
        was = by_name.get(name) if isinstance(name, str) else None
        stored_values = (was.get("categorical_values") or ()) if was else ()
        param = parameter(
            item, f"{field}[{i}]", conditionals, kept=kept, stored_values=stored_values
        )
        earlier = seen.repeats(param["name"])
        if earlier is not None:
            raise RuleError(
                f"'{field}[{i}].name': the parameter name {json_shown(param['name'])} is used "
                f"twice{apart(param['name'], earlier)}; names must be unique within an experiment.",
                f"{field}[{i}].name",
            )
        seen.add(param["name"])
        out.append(param)
    return out


def parameter(
    item: Any,
    field: str,
    conditionals: Sequence[Mapping[str, Any]] = (),
    *,
    kept: Collection[str] = (),
    stored_values: Collection[str] = (),
) -> dict[str, Any]:
    """One canonical parameter definition (see the module's docstring); ``stored_values``
    are its categorical values as stored, in an update."""
    item = object_of(item, field)
    known_fields(item, PARAMETER_FIELDS, field, "parameter")
    name = name_text(item.get("name"), f"{field}.name", kept=kept)
    kind_ = item.get("type")
    if kind_ not in PARAMETER_TYPES:
        raise RuleError(
            f"'{field}.type' of parameter {json_shown(name)} must be one of "
            f"{', '.join(PARAMETER_TYPES)}, not {json_shown(kind_)}.",
            f"{field}.type",
        )
    out: dict[str, Any] = {"name": name, "type": kind_}
    grid = item.get("grid")
    has_grid = grid not in (None, [])
    if kind_ == "categorical":
        for key in ("bounds", "grid", "transformation", "prior"):
            if item.get(key) not in (None, [], "none"):
                raise RuleError(
                    f"'{field}.{key}': categorical parameter {json_shown(name)} takes "
                    f"categorical_values only, not {key}.",
                    f"{field}.{key}",
                )
        out["categorical_values"] = _categorical_values(
            item.get("categorical_values"), field, kept, stored_values
        )
    else:
        if item.get("categorical_values") not in (None, []):
            raise RuleError(
                f"'{field}.categorical_values': only categorical parameters take them; "
                f"{json_shown(name)} is {kind_}.",
                f"{field}.categorical_values",
            )
        if has_grid:
            if item.get("bounds") is not None:
                raise RuleError(
                    f"'{field}.bounds': parameter {json_shown(name)} has a grid; give bounds or "
                    "grid, not both.",
                    f"{field}.bounds",
                )
            out["grid"] = _grid(grid, kind_, f"{field}.grid")
        else:
            out["bounds"] = _bounds(item.get("bounds"), kind_, field)
    _transformation(item, out, field)
    _prior(item, out, field)
    if item.get("precision") is not None:
        out["precision"] = _precision(item["precision"], kind_, f"{field}.precision")
        if "grid" in out:
            _grid_within_precision(out["grid"], out["precision"], name, f"{field}.precision")
    if item.get("conditions") not in (None, {}):
        out["conditions"] = _conditions(item["conditions"], conditionals, f"{field}.conditions")
    if item.get("default_value") is not None:
        out["default_value"] = parameter_value(out, item["default_value"], f"{field}.default_value")
    return out


def _bounds(raw: Any, kind_: str, field: str) -> dict[str, float | int]:
    where = f"{field}.bounds"
    if raw is None:
        raise RuleError(
            f"'{where}' is required for a {kind_} parameter (or give grid).", where, 400
        )
    raw = object_of(raw, where)
    known_fields(raw, BOUNDS_FIELDS, where, "bounds")
    for key in ("min", "max"):
        if raw.get(key) is None:
            raise RuleError(f"'{where}.{key}' is required.", f"{where}.{key}", 400)
    lo: float | int
    hi: float | int
    if kind_ == "int":
        lo, hi = (_int_value(raw[key], f"{where}.{key}") for key in ("min", "max"))
    else:
        lo, hi = number(raw["min"], f"{where}.min"), number(raw["max"], f"{where}.max")
    if not lo < hi:
        raise RuleError(
            f"'{where}': min ({json_shown(raw['min'])}) must be less than max "
            f"({json_shown(raw['max'])}).",
            where,
        )
    if not math.isfinite(float(hi) - float(lo)):
        # suggestions are drawn across the span: an infinite one gives infinite values
        raise RuleError(
            f"'{where}': the span from min to max ({json_shown(raw['min'])} to "
            f"{json_shown(raw['max'])}) is larger than a number can hold; narrow the bounds.",
            where,
        )
    return {"min": lo, "max": hi}


#: why an int parameter's values end where they do (said when refusing one)
_INT_PARAMETER_NOTE = (
    "the whole numbers within 64 bits that a double holds: SigOpt's bounds are doubles"
)


def _int_value(given: Any, where: str) -> int:
    """An int parameter's bound or grid value: a whole number that a double holds
    exactly, within 64 bits (``INT_PARAMETER_VALUES``; a ``max`` of 1e308 made values no
    observation could report). Past 2**53 not every integer is a double: one that is not
    was stored rounded (``max`` 2**62 + 1 became 2**62) and two such bounds could be
    called equal. SigOpt's bounds are doubles too."""
    exact = whole_number(given, where, INT_PARAMETER_VALUES, note=_INT_PARAMETER_NOTE)
    if int(float(exact)) != exact:
        raise RuleError(
            f"'{where}' is {given}, which a double cannot hold exactly (integers are exact "
            f"up to 2**53 = {2**53}); give a value within +-2**53.",
            where,
        )
    return exact


def _grid(raw: Any, kind_: str, field: str) -> list[float | int]:
    values = list_of(raw, field)
    out: list[float | int] = []
    for j, value in enumerate(values):
        if kind_ == "int":
            out.append(_int_value(value, f"{field}[{j}]"))
        else:
            out.append(number(value, f"{field}[{j}]"))
    if len(out) < 2:
        raise RuleError(f"'{field}' needs at least two values.", field)
    if len(out) > MAX_GRID_VALUES:
        raise RuleError(f"'{field}' has more than {MAX_GRID_VALUES} values.", field)
    if len(set(out)) != len(out):
        raise RuleError(f"'{field}' lists a value twice; grid values must be distinct.", field)
    return sorted(out)


def _categorical_values(
    raw: Any, field: str, kept: Collection[str], stored: Collection[str] = ()
) -> list[str]:
    where = f"{field}.categorical_values"
    if raw is None:
        raise RuleError(f"'{where}' is required for a categorical parameter.", where, 400)
    names: list[str] = []
    seen = NamesRead(stored)  # before: `in names`, a scan per value (100,000 values: 2 min)
    for j, value in enumerate(list_of(raw, where)):
        if isinstance(value, Mapping):
            _categorical_value_fields(value, j, f"{where}[{j}]")
        text = value.get("name") if isinstance(value, Mapping) else value
        if not isinstance(text, str):
            raise RuleError(
                f"'{where}[{j}]' must be a string or an object with a string 'name'.",
                f"{where}[{j}]",
                400,
            )
        if not text.strip():
            raise RuleError(f"'{where}[{j}]' must not be empty.", f"{where}[{j}]")
        if text not in kept:
            name_characters(text, f"{where}[{j}]")
        earlier = seen.repeats(text)
        if earlier is not None:
            raise RuleError(
                f"'{where}' lists {json_shown(text)} twice{apart(text, earlier)}; values must be "
                "distinct.",
                where,
            )
        seen.add(text)
        names.append(text)
    if len(names) < 2:
        raise RuleError(f"'{where}' needs at least two values.", where)
    return names


def _categorical_value_fields(value: Mapping[str, Any], j: int, where: str) -> None:
    """A categorical value object takes a name; its enum_index (as rendered) may be
    sent back, and must then be its place in the list (from 1)."""
    known_fields(value, CATEGORICAL_VALUE_FIELDS, where, "categorical_value")
    index = value.get("enum_index")
    if index is not None and index != j + 1:
        raise RuleError(
            f"'{where}.enum_index' is {json_shown(index)} but the value is number {j + 1} of the "
            "list; the order of categorical_values sets enum_index (leave it out).",
            f"{where}.enum_index",
        )


def _transformation(item: Mapping[str, Any], out: dict[str, Any], field: str) -> None:
    raw = item.get("transformation")
    if raw in (None, "none"):
        return
    where = f"{field}.transformation"
    if raw not in TRANSFORMATIONS:
        raise RuleError(f'\'{where}\' must be "log" or "none", not {json_shown(raw)}.', where)
    if out["type"] != "double":
        raise RuleError(
            f"'{where}': a log transformation applies to double parameters only; "
            f"{json_shown(out['name'])} is {out['type']}.",
            where,
        )
    low = min(out["grid"]) if "grid" in out else out["bounds"]["min"]
    if low <= 0:
        raise RuleError(
            f"'{where}': a log transformation needs positive values; the lowest value of "
            f"{json_shown(out['name'])} is {json_shown(low)}.",
            where,
        )
    out["transformation"] = "log"


def _prior(item: Mapping[str, Any], out: dict[str, Any], field: str) -> None:
    raw = item.get("prior")
    if raw is None:
        return
    where = f"{field}.prior"
    raw = object_of(raw, where)
    if out["type"] != "double" or "grid" in out or out.get("transformation") == "log":
        raise RuleError(
            f"'{where}': priors apply to double parameters with bounds and no log transformation; "
            f"{json_shown(out['name'])} is not one.",
            where,
        )
    known_fields(raw, ("name", *PRIOR_FIELDS["normal"], *PRIOR_FIELDS["beta"]), where, "prior")
    name = raw.get("name")
    if name not in PRIORS:
        raise RuleError(
            f"'{where}.name' must be normal or beta, not {json_shown(name)}.", f"{where}.name", 400
        )
    prior: dict[str, Any] = {"name": name}
    keys = PRIOR_FIELDS[name]
    for other in PRIOR_FIELDS["beta" if name == "normal" else "normal"]:
        if raw.get(other) is not None:
            raise RuleError(
                f"'{where}.{other}': a {name} prior takes {' and '.join(keys)}, not {other}.",
                f"{where}.{other}",
            )
    for key in keys:
        if raw.get(key) is None:
            raise RuleError(
                f"'{where}.{key}' is required for a {name} prior.", f"{where}.{key}", 400
            )
        prior[key] = number(raw[key], f"{where}.{key}")
    for key in ("scale", "shape_a", "shape_b"):
        if key in prior and prior[key] <= 0:
            raise RuleError(f"'{where}.{key}' must be positive.", f"{where}.{key}")
    for key in ("shape_a", "shape_b"):
        if key in prior and not BETA_SHAPES[0] <= prior[key] <= BETA_SHAPES[1]:
            raise RuleError(
                f"'{where}.{key}' must be from {BETA_SHAPES[0]:g} to {BETA_SHAPES[1]:g}, not "
                f"{json_shown(prior[key])}: a beta prior's density cannot be computed beyond.",
                f"{where}.{key}",
            )
    if name == "normal":
        lo, hi = out["bounds"]["min"], out["bounds"]["max"]
        if not lo <= prior["mean"] <= hi:
            raise RuleError(
                f"'{where}.mean' ({json_shown(prior['mean'])}) must be within the bounds [{lo}, "
                f"{hi}].",
                f"{where}.mean",
            )
    out["prior"] = prior


def _precision(raw: Any, kind_: str, field: str) -> int:
    if kind_ != "double":
        raise RuleError(f"'{field}': precision applies to double parameters only.", field)
    return whole_number(raw, field, PRECISIONS)


def _grid_within_precision(
    grid: Sequence[float | int], digits: int, name: str | None, field: str
) -> None:
    """Refuse a precision that a grid's values do not have: a grid parameter's
    suggestions are its grid values as given (rounding one would leave the grid), so
    ``grid: [0.123, 0.456]`` with ``precision: 1`` was stored and served 0.123."""
    for value in grid:
        if round(float(value), digits) != float(value):
            raise RuleError(
                f"'{field}': parameter {json_shown(name)} has a grid, and its suggestions are the "
                f"grid values as given; {json_shown(value)} has more than {digits} decimal "
                f"places, so a precision of {digits} could not hold. Give grid values of at most "
                f"{digits} decimal places (or, in a create, leave precision out).",
                field,
            )


def _conditions(
    raw: Any, conditionals: Sequence[Mapping[str, Any]], field: str
) -> dict[str, list[str]]:
    raw = object_of(raw, field)
    known = {c["name"]: c["values"] for c in conditionals}
    out: dict[str, list[str]] = {}
    for name, allowed in raw.items():
        where = key_path(field, name)
        if name not in known:
            listed = ", ".join(path_key(n) for n in known) or "none"
            raise RuleError(
                f"'{where}': {json_shown(name)} is not a conditional of this experiment "
                f"(conditionals: {listed}); declare it in 'conditionals'.",
                where,
                400,
            )
        values = allowed if isinstance(allowed, (list, tuple)) else [allowed]
        if not values:
            raise RuleError(f"'{where}' must name at least one value.", where)
        for value in values:
            if not isinstance(value, str):
                raise RuleError(
                    f"'{where}' must be a value or a list of values, not {kind(value)}.",
                    where,
                    400,
                )
            if value not in known[name]:
                raise RuleError(
                    f"'{where}': {json_shown(value)} is not a value of conditional "
                    f"{json_shown(name)} (values: {json_written(known[name])}).",
                    where,
                )
        out[str(name)] = list(dict.fromkeys(values))
    return out


# ---------------------------------------------------------------- conditionals


def conditionals(
    raw: Any, field: str = "conditionals", *, kept: Collection[str] = ()
) -> list[dict[str, Any]]:
    """Canonical conditionals: ``[{"name", "values": [names]}]``, names unique (``kept``:
    as :func:`parameters`)."""
    if raw in (None, []):
        return []
    out: list[dict[str, Any]] = []
    names: set[str | None] = set()  # sets, not scans of the lists: 50,000 values took a minute
    for i, item in enumerate(list_of(raw, field)):
        where = f"{field}[{i}]"
        item = object_of(item, where)
        known_fields(item, CONDITIONAL_FIELDS, where, "conditional")
        name = name_text(item.get("name"), f"{where}.name", kept=kept)
        if name in names:
            raise RuleError(
                f"'{where}.name': conditional {json_shown(name)} is defined twice.", f"{where}.name"
            )
        names.add(name)
        values: list[str] = []
        seen: set[str] = set()
        for j, value in enumerate(list_of(item.get("values"), f"{where}.values")):
            if isinstance(value, Mapping):
                known_fields(value, CONDITIONAL_VALUE_FIELDS, f"{where}.values[{j}]", "value")
            text = value.get("name") if isinstance(value, Mapping) else value
            if not isinstance(text, str) or not text.strip():
                raise RuleError(
                    f"'{where}.values[{j}]' must be a non-empty string.", f"{where}.values[{j}]"
                )
            if text not in kept:
                name_characters(text, f"{where}.values[{j}]")
            if text in seen:
                raise RuleError(
                    f"'{where}.values' lists {json_shown(text)} twice.", f"{where}.values"
                )
            seen.add(text)
            values.append(text)
        if len(values) < 2:
            raise RuleError(f"'{where}.values' needs at least two values.", f"{where}.values")
        out.append({"name": name, "values": values})
    return out


def check_conditional_space(
    params: Sequence[Mapping[str, Any]], conds: Sequence[Mapping[str, Any]]
) -> None:
    """Conditionals and parameter conditions come together, names do not clash, and
    every combination of conditional values leaves some parameter active."""
    conditioned = [p for p in params if p.get("conditions")]
    if conds and not conditioned:
        raise RuleError(
            "'conditionals' are declared but no parameter has 'conditions' on them; "
            "give the parameters that depend on them 'conditions'.",
            "conditionals",
        )
    names = {p["name"] for p in params}
    for i, c in enumerate(conds):
        if c["name"] in names:
            raise RuleError(
                f"'conditionals[{i}].name': {json_shown(c['name'])} is also a parameter name.",
                f"conditionals[{i}].name",
            )
    if not conds:
        return
    combos = 1
    for c in conds:
        # counted only up to the limit: before, the whole product was in the message, and
        # 15,000 conditionals of two values make 4,516 digits, which str() refuses (a 500)
        combos *= len(c["values"])
        if combos > MAX_CONDITIONAL_COMBINATIONS:
            sizes = " x ".join(str(len(c["values"])) for c in conds[:10])
            raise RuleError(
                f"'conditionals' allow more than {MAX_CONDITIONAL_COMBINATIONS} combinations "
                f"({sizes}{' x ...' if len(conds) > 10 else ''} values); "
                f"at most {MAX_CONDITIONAL_COMBINATIONS}.",
                "conditionals",
            )
    for combo in itertools.product(*(c["values"] for c in conds)):
        chosen = {c["name"]: v for c, v in zip(conds, combo, strict=True)}
        if not any(is_active(p, chosen) for p in params):
            text = ", ".join(f"{path_key(k)} = {json_shown(v)}" for k, v in chosen.items())
            raise RuleError(
                f"'conditionals': when {text}, no parameter is active; every combination "
                "of conditional values needs at least one parameter.",
                "conditionals",
            )


def is_active(param: Mapping[str, Any], chosen: Mapping[str, Any]) -> bool:
    """Whether ``param``'s conditions hold for the conditional values ``chosen``."""
    return all(
        chosen.get(name) in allowed for name, allowed in (param.get("conditions") or {}).items()
    )


def is_discrete(param: Mapping[str, Any]) -> bool:
    """Whether the parameter takes finitely many values (int, grid or categorical)."""
    return param["type"] != "double" or "grid" in param


def value_count(param: Mapping[str, Any]) -> int:
    """How many values a discrete parameter takes."""
    if param["type"] == "categorical":
        return len(param["categorical_values"])
    if "grid" in param:
        return len(param["grid"])
    return int(param["bounds"]["max"]) - int(param["bounds"]["min"]) + 1


def parameter_value(param: Mapping[str, Any], value: Any, field: str) -> Any:
    """One value checked against one canonical parameter: a categorical value, a
    grid value, or a number within the bounds (integral for int, ``3.0`` read as 3)."""
    if param["type"] == "categorical":
        names = param["categorical_values"]
        if not isinstance(value, str):
            raise RuleError(
                f"'{field}' must be one of the categorical values {json_written(names)}, not "
                f"{json_shown(value)}.",
                field,
            )
        if value not in names:
            meant = reads_as(value, names)  # before: "'é' is not one of ['é', 'b']"
            again = (
                f" as written: it reads as {json_shown(meant)}{OTHER_FORM}"
                if meant is not None
                else ""
            )
            raise RuleError(
                f"'{field}': {json_shown(value)} is not one of the categorical values "
                f"{json_written(names)}{again}.",
                field,
            )
        return value
    if not is_number(value):
        raise RuleError(f"'{field}' must be a number, not {kind(value)}.", field)
    if not math.isfinite(value):
        raise RuleError(f"'{field}' must be a finite number.", field)
    if param["type"] == "int":
        values = param.get("grid") or (param["bounds"]["min"], param["bounds"]["max"])
        # the parameter's bounds are the experiment's rule: past them is a 422 however the
        # number is written (2**70 was a 400, 1e308 and 16 a 422, in the same sentence)
        value = whole_number(value, field, (min(values), max(values)))
    else:
        value = float(value)
    if "grid" in param:
        if value not in param["grid"]:
            raise RuleError(
                f"'{field}': {json_shown(value)} is not one of the grid values "
                f"{json_written(param['grid'])}.",
                field,
            )
        return value
    lo, hi = param["bounds"]["min"], param["bounds"]["max"]
    if value < lo:
        raise RuleError(
            f"'{field}' = {json_shown(value)} is below the minimum {json_shown(lo)}.", field
        )
    if value > hi:
        raise RuleError(
            f"'{field}' = {json_shown(value)} is above the maximum {json_shown(hi)}.", field
        )
    return value


def check_modelled_scales(
    kind: str, params: list[dict[str, Any]], stored: Sequence[Mapping[str, Any]] = ()
) -> None:
    """A 422 for ``transformation: "log"`` on a grid parameter of a random or grid search:
    there a grid value is drawn, or the grid walked, with every value as likely, and the
    log scale only spaces the values for the optimizer's model (an ``offline``
    experiment's), so it would be stored and ignored. A log scale on bounds is a random
    search's log-uniform draw, taken. In an update, ``stored`` are the experiment's
    parameters: one whose grid and transformation stay as stored is taken (stored before
    this rule, it could not change otherwise)."""
    if kind not in ("random", "grid"):
        return
    kept = {(p["name"], _scale_key(p)) for p in stored}
    for i, param in enumerate(params):
        if (param.get("name"), _scale_key(param)) in kept:
            continue
        if param.get("grid") and param.get("transformation") == "log":
            where = f"parameters[{i}].transformation"
            raise RuleError(
                f"'{where}' is log on grid values, which changes nothing in a {kind} "
                "search: each grid value is as likely whatever its scale (a log scale only "
                "spaces grid values for the optimizer's model, type 'offline'). Leave it "
                "out, or give bounds for a log-uniform draw.",
                where,
            )


def _scale_key(param: Mapping[str, Any]) -> tuple[Any, ...]:
    return (tuple(param.get("grid") or ()), param.get("transformation"))


def check_optimized_categoricals(
    params: list[dict[str, Any]], stored: Sequence[Mapping[str, Any]] = ()
) -> None:
    """A 422 for a categorical parameter with more values than the optimizer weighs within
    a suggestion's time budget (an ``offline`` experiment's; random and grid search take
    any number). In an update, ``stored`` are the experiment's parameters: one stored
    before this rule with more values keeps them, and may change them as long as it does
    not get more (else an update of any other parameter was refused for it: the
    experiment's parameters were frozen for good)."""
    had = {
        p.get("name"): len(p.get("categorical_values") or [])
        for p in stored
        if p.get("type") == "categorical"
    }
    for i, param in enumerate(params):
        values = param.get("categorical_values") or []
        limit = max(MAX_OPTIMIZED_CATEGORICAL_VALUES, had.get(param.get("name"), 0))
        if param.get("type") == "categorical" and len(values) > limit:
            where = f"parameters[{i}].categorical_values"
            raise RuleError(
                f"'{where}' has more than {MAX_OPTIMIZED_CATEGORICAL_VALUES} values ({len(values)} "
                f"for {json_shown(param.get('name'))}): the optimizer cannot weigh that many "
                "within a suggestion's time budget. Group the values into fewer categories, or "
                "use type 'random' (random search takes any number)."
                + (
                    f" It was stored with {limit} before this limit: an update may keep "
                    "that many, not add more."
                    if limit > MAX_OPTIMIZED_CATEGORICAL_VALUES
                    else ""
                ),
                where,
            )

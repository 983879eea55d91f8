"""Rules of assignments: the parameter values of an observation or a suggestion (pure).

Canonical assignments hold a value for each conditional and for each parameter
that is active under those conditional values, and nothing else: a parameter
whose conditions do not hold is left out (sending it is refused, so that a
value the optimizer would ignore is never stored). An active parameter that is
missing takes its ``default_value`` when it has one, as in SigOpt.

Assignments a caller gives (an observation's, a suggestion's or a queued
suggestion's) must satisfy the experiment's linear constraints, as SigOpt's
service requires of all three (``validate_assignments_map``: "Assignments do not
satisfy constraint: ..."); :func:`check_constraints` refuses them naming the
constraint. The engine's suggestions satisfy them by construction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...json_kinds import json_written, path_key
from .sigopt_checks import RuleError, json_shown, key_path, kind
from .sigopt_parameters import is_active, parameter_value
from .text_forms import OTHER_FORM, reads_as


def assignments(
    params: Sequence[Mapping[str, Any]],
    raw: Any,
    field: str = "assignments",
    conditionals: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Canonical assignments of ``raw`` for an experiment's canonical parameters and
    conditionals (see the module's docstring)."""
    if not isinstance(raw, Mapping):
        raise RuleError(f"'{field}' must be an object, not {kind(raw)}.", field, 400)
    names = [p["name"] for p in params] + [c["name"] for c in conditionals]
    extra = [k for k in raw if k not in names]
    if extra:
        where = key_path(field, extra[0])
        meant = reads_as(extra[0], names)
        if meant is not None:  # before: "'cé' is not a parameter (parameters: cé)"
            raise RuleError(
                f"'{where}': {json_shown(extra[0])} is not a parameter of this experiment as "
                f"written: it reads as the parameter {json_shown(meant)}{OTHER_FORM}; send the "
                "name as the experiment lists it.",
                where,
            )
        raise RuleError(
            f"'{where}': {json_shown(extra[0])} is not a parameter of this experiment "
            f"(parameters: {', '.join(path_key(n) for n in names)}).",
            where,
        )
    out: dict[str, Any] = {}
    chosen: dict[str, str] = {}
    for cond in conditionals:
        where = key_path(field, cond["name"])
        value = raw.get(cond["name"])
        if value is None:
            raise RuleError(
                f"'{where}' is missing: every conditional needs a value (one of "
                f"{json_written(cond['values'])}).",
                where,
            )
        if value not in cond["values"]:
            raise RuleError(
                f"'{where}': {json_shown(value)} is not a value of conditional "
                f"{json_shown(cond['name'])} (values: {json_written(cond['values'])}).",
                where,
            )
        chosen[cond["name"]] = value
    for param in params:
        name = param["name"]
        where = key_path(field, name)
        active = is_active(param, chosen)
        given = raw.get(name)
        if not active:
            if given is not None:
                conditions = ", ".join(
                    f"{path_key(c)} in {json_written(v)}"
                    for c, v in (param.get("conditions") or {}).items()
                )
                raise RuleError(
                    f"'{where}': parameter {json_shown(name)} is inactive for these conditional "
                    f"values (it needs {conditions}); leave it out.",
                    where,
                )
            continue
        if given is None:
            if param.get("default_value") is None:
                raise RuleError(f"'{where}' is missing: every parameter needs a value.", where)
            given = param["default_value"]
        out[name] = parameter_value(param, given, where)
    out.update(chosen)
    return out


def redefined(
    values: Mapping[str, Any],
    before: Sequence[Mapping[str, Any]],
    after: Sequence[Mapping[str, Any]],
    conditionals: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """Stored assignments after an update added parameters to ``before`` (canonical),
    giving ``after``: an added parameter takes its ``default_value`` where it is active
    (its conditions hold for these conditional values), as SigOpt reads an earlier
    observation or suggestion."""
    old = {p["name"] for p in before}
    out = dict(values)
    chosen = {c["name"]: out[c["name"]] for c in conditionals if c["name"] in out}
    for param in after:
        name = param["name"]
        if name not in old and name not in out and is_active(param, chosen):
            out[name] = param["default_value"]
    return out


def same_assignments(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two canonical assignments are the same point."""
    return dict(a) == dict(b)


def satisfies_constraints(
    linear_constraints: Sequence[Mapping[str, Any]],
    values: Mapping[str, Any],
    tolerance: float = 1e-9,
) -> bool:
    """Whether assignments satisfy every linear constraint (with a little slack for
    rounding in the last digits)."""
    for c in linear_constraints:
        total = sum(t["weight"] * values[t["name"]] for t in c["terms"] if t["weight"])
        scale = tolerance * max(1.0, abs(c["threshold"]), *(abs(t["weight"]) for t in c["terms"]))
        if c["type"] == "greater_than" and total < c["threshold"] - scale:
            return False
        if c["type"] == "less_than" and total > c["threshold"] + scale:
            return False
    return True


def check_constraints(
    linear_constraints: Sequence[Mapping[str, Any]],
    values: Mapping[str, Any],
    field: str = "assignments",
) -> None:
    """Refuse (422) assignments that break a linear constraint, naming the first one
    broken, its sum at these assignments and its threshold.

    The slack is :func:`satisfies_constraints`' (1e-9, relative), the one the engine's
    own suggestions are held to, so that a suggestion's assignments sent back as an
    observation's are never refused; SigOpt compares exactly.
    """
    for i, c in enumerate(linear_constraints):
        if satisfies_constraints([c], values):
            continue
        total = sum(t["weight"] * values[t["name"]] for t in c["terms"] if t["weight"])
        raise RuleError(
            f"'{field}' break linear constraint linear_constraints[{i}] "
            f"({constraint_text(c)}): at these assignments the left side is "
            f"{_number_text(total)}. Give a point that satisfies every linear constraint "
            "of the experiment.",
            field,
        )


def constraint_text(constraint: Mapping[str, Any]) -> str:
    """A linear constraint as a person writes it: ``x + 2*y >= 3``."""
    terms = [t for t in constraint["terms"] if t["weight"]]
    text = ""
    for j, t in enumerate(terms):
        weight = float(t["weight"])
        size = abs(weight)
        term = t["name"] if size == 1 else f"{_number_text(size)}*{t['name']}"
        if j == 0:
            text = f"-{term}" if weight < 0 else term
        else:
            text += f" - {term}" if weight < 0 else f" + {term}"
    sign = ">=" if constraint["type"] == "greater_than" else "<="
    return f"{text} {sign} {_number_text(constraint['threshold'])}"


def _number_text(x: float) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


def rounded_to_precision(
    params: Sequence[Mapping[str, Any]], values: Mapping[str, Any]
) -> dict[str, Any]:
    """Double values rounded to their parameter's ``precision`` (decimal places),
    kept within the bounds."""
    out = dict(values)
    for p in params:
        digits = p.get("precision")
        if digits is None or p["name"] not in out or "bounds" not in p:
            continue
        lo, hi = p["bounds"]["min"], p["bounds"]["max"]
        out[p["name"]] = min(max(round(float(out[p["name"]]), int(digits)), lo), hi)
    return out

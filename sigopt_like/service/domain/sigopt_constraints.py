"""Rules of SigOpt linear constraints (pure).

Canonical constraint: ``{"type": "greater_than" | "less_than", "threshold",
"terms": [{"name", "weight"}]}`` meaning ``sum(weight * value) >= threshold``
(or ``<=``). As SigOpt: at least two terms; each names a double or int
parameter of the experiment that is not log-transformed, not a grid and not
conditional, at most once; and together with the bounds the constraints must
leave at least one point (an integral one when they name int parameters),
checked by linear or mixed-integer programming at creation. Unlike SigOpt, one
constraint may mix int and double parameters: the engine rounds inside a
tightened polytope, so it has no reason to refuse them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .sigopt_checks import (
    RuleError,
    json_shown,
    known_fields,
    list_of,
    name_text,
    number,
    object_of,
)

TYPES = ("greater_than", "less_than")
MAX_CONSTRAINTS = 100
CONSTRAINT_FIELDS = ("type", "threshold", "terms")
TERM_FIELDS = ("name", "weight")


def linear_constraints(
    raw: Any, params: Sequence[Mapping[str, Any]], field: str = "linear_constraints"
) -> list[dict[str, Any]]:
    """Canonical linear constraints over the canonical ``params``; checked feasible."""
    if raw in (None, []):
        return []
    items = list_of(raw, field)
    if len(items) > MAX_CONSTRAINTS:
        raise RuleError(f"'{field}' has more than {MAX_CONSTRAINTS} constraints.", field)
    by_name = {p["name"]: p for p in params}
    out = [_constraint(item, by_name, f"{field}[{i}]") for i, item in enumerate(items)]
    _check_feasible(out, params, field)
    return out


def _constraint(item: Any, by_name: Mapping[str, Mapping[str, Any]], field: str) -> dict:
    item = object_of(item, field)
    known_fields(item, CONSTRAINT_FIELDS, field, "linear_constraint")
    kind_ = item.get("type")
    if kind_ not in TYPES:
        raise RuleError(
            f"'{field}.type' must be greater_than or less_than, not {json_shown(kind_)}.",
            f"{field}.type",
        )
    if item.get("threshold") is None:
        raise RuleError(f"'{field}.threshold' is required.", f"{field}.threshold", 400)
    threshold = number(item["threshold"], f"{field}.threshold")
    terms = list_of(item.get("terms"), f"{field}.terms")
    if len(terms) < 2:
        raise RuleError(
            f"'{field}.terms' needs at least two terms; bound one parameter with its bounds.",
            f"{field}.terms",
        )
    out_terms = []
    seen: set[str] = set()
    types: set[str] = set()
    for j, term in enumerate(terms):
        where = f"{field}.terms[{j}]"
        term = object_of(term, where)
        known_fields(term, TERM_FIELDS, where, "constraint_term")
        # a term names a parameter: one stored before the names' rule is taken as it is
        name = str(name_text(term.get("name"), f"{where}.name", kept=by_name))
        if term.get("weight") is None:
            raise RuleError(f"'{where}.weight' is required.", f"{where}.weight", 400)
        weight = number(term["weight"], f"{where}.weight")
        if name not in by_name:
            raise RuleError(
                f"'{where}.name': {json_shown(name)} is not a parameter of this experiment "
                f"(parameters: {', '.join(by_name)}).",
                f"{where}.name",
                400,
            )
        param = by_name[name]
        problem = _unconstrainable(param)
        if problem:
            raise RuleError(
                f"'{where}.name': a linear constraint cannot name {json_shown(name)}: {problem}.",
                f"{where}.name",
            )
        if name in seen:
            raise RuleError(
                f"'{where}.name': {json_shown(name)} appears twice in one constraint.",
                f"{where}.name",
            )
        seen.add(name)
        if weight != 0:
            types.add(param["type"])
        out_terms.append({"name": name, "weight": weight})
    if not types:
        raise RuleError(f"'{field}.terms': every weight is zero.", f"{field}.terms")
    return {"type": kind_, "threshold": threshold, "terms": out_terms}


def _unconstrainable(param: Mapping[str, Any]) -> str | None:
    if param["type"] == "categorical":
        return "it is categorical"
    if "grid" in param:
        return "it takes grid values"
    if param.get("transformation") == "log":
        return "it is log-transformed"
    if param.get("conditions"):
        return "it is conditional"
    return None


def _check_feasible(
    constraints: Sequence[Mapping[str, Any]], params: Sequence[Mapping[str, Any]], field: str
) -> None:
    from ..optimizer.polytope import LinearConstraints

    index = {p["name"]: j for j, p in enumerate(params)}
    lo = [p["bounds"]["min"] if "bounds" in p else 0.0 for p in params]
    hi = [p["bounds"]["max"] if "bounds" in p else 0.0 for p in params]
    rows = [
        ([(index[t["name"]], t["weight"]) for t in c["terms"]], c["type"], c["threshold"])
        for c in constraints
    ]
    polytope = LinearConstraints.build(rows, lo, hi, [p["type"] == "int" for p in params])
    point, decided = polytope.feasibility()
    if point is not None:
        return
    if decided:
        raise RuleError(
            f"'{field}': no point within the parameters' bounds satisfies every constraint"
            " (integral values included for int parameters); loosen a threshold or a bound.",
            field,
        )
    raise RuleError(
        f"'{field}': no point within the parameters' bounds satisfying every constraint"
        " (integral values included for int parameters) was found; loosen a threshold or"
        " a bound. The search is exact when the int parameters' values the constraints"
        " leave can be walked in well under a second; past that, or with a double"
        " parameter among int ones, a solver looks for a point for about two seconds within a"
        " tolerance of about 1e-6, and can miss a band thinner than that: narrow the bounds"
        " of the int parameters to where the feasible points are.",
        field,
    )

"""Rules of SigOpt metrics (pure).

Canonical metric: ``{"name", "objective": maximize|minimize, "strategy":
optimize|constraint|store, "threshold"}``. As SigOpt: at most two optimized
metrics; a constraint metric needs a threshold (the side that counts as
feasible follows its objective: at least the threshold when maximized, at most
when minimized); a threshold on an optimized metric needs a second optimized
metric (it bounds the Pareto front); a stored metric is only recorded.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from .sigopt_checks import RuleError, json_shown, kind, known_fields, name_text, number
from .text_forms import NamesRead, apart

OBJECTIVES = ("maximize", "minimize")
STRATEGIES = ("optimize", "constraint", "store")
MAX_METRICS = 50
MAX_OPTIMIZED = 2
METRIC_FIELDS = ("name", "objective", "strategy", "threshold")


def metrics(
    raw: Any,
    legacy: Any = None,
    field: str = "metrics",
    *,
    kept: Collection[str] = (),
    stored: Sequence[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """Canonical metrics. Without ``metrics`` (nor the deprecated single ``metric``)
    an experiment has one unnamed metric to maximize. ``kept``: the names stored before
    the names' rule (``name_text``). In an update, ``stored`` are the experiment's
    metrics: names stored as they are pass the check for two that read the same (see
    :class:`NamesRead`)."""
    if raw is not None and legacy is not None:
        raise RuleError(
            "'metric': give 'metrics' (a list), or the deprecated single 'metric', not both.",
            "metric",
            400,
        )
    if raw is None and legacy is not None:
        raw, field = [legacy], "metric"
    if raw is None:
        return [{"name": None, "objective": "maximize", "strategy": "optimize", "threshold": None}]
    if not isinstance(raw, (list, tuple)):
        raise RuleError(f"'{field}' must be a list, not {kind(raw)}.", field, 400)
    if not raw:
        raise RuleError(f"'{field}' must define at least one metric.", field)
    if len(raw) > MAX_METRICS:
        raise RuleError(f"'{field}' has more than {MAX_METRICS} metrics.", field)
    out = [
        _metric(item, f"{field}[{i}]" if field == "metrics" else field, len(raw) > 1, kept)
        for i, item in enumerate(raw)
    ]
    seen = NamesRead([m["name"] for m in stored if isinstance(m.get("name"), str)])
    unnamed = False
    for i, name in enumerate(m["name"] for m in out):
        earlier = seen.repeats(name) if isinstance(name, str) else ("" if unnamed else None)
        if earlier is not None:
            again = apart(name, earlier) if isinstance(name, str) else ""
            raise RuleError(
                f"'{field}[{i}].name': metric {json_shown(name)} is defined twice{again}.",
                f"{field}[{i}].name",
            )
        if isinstance(name, str):
            seen.add(name)
        unnamed = unnamed or name is None
    _check_strategies(out, field)
    return out


def _metric(item: Any, field: str, named: bool, kept: Collection[str]) -> dict[str, Any]:
    if isinstance(item, str):
        item = {"name": item}
    if not isinstance(item, Mapping):
        raise RuleError(f"'{field}' must be an object, not {kind(item)}.", field, 400)
    known_fields(item, METRIC_FIELDS, field, "metric")
    name = name_text(item.get("name"), f"{field}.name", required=named, kept=kept)
    # None alone is "not given": 0, false, "" were taken for maximize (optimize) before
    objective = item.get("objective")
    objective = "maximize" if objective is None else objective
    if objective not in OBJECTIVES:
        raise RuleError(
            f"'{field}.objective' must be maximize or minimize, not {json_shown(objective)}.",
            f"{field}.objective",
        )
    strategy = item.get("strategy")
    strategy = "optimize" if strategy is None else strategy
    if strategy not in STRATEGIES:
        raise RuleError(
            f"'{field}.strategy' must be one of {', '.join(STRATEGIES)}, not "
            f"{json_shown(strategy)}.",
            f"{field}.strategy",
        )
    threshold = item.get("threshold")
    if threshold is not None:
        threshold = number(threshold, f"{field}.threshold")
    return {"name": name, "objective": objective, "strategy": strategy, "threshold": threshold}


def _check_strategies(out: Sequence[Mapping[str, Any]], field: str) -> None:
    optimized = [i for i, m in enumerate(out) if m["strategy"] == "optimize"]
    if not optimized and not any(m["strategy"] == "constraint" for m in out):
        raise RuleError(
            f"'{field}' needs at least one metric with strategy 'optimize' or 'constraint'.",
            field,
        )
    if len(optimized) > MAX_OPTIMIZED:
        raise RuleError(
            f"'{field}' has {len(optimized)} metrics with strategy 'optimize'; at most "
            f"{MAX_OPTIMIZED} (store the others with strategy 'store').",
            field,
        )
    for i, m in enumerate(out):
        where = f"{field}[{i}].threshold" if field == "metrics" else f"{field}.threshold"
        if m["strategy"] == "constraint" and m["threshold"] is None:
            raise RuleError(
                f"'{where}' is required: constraint metric {json_shown(m['name'])} is feasible on "
                "one side of its threshold.",
                where,
            )
        if m["strategy"] == "store" and m["threshold"] is not None:
            raise RuleError(
                f"'{where}': stored metric {json_shown(m['name'])} is only recorded; a threshold "
                "applies to optimized and constraint metrics.",
                where,
            )
        if m["strategy"] == "optimize" and m["threshold"] is not None and len(optimized) < 2:
            raise RuleError(
                f"'{where}': a threshold on an optimized metric needs a second optimized "
                "metric; to require a value, make it a metric with strategy 'constraint'.",
                where,
            )


def optimized(metric_list: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The metrics with strategy ``optimize``, in order."""
    return [m for m in metric_list if m["strategy"] == "optimize"]


def lead(metric_list: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The metric that ranks observations: the first optimized one, else (an all-constraint
    search) the first constraint metric; never a stored one, which is only recorded."""
    for strategy in ("optimize", "constraint"):
        for m in metric_list:
            if m["strategy"] == strategy:
                return m
    raise ValueError("an experiment has an optimized or a constraint metric")


def orientation(metric: Mapping[str, Any]) -> float:
    """+1 when larger is better for ``metric``, -1 when smaller is."""
    return 1.0 if metric["objective"] == "maximize" else -1.0


def within_threshold(metric: Mapping[str, Any], value: float) -> bool:
    """Whether ``value`` is on the feasible side of the metric's threshold (if any)."""
    threshold = metric.get("threshold")
    if threshold is None or metric["strategy"] == "store":
        return True
    return orientation(metric) * (value - threshold) >= 0

"""``progress`` of an experiment sent back in an update (pure).

``progress`` moves without the client that fetched the experiment: each observation
reported (by it or by another client) moves a v1 experiment's counts and its first,
last and best observations, each run an AI experiment's run counts. A fetched
experiment sent back after that carries a stale ``progress``, which the update takes
as an echo whatever its values, as it takes ``updated``; what has not progress's shape
at all (``"x"``, a list, an object with another field or a count as a string) is a 400
naming ``progress``, since it would be dropped unseen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .sigopt_checks import (
    RuleError,
    is_count,
    is_finite_number,
    json_shown,
    key_path,
    kind,
    same_value,
)


def _observation(value: Any) -> bool:
    return value is None or (isinstance(value, Mapping) and value.get("object") == "observation")


#: each field a rendered ``progress`` may have (a v1 experiment's, an AI experiment's),
#: what it holds as words, and the test of its type
FIELD_TYPES: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "object": ('"progress"', lambda v: v == "progress"),
    "observation_count": ("a whole number of at least 0", is_count),
    "observation_budget_consumed": ("a number", is_finite_number),
    "first_observation": ("an observation object or null", _observation),
    "last_observation": ("an observation object or null", _observation),
    "best_observation": ("an observation object or null", _observation),
    "active_run_count": ("a whole number of at least 0", is_count),
    "finished_run_count": ("a whole number of at least 0", is_count),
    "total_run_count": ("a whole number of at least 0", is_count),
    "remaining_budget": ("a number or null", lambda v: v is None or is_finite_number(v)),
}


def check_progress(sent: Any, shown: Mapping[str, Any], what: str) -> None:
    """``progress`` sent back: null, or an object with the fields ``shown`` (the
    experiment's progress now) has, each of its type, whatever its values (a fetched
    experiment's, stale once observations or runs were reported); a 400 naming
    ``progress`` otherwise."""
    if sent is None:
        return
    fields = ", ".join(shown)
    advice = (
        f"send it as the {what} renders it (an object with fields {fields}), or null, or "
        "leave it out"
    )
    if not isinstance(sent, Mapping):
        raise _refused(f"it must be an object, not {kind(sent)}; {advice}.")
    if sent.keys() != shown.keys():
        missing = [k for k in shown if k not in sent]
        extra = [key_path("", k) for k in sent if k not in shown]
        said = f"it has no '{missing[0]}'" if missing else f"'{extra[0]}' is not a field of it"
        raise _refused(f"{said}; {advice}.")
    for key, value in sent.items():
        if key not in FIELD_TYPES:  # a field of no known type: held to what it shows
            fits, words = same_value(value, shown[key]), json_shown(shown[key])
        else:
            words, test = FIELD_TYPES[key]
            fits = test(value)
        if not fits:
            raise _refused(f"its '{key}' is {words}, not {json_shown(value)}; {advice}.")


def _refused(reason: str) -> RuleError:
    return RuleError(
        "'progress' is set by the service (it moves as observations or runs are "
        f"reported): {reason}",
        "progress",
        400,
    )

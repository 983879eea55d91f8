"""SigOpt's older calling shapes on this client, as the SigOpt README writes them.

``conn.experiments.create(client_id=..., data={...}).experiment``,
``conn.experiments(id).suggest().suggestion`` and
``conn.experiments(id).report(data={"assignments": ..., "value": ...})``: a body
given as ``data=`` (merged with any keyword fields, which win), and the
answer's ``.experiment`` / ``.suggestion`` / ``.observation`` being the object
itself. ``client_id`` files the experiment under that client (it must be the
caller's: ``conn.token_info().client``).

``interface.py`` names these in its table; nothing here knows the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import _constants as C
from .handlers import id_of

if TYPE_CHECKING:
    from .models import Experiment, Observation, Suggestion
    from .resources import Call


def _body(data: Mapping[str, Any] | None, fields: Mapping[str, Any]) -> dict[str, Any]:
    if data is not None and not isinstance(data, Mapping):
        raise TypeError(f"data= must be a mapping of fields, not {type(data).__name__}")
    return {**(data or {}), **fields}


def create_experiment(
    call: Call,
    *,
    client_id: str | int | None = None,
    data: Mapping[str, Any] | None = None,
    **fields: Any,
) -> Experiment:
    """Create an experiment (name=, parameters=, metrics=, observation_budget=, ...,
    or the same fields in data=); client_id= files it under that client."""
    from .models import Experiment

    path = call.path
    if client_id is not None:
        path = f"{C.API_PREFIX}/clients/{id_of(client_id)}/experiments"
    return Experiment.from_dict(call.request("POST", path, json=_body(data, fields)))


def suggest(call: Call, *, data: Mapping[str, Any] | None = None, **fields: Any) -> Suggestion:
    """A new suggestion (shorthand of suggestions.create; metadata= or data=)."""
    from .models import Suggestion

    path = f"{call.path}/suggestions"
    return Suggestion.from_dict(call.request("POST", path, json=_body(data, fields)))


def report(call: Call, *, data: Mapping[str, Any] | None = None, **fields: Any) -> Observation:
    """Report an observation (suggestion= or assignments=, value= or values=, failed=;
    or the same fields in data=), shorthand of observations.create."""
    from .models import Observation

    body = _body(data, fields)  # values as given: the service reads them as SigOpt does
    if body.get("suggestion") is not None:
        body["suggestion"] = id_of(body["suggestion"])
    path = f"{call.path}/observations"
    return Observation.from_dict(call.request("POST", path, json=body))

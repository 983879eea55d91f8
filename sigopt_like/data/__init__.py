"""Sample spaces shipped with the package, and the space templates the service lists.

``templates.json`` holds ``defaults`` (population size, replicates and, for
mixtures, total units of a new space of each type) and ``templates`` (named
spaces, given inline as ``space`` or as a ``csv`` file of this folder).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from sigopt_like.spaces import Space

TEMPLATES_FILE = "templates.json"


def read_data_text(name: str) -> str:
    """The text of the packaged data file ``name`` (e.g. ``formulation-screen.csv``)."""
    return (resources.files(__name__) / name).read_text(encoding="utf-8")


def _document() -> dict[str, Any]:
    return json.loads(read_data_text(TEMPLATES_FILE))


def template_defaults() -> dict[str, dict[str, Any]]:
    """Defaults of a new space per type: ``{"factorial": {...}, "mixture": {...}}``."""
    return _document()["defaults"]


def _template_space(entry: dict[str, Any]) -> Space:
    if "space" in entry:
        return Space.from_dict(entry["space"])
    return Space.from_csv(
        read_data_text(entry["csv"]), type=entry["type"], total_units=entry.get("total_units")
    )


def load_templates() -> list[dict[str, Any]]:
    """Every template in the contract's shape.

    ``{"object": "space_template", "name", "description", "space", "population_size",
    "replicates"}``, with ``space`` in ``Space.to_dict()`` form.
    """
    return [
        {
            "object": "space_template",
            "name": entry["name"],
            "description": entry["description"],
            "space": _template_space(entry).to_dict(),
            "population_size": entry["population_size"],
            "replicates": entry["replicates"],
        }
        for entry in _document()["templates"]
    ]


def sample_space(name: str) -> Space:
    """The template space called ``name`` (KeyError listing the names if there is none)."""
    entries = {entry["name"]: entry for entry in _document()["templates"]}
    if name not in entries:
        raise KeyError(f"no sample space {name!r}; there are: {', '.join(entries)}")
    return _template_space(entries[name])

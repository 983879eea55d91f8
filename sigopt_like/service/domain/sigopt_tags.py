"""SigOpt's tags: what a tag's create takes, as SigOpt's ``ClientsTagsCreateHandler``
reads it (``name`` and ``color``, both required, nothing else)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .sigopt_checks import RuleError, json_shown, known_fields, name_characters

#: SigOpt's ``Tag.NAME_MAX_LENGTH``
NAME_MAX_LENGTH = 100
TAG_FIELDS = ("name", "color")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def tag_create(body: Mapping[str, Any]) -> tuple[str, str]:
    """The new tag's ``(name, color)``: the name without its leading and trailing spaces,
    the colour as SigOpt renders it (``#RRGGBB``, upper case). A missing or mistyped
    field is a 400, a value SigOpt refuses a 422."""
    known_fields(body, TAG_FIELDS, "", "tag")
    for field in TAG_FIELDS:
        if body.get(field) is None:
            raise RuleError(
                f"'{field}' is required: a tag is a name and a color (\"#RRGGBB\").",
                field,
                400,
            )
        if not isinstance(body[field], str):
            raise RuleError(f"'{field}' must be a string.", field, 400)
    name, color = body["name"], body["color"]
    if not name.strip():
        raise RuleError("'name' cannot be empty.", "name")
    if len(name) > NAME_MAX_LENGTH:
        raise RuleError(f"'name' is longer than {NAME_MAX_LENGTH} characters.", "name")
    name_characters(name, "name")  # before: C0 only; DEL, C1 and invisible ones were taken
    if not _COLOR.fullmatch(color):
        raise RuleError(
            f'\'color\' must be a hex color "#RRGGBB" (such as "#1F77B4"), not '
            f"{json_shown(color)}.",
            "color",
        )
    return name.strip(), color.upper()

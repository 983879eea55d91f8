"""SigOpt's project notes: what a note's create takes, as SigOpt's
``ClientsProjectsNotesCreateHandler`` reads it (``contents``, required, nothing else)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .sigopt_checks import RuleError, known_fields

#: SigOpt's ``NOTE_MAX_LENGTH`` (characters)
NOTE_MAX_LENGTH = 1024 * 1024
NOTE_FIELDS = ("contents",)


def note_contents(body: Mapping[str, Any]) -> str:
    """The new note's text: a missing or mistyped ``contents`` is a 400, a longer one
    than SigOpt keeps a 422."""
    known_fields(body, NOTE_FIELDS, "", "project_note")
    contents = body.get("contents")
    if contents is None:
        raise RuleError("'contents' is required: the note's text.", "contents", 400)
    if not isinstance(contents, str):
        raise RuleError("'contents' must be a string.", "contents", 400)
    if len(contents) > NOTE_MAX_LENGTH:
        raise RuleError(
            f"'contents' is longer than {NOTE_MAX_LENGTH} characters, which SigOpt keeps.",
            "contents",
        )
    return contents

"""One rule for the characters of a name, in both APIs: a Daptics session's name and tag,
and a SigOpt experiment's, project's, run's, file's, tag's, metric's, parameter's,
categorical value's and metadata key's.

A name is one line of text that a person reads and searches for: a control character (C0,
DEL or C1: a line break, a tab, ``\\x1b[2J`` clearing a terminal) is refused, and so are
Unicode's line and paragraph separators (U+2028, U+2029), which break a line as well; so
is, in a session's name and tag, an invisible format character (a zero-width space, a direction
mark), the joiners of emoji and scripts (``👩‍🔬``) kept. Every other character is taken:
letters of any script, spaces, punctuation, symbols.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from types import MappingProxyType

from ...json_kinds import json_written

#: zero-width non-joiner and joiner: parts of Persian or Hindi words, and of emoji (👩‍🔬)
JOINERS = frozenset("\u200c\u200d")
#: what each character category that breaks a line is called in a refusal: the control
#: characters (C0, DEL, C1: ``\n``, ``\x85``) and Unicode's line and paragraph
#: separators (U+2028, U+2029), which editors, browsers and JSON readers break lines at
LINE_BREAKERS: Mapping[str, str] = MappingProxyType(
    {"Cc": "a control character", "Zl": "a line break", "Zp": "a line break"}
)


def label_problem(
    text: str, subject: str, noun: str, *, invisible: bool = True, aside: str = ""
) -> tuple[str, str] | None:
    """``(message, problem)`` for the first character of ``text`` a name may not hold,
    else None. ``subject`` begins the message ("The session name", "'metrics[0].name'"),
    ``noun`` names what another such text would be ("session name", "name").
    ``invisible=False`` takes the format characters: SigOpt's names, whose dashboard
    sets a right-to-left override apart (``<bdi>``), keep taking them for now. ``aside``
    ends the control character's sentence (where the text may go instead)."""
    for i, char in enumerate(text):
        category = unicodedata.category(char)
        # before: "a\nb" was a name, broken across list and CSV lines; and "a\u2028b" still
        # was (its category is Zl, not Cc), shown on two lines by the dashboard and editors
        breaker = LINE_BREAKERS.get(category)
        if breaker is not None:
            return (
                f"{subject} holds {breaker} ({json_written(char)} at character {i + 1}); it "
                "is one line of text: leave out line breaks, tabs and control characters"
                f"{aside}.",
                "control character",
            )
        # a format character shows as nothing, or turns the text around (U+202E): before,
        # "catalyst\u200b-screen" was a second session looking like "catalyst-screen",
        # which a search for that name did not find
        if invisible and category == "Cf" and char not in JOINERS:
            return (
                f"{subject} holds the invisible character U+{ord(char):04X} at character "
                f"{i + 1} (a zero-width space, a direction mark, ...): it would look like "
                f"another {noun} and not be found by a search; type it again without it.",
                "invisible character",
            )
    return None

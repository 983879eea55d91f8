"""How a command quotes a value typed on its command line in a refusal."""

from __future__ import annotations

#: the most of a refused value shown (a 10 MB argument is not printed back whole)
SHOWN_CHARACTERS = 40


def typed(value: str) -> str:
    """``value`` as a refusal quotes it: its repr (a NUL, a line break or a lone surrogate
    escaped), cut short past :data:`SHOWN_CHARACTERS`, its length said after the quote.
    Before, a refusal of a 100,000-character ``--host``, session id or file name quoted
    it whole."""
    if len(value) <= SHOWN_CHARACTERS:
        return repr(value)
    return f"{value[:SHOWN_CHARACTERS]!r}... ({len(value):,} characters)"

"""Names that read the same: one text written with other code points.

``é`` is one code point (composed, NFC) as most keyboards type it, or ``e`` and a
combining accent (decomposed) as some systems export it. A person cannot tell the two
apart, so two names of one experiment that differ only so are the same name twice, and
a name sent in the other form is named as that, not as a name the experiment lacks.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

#: what a message adds when a name is written in another form than the one it matches
OTHER_FORM = (
    " (written with other code points: an accent composed in one and combining in the "
    "other, the same text to a reader)"
)


def same_text(text: str) -> str:
    """``text`` in Unicode's composed form (NFC): the key two names that read the same
    share."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def apart(text: str, earlier: str) -> str:
    """:data:`OTHER_FORM` when ``text`` matches ``earlier`` only in its composed form."""
    return OTHER_FORM if text != earlier else ""


def reads_as(text: str, names: Iterable[str]) -> str | None:
    """The one of ``names`` that ``text`` reads as when written in another form, else
    None."""
    key = same_text(text)
    return next((name for name in names if name != text and same_text(name) == key), None)

"""Names that read the same: one text written with other code points.

``é`` is one code point (composed, NFC) as most keyboards type it, or ``e`` and a
combining accent (decomposed) as some systems export it. A person cannot tell the two
apart, so two names of one experiment that differ only so are the same name twice, and
a name sent in the other form is named as that, not as a name the experiment lacks.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from ...csvio import nfc

#: what a message adds when a name is written in another form than the one it matches
OTHER_FORM = (
    " (written with other code points: an accent composed in one and combining in the "
    "other, the same text to a reader)"
)


def apart(text: str, earlier: str) -> str:
    """:data:`OTHER_FORM` when ``text`` matches ``earlier`` only in its composed form."""
    return OTHER_FORM if text != earlier else ""


def reads_as(text: str, names: Iterable[str]) -> str | None:
    """The one of ``names`` that ``text`` reads as when written in another form, else
    None."""
    key = nfc(text)
    return next((name for name in names if name != text and nfc(name) == key), None)


class NamesRead:
    """The names of one list so far, by how they read: which earlier one a name repeats.

    ``stored`` are the names the experiment already has as they are: two of them that
    read the same were taken before such names were refused, and an update that sends
    them back keeps them (refusing them would freeze the experiment's definition for
    good); a new name that reads as any other is refused, as in a create."""

    def __init__(self, stored: Collection[str] = ()) -> None:
        self._stored = stored
        self._by_reading: dict[str, list[str]] = {}

    def repeats(self, text: str) -> str | None:
        """The earlier name ``text`` is the same name as, else None."""
        for earlier in self._by_reading.get(nfc(text), ()):
            if earlier == text or text not in self._stored or earlier not in self._stored:
                return earlier
        return None

    def add(self, text: str) -> None:
        self._by_reading.setdefault(nfc(text), []).append(text)

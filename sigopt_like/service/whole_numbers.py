"""A whole-number field's range and the one sentence that refuses a number past it.

Every route says it the same way, whether the field is a campaign's (``http.field``,
``http.query_int``) or SigOpt's (``domain.sigopt_checks.whole_number``): "The field
'ngens' is 101, outside its range: it takes a whole number from 1 to 100." The number is
named as sent: a float in its own form (``1e+308``), an integer in digits, a long one by
its first digits and its length, an integer the door read as a double (a
:class:`~.wide_integers.WideInteger`) as it was written. Pure: no HTTP, no database.
"""

from __future__ import annotations

from .._constants import INT64_MAX, INT64_MIN
from .._constants import MOST_DIGITS as MOST_DIGITS  # past every range: named by its length
from ..csvio import clip_int
from ..csvio import digits_shown as digits_shown  # re-exported: its old home
from .wide_integers import WideInteger

#: a whole-number field's range, (least, most)
WholeRange = tuple[int, int]
#: the range of a whole-number field that names none: what the store holds (64 bits)
STORED_WHOLE: WholeRange = (INT64_MIN, INT64_MAX)


def outside_sentence(subject: str, shown: str, within: WholeRange) -> str:
    """``"<subject> is <shown>, outside its range: it takes a whole number from a to b."``"""
    least, most = within
    return (
        f"{subject} is {shown}, outside its range: it takes a whole number from {least} to {most}."
    )


def whole_shown(value: int | float) -> str:
    """A number as sent: a WideInteger as written, a float in its own form (``1e+308``),
    an integer in digits (a long one by its first digits and its length)."""
    if isinstance(value, WideInteger):
        return digits_shown(value.written)
    return repr(value) if isinstance(value, float) else clip_int(value)

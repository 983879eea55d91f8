"""A JSON integer past 64 bits on SigOpt's routes: read as the double it denotes; and
on every route, one of more digits than Python converts.

SigOpt reads every JSON number as a double, so sigopt-python's
``observations().create(value=2**70)`` (a Python int, sent as the JSON integer
``1180591620717411303424``) is the value ``1.1805916207174113e+21`` there. On a route
whose resource says ``numbers_as_doubles`` (every SigOpt route), the door reads such an
integer with :func:`read_integer`: a :class:`WideInteger`, the nearest double, which a
field that takes any number (a value, a ``value_stddev``, a double's bound or
assignment, a metadata number) takes as that float. A whole-number field (a budget, an
int parameter's bound, an id) refuses it with a 422 naming the field and the range it
takes, the integer quoted as written (``sigopt_checks.whole_number``); a value of an int
parameter (an assignment, a ``default_value``) with a 422 too, as any other number past the
parameter's bounds.

On the other routes an integer is read exactly (:func:`read_exact_integer`), except one
of more digits than Python converts to an int (``sys.get_int_max_str_digits()``, 4,300):
json's own reading of it raised a ValueError with Python's wording, and no field named.
It is a :class:`WideInteger` there too, which the door refuses naming its field, or leaves
to the field's own check (``http.field``), which gives the field's range.
"""

from __future__ import annotations

import sys

from sigopt_like._constants import INT64_MAX, INT64_MIN

#: a JSON integer of at most this many digits is read exactly first (2**63 has 19)
_INT64_DIGITS = 19


class WideInteger(float):
    """The double nearest a JSON integer past signed 64 bits (on a SigOpt route) or past
    Python's digit limit (on any route); ``written`` is the integer as the body wrote it
    (a whole-number field quotes it when refusing it)."""

    written: str

    def __new__(cls, written: str) -> WideInteger:
        made = super().__new__(cls, written)
        made.written = written
        return made


def read_integer(text: str) -> int | WideInteger:
    """A JSON integer literal (``json.loads``'s ``parse_int``) as SigOpt reads it: an int
    within signed 64 bits, else the double nearest it (a :class:`WideInteger`), infinite
    past a double's range (about 1.8e308), which the door refuses naming the field (or,
    at the top of a body, leaves to the field's check). A literal of thousands of digits
    is never converted to an int (Python limits that), only to its double."""
    digits = len(text) - text.startswith("-")
    if digits <= _INT64_DIGITS:
        exact = int(text)
        if INT64_MIN <= exact <= INT64_MAX:
            return exact
    return WideInteger(text)


def read_exact_integer(text: str) -> int | WideInteger:
    """A JSON integer literal (``json.loads``'s ``parse_int``) read exactly, as the
    routes that are not SigOpt's read it; one of more digits than Python converts
    (4,300) as a :class:`WideInteger`, which no field takes (see the module)."""
    if len(text) - text.startswith("-") > sys.get_int_max_str_digits() > 0:
        return WideInteger(text)
    return int(text)

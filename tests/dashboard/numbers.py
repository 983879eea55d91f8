"""The dashboard's rules for writing a number (static/format.js), restated in Python.

A test that compares a page's number with Python's own format (``f"{v:.4g}"``) breaks as
soon as the value leaves the range where the two agree ("1.235e+04" against "12350"); a
test compares with these instead. test_scripts.py checks them against the served
functions themselves, on values of every size.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal


def _rounded(value: float, digits: int) -> tuple[Decimal, int]:
    """``value`` to ``digits`` significant digits, rounded as JavaScript's toPrecision and
    toExponential round (the exact binary value, a tie away from zero), and the power of
    ten of its first digit. (quantize, not scaleb: scaleb rounds to the context's 28 digits
    first, and a value of more digits would be rounded twice.)"""
    exact = Decimal(value)
    power = exact.adjusted()
    rounded = exact.quantize(Decimal(1).scaleb(power - digits + 1), rounding=ROUND_HALF_UP)
    if rounded.adjusted() > power:  # 9.9996 to 4 digits is 10.00: one power of ten more
        power += 1
        rounded = exact.quantize(Decimal(1).scaleb(power - digits + 1), rounding=ROUND_HALF_UP)
    return rounded, power


def shown_number(value: float | None, digits: int = 4) -> str:
    """What format.js num(value, digits) writes: an integer under a million whole, a value
    of a million or more, or under 0.001, in exponent notation ("1.235e+4", "2.5e-7"),
    any other to ``digits`` significant digits ("0.1235", "12350"); "—" when missing."""
    if value is None or math.isnan(value):
        return "—"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    magnitude = abs(value)
    if float(value).is_integer() and magnitude < 1e6:
        return str(int(value))
    rounded, power = _rounded(value, digits)
    if magnitude >= 1e6 or magnitude < 1e-3:
        text = f"{rounded.scaleb(-power)}e{'+' if power >= 0 else '-'}{abs(power)}"
        return re.sub(r"\.?0+(?=e)", "", text, count=1)
    # the rounded value as JavaScript's String(Number(...)) writes it: the shortest digits
    # that read back the same number, never in exponent notation in this range
    text = repr(float(rounded))
    return text.removesuffix(".0")


def grouped(text: str) -> str:
    """What format.js grouped(text) writes: a number's digits before its point grouped by
    thousands ("12,500"); a number in exponent notation as it is."""
    return re.sub(r"^(-?)(\d{4,})", lambda m: m[1] + f"{int(m[2]):,}", text)


def tick_text(value: float) -> str:
    """What plots.js tickText(value) writes: 3 significant digits, grouped by thousands."""
    return grouped(shown_number(value, 3))

"""A table made ready to send: what JSON or the service cannot hold is named by row and
column (``sigopt_like.table_wire``), and a wide integer becomes the float a CSV gives."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from sigopt_like.table_wire import sendable
from sigopt_like.tables import Table, TableError


def _where(table: Table) -> list[tuple[int | None, str | None]]:
    with pytest.raises(TableError) as caught:
        sendable(table)
    return [(p.row, p.column) for p in caught.value.problems]


def test_non_finite_numbers_are_named_by_row_and_column() -> None:
    """NaN outside the Response column and infinities anywhere; a NaN response is None
    already (not measured), so nothing to name."""
    table = Table(
        columns=["t", "c", "Response"],
        rows=[(0.5, "Pd", math.nan), (math.nan, "Pt", 1.0), (-math.inf, "Pt", math.inf)],
    )
    assert table.rows[0] == (0.5, "Pd", None)
    with pytest.raises(TableError) as caught:
        sendable(table)
    problems = caught.value.problems
    assert [(p.row, p.column) for p in problems] == [(3, "t"), (4, "t"), (4, "Response")]
    assert "NaN means not measured only in the Response column" in problems[0].message
    assert "the value is -inf" in problems[1].message
    assert "response inf is not a finite number" in problems[2].message


def test_text_json_or_the_store_cannot_hold_is_named() -> None:
    """Before: "the field 'table.rows[0][1]' contains a NUL character" from the service,
    a JSON path and not the row and column a person sees."""
    table = Table(columns=["t", "c", "Response"], rows=[(0.5, "P\x00d", 1), (1, "x\ud800", 2)])
    assert _where(table) == [(2, "c"), (3, "c")]
    assert _where(Table(columns=["t", "c\udc00", "Response"], rows=[])) == [(1, "B")]
    # a cell under such a name is named by the column's letter: the name cannot be shown
    assert _where(Table(columns=["t", "c\x00", "Response"], rows=[(1, "a\x00", 2)])) == [
        (1, "B"),
        (2, "B"),
    ]
    with pytest.raises(TableError, match=r"row 3, column c: the cell holds a lone UTF-16 "):
        sendable(table)


def test_a_list_in_a_cell_is_named_not_a_recursion_error() -> None:
    """Before: a cell nested 5,000 lists deep was a RecursionError from the encoder."""
    deep: object = "x"
    for _ in range(5000):
        deep = [deep]
    table = Table(columns=["t", "c", "Response"], rows=[(0.5, deep, 1), (1, {"v": 1}, 2)])
    with pytest.raises(TableError) as caught:
        sendable(table)
    assert [(p.row, p.column) for p in caught.value.problems] == [(2, "c"), (3, "c")]
    assert "the cell holds a list; a cell holds one value" in caught.value.problems[0].message
    assert "the cell holds a dict" in caught.value.problems[1].message


def test_wide_integers_are_sent_as_a_csv_sends_them() -> None:
    """Before: a count of 2**70 was refused by the service as "beyond the integers this
    service stores", where the same number in a CSV file is read as a float; then it was
    sent as that float, which the service quoted as 1.1805916207174113e+21. Now as its
    digits, as a CSV cell typed so is sent."""
    table = Table(columns=["t", "Response"], rows=[(2**70, -(2**70) + 0.0), (10**400, 3)])
    with pytest.raises(TableError, match=r"row 3, column t: 1000000.*beyond the numbers"):
        sendable(table)
    ready = sendable(Table(columns=["t", "Response"], rows=[(2**70, -(2**70) + 0.0), (3, True)]))
    assert ready.rows == ((str(2**70), -float(2**70)), (3, True))
    assert [type(v) for v in ready.rows[0] + ready.rows[1]] == [str, float, int, bool]
    # read from CSV: a parameter's cell is sent as typed (the service reads it as the same
    # number, and quotes it so), a response written as a decimal as the float it is
    read = sendable(Table.from_csv(f"t,Response\n{2**70},{float(2**70)!r}\n"))
    assert read.rows == ((str(2**70), float(2**70)),)
    plain = Table(columns=["t", "Response"], rows=[(1, Decimal("1.5"))])
    # named by its cell (before: left to the encoder, whose TypeError named 'table.rows.0.1')
    with pytest.raises(TableError, match=r"row 2, column Response: the cell holds a Decimal, "):
        sendable(plain)


def test_a_whole_number_response_is_left_to_the_service_never_turned_into_a_float() -> None:
    """What a response may be is the service's rule alone (tests/client/test_wide_responses.py
    asks it): the client sends a whole-number response as it was written, within 64 bits as
    the int, past them (which the door takes as no integer) as its digits, as text, and a
    CSV cell typed so as the text typed. Before, the client refused a whole-number response
    past 2**53 itself, a second copy of the service's rule; and before that, it sent 2**70
    as the float equal to it, which came back as ``1.1805916207174113e+21``."""
    np = pytest.importorskip("numpy")
    for within in (2**53 + 2, -(2**60), 2**63 - 1, np.int64(2**60)):
        table = Table(columns=["t", "Response"], rows=[(1, 2.5), (2, within)])
        assert sendable(table) is table
    wide = Table(columns=["t", "Response"], rows=[(1, 2**70), (2, -(2**64)), (3, 10**400)])
    assert sendable(wide).rows == ((1, str(2**70)), (2, str(-(2**64))), (3, str(10**400)))
    typed = sendable(Table.from_csv(f"t,Response\n1,{2**70}\n"))
    assert typed.rows == ((1, str(2**70)),)
    fine = Table(columns=["t", "Response"], rows=[(1, 2**53), (2, -(2**53)), (3, float(2**70))])
    assert sendable(fine) is fine
    # and a float past 2**53 is written in a float's form, so that it reads back as one
    assert Table.from_csv(fine.to_csv()).rows == fine.rows
    assert fine.to_csv().splitlines()[3] == "3,1.1805916207174113e+21"
    assert Table(columns=["Response"], rows=[(2.0**53 + 2,)]).to_csv() == (
        "Response\n9007199254740994.0\n"
    )

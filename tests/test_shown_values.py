"""A refusal quotes what a Python caller gave, whatever it is, in a few dozen characters.

Before, an int of more digits than Python writes (``10**5000``) made the refusal raise
Python's own "Exceeds the limit (4300 digits) for integer string conversion" ValueError
(``json_kinds.json_shown``, ``spaces.shown_count``, ``Space.validate``, ``Space.size``),
a list holding itself "Circular reference detected", an object whose ``__str__`` raises
that error; and a long text was cut after its opening quote with no closing one.
"""

from __future__ import annotations

import sys

import pytest

from sigopt_like import csvio, json_kinds, spaces, tables
from sigopt_like.spaces import MixtureComponent, Space

#: ``10**5000`` as every message shows it: its first 20 digits and how many it has, the
#: form the service gives one sent in a body (it was ``1000...0000 (5,001 characters)``)
HUGE = "1" + "0" * 19 + "... (a number of 5,001 digits)"


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("this object will not be written")


def test_clip_int_shows_the_start_of_an_int_python_will_not_write() -> None:
    assert csvio.clip_int(10**5000) == HUGE
    assert csvio.clip_int(-(10**5000)) == "-1" + "0" * 18 + "... (a number of 5,001 digits)"
    assert csvio.clip_int(12345) == "12345"
    assert csvio.clip_int(10**39) == "1" + "0" * 39  # 40 digits (MOST_DIGITS): whole


@pytest.mark.parametrize(
    "value",
    [10**5000 - 1, -(3**20000), 7 * 10**4300 + 123456789],
    ids=["nines", "negative power of 3", "4,301 digits"],
)
def test_clip_int_is_the_digits_shown(value: int) -> None:
    """The same form ``csvio.digits_shown`` gives of the digits, were Python to write them
    (the one the service gives an integer sent in a body)."""
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        digits = str(value)
    finally:
        sys.set_int_max_str_digits(limit)
    assert csvio.clip_int(value) == csvio.digits_shown(digits)


def test_json_shown_quotes_what_json_dumps_refuses() -> None:
    assert json_kinds.json_shown(10**5000) == HUGE
    assert json_kinds.json_shown([1, 10**5000]) == f"[1, {HUGE}]"
    assert json_kinds.json_written({"a": 10**5000}) == f'{{"a": {HUGE}}}'
    itself: list[object] = [1]
    itself.append(itself)
    assert json_kinds.json_shown(itself) == "[1, [...]]"
    assert json_kinds.json_shown(Unprintable()) == '"a Unprintable object"'
    assert json_kinds.json_shown({(1, 2): 3}) == '{"(1, 2)": 3}'


def test_a_long_text_is_cut_between_its_two_quotes() -> None:
    shown = json_kinds.json_shown("a" * 100 + "z" * 100)
    assert shown == '"' + "a" * 48 + "..." + "z" * 10 + '" (200 characters)'
    assert len(shown) <= json_kinds.SHOWN_LIMIT
    # an escape at either end is never cut, and the length is the text's own
    shown = json_kinds.json_shown("\u2028" * 100)
    assert shown.startswith('"\\u2028') and shown.endswith('\\u2028" (100 characters)')
    assert "...\\u2028" in shown and len(shown) <= json_kinds.SHOWN_LIMIT
    listed = json_kinds.json_shown(["x" * 300])
    assert listed == '["' + "x" * 49 + "...] (304 characters of JSON)"
    assert json_kinds.json_shown("short") == '"short"'


def test_shown_count_and_a_space_name_a_huge_total() -> None:
    assert spaces.shown_count(10**5000) == HUGE
    assert spaces.shown_count(2**70) == "1180591620717411303424"
    components = [
        MixtureComponent(name="a", min=0, max=3),
        MixtureComponent(name="b", min=0, max=5),
    ]
    space = Space(type="mixture", total_units=10**5000, parameters=components)
    assert [p.message for p in space.validate()] == [
        f"total_units {HUGE} is too large: the most is 10000; express the components in "
        "coarser units"
    ]
    with pytest.raises(ValueError, match="is too large"):
        space.size()
    space = Space(type="mixture", total_units=-(10**5000), parameters=components)
    assert "not -1" + "0" * 18 + "... (a number of 5,001 digits)" in space.validate()[0].message
    components[0] = MixtureComponent(name="a", min=0, max=10**5000)
    space = Space(type="mixture", total_units=10, parameters=components)
    assert f"maximum {HUGE} of 'a' is above total_units 10" in space.validate()[0].message


def test_a_long_text_quoted_as_python_writes_it_says_its_length_after_the_quotes() -> None:
    """``csvio.clip_repr``, the Daptics tables' and spaces' form of a text cell: before,
    ``repr(clip(text))`` put ``(300 characters)`` inside the quotes, as if it were sent."""
    assert csvio.clip_repr("short") == "'short'"
    assert csvio.clip_repr("a" * 250 + "z" * 50) == (
        "'" + "a" * 40 + "..." + "z" * 10 + "' (300 characters)"
    )
    from sigopt_like.space_wire import unstorable_values

    problems = unstorable_values(
        {"type": "factorial", "parameters": [{"name": "n" * 100, "values": ["a\x00"]}]}
    )
    assert problems[0].message.startswith(
        "parameter 1 ('" + "n" * 40 + "..." + "n" * 10 + "' (100 characters)), level 1:"
    ), problems


#: ``10**100 + 1``, an int Python writes (101 digits) but no message shows whole
LONG = 10**100 + 1
LONG_SHOWN = "1" + "0" * 19 + "... (a number of 101 digits)"


def test_a_long_number_python_writes_has_the_one_form_too() -> None:
    """Before: an int of 41 to 4,300 digits, which Python writes, was still cut as text
    in these messages, ``1000...0001 (101 characters)`` or ``(103 characters of JSON)``,
    where the service and the rest of the client say ``1000... (a number of 101
    digits)``; and a level's float neighbour was printed whole, 101 digits."""
    from sigopt_like.service.settings import ServiceSettings
    from sigopt_like.table_wire import wire_value_problem

    assert json_kinds.json_shown(LONG) == LONG_SHOWN
    assert json_kinds.json_shown(10**40) == "1" + "0" * 19 + "... (a number of 41 digits)"
    assert json_kinds.json_shown(10**39) == "1" + "0" * 39  # 40 digits: whole
    assert json_kinds.json_shown([1, LONG]) == f"[1, {LONG_SHOWN}]"
    assert json_kinds.json_shown("1" * 50) == '"' + "1" * 50 + '"'  # a text is not a number
    cell = wire_value_problem(LONG, "the cell", "table")
    assert cell is not None and cell.startswith(f"{LONG_SHOWN} is beyond the integers"), cell
    level = spaces.inexact_whole(LONG, "a level", "levels")
    assert level is not None and level.startswith(f"{LONG_SHOWN} cannot be a level"), level
    assert "would become 10000000000000000159... (a number of 101 digits);" in level, level
    response = tables.wide_response_problem(LONG)
    assert response is not None and response.startswith(f"{LONG_SHOWN} cannot be"), response
    with pytest.raises(ValueError) as refused:
        ServiceSettings(task_threads=[LONG])
    assert (
        str(refused.value)
        == f"task_threads must be a whole number, not a list holding {LONG_SHOWN}"
    )
    for said in (cell, level, response, str(refused.value)):
        assert "characters" not in said, said


def test_a_long_int_key_is_quoted_as_every_key_is() -> None:
    """Before: a dict key of more than 40 digits was written bare, ``{10000000000000000000...
    (a number of 42 digits): 1}``, which no JSON object writes; a key is text, quoted as
    ``{"5": 1}`` is."""
    import json

    short = "1" + "0" * 19 + "... (a number of 42 digits)"
    written = json_kinds.json_written({10**41: 1, 5: [10**41]})
    assert written == f'{{"{short}": 1, "5": [{short}]}}'
    assert (
        json_kinds.json_written({-(10**5000): 1})
        == '{"-1' + "0" * 18 + '... (a number of 5,001 digits)": 1}'
    )
    assert json.loads(json_kinds.json_written({10**41: 1})) == {short: 1}


def test_a_cut_value_counts_the_json_it_writes_not_its_shortened_text() -> None:
    """Before: the count was of the text with each long int shortened, ``[10**100] * 3``
    "150 characters of JSON" where it writes 309 (and a long int key's likewise)."""
    import json

    value = [10**100] * 3
    assert json_kinds.json_written_short(value, 40).endswith(" (309 characters of JSON)")
    assert len(json.dumps(value)) == 309
    keyed = {10**41: "a" * 60}
    assert json_kinds.json_written_short(keyed, 40).endswith(
        f" ({len(json.dumps(keyed))} characters of JSON)"
    )
    assert json_kinds.json_written_short([-(10**5000)], 40).endswith(" (5,004 characters of JSON)")
    # a list inside itself writes no JSON: the count is of what is shown, and says so
    itself: list[object] = ["x" * 100]
    itself.append(itself)
    written = json_kinds.json_written(itself)
    assert written == '["' + "x" * 100 + '", [...]]'
    assert json_kinds.json_written_short(itself, 40).endswith(
        f" ({len(written)} characters as written here)"
    )

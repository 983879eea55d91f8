"""Arguments users pass: tables in any usual form, spaces, ids."""

from __future__ import annotations

import pandas as pd
import pytest

from sigopt_like import Space, Suggestion, Table
from sigopt_like.handlers import (
    as_table,
    id_of,
    observation_json,
    parse_table,
    space_json,
    table_json,
)

EXPECTED = {"columns": ["p1", "c", "Response"], "rows": [[1, "a", 2.5], [2, "b", None]]}


def test_table_from_every_accepted_form(tmp_path):
    csv = tmp_path / "t.csv"
    csv.write_text("p1,c,Response\n1,a,2.5\n2,b,-\n")
    frame = pd.DataFrame({"p1": [1, 2], "c": ["a", "b"], "Response": [2.5, float("nan")]})
    records = [{"p1": 1, "c": "a", "Response": 2.5}, {"p1": 2, "c": "b", "Response": None}]
    for value in (Table.from_dict(EXPECTED), EXPECTED, csv, str(csv), frame, records):
        assert table_json(value) == EXPECTED, type(value)


def test_list_of_dicts_with_uneven_keys_fills_none():
    table = as_table([{"a": 1}, {"b": 2}])
    assert table.columns == ("a", "b") and table.rows == ((1, None), (None, 2))


def test_other_values_are_refused_with_a_hint():
    with pytest.raises(TypeError, match="list of dicts"):
        table_json(42)
    with pytest.raises(TypeError, match=r"Space\.from_csv"):
        space_json("space.csv")


def test_space_json():
    space = {
        "type": "factorial",
        "parameters": [{"name": "p", "type": "numerical", "values": [0, 1]}],
    }
    assert space_json(Space.from_dict(space)) == Space.from_dict(space).to_dict()
    assert space_json(space) == space


def test_ids_and_batch_observations():
    assert id_of(Suggestion(id="4")) == "4" and id_of("5") == "5"
    assert observation_json({"suggestion": Suggestion(id="4"), "value": 1.0, "failed": None}) == {
        "suggestion": "4",
        "value": 1.0,
    }


def test_parse_table_accepts_wrapped_tables():
    assert parse_table({"object": "experiments", "gen": 1, "table": EXPECTED}).to_dict() == EXPECTED
    assert parse_table(EXPECTED).to_dict() == EXPECTED

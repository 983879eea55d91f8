"""A SigOpt name written with other code points (``é`` composed, or ``e`` and a
combining accent) is named as that, through the client's typed error, nothing stored.

Before: an experiment took two categorical values, two parameters or two metrics that
read the same (``'é'`` and ``'é'``), which no person can tell apart, and an assignment
whose name was written in the other form was refused as "'cé' is not a parameter of this
experiment (parameters: cé)", a message no one could act on."""

from __future__ import annotations

from pathlib import Path

import pytest

import sigopt_like
from sigopt_like.errors import ValidationError

COMPOSED, COMBINING = "\u00e9", "e\u0301"
SAME = "the same text to a reader"
DOUBLE = {"type": "double", "bounds": {"min": 0, "max": 1}}


@pytest.fixture
def conn(tmp_path: Path) -> sigopt_like.Connection:
    return sigopt_like.Connection(database=str(tmp_path / "forms.db"))


@pytest.mark.parametrize(
    ("parameters", "metrics", "said"),
    [
        (
            [{"name": "c", "type": "categorical", "categorical_values": [COMPOSED, COMBINING]}],
            None,
            f"'parameters[0].categorical_values' lists \"{COMBINING}\" twice (",
        ),
        (
            [{"name": COMPOSED, **DOUBLE}, {"name": COMBINING, **DOUBLE}],
            None,
            f"'parameters[1].name': the parameter name \"{COMBINING}\" is used twice (",
        ),
        (
            [{"name": "x", **DOUBLE}],
            [{"name": COMPOSED}, {"name": COMBINING}],
            f"'metrics[1].name': metric \"{COMBINING}\" is defined twice (",
        ),
    ],
    ids=["categorical values", "parameters", "metrics"],
)
def test_two_names_that_read_the_same_are_one_name_twice(
    conn: sigopt_like.Connection, parameters: list, metrics: list | None, said: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        conn.experiments.create(name="forms", parameters=parameters, metrics=metrics)
    assert said in str(refused.value) and SAME in str(refused.value), refused.value
    assert list(conn.experiments.list()) == []
    # one name written alike twice is refused as ever, without the note
    with pytest.raises(ValidationError, match="is used twice; names") as again:
        conn.experiments.create(name="forms", parameters=[{"name": "x", **DOUBLE}] * 2)
    assert SAME not in str(again.value)


def test_an_assignment_written_in_the_other_form_is_named_as_that(
    conn: sigopt_like.Connection,
) -> None:
    name = "c" + COMPOSED
    parameters = [{"name": name, "type": "categorical", "categorical_values": [COMPOSED, "b"]}]
    experiment = conn.experiments.create(name="forms", parameters=parameters)
    observations = conn.experiments(experiment.id).observations()
    with pytest.raises(ValidationError) as refused:
        observations.create(assignments={"c" + COMBINING: COMPOSED}, value=1.0)
    message = str(refused.value)
    assert f'it reads as the parameter "{name}"' in message and SAME in message, message
    with pytest.raises(ValidationError) as refused:
        observations.create(assignments={name: COMBINING}, value=1.0)
    message = str(refused.value)
    assert f'it reads as "{COMPOSED}"' in message and SAME in message, message
    with pytest.raises(ValidationError) as refused:
        conn.experiments(experiment.id).suggestions().create(assignments={name: COMBINING})
    assert SAME in str(refused.value)
    assert list(observations.fetch()) == []
    assert list(conn.experiments(experiment.id).suggestions().fetch()) == []
    # as the experiment lists it: taken
    made = observations.create(assignments={name: COMPOSED}, value=1.0)
    assert made.assignments == {name: COMPOSED}

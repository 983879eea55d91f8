"""A SigOpt refusal quotes the client's name or value as JSON writes it.

Before, about 60 of the SigOpt rules' messages quoted what was sent with Python's repr
(``'yield' is not a metric``, ``parameter 'x'``), while the rest wrote it as a JSON body
does (``"yield"``): single quotes no request writes, ``'\\x00'`` where JSON writes
``"\\u0000"``, and a 300-character name quoted whole. Each rule below is given the same
awkward names (a quote character, a lone surrogate, a NUL, 300 characters) and its
message must hold the JSON form, escaped and cut, and never the repr. The door refuses a
NUL and a lone surrogate in a body before any rule reads it, so the rules are called
directly here; the last tests go through the real service for what the door lets by.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

import sigopt_like
from sigopt_like.errors import APIError
from sigopt_like.service.domain import (
    sigopt_assignments,
    sigopt_checks,
    sigopt_constraints,
    sigopt_metrics,
    sigopt_parameters,
    sigopt_runs,
    sigopt_tags,
    sigopt_tasks,
)
from sigopt_like.service.domain.sigopt_checks import RuleError

#: a 300-character name cut: both quotes around its two ends, then its length (before,
#: ``"nnn...`` with no closing quote, which read as a name ending in three dots)
CUT_300 = '"' + "n" * 48 + "..." + "n" * 10 + '" (300 characters)'

#: (what was sent, how the refusal must write it): double quotes, JSON's escapes, and a
#: long value shown in at most 80 characters of its JSON text, escapes counted
SENT = [
    pytest.param("a'b\"c", '"a\'b\\"c"', id="quote characters"),
    pytest.param("x\ud800", '"x\\ud800"', id="lone surrogate"),
    pytest.param("x\x00y", '"x\\u0000y"', id="NUL"),
    pytest.param("n" * 300, CUT_300, id="300 characters"),
]

DOUBLE = {"name": "x", "type": "double", "bounds": {"min": 0.0, "max": 1.0}}
OTHER = {**DOUBLE, "name": "y"}
CATEGORICAL = {"name": "c", "type": "categorical", "categorical_values": ["a", "b"]}
TASKS = [{"name": "cheap", "cost": 0.1}, {"name": "full", "cost": 1.0}]

#: one rule of each family, given the sent text where a client's name or value goes
RULES: dict[str, Callable[[str], Any]] = {
    "assignment's parameter": lambda sent: sigopt_assignments.assignments([DOUBLE], {sent: 0.5}),
    "categorical value": lambda sent: sigopt_parameters.parameter_value(
        CATEGORICAL, sent, "assignments.c"
    ),
    "parameter type": lambda sent: sigopt_parameters.parameters([{"name": "p", "type": sent}]),
    "constraint's parameter": lambda sent: sigopt_constraints.linear_constraints(
        [
            {
                "type": "less_than",
                "threshold": 1,
                "terms": [{"name": "x", "weight": 1}, {"name": sent, "weight": 1}],
            }
        ],
        [DOUBLE, OTHER],
    ),
    "constraint's type": lambda sent: sigopt_constraints.linear_constraints(
        [
            {
                "type": sent,
                "threshold": 1,
                "terms": [{"name": "x", "weight": 1}, {"name": "y", "weight": 1}],
            }
        ],
        [DOUBLE, OTHER],
    ),
    "metric's strategy": lambda sent: sigopt_metrics.metrics([{"name": "m", "strategy": sent}]),
    "task": lambda sent: sigopt_tasks.task(TASKS, sent),
    "run's state": lambda sent: sigopt_runs.run_update({"state": sent}),
    "tag's color": lambda sent: sigopt_tags.tag_create({"name": "t", "color": sent}),
}


@pytest.mark.parametrize(("sent", "written"), SENT)
@pytest.mark.parametrize("rule", list(RULES))
def test_a_rule_quotes_what_was_sent_as_json_writes_it(rule: str, sent: str, written: str):
    with pytest.raises(RuleError) as refused:
        RULES[rule](sent)
    message = refused.value.message
    if "holds a control character" in message:  # a name's rule quotes the character
        written = '("\\u0000" at character 2)'
    assert written in message, message
    assert repr(sent) not in message and repr(sent)[:40] not in message, message


@pytest.mark.parametrize(("sent", "written"), SENT)
def test_a_metadata_key_is_quoted_as_json_writes_it(sent: str, written: str):
    """Its characters (a NUL) and its length (300) are refused; a quote character and a
    lone surrogate in a key are not the rule's to refuse (the door refuses the second)."""
    if "\x00" not in sent and len(sent) <= sigopt_checks.MAX_METADATA_KEY:
        sigopt_checks.metadata({sent: 1})
        return
    with pytest.raises(RuleError) as refused:
        sigopt_checks.metadata({sent: 1})
    message = refused.value.message
    assert f"'metadata': the key {written}" in message, message
    assert repr(sent)[:12] not in message, message


def test_a_control_character_in_a_name_is_quoted_as_json_writes_it():
    """The character a name may not hold, too: ``"\\u0001"``, not ``'\\x01'``."""
    with pytest.raises(RuleError) as refused:
        sigopt_checks.name_text("a\x01", "name")
    assert '("\\u0001" at character 2)' in refused.value.message, refused.value.message


def test_the_stored_values_a_refusal_lists_are_json_too():
    """The values a categorical parameter or a grid takes, listed as JSON lists."""
    with pytest.raises(RuleError) as refused:
        sigopt_parameters.parameter_value(CATEGORICAL, "z", "assignments.c")
    assert refused.value.message == (
        '\'assignments.c\': "z" is not one of the categorical values ["a", "b"].'
    )


@pytest.fixture
def conn(tmp_path) -> sigopt_like.Connection:
    return sigopt_like.Connection(database=str(tmp_path / "quotes.db"))


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("a'b\"c", id="quote characters"),
        pytest.param("a\u2028b", id="line separator"),
        pytest.param("n" * 300, id="300 characters"),
    ],
)
def test_the_service_answers_with_the_json_form(conn: sigopt_like.Connection, name: str):
    """Through the real service (embedded HTTP), what the door lets by: an observation
    naming a parameter the experiment does not have, and a metric it does not have."""
    experiment = conn.experiments.create(name="quotes", parameters=[DOUBLE])
    observations = conn.experiments(experiment.id).observations()
    shown = sigopt_checks.json_shown(name)
    assert shown == ({"a'b\"c": '"a\'b\\"c"', "a\u2028b": '"a\\u2028b"'}.get(name) or CUT_300)
    with pytest.raises(APIError) as refused:
        observations.create(assignments={"x": 0.5, name: 0.5}, value=1.0)
    message = str(refused.value)
    assert refused.value.status == 422 and f"{shown} is not a parameter" in message, message
    assert repr(name)[:40] not in message, message
    with pytest.raises(APIError) as refused:
        observations.create(assignments={"x": 0.5}, values=[{"name": name, "value": 1.0}])
    message = str(refused.value)
    assert f"{shown} is not a metric of this experiment" in message, message
    assert list(observations.fetch()) == []


def test_an_integer_the_door_read_as_a_double_is_quoted_as_written(api) -> None:
    """An experiment ``type`` of 5,000 digits (which the door reads as a double, infinite)
    was quoted ``not Infinity``, a word the body never held; it is quoted as written, as a
    whole-number field quotes it."""
    digits = "1" * 5_000
    parameters = json.dumps([DOUBLE])
    reply = api.call(
        "POST",
        "/v1/experiments",
        data=f'{{"name": "n", "type": {digits}, "parameters": {parameters}}}',
        headers={"Content-Type": "application/json"},
    )
    assert reply.status == 422, reply.body
    assert reply.body["message"] == (
        "'type' must be one of offline, random, grid, not "
        "11111111111111111111... (a number of 5,000 digits)."
    ), reply.body

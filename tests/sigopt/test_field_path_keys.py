"""A field path in a SigOpt refusal shows a client's key escaped as JSON escapes it.

The refusals quote the client's name as JSON writes it (``"x\\u2028y" is not a
parameter``), but the path that begins them (``'assignments.x'``) quoted the key raw: a
line separator broke the message's line, an ESC or a right-to-left override (U+202E)
reached the terminal of whoever read it. The path keeps its single quotes and ordinary
text; only what would not print is written ``\\uXXXX`` (and a backslash doubled), in the
message and in ``detail.field`` alike. Each case goes through the real service, embedded
and served; nothing is stored.
"""

from __future__ import annotations

from typing import Any

import pytest

from sigopt_like.json_kinds import path_key
from sigopt_like.service.domain import sigopt_runs
from sigopt_like.service.domain.sigopt_checks import RuleError
from tests.sigopt.conftest import Api

#: (a client's key, how a path shows it)
KEYS = [
    pytest.param("x\u2028y", "x\\u2028y", id="line separator"),
    pytest.param("x\x1by", "x\\u001by", id="ESC"),
    pytest.param("\u202eabc", "\\u202eabc", id="right-to-left override"),
]
RAW = ("\u2028", "\x1b", "\u202e")
DOUBLE = {"name": "x", "type": "double", "bounds": {"min": 0, "max": 1}}


def refused(api: Api, path: str, body: Any, status: int) -> str:
    """The message of a refusal, holding none of the raw characters; nothing stored."""
    before = api.snapshot()
    reply = api.post(path, body)
    assert reply.status == status, reply.body
    message = reply.body["message"]
    assert not any(char in message for char in RAW), ascii(message)
    assert not any(char in reply.body["detail"]["field"] for char in RAW), ascii(reply.body)
    assert api.snapshot() == before
    return str(message)


@pytest.mark.parametrize(("key", "shown"), KEYS)
def test_an_assignment_key_no_parameter_has(api: Api, key: str, shown: str):
    experiment = api.create_experiment(parameters=[DOUBLE])
    body = {"assignments": {"x": 0.5, key: 1}, "value": 1.0}
    message = refused(api, f"/v1/experiments/{experiment['id']}/observations", body, 422)
    assert message.startswith(f"'assignments.{shown}': \"{shown}\" is not a parameter"), message


@pytest.mark.parametrize(("key", "shown"), KEYS)
def test_a_metadata_key(api: Api, key: str, shown: str):
    """A key with a line break or a control character is refused for it (quoted as JSON);
    one with a format character is taken, and a path to its value shows it escaped."""
    experiment = api.create_experiment(parameters=[DOUBLE])
    body = {"assignments": {"x": 0.5}, "value": 1.0, "metadata": {key: [1]}}
    path = f"/v1/experiments/{experiment['id']}/observations"
    if key.isprintable() or key.startswith("\u202e"):
        message = refused(api, path, body, 400)
        assert message == f"'metadata.{shown}' must be a string, a number or null, not a list."
    else:
        message = refused(api, path, body, 422)
        assert message.startswith(f"'metadata': the key \"{shown}\" holds"), message


def test_a_parameter_name_in_a_path(api: Api):
    """A parameter's name may hold a format character (SigOpt's names take them): the
    path of its missing assignment shows it escaped."""
    experiment = api.create_experiment(parameters=[{**DOUBLE, "name": "\u202eabc"}])
    body = {"assignments": {}, "value": 1.0}
    message = refused(api, f"/v1/experiments/{experiment['id']}/observations", body, 422)
    assert message == "'assignments.\\u202eabc' is missing: every parameter needs a value."


@pytest.mark.parametrize(("key", "shown"), KEYS)
def test_a_field_no_training_run_has(api: Api, key: str, shown: str):
    client = api.get("/v1/tokens/self").body["client"]
    path = f"/v1/clients/{client}/projects/p/training_runs"
    message = refused(api, path, {"name": "r", key: 1}, 400)
    assert message.startswith(f"'{shown}' is not a field of a training run"), message


def test_ordinary_text_stays_as_it_is():
    """Letters of any script and quote characters are shown as sent; a backslash is
    doubled, so that a key holding ``\\u2028`` as six characters reads apart from one
    holding the line separator."""
    assert path_key("cé'\"日本") == "cé'\"日本"
    assert path_key("a\\u2028") == "a\\\\u2028" != path_key("a\u2028")
    assert path_key("x\ud800") == "x\\ud800"


def test_the_names_a_refusal_lists_and_a_long_feature_name(api: Api):
    """Names beside a path are shown so too: the parameters an assignment's refusal lists
    (a name may hold a format character), and a feature name past its 100 characters,
    which was quoted by its raw ends in single quotes."""
    experiment = api.create_experiment(parameters=[{**DOUBLE, "name": "\u202eabc"}])
    body = {"assignments": {"\u202eabc": 0.5, "zz": 1}, "value": 1.0}
    message = refused(api, f"/v1/experiments/{experiment['id']}/observations", body, 422)
    assert message.endswith("(parameters: \\u202eabc)."), message
    client = api.get("/v1/tokens/self").body["client"]
    scores = {"\u2028" + "f" * 120: 1}
    body = {"name": "r", "sys_metadata": {"feature_importances": {"scores": scores}}}
    message = refused(api, f"/v1/clients/{client}/projects/p/training_runs", body, 422)
    assert message.startswith(
        "'sys_metadata.feature_importances.scores': the feature name \"\\u2028fff"
    ), message


def test_the_conditions_an_inactive_parameter_needs(api: Api):
    """Named by the conditional's name (which may hold a format character) and its values
    as a JSON list: it said ``c<U+202E> in ['a']``, raw and in Python's repr. And an
    experiment in which no parameter is active for a conditional value names it so too."""
    conditionals = [{"name": "c\u202e", "values": ["a", "b"]}]
    parameters = [{**DOUBLE, "conditions": {"c\u202e": ["a"]}}, {**DOUBLE, "name": "y"}]
    experiment = api.create_experiment(parameters=parameters, conditionals=conditionals)
    body = {"assignments": {"c\u202e": "b", "x": 0.5, "y": 0.5}, "value": 1.0}
    message = refused(api, f"/v1/experiments/{experiment['id']}/observations", body, 422)
    assert message == (
        "'assignments.x': parameter \"x\" is inactive for these conditional values (it needs "
        'c\\u202e in ["a"]); leave it out.'
    )
    parameters = [{**DOUBLE, "conditions": {"c\u202e": ["a"]}}]
    body = {"name": "e", "parameters": parameters, "conditionals": conditionals}
    message = refused(api, "/v1/experiments", body, 422)
    assert message.startswith("'conditionals': when c\\u202e = \"b\", no parameter"), message


def test_the_suggested_names_a_run_keeps():
    """A run's suggested assignments cannot be cleared: the refusal names them as a path
    shows them (a parameter's name may hold a format character)."""
    with pytest.raises(RuleError) as cleared:
        sigopt_runs.cleared_assignments({"\u202eabc": 0.5}, ["\u202eabc"])
    assert "suggested \\u202eabc = 0.5 by its experiment" in cleared.value.message

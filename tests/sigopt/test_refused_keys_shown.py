"""A client's key that a refusal names is shown escaped and short, wherever it is named.

Beside the SigOpt domain rules (whose paths :func:`..sigopt_checks.key_path` builds),
five places quoted a key raw: an observation's unknown field, an experiment token's
body, the door's number past a float's range and its repeated name (in the message and
in ``detail.field``), and Daptics' unknown field of a space. A line separator broke the
reader's line, an ESC or a right-to-left override reached their terminal; a long key
made the message pass the error layer's length limit, which cut it inside its sentence.
Each place is called through the real service, embedded and served; nothing is stored.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from sigopt_like.service.resources.campaign import (
    SPACE_FIELDS,
    SPACE_PARAMETER_FIELDS,
    TABLE_FIELDS,
)
from sigopt_like.service.store import schema
from tests.campaign.conftest import Api as CampaignApi
from tests.campaign.conftest import small_space
from tests.sigopt.conftest import Api

RAW = ("\u2028", "\x1b", "\u202e")
LONG = "k" * 300
#: a long key with spaces: the error layer's clip of long runs did not shorten it
SPACED = "a b " * 600

#: (a client's key, how a path shows it)
KEYS = [
    pytest.param("x\u2028y", "x\\u2028y", id="line separator"),
    pytest.param("x\x1by", "x\\u001by", id="ESC"),
    pytest.param("\u202eabc", "\\u202eabc", id="right-to-left override"),
    pytest.param(LONG, f"{'k' * 80}...{'k' * 10} (300 characters)", id="300 characters"),
    pytest.param(SPACED, f"{SPACED[:80]}...{SPACED[-10:]} (2,400 characters)", id="spaced"),
]


def _raw_post(api: Any, path: str, text: str, method: str = "POST") -> Any:
    return api.call(method, path, data=text.encode(), headers={"Content-Type": "application/json"})


def _shown_safely(reply: Any, message: str, field: str) -> None:
    """The refusal says ``message`` whole and names ``field``; no raw character."""
    assert reply.status == 400, reply.body
    said = reply.body["message"]
    assert not any(char in said for char in RAW), ascii(said)
    assert not any(char in reply.body["detail"]["field"] for char in RAW), ascii(reply.body)
    assert said == message, ascii(said)
    assert reply.body["detail"]["field"] == field


def _tokens(api: Api) -> list[tuple]:
    with api.service.context.store.database.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.select(schema.tokens))]


def _sigopt_refusal(api: Api, make: Callable[[str], Any]) -> Any:
    """The answer to ``make(experiment's path)``; no row of an experiment or a token
    changed."""
    at = f"/v1/experiments/{api.create_experiment()['id']}"
    before = (api.snapshot(), _tokens(api))
    reply = make(at)
    assert (api.snapshot(), _tokens(api)) == before
    return reply


def _raw_observation_refusal(api: Api, text: str) -> Any:
    """The answer to ``text`` sent as it is as an observation (see :func:`_sigopt_refusal`)."""
    return _sigopt_refusal(api, lambda at: _raw_post(api, f"{at}/observations", text))


def _named_twice(whole: str, shown: str) -> str:
    """The refusal of ``whole`` (the body, or an object in it) naming ``shown`` twice."""
    return (
        f"{whole} names the field '{shown}' more than once; only one of its values would be "
        "kept, so send the field once, with the value you mean."
    )


def _not_a_daptics_field(path: str, allowed: tuple[str, ...]) -> str:
    """Daptics' refusal of the unknown field at ``path``, of an object taking ``allowed``."""
    return (
        f"'{path}' is not a field of this object (fields: {', '.join(allowed)}); "
        "remove it or fix its spelling."
    )


@pytest.mark.parametrize(("key", "shown"), KEYS)
def test_a_field_no_observation_has(api: Api, key: str, shown: str):
    reply = _sigopt_refusal(api, lambda at: api.post(f"{at}/observations", {key: 1, "value": 1.0}))
    fields = "suggestion, assignments, value, value_stddev, values, failed, metadata, task"
    _shown_safely(reply, f"'{shown}' is not a field of an observation (fields: {fields}).", shown)


@pytest.mark.parametrize(("key", "shown"), KEYS)
def test_a_field_of_an_experiment_token(api: Api, key: str, shown: str):
    reply = _sigopt_refusal(api, lambda at: api.post(f"{at}/tokens", {key: 1}))
    _shown_safely(
        reply,
        f"'{shown}' is not a field of an experiment token: it is made from nothing but the "
        "experiment (send no body, or {}).",
        shown,
    )


@pytest.mark.parametrize(("key", "shown"), KEYS)
def test_a_number_past_a_float_under_a_key(api: Api, key: str, shown: str):
    text = '{"assignments": {' + json.dumps(key) + ': 1e400}, "value": 1}'
    reply = _raw_observation_refusal(api, text)
    _shown_safely(
        reply,
        f"The field 'assignments.{shown}' holds a number beyond a float's range (about "
        "+-1.8e308; JSON's 1e400 reads as infinity), which no field takes.",
        f"assignments.{shown}",
    )


@pytest.mark.parametrize(("key", "shown"), KEYS)
def test_a_key_sent_twice(api: Api, key: str, shown: str):
    name = json.dumps(key)
    text = '{"assignments": {' + f"{name}: 1, {name}: 2" + '}, "value": 1}'
    reply = _raw_observation_refusal(api, text)
    _shown_safely(reply, _named_twice("The object 'assignments'", shown), f"assignments.{shown}")


@pytest.mark.parametrize(("key", "shown"), KEYS)
def test_a_top_level_key_sent_twice(api: Api, key: str, shown: str):
    name = json.dumps(key)
    text = "{" + f'{name}: 1, {name}: 2, "value": 1' + "}"
    reply = _raw_observation_refusal(api, text)
    _shown_safely(reply, _named_twice("The request body", shown), shown)


@pytest.mark.parametrize("inside", ["space", "space.parameters[0]"])
@pytest.mark.parametrize(("key", "shown"), KEYS)
def test_a_field_no_daptics_space_has(api: Api, key: str, shown: str, inside: str):
    daptics = CampaignApi(api.service, api.url, api.token)
    sid = daptics.session()
    space = small_space()
    if inside == "space":
        space[key] = 1
        allowed = SPACE_FIELDS
    else:
        space["parameters"][0][key] = 1
        allowed = SPACE_PARAMETER_FIELDS
    before = daptics.snapshot(sid)
    reply = daptics.put(
        f"/v1/sessions/{sid}/space", {"space": space, "population_size": 12, "replicates": 1}
    )
    assert daptics.snapshot(sid) == before
    path = f"{inside}.{shown}"
    _shown_safely(reply, _not_a_daptics_field(path, allowed), path)


@pytest.mark.parametrize(("key", "shown"), KEYS)
def test_a_field_no_daptics_table_has(api: Api, key: str, shown: str):
    daptics = CampaignApi(api.service, api.url, api.token)
    sid = daptics.session()
    before = daptics.snapshot(sid)
    table = {"columns": ["a"], "rows": [], key: 1}
    reply = daptics.post(f"/v1/sessions/{sid}/experiments", {"type": "initial", "table": table})
    assert daptics.snapshot(sid) == before
    _shown_safely(reply, _not_a_daptics_field(f"table.{shown}", TABLE_FIELDS), f"table.{shown}")

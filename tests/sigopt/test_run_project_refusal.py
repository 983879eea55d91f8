"""A run sent with another ``project`` is refused (SigOpt moves no run) with a 400 that
says what is wrong for the value sent and what would work: how to make a run in that
project only when it is an id a run can be made in, the id then written into the URL
(safe: project ids are [a-z0-9-_.]); anything else quoted as JSON, never pasted raw,
and no advice to make a run "in null"."""

from __future__ import annotations

import pytest

from .conftest import Api


@pytest.fixture
def made(api: Api) -> tuple[str, dict]:
    client = api.get("/v1/tokens/self").body["client"]
    run = api.post(f"/v1/clients/{client}/projects/home/training_runs", {"name": "r"}).body
    return client, run


def _refused(api: Api, run: dict, sent: object, path: str = "") -> str:
    where = f"/v1/training_runs/{run['id']}"
    before = api.get(where).body
    reply = api.put(where, {"project": sent})
    assert reply.status == 400 and reply.body["detail"]["field"] == "project", reply.body
    assert api.get(where).body == before
    message = reply.body["message"]
    assert message.startswith("'project': a run stays in the project it is made in, \"home\"")
    assert "SigOpt moves none" in message
    return message


def test_a_project_id_sent_says_how_to_make_a_run_there(api: Api, made):
    client, run = made
    message = _refused(api, run, "elsewhere")
    assert f"POST /v1/clients/{client}/projects/elsewhere/training_runs" in message
    assert "SIGOPT_PROJECT=elsewhere" in message and "leave 'project' out" in message


@pytest.mark.parametrize(
    ("sent", "quoted"),
    [
        ("x/y?q=1#f", '"x/y?q=1#f"'),
        ("line\u2028break", '"line\\u2028break"'),
        ("Upper", '"Upper"'),
        ("..", '".."'),
    ],
)
def test_a_value_no_run_can_be_made_in_is_quoted_and_gets_no_url(api: Api, made, sent, quoted):
    message = _refused(api, made[1], sent)
    assert f"{quoted} is no id a run can be made in" in message
    assert "POST" not in message and "SIGOPT_PROJECT" not in message
    assert "\u2028" not in message and "Leave 'project' out" in message


@pytest.mark.parametrize(
    ("sent", "kind"), [(None, "null"), (7, "a number"), ({"a": 1}, "an object")]
)
def test_null_or_no_string_gets_no_advice_to_make_a_run_in_it(api: Api, made, sent, kind):
    message = _refused(api, made[1], sent)
    assert "To have a run in" not in message and "POST" not in message
    if sent is None:
        assert "null does not take a run out of its project" in message
    else:
        assert f"A project id is a string, not {kind}." in message


def test_a_batch_run_names_its_place(api: Api, made):
    client, _ = made
    reply = api.post(
        f"/v1/clients/{client}/projects/home/training_runs/batch",
        {"runs": [{"name": "a"}, {"project": "zz"}]},
    )
    assert reply.status == 400 and reply.body["detail"]["field"] == "runs[1].project"
    assert reply.body["message"].startswith("'runs[1].project': a run stays")
    assert f"/v1/clients/{client}/projects/zz/training_runs" in reply.body["message"]
